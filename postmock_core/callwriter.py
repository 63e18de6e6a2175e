"""Writing mock call logs off the proxy's CPU: answers never wait for the disk or for JSON.

`CallWriter.add` only appends references to a queue. A background thread pickles what was
queued, at least every `SEND_INTERVAL` seconds, and pipes it to a writer process
(`python -m postmock_core.callwriter HOME`) that builds the log entries (`call_doc`) and
appends them to each mock's `CallLog` in batches, at least every `WRITE_INTERVAL` seconds, so
a call is on disk within half a second. `flush()` waits until everything sent is written;
`done()` flushes and stops the process. A writer process that dies is started again and
the batch resent; if none can be started, the thread writes the batch itself.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any, BinaryIO, NamedTuple

import postmock_core
from postmock_core.calllog import CallLog, call_doc
from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.workspace import Workspace

__all__ = ["QUEUE_CAP", "SEND_INTERVAL", "WRITE_INTERVAL", "CallWriter", "write_calls"]

log = logging.getLogger(__name__)

SEND_INTERVAL = 0.1
WRITE_INTERVAL = 0.4
# Calls held while nothing can be written; past this the oldest are dropped.
QUEUE_CAP = 50_000


class Call(NamedTuple):
    mock_id: str
    cap: int
    request: HttpRequest
    response: HttpResponse
    started: float
    duration_ms: float
    example_id: str | None
    example_name: str | None
    score: float | None


def write_calls(ws: Workspace, calls: list[Call], logs: dict[str, CallLog]) -> int:
    """Append calls to their mocks' logs (the newest cap wins); return how many were written."""
    by_mock: dict[str, list[dict[str, Any]]] = {}
    caps: dict[str, int] = {}
    for c in calls:
        by_mock.setdefault(c.mock_id, []).append(call_doc(
            c.request, c.response, c.started, c.duration_ms, c.example_id, c.example_name, c.score))
        caps[c.mock_id] = c.cap
    n = 0
    for mock_id, docs in by_mock.items():
        call_log = logs.get(mock_id)
        if call_log is None:
            call_log = logs[mock_id] = CallLog(ws, mock_id)
        call_log.append(docs, caps[mock_id])
        n += len(docs)
    return n


class _Process:
    """One running writer process and its acknowledgement pipe."""

    def __init__(self, home: Path) -> None:
        package_root = str(Path(postmock_core.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen([sys.executable, "-m", "postmock_core.callwriter", str(home)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     start_new_session=True)
        self.stdin: IO[bytes] = self.proc.stdin  # type: ignore[assignment]
        self.stdout: IO[bytes] = self.proc.stdout  # type: ignore[assignment]

    def send(self, message: tuple[Any, ...]) -> None:
        pickle.dump(message, self.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.stdin.flush()

    def close(self, timeout: float = 60.0) -> None:
        try:
            self.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("postmock: the call log writer did not finish within %g s; stopping it", timeout)
            self.proc.kill()
            self.proc.wait()


class CallWriter:
    """One background writer for the call logs of every mock a process serves."""

    def __init__(self, ws: Workspace, use_process: bool = True) -> None:
        self.ws = ws
        self.use_process = use_process
        self.dropped = 0
        self._queue: deque[Call] = deque()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: _Process | None = None
        self._spawned_at = 0.0
        self._logs: dict[str, CallLog] = {}  # for writing in-thread, when no process can run
        self._failing: str | None = None

    def add(self, mock_id: str, cap: int, request: HttpRequest, response: HttpResponse, started: float,
            duration_ms: float, example_id: str | None = None, example_name: str | None = None,
            score: float | None = None) -> None:
        """Queue one call (cheap: nothing is converted here). `request` must be redacted."""
        item = Call(mock_id, cap, request, response, started, duration_ms, example_id, example_name, score)
        with self._lock:
            if len(self._queue) >= QUEUE_CAP:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(item)
        if self._thread is None:
            self.start()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="postmock-calllog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(SEND_INTERVAL)
            self._wake.clear()
            try:
                self._send()
            except Exception:  # the sender must outlive a bug in one batch
                log.exception("postmock: sending calls to the call log writer failed unexpectedly")

    def _process(self) -> _Process | None:
        if not self.use_process:
            return None
        if self._proc is not None and self._proc.proc.poll() is None:
            return self._proc
        if self._proc is not None:
            log.error("postmock: the call log writer exited with %s; starting another", self._proc.proc.returncode)
            self._proc = None
        if time.monotonic() - self._spawned_at < 5.0 and self._spawned_at:
            return None  # it keeps dying: write in this thread for now
        self._spawned_at = time.monotonic()
        try:
            self._proc = _Process(self.ws.root)
        except OSError as e:
            log.error("postmock: cannot start the call log writer (%s); writing from the proxy process", e)
        return self._proc

    def _send(self, message: tuple[Any, ...] | None = None) -> None:
        with self._send_lock:
            with self._lock:
                batch, self._queue = list(self._queue), deque()
            if not batch and message is None:
                return
            proc = self._process()
            if proc is not None:
                try:
                    if batch:
                        proc.send(("calls", batch))
                    if message is not None:
                        proc.send(message)
                    return
                except (OSError, pickle.PicklingError) as e:
                    log.error("postmock: the call log writer stopped taking calls (%s)", e)
            self._write_here(batch)

    def _write_here(self, batch: list[Call]) -> None:
        if not batch:
            return
        try:
            write_calls(self.ws, batch, self._logs)
            self._failing = None
        except Exception as e:  # noqa: BLE001 - any failure is reported; the mock keeps answering
            problem = f"cannot write the call log: {e}"
            if problem != self._failing:
                log.error("postmock: %s; %d call(s) not logged; the mock keeps answering", problem, len(batch))
                self._failing = problem

    def flush(self, timeout: float = 30.0) -> None:
        """Return once every call added so far is written."""
        self._send(("flush",))
        proc = self._proc
        if proc is None:
            return  # written in this thread already
        if _ready(proc.stdout, timeout):
            proc.stdout.readline()
        else:
            log.error("postmock: the call log writer did not confirm a flush within %g s", timeout)

    def done(self) -> None:
        """Stop the sender thread, hand over what is left, and wait for it to be written."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._send()
        if self._proc is not None:
            self._proc.close()
            self._proc = None


def _ready(stream: IO[bytes], timeout: float) -> bool:
    import select

    return bool(select.select([stream], [], [], timeout)[0])


# -- the writer process -------------------------------------------------------------------------
def serve(stdin: BinaryIO, stdout: BinaryIO, ws: Workspace) -> int:
    """Read pickled messages until EOF, writing calls at least every `WRITE_INTERVAL` seconds."""
    pending: list[Call] = []
    lock = threading.Lock()
    flushes: list[int] = []
    eof = threading.Event()

    def read() -> None:
        try:
            while True:
                message = pickle.load(stdin)
                with lock:
                    if message[0] == "calls":
                        pending.extend(message[1])
                    elif message[0] == "flush":
                        flushes.append(1)
        except (EOFError, pickle.UnpicklingError, OSError):
            pass
        finally:
            eof.set()

    threading.Thread(target=read, name="reader", daemon=True).start()
    logs: dict[str, CallLog] = {}
    failing = None
    while True:
        stopping = eof.wait(WRITE_INTERVAL)
        with lock:
            batch = pending[:]
            del pending[:]
            acks = len(flushes)
            del flushes[:]
        if batch:
            try:
                write_calls(ws, batch, logs)
                failing = None
            except Exception as e:  # noqa: BLE001 - report once, keep serving: the mock must keep answering
                if str(e) != failing:
                    print(f"postmock: cannot write the call log: {e}; {len(batch)} call(s) not logged",
                          file=sys.stderr, flush=True)
                    failing = str(e)
        for _ in range(acks):
            stdout.write(b"FLUSHED\n")
            stdout.flush()
        if stopping:
            return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m postmock_core.callwriter HOME", file=sys.stderr)
        return 2
    import signal

    # Ctrl-C reaches the whole terminal's process group; the proxy closes our input instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return serve(sys.stdin.buffer, sys.stdout.buffer, Workspace.open(args[0]))


if __name__ == "__main__":
    sys.exit(main())
