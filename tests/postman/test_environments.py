"""Postman environments: import, set/unset, names, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postmock_core.postman.environments import (
    EnvironmentStore,
    environment_variables,
    normalize_environment,
)
from postmock_core.errors import PostmockError
from postmock_core.postman.jsonpath import DocumentError
from postmock_core.store.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "postman" / "dev.postman_environment.json"


@pytest.fixture()
def store(tmp_path: Path) -> EnvironmentStore:
    return EnvironmentStore(Workspace.open(tmp_path / "home"))


def test_import_keeps_postman_format(store: EnvironmentStore) -> None:
    doc, replaced = store.import_file(FIXTURE)
    assert not replaced
    source = json.loads(FIXTURE.read_text())
    assert doc["id"] == source["id"] and doc["name"] == "Dev"
    assert doc["_postman_exported_using"] == "Postman/11.0.0"
    assert doc["values"][1] == {"key": "token", "value": "s3cr3t", "type": "secret", "enabled": True}
    assert doc["values"][3] == {"key": "retries", "value": "3", "enabled": True}
    stored = json.loads((store.dir / f"{source['id']}.json").read_text())
    assert stored == doc
    # disabled values are ignored when resolving
    assert environment_variables(doc) == {"baseUrl": "http://127.0.0.1:3000", "token": "s3cr3t", "retries": "3"}


def test_set_creates_and_updates_unset_removes(store: EnvironmentStore) -> None:
    doc, created = store.set("Staging", "baseUrl", "http://127.0.0.1:9000")
    assert created and doc["_postman_variable_scope"] == "environment"
    doc, created = store.set("staging", "baseUrl", "http://127.0.0.1:9001")
    assert not created and environment_variables(doc) == {"baseUrl": "http://127.0.0.1:9001"}
    doc, _ = store.set("Staging", "token", "x", secret=True)
    assert doc["values"][1]["type"] == "secret"
    doc = store.unset("Staging", "baseUrl")
    assert [v["key"] for v in store.load("STAGING")["values"]] == ["token"]
    with pytest.raises(PostmockError, match="has no variable 'nope'"):
        store.unset("Staging", "nope")
    with pytest.raises(PostmockError, match="no environment named 'Prod'"):
        store.unset("Prod", "x")


def test_names_unique_and_replace(store: EnvironmentStore) -> None:
    store.import_file(FIXTURE)
    with pytest.raises(PostmockError, match="already exists; pass --name NEW"):
        store.import_file(FIXTURE)
    copy, _ = store.import_file(FIXTURE, name="Dev copy")
    assert copy["id"] != json.loads(FIXTURE.read_text())["id"]
    _, replaced = store.import_file(FIXTURE, replace=True)
    assert replaced and len(store.list()) == 2


@pytest.mark.parametrize("data, where", [
    ([], "$"),
    ({"name": "x"}, "$"),
    ({"values": {}}, "$.values"),
    ({"values": [3]}, "$.values[0]"),
    ({"values": [{"value": "v"}]}, "$.values[0].key"),
    ({"values": [{"key": "k", "value": {"a": 1}}]}, "$.values[0].value"),
    ({"values": [{"key": "k", "enabled": "yes"}]}, "$.values[0].enabled"),
])
def test_bad_environments_name_the_place(data: object, where: str) -> None:
    with pytest.raises(DocumentError) as e:
        normalize_environment(data)
    assert e.value.where == where


def test_bad_file_changes_nothing(store: EnvironmentStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "Bad", "values": [{"key": "a"}, {"key": 5}]}))
    with pytest.raises(PostmockError, match=r"bad.json: \$.values\[1\].key"):
        store.import_file(bad)
    assert store.list() == []
