"""What a mock says besides its examples: Postman's error bodies, CORS, preflights, outages.

Everything here is plain data in the core's `HttpResponse`, so the mitmproxy addon only
converts at the edge and tests need no proxy.
"""

from __future__ import annotations

import json
import math
import time
from email.utils import formatdate
from typing import Any

from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.mock.configs import MAX_DELAY_MS, ServerResponse

__all__ = [
    "DELAY_HEADER",
    "MOCK_HEADERS",
    "bad_gateway",
    "error_body",
    "finish_headers",
    "http_date",
    "interim_status",
    "invalid_credentials",
    "is_preflight",
    "json_response",
    "mock_not_found",
    "passthrough_headers",
    "preflight",
    "request_delay",
    "server_response",
]

DELAY_HEADER = "x-mock-response-delay"
MOCK_HEADERS = ("X-Mock-Example-Name", "X-Mock-Example-Id", "X-Mock-Score")
PREFLIGHT_MAX_AGE = "86400"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

NOT_FOUND_MESSAGE = "We could not find the mock server you are requesting. Please refresh and try again."
PRIVATE_MESSAGE = "This mock server is private: send a valid postmock API key in the x-api-key header."

# Headers that described how the recorded body travelled, not what it is: the mock sends
# the decoded body itself, so these are recomputed (length) or dropped.
_FRAMING = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection",
                      "keep-alive", "proxy-connection", "upgrade", "te", "trailer"})
# CORS headers an example may carry from its recording; the mock answers for the live caller.
_CORS = frozenset({"access-control-allow-origin", "access-control-allow-credentials",
                   "access-control-expose-headers"})
_EXPOSE = ", ".join(MOCK_HEADERS)
_NOT_KEPT = _FRAMING | _CORS | {"date"}  # what `finish_headers` drops from an example's headers
# Header values that are URLs keep a line break as its percent-encoding; others lose it.
_URL_HEADERS = frozenset({"location", "content-location", "link", "refresh"})
_BREAKS = str.maketrans({"\r": None, "\n": None, "\x00": None})
_URL_BREAKS = str.maketrans({"\r": "%0D", "\n": "%0A", "\x00": "%00"})


# The headers every answer ends with, made once (a mock answers with them again and again).
_ANY_ORIGIN = ("Access-Control-Allow-Origin", "*")
_CREDENTIALS = ("Access-Control-Allow-Credentials", "true")
_EXPOSE_LINE = ("Access-Control-Expose-Headers", _EXPOSE)
_VARY_ORIGIN = ("Vary", "Origin")


def _one_line(header: tuple[str, str]) -> tuple[str, str]:
    """A header that cannot become two: a template may have put request data in it, and CR, LF
    or NUL there would let the caller write headers (or the body) of the answer. A header
    without any comes back as the same object."""
    name, value = header
    text = name + value
    if "\r" not in text and "\n" not in text and "\x00" not in text:
        return header
    table = _URL_BREAKS if name.strip().lower() in _URL_HEADERS else _BREAKS
    return name.translate(_BREAKS), value.translate(table)


def error_body(name: str, message: str, header: str) -> dict[str, Any]:
    """Postman's error object: `{"error": {"name", "message", "header"}}`."""
    return {"error": {"name": name, "message": message, "header": header}}


def json_response(status: int, data: Any, reason: str = "") -> HttpResponse:
    try:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (an example named "\ud800", say): escape it
        body = json.dumps(data, separators=(",", ":")).encode("ascii")
    return HttpResponse(status=status, reason=reason,
                        headers=[("Content-Type", "application/json; charset=utf-8")], body=body)


def mock_not_found(reason: str | None = None) -> HttpResponse:
    """404 mockNotFoundError; `reason` (e.g. why a mock is deactivated) replaces the message."""
    message = f"{reason} {NOT_FOUND_MESSAGE}" if reason else NOT_FOUND_MESSAGE
    return json_response(404, error_body("mockNotFoundError", message, "Mock server not found"),
                         "Not Found")


def invalid_credentials() -> HttpResponse:
    return json_response(401, error_body("invalidCredentialsError", PRIVATE_MESSAGE, "Invalid credentials"),
                         "Unauthorized")


def interim_status(name: str, status: int) -> HttpResponse:
    """500 `mockResponseError` for an example whose status (1xx) cannot end an HTTP exchange:
    sent as the answer, it would leave the caller waiting for the real one."""
    return json_response(500, error_body(
        "mockResponseError", f"The example {name!r} has status {status}, an interim status "
        f"that cannot be the answer to a call; give it a final status (200-599).", "Invalid example status"),
        "Internal Server Error")


def bad_gateway(why: str) -> HttpResponse:
    """502 `upstreamError`: a missed call could not be passed on to the real API."""
    return json_response(502, error_body("upstreamError", f"The mock passed this call on to the real "
                                         f"API, which did not answer: {why}", "Bad Gateway"), "Bad Gateway")


def server_response(sr: ServerResponse) -> HttpResponse:
    """An active server response, as configured (a JSON body gets a JSON Content-Type)."""
    headers = list(sr.headers)
    if not any(k.lower() == "content-type" for k, _ in headers):
        stripped = sr.body.lstrip()[:1]
        ctype = "application/json" if stripped in ("{", "[") else "text/plain; charset=utf-8"
        headers.append(("Content-Type", ctype))
    return HttpResponse(status=sr.status, reason="", headers=headers, body=sr.body.encode("utf-8"))


def is_preflight(request: HttpRequest) -> bool:
    """A browser's CORS preflight: OPTIONS naming the method it wants to send."""
    return request.method == "OPTIONS" and request.header("access-control-request-method") is not None


def preflight(request: HttpRequest) -> HttpResponse:
    """204 allowing what the preflight asks for (the mock has no reason to refuse a caller)."""
    asked_method = (request.header("access-control-request-method") or "GET").strip().upper()
    methods = dict.fromkeys([asked_method, *_METHODS])
    headers = [("Access-Control-Allow-Methods", ", ".join(methods)),
               ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE)]
    asked = request.header("access-control-request-headers")
    if asked:
        headers.append(("Access-Control-Allow-Headers", asked))
    return HttpResponse(status=204, reason="No Content", headers=headers, body=b"")


def finish_headers(response: HttpResponse, origin: str | None,
                   extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The headers to send: recorded framing and Date dropped, `extra` added, CORS for `origin`;
    no value holds a line break. The engine sends the current Date, as a live server does (a
    recorded one would tell caches the answer is stale; a reply kept for reuse must not carry one)."""
    out = [h for h in response.headers if h[0].lower() not in _NOT_KEPT]
    if extra:
        out.extend(extra)
    vary = next((i for i, (k, _) in enumerate(out) if k.lower() == "vary"), -1)
    if origin:
        out.append(("Access-Control-Allow-Origin", origin))
        out.append(_CREDENTIALS)
    else:
        out.append(_ANY_ORIGIN)
    out.append(_EXPOSE_LINE)
    if vary < 0:
        out.append(_VARY_ORIGIN)
    elif "origin" not in out[vary][1].lower():
        out[vary] = (out[vary][0], out[vary][1] + ", Origin")
    return [_one_line(h) for h in out]


def passthrough_headers(response: HttpResponse, origin: str | None) -> list[tuple[str, str]]:
    """A passed-through answer's headers: framing and Date dropped (the engine sends its own), CORS
    added unless the API sent its own."""
    out = [(k, v) for k, v in response.headers if k.lower() not in _FRAMING and k.lower() != "date"]
    if not any(k.lower() == "access-control-allow-origin" for k, _ in out):
        out.append(("Access-Control-Allow-Origin", origin or "*"))
        if origin:
            out.append(("Access-Control-Allow-Credentials", "true"))
    return out


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The current time as an HTTP Date (IMF-fixdate), formatted once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def request_delay(request: HttpRequest, configured_ms: int) -> int:
    """`x-mock-response-delay` (clamped to 1..180000 ms) or else the mock's configured delay."""
    asked = request.header(DELAY_HEADER)
    if asked is None:
        return configured_ms
    try:
        ms = float(asked.strip())
    except ValueError:
        return configured_ms
    if math.isnan(ms):
        return configured_ms
    return int(max(1, min(ms, MAX_DELAY_MS)))  # clamped as a float: "1e400" is inf
