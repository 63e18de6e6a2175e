"""KeyStore: API keys for private mocks, stored as hashes."""

from __future__ import annotations

import pytest

from postmock_core.mock.keys import KeyStore, hash_key
from postmock_core.errors import PostmockError
from postmock_core.store.workspace import Workspace


def test_create_verify_revoke(workspace: Workspace) -> None:
    store = KeyStore(workspace)
    key, secret = store.create("ci")
    assert secret.startswith("PMAK-") and key.hint == secret[-4:]
    assert store.verify(secret)
    assert not store.verify(secret + "x")
    assert not store.verify("")
    assert not store.verify(None)
    store.revoke("ci")
    assert not store.verify(secret)
    assert store.list()[0].revoked is not None


def test_secret_is_never_stored(workspace: Workspace) -> None:
    store = KeyStore(workspace)
    key, secret = store.create()
    raw = store.path.read_text()
    assert secret not in raw and hash_key(secret) in raw
    assert key.name == key.id


def test_revocation_by_another_process_is_seen_at_once(workspace: Workspace) -> None:
    serving = KeyStore(workspace)  # as a running mock holds it
    _, secret = KeyStore(workspace).create("app")
    assert serving.verify(secret)
    KeyStore(workspace).revoke("app")  # as `postmock key revoke` in another process
    assert not serving.verify(secret)


def test_revoke_errors_and_unique_names(workspace: Workspace) -> None:
    store = KeyStore(workspace)
    with pytest.raises(PostmockError, match="no API key 'nope'"):
        store.revoke("nope")
    with pytest.raises(PostmockError, match="no API key 'PMAK-ab…'"):  # a key is never echoed whole
        store.revoke("PMAK-abcdefghijklmnop")
    store.create("twin")
    with pytest.raises(PostmockError, match="a key named 'Twin' already exists"):
        store.create("Twin")


def test_revoke_by_the_key_itself_its_id_or_its_name(workspace: Workspace) -> None:
    store = KeyStore(workspace)
    (by_key, secret), (by_id, id_secret), (by_name, name_secret) = (store.create(n) for n in ("a", "b", "c"))
    assert store.revoke(secret).id == by_key.id and not store.verify(secret)
    assert store.revoke(by_id.id).id == by_id.id and not store.verify(id_secret)
    assert store.revoke("C").id == by_name.id and not store.verify(name_secret)


def test_a_key_for_one_mock_does_not_open_another(tmp_path) -> None:
    from postmock_core.mock.keys import KeyStore
    from postmock_core.store.workspace import Workspace

    store = KeyStore(Workspace.open(tmp_path / "ws"))
    _, scoped = store.create("ci", mocks=("mock-a",))
    _, everywhere = store.create("dev")
    assert store.verify(scoped, "mock-a")
    assert not store.verify(scoped, "mock-b")  # another mock's key is refused
    assert store.verify(everywhere, "mock-a") and store.verify(everywhere, "mock-b")
    assert [k.mocks for k in store.list()] == [("mock-a",), ()]
