"""Writing mock call logs off the proxy's CPU: answers never wait for the disk or for JSON.

`CallWriter.add` only appends references to a queue. A background thread pickles what was
queued, at least every `SEND_INTERVAL` seconds, and pipes it to a writer process
(`python -m postmock_core.mock.callwriter HOME`, see `pipewriter`) that builds the log entries (`call_doc`) and
appends them to each mock's `CallLog` in batches, at least every `WRITE_INTERVAL` seconds, so
a call is on disk within half a second. `flush()` waits until everything sent is written;
`done()` flushes and stops the process. A writer process that dies is started again; a batch
no process can take is written by the thread itself.
"""

from __future__ import annotations

import logging
import pickle
import sys
import threading
from collections import deque
from typing import Any, NamedTuple

from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.mock.calllog import CallLog, call_doc
from postmock_core.store.pipewriter import ChildWriter, Emit, flush_request, run_child, wait_flushed
from postmock_core.store.workspace import Workspace

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
    redactor: Redactor | None = None  # set for an answer from the real API: redact it as history does
    found: SecretValues | None = None  # what was redacted from the request
    masks: SecretValues | None = None  # the mock's secret environment values


def write_calls(ws: Workspace, calls: list[Call], logs: dict[str, CallLog]) -> int:
    """Append calls to their mocks' logs (the newest cap wins); return how many were written."""
    by_mock: dict[str, list[dict[str, Any]]] = {}
    caps: dict[str, int] = {}
    for c in calls:
        by_mock.setdefault(c.mock_id, []).append(call_doc(
            c.request, c.response, c.started, c.duration_ms, c.example_id, c.example_name, c.score,
            redactor=c.redactor, found=c.found, masks=c.masks))
        caps[c.mock_id] = c.cap
    n = 0
    for mock_id, docs in by_mock.items():
        call_log = logs.get(mock_id)
        if call_log is None:
            call_log = logs[mock_id] = CallLog(ws, mock_id)
        call_log.append(docs, caps[mock_id])
        n += len(docs)
    return n


class CallSink:
    """Appends handed calls to their logs; a batch that cannot be written is reported and dropped."""

    def __init__(self, ws: Workspace, emit: Emit) -> None:
        self.ws = ws
        self.emit = emit
        self.pending: list[Call] = []
        self._logs: dict[str, CallLog] = {}
        self._failing: str | None = None

    def handle(self, msg: tuple[Any, ...]) -> None:
        if msg[0] == "calls":
            self.pending.extend(msg[1])

    def write(self) -> int:
        batch, self.pending = self.pending, []
        if not batch:
            return 0
        try:
            written = write_calls(self.ws, batch, self._logs)
        except Exception as e:  # noqa: BLE001 - report once per problem: the mock must keep answering
            problem = f"cannot write the call log: {e}"
            if problem != self._failing:
                self.emit(logging.ERROR, f"{problem}; {len(batch)} call(s) not logged; the mock keeps answering")
                self._failing = problem
            return 0
        self._failing = None
        return written


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
        self._proc = ChildWriter("postmock_core.mock.callwriter", str(ws.root), what="call log writer process",
                                 logger=log) if use_process else None
        # Writes in this thread when no process can take the calls.
        self._here = CallSink(ws, lambda level, text: log.log(level, "postmock: %s", text))

    def add(self, mock_id: str, cap: int, request: HttpRequest, response: HttpResponse, started: float,
            duration_ms: float, example_id: str | None = None, example_name: str | None = None,
            score: float | None = None, *, redactor: Redactor | None = None, found: SecretValues | None = None,
            masks: SecretValues | None = None) -> None:
        """Queue one call (cheap: nothing is converted here, the writer process redacts and masks).

        `request` must be redacted; `found` is what its redaction took out, `masks` the secret
        environment values; `redactor` redacts a `response` that came from the real API.
        """
        item = Call(mock_id, cap, request, response, started, duration_ms, example_id, example_name, score,
                    redactor, found, masks)
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

    def _send(self, extra: bytes = b"") -> bool:
        """Hand the queued calls (and `extra` messages) to the writer process, or write them here.

        True when the process took them."""
        with self._send_lock:
            with self._lock:
                batch, self._queue = list(self._queue), deque()
            if not batch and not extra:
                return False
            if self._proc is not None:
                try:
                    data = pickle.dumps(("calls", batch), protocol=pickle.HIGHEST_PROTOCOL) if batch else b""
                except (pickle.PicklingError, TypeError, AttributeError) as e:
                    log.error("postmock: cannot hand calls to the call log writer (%s); writing them here", e)
                    self._write_here(batch)
                    batch, data = [], b""
                if (data or extra) and self._proc.send(data + extra):
                    return True
            self._write_here(batch)
            return False

    def _write_here(self, batch: list[Call]) -> None:
        if batch:
            self._here.pending.extend(batch)
            self._here.write()

    def flush(self, timeout: float = 30.0) -> None:
        """Return once every call added so far is written."""
        token, message = flush_request()
        if self._send(message) and wait_flushed(token, timeout) is None:
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


# -- the writer process -------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m postmock_core.mock.callwriter HOME", file=sys.stderr)
        return 2
    run_child(lambda emit: CallSink(Workspace.open(args[0]), emit), WRITE_INTERVAL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
