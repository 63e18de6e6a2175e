"""Postman Collection v2.1 building blocks shared by import, export, history and editing.

A stored collection is a normalized v2.1 document (a plain dict): this module parses and
prints URLs the way Postman does, walks items and examples in document order, gives
examples their stable IDs, and reads or writes an example body (text inline, other bytes in
the workspace blob store under `_postmock.bodyBlob`).
"""

from __future__ import annotations

import hashlib
import http
import re
from collections.abc import Iterator
from typing import Any

from postmock_core.store.blobs import BlobStore

__all__ = [
    "SCHEMA_V20",
    "SCHEMA_V21",
    "example_body",
    "example_id",
    "headers_from_text",
    "iter_examples",
    "iter_items",
    "next_example_number",
    "parse_url",
    "preview_language",
    "set_example_body",
    "status_phrase",
    "url_to_raw",
]

SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
SCHEMA_V20 = "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"

Doc = dict[str, Any]

_PROTOCOL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_NUMBERED_ID = re.compile(r"^(\d{6})-")


# -- URLs -------------------------------------------------------------------------------------
def _split_host(host: str) -> list[str]:
    """Host parts split at dots, keeping a `{{var}}` whole even if it contains a dot."""
    return re.findall(r"(?:\{\{.*?\}\}|[^.])+", host)


def parse_url(raw: str) -> Doc:
    """A Postman URL object from a URL string; `{{vars}}` and `:params` stay as written."""
    url: Doc = {"raw": raw}
    rest = raw
    rest, sep, fragment = rest.partition("#")
    if sep:
        url["hash"] = fragment
    rest, sep, query = rest.partition("?")
    m = _PROTOCOL.match(rest)
    if m:
        url["protocol"] = m.group(1)
        rest = rest[m.end():]
    authority, slash, path = rest.partition("/")
    port_match = re.match(r"^(.*?):(\d+|\{\{[^}]*\}\})$", authority)
    if port_match and not authority.startswith("["):
        authority, url["port"] = port_match.group(1), port_match.group(2)
    if authority:
        url["host"] = _split_host(authority)
    if slash:
        url["path"] = path.split("/")
    if sep:
        params = []
        for part in query.split("&"):
            if part == "":
                continue
            key, eq, value = part.partition("=")
            params.append({"key": key, "value": value if eq else None})
        url["query"] = params
    return url


def url_to_raw(url: Doc) -> str:
    """The URL string of a URL object that has no `raw` (disabled query parameters left out)."""
    out = ""
    if url.get("protocol"):
        out += f"{url['protocol']}://"
    host = url.get("host")
    out += ".".join(str(h) for h in host) if isinstance(host, list) else str(host or "")
    if url.get("port"):
        out += f":{url['port']}"
    path = url.get("path")
    if isinstance(path, list):
        segments = [p.get("value", "") if isinstance(p, dict) else str(p) for p in path]
        out += "/" + "/".join(segments)
    elif isinstance(path, str) and path:
        out += path if path.startswith("/") else "/" + path
    query = [q for q in url.get("query") or [] if isinstance(q, dict) and not q.get("disabled")]
    if query:
        out += "?" + "&".join(
            str(q.get("key") or "") + ("" if q.get("value") is None else f"={q['value']}") for q in query)
    if url.get("hash"):
        out += f"#{url['hash']}"
    return out


# -- headers, statuses, languages -------------------------------------------------------------
def headers_from_text(text: str) -> list[Doc]:
    """Headers written as text, one `Key: Value` per line; `//` comments out a line (disabled)."""
    out: list[Doc] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        disabled = line.startswith("//")
        if disabled:
            line = line[2:].strip()
        key, _, value = line.partition(":")
        entry: Doc = {"key": key.strip(), "value": value.strip()}
        if disabled:
            entry["disabled"] = True
        out.append(entry)
    return out


def status_phrase(code: int) -> str:
    """The standard reason phrase of a status code ('' when unknown)."""
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""


def preview_language(content_type: str | None) -> str:
    """Postman's `_postman_previewlanguage` for a Content-Type."""
    ct = (content_type or "").lower()
    if "json" in ct:
        return "json"
    if "html" in ct:
        return "html"
    if "xml" in ct:
        return "xml"
    if "javascript" in ct:
        return "javascript"
    if ct.startswith("text/") or not ct:
        return "text"
    return "raw"


# -- walking ----------------------------------------------------------------------------------
def iter_items(doc: Doc) -> Iterator[tuple[list[str], Doc]]:
    """(folder names, item) for every request item, in document order."""

    def walk(nodes: Any, folders: list[str]) -> Iterator[tuple[list[str], Doc]]:
        for node in nodes or []:
            if not isinstance(node, dict):
                continue
            if isinstance(node.get("item"), list):
                yield from walk(node["item"], folders + [str(node.get("name", ""))])
            else:
                yield folders, node

    yield from walk(doc.get("item"), [])


def iter_examples(doc: Doc) -> Iterator[tuple[Doc, Doc]]:
    """(item, example) for every saved example, in document order."""
    for _, item in iter_items(doc):
        for example in item.get("response") or []:
            if isinstance(example, dict):
                yield item, example


# -- example IDs ------------------------------------------------------------------------------
def example_id(collection_id: str, number: int, salt: str = "") -> str:
    """`000042-7f3a`: sorts in document order; the suffix keeps IDs apart across collections."""
    # surrogatepass: a name read from a JSON escape may hold a lone surrogate ("\ud800").
    seed = f"{collection_id}\0{number}\0{salt}".encode("utf-8", "surrogatepass")
    short = hashlib.sha1(seed).hexdigest()[:4]
    return f"{number:06d}-{short}"


def next_example_number(doc: Doc) -> int:
    """The number the next added example gets: after every numbered ID and every example."""
    highest = 0
    count = 0
    for _, example in iter_examples(doc):
        count += 1
        m = _NUMBERED_ID.match(str(example.get("id", "")))
        if m:
            highest = max(highest, int(m.group(1)))
    return max(highest, count) + 1


# -- bodies -----------------------------------------------------------------------------------
def set_example_body(example: Doc, data: bytes, blobs: BlobStore | None,
                     pending: dict[str, bytes] | None = None) -> None:
    """Store a response body: UTF-8 text inline in `body`, other bytes as a blob reference.

    With `pending`, blob bytes are collected there instead of written, so a caller can
    validate everything first and write nothing on failure.
    """
    meta = {k: v for k, v in (example.get("_postmock") or {}).items()
            if k not in ("bodyBlob", "bodySize", "bodyEncoding")}
    try:
        example["body"] = data.decode("utf-8")
    except UnicodeDecodeError:
        digest = hashlib.sha256(data).hexdigest()
        if pending is not None:
            pending[digest] = data
        elif blobs is not None:
            blobs.put(data)
        else:
            raise ValueError("a blob store is needed for a binary body") from None
        example["body"] = ""
        meta.update({"bodyBlob": digest, "bodySize": len(data)})
    if meta:
        example["_postmock"] = meta
    else:
        example.pop("_postmock", None)


def example_body(example: Doc, blobs: BlobStore | None) -> bytes:
    """The exact response bytes of an example (blob bytes when it has a blob reference)."""
    blob = (example.get("_postmock") or {}).get("bodyBlob")
    if blob and blobs is not None:
        return blobs.get(str(blob))
    body = example.get("body")
    return body.encode("utf-8") if isinstance(body, str) else b""
