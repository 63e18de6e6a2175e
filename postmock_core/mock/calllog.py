"""Each mock's call log: every call it answered, capped so it never grows without bound."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from postmock_core.exchange import HttpRequest, HttpResponse, body_to_doc, format_time
from postmock_core.history.query import parse_moment
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.mock.privacy import log_view
from postmock_core.store.segments import SegmentedStore, WriterBatch
from postmock_core.store.workspace import Workspace

__all__ = ["NO_MATCH", "RESPONSE_TYPES", "CallLog", "CallQuery", "call_doc", "merged_calls", "parse_when",
           "response_type"]

NO_MATCH = "No matching requests"
# Bodies in the log are for reading, not replay: keep the first part of large ones.
LOG_BODY_LIMIT = 64 * 1024


def _body(data: bytes, content_type: str | None) -> dict[str, Any] | None:
    doc = body_to_doc(data[:LOG_BODY_LIMIT], None, content_type)
    if doc is not None and len(data) > LOG_BODY_LIMIT:
        doc["truncated_from"] = len(data)
    return doc


def call_doc(request: HttpRequest, response: HttpResponse, started: float, duration_ms: float,
             example_id: str | None, example_name: str | None, score: float | None, *,
             redactor: Redactor | None = None, found: SecretValues | None = None,
             masks: SecretValues | None = None) -> dict[str, Any]:
    """The log entry for one answered call; `request` should already be redacted (see `log_view`
    for the rest)."""
    request, response = log_view(request, response, redactor, found, masks)
    return {
        "time": format_time(started),
        "timestamp": started,
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "request": {"headers": [list(h) for h in request.headers],
                    "body": _body(request.body, request.header("content-type"))},
        "status": response.status,
        "response": {"headers": [list(h) for h in response.headers],
                     "body": _body(response.body, response.header("content-type"))},
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
        self._store = SegmentedStore(ws.dir("calls", mock_id), "calls", segment_size=500)

    def append(self, docs: list[dict[str, Any]], cap: int, writer: WriterBatch | None = None) -> list[int]:
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
