"""A large collection is rebuilt aside: calls keep the old version until the new one is ready."""

from __future__ import annotations

import json
import threading
import time

import pytest
from support.mockkit import make_mock

from postmock_core.exchange import HttpRequest
from postmock_core.mock import runtime as runtime_module
from postmock_core.mock import served as served_module
from postmock_core.mock.configs import MockStore
from postmock_core.mock.runtime import RELOAD_CHECK, MockCatalog, MockRuntime
from postmock_core.mock.served import Served
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.store.workspace import Workspace


def _body(rt: MockRuntime) -> bytes:
    decision = rt.decide(HttpRequest("GET", path="/users/1"), None)
    assert decision.response is not None
    return decision.response.body


def test_edit_is_built_aside_then_swapped_in(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "ASIDE_FROM", 1)  # every collection counts as large
    mock = make_mock(workspace, "big", 7341)
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    rt.warm()
    assert _body(rt) == b'{"id": 1, "name": "Ada"}' and rt.builds == 1
    with CollectionStore(workspace).edit("big collection") as doc:
        doc["item"][0]["response"][0]["body"] = '{"id": 1, "name": "Ada, edited"}'
    bodies = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        bodies.append(_body(rt))
        if bodies[-1] != b'{"id": 1, "name": "Ada"}':
            break
        time.sleep(0.005)
    assert bodies[0] == b'{"id": 1, "name": "Ada"}'  # the call right after the edit: the old version
    assert bodies[-1] == b'{"id": 1, "name": "Ada, edited"}' and rt.builds == 2


def test_small_collection_sees_an_edit_on_the_next_call(workspace: Workspace) -> None:
    mock = make_mock(workspace, "small", 7342)
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    assert _body(rt) == b'{"id": 1, "name": "Ada"}'
    with CollectionStore(workspace).edit("small collection") as doc:
        doc["item"][0]["response"][0]["body"] = "edited"
    assert _body(rt) == b"edited"


def test_deleted_collection_during_an_aside_build_deactivates(workspace: Workspace,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "ASIDE_FROM", 1)
    mock = make_mock(workspace, "gone", 7343)
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    rt.warm()
    CollectionStore(workspace).delete("gone collection")
    deadline = time.monotonic() + 30
    kind = ""
    while time.monotonic() < deadline and kind != "not-found":
        kind = rt.decide(HttpRequest("GET", path="/users/1"), None).kind
        time.sleep(0.005)
    assert kind == "not-found"


def _answer_once_built(rt: MockRuntime, builds: int, seconds: float = 30) -> bytes:
    """The body for /users/1 once the runtime has built `builds` versions (calls drive it)."""
    deadline = time.monotonic() + seconds
    while True:
        decision = rt.decide(HttpRequest("GET", path="/users/1"), None)
        if rt.builds >= builds or time.monotonic() > deadline:
            decision = rt.decide(HttpRequest("GET", path="/users/1"), None)
            return decision.response.body if decision.response is not None else b"<forwarded>"
        time.sleep(0.005)


def test_a_large_collection_still_answers_after_its_document_is_let_go(workspace: Workspace,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Once built, a large collection's parsed document is emptied to save memory; new settings
    and a new environment are built from the file again, never from the emptied document."""
    monkeypatch.setattr(runtime_module, "ASIDE_FROM", 1)
    EnvironmentStore(workspace).set("env", "greeting", "hi")
    mock = make_mock(workspace, "lean", 7344, environment=EnvironmentStore(workspace).load("env")["id"])
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    rt.warm()
    ada = b'{"id": 1, "name": "Ada"}'
    time.sleep(0.2)  # the document is emptied on a thread
    assert _answer_once_built(rt, 1) == ada
    MockStore(workspace).update("lean", match_body=True)
    assert _answer_once_built(rt, 2) == ada and rt.builds == 2
    MockStore(workspace).update("lean", environment=None)
    assert _answer_once_built(rt, 3) == ada and rt.builds == 3
    with CollectionStore(workspace).edit("lean collection") as doc:
        doc["item"][0]["response"][0]["body"] = "edited"
    assert _answer_once_built(rt, 4) == b"edited"


def test_a_collection_file_nested_too_deeply_deactivates_the_mock_with_one_line(workspace: Workspace) -> None:
    """A collection edited by hand into JSON 100,000 levels deep is unreadable, never a crash."""
    mock = make_mock(workspace, "deep", 7345)
    path = CollectionStore(workspace).path_for(mock.collection)
    path.write_text('{"info": {"name": "deep"}, "item": [{"name": "a", "request": '
                    + "[" * 100_000 + "]" * 100_000 + "}]}")
    decision = MockRuntime(MockCatalog(workspace), mock.id).decide(HttpRequest("GET", path="/users/1"), None)
    assert decision.kind == "not-found"
    assert decision.response is not None and b"cannot be read" in decision.response.body


def test_a_truncated_collection_file_is_said_unreadable_and_a_deleted_one_deleted(workspace: Workspace) -> None:
    mock = make_mock(workspace, "cut", 7346)
    path = CollectionStore(workspace).path_for(mock.collection)
    path.write_bytes(path.read_bytes()[:200])
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    said = rt.decide(HttpRequest("GET", path="/users/1"), None)
    assert said.kind == "not-found" and said.response is not None
    message = json.loads(said.response.body)["error"]["message"]
    assert "its collection" in message and "cannot be read" in message and "deleted" not in message
    path.unlink()
    time.sleep(RELOAD_CHECK * 2)
    said = rt.decide(HttpRequest("GET", path="/users/1"), None)
    assert said.response is not None and b"was deleted" in said.response.body


def test_a_remembered_answer_follows_the_delay_asked_and_an_edit_at_once(workspace: Workspace) -> None:
    mock = make_mock(workspace, "users", 7342)
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    first = rt.decide(HttpRequest("GET", path="/users/1"), None)
    assert first.kind == "mocked" and first.stable and first.delay_ms == 0
    assert rt.decide(HttpRequest("GET", path="/users/1"), None) is first  # made once
    served = rt.current()[1]
    assert not isinstance(served, str) and served is not None and len(served.decisions) == 1
    slow = rt.decide(HttpRequest("GET", path="/users/1", headers=[("x-mock-response-delay", "250")]), None)
    assert slow.delay_ms == 250 and slow.response is first.response
    assert len(served.decisions) == 1  # an x-mock-* call is matched afresh: its decision is not kept
    assert rt.decide(HttpRequest("GET", path="/users/1"), None).delay_ms == 0
    MockStore(workspace).update("users", delay_ms=120)  # this process's edit: seen on the next call
    assert rt.decide(HttpRequest("GET", path="/users/1"), None).delay_ms == 120
    MockStore(workspace).update("users", delay_ms=0)
    assert rt.decide(HttpRequest("GET", path="/users/1"), None).delay_ms == 0
    with CollectionStore(workspace).edit("users collection") as doc:
        doc["item"][0]["response"][0]["body"] = '{"id": 1, "name": "Ada, edited"}'
    assert _body(rt) == b'{"id": 1, "name": "Ada, edited"}'


def test_a_version_swapped_in_by_another_caller_is_used_at_once(workspace: Workspace,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "ASIDE_FROM", 1)  # every collection counts as large
    # The call path keeps what it looked up for this long (unless this process replaces a
    # file): only the other caller below can swap the new version in, however fast it builds.
    monkeypatch.setattr(runtime_module, "RELOAD_CHECK", 3600)
    mock = make_mock(workspace, "big", 7343)
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    rt.warm()
    assert _body(rt) == b'{"id": 1, "name": "Ada"}'
    with CollectionStore(workspace).edit("big collection") as doc:
        doc["item"][0]["response"][0]["body"] = '{"id": 1, "name": "Ada, edited"}'
    deadline = time.monotonic() + 30
    while rt.builds == 1 and time.monotonic() < deadline:
        assert _body(rt) == b'{"id": 1, "name": "Ada"}'  # remembered by the call path
        rt.warm()  # another caller (a port opening, a proxy asking for hosts) swaps the new version in
    assert rt.builds == 2
    assert _body(rt) == b'{"id": 1, "name": "Ada, edited"}'  # not the version just released


def test_a_large_collection_makes_what_its_first_miss_needs_on_a_thread(workspace: Workspace,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    mock = make_mock(workspace, "small", 7346)
    small = MockRuntime(MockCatalog(workspace), mock.id).current()[1]
    assert isinstance(small, Served) and small.preparing is None  # made on the first miss
    monkeypatch.setattr(served_module, "ASIDE_FROM", 1)  # every collection counts as large
    mock = make_mock(workspace, "large", 7347)
    rt = MockRuntime(MockCatalog(workspace), mock.id)
    served = rt.current()[1]
    assert isinstance(served, Served) and served.preparing is not None
    served.preparing.join(30)
    assert served.matcher.index._typos is not None and served.matcher.near._shapes is not None
    decision = rt.decide(HttpRequest("GET", path="/userz/1"), None)
    assert decision.response is not None and decision.response.status == 404
    assert json.loads(decision.response.body)["postmock"]["nearest"][0]["url"].endswith("/users/1")


def test_a_version_let_go_while_it_prepares_is_freed_once_it_is_done(workspace: Workspace,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(served_module, "ASIDE_FROM", 1)
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    items = [{"name": f"user {i}", "request": {"method": "GET", "url": f"http://api.test/things/{i}/x{i}"},
              "response": [{"name": f"user {i}", "code": 200, "body": "{}"}]} for i in range(3000)]
    mock = make_mock(workspace, "brief", 7348, {"info": {"name": "brief collection"}, "item": items})
    for _ in range(5):  # let go at once: the thread preparing for misses must never fail
        served = MockRuntime(MockCatalog(workspace), mock.id).current()[1]
        assert isinstance(served, Served) and served.preparing is not None
        served.release()
    deadline = time.monotonic() + 30
    while any(t.name in ("postmock-prepare", "postmock-release") for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert errors == []
