"""The ASGI engine's public entry points, in-process: serve_mock, Engine ports, the scope adapter."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import pickle
import socket
import time

import httpx
import pytest
from support.mockkit import make_mock, postmock, users_collection
from support.procs import free_port, wait_until

from postmock_core.errors import PostmockError
from postmock_core.exchange import SharedHeaders
from postmock_core.mock.calllog import CallLog
from postmock_core.serve import server
from postmock_core.serve.app import request_from_scope, split_host
from postmock_core.serve.inprocess import serve_mock
from postmock_core.serve.server import BackgroundEngine
from postmock_core.serve.workers import worker_count
from postmock_core.store.workspace import Workspace


def test_serve_mock_answers_on_a_free_port_and_logs_the_call(workspace: Workspace) -> None:
    mock = make_mock(workspace, "users", free_port())
    with serve_mock(workspace, "users", port=0) as served:
        assert served.port != mock.port and served.url == f"http://127.0.0.1:{served.port}"
        with httpx.Client(base_url=served.url, trust_env=False, timeout=10) as c:
            r = c.get("/users/1")
    assert r.status_code == 200 and r.json() == {"id": 1, "name": "Ada"}
    assert r.headers["X-Mock-Example-Name"] == "Ada"
    calls = [d for _, d in CallLog(workspace, mock.id).query()]  # written by stop()
    assert [(c["path"], c["status"]) for c in calls] == [("/users/1", 200)]
    assert ["host", f"127.0.0.1:{served.port}"] in calls[0]["request"]["headers"]


def test_serve_mock_refuses_an_unknown_mock_and_a_taken_port(workspace: Workspace) -> None:
    with pytest.raises(PostmockError, match="no mock 'ghost'"):
        serve_mock(workspace, "ghost")
    make_mock(workspace, "users", free_port())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(PostmockError, match="cannot serve mock 'users'"):
            serve_mock(workspace, "users", port=taken.getsockname()[1])


def test_headers_the_server_cannot_send_are_dropped_and_204_sends_no_body(workspace: Workspace) -> None:
    doc = users_collection("odd answers")

    def item(path: str, status: int, headers: list[tuple[str, str]], body: str) -> dict[str, object]:
        return {"name": path, "request": {"method": "GET", "url": "{{baseUrl}}" + path}, "response": [
            {"name": path, "code": status, "header": [{"key": k, "value": v} for k, v in headers], "body": body}]}

    doc["item"] += [item("/badname", 200, [("Bad Name", "x"), ("X(y)", "1"), ("X-Good", "kept")], "ok"),
                    item("/badvalue", 200, [("X-Ctl", "a\x01b"), ("X-Del", "a\x7fb"), ("X-Good", "kept")], "ok"),
                    item("/s204", 204, [("X-Good", "kept")], "a body 204 must not carry")]
    make_mock(workspace, "odd", free_port(), doc)
    with (serve_mock(workspace, "odd", port=0) as served,
          httpx.Client(base_url=served.url, trust_env=False, timeout=10) as c):  # one connection
        for path in ("/badname", "/badvalue", "/s204", "/users/1"):
            r = c.get(path)
            assert r.headers["X-Mock-Example-Name"] in (path, "Ada"), path
            if path != "/users/1":
                assert r.headers["X-Good"] == "kept"
                assert not {"bad name", "x(y)", "x-ctl", "x-del"} & set(r.headers), path
        assert c.get("/s204").content == b""
        assert c.get("/users/1").json() == {"id": 1, "name": "Ada"}  # the connection lived on


def test_engine_opens_and_closes_ports_while_running() -> None:
    async def hello(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"port %d" % scope["server"][1]})

    engine = BackgroundEngine()
    try:
        a = engine.open(0, hello)
        b = engine.open(0, hello)
        assert httpx.get(f"http://127.0.0.1:{b}/", trust_env=False).text == f"port {b}"
        engine.close(a)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{a}/", trust_env=False)
        assert httpx.get(f"http://127.0.0.1:{b}/", trust_env=False).status_code == 200
        assert engine.engine.ports == [b]
    finally:
        engine.stop()
    wait_until(lambda: not engine.loop.is_running(), 5, message="the engine's loop to stop")


@pytest.mark.parametrize(("value", "expected"), [
    ("127.0.0.1:7301", ("127.0.0.1", 7301)), ("api.test", ("api.test", None)),
    ("[::1]:8080", ("::1", 8080)), ("[::1]", ("::1", None)), ("bad:port", ("bad:port", None)),
])
def test_split_host(value: str, expected: tuple[str, int | None]) -> None:
    assert split_host(value) == expected


def test_request_from_scope_keeps_the_raw_path_query_and_callers_host() -> None:
    scope = {"type": "http", "method": "GET", "scheme": "http", "http_version": "1.1",
             "path": "/a b", "raw_path": b"/a%20b", "query_string": b"q=1&q=&x",
             "server": ("127.0.0.1", 7301), "headers": [(b"host", b"mock.test:81"), (b"x-k", b"v")]}
    r = request_from_scope(scope, b"")
    assert (r.host, r.port, r.path) == ("mock.test", 81, "/a%20b")
    assert r.query == [("q", "1"), ("q", ""), ("x", "")]
    assert r.header("X-K") == "v" and r.http_version == "HTTP/1.1"
    no_host = request_from_scope({**scope, "headers": []}, b"")
    assert (no_host.host, no_host.port) == ("127.0.0.1", 7301)


def test_calls_sending_the_same_header_lines_share_them_and_what_they_say() -> None:
    scope = {"type": "http", "method": "GET", "scheme": "http", "http_version": "1.1", "path": "/a",
             "raw_path": b"/a", "query_string": b"", "server": ("127.0.0.1", 7301),
             "headers": [(b"host", b"mock.test:81"), (b"x-mock-response-name", b"Two"), (b"x-k", b"v1"),
                         (b"X-K", b"v2")]}
    first, again = request_from_scope(scope, b""), request_from_scope({**scope, "path": "/b", "raw_path": b"/b"}, b"")
    assert type(first.headers) is SharedHeaders and first.headers is again.headers
    assert (again.host, again.port, again.path) == ("mock.test", 81, "/b")
    assert first.header("x-k") == "v1" and first.header("X-MOCK-RESPONSE-NAME") == "Two"
    assert first.header("absent", "d") == "d" and first.headers.x_mock
    with pytest.raises(TypeError, match="never changed"):
        first.headers.append(("x-more", "1"))
    with pytest.raises(TypeError):
        first.headers[0] = ("host", "elsewhere")
    assert type(pickle.loads(pickle.dumps(first.headers))) is list
    assert pickle.loads(pickle.dumps(first)).headers == list(first.headers)
    other = request_from_scope({**scope, "headers": [(b"host", b"mock.test:82")]}, b"")
    assert other.port == 82 and not other.headers.x_mock and other.headers is not first.headers
    # Without a Host header the call's own address counts, call by call.
    bare = {**scope, "headers": [(b"accept", b"*/*")]}
    assert request_from_scope({**bare, "server": ("127.0.0.1", 1)}, b"").port == 1
    assert request_from_scope({**bare, "server": ("127.0.0.1", 2)}, b"").port == 2
    assert request_from_scope({**bare, "scheme": "https", "headers": [(b"host", b"a.test")]}, b"").port == 443
    # A body in a Content-Encoding is decoded, and the header goes (from this call's copy only).
    zipped = {**scope, "headers": [(b"host", b"a.test"), (b"content-encoding", b"gzip")]}
    decoded = request_from_scope(zipped, gzip.compress(b"hi", mtime=0))
    assert decoded.body == b"hi" and decoded.header("content-encoding") is None
    assert request_from_scope(zipped, b"").header("content-encoding") == "gzip"


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), ("auto", os.cpu_count() or 1)])
def test_worker_count(value: str, expected: int) -> None:
    assert worker_count(value) == expected


@pytest.mark.parametrize("args", [["--workers", "0"], ["--workers", "many"], ["--workers", "65"],
                                  ["--workers", "99999999999999999999"],
                                  ["--workers", "2", "--engine", "mitmproxy"],
                                  ["users", "--port", "70000"], ["users", "--port", "0"], ["users", "--port", "-1"],
                                  ["--listen", "192.0.2.1"], ["--listen", "nohost.invalid"], ["--listen", ""]])
def test_bad_serve_options_are_one_line(workspace: Workspace, args: list[str]) -> None:
    proc = postmock(workspace.root, "serve", "--no-admin", *args, check=False)
    assert proc.returncode != 0 and proc.stderr.startswith("postmock: error: ")
    option = next(a for a in args if a.startswith("--") and a != "--engine")
    assert option in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def _raw_exchange(port: int, *pieces: bytes) -> bytes:
    """What the engine answers to `pieces`, each sent in its own write, read until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for piece in pieces:
            s.sendall(piece)
            time.sleep(0.05)  # each piece its own read on the other side
        return _read_all(s)


def _read_all(s: socket.socket) -> bytes:
    """What a socket receives until the other side closes."""
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize("pieces", [
    [b"GET /caf\xc3\xa9?q=\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    [b"GET /caf\xc3", b"\xa9?q=\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],  # cut inside a letter
    [b"GE", b"T /caf\xc3\xa9?q=\xc3\xa9 HTTP/1.1", b"\r\nHost: x\r\nConnection: close\r\n\r\n"],
])
def test_bytes_outside_ascii_in_a_request_target_are_taken_however_the_line_arrives(pieces: list[bytes]) -> None:
    async def echo(scope, receive, send):  # type: ignore[no-untyped-def]
        body = scope["raw_path"] + b"?" + scope["query_string"]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    engine = BackgroundEngine()
    try:
        port = engine.open(0, echo)
        answer = _raw_exchange(port, *pieces)
        # The next request on a kept-alive connection, its line cut in two as well.
        keep_alive = _raw_exchange(port, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /\xc3",
                                   b"\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    finally:
        engine.stop()
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n/caf%C3%A9?q=%C3%A9")
    assert keep_alive.startswith(b"HTTP/1.1 200 ") and keep_alive.endswith(b"\r\n\r\n/%C3%A9?")
    assert keep_alive.count(b"HTTP/1.1 200 ") == 2


def test_a_caller_that_hangs_up_mid_body_gets_no_answer_and_no_log_line(workspace: Workspace,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    mock = make_mock(workspace, "users", free_port())
    with serve_mock(workspace, "users", port=0) as served:
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
                s.sendall(b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 100000\r\n\r\n" + b"{" + b" " * 5000)
                time.sleep(0.1)
        with httpx.Client(base_url=served.url, trust_env=False, timeout=10) as c:
            assert c.get("/users/1").status_code == 200
    calls = [d for _, d in CallLog(workspace, mock.id).query()]
    assert [(c["method"], c["path"]) for c in calls] == [("GET", "/users/1")]
    assert "Traceback" not in caplog.text and "returned without" not in caplog.text


@pytest.mark.parametrize("request_bytes", [
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"get / HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_a_request_the_parser_refuses_is_a_json_400_in_postmans_shape(request_bytes: bytes) -> None:
    async def ok(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    engine = BackgroundEngine()
    try:
        answer = _raw_exchange(engine.open(0, ok), request_bytes)
    finally:
        engine.stop()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"content-type: application/json" in head
    assert json.loads(body)["error"]["name"] == "badRequestError"


def test_a_client_that_trickles_its_head_is_answered_408_and_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow clients cannot hold connections: a request's line and headers must all arrive within
    HEAD_TIMEOUT of its first byte (of the connection, for its first request). A connection
    that sends nothing at all is closed without an answer."""
    monkeypatch.setattr(server, "HEAD_TIMEOUT", 0.5)

    async def slow_ok(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["path"] == "/slow":
            await asyncio.sleep(1.0)  # longer than the head timeout: the head came in time
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    engine = BackgroundEngine()
    try:
        port = engine.open(0, slow_ok)
        with (socket.create_connection(("127.0.0.1", port), timeout=10) as silent,
              socket.create_connection(("127.0.0.1", port), timeout=10) as trickling):
            started = time.monotonic()
            trickling.sendall(b"GET / HTTP/1.1\r\n")
            for _ in range(8):  # a header byte every 0.2 s: 1.6 s in all, never finished
                time.sleep(0.2)
                with contextlib.suppress(OSError):
                    trickling.sendall(b"X")
            head, _, body = _read_all(trickling).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head, head
            assert json.loads(body)["error"]["name"] == "requestTimeoutError"
            assert _read_all(silent) == b""
            assert time.monotonic() - started < 5
        with socket.create_connection(("127.0.0.1", port), timeout=10) as later:
            # The second request of a kept-alive connection, trickled.
            later.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert later.recv(65536).endswith(b"ok")
            later.sendall(b"GET / HTTP/1.1\r\n")
            for _ in range(8):
                time.sleep(0.2)
                with contextlib.suppress(OSError):
                    later.sendall(b"X")
            assert _read_all(later).startswith(b"HTTP/1.1 408 ")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as kept:
            # Idle longer than the head timeout between two calls, then a head in two pieces,
            # then an answer that takes longer than the head timeout.
            kept.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            first = kept.recv(65536)
            time.sleep(1.0)
            kept.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.2)
            kept.sendall(b"Connection: close\r\n\r\n")
            second = _read_all(kept)
    finally:
        engine.stop()
    assert first.startswith(b"HTTP/1.1 200 ") and first.endswith(b"ok")
    assert second.startswith(b"HTTP/1.1 200 ") and second.endswith(b"ok")


class _Recorder:
    """An ASGI app noting, for each call, whether it ran in a task; `/wait` waits first (`/long`
    for long),
    `/fail` raises, `/body` reads the body."""

    def __init__(self, outside: bool) -> None:
        self.starts_outside_a_task = outside
        self.tasks: list[bool] = []

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        self.tasks.append(asyncio.current_task() is not None)
        body = b"ok"
        if scope["path"] in ("/wait", "/long"):
            await asyncio.sleep(0.05 if scope["path"] == "/wait" else 30)
            self.tasks.append(asyncio.current_task() is not None)
        elif scope["path"] == "/fail":
            raise RuntimeError("the app broke")
        elif scope["path"] == "/body":
            message = await receive()
            body = message["body"]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize("outside", [True, False])
def test_an_app_that_allows_it_answers_outside_a_task_until_it_waits(outside: bool) -> None:
    app = _Recorder(outside)
    engine = BackgroundEngine()
    try:
        port = engine.open(0, app)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert client.get("/now").text == "ok"
            assert app.tasks == [not outside]
            assert client.get("/wait").text == "ok"  # goes on in a task once it waits
            assert app.tasks[1:] == [not outside, True]
            assert client.post("/body", content=b"sent").text == "sent"
            assert client.get("/fail").status_code == 500
            assert [r.text for r in (client.get("/now"), client.get("/wait"), client.get("/now"))] == ["ok"] * 3
        # Pipelined: answered in order, the first one waiting.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert _read_all(s).count(b"HTTP/1.1 200 OK") == 3
        # A call still waiting when the engine stops is cancelled, not left behind.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            app.tasks.clear()
            s.sendall(b"GET /long HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_until(lambda: len(app.tasks) == 1, timeout=5)
            engine.call(engine.engine.stop(timeout=0.01))
            wait_until(lambda: not engine.engine.state.tasks, timeout=5)
            assert app.tasks == [not outside]  # it never got past its wait
    finally:
        engine.stop()
