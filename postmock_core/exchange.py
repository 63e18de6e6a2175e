"""The core's own HTTP types: a request, a response, and a recorded exchange.

They carry decoded bodies as bytes and headers as ordered (name, value) pairs, so nothing
here depends on mitmproxy. `to_doc`/`from_doc` convert to the JSON stored in history, with
large bodies kept out of line in a `BlobStore`.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from postmock_core.store.blobs import BlobStore

__all__ = [
    "INLINE_LIMIT",
    "Exchange",
    "Headers",
    "HttpRequest",
    "HttpResponse",
    "SharedHeaders",
    "body_from_doc",
    "body_to_doc",
    "format_time",
    "header",
    "is_failed",
    "is_text",
    "wire_bytes",
]

Headers = list[tuple[str, str]]

# Bodies larger than this go to the blob store, so the TinyDB files stay small and fast.
INLINE_LIMIT = 8 * 1024

_TEXT_TYPES = ("json", "xml", "javascript", "html", "text/", "x-www-form-urlencoded", "yaml", "csv", "graphql")


def wire_bytes(text: str) -> bytes:
    """Text back to the bytes it came from: bytes that were not UTF-8 were kept as surrogates
    (surrogateescape); a lone surrogate from a JSON escape such as "\\ud800" had no bytes."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _quote(text: str) -> str:
    return quote(wire_bytes(text), safe="/:@!$'()*,;=")


class SharedHeaders(list[tuple[str, str]]):
    """Header lines that every call sending the same ones shares (a server meets the same few
    sets again and again), so what is learnt of them is learnt once: each name's first value,
    whether a name asks the mock for an example (`x-mock-*`), and the redactor that found
    every line clean. Never changed once made: copy them to change them.

    It pickles as a plain list.
    """

    __slots__ = ("clean_for", "first", "x_mock")

    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        super().__init__(lines)
        first: dict[str, str] = {}
        for k, v in self:
            first.setdefault(k.lower(), v)
        self.first = first
        self.x_mock = any(k.startswith("x-mock-") for k in first)
        self.clean_for: object = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    def _unchanged(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("shared header lines are never changed: copy them (list(...)) to change them")

    append = extend = insert = remove = pop = clear = sort = reverse = _unchanged  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _unchanged  # type: ignore[assignment]


def header(headers: Headers, name: str, default: str | None = None) -> str | None:
    """The first value of header `name` (case-insensitive)."""
    lname = name.lower()
    if type(headers) is SharedHeaders:
        return headers.first.get(lname, default)
    for k, v in headers:
        if k.lower() == lname:
            return v
    return default


def is_text(data: bytes, content_type: str | None = None) -> bool:
    """Whether `data` is best kept as readable text: valid UTF-8 and not a binary media type."""
    if content_type:
        ct = content_type.lower()
        if not any(t in ct for t in _TEXT_TYPES) and (
            ct.startswith(("image/", "audio/", "video/", "font/")) or "octet-stream" in ct
        ):
            return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def body_to_doc(data: bytes, blobs: BlobStore | None, content_type: str | None = None) -> dict[str, Any] | None:
    """Encode a body for storage: inline text, inline base64, or a blob reference."""
    if not data:
        return None
    text = is_text(data, content_type)
    if blobs is not None and len(data) > INLINE_LIMIT:
        return {"blob": blobs.put(data), "size": len(data), "kind": "text" if text else "binary"}
    if text:
        return {"text": data.decode("utf-8")}
    return {"base64": base64.b64encode(data).decode("ascii")}


def body_from_doc(doc: dict[str, Any] | None, blobs: BlobStore | None) -> bytes:
    """Decode a stored body back to the exact bytes."""
    if not doc:
        return b""
    if "text" in doc:
        return str(doc["text"]).encode("utf-8")
    if "base64" in doc:
        return base64.b64decode(doc["base64"])
    if "blob" in doc:
        if blobs is None:
            raise ValueError("a blob store is needed to read this body")
        return blobs.get(str(doc["blob"]))
    return b""


def format_time(ts: float) -> str:
    """Epoch seconds as ISO 8601 UTC with milliseconds, e.g. 2026-11-21T05:30:00.123Z."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class HttpRequest:
    method: str
    scheme: str = "http"
    host: str = ""
    port: int = 80
    path: str = "/"
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    http_version: str = "HTTP/1.1"

    @property
    def authority(self) -> str:
        default = {"http": 80, "https": 443}.get(self.scheme)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.authority}"

    @property
    def query_string(self) -> str:
        if not self.query:
            return ""
        return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in self.query)

    @property
    def path_with_query(self) -> str:
        return f"{self.path}?{self.query_string}" if self.query else self.path

    @property
    def url(self) -> str:
        return self.origin + self.path_with_query

    def header(self, name: str, default: str | None = None) -> str | None:
        return header(self.headers, name, default)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by position: several times faster than a dataclass's default (the call log
        # hands every answered call to its writer process this way).
        return (HttpRequest, (self.method, self.scheme, self.host, self.port, self.path, self.query,
                              self.headers, self.body, self.http_version))

    def to_doc(self, blobs: BlobStore | None) -> dict[str, Any]:
        return {
            "method": self.method,
            "scheme": self.scheme,
            "host": self.host,
            "port": self.port,
            "path": self.path,
            "query": [list(p) for p in self.query],
            "headers": [list(h) for h in self.headers],
            "body": body_to_doc(self.body, blobs, self.header("content-type")),
            "http_version": self.http_version,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any], blobs: BlobStore | None, with_body: bool = True) -> HttpRequest:
        return cls(
            method=doc["method"],
            scheme=doc.get("scheme", "http"),
            host=doc.get("host", ""),
            port=int(doc.get("port", 80)),
            path=doc.get("path", "/"),
            query=[(str(k), str(v)) for k, v in doc.get("query") or []],
            headers=[(str(k), str(v)) for k, v in doc.get("headers") or []],
            body=body_from_doc(doc.get("body"), blobs) if with_body else b"",
            http_version=doc.get("http_version", "HTTP/1.1"),
        )


@dataclass
class HttpResponse:
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    http_version: str = "HTTP/1.1"

    def header(self, name: str, default: str | None = None) -> str | None:
        return header(self.headers, name, default)

    def __reduce__(self) -> tuple[Any, ...]:
        return (HttpResponse, (self.status, self.reason, self.headers, self.body, self.http_version))

    def to_doc(self, blobs: BlobStore | None) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "headers": [list(h) for h in self.headers],
            "body": body_to_doc(self.body, blobs, self.header("content-type")),
            "http_version": self.http_version,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any], blobs: BlobStore | None, with_body: bool = True) -> HttpResponse:
        return cls(
            status=int(doc["status"]),
            reason=doc.get("reason", ""),
            headers=[(str(k), str(v)) for k, v in doc.get("headers") or []],
            body=body_from_doc(doc.get("body"), blobs) if with_body else b"",
            http_version=doc.get("http_version", "HTTP/1.1"),
        )


def is_failed(doc: dict[str, Any]) -> bool:
    """Whether a stored exchange failed: no response, or an error cut the response short.

    The one rule every view uses (history list and show, --status error, collections, HAR
    export): the recorder stores an error beside a response only when the response never
    arrived whole, and then the client got an error (mitmproxy's 502), not that response.
    """
    return not doc.get("response") or bool(doc.get("error"))


@dataclass
class Exchange:
    """One recorded request and its response (or the error that prevented one)."""

    request: HttpRequest
    response: HttpResponse | None = None
    timestamp: float = 0.0
    duration_ms: float | None = None
    error: str | None = None
    mode: str = "regular"
    source: str = "proxy"
    redacted: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    id: int | None = None

    @property
    def failed(self) -> bool:
        """No complete response: none at all, or the connection broke while it was arriving."""
        return is_failed({"response": self.response, "error": self.error})

    def to_doc(self, blobs: BlobStore | None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "time": format_time(self.timestamp),
            "timestamp": self.timestamp,
            "duration_ms": self.duration_ms,
            "mode": self.mode,
            "source": self.source,
            "request": self.request.to_doc(blobs),
            "response": self.response.to_doc(blobs) if self.response else None,
            "error": self.error,
        }
        if self.redacted:
            doc["redacted"] = self.redacted
        if self.truncated:
            doc["truncated"] = self.truncated
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any], blobs: BlobStore | None, id: int | None = None,
                 with_body: bool = True) -> Exchange:
        resp = doc.get("response")
        return cls(
            id=id,
            request=HttpRequest.from_doc(doc["request"], blobs, with_body),
            response=HttpResponse.from_doc(resp, blobs, with_body) if resp else None,
            timestamp=float(doc.get("timestamp", 0.0)),
            duration_ms=doc.get("duration_ms"),
            error=doc.get("error"),
            mode=doc.get("mode", "regular"),
            source=doc.get("source", "proxy"),
            redacted=list(doc.get("redacted") or []),
            truncated=list(doc.get("truncated") or []),
        )
