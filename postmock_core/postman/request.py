"""Postman requests (and their URLs, headers, bodies and auth) in stored, normalized form.

Exports and generators are loose: a URL may be a string or an object without `raw`, headers
a text block, a map or null, a body may hide in the older `data`/`dataMode` fields, and v2.0
writes auth parameters as an object. Everything else is kept verbatim. Problems raise a
`DocumentError` naming the JSON path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from postmock_core.postman.jsonpath import DocumentError, child, describe
from postmock_core.postman.model import headers_from_text, parse_url, url_to_raw

__all__ = ["decode_base64", "normalize_auth", "normalize_headers", "normalize_request", "text_value"]

Doc = dict[str, Any]

_BODY_MODES = ("raw", "urlencoded", "formdata", "file", "graphql")
_V1_DATA_MODES = {"raw": "raw", "urlencoded": "urlencoded", "params": "formdata", "binary": "file"}


def text_value(value: Any, where: str, what: str = "text") -> str:
    """A scalar as text: Postman files carry numbers and booleans where strings belong."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    raise DocumentError(where, f"expected {what}, got {describe(value)}")


def normalize_headers(value: Any, where: str) -> list[Doc]:
    if value is None:
        return []
    if isinstance(value, str):
        return headers_from_text(value)
    if isinstance(value, dict):  # {"Name": "value"} maps, written by some generators
        return [{"key": str(k), "value": text_value(v, child(where, str(k)))} for k, v in value.items()]
    if not isinstance(value, list):
        raise DocumentError(where, f"headers must be a list, got {describe(value)}")
    out: list[Doc] = []
    for i, h in enumerate(value):
        at = child(where, i)
        if isinstance(h, str):
            out.extend(headers_from_text(h))
            continue
        if not isinstance(h, dict):
            raise DocumentError(at, f"a header must be an object with key and value, got {describe(h)}")
        entry = dict(h)
        key = entry.get("key", entry.get("name"))
        if not isinstance(key, str):
            raise DocumentError(child(at, "key"), f"a header name must be text, got {describe(key)}")
        entry["key"] = key
        entry["value"] = text_value(entry.get("value"), child(at, "value"))
        out.append(entry)
    return out


def _url(value: Any, where: str) -> Doc:
    if value is None:
        return {"raw": ""}
    if isinstance(value, str):
        return parse_url(value)
    if not isinstance(value, dict):
        raise DocumentError(where, f"a URL must be text or an object, got {describe(value)}")
    url = dict(value)
    if isinstance(url.get("host"), str):
        url["host"] = parse_url(url["host"]).get("host", [url["host"]]) if url["host"] else []
    if isinstance(url.get("path"), str):
        url["path"] = url["path"].lstrip("/").split("/") if url["path"] else []
    if "port" in url and url["port"] is not None and not isinstance(url["port"], str):
        url["port"] = text_value(url["port"], child(where, "port"))
    for key in ("query", "variable"):
        if url.get(key) is None:
            url.pop(key, None)
            continue
        if not isinstance(url[key], list):
            raise DocumentError(child(where, key), f"expected a list, got {describe(url[key])}")
        params = []
        for i, p in enumerate(url[key]):
            at = child(child(where, key), i)
            if not isinstance(p, dict):
                raise DocumentError(at, f"expected an object with key and value, got {describe(p)}")
            p = dict(p)
            if key == "variable" and "key" not in p and isinstance(p.get("id"), str):
                p["key"] = p["id"]
            if p.get("value") is not None and not isinstance(p["value"], str):
                p["value"] = text_value(p["value"], child(at, "value"))
            params.append(p)
        url[key] = params
    raw = url.get("raw")
    if raw is None:
        url["raw"] = url_to_raw(url)
    elif not isinstance(raw, str):
        raise DocumentError(child(where, "raw"), f"expected text, got {describe(raw)}")
    elif "host" not in url and "path" not in url:
        # Only `raw` given: fill in the parts the matcher reads.
        url = {**parse_url(raw), **url}
    return url


def _params(value: Any, where: str) -> list[Doc]:
    if isinstance(value, dict):
        value = [{"key": str(k), "value": v} for k, v in value.items()]
    if not isinstance(value, list):
        raise DocumentError(where, f"expected a list of key/value objects, got {describe(value)}")
    out = []
    for i, p in enumerate(value):
        at = child(where, i)
        if not isinstance(p, dict) or not isinstance(p.get("key"), str):
            raise DocumentError(at, "expected an object with a text key")
        p = dict(p)
        file_without_value = p.get("type") == "file" and p.get("value") is None
        if "value" in p and not file_without_value and not isinstance(p["value"], str):
            p["value"] = text_value(p["value"], child(at, "value"))
        out.append(p)
    return out


def _body(value: Any, where: str) -> Doc | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"mode": "raw", "raw": value}
    if not isinstance(value, dict):
        raise DocumentError(where, f"a body must be an object, got {describe(value)}")
    body = dict(value)
    mode = body.get("mode")
    if mode is None:
        mode = next((m for m in _BODY_MODES if m in body), "raw")
    if not isinstance(mode, str) or mode not in _BODY_MODES:
        raise DocumentError(child(where, "mode"), f"unknown body mode {mode!r}: expected one of "
                                                  f"{', '.join(_BODY_MODES)}")
    body["mode"] = mode
    if "raw" in body and not isinstance(body["raw"], str):
        raw = body["raw"]
        body["raw"] = json.dumps(raw, indent=2, ensure_ascii=False) if isinstance(raw, (dict, list)) \
            else text_value(raw, child(where, "raw"))
    for key in ("urlencoded", "formdata"):
        if body.get(key) is not None:
            body[key] = _params(body[key], child(where, key))
    gql = body.get("graphql")
    if isinstance(gql, dict) and isinstance(gql.get("variables"), (dict, list)):
        body["graphql"] = {**gql, "variables": json.dumps(gql["variables"], indent=2)}
    return body


def _v1_body(req: Doc, where: str) -> Doc | None:
    """A body from the older `dataMode`/`data`/`rawModeData` fields, which some exports keep."""
    mode = _V1_DATA_MODES.get(str(req.pop("dataMode", "") or ""), "")
    data = req.pop("data", None)
    raw = req.pop("rawModeData", None)
    if isinstance(data, str) or (mode == "raw" and raw is None and data is not None):
        return {"mode": "raw", "raw": text_value(data, child(where, "data"))}
    if raw is not None and mode in ("", "raw"):
        return {"mode": "raw", "raw": text_value(raw, child(where, "rawModeData"))}
    if isinstance(data, (list, dict)) and data:
        mode = mode if mode in ("urlencoded", "formdata") else "formdata"
        return {"mode": mode, mode: _params(data, child(where, "data"))}
    return None


def normalize_auth(value: Any) -> Any:
    """v2.0 auth parameters are an object; v2.1 uses a list of {key, value, type}."""
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        params = value.get(value["type"])
        if isinstance(params, dict):
            value = {**value, value["type"]: [
                {"key": k, "value": v, "type": "string"} for k, v in params.items()]}
    return value


def normalize_request(value: Any, where: str, binary: dict[str, bytes] | None = None) -> Doc:
    """A request (or URL string) in stored form."""
    if isinstance(value, str):
        return {"method": "GET", "header": [], "url": parse_url(value)}
    if not isinstance(value, dict):
        raise DocumentError(where, f"a request must be an object or a URL, got {describe(value)}")
    req = dict(value)
    method = req.get("method", "GET")
    if not isinstance(method, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", method.strip()):
        raise DocumentError(child(where, "method"), f"not an HTTP method: {method!r}")
    req["method"] = method.strip().upper()
    req["header"] = normalize_headers(req.get("header", req.pop("headers", None)), child(where, "header"))
    req["url"] = _url(req.get("url"), child(where, "url"))
    legacy = _v1_body(req, where) if any(k in req for k in ("data", "dataMode", "rawModeData")) else None
    body = _body(req.get("body"), child(where, "body")) if "body" in req else legacy
    if body is None:
        req.pop("body", None)
    else:
        _load_binary(body, child(where, "body"), binary)
        req["body"] = body
    if "auth" in req:
        req["auth"] = normalize_auth(req["auth"])
    return req


def _load_binary(holder: Doc, where: str, binary: dict[str, bytes] | None) -> None:
    """Undo export's base64 for a binary request body (`file.content`)."""
    meta = holder.get("_postmock")
    if not isinstance(meta, dict) or meta.get("bodyEncoding") != "base64":
        return
    file = holder.get("file")
    file = file if isinstance(file, dict) else {}
    data = decode_base64(file.get("content", ""), child(child(where, "file"), "content"))
    digest = hashlib.sha256(data).hexdigest()
    if binary is not None:
        binary[digest] = data
    holder["file"] = {k: v for k, v in file.items() if k != "content"}
    holder["_postmock"] = {**{k: v for k, v in meta.items() if k != "bodyEncoding"},
                           "bodyBlob": digest, "bodySize": len(data)}


def decode_base64(text: Any, where: str) -> bytes:
    if not isinstance(text, str):
        raise DocumentError(where, f"expected base64 text, got {describe(text)}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError(where, "marked as base64 but is not valid base64") from None
