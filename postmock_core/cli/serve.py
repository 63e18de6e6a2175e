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


def select_mocks(catalog: MockCatalog, names: list[str]) -> list[MockConfig]:
    """The mocks to serve: those named (deactivated ones too: they answer why), else all active."""
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
        if not chosen:
            raise PostmockError("no active mock to serve; create one with: postmock mock create --collection C")
    public = [m.name for m in chosen if not m.private]
    if settings.forbid_public_mocks and public:
        raise PostmockError(f"refusing to serve public mock(s) {', '.join(map(repr, public))}: this workspace "
                            f"sets forbid_public_mocks; make them private (postmock mock edit NAME --private)")
    busy = [m for m in chosen if _port_in_use(m.port)]
    if busy:
        m = busy[0]
        raise PostmockError(f"port {m.port} of mock {m.name!r} is in use (already served?); stop that "
                            f"process or move the mock: postmock mock edit {m.name!r} --port N")
    return sorted(chosen, key=lambda m: m.port)


def serve(ws: Workspace, names: list[str], engine: str = "asgi") -> int:
    """Serve the chosen mocks until SIGINT/SIGTERM; the call logs are flushed on the way out."""
    catalog = MockCatalog(ws)
    mocks = select_mocks(catalog, names)
    settings = catalog.settings()
    print(f"postmock: serving {len(mocks)} mock(s); Ctrl-C to stop", flush=True)
    for m in mocks:
        reason = deactivation_reason(m, catalog.collections, catalog.environments, settings)
        flags = ", ".join(f for f in ("private" if m.private else "public",
                                      f"delay {m.delay_ms} ms" if m.delay_ms else "",
                                      f"on miss: {m.on_miss}") if f)
        note = f"  [deactivated: {reason}]" if reason else ""
        print(f"  {m.name}  {m.url}  ({flags}){note}", flush=True)
    if engine == "mitmproxy":
        from postmock_core.mitm.runner import run_mock_proxy  # mitmproxy is slow to import

        code = asyncio.run(run_mock_proxy(ws, mocks))
    else:
        from postmock_core.serve.runner import run_mocks

        code = run_mocks(ws, mocks)
    print("postmock: stopped", file=sys.stderr, flush=True)
    return code


def _serve(args: argparse.Namespace) -> int:
    return serve(workspace(args), list(args.names), args.engine)


def register(sub: Any) -> None:
    p = command(sub, "serve", "serve mocks at their URLs until interrupted",
                "Run the named mocks (default: every active mock), each at its own stable URL "
                "http://127.0.0.1:PORT, on an ASGI server (uvicorn). Edits to examples, "
                "environments and mock settings apply on the next call. Ctrl-C (or SIGTERM) stops "
                "cleanly and flushes the call logs.")
    p.add_argument("names", nargs="*", metavar="NAME", help="mock names or IDs (default: all active mocks)")
    p.add_argument("--engine", choices=("asgi", "mitmproxy"), default="asgi",
                   help="asgi (default): uvicorn, the fastest. mitmproxy: mitmproxy in reverse mode, "
                        "for what only it does (HTTP/2, TLS with its CA); both answer alike")
    p.set_defaults(func=_serve)
