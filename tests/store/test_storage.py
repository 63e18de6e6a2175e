"""The storage layer: atomic private files, corrupt files never overwritten, locked transactions."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path

import pytest

from postmock_core.errors import PostmockError
from postmock_core.store.storage import (
    CorruptStoreError,
    atomic_write,
    file_lock,
    read_json,
    snapshot,
    transaction,
    write_json,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_is_private_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "file.bin"
    atomic_write(path, b"one")
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two"
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["file.bin"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    write_json(path, {"a": 1})
    with pytest.raises(TypeError):
        write_json(path, {"a": object()})
    assert read_json(path) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_json_is_deterministic(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    write_json(path, {"b": 1, "a": {"d": 2, "c": "é"}})
    assert path.read_text(encoding="utf-8") == '{\n "a": {\n  "c": "é",\n  "d": 2\n },\n "b": 1\n}'
    write_json(path, {"b": 1, "a": [1, 2]}, compact=True)
    assert path.read_text() == '{"a":[1,2],"b":1}'


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "the file is empty"),
    (b"  \n", "the file is empty"),
    (b'{"a": ', "not valid JSON"),
    (b"\xff\xfe{}", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_read_json_corrupt(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CorruptStoreError) as e:
        read_json(path)
    assert str(path) in str(e.value) and reason in str(e.value) and "\n" not in str(e.value)
    assert isinstance(e.value, PostmockError)


def test_read_json_missing_is_none(tmp_path: Path) -> None:
    assert read_json(tmp_path / "nope.json") is None


def test_transaction_writes_once_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    with transaction(path) as db:
        db.table("t").insert({"n": 1})
        assert not path.exists()  # nothing written until the block ends
        db.table("t").insert({"n": 2})
    assert [d["n"] for d in snapshot(path).table("t").all()] == [1, 2]
    assert _mode(path) == 0o600


def test_transaction_discards_changes_on_error(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    with transaction(path) as db:
        db.table("t").insert({"n": 1})
    before = path.read_bytes()
    with pytest.raises(RuntimeError), transaction(path) as db:
        db.table("t").insert({"n": 2})
        raise RuntimeError("boom")
    assert path.read_bytes() == before


def test_corrupt_store_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    path.write_bytes(b'{"t": {"1": {"n": 1}')
    with pytest.raises(CorruptStoreError, match="left untouched"), transaction(path) as db:
        db.table("t").insert({"n": 2})
    assert path.read_bytes() == b'{"t": {"1": {"n": 1}'
    path.write_bytes(b"[1, 2]")
    with pytest.raises(CorruptStoreError, match="not a JSON object"):
        snapshot(path).table("t").all()


def test_memo_rereads_a_file_changed_by_someone_else(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    memo: dict = {}
    with transaction(path, memo=memo) as db:
        db.table("t").insert({"n": 1})
    write_json(path, {"t": {"1": {"n": 1}, "2": {"n": 99}}})  # another process
    with transaction(path, memo=memo) as db:
        assert sorted(d["n"] for d in db.table("t").all()) == [1, 99]
        db.table("t").insert({"n": 3})
    with transaction(path, memo=memo) as db:
        assert sorted(d["n"] for d in db.table("t").all()) == [1, 3, 99]


def _increment(path: str, times: int) -> None:
    for _ in range(times):
        with transaction(Path(path)) as db:
            table = db.table("counter")
            row = table.get(doc_id=1)
            if row is None:
                table.insert({"n": 1})
            else:
                table.update({"n": row["n"] + 1}, doc_ids=[1])


def test_transactions_from_two_processes_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "counter.json"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_increment, args=(str(path), 100)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert json.loads(path.read_text())["counter"]["1"]["n"] == 200


def _hold(path: str, started: multiprocessing.synchronize.Event, release: multiprocessing.synchronize.Event,
          ) -> None:
    with file_lock(Path(path)):
        started.set()
        release.wait(30)


def test_file_lock_excludes_other_processes(tmp_path: Path) -> None:
    import fcntl
    import os

    path = tmp_path / "store"
    ctx = multiprocessing.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(path), started, release))
    holder.start()
    try:
        assert started.wait(30)
        fd = os.open(tmp_path / "store.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    finally:
        release.set()
        holder.join(30)
    assert _mode(tmp_path / "store.lock") == 0o600
    with file_lock(path):  # free again
        pass
