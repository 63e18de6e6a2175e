"""The history store: IDs, segments, blobs, corrupt files, file modes, concurrent writers."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from postmock_core.exchange import INLINE_LIMIT, Exchange, HttpRequest, HttpResponse
from postmock_core.history.store import SEGMENT_SIZE, HistoryStore
from postmock_core.store.storage import CorruptStoreError
from postmock_core.store.workspace import Workspace


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _ex(path: str = "/a", body: bytes = b"", ctype: str = "application/json", ts: float = 1.0) -> Exchange:
    return Exchange(
        request=HttpRequest(method="GET", host="api.example.test", path=path),
        response=HttpResponse(status=200, headers=[("Content-Type", ctype)], body=body),
        timestamp=ts,
    )


def _doc(i: int) -> dict:
    return {"timestamp": float(i), "request": {"method": "GET", "host": "h", "path": f"/{i}"},
            "response": None}


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(Workspace.open(tmp_path / "home"))


def test_append_get_load(store: HistoryStore) -> None:
    ids = store.append([_ex("/a", b'{"x":1}'), _ex("/b")])
    assert ids == [1, 2]
    doc = store.get(1)
    assert doc is not None and doc["request"]["path"] == "/a"
    assert doc["response"]["body"] == {"text": '{"x":1}'}
    loaded = store.load(1)
    assert loaded is not None and loaded.id == 1 and loaded.response is not None
    assert loaded.response.body == b'{"x":1}'
    assert store.get(3) is None and store.load(999) is None
    assert store.count() == 2


def test_ids_keep_growing_across_deletes(store: HistoryStore) -> None:
    store.append_docs([_doc(i) for i in range(5)])
    assert store.delete([4, 5, 77]) == [4, 5]  # the two newest, and one that never existed
    assert store.append_docs([_doc(9)]) == [6]  # 4 and 5 are not handed out again
    assert store.delete_where(lambda d: True) == [1, 2, 3, 6]
    assert store.append_docs([_doc(10)]) == [7]


def test_ids_survive_a_lost_state_file(store: HistoryStore) -> None:
    store.append_docs([_doc(i) for i in range(3)])
    (store.dir / "state.json").unlink()
    assert store.append_docs([_doc(3)]) == [4]


def test_segments_hold_fixed_id_ranges(store: HistoryStore) -> None:
    n = 2 * SEGMENT_SIZE + 10
    store.append_docs([_doc(i) for i in range(n // 2)])
    store.append_docs([_doc(i) for i in range(n // 2, n)])
    names = [p.name for p in store.segments()]
    assert names == ["seg-0000000001.json", f"seg-{SEGMENT_SIZE + 1:010d}.json",
                     f"seg-{2 * SEGMENT_SIZE + 1:010d}.json"]
    assert store.segment_path(SEGMENT_SIZE).name == names[0]
    assert store.segment_path(SEGMENT_SIZE + 1).name == names[1]
    assert store.get(SEGMENT_SIZE + 1)["request"]["path"] == f"/{SEGMENT_SIZE}"  # type: ignore[index]
    newest = [i for i, _ in store.iter_docs()]
    assert newest[:3] == [n, n - 1, n - 2] and len(newest) == n
    assert [i for i, _ in store.iter_docs(newest_first=False)] == list(range(1, n + 1))


def test_large_and_binary_bodies(store: HistoryStore) -> None:
    big_text = b'{"pad":"' + b"x" * (INLINE_LIMIT + 100) + b'"}'
    big_binary = bytes(range(256)) * 64
    small_binary = b"\x89PNG\r\n\x1a\n\x00\x00"
    ids = store.append([_ex("/t", big_text), _ex("/b", big_binary, "application/octet-stream"),
                        _ex("/s", small_binary, "image/png"), _ex("/t2", big_text)])
    t, b, s, t2 = (store.get(i)["response"]["body"] for i in ids)  # type: ignore[index]
    assert t["kind"] == "text" and t["size"] == len(big_text)
    assert b["kind"] == "binary" and b["size"] == len(big_binary)
    assert s == {"base64": "iVBORw0KGgoAAA=="}
    assert t2["blob"] == t["blob"]  # stored once
    blob_file = store.blobs.root / t["blob"][:2] / t["blob"]
    assert blob_file.read_bytes() == big_text and _mode(blob_file) == 0o600
    for i, want in zip(ids, (big_text, big_binary, small_binary, big_text), strict=True):
        assert store.load(i).response.body == want  # type: ignore[union-attr]
    # The segment itself stays small: the big bodies are not inlined.
    assert store.segments()[0].stat().st_size < INLINE_LIMIT


def test_private_file_modes(store: HistoryStore) -> None:
    store.append([_ex(body=b"z" * (INLINE_LIMIT + 1))])
    home = store.workspace.root
    for folder in (home, store.dir, store.blobs.root):
        assert _mode(folder) == 0o700
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"seg-0000000001.json", "state.json", "store.lock"}
    assert all(_mode(p) == 0o600 for p in files), [(p, oct(_mode(p))) for p in files]


def test_corrupt_segment_is_reported_and_left_alone(store: HistoryStore) -> None:
    store.append_docs([_doc(i) for i in range(3)])
    segment = store.segments()[0]
    segment.write_bytes(b'{"exchanges": {"1": ')
    for action in (lambda: store.append_docs([_doc(9)]), lambda: store.delete([1]),
                   lambda: list(store.iter_docs()), lambda: store.get(1),
                   lambda: store.delete_where(lambda d: True)):
        with pytest.raises(CorruptStoreError) as e:
            action()
        assert str(segment) in str(e.value)
        assert segment.read_bytes() == b'{"exchanges": {"1": '


def _append_many(home: str, worker: int, batches: int) -> None:
    store = HistoryStore(Workspace(Path(home)))
    for b in range(batches):
        store.append_docs([{"timestamp": 0.0, "worker": worker, "n": b * 7 + k,
                            "request": {"method": "GET", "host": "h", "path": "/"}}
                           for k in range(7)])


def test_concurrent_appends_from_two_processes_lose_nothing(store: HistoryStore) -> None:
    ctx = multiprocessing.get_context("fork")
    batches = 40  # 2 x 40 x 7 = 560 entries: crosses a segment boundary while both write
    procs = [ctx.Process(target=_append_many, args=(str(store.workspace.root), w, batches))
             for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    docs = list(store.iter_docs(newest_first=False))
    assert [i for i, _ in docs] == list(range(1, 2 * batches * 7 + 1))
    for w in range(2):
        assert sorted(d["n"] for _, d in docs if d["worker"] == w) == list(range(batches * 7))
    assert HistoryStore(store.workspace).append_docs([_doc(0)]) == [2 * batches * 7 + 1]
