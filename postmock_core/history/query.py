"""Which history entries a command works on: date, time range, host, method, status, path, filter.

A `HistoryQuery` is data. The CLI builds one from the shared flags (`add_arguments`,
`from_args`); `matches` checks one stored document, cheap fields first, and only runs the
filter expression's predicate (compiled at the edge, by `mitm.filterexpr`) when one is given,
because that is the slow path.

A little past the ~300-line guide: the selection flags and the query they build are one idea.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property
from typing import TYPE_CHECKING, Any

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange, is_failed

if TYPE_CHECKING:
    from postmock_core.history.store import HistoryStore
    from postmock_core.store.blobs import BlobStore

__all__ = ["ExchangePredicate", "FilterCompiler", "HistoryQuery", "parse_moment", "parse_status"]

Doc = dict[str, Any]
ExchangePredicate = Callable[[Exchange], bool]
# Turns a filter expression into a predicate, or raises `PostmockError` (one line).
FilterCompiler = Callable[[str], ExchangePredicate]

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
_STATUS_CLASS = re.compile(r"^([1-5])xx$", re.IGNORECASE)
_STATUS_RANGE = re.compile(r"^(\d{3})\s*-\s*(\d{3})$")
# Statuses that select exchanges which never got a response.
_NO_RESPONSE = ("error", "failed", "none")


def _local_midnight(day: dt.date) -> dt.datetime:
    # A naive datetime's astimezone() uses the machine's zone, DST included.
    return dt.datetime(day.year, day.month, day.day).astimezone()


def parse_day(value: str, option: str = "--date") -> dt.date:
    """A calendar day: `YYYY-MM-DD`, `today` or `yesterday`."""
    text = value.strip().lower()
    today = dt.date.today()
    if text == "today":
        return today
    if text == "yesterday":
        return today - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PostmockError(
            f"{option} {value!r} is not a day: use YYYY-MM-DD, today or yesterday") from None


def parse_moment(value: str, option: str = "--since",
                 now: dt.datetime | None = None) -> dt.datetime:
    """An aware datetime from ISO (`2026-11-21`, `2026-11-21T10:30`, `...Z`) or `2h`-style ago.

    Times without a zone are local time; a bare date is local midnight.
    """
    text = value.strip()
    now = now or dt.datetime.now().astimezone()
    m = _RELATIVE.match(text)
    if m:
        return now - dt.timedelta(**{_UNITS[m.group(2).lower()]: float(m.group(1))})
    lowered = text.lower()
    if lowered in ("now",):
        return now
    if lowered in ("today", "yesterday"):
        return _local_midnight(parse_day(lowered, option))
    if _TIME_OF_DAY.match(text):  # 13:33 or 13:33:05: that time today, local
        try:
            clock = dt.time.fromisoformat(text if len(text.split(":")[0]) == 2 else "0" + text)
        except ValueError:
            pass
        else:
            return dt.datetime.combine(now.date(), clock).astimezone()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PostmockError(
            f"{option} {value!r} is not a time: use an ISO date or time like 2026-11-21 or "
            f"2026-11-21T10:30, a time of day like 13:30, or an age like 30m, 2h, 1d") from None
    return moment.astimezone() if moment.tzinfo is None else moment


def parse_status(value: str) -> tuple[int, int]:
    """A status spec as an inclusive range: `200`, `4xx`, `200-299`; (0, 0) means no response."""
    text = value.strip()
    if text.lower() in _NO_RESPONSE:
        return (0, 0)
    m = _STATUS_CLASS.match(text)
    if m:
        base = int(m.group(1)) * 100
        return (base, base + 99)
    m = _STATUS_RANGE.match(text)
    if m and int(m.group(1)) <= int(m.group(2)):
        return (int(m.group(1)), int(m.group(2)))
    if text.isdigit() and len(text) == 3:
        return (int(text), int(text))
    raise PostmockError(
        f"--status {value!r} is not a status: use a code like 404, a class like 4xx, "
        f"a range like 200-299, or 'error' for failed exchanges")


def _split(values: Iterable[str] | None) -> tuple[str, ...]:
    """Repeatable options also accept comma-separated lists: --method GET,POST."""
    out: list[str] = []
    if isinstance(values, str):
        values = [values]
    for value in values or ():
        out.extend(p.strip() for p in str(value).split(",") if p.strip())
    return tuple(out)


@dataclass(frozen=True)
class HistoryQuery:
    """A selection of history entries; empty fields select everything."""

    date: dt.date | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    hosts: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    path: str | None = None
    filter: str | None = None
    limit: int | None = None
    compile_filter: FilterCompiler | None = field(default=None, compare=False, repr=False)

    # -- command line -------------------------------------------------------------------------
    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """Add the shared selection flags (--date --since --until --host --method --status
        --path --filter --limit) to `parser`."""
        g = parser.add_argument_group("selecting history entries")
        g.add_argument("--date", metavar="DAY",
                       help="only that calendar day in this machine's local time zone "
                            "(YYYY-MM-DD, today, yesterday)")
        g.add_argument("--since", metavar="TIME",
                       help="only entries at or after TIME: ISO date/time (local unless it has "
                            "a zone) or an age like 30m, 2h, 1d")
        g.add_argument("--until", metavar="TIME",
                       help="only entries before TIME (same forms as --since; a bare date "
                            "means its midnight)")
        g.add_argument("--host", action="append", metavar="HOST",
                       help="host name, exact or glob like '*.example.com' (repeatable)")
        g.add_argument("--method", action="append", metavar="METHOD",
                       help="HTTP method, any case (repeatable, or GET,POST)")
        g.add_argument("--status", action="append", metavar="STATUS",
                       help="status 404, class 4xx, range 200-299, or 'error' for failed "
                            "exchanges: no response, or one cut short (repeatable)")
        g.add_argument("--path", metavar="GLOB",
                       help="URL path without the query, glob like '/api/*' ('*' also "
                            "matches '/')")
        g.add_argument("--filter", metavar="EXPR",
                       help="mitmproxy filter expression, e.g. '~d example.com & ~c 500'")
        g.add_argument("--limit", metavar="N", type=str,
                       help="at most N entries, newest first (0 = no limit)")

    @classmethod
    def from_args(cls, args: argparse.Namespace,
                  compile_filter: FilterCompiler | None = None) -> HistoryQuery:
        """A query from parsed flags; a bad value raises `PostmockError` (one line).

        `compile_filter` turns `--filter` into a predicate; without it `--filter` is refused.
        """
        names = ("date", "since", "until", "host", "method", "status", "path", "filter", "limit")
        return cls.parse(compile_filter=compile_filter, **{n: getattr(args, n, None) for n in names})

    @classmethod
    def parse(cls, *, date: str | None = None, since: str | None = None, until: str | None = None,
              host: Iterable[str] | None = None, method: Iterable[str] | None = None,
              status: Iterable[str] | None = None, path: str | None = None,
              filter: str | None = None, limit: int | str | None = None,
              compile_filter: FilterCompiler | None = None) -> HistoryQuery:
        """A query from the selection flags in their text form (as the CLI and the admin API
        take them); a bad value raises `PostmockError` (one line)."""
        day = parse_day(str(date)) if date else None
        since_at = parse_moment(str(since), "--since") if since else None
        until_at = parse_moment(str(until), "--until") if until else None
        if since_at and until_at and since_at >= until_at:
            raise PostmockError("--since must be earlier than --until")
        statuses = _split(status)
        for s in statuses:
            parse_status(s)
        methods = tuple(m.upper() for m in _split(method))
        for m in methods:
            if not re.fullmatch(r"[A-Z][A-Z0-9_-]*", m):
                raise PostmockError(f"--method {m!r} is not an HTTP method name")
        expr = filter
        if expr is not None:
            expr = expr.strip()
            if not expr:
                raise PostmockError("--filter is empty: give a mitmproxy filter expression")
            if compile_filter is None:
                raise PostmockError("--filter is not supported here")
            compile_filter(expr)
        count = limit
        if count is not None and not isinstance(count, int):
            try:
                count = int(str(count))
            except ValueError:
                count = -1
        if count is not None and count < 0:
            raise PostmockError(f"--limit {limit!r} is not a number: use 0 or more")
        return cls(date=day, since=since_at, until=until_at, hosts=_split(host),
                   methods=methods, statuses=statuses, path=path or None,
                   filter=expr, limit=count or None, compile_filter=compile_filter)

    # -- derived, computed once ---------------------------------------------------------------
    @cached_property
    def _window(self) -> tuple[float | None, float | None]:
        lo = self.since.timestamp() if self.since else None
        hi = self.until.timestamp() if self.until else None
        if self.date:
            start = _local_midnight(self.date).timestamp()
            end = _local_midnight(self.date + dt.timedelta(days=1)).timestamp()
            lo = start if lo is None else max(lo, start)
            hi = end if hi is None else min(hi, end)
        return lo, hi

    @cached_property
    def _status_ranges(self) -> tuple[tuple[int, int], ...]:
        return tuple(parse_status(s) for s in self.statuses)

    @cached_property
    def _method_set(self) -> frozenset[str]:
        return frozenset(m.upper() for m in self.methods)

    @cached_property
    def _host_patterns(self) -> tuple[str, ...]:
        return tuple(h.lower() for h in self.hosts)

    @cached_property
    def _predicate(self) -> ExchangePredicate | None:
        if not self.filter:
            return None
        if self.compile_filter is None:
            raise PostmockError("--filter is not supported here")
        return self.compile_filter(self.filter)

    @cached_property
    def _filter_needs_body(self) -> bool:
        # Only ~b, ~bq and ~bs look at bodies; skip reading blobs for the rest.
        return bool(self.filter) and "~b" in (self.filter or "")

    # -- matching -----------------------------------------------------------------------------
    def _host_ok(self, req: Doc) -> bool:
        host = str(req.get("host", "")).lower()
        authority = f"{host}:{req.get('port', '')}"
        return any(fnmatchcase(host, p) or fnmatchcase(authority, p) for p in self._host_patterns)

    def _status_ok(self, doc: Doc) -> bool:
        resp = doc.get("response")
        # A response cut short is not what the client got: it counts as an error.
        status = 0 if is_failed(doc) or not isinstance(resp, dict) else int(resp.get("status", 0))
        return any(lo <= status <= hi for lo, hi in self._status_ranges)

    def matches(self, doc: Doc, blobs: BlobStore | None = None) -> bool:
        """Whether a stored history document is selected (ignores `limit`).

        `blobs` lets a body filter (~b, ~bq, ~bs) see bodies kept out of line; without it
        those bodies count as empty.
        """
        req = doc.get("request")
        if not isinstance(req, dict):
            return False
        if self._method_set and str(req.get("method", "")).upper() not in self._method_set:
            return False
        if self.statuses and not self._status_ok(doc):
            return False
        if self.hosts and not self._host_ok(req):
            return False
        if self.path is not None and not fnmatchcase(str(req.get("path", "")), self.path):
            return False
        lo, hi = self._window
        if lo is not None or hi is not None:
            ts = float(doc.get("timestamp") or 0.0)
            if (lo is not None and ts < lo) or (hi is not None and ts >= hi):
                return False
        predicate = self._predicate
        if predicate is not None:
            return bool(predicate(self._exchange(doc, blobs)))
        return True

    def _exchange(self, doc: Doc, blobs: BlobStore | None) -> Exchange:
        with_body = self._filter_needs_body
        if with_body and blobs is None:
            doc = _without_blob_bodies(doc)
        return Exchange.from_doc(doc, blobs, with_body=with_body)

    def select(self, store: HistoryStore) -> Iterator[tuple[int, Doc]]:
        """(id, document) of the selected entries, newest first, at most `limit`."""
        if self.limit is not None and self.limit <= 0:
            return
        found = 0
        for exchange_id, doc in store.iter_docs(newest_first=True):
            if self.matches(doc, store.blobs):
                yield exchange_id, doc
                found += 1
                if self.limit is not None and found >= self.limit:
                    return

    @property
    def is_empty(self) -> bool:
        """True when nothing narrows the selection (a limit does not count)."""
        return not (self.date or self.since or self.until or self.hosts or self.methods
                    or self.statuses or self.path is not None or self.filter)


def _without_blob_bodies(doc: Doc) -> Doc:
    out = dict(doc)
    for part in ("request", "response"):
        msg = out.get(part)
        if isinstance(msg, dict) and isinstance(msg.get("body"), dict) and "blob" in msg["body"]:
            out[part] = {**msg, "body": None}
    return out
