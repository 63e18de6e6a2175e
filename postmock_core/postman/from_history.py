"""Recorded exchanges to collection requests and saved examples.

Exchanges with the same method, origin and path shape (ID-like segments such as numbers,
UUIDs or long hex/alphanumeric tokens treated alike) become one request with one example
each. Every example keeps its own exact original request, so a mock answers `/users/7` with
the `/users/7` example and any other ID with the nearest one. The request itself shows the
shape with `:param` path variables. Each origin becomes a collection variable
(`{{baseUrl}}`, or `{{baseUrl_<host>}}` for several) so the collection can be served anywhere.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from postmock_core.exchange import Exchange, HttpRequest, wire_bytes
from postmock_core.postman.base_urls import BaseUrls
from postmock_core.postman.example_names import facts_for_exchange, name_for_new, unique_names
from postmock_core.postman.model import (
    SCHEMA_V21,
    example_id,
    iter_examples,
    iter_items,
    next_example_number,
    preview_language,
    set_example_body,
    status_phrase,
)
from postmock_core.store.blobs import BlobStore

__all__ = ["BuildResult", "add_exchange", "collection_from_exchanges", "example_url", "is_id_segment",
           "is_revalidation", "request_body_doc"]

Doc = dict[str, Any]

_ID_PATTERNS = (
    re.compile(r"^\d+$"),
    re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE),
    re.compile(r"^(?=.*\d)[0-9a-f]{8,}$", re.IGNORECASE),
    # Long tokens mixing letters and digits: `cus_9Hc8F3x2Zq1`, `60bb37ab42e1d000176206c3`.
    re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{12,}$"),
)
_SAFE_QUERY = "/:@!$'()*,;="
# Hop-by-hop and framing headers describe one connection, not the request: never saved.
# Host and Content-Length follow from the URL and the body (which an edit may change).
_TRANSPORT = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization",
                        "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade", "host",
                        "content-length", "http2-settings"})
# A request in the collection is what a client sends to any {{baseUrl}}; its HTTP library
# negotiates compression itself. The example's original request keeps this for matching.
_CLIENT_ONLY = frozenset({"accept-encoding"})
_LANGUAGES = ("json", "xml", "html", "javascript")


def is_id_segment(segment: str) -> bool:
    """Whether a path segment looks like an identifier (so paths differing there are alike)."""
    return any(p.match(segment) for p in _ID_PATTERNS)


def _segments(path: str) -> list[str]:
    return path.lstrip("/").split("/")


def _shape(path: str) -> tuple[str, ...]:
    return tuple("*" if is_id_segment(s) else s for s in _segments(path))


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _param_names(segments: list[str]) -> list[str | None]:
    """A `:name` for each ID segment, from the segment before it: /users/7 -> userId."""
    names: list[str | None] = []
    used: set[str] = set()
    for i, seg in enumerate(segments):
        if not is_id_segment(seg):
            names.append(None)
            continue
        prev = segments[i - 1] if i and not is_id_segment(segments[i - 1]) else ""
        stem = re.sub(r"[^A-Za-z0-9]+", "_", _singular(prev)).strip("_")
        base = f"{stem}Id" if stem else "id"
        name, n = base, 2
        while name in used:
            name, n = f"{base}{n}", n + 1
        used.add(name)
        names.append(name)
    return names


def _query(req: HttpRequest) -> list[Doc]:
    out = []
    for k, v in req.query:
        # Bytes that were not UTF-8 (kept as surrogates) are percent-encoded as they came.
        out.append({"key": quote(wire_bytes(k), safe=_SAFE_QUERY),
                    "value": quote(wire_bytes(v), safe=_SAFE_QUERY)})
    return out


def _url(var: str, req: HttpRequest, as_params: bool) -> Doc:
    segments = _segments(req.path)
    url: Doc = {"host": [f"{{{{{var}}}}}"]}
    if as_params:
        names = _param_names(segments)
        url["path"] = [f":{n}" if n else s for s, n in zip(segments, names)]
        variables = [{"key": n, "value": s} for s, n in zip(segments, names) if n]
        if variables:
            url["variable"] = variables
    else:
        url["path"] = segments
    query = _query(req)
    if query:
        url["query"] = query
    raw = f"{{{{{var}}}}}/" + "/".join(url["path"])
    if query:
        raw += "?" + "&".join(f"{q['key']}={q['value']}" for q in query)
    return {"raw": raw, **url}


def request_body_doc(data: bytes, content_type: str | None, blobs: BlobStore) -> Doc:
    """A saved request's `body`: raw text (with its language), or a blob for other bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"mode": "file", "file": {"src": None},
                "_postmock": {"bodyBlob": blobs.put(data), "bodySize": len(data)}}
    body: Doc = {"mode": "raw", "raw": text}
    ctype = (content_type or "").lower()
    language = next((lang for lang in _LANGUAGES if lang in ctype), None)
    if language:
        body["options"] = {"raw": {"language": language}}
    return body


def _request(ex: Exchange, var: str, as_params: bool, blobs: BlobStore) -> Doc:
    """The request of a collection item (`as_params`: its URL shape) or of an example."""
    req = ex.request
    dropped = _TRANSPORT | _CLIENT_ONLY if as_params else _TRANSPORT
    out: Doc = {"method": req.method.upper(),
                "header": [{"key": k, "value": v} for k, v in req.headers if k.lower() not in dropped],
                "url": _url(var, req, as_params)}
    if req.body:
        out["body"] = request_body_doc(req.body, req.header("content-type"), blobs)
    return out


def example_url(doc: Doc, req: HttpRequest) -> Doc:
    """The URL object of an example's original request for `req` (its origin a collection variable)."""
    return _url(BaseUrls(doc).get(req, alone=True), req, False)


def _example(ex: Exchange, var: str, blobs: BlobStore) -> Doc:
    assert ex.response is not None
    resp = ex.response
    example: Doc = {
        "name": "",
        "originalRequest": _request(ex, var, False, blobs),
        "code": resp.status,
        "status": resp.reason or status_phrase(resp.status),
        "header": [{"key": k, "value": v} for k, v in resp.headers],
        "cookie": [],
        "_postman_previewlanguage": preview_language(resp.header("content-type")),
    }
    if ex.duration_ms is not None:
        example["responseTime"] = round(ex.duration_ms)
    set_example_body(example, resp.body, blobs)
    if ex.id is not None:
        example["_postmock"] = {**(example.get("_postmock") or {}), "historyId": ex.id}
    if "response.body" in ex.truncated:  # left out by a browser, or cut at postmock_body_limit
        example["_postmock"] = {**(example.get("_postmock") or {}), "bodyIncomplete": True}
    return example


def is_revalidation(ex: Exchange) -> bool:
    """A bodiless 304: a cache saying "still fresh", which answers nothing on its own."""
    return ex.response is not None and ex.response.status == 304 and not ex.response.body


# -- building ---------------------------------------------------------------------------------
@dataclass
class BuildResult:
    doc: Doc
    requests: int = 0
    examples: int = 0
    skipped_failed: list[int] = field(default_factory=list)
    skipped_not_modified: list[int] = field(default_factory=list)
    incomplete: int = 0  # examples whose recorded body is not whole


def collection_from_exchanges(name: str, exchanges: Iterable[Exchange], blobs: BlobStore) -> BuildResult:
    """A new collection with one saved example per exchange (failed ones skipped)."""
    doc: Doc = {"info": {"_postman_id": str(uuid.uuid4()), "name": name, "schema": SCHEMA_V21},
                "item": []}
    result = BuildResult(doc)
    kept = []
    for ex in exchanges:
        if ex.failed:  # a response cut short is not what the API answers
            result.skipped_failed.append(ex.id or 0)
        elif is_revalidation(ex):
            result.skipped_not_modified.append(ex.id or 0)
        else:
            kept.append(ex)
            result.incomplete += "response.body" in ex.truncated
    origins = {ex.request.origin.lower() for ex in kept}
    hosts = [h for h, _ in {(ex.request.host.lower(), ex.request.origin.lower()) for ex in kept}]
    variables = BaseUrls(doc, frozenset(h for h in hosts if hosts.count(h) > 1))
    groups: dict[tuple[str, str, tuple[str, ...]], int] = {}
    members: list[list[Exchange]] = []
    for ex in kept:
        key = (ex.request.method.upper(), ex.request.origin.lower(), _shape(ex.request.path))
        if key not in groups:
            groups[key] = len(members)
            members.append([])
        members[groups[key]].append(ex)
    facts = [facts_for_exchange(ex, g) for g, group in enumerate(members) for ex in group]
    names = iter(unique_names(facts, set()))
    number = 1
    for group in members:
        first = group[0]
        var = variables.get(first.request, len(origins) == 1)
        request = _request(first, var, True, blobs)
        label = request["url"]["raw"].split("?", 1)[0].replace(f"{{{{{var}}}}}", "")
        host = "" if len(origins) == 1 else f"{first.request.authority}"
        item: Doc = {"name": f"{request['method']} {host}{label}", "request": request, "response": []}
        for ex in group:
            example = _example(ex, var, blobs)
            example["name"] = next(names)
            example["id"] = example_id(doc["info"]["_postman_id"], number, example["name"])
            number += 1
            item["response"].append(example)
        doc["item"].append(item)
    result.requests = len(members)
    result.examples = number - 1
    return result


def _matches(item: Doc, req: HttpRequest, values: dict[str, str]) -> bool:
    request = item.get("request")
    if not isinstance(request, dict) or str(request.get("method", "")).upper() != req.method.upper():
        return False
    url = request.get("url")
    if not isinstance(url, dict):
        return False
    host = url.get("host")
    host_text = ".".join(host) if isinstance(host, list) else str(host or "")
    m = re.fullmatch(r"\{\{([^}]+)\}\}", host_text)
    if m:
        value = values.get(m.group(1))
        if value and value.rstrip("/").lower() != req.origin.lower():
            return False
    elif host_text and host_text.lower() not in (req.host.lower(), req.authority.lower()):
        return False
    path = url.get("path")
    segments = [str(p) for p in path] if isinstance(path, list) else []
    shape = tuple("*" if s.startswith(":") or "{{" in s or is_id_segment(s) else s for s in segments)
    return shape == _shape(req.path)


def add_exchange(doc: Doc, ex: Exchange, blobs: BlobStore, name: str | None = None) -> tuple[Doc, Doc, bool]:
    """Save one exchange as an example of the matching request (or of a new request).

    Returns (item, example, created) where `created` says a new request was added.
    """
    if ex.response is None:
        raise ValueError("the exchange has no response")
    variables = BaseUrls(doc)
    values = {v["key"]: str(v.get("value", "")) for v in doc.get("variable") or [] if isinstance(v, dict)}
    item = next((it for _, it in iter_items(doc) if _matches(it, ex.request, values)), None)
    var = variables.get(ex.request, alone=True)
    created = item is None
    if item is None:
        request = _request(ex, var, True, blobs)
        label = request["url"]["raw"].split("?", 1)[0].replace(f"{{{{{var}}}}}", "")
        item = {"name": f"{request['method']} {label}", "request": request, "response": []}
        doc.setdefault("item", []).append(item)
    example = _example(ex, var, blobs)
    if not name:
        taken = {str(e.get("name", "")) for _, e in iter_examples(doc)}
        name = name_for_new(facts_for_exchange(ex, 0), item.get("response") or [], taken)
    example["name"] = name
    example["id"] = example_id(doc["info"]["_postman_id"], next_example_number(doc), example["name"])
    if not isinstance(item.get("response"), list):
        item["response"] = []
    item["response"].append(example)
    return item, example, created
