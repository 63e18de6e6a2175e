"""Which names hold secrets: the built-in lists, and names compared the way people spell them.

A name is compared after `normalize`: lower case, separators gone, so `accessToken`,
`access-token`, `ACCESS_TOKEN` and `access_token` are one rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DEFAULT_HEADERS", "DEFAULT_KEYS", "DEFAULT_QUERY_KEYS", "MIN_SECRET", "PLACEHOLDER", "Rules",
           "normalize"]

PLACEHOLDER = "[REDACTED]"

# Values shorter than this are redacted where they stand but not hunted for elsewhere in the
# exchange: "dark" from `theme=dark` would otherwise be cut out of every body.
MIN_SECRET = 6

# Header names whose values are credentials.
DEFAULT_HEADERS: tuple[str, ...] = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-api-token",
    "api-token",
    "x-auth",
    "x-auth-token",
    "x-access-token",
    "x-refresh-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-session-token",
    "x-amz-security-token",
    "x-goog-api-key",
    "x-vault-token",
    "x-shopify-access-token",
    "private-token",
)

# Query, form, multipart and JSON keys whose values are credentials. Header names above count
# as keys too (an echo API returns the request's headers as a JSON object).
DEFAULT_KEYS: tuple[str, ...] = (
    "api_key",
    "apikey",
    "api_token",
    "key_secret",
    "access_key",
    "secret_key",
    "access_token",
    "refresh_token",
    "id_token",
    "auth_token",
    "session_token",
    "session_id",
    "csrf_token",
    "token",
    "jwt",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "client_assertion",
    "code_verifier",
    "private_key",
)

# Keys that are secrets in a URL's query or fragment only: too common as JSON fields.
DEFAULT_QUERY_KEYS: tuple[str, ...] = (
    "key",
    "sig",
    "signature",
    "code",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
)

_SEPARATORS = re.compile(r"[\W_]+")
_PATH = re.compile(r"[.\[\]]+")  # `user[password]`, `auth.token`: the last part names the value


@lru_cache(maxsize=4096)  # the same few names come back on every request
def normalize(name: str) -> str:
    """`X-Access_Token` -> `xaccesstoken`: lower case without separators."""
    return _SEPARATORS.sub("", name.lower())


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(n for n in (normalize(v.strip()) for v in values) if n)


@dataclass(frozen=True, slots=True)
class Rules:
    """Normalised names: credential headers, secret keys, and keys secret only in URLs."""

    headers: frozenset[str]
    keys: frozenset[str]
    url_keys: frozenset[str]

    @classmethod
    def build(cls, headers: Iterable[str] = DEFAULT_HEADERS, keys: Iterable[str] = DEFAULT_KEYS,
              query_keys: Iterable[str] = DEFAULT_QUERY_KEYS) -> Rules:
        h, k = _names(headers), _names(keys)
        return cls(h, h | k, h | k | _names(query_keys))

    def header(self, name: str) -> bool:
        """Whether a header of this name carries a credential."""
        return normalize(name) in self.headers

    def key(self, name: str) -> bool:
        """Whether a body field of this name (or `a.b[name]`) holds a secret."""
        return _named(name, self.keys)

    def url_key(self, name: str) -> bool:
        """Whether a query or fragment parameter of this name holds a secret."""
        return _named(name, self.url_keys)


def _named(name: str, names: frozenset[str]) -> bool:
    if normalize(name) in names:
        return True
    if "." in name or "[" in name:
        parts = [p for p in _PATH.split(name) if p]
        return bool(parts) and normalize(parts[-1]) in names
    return False
