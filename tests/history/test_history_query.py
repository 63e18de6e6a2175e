"""Selecting history entries: every flag, its errors, and early stop with --limit."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.store import SEGMENT_SIZE, HistoryStore
from postmock_core.history.query import HistoryQuery, parse_moment, parse_status
from postmock_core.mitm.filterexpr import compile_filter
from postmock_core.store.storage import CorruptStoreError
from postmock_core.store.workspace import Workspace


def _parse(*argv: str) -> HistoryQuery:
    parser = argparse.ArgumentParser()
    HistoryQuery.add_arguments(parser)
    return HistoryQuery.from_args(parser.parse_args(list(argv)), compile_filter)


def _doc(method: str = "GET", host: str = "api.example.test", port: int = 443, path: str = "/v1/a",
         status: int | None = 200, ts: float = 0.0) -> dict:
    return {
        "timestamp": ts,
        "request": {"method": method, "scheme": "https", "host": host, "port": port, "path": path,
                    "query": [], "headers": [], "body": None},
        "response": None if status is None else {"status": status, "reason": "", "headers": [],
                                                 "body": None},
        "error": None if status is not None else "refused",
    }


@pytest.fixture
def pacific(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in a zone that is not UTC, so local-day logic is really tested."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_empty_query_matches_everything() -> None:
    q = _parse()
    assert q == HistoryQuery() and q.is_empty
    assert q.matches(_doc()) and q.matches(_doc(status=None))


def test_date_is_the_local_calendar_day(pacific: None) -> None:
    q = _parse("--date", "2026-11-21")
    utc = lambda *a: dt.datetime(*a, tzinfo=dt.UTC).timestamp()  # noqa: E731
    # 2026-11-21 in Los Angeles (UTC-8) runs from 08:00 UTC to 08:00 UTC the next day.
    assert not q.matches(_doc(ts=utc(2026, 11, 21, 7, 59, 59)))
    assert q.matches(_doc(ts=utc(2026, 11, 21, 8, 0, 0)))
    assert q.matches(_doc(ts=utc(2026, 11, 22, 7, 59, 59)))
    assert not q.matches(_doc(ts=utc(2026, 11, 22, 8, 0, 0)))


def test_date_across_a_dst_change_is_25_hours(pacific: None) -> None:
    q = _parse("--date", "2026-11-01")  # US clocks fall back that night
    utc = lambda *a: dt.datetime(*a, tzinfo=dt.UTC).timestamp()  # noqa: E731
    assert q.matches(_doc(ts=utc(2026, 11, 1, 7, 0, 0)))  # local midnight, still PDT
    assert q.matches(_doc(ts=utc(2026, 11, 2, 7, 59, 0)))  # 23:59 PST
    assert not q.matches(_doc(ts=utc(2026, 11, 2, 8, 0, 0)))


def test_since_until_iso_and_relative() -> None:
    now = time.time()
    q = _parse("--since", "2h", "--until", "30m")
    assert q.matches(_doc(ts=now - 3600))
    assert not q.matches(_doc(ts=now - 3 * 3600))
    assert not q.matches(_doc(ts=now - 60))
    q = _parse("--since", "2026-11-21T10:00:00Z", "--until", "2026-11-21T11:00:00+00:00")
    base = dt.datetime(2026, 11, 21, 10, tzinfo=dt.UTC).timestamp()
    assert q.matches(_doc(ts=base)) and q.matches(_doc(ts=base + 3599))
    assert not q.matches(_doc(ts=base - 1)) and not q.matches(_doc(ts=base + 3600))


def test_parse_moment_forms(pacific: None) -> None:
    now = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
    assert parse_moment("1d", now=now) == now - dt.timedelta(days=1)
    assert parse_moment("90s", now=now) == now - dt.timedelta(seconds=90)
    assert parse_moment("2w", now=now) == now - dt.timedelta(weeks=2)
    # No zone means local time; a bare date is local midnight.
    assert parse_moment("2026-11-21").isoformat() == "2026-11-21T00:00:00-08:00"
    assert parse_moment("2026-11-21T10:30").isoformat() == "2026-11-21T10:30:00-08:00"


def test_hosts_exact_glob_case_and_port() -> None:
    q = _parse("--host", "*.Example.test", "--host", "localhost:8080")
    assert q.matches(_doc(host="api.example.test"))
    assert q.matches(_doc(host="API.EXAMPLE.TEST"))
    assert not q.matches(_doc(host="example.test"))
    assert q.matches(_doc(host="localhost", port=8080))
    assert not q.matches(_doc(host="localhost", port=9090))
    assert _parse("--host", "a.test,b.test").hosts == ("a.test", "b.test")


def test_methods_any_case_and_comma_lists() -> None:
    q = _parse("--method", "get,Post", "--method", "delete")
    assert q.methods == ("GET", "POST", "DELETE")
    assert q.matches(_doc(method="GET")) and q.matches(_doc(method="delete"))
    assert not q.matches(_doc(method="PUT"))


@pytest.mark.parametrize(("spec", "yes", "no"), [
    ("404", [404], [200, 405, None]),
    ("4xx", [400, 404, 499], [399, 500, None]),
    ("200-299", [200, 204, 299], [199, 300]),
    ("error", [None], [200, 500]),
])
def test_status_forms(spec: str, yes: list[int | None], no: list[int | None]) -> None:
    q = _parse("--status", spec)
    assert all(q.matches(_doc(status=s)) for s in yes)
    assert not any(q.matches(_doc(status=s)) for s in no)


def test_path_glob_ignores_query() -> None:
    q = _parse("--path", "/v1/users/*")
    assert q.matches(_doc(path="/v1/users/42"))
    assert q.matches(_doc(path="/v1/users/42/orders"))
    assert not q.matches(_doc(path="/v1/users"))
    assert not q.matches(_doc(path="/V1/users/42"))  # paths are case-sensitive


def test_filter_expression() -> None:
    q = _parse("--filter", "~m POST & ~d example.test & ~c 201")
    assert q.matches(_doc(method="POST", status=201))
    assert not q.matches(_doc(method="POST", status=200))
    assert not q.matches(_doc(method="GET", status=201))
    assert not q.matches(_doc(method="POST", host="other.test", status=201))


def test_filter_on_body_reads_blob_bodies(tmp_path: Path) -> None:
    store = HistoryStore(Workspace.open(tmp_path / "home"))
    big = b'{"needle": true, "pad": "' + b"x" * 20000 + b'"}'
    resp = HttpResponse(status=200, headers=[("Content-Type", "application/json")], body=big)
    ids = store.append([
        Exchange(request=HttpRequest(method="GET", host="a.test", path="/big"), response=resp),
        Exchange(request=HttpRequest(method="GET", host="a.test", path="/small"),
                 response=HttpResponse(status=200, body=b"hay")),
    ])
    assert "blob" in store.get(ids[0])["response"]["body"]
    q = _parse("--filter", "~bs needle")
    assert [i for i, _ in q.select(store)] == [ids[0]]
    # Without the blob store a body kept out of line counts as empty.
    assert not q.matches(store.get(ids[0]))


@pytest.mark.parametrize(("argv", "message"), [
    (["--status", "2x9"], "--status '2x9' is not a status"),
    (["--status", "299-200"], "--status '299-200' is not a status"),
    (["--since", "last tuesday"], "--since 'last tuesday' is not a time"),
    (["--until", "5 parsecs"], "--until '5 parsecs' is not a time"),
    (["--date", "2026-02-30"], "--date '2026-02-30' is not a day"),
    (["--filter", "~q ("], "is not a valid mitmproxy filter expression"),
    (["--filter", "  "], "--filter is empty"),
    (["--limit", "ten"], "--limit 'ten' is not a number"),
    (["--method", "GE T"], "is not an HTTP method name"),
    (["--since", "1h", "--until", "2h"], "--since must be earlier than --until"),
])
def test_bad_values_are_one_line_errors(argv: list[str], message: str) -> None:
    with pytest.raises(PostmockError) as e:
        _parse(*argv)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_parse_status_ranges() -> None:
    assert parse_status("5XX") == (500, 599)
    assert parse_status("201") == (201, 201)
    assert parse_status("300 - 399") == (300, 399)
    assert parse_status("failed") == (0, 0)


def test_limit_zero_means_no_limit() -> None:
    assert _parse("--limit", "0").limit is None
    assert _parse("--limit", "7").limit == 7


def _filled_store(tmp_path: Path, n: int) -> HistoryStore:
    store = HistoryStore(Workspace.open(tmp_path / "home"))
    docs = [_doc(method="POST" if i % 2 else "GET", path=f"/items/{i}", ts=1_700_000_000 + i)
            for i in range(1, n + 1)]
    store.append_docs(docs)
    return store


def test_select_is_newest_first_with_limit(tmp_path: Path) -> None:
    store = _filled_store(tmp_path, 20)
    q = _parse("--method", "POST", "--limit", "3")
    assert [(i, d["request"]["path"]) for i, d in q.select(store)] == [
        (19, "/items/19"), (17, "/items/17"), (15, "/items/15")]
    assert len(list(_parse("--method", "get").select(store))) == 10


def test_select_stops_reading_once_the_limit_is_met(tmp_path: Path) -> None:
    store = _filled_store(tmp_path, SEGMENT_SIZE + 10)
    oldest = store.segments()[0]
    oldest.write_text("{ not json")
    # The newest segment alone satisfies the limit: the broken older one is never read.
    assert len(list(_parse("--limit", "5").select(store))) == 5
    with pytest.raises(CorruptStoreError, match=str(oldest)):
        list(_parse().select(store))
