"""The collection repository: one normalized Postman v2.1 file per collection.

Files live at `collections/<_postman_id>.json`, each replaced atomically. Every change runs
under one store-wide lock and re-reads the file inside it, so names stay unique
(case-insensitively) and concurrent edits never lose each other's work. A running mock
stats the file to notice a change; nothing else is cached across processes.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.postman.importer import Normalized, safe_id
from postmock_core.postman.model import SCHEMA_V21, iter_examples, iter_items
from postmock_core.store.blobs import BlobStore
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

__all__ = ["CollectionStore", "CollectionSummary", "example_name_taken", "find_example",
           "remove_example"]

Doc = dict[str, Any]

_NAME_MAX = 200


@dataclass(frozen=True)
class CollectionSummary:
    id: str
    name: str
    path: Path
    requests: int
    examples: int


def _check_name(name: str) -> str:
    return check_name(name, "a collection name", _NAME_MAX)


def _summary(doc: Doc, path: Path) -> CollectionSummary:
    info = doc.get("info") or {}
    return CollectionSummary(id=str(info.get("_postman_id", path.stem)), name=str(info.get("name", "")),
                             path=path, requests=sum(1 for _ in iter_items(doc)),
                             examples=sum(1 for _ in iter_examples(doc)))


def find_example(doc: Doc, ref: str) -> tuple[Doc, Doc]:
    """(item, example) for an example ID or a unique example name (case-insensitive)."""
    examples = list(iter_examples(doc))
    for item, ex in examples:
        if ex.get("id") == ref:
            return item, ex
    named = [(item, ex) for item, ex in examples if str(ex.get("name", "")).lower() == ref.lower()]
    if len(named) == 1:
        return named[0]
    coll = (doc.get("info") or {}).get("name", "")
    if named:
        ids = ", ".join(str(ex.get("id")) for _, ex in named)
        raise PostmockError(f"{len(named)} examples in {coll!r} are named {ref!r}; use an ID ({ids})")
    raise NotFoundError(f"no example {ref!r} in collection {coll!r}; see: postmock example list {coll!r}")


def remove_example(doc: Doc, ref: str) -> Doc:
    """Delete one example (by ID or unique name) from `doc`; return it."""
    item, ex = find_example(doc, ref)
    item["response"] = [e for e in item.get("response") or [] if e is not ex]
    return ex


class CollectionStore:
    """Domain verbs over the collection files: list, resolve, load, save, create, rename, delete."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.dir = workspace.dir("collections")
        self.lock_path = self.dir / "collections"
        self._blobs: BlobStore | None = None
        self.unreadable: list[UnreadableFile] = []  # files the last look at every collection skipped

    @property
    def blobs(self) -> BlobStore:
        if self._blobs is None:
            self._blobs = BlobStore(self.workspace.blobs_dir)
        return self._blobs

    def path_for(self, collection_id: str) -> Path:
        if not safe_id(collection_id):
            raise PostmockError(f"invalid collection ID {collection_id[:80]!r}")
        return self.dir / f"{collection_id}.json"

    # -- reading ------------------------------------------------------------------------------
    def _files(self) -> list[Path]:
        return sorted(p for p in self.dir.glob("*.json") if not p.name.startswith("."))

    def _read(self, path: Path) -> Doc:
        doc = read_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("info"), dict):
            raise CorruptStoreError(path, "not a stored collection")
        return doc

    def _all(self) -> list[tuple[Path, Doc]]:
        # A corrupt file must not break commands about other collections: it is set aside in
        # `unreadable`, and named when it may be the one asked for.
        docs, self.unreadable = read_each(self._files(), self._read)
        return docs

    def list(self) -> list[CollectionSummary]:
        """Every readable collection, by name (`unreadable` then lists the others)."""
        return sorted((_summary(doc, p) for p, doc in self._all()), key=lambda s: s.name.lower())

    def resolve(self, name_or_id: str) -> Path:
        """The file of the collection with this ID or name (names compare case-insensitively)."""
        if safe_id(name_or_id):
            path = self.dir / f"{name_or_id}.json"
            if path.exists():
                return path
        wanted = name_or_id.strip().lower()
        for path, doc in self._all():
            if str(doc["info"].get("name", "")).strip().lower() == wanted:
                return path
        raise NotFoundError(f"no collection named {name_or_id!r}; see: postmock collection list"
                            + _unreadable_note(self.unreadable, "collection"))

    def load(self, name_or_id: str) -> Doc:
        """The stored document of a collection."""
        return self._read(self.resolve(name_or_id))

    # -- writing ------------------------------------------------------------------------------
    def check_new_name(self, name: str) -> str:
        """Fail early (before long work) when `name` is not usable for a new collection."""
        name = _check_name(name)
        self._check_unique(name, None)
        return name

    def _check_unique(self, name: str, own_id: str | None) -> None:
        for path, doc in self._all():
            other = doc["info"]
            if str(other.get("name", "")).strip().lower() == name.lower() and path.stem != own_id:
                raise PostmockError(f"a collection named {name!r} already exists; choose another "
                                    f"name or rename that one")

    def save(self, doc: Doc) -> Path:
        """Write a collection (new or changed), atomically and under the store lock."""
        with file_lock(self.lock_path):
            return self._save_locked(doc)

    def _save_locked(self, doc: Doc) -> Path:
        info = doc.setdefault("info", {})
        info["name"] = _check_name(str(info.get("name", "")))
        info.setdefault("_postman_id", str(uuid.uuid4()))
        info["schema"] = SCHEMA_V21
        doc.setdefault("item", [])
        self._check_unique(info["name"], info["_postman_id"])
        path = self.path_for(info["_postman_id"])
        write_json(path, doc)
        return path

    def create(self, name: str, doc: Doc | None = None) -> Doc:
        """A new collection named `name` (empty, or the given document under a fresh ID)."""
        doc = doc if doc is not None else {"item": []}
        info = doc.setdefault("info", {})
        info["name"] = _check_name(name)
        info["_postman_id"] = str(uuid.uuid4())
        self.save(doc)
        return doc

    def import_normalized(self, normalized: Normalized, replace: bool = False) -> tuple[Doc, bool]:
        """Store an imported collection; with `replace`, one of the same name is replaced and
        its ID kept (so mocks serving it pick up the new content). Returns (doc, replaced)."""
        doc = normalized.doc
        info = doc["info"]
        info["name"] = _check_name(str(info["name"]))
        with file_lock(self.lock_path):
            replaced = False
            for path, other in self._all():
                same_name = str(other["info"].get("name", "")).strip().lower() == info["name"].lower()
                if same_name and replace:
                    info["_postman_id"] = path.stem
                    replaced = True
                elif same_name:
                    raise PostmockError(f"a collection named {info['name']!r} already exists; pass "
                                        f"--name NEW to import a copy or --replace to replace it")
            if not replaced and self.path_for(info["_postman_id"]).exists():
                info["_postman_id"] = str(uuid.uuid4())  # same file imported under a new name
            for data in normalized.blobs.values():  # only now: a failed import writes nothing
                self.blobs.put(data)
            self._save_locked(doc)
        return doc, replaced

    def replace(self, name_or_id: str, normalized: Normalized) -> Doc:
        """Replace a collection's content with an imported one, keeping its ID (so mocks
        serving it answer from the new content on their next call)."""
        doc = normalized.doc
        with file_lock(self.lock_path):
            path = self.resolve(name_or_id)
            doc["info"]["_postman_id"] = path.stem
            doc["info"]["name"] = _check_name(str(doc["info"].get("name", "")))
            for data in normalized.blobs.values():
                self.blobs.put(data)
            self._save_locked(doc)
        return doc

    @contextlib.contextmanager
    def edit(self, name_or_id: str) -> Iterator[Doc]:
        """Read-modify-write one collection under the lock; saved only if the block succeeds."""
        with file_lock(self.lock_path):
            doc = self._read(self.resolve(name_or_id))
            yield doc
            self._save_locked(doc)

    def rename(self, old: str, new: str) -> Doc:
        with self.edit(old) as doc:
            doc["info"]["name"] = _check_name(new)
        return doc

    def delete(self, name_or_id: str) -> CollectionSummary:
        with file_lock(self.lock_path):
            path = self.resolve(name_or_id)
            summary = _summary(self._read(path), path)
            remove_file(path)
        return summary


def _unreadable_note(unreadable: list[UnreadableFile], what: str) -> str:
    if not unreadable:
        return ""
    files = ", ".join(u.path.name for u in unreadable)
    return f" (it may be in an unreadable {what} file: {files})"


def example_name_taken(doc: Doc, name: str, except_id: str | None = None) -> bool:
    """Whether another example of the collection already has this name (case-insensitive)."""
    return any(str(ex.get("name", "")).lower() == name.lower() and ex.get("id") != except_id
               for _, ex in iter_examples(doc))

