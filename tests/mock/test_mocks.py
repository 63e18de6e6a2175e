"""MockStore: mock configurations in mocks.json."""

from __future__ import annotations

import pytest

from postmock_core.errors import PostmockError
from postmock_core.mock.configs import MAX_DELAY_MS, PORT_RANGE, MockConfig, MockStore, parse_delay
from postmock_core.store.workspace import Workspace


@pytest.mark.parametrize(("text", "ms"), [
    ("none", 0), ("2g", 300), ("3G", 100), ("250", 250), ("250ms", 250), ("0", 0),
    (str(MAX_DELAY_MS), MAX_DELAY_MS),
])
def test_parse_delay_accepts_presets_and_milliseconds(text: str, ms: int) -> None:
    assert parse_delay(text) == ms


@pytest.mark.parametrize("text", ["-1", "180001", "fast", "", "1.5"])
def test_parse_delay_rejects_other_values_with_one_line(text: str) -> None:
    with pytest.raises(PostmockError) as e:
        parse_delay(text)
    assert "\n" not in str(e.value)


def test_create_picks_a_stable_port_and_reads_back(workspace: Workspace) -> None:
    store = MockStore(workspace)
    a = store.create("users api", "col-1", delay_ms=300, private=True, match_headers=("x-tenant",))
    b = store.create("orders", "col-2")
    assert a.port in PORT_RANGE and b.port in PORT_RANGE and a.port != b.port
    assert a.url == f"http://127.0.0.1:{a.port}"
    again = MockStore(workspace).get("USERS API")
    assert again == a
    assert again.match_headers == ("x-tenant",) and again.private and again.delay_ms == 300
    assert sorted(m.name for m in store.list()) == ["orders", "users api"]


def test_names_and_ports_are_unique(workspace: Workspace) -> None:
    store = MockStore(workspace)
    first = store.create("users", "c", port=7399)
    with pytest.raises(PostmockError, match="already exists"):
        store.create("Users", "c")
    with pytest.raises(PostmockError, match="already belongs"):
        store.create("other", "c", port=7399)
    with pytest.raises(PostmockError, match="must start"):
        store.create("-bad", "c")
    with pytest.raises(PostmockError, match="out of range"):
        store.create("x", "c", port=70000)
    assert store.list() == [first]


def test_update_changes_everything_but_the_collection(workspace: Workspace) -> None:
    store = MockStore(workspace)
    mock = store.create("users", "col-1")
    changed = store.update("users", name="people", delay_ms=100, on_miss="passthrough")
    assert changed.id == mock.id and changed.collection == "col-1"
    assert store.get(mock.id).on_miss == "passthrough" and store.get("people").delay_ms == 100
    with pytest.raises(PostmockError, match="cannot change"):
        store.update("people", collection="col-2")
    with pytest.raises(PostmockError, match="no mock"):
        store.update("users", delay_ms=1)


def test_delete(workspace: Workspace) -> None:
    store = MockStore(workspace)
    mock = store.create("users", "col-1")
    assert store.delete("users") == mock
    assert store.list() == []
    with pytest.raises(PostmockError, match="no mock 'users'"):
        store.delete("users")


def test_server_responses_only_one_active(workspace: Workspace) -> None:
    store = MockStore(workspace)
    store.create("users", "col-1")
    down = store.add_server_response("users", "down", 503, [("Retry-After", "5")], '{"down":true}',
                                     active=True)
    slow = store.add_server_response("users", "gateway", 504, [], "")
    mock = store.get("users")
    assert mock.active_server_response is not None and mock.active_server_response.id == down.id
    assert mock.active_server_response.headers == [("Retry-After", "5")]
    store.set_server_response_active("users", "gateway", True)
    assert store.get("users").active_server_response.id == slow.id  # type: ignore[union-attr]
    store.set_server_response_active("users", slow.id, False)
    assert store.get("users").active_server_response is None
    store.delete_server_response("users", "down")
    assert [r.name for r in store.get("users").server_responses] == ["gateway"]
    with pytest.raises(PostmockError, match="5xx"):
        store.add_server_response("users", "ok", 200, [], "")
    with pytest.raises(PostmockError, match="already has"):
        store.add_server_response("users", "Gateway", 500, [], "")
    with pytest.raises(PostmockError, match="no server response"):
        store.delete_server_response("users", "nope")


def test_config_round_trips_through_its_document() -> None:
    mock = MockConfig(id="mock-1", name="m", collection="c", port=7301, match_headers=("a", "b"))
    assert MockConfig.from_doc(mock.to_doc()) == mock
    # Unknown keys from a newer version are ignored, not fatal.
    assert MockConfig.from_doc({**mock.to_doc(), "future": 1}) == mock
