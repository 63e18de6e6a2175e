"""The adapter at the edge: mitmproxy flows to the core's `Exchange`, and back.

Bodies are decoded (gzip, deflate, br, zstd) and the headers adjusted to match, so what is
stored replays consistently: no Content-Encoding, and a Content-Length that fits the body.
"""

from __future__ import annotations

from mitmproxy import connection, http

from postmock_core.exchange import Exchange, Headers, HttpRequest, HttpResponse

__all__ = ["exchange_from_flow", "flow_from_exchange", "request_from_flow", "response_from_flow"]


def _decoded(message: http.Message) -> tuple[bytes, Headers]:
    """The decoded body and headers adjusted to it (Content-Encoding gone, length fixed)."""
    raw = message.raw_content or b""
    headers = [(k, v) for k, v in message.headers.items(multi=True)]
    encoding = message.headers.get("content-encoding", "").strip().lower()
    if not raw or encoding in ("", "identity"):
        return raw, headers
    try:
        body = message.get_content(strict=True) or b""
    except ValueError:
        # An encoding we cannot undo: keep the exact bytes and the header that describes them.
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


def request_from_flow(req: http.Request) -> HttpRequest:
    body, headers = _decoded(req)
    return HttpRequest(
        method=req.method,
        scheme=req.scheme,
        host=req.pretty_host if req.host_header else req.host,
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


def exchange_from_flow(flow: http.HTTPFlow, mode: str = "regular") -> Exchange:
    """An `Exchange` from a completed (or failed) flow; not yet redacted."""
    req = flow.request
    resp = flow.response
    end = (resp.timestamp_end if resp and resp.timestamp_end else None) or (
        flow.error.timestamp if flow.error else None
    )
    duration = round((end - req.timestamp_start) * 1000, 3) if end else None
    return Exchange(
        request=request_from_flow(req),
        response=response_from_flow(resp) if resp else None,
        timestamp=req.timestamp_start,
        duration_ms=duration,
        error=flow.error.msg if flow.error else None,
        mode=mode,
    )


def _fields(headers: Headers) -> http.Headers:
    return http.Headers([(k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
                         for k, v in headers])


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
        host=r.host, port=r.port, method=r.method.encode(), scheme=r.scheme.encode(),
        authority=b"", path=path.encode("utf-8", "surrogateescape"),
        http_version=r.http_version.encode(), headers=_fields(r.headers), content=r.body,
        trailers=None, timestamp_start=ts, timestamp_end=ts,
    )
    if ex.response:
        s = ex.response
        flow.response = http.Response(
            http_version=s.http_version.encode(), status_code=s.status, reason=s.reason.encode(),
            headers=_fields(s.headers), content=s.body, trailers=None,
            timestamp_start=end, timestamp_end=end,
        )
    if ex.error:
        from mitmproxy.flow import Error

        flow.error = Error(ex.error, timestamp=end)
    return flow
