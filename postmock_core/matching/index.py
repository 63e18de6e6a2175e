"""The matcher's index: which examples could possibly match a request path, found fast.

Examples are grouped into *classes*: same method, same path with ID segments masked, same
query, body, status and indexed headers. Every member of a class scores the same under the
wildcard and ID rules, so only its first member (by ID) is scored, plus any member whose path
equals the request's ignoring case and trailing slash (found through `by_lower`).

An example path without wildcards matches only requests whose lower-case segments are the
same with ID segments masked on both sides, so its classes are found by one dictionary lookup
on that key. Paths with wildcards hang off a trie per method whose edges are lower-case literal
segments, `#` (an ID segment) and `*` (a wildcard segment); a request walks the edges its
segments allow. Document distance looks once more allowing one literal segment to differ by a
typo: in the trie, and in a table of the plain paths by each literal segment's first letter,
made on the first request that needs it (one that nothing else matched).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
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
    tie: tuple[bool, str, int]
    wildcards: int  # wildcard segments: among equal scores, fewer (a more specific path) wins
    _headers: dict[str, str] | None = None

    @classmethod
    def build(cls, ex: Example) -> Entry:
        return cls(
            ex,
            PathPattern.build(ex.path, ex.trailing_slash, ex.wildcards),
            tuple([(k, v) for k, v, disabled in ex.query if not disabled]) if ex.query else (),
            ex.request_body,
            # Postman's tie-break: first by ID with status 200, else first by ID; document
            # order settles duplicate IDs so every path through the index agrees.
            (ex.status != 200, ex.id, ex.order),
            len(ex.wildcards),
        )

    @property
    def headers(self) -> dict[str, str]:
        """The request's headers by lower-case name, the first of each (made when first used:
        only header matching looks at them)."""
        headers = self._headers
        if headers is None:
            headers = {}
            for k, v in self.ex.request_headers:
                headers.setdefault(k.lower(), v)
            self._headers = headers
        return headers


@dataclass(slots=True, eq=False)
class ExampleClass:
    """Examples that score alike for every request, first (by tie order) first.

    Most classes have one member: the others are kept apart, made only when there are some.
    """

    rep: Entry  # the first member: the one scored
    more: list[Entry] | None = None
    # For a class of several paths without wildcards: its members by lower-case path.
    by_lower: dict[tuple[str, ...], list[Entry]] | None = None

    @property
    def members(self) -> list[Entry]:
        return [self.rep] if self.more is None else [self.rep, *self.more]

    @property
    def status(self) -> int:
        return self.rep.ex.status

    def same_path(self, lower: tuple[str, ...]) -> list[Entry]:
        """The members whose path is `lower` ignoring case and trailing slash, else the first."""
        if self.by_lower is None:
            return [self.rep]
        return self.by_lower.get(lower) or [self.rep]

    def add(self, e: Entry) -> None:
        """A further member (after those already here in tie order)."""
        if WILDCARD not in e.pat.kinds:
            by_lower = self.by_lower
            if by_lower is None:
                by_lower = self.by_lower = {self.rep.pat.lower: [self.rep]}
            group = by_lower.get(e.pat.lower)
            if group is None:
                by_lower[e.pat.lower] = [e]
            else:
                group.append(e)
        if self.more is None:
            self.more = [e]
        else:
            self.more.append(e)


@dataclass(slots=True, eq=False)
class _Node:
    lit: dict[str, _Node] = field(default_factory=dict)
    star: _Node | None = None
    idn: _Node | None = None
    classes: dict[Hashable, ExampleClass] = field(default_factory=dict)
    # literal edges by first letter, for the typo walk
    by_first: dict[str, list[tuple[str, _Node]]] = field(default_factory=dict)


def class_key(e: Entry, header_names: tuple[str, ...], where: tuple[str, ...] | None = None) -> Hashable:
    """What decides an example's score apart from the ID values in its path: its method and
    path with ID segments masked, and the rest. `where` is `_where` of a path without
    wildcards, which is the first part of its key when the path is in lower case."""
    p = e.pat
    if where is not None and p.segs is p.lower:
        path = where
    elif p.has_wildcards:
        path = (e.ex.method,) + p.segs
    else:
        path = _masked(e.ex.method, p.segs, p.kinds)
    body = (e.body.media, e.body.group) if e.body is not None else None
    return (path, p.ts, e.ex.wildcards, e.query, body, e.ex.status,
            tuple([e.headers.get(n) for n in header_names]) if header_names else ())


# (method, segment position, its first letter, the other segments): the literals found there
_TypoKey = tuple[str, int, str, tuple[str, ...]]


def _masked(method: str, segs: tuple[str, ...], kinds: tuple[int, ...]) -> tuple[str, ...]:
    """`method`, then `segs` with the ID segments masked."""
    if ID not in kinds:
        return (method,) + segs
    return (method, *[_MASK if k == ID else s for s, k in zip(segs, kinds, strict=True)])


def _where(method: str, p: PathPattern) -> tuple[str, ...]:
    """Where a path without wildcards is looked up: its method, then its lower-case segments
    with ID segments masked."""
    return _masked(method, p.lower, p.kinds)


def _extend(out: list[ExampleClass], there: ExampleClass | list[ExampleClass] | None) -> None:
    if there is not None:
        if type(there) is list:
            out.extend(there)
        else:
            out.append(there)  # type: ignore[arg-type]


class MatchIndex:
    """Entries by method and masked path (a trie for wildcard paths), plus lookups by example
    ID and name."""

    def __init__(self, entries: Sequence[Entry], header_names: tuple[str, ...] = ()) -> None:
        """`entries` in tie order (see `Entry.tie`): a class's first member is the one scored."""
        self.header_names = header_names
        # (method, *lower-case segments with IDs masked) of a path without wildcards: the
        # classes there (one, or a list when there are several)
        self.plain: dict[tuple[str, ...], ExampleClass | list[ExampleClass]] = {}
        self.tries: dict[str, _Node] = {}
        self._entries = entries
        # What x-mock-response-id and -name look up, made on first use (see `_names`)
        self._by_names: tuple[dict[str, Entry], dict[str, Entry | list[Entry]]] | None = None
        self._typos: dict[_TypoKey, list[tuple[str, tuple[str, ...]]]] | None = None
        plain = self.plain
        # The classes of plain paths by `class_key`, for paths with more than one example
        made: dict[Hashable, ExampleClass] = {}
        for e in entries:
            p = e.pat
            if WILDCARD in p.kinds:
                classes = self._trie_node(e).classes
                key = class_key(e, header_names)
                cls = classes.get(key)
                if cls is None:
                    classes[key] = ExampleClass(e)
                else:
                    cls.add(e)
                continue
            where = _where(e.ex.method, p)
            there = plain.get(where)
            if there is None:  # the first example here: a class of its own, whatever its key
                plain[where] = ExampleClass(e)
                continue
            if type(there) is ExampleClass and there.more is None:  # the second: keys matter now
                made[class_key(there.rep, header_names, where)] = there
            key = class_key(e, header_names, where)
            cls = made.get(key)
            if cls is not None:
                cls.add(e)
                continue
            cls = made[key] = ExampleClass(e)
            if type(there) is list:
                there.append(cls)
            else:
                plain[where] = [there, cls]  # type: ignore[list-item]
        for root in self.tries.values():
            self._finish(root)

    def _names(self) -> tuple[dict[str, Entry], dict[str, Entry | list[Entry]]]:
        """(the entries by example ID, the first of each; by example name), made on first use:
        only a call with x-mock-response-id or -name needs them."""
        names = self._by_names
        if names is None:
            by_id: dict[str, Entry] = {}
            by_name: dict[str, Entry | list[Entry]] = {}
            for e in self._entries:
                ex = e.ex
                by_id.setdefault(ex.id, e)
                named = by_name.get(ex.name)
                if named is None:
                    by_name[ex.name] = e  # most names are one example's: a list only when not
                elif type(named) is list:
                    named.append(e)
                else:
                    by_name[ex.name] = [named, e]  # type: ignore[list-item]
            names = self._by_names = (by_id, by_name)  # whole: another thread may look too
        return names

    def by_id(self, example_id: str) -> Entry | None:
        """The first entry (in tie order) with this example ID."""
        return self._names()[0].get(example_id)

    def named(self, name: str) -> list[Entry]:
        """The entries with this example name, in tie order."""
        named = self._names()[1].get(name)
        if named is None:
            return []
        return list(named) if type(named) is list else [named]  # type: ignore[list-item,arg-type]

    def _trie_node(self, e: Entry) -> _Node:
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
        return node

    def _finish(self, root: _Node) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            for low, child in node.lit.items():
                if len(low) >= 5:
                    node.by_first.setdefault(low[:1], []).append((low, child))
                stack.append(child)
            stack.extend(n for n in (node.star, node.idn) if n is not None)

    def typo_table(self) -> dict[_TypoKey, list[tuple[str, tuple[str, ...]]]]:
        """The plain paths by each long literal segment's position and first letter (made once,
        on first use: only a request that nothing else matched needs it)."""
        table = self._typos
        if table is None:
            table = {}
            for where in self.plain:
                method = where[0]
                for i in range(1, len(where)):
                    low = where[i]
                    if len(low) >= 5 and low != _MASK:
                        key = (method, i, low[:1], where[1:i] + where[i + 1:])
                        table.setdefault(key, []).append((low, where))
            self._typos = table  # whole or not at all: another thread may be looking too
        return table

    def classes(self, method: str, r: RequestPath, typo: bool = False) -> list[ExampleClass]:
        """Classes whose path could match `r` (with `typo`: one literal segment a typo away)."""
        out: list[ExampleClass] = []
        where = (method,) + r.lower if True not in r.ids else (
            method, *[_MASK if is_id else low for low, is_id in zip(r.lower, r.ids, strict=True)])
        plain = self.plain
        _extend(out, plain.get(where))
        if typo:
            table = self.typo_table()
            for i in range(1, len(where)):
                low = where[i]
                if r.ids[i - 1]:
                    continue
                for key, near in table.get((method, i, low[:1], where[1:i] + where[i + 1:]), ()):
                    if key != low and typo_close(key, low):
                        _extend(out, plain[near])
        root = self.tries.get(method)
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
                out.extend(cls.same_path(r.lower))
        return out
