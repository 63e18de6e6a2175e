"""Running the admin app beside the mocks, in the same process and asyncio loop.

    admin = AdminServer.bind(ws, "127.0.0.1:7299", compile_filter=...)   # binds, prints links
    async with admin.running():                                         # serves in the background
        await serve_the_mocks()

uvicorn runs it without touching signals: the process that embeds it owns SIGINT/SIGTERM and
leaves `running()` when it stops. The bound address is written to `admin.json` in the
workspace, so `postmock ui` finds the dashboard of a running `postmock serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from postmock_core.admin.app import create_app
from postmock_core.admin.logins import STARTUP_LOGIN_TTL, LoginTokens
from postmock_core.errors import PostmockError
from postmock_core.history.query import FilterCompiler
from postmock_core.store.storage import read_json, write_json
from postmock_core.store.workspace import Workspace

__all__ = ["DEFAULT_ADMIN", "DEFAULT_PORT", "AdminServer", "alongside", "login_link", "parse_address", "running_admin"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 7299  # just below the mocks' ports (7300 on)
DEFAULT_ADMIN = f"127.0.0.1:{DEFAULT_PORT}"
STATE_FILE = "admin.json"
LOGIN_PATH = "/ui/login?token="


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback) as (host, port)."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise PostmockError(f"--admin {text!r} is not HOST:PORT, e.g. 127.0.0.1:{DEFAULT_PORT}")
    host = host.strip("[]") or "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise PostmockError(f"--admin {text!r}: give an IP address to listen on (127.0.0.1, "
                                f"0.0.0.0, ::1), not a host name") from None
        host = "127.0.0.1"
    return host, int(port_text)


def _is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: the embedding process owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class AdminServer:
    ws: Workspace
    sock: socket.socket
    app: Any
    url: str
    login_url: str
    _server: _EmbeddedServer | None = field(default=None, repr=False)

    @classmethod
    def bind(cls, ws: Workspace, address: str | None, *, compile_filter: FilterCompiler | None = None,
             quiet: bool = False) -> AdminServer | None:
        """Bind the admin address (default `DEFAULT_ADMIN`) and print the dashboard's one-time
        login link. A busy default port only warns (the mocks still serve); a busy port that
        was asked for is an error."""
        host, port = parse_address(address or DEFAULT_ADMIN)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            sock.close()
            if address is None:
                print(f"postmock: warning: the admin API and dashboard are off: {host}:{port} is in use "
                      f"({e.strerror}); pass --admin 127.0.0.1:PORT for another port", file=sys.stderr,
                      flush=True)
                return None
            raise PostmockError(f"cannot listen on --admin {address}: {e.strerror}; choose another "
                                f"port or pass --no-admin") from None
        sock.listen(128)
        sock.setblocking(False)
        port = sock.getsockname()[1]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        names = [socket.gethostname()] if not _is_loopback(host) else []
        app = create_app(ws, port=port, compile_filter=compile_filter, host_names=names)
        token = LoginTokens(ws).issue(STARTUP_LOGIN_TTL)
        server = cls(ws, sock, app, url, url + LOGIN_PATH + token)
        if not _is_loopback(host):
            print(f"postmock: warning: the admin API listens on {host}:{port}, beyond this machine: "
                  f"anyone who reaches it with an API key can change your mocks; use --admin "
                  f"127.0.0.1:{port} unless you mean it", file=sys.stderr, flush=True)
        if not quiet:
            print(f"admin API: {url}  (x-api-key: a key from `postmock key create`; reference: {url}/docs)",
                  flush=True)
            print(f"dashboard: {server.login_url}", flush=True)
        return server

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[AdminServer]:
        """Serve in the background of the current loop until the block ends."""
        config = uvicorn.Config(self.app, log_config=None, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=2, proxy_headers=False)
        self._server = _EmbeddedServer(config)
        task = asyncio.create_task(self._server.serve(sockets=[self.sock]), name="postmock admin")
        _write_state(self.ws, self.url)
        try:
            yield self
        finally:
            self.app.state.stopping.set()
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
            _clear_state(self.ws)
            self.sock.close()


@contextlib.asynccontextmanager
async def alongside(admin: AdminServer | None) -> AsyncIterator[None]:
    """`admin.running()`, or nothing when the admin is off."""
    if admin is None:
        yield
        return
    async with admin.running():
        yield


def _write_state(ws: Workspace, url: str) -> None:
    write_json(ws.file(STATE_FILE), {"url": url, "pid": os.getpid()})


def _clear_state(ws: Workspace) -> None:
    with contextlib.suppress(OSError, PostmockError):
        state = read_json(ws.file(STATE_FILE)) or {}
        if state.get("pid") == os.getpid():
            ws.file(STATE_FILE).unlink()


def running_admin(ws: Workspace) -> str | None:
    """The URL of the admin server of a `postmock serve` running on this workspace, if any."""
    try:
        state = read_json(ws.file(STATE_FILE)) or {}
    except PostmockError:
        return None
    url, pid = state.get("url"), state.get("pid")
    if not isinstance(url, str) or not isinstance(pid, int):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return url


def login_link(ws: Workspace, url: str) -> str:
    """A fresh one-time dashboard login link for the admin server at `url`."""
    from postmock_core.admin.logins import LOGIN_TTL

    return url + LOGIN_PATH + LoginTokens(ws).issue(LOGIN_TTL)



