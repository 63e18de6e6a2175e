"""Managing mock servers: the verbs every edge (CLI, admin API, dashboard) calls to create,
describe, change and delete a mock, so each behaves the same wherever it is asked for."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postmock_core.errors import PostmockError
from postmock_core.mock.calllog import CallLog
from postmock_core.mock.configs import MockConfig, MockStore
from postmock_core.mock.keys import ApiKey, KeyStore
from postmock_core.mock.runtime import deactivation_reason
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.store.settings import load_settings
from postmock_core.store.storage import read_json
from postmock_core.store.workspace import Workspace

__all__ = ["CreatedMock", "call_count", "check_public", "create_key", "create_mock", "delete_mock", "describe_mock", "edit_mock",
           "header_list"]

_UNSAFE = re.compile(r"[^A-Za-z0-9 ._-]+")


@dataclass(frozen=True)
class CreatedMock:
    mock: MockConfig
    collection_name: str
    # What --save-url-to-env did, in words (None when it was not asked for).
    env_note: str | None = None


def _name_of(path: Path, key: str) -> str | None:
    try:
        doc = read_json(path)
    except PostmockError:
        return None
    if not isinstance(doc, dict):
        return None
    value = (doc.get("info") or {}).get("name") if key == "info" else doc.get("name")
    return str(value) if value is not None else None


def _default_name(collection_name: str, taken: set[str]) -> str:
    base = _UNSAFE.sub("-", collection_name).strip(" ._-")[:70] or "mock"
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base} {n}", n + 1
    return name


def header_list(text: str) -> tuple[str, ...]:
    """Header names from `'X-Tenant, Accept'`, lower-cased."""
    return tuple(h.strip().lower() for h in text.split(",") if h.strip())


def check_public(ws: Workspace, private: bool) -> None:
    """Refuse a public mock when the workspace forbids them."""
    if not private and load_settings(ws).forbid_public_mocks:
        raise PostmockError("this workspace forbids public mocks (setting forbid_public_mocks): "
                            "make the mock private")


def describe_mock(ws: Workspace, mock: MockConfig) -> dict[str, Any]:
    """Everything there is to tell about a mock; its state is derived, never stored."""
    collections, environments = CollectionStore(ws), EnvironmentStore(ws)
    settings = load_settings(ws)
    reason = deactivation_reason(mock, collections, environments, settings)
    cpath = collections.dir / f"{mock.collection}.json"
    epath = environments.dir / f"{mock.environment}.json" if mock.environment else None
    return {
        "id": mock.id, "name": mock.name, "url": mock.url, "port": mock.port,
        "collection": {"id": mock.collection, "name": _name_of(cpath, "info") if cpath.exists() else None},
        "environment": ({"id": mock.environment, "name": _name_of(epath, "name") if epath.exists() else None}
                        if epath else None),
        "state": "deactivated" if reason else "active", "deactivated_reason": reason,
        "private": mock.private, "delay_ms": mock.delay_ms, "match_body": mock.match_body,
        "match_headers": list(mock.match_headers), "on_miss": mock.on_miss,
        "call_log_cap": mock.call_log_cap or settings.call_log_cap, "seed": mock.seed,
        "server_responses": [r.to_doc() for r in mock.server_responses],
        "created": mock.created, "updated": mock.updated,
    }


def create_mock(ws: Workspace, collection: str, *, name: str | None = None, environment: str | None = None,
                save_url_to_env: str | None = None, **options: Any) -> CreatedMock:
    """A new mock for a collection (name or ID); `environment` is a name or ID too.

    `options` are `MockConfig` fields (port, delay_ms, private, match_body, match_headers,
    on_miss, call_log_cap, seed).
    """
    store = MockStore(ws)
    doc = CollectionStore(ws).load(collection)
    collection_id, collection_name = str(doc["info"]["_postman_id"]), str(doc["info"].get("name", ""))
    env_id = str(EnvironmentStore(ws).load(environment)["id"]) if environment else None
    check_public(ws, bool(options.get("private")))
    name = name or _default_name(collection_name, {m.name.lower() for m in store.list()})
    mock = store.create(name, collection_id, environment=env_id, **options)
    note = None
    if save_url_to_env:
        env, created = EnvironmentStore(ws).set(save_url_to_env, "url", mock.url)
        note = (f"created environment {env['name']!r} with url = {mock.url}" if created
                else f"set url = {mock.url} in environment {env['name']!r}")
    return CreatedMock(mock, collection_name, note)


def edit_mock(ws: Workspace, ident: str, **changes: Any) -> MockConfig:
    """Change a mock's settings (never its collection); `environment` is a name, an ID or None."""
    if not changes:
        raise PostmockError("nothing to change: give at least one setting")
    if changes.get("environment"):
        changes["environment"] = str(EnvironmentStore(ws).load(changes["environment"])["id"])
    if "private" in changes:
        check_public(ws, bool(changes["private"]))
    return MockStore(ws).update(ident, **changes)


def delete_mock(ws: Workspace, ident: str) -> MockConfig:
    """Delete a mock and its call log."""
    mock = MockStore(ws).delete(ident)
    shutil.rmtree(ws.root / "calls" / mock.id, ignore_errors=True)
    return mock


def call_count(ws: Workspace, mock: MockConfig) -> int:
    """How many calls the mock's log holds."""
    return CallLog(ws, mock.id).count()


def create_key(ws: Workspace, name: str | None = None, mocks: tuple[str, ...] = ()) -> tuple[ApiKey, str]:
    """A new API key, limited to the given mocks (names or IDs) if any; the secret is returned
    once and never stored."""
    store = MockStore(ws)
    scope = tuple(dict.fromkeys(store.get(m).id for m in mocks))
    return KeyStore(ws).create(name, scope)
