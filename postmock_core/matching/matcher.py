"""Postman's example-matching algorithm: which saved example answers a request, and why.

For each request: drop examples of other methods; honour `x-mock-response-code`, `-id`,
`-name`; score the path (100 minus the first matching rule's penalty, see `pathscore`), then the
query (`fieldmatch`); drop examples failing header or body matching when it is on (per mock or
per request), else add 5 for a matching body; the highest score wins, a tie goes to the example
with fewer wildcard segments (beyond Postman), then to the first by ID with status 200, else the
first by ID. Document distance is a last resort, tried
only when no example matched the path by another rule.

`Matcher` builds its index once per collection and options; `match(request, brute_force=True)`
(or `explain`) scans every example instead, giving the same answer and a reason for each one.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from postmock_core.exchange import HttpRequest
from postmock_core.matching.bodies import bodies_match
from postmock_core.matching.examples import Example, load_examples
from postmock_core.matching.fieldmatch import headers_match, score_query
from postmock_core.matching.index import Entry, MatchIndex
from postmock_core.matching.nearmiss import Miss, NearMisses, nearest
from postmock_core.matching.pathscore import PENALTIES, describe_miss, score_path
from postmock_core.matching.request import MatchOptions, MatchRequest, header_names
from postmock_core.store.blobs import BlobStore

__all__ = [
    "NOT_FOUND",
    "Candidate",
    "MatchOptions",
    "MatchResult",
    "Matcher",
    "match_bruteforce",
    "not_found_body",
]

log = logging.getLogger(__name__)

NOT_FOUND: dict[str, str] = {
    "name": "mockRequestNotFoundError",
    "message": "Double check your method and the request path and try again.",
    "header": "No matching requests",
}

_UID = re.compile(r"^\d+-(.+)$")  # Postman example UIDs are <userId>-<responseId>
_DEFAULT = MatchOptions()


@dataclass(slots=True)
class Candidate:
    """One example's fate: its score and the rule that decided it, or why it was dropped."""

    example_id: str
    name: str
    score: float | None
    rule: str
    dropped: bool


@dataclass(slots=True)
class MatchResult:
    """The chosen example (or None with Postman's `error` object) and every candidate."""

    example: Example | None
    score: float | None
    candidates: list[Candidate]
    error: dict[str, str] | None
    status: int
    rule: str = ""
    captures: dict[str, str] = field(default_factory=dict)
    nearest: list[dict[str, Any]] = field(default_factory=list)


_TIE = operator.attrgetter("tie")
FREEZE_FROM = 5_000  # from this many examples on, what a build made is frozen (see `_build`)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: building 100k examples allocates millions of
    objects and none of them is garbage, yet each collection would walk them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def not_found_body(result: MatchResult) -> dict[str, Any]:
    """Postman's error JSON for a miss, plus `postmock.nearest`: the closest examples and why."""
    return {"error": dict(result.error or NOT_FOUND), "postmock": {"nearest": result.nearest}}


_PathMatch = tuple[Entry, str, dict[str, str]]  # an example, its path rule, its captures


@dataclass(slots=True)
class _Scored:
    score: float
    entry: Entry
    rule: str
    caps: dict[str, str]


class Matcher:
    """Matches requests against one collection; build it again when the collection changes."""

    def __init__(self, collection: Mapping[str, Any], environment: Mapping[str, Any] | None = None,
                 options: MatchOptions = _DEFAULT, blobs: BlobStore | None = None) -> None:
        with _no_gc():
            self._build(collection, environment, options, blobs)

    def _build(self, collection: Mapping[str, Any], environment: Mapping[str, Any] | None,
               options: MatchOptions, blobs: BlobStore | None) -> None:
        self.options = options
        self.examples = load_examples(collection, environment, blobs)
        self.unreadable = [ex for ex in self.examples if ex.error]
        self.entries = sorted([Entry.build(ex) for ex in self.examples if not ex.error], key=_TIE)
        self.index = MatchIndex(self.entries, header_names(",".join(options.match_headers)))
        self.near = NearMisses(self.entries)
        if len(self.examples) >= FREEZE_FROM:
            # Out of the cyclic GC's reach (while it is still paused): the first collection
            # would otherwise walk all of it once more, 1.5 s at 100k examples, and again
            # when it reaches the oldest generation. Small builds are left to the collector.
            gc.freeze()
        log.debug("matcher ready: %d examples, %d unreadable", len(self.entries),
                  len(self.unreadable))

    def prepare_for_misses(self) -> None:
        """Make now what the first request that matches nothing would otherwise make: the typo
        table and the path shapes (about 0.7 s at 100k examples)."""
        self.index.typo_table()
        self.near.shapes()

    def explain(self, request: HttpRequest) -> MatchResult:
        """Like `match`, with every example of the collection listed with its fate."""
        return self.match(request, brute_force=True)

    def match(self, request: HttpRequest, brute_force: bool = False) -> MatchResult:
        """The example that answers `request`, its score, and the candidates considered."""
        rq = MatchRequest(request, self.options)
        misses: list[Miss] = []
        if brute_force:
            misses.extend(Miss(Entry.build(ex), f"unreadable: {ex.error}")
                          for ex in self.unreadable)
        if rq.resp_id is not None or rq.resp_name is not None:
            return self._select(rq, misses)
        if brute_force:
            found = self._scan(rq, misses)
        else:
            found = self._lookup(rq, misses, False) or self._lookup(rq, misses, True)
        scored = [s for e, rule, caps in found if (s := self._score(rq, e, rule, caps, misses))]
        return self._result(rq, scored, misses)

    # -- finding path matches -------------------------------------------------------------

    def _lookup(self, rq: MatchRequest, misses: list[Miss], typo: bool) -> list[_PathMatch]:
        """Path matches through the index: one per example class."""
        found = []
        r = rq.path
        expand = rq.header_names != self.index.header_names
        for cls in self.index.classes(rq.method, r, typo):
            if not rq.code_ok(cls.status):
                if not typo:
                    misses.append(Miss(cls.rep, rq.code_why(cls.status)))
                continue
            if expand:
                members = cls.members
            else:
                members = cls.same_path(r.lower)
            best = None
            for e in members:
                res = score_path(e.pat, r, typo)
                if res is not None:
                    if best is None or PENALTIES[res[0]] < PENALTIES[best[1]]:
                        best = (e, *res)
                    if expand:
                        found.append((e, *res))
            if best is not None and not expand:
                found.append(best)
        return found

    def _scan(self, rq: MatchRequest, misses: list[Miss]) -> list[_PathMatch]:
        """Path matches by looking at every example (the reference the index must agree with)."""
        r = rq.path
        live = _method_and_code(self.entries, rq, misses, lambda m: f"method: example is {m}")
        found = []
        rest = []
        for e in live:
            res = score_path(e.pat, r)
            if res is not None:
                found.append((e, *res))
            else:
                rest.append(e)
        typo = not found
        for e in rest:
            res = score_path(e.pat, r, True)
            if res is None:
                misses.append(Miss(e, "path: " + describe_miss(e.pat, r)))
            elif typo:
                found.append((e, *res))
            else:
                misses.append(Miss(e, "path: a typo away, but document distance is tried only "
                                      "when no example matches the path by another rule"))
        return found

    # -- scoring ---------------------------------------------------------------------------

    def _score(self, rq: MatchRequest, e: Entry, rule: str, caps: dict[str, str],
               misses: list[Miss]) -> _Scored | None:
        penalty = PENALTIES[rule]
        q, qwhy, qcaps = score_query(e.query, rq.query)
        score = 100 - penalty + q
        parts = [f"path: {rule} ({100 - penalty})", f"{qwhy} ({q:+g})"]
        if rq.header_names:
            ok, why = headers_match(rq.header_names, e.headers, rq.headers)
            if not ok:
                misses.append(Miss(e, why, round(score, 4)))
                return None
            parts.append("headers match")
        if rq.match_body:
            ok, why = bodies_match(e.body, rq.body)
            if not ok:
                misses.append(Miss(e, "body: " + why, round(score, 4)))
                return None
            parts.append("body matches")
        elif rq.body_bytes and bodies_match(e.body, rq.body)[0]:
            score += 5
            parts.append("body matches (+5)")
        if caps or qcaps:
            caps = {**caps, **qcaps}
        return _Scored(round(score, 4), e, "; ".join(parts), caps)

    def _result(self, rq: MatchRequest, scored: list[_Scored], misses: list[Miss]) -> MatchResult:
        # Beyond Postman: a concrete path beats a templated one of equal score, as in OpenAPI
        # (`/releases/latest` before `/releases/{id}`), before the ID tie-break.
        scored.sort(key=lambda s: (-s.score, s.entry.wildcards, s.entry.tie))
        candidates = [Candidate(s.entry.ex.id, s.entry.ex.name, s.score, s.rule, False)
                      for s in scored]
        candidates += [Candidate(m.entry.ex.id, m.entry.ex.name, m.score, m.why or "path", True)
                       for m in misses]
        if not scored:
            # The same ranking for a live miss and for explain: what was dropped, and the
            # examples most like the path (which the index may never have visited).
            return MatchResult(None, None, candidates, dict(NOT_FOUND), 404,
                               nearest=nearest(misses + self.near.similar(rq.method, rq.path), rq.path))
        best = scored[0]
        return MatchResult(best.entry.ex, best.score, candidates, None, best.entry.ex.status,
                           best.rule, best.caps)

    # -- x-mock-response-id / -name ------------------------------------------------------

    def _select(self, rq: MatchRequest, misses: list[Miss]) -> MatchResult:
        if rq.resp_id is not None:
            how = "x-mock-response-id"
            m = _UID.match(rq.resp_id)
            e = self.index.by_id(rq.resp_id)
            if e is None and m is not None:
                e = self.index.by_id(m.group(1))
            chosen = [e] if e is not None else []
            wanted = f"the ID {rq.resp_id!r}"
        else:
            how = "x-mock-response-name"
            chosen = self.index.named(rq.resp_name or "")
            wanted = f"the name {rq.resp_name!r}"
        fits = _method_and_code(chosen, rq, misses,
                                lambda m: f"{how}: example is {m}, the request {rq.method}")
        candidates = [Candidate(m.entry.ex.id, m.entry.ex.name, None, m.why or "", True)
                      for m in misses]
        if not fits:
            error = {"name": NOT_FOUND["name"],
                     "message": f"No {rq.method} example has {wanted} given in {how}. "
                                "Double check the header value and the request method.",
                     "header": NOT_FOUND["header"]}
            return MatchResult(None, None, candidates, error, 404, nearest=nearest(misses, rq.path))
        e = fits[0]  # entries are kept in tie order: first by ID with status 200, else first
        for other in fits[1:]:
            candidates.append(Candidate(other.ex.id, other.ex.name, None,
                                        f"{how}: same name, {e.ex.id!r} comes first", True))
        res = score_path(e.pat, rq.path, True)
        caps = dict(res[1]) if res else {}
        caps.update(score_query(e.query, rq.query)[2])
        rule = f"selected by {how}"
        candidates.insert(0, Candidate(e.ex.id, e.ex.name, None, rule, False))
        return MatchResult(e.ex, None, candidates, None, e.ex.status, rule, caps)


def match_bruteforce(collection: Mapping[str, Any], request: HttpRequest,
                     environment: Mapping[str, Any] | None = None,
                     options: MatchOptions = _DEFAULT,
                     blobs: BlobStore | None = None) -> MatchResult:
    """Match by scanning every example: the reference the index is tested against."""
    return Matcher(collection, environment, options, blobs).match(request, brute_force=True)


def _method_and_code(entries: Iterable[Entry], rq: MatchRequest, misses: list[Miss],
                     method_why: Callable[[str], str]) -> list[Entry]:
    """Steps 2 and 3: the entries with the request's method and, if asked, its status code."""
    kept = []
    for e in entries:
        if e.ex.method != rq.method:
            misses.append(Miss(e, method_why(e.ex.method)))
        elif not rq.code_ok(e.ex.status):
            misses.append(Miss(e, rq.code_why(e.ex.status)))
        else:
            kept.append(e)
    return kept
