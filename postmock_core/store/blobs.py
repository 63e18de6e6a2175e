"""Content-addressed files for large bodies: stored once, named by their SHA-256."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from postmock_core.errors import PostmockError
from postmock_core.store.storage import atomic_write
from postmock_core.store.workspace import make_private_dir

__all__ = ["BlobStore"]

_DIGEST = re.compile(r"[0-9a-f]{64}")


class BlobStore:
    """Bodies kept out of line under `root/ab/abcdef...`, deduplicated by content."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        # A digest comes from store files a user may edit or import: never let it name a path.
        if not _DIGEST.fullmatch(digest):
            raise PostmockError(f"invalid blob reference {digest[:80]!r}: expected a SHA-256 hex digest")
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store `data` (if not already there) and return its digest."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            make_private_dir(path.parent)
            atomic_write(path, data)
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes stored under `digest`."""
        path = self._path(digest)
        try:
            return path.read_bytes()
        except FileNotFoundError as e:
            raise PostmockError(f"body file {path} is missing from the workspace") from e

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()
