"""uvicorn (httptools, uvloop) answering ASGI apps, one per port, opened and closed at will.

uvicorn's `Server` listens once, at start. A workspace's mock service opens a port when a mock
is created and closes it when the mock goes, so `Engine` drives uvicorn's HTTP protocol itself:
one `uvicorn.Config` per app, one shared `ServerState` (connections, tasks, the Date header),
and an asyncio server per port. `BackgroundEngine` runs an `Engine` on its own thread and
event loop, for callers that are not async (a test fixture, say).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import re
import socket
import threading
import time
import types
from collections.abc import Coroutine, Generator
from concurrent.futures import Future
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, TypeVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState

from postmock_core.mock.replies import error_body
from postmock_core.serve.app import ASGIApp
from postmock_core.serve.wire import WireHeaders

__all__ = ["BackgroundEngine", "Engine", "bind", "new_event_loop", "tune_gc_for_serving"]

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKLOG = 2048
# Keep-alive connections idle this long are closed (uvicorn's default is 5 s; load tools and
# browsers reuse connections across pauses longer than that).
KEEP_ALIVE = 30
# A request's line and headers must arrive within this many seconds of its first byte (or of
# the connection, for its first request): a client that trickles them is answered 408 and cut
# off, and a connection that sends nothing is closed, so that slow clients cannot hold every
# connection the process can open.
HEAD_TIMEOUT = 30.0


# Allocations between young-generation collections in a serving process (CPython's default
# is 700): each call allocates a few hundred short-lived objects, none of them cyclic garbage,
# while the caches of a large collection's answers keep growing, and a collection that walks
# them all would run every few hundred calls.
SERVING_GC_THRESHOLD = (50_000, 50, 100)


def tune_gc_for_serving() -> None:
    """Collect cyclic garbage rarely: a serving process makes little of it."""
    gc.set_threshold(*SERVING_GC_THRESHOLD)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop when uvloop is installed, else asyncio's own."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; a platform may lack it
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def bind(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket at host:port (0: a free port); OSError when the port is taken.

    `reuse_port` (SO_REUSEPORT) lets several worker processes listen on the same port; the
    kernel spreads connections between them.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


_HIGH = re.compile(rb"[\x80-\xff]")
# The longest start of a request line held back for its end; a longer one goes to the parser,
# which refuses a request line that long anyway.
_LINE_HELD = 64 * 1024


def _escape_high(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match[0][0]


# Writes at least this large go out at once rather than being joined with the next ones.
_JOIN_BELOW = 64 * 1024


class _JoinedWrites:
    """A transport whose writes made in one turn of the event loop go out as one send.

    uvicorn writes an answer's head and its body separately: two system calls, and on loopback
    two trips through the receiver's TCP stack, for what fits one packet. Everything else is
    the transport's own.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if len(data) >= _JOIN_BELOW:
            self.flush()
            self._transport.write(data)
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if self._pending:
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._pending = []
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Cycle(RequestResponseCycle):
    """uvicorn's request-response cycle, writing the head of an answer whose headers are
    `WireHeaders` from their checked, joined block; any other answer is uvicorn's to send."""

    async def send(self, message: Any) -> None:
        headers = message.get("headers")
        if (type(headers) is not WireHeaders or self.response_started or self.disconnected
                or self.flow.write_paused or message["type"] != "http.response.start"):
            await super().send(message)
            return
        self.response_started = True
        self.waiting_for_100_continue = False
        self.expected_content_length = headers.length
        self.chunked_encoding = False
        close = b"" if self.keep_alive else b"connection: close\r\n"
        self.transport.write(b"".join((STATUS_LINE[message["status"]], _default_block(self.default_headers),
                                       headers.block, close, b"\r\n")))


_defaults: tuple[object, bytes] = (None, b"")


def _default_block(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The server's own headers (Date), joined: once per list (the engine makes one a second)."""
    global _defaults
    if _defaults[0] is not headers:
        _defaults = (headers, b"".join(b"%s: %s\r\n" % (k.lower(), v) for k, v in headers))
    return _defaults[1]


class _Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, taking bytes outside ASCII in a request target, and
    sending each answer in one write (see `_JoinedWrites`).

    The parser refuses such bytes ("Invalid char in url path"); clients send them all the
    same, and mitmproxy answers them, so the start of a new request's target is
    percent-encoded first.
    """

    _fresh = True  # the next bytes begin a request line
    _start = b""  # the start of a request line that came without its end, held until it comes
    _in_head = True  # the line and headers of the request to come are not all in yet
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoinedWrites(transport, self.loop))  # type: ignore[arg-type]
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._fresh:
            if self._start:
                data, self._start = self._start + data, b""
            line_end = data.find(b"\n")
            if line_end < 0 and len(data) <= _LINE_HELD:
                self._start = data  # a request line cut between two reads: escaped once whole
                self._start_head_timer()
                return
            if line_end > 0 and not data[:line_end].isascii():
                data = _HIGH.sub(_escape_high, data[:line_end]) + data[line_end:]
        super().data_received(data)
        if self._in_head and not self._fresh:
            self._start_head_timer()  # a head that came in pieces (most come whole: no timer)

    def _start_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._start_head_timer()  # the next request waits behind one being answered
        elif self._fresh and not self._start:
            self.transport.close()  # nothing sent at all (a browser's spare connection): no answer
        else:
            self._send_error(408, "Request Timeout", "requestTimeoutError",
                             f"The request's line and headers did not all arrive within {HEAD_TIMEOUT:g} s")

    def on_message_begin(self) -> None:
        self._fresh = False
        super().on_message_begin()

    def send_400_response(self, msg: str) -> None:
        """What the parser refused (a NUL in a header, both Content-Length and Transfer-Encoding)
        is answered in Postman's error shape, as every other error of a mock, not as plain text."""
        self._send_error(400, "Bad Request", "badRequestError", f"{msg} The request is not valid HTTP/1.1")

    def _send_error(self, status: int, reason: str, name: str, msg: str) -> None:
        """Answer in Postman's error shape and close the connection."""
        self._stop_head_timer()
        body = json.dumps(error_body(name, f"{msg}; postmock answered nothing from the collection.",
                                     reason)).encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (status, reason.encode())]
        for name_, value in self.server_state.default_headers:
            head += (name_, b": ", value, b"\r\n")
        head.append(b"content-type: application/json; charset=utf-8\r\naccess-control-allow-origin: *\r\n"
                    b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._fresh = True
        self._in_head = True  # what comes next is a new request's head
        super().on_message_complete()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        """Run an app that allows it (`starts_outside_a_task`) at once, not in a task of its own:
        most calls are answered without ever waiting (a remembered answer, no body to read), and
        then no task is made at all. A call that waits (a delay, a body) goes on in a task from
        there. Such an app must itself move into a task before what needs one (anyio, httpx):
        `asyncio.sleep(0)` does."""
        if type(cycle) is RequestResponseCycle:  # made just now, not yet run: it sends our way
            cycle.__class__ = _Cycle
        if not getattr(app, "starts_outside_a_task", False):
            super()._start_asgi_task(cycle, app)
            return
        run = cycle.run_asgi(app)
        try:
            waiting = run.send(None)
        except StopIteration:
            return
        except Exception:  # run_asgi answers 500 for what the app raises: this would be the server's own bug
            log.exception("postmock: answering a call failed")
            self.transport.close()
            return
        task = self.loop.create_task(_resumed(run, waiting))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)


@types.coroutine
def _resumed(run: Coroutine[Any, Any, None], waiting: Any) -> Generator[Any, Any, None]:
    """The rest of coroutine `run`, whose first step yielded `waiting` (what its task waits on):
    what the task sends or throws in (a cancellation) goes on to `run`, as `await` would."""
    while True:
        try:
            sent = yield waiting
        except BaseException as exc:  # noqa: BLE001 - thrown in by the task: `run` decides
            try:
                waiting = run.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting = run.send(sent)
        except StopIteration:
            return


class _NoCancelledNoise(logging.Filter):
    """Calls still waiting out a delay are cancelled at shutdown: that is no application error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


logging.getLogger("uvicorn.error").addFilter(_NoCancelledNoise())


def _config(app: ASGIApp) -> uvicorn.Config:
    config = uvicorn.Config(app, http=_Protocol, ws="none", lifespan="off", interface="asgi3",
                            access_log=False, log_config=None, proxy_headers=False, server_header=False,
                            date_header=True, timeout_keep_alive=KEEP_ALIVE, backlog=BACKLOG)
    config.load()
    return config


@dataclass
class _Listener:
    app: ASGIApp
    server: asyncio.base_events.Server


class Engine:
    """ASGI apps served by uvicorn's HTTP protocol in the running event loop, each at a port."""

    def __init__(self, host: str = "127.0.0.1", reuse_port: bool = False) -> None:
        self.host = host
        self.reuse_port = reuse_port
        self.state = ServerState()
        self._listeners: dict[int, _Listener] = {}
        self._ticker: asyncio.Task[None] | None = None

    @property
    def ports(self) -> list[int]:
        """The ports listening now."""
        return sorted(self._listeners)

    def app_at(self, port: int) -> ASGIApp | None:
        """The app answering at `port`, if any."""
        listener = self._listeners.get(port)
        return listener.app if listener else None

    async def open(self, port: int, app: ASGIApp, sock: socket.socket | None = None) -> int:
        """Answer calls to `port` (0: a free one) with `app`; return the port.

        Raises OSError when the port is taken. `sock` serves an already bound socket instead.
        """
        if self._ticker is None:
            self._tick()
            self._ticker = asyncio.get_running_loop().create_task(self._ticking())
        if port and port in self._listeners:
            raise OSError(f"port {port} is already served here")
        sock = sock or bind(self.host, port, self.reuse_port)
        port = int(sock.getsockname()[1])
        config = _config(app)
        loop = asyncio.get_running_loop()

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.state, app_state={}, _loop=loop)

        try:
            server = await loop.create_server(protocol, sock=sock, backlog=BACKLOG)
        except OSError:
            sock.close()
            raise
        self._listeners[port] = _Listener(app, server)
        return port

    async def close(self, port: int) -> None:
        """Stop listening at `port` and end its open connections once their answer is sent."""
        listener = self._listeners.pop(port, None)
        if listener is None:
            return
        listener.server.close()
        for conn in list(self.state.connections):
            where = getattr(conn, "server", None)
            if where and where[1] == port:
                conn.shutdown()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(listener.server.wait_closed(), 5)

    async def stop(self, timeout: float = 10.0) -> None:
        """Close every port, let calls in flight finish (up to `timeout` s), then end the rest."""
        for listener in self._listeners.values():
            listener.server.close()
        self._listeners.clear()
        for conn in list(self.state.connections):
            conn.shutdown()
        deadline = time.monotonic() + timeout
        while (self.state.connections or self.state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for task in list(self.state.tasks):
            task.cancel()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    def _tick(self) -> None:
        self.state.default_headers = [(b"date", formatdate(time.time(), usegmt=True).encode())]

    async def _ticking(self) -> None:
        # The Date header, formatted once a second rather than per answer (as uvicorn does).
        while True:
            await asyncio.sleep(1.0)
            self._tick()


class BackgroundEngine:
    """An `Engine` on a thread of its own with its own (uvloop) event loop.

    Use it from code that is not async: `open` and `close` return when done. `call` runs any
    coroutine on the engine's loop. `stop` ends the loop and the thread.
    """

    def __init__(self, host: str = "127.0.0.1", reuse_port: bool = False) -> None:
        self.engine = Engine(host, reuse_port)
        self.loop = new_event_loop()
        self._thread = threading.Thread(target=self._run, name="postmock-serve", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run `coro` on the engine's loop and return its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def open(self, port: int, app: ASGIApp) -> int:
        """Answer calls to `port` (0: a free one) with `app`; return the port."""
        return self.call(self.engine.open(port, app))

    def close(self, port: int) -> None:
        """Stop answering at `port`."""
        self.call(self.engine.close(port))

    def stop(self, timeout: float = 10.0) -> None:
        """Close every port, finish calls in flight, and end the thread."""
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            self.call(self.engine.stop(timeout), timeout + 5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self.loop.close()
