"""Credential headers: what stays readable (the auth scheme, cookie names and attributes) and what goes.

Every part of a value is judged on its own: `prefs=[REDACTED]; auth=SECRET` loses `SECRET`,
and each cookie of a folded `Set-Cookie` (`a=1; Path=/, remember=SECRET`) loses its value.
"""

from __future__ import annotations

import re

from postmock_core.history.redaction.rules import PLACEHOLDER, normalize
from postmock_core.history.redaction.values import SecretValues, credentials_of

__all__ = ["redact_credential"]

# A comma that starts another cookie, not one inside an Expires date ("Wed, 21 Oct 2015").
_NEXT_COOKIE = re.compile(r",\s*(?=[^;,=\s]+=)")


def _cookie_pairs(value: str, found: SecretValues) -> str:
    parts = []
    for part in value.split(";"):
        name, sep, val = part.strip().partition("=")
        if sep:
            found.add(val)
            parts.append(f"{name}={PLACEHOLDER}")
        elif part.strip():  # a pair without "=" is a nameless cookie: the text is its value (RFC 6265bis)
            found.add(part)
            parts.append(PLACEHOLDER)
    return "; ".join(parts)


def _set_cookie(value: str, found: SecretValues) -> str:
    cookies = []
    for cookie in _NEXT_COOKIE.split(value):
        first, sep, attributes = cookie.partition(";")
        name, eq, val = first.strip().partition("=")
        found.add(val if eq else first)
        cookies.append((f"{name}={PLACEHOLDER}" if eq else PLACEHOLDER) + sep + attributes)
    return ", ".join(cookies)


def redact_credential(name: str, value: str, found: SecretValues) -> str:
    """The redacted value of credential header `name`; the secret parts go in `found`."""
    kind = normalize(name)
    if kind in ("authorization", "proxyauthorization"):
        for part in credentials_of(value):
            found.add(part)
        scheme, sep, _ = value.strip().partition(" ")
        return f"{scheme} {PLACEHOLDER}" if sep and scheme.isalpha() else PLACEHOLDER
    if kind == "cookie":
        return _cookie_pairs(value, found)
    if kind == "setcookie":
        return _set_cookie(value, found)
    found.add(value)
    return PLACEHOLDER
