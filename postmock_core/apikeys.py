"""API keys for private mocks: shown once at creation, stored only as SHA-256 hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postmock_core.errors import PostmockError
from postmock_core.storage import read_json, transaction
from postmock_core.watch import WatchedFile
from postmock_core.workspace import Workspace

__all__ = ["ApiKey", "KeyStore", "hash_key"]

PREFIX = "PMAK-"
TABLE = "keys"


def hash_key(secret: str) -> str:
    # Keys are 192 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    hash: str
    hint: str  # the key's last four characters, to tell keys apart in listings
    created: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ApiKey:
        return cls(**{k: doc.get(k) for k in ("id", "name", "hash", "hint", "created", "revoked")})


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeyStore:
    """Create, list, revoke and verify keys kept in `keys.json`."""

    def __init__(self, ws: Workspace) -> None:
        self.path: Path = ws.file("keys.json")
        self._active = WatchedFile(self.path, self._load_active)

    def list(self) -> list[ApiKey]:
        data = read_json(self.path) or {}
        docs = (data.get(TABLE) or {}).values()
        return sorted((ApiKey.from_doc(d) for d in docs), key=lambda k: k.created)

    def create(self, name: str | None = None) -> tuple[ApiKey, str]:
        """A new key; the secret is returned once and never stored."""
        secret = PREFIX + secrets.token_urlsafe(24)
        key_id = "key-" + secrets.token_hex(4)
        key = ApiKey(id=key_id, name=name or key_id, hash=hash_key(secret), hint=secret[-4:],
                     created=_now())
        with transaction(self.path) as db:
            db.table(TABLE).insert(key.__dict__)
        return key, secret

    def revoke(self, ident: str) -> ApiKey:
        """Revoke a key by ID or name; it stops working at once in every running mock."""
        with transaction(self.path) as db:
            table = db.table(TABLE)
            docs = [d for d in table.all() if ident in (d.get("id"), d.get("name"))]
            if not docs:
                raise PostmockError(f"no API key {ident!r}; see: postmock key list")
            if len(docs) > 1:
                raise PostmockError(f"several keys are named {ident!r}; revoke by ID (postmock key list)")
            doc = docs[0]
            if doc.get("revoked") is None:
                table.update({"revoked": _now()}, doc_ids=[doc.doc_id])
                doc = {**doc, "revoked": _now()}
        return ApiKey.from_doc(doc)

    def _load_active(self, path: Path) -> list[bytes]:
        return [k.hash.encode() for k in self.list() if k.active]

    def verify(self, candidate: str | None) -> bool:
        """Whether `candidate` is an active key; compares every hash in constant time."""
        if not candidate:
            return False
        digest = hash_key(candidate).encode()
        ok = False
        for stored in self._active.value():
            ok |= hmac.compare_digest(digest, stored)
        return ok
