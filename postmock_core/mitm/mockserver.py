"""The mock server addon: answers calls from a collection's examples, as Postman's mocks do.

Standalone (`postmock serve --engine mitmproxy`, `mitmdump -s addons/mock.py`), each mock
listens on its own port in reverse mode and answers everything sent there. In a recording
proxy (`addons/record.py`) it does nothing until `postmock_mode=mock`; then calls to a served
collection's hosts are answered from it and all other traffic passes through (and is recorded
when recording is on).

Every call is answered by `MockService` (the same code as the ASGI engine); this module only
picks the mock a flow is for, converts at the edge, and marks what the recorder may save.

It runs past the ~300-line guide because the standalone and in-proxy modes share one set of
hooks and one option set; split in two, each half would repeat the other's wiring.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from mitmproxy import ctx, exceptions, http
from mitmproxy.flow import Error
from mitmproxy.net.http.url import parse_authority

from postmock_core.exchange import HttpRequest, wire_bytes
from postmock_core.history.codecs import REQUEST_LIMIT
from postmock_core.history.redaction import Redactor
from postmock_core.mitm.flows import request_from_flow
from postmock_core.mitm.modeswitch import ModeSwitch
from postmock_core.mitm.options import (
    HOME_OPTION,
    add_home_option,
    check_given_values,
    one_line_option_errors,
    report_unknown_options,
    workspace_from_options,
)
from postmock_core.mitm.recorder import SKIP_METADATA, Recorder
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.forward import Forwarder
from postmock_core.mock.replies import http_date
from postmock_core.mock.runtime import MockCatalog, MockRuntime, deactivation_reason
from postmock_core.mock.service import CallListener, MockService, Reply
from postmock_core.store.workspace import Workspace

__all__ = ["MOCKED_METADATA", "MockServer", "reverse_modes"]

log = logging.getLogger(__name__)

# flow.metadata keys: which mock answered a flow, and a passed-on miss the standalone server
# records itself.
MOCKED_METADATA = "postmock_mock"
RECORD_METADATA = "postmock_record_miss"

_REDACT = ("postmock_redact_headers", "postmock_redact_keys",
           "postmock_redact_extra_headers", "postmock_redact_extra_keys")
_MODES = ("record", "mock")
# mitmproxy needs an upstream in reverse mode; the mock never connects to it (every call is
# answered in the request hook, a miss passed on by the mock's own client).
_PLACEHOLDER_UPSTREAM = "http://127.0.0.1:1"


def reverse_modes(mocks: Sequence[MockConfig]) -> list[str]:
    """mitmproxy `mode` entries serving each mock on 127.0.0.1 at its own port."""
    return [f"reverse:{_PLACEHOLDER_UPSTREAM}@127.0.0.1:{m.port}" for m in mocks]


def _names(values: Sequence[str] | str) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    return [p.strip() for v in items for p in v.split(",") if p.strip()]


def _mitm_response(reply: Reply, head: bool) -> http.Response:
    fields = [(wire_bytes(k), wire_bytes(v)) for k, v in reply.headers]  # lone surrogates too
    fields.append((b"Date", http_date().encode()))  # uvicorn adds it on the other engine
    if reply.status not in (204, 304) and not 100 <= reply.status < 200:
        fields.append((b"Content-Length", str(len(reply.body)).encode()))
    reason = (reply.reason or http.status_codes.RESPONSES.get(reply.status, "")).encode("utf-8", "replace")
    now = time.time()
    # Built directly rather than through Response(...): that constructor re-checks the type of
    # every field (a debug-mode check that costs more than the rest of a mocked answer), and
    # these values are all made right here with the right types.
    data = object.__new__(http.ResponseData)
    data.__dict__.update(http_version=b"HTTP/1.1", headers=http.Headers(fields),
                         content=b"" if head else reply.body, trailers=None, timestamp_start=now,
                         timestamp_end=now, status_code=reply.status, reason=reason)
    response = object.__new__(http.Response)
    response.data = data
    return response


def _caller_host(req: http.Request, standalone: bool) -> tuple[str, int]:
    """Where the caller thinks it is: its Host header (a reverse proxy's upstream is ours)."""
    if req.host_header:
        try:
            host, port = parse_authority(req.host_header, check=False)
        except ValueError:
            host, port = req.host_header, None
        if port is None:
            port = req.port if not standalone else {"https": 443}.get(req.scheme, 80)
        return host, port
    return req.host, req.port


def _request(req: http.Request, standalone: bool) -> HttpRequest:
    """The core request, built straight from the raw fields (the hot path of every call)."""
    host, port = _caller_host(req, standalone)
    if "content-encoding" in req.headers:
        # A compressed body: decode it properly, up to what a mock decodes.
        decoded = request_from_flow(req, use_host_header=True, limit=REQUEST_LIMIT)
        decoded.host, decoded.port = host, port
        return decoded
    raw_path = req.path
    path, sep, qs = raw_path.partition("?")
    return HttpRequest(
        method=req.method,
        scheme=req.scheme,
        host=host,
        port=port,
        path=path or "/",
        query=parse_qsl(qs, keep_blank_values=True) if sep else [],
        headers=[(k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
                 for k, v in req.headers.fields],
        body=req.raw_content or b"",
        http_version=req.http_version,
    )


class MockServer:
    """mitmproxy addon serving postmock mocks (standalone) or answering for their hosts (proxy)."""

    def __init__(self, standalone: bool = False, listener: CallListener | None = None) -> None:
        self.standalone = standalone
        self.listener = listener
        self.is_running = False
        # Standalone, misses a mock records go through a Recorder this addon drives itself: kept
        # out of mitmproxy's addon chain, it costs nothing on the calls it does not record. In
        # a recording proxy the proxy's own Recorder records them (they are left unmarked).
        self.recorder = Recorder(announce=False) if standalone else None
        # In a recording proxy, `postmock mode record|mock` switches postmock_mode (a sub-addon).
        self.addons = [] if standalone else [ModeSwitch()]
        self.ws: Workspace | None = None
        self.service: MockService | None = None
        self.redactor = Redactor()
        self.runtimes: dict[str, MockRuntime] = {}  # mock ID -> runtime, for the served mocks
        self.by_port: dict[int, MockRuntime] = {}
        self._only: MockRuntime | None = None

    @property
    def catalog(self) -> MockCatalog | None:
        return self.service.catalog if self.service is not None else None

    # -- options ------------------------------------------------------------------------------
    def load(self, loader: Any) -> None:
        add_home_option(loader)
        if self.recorder is not None:
            self.recorder.load(loader)
        loader.add_option(
            "postmock_mock", str, "",
            "The postmock mocks to serve, by name or ID, comma-separated. Standalone "
            "(addons/mock.py), empty serves every active mock, each on its own port. In a "
            "recording proxy, the mocks whose collections answer when postmock_mode is mock.",
        )
        loader.add_option(
            "postmock_mode", str, "record",
            "record: a recording proxy only records. mock: calls to the hosts of the collections "
            "of postmock_mock are answered by those mocks, other traffic passes through (and is "
            "recorded while postmock_record is true). Can be switched at any time.",
            choices=list(_MODES),
        )
        check_given_values(loader, (HOME_OPTION, "postmock_mock", "postmock_mode"))

    @one_line_option_errors
    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        # mitmproxy enforces `choices` only for its own command-line flags, not for `set`.
        if "postmock_mode" in updated and opts.postmock_mode not in _MODES:
            raise exceptions.OptionsError(f"postmock_mode={opts.postmock_mode!r}: use one of {', '.join(_MODES)}")
        if self.recorder is not None:
            self.recorder.configure(updated)
        if "postmock_home" in updated or self.ws is None:
            self.ws = workspace_from_options(opts.postmock_home)
            if self.service is not None:
                self.service.close_writers()
            # Opened on first use: a recording proxy that never mocks leaves the workspace alone.
            self.service = None
            self.runtimes, self.by_port = {}, {}
        if updated.intersection(_REDACT) and all(hasattr(opts, o) for o in _REDACT):
            self.redactor = Redactor.build(
                _names(opts.postmock_redact_headers) + _names(opts.postmock_redact_extra_headers),
                _names(opts.postmock_redact_keys) + _names(opts.postmock_redact_extra_keys),
            )
            if self.service is not None:
                self.service.set_redactor(self.redactor)
        if "ssl_insecure" in updated and self.service is not None:
            self.service.forwarder.verify = not opts.ssl_insecure
        if updated.intersection({"postmock_home", "postmock_mock", "postmock_mode"}):
            self._select(opts.postmock_mock)
            if self.is_running:
                self._announce()

    def _open(self) -> MockService:
        if self.service is None:
            assert self.ws is not None
            verify = not getattr(ctx.options, "ssl_insecure", False)
            # mitmproxy's own recorder records misses: it knows the recording options.
            self.service = MockService(self.ws, redactor=self.redactor, record_misses=False,
                                       forwarder=Forwarder(verify=verify), listener=self.listener)
        return self.service

    def _select(self, value: str) -> None:
        names = _names(value)
        if not names and not self.standalone:
            if ctx.options.postmock_mode == "mock":
                raise exceptions.OptionsError(
                    "postmock_mode=mock needs postmock_mock=NAME: the mock(s) whose collection's "
                    "hosts are answered (see: postmock mock list)")
            self.runtimes, self.by_port = {}, {}
            return
        service = self._open()
        catalog = service.catalog
        mocks = catalog.mocks()
        chosen: list[MockConfig] = []
        unknown = []
        for name in names:
            found = catalog.find(name)
            if found is None:
                unknown.append(name)
            elif found not in chosen:
                chosen.append(found)
        if not names:
            settings = catalog.settings()
            chosen = [m for m in mocks.values() if deactivation_reason(
                m, catalog.collections, catalog.environments, settings) is None]
        user_mode = list(ctx.options.mode) != ["regular"]
        if unknown:
            known = ", ".join(sorted(m.name for m in mocks.values())) or "none yet"
            message = f"postmock_mock: no mock named {', '.join(map(repr, unknown))} (known: {known})"
            # In a recording proxy an unknown mock would leave its hosts going to the real API.
            if not self.standalone or (not chosen and not user_mode):
                raise exceptions.OptionsError(message)
            log.warning("postmock: %s; calls for it are answered with mockNotFoundError", message)
        self.runtimes = {m.id: service.runtime(m.id) for m in chosen}
        self.by_port = {m.port: self.runtimes[m.id] for m in chosen}
        # One mock on the user's own --mode (not one we set up) answers on whatever port that is.
        ours = any(_PLACEHOLDER_UPSTREAM in m for m in ctx.options.mode)
        self._only = next(iter(self.runtimes.values())) if len(chosen) == 1 and user_mode and not ours else None
        if self.standalone:
            # A mock answers before any upstream is needed: never connect eagerly; keep the
            # caller's Host header (the call log and {{$headers 'host'}} show it). And unless
            # told otherwise (--mode), listen where each mock lives.
            wanted: dict[str, Any] = {"connection_strategy": "lazy", "keep_host_header": True}
            if chosen and not user_mode:
                wanted["mode"] = reverse_modes(chosen)
            changes = {k: v for k, v in wanted.items() if k in ctx.options and getattr(ctx.options, k) != v}
            if changes:
                ctx.options.update(**changes)

    def running(self) -> None:
        self.is_running = True
        report_unknown_options(ctx.options)
        if self.recorder is not None:
            self.recorder.running()
        self._announce()

    def _announce(self) -> None:
        """Say what is mocked now: one line per mock, true to the current mode."""
        mocks = [m for m in (rt.config() for rt in self.runtimes.values()) if m is not None]
        if self.standalone:
            for mock in mocks:
                log.info("postmock: mock %s answers at %s", mock.name, mock.url)
                if mock.on_miss == "record" and self.ws is not None:
                    log.info("postmock: misses of mock %s are recorded into %s", mock.name,
                             self.ws.root / "history")
            return
        if ctx.options.postmock_mode != "mock":
            if mocks:
                log.info("postmock: record mode: mock %s is not answering; switch with: postmock mode mock",
                         ", ".join(m.name for m in mocks))
            return
        for rt in self.runtimes.values():
            config = rt.config()
            if config is None:
                continue
            hosts = ", ".join(f"{h}:{p}" for h, p in sorted(rt.hosts()))
            if hosts:
                log.info("postmock: mock mode: mock %s answers for %s", config.name, hosts)
            else:
                log.warning("postmock: mock mode: mock %s answers for no host: its collection has no "
                            "baseUrl and no request with a full URL", config.name)

    def done(self) -> None:
        if self.service is not None:
            self.service.close_writers()
        if self.recorder is not None:
            self.recorder.done()

    # -- which mock a flow is for ---------------------------------------------------------------
    def _runtime_for(self, flow: http.HTTPFlow) -> tuple[bool, MockRuntime | None]:
        """(whether this addon answers `flow`, the mock that does; None: no such mock)."""
        if self.standalone:
            port = flow.client_conn.sockname[1] if flow.client_conn.sockname else None
            rt = self.by_port.get(port)  # type: ignore[arg-type]
            return True, self._only if rt is None else rt
        if ctx.options.postmock_mode != "mock":
            return False, None
        where = (flow.request.host.lower(), flow.request.port)
        for rt in self.runtimes.values():
            if where in rt.hosts():
                return True, rt
        return False, None

    # -- hooks ----------------------------------------------------------------------------------
    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None or flow.error is not None:
            return  # another addon already answered
        ours, rt = self._runtime_for(flow)
        if not ours:
            return
        service = self._open()
        reply = await service.answer(rt, _request(flow.request, self.standalone), self.standalone)
        head = flow.request.method == "HEAD"
        if reply.upstream is not None and reply.kind == "record":
            # Recorded as a call to the real API, by the recorder that knows the recording options.
            scheme, host, port = reply.upstream
            flow.request.scheme, flow.request.host, flow.request.port = scheme, host, port
            for name in reply.stripped:  # recorded as it was sent: without the caller's key
                flow.request.headers.pop(name, None)
                flow.request.query.pop(name, None)
            if reply.failed:
                flow.metadata[SKIP_METADATA] = True  # the 502 is ours, not the API's
                if self.recorder is not None:
                    failed = flow.copy()
                    failed.error = Error(reply.error or "the real API did not answer")
                    self.recorder.error(failed)
            elif self.recorder is not None:
                flow.metadata[RECORD_METADATA] = True
        else:
            flow.metadata[SKIP_METADATA] = True
        flow.response = _mitm_response(reply, head)
        flow.metadata[MOCKED_METADATA] = reply.example_id or reply.kind

    def response(self, flow: http.HTTPFlow) -> None:
        if self.recorder is not None and flow.metadata.get(RECORD_METADATA):
            self.recorder.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        if self.recorder is not None and flow.metadata.get(RECORD_METADATA):
            self.recorder.error(flow)
