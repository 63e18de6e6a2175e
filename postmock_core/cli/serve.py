"""`postmock serve [NAME...]`: run mock servers in-process until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
from typing import Any

from postmock_core.cli.common import command, workspace
from postmock_core.errors import PostmockError
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.runtime import MockCatalog, deactivation_reason
from postmock_core.store.workspace import Workspace

__all__ = ["register", "serve"]

log = logging.getLogger(__name__)


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _check_listen(listen: str) -> None:
    """One line, before anything starts, when `listen` is no address of this machine: a free
    port is opened there the way the engine opens each mock's."""
    from postmock_core.serve.server import bind  # uvicorn is not needed before this

    if not listen.strip():
        raise PostmockError("--listen needs an address: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")
    try:
        bind(listen, 0).close()
    except OSError as e:
        raise PostmockError(f"--listen {listen}: cannot listen there ({e.strerror or e}); give an address of "
                            f"this machine, such as 127.0.0.1 or 0.0.0.0") from None


def select_mocks(catalog: MockCatalog, names: list[str], port: int | None = None,
                 allow_none: bool = False) -> list[MockConfig]:
    """The mocks to serve: those named (deactivated ones too: they answer why), else all active
    (none yet is fine when `allow_none`: mocks created later are picked up)."""
    settings = catalog.settings()
    if names:
        chosen: list[MockConfig] = []
        for name in names:
            mock = catalog.find(name)
            if mock is None:
                raise PostmockError(f"no mock {name!r}; see: postmock mock list")
            if mock not in chosen:
                chosen.append(mock)
    else:
        chosen = [m for m in catalog.mocks().values()
                  if deactivation_reason(m, catalog.collections, catalog.environments, settings) is None]
        if not chosen and not allow_none:
            raise PostmockError("no active mock to serve; create one with: postmock mock create --collection C")
    public = [m.name for m in chosen if not m.private]
    if settings.forbid_public_mocks and public:
        raise PostmockError(f"refusing to serve public mock(s) {', '.join(map(repr, public))}: this workspace "
                            f"sets forbid_public_mocks; make them private (postmock mock edit NAME --private)")
    busy = [m for m in chosen if _port_in_use(port or m.port)]
    if busy:
        m = busy[0]
        raise PostmockError(f"port {port or m.port} of mock {m.name!r} is in use (already served?); stop that "
                            f"process or move the mock: postmock mock edit {m.name!r} --port N")
    return sorted(chosen, key=lambda m: m.port)


def serve(ws: Workspace, names: list[str], engine: str = "asgi", quiet: bool = False,
          workers: str = "1", listen: str = "127.0.0.1", call_log: str | None = None,
          port: int | None = None, admin_address: str | None = None, admin: bool = True) -> int:
    """Serve the chosen mocks until SIGINT/SIGTERM; the call logs are flushed on the way out.

    Without names on the ASGI engine, every mock of the workspace is served as it is created,
    edited and deleted. Unless `admin` is False, the admin API and dashboard run beside them.
    """
    from postmock_core.serve.workers import worker_count  # uvicorn is not needed before this

    try:
        count = worker_count(workers)
    except ValueError as e:
        raise PostmockError(str(e)) from None
    if engine == "mitmproxy" and (count > 1 or call_log or port or listen != "127.0.0.1"):
        raise PostmockError("--workers, --call-log, --port and --listen need the asgi engine; "
                            "drop --engine mitmproxy")
    if port is not None and len(names) != 1:
        raise PostmockError("--port serves one mock somewhere else: name exactly one mock")
    if port is not None and not 1 <= port <= 65535:
        raise PostmockError(f"--port {port} is not a port: give a number from 1 to 65535")
    _check_listen(listen)
    log_ws = Workspace.open(call_log) if call_log else None
    catalog = MockCatalog(ws)
    if engine == "mitmproxy" or names:
        mocks = select_mocks(catalog, names, port, allow_none=admin and engine == "mitmproxy")
        print(f"postmock: serving {len(mocks)} mock(s); Ctrl-C to stop", flush=True)
    else:
        mocks = []
        print("postmock: serving every mock of the workspace, following it as mocks are created, "
              "edited and deleted; Ctrl-C to stop", flush=True)
    # The admin API and dashboard (admin/) run in this process, in the same event loop.
    from postmock_core.admin.server import AdminServer, alongside
    from postmock_core.mitm.filterexpr import compile_filter

    admin_server = AdminServer.bind(ws, admin_address, compile_filter=compile_filter) if admin else None
    if engine == "mitmproxy":
        from postmock_core.mitm.runner import run_mock_proxy  # mitmproxy is slow to import
        from postmock_core.serve.host import describe

        for m in mocks:
            print(f"  {describe(m, catalog)}", flush=True)

        async def run() -> int:
            async with alongside(admin_server):
                return await run_mock_proxy(ws, mocks, quiet, follow=not names)

        code = asyncio.run(run())
    else:
        from postmock_core.serve.runner import run_service

        if count > 1:
            print(f"postmock: {count} worker processes answer at every port", flush=True)
        if log_ws is not None:
            print(f"postmock: call logs go to {log_ws.root}", flush=True)
        code = run_service(ws, [m.id for m in mocks] if names else None, quiet, listen, count, log_ws, port,
                           beside=lambda: alongside(admin_server))
    print("postmock: stopped", file=sys.stderr, flush=True)
    return code


def _serve(args: argparse.Namespace) -> int:
    return serve(workspace(args), list(args.names), args.engine, args.quiet, args.workers, args.listen,
                 args.call_log, args.port, args.admin, not args.no_admin)


def register(sub: Any) -> None:
    p = command(sub, "serve", "serve mocks at their URLs until interrupted",
                "Serve mocks, each at its own stable URL http://127.0.0.1:PORT, on an ASGI server "
                "(uvicorn). Without names, every mock of the workspace is served and followed while "
                "running: a mock created starts answering, a deleted one stops, a new --port moves "
                "it; a port that is taken is reported and the others still serve. With names, just "
                "those. Edits to examples, environments and mock settings apply on the next call. "
                "One line is printed per call (time, mock, method, path, status, example, ms). A "
                "mock of 2,000 examples or more makes its static answers ahead on a thread, giving "
                "way to calls, and says when they are made. Ctrl-C (or SIGTERM) stops cleanly and "
                "flushes the call logs.")
    p.add_argument("names", nargs="*", metavar="NAME", help="mock names or IDs (default: every mock, followed)")
    p.add_argument("--engine", choices=("asgi", "mitmproxy"), default="asgi",
                   help="asgi (default): uvicorn, the fastest. mitmproxy: mitmproxy in reverse mode, "
                        "for what only it does (HTTP/2, TLS with its CA); both answer alike, but it "
                        "serves the mocks active at start and does not follow the workspace")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print a line per call")
    p.add_argument("--workers", default="1", metavar="N|auto",
                   help="processes answering at every mock's port (SO_REUSEPORT), 1 to 64, default 1; "
                        "auto: one per core. Each reloads edits, writes the call log and follows new mocks")
    p.add_argument("--listen", default="127.0.0.1", metavar="ADDR",
                   help="the address of this machine to listen at (default 127.0.0.1; 0.0.0.0 for every "
                        "interface, e.g. behind a load balancer; ::1 for IPv6 loopback)")
    p.add_argument("--call-log", metavar="DIR",
                   help="write the call logs into DIR rather than the workspace: for hosts serving one "
                        "shared, read-only workspace; `postmock mock calls M --call-log DIR ...` merges them")
    p.add_argument("--port", type=int, metavar="PORT",
                   help="serve the one named mock at port PORT (1-65535) instead of its own")
    p.add_argument("--admin", metavar="HOST:PORT", default=None,
                   help="where the admin API and dashboard listen (default: 127.0.0.1:7299; if that "
                        "port is busy they stay off, with a warning). Anything but loopback is reachable "
                        "from other machines and warns. The dashboard's one-time login link is printed "
                        "at start; `postmock ui` gives a new one")
    p.add_argument("--no-admin", action="store_true", help="serve only the mocks: no admin API, no dashboard")
    p.set_defaults(func=_serve)
