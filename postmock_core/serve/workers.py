"""`postmock serve --workers N`: N processes answer at every mock's port (SO_REUSEPORT).

The parent follows the workspace (`MockHost`) and serves nothing itself: through `WorkerPorts`
it tells every worker (`serve/worker.py`) which ports to open and close. Before a port is handed
out, the parent binds it once without SO_REUSEPORT: a port something else holds (another
`postmock serve` included) is reported as taken instead of being silently shared. Each worker
reloads examples and settings, writes its call log and prints its call lines by itself. A worker
that dies is started again with the ports open at that moment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys

from postmock_core.serve.server import bind
from postmock_core.store.workspace import Workspace

__all__ = ["WorkerPorts", "worker_count"]

log = logging.getLogger(__name__)

STOP_TIMEOUT = 20.0


MAX_WORKERS = 64


def worker_count(value: str) -> int:
    """`auto` (one per core) or a number from 1 to `MAX_WORKERS`."""
    if value.strip().lower() == "auto":
        return max(1, min(MAX_WORKERS, os.cpu_count() or 1))
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"--workers {value!r} is not a positive number or auto")
    if n > MAX_WORKERS:
        raise ValueError(f"--workers {value} is more than {MAX_WORKERS}; one per core is enough (--workers auto)")
    return n


class WorkerPorts:
    """`Ports` served by N worker processes, all listening on each port."""

    def __init__(self, ws: Workspace, count: int, host: str = "127.0.0.1", quiet: bool = False,
                 call_log: Workspace | None = None) -> None:
        self.ws = ws
        self.call_log = call_log
        self.count = count
        self.host = host
        self.quiet = quiet
        self.open_ports: dict[int, str] = {}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.restarts = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "postmock_core.serve.worker", str(self.ws.root), "--host", self.host]
        if self.quiet:
            cmd.append("--quiet")
        if self.call_log is not None:
            cmd += ["--call-log", str(self.call_log.root)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        for port, mock_id in self.open_ports.items():
            self._send(proc, f"open {port} {mock_id}")
        return proc

    @staticmethod
    def _send(proc: subprocess.Popen[bytes], command: str) -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(command.encode() + b"\n")
            proc.stdin.flush()
        except OSError:
            pass  # it died: `check` starts it again with every open port

    def start(self) -> None:
        """Start the workers."""
        self.procs = [self._spawn() for _ in range(self.count)]

    def check(self) -> None:
        """Start again any worker that died."""
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                log.warning("postmock: worker %d exited with %s; starting it again", i + 1, proc.returncode)
                self.restarts += 1
                self.procs[i] = self._spawn()

    async def open(self, port: int, mock_id: str) -> None:
        bind(self.host, port).close()  # raises OSError when something holds the port
        self.open_ports[port] = mock_id
        for proc in self.procs:
            self._send(proc, f"open {port} {mock_id}")

    async def close(self, port: int) -> None:
        self.open_ports.pop(port, None)
        for proc in self.procs:
            self._send(proc, f"close {port}")

    async def stop(self) -> None:
        """Close the workers' stdin, so they finish and write their call logs, and wait."""
        for proc in self.procs:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        loop = asyncio.get_running_loop()
        for proc in self.procs:
            try:
                await loop.run_in_executor(None, proc.wait, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.error("postmock: a worker did not stop within %g s; killing it", STOP_TIMEOUT)
                proc.kill()
                proc.wait()
