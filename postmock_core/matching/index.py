"""The matcher's index: which examples could possibly match a request path, found fast.

Examples are grouped into *classes*: same method, same path with ID segments masked, same
query, body, status and indexed headers. Every member of a class scores the same under the
wildcard and ID rules, so only its first member (by ID) is scored, plus any member whose path
equals the request's ignoring case and trailing slash (found through `by_lower`).

Classes hang off a trie per method whose edges are lower-case literal segments, `#` (an ID
segment) and `*` (a wildcard segment). A request walks the edges its segments allow; document
distance walks once more allowing one literal edge to differ by a typo.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from postmock_core.matching.bodies import RequestBody
from postmock_core.matching.examples import Example
from postmock_core.matching.pathscore import ID, WILDCARD, PathPattern, RequestPath, typo_close

__all__ = ["Entry", "ExampleClass", "MatchIndex"]

_MASK = "\x00#"


@dataclass(slots=True, eq=False)
class Entry:
    """An example prepared for matching."""

    ex: Example
    pat: PathPattern
    query: tuple[tuple[str, str | None], ...]
    body: RequestBody | None
    headers: dict[str, str]
    tie: tuple[bool, str, int]
    wildcards: int  # wildcard segments: among equal scores, fewer (a more specific path) wins

    @classmethod
    def build(cls, ex: Example) -> Entry:
        headers: dict[str, str] = {}
        for k, v in ex.request_headers:
            headers.setdefault(k.lower(), v)
        return cls(
            ex=ex,
            pat=PathPattern.build(ex.path, ex.trailing_slash, ex.wildcards),
            query=tuple([(k, v) for k, v, disabled in ex.query if not disabled]),
            body=ex.request_body,
            headers=headers,
            # Postman's tie-break: first by ID with status 200, else first by ID; document
            # order settles duplicate IDs so every path through the index agrees.
            tie=(ex.status != 200, ex.id, ex.order),
            wildcards=len(ex.wildcards),
        )


@dataclass(slots=True, eq=False)
class ExampleClass:
    """Examples that score alike for every request, first (by tie order) first."""

    members: list[Entry]
    by_lower: dict[tuple[str, ...], list[Entry]] = field(default_factory=dict)

    @property
    def rep(self) -> Entry:
        return self.members[0]

    @property
    def status(self) -> int:
        return self.members[0].ex.status


@dataclass(slots=True, eq=False)
class _Node:
    lit: dict[str, _Node] = field(default_factory=dict)
    star: _Node | None = None
    idn: _Node | None = None
    classes: dict[Hashable, ExampleClass] = field(default_factory=dict)
    # literal edges by first letter, for the typo walk
    by_first: dict[str, list[tuple[str, _Node]]] = field(default_factory=dict)


def class_key(e: Entry, header_names: tuple[str, ...]) -> Hashable:
    """What decides an example's score apart from the ID values in its path."""
    p = e.pat
    segs = p.segs if p.has_wildcards or ID not in p.kinds else tuple(
        [_MASK if k == ID else s for s, k in zip(p.segs, p.kinds, strict=True)])
    body = (e.body.media, e.body.group) if e.body is not None else None
    return (segs, p.ts, e.ex.wildcards, e.query, body, e.ex.status,
            tuple([e.headers.get(n) for n in header_names]) if header_names else ())


class MatchIndex:
    """Entries by method in a segment trie, plus lookups by example ID and name."""

    def __init__(self, entries: Iterable[Entry], header_names: tuple[str, ...] = ()) -> None:
        self.header_names = header_names
        self.tries: dict[str, _Node] = {}
        self.by_id: dict[str, Entry] = {}
        self.by_name: dict[str, list[Entry]] = {}
        self.by_method: dict[str, list[Entry]] = {}
        for e in sorted(entries, key=lambda e: e.tie):
            self.by_id.setdefault(e.ex.id, e)
            self.by_name.setdefault(e.ex.name, []).append(e)
            self.by_method.setdefault(e.ex.method, []).append(e)
            self._insert(e)
        for root in self.tries.values():
            self._finish(root)

    def _insert(self, e: Entry) -> None:
        node = self.tries.get(e.ex.method)
        if node is None:
            node = self.tries[e.ex.method] = _Node()
        for low, kind in zip(e.pat.lower, e.pat.kinds, strict=True):
            if kind == WILDCARD:
                node.star = node.star or _Node()
                node = node.star
            elif kind == ID:
                node.idn = node.idn or _Node()
                node = node.idn
            else:
                child = node.lit.get(low)
                if child is None:
                    node.lit[low] = child = _Node()
                node = child
        key = class_key(e, self.header_names)
        cls = node.classes.get(key)
        if cls is None:
            node.classes[key] = cls = ExampleClass([])
        cls.members.append(e)
        if not e.pat.has_wildcards:
            cls.by_lower.setdefault(e.pat.lower, []).append(e)

    def _finish(self, root: _Node) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            for low, child in node.lit.items():
                if len(low) >= 5:
                    node.by_first.setdefault(low[:1], []).append((low, child))
                stack.append(child)
            stack.extend(n for n in (node.star, node.idn) if n is not None)

    def classes(self, method: str, r: RequestPath, typo: bool = False) -> list[ExampleClass]:
        """Classes whose path could match `r` (with `typo`: one literal segment a typo away)."""
        root = self.tries.get(method)
        out: list[ExampleClass] = []
        if root is not None:
            self._walk(root, r, 0, typo, out)
        return out

    def _walk(self, node: _Node, r: RequestPath, i: int, typo: bool,
              out: list[ExampleClass]) -> None:
        if i == len(r.segs):
            out.extend(node.classes.values())
            return
        low = r.lower[i]
        child = node.lit.get(low)
        if child is not None:
            self._walk(child, r, i + 1, typo, out)
        if node.star is not None and r.segs[i]:
            self._walk(node.star, r, i + 1, typo, out)
        if node.idn is not None and r.ids[i]:
            self._walk(node.idn, r, i + 1, typo, out)
        if typo and not r.ids[i]:
            for key, near in node.by_first.get(low[:1], ()):
                if key != low and typo_close(key, low):
                    self._walk(near, r, i + 1, False, out)

    def same_path(self, r: RequestPath, methods: Iterable[str]) -> list[Entry]:
        """Entries of other methods whose path matches `r` by a rule other than distance."""
        out: list[Entry] = []
        for m in methods:
            for cls in self.classes(m, r):
                out.extend(cls.by_lower.get(r.lower) or [cls.rep])
        return out

