"""The history store: every recorded exchange, in TinyDB segment files under `history/`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from postmock_core.exchange import Exchange
from postmock_core.store.blobs import BlobStore
from postmock_core.store.segments import SegmentedStore, WriterBatch
from postmock_core.store.storage import dumps
from postmock_core.store.workspace import Workspace

__all__ = ["FINGERPRINT", "SEGMENT_SIZE", "HistoryStore", "fingerprint"]

SEGMENT_SIZE = 500
FINGERPRINT = "fingerprint"

Doc = dict[str, Any]


def fingerprint(doc: Doc) -> str:
    """What makes two imported exchanges the same: everything stored but the fingerprint."""
    return hashlib.sha256(dumps({k: v for k, v in doc.items() if k != FINGERPRINT}, compact=True)).hexdigest()


class HistoryStore:
    """Domain verbs over recorded exchanges: append, get, load, iterate, delete."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.blobs = BlobStore(workspace.blobs_dir)
        self._store = SegmentedStore(workspace.history_dir, "exchanges", SEGMENT_SIZE)
        self.dir = self._store.dir

    def segment_path(self, exchange_id: int) -> Path:
        return self._store.segment_path(exchange_id)

    def segments(self) -> list[Path]:
        """Segment files, oldest first."""
        return self._store.segments()

    def append(self, exchanges: Sequence[Exchange], writer: WriterBatch | None = None) -> list[int]:
        """Store `exchanges` (bodies to blobs first, outside the lock); return their new IDs.

        `writer`: the batch's writer session and sequence numbers (see `SegmentedStore`)."""
        return self._store.append([ex.to_doc(self.blobs) for ex in exchanges], writer=writer)

    def stored_seq(self, session: str) -> int:
        """The highest sequence number writer `session` has stored (0: none)."""
        return self._store.stored_seq(session)

    def append_docs(self, docs: Sequence[Doc]) -> list[int]:
        """Store already-encoded exchange documents; return their new IDs."""
        return self._store.append(docs)

    def import_docs(self, docs: Sequence[Doc], allow_duplicates: bool = False) -> list[tuple[int, bool]]:
        """Store imported documents, each marked with its fingerprint; one already in history
        (the same file imported twice) is skipped unless `allow_duplicates`.

        Returns (ID, stored now) per document, in order: a skipped one gets the ID it has.
        """
        marked = [{**d, FINGERPRINT: fingerprint(d)} for d in docs]
        if allow_duplicates:
            return [(i, True) for i in self._store.append(marked)] if marked else []
        known = {str(d[FINGERPRINT]): i for i, d in self.iter_docs(newest_first=False) if d.get(FINGERPRINT)}
        fresh: dict[str, Doc] = {}  # also drops repeats within this one import
        for d in marked:
            if d[FINGERPRINT] not in known:
                fresh.setdefault(str(d[FINGERPRINT]), d)
        new_ids = dict(zip(fresh, self._store.append(list(fresh.values())) if fresh else [], strict=True))
        out, seen = [], set()
        for d in marked:
            fp = str(d[FINGERPRINT])
            out.append((known[fp], False) if fp in known else (new_ids[fp], fp not in seen))
            seen.add(fp)
        return out

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Delete the given IDs; return those that existed."""
        return self._store.delete(ids)

    def delete_where(self, predicate: Callable[[Doc], bool]) -> list[int]:
        """Delete every exchange whose document satisfies `predicate`; return their IDs."""
        return self._store.delete_where(predicate)

    def get(self, exchange_id: int) -> Doc | None:
        """The stored document of one exchange, or None."""
        return self._store.get(exchange_id)

    def load(self, exchange_id: int, with_body: bool = True) -> Exchange | None:
        """One exchange as core types, bodies read back from blobs."""
        doc = self.get(exchange_id)
        return Exchange.from_doc(doc, self.blobs, id=exchange_id, with_body=with_body) if doc else None

    def iter_docs(self, newest_first: bool = True) -> Iterator[tuple[int, Doc]]:
        """(id, document) for every exchange, reading one segment at a time."""
        return self._store.iter_docs(newest_first)

    def count(self) -> int:
        return self._store.count()

    def next_id(self) -> int:
        """The ID the next recorded exchange will get; IDs only grow."""
        return self._store.next_id()
