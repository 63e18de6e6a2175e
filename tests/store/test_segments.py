"""SegmentedStore: the append-only segment files under history and every mock's call log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from postmock_core.store.segments import SEQ_KEY, Encoded, SegmentedStore
from postmock_core.store.storage import dumps

# Every behaviour holds for both ways of writing a segment (TinyDB, or joined JSON).
BOTH = pytest.mark.parametrize("append_only", [False, True], ids=["tinydb", "joined"])


@BOTH
def test_ids_name_their_segment_and_newest_come_first(tmp_path: Path, append_only: bool) -> None:
    store = SegmentedStore(tmp_path / "s", "t", segment_size=10, append_only=append_only)
    assert store.append([{"n": i} for i in range(25)]) == list(range(1, 26))
    names = [p.name for p in store.segments()]
    assert names == ["seg-0000000001.json", "seg-0000000011.json", "seg-0000000021.json"]
    assert [i for i, _ in store.iter_docs()][:3] == [25, 24, 23]
    assert [i for i, _ in store.iter_docs(newest_first=False, after=22)] == [23, 24, 25]
    assert store.get(17) == {"n": 16}


@BOTH
def test_documents_given_encoded_are_stored_as_the_same_documents(tmp_path: Path, append_only: bool) -> None:
    """A writer may hand documents already encoded; with or without a writer's numbers, each
    reads back as the document, and a joined segment is the same file either way."""
    docs = [{"n": 1, "text": "caf\u00e9"}, {}, {"a": [1, {"b": None}], "z": 2.5}]
    for writer in (None, ("session-1", [7, 8, 9], 6)):
        plain = SegmentedStore(tmp_path / f"plain{writer is None}", "t", append_only=append_only)
        encoded = SegmentedStore(tmp_path / f"encoded{writer is None}", "t", append_only=append_only)
        assert plain.append(docs, writer=writer) == encoded.append(
            [Encoded(dumps(d, compact=True)) for d in docs], writer=writer) == [1, 2, 3]
        expected = docs if writer is None else [{**d, SEQ_KEY: ["session-1", n]} for d, n in zip(docs, [7, 8, 9])]
        assert [encoded.get(i) for i in (1, 2, 3)] == expected
        assert [d for _, d in encoded.iter_docs(newest_first=False)] == expected
        assert plain.segments()[0].read_bytes() == encoded.segments()[0].read_bytes()
        if writer is not None:
            assert encoded.stored_seq("session-1") == 9
    with pytest.raises(ValueError, match="2 sequence numbers"):
        SegmentedStore(tmp_path / "short", "t", append_only=append_only).append(docs, writer=("s", [1, 2], 0))


@BOTH
def test_ids_are_never_reused_after_deleting_the_newest(tmp_path: Path, append_only: bool) -> None:
    store = SegmentedStore(tmp_path / "s", "t", segment_size=10, append_only=append_only)
    store.append([{"n": i} for i in range(5)])
    assert store.delete([4, 5, 99]) == [4, 5]
    assert store.append([{"n": "new"}]) == [6]


@BOTH
def test_keep_last_trims_to_exactly_the_cap(tmp_path: Path, append_only: bool) -> None:
    store = SegmentedStore(tmp_path / "s", "t", segment_size=10, append_only=append_only)
    for start in range(0, 60, 7):
        store.append([{"n": i} for i in range(start, start + 7)], keep_last=12)
    kept = [i for i, _ in store.iter_docs()]
    assert kept == list(range(63, 51, -1))
    assert len(store.segments()) == 2  # whole old segments are removed, not left empty


_FAILING_APPEND = """
import resource, signal, sys
from pathlib import Path
import pytest

from postmock_core.store.segments import SEQ_KEY, Encoded, SegmentedStore
from postmock_core.store.storage import dumps

# Every behaviour holds for both ways of writing a segment (TinyDB, or joined JSON).
BOTH = pytest.mark.parametrize("append_only", [False, True], ids=["tinydb", "joined"])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
store = SegmentedStore(Path(sys.argv[1]), "t", segment_size=10)
try:
    store.append([{"n": "small"}, {"n": "x" * 50_000}])
except OSError as e:
    print("failed:", e.errno)
"""


def test_an_append_that_fails_midway_writes_nothing_so_a_retry_duplicates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    store = SegmentedStore(folder, "t", segment_size=10)
    store.append([{"n": i} for i in range(9)])  # IDs 1-9; the next append spans two segments
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    # A real failure from the OS: the second segment's file exceeds the file-size limit.
    out = subprocess.run([sys.executable, "-c", _FAILING_APPEND, str(folder)],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("failed:")
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before  # nothing renamed into place, no temp files left behind

    assert store.append([{"n": "small"}, {"n": "x" * 50_000}]) == [10, 11]
    assert store.count() == 11
    for path in store.segments():
        json.loads(path.read_bytes())  # every segment whole


def test_joined_segments_read_alike_and_follow_changes_made_elsewhere(tmp_path: Path) -> None:
    """An append-only store writes what the TinyDB store writes (as data), and a change made by
    another writer (here a TinyDB delete) is read back before the next joined write."""
    joined = SegmentedStore(tmp_path / "a", "t", segment_size=10, append_only=True)
    plain = SegmentedStore(tmp_path / "b", "t", segment_size=10)
    docs = [{"n": i, "text": "caf\u00e9 \"q\"", "nested": {"b": [1, None], "a": True}} for i in range(23)]
    for store in (joined, plain):
        store.append(docs[:13], keep_last=20)
        store.append(docs[13:], keep_last=20)
    assert [p.name for p in joined.segments()] == [p.name for p in plain.segments()]
    for a, b in zip(joined.segments(), plain.segments(), strict=True):
        assert json.loads(a.read_bytes()) == json.loads(b.read_bytes())
    other = SegmentedStore(tmp_path / "a", "t", segment_size=10)  # another writer, TinyDB's way
    assert other.delete([21]) == [21]
    joined.append([{"n": "late"}], keep_last=20)
    assert [i for i, _ in joined.iter_docs()][:3] == [24, 23, 22]
    assert joined.get(21) is None and joined.get(24) == {"n": "late"}
    assert joined.count() == 19  # 20 kept, one of them deleted by the other writer
