"""The history store: every recorded exchange, in TinyDB segment files under `history/`.

Exchange IDs are global and increasing. Segment `seg-NNNNNNNNNN.json` holds the IDs from its
number up to the next `SEGMENT_SIZE`, so an ID names its file and the newest entries are read
without touching the rest. Writers (the recorder, imports, deletes) hold one store-wide lock;
readers need none, because every file is replaced atomically.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tinydb.table import Document

from postmock_core.blobs import BlobStore
from postmock_core.exchange import Exchange
from postmock_core.storage import file_lock, read_json, snapshot, transaction, write_json
from postmock_core.workspace import Workspace

__all__ = ["SEGMENT_SIZE", "HistoryStore"]

log = logging.getLogger(__name__)

SEGMENT_SIZE = 500
TABLE = "exchanges"
_SEGMENT = re.compile(r"^seg-(\d{10})\.json$")

Doc = dict[str, Any]


class HistoryStore:
    """Domain verbs over the history segments: append, get, iterate, delete."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.dir = workspace.history_dir
        self.blobs = BlobStore(workspace.blobs_dir)
        self.lock_path = self.dir / "history"
        self.state_path = self.dir / "state.json"
        self._memo: dict[Path, tuple[Any, Any]] = {}

    # -- layout -------------------------------------------------------------------------------
    def segment_path(self, exchange_id: int) -> Path:
        first = (exchange_id - 1) // SEGMENT_SIZE * SEGMENT_SIZE + 1
        return self.dir / f"seg-{first:010d}.json"

    def segments(self) -> list[Path]:
        """Segment files, oldest first."""
        found = []
        for p in self.dir.iterdir():
            m = _SEGMENT.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return [p for _, p in sorted(found)]

    def _next_id(self) -> int:
        state = read_json(self.state_path) or {}
        next_id = int(state.get("next_id", 1))
        segs = self.segments()
        if segs:
            # The state file may lag a crash; the newest segment never does.
            ids = [int(k) for k in (self._read_segment(segs[-1]) or {})]
            if ids:
                next_id = max(next_id, max(ids) + 1)
        return next_id

    def _read_segment(self, path: Path) -> dict[str, Doc]:
        data = read_json(path) or {}
        table = data.get(TABLE, {}) if isinstance(data, dict) else {}
        return table if isinstance(table, dict) else {}

    # -- writing ------------------------------------------------------------------------------
    def append(self, exchanges: Sequence[Exchange]) -> list[int]:
        """Store `exchanges` (bodies to blobs first, outside the lock); return their new IDs."""
        docs = [ex.to_doc(self.blobs) for ex in exchanges]
        return self.append_docs(docs)

    def append_docs(self, docs: Sequence[Doc]) -> list[int]:
        """Store already-encoded exchange documents; return their new IDs."""
        if not docs:
            return []
        with file_lock(self.lock_path):
            first = self._next_id()
            ids = list(range(first, first + len(docs)))
            by_segment: dict[Path, list[Document]] = {}
            for i, doc in zip(ids, docs):
                by_segment.setdefault(self.segment_path(i), []).append(Document(doc, doc_id=i))
            for path, batch in by_segment.items():
                with transaction(path, locked=True, compact=True, memo=self._memo) as db:
                    db.table(TABLE).insert_multiple(batch)
            write_json(self.state_path, {"next_id": ids[-1] + 1})
        return ids

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Delete the given IDs; return those that existed."""
        by_segment: dict[Path, list[int]] = {}
        for i in ids:
            by_segment.setdefault(self.segment_path(i), []).append(i)
        deleted: list[int] = []
        with file_lock(self.lock_path):
            for path, wanted in by_segment.items():
                if not path.exists():
                    continue
                with transaction(path, locked=True, compact=True, memo=self._memo) as db:
                    table = db.table(TABLE)
                    present = [i for i in wanted if table.contains(doc_id=i)]
                    if present:
                        table.remove(doc_ids=present)
                        deleted.extend(present)
        return sorted(deleted)

    def delete_where(self, predicate: Callable[[Doc], bool]) -> list[int]:
        """Delete every exchange whose document satisfies `predicate`; return their IDs."""
        deleted: list[int] = []
        with file_lock(self.lock_path):
            for path in self.segments():
                with transaction(path, locked=True, compact=True, memo=self._memo) as db:
                    table = db.table(TABLE)
                    gone = [d.doc_id for d in table.all() if predicate(d)]
                    if gone:
                        table.remove(doc_ids=gone)
                        deleted.extend(gone)
        return sorted(deleted)

    # -- reading ------------------------------------------------------------------------------
    def get(self, exchange_id: int) -> Doc | None:
        """The stored document of one exchange, or None."""
        path = self.segment_path(exchange_id)
        if not path.exists():
            return None
        doc = self._read_segment(path).get(str(exchange_id))
        return doc if isinstance(doc, dict) else None

    def load(self, exchange_id: int, with_body: bool = True) -> Exchange | None:
        """One exchange as core types, bodies read back from blobs."""
        doc = self.get(exchange_id)
        return Exchange.from_doc(doc, self.blobs, id=exchange_id, with_body=with_body) if doc else None

    def iter_docs(self, newest_first: bool = True) -> Iterator[tuple[int, Doc]]:
        """(id, document) for every exchange, reading one segment at a time."""
        segs = self.segments()
        if newest_first:
            segs.reverse()
        for path in segs:
            table = snapshot(path).table(TABLE)
            docs = sorted(((d.doc_id, dict(d)) for d in table.all()), reverse=newest_first)
            yield from docs

    def count(self) -> int:
        return sum(len(self._read_segment(p)) for p in self.segments())
