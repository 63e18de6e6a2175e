"""Running mitmproxy in-process with postmock's mock addon, for `postmock serve --engine mitmproxy`."""

from __future__ import annotations

import asyncio
import logging
import signal

from mitmproxy import options
from mitmproxy.tools.dump import DumpMaster

from postmock_core.mitm.mockserver import MockServer, reverse_modes
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.runtime import MockCatalog, deactivation_reason
from postmock_core.store.workspace import Workspace

__all__ = ["run_mock_proxy"]

log = logging.getLogger(__name__)


FOLLOW_POLL = 0.5  # seconds between looks at the mock configurations when following them


async def _follow(opts: options.Options, catalog: MockCatalog, served: list[MockConfig]) -> None:
    """Keep serving every active mock: open a listener for a mock created (or moved to another
    port) while running, close the one of a mock deleted or deactivated."""
    current = [(m.id, m.port) for m in served]
    while True:
        await asyncio.sleep(FOLLOW_POLL)
        settings = catalog.settings()
        active = sorted((m for m in catalog.mocks().values() if deactivation_reason(
            m, catalog.collections, catalog.environments, settings) is None), key=lambda m: m.port)
        wanted = [(m.id, m.port) for m in active]
        if wanted != current:
            current = wanted
            log.info("postmock: now serving %d mock(s)", len(active))
            opts.update(mode=reverse_modes(active), postmock_mock=",".join(m.id for m in active))


async def run_mock_proxy(ws: Workspace, mocks: list[MockConfig], follow: bool = False) -> int:
    """Serve `mocks` in reverse mode, each at its own port, until SIGINT/SIGTERM; with
    `follow`, serve every active mock of the workspace as mocks come and go."""
    opts = options.Options()
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    master.addons.add(MockServer(standalone=True))
    opts.update(mode=reverse_modes(mocks), listen_host="127.0.0.1", connection_strategy="lazy",
                postmock_home=str(ws.root), postmock_mock=",".join(m.id for m in mocks))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    follower = asyncio.create_task(_follow(opts, MockCatalog(ws), mocks)) if follow else None
    try:
        await master.run()
    except SystemExit as e:  # mitmproxy exits this way when a server cannot start
        return int(e.code or 1)
    finally:
        if follower is not None:
            follower.cancel()
    return 0
