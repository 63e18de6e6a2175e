"""Headers checked and joined once (`WireHeaders`) go out exactly as uvicorn would send them."""

from __future__ import annotations

import re
import socket

import pytest

from postmock_core.mock.service import Reply
from postmock_core.serve.app import _ENCODED, wire_reply_headers
from postmock_core.serve.server import BackgroundEngine
from postmock_core.serve.wire import WireHeaders, wire_headers

HEADERS = [(b"Content-Type", b"application/json"), (b"X-Mock-Example-Name", b"user 1"),
           (b"Vary", b"Origin"), (b"content-length", b"11")]


@pytest.fixture(scope="module")
def engine() -> BackgroundEngine:
    engine = BackgroundEngine()
    yield engine  # type: ignore[misc]
    engine.stop()


def _app(make: object):  # type: ignore[no-untyped-def]
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        headers = make(HEADERS) if callable(make) else list(HEADERS)  # type: ignore[operator]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"hello world"})
    return app


def _exchange(port: int, request: bytes) -> bytes:
    """Raw bytes answered to `request` (the Date header blanked), read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return re.sub(rb"date: [^\r]*", b"date: -", b"".join(chunks))


@pytest.mark.parametrize("request_bytes", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
], ids=["keep-alive then close", "head", "http/1.0"])
def test_wire_headers_are_sent_byte_for_byte_as_uvicorn_sends_a_list(engine: BackgroundEngine,
                                                                   request_bytes: bytes) -> None:
    fast, plain = engine.open(0, _app(wire_headers)), engine.open(0, _app(None))
    try:
        got = _exchange(fast, request_bytes)
        assert got == _exchange(plain, request_bytes)
        assert got.startswith(b"HTTP/1.1 200 OK\r\ndate: -\r\ncontent-type: application/json\r\n")
    finally:
        engine.close(fast)
        engine.close(plain)


def test_only_headers_safe_to_send_as_a_block_become_wire_headers() -> None:
    made = wire_headers(HEADERS)
    assert isinstance(made, WireHeaders) and made == HEADERS and made.length == 11
    assert made.block == (b"content-type: application/json\r\nx-mock-example-name: user 1\r\nvary: Origin\r\n"
                          b"content-length: 11\r\n")
    for odd in ([(b"X-Bad", b"a\nb"), (b"content-length", b"1")],  # a value the server must refuse
                [(b"Bad Name", b"x"), (b"content-length", b"1")],
                [(b"Connection", b"close"), (b"content-length", b"1")],  # framing: uvicorn's to handle
                [(b"Transfer-Encoding", b"chunked")],
                [(b"content-type", b"text/plain")],  # no length
                [(b"content-length", b"1"), (b"Content-Length", b"1")],
                [(b"content-length", b"-1")]):
        assert type(wire_headers(odd)) is list, odd


def test_every_byte_uvicorn_refuses_in_a_name_or_value_keeps_the_list_for_uvicorn() -> None:
    from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE

    for b in range(256):
        byte = bytes((b,))
        name = wire_headers([(b"X-" + byte + b"a", b"v"), (b"content-length", b"1")])
        value = wire_headers([(b"X-Name", b"a" + byte + b"b"), (b"content-length", b"1")])
        assert isinstance(name, WireHeaders) is (HEADER_RE.search(byte) is None), byte
        assert isinstance(value, WireHeaders) is (HEADER_VALUE_RE.search(byte) is None), byte
    # A refused byte anywhere among several headers, not only in the first.
    assert type(wire_headers([*HEADERS[:3], (b"X-Late", b"ok\x7f")])) is list
    assert type(wire_headers([*HEADERS, (b"X-La(te", b"ok")])) is list


def test_headers_answers_share_are_encoded_once_and_an_examples_own_are_not_kept() -> None:
    def reply(example_id: str, name: str = "user", kept: bool = True) -> Reply:
        return Reply(200, "OK", [("Content-Type", "application/json"), ("X-Mock-Example-Name", name),
                                 ("X-Mock-Example-Id", example_id), ("Access-Control-Allow-Origin", "*"),
                                 ("X-Echo", f"from {example_id}")],
                     b"{}", "mocked", kept=kept)

    first, second = wire_reply_headers(reply("e1")), wire_reply_headers(reply("e2"))
    assert list(first) == [(b"Content-Type", b"application/json"), (b"X-Mock-Example-Name", b"user"),
                           (b"X-Mock-Example-Id", b"e1"), (b"Access-Control-Allow-Origin", b"*"),
                           (b"X-Echo", b"from e1"), (b"content-length", b"2")]
    assert first[0] is second[0] and first[3] is second[3]  # encoded once
    assert ("X-Mock-Example-Id", "e1") not in _ENCODED and ("X-Mock-Example-Name", "user") not in _ENCODED
    # A reply made for one call (a template's) leaves nothing behind: it may hold the caller's data.
    wire_reply_headers(reply("once", kept=False))
    assert ("X-Echo", "from once") not in _ENCODED and ("X-Echo", "from e1") in _ENCODED
    # A lone surrogate (an example named so) is still sent, escaped as the rest of the engine does.
    odd = wire_reply_headers(reply("e3", "\ud800"))
    assert odd[1][0] == b"X-Mock-Example-Name" and odd[1][1] != b"" and type(odd[1][1]) is bytes
