"""Exchanges to HAR 1.2, as a whole document or streamed entry by entry."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from postmock_core import __version__
from postmock_core.exchange import Exchange, Headers, is_text

__all__ = ["exchange_to_entry", "iter_har", "to_har"]


def _pairs(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in items]


def _cookies(headers: Headers, name: str) -> list[dict[str, str]]:
    out = []
    for k, v in headers:
        if k.lower() != name:
            continue
        if name == "cookie":
            for part in v.split(";"):
                n, eq, val = part.strip().partition("=")
                if eq:
                    out.append({"name": n, "value": val})
        else:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(v)
            except CookieError:  # a malformed Set-Cookie still exports, just without cookies
                continue
            out.extend({"name": c.key, "value": c.value} for c in jar.values())
    return out


def _content(body: bytes, mime: str) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(body), "mimeType": mime}
    if body:
        if is_text(body, mime):
            content["text"] = body.decode("utf-8")
        else:
            content["text"] = base64.b64encode(body).decode("ascii")
            content["encoding"] = "base64"
    return content


def exchange_to_entry(ex: Exchange) -> dict[str, Any]:
    """One HAR entry; loads in browser devtools and in mitmproxy."""
    req = ex.request
    took = float(ex.duration_ms or 0)
    request: dict[str, Any] = {
        "method": req.method, "url": req.url, "httpVersion": req.http_version,
        "cookies": _cookies(req.headers, "cookie"), "headers": _pairs(req.headers),
        "queryString": _pairs(req.query),
        "headersSize": -1, "bodySize": len(req.body),
    }
    if req.body:
        mime = req.header("content-type") or ""
        post = _content(req.body, mime)
        request["postData"] = {"mimeType": mime, "text": post.get("text", "")}
        if "encoding" in post:  # not in HAR 1.2, but the only lossless way to carry binary
            request["postData"]["encoding"] = "base64"
        if "x-www-form-urlencoded" in mime.lower() and "encoding" not in post:
            request["postData"]["params"] = _pairs(parse_qsl(post["text"], keep_blank_values=True))
    if ex.response and not ex.failed:
        s = ex.response
        response: dict[str, Any] = {
            "status": s.status, "statusText": s.reason, "httpVersion": s.http_version,
            "cookies": _cookies(s.headers, "set-cookie"), "headers": _pairs(s.headers),
            "content": _content(s.body, s.header("content-type") or ""),
            "redirectURL": s.header("location") or "", "headersSize": -1, "bodySize": len(s.body),
        }
    else:
        response = {"status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                    "content": {"size": 0, "mimeType": ""}, "redirectURL": "",
                    "headersSize": -1, "bodySize": -1, "_error": ex.error or "no response"}
    entry: dict[str, Any] = {
        "startedDateTime": dt.datetime.fromtimestamp(ex.timestamp, dt.UTC).isoformat(
            timespec="milliseconds").replace("+00:00", "Z"),
        "time": took,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": took, "receive": 0},
    }
    if ex.id is not None:
        entry["_postmockId"] = ex.id
    return entry


def to_har(exchanges: Iterable[Exchange]) -> dict[str, Any]:
    """A HAR 1.2 document with one entry per exchange, in the order given."""
    return {"log": {
        "version": "1.2",
        "creator": {"name": "postmock", "version": __version__},
        "pages": [],
        "entries": [exchange_to_entry(ex) for ex in exchanges],
    }}


def iter_har(exchanges: Iterable[Exchange]) -> Iterator[str]:
    """The same document as `to_har`, as text chunks with one entry per line.

    Large exports stream through this without holding every entry in memory.
    """
    head = json.dumps(to_har([]), ensure_ascii=False)
    assert head.endswith('"entries": []}}')
    yield head[: -len("]}}")]
    for n, ex in enumerate(exchanges):
        yield ("," if n else "") + "\n" + json.dumps(exchange_to_entry(ex), ensure_ascii=False)
    yield "\n]}}\n"
