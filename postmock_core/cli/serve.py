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


def select_mocks(catalog: MockCatalog, names: list[str], allow_none: bool = False) -> list[MockConfig]:
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
    busy = [m for m in chosen if _port_in_use(m.port)]
    if busy:
        m = busy[0]
        raise PostmockError(f"port {m.port} of mock {m.name!r} is in use (already served?); stop that "
                            f"process or move the mock: postmock mock edit {m.name!r} --port N")
    return sorted(chosen, key=lambda m: m.port)


def serve(ws: Workspace, names: list[str], admin_address: str | None = None, admin: bool = True) -> int:
    """Serve the chosen mocks until SIGINT/SIGTERM; the call logs are flushed on the way out."""
    catalog = MockCatalog(ws)
    mocks = select_mocks(catalog, names, allow_none=admin)
    settings = catalog.settings()
    print(f"postmock: serving {len(mocks)} mock(s); Ctrl-C to stop", flush=True)
    for m in mocks:
        reason = deactivation_reason(m, catalog.collections, catalog.environments, settings)
        flags = ", ".join(f for f in ("private" if m.private else "public",
                                      f"delay {m.delay_ms} ms" if m.delay_ms else "",
                                      f"on miss: {m.on_miss}") if f)
        note = f"  [deactivated: {reason}]" if reason else ""
        print(f"  {m.name}  {m.url}  ({flags}){note}", flush=True)
    # -- admin API and dashboard, beside the mocks (postmock_core.admin) --
    from postmock_core.admin.server import AdminServer, alongside
    from postmock_core.mitm.filterexpr import compile_filter
    from postmock_core.mitm.runner import run_mock_proxy  # mitmproxy is slow to import

    admin_server = AdminServer.bind(ws, admin_address, compile_filter=compile_filter) if admin else None

    async def run() -> int:
        async with alongside(admin_server):
            return await run_mock_proxy(ws, mocks, follow=not names)
    # -- end admin --

    code = asyncio.run(run())
    print("postmock: stopped", file=sys.stderr, flush=True)
    return code


def _serve(args: argparse.Namespace) -> int:
    return serve(workspace(args), list(args.names), args.admin, not args.no_admin)


def register(sub: Any) -> None:
    p = command(sub, "serve", "serve mocks at their URLs until interrupted",
                "Run the named mocks (default: every active mock) with mitmproxy, in reverse mode, "
                "each at its own stable URL http://127.0.0.1:PORT. Edits to examples, environments "
                "and mock settings apply on the next call. Ctrl-C (or SIGTERM) stops cleanly and "
                "flushes the call logs.")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="mock names or IDs (default: every active mock, and mocks created while it runs)")
    # -- admin API and dashboard --
    p.add_argument("--admin", metavar="HOST:PORT", default=None,
                   help="where the admin API and dashboard listen (default: 127.0.0.1:7299; if that "
                        "port is busy they stay off, with a warning). Anything but loopback is reachable "
                        "from other machines and warns. The dashboard's one-time login link is printed "
                        "at start; `postmock ui` gives a new one")
    p.add_argument("--no-admin", action="store_true", help="serve only the mocks: no admin API, no dashboard")
    p.set_defaults(func=_serve)
