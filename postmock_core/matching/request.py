"""A request as the matcher sees it: prepared once, with the mock's options and the caller's
x-mock-* headers (which win) already applied."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from postmock_core.exchange import HttpRequest
from postmock_core.matching.bodies import RequestBody, live_body
from postmock_core.matching.pathscore import RequestPath

__all__ = ["MatchOptions", "MatchRequest", "header_names"]

_OFF = ("", "false", "0", "no", "off")


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """A mock's matching configuration; request headers can override both per call."""

    match_body: bool = False
    match_headers: tuple[str, ...] = ()


@lru_cache(maxsize=256)  # a mock's option, or a caller's header: the same text call after call
def header_names(value: str) -> tuple[str, ...]:
    """Lower-case header names from `a, B`; x-mock-* names never take part in matching."""
    return tuple(n for n in (p.strip().lower() for p in value.split(","))
                 if n and not n.startswith("x-mock-"))


class MatchRequest:
    """An incoming request prepared once: path, headers by name, x-mock-* controls."""

    __slots__ = (
        "_body",
        "body_bytes",
        "code",
        "code_text",
        "header_names",
        "headers",
        "match_body",
        "method",
        "path",
        "query",
        "resp_id",
        "resp_name",
    )

    def __init__(self, request: HttpRequest, options: MatchOptions) -> None:
        self.method = request.method.upper()
        self.path = RequestPath.parse(request.path)
        self.query = request.query
        self.body_bytes = request.body
        headers: dict[str, str] = {}
        for k, v in request.headers:
            headers.setdefault(k.lower(), v)
        self.headers = headers
        code = (headers.get("x-mock-response-code") or "").strip() or None
        self.code_text = code
        # A code that is not a number keeps no example (-1 is no status). ASCII digits only:
        # int() also reads '٢٠٠' as 200, and '²' is a digit it refuses.
        self.code = None if code is None else int(code) if code.isascii() and code.isdecimal() else -1
        self.resp_id = (headers.get("x-mock-response-id") or "").strip() or None
        self.resp_name = (headers.get("x-mock-response-name") or "").strip() or None
        flag = headers.get("x-mock-match-request-body")
        self.match_body = options.match_body if flag is None else flag.strip().lower() not in _OFF
        listed = headers.get("x-mock-match-request-headers")
        if listed is None or listed.strip().lower() == "true":
            self.header_names = header_names(",".join(options.match_headers))
        else:
            self.header_names = () if listed.strip().lower() in _OFF else header_names(listed)
        self._body: RequestBody | None = None

    @property
    def body(self) -> RequestBody:
        if self._body is None:
            self._body = live_body(self.body_bytes, self.headers.get("content-type"))
        return self._body

    def code_ok(self, status: int) -> bool:
        return self.code is None or status == self.code

    def code_why(self, status: int) -> str:
        return f"x-mock-response-code: status {status} is not {self.code_text}"
