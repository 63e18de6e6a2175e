"""Running mitmproxy in-process with postmock's mock addon, for `postmock serve --engine mitmproxy`."""

from __future__ import annotations

import asyncio
import logging
import signal

from mitmproxy import exceptions, options
from mitmproxy.tools.dump import DumpMaster

from postmock_core.mitm.mockserver import MockServer, reverse_modes
from postmock_core.mock.calllines import CallPrinter
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.runtime import MockCatalog, deactivation_reason
from postmock_core.store.workspace import Workspace

__all__ = ["run_mock_proxy"]

log = logging.getLogger(__name__)


FOLLOW_POLL = 0.5  # seconds between looks at the mock configurations when following them


async def _follow(opts: options.Options, catalog: MockCatalog, served: list[MockConfig]) -> None:
    """Serve every active mock, also those created (or moved to another port) while running.
    A listener, once open, stays: a mock deleted or deactivated meanwhile keeps answering
    there with mockNotFoundError and the reason, as a named one does."""
    serving = {(m.id, m.port): m for m in served}
    while True:
        await asyncio.sleep(FOLLOW_POLL)
        settings = catalog.settings()
        # A port still open for a mock gone is not reused until a restart.
        taken = {port for _, port in serving}
        fresh = [m for m in catalog.mocks().values() if (m.id, m.port) not in serving and m.port not in taken
                 and deactivation_reason(m, catalog.collections, catalog.environments, settings) is None]
        if fresh:
            serving.update({(m.id, m.port): m for m in fresh})
            mocks = sorted(serving.values(), key=lambda m: m.port)
            log.info("postmock: now serving %d mock(s)", len(mocks))
            try:
                opts.update(mode=reverse_modes(mocks), postmock_mock=",".join(dict.fromkeys(m.id for m in mocks)))
            except exceptions.OptionsError as e:  # a bad port must not end the follower
                log.error("postmock: cannot serve new mock(s): %s", e)


async def run_mock_proxy(ws: Workspace, mocks: list[MockConfig], quiet: bool = False,
                         follow: bool = False) -> int:
    """Serve `mocks` in reverse mode, each at its own port, until SIGINT/SIGTERM; with
    `follow`, serve every active mock of the workspace as mocks come and go. Unless `quiet`, a
    line is printed per call."""
    opts = options.Options()
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    master.addons.add(MockServer(standalone=True, listener=None if quiet else CallPrinter()))
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
