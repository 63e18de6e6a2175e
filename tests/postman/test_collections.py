"""The collection repository: files, names, atomic edits, example verbs."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from postmock_core.postman.collections import CollectionStore, find_example, remove_example
from postmock_core.errors import PostmockError
from postmock_core.postman.model import iter_examples
from postmock_core.postman.importer import normalize_collection
from postmock_core.store.storage import CorruptStoreError
from postmock_core.store.workspace import Workspace


@pytest.fixture()
def store(tmp_path: Path) -> CollectionStore:
    return CollectionStore(Workspace.open(tmp_path / "home"))


def sample(name: str = "Shop", cid: str = "c-1") -> dict:
    return normalize_collection({"info": {"name": name, "_postman_id": cid}, "item": [
        {"name": "users", "request": "http://x/users", "response": [
            {"name": "200 OK", "code": 200, "body": "[]"}, {"name": "404 Not Found", "code": 404}]},
        {"name": "orders", "request": "http://x/orders", "response": [{"name": "dup", "code": 200},
                                                                      {"name": "DUP", "code": 500}]},
    ]}).doc


def test_create_list_resolve_load(store: CollectionStore) -> None:
    doc = store.create("Shop API")
    cid = doc["info"]["_postman_id"]
    path = store.dir / f"{cid}.json"
    assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text())["info"]["name"] == "Shop API"
    assert store.resolve("shop api") == path  # names compare case-insensitively
    assert store.resolve(cid) == path
    assert store.load("SHOP API")["item"] == []
    [summary] = store.list()
    assert (summary.id, summary.name, summary.requests, summary.examples) == (cid, "Shop API", 0, 0)


def test_names_are_unique_case_insensitively(store: CollectionStore) -> None:
    store.create("Shop")
    with pytest.raises(PostmockError, match="already exists"):
        store.create("SHOP")
    with pytest.raises(PostmockError, match="cannot be empty"):
        store.create("  ")
    other = store.create("Other")
    with pytest.raises(PostmockError, match="already exists"):
        store.rename("Other", "shop")
    assert store.load(other["info"]["_postman_id"])["info"]["name"] == "Other"


def test_unknown_name_is_one_clear_line(store: CollectionStore) -> None:
    with pytest.raises(PostmockError) as e:
        store.load("nope")
    assert str(e.value) == "no collection named 'nope'; see: postmock collection list"


def test_rename_keeps_id_and_delete_removes_file(store: CollectionStore) -> None:
    cid = store.create("Old")["info"]["_postman_id"]
    store.rename("old", "New")
    assert store.load("new")["info"]["_postman_id"] == cid
    summary = store.delete("New")
    assert summary.id == cid and not (store.dir / f"{cid}.json").exists()
    assert store.list() == []


def test_edit_is_all_or_nothing(store: CollectionStore) -> None:
    store.save(sample())
    before = (store.dir / "c-1.json").read_bytes()
    with pytest.raises(PostmockError), store.edit("Shop") as doc:
        remove_example(doc, "200 OK")
        raise PostmockError("changed my mind")
    assert (store.dir / "c-1.json").read_bytes() == before
    with store.edit("Shop") as doc:
        remove_example(doc, "200 ok")
    assert [ex["name"] for _, ex in iter_examples(store.load("Shop"))] == ["404 Not Found", "dup", "DUP"]


def test_find_example_by_id_or_unique_name(store: CollectionStore) -> None:
    doc = sample()
    ids = [ex["id"] for _, ex in iter_examples(doc)]
    item, ex = find_example(doc, ids[1])
    assert ex["name"] == "404 Not Found" and item["name"] == "users"
    assert find_example(doc, "404 not found")[1]["id"] == ids[1]
    with pytest.raises(PostmockError, match="2 examples .* are named 'dup'; use an ID"):
        find_example(doc, "dup")
    with pytest.raises(PostmockError, match="no example 'x' in collection 'Shop'"):
        find_example(doc, "x")


def test_import_replace_keeps_id_and_copy_gets_new_id(store: CollectionStore) -> None:
    from postmock_core.postman.importer import Normalized

    store.import_normalized(Normalized(sample()))
    with pytest.raises(PostmockError, match="--replace"):
        store.import_normalized(Normalized(sample()))
    replaced = sample(cid="other-id")
    replaced["item"] = []
    doc, was_replaced = store.import_normalized(Normalized(replaced), replace=True)
    assert was_replaced and doc["info"]["_postman_id"] == "c-1"
    assert store.load("Shop")["item"] == []
    copy, _ = store.import_normalized(Normalized(sample(name="Copy")))
    assert copy["info"]["_postman_id"] != "c-1"  # the same file again, under another name
    assert len(store.list()) == 2


def test_corrupt_file_is_reported_and_left_alone(store: CollectionStore) -> None:
    store.save(sample())
    path = store.dir / "c-1.json"
    path.write_text("{broken")
    with pytest.raises(PostmockError, match="unreadable collection file: c-1.json"):
        store.load("Shop")
    with pytest.raises(CorruptStoreError, match="c-1.json"):
        store.load("c-1")
    assert path.read_text() == "{broken"


def _add_examples(home: str, start: int) -> None:
    store = CollectionStore(Workspace.open(home))
    for i in range(start, start + 10):
        with store.edit("Shop") as doc:
            doc["item"][0]["response"].append({"id": f"x{i}", "name": f"n{i}", "code": 200})


def test_concurrent_edits_lose_nothing(store: CollectionStore) -> None:
    store.save(sample())
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_examples, args=(str(store.workspace.root), n * 100)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    names = {ex["name"] for _, ex in iter_examples(store.load("Shop"))}
    assert {f"n{n * 100 + i}" for n in range(3) for i in range(10)} <= names
    assert not [f for f in os.listdir(store.dir) if f.endswith(".tmp")]
