"""What a test holds of a served mock: its URL, the calls it answered, and assertions on them.

Calls come from the mock service's listener, the hook the engine calls for every answered
call: the same redacted request and reply the call log is written from, kept in memory.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from postmock_core.exchange import HttpRequest, header
from postmock_core.matching.matcher import NOT_FOUND
from postmock_core.mock.calllog import NO_MATCH
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.service import Reply
from postmock_core.serve.inprocess import ServedMock

__all__ = ["Call", "MockHandle"]


@dataclass(frozen=True)
class Call:
    """One call the mock answered, as the mock saw it (secrets redacted, as in the call log)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    status: int
    example: str  # the example that answered, or "No matching requests"
    example_id: str | None
    score: float | None
    kind: str  # mocked | miss | record | passthrough | unauthorized | preflight | ...
    response_body: bytes = b""
    error: str | None = None  # a passed-on call the API did not answer: why

    @property
    def missed(self) -> bool:
        """No example matched and the mock answered Postman's "No matching requests" error."""
        return self.kind == "miss"

    @property
    def failed(self) -> bool:
        """The call was passed on to the real API, which gave no answer (the caller got a 502)."""
        return self.error is not None

    def header(self, name: str) -> str | None:
        """A request header's value (case-insensitive name), or None."""
        return header(self.headers, name)

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.body)

    @property
    def target(self) -> str:
        """The path with its query string, as called."""
        return HttpRequest("GET", path=self.path, query=self.query).path_with_query

    def explain(self) -> str:
        """Why this call found no answer: the nearest examples and why each lost."""
        if self.failed:
            return f"{self.method} {self.target} -> {self.status}: the API did not answer: {self.error}"
        lines = [f"{self.method} {self.target} -> {self.status} {NO_MATCH}"]
        try:
            body = json.loads(self.response_body)
            message = body["error"]["message"]
            nearest = body["postmock"]["nearest"]
        except (ValueError, KeyError, TypeError):
            message, nearest = None, []
        if message and message != NOT_FOUND["message"]:  # a selector header that found nothing
            lines.append(f"    {message}")
        elif not nearest:
            lines.append("    no example has this method")
        for n in nearest:
            score = "" if n.get("score") is None else f", score {n['score']:g}"
            lines.append(f"    nearest: {n.get('name')!r} ({n.get('method')} {n.get('url')}{score}): "
                         f"{n.get('why')}")
        return "\n".join(lines)


def _call(request: HttpRequest, reply: Reply) -> Call:
    return Call(method=request.method, path=request.path, query=list(request.query),
                headers=list(request.headers), body=request.body, status=reply.status,
                example=reply.example_name or NO_MATCH, example_id=reply.example_id,
                score=reply.score, kind=reply.kind, response_body=reply.body,
                error=reply.error if reply.failed else None)


def _split_target(path: str) -> tuple[str, list[tuple[str, str]] | None]:
    target, sep, query = path.partition("?")
    return target, (parse_qsl(query, keep_blank_values=True) if sep else None)


class MockHandle:
    """A mock serving one test: call it at `url`; inspect `calls`; check with `assert_called`.

    `api_key` is set for a private mock (send it as the `x-api-key` header).
    """

    def __init__(self, served: ServedMock, api_key: str | None = None, allow_misses: bool = False) -> None:
        self.served = served
        self.url = served.url
        self.api_key = api_key
        self.allow_misses = allow_misses
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._reported = 0  # misses already turned into a test failure
        self._stopped = False
        served.service.listener = self._on_call

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} ({len(self._calls)} call(s))>"

    @property
    def mock(self) -> MockConfig:
        return self.served.mock

    def _on_call(self, mock: MockConfig | None, request: HttpRequest, reply: Reply,
                 duration_ms: float) -> None:
        # Runs on the engine's thread, before the reply is sent: a call is listed by the time
        # the client has its answer.
        call = _call(request, reply)
        with self._lock:
            self._calls.append(call)

    @property
    def calls(self) -> list[Call]:
        """Every call answered so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def reset(self) -> None:
        """Forget the calls so far (and their misses)."""
        with self._lock:
            self._calls.clear()
            self._reported = 0

    def assert_called(self, method: str, path: str, times: int | None = None) -> list[Call]:
        """Assert that `method path` was called (exactly `times` times, if given); return the calls.

        `path` may carry a query (`/search?q=ada`): the call's query must then have the same
        parameters, in any order.
        """
        target, query = _split_target(path)
        calls = self.calls
        found = [c for c in calls if c.method.upper() == method.upper() and c.path == target
                 and (query is None or Counter(c.query) == Counter(query))]
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        wanted = "at least once" if times is None else f"{times} time(s)"
        made = "\n".join(f"  {c.method} {c.target} -> {c.status} {c.example}" for c in calls) or "  (none)"
        raise AssertionError(f"expected {method.upper()} {path} {wanted} on the mock at {self.url}, "
                             f"got {len(found)}; calls made:\n{made}")

    @property
    def misses(self) -> list[Call]:
        """Calls no example answered, and passed-on calls the API did not answer."""
        return [c for c in self.calls if c.missed or c.failed]

    def unreported_misses(self) -> list[Call]:
        """Misses not yet reported as a failure (none when the test allows misses); marks them reported."""
        with self._lock:
            found = [c for c in self._calls if c.missed or c.failed]
            new = found[self._reported:]
            self._reported = len(found)
        return [] if self.allow_misses else new

    def describe(self) -> str:
        """What this mock serves, for a failure message."""
        return f"the mock at {self.url}"

    def notes(self) -> str | None:
        """What a failed test's report should add about this mock's calls (None: nothing)."""
        return None

    def stop(self) -> None:
        """Stop answering; calls in flight finish first."""
        if not self._stopped:
            self._stopped = True
            self.served.stop()
