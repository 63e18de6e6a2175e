"""Postman Collection v2.1 and v2.0 files (messy ones too) to the stored, normalized form.

Normalizing makes every URL an object with `raw`, every header list a list, every example
complete (ID, name, `originalRequest`, integer `code`, `status`, text `body`); everything
postmock does not interpret (auth, scripts, descriptions, unknown keys) is kept verbatim.
v2.0 differs from v2.1 mainly in auth parameters (an object instead of a key/value list);
requests are normalized by `request.normalize_request`.

The rule is Postman's own Collection SDK: what it accepts is imported, with the same requests
and saved examples; what it drops or cannot use is skipped and counted in `Notes` (see
`lenient`). Only a document without items (or nested deeper than `jsonpath.MAX_DEPTH`) is
refused, with a `DocumentError` naming the place.
The whole document is converted before anything is stored.
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
from postmock_core.postman.auth import normalize_auth
from postmock_core.postman.jsonpath import DocumentError, check_depth, describe, load_json_file
from postmock_core.postman.lenient import Notes, members, one_line, text_value, truthy
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
    empty_request,
    normalize_headers,
    normalize_request,
)
from postmock_core.store.blobs import BlobStore

__all__ = ["Normalized", "normalize_collection", "normalize_request", "read_collection_file",
           "safe_id"]

Doc = dict[str, Any]

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass
class Normalized:
    """A collection in stored form, the blob bytes it refers to (not yet written), and notes
    on the parts of the file that were skipped or repaired."""

    doc: Doc
    blobs: dict[str, bytes] = field(default_factory=dict)
    notes: Notes = field(default_factory=Notes)


def safe_id(value: Any) -> str | None:
    """`value` when it is usable as a file name and ID, else None."""
    return value if isinstance(value, str) and _SAFE_ID.fullmatch(value) else None


def _code(value: Any, status: Any, notes: Notes) -> int:
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
        notes.add("odd code")
        return 200
    return value


def _example(value: Any, item_request: Doc, notes: Notes, out: Normalized, blobs: BlobStore | None) -> Doc:
    if not isinstance(value, dict):
        notes.add("odd example")  # the SDK makes an empty response of it
        value = {}
    ex = dict(value)
    original = ex.get("originalRequest")
    if isinstance(original, (dict, str)) and original:
        ex["originalRequest"] = normalize_request(original, notes, out.blobs)
    else:
        if truthy(original):
            notes.add("odd original request")
        ex["originalRequest"] = copy.deepcopy(item_request)
    ex["code"] = _code(ex.get("code"), ex.get("status"), notes)
    status = ex.get("status")
    ex["status"] = status.strip() if isinstance(status, str) and status.strip() else status_phrase(ex["code"])
    if ex["status"] and re.match(r"^\d{3}\s", ex["status"]):
        ex["status"] = ex["status"][4:].strip() or status_phrase(ex["code"])
    headers = ex.pop("headers", None)
    ex["header"] = normalize_headers(ex.get("header", headers), notes)
    body = ex.get("body")
    if isinstance(body, (dict, list)):
        body = json.dumps(body, indent=2, ensure_ascii=False)
    ex["body"] = text_value(body)
    if "cookie" in ex and not isinstance(ex["cookie"], list):
        ex["cookie"] = []
    if not isinstance(ex.get("_postman_previewlanguage"), str):
        ctype = next((h["value"] for h in ex["header"] if h["key"].lower() == "content-type"), None)
        ex["_postman_previewlanguage"] = preview_language(ctype)
    if isinstance(ex.get("id"), (dict, list)):
        notes.add("odd id")
        ex.pop("id")
    elif ex.get("id") is not None:
        ex["id"] = text_value(ex["id"])
    if not isinstance(ex.get("name"), str) or not ex["name"].strip():
        ex["name"] = f"{ex['code']} {ex['status']}".strip()
    _example_blob(ex, notes, out, blobs)
    return ex


def _example_blob(ex: Doc, notes: Notes, out: Normalized, blobs: BlobStore | None) -> None:
    """Bring back an exported binary body (base64 text) or check a stored blob reference."""
    meta = ex.get("_postmock")
    if not isinstance(meta, dict):
        return
    rest = {k: v for k, v in meta.items() if k not in ("bodyEncoding", "bodyBlob", "bodySize")}
    if meta.get("bodyEncoding") == "base64":
        data = decode_base64(ex["body"])
        if data is None:
            notes.add("bad base64")
        else:
            ex["_postmock"] = rest
            set_example_body(ex, data, None, out.blobs)
            return
    elif meta.get("bodyBlob"):
        digest = str(meta["bodyBlob"])
        if blobs is not None and re.fullmatch(r"[0-9a-f]{64}", digest) and blobs.exists(digest):
            return
        notes.add("missing blob")
    else:
        return
    if rest:
        ex["_postmock"] = rest
    else:
        ex.pop("_postmock")


def _auth_and_id(node: Doc, notes: Notes) -> None:
    """An item's, folder's or collection's auth in v2.1 form, and its ID as text."""
    if "auth" in node:
        node["auth"] = normalize_auth(node["auth"], notes)
        if node["auth"] is None:
            del node["auth"]
    if isinstance(node.get("id"), (dict, list)):
        notes.add("odd field")  # the SDK would have to print it
        del node["id"]
    if isinstance(node.get("constructor"), dict):
        notes.add("odd field")  # the SDK would take the item for one of its own objects
        del node["constructor"]


def _name(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and value.strip() else fallback


def _node(value: Any, notes: Notes, out: Normalized, blobs: BlobStore | None) -> Doc:
    if not isinstance(value, dict):
        notes.add("odd item")  # the SDK makes an empty request of it
        return {"name": "GET", "request": empty_request(), "response": []}
    node = dict(value)
    _auth_and_id(node, notes)
    if truthy(node.get("item")):  # a folder, as the SDK decides, even with a request
        request, responses = node.pop("request", None), node.pop("response", None)
        if request is not None or members(responses):
            notes.add("folder request")
        node["item"] = [_node(v, notes, out, blobs) for v in members(node["item"], notes, "null item")]
        node["name"] = _name(node.get("name"), "Folder")
        return node
    node.pop("item", None)
    node["request"] = normalize_request(node.get("request"), notes, out.blobs)
    node["response"] = [_example(r, node["request"], notes, out, blobs)
                        for r in members(node.get("response"), notes, "null example")]
    node["name"] = _name(node.get("name"), f"{node['request']['method']} {node['request']['url'].get('raw', '')}"
                         .strip())
    return node


def _variables(value: Any, notes: Notes) -> list[Doc]:
    out = []
    for v in members(value, notes, "odd variable"):
        key = v.get("key", v.get("id")) if isinstance(v, dict) else None
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            key = text_value(key)
        if not isinstance(key, str) or not key:
            notes.add("odd variable")
            continue
        v = dict(v)
        v["key"] = key
        v["value"] = text_value(v.get("value"))
        if "type" in v and not isinstance(v["type"], str):
            notes.add("odd field")
            del v["type"]
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
def _no_items(data: Doc) -> DocumentError:
    if "requests" in data:
        return DocumentError("$", "this is a Postman Collection v1 file; export it again from "
                                  "Postman as Collection v2.1")
    if "item" not in data:
        return DocumentError("$", f"not a Postman collection: it has no \"item\" list"
                                  f"{right_command(data, 'collection')}")
    return DocumentError("$.item", f"the collection has no items: expected a list of requests and "
                                   f"folders, got {describe(data['item'])}")


def normalize_collection(data: Any, name: str | None = None, blobs: BlobStore | None = None) -> Normalized:
    """A Postman collection (v2.1 or v2.0, messy or not) in stored form, with notes on what
    was skipped; refused (`DocumentError`) only when it has no items at all."""
    if isinstance(data, dict) and isinstance(data.get("collection"), dict) and "info" not in data:
        data = data["collection"]  # the Postman API wraps a collection: {"collection": {...}}
    if not isinstance(data, dict):
        raise DocumentError("$", f"not a Postman collection: the top level is {describe(data)}")
    check_depth(data)
    items = members(data.get("item"))
    if not items and not isinstance(data.get("item"), list):
        raise _no_items(data)
    out = Normalized(doc={})
    doc = dict(data)
    info = doc.get("info")
    if not isinstance(info, dict):
        if info is not None:
            out.notes.add("odd info")
        info = {}
    info = dict(info)
    info["_postman_id"] = safe_id(info.get("_postman_id")) or str(uuid.uuid4())
    info["name"] = name or one_line(info.get("name"), out.notes) or "Imported collection"
    info["schema"] = SCHEMA_V21
    doc["info"] = info
    _auth_and_id(doc, notes=out.notes)
    doc["item"] = [_node(v, out.notes, out, blobs) for v in members(data.get("item"), out.notes, "null item")]
    if doc.get("variable") is None:
        doc.pop("variable", None)
    else:
        doc["variable"] = _variables(doc["variable"], out.notes)
    _assign_example_ids(doc)
    check_depth(doc)  # the stored form nests deeper where lists of one were written without brackets
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
