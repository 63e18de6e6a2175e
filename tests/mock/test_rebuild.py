"""A large collection is rebuilt aside: calls keep the old version until the new one is ready."""

from __future__ import annotations

import time

import pytest
from support.mockkit import make_mock

from postmock_core.exchange import HttpRequest
from postmock_core.mock import runtime as runtime_module
from postmock_core.mock.runtime import MockCatalog, MockRuntime
from postmock_core.postman.collections import CollectionStore
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
