"""`postmock serve` on the ASGI engine: the workspace's mock service in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from postmock_core.mock.runtime import MockCatalog
from postmock_core.serve.host import MockHost, engine_ports
from postmock_core.serve.server import new_event_loop, tune_gc_for_serving
from postmock_core.serve.workers import WorkerPorts
from postmock_core.store.workspace import Workspace

__all__ = ["run_service", "serve_workspace"]

log = logging.getLogger(__name__)

WORKER_CHECK = 1.0


def _say(line: str) -> None:
    print(line, flush=True)


async def serve_workspace(ws: Workspace, mock_ids: list[str] | None, stop: asyncio.Event, *,
                          quiet: bool = False, host: str = "127.0.0.1", workers: int = 1,
                          call_log: Workspace | None = None, port: int | None = None) -> int:
    """Serve the mocks `mock_ids` (None: every mock, as they come and go) until `stop` is set.

    With `workers` > 1, that many processes answer at every port and this one only follows
    the workspace. `call_log`: where the call logs go (default: the workspace). `port`: serve
    the one named mock there.
    """
    if workers > 1:
        return await _with_workers(ws, mock_ids, stop, quiet, host, workers, call_log, port)
    async with engine_ports(ws, host, quiet, call_log) as ports:
        await MockHost(ports.service.catalog, ports, mock_ids, say=_say, port=port, host=host).run(stop)
    return 0


async def _with_workers(ws: Workspace, mock_ids: list[str] | None, stop: asyncio.Event, quiet: bool,
                        host: str, workers: int, call_log: Workspace | None, port: int | None) -> int:
    ports = WorkerPorts(ws, workers, host, quiet, call_log)
    ports.start()

    async def watch_workers() -> None:
        while True:
            await asyncio.sleep(WORKER_CHECK)
            ports.check()

    watcher = asyncio.get_running_loop().create_task(watch_workers())
    try:
        await MockHost(MockCatalog(ws), ports, mock_ids, say=_say, port=port, host=host).run(stop)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await ports.stop()
    return 0


def run_service(ws: Workspace, mock_ids: list[str] | None, quiet: bool = False,
                host: str = "127.0.0.1", workers: int = 1, call_log: Workspace | None = None,
                port: int | None = None,
                beside: Callable[[], AbstractAsyncContextManager[Any]] | None = None) -> int:
    """`serve_workspace` until SIGINT/SIGTERM; the call logs are written on the way out.

    `beside` runs another server (the admin API) in the same event loop for as long.
    """

    async def main() -> int:
        async with beside() if beside is not None else contextlib.nullcontext():
            return await serve_workspace(ws, mock_ids, stop, quiet=quiet, host=host, workers=workers,
                                         call_log=call_log, port=port)

    tune_gc_for_serving()
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()
