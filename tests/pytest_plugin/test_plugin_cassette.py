"""Recording files are deterministic: the same calls give the same bytes, in whatever order they came."""

from __future__ import annotations

import json
import random
from pathlib import Path

from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.postman.importer import normalize_collection
from postmock_core.pytest_plugin import cassette
from postmock_core.store.blobs import BlobStore
from postmock_core.store.storage import dumps
from postmock_core.store.workspace import Workspace


def exchange(method: str, path: str, status: int, body: bytes, query: list | None = None,
             request_body: bytes = b"", when: float = 0.0) -> Exchange:
    request = HttpRequest(method, "https", "api.example.com", 443, path, query or [],
                          [("Host", "127.0.0.1:40000"), ("Accept", "application/json"),
                           ("Content-Length", str(len(request_body))), ("Connection", "keep-alive")],
                          request_body)
    response = HttpResponse(status, "", [("Content-Type", "application/json"), ("X-Request-Id", f"r-{when}"),
                                         ("Date", f"Sun, 01 Nov 2026 10:00:{int(when):02d} GMT")], body)
    return Exchange(request, response, timestamp=1_700_000_000 + when, duration_ms=when * 3, id=int(when))


CALLS = [
    exchange("GET", "/users/1", 200, b'{"id": 1}', when=1),
    exchange("GET", "/users/2", 200, b'{"id": 2}', when=2),
    exchange("GET", "/search", 200, b"[]", [("q", "a b"), ("page", "2")], when=3),
    exchange("POST", "/users", 201, b'{"id": 9}', request_body=b'{"name": "x"}', when=4),
    exchange("GET", "/logo.png", 200, b"\x89PNG\r\n\x1a\n\xff\x00", when=5),
]


def build(calls: list[Exchange], tmp: Path) -> bytes:
    blobs = BlobStore(Workspace.open(tmp).blobs_dir)
    doc = cassette.build("test_api.py::test_x", cassette.collection_id(Path("tests/recordings/x.json")),
                         calls, blobs)
    assert doc is not None
    return dumps(doc)


def test_the_same_calls_in_any_order_give_the_same_bytes(tmp_path: Path) -> None:
    first = build(CALLS, tmp_path / "a")
    shuffled = CALLS[:]
    random.Random(7).shuffle(shuffled)
    # Timing differs on every run: a recording must not change because of it.
    later = [Exchange(ex.request, ex.response, ex.timestamp + 3600, (ex.duration_ms or 0) + 5, id=(ex.id or 0) + 50)
             for ex in shuffled]
    assert build(later, tmp_path / "b") == first
    text = first.decode()
    for volatile in ("127.0.0.1:40000", "X-Request-Id", "Date", "Connection", "keep-alive",
                     "responseTime", "historyId", "1700000000"):
        assert volatile not in text
    assert "base64" in text  # the binary body is in the file itself


def test_a_repeated_call_is_kept_once_with_its_first_answer(tmp_path: Path) -> None:
    again = exchange("GET", "/users/1", 200, b'{"id": 1, "changed": true}', when=9)
    doc_bytes = build([*CALLS, again], tmp_path)
    assert doc_bytes == build(CALLS, tmp_path / "b")


def test_keys_of_a_recording_match_the_live_calls_they_came_from(tmp_path: Path) -> None:
    doc = normalize_collection(json.loads(build(CALLS, tmp_path))).doc
    keys = cassette.recorded_keys(doc)
    assert cassette.live_key(HttpRequest("GET", path="/search", query=[("page", "2"), ("q", "a b")])) in keys
    assert cassette.live_key(HttpRequest("GET", path="/users/2")) in keys
    assert cassette.live_key(HttpRequest("GET", path="/users/3")) not in keys
    assert cassette.live_key(HttpRequest("DELETE", path="/users/1")) not in keys
