"""A stored collection built from history entries: chosen by ID, by a selection (a date, a
host, ...) or given as exchanges. The CLI's `collection create --from-history/--ids`, the
admin API and the dashboard's "Mock request" / "Mock all requests for this date" all end here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange
from postmock_core.history.entries import load_exchanges
from postmock_core.history.query import HistoryQuery
from postmock_core.history.store import HistoryStore
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.from_history import BuildResult, collection_from_exchanges

__all__ = ["create_collection_from_history"]



def _same(items: Iterable[Any], total: int | None = None, desc: str = "") -> Iterable[Any]:
    return items


def create_collection_from_history(
    store: CollectionStore, history: HistoryStore, name: str, *, ids: Iterable[int] = (),
    query: HistoryQuery | None = None, exchanges: list[Exchange] | None = None,
    progress: Callable[..., Iterable[Any]] = _same,
) -> BuildResult:
    """Build and save collection `name` from history IDs, a selection (an empty one selects
    the whole history), or given exchanges.

    Each exchange becomes a saved example; failed ones are skipped and counted. Nothing is
    saved when nothing usable is selected.
    """
    ids = list(ids)
    if ids and query is not None and (not query.is_empty or query.limit is not None):
        raise PostmockError("give either history IDs or history filters, not both")
    store.check_new_name(name)
    if exchanges is None:
        if ids:
            exchanges = load_exchanges(history, ids)
        elif query is not None:
            found: Iterable[tuple[int, dict[str, Any]]] = progress(query.select(history),
                                                                   desc="reading history")
            exchanges = sorted((Exchange.from_doc(doc, history.blobs, id=i) for i, doc in found),
                               key=lambda ex: ex.id or 0)
        else:
            raise PostmockError("choose history entries: IDs, a date or other filters")
    if not exchanges:
        raise PostmockError("no history entries match; nothing was created "
                            "(check the filters with `postmock history list`)")
    result = collection_from_exchanges(name, progress(exchanges, len(exchanges), "building"),
                                       history.blobs)
    if not result.examples:
        skipped, not_modified = len(result.skipped_failed), len(result.skipped_not_modified)
        why = [f"{skipped} failed (no response)" if skipped else "",
               f"{not_modified} bodiless 304 (cache revalidations)" if not_modified else ""]
        raise PostmockError(f"none of the selected exchanges can be an example: "
                            f"{', '.join(w for w in why if w)}; nothing was created")
    store.save(result.doc)
    return result
