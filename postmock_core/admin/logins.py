"""One-time dashboard login links, and the sessions they open.

A login token is issued by whoever may write the workspace (`postmock serve` at start,
`postmock ui` later) and kept, hashed, in `admin-logins.json`; the admin server redeems it
once and answers with a session cookie. Sessions live only in the admin server's memory, so a
restart logs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from postmock_core.store.storage import file_lock, read_json, write_json
from postmock_core.store.workspace import Workspace

__all__ = ["LOGIN_TTL", "STARTUP_LOGIN_TTL", "LoginTokens", "Sessions"]

STARTUP_LOGIN_TTL = 12 * 3600  # the link printed at start: the user may open it much later
LOGIN_TTL = 300  # a link `postmock ui` opens at once
SESSION_TTL = 12 * 3600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class LoginTokens:
    """Issue and redeem one-time login tokens kept in the workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.path = ws.file("admin-logins.json")

    def _live(self, data: object, now: float) -> dict[str, float]:
        tokens = data.get("tokens") if isinstance(data, dict) else None
        return {str(k): float(v) for k, v in (tokens or {}).items() if float(v) > now}

    def issue(self, ttl: float = LOGIN_TTL) -> str:
        """A new token, valid once, for `ttl` seconds."""
        token = secrets.token_urlsafe(24)
        with file_lock(self.path):
            now = time.time()
            tokens = self._live(read_json(self.path), now)
            tokens[_hash(token)] = now + ttl
            write_json(self.path, {"tokens": tokens})
        return token

    def redeem(self, token: str) -> bool:
        """Whether `token` was valid; it never is again."""
        if not token:
            return False
        digest = _hash(token)
        with file_lock(self.path):
            now = time.time()
            tokens = self._live(read_json(self.path), now)
            found = any(hmac.compare_digest(digest, k) for k in tokens)
            tokens.pop(digest, None)
            write_json(self.path, {"tokens": tokens})
        return found


class Sessions:
    """Dashboard sessions of one admin server, by the hash of their cookie value."""

    def __init__(self) -> None:
        self._expires: dict[str, float] = {}

    def open(self) -> str:
        value = secrets.token_urlsafe(32)
        now = time.time()
        self._expires = {k: v for k, v in self._expires.items() if v > now}
        self._expires[_hash(value)] = now + SESSION_TTL
        return value

    def valid(self, value: str | None) -> bool:
        if not value:
            return False
        expires = self._expires.get(_hash(value))
        return expires is not None and expires > time.time()

    def close(self, value: str | None) -> None:
        if value:
            self._expires.pop(_hash(value), None)
