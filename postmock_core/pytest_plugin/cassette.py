"""Recorded exchanges to a recording file: a Postman v2.1 collection that diffs cleanly.

A re-recording of unchanged traffic must give the same bytes, so everything that changes from
run to run is left out or derived: headers that differ on every call (Date, request IDs) are
dropped, and so are the request's connection headers (Host names the mock's port), the collection ID comes from the file's path, example IDs
from their order, and no timing or history reference is written. Exchanges are sorted by
request, so calls made concurrently land in the same order every time; an identical request
is kept once, with its first answer (a mock could never choose the second).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from postmock_core.exchange import Exchange, HttpRequest
from postmock_core.mock.forward import HOP_BY_HOP
from postmock_core.postman.exporter import export_collection
from postmock_core.postman.from_history import add_exchange, collection_from_exchanges
from postmock_core.postman.model import example_id, iter_examples
from postmock_core.store.blobs import BlobStore
from postmock_core.store.storage import write_json

__all__ = ["VOLATILE_HEADERS", "RequestKey", "build", "merge", "recorded_keys", "request_key",
           "write"]

Doc = dict[str, Any]
RequestKey = tuple[str, str, tuple[tuple[str, str], ...]]  # (METHOD, raw path, sorted query)

# Headers whose values differ on every call though nothing changed: never recorded.
VOLATILE_HEADERS: tuple[str, ...] = (
    "date", "age", "expires", "x-request-id", "request-id", "x-correlation-id",
    "x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "x-amz-cf-id", "cf-ray", "x-runtime",
    "x-response-time", "server-timing",
)


def request_key(method: str, path: str, query: Iterable[tuple[str, str]]) -> RequestKey:
    """What makes two calls the same call for recording: method, path and query (in any order)."""
    return method.upper(), path, tuple(sorted(query))


def _example_key(example: Doc, item: Doc) -> RequestKey | None:
    request = example.get("originalRequest") or item.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("url"), dict):
        return None
    url = request["url"]
    path = url.get("path")
    segments = [str(p.get("value", "")) if isinstance(p, dict) else str(p) for p in path] \
        if isinstance(path, list) else []
    query = [(unquote(str(q.get("key") or "")), unquote(str(q.get("value") or "")))
             for q in url.get("query") or [] if isinstance(q, dict) and not q.get("disabled")]
    return request_key(str(request.get("method", "GET")), "/" + "/".join(segments), query)


def recorded_keys(doc: Doc) -> frozenset[RequestKey]:
    """The calls a stored (normalized) collection has an example for."""
    keys = (_example_key(ex, item) for item, ex in iter_examples(doc))
    return frozenset(k for k in keys if k is not None)


def _key(ex: Exchange) -> RequestKey:
    return request_key(ex.request.method, ex.request.path, ex.request.query)


def _clean(ex: Exchange, drop: frozenset[str]) -> Exchange:
    req = ex.request
    resp = ex.response
    # A request's connection headers (Host, Content-Length, ...) describe its way to the mock.
    req = dataclasses.replace(req, headers=[(k, v) for k, v in req.headers
                                            if k.lower() not in drop and k.lower() not in HOP_BY_HOP])
    if resp is not None:
        resp = dataclasses.replace(resp, headers=[(k, v) for k, v in resp.headers if k.lower() not in drop])
    return dataclasses.replace(ex, request=req, response=resp, timestamp=0.0, duration_ms=None, id=None)


def _ordered(exchanges: Iterable[Exchange], drop: Iterable[str],
             skip: frozenset[RequestKey] = frozenset()) -> list[Exchange]:
    """Answered exchanges, cleaned, one per distinct request (and body), in a stable order."""
    dropped = frozenset(h.lower() for h in (*VOLATILE_HEADERS, *drop))
    seen: set[tuple[RequestKey, bytes]] = set()
    out = []
    for ex in exchanges:
        if ex.failed or _key(ex) in skip:
            continue
        ident = (_key(ex), ex.request.body)
        if ident not in seen:
            seen.add(ident)
            out.append(_clean(ex, dropped))

    def order(ex: Exchange) -> tuple[str, str, tuple[tuple[str, str], ...], bytes]:
        method, path, query = _key(ex)
        return path, method, query, ex.request.body

    return sorted(out, key=order)


def collection_id(path: Path) -> str:
    """A collection ID that is the same every time the file at `path` is recorded."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "postmock-recording:" + path.as_posix()))


def build(name: str, cid: str, exchanges: Iterable[Exchange], blobs: BlobStore,
          drop: Iterable[str] = ()) -> Doc | None:
    """A new recording of `exchanges` (None when none was answered), bodies inline."""
    kept = _ordered(exchanges, drop)
    if not kept:
        return None
    doc = collection_from_exchanges(name, kept, blobs).doc
    doc["info"]["_postman_id"] = cid
    for n, (_, example) in enumerate(iter_examples(doc), start=1):
        example["id"] = example_id(cid, n, str(example["name"]))
    return export_collection(doc, blobs)


def merge(doc: Doc, exchanges: Iterable[Exchange], blobs: BlobStore, drop: Iterable[str] = (),
          known: frozenset[RequestKey] = frozenset()) -> Doc | None:
    """`doc` (a recording as read from its file) with the new exchanges added; None if none is new."""
    kept = _ordered(exchanges, drop, skip=known)
    if not kept:
        return None
    for ex in kept:
        add_exchange(doc, ex, blobs)
    return export_collection(doc, blobs)


def write(path: Path, doc: Doc) -> None:
    """Write a recording atomically (sorted keys, indented), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, doc)


def live_key(request: HttpRequest) -> RequestKey:
    """The key of a live (redacted) request."""
    return request_key(request.method, request.path, request.query)
