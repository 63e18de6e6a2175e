"""Recorded exchanges to requests and saved examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from postmock_core.store.blobs import BlobStore
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.postman.from_history import add_exchange, collection_from_exchanges, is_id_segment
from postmock_core.history.store import HistoryStore
from postmock_core.postman.model import example_body, iter_examples, iter_items
from postmock_core.postman.importer import normalize_collection
from postmock_core.history.redaction import PLACEHOLDER, Redactor
from postmock_core.store.workspace import Workspace

HOST = "api.example.com"


def exchange(path: str, status: int = 200, body: bytes = b"{}", method: str = "GET",
             query: list[tuple[str, str]] | None = None, host: str = HOST, port: int = 443,
             ctype: str = "application/json", req_headers: list[tuple[str, str]] | None = None,
             req_body: bytes = b"", exchange_id: int | None = None) -> Exchange:
    return Exchange(
        request=HttpRequest(method, "https", host, port, path, query or [], req_headers or [("Accept", "*/*")],
                            req_body),
        response=HttpResponse(status, "", [("Content-Type", ctype)], body),
        timestamp=1_780_000_000.0, duration_ms=12.6, id=exchange_id)


@pytest.fixture()
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


@pytest.mark.parametrize("segment, expected", [
    ("7", True), ("123456", True), ("3f2b8c1e-9d4a-4e1b-8a77-0c5d2e6f9a10", True),
    ("deadbeef42", True), ("cus_9Hc8F3x2Zq1", True), ("60bb37ab42e1d000176206c3", True),
    ("users", False), ("v1", False), ("search", False), ("deadbeef", False), ("", False),
])
def test_id_like_segments(segment: str, expected: bool) -> None:
    assert is_id_segment(segment) is expected


def test_same_shape_becomes_one_request_with_named_examples(blobs: BlobStore) -> None:
    result = collection_from_exchanges("Shop", [
        exchange("/users/7"), exchange("/users/999", 404), exchange("/users/8"),
        exchange("/search", query=[("q", "shoes")]), exchange("/search", query=[("q", "hats")]),
        exchange("/orders"),
    ], blobs)
    doc = result.doc
    assert (result.requests, result.examples) == (3, 6)
    assert doc["variable"] == [{"key": "baseUrl", "value": "https://api.example.com", "type": "string"}]
    users, search, orders = (item for _, item in iter_items(doc))
    assert users["request"]["url"]["raw"] == "{{baseUrl}}/users/:userId"
    assert users["request"]["url"]["variable"] == [{"key": "userId", "value": "7"}]
    names = [ex["name"] for ex in users["response"]]
    assert names == ["200 OK /users/7", "404 Not Found", "200 OK /users/8"]
    # each example keeps its own exact request
    assert [ex["originalRequest"]["url"]["raw"] for ex in users["response"]] == [
        "{{baseUrl}}/users/7", "{{baseUrl}}/users/999", "{{baseUrl}}/users/8"]
    assert [ex["name"] for ex in search["response"]] == ["200 OK ?q=shoes", "200 OK ?q=hats"]
    assert search["response"][1]["originalRequest"]["url"]["query"] == [{"key": "q", "value": "hats"}]
    assert orders["response"][0]["name"] == "200 OK"  # unique already: nothing added
    all_names = [ex["name"].lower() for _, ex in iter_examples(doc)]
    assert len(all_names) == len(set(all_names))
    ids = [ex["id"] for _, ex in iter_examples(doc)]
    assert ids == sorted(ids) and ids[0].startswith("000001-")


def test_identical_calls_are_numbered_last_resort(blobs: BlobStore) -> None:
    doc = collection_from_exchanges("x", [exchange("/ping", 204, b""), exchange("/ping", 204, b"")], blobs).doc
    assert [ex["name"] for _, ex in iter_examples(doc)] == ["204 No Content", "204 No Content (2)"]


def test_each_host_gets_a_variable(blobs: BlobStore) -> None:
    doc = collection_from_exchanges("x", [
        exchange("/a"), exchange("/b", host="127.0.0.1", port=8001), exchange("/c", host="127.0.0.1", port=8002),
    ], blobs).doc
    variables = {v["key"]: v["value"] for v in doc["variable"]}
    # A host alone names its variable; a host seen on several ports gets the port in every name.
    assert variables == {"baseUrl_api_example_com": "https://api.example.com",
                         "baseUrl_127_0_0_1_8001": "https://127.0.0.1:8001",
                         "baseUrl_127_0_0_1_8002": "https://127.0.0.1:8002"}
    raws = [item["request"]["url"]["raw"] for _, item in iter_items(doc)]
    assert raws == ["{{baseUrl_api_example_com}}/a", "{{baseUrl_127_0_0_1_8001}}/b",
                    "{{baseUrl_127_0_0_1_8002}}/c"]
    # Saving an exchange from yet another port later names it the same way.
    add_exchange(doc, exchange("/d", host="127.0.0.1", port=8003), blobs)
    assert doc["variable"][-1] == {"key": "baseUrl_127_0_0_1_8003", "value": "https://127.0.0.1:8003",
                                   "type": "string"}


def test_saved_requests_carry_no_transport_headers(blobs: BlobStore) -> None:
    recorded = exchange("/users", method="POST", body=b"{}")
    recorded.request.headers = [("Host", "127.0.0.1:37029"), ("Content-Length", "2"), ("Connection", "keep-alive"),
                                ("Accept-Encoding", "gzip, br"), ("Keep-Alive", "timeout=5"),
                                ("Transfer-Encoding", "chunked"), ("Accept", "application/json"),
                                ("Content-Type", "application/json"), ("X-Tenant", "acme")]
    doc = collection_from_exchanges("x", [recorded], blobs).doc
    item = doc["item"][0]
    assert [h["key"] for h in item["request"]["header"]] == ["Accept", "Content-Type", "X-Tenant"]
    # The example's original request keeps what a mock may match on, not the connection's framing.
    assert [h["key"] for h in item["response"][0]["originalRequest"]["header"]] == [
        "Accept-Encoding", "Accept", "Content-Type", "X-Tenant"]


def test_failed_exchanges_are_skipped_and_counted(blobs: BlobStore) -> None:
    failed = Exchange(HttpRequest("GET", "https", HOST, 443, "/down"), error="refused", id=9)
    result = collection_from_exchanges("x", [exchange("/up"), failed], blobs)
    assert result.skipped_failed == [9] and result.examples == 1


def test_history_entries_keep_redaction_and_out_of_line_bodies(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "home")
    history = HistoryStore(ws)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64  # larger than the inline limit
    big_text = ('{"items": [' + ",".join(['"x"'] * 5000) + "]}").encode()
    recorded = Redactor().exchange(exchange(
        "/login", method="POST", req_headers=[("Authorization", "Bearer abc"), ("Content-Type", "application/json")],
        req_body=b'{"user": "ann", "password": "hunter2"}', body=b'{"token": "t0k3n"}'))
    ids = history.append([recorded, exchange("/logo.png", body=png, ctype="image/png"),
                          exchange("/items", body=big_text)])
    assert history.get(ids[1])["response"]["body"]["kind"] == "binary"
    exchanges = [history.load(i) for i in ids]
    doc = collection_from_exchanges("x", exchanges, history.blobs).doc
    login, logo, items = (ex for _, ex in iter_examples(doc))
    headers = {h["key"]: h["value"] for h in login["originalRequest"]["header"]}
    assert headers["Authorization"] == f"Bearer {PLACEHOLDER}"
    assert "hunter2" not in login["originalRequest"]["body"]["raw"]
    assert login["originalRequest"]["body"]["options"] == {"raw": {"language": "json"}}
    assert PLACEHOLDER in login["body"] and "t0k3n" not in login["body"]
    assert logo["body"] == "" and logo["_postmock"]["bodySize"] == len(png)
    assert example_body(logo, history.blobs) == png
    assert logo["_postman_previewlanguage"] == "raw"
    assert items["body"].encode() == big_text and "bodyBlob" not in items["_postmock"]
    assert items["_postmock"]["historyId"] == ids[2]


def test_save_response_adds_to_matching_request(blobs: BlobStore) -> None:
    doc = normalize_collection({"info": {"name": "Pets", "_postman_id": "p1"}, "item": [
        {"name": "Get a pet", "request": {"method": "GET", "url": "{{baseUrl}}/pets/:petId"},
         "response": [{"name": "Rex", "code": 200, "originalRequest": {"method": "GET", "url": "{{baseUrl}}/pets/1"}}]},
    ], "variable": [{"key": "baseUrl", "value": "https://api.example.com"}]}).doc
    item, ex, created = add_exchange(doc, exchange("/pets/2"), blobs)
    assert not created and item["name"] == "Get a pet"
    assert ex["name"] == "200 OK /pets/2" and ex["originalRequest"]["url"]["raw"] == "{{baseUrl}}/pets/2"
    assert ex["id"].startswith("000002-")
    item, ex, created = add_exchange(doc, exchange("/pets/3", 404), blobs)
    assert not created and ex["name"] == "404 Not Found"
    item, ex, created = add_exchange(doc, exchange("/pets", method="POST"), blobs, name="new pet")
    assert created and item["request"]["url"]["raw"] == "{{baseUrl}}/pets" and ex["name"] == "new pet"
    # another host: a request of its own and a variable of its own
    item, ex, created = add_exchange(doc, exchange("/pets/2", host="other.example.com"), blobs)
    assert created and ex["originalRequest"]["url"]["raw"] == "{{baseUrl_other_example_com}}/pets/2"
    assert len(doc["variable"]) == 2


def test_example_names_show_queries_as_people_read_them(blobs: BlobStore) -> None:
    result = collection_from_exchanges("Shop", [
        exchange("/search", query=[("q", "red shoes"), ("api_key", PLACEHOLDER)]),
        exchange("/search", query=[("q", "hats")]),
    ], blobs)
    names = [ex["name"] for _, ex in iter_examples(result.doc)]
    assert names == [f"200 OK ?q=red shoes&api_key={PLACEHOLDER}", "200 OK ?q=hats"]
    # Saving another exchange of the first query is recognised as the same one.
    item, example, created = add_exchange(
        result.doc, exchange("/search", query=[("q", "red shoes"), ("api_key", PLACEHOLDER)]), blobs)
    assert not created and example["name"] != names[0]
