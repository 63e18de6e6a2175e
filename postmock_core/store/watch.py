"""Hot reload: a value derived from a file, rebuilt when the file changes on disk."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["WatchedFile", "file_signature"]

T = TypeVar("T")


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
    """

    def __init__(self, path: Path, build: Callable[[Path], T]) -> None:
        self.path = path
        self._build = build
        self._sig: tuple[int, int, int] | None | bool = False  # False: never built
        self._value: T | None = None

    def value(self) -> T:
        sig = file_signature(self.path)
        if sig != self._sig:
            self._value = self._build(self.path)
            self._sig = sig
        return self._value  # type: ignore[return-value]

    def changed(self) -> bool:
        """Whether the file differs from what `value()` last built from."""
        return file_signature(self.path) != self._sig
