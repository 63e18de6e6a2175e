"""A large mock makes the answers of its static examples ahead, on a thread, exactly as a call
would have them made."""

from __future__ import annotations

import asyncio
import base64
import copy
import weakref
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.mockkit import JSON, SCHEMA, USERS, make_mock, run_serve
from support.procs import free_port, wait_until

from postmock_core.exchange import HttpRequest
from postmock_core.mock import served as served_module
from postmock_core.mock.served import Served, kept_for_long
from postmock_core.mock.service import MockService, Reply
from postmock_core.serve.app import MockApp
from postmock_core.store.workspace import Workspace

BASE = "http://127.0.0.1:9"


def _example(name: str, url: str, answer: str = "{}", code: int = 200, method: str = "GET",
             **request: Any) -> dict[str, Any]:
    return {"name": name, "request": {"method": method, "url": url, **request},
            "response": [{"name": name, "code": code, "status": "", "header": JSON, "body": answer}]}


def _collection() -> dict[str, Any]:
    """Examples that a plain call answers in every way but the plain one: duplicates, queries,
    a wildcard beside a literal, templates, an interim status, a body to match."""
    doc = copy.deepcopy(USERS)
    doc["info"] = {"name": "ahead", "schema": SCHEMA}
    doc["variable"].append({"key": "who", "value": "ada"})
    doc["item"] += [
        _example("first of two", "{{baseUrl}}/twice", '{"n": 1}'),
        _example("second of two", "{{baseUrl}}/twice", '{"n": 2}'),
        _example("query a", "{{baseUrl}}/search?q=a&page=1", '{"q": "a"}'),
        _example("query b", "{{baseUrl}}/search?q=b", '{"q": "b"}'),
        _example("any item", "{{baseUrl}}/items/:id", '{"any": true}'),
        _example("item me", "{{baseUrl}}/items/me", '{"me": true}'),
        _example("templated", "{{baseUrl}}/random", '{"n": {{$randomInt}}}'),
        _example("switching", "{{baseUrl}}/upgrade", "", code=101),
        _example("with body", "{{baseUrl}}/orders", '{"ok": 1}', method="POST",
                 body={"mode": "raw", "raw": '{"a": 1}'}),
        _example("fragment", "{{baseUrl}}/page#top", "page"),
        _example("no scheme", "127.0.0.1:9/bare/path", "bare"),
        _example("trailing", "{{baseUrl}}/trail/", "trail"),
        _example("encoded", "{{baseUrl}}/a%20b", "encoded"),
    ]
    return doc


def _with_blob(doc: dict[str, Any]) -> dict[str, Any]:
    """Two examples of one call, the first with its body in the blob store (as a recorded image)."""
    blob = _example("logo in a blob", "{{baseUrl}}/logo.png", base64.b64encode(b"\x89PNG\x00\xff").decode())
    blob["response"][0]["_postmock"] = {"bodyEncoding": "base64"}
    doc["item"] += [blob, _example("logo as text", "{{baseUrl}}/logo.png", "png")]
    return doc


def _calls(served: Served) -> list[HttpRequest]:
    """The plain call a client sends for every example, as an HTTP client would send it."""
    out = []
    for ex in served.matcher.examples:
        target = httpx.URL(ex.url if "://" in ex.url else "http://" + ex.url)
        headers = [("host", "127.0.0.1:9"), ("user-agent", "test"), ("accept", "*/*")]
        out.append(HttpRequest(ex.method, "http", "127.0.0.1", 9, target.raw_path.decode().partition("?")[0],
                               list(target.params.multi_items()), headers, b""))
    return out


def _wait_made(served: Served) -> None:
    assert served.preparing is not None
    served.preparing.join(30)
    assert not served.preparing.is_alive()


def _answer(service: MockService, mock_id: str, request: HttpRequest) -> Reply:
    return asyncio.run(service.answer(service.runtime(mock_id), request))


def test_answers_made_ahead_are_the_answers_calls_get(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(served_module, "ASIDE_FROM", 1)  # every collection counts as large
    mock = make_mock(workspace, "ahead", free_port(), _with_blob(_collection()))
    ahead = MockService(workspace, call_log=False)
    MockApp(ahead, mock.id)  # the ASGI engine: replies made ahead come encoded for it
    served = ahead.runtime(mock.id).current()[1]
    assert isinstance(served, Served)
    _wait_made(served)
    made = {id(entry[1]): entry[1] for entry in served.replies.values()}
    assert made and all(r.wire is not None and r.kept for r in made.values())
    names = {r.example_name for r in made.values()}
    # Static examples with a literal URL; for each call, what the matcher picks (the first of
    # two alike, the literal before the wildcard).
    assert {"Ada", "Missing user", "first of two", "query a", "query b", "item me", "Me", "Custom options",
            "Greeting", "fragment", "no scheme", "trailing", "encoded"} <= names
    # A blob's body is read on the call that needs it, never ahead.
    assert any(ex.body_blob for ex in served.matcher.examples)
    assert names & {"second of two", "any item", "templated", "switching", "with body", "Created",
                    "logo in a blob", "logo as text"} == set()

    # Every call answers as a mock that made nothing ahead answers it; each static one with the
    # very reply made ahead.
    plain = MockService(workspace, call_log=False)
    plain.runtime(mock.id).answers_ahead = None
    plain_served = plain.runtime(mock.id).current()[1]
    assert isinstance(plain_served, Served)
    _wait_made(plain_served)
    assert not plain_served.replies
    for request in _calls(served):
        got, want = _answer(ahead, mock.id, request), _answer(plain, mock.id, request)
        assert (got.status, got.example_name, got.score) == (want.status, want.example_name, want.score), request
        if got.example_name != "templated":
            assert (got.headers, got.body) == (want.headers, want.body), request
        if got.example_name in names:
            assert id(got) in made, request
    ahead.close_writers()
    plain.close_writers()


def test_making_answers_ahead_stops_when_the_version_is_let_go(workspace: Workspace,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    mock = make_mock(workspace, "brief", free_port(), _collection())
    service = MockService(workspace, call_log=False)
    served = service.runtime(mock.id).current()[1]  # small: nothing is made ahead of itself
    assert isinstance(served, Served) and served.preparing is None and not served.replies
    calls = served.static_calls()
    assert next(calls)[0].example is not None
    served.released = True
    assert list(calls) == []
    service.close_writers()


def test_answers_made_ahead_hold_a_bounded_amount_of_body(workspace: Workspace,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    items = [_example(f"thing {i}", f"{BASE}/things/{i}", "x" * 1000) for i in range(50)]
    mock = make_mock(workspace, "bodies", free_port(), {"info": {"name": "bodies", "schema": SCHEMA}, "item": items})
    served = MockService(workspace, call_log=False).runtime(mock.id).current()[1]
    assert isinstance(served, Served)
    assert len(list(served.static_calls())) == 50
    monkeypatch.setattr(served_module, "AHEAD_BYTES", 10_500)
    assert len(list(Served.static_calls(served))) == 11  # the one that passes the bound is the last


def test_a_mock_matching_headers_makes_nothing_ahead(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(served_module, "ASIDE_FROM", 1)
    mock = make_mock(workspace, "headers", free_port(), _collection(), match_headers=("accept",))
    service = MockService(workspace, call_log=False)
    served = service.runtime(mock.id).current()[1]
    assert isinstance(served, Served)
    _wait_made(served)
    assert not served.replies and not served.decisions  # no call would find them
    service.close_writers()


def test_serve_says_when_a_large_mock_has_made_its_answers_ahead(workspace: Workspace, tmp_path: Path) -> None:
    n = served_module.ASIDE_FROM
    items = [_example(f"user {i}", f"{BASE}/users/{i}", f'{{"id": {i}}}') for i in range(n)]
    mock = make_mock(workspace, "large", free_port(), {"info": {"name": "large", "schema": SCHEMA}, "item": items})
    with run_serve(workspace.root, [mock], tmp_path, cmd=None) as served:
        line = f"  large: {n:,} answers made ahead in "
        wait_until(lambda: line in served.output(), timeout=60)
        got = httpx.get(f"http://127.0.0.1:{mock.port}/users/7", timeout=10)
        assert got.status_code == 200 and got.json() == {"id": 7}
        assert got.headers["x-mock-example-name"] == "user 7"


def test_garbage_left_while_answers_are_made_ahead_is_freed_not_frozen() -> None:
    class Node:
        me: Node | None = None

    def cycle() -> weakref.ref[Node]:  # a call's garbage in a reference cycle
        node = Node()
        node.me = node
        return weakref.ref(node)

    with kept_for_long(young_first=True):
        gone = cycle()
    assert gone() is None
