"""Running mitmproxy in-process with postmock's mock addon, for `postmock serve --engine mitmproxy`."""

from __future__ import annotations

import asyncio
import signal

from mitmproxy import options
from mitmproxy.tools.dump import DumpMaster

from postmock_core.mitm.mockserver import MockServer, reverse_modes
from postmock_core.mock.calllines import CallPrinter
from postmock_core.mock.configs import MockConfig
from postmock_core.store.workspace import Workspace

__all__ = ["run_mock_proxy"]


async def run_mock_proxy(ws: Workspace, mocks: list[MockConfig], quiet: bool = False) -> int:
    """Serve `mocks` in reverse mode, each at its own port, until SIGINT/SIGTERM.

    Unless `quiet`, a line is printed per call."""
    opts = options.Options()
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    master.addons.add(MockServer(standalone=True, listener=None if quiet else CallPrinter()))
    opts.update(mode=reverse_modes(mocks), listen_host="127.0.0.1", connection_strategy="lazy",
                postmock_home=str(ws.root), postmock_mock=",".join(m.id for m in mocks))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    try:
        await master.run()
    except SystemExit as e:  # mitmproxy exits this way when a server cannot start
        return int(e.code or 1)
    return 0
