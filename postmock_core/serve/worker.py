"""One worker process of `postmock serve --workers N`.

    python -m postmock_core.serve.worker HOME [--host H] [--quiet]

It answers calls for the ports its parent tells it to, one command a line on stdin:

    open PORT MOCK_ID     listen at PORT (SO_REUSEPORT: every worker listens there; the
                          kernel spreads connections between them) and serve MOCK_ID
    close PORT            stop listening at PORT

and stops when stdin closes (the parent stopped, or died). Everything else a mock needs it
does itself, as a single `postmock serve` does: it reloads what changes on disk, writes its own
call log, prints its own call lines.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from postmock_core.errors import log_to_stderr
from postmock_core.serve.host import engine_ports
from postmock_core.serve.server import new_event_loop, tune_gc_for_serving
from postmock_core.store.workspace import Workspace

__all__ = ["main", "run_worker"]

log = logging.getLogger(__name__)


async def run_worker(ws: Workspace, host: str = "127.0.0.1", quiet: bool = False,
                     call_log: Workspace | None = None) -> int:
    """Serve what stdin commands until it closes (or SIGTERM)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    loop.add_signal_handler(signal.SIGTERM, reader.feed_eof)
    async with engine_ports(ws, host, quiet, call_log, reuse_port=True) as ports:
        while line := await reader.readline():
            match line.decode().split():
                case ["open", port, mock_id]:
                    try:
                        await ports.open(int(port), mock_id)
                    except OSError as e:
                        print(f"postmock: error: a worker cannot listen at {host}:{port}: {e.strerror or e}",
                              file=sys.stderr, flush=True)
                case ["close", port]:
                    await ports.close(int(port))
                case _:
                    log.error("postmock: worker: unknown command %r", line)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m postmock_core.serve.worker",
                                description="One worker of postmock serve --workers; driven by its parent.")
    p.add_argument("home", help="the workspace folder")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen at")
    p.add_argument("--quiet", action="store_true", help="print no line per call")
    p.add_argument("--call-log", metavar="DIR", help="write the call logs there, not into the workspace")
    args = p.parse_args(argv)
    # Ctrl-C reaches the whole process group: the parent decides when workers stop (it closes
    # their stdin), so they finish the calls in flight and write their call logs first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log_to_stderr()
    tune_gc_for_serving()
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        call_log = Workspace.open(args.call_log) if args.call_log else None
        return loop.run_until_complete(run_worker(Workspace.open(args.home), args.host, args.quiet, call_log))
    finally:
        loop.close()


if __name__ == "__main__":
    sys.exit(main())
