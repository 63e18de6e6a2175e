"""The recording addon: every completed or failed HTTP exchange, redacted, into history.

The proxy never waits on the disk, nor shares its CPU with JSON encoding. The `response` and
`error` hooks only pickle the flow's request, response and error (mitmproxy's `get_state()`,
a few microseconds) onto a queue. A sender thread pipes the queue to a writer process
(`record_writer`) that converts, redacts and appends them to history in batches at least
every half second, reports problems back for this addon to log, and retries failed writes.
If the proxy dies, the writer still stores everything it was sent, then exits. If the writer
dies, every exchange it had not confirmed stored is resent to the next one (see `pipewriter`),
which skips those its predecessor had stored already.
"""

from __future__ import annotations

import itertools
import logging
import pickle
import threading
import weakref
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from mitmproxy import ctx, exceptions, flowfilter, http

from postmock_core.history.redaction import DEFAULT_HEADERS, DEFAULT_KEYS
from postmock_core.mitm import record_writer
from postmock_core.mitm.flows import flow_mode
from postmock_core.mitm.options import (
    HOME_OPTION,
    add_home_option,
    check_given_values,
    one_line_option_errors,
    report_unknown_options,
    workspace_from_options,
)
from postmock_core.store.pipewriter import ChildWriter, flush_request, wait_flushed

__all__ = ["DEFAULT_BODY_LIMIT", "FLUSH_INTERVAL", "QUEUE_CAP", "SKIP_METADATA", "Recorder"]

log = logging.getLogger(__name__)

# A flow whose metadata has this key set (e.g. one a mock answered) is not recorded.
SKIP_METADATA = "postmock_skip_record"
FLUSH_INTERVAL = record_writer.FLUSH_INTERVAL
DEFAULT_BODY_LIMIT = record_writer.DEFAULT_BODY_LIMIT
QUEUE_CAP = record_writer.QUEUE_CAP
SEND_INTERVAL = 0.05

OPTIONS = (HOME_OPTION, "postmock_record", "postmock_record_filter", "postmock_redact_headers",
           "postmock_redact_keys", "postmock_redact_extra_headers", "postmock_redact_extra_keys",
           "postmock_body_limit")
_REDACT_OPTIONS = {"postmock_redact_headers", "postmock_redact_keys",
                   "postmock_redact_extra_headers", "postmock_redact_extra_keys", "postmock_body_limit"}


def _names(values: Sequence[str]) -> list[str]:
    """Option values, each of which may also be a comma-separated list."""
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


class Recorder:
    """mitmproxy addon that records exchanges into the postmock history store."""

    def __init__(self, announce: bool = True) -> None:
        # A mock server's own recorder stores only the misses of mocks set to record: it does
        # not claim to be recording.
        self.announce = announce
        self.home: Path | None = None
        self.filter: flowfilter.TFilter | None = None
        self.active = True
        self.is_running = False
        self.lost = 0  # exchanges dropped because the writer could not keep up
        self._seen: weakref.WeakSet[http.HTTPFlow] = weakref.WeakSet()
        self._lock = threading.Lock()
        # (kind, payload, seq): a pickled flow/config/flush message for the writer (flows numbered),
        # or ("home", path, None).
        self._outgoing: deque[tuple[str, Any, int | None]] = deque()
        self._seq = itertools.count(1)
        self._overflow = 0
        self._queued_flows = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._sender: threading.Thread | None = None
        self._writer: ChildWriter | None = None
        self._writer_home: Path | None = None  # where what the sender sends next belongs
        self._config: bytes = b""  # the newest rules: every new writer gets them first

    # -- options ------------------------------------------------------------------------------
    def load(self, loader: Any) -> None:
        add_home_option(loader)
        loader.add_option(
            "postmock_record", bool, True,
            "Record exchanges into postmock history. Set it to false to pause recording and back "
            "to true to resume, at any time, without restarting the proxy.",
        )
        loader.add_option(
            "postmock_record_filter", Optional[str], None,  # noqa: UP045 - mitmproxy's typespec
            "A mitmproxy filter expression (e.g. '~d api.example.com & !~a'); only matching "
            "flows are recorded. Unset records everything.",
        )
        loader.add_option(
            "postmock_redact_headers", Sequence[str], list(DEFAULT_HEADERS),
            "Header names whose values are replaced by [REDACTED] before anything is written. "
            "Setting this replaces the built-in list; use postmock_redact_extra_headers to add to it.",
        )
        loader.add_option(
            "postmock_redact_keys", Sequence[str], list(DEFAULT_KEYS),
            "Query, form, multipart and JSON keys (in any case or spelling: accessToken = access_token) "
            "whose values are replaced by [REDACTED] before anything is "
            "written. Setting this replaces the built-in list; use postmock_redact_extra_keys to add to it.",
        )
        loader.add_option(
            "postmock_redact_extra_headers", Sequence[str], [],
            "More header names to redact, on top of postmock_redact_headers.",
        )
        loader.add_option(
            "postmock_redact_extra_keys", Sequence[str], [],
            "More query, form and JSON keys to redact, on top of postmock_redact_keys.",
        )
        loader.add_option(
            "postmock_body_limit", int, DEFAULT_BODY_LIMIT,
            "The largest request or response body stored, in bytes; a larger one is cut to this "
            "size and the exchange is marked truncated. 0 stores bodies whole.",
        )
        check_given_values(loader, OPTIONS)

    @one_line_option_errors
    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if "postmock_home" in updated:
            home = workspace_from_options(opts.postmock_home).root
            if home != self.home:
                self.home = home
                self._enqueue("home", home)
                if self.announce:
                    log.info("recording into %s", home / "history")
                else:
                    log.debug("misses of mocks set to record go into %s", home / "history")
        if "postmock_record_filter" in updated:
            expr = opts.postmock_record_filter
            try:
                self.filter = flowfilter.parse(expr) if expr else None
            except ValueError as e:
                raise exceptions.OptionsError(
                    f"postmock_record_filter: {e}; see 'mitmdump --help' or the filter docs") from e
        if "postmock_body_limit" in updated and opts.postmock_body_limit < 0:
            raise exceptions.OptionsError(
                f"postmock_body_limit must be 0 (no limit) or a number of bytes, not {opts.postmock_body_limit}")
        if updated & _REDACT_OPTIONS:
            # In the queue, so flows captured from now on are redacted by the new rules.
            self._config = pickle.dumps((
                "config",
                _names(opts.postmock_redact_headers) + _names(opts.postmock_redact_extra_headers),
                _names(opts.postmock_redact_keys) + _names(opts.postmock_redact_extra_keys),
                opts.postmock_body_limit,
            ))
            self._enqueue("config", self._config)
        if "postmock_record" in updated and opts.postmock_record != self.active:
            self.active = opts.postmock_record
            log.log(logging.INFO if self.announce else logging.DEBUG,
                    "recording %s", "resumed" if self.active else "paused")

    # -- hooks (on the event loop: keep them cheap) ---------------------------------------------
    def running(self) -> None:
        self.is_running = True
        report_unknown_options(ctx.options)
        self._start()

    def response(self, flow: http.HTTPFlow) -> None:
        self._seen.add(flow)
        self._capture(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        # A flow can fail after its response was recorded (client gone while it was sent).
        if flow not in self._seen:
            self._capture(flow)

    def _capture(self, flow: http.HTTPFlow) -> None:
        if not self.active or flow.request is None or flow.metadata.get(SKIP_METADATA):
            return
        if self.filter is not None and not self.filter(flow):
            return
        resp, err = flow.response, flow.error
        seq = next(self._seq)
        self._enqueue("flow", pickle.dumps((
            "flow", seq, flow.request.get_state(), resp.get_state() if resp else None,
            err.get_state() if err else None, flow_mode(flow),
        ), protocol=pickle.HIGHEST_PROTOCOL), seq)

    def _enqueue(self, kind: str, payload: Any, seq: int | None = None) -> None:
        with self._lock:
            if kind == "flow":
                if self._queued_flows >= QUEUE_CAP:
                    self._drop_oldest_flow()
                self._queued_flows += 1
            self._outgoing.append((kind, payload, seq))

    def _drop_oldest_flow(self) -> None:
        # Rules, store switches and flush requests are never dropped: what follows needs them.
        for i, (kind, _, _) in enumerate(self._outgoing):
            if kind == "flow":
                del self._outgoing[i]
                self._overflow += 1
                self._queued_flows -= 1
                return

    def done(self) -> None:
        """Send what is queued, let the writer store it, and wait for it to finish."""
        self._stop.set()
        self._wake.set()
        if self._sender is not None:
            self._sender.join()
            self._sender = None
        else:
            self._send_pending()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def flush(self, timeout: float = 60.0) -> int:
        """Have everything captured so far written now; return how many the writer stored."""
        token, message = flush_request()
        self._enqueue("flush", message)
        self._start()
        self._wake.set()
        written = wait_flushed(token, timeout)
        if written is None:
            raise TimeoutError(f"the recorder's writer did not answer within {timeout:g} s")
        return written

    # -- the sender thread --------------------------------------------------------------------
    def _start(self) -> None:
        if self._sender is None and not self._stop.is_set():
            self._sender = threading.Thread(target=self._run, name="postmock-sender", daemon=True)
            self._sender.start()

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            try:
                self._send_pending()
            except Exception:  # the sender must outlive any bug in one batch
                log.exception("postmock: recording failed unexpectedly")
            if stopping:
                return
            if self._writer is not None:
                self._writer.pump()  # a writer that died gets a successor for what it had not stored
            self._wake.wait(SEND_INTERVAL)
            self._wake.clear()

    def _send_pending(self) -> None:
        with self._lock:
            items = list(self._outgoing)
            self._outgoing.clear()
            self._queued_flows = 0
            lost, self._overflow = self._overflow, 0
        if lost:
            self.lost += lost
            log.warning("postmock: recording queue full: dropped the %d oldest exchange(s) (%d lost "
                        "since start); the recorder's writer cannot keep up", lost, self.lost)
        chunk: list[tuple[str, Any, int | None]] = []
        for i, (kind, payload, seq) in enumerate(items):
            if kind == "home":  # finish with the old store first, then switch
                left = self._write(chunk)
                if left:
                    self._requeue(left + items[i:])
                    return
                chunk = []
                if self._writer is not None and self._writer_home != payload:
                    self._writer.close()
                    self._writer = None
                self._writer_home = payload
            else:
                chunk.append((kind, payload, seq))
        left = self._write(chunk)
        if left:
            self._requeue(left)

    def _requeue(self, items: list[tuple[str, Any, int | None]]) -> None:
        if self._stop.is_set():
            flows = sum(1 for kind, _, _ in items if kind == "flow")
            if flows:
                self.lost += flows
                log.error("postmock: %d recorded exchange(s) could not be handed to the writer and are lost",
                          flows)
            return
        with self._lock:
            self._outgoing.extendleft(reversed(items))
            self._queued_flows += sum(1 for kind, _, _ in items if kind == "flow")

    def _write(self, chunk: list[tuple[str, Any, int | None]]) -> list[tuple[str, Any, int | None]]:
        """Pipe `chunk` to the writer; what must be sent again later (nothing: it all went).

        Flows are never in it once a writer has them: it keeps them until they are stored."""
        if not chunk:
            return []
        if self._writer is None:
            if self._writer_home is None:
                return chunk
            # -O: mitmproxy type-checks every message it builds unless optimised, and these
            # come straight from its own get_state().
            self._writer = ChildWriter("postmock_core.mitm.record_writer", str(self._writer_home), "--queue-cap",
                                       str(QUEUE_CAP), what="recorder's writer process", optimize=True,
                                       greeting=lambda: self._config, logger=log, sequenced=True,
                                       unit="exchange", max_kept=QUEUE_CAP)
        if self._writer.send_messages([(seq, payload, 1 if seq is not None else 0) for _, payload, seq in chunk]):
            return []
        return [item for item in chunk if item[2] is None]
