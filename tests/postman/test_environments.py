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
from postmock_core.postman.lenient import Notes
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
    (5, "$"),
    ({"name": "x"}, "$"),
    ({"info": {}, "item": []}, "$"),
])
def test_documents_without_values_are_refused(data: object, where: str) -> None:
    with pytest.raises(DocumentError) as e:
        normalize_environment(data)
    assert e.value.where == where


def test_what_the_sdk_reads_is_imported_and_the_rest_skipped_with_notes() -> None:
    notes = Notes()
    doc = normalize_environment({"name": "Loose", "values": [
        {"key": "a", "value": {"x": 1}}, None, 3, {"value": "v"}, {"key": ""}, {"key": 7, "value": True},
        {"key": "b", "enabled": "false"}, {"key": "c", "enabled": "yes"}]}, notes=notes)
    assert doc["values"] == [
        {"key": "a", "value": '{"x": 1}', "enabled": True}, {"key": "7", "value": "true", "enabled": True},
        {"key": "b", "value": "", "enabled": False}, {"key": "c", "value": "", "enabled": True}]
    assert notes.lines() == ["skipped 4 environment variables without a name",
                             "read 1 `enabled` that is not true or false as true"]
    # a bare list is the values (as in the SDK), and `values` of one variable is a list of one
    assert normalize_environment([{"key": "k", "value": "v"}])["values"][0]["key"] == "k"
    assert normalize_environment({"values": {"key": "k"}})["values"][0]["key"] == "k"
    assert normalize_environment({"values": None})["values"] == []


def test_a_name_that_is_not_one_line_is_cleaned_up() -> None:
    notes = Notes()
    doc = normalize_environment({"name": "Two\nlines" + "x" * 300, "values": []}, notes=notes)
    assert doc["name"] == ("Two lines" + "x" * 300)[:200]
    assert notes.lines() == ["cleaned up 1 name that is not one line of at most 200 characters"]


def test_refused_file_changes_nothing(store: EnvironmentStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "Bad", "variables": [{"key": "a"}]}))
    with pytest.raises(PostmockError, match=r"bad.json: \$: not a Postman environment: it needs \"values\""):
        store.import_file(bad)
    assert store.list() == []


def test_an_environment_nested_too_deeply_is_refused() -> None:
    deep: list = []
    for _ in range(250):
        deep = [deep]
    with pytest.raises(DocumentError, match="nested more than 200 levels deep"):
        normalize_environment({"values": [{"key": "a", "value": "1", "extra": deep}]})
