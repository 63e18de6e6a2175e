"""Secrets in text that is not parsed: by pattern, so what cannot be read is still redacted.

Used for bodies that are not JSON, form or multipart (HTML, XML, plain text, broken JSON,
JSON nested too deep to read), for header values, and for every string inside parsed JSON.
It finds `key=value` (a URL's query or fragment, a cookie, a config line), `"key": "value"`
(JSON, also escaped inside a JSON string), `key: value` lines (YAML), `<key>value</key>` (XML)
and JWTs and `PMAK-` API keys, and replaces the values whose key the rules name.
"""

from __future__ import annotations

import re

from postmock_core.history.redaction.rules import PLACEHOLDER, Rules
from postmock_core.history.redaction.values import SecretValues

__all__ = ["JWT", "PMAK", "might_hold_secrets", "scrub_text"]

# Three base64url parts, the first an encoded JSON object: `{"` is always `eyJ`.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
# An API key in Postman's form, which postmock's own keys share: found wherever it stands
# (a key pasted into a path is still a key).
PMAK = re.compile(r"PMAK-[A-Za-z0-9_-]{16,}")

_KEY = r"[A-Za-z0-9_$.\[\]-]{1,100}"
# key=value: what comes before the key says whether it is a URL's query or fragment.
_PAIR = re.compile(r"(?P<pre>^|[?&#;,\s\"'(<>{}\[])(?P<key>" + _KEY + r")[ \t]*=[ \t]*"
                   r"(?:\"(?P<dq>[^\"\n]{0,4096})\"|'(?P<sq>[^'\n]{0,4096})'|(?P<bare>[^&#;,\s\"'<>)\]}]{1,4096}))")
# "key": "value", also with escaped quotes (JSON inside a JSON string) or a bare value.
_QUOTED = re.compile(r"(?P<q>\\*[\"'])(?P<key>[^\"'\\\n]{1,100})(?P=q)\s*:\s*"
                     r"(?:(?P<vq>\\*[\"'])(?P<val>[^\n]{0,4096}?)(?<!\\)(?P=vq)"
                     r"|(?P<bare>[^\s,}\]\"'\\{\[][^\s,}\]\"'\\]{0,4095}))")
# key: value on a line of its own (YAML, headers in a text body).
_LINE = re.compile(r"(?m)^(?P<pre>[ \t-]*)(?P<key>" + _KEY + r")[ \t]*:[ \t]+(?P<val>[^\n\r]{1,4096})$")
_XML = re.compile(r"<(?P<tag>[A-Za-z_][\w.:-]{0,100})(?:\s[^<>]{0,1000})?>(?P<val>[^<]{1,4096})</(?P=tag)\s*>")


def _replace(m: re.Match[str], group: str) -> str:
    whole = m.group(0)
    start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
    return whole[:start] + PLACEHOLDER + whole[end:]


class _Scrubber:
    """One pass of the patterns over one text, counting and collecting what it replaced."""

    def __init__(self, rules: Rules, found: SecretValues) -> None:
        self.rules = rules
        self.found = found
        self.hits = 0

    def _take(self, m: re.Match[str], group: str) -> str:
        value = m.group(group)
        if not value.strip() or value == PLACEHOLDER:
            return m.group(0)
        self.found.add(value)
        self.hits += 1
        return _replace(m, group)

    def pair(self, m: re.Match[str]) -> str:
        pre = m.group("pre")
        in_url = pre != "" and pre in "?&#"
        if not (self.rules.url_key if in_url else self.rules.key)(m.group("key")):
            return m.group(0)
        group = "dq" if m.group("dq") is not None else "sq" if m.group("sq") is not None else "bare"
        return self._take(m, group)

    def quoted(self, m: re.Match[str]) -> str:
        if not self.rules.key(m.group("key")):
            return m.group(0)
        return self._take(m, "val" if m.group("val") is not None else "bare")

    def line(self, m: re.Match[str]) -> str:
        return self._take(m, "val") if self.rules.key(m.group("key")) else m.group(0)

    def xml(self, m: re.Match[str]) -> str:
        return self._take(m, "val") if self.rules.key(m.group("tag").rsplit(":", 1)[-1]) else m.group(0)

    def jwt(self, m: re.Match[str]) -> str:
        self.found.add(m.group(0))
        self.hits += 1
        return PLACEHOLDER


def might_hold_secrets(text: str) -> bool:
    """Whether any pattern could match `text`; False for most header and query values, and paths."""
    return bool(text) and ("=" in text or ":" in text or "</" in text or "eyJ" in text or "PMAK-" in text)


def scrub_text(text: str, rules: Rules, found: SecretValues, places: list[str], where: str) -> str:
    """`text` with the values of secret keys, every JWT and every `PMAK-` key replaced; each
    value goes in `found`."""
    if not might_hold_secrets(text):
        return text  # the common case (a header value, a query value): nothing to look for
    s = _Scrubber(rules, found)
    if "=" in text:
        text = _PAIR.sub(s.pair, text)
    if ":" in text:
        if '"' in text or "'" in text:
            text = _QUOTED.sub(s.quoted, text)
        text = _LINE.sub(s.line, text)
    if "</" in text:
        text = _XML.sub(s.xml, text)
    if "eyJ" in text:
        text = JWT.sub(s.jwt, text)
    if "PMAK-" in text:
        text = PMAK.sub(s.jwt, text)
    if s.hits:
        places.append(where)
    return text
