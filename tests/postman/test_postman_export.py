"""Stored collections to Postman v2.1 files: valid, loss-free and stable across round trips."""

from __future__ import annotations

import base64
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from postmock_core.store.blobs import BlobStore
from postmock_core.postman.model import iter_examples, set_example_body
from postmock_core.postman.exporter import export_collection
from postmock_core.postman.importer import normalize_collection

FIXTURES = Path(__file__).parents[1] / "fixtures" / "postman"
COLLECTIONS = sorted(p.name for p in FIXTURES.glob("*.postman_collection.json"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    text = resources.files("postmock_core").joinpath("data/postman_collection_v2.1.0.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def assert_valid(validator: jsonschema.Draft4Validator, doc: dict) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]
    assert not errors, errors


def round_trip(data: Any, blobs: BlobStore) -> dict:
    normalized = normalize_collection(json.loads(json.dumps(data)), blobs=blobs)
    for payload in normalized.blobs.values():
        blobs.put(payload)
    return export_collection(normalized.doc, blobs)


def modelled(doc: dict) -> Any:
    """What Postman models, for comparing an input with an export."""

    def request(r: dict) -> dict:
        return {"method": r.get("method"), "url": r["url"]["raw"] if isinstance(r.get("url"), dict) else r.get("url"),
                "header": r.get("header"), "body": r.get("body"), "auth": r.get("auth"),
                "description": r.get("description")}

    def node(n: dict) -> dict:
        if "item" in n:
            return {"folder": n.get("name"), "description": n.get("description"), "auth": n.get("auth"),
                    "event": n.get("event"), "item": [node(c) for c in n["item"]]}
        return {"name": n.get("name"), "request": request(n["request"]), "event": n.get("event"),
                "response": [{"id": e.get("id"), "name": e.get("name"), "code": e.get("code"),
                              "status": e.get("status"), "header": e.get("header"), "body": e.get("body"),
                              "preview": e.get("_postman_previewlanguage"),
                              "originalRequest": request(e["originalRequest"])}
                             for e in n.get("response") or []]}

    info = {k: v for k, v in doc["info"].items() if k != "schema"}
    return {"info": info, "item": [node(n) for n in doc["item"]], "variable": doc.get("variable"),
            "auth": doc.get("auth"), "event": doc.get("event")}


@pytest.mark.parametrize("name", COLLECTIONS)
def test_exports_validate_against_the_official_schema(name: str, tmp_path: Path,
                                                      validator: jsonschema.Draft4Validator) -> None:
    data = json.loads((FIXTURES / name).read_text())
    assert_valid(validator, round_trip(data, BlobStore(tmp_path)))


@pytest.mark.parametrize("name", COLLECTIONS)
def test_import_export_import_export_is_stable(name: str, tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    data = json.loads((FIXTURES / name).read_text())
    if "_postman_id" not in data["info"]:
        data["info"]["_postman_id"] = "fixed-id"
    first = round_trip(data, blobs)
    second = round_trip(first, blobs)
    assert json.dumps(second, sort_keys=True) == json.dumps(first, sort_keys=True)


def test_app_export_survives_semantically(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "app_export_v21.postman_collection.json").read_text())
    exported = round_trip(data, BlobStore(tmp_path))
    assert modelled(exported) == modelled(data)
    assert exported["item"][0]["item"][0]["protocolProfileBehavior"] == {"disableBodyPruning": True}


def test_binary_bodies_round_trip_byte_for_byte(tmp_path: Path, validator: jsonschema.Draft4Validator) -> None:
    blobs = BlobStore(tmp_path)
    payload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    doc = normalize_collection({"info": {"name": "bin", "_postman_id": "b1"}, "item": [
        {"name": "img", "request": "http://x/img.png", "response": [{"code": 200}]}]}).doc
    _, ex = next(iter_examples(doc))
    set_example_body(ex, payload, blobs)
    assert ex["body"] == "" and ex["_postmock"]["bodySize"] == len(payload)
    exported = export_collection(doc, blobs)
    _, out = next(iter_examples(exported))
    assert base64.b64decode(out["body"]) == payload
    assert out["_postmock"] == {"bodyEncoding": "base64"}
    assert_valid(validator, exported)
    again = normalize_collection(json.loads(json.dumps(exported)), blobs=blobs)
    _, back = next(iter_examples(again.doc))
    assert back["_postmock"]["bodyBlob"] == ex["_postmock"]["bodyBlob"]
    assert again.blobs[back["_postmock"]["bodyBlob"]] == payload
    # the stored document itself is untouched by export
    assert ex["body"] == "" and "bodyEncoding" not in ex["_postmock"]


def test_schema_rejects_what_postman_would(validator: jsonschema.Draft4Validator) -> None:
    """The vendored schema is not a no-op: a string status code fails it."""
    bad = {"info": {"name": "x", "schema": "s"}, "item": [
        {"name": "a", "request": {"method": "GET", "url": "http://x"}, "response": [{"code": "200"}]}]}
    assert list(validator.iter_errors(bad))
