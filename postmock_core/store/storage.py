"""TinyDB storage that never half-writes a file, and a cross-process lock around changes.

Layered like TinyDB itself: `AtomicJSONStorage` is the storage (read, write, close);
TinyDB's `CachingMiddleware` over it turns a `transaction()` into one read and one write;
repositories (history, collections, ...) add the domain verbs on top.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware, Middleware
from tinydb.storages import Storage

from postmock_core.errors import PostmockError
from postmock_core.store.watch import file_signature, note_replaced
from postmock_core.store.workspace import FILE_MODE, make_private_dir

__all__ = [
    "AtomicJSONStorage",
    "CorruptStoreError",
    "StagedWrites",
    "StatCacheMiddleware",
    "UnreadableFile",
    "atomic_write",
    "file_lock",
    "read_each",
    "read_json",
    "remove_file",
    "snapshot",
    "transaction",
    "write_json",
]

T = TypeVar("T")


class CorruptStoreError(PostmockError):
    """A store file exists but cannot be read; it is never overwritten."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"store file {path} is corrupt ({reason}); it was left untouched: "
            f"restore it from a backup or move it aside"
        )
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class UnreadableFile:
    """A store file a listing skipped, and why: one bad file never hides the others."""

    path: Path
    reason: str


def read_each(paths: Iterable[Path], read: Callable[[Path], T]) -> tuple[list[tuple[Path, T]], list[UnreadableFile]]:
    """Read every file with `read`; those that fail are returned apart instead of raising."""
    good: list[tuple[Path, T]] = []
    bad: list[UnreadableFile] = []
    for path in paths:
        try:
            good.append((path, read(path)))
        except CorruptStoreError as e:
            bad.append(UnreadableFile(path, e.reason))
        except PostmockError as e:
            bad.append(UnreadableFile(path, str(e)))
    return good, bad


def _write_temp(path: Path, data: bytes) -> str:
    """Write `data` to a private temp file beside `path`, flushed to disk; return its name."""
    make_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), FILE_MODE)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        dir_fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once: a reader sees the old file or the new, never half."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    note_replaced()
    _fsync_dir(path.parent)


def remove_file(path: Path) -> None:
    """Delete `path`; a `WatchedFile` of this process sees it gone on its next look."""
    os.unlink(path)
    note_replaced()
    _fsync_dir(path.parent)


class StagedWrites:
    """Several file replacements that happen all together or not at all.

    Every file is first written in full to a temp file; only when all of them are on disk are
    they renamed into place, in the order staged. A failure while staging (a full disk, say)
    leaves every file as it was, so a caller can retry without duplicating anything.
    """

    def __init__(self) -> None:
        self._files: list[tuple[str, Path]] = []
        self._after: list[Callable[[], None]] = []

    def stage(self, path: Path, data: bytes) -> None:
        self._files.append((_write_temp(path, data), path))

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after.append(callback)

    def commit(self) -> None:
        for tmp, path in self._files:
            os.replace(tmp, path)
        if self._files:
            note_replaced()
        for parent in {path.parent for _, path in self._files}:
            _fsync_dir(parent)
        self._files.clear()
        for callback in self._after:
            callback()

    def discard(self) -> None:
        for tmp, _ in self._files:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._files.clear()


def dumps(data: Any, compact: bool = False) -> bytes:
    """Deterministic JSON: sorted keys, UTF-8; indented unless `compact`.

    Compact output uses the C encoder (indenting falls back to pure Python), which matters
    for large, often rewritten files such as history segments.
    """
    try:
        if compact:
            return _COMPACT.encode(data).encode("utf-8")
        return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")
    except UnicodeEncodeError:
        # Bytes that are not UTF-8 (a header sent as Latin-1, say) reach us as lone surrogates
        # (surrogateescape) and cannot be written as UTF-8: as JSON escapes they can, and they
        # read back as the same strings.
        if compact:
            return _COMPACT_ASCII.encode(data).encode("ascii")
        return json.dumps(data, sort_keys=True, ensure_ascii=True, indent=1).encode("ascii")


# Made once: `json.dumps` with options makes a new encoder for every call.
_COMPACT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_COMPACT_ASCII = json.JSONEncoder(sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def read_json(path: Path, loads: Callable[[bytes], Any] = json.loads) -> Any | None:
    """Parse a JSON file; None when it does not exist; `CorruptStoreError` when unreadable.

    `loads` parses the bytes (e.g. `jsonsteps.loads_in_steps` for a large file read while
    other threads serve)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise PostmockError(f"cannot read {path}: {e.strerror}") from e
    if not raw.strip():
        raise CorruptStoreError(path, "the file is empty")
    try:
        return loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorruptStoreError(path, f"not valid JSON: {e}") from e
    except RecursionError:
        raise CorruptStoreError(path, "its JSON is nested too deeply to read") from None


def write_json(path: Path, data: Any, compact: bool = False) -> None:
    """Write `data` as deterministic JSON, atomically and privately."""
    atomic_write(path, dumps(data, compact))


class AtomicJSONStorage(Storage):
    """TinyDB storage over one JSON file, replaced atomically on every write."""

    def __init__(self, path: str | os.PathLike[str], compact: bool = False,
                 staged: StagedWrites | None = None, **_: Any) -> None:
        self.path = Path(path)
        self.compact = compact
        self.staged = staged

    def read(self) -> dict[str, dict[str, Any]] | None:
        data = read_json(self.path)
        if data is not None and not isinstance(data, dict):
            raise CorruptStoreError(self.path, "the top level is not a JSON object")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self.staged is not None:
            self.staged.stage(self.path, dumps(data, self.compact))
        else:
            write_json(self.path, data, self.compact)

    def close(self) -> None:
        pass


class StatCacheMiddleware(Middleware):
    """Skip re-reading a file this process wrote last, while it is unchanged on disk.

    `memo` maps a path to (file signature, data) and outlives the TinyDB instance. A read
    takes the entry out (TinyDB mutates what it reads), a write puts the new one back; a
    file changed by another process has another signature and is read afresh.
    """

    def __init__(self, storage_cls: Any, memo: dict[Path, tuple[Any, Any]]) -> None:
        super().__init__(storage_cls)
        self.memo = memo

    def read(self) -> Any:
        path = cast(AtomicJSONStorage, self.storage).path
        hit = self.memo.pop(path, None)
        if hit is not None and hit[0] == file_signature(path):
            return hit[1]
        return self.storage.read()

    def write(self, data: Any) -> None:
        storage = cast(AtomicJSONStorage, self.storage)
        storage.write(data)
        path = storage.path

        def remember() -> None:
            self.memo[path] = (file_signature(path), data)

        staged = getattr(storage, "staged", None)
        if staged is not None:
            staged.after_commit(remember)  # the file on disk changes only at commit
        else:
            remember()

    def close(self) -> None:
        self.storage.close()


@contextlib.contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """Hold an advisory lock on `path`.lock across processes (fcntl.flock)."""
    lock_path = path.with_name(path.name + ".lock")
    make_private_dir(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def transaction(path: Path, *, locked: bool = False, compact: bool = False,
                memo: dict[Path, tuple[Any, Any]] | None = None,
                staged: StagedWrites | None = None) -> Iterator[TinyDB]:
    """Open the TinyDB at `path` for a read-modify-write under an exclusive lock.

    All changes are written once, atomically, when the block ends without an exception;
    an exception discards them. `locked=True` says the caller already holds the lock of the
    store this file belongs to. `memo` lets a frequent writer skip re-reading its own write.
    `staged` defers the write to `staged.commit()`, to change several files all together.
    """
    storage: Any = AtomicJSONStorage if memo is None else StatCacheMiddleware(AtomicJSONStorage, memo)
    with contextlib.nullcontext() if locked else file_lock(path):
        db = TinyDB(path, storage=CachingMiddleware(storage), compact=compact, staged=staged)
        yield db
        db.close()  # CachingMiddleware flushes only when something was written


def snapshot(path: Path) -> TinyDB:
    """Open the TinyDB at `path` read-only, without a lock: writes are atomic renames."""
    return TinyDB(path, storage=CachingMiddleware(AtomicJSONStorage))
