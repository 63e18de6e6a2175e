"""Following a secret: once a value is known to be secret, it goes wherever it appears.

An echo API returns the request's credentials in its body; a redirect carries a token in its
`Location`; a login response sets the cookie its body also names. Every value redacted in one
place of an exchange is collected here and scrubbed from every other place, in the spellings it
takes there: as sent, percent-encoded, JSON-escaped and HTML-escaped.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus

from postmock_core.history.redaction.rules import MIN_SECRET, PLACEHOLDER

__all__ = ["SecretValues", "credentials_of"]

@lru_cache(maxsize=1024)  # the same credentials come back call after call
def _spellings(value: str, min_length: int) -> frozenset[str]:
    out = {value, quote(value, safe=""), quote_plus(value), quote(value, safe="/:@!$'()*,;="),
           html.escape(value), html.escape(value, quote=False)}
    for ascii_only in (True, False):
        out.add(json.dumps(value, ensure_ascii=ascii_only)[1:-1])
    return frozenset(s for s in out if len(s) >= min_length)


class SecretValues:
    """The secret values of one exchange, and a way to cut them out of any text.

    `mask` replaces them (the redaction placeholder unless told otherwise); values shorter than
    `min_length` are not hunted for.
    """

    def __init__(self, values: Iterable[str] = (), mask: str = PLACEHOLDER, min_length: int = MIN_SECRET) -> None:
        self.values: set[str] = set()
        self.mask = mask
        self.min_length = max(1, min_length)
        self._text: re.Pattern[str] | None = None
        self._bytes: re.Pattern[bytes] | None = None
        for v in values:
            self.add(v)

    def __getstate__(self) -> dict[str, object]:
        # Sent to the call log writer: the values, not the patterns compiled from them.
        return {"values": self.values, "mask": self.mask, "min_length": self.min_length}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["values"], state["mask"], state["min_length"])  # type: ignore[misc, arg-type]

    def __bool__(self) -> bool:
        return bool(self.values)

    def add(self, value: str) -> None:
        """Remember `value` (and what it contains) as secret, when it is long enough to hunt for."""
        value = value.strip()
        if len(value) < self.min_length or value in self.values:
            return
        # What is already redacted is no secret, but what sits beside it may be: "a [REDACTED] b".
        pieces = [p.strip() for p in value.split(PLACEHOLDER)] if PLACEHOLDER in value else [value]
        for piece in pieces:
            if len(piece) >= self.min_length:
                self.values.add(piece)
                self._text = self._bytes = None

    def update(self, values: SecretValues | Iterable[str]) -> None:
        for v in values.values if isinstance(values, SecretValues) else values:
            self.add(v)

    def _pattern(self) -> re.Pattern[str]:
        if self._text is None:
            spellings = {s for v in self.values for s in _spellings(v, self.min_length)}
            # Longest first, so `user:pass` goes whole before `pass` alone.
            alternatives = sorted(spellings, key=lambda s: (-len(s), s))
            self._text = re.compile("|".join(map(re.escape, alternatives)))
        return self._text

    def scrub(self, text: str) -> str:
        """`text` with every spelling of every secret value replaced by the placeholder."""
        if not self.values or not text:
            return text
        return self._pattern().sub(self.mask, text)

    def scrub_bytes(self, data: bytes) -> bytes:
        """The same for bytes that are not text (a file upload, say): the UTF-8 spellings."""
        if not self.values or not data:
            return data
        if self._bytes is None:
            spellings = {s.encode("utf-8") for v in self.values for s in _spellings(v, self.min_length)
                         if s.isascii() or not any("\ud800" <= c <= "\udfff" for c in s)}
            alternatives = sorted(spellings, key=lambda s: (-len(s), s))
            self._bytes = re.compile(b"|".join(map(re.escape, alternatives)))
        return self._bytes.sub(self.mask.encode("utf-8"), data)


def credentials_of(scheme_and_value: str) -> list[str]:
    """The secret parts of an Authorization value: the credentials, and for Basic both the
    base64 and the decoded `user:pass` and password."""
    scheme, sep, rest = scheme_and_value.strip().partition(" ")
    if not sep or not scheme.isalpha():
        return [scheme_and_value.strip()]
    rest = rest.strip()
    out = [rest]
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest + "=" * (-len(rest) % 4), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return out
        out.append(decoded)
        _, colon, password = decoded.partition(":")
        if colon:
            out.append(password)
    return out
