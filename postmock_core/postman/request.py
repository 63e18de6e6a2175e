"""Postman requests (and their URLs, headers, bodies and auth) in stored, normalized form.

Exports and generators are loose: a URL may be a string or an object without `raw`, headers
a text block, a map or null, a body may hide in the older `data`/`dataMode` fields, and v2.0
writes auth parameters as an object. Parts Postman's SDK cannot use either (a header without
a name, a null query entry, a body of an unknown mode) are skipped or repaired and counted in
`Notes`, never refused. Everything else is kept verbatim.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from postmock_core.postman.auth import normalize_auth
from postmock_core.postman.lenient import Notes, members, text_value, truthy
from postmock_core.postman.model import headers_from_text, parse_url, url_to_raw

__all__ = ["decode_base64", "empty_request", "normalize_headers", "normalize_request"]

Doc = dict[str, Any]

_BODY_MODES = ("raw", "urlencoded", "formdata", "file", "graphql")
_V1_DATA_MODES = {"raw": "raw", "urlencoded": "urlencoded", "params": "formdata", "binary": "file"}
_METHOD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def empty_request() -> Doc:
    """What the SDK makes of a request it cannot read: GET with no URL."""
    return {"method": "GET", "header": [], "url": {"raw": ""}}


def _header(entry: Any, notes: Notes) -> Doc | None:
    if not isinstance(entry, dict):
        notes.add("empty header")  # the SDK makes a header with no name and no value of it
        return None
    out = dict(entry)
    key = out.pop("name", None) if "key" not in out else out["key"]
    value = out.get("value")
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        key = text_value(key)
    if not isinstance(key, str) or not key.strip():
        notes.add("empty header" if not truthy(key) and not truthy(value) else "nameless header")
        return None
    out["key"] = key
    out["value"] = text_value(value)
    return out


def normalize_headers(value: Any, notes: Notes) -> list[Doc]:
    """A header list from a list, a `Name: value` text block or a name-to-value map."""
    if isinstance(value, str):
        entries: list[Any] = headers_from_text(value)
    elif isinstance(value, dict):  # {"Name": "value"} maps, written by some generators
        entries = [{"key": k, "value": v} for k, v in value.items()]
    else:
        entries = []
        for h in value if isinstance(value, list) else members(value):
            if h is None:
                notes.add("empty header")
            entries.extend(headers_from_text(h) if isinstance(h, str) else [h] if h is not None else [])
    out = []
    for entry in entries:
        header = _header(entry, notes)
        if header is not None:
            out.append(header)
    return out


def _params(value: Any, notes: Notes, kind: str, text_form: bool = True) -> list[Doc]:
    """Key/value entries (query parameters, body fields, path variables): from a list, a
    name-to-value map or (`text_form`) an `a=1&b=2` string; entries without a name skipped."""
    if isinstance(value, str) and not text_form:
        if value:
            notes.add(kind)
        return []
    if isinstance(value, str):
        value = [part for part in value.split("&") if part]
    elif isinstance(value, dict) and kind != "odd path variable":
        value = [{"key": k, "value": v} for k, v in value.items()]
    out = []
    for p in value if isinstance(value, list) else members(value):
        if isinstance(p, str) and text_form:
            name, eq, val = p.partition("=")
            p = {"key": name, "value": val if eq else None}
        if not isinstance(p, dict):
            notes.add(kind)
            continue
        p = dict(p)
        key = p.get("key")
        if key is None and kind == "odd path variable":
            key = p.get("id")  # v2.0 names path variables by `id`
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            key = text_value(key)
        if not isinstance(key, str) or (kind != "odd query" and not key):
            notes.add(kind)
            continue
        p["key"] = key
        file_without_value = p.get("type") == "file" and p.get("value") is None
        if p.get("value") is not None and not file_without_value and not isinstance(p["value"], str):
            p["value"] = text_value(p["value"])
        out.append(p)
    return out


def _url(value: Any, notes: Notes) -> Doc:
    if isinstance(value, str):
        return parse_url(value)
    if not isinstance(value, dict):
        if value is not None:
            notes.add("odd url")
        return {"raw": ""}
    url = dict(value)
    for key in ("host", "path"):
        part = url.get(key)
        if isinstance(part, str):
            if key == "host":
                url["host"] = parse_url(part).get("host", [part]) if part else []
            else:
                url["path"] = part.lstrip("/").split("/") if part else []
        elif part is None or not isinstance(part, list):
            if part is not None:
                notes.add("odd field")
            url.pop(key, None)
    for key in ("port", "protocol", "hash"):
        part = url.get(key)
        if part is None or isinstance(part, str):
            continue
        if isinstance(part, (int, float)) and not isinstance(part, bool):
            url[key] = text_value(part)
        else:
            notes.add("odd field")
            url.pop(key)
    for key, kind in (("query", "odd query"), ("variable", "odd path variable")):
        if url.get(key) is None:
            url.pop(key, None)
        else:
            url[key] = _params(url[key], notes, kind, text_form=key == "query")
    raw = url.get("raw")
    if raw is not None and not isinstance(raw, str):
        notes.add("odd field")
        url.pop("raw")
        raw = None
    if raw is None:
        url["raw"] = url_to_raw(url)
    elif "host" not in url and "path" not in url:
        # Only `raw` given: fill in the parts the matcher reads.
        url = {**parse_url(raw), **url}
    return url


def _body(value: Any, notes: Notes) -> Doc | None:
    if not truthy(value):
        return None
    if isinstance(value, str):
        return {"mode": "raw", "raw": value}
    if not isinstance(value, dict):
        notes.add("odd body")
        return None
    body = dict(value)
    mode = body.get("mode")
    if mode is None:
        mode = next((m for m in _BODY_MODES if m in body), "raw")
    if isinstance(mode, str) and mode.strip().lower() in _BODY_MODES:
        mode = mode.strip().lower()
    else:  # the SDK reads a body of any other mode as raw text
        notes.add("odd body mode")
        mode = "raw"
    body["mode"] = mode
    if "raw" in body and not isinstance(body["raw"], str):
        raw = body["raw"]
        body["raw"] = json.dumps(raw, indent=2, ensure_ascii=False) if isinstance(raw, (dict, list)) \
            else text_value(raw)
    for key in ("urlencoded", "formdata"):
        if body.get(key) is not None:
            body[key] = _params(body[key], notes, "odd form field", text_form=key == "urlencoded")
    gql = body.get("graphql")
    if isinstance(gql, dict) and isinstance(gql.get("variables"), (dict, list)):
        body["graphql"] = {**gql, "variables": json.dumps(gql["variables"], indent=2)}
    return body


def _v1_body(req: Doc, notes: Notes) -> Doc | None:
    """A body from the older `dataMode`/`data`/`rawModeData` fields, which some exports keep."""
    mode = _V1_DATA_MODES.get(text_value(req.pop("dataMode", "") or ""), "")
    data = req.pop("data", None)
    raw = req.pop("rawModeData", None)
    if isinstance(data, str) or (mode == "raw" and raw is None and data is not None):
        return {"mode": "raw", "raw": text_value(data)}
    if raw is not None and mode in ("", "raw"):
        return {"mode": "raw", "raw": text_value(raw)}
    if isinstance(data, (list, dict)) and data:
        mode = mode if mode in ("urlencoded", "formdata") else "formdata"
        return {"mode": mode, mode: _params(data, notes, "odd form field")}
    return None


def _method(value: Any, notes: Notes) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "GET"
    if isinstance(value, str) and _METHOD.fullmatch(value.strip()):
        return value.strip().upper()
    notes.add("odd method")
    return "GET"


def normalize_request(value: Any, notes: Notes, binary: dict[str, bytes] | None = None) -> Doc:
    """A request (or URL string) in stored form; anything else is an empty GET request."""
    if isinstance(value, str):
        return {"method": "GET", "header": [], "url": parse_url(value)}
    if not isinstance(value, dict):
        notes.add("odd request" if value is not None else "no request")
        return empty_request()
    req = dict(value)
    req["method"] = _method(req.get("method"), notes)
    headers = req.pop("headers", None)
    req["header"] = normalize_headers(req.get("header", headers), notes)
    req["url"] = _url(req.get("url"), notes)
    legacy = _v1_body(req, notes) if any(k in req for k in ("data", "dataMode", "rawModeData")) else None
    body = _body(req.get("body"), notes) if "body" in req else legacy
    if body is None:
        req.pop("body", None)
    else:
        _load_binary(body, notes, binary)
        req["body"] = body
    if "auth" in req:
        req["auth"] = normalize_auth(req["auth"], notes)
        if req["auth"] is None:
            del req["auth"]
    return req


def _load_binary(holder: Doc, notes: Notes, binary: dict[str, bytes] | None) -> None:
    """Undo export's base64 for a binary request body (`file.content`)."""
    meta = holder.get("_postmock")
    if not isinstance(meta, dict) or meta.get("bodyEncoding") != "base64":
        return
    file = holder.get("file")
    file = file if isinstance(file, dict) else {}
    rest = {k: v for k, v in meta.items() if k != "bodyEncoding"}
    data = decode_base64(file.get("content", ""))
    if data is None:
        notes.add("bad base64")
        holder["_postmock"] = rest
        return
    digest = hashlib.sha256(data).hexdigest()
    if binary is not None:
        binary[digest] = data
    holder["file"] = {k: v for k, v in file.items() if k != "content"}
    holder["_postmock"] = {**rest, "bodyBlob": digest, "bodySize": len(data)}


def decode_base64(text: Any) -> bytes | None:
    """The bytes of base64 text, or None when it is not base64."""
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
