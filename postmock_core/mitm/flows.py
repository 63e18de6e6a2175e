"""The adapter at the edge: mitmproxy flows to the core's `Exchange`, and back.

Bodies are decoded (gzip, deflate, br, zstd, stacked or not) and the headers adjusted to match, so what is
stored replays consistently: no Content-Encoding, and a Content-Length that fits the body.
"""

from __future__ import annotations

from mitmproxy import connection, http
from mitmproxy.flow import Error

from postmock_core.exchange import Exchange, Headers, HttpRequest, HttpResponse, wire_bytes
from postmock_core.history import codecs

__all__ = [
    "exchange_from_flow",
    "exchange_from_parts",
    "flow_from_exchange",
    "flow_mode",
    "request_from_flow",
    "response_from_flow",
]


def _decoded(message: http.Message, limit: int | None = None) -> tuple[bytes, Headers]:
    """The decoded body and headers adjusted to it (Content-Encoding gone, length fixed); as it
    came when it would decode to more than `limit` bytes."""
    raw = message.raw_content or b""
    headers = [(k, v) for k, v in message.headers.items(multi=True)]
    encoding = message.headers.get("content-encoding", "").strip().lower()
    if not raw or encoding in ("", "identity"):
        return raw, headers
    try:
        # Every coding, stacked ones too ("gzip, gzip"), which mitmproxy leaves encoded.
        body = codecs.decode(raw, encoding, limit)
    except ValueError:
        # A coding we cannot undo: keep the bytes and the header that describes them (the
        # redactor then refuses to keep a body it cannot read).
        return raw, headers
    out = []
    for k, v in headers:
        lk = k.lower()
        if lk == "content-encoding":
            continue
        if lk == "content-length":
            v = str(len(body))
        out.append((k, v))
    return body, out


def _split_path(path: str) -> str:
    return path.split("?", 1)[0] or "/"


def request_from_flow(req: http.Request, use_host_header: bool = True,
                      limit: int | None = None) -> HttpRequest:
    """The core request; `use_host_header=False` keeps the connection's real destination; a
    body that would decode to more than `limit` bytes stays as it came.

    A reverse proxy must not trust the Host header: with `keep_host_header` it still names
    the proxy, while `req.host`/`req.port` are the upstream's.
    """
    body, headers = _decoded(req, limit)
    return HttpRequest(
        method=req.method,
        scheme=req.scheme,
        host=req.pretty_host if use_host_header and req.host_header else req.host,
        port=req.port,
        path=_split_path(req.path),
        query=[(k, v) for k, v in req.query.items(multi=True)],
        headers=headers,
        body=body,
        http_version=req.http_version,
    )


def response_from_flow(resp: http.Response) -> HttpResponse:
    body, headers = _decoded(resp)
    return HttpResponse(
        status=resp.status_code,
        reason=resp.reason,
        headers=headers,
        body=body,
        http_version=resp.http_version,
    )


def flow_mode(flow: http.HTTPFlow) -> str:
    """The proxy mode a flow came through: regular, reverse, upstream, transparent, ..."""
    mode = getattr(flow.client_conn, "proxy_mode", None)
    return mode.type_name if mode is not None else "regular"


def exchange_from_parts(req: http.Request, resp: http.Response | None, error: Error | None,
                        mode: str = "regular") -> Exchange:
    """An `Exchange` from the pieces of a flow, e.g. as they were when a hook saw them."""
    end = (resp.timestamp_end if resp and resp.timestamp_end else None) or (
        error.timestamp if error else None
    )
    duration = round((end - req.timestamp_start) * 1000, 3) if end else None
    return Exchange(
        request=request_from_flow(req, use_host_header=mode != "reverse"),
        response=response_from_flow(resp) if resp else None,
        timestamp=req.timestamp_start,
        duration_ms=duration,
        error=error.msg if error else None,
        mode=mode,
    )


def exchange_from_flow(flow: http.HTTPFlow, mode: str | None = None) -> Exchange:
    """An `Exchange` from a completed (or failed) flow; not yet redacted.

    `mode` defaults to the proxy mode the flow came through.
    """
    return exchange_from_parts(flow.request, flow.response, flow.error, mode or flow_mode(flow))


def _fields(headers: Headers) -> http.Headers:
    return http.Headers([(wire_bytes(k), wire_bytes(v)) for k, v in headers])


def flow_from_exchange(ex: Exchange) -> http.HTTPFlow:
    """An `HTTPFlow` for an exchange: for mitmproxy filter expressions and flow files."""
    r = ex.request
    ts = ex.timestamp
    end = ts + (ex.duration_ms or 0) / 1000
    client = connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=ts)
    server = connection.Server(address=(r.host, r.port))
    flow = http.HTTPFlow(client, server)
    path = r.path_with_query
    flow.request = http.Request(
        host=r.host, port=r.port, method=wire_bytes(r.method), scheme=wire_bytes(r.scheme),
        authority=b"", path=wire_bytes(path),
        http_version=wire_bytes(r.http_version), headers=_fields(r.headers), content=r.body,
        trailers=None, timestamp_start=ts, timestamp_end=ts,
    )
    if ex.response:
        s = ex.response
        flow.response = http.Response(
            http_version=wire_bytes(s.http_version), status_code=s.status,
            reason=wire_bytes(s.reason),
            headers=_fields(s.headers), content=s.body, trailers=None,
            timestamp_start=end, timestamp_end=end,
        )
    if ex.error:
        flow.error = Error(ex.error, timestamp=end)
    return flow
