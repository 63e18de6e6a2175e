"""API keys for private mocks: shown once at creation, stored only as SHA-256 hashes."""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.store.names import check_name
from postmock_core.store.storage import read_json, transaction
from postmock_core.store.watch import WatchedFile
from postmock_core.store.workspace import Workspace

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
    # The mock IDs the key opens; empty: every private mock of the workspace.
    mocks: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.revoked is None

    def opens(self, mock_id: str | None) -> bool:
        return not self.mocks or mock_id in self.mocks

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ApiKey:
        revoked = doc.get("revoked")
        return cls(id=str(doc.get("id")), name=str(doc.get("name")), hash=str(doc.get("hash")),
                   hint=str(doc.get("hint")), created=str(doc.get("created")),
                   revoked=None if revoked is None else str(revoked),
                   mocks=tuple(doc.get("mocks") or ()))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeyStore:
    """Create, list, revoke and verify keys kept in `keys.json`."""

    def __init__(self, ws: Workspace, max_age: float = 0.0) -> None:
        """`max_age`: how stale `verify` may be about edits by another process (see WatchedFile)."""
        self.path: Path = ws.file("keys.json")
        self._active = WatchedFile(self.path, self._load_active, max_age)

    def list(self) -> list[ApiKey]:
        data = read_json(self.path) or {}
        docs = (data.get(TABLE) or {}).values()
        return sorted((ApiKey.from_doc(d) for d in docs), key=lambda k: k.created)

    def create(self, name: str | None = None, mocks: tuple[str, ...] = ()) -> tuple[ApiKey, str]:
        """A new key (for the given mock IDs only, if any); the secret is returned once, never stored."""
        if name is not None:
            name = check_name(name, "a key name", 80)
        secret = PREFIX + secrets.token_urlsafe(24)
        key_id = "key-" + secrets.token_hex(4)
        if name is not None and (not name.strip() or name.startswith(PREFIX)):
            raise PostmockError(f"a key name must be a non-empty label that does not start with {PREFIX}")
        key = ApiKey(id=key_id, name=name or key_id, hash=hash_key(secret), hint=secret[-4:],
                     created=_now(), mocks=tuple(mocks))
        with transaction(self.path) as db:
            table = db.table(TABLE)
            # Names are unique (any case), so `revoke NAME` always means one key.
            if any(str(d.get("name", "")).lower() == key.name.lower() for d in table.all()):
                raise PostmockError(f"a key named {key.name!r} already exists; choose another --name")
            table.insert({**key.__dict__, "mocks": list(key.mocks)})
        return key, secret

    def revoke(self, ident: str) -> ApiKey:
        """Revoke a key given as the key itself, its ID or its name; every running mock refuses
        it from the next call."""
        digest = hash_key(ident)
        with transaction(self.path) as db:
            table = db.table(TABLE)
            docs = [d for d in table.all() if hmac.compare_digest(str(d.get("hash", "")), digest)]
            docs = docs or [d for d in table.all() if ident == d.get("id")
                            or ident.lower() == str(d.get("name", "")).lower()]
            if not docs:
                shown = ident[:len(PREFIX) + 2] + "…" if ident.startswith(PREFIX) else ident
                raise NotFoundError(f"no API key {shown!r} (give the key, its ID or its name); "
                                    f"see: postmock key list")
            if len(docs) > 1:
                raise PostmockError(f"several keys are named {ident!r}; revoke by ID (postmock key list)")
            found = docs[0]
            if found.get("revoked") is not None:
                return ApiKey.from_doc(found)
            table.update({"revoked": _now()}, doc_ids=[found.doc_id])
        return ApiKey.from_doc({**found, "revoked": _now()})

    def _load_active(self, path: Path) -> builtins.list[tuple[bytes, ApiKey]]:
        return [(k.hash.encode(), k) for k in self.list() if k.active]

    def verify(self, candidate: str | None, mock_id: str | None = None) -> bool:
        """Whether `candidate` is an active key that opens `mock_id`; every hash is compared
        in constant time, whichever matches."""
        if not candidate:
            return False
        digest = hash_key(candidate).encode()
        ok = False
        for stored, key in self._active.value():
            ok |= hmac.compare_digest(digest, stored) and key.opens(mock_id)
        return ok
