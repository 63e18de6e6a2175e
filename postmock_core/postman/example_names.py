"""Example names a client can pick by (`x-mock-response-name`): meaningful and unique.

A name starts with the status (`200 OK`, `404 Not Found`) and adds only what tells an
example apart: its path (`200 OK /users/7`), its query (`200 OK ?q=shoes`), then the method
and host. A number (`200 OK (2)`) is the last resort, for repeated identical calls.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from postmock_core.exchange import Exchange
from postmock_core.postman.model import status_phrase

__all__ = ["NameFacts", "candidates", "facts_for_example", "facts_for_exchange", "name_for_new",
           "unique_names"]

Doc = dict[str, Any]


@dataclass
class NameFacts:
    """What an example's name may say: its status, and the call that tells it apart."""

    status: str
    method: str
    host: str
    path: str
    query: str
    group: int

    def names(self, distinguisher: str) -> list[str]:
        where = f"{self.path}{self.query}"
        return [self.status, f"{self.status} {distinguisher}".rstrip(), f"{self.status} {where}",
                f"{self.status} {self.method} {where}", f"{self.status} {self.method} {self.host}{where}"]


def facts_for_exchange(ex: Exchange, group: int) -> NameFacts:
    """The naming facts of a recorded exchange; `group` is its request within the collection."""
    assert ex.response is not None
    req = ex.request
    status = f"{ex.response.status} {ex.response.reason or status_phrase(ex.response.status)}".strip()
    query = "?" + unquote(req.query_string) if req.query else ""
    return NameFacts(status, req.method.upper(), req.authority, req.path, query, group)


def facts_for_example(example: Doc) -> NameFacts:
    """The naming facts of an example already in a collection."""
    req = example.get("originalRequest") or {}
    url = req.get("url") or {}
    path = url.get("path")
    raw = str(url.get("raw", ""))
    # Names are read by people and typed into x-mock-response-name: no percent-escapes.
    query = "?" + unquote(raw.split("?", 1)[1].split("#", 1)[0]) if "?" in raw else ""
    status = f"{example.get('code', '')} {example.get('status', '')}".strip()
    full_path = "/" + "/".join(str(p) for p in path) if isinstance(path, list) else ""
    return NameFacts(status, str(req.get("method", "")).upper(), "", full_path, query, 0)


def candidates(f: NameFacts, siblings: list[NameFacts]) -> list[str]:
    """Candidate names for `f`, most plain first; `siblings` share its request and status."""
    differs = (f.path if len({s.path for s in siblings} | {f.path}) > 1 else "") + \
              (f.query if len({s.query for s in siblings} | {f.query}) > 1 else "")
    names = f.names(differs)
    return names[1:] if differs else names  # a bare status would not tell the siblings apart


def unique_names(facts: list[NameFacts], taken: set[str]) -> list[str]:
    """Meaningful names, unique case-insensitively: status first, then what tells examples apart;
    a number only for examples nothing else tells apart (repeated identical calls)."""
    taken = {t.lower() for t in taken}
    by_status: dict[tuple[int, str], list[NameFacts]] = {}
    for f in facts:
        by_status.setdefault((f.group, f.status), []).append(f)
    ladders = [tuple(candidates(f, by_status[(f.group, f.status)])) for f in facts]
    distinct = list(dict.fromkeys(ladders))  # identical calls share one ladder
    levels = [0] * len(distinct)
    while True:
        names = [ladder[lvl].lower() for ladder, lvl in zip(distinct, levels)]
        counts = Counter(names)
        bumped = False
        for i, name in enumerate(names):
            if (counts[name] > 1 or name in taken) and levels[i] < len(distinct[i]) - 1:
                levels[i] += 1
                bumped = True
        if not bumped:
            break
    chosen = {ladder: ladder[lvl] for ladder, lvl in zip(distinct, levels)}
    out: list[str] = []
    seen = set(taken)
    for ladder in ladders:
        base = chosen[ladder]
        name, n = base, 2
        while name.lower() in seen:
            name, n = f"{base} ({n})", n + 1
        seen.add(name.lower())
        out.append(name)
    return out


def name_for_new(new: NameFacts, siblings: list[Doc], taken: set[str]) -> str:
    """A unique name for one example added to a request that already has `siblings`."""
    taken = {t.lower() for t in taken}
    same_status = [f for f in map(facts_for_example, siblings) if f.status == new.status]
    ladder = candidates(new, same_status)
    if any((s.method, s.path, s.query) == (new.method, new.path, new.query) for s in same_status):
        ladder = ladder[:1]  # the same call again: only a number tells them apart
    name = next((n for n in ladder if n.lower() not in taken), None)
    number = 2
    while name is None:
        candidate = f"{ladder[0]} ({number})"
        name = candidate if candidate.lower() not in taken else None
        number += 1
    return name
