"""Response headers checked and joined once, for answers sent again and again.

An ASGI server checks every response header of every answer, and joins them into the head.
A mock sends the same few answers many times: `WireHeaders` is an ordinary ASGI header list
(any server can send it) that also carries the joined, lowercased header block and the
Content-Length, checked once when it is made. postmock's engine writes that block as it is
(see `serve.server`).
"""

from __future__ import annotations

import re

# What HTTP/1.1 forbids in a header name or value, as the server checks them.
from uvicorn.protocols.http.httptools_impl import HEADER_RE as _BAD_NAME
from uvicorn.protocols.http.httptools_impl import HEADER_VALUE_RE as _BAD_VALUE

__all__ = ["WireHeaders", "sendable", "wire_headers"]

# Headers that change how the server frames or ends the answer: such a list is sent the slow way.
_FRAMING = frozenset({b"connection", b"transfer-encoding"})


class WireHeaders(list[tuple[bytes, bytes]]):
    """ASGI response headers, with `block` (b"name: value\\r\\n" each, names lowercased) and
    `length` (the Content-Length they announce). Never changed once made."""

    __slots__ = ("block", "length")

    block: bytes
    length: int


def _allowed(refused: re.Pattern[bytes]) -> bytes:
    return bytes(b for b in range(256) if not refused.search(bytes((b,))))


# The bytes uvicorn accepts in a name and in a value: `translate` deletes them, and what is
# left is refused (one pass in C, where a regular expression search takes several times longer).
_NAME_BYTES = _allowed(_BAD_NAME)
_VALUE_BYTES = _allowed(_BAD_VALUE)


def wire_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` as `WireHeaders` when a server may send their joined block as it is: valid
    names and values, one Content-Length, nothing about framing. Else `headers` unchanged."""
    length = None
    lines: list[bytes] = []
    for name, value in headers:
        name = name.lower()
        if name in _FRAMING:
            return headers
        if name == b"content-length":
            if length is not None or not value.isdigit():
                return headers
            length = int(value)
        lines += (name, b": ", value, b"\r\n")
    if (length is None or b"".join([n for n, _ in headers]).translate(None, _NAME_BYTES)
            or b"".join([v for _, v in headers]).translate(None, _VALUE_BYTES)):
        return headers
    out = WireHeaders(headers)
    out.block = b"".join(lines)
    out.length = length
    return out


def sendable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` without those uvicorn refuses to send (a recorded name with a space, a value
    with a control character): it refuses them only after the answer has started, too late to
    send another."""
    return [(k, v) for k, v in headers
            if k and not k.translate(None, _NAME_BYTES) and not v.translate(None, _VALUE_BYTES)]
