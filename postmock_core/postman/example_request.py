"""Examples written by hand: a new example from a request and a response, and changes to the
original request of an existing one (method, URL, query, headers, body).

A new example goes through `add_exchange`, exactly as a recorded exchange would, so it lands
in the request with the same method and URL shape and gets the same kind of name and ID.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.postman.from_history import add_exchange, example_url, request_body_doc
from postmock_core.postman.model import url_to_raw
from postmock_core.store.blobs import BlobStore

__all__ = ["create_example", "edit_request", "resolve_url"]

Doc = dict[str, Any]

_VAR = re.compile(r"^\{\{([^}]+)\}\}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _variables(doc: Doc) -> dict[str, str]:
    return {str(v["key"]): str(v.get("value", "")) for v in doc.get("variable") or []
            if isinstance(v, dict) and "key" in v}


def _method(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", text.strip()):
        raise PostmockError(f"{text!r} is not an HTTP method")
    return text.strip().upper()


def resolve_url(doc: Doc, url: str, method: str = "GET") -> HttpRequest:
    """A request for `url`: a full URL, `{{var}}/path`, or a path on the collection's `{{baseUrl}}`."""
    text = url.strip()
    values = _variables(doc)
    m = _VAR.match(text)
    if m:
        if m.group(1) not in values:
            raise PostmockError(f"the collection has no variable {m.group(1)!r} for --url {url!r}")
        text = values[m.group(1)].rstrip("/") + text[m.end():]
    elif text.startswith("/") or "://" not in text:
        base = values.get("baseUrl", "")
        if "://" not in base:
            raise PostmockError(f"--url {url!r} is a path, and the collection has no {{{{baseUrl}}}} to put "
                                f"it on: give a full URL like https://api.example.com{text if text.startswith('/') else '/' + text}")
        text = base.rstrip("/") + ("" if text.startswith("/") else "/") + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as e:
        raise PostmockError(f"--url {url!r} is not a URL ({e})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise PostmockError(f"--url {url!r} is not an http(s) URL")
    return HttpRequest(method=_method(method), scheme=scheme, host=parts.hostname,
                       port=port or _DEFAULT_PORTS[scheme], path=parts.path or "/",
                       query=parse_qsl(parts.query, keep_blank_values=True))


def create_example(doc: Doc, request: HttpRequest, response: HttpResponse, blobs: BlobStore,
                   name: str | None) -> tuple[Doc, Doc, bool]:
    """Add a hand-written example (as Save Response would); returns (item, example, new request)."""
    if not 100 <= response.status <= 599:
        raise PostmockError(f"--status {response.status} is not a status code: use 100 to 599")
    return add_exchange(doc, Exchange(request, response), blobs, name)


def _set_headers(headers: list[Doc], sets: Sequence[tuple[str, str]], removes: Sequence[str]) -> list[Doc]:
    for name in removes:
        kept = [h for h in headers if str(h.get("key", "")).lower() != name.lower()]
        if len(kept) == len(headers):
            raise PostmockError(f"the example's request has no header {name!r}")
        headers = kept
    for key, value in sets:
        at = next((i for i, h in enumerate(headers) if str(h.get("key", "")).lower() == key.lower()), None)
        headers = [h for h in headers if str(h.get("key", "")).lower() != key.lower()]
        headers.insert(len(headers) if at is None else at, {"key": key, "value": value})
    return headers


def edit_request(doc: Doc, example: Doc, blobs: BlobStore, *, method: str | None = None,
                 url: str | None = None, set_query: Sequence[tuple[str, str]] = (),
                 remove_query: Sequence[str] = (), set_headers: Sequence[tuple[str, str]] = (),
                 remove_headers: Sequence[str] = (), body: bytes | None = None) -> list[str]:
    """Change an example's original request in place; returns what changed, for the user."""
    original = example.get("originalRequest")
    if not isinstance(original, dict):
        original = example["originalRequest"] = {"method": "GET", "header": [], "url": {"raw": ""}}
    changed = []
    if method is not None:
        original["method"] = _method(method)
        changed.append("request method")
    if url is not None:
        original["url"] = example_url(doc, resolve_url(doc, url, str(original.get("method") or "GET")))
        changed.append("request URL")
    if set_query or remove_query:
        target = original["url"] if isinstance(original.get("url"), dict) else {}
        query = [q for q in target.get("query") or [] if isinstance(q, dict)]
        for key in remove_query:
            kept = [q for q in query if q.get("key") != key]
            if len(kept) == len(query):
                raise PostmockError(f"the example's request has no query parameter {key!r}")
            query = kept
        for key, value in set_query:
            query = [q for q in query if q.get("key") != key] + [
                {"key": quote(key, safe="/:@!$'()*,;="), "value": quote(value, safe="/:@!$'()*,;=")}]
        target["query"] = query
        target.pop("raw", None)
        target["raw"] = url_to_raw(target)
        original["url"] = target
        changed.append("request query")
    if set_headers or remove_headers:
        original["header"] = _set_headers([h for h in original.get("header") or [] if isinstance(h, dict)],
                                          set_headers, remove_headers)
        changed.append("request headers")
    if body is not None:
        ctype = next((str(h.get("value")) for h in original.get("header") or []
                      if isinstance(h, dict) and str(h.get("key", "")).lower() == "content-type"), None)
        if body:
            original["body"] = request_body_doc(body, ctype, blobs)
        else:
            original.pop("body", None)
        changed.append("request body")
    return changed
