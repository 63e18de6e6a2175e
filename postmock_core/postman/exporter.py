"""A stored collection as a Postman Collection v2.1 file the Postman app and SDK read.

The stored form already is v2.1; export only brings blob bodies back into the file: a binary
example body is written as base64 text marked `_postmock.bodyEncoding: "base64"` (a binary
request body likewise, in `file.content`), so importing the file again restores the bytes.
"""

from __future__ import annotations

import base64
import copy
import sys
from pathlib import Path
from typing import Any

from postmock_core.postman.model import SCHEMA_V21, iter_examples, iter_items
from postmock_core.store.blobs import BlobStore
from postmock_core.store.storage import dumps, write_json

__all__ = ["export_collection", "write_export"]

Doc = dict[str, Any]


def _inline_request_body(request: Any, blobs: BlobStore) -> None:
    body = request.get("body") if isinstance(request, dict) else None
    if not isinstance(body, dict):
        return
    meta = body.get("_postmock")
    if not isinstance(meta, dict) or not meta.get("bodyBlob"):
        return
    data = blobs.get(str(meta["bodyBlob"]))
    file = body.get("file")
    file = file if isinstance(file, dict) else {}
    body["file"] = {"src": None, **file, "content": base64.b64encode(data).decode("ascii")}
    rest = {k: v for k, v in meta.items() if k not in ("bodyBlob", "bodySize")}
    body["_postmock"] = {**rest, "bodyEncoding": "base64"}


def export_collection(doc: Doc, blobs: BlobStore) -> Doc:
    """A v2.1 document for `doc` with every blob body written into the file."""
    out = copy.deepcopy(doc)
    out.setdefault("info", {})["schema"] = SCHEMA_V21
    for _, item in iter_items(out):
        _inline_request_body(item.get("request"), blobs)
    for _, example in iter_examples(out):
        _inline_request_body(example.get("originalRequest"), blobs)
        meta = example.get("_postmock")
        if isinstance(meta, dict) and meta.get("bodyBlob"):
            data = blobs.get(str(meta["bodyBlob"]))
            example["body"] = base64.b64encode(data).decode("ascii")
            rest = {k: v for k, v in meta.items() if k not in ("bodyBlob", "bodySize")}
            example["_postmock"] = {**rest, "bodyEncoding": "base64"}
    return out


def write_export(data: Doc, target: str) -> None:
    """Write an exported document to a file (atomically) or to stdout for `-`."""
    if target == "-":
        sys.stdout.buffer.write(dumps(data) + b"\n")
        sys.stdout.flush()
        return
    write_json(Path(target), data)
