"""The ASGI edge: one mock's port answered by a raw ASGI callable, no framework in between.

`MockApp` turns an ASGI HTTP scope and its body into the core's `HttpRequest`, awaits
`MockService.answer`, and sends the `Reply`. Everything a mock does lives in the service, so
this engine and the mitmproxy addon answer alike.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from postmock_core.exchange import HttpRequest, SharedHeaders, wire_bytes
from postmock_core.history.codecs import REQUEST_LIMIT, decode
from postmock_core.mock.replies import MOCK_HEADERS
from postmock_core.mock.runtime import MockRuntime
from postmock_core.mock.service import MockService, Reply
from postmock_core.serve.wire import WireHeaders, sendable, wire_headers

__all__ = ["ASGIApp", "MockApp", "Receive", "Scope", "Send", "request_from_scope", "split_host", "wire_reply_headers"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NO_BODY = frozenset({204, 304})


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def split_host(value: str) -> tuple[str, int | None]:
    """A Host header's name and port: `[::1]:8080`, `example.com:80`, `example.com`."""
    if value.startswith("["):
        end = value.find("]")
        if end > 0:
            rest = value[end + 1:]
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
            return value[1:end], port
        return value, None
    name, sep, p = value.rpartition(":")
    if sep and p.isdigit() and ":" not in name:
        return name, int(p)
    return value, None


class _Head(NamedTuple):
    """What a request's header lines say, worked out once for every call that sends the same ones."""

    headers: SharedHeaders
    host: str  # from the Host header ("" when there is none)
    port: int | None  # from the Host header
    encoding: str | None  # Content-Encoding
    announces_body: bool  # a Content-Length other than 0, or Transfer-Encoding


# By the header lines exactly as they came (bytes): a client sends the same few sets over and
# over. Bounded: a client whose lines differ on every call (a request ID, say) starts it again.
_HEADS: dict[tuple[tuple[bytes, bytes], ...], _Head] = {}
_HEADS_CAP = 1024


def _head(raw: list[tuple[bytes, bytes]]) -> _Head:
    key = tuple(raw)
    got = _HEADS.get(key)
    if got is None:
        headers = []
        host_value = encoding = None
        announces = False
        for k, v in raw:
            line = (_text(k), _text(v))
            headers.append(line)
            if host_value is None and k == b"host":
                host_value = line[1]
            elif encoding is None and k == b"content-encoding":
                encoding = line[1]
            if (k == b"content-length" and v.strip() != b"0") or k == b"transfer-encoding":
                announces = True
        host, port = split_host(host_value.strip()) if host_value is not None else ("", None)
        got = _Head(SharedHeaders(headers), host, port, encoding, announces)
        if len(_HEADS) >= _HEADS_CAP:
            _HEADS.clear()
        _HEADS[key] = got
    return got


_VERSIONS = {"1.1": "HTTP/1.1", "1.0": "HTTP/1.0", "2": "HTTP/2"}  # made once, not per call


def request_from_scope(scope: Scope, body: bytes, head: _Head | None = None) -> HttpRequest:
    """The core request for an ASGI HTTP scope; host and port come from the caller's Host header.
    `head`: what `_head` gave for the scope's header lines, when already known."""
    if head is None:
        head = _head(scope["headers"])
    headers: list[tuple[str, str]] = head.headers
    host, port = head.host, head.port
    if not host:  # HTTP/1.0 without Host: where the call arrived
        server = scope.get("server") or ("127.0.0.1", 80)
        host, port = str(server[0]), int(server[1])
    if port is None:
        port = 443 if scope["scheme"] == "https" else 80
    if head.encoding is not None and body:
        try:
            body = decode(body, head.encoding, REQUEST_LIMIT)
        except ValueError:
            pass  # a coding we cannot undo, or a bomb: match the bytes as they came
        else:
            headers = [(hk, hv) for hk, hv in headers if hk.lower() != "content-encoding"]
    qs = scope.get("query_string") or b""
    version = scope.get("http_version", "1.1")
    return HttpRequest(scope["method"], scope["scheme"], host, port,
                       _text(scope.get("raw_path") or scope["path"].encode()) or "/",
                       parse_qsl(_text(qs), keep_blank_values=True) if qs else [], headers, body,
                       _VERSIONS.get(version) or f"HTTP/{version}")


# Headers the replies kept for reuse share (CORS, Vary, an API's Content-Type), each encoded
# once. Those an example names itself by are left out, and so is anything past the first few
# thousand; so is every header of a reply made for one call (a template may have put the
# caller's own data there).
_ENCODED: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_ENCODED_CAP = 4096
_PER_EXAMPLE = frozenset(MOCK_HEADERS)


def _encoded(header: tuple[str, str], keep: bool) -> tuple[bytes, bytes]:
    got = _ENCODED.get(header)
    if got is None:
        k, v = header
        got = (k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
        if keep and k not in _PER_EXAMPLE and len(_ENCODED) < _ENCODED_CAP:
            _ENCODED[header] = got
    return got


def wire_reply_headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    try:
        out = [_encoded(h, reply.kept) for h in reply.headers]
    except UnicodeEncodeError:  # a lone surrogate: see wire_bytes
        out = [(wire_bytes(k), wire_bytes(v)) for k, v in reply.headers]
    if reply.status not in _NO_BODY and reply.status >= 200:
        out.append((b"content-length", str(len(reply.body)).encode()))
    made = wire_headers(out)
    return made if type(made) is WireHeaders else sendable(made)


async def _read_body(receive: Receive) -> bytes | None:
    """The request body; None when the caller hung up before sending all of it."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts = [body]
    while message.get("more_body"):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
    return b"".join(parts)


class MockApp:
    """ASGI app answering every call at one mock's port; `mock_id` None answers mockNotFoundError."""

    # The engine may run a call's first steps outside any task (see `serve.server`): the service
    # moves into one before what needs it.
    starts_outside_a_task = True

    def __init__(self, service: MockService, mock_id: str | None) -> None:
        self.service = service
        self.mock_id = mock_id
        self.runtime: MockRuntime | None = service.runtime(mock_id) if mock_id else None
        service.encode = wire_reply_headers  # replies made ahead come encoded for this engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await _not_http(scope, receive, send)
            return
        head = _head(scope["headers"])
        # HTTP/1.1 sends a body only with a length or chunked; HTTP/2 frames its body on its own.
        if head.announces_body or scope.get("http_version") == "2":
            body = await _read_body(receive)
            if body is None:
                return  # nobody is left to answer: the call was not made, so it is not logged
        else:
            body = b""
        reply = await self.service.answer(self.runtime, request_from_scope(scope, body, head))
        headers = reply.wire
        if headers is None:
            headers = reply.wire = wire_reply_headers(reply)
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        # 204 and 304 have no body, whatever the example holds: sending one would end the connection.
        await send({"type": "http.response.body", "body": b"" if reply.status in _NO_BODY else reply.body})


async def _not_http(scope: Scope, receive: Receive, send: Send) -> None:
    """Lifespan events are acknowledged; a WebSocket is refused (mocks answer HTTP only)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.close", "code": 1003})
