"""Hot reload: a value derived from a file, rebuilt when the file changes on disk."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["WatchedFile", "file_signature", "note_replaced", "replacements"]

T = TypeVar("T")

_replaced = 0  # files this process replaced so far: any watched file may have changed


def note_replaced() -> None:
    """Tell every `WatchedFile` in this process to look again on its next `value()`."""
    global _replaced
    _replaced += 1


def replacements() -> int:
    """How many files this process replaced so far (see `note_replaced`)."""
    return _replaced


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is replaced or rewritten: inode, size, mtime; None if absent."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class WatchedFile(Generic[T]):
    """`value()` returns `build(path)`, recomputed only when the file's signature changes.

    Files are replaced atomically (a new inode each time), so a changed signature is a cheap,
    reliable sign of an edit by any process; one stat per call keeps edits visible at once.
    With `max_age`, the file is looked at again only once that many seconds have passed, or
    at once after this process replaced a file: on a busy server a stat per call is a large
    part of an answer, while an edit by another process is seen within `max_age`.
    """

    def __init__(self, path: Path, build: Callable[[Path], T], max_age: float = 0.0) -> None:
        self.path = path
        self.max_age = max_age
        self._build = build
        self._sig: tuple[int, int, int] | None | bool = False  # False: never built
        self._value: T | None = None
        self._fresh_until = 0.0
        self._replaced_seen = -1

    def value(self) -> T:
        if self.max_age:
            now = time.monotonic()
            if now < self._fresh_until and _replaced == self._replaced_seen:
                return self._value  # type: ignore[return-value]
            self._fresh_until, self._replaced_seen = now + self.max_age, _replaced
        sig = file_signature(self.path)
        if sig != self._sig:
            self._value = self._build(self.path)
            self._sig = sig
        return self._value  # type: ignore[return-value]

    def changed(self) -> bool:
        """Whether the file differs from what `value()` last built from."""
        return file_signature(self.path) != self._sig

    def stale(self) -> bool:
        """Like `changed()`, looking at the file no more often than `value()` does."""
        if self.max_age:
            now = time.monotonic()
            if now < self._fresh_until and _replaced == self._replaced_seen:
                return False
        return file_signature(self.path) != self._sig

    def prime(self, value: T, signature: tuple[int, int, int] | None) -> T | None:
        """Take `value`, built elsewhere from the file as it was at `signature`; return the old."""
        old, self._value, self._sig = self._value, value, signature
        self._fresh_until, self._replaced_seen = 0.0, -1
        return old
