"""Path scoring, Postman style: the first rule that matches sets the penalty; none drops.

Rules in order (penalty from the starting score of 100):

    exact 0, trailing slash removed 5, case-insensitive 10, both 15,
    wildcard variables 20, alphanumeric IDs 21, trailing slash and IDs 25,
    document distance 30.

A wildcard is an example segment holding an unresolved `{{var}}` (or a `:name` without a
value); it matches one request segment and captures it. The wildcard rule compares the other
segments ignoring case and trailing slashes (its penalty is already larger than theirs). The ID
rules accept, at positions where both sides are IDs, any two IDs; ordinary words are never IDs.
Document distance forgives one typo in one literal segment and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

__all__ = [
    "ID",
    "LITERAL",
    "PENALTIES",
    "WILDCARD",
    "PathPattern",
    "RequestPath",
    "describe_miss",
    "is_id",
    "score_path",
    "split_path",
    "typo_close",
]

LITERAL, ID, WILDCARD = 0, 1, 2

PENALTIES: dict[str, int] = {
    "exact": 0,
    "trailing slash": 5,
    "case-insensitive": 10,
    "trailing slash + case": 15,
    "wildcard": 20,
    "ids": 21,
    "trailing slash + ids": 25,
    "document distance": 30,
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_NUMBERISH = re.compile(r"^[+-]?\d[\d._:,+-]*$")
_HEX = re.compile(r"^[0-9a-f]{8,}$", re.IGNORECASE)
_TOKEN = re.compile(r"^[A-Za-z0-9_.~-]+$")
_DIGIT = re.compile(r"\d")
_WILD_VAR = re.compile(r"\{\{([^{}]*?)\}\}")


def is_id(seg: str) -> bool:
    """Whether a path segment looks like a resource identifier rather than a word.

    Numbers (also dates and dotted versions), UUIDs, hex strings of 8+ characters with a digit,
    and tokens mixing letters with at least two digits (5+ characters, e.g. `user42`,
    `cus_9s6XKzk2`). `users`, `v1`, `oauth2` are not IDs.
    """
    if seg.isdigit():
        return True
    if seg.isalpha() or not seg:  # most segments are one or the other: no need to remember them
        return False
    return _mixed_is_id(seg)


@lru_cache(maxsize=16384)  # the same segments come back request after request
def _mixed_is_id(seg: str) -> bool:
    if _NUMBERISH.match(seg):
        return True
    if len(seg) == 36 and _UUID.match(seg):
        return True
    if not _TOKEN.match(seg):
        return False
    digits = len(_DIGIT.findall(seg))
    if digits and _HEX.match(seg):
        return True
    return len(seg) >= 5 and digits >= 2 and any(c.isalpha() for c in seg)


def split_path(path: str) -> tuple[tuple[str, ...], bool]:
    """Decoded segments of a path without its trailing slashes, and whether it had any."""
    parts = path.split("/")
    if parts and parts[0] == "":
        parts = parts[1:]
    ts = False
    while parts and parts[-1] == "":
        parts.pop()
        ts = True
    if not parts:
        ts = False  # "/" is the root, not a trailing slash
    return tuple(unquote(p) if "%" in p else p for p in parts), ts


def _lower(segs: tuple[str, ...]) -> tuple[str, ...]:
    """`segs` in lower case: the same tuple when it already is (no new strings for it)."""
    text = "\x00".join(segs)
    low = text.lower()
    return segs if low == text else tuple(map(str.lower, segs))


@lru_cache(maxsize=64)
def _no_wildcards(n: int) -> tuple[None, ...]:
    return (None,) * n


@dataclass(slots=True, eq=False)
class RequestPath:
    """An incoming request path, prepared once per request (not frozen: made on every call)."""

    segs: tuple[str, ...]
    lower: tuple[str, ...]
    ids: tuple[bool, ...]
    ts: bool

    @classmethod
    def parse(cls, path: str) -> RequestPath:
        segs, ts = split_path(path)
        return cls(segs, tuple(map(str.lower, segs)), tuple(map(is_id, segs)), ts)

    @property
    def text(self) -> str:
        return "/" + "/".join(self.segs) + ("/" if self.ts else "")


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A segment with unresolved variables: `{{id}}` (any segment) or `user-{{id}}`."""

    names: tuple[str, ...]
    regex: re.Pattern[str] | None  # None: the whole segment is one variable

    @classmethod
    def parse(cls, seg: str) -> Wildcard:
        names = tuple(_WILD_VAR.findall(seg))
        if _WILD_VAR.fullmatch(seg):
            return cls(names, None)
        pieces, pos = [], 0
        for m in _WILD_VAR.finditer(seg):
            pieces.append(re.escape(seg[pos:m.start()]) + "(.+?)")
            pos = m.end()
        pieces.append(re.escape(seg[pos:]))
        return cls(names, re.compile("".join(pieces), re.IGNORECASE | re.DOTALL))

    def capture(self, seg: str) -> dict[str, str] | None:
        if not seg:
            return None
        if self.regex is None:
            return {self.names[0]: seg}
        m = self.regex.fullmatch(seg)
        return dict(zip(self.names, m.groups(), strict=True)) if m else None


@dataclass(slots=True, unsafe_hash=True)
class PathPattern:
    """An example's path, prepared once when the index is built (not frozen, as `Example`)."""

    segs: tuple[str, ...]
    lower: tuple[str, ...]
    kinds: tuple[int, ...]
    wild: tuple[Wildcard | None, ...]
    ts: bool

    @classmethod
    def build(cls, segs: tuple[str, ...], ts: bool, wildcard_at: frozenset[int]) -> PathPattern:
        if not wildcard_at:
            return cls(segs, _lower(segs), tuple([ID if is_id(s) else LITERAL for s in segs]),
                       _no_wildcards(len(segs)), ts)
        kinds: list[int] = []
        wild: list[Wildcard | None] = []
        for i, s in enumerate(segs):
            if i in wildcard_at:
                kinds.append(WILDCARD)
                wild.append(Wildcard.parse(s))
            else:
                kinds.append(ID if is_id(s) else LITERAL)
                wild.append(None)
        return cls(segs, tuple(s.lower() for s in segs), tuple(kinds), tuple(wild), ts)

    @property
    def has_wildcards(self) -> bool:
        return WILDCARD in self.kinds

    @property
    def text(self) -> str:
        return "/" + "/".join(self.segs) + ("/" if self.ts else "")


def _osa(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions, giving up past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def has_digit(text: str) -> bool:
    """Whether `text` holds a digit: such a segment is never `typo_close` to another."""
    return _DIGIT.search(text) is not None


def typo_close(a: str, b: str) -> bool:
    """Whether two lower-case literal segments differ by a plausible typo only.

    Conservative on purpose: both words of 6+ letters, no digits, same first letter, and one
    edit (two for words of 12+), so `/borders` never answers for `/orders` nor `/v2` for `/v1`.
    """
    if a == b or a[:1] != b[:1] or max(len(a), len(b)) < 6 or abs(len(a) - len(b)) > 1:
        return False
    if has_digit(a) or has_digit(b):
        return False
    limit = 2 if min(len(a), len(b)) >= 12 else 1
    return _osa(a, b, limit) <= limit


def _positions(p: PathPattern, r: RequestPath, ids: bool, exact_case: bool,
               typos: int) -> dict[str, str] | None:
    """Captures when every position matches under the given allowances, else None."""
    caps: dict[str, str] = {}
    left = typos
    for i, kind in enumerate(p.kinds):
        if kind == WILDCARD:
            w = p.wild[i]
            got = w.capture(r.segs[i]) if w is not None else None
            if got is None:
                return None
            caps.update(got)
            continue
        same = p.segs[i] == r.segs[i] if exact_case else p.lower[i] == r.lower[i]
        if same or (ids and kind == ID and r.ids[i]):
            continue
        if left and kind == LITERAL and not r.ids[i] and typo_close(p.lower[i], r.lower[i]):
            left -= 1
        else:
            return None
    return caps


def score_path(p: PathPattern, r: RequestPath,
               distance: bool = False) -> tuple[str, dict[str, str]] | None:
    """The first path rule that matches (see `PENALTIES`) and the wildcard captures, or None.

    `distance=False` skips the document-distance rule, which the matcher only tries when no
    example matched by any other rule.
    """
    if len(p.segs) != len(r.segs):
        return None
    if p.segs == r.segs:
        return ("exact" if p.ts == r.ts else "trailing slash"), {}
    if p.lower == r.lower:
        return ("case-insensitive" if p.ts == r.ts else "trailing slash + case"), {}
    if p.has_wildcards:
        caps = _positions(p, r, ids=False, exact_case=False, typos=0)
        if caps is not None:
            return "wildcard", caps
    if p.ts == r.ts:
        caps = _positions(p, r, ids=True, exact_case=True, typos=0)
        if caps is not None:
            return "ids", caps
    caps = _positions(p, r, ids=True, exact_case=False, typos=0)
    if caps is not None:
        return "trailing slash + ids", caps
    if distance:
        caps = _positions(p, r, ids=True, exact_case=False, typos=1)
        if caps is not None:
            return "document distance", caps
    return None


def describe_miss(p: PathPattern, r: RequestPath) -> str:
    """Why no path rule matched, naming the first segment that differs."""
    if len(p.segs) != len(r.segs):
        return (f"path has {len(p.segs)} segment{'' if len(p.segs) == 1 else 's'}, "
                f"the request has {len(r.segs)}")
    for i, kind in enumerate(p.kinds):
        want, got = p.segs[i], r.segs[i]
        if kind == WILDCARD:
            w = p.wild[i]
            if w is None or w.capture(got) is None:
                return f"segment {i + 1}: {got!r} does not fit the wildcard {want!r}"
        elif p.lower[i] == r.lower[i]:
            continue
        elif kind == ID and not r.ids[i]:
            return f"segment {i + 1}: example has the ID {want!r}, {got!r} is not an ID"
        elif kind == ID:
            continue
        elif r.ids[i]:
            return f"segment {i + 1}: example has the word {want!r}, the request an ID {got!r}"
        elif typo_close(p.lower[i], r.lower[i]):
            continue
        else:
            return f"segment {i + 1}: {want!r} vs {got!r}"
    return "more than one segment differs by a typo"
