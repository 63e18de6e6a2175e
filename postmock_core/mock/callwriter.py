"""Writing mock call logs off the proxy's CPU: answers never wait for the disk or for JSON.

`CallWriter.add` only appends references to a queue. A background thread pickles what was
queued, at least every `SEND_INTERVAL` seconds, and pipes it to a writer process
(`python -m postmock_core.mock.callwriter HOME`, see `pipewriter`) that builds and encodes the
log entries (`CallDocs`: a response many calls got is encoded once) and appends them to each
mock's `CallLog` in batches, at least every `WRITE_INTERVAL` seconds, so a call is on disk
within half a second. `flush()` waits until everything sent is written;
`done()` flushes and stops the process. Calls are numbered: a writer process that dies is
started again and resent every call it had not acknowledged, and skips those it had stored (see
`pipewriter`); calls no process could take by the end are written by the thread itself.
"""

from __future__ import annotations

import itertools
import logging
import pickle
import sys
import threading
from collections import deque
from typing import Any, NamedTuple

from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.mock.calllog import CallDocs, CallLog
from postmock_core.store.pipewriter import (
    ChildWriter,
    Emit,
    Message,
    flush_request,
    run_child,
    wait_flushed,
)
from postmock_core.store.workspace import Workspace

__all__ = ["QUEUE_CAP", "SEND_INTERVAL", "WRITE_INTERVAL", "CallWriter", "write_calls"]

log = logging.getLogger(__name__)

SEND_INTERVAL = 0.1
WRITE_INTERVAL = 0.4
SEND_PIECE = 128  # calls pickled at a time
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
    seq: int = 0  # its number in the sending process's session (0: not numbered)


# How a queued call travels to the writer process: `Call`'s fields in order, the request's nine
# spread out. A flat tuple of plain values pickles in C, three times faster than a `Call`.
Flat = tuple[Any, ...]


def _unflat(t: Flat) -> Call:
    """The `Call` a flat tuple (made in `CallWriter.add`) stands for."""
    return Call(t[0], t[1], HttpRequest(*t[2:11]), *t[11:])


def write_calls(ws: Workspace, calls: list[Call], logs: dict[str, CallLog], session: str | None = None,
                stored: dict[str, int] | None = None, making: CallDocs | None = None) -> int:
    """Append calls to their mocks' logs (the newest cap wins); return how many were written.

    With `session`, numbered calls a log already holds are skipped, and `stored` (by mock ID,
    the highest number each log holds) is kept up to date. `making` encodes the entries
    (a writer keeps one for every batch, so it remembers what repeats between them)."""
    stored = {} if stored is None else stored
    by_mock: dict[str, list[Call]] = {}
    for c in calls:
        by_mock.setdefault(c.mock_id, []).append(c)
    n = 0
    making = CallDocs() if making is None else making
    for mock_id, mine in by_mock.items():
        call_log = logs.get(mock_id)
        if call_log is None:
            call_log = logs[mock_id] = CallLog(ws, mock_id)
        writer = None
        if session is not None and all(c.seq for c in mine):
            if mock_id not in stored:
                stored[mock_id] = call_log.stored_seq(session)
            mine = [c for c in mine if c.seq > stored[mock_id]]  # resent, but stored before
            writer = (session, [c.seq for c in mine], stored[mock_id])
        docs = [making.encoded(c.request, c.response, c.started, c.duration_ms, c.example_id, c.example_name, c.score,
                           redactor=c.redactor, found=c.found, masks=c.masks) for c in mine]
        call_log.append(docs, mine[-1].cap if mine else 0, writer)
        if writer is not None and mine:
            stored[mock_id] = mine[-1].seq
        n += len(docs)
    return n


class CallSink:
    """Appends handed calls to their logs; a batch that cannot be written is reported and dropped.

    `durable` is the highest call number handled (stored, skipped as stored, or dropped)."""

    def __init__(self, ws: Workspace, emit: Emit) -> None:
        self.ws = ws
        self.emit = emit
        self.pending: list[Call] = []
        self.session: str | None = None
        self.durable = 0
        self._stored: dict[str, int] = {}  # by mock ID: the highest call number its log holds
        self._logs: dict[str, CallLog] = {}
        self._making = CallDocs()
        self._failing: str | None = None

    def handle(self, msg: tuple[Any, ...]) -> None:
        if msg[0] == "session":
            self.session, self._stored = msg[1], {}
        elif msg[0] == "flat":
            self.pending.extend(map(_unflat, msg[1]))
        elif msg[0] == "calls":
            self.pending.extend(msg[1])

    def write(self) -> int:
        batch, self.pending = self.pending, []
        if not batch:
            return 0
        self.durable = max(self.durable, *(c.seq for c in batch))
        try:
            written = write_calls(self.ws, batch, self._logs, self.session, self._stored, self._making)
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
        self._queue: deque[Flat] = deque(maxlen=QUEUE_CAP)
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc = ChildWriter("postmock_core.mock.callwriter", str(ws.root), what="call log writer process",
                                 logger=log, sequenced=True, unit="call", max_kept=QUEUE_CAP) if use_process else None
        self._seq = itertools.count(1)
        # Writes in this thread when no process can take the calls (as the same session, so a
        # call a process stored is not stored twice).
        self._here = CallSink(ws, lambda level, text: log.log(level, "postmock: %s", text))
        self._here.session = self._proc.session if self._proc is not None else None

    def add(self, mock_id: str, cap: int, request: HttpRequest, response: HttpResponse, started: float,
            duration_ms: float, example_id: str | None = None, example_name: str | None = None,
            score: float | None = None, *, redactor: Redactor | None = None, found: SecretValues | None = None,
            masks: SecretValues | None = None) -> None:
        """Queue one call (cheap: nothing is converted here, the writer process redacts and masks).

        `request` must be redacted; `found` is what its redaction took out, `masks` the secret
        environment values; `redactor` redacts a `response` that came from the real API.
        """
        item = (mock_id, cap, request.method, request.scheme, request.host, request.port, request.path,
                request.query, request.headers, request.body, request.http_version, response, started,
                duration_ms, example_id, example_name, score, redactor, found, masks, next(self._seq))
        queue = self._queue
        if len(queue) == queue.maxlen:
            self.dropped += 1
        queue.append(item)  # atomic: a full queue drops its oldest call
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
                if self._proc is not None:
                    self._proc.pump()  # a writer that died gets a successor for what it had not stored
            except Exception:  # the sender must outlive a bug in one batch
                log.exception("postmock: sending calls to the call log writer failed unexpectedly")

    def _send(self, extra: bytes = b"") -> bool:
        """Hand the queued calls (and `extra` messages) to the writer process, or write them here.

        The process keeps calls until they are stored; True when `extra` reached it."""
        with self._send_lock:
            queue = self._queue  # one taker (this lock); `add` appends meanwhile
            batch = [queue.popleft() for _ in range(len(queue))]
            if not batch and not extra:
                return False
            if self._proc is None:
                self._write_here(batch)
                return False
            messages: list[Message] = []
            # In pieces: pickling holds the GIL, and answers wait while it does.
            for start in range(0, len(batch), SEND_PIECE):
                piece = batch[start:start + SEND_PIECE]
                try:
                    data = pickle.dumps(("flat", piece), protocol=pickle.HIGHEST_PROTOCOL)
                except (pickle.PicklingError, TypeError, AttributeError) as e:
                    log.error("postmock: cannot hand calls to the call log writer (%s); writing them here", e)
                    self._write_here(piece)
                else:
                    messages.append((piece[-1][-1], data, len(piece)))
            if extra:
                messages.append((None, extra, 0))
            return self._proc.send_messages(messages) and bool(extra)

    def _write_here(self, batch: list[Flat]) -> None:
        if batch:
            self._here.pending.extend(map(_unflat, batch))
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
            for left in self._proc.leftovers():  # no process could be started to take them
                self._write_here(pickle.loads(left)[1])


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
