"""History entries as their users see them: the summary row of a listing, one entry with its
bodies, entries picked by ID, and deleting a selection. The CLI and the admin API show these."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterable
from typing import Any

from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.exchange import Exchange, HttpRequest, body_from_doc, is_failed
from postmock_core.history.query import HistoryQuery
from postmock_core.history.store import HistoryStore

__all__ = ["body_size", "delete_entries", "entry_doc", "list_entries", "load_exchanges", "summary"]

Doc = dict[str, Any]


def body_size(body: Any) -> int:
    """Bytes of a stored body document (text, base64 or out of line)."""
    if not isinstance(body, dict):
        return 0
    if "text" in body:
        return len(str(body["text"]).encode("utf-8"))
    if "base64" in body:
        b64 = str(body["base64"])
        return len(b64) * 3 // 4 - b64[-2:].count("=")
    return int(body.get("size") or 0)


def summary(exchange_id: int, doc: Doc) -> Doc:
    """The stable per-entry object of a listing: id, time, method, url, status, duration, size."""
    req = doc.get("request") or {}
    resp = None if is_failed(doc) else doc.get("response")  # a response cut short never arrived
    return {
        "id": exchange_id,
        "time": doc.get("time"),
        "method": req.get("method"),
        "url": HttpRequest.from_doc(req, None, with_body=False).url,
        "status": resp.get("status") if isinstance(resp, dict) else None,
        "duration_ms": doc.get("duration_ms"),
        "size": body_size(resp.get("body")) if isinstance(resp, dict) else 0,
        "error": doc.get("error"),
    }


def list_entries(store: HistoryStore, query: HistoryQuery) -> tuple[list[tuple[int, Doc]], bool]:
    """The selected (id, document) pairs, newest first, and whether more match than the limit."""
    # One more than asked tells whether to mention the rest, without counting it all.
    probe = dataclasses.replace(query, limit=query.limit + 1) if query.limit else query
    found = list(probe.select(store))
    more = query.limit is not None and len(found) > query.limit
    return found[: query.limit], more


def _is_binary(body: Doc) -> bool:
    return "base64" in body or body.get("kind") == "binary"


def entry_doc(store: HistoryStore, exchange_id: int, bodies: bool) -> Doc:
    """One stored entry; with `bodies`, text bodies as `{"text"}` and binary as `{"base64"}`,
    else each body as `{"size", "omitted"}`."""
    doc = store.get(exchange_id)
    if doc is None:
        raise NotFoundError(f"no history entry {exchange_id}: see `postmock history list`")
    out = {"id": exchange_id, **doc}
    for part in ("request", "response"):
        msg = doc.get(part)
        if not isinstance(msg, dict) or not msg.get("body"):
            continue
        if bodies:
            data = body_from_doc(msg["body"], store.blobs)
            shown: Doc = ({"base64": base64.b64encode(data).decode("ascii")} if _is_binary(msg["body"])
                          else {"text": data.decode("utf-8", "replace")})
        else:
            shown = {"size": body_size(msg["body"]), "omitted": "use --body"}
        out[part] = {**msg, "body": shown}
    return out


def load_exchanges(store: HistoryStore, ids: Iterable[int]) -> list[Exchange]:
    """The exchanges with these IDs, oldest first; a missing ID is an error naming it."""
    wanted = set(ids)
    found: dict[int, Exchange] = {}
    for exchange_id, doc in store.iter_docs(newest_first=False):
        if exchange_id in wanted:
            found[exchange_id] = Exchange.from_doc(doc, store.blobs, id=exchange_id)
            if len(found) == len(wanted):
                break
    missing = sorted(wanted - found.keys())
    if missing:
        shown = ", ".join(str(i) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise NotFoundError(f"no history entry with ID {shown}; see: postmock history list")
    return [found[i] for i in sorted(found)]


def delete_entries(store: HistoryStore, ids: Iterable[int] = (), query: HistoryQuery | None = None,
                   everything: bool = False) -> tuple[list[int], list[int]]:
    """Delete by IDs, by a selection, or everything; returns (deleted, IDs not found).

    Nothing is deleted unless something is named: an empty selection needs `everything`.
    """
    wanted = sorted(set(ids))
    query = query or HistoryQuery()
    selected = not query.is_empty or query.limit is not None
    if wanted:
        if selected or everything:
            raise PostmockError("give IDs or a selection (--before, --host, ...), not both")
        deleted = store.delete(wanted)
        return deleted, sorted(set(wanted) - set(deleted))
    if not selected:
        if not everything:
            raise PostmockError("say what to delete: IDs, --before TIME, filters like --host, "
                                "or --all for the whole history")
        return store.delete_where(lambda _doc: True), []
    return store.delete([i for i, _ in query.select(store)]), []
