"""An append-heavy store of numbered documents, split into TinyDB segment files.

Document IDs are global and increasing. Segment `seg-NNNNNNNNNN.json` holds the IDs from its
number up to the next `segment_size`, so an ID names its file and the newest documents are read
without touching the rest. Writers hold one store-wide lock; readers need none, because every
file is replaced atomically. History and the mock call log are both built on it.

A writer process that may be killed and replaced says who it is: each of its documents carries
`_seq: [session, n]`, and the state file notes, before the documents are renamed into place,
how far that session had got and the last ID before its batch. `stored_seq` then tells a
replacement writer exactly which of the resent documents are already stored.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tinydb.table import Document

from postmock_core.store.storage import (
    StagedWrites,
    atomic_write,
    dumps,
    file_lock,
    read_json,
    snapshot,
    transaction,
)
from postmock_core.store.watch import file_signature
from postmock_core.store.workspace import make_private_dir

__all__ = ["SEQ_KEY", "Encoded", "SegmentedStore", "WriterBatch"]

SEQ_KEY = "_seq"
_KEEP_WRITERS = 32  # writer sessions remembered in the state file, newest last

_SEGMENT = re.compile(r"seg-(\d{10})\.json")

Doc = dict[str, Any]
# (writer session, the sequence number of each document, the session's last number stored before)
WriterBatch = tuple[str, Sequence[int], int]


class Encoded(bytes):
    """A document already encoded, as `dumps(doc, compact=True)` would: a writer that builds
    many similar documents encodes their shared parts once (see `CallDocs`)."""


def _entry(doc: Doc | Encoded, seq: list[Any] | None) -> bytes:
    """A document's compact JSON, with `SEQ_KEY` set to `seq` when given."""
    if not isinstance(doc, Encoded):
        return dumps(doc if seq is None else {**doc, SEQ_KEY: seq}, compact=True)
    if seq is None:
        return bytes(doc)
    # Keys sort as `dumps` sorts them only when the document's own keys sort after SEQ_KEY;
    # either way it reads back the same.
    mark = b'{"%b":%b' % (SEQ_KEY.encode(), dumps(seq, compact=True))
    return mark + (b"}" if doc == b"{}" else b"," + doc[1:])


def _doc(doc: Doc | Encoded, seq: list[Any] | None) -> Doc:
    """A document as a dict, with `SEQ_KEY` set to `seq` when given."""
    parsed: Doc = json.loads(doc) if isinstance(doc, Encoded) else doc
    return parsed if seq is None else {**parsed, SEQ_KEY: seq}


class SegmentedStore:
    """Domain-free verbs over segment files: append, get, iterate, delete, trim."""

    def __init__(self, folder: Path, table: str, segment_size: int = 500, append_only: bool = False) -> None:
        """`append_only`: documents are never changed once stored (only removed), so the JSON
        of each is kept as first written, and a segment is written by joining them: an append
        encodes only its own documents, and trimming encodes none (see `_write_joined`)."""
        self.dir = make_private_dir(folder)
        self.table = table
        self.segment_size = segment_size
        self.lock_path = self.dir / "store"
        self.state_path = self.dir / "state.json"
        # The last segment this process wrote, kept parsed so frequent appends skip re-reading it.
        self._memo: dict[Path, tuple[Any, Any]] = {}
        # Append-only: per segment, (its file's signature, each document's JSON by ID).
        self._joined: dict[Path, tuple[Any, dict[int, bytes]]] | None = {} if append_only else None

    # -- layout -------------------------------------------------------------------------------
    def segment_path(self, doc_id: int) -> Path:
        first = (doc_id - 1) // self.segment_size * self.segment_size + 1
        return self.dir / f"seg-{first:010d}.json"

    def segments(self) -> list[Path]:
        """Segment files, oldest first."""
        found = []
        for p in self.dir.iterdir():
            m = _SEGMENT.fullmatch(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return [p for _, p in sorted(found)]

    def _read_segment(self, path: Path) -> dict[str, Doc]:
        data = read_json(path) or {}
        table = data.get(self.table, {}) if isinstance(data, dict) else {}
        return table if isinstance(table, dict) else {}

    def _state(self) -> dict[str, Any]:
        state = read_json(self.state_path)
        return state if isinstance(state, dict) else {}

    def next_id(self) -> int:
        """The ID the next appended document will get."""
        state = read_json(self.state_path)
        if state is not None:
            return int(state.get("next_id", 1))
        # No counter yet (a new store, or its state file was removed): the newest segment says.
        segs = self.segments()
        ids = [int(k) for k in self._read_segment(segs[-1])] if segs else []
        return max(ids) + 1 if ids else 1

    def _open(self, path: Path, staged: StagedWrites | None = None) -> contextlib.AbstractContextManager[Any]:
        return transaction(path, locked=True, compact=True, memo=self._memo, staged=staged)

    # -- writing ------------------------------------------------------------------------------
    def append(self, docs: Sequence[Doc | Encoded], keep_last: int | None = None,
               writer: WriterBatch | None = None) -> list[int]:
        """Store `docs`, all or none of them; return their new IDs.

        `keep_last` trims the store to that many newest documents. `writer` marks them as a
        writer session's numbered batch (see `stored_seq`).
        """
        if not docs:
            return []
        with file_lock(self.lock_path):
            for leftover in self.dir.glob(".*.tmp"):  # staged by a writer killed before it renamed
                leftover.unlink(missing_ok=True)
            first = self.next_id()
            ids = list(range(first, first + len(docs)))
            state: dict[str, Any] = {"next_id": ids[-1] + 1}
            marks: Sequence[list[Any] | None] = [None] * len(docs)
            if writer is not None:
                session, seqs, before = writer
                marks = [[session, n] for n in seqs]
                if len(marks) != len(docs):
                    raise ValueError(f"{len(docs)} documents but {len(marks)} sequence numbers")
                writers = {k: v for k, v in (self._state().get("writers") or {}).items() if k != session}
                writers[session] = [before, first - 1]
                state["writers"] = dict(list(writers.items())[-_KEEP_WRITERS:])
            staged = StagedWrites()
            try:
                # The counter goes first: a crash between renames leaves a gap in the IDs,
                # never an ID given out twice (and a writer's mark, never a batch taken as stored).
                staged.stage(self.state_path, dumps(state))
                start = 0
                while start < len(docs):
                    seg_first = (ids[start] - 1) // self.segment_size * self.segment_size + 1
                    stop = min(len(docs), start + seg_first + self.segment_size - ids[start])
                    path = self.segment_path(ids[start])
                    if self._joined is not None:
                        entries = self._entries(path)
                        entries.update((i, _entry(doc, mark)) for i, doc, mark
                                       in zip(ids[start:stop], docs[start:stop], marks[start:stop]))
                        self._write_joined(path, entries, staged)
                    else:
                        batch = [Document(_doc(doc, mark), doc_id=i) for i, doc, mark
                                 in zip(ids[start:stop], docs[start:stop], marks[start:stop])]
                        with self._open(path, staged) as db:
                            db.table(self.table).insert_multiple(batch)
                    start = stop
                staged.commit()
            except BaseException:
                staged.discard()
                raise
            if keep_last is not None:
                self._trim(ids[-1] - keep_last)
        return ids

    def _trim(self, last_dropped: int) -> None:
        """Remove every document with an ID up to `last_dropped` (lock held)."""
        if last_dropped < 1:
            return
        for path in self.segments():
            first = int(_SEGMENT.fullmatch(path.name).group(1))  # type: ignore[union-attr]
            if first > last_dropped:
                break
            if first + self.segment_size - 1 <= last_dropped:
                path.unlink()  # the whole segment is older than what we keep
                self._memo.pop(path, None)
                if self._joined is not None:
                    self._joined.pop(path, None)
                continue
            if self._joined is not None:
                entries = self._entries(path)
                self._write_joined(path, {i: e for i, e in entries.items() if i > last_dropped})
                continue
            with self._open(path) as db:
                table = db.table(self.table)
                table.remove(doc_ids=[d.doc_id for d in table.all() if d.doc_id <= last_dropped])

    def _entries(self, path: Path) -> dict[int, bytes]:
        """Each document's JSON in an append-only segment, by ID (a copy to change)."""
        assert self._joined is not None
        kept = self._joined.get(path)
        if kept is not None and kept[0] == file_signature(path):
            return dict(kept[1])
        return {int(k): dumps(v, compact=True) for k, v in self._read_segment(path).items()}

    def _write_joined(self, path: Path, entries: dict[int, bytes], staged: StagedWrites | None = None) -> None:
        """Write an append-only segment from its documents' JSON: the same file as TinyDB's."""
        assert self._joined is not None
        joined = self._joined
        data = b"".join((b'{"', self.table.encode(), b'":{',
                         b",".join(b'"%d":%b' % item for item in sorted(entries.items())), b"}}"))

        def remember() -> None:
            joined[path] = (file_signature(path), entries)

        if staged is None:
            atomic_write(path, data)
            remember()
        else:
            staged.stage(path, data)
            staged.after_commit(remember)

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
                with self._open(path) as db:
                    table = db.table(self.table)
                    present = [i for i in wanted if table.contains(doc_id=i)]
                    if present:
                        table.remove(doc_ids=present)
                        deleted.extend(present)
        return sorted(deleted)

    def delete_where(self, predicate: Callable[[Doc], bool]) -> list[int]:
        """Delete every document that satisfies `predicate`; return their IDs."""
        deleted: list[int] = []
        with file_lock(self.lock_path):
            for path in self.segments():
                with self._open(path) as db:
                    table = db.table(self.table)
                    gone = [d.doc_id for d in table.all() if predicate(d)]
                    if gone:
                        table.remove(doc_ids=gone)
                        deleted.extend(gone)
        return sorted(deleted)

    def stored_seq(self, session: str) -> int:
        """The highest sequence number writer `session` has stored here (0: none)."""
        mark = (self._state().get("writers") or {}).get(session)
        if not isinstance(mark, list) or len(mark) != 2:
            return 0
        before, bound = int(mark[0]), int(mark[1])
        # Only the session's last batch can be in doubt: it is whatever follows `bound`.
        best = before
        for _, doc in self.iter_docs(newest_first=False, after=bound):
            seq = doc.get(SEQ_KEY)
            if isinstance(seq, list) and len(seq) == 2 and seq[0] == session:
                best = max(best, int(seq[1]))
        return best

    # -- reading ------------------------------------------------------------------------------
    def get(self, doc_id: int) -> Doc | None:
        """One stored document, or None."""
        path = self.segment_path(doc_id)
        if not path.exists():
            return None
        doc = self._read_segment(path).get(str(doc_id))
        return doc if isinstance(doc, dict) else None

    def iter_docs(self, newest_first: bool = True, after: int = 0) -> Iterator[tuple[int, Doc]]:
        """(id, document) for every document (with an ID above `after`), a segment at a time."""
        segs = self.segments()
        if after:
            start = self.segment_path(after + 1)
            segs = [p for p in segs if p.name >= start.name]
        if newest_first:
            segs.reverse()
        for path in segs:
            try:
                table = snapshot(path).table(self.table)
                docs = table.all()
            except FileNotFoundError:
                continue  # trimmed away by a writer while we were reading
            yield from sorted(((d.doc_id, dict(d)) for d in docs if d.doc_id > after),
                              key=lambda p: p[0], reverse=newest_first)

    def count(self) -> int:
        return sum(len(self._read_segment(p)) for p in self.segments())
