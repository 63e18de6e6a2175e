"""Changing a saved example (status, reason, headers, body, name) and saving a history entry as
one (Postman's Save Response): the CLI, the admin API and the dashboard's editor share these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.history.store import HistoryStore
from postmock_core.postman.collections import CollectionStore, example_name_taken, find_example
from postmock_core.postman.from_history import add_exchange, is_revalidation
from postmock_core.postman.model import set_example_body, status_phrase
from postmock_core.store.blobs import BlobStore
from postmock_core.store.names import check_name

__all__ = ["apply_example_changes", "edit_example", "save_from_history"]

Doc = dict[str, Any]


def apply_example_changes(ex: Doc, blobs: BlobStore, *, status: int | None = None,
                          reason: str | None = None, set_headers: Sequence[tuple[str, str]] = (),
                          remove_headers: Sequence[str] = (),
                          headers: Sequence[tuple[str, str]] | None = None,
                          body: bytes | None = None, name: str | None = None) -> list[str]:
    """Change `ex` in place; returns what changed. `headers` replaces them all; `set_headers`
    replaces headers of the same name (keeping their place); `remove_headers` drops them."""
    changed = []
    if status is not None:
        if not 100 <= status <= 599:
            raise PostmockError(f"status {status} is not a status code: use 100 to 599")
        ex["code"] = status
        ex["status"] = reason if reason is not None else status_phrase(status)
        changed.append("status")
    elif reason is not None:
        ex["status"] = reason
        changed.append("reason")
    current = [h for h in ex.get("header") or [] if isinstance(h, dict)]
    if headers is not None:
        for key, _ in headers:
            if not key.strip():
                raise PostmockError("a header needs a name")
        current = [{"key": k.strip(), "value": v} for k, v in headers]
        changed.append("headers")
    for hname in remove_headers:
        kept = [h for h in current if str(h.get("key", "")).lower() != hname.lower()]
        if len(kept) == len(current):
            raise PostmockError(f"the example has no header {hname!r}")
        current = kept
        changed.append(f"-{hname}")
    for key, value in set_headers:
        at = next((i for i, h in enumerate(current) if str(h.get("key", "")).lower() == key.lower()), None)
        current = [h for h in current if str(h.get("key", "")).lower() != key.lower()]
        current.insert(len(current) if at is None else at, {"key": key, "value": value})
        changed.append(key)
    if body is not None:
        set_example_body(ex, body, blobs)
        for h in current:  # a stale length would cut or stall the mocked response
            if str(h.get("key", "")).lower() == "content-length":
                h["value"] = str(len(body))
        changed.append("body")
    ex["header"] = current
    if name:
        ex["name"] = name
        changed.append("name")
    return changed


def edit_example(store: CollectionStore, collection: str, example: str,
                 **changes: Any) -> tuple[Doc, Doc, list[str]]:
    """Change one example (by ID or unique name) of a stored collection, atomically under the
    store lock; returns (collection, example, what changed). A running mock answers with it on
    its next call."""
    new_name = changes.get("name")
    if new_name:
        new_name = changes["name"] = check_name(new_name, "an example name")
    with store.edit(collection) as doc:
        _, ex = find_example(doc, example)
        if new_name and example_name_taken(doc, new_name, except_id=ex.get("id")):
            raise PostmockError(f"an example named {new_name!r} already exists; choose another name")
        changed = apply_example_changes(ex, store.blobs, **changes)
        if not changed:
            raise PostmockError("nothing to change: give a status, reason, headers, body or name")
    return doc, ex, changed


def save_from_history(store: CollectionStore, history: HistoryStore, collection: str, history_id: int,
                      name: str | None = None) -> tuple[Doc, Doc, Doc, bool]:
    """Add history entry `history_id` as an example of `collection` (to the request with the same
    method and URL shape, or a new one); returns (collection, item, example, new request?)."""
    ex = history.load(history_id)
    if ex is None:
        raise NotFoundError(f"no history entry with ID {history_id}; see: postmock history list")
    if ex.failed:
        raise PostmockError(f"history entry {history_id} has no response ({ex.error or 'failed'}); "
                            f"only answered requests can be saved as examples")
    if is_revalidation(ex):
        raise PostmockError(f"history entry {history_id} is a 304 Not Modified without a body (a cache "
                            f"revalidation); save the exchange that carried the body instead")
    if name:
        name = check_name(name, "an example name")
    with store.edit(collection) as doc:
        if name and example_name_taken(doc, name):
            raise PostmockError(f"an example named {name!r} already exists in "
                                f"{doc['info']['name']!r}; choose another name")
        item, example, created = add_exchange(doc, ex, history.blobs, name)
    return doc, item, example, created
