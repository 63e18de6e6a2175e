"""Nearest misses: when nothing answers, which examples came closest and why each lost."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from postmock_core.matching.index import Entry
from postmock_core.matching.pathscore import ID, WILDCARD, RequestPath, describe_miss, typo_close

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


class NearMisses:
    """The examples most like a request path, by `similarity`, whatever the lookup saw.

    A live miss (through the index) and `mock explain` (every example scanned) both rank these
    beside their own misses, so a 404's `postmock.nearest` names what explain names. The
    ranking is remembered per path: a client retrying an unknown path costs one scan.
    """

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = entries
        self._cache: dict[tuple[str, tuple[str, ...], bool], list[Miss]] = {}

    def similar(self, method: str, r: RequestPath, limit: int = 3) -> list[Miss]:
        key = (method, r.lower, r.ts)
        found = self._cache.get(key)
        if found is None:
            best = heapq.nsmallest(limit, self.entries, key=lambda e: (-similarity(e, r), e.tie))
            found = [Miss(e, None if e.ex.method == method else f"method: example is {e.ex.method}")
                     for e in best]
            if len(self._cache) >= _CACHE:
                self._cache.clear()
            self._cache[key] = found
        return found
