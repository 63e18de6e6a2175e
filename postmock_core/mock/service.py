"""Answering one call to a mock, the same way for every engine.

An engine (the ASGI server in `serve/`, the mitmproxy addon in `mitm/`) turns what it received
into the core's `HttpRequest` and awaits `MockService.answer`, which does everything a mock does
beyond choosing an example (`MockRuntime.decide`): redacts the request, waits out the delay
without blocking, passes misses on to the real API (and records them), turns a failing API
into a JSON 502, adds CORS and the X-Mock headers, and hands the call to the call log. The
engine only sends the `Reply` back.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.mock.callwriter import CallWriter
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.forward import Forwarder, Upstream
from postmock_core.mock.missrecorder import MissRecorder
from postmock_core.mock.privacy import without
from postmock_core.mock.replies import (
    bad_gateway,
    finish_headers,
    mock_not_found,
    passthrough_headers,
)
from postmock_core.mock.runtime import Decision, MockCatalog, MockRuntime
from postmock_core.mock.served import Served, kept_for_long
from postmock_core.store.workspace import Workspace

__all__ = ["CallListener", "MockService", "Reply"]

log = logging.getLogger(__name__)

# Answers made ahead (see `MockService._ahead`): this many between looks at whether calls came
# in, pausing this long (in seconds) when some did; the GC's walks are kept out per chunk.
AHEAD_SLICE = 16
AHEAD_PAUSE = 0.02
AHEAD_CHUNK = 4096

REPLY_CACHE_CAP = 10_000
# A request body at least this large is redacted and matched on a thread: reading megabytes of
# JSON takes seconds, and on the event loop no other call would be answered meanwhile.
OFF_LOOP_BODY = 256 * 1024


@dataclass(slots=True)
class Reply:
    """What to send back for one call, with what decided it (for logs and the engine)."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    kind: str  # Decision.kind
    example_id: str | None = None
    example_name: str | None = None
    score: float | None = None
    upstream: Upstream | None = None  # where a miss was passed on to
    failed: bool = False  # the passed-on call got no answer: this is our 502
    error: str | None = None  # why it got none
    # Header and query names taken off the call before it was passed on (a private mock's key).
    stripped: tuple[str, ...] = ()
    # An engine may keep its own encoding of a reply here: a static example's reply is the
    # same object on every call (see `MockService.answer`), and says so in `kept`.
    wire: Any = None
    kept: bool = False


# (mock or None, redacted request, reply, duration in ms): for a live view of the calls.
CallListener = Callable[[MockConfig | None, HttpRequest, Reply, float], None]


def score_text(score: float | None) -> str:
    """X-Mock-Score: a response picked by x-mock-response-id/-name was selected, not scored."""
    return "selected" if score is None else f"{score:g}"


class MockService:
    """Answers calls for the mocks of one workspace; one per engine instance.

    `record_misses=False` leaves recording a passed-on miss to the engine (mitmproxy's own
    recorder); `listener` sees every call as it is answered.
    """

    def __init__(self, ws: Workspace, *, redactor: Redactor | None = None, call_log: bool = True,
                 record_misses: bool = True, forwarder: Forwarder | None = None,
                 listener: CallListener | None = None, call_log_in: Workspace | None = None) -> None:
        """`call_log_in`: where the call logs go, when not into `ws` (a host serving a shared,
        read-only workspace keeps its own)."""
        self.ws = ws
        self.catalog = MockCatalog(ws)
        self.redactor = redactor or Redactor()
        self.writer = CallWriter(call_log_in or ws) if call_log else None
        self.misses = MissRecorder(ws, self.redactor) if record_misses else None
        self.forwarder = forwarder or Forwarder()
        self.listener = listener
        self._runtimes: dict[str, MockRuntime] = {}
        # An engine's encoding of a reply kept for reuse (`Reply.wire`), made ahead where it can be.
        self.encode: Callable[[Reply], Any] | None = None
        # Told (mock, how many, seconds) once a large version's answers are made ahead.
        self.on_ahead: Callable[[MockConfig, int, float], None] | None = None
        self.calls = 0  # answered so far: what makes answers ahead yields to them
        self._closed = False

    def runtime(self, mock_id: str) -> MockRuntime:
        """The live runtime of one mock (made once, kept while the service lives)."""
        rt = self._runtimes.get(mock_id)
        if rt is None:
            rt = self._runtimes[mock_id] = MockRuntime(self.catalog, mock_id)
            rt.answers_ahead = self._ahead
        return rt

    def set_redactor(self, redactor: Redactor) -> None:
        """New redaction rules, for live requests and for recorded misses from now on."""
        self.redactor = redactor
        if self.misses is not None:
            self.misses.redactor = redactor

    async def answer(self, runtime: MockRuntime | None, request: HttpRequest,
                     standalone: bool = True) -> Reply:
        """The reply to `request` (as received, secrets and all) for the mock `runtime` serves.

        `runtime` None: no mock lives here (mockNotFoundError). `standalone` False: inside a
        recording proxy, where a miss goes on to the host the caller named.
        """
        started = time.time()
        t0 = time.perf_counter()
        self.calls += 1
        masks = None
        if runtime is None:
            found, redacted = self._redacted(request)
            mock, decision = None, Decision("not-found", mock_not_found())
        else:
            now = runtime.current()  # looked up here: a thread below only reads what it gives
            mock, masks = now[0], now[2]
            if len(request.body) >= OFF_LOOP_BODY:
                found, redacted, decision = await asyncio.to_thread(self._decide, runtime, request, standalone, now)
            else:
                found, redacted, decision = self._decide(runtime, request, standalone, now)
        origin = request.header("origin")
        if decision.response is None:
            if asyncio.current_task() is None:
                await asyncio.sleep(0)  # an engine started this call outside a task: httpx needs one
            reply, logged = await self._forward(decision, request, origin, standalone, started, t0)
        else:
            if decision.delay_ms:
                await asyncio.sleep(decision.delay_ms / 1000)
            reply, logged = self._local(decision, origin), decision.response
        duration_ms = (time.perf_counter() - t0) * 1000
        if mock is not None and self.writer is not None:
            # An answer from the real API is redacted by history's rules before it is logged.
            self.writer.add(mock.id, self._cap(mock), redacted, logged, started, duration_ms,
                            reply.example_id, reply.example_name, reply.score,
                            redactor=self.redactor if reply.upstream is not None else None,
                            found=found or None, masks=masks or None)
        if self.listener is not None:
            self.listener(mock, redacted, reply, duration_ms)
        return reply

    def _redacted(self, request: HttpRequest) -> tuple[SecretValues | None, HttpRequest]:
        """(what redaction found, or None; the request as the log may keep it)."""
        if self.redactor.is_plain(request):
            return None, request  # nothing in it could be a secret
        found = SecretValues()
        return found, self.redactor.request(request, found=found)

    def _decide(self, runtime: MockRuntime, request: HttpRequest, standalone: bool,
                now: tuple[MockConfig | None, Served | str | None, SecretValues]
                ) -> tuple[SecretValues | None, HttpRequest, Decision]:
        found, redacted = self._redacted(request)
        return found, redacted, runtime.decide(redacted, request.header("x-api-key"), standalone, now, request)

    def _local(self, decision: Decision, origin: str | None) -> Reply:
        resp = decision.response
        assert resp is not None
        kept = decision.kept
        if decision.stable and kept is not None:
            # The value keeps the response alive, so its id is never reused while it is there.
            key = (id(resp), origin, decision.score)
            entry = kept.get(key)
            if entry is None:
                if len(kept) >= max(decision.kept_cap, REPLY_CACHE_CAP):
                    kept.clear()
                entry = kept[key] = (resp, self._finish(decision, resp, origin, kept=True))
            return entry[1]  # type: ignore[no-any-return]
        return self._finish(decision, resp, origin)

    def _ahead(self, mock: MockConfig, served: Served, decisions: Iterator[Decision]) -> None:
        """Finish, ahead of their first call, the replies to a large version's remembered
        decisions (for callers that send no Origin), encoded for the engine; on a thread.

        Calls come first: while they arrive, this waits most of the time (`AHEAD_PAUSE` after
        every `AHEAD_SLICE` replies), so the calls it speeds up later do not pay for it now.
        """
        t0, made, seen = time.perf_counter(), 0, self.calls
        chunk = AHEAD_CHUNK
        while chunk == AHEAD_CHUNK and not self._closed:
            chunk = 0
            # They live as long as the version: kept out of the GC's walks (calls answered
            # meanwhile may have left garbage: collected first).
            with kept_for_long(young_first=True):
                for decision in itertools.islice(decisions, AHEAD_CHUNK):
                    reply = self._local(decision, None)
                    if self.encode is not None and reply.wire is None:
                        reply.wire = self.encode(reply)
                    chunk += 1
                    if chunk % AHEAD_SLICE == 0:
                        if self._closed:
                            break
                        calls = self.calls
                        time.sleep(AHEAD_PAUSE if calls != seen else 0)
                        seen = calls
            made += chunk
        if self._closed or served.released:
            return  # stopped before the end: a newer version, if any, says when it is done
        seconds = time.perf_counter() - t0
        log.info("postmock: mock %s: %d answer(s) made ahead in %.2f s", mock.name, made, seconds)
        if self.on_ahead is not None:
            self.on_ahead(mock, made, seconds)

    def _finish(self, decision: Decision, resp: HttpResponse, origin: str | None, kept: bool = False) -> Reply:
        extra = None
        if decision.kind == "mocked":
            extra = [("X-Mock-Example-Name", decision.example_name or ""),
                     ("X-Mock-Example-Id", decision.example_id or ""),
                     ("X-Mock-Score", score_text(decision.score))]
        return Reply(resp.status, resp.reason, finish_headers(resp, origin, extra), resp.body,
                     decision.kind, decision.example_id, decision.example_name, decision.score, kept=kept)

    async def _forward(self, decision: Decision, request: HttpRequest, origin: str | None,
                       standalone: bool, started: float, t0: float) -> tuple[Reply, HttpResponse]:
        """A miss passed on to the real API; recorded too when the mock says `record`."""
        upstream = decision.forward or (request.scheme, request.host, request.port)
        request = without(request, decision.strip)
        got = await self.forwarder.send(request, upstream, keep_host=not standalone)
        kind = decision.kind
        if kind == "record" and self.misses is not None:
            # Recorded as a call to the real API; a failure too, as the recording proxy does.
            scheme, host, port = upstream
            sent = HttpRequest(request.method, scheme, host, port, request.path, request.query,
                               request.headers, request.body, request.http_version)
            self.misses.add(Exchange(sent, None if isinstance(got, str) else got, started,
                                     round((time.perf_counter() - t0) * 1000, 3),
                                     error=got if isinstance(got, str) else None,
                                     mode="reverse" if standalone else "regular"))
        if isinstance(got, str):
            log.warning("postmock: passing a missed %s %s on failed: %s", request.method, request.path, got)
            resp = bad_gateway(got)
            reply = Reply(resp.status, resp.reason, finish_headers(resp, origin), resp.body, kind,
                          example_name=f"No matching requests ({kind} failed: {got})",
                          upstream=upstream, failed=True, error=got, stripped=decision.strip)
            return reply, resp
        reply = Reply(got.status, got.reason, passthrough_headers(got, origin), got.body, kind,
                      example_name=f"No matching requests ({kind})", upstream=upstream,
                      stripped=decision.strip)
        return reply, HttpResponse(got.status, got.reason, reply.headers, got.body)

    def _cap(self, mock: MockConfig) -> int:
        return mock.call_log_cap or self.catalog.settings().call_log_cap

    async def aclose(self) -> None:
        """Close upstream connections, write the queued calls and misses."""
        await self.forwarder.aclose()
        self.close_writers()

    def close_writers(self) -> None:
        """Write what the call log and the miss recorder hold, and stop their threads."""
        self._closed = True  # and stop making answers ahead
        if self.writer is not None:
            self.writer.done()
        if self.misses is not None:
            self.misses.close()
