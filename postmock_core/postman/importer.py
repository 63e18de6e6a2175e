"""Postman Collection v2.1 and v2.0 files (messy ones too) to the stored, normalized form.

Normalizing makes every URL an object with `raw`, every header list a list, every example
complete (ID, name, `originalRequest`, integer `code`, `status`, text `body`); everything
postmock does not interpret (auth, scripts, descriptions, unknown keys) is kept verbatim.
v2.0 differs from v2.1 mainly in auth parameters (an object instead of a key/value list);
requests are normalized by `postman_request`. The whole document is converted before anything is stored; a problem raises a
`DocumentError` naming the JSON path.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postmock_core.errors import PostmockError
from postmock_core.history.formats import right_command
from postmock_core.postman.jsonpath import DocumentError, child, describe, load_json_file
from postmock_core.postman.model import (
    SCHEMA_V21,
    example_id,
    iter_examples,
    preview_language,
    set_example_body,
    status_phrase,
)
from postmock_core.postman.request import (
    decode_base64,
    normalize_auth,
    normalize_headers,
    normalize_request,
    text_value,
)
from postmock_core.store.blobs import BlobStore

__all__ = ["Normalized", "normalize_collection", "normalize_request", "read_collection_file",
           "safe_id"]

Doc = dict[str, Any]

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass
class Normalized:
    """A collection in stored form, and the blob bytes it refers to (not yet written)."""

    doc: Doc
    blobs: dict[str, bytes] = field(default_factory=dict)


def safe_id(value: Any) -> str | None:
    """`value` when it is usable as a file name and ID, else None."""
    return value if isinstance(value, str) and _SAFE_ID.match(value) else None


def _code(value: Any, status: Any, where: str) -> int:
    if value is None:
        if isinstance(status, str):
            m = re.match(r"^\s*(\d{3})\b", status)
            if m:
                return int(m.group(1))
            for code in range(100, 600):
                if status_phrase(code) and status_phrase(code).lower() == status.strip().lower():
                    return code
        return 200
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise DocumentError(where, f"a status code must be a whole number from 100 to 599, "
                                   f"got {json.dumps(value, ensure_ascii=False)}")
    return value


def _example(value: Any, item_request: Doc, where: str, out: Normalized,
             blobs: BlobStore | None) -> Doc:
    if not isinstance(value, dict):
        raise DocumentError(where, f"a saved example must be an object, got {describe(value)}")
    ex = dict(value)
    if ex.get("originalRequest") is not None:
        ex["originalRequest"] = normalize_request(ex["originalRequest"], child(where, "originalRequest"),
                                                  out.blobs)
    else:
        ex["originalRequest"] = copy.deepcopy(item_request)
    ex["code"] = _code(ex.get("code"), ex.get("status"), child(where, "code"))
    status = ex.get("status")
    ex["status"] = status.strip() if isinstance(status, str) and status.strip() else status_phrase(ex["code"])
    if ex["status"] and re.match(r"^\d{3}\s", ex["status"]):
        ex["status"] = ex["status"][4:].strip() or status_phrase(ex["code"])
    ex["header"] = normalize_headers(ex.get("header", ex.pop("headers", None)), child(where, "header"))
    body = ex.get("body")
    if isinstance(body, (dict, list)):
        body = json.dumps(body, indent=2, ensure_ascii=False)
    ex["body"] = text_value(body, child(where, "body"))
    if "cookie" in ex and not isinstance(ex["cookie"], list):
        ex["cookie"] = []
    if not isinstance(ex.get("_postman_previewlanguage"), str):
        ctype = next((h["value"] for h in ex["header"] if h["key"].lower() == "content-type"), None)
        ex["_postman_previewlanguage"] = preview_language(ctype)
    if ex.get("id") is not None:
        ex["id"] = text_value(ex["id"], child(where, "id"))
    if not isinstance(ex.get("name"), str) or not ex["name"].strip():
        ex["name"] = f"{ex['code']} {ex['status']}".strip()
    meta = ex.get("_postmock")
    if isinstance(meta, dict) and meta.get("bodyEncoding") == "base64":
        set_example_body(ex, decode_base64(ex["body"], child(where, "body")), None, out.blobs)
        if "bodyBlob" not in (ex.get("_postmock") or {}):  # text after all: keep it inline
            ex["_postmock"] = {k: v for k, v in meta.items() if k != "bodyEncoding"} or None
            if ex["_postmock"] is None:
                ex.pop("_postmock")
    elif isinstance(meta, dict) and meta.get("bodyBlob"):
        digest = str(meta["bodyBlob"])
        if blobs is None or not re.fullmatch(r"[0-9a-f]{64}", digest) or not blobs.exists(digest):
            raise DocumentError(child(child(where, "_postmock"), "bodyBlob"),
                                "refers to a body file that is not in this workspace; import a "
                                "file written by `postmock collection export` instead")
    return ex


def _node(value: Any, where: str, out: Normalized, blobs: BlobStore | None) -> Doc:
    if not isinstance(value, dict):
        raise DocumentError(where, f"an item must be an object, got {describe(value)}")
    node = dict(value)
    if "auth" in node:
        node["auth"] = normalize_auth(node["auth"])
    if "item" in node and "request" not in node:
        if not isinstance(node["item"], list):
            raise DocumentError(child(where, "item"), f"a folder's items must be a list, got "
                                                      f"{describe(node['item'])}")
        node["item"] = [_node(v, child(child(where, "item"), i), out, blobs)
                        for i, v in enumerate(node["item"])]
        node["name"] = text_value(node.get("name"), child(where, "name")) or "Folder"
        return node
    if "request" not in node:
        raise DocumentError(where, "an item needs a request (or, for a folder, an item list)")
    node["request"] = normalize_request(node["request"], child(where, "request"), out.blobs)
    responses = node.get("response")
    if responses is None:
        responses = []
    if not isinstance(responses, list):
        raise DocumentError(child(where, "response"), f"saved examples must be a list, got "
                                                      f"{describe(responses)}")
    node["response"] = [_example(r, node["request"], child(child(where, "response"), i), out, blobs)
                        for i, r in enumerate(responses)]
    name = node.get("name")
    node["name"] = name if isinstance(name, str) and name else \
        f"{node['request']['method']} {node['request']['url'].get('raw', '')}".strip()
    return node


def _variables(value: Any, where: str) -> list[Doc]:
    if not isinstance(value, list):
        raise DocumentError(where, f"variables must be a list, got {describe(value)}")
    out = []
    for i, v in enumerate(value):
        at = child(where, i)
        if not isinstance(v, dict):
            raise DocumentError(at, f"a variable must be an object, got {describe(v)}")
        v = dict(v)
        key = v.get("key", v.get("id"))
        if not isinstance(key, str):
            raise DocumentError(child(at, "key"), f"a variable needs a text key, got {describe(key)}")
        v["key"] = key
        v["value"] = text_value(v.get("value"), child(at, "value")) if not isinstance(v.get("value"), (dict, list)) \
            else json.dumps(v["value"], ensure_ascii=False)
        out.append(v)
    return out


def _assign_example_ids(doc: Doc) -> None:
    """Give examples without an ID (or with a repeated one) a stable, document-ordered one."""
    seen: set[str] = set()
    for n, (_, ex) in enumerate(iter_examples(doc), start=1):
        current = ex.get("id")
        if not current or current in seen:
            ex["id"] = example_id(doc["info"]["_postman_id"], n, str(ex.get("name", "")))
        seen.add(ex["id"])


# -- whole documents --------------------------------------------------------------------------
def normalize_collection(data: Any, name: str | None = None, blobs: BlobStore | None = None) -> Normalized:
    """A Postman collection (v2.1 or v2.0, messy or not) in stored form."""
    if isinstance(data, dict) and isinstance(data.get("collection"), dict) and "info" not in data:
        data = data["collection"]  # the Postman API wraps a collection: {"collection": {...}}
    if not isinstance(data, dict):
        raise DocumentError("$", f"not a Postman collection: the top level is {describe(data)}")
    if "requests" in data and "item" not in data:
        raise DocumentError("$", "this is a Postman Collection v1 file; export it again from "
                                 "Postman as Collection v2.1")
    if "info" not in data or "item" not in data:
        raise DocumentError("$", "not a Postman collection: it needs \"info\" and \"item\""
                            + right_command(data, "collection"))
    if not isinstance(data["info"], dict):
        raise DocumentError("$.info", f"expected an object, got {describe(data['info'])}")
    if not isinstance(data["item"], list):
        raise DocumentError("$.item", f"expected a list of items, got {describe(data['item'])}")
    schema = data["info"].get("schema")
    if isinstance(schema, str) and "/collection/v1" in schema:
        raise DocumentError("$.info.schema", "Collection v1 is not supported; export it again "
                                             "from Postman as Collection v2.1")
    out = Normalized(doc={})
    doc = dict(data)
    info = dict(doc["info"])
    info["_postman_id"] = safe_id(info.get("_postman_id")) or str(uuid.uuid4())
    info["name"] = name or (info.get("name") if isinstance(info.get("name"), str) else "") \
        or "Imported collection"
    info["schema"] = SCHEMA_V21
    doc["info"] = info
    if "auth" in doc:
        doc["auth"] = normalize_auth(doc["auth"])
    doc["item"] = [_node(v, child("$.item", i), out, blobs) for i, v in enumerate(doc["item"])]
    if doc.get("variable") is None:
        doc.pop("variable", None)
    else:
        doc["variable"] = _variables(doc["variable"], "$.variable")
    _assign_example_ids(doc)
    out.doc = doc
    return out


def read_collection_file(path: Path, name: str | None = None, blobs: BlobStore | None = None) -> Normalized:
    """Read and normalize a collection file; any problem is one line naming the file and place."""
    data = load_json_file(path, "cannot import")
    try:
        return normalize_collection(data, name, blobs)
    except DocumentError as e:
        raise PostmockError(f"cannot import {path}: {e}; nothing was imported") from None
    except RecursionError:
        raise PostmockError(f"cannot import {path}: $: folders nested too deeply; "
                            f"nothing was imported") from None
