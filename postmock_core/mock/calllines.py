"""One printed line per call, for a terminal watching `postmock serve`.

    14:03:21.127  users  GET /users/1?page=2  200  Ada  0.4 ms

Lines are formatted as calls are answered and written out together a few times a second, so
a busy mock makes one write per batch, not one per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import TextIO

from postmock_core.exchange import HttpRequest
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.service import Reply

__all__ = ["CallPrinter", "call_line"]

FLUSH_INTERVAL = 0.1
WRITE_SIZE = 4096  # PIPE_BUF on Linux
MAX_PENDING = 10_000  # lines held while the terminal cannot keep up; past this they are counted


def call_line(when: float, mock: MockConfig | None, request: HttpRequest, reply: Reply,
              duration_ms: float) -> str:
    """time, mock, method, path, status, example, duration."""
    stamp = time.strftime("%H:%M:%S", time.localtime(when)) + f".{int(when * 1000) % 1000:03d}"
    name = mock.name if mock is not None else "(no mock)"
    example = reply.example_name or "No matching requests"
    return (f"{stamp}  {name}  {request.method} {request.path_with_query}  {reply.status}  "
            f"{example}  {duration_ms:.1f} ms")


class CallPrinter:
    """A `CallListener` that prints each call's line, in batches, from the event loop."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.dropped = 0
        self._pending: list[str] = []
        self._task: asyncio.Task[None] | None = None

    def __call__(self, mock: MockConfig | None, request: HttpRequest, reply: Reply, duration_ms: float) -> None:
        if len(self._pending) >= MAX_PENDING:
            self.dropped += 1
            return
        self._pending.append(call_line(time.time(), mock, request, reply, duration_ms))
        if self._task is None:
            with contextlib.suppress(RuntimeError):  # no running loop: flush() writes them
                self._task = asyncio.get_running_loop().create_task(self._flushing())

    async def _flushing(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            self.flush()

    def flush(self) -> None:
        """Write the lines gathered so far."""
        lines, self._pending = self._pending, []
        if self.dropped:
            lines.append(f"postmock: {self.dropped} call line(s) not printed: the terminal was too slow")
            self.dropped = 0
        if not lines:
            return
        with contextlib.suppress(OSError, ValueError):  # a closed terminal must not stop the mock
            # Whole lines, at most PIPE_BUF bytes a write: worker processes share the terminal,
            # and a pipe keeps writes that size from interleaving.
            chunk: list[str] = []
            size = 0
            for line in lines:
                if chunk and size + len(line) + 1 > WRITE_SIZE:
                    self._write(chunk)
                    chunk, size = [], 0
                chunk.append(line)
                size += len(line) + 1
            self._write(chunk)

    def _write(self, lines: list[str]) -> None:
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()

    async def aclose(self) -> None:
        """Stop the periodic writes and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.flush()
