"""The recorder's writer process: converts, redacts and stores what the proxy captured.

`python -m postmock_core.mitm.record_writer HOME` reads a stream of pickled messages on stdin from
the `Recorder` addon, its parent, and answers with lines on stdout (see `pipewriter`):

    ("session", id)                              who is sending: the numbers below are this session's
    ("config", headers, keys, body_limit)        redaction and size rules for the flows that follow
    ("flow", seq, request, response, error, mode) a numbered flow, its parts as `get_state()` dicts
    ("flush", token)                             write now, then answer `FLUSHED <token> <written>`
    stdout: `LOG <level> <message>`              for the parent to log
            `ACK <seq>`                          every flow up to `seq` is stored

It writes a batch at least every `FLUSH_INTERVAL` seconds, in its own process so the proxy
never shares a CPU or the GIL with JSON encoding and disk writes. When stdin closes (the proxy
stopped, or died) it writes what is left and exits. A writer started after another died is
resent what that one had not acknowledged, and skips the flows the store already holds.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from mitmproxy import http
from mitmproxy.flow import Error

from postmock_core.exchange import Exchange
from postmock_core.history.redaction import Redactor
from postmock_core.history.store import HistoryStore
from postmock_core.mitm.flows import exchange_from_parts
from postmock_core.store.pipewriter import Emit, run_child, serve
from postmock_core.store.workspace import Workspace

__all__ = ["DEFAULT_BODY_LIMIT", "FLUSH_INTERVAL", "QUEUE_CAP", "Writer", "main", "serve"]

FLUSH_INTERVAL = 0.5
# Exchanges held in memory while the store cannot be written; past this the oldest go.
QUEUE_CAP = 10_000
DEFAULT_BODY_LIMIT = 10 * 1024 * 1024


def _cut(body: bytes, limit: int) -> bytes:
    """The first `limit` bytes, not splitting a UTF-8 character of a text body."""
    cut = body[:limit]
    try:
        cut.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= limit - 3 and e.reason == "unexpected end of data":
            return cut[:e.start]
    return cut


class Writer:
    """Turns flow messages into redacted exchanges and appends them to history in batches.

    A failed write keeps the batch for the next one and is reported once per distinct
    problem; past `cap` held exchanges the oldest are dropped, and counted.
    """

    def __init__(self, home: str, emit: Emit, cap: int = QUEUE_CAP) -> None:
        self.home = home
        self.history: HistoryStore | None = None  # opened on the first write, retried if it fails
        self.emit = emit
        self.cap = cap
        self.redactor = Redactor()
        self.body_limit = DEFAULT_BODY_LIMIT
        self.pending: list[tuple[int | None, Exchange | None]] = []  # (seq, exchange; None: unreadable)
        self.session: str | None = None
        self.stored: int | None = None  # the highest seq of this session in the store, once read
        self.durable = 0  # every flow up to this seq is stored (or was dropped for good)
        self.skipped = 0  # resent flows that were stored already
        self._skips_reported = 0
        self.recorded = 0
        self.lost = 0
        self._problems: set[str] = set()  # write failures now in force
        self._bad_flows: set[str] = set()  # conversion failures already reported

    def handle(self, msg: tuple[Any, ...]) -> None:
        kind = msg[0]
        if kind == "session":
            self.session, self.stored = msg[1], None
        elif kind == "config":
            _, headers, keys, self.body_limit = msg
            self.redactor = Redactor.build(headers, keys)
        elif kind == "flow":
            seq = msg[1]
            if seq is not None and self.stored is not None and seq <= self.stored:
                self.skipped += 1  # resent, but its predecessor had stored it
                self.durable = max(self.durable, seq)
                return
            try:
                ex: Exchange | None = self.convert(*msg[2:])
            except Exception as e:  # noqa: BLE001 - one odd flow must not stop the recording
                self._report(f"cannot convert a recorded flow: {e!r}", "it is skipped", self._bad_flows)
                ex = None
            self.pending.append((seq, ex))
            if len(self.pending) > self.cap:
                excess = len(self.pending) - self.cap
                del self.pending[:excess]
                self.lost += excess
                self.emit(logging.WARNING, f"recording queue full: dropped the {excess} oldest exchange(s) "
                                           f"({self.lost} lost since start); the history store cannot be written")

    def convert(self, req: dict[str, Any], resp: dict[str, Any] | None, err: dict[str, Any] | None,
                mode: str) -> Exchange:
        request = http.Request.from_state(req)
        response = http.Response.from_state(resp) if resp else None
        error = Error.from_state(err) if err else None
        ex = self.redactor.exchange(exchange_from_parts(request, response, error, mode))
        # No body kept at all: streamed through (stream_large_bodies), or the peer hung up.
        if request.raw_content is None:
            ex.truncated.append("request.body")
        if response is not None and response.raw_content is None:
            ex.truncated.append("response.body")
        # Redact first: a cut JSON or form body could no longer be parsed to find its secrets.
        limit = self.body_limit
        if limit:
            if len(ex.request.body) > limit:
                ex.request.body = _cut(ex.request.body, limit)
                ex.truncated.append("request.body")
            if ex.response is not None and len(ex.response.body) > limit:
                ex.response.body = _cut(ex.response.body, limit)
                ex.truncated.append("response.body")
        return ex

    def write(self) -> int:
        """Append what is pending; return how many were written (0 when it failed)."""
        if not self.pending:
            return 0
        try:
            if self.history is None:
                self.history = HistoryStore(Workspace.open(self.home))
            skipped = self._skip_stored(self.history)
            exchanges: list[Exchange] = []
            numbers: list[int] = []
            for seq, ex in self.pending:
                if ex is not None:
                    exchanges.append(ex)
                    numbers += [seq] if seq is not None else []
            numbered = self.session is not None and len(numbers) == len(exchanges)
            writer = (self.session, numbers, self.stored or 0) if numbered and self.session else None
            ids = self.history.append(exchanges, writer=writer)
        except Exception as e:  # noqa: BLE001 - disk, permissions, corrupt files: all retried
            self._report(f"cannot write to the history store in {self.home}: {e}",
                         f"{len(self.pending)} exchange(s) kept in memory and retried every "
                         f"{FLUSH_INTERVAL:g} s; the proxy keeps forwarding traffic", self._problems)
            return 0
        if self._problems:
            self.emit(logging.WARNING, f"recording resumed: wrote {len(ids)} held exchange(s)")
            self._problems.clear()
        if skipped:
            self.emit(logging.INFO, f"skipped {skipped} resent exchange(s) already stored")
        seqs = [seq for seq, _ in self.pending if seq is not None]
        if seqs:
            self.durable = max(self.durable, *seqs)
        if writer is not None and numbers:
            self.stored = max(self.stored or 0, *numbers)
        self.pending = []
        self.recorded += len(ids)
        return len(ids)

    def _skip_stored(self, history: HistoryStore) -> int:
        """Drop pending flows the store already holds (resent after a writer died); how many."""
        if self.session is None:
            return 0
        if self.stored is None:
            self.stored = history.stored_seq(self.session)
            self.durable = max(self.durable, self.stored)
        before = len(self.pending)
        self.pending = [(seq, ex) for seq, ex in self.pending if seq is None or seq > self.stored]
        self.skipped += before - len(self.pending)
        reported, self._skips_reported = self._skips_reported, self.skipped
        return self.skipped - reported

    def _report(self, problem: str, consequence: str, seen: set[str]) -> None:
        # Loud, but once per distinct problem rather than once per flow or per retry.
        if problem not in seen:
            seen.add(problem)
            self.emit(logging.ERROR, f"{problem}; {consequence}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m postmock_core.mitm.record_writer",
                                     description="The postmock recorder's writer process (started by the addon).")
    parser.add_argument("home", help="workspace folder")
    parser.add_argument("--queue-cap", type=int, default=QUEUE_CAP, help="exchanges held at most")
    args = parser.parse_args(argv)
    writer = run_child(lambda emit: Writer(args.home, emit, args.queue_cap), FLUSH_INTERVAL)
    if writer.pending:
        writer.emit(logging.ERROR, f"{len(writer.pending)} recorded exchange(s) could not be written and are lost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
