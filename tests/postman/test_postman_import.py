"""Postman v2.1 / v2.0 / messy collections to the stored form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postmock_core.store.blobs import BlobStore
from postmock_core.errors import PostmockError
from postmock_core.postman.jsonpath import DocumentError, json_depth
from postmock_core.postman.model import SCHEMA_V21, iter_examples, iter_items, parse_url
from postmock_core.postman.importer import normalize_collection, read_collection_file

FIXTURES = Path(__file__).parents[1] / "fixtures" / "postman"


def load(name: str) -> dict:
    return read_collection_file(FIXTURES / name).doc


def items_by_name(doc: dict) -> dict:
    return {item["name"]: item for _, item in iter_items(doc)}


def test_app_export_keeps_everything_postman_models() -> None:
    source = json.loads((FIXTURES / "app_export_v21.postman_collection.json").read_text())
    doc = load("app_export_v21.postman_collection.json")
    assert doc["info"]["_postman_id"] == source["info"]["_postman_id"]
    assert doc["info"]["description"] == source["info"]["description"]
    assert doc["info"]["_exporter_id"] == "1234567"
    assert doc["auth"] == source["auth"] and doc["event"] == source["event"]
    assert doc["variable"] == source["variable"]
    folder = doc["item"][0]
    assert folder["name"] == "pets" and folder["description"] == "Everything about pets"
    get = folder["item"][0]
    assert get["event"] == source["item"][0]["item"][0]["event"]
    assert get["protocolProfileBehavior"] == {"disableBodyPruning": True}
    assert get["request"]["url"] == source["item"][0]["item"][0]["request"]["url"]
    assert get["request"]["header"][1] == {"key": "X-Debug", "value": "1", "disabled": True}
    assert [ex["id"] for ex in get["response"]] == [
        "e7c9a0f2-1111-4222-8333-444455556666", "e7c9a0f2-1111-4222-8333-444455556667"]
    assert get["response"][1]["originalRequest"]["url"]["path"] == ["pets", "0"]
    purge = items_by_name(doc)["Purge the cache"]
    assert purge["request"]["method"] == "PURGE"
    assert purge["response"][0]["code"] == 204 and purge["response"][0]["body"] == ""
    modes = {name: item["request"]["body"]["mode"] for name, item in items_by_name(doc).items()
             if "body" in item["request"]}
    assert modes == {"Add a pet": "raw", "Upload a photo": "formdata", "Log in": "urlencoded",
                     "Search (GraphQL)": "graphql", "Upload a file": "file"}
    photo = items_by_name(doc)["Upload a photo"]["request"]["body"]["formdata"]
    assert photo[1] == {"key": "photo", "type": "file", "src": "/tmp/rex.jpg"}
    assert photo[2]["disabled"] is True


def test_v20_converted_to_v21() -> None:
    doc = load("v20.postman_collection.json")
    assert doc["info"]["schema"] == SCHEMA_V21
    # v2.0 auth parameters are an object; v2.1 wants a key/value list
    assert doc["auth"] == {"type": "basic", "basic": [
        {"key": "username", "value": "ann", "type": "string"},
        {"key": "password", "value": "{{password}}", "type": "string"}]}
    status = items_by_name(doc)["Status"]
    assert status["request"]["url"]["raw"] == "https://legacy.example.com/status?full=1"
    assert status["request"]["url"]["path"] == ["status"]
    assert status["request"]["header"] == [
        {"key": "Accept", "value": "application/json"},
        {"key": "X-Old", "value": "1", "disabled": True}]
    by_id = items_by_name(doc)["Item by id"]["request"]
    assert by_id["method"] == "GET"
    assert by_id["url"]["host"] == ["legacy", "example", "com"]
    assert by_id["url"]["path"] == ["items", "{{itemId}}"]
    assert by_id["url"]["raw"] == "https://legacy.example.com/items/{{itemId}}?fields=all"
    assert by_id["auth"]["bearer"] == [{"key": "token", "value": "abc", "type": "string"}]
    assert doc["variable"] == [{"id": "itemId", "key": "itemId", "value": "7", "type": "number"}]
    assert doc["info"]["description"]["type"] == "text/markdown"


def test_messy_input_is_tolerated() -> None:
    doc = load("messy.postman_collection.json")
    first, second, third = (item for _, item in iter_items(doc))
    assert first["request"]["method"] == "GET"
    assert first["request"]["header"] == [{"key": "X-One", "value": "1"}, {"key": "X-Two", "value": "2"}]
    assert first["request"]["url"]["path"] == ["things", ":id"]
    thing, missing = first["response"]
    # no originalRequest: falls back to the item's request
    assert thing["originalRequest"] == first["request"]
    assert thing["code"] == 200 and thing["status"] == "OK" and thing["header"] == []
    assert missing["code"] == 404 and missing["name"] == "404 Not Found" and missing["body"] == ""
    url = second["request"]["url"]
    assert url["raw"] == "http://api.local:8080/v2/forms?v=2"  # the disabled parameter is left out
    assert url["query"][0] == {"key": "dry", "value": "1", "disabled": True}
    assert second["request"]["header"] == []
    assert second["request"]["body"] == {"mode": "urlencoded", "urlencoded": [
        {"key": "a", "value": "1"}, {"key": "b", "value": "two"}]}
    assert "data" not in second["request"] and "dataMode" not in second["request"]
    assert second["response"][0]["header"] == [{"key": "Content-Type", "value": "text/plain"}]
    assert json.loads(third["request"]["body"]["raw"]) == {"a": [1, 2]}
    assert third["response"] == []


def test_examples_get_ids_in_document_order() -> None:
    data = {"info": {"_postman_id": "c1", "name": "n"}, "item": [
        {"name": "a", "request": "http://x/a", "response": [{"code": 200}, {"id": "keep-me", "code": 201}]},
        {"name": "f", "item": [{"name": "b", "request": "http://x/b", "response": [{"code": 404}, {"code": 500}]}]},
    ]}
    ids = [ex["id"] for _, ex in iter_examples(normalize_collection(data).doc)]
    assert ids[1] == "keep-me"
    numbered = [ids[0], ids[2], ids[3]]
    assert [i.split("-")[0] for i in numbered] == ["000001", "000003", "000004"]
    assert numbered == sorted(numbered)
    # the same input gives the same IDs
    assert ids == [ex["id"] for _, ex in iter_examples(normalize_collection(data).doc)]


def test_repeated_example_ids_are_made_unique() -> None:
    data = {"info": {"_postman_id": "c1", "name": "n"}, "item": [
        {"name": "a", "request": "http://x/a", "response": [{"id": "same"}, {"id": "same"}]}]}
    ids = [ex["id"] for _, ex in iter_examples(normalize_collection(data).doc)]
    assert ids[0] == "same" and ids[1] != "same"


def test_base64_marked_bodies_come_back_as_blobs(tmp_path: Path) -> None:
    payload = bytes(range(256))
    import base64

    data = {"info": {"name": "n"}, "item": [{"name": "a", "request": "http://x/a", "response": [
        {"code": 200, "body": base64.b64encode(payload).decode(), "_postmock": {"bodyEncoding": "base64"}}]}]}
    out = normalize_collection(data, blobs=BlobStore(tmp_path))
    _, ex = next(iter_examples(out.doc))
    assert ex["body"] == ""
    digest = ex["_postmock"]["bodyBlob"]
    assert out.blobs == {digest: payload}  # collected, not yet written
    assert ex["_postmock"]["bodySize"] == 256
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("data, where, problem", [
    ([], "$", "the top level is an array"),
    ({"info": {"name": "x"}}, "$", 'it has no "item" list'),
    ({"name": "x", "values": []}, "$", "this is a Postman environment: use postmock env import FILE"),
    ({"requests": [], "order": []}, "$", "Collection v1"),
    ({"info": {"name": "x"}, "item": None}, "$.item", "the collection has no items"),
    ({"info": {"name": "x"}, "item": 0}, "$.item", "the collection has no items"),
])
def test_documents_without_items_are_refused(data: object, where: str, problem: str) -> None:
    with pytest.raises(DocumentError) as e:
        normalize_collection(data)
    assert e.value.where == where and problem in e.value.problem


def test_documents_nested_too_deeply_are_refused_before_they_exhaust_the_stack(tmp_path: Path) -> None:
    folders: dict = {"request": "/"}
    for _ in range(120):
        folders = {"name": "f", "item": [folders]}
    with pytest.raises(DocumentError, match="nested more than 200 levels deep"):
        normalize_collection({"item": [folders]})
    deep_json: list = []
    for _ in range(300):
        deep_json = [deep_json]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps({"item": [{"request": "/", "description": deep_json}]}))
    with pytest.raises(PostmockError, match=r"deep.json: \$: nested more than 200 levels deep"):
        read_collection_file(path)
    assert json_depth(deep_json) == 201 and json_depth(deep_json, stop=1000) == 301
    # one-element lists written without brackets nest deeper once stored: checked there too
    bare: dict = {"request": "/"}
    for _ in range(150):
        bare = {"item": bare}
    with pytest.raises(DocumentError, match="nested more than 200"):
        normalize_collection({"item": bare})


def test_an_empty_item_list_is_an_empty_collection() -> None:
    out = normalize_collection({"info": {"name": "Empty"}, "item": []})
    assert out.doc["item"] == [] and not out.notes


def _one(item: object) -> dict:
    return {"info": {"name": "x"}, "item": [item]}


@pytest.mark.parametrize("data, notes, counts", [
    # what the SDK drops is skipped; what it keeps as an empty shell is imported as one
    ({"item": {"request": "/"}}, [], (1, 0)),
    ({"info": "x", "item": [{"request": "/"}]}, ["ignored 1 `info` that is not an object"], (1, 0)),
    (_one(1), ["imported 1 item that is not an object as an empty GET request"], (1, 0)),
    ({"info": {"name": "x"}, "item": [None, "s", [], {"name": "no request"}]},
     ["skipped 1 null item", "imported 2 items that are not objects as empty GET requests",
      "imported 1 item without a request as an empty GET request"], (3, 0)),
    ({"item": [{"item": {"request": "/"}, "request": "/a", "response": [{}]}]},
     ["skipped 1 request or examples given to a folder (an item with `item` is one)"], (1, 0)),
    ({"item": [{"item": 0, "request": "/a"}]}, [], (1, 0)),
    ({"item": [{"item": [{"request": "/"}], "response": [{}]}, {"item": [], "response": []}]},
     ["skipped 1 request or examples given to a folder (an item with `item` is one)"], (1, 0)),
    (_one({"item": [{"request": 5}]}), ["imported 1 request that is not an object as an empty GET request"],
     (1, 0)),
    (_one({"request": {"url": 5}}), ["read 1 URL that is neither text nor an object as empty"], (1, 0)),
    (_one({"request": {"method": "G T", "url": "/"}}),
     ["replaced 1 method that is not an HTTP method with GET"], (1, 0)),
    (_one({"request": "/", "response": [{"code": "abc"}, {"code": 99}]}),
     ["replaced 2 status codes that are not numbers from 100 to 599 with 200"], (1, 2)),
    (_one({"request": "/", "response": [{"header": [7, {}, None, {"key": None, "value": "v"}]}]}),
     ["skipped 3 empty headers", "skipped 1 header without a name"], (1, 1)),
    (_one({"request": {"url": "/", "body": {"mode": "zip", "raw": "x"}}}),
     ["read 1 request body of an unknown mode as raw text"], (1, 0)),
    (_one({"request": {"url": {"raw": "/", "query": [None, {"value": "1"}, {"key": "a"}]}}}),
     ["skipped 2 query parameters without a name"], (1, 0)),
    ({"item": [{"request": "/"}], "variable": [{"value": 1}, {}, {"key": "k"}]},
     ["skipped 2 collection variables without a name"], (1, 0)),
    (_one({"request": "/", "response": [{"body": "@@", "_postmock": {"bodyEncoding": "base64"}}]}),
     ["kept 1 body marked base64 that is not base64 as text"], (1, 1)),
    (_one({"request": "/", "response": {"code": 201}}), [], (1, 1)),
    (_one({"request": "/", "response": [5, "x", [], None]}),
     ["skipped 1 null saved example",
      "imported 3 saved examples that are not objects as empty 200 responses"], (1, 3)),
    (_one({"request": "/", "response": [{"originalRequest": 5, "id": {"a": 1}}]}),
     ["replaced 1 example request that is not an object with its item's request",
      "replaced 1 example ID that is not text with a new one"], (1, 1)),
    ({"item": [{"id": {"a": 1}, "request": {"url": {"raw": "/", "port": [1]},
                                           "auth": {"type": "bearer", "bearer": [5, {"key": "token", "value": [1]}]}}}],
      "variable": [{"key": "k", "type": {}}], "auth": {"type": 5}},
     ["skipped 5 fields of the wrong type (in URLs, auth, variables or IDs)"], (1, 0)),
])
def test_what_the_sdk_reads_is_imported_and_the_rest_skipped_with_notes(
        data: dict, notes: list[str], counts: tuple[int, int]) -> None:
    out = normalize_collection(data)
    assert out.notes.lines() == notes
    assert (len(list(iter_items(out.doc))), len(list(iter_examples(out.doc)))) == counts


def test_skipped_parts_leave_the_rest_whole() -> None:
    """The file that showed the problem: an empty header object beside a real one."""
    doc = normalize_collection({"info": {"name": "x"}, "item": [{"request": "/", "response": [
        {"code": 200, "header": [{}, {"key": "Content-Type", "value": "application/json"}], "body": "{}"}]}]}).doc
    ex = doc["item"][0]["response"][0]
    assert ex["header"] == [{"key": "Content-Type", "value": "application/json"}]
    assert ex["_postman_previewlanguage"] == "json"
    empty = normalize_collection(_one(7)).doc["item"][0]
    assert empty["request"] == {"method": "GET", "header": [], "url": {"raw": ""}} and empty["response"] == []


def test_file_errors_are_one_line_naming_file_and_place(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"info": {"name": "x"}, "item": None}))
    with pytest.raises(PostmockError) as e:
        read_collection_file(path)
    message = str(e.value)
    assert "\n" not in message
    assert str(path) in message and "$.item: the collection has no items" in message
    path.write_text('{"info": ')
    with pytest.raises(PostmockError, match=r"not valid JSON \(line 1 column 10"):
        read_collection_file(path)


def test_foreign_blob_reference_is_emptied(tmp_path: Path) -> None:
    data = {"info": {"name": "x"}, "item": [{"request": "/", "response": [
        {"body": "", "_postmock": {"bodyBlob": "ab" * 32, "bodySize": 3}}]}]}
    out = normalize_collection(data, blobs=BlobStore(tmp_path))
    assert out.notes.lines() == ["emptied 1 body that refers to a file not in this workspace"]
    _, ex = next(iter_examples(out.doc))
    assert ex["body"] == "" and "_postmock" not in ex


def test_parse_url_keeps_variables_and_params() -> None:
    url = parse_url("{{baseUrl}}/users/:id/posts?x=1&flag#top")
    assert url["host"] == ["{{baseUrl}}"]
    assert url["path"] == ["users", ":id", "posts"]
    assert url["query"] == [{"key": "x", "value": "1"}, {"key": "flag", "value": None}]
    assert url["hash"] == "top"
    url = parse_url("https://api.example.com:8443/")
    assert (url["protocol"], url["host"], url["port"], url["path"]) == (
        "https", ["api", "example", "com"], "8443", [""])
