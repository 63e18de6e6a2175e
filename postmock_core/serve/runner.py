"""Running chosen mocks on the ASGI engine in the foreground, for `postmock serve`."""

from __future__ import annotations

import asyncio
import logging
import signal

from postmock_core.mock.configs import MockConfig
from postmock_core.mock.service import MockService
from postmock_core.serve.app import MockApp
from postmock_core.serve.server import Engine, new_event_loop
from postmock_core.store.workspace import Workspace

__all__ = ["run_mocks"]

log = logging.getLogger(__name__)


async def serve_mocks(ws: Workspace, mocks: list[MockConfig], stop: asyncio.Event,
                      host: str = "127.0.0.1") -> int:
    """Serve `mocks`, each at its own port, until `stop` is set; 1 if a port cannot be opened."""
    service = MockService(ws)
    engine = Engine(host)
    try:
        for m in mocks:
            try:
                await engine.open(m.port, MockApp(service, m.id))
            except OSError as e:
                print(f"postmock: error: cannot listen at {host}:{m.port} for mock {m.name!r}: "
                      f"{e.strerror or e}", flush=True)
                return 1
        await stop.wait()
        return 0
    finally:
        await engine.stop()
        await service.aclose()


def run_mocks(ws: Workspace, mocks: list[MockConfig], host: str = "127.0.0.1") -> int:
    """Serve `mocks` until SIGINT/SIGTERM; the call logs are written on the way out."""
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return loop.run_until_complete(serve_mocks(ws, mocks, stop, host))
    finally:
        loop.close()
