"""Each mock's call log: every call it answered, capped so it never grows without bound."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from postmock_core.exchange import HttpRequest, HttpResponse, body_to_doc, format_time
from postmock_core.history.query import parse_moment
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.mock.privacy import log_view
from postmock_core.store.segments import Encoded, SegmentedStore, WriterBatch
from postmock_core.store.storage import dumps
from postmock_core.store.workspace import Workspace

__all__ = ["NO_MATCH", "RESPONSE_TYPES", "CallDocs", "CallLog", "CallQuery", "call_doc", "merged_calls", "parse_when",
           "response_type"]

NO_MATCH = "No matching requests"
# Bodies in the log are for reading, not replay: keep the first part of large ones.
LOG_BODY_LIMIT = 64 * 1024
# The encoded responses a writer remembers (see `CallDocs`): how many, of bodies up to what
# size, and how many bytes of bodies in all before it starts again.
REMEMBER_RESPONSES = 4096
REMEMBER_BODY = 16 * 1024
REMEMBER_BYTES = 16 * 1024 * 1024


def _body(data: bytes, content_type: str | None) -> dict[str, Any] | None:
    doc = body_to_doc(data[:LOG_BODY_LIMIT], None, content_type)
    if doc is not None and len(data) > LOG_BODY_LIMIT:
        doc["truncated_from"] = len(data)
    return doc


def call_doc(request: HttpRequest, response: HttpResponse, started: float, duration_ms: float,
             example_id: str | None, example_name: str | None, score: float | None, *,
             redactor: Redactor | None = None, found: SecretValues | None = None,
             masks: SecretValues | None = None, when: str | None = None) -> dict[str, Any]:
    """The log entry for one answered call; `request` should already be redacted (see `log_view`
    for the rest). `when`: `started` formatted, when already known."""
    request, response = log_view(request, response, redactor, found, masks)
    return _doc(request, response.status, _message_doc(response), started, when or format_time(started),
                duration_ms, example_id, example_name, score)


class CallDocs:
    """`call_doc` for many calls, encoded for the log, remembering what repeats between them:
    the encoded log view of a response that many calls got (a static example's), and the date
    and time to the second."""

    def __init__(self) -> None:
        # The encoded log view of a response, by its headers and body (calls reach the writer
        # as copies, so a response many calls got is not one object here) and the identity of
        # the secret values masked in it, which the value keeps alive so no id is reused.
        self._responses: dict[tuple[Any, ...], tuple[Any, bytes]] = {}
        self._held = 0  # bytes of bodies among the keys
        self._second = -1
        self._stamp = ""

    def time(self, started: float) -> str:
        """`format_time(started)`, formatting each second once."""
        second = int(started // 1)
        micro = round((started - second) * 1_000_000)  # as datetime rounds it
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        if second != self._second:
            self._second, self._stamp = second, format_time(second)[:-5]
        return f"{self._stamp}.{micro // 1000:03d}Z"

    def encoded(self, request: HttpRequest, response: HttpResponse, started: float, duration_ms: float,
                example_id: str | None, example_name: str | None, score: float | None, *,
                redactor: Redactor | None = None, found: SecretValues | None = None,
                masks: SecretValues | None = None) -> Encoded:
        """What `call_doc` gives for the same call, as `dumps(..., compact=True)` encodes it."""
        if redactor is not None or found:
            return Encoded(dumps(call_doc(request, response, started, duration_ms, example_id, example_name, score,
                                          redactor=redactor, found=found, masks=masks, when=self.time(started)),
                                 compact=True))
        key = (tuple(response.headers), response.body, id(masks))
        remember = len(response.body) <= REMEMBER_BODY
        try:
            kept = self._responses.get(key) if remember else None
        except TypeError:  # a header pair given as a list: encoded every time
            kept, remember = None, False
        if kept is None:
            shown = log_view(request, response, None, None, masks)[1] if masks else response
            kept = (masks, dumps(_message_doc(shown), compact=True))
            if remember:
                if len(self._responses) >= REMEMBER_RESPONSES or self._held > REMEMBER_BYTES:
                    self._responses.clear()
                    self._held = 0
                self._responses[key] = kept
                self._held += len(response.body)
        if masks:
            request = log_view(request, response, None, None, masks)[0]
        # The response's place holds a 0 while the rest is encoded; the JSON it was kept as goes
        # there. A caller's data is only ever in strings (quotes escaped), and only the request
        # comes before that place: the last match is it.
        rest = dumps(_doc(request, response.status, 0, started, self.time(started), duration_ms,
                          example_id, example_name, score), compact=True)
        at = rest.rindex(_RESPONSE_HELD) + len(_RESPONSE_KEY)
        return Encoded(b"".join((rest[:at], kept[1], rest[at + 1:])))


_RESPONSE_KEY = b'"response":'
_RESPONSE_HELD = _RESPONSE_KEY + b'0,"score":'


def _message_doc(message: HttpRequest | HttpResponse) -> dict[str, Any]:
    return {"headers": [list(h) for h in message.headers],
            "body": _body(message.body, message.header("content-type"))}


def _doc(request: HttpRequest, status: int, response: dict[str, Any] | int, started: float, when: str,
         duration_ms: float, example_id: str | None, example_name: str | None,
         score: float | None) -> dict[str, Any]:
    return {
        "time": when,
        "timestamp": started,
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "request": _message_doc(request),
        "status": status,
        "response": response,
        "example": {"id": example_id, "name": example_name or NO_MATCH},
        "score": score,
        "duration_ms": round(duration_ms, 3),
    }


# How a call was answered, told apart by what the log entry says (see `response_type`).
RESPONSE_TYPES = ("example", "no-match", "passthrough", "record", "server-response",
                  "unauthorized", "preflight")


def response_type(doc: dict[str, Any]) -> str:
    """How a logged call was answered: one of `RESPONSE_TYPES`."""
    example = doc.get("example") or {}
    if example.get("id"):
        return "example"
    name = str(example.get("name") or "")
    if name.startswith(NO_MATCH + " (passthrough"):
        return "passthrough"
    if name.startswith(NO_MATCH + " (record"):
        return "record"
    if name.startswith("Server response:"):
        return "server-response"
    if name == "Invalid credentials":
        return "unauthorized"
    if name == "CORS preflight":
        return "preflight"
    return "no-match"


@dataclass(frozen=True)
class CallQuery:
    search: str | None = None
    statuses: tuple[tuple[int, int], ...] = ()  # inclusive ranges, as `parse_status` gives them
    method: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int | None = None
    path: str | None = None  # the request path, any case
    kind: str | None = None  # a `response_type`

    def matches(self, doc: dict[str, Any]) -> bool:
        if self.statuses and not any(lo <= int(doc.get("status") or 0) <= hi for lo, hi in self.statuses):
            return False
        if self.method and str(doc.get("method", "")).upper() != self.method.upper():
            return False
        if self.path is not None and str(doc.get("path", "")).lower() != self.path.lower():
            return False
        if self.kind is not None and response_type(doc) != self.kind:
            return False
        ts = float(doc.get("timestamp", 0))
        if self.since is not None and ts < self.since:
            return False
        if self.until is not None and ts >= self.until:  # --until excludes T, as in history
            return False
        if self.search:
            needle = self.search.lower()
            hay = " ".join([
                str(doc.get("method")), str(doc.get("path")), str(doc.get("query")),
                str((doc.get("example") or {}).get("name")), str(doc.get("status")),
                str((doc.get("request") or {}).get("body") or ""),
                str((doc.get("response") or {}).get("body") or ""),
            ]).lower()
            if needle not in hay:
                return False
        return True


class CallLog:
    """The calls of one mock, in segment files under `calls/<mock id>/`."""

    def __init__(self, ws: Workspace, mock_id: str) -> None:
        self._store = SegmentedStore(ws.dir("calls", mock_id), "calls", segment_size=500, append_only=True)

    def append(self, docs: Sequence[dict[str, Any] | Encoded], cap: int, writer: WriterBatch | None = None) -> list[int]:
        """Add calls, keeping only the newest `cap`; `writer` numbers them (see `SegmentedStore`)."""
        return self._store.append(docs, keep_last=cap, writer=writer)

    def stored_seq(self, session: str) -> int:
        """The highest sequence number writer `session` has stored in this log (0: none)."""
        return self._store.stored_seq(session)

    def query(self, q: CallQuery = CallQuery(), newest_first: bool = True,
              beyond: int | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """Matching calls, newest first (or oldest first), starting past call `beyond` (a page's
        last call) when given."""
        n = 0
        after = beyond if beyond is not None and not newest_first else 0
        for call_id, doc in self._store.iter_docs(newest_first=newest_first, after=after):
            if q.limit is not None and n >= q.limit:
                return
            if newest_first and beyond is not None and call_id >= beyond:
                continue
            if q.matches(doc):
                n += 1
                yield call_id, doc

    def get(self, call_id: int) -> dict[str, Any] | None:
        """One logged call, or None."""
        return self._store.get(call_id)

    def newer(self, after: int) -> list[tuple[int, dict[str, Any]]]:
        """Calls logged after call `after`, oldest first, without waiting."""
        return list(self._store.iter_docs(newest_first=False, after=after))

    def last_id(self) -> int:
        """The ID of the newest call logged so far (0 when none)."""
        return self._store.next_id() - 1

    def follow(self, q: CallQuery = CallQuery(), after: int | None = None, poll: float = 0.5,
               stop_after: float | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """New matching calls as they arrive, oldest first, like `tail -f` (until interrupted)."""
        last = self.last_id() if after is None else after
        deadline = None if stop_after is None else time.monotonic() + stop_after
        while deadline is None or time.monotonic() < deadline:
            for call_id, doc in self.newer(last):
                last = call_id
                if q.matches(doc):
                    yield call_id, doc
            time.sleep(poll)

    def count(self) -> int:
        return self._store.count()


def parse_when(text: str, option: str = "--since") -> float:
    """An ISO date/time (local unless it has a zone) or an age like 30s, 15m, 2h, 1d: epoch seconds."""
    return parse_moment(text, option).timestamp()


def merged_calls(logs: list[CallLog], q: CallQuery = CallQuery()) -> list[tuple[int, dict[str, Any]]]:
    """Matching calls of several logs of one mock (one per serving host), newest first."""
    everything = [item for log in logs for item in log.query(dataclasses.replace(q, limit=q.limit))]
    everything.sort(key=lambda item: float(item[1].get("timestamp", 0)), reverse=True)
    return everything if q.limit is None else everything[:q.limit]
