"""Nearest misses: when nothing answers, which examples came closest and why each lost."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from postmock_core.matching.index import Entry
from postmock_core.matching.pathscore import (
    ID,
    WILDCARD,
    RequestPath,
    describe_miss,
    has_digit,
    typo_close,
)

__all__ = ["Miss", "NearMisses", "nearest", "similarity"]

_CACHE = 1024  # request paths whose nearest examples are remembered (misses repeat)


@dataclass(slots=True)
class Miss:
    """An example that did not answer: why, and its score when its path did match."""

    entry: Entry
    why: str | None  # None: a path miss, described only if it is among the nearest
    score: float | None = None


def similarity(e: Entry, r: RequestPath) -> float:
    """How alike an example path and a request path look, from 0 to 1."""
    p = e.pat
    n = max(len(p.segs), len(r.segs)) or 1
    same = 0.0
    for i in range(min(len(p.segs), len(r.segs))):
        if p.kinds[i] == WILDCARD or p.lower[i] == r.lower[i]:
            same += 1
        elif p.kinds[i] == ID and r.ids[i]:
            same += 0.9
        elif typo_close(p.lower[i], r.lower[i]):
            same += 0.5
        elif len(p.segs) != len(r.segs):
            break
    return same / n * (1.0 if len(p.segs) == len(r.segs) else 0.8)


def nearest(misses: Iterable[Miss], r: RequestPath, limit: int = 3) -> list[dict[str, object]]:
    """The `limit` closest misses, short: name, ID, method, URL, score, why it lost.

    Examples whose path matched (dropped later by method, status, headers or body) come first.
    """
    ranked: list[tuple[tuple[float, float], tuple[bool, str, int], Miss]] = []
    seen: set[str] = set()
    for m in misses:
        if m.entry.ex.id in seen:
            continue
        seen.add(m.entry.ex.id)
        rank = (1.0, m.score) if m.score is not None else (0.0, similarity(m.entry, r))
        ranked.append(((-rank[0], -rank[1]), m.entry.tie, m))
    ranked.sort(key=lambda t: (t[0], t[1]))
    out: list[dict[str, object]] = []
    for _, _, m in ranked[:limit]:
        ex = m.entry.ex
        why = m.why if m.why is not None else "path: " + describe_miss(m.entry.pat, r)
        out.append({"id": ex.id, "name": ex.name, "method": ex.method,
                    "url": ex.url or ex.display_path, "score": m.score, "why": why})
    return out


class _Shapes:
    """The examples grouped by path shape (length, literals, wildcards; any ID text), and the
    shapes by what they hold at each position: what `similarity` needs, looked up.

    Every member of a shape scores the same for a request, but those whose own ID text is the
    request's segment (or, without digits, a typo of it): those are found by their text.
    """

    def __init__(self, entries: Sequence[Entry]) -> None:
        found: dict[tuple[object, ...], int] = {}
        self.members: list[list[Entry]] = []  # per shape, in tie order
        self.length: list[int] = []
        self.of: dict[int, int] = {}  # the shape of each entry, by the entry's id()
        # At position i: shapes with this literal there; with a wildcard; with an ID.
        self.literal: dict[tuple[int, str], list[int]] = {}
        self.words: dict[tuple[int, str], list[str]] = {}  # literals by position and first letter
        self.wild: dict[int, list[int]] = {}
        self.ids: dict[int, list[int]] = {}
        self.id_text: dict[tuple[int, str], list[Entry]] = {}
        self.wordy_ids: dict[int, list[str]] = {}  # ID texts without a digit (`typo_close` may take them)
        for e in entries:
            kinds, lower = e.pat.kinds, e.pat.lower
            key = tuple([None if k == ID else (k,) if k == WILDCARD else lower[i] for i, k in enumerate(kinds)])
            s = found.get(key)
            if s is None:
                s = found[key] = len(self.members)
                self.members.append([])
                self.length.append(len(kinds))
                for i, k in enumerate(kinds):
                    if k == WILDCARD:
                        self.wild.setdefault(i, []).append(s)
                    elif k == ID:
                        self.ids.setdefault(i, []).append(s)
                    else:
                        if (i, lower[i]) not in self.literal:
                            self.words.setdefault((i, lower[i][:1]), []).append(lower[i])
                        self.literal.setdefault((i, lower[i]), []).append(s)
            self.members[s].append(e)
            self.of[id(e)] = s
            for i, k in enumerate(kinds):
                if k == ID:
                    texts = self.id_text.setdefault((i, lower[i]), [])
                    if not texts and not has_digit(lower[i]):
                        self.wordy_ids.setdefault(i, []).append(lower[i])
                    texts.append(e)

    def scores(self, r: RequestPath) -> tuple[dict[int, float], list[Entry]]:
        """(similarity by shape, for the shapes above 0, of members not special; the special
        members, whose similarity is their own)."""
        lr = len(r.segs)
        total: dict[int, float] = {}
        streak: dict[int, int] = {}  # a shape of another length counts until its first 0
        special: list[Entry] = []
        for i in range(lr):
            seg, is_id = r.lower[i], r.ids[i]
            at: list[tuple[list[int], float]] = [(self.wild.get(i, []), 1.0),
                                                 (self.literal.get((i, seg), []), 1.0)]
            if is_id:
                at.append((self.ids.get(i, []), 0.9))
            for word in self.words.get((i, seg[:1]), ()):
                if typo_close(word, seg):
                    at.append((self.literal[(i, word)], 0.5))
            for shapes, c in at:
                for s in shapes:
                    if self.length[s] == lr:
                        total[s] = total.get(s, 0.0) + c
                    elif streak.get(s, 0) == i:
                        streak[s] = i + 1
                        total[s] = total.get(s, 0.0) + c
            special += self.id_text.get((i, seg), ())
            if not is_id:
                for text in self.wordy_ids.get(i, ()):
                    if typo_close(text, seg):
                        special += self.id_text[(i, text)]
        return ({s: same / max(self.length[s], lr) * (1.0 if self.length[s] == lr else 0.8)
                 for s, same in total.items() if same}, special)


class NearMisses:
    """The examples most like a request path, by `similarity`, whatever the lookup saw.

    A live miss (through the index) and `mock explain` (every example scanned) both rank these
    beside their own misses, so a 404's `postmock.nearest` names what explain names. The
    ranking is remembered per path: a client retrying an unknown path costs one scan.

    The scan goes through the path shapes holding each of the request's segments (see
    `_Shapes`, made on the first miss), not through every example. At 100k examples a new
    unknown path costs about a millisecond when they have a few shapes (`/users/{id}`), and
    19 to 25 ms when they have 32,000 that share a prefix; a scan of every example took 0.2 s, with
    every other call waiting.
    """

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = entries
        self._cache: dict[tuple[str, tuple[str, ...], bool], list[Miss]] = {}
        self._shapes: _Shapes | None = None

    def shapes(self) -> _Shapes:
        """The entries by path shape, made on first use."""
        shapes = self._shapes
        if shapes is None:
            shapes = self._shapes = _Shapes(self.entries)  # assigned whole: threads see all or none
        return shapes

    def similar(self, method: str, r: RequestPath, limit: int = 3) -> list[Miss]:
        key = (method, r.lower, r.ts)
        found = self._cache.get(key)
        if found is None:
            best = heapq.nsmallest(limit, self._ranked(r, limit), key=lambda t: (-t[0], t[1].tie))
            found = [Miss(e, None if e.ex.method == method else f"method: example is {e.ex.method}")
                     for _, e in best]
            if len(self._cache) >= _CACHE:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _ranked(self, r: RequestPath, limit: int) -> list[tuple[float, Entry]]:
        """(similarity, entry) for every entry that can be among the `limit` most similar: every
        special member; of the `limit` best shapes above 0, the first `limit` members that score
        as their shape does; and, when fewer than `limit` of these score above 0, the first
        entries of those at 0."""
        shapes = self.shapes()
        by_shape, special = shapes.scores(r)
        out = [(similarity(e, r), e) for e in dict.fromkeys(special)]
        skip = {id(e) for e in special}
        members = shapes.members
        # An entry among the best `limit` is among the first `limit` of its shape that score as
        # the shape does, and its shape among the `limit` shapes whose such first members rank
        # best. Shapes are numbered in the order of their first members: that number ranks
        # them, but for the few whose first member is special (ranked by the next one).
        touched = {shapes.of[id(e)] for e in special} & by_shape.keys()
        heads: list[tuple[float, Entry, int]] = []
        for s in touched:
            head = next((e for e in members[s] if id(e) not in skip), None)
            if head is not None:
                heads.append((by_shape[s], head, s))
        plain = heapq.nsmallest(limit + len(touched), by_shape.items(), key=lambda t: (-t[1], t[0]))
        heads += [(score, members[s][0], s) for s, score in plain if s not in touched]
        top = [(s, score) for score, _, s in heapq.nsmallest(limit, heads, key=lambda t: (-t[0], t[1].tie))]
        for s, score in top:
            taken = 0
            for e in members[s]:
                if taken == limit:
                    break
                if id(e) not in skip:
                    taken += 1
                    out.append((score, e))
        if sum(1 for score, _ in out if score > 0) < limit:
            zero = 0
            for e in self.entries:
                if zero == limit:
                    break
                if shapes.of[id(e)] not in by_shape and id(e) not in skip:
                    zero += 1
                    out.append((0.0, e))
        return out
