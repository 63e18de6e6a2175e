"""Postman environments: named sets of variables, stored as-is at `environments/<id>.json`.

The stored form is Postman's own environment format (`values: [{key, value, enabled, type}]`),
normalized only where exports are loose (missing `enabled`, numbers as values). Values with
`enabled: false` are ignored when variables are resolved. What Postman's SDK reads as an
environment is imported; values it cannot name are skipped (see `lenient`).
"""

from __future__ import annotations

import builtins
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.history.formats import right_command
from postmock_core.postman.importer import safe_id
from postmock_core.postman.jsonpath import (
    DocumentError,
    check_depth,
    describe,
    load_json_file,
)
from postmock_core.postman.lenient import Notes, members, one_line, text_value
from postmock_core.store.names import check_name
from postmock_core.store.storage import (
    CorruptStoreError,
    UnreadableFile,
    file_lock,
    read_each,
    read_json,
    remove_file,
    write_json,
)
from postmock_core.store.workspace import Workspace

__all__ = ["SECRET_MASK", "EnvironmentStore", "EnvironmentSummary", "environment_variables", "normalize_environment",
           "secret_values"]

# How a secret value is shown wherever it would otherwise appear (env show, 404 bodies, call logs).
SECRET_MASK = "******"

Doc = dict[str, Any]

@dataclass(frozen=True)
class EnvironmentSummary:
    id: str
    name: str
    path: Path
    values: int
    enabled: int


def _enabled(value: Any, notes: Notes) -> bool:
    if value is None or isinstance(value, bool):
        return value is not False
    if value in (0, 1) or (isinstance(value, str) and value.strip().lower() in ("true", "false")):
        return value == 1 or (isinstance(value, str) and value.strip().lower() == "true")
    notes.add("odd enabled")
    return True


def normalize_environment(data: Any, name: str | None = None, notes: Notes | None = None) -> Doc:
    """A Postman environment in stored form. As with Postman's SDK (`VariableScope`), a bare
    list is its values, and values without a name are skipped (counted in `notes`); only a
    document without `values` is refused, with a `DocumentError` naming the place."""
    notes = notes if notes is not None else Notes()
    if isinstance(data, list) and members(data):
        data = {"values": data}
    if not isinstance(data, dict):
        raise DocumentError("$", f"not a Postman environment: the top level is {describe(data)}")
    check_depth(data)
    if "values" not in data:
        raise DocumentError("$", f"not a Postman environment: it needs \"values\""
                                 f"{right_command(data, 'environment')}")
    doc = dict(data)
    out = []
    for v in members(data["values"], notes, "odd env value"):
        key = v.get("key") if isinstance(v, dict) else None
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            key = text_value(key)
        if not isinstance(key, str) or not key:
            notes.add("odd env value")
            continue
        v = dict(v)
        v["key"] = key
        v["value"] = text_value(v.get("value"))
        v["enabled"] = _enabled(v.get("enabled"), notes)
        if "type" in v and not isinstance(v["type"], str):
            notes.add("odd field")
            del v["type"]
        out.append(v)
    doc["values"] = out
    doc["id"] = safe_id(doc.get("id")) or str(uuid.uuid4())
    doc["name"] = name or one_line(doc.get("name"), notes) or "Imported environment"
    doc["_postman_variable_scope"] = "environment"
    return doc


def environment_variables(doc: Doc) -> dict[str, str]:
    """The enabled variables of an environment (the last one wins a repeated key)."""
    return {str(v["key"]): str(v.get("value", "")) for v in doc.get("values") or []
            if isinstance(v, dict) and "key" in v and v.get("enabled", True) is not False}


def secret_values(doc: Doc | None) -> list[str]:
    """The values of an environment's enabled variables of type `secret`."""
    return [str(v.get("value", "")) for v in (doc or {}).get("values") or []
            if isinstance(v, dict) and v.get("type") == "secret" and v.get("enabled", True) is not False
            and str(v.get("value", ""))]


def _check_name(name: str) -> str:
    return check_name(name, "an environment name")


def _unreadable_note(unreadable: list[UnreadableFile]) -> str:
    if not unreadable:
        return ""
    return f" (it may be in an unreadable environment file: {', '.join(u.path.name for u in unreadable)})"


class EnvironmentStore:
    """Domain verbs over environment files, names unique case-insensitively."""

    def __init__(self, workspace: Workspace) -> None:
        self.dir = workspace.dir("environments")
        self.lock_path = self.dir / "environments"
        self.unreadable: list[UnreadableFile] = []  # files the last look at every environment skipped

    def _files(self) -> list[Path]:
        return sorted(p for p in self.dir.glob("*.json") if not p.name.startswith("."))

    def _read(self, path: Path) -> Doc:
        doc = read_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("values"), list):
            raise CorruptStoreError(path, "not a stored environment")
        return doc

    def _all(self) -> list[tuple[Path, Doc]]:
        # One corrupt file must not break commands about the other environments.
        docs, self.unreadable = read_each(self._files(), self._read)
        return docs

    def list(self) -> list[EnvironmentSummary]:
        out = []
        for path, doc in self._all():
            values = [v for v in doc["values"] if isinstance(v, dict)]
            out.append(EnvironmentSummary(str(doc.get("id", path.stem)), str(doc.get("name", "")), path,
                                          len(values), sum(1 for v in values if v.get("enabled", True))))
        return sorted(out, key=lambda s: s.name.lower())

    def _find(self, name_or_id: str) -> Path | None:
        if safe_id(name_or_id) and (self.dir / f"{name_or_id}.json").exists():
            return self.dir / f"{name_or_id}.json"
        wanted = name_or_id.strip().lower()
        return next((p for p, d in self._all() if str(d.get("name", "")).strip().lower() == wanted), None)

    def resolve(self, name_or_id: str) -> Path:
        path = self._find(name_or_id)
        if path is None:
            raise NotFoundError(f"no environment named {name_or_id!r}; see: postmock env list"
                                + _unreadable_note(self.unreadable))
        return path

    def load(self, name_or_id: str) -> Doc:
        return self._read(self.resolve(name_or_id))

    def _save_locked(self, doc: Doc) -> Path:
        doc["name"] = _check_name(str(doc.get("name", "")))
        for path, other in self._all():
            if str(other.get("name", "")).strip().lower() == doc["name"].lower() and path.stem != doc["id"]:
                raise PostmockError(f"an environment named {doc['name']!r} already exists; choose "
                                    f"another name")
        path = self.dir / f"{doc['id']}.json"
        write_json(path, doc)
        return path

    def save(self, doc: Doc) -> Path:
        with file_lock(self.lock_path):
            return self._save_locked(doc)

    def import_doc(self, doc: Doc, replace: bool = False) -> tuple[Doc, bool]:
        """Store an imported environment; with `replace`, one of the same name is replaced
        (keeping its ID). Returns (doc, replaced)."""
        doc["name"] = _check_name(doc["name"])
        with file_lock(self.lock_path):
            existing = self._find(doc["name"])
            if existing is not None and not replace:
                raise PostmockError(f"an environment named {doc['name']!r} already exists; pass "
                                    f"--name NEW to import a copy or --replace to replace it")
            if existing is not None:
                doc["id"] = existing.stem
            elif (self.dir / f"{doc['id']}.json").exists():
                doc["id"] = str(uuid.uuid4())
            self._save_locked(doc)
        return doc, existing is not None

    def import_file(self, path: Path, name: str | None = None, replace: bool = False,
                    notes: Notes | None = None) -> tuple[Doc, bool]:
        """Import an environment file; what was skipped goes into `notes`."""
        data = load_json_file(path, "cannot import")
        try:
            doc = normalize_environment(data, name, notes)
        except DocumentError as e:
            raise PostmockError(f"cannot import {path}: {e}; nothing was imported") from None
        return self.import_doc(doc, replace)

    @contextlib.contextmanager
    def _edit(self, name_or_id: str, create: bool = False) -> Iterator[Doc]:
        with file_lock(self.lock_path):
            path = self._find(name_or_id)
            if path is None and not create:
                raise NotFoundError(f"no environment named {name_or_id!r}; see: postmock env list"
                                    + _unreadable_note(self.unreadable))
            doc = self._read(path) if path else {
                "id": str(uuid.uuid4()), "name": _check_name(name_or_id), "values": [],
                "_postman_variable_scope": "environment"}
            yield doc
            self._save_locked(doc)

    def set(self, name_or_id: str, key: str, value: str, secret: bool = False) -> tuple[Doc, bool]:
        """Set a variable (enabled), creating the environment when it does not exist yet.
        Returns (doc, created)."""
        if not key:
            raise PostmockError("a variable name cannot be empty")
        created = self._find(name_or_id) is None
        with self._edit(name_or_id, create=True) as doc:
            entry = next((v for v in doc["values"] if isinstance(v, dict) and v.get("key") == key), None)
            if entry is None:
                entry = {"key": key}
                doc["values"].append(entry)
            entry.update(value=value, enabled=True)
            if secret:
                entry["type"] = "secret"
            else:
                entry.setdefault("type", "default")
        return doc, created

    def unset(self, name_or_id: str, key: str) -> Doc:
        """Remove a variable; an unknown name is an error."""
        with self._edit(name_or_id) as doc:
            kept = [v for v in doc["values"] if not (isinstance(v, dict) and v.get("key") == key)]
            if len(kept) == len(doc["values"]):
                raise PostmockError(f"environment {doc['name']!r} has no variable {key!r}")
            doc["values"] = kept
        return doc

    def replace(self, name_or_id: str, name: str | None = None, values: builtins.list[Doc] | None = None) -> Doc:
        """Give an environment a new name and/or a new set of variables (its ID stays)."""
        try:
            fresh = normalize_environment({"values": values if values is not None else []}, name or "x")
        except DocumentError as e:
            raise PostmockError(f"environment: {e}") from None
        with self._edit(name_or_id) as doc:
            if name is not None:
                doc["name"] = _check_name(name)
            if values is not None:
                doc["values"] = fresh["values"]
        return doc

    def delete(self, name_or_id: str) -> Doc:
        with file_lock(self.lock_path):
            path = self.resolve(name_or_id)
            doc = self._read(path)
            remove_file(path)
        return doc

