"""`postmock history ...`: list, show and delete recorded exchanges (import and export are in
`history_transfer`)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import sys
from typing import Any

from postmock_core.cli import history_transfer
from postmock_core.cli.common import (
    add_yes_option,
    command,
    confirm,
    group,
    parse_ids,
    plural,
    print_json,
    print_table,
    workspace,
)
from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.exchange import Exchange, body_from_doc
from postmock_core.history.entries import (
    body_size,
    delete_entries,
    entry_doc,
    list_entries,
    summary,
)
from postmock_core.history.query import HistoryQuery, parse_moment
from postmock_core.history.store import HistoryStore
from postmock_core.mitm.filterexpr import compile_filter

__all__ = ["register"]

LIST_LIMIT = 50
Doc = dict[str, Any]


# -- formatting -------------------------------------------------------------------------------
def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KB", "MB", "GB"):
        n_f = n / 1024
        if n_f < 1024 or unit == "GB":
            return f"{n_f:.1f} {unit}"
        n = int(n_f)
    return f"{n} B"  # pragma: no cover


def _human_ms(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _local_time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")




# -- list -------------------------------------------------------------------------------------
def _list(args: argparse.Namespace) -> int:
    query = HistoryQuery.from_args(args, compile_filter)
    store = HistoryStore(workspace(args))
    found, more = list_entries(store, query)
    rows = [summary(i, d) for i, d in found]
    if args.json:
        print_json(rows)
    elif not rows:
        print("no history entries match" if not query.is_empty else "history is empty")
    else:
        table = [[r["id"], _local_time(float(d.get("timestamp") or 0)), r["method"],
                  r["status"] if r["status"] is not None else "ERR", _human_ms(r["duration_ms"]),
                  _human_size(r["size"]), r["url"]] for r, (_, d) in zip(rows, found, strict=False)]
        print_table(table, _LIST_HEADERS)
    if more:
        print(f"(more entries match: showing the newest {query.limit}; use --limit N, "
              f"or --limit 0 for all)", file=sys.stderr)
    return 0


_LIST_HEADERS = ["ID", "TIME", "METHOD", "STATUS", "DURATION", "SIZE", "URL"]


# -- show -------------------------------------------------------------------------------------
def _body_lines(body: Any, data: bytes | None, want: bool) -> list[str]:
    if not isinstance(body, dict):
        return []
    size = body_size(body)
    binary = "base64" in body or body.get("kind") == "binary"
    if not want:
        return [f"<{size} bytes {'binary' if binary else 'text'}; use --body to show it>"]
    assert data is not None
    if binary:
        return [f"<{size} bytes binary, sha256 {hashlib.sha256(data).hexdigest()}>"]
    return [data.decode("utf-8", "replace")]


def _show(args: argparse.Namespace) -> int:
    try:
        exchange_id = int(args.id)
    except ValueError:
        raise PostmockError(f"{args.id!r} is not an ID: give one number, e.g. 42") from None
    store = HistoryStore(workspace(args))
    if args.json:
        print_json(entry_doc(store, exchange_id, args.body))
        return 0
    doc = store.get(exchange_id)
    if doc is None:
        raise NotFoundError(f"no history entry {exchange_id}: see `postmock history list`")
    req, resp = doc.get("request") or {}, doc.get("response")
    bodies = {}
    for part, msg in (("request", req), ("response", resp)):
        if isinstance(msg, dict) and msg.get("body") and args.body:
            bodies[part] = body_from_doc(msg["body"], store.blobs)
    ex = Exchange.from_doc(doc, None, id=exchange_id, with_body=False)
    r = ex.request
    extra = [ex.source, ex.mode] + ([f"redacted: {', '.join(ex.redacted)}"] if ex.redacted else [])
    print(f"#{exchange_id}  {_local_time(ex.timestamp)}  {_human_ms(ex.duration_ms)}  "
          f"({'; '.join(extra)})")
    print()
    print(f"{r.method} {r.url} {r.http_version}")
    for k, v in r.headers:
        print(f"{k}: {v}")
    lines = _body_lines(req.get("body"), bodies.get("request"), args.body)
    if lines:
        print()
        print("\n".join(lines))
    print()
    if ex.response is None:
        print(f"failed, no response: {ex.error or 'unknown error'}")
        return 0
    if ex.failed:
        print(f"failed, the response was cut short: {ex.error}")
        print("(the client got an error; what arrived before the break follows)")
        print()
    s = ex.response
    print(f"{s.http_version} {s.status} {s.reason}".rstrip())
    for k, v in s.headers:
        print(f"{k}: {v}")
    lines = _body_lines((resp or {}).get("body"), bodies.get("response"), args.body)
    if lines:
        print()
        print("\n".join(lines))
    if ex.truncated:
        print(f"\n(not recorded in full: {', '.join(ex.truncated)})")
    return 0


# -- delete -----------------------------------------------------------------------------------
def _delete(args: argparse.Namespace) -> int:
    query = HistoryQuery.from_args(args, compile_filter)
    if args.before:
        before = parse_moment(args.before, "--before")
        until = min(before, query.until) if query.until else before
        query = dataclasses.replace(query, until=until)
    store = HistoryStore(workspace(args))
    if args.all and not args.ids and query.is_empty and query.limit is None:
        confirm(args, f"Delete the whole history of {store.workspace.root}?")
    deleted, missing = delete_entries(store, parse_ids(args.ids or []), query, args.all)
    if missing:
        print(f"not found: {', '.join(map(str, missing))}", file=sys.stderr)
    print(f"deleted {plural(len(deleted), 'entry', 'entries')}")
    return 0 if deleted or not args.ids else 1


# -- wiring -----------------------------------------------------------------------------------
_LIST_HELP = f"""\
List recorded exchanges, newest first: the newest {LIST_LIMIT} unless --limit says
otherwise (--limit 0 lists them all). Times are shown in this machine's local time.

examples:
  postmock history list --date today --host '*.example.com'
  postmock history list --status 5xx --since 2h --json
  postmock history list --filter '~m POST & ~b "order"'"""

_DELETE_HELP = """\
Delete exchanges by ID (3 5 9, 3,5,9 or 3-9), everything older than --before,
or everything matching the selection flags. --all deletes the whole history.
Bodies stored out of line stay in the blob folder (other data may share them).

examples:
  postmock history delete 12 15-20
  postmock history delete --before 30d
  postmock history delete --host tracker.example.com"""

def register(sub: Any) -> None:
    _, hsub = group(sub, "history", "browse, import and export recorded exchanges",
                    "Browse, import and export the recorded exchanges.")

    p = command(hsub, "list", "list recorded exchanges, newest first", _LIST_HELP)
    HistoryQuery.add_arguments(p)
    p.set_defaults(limit=LIST_LIMIT)
    p.add_argument("--json", action="store_true",
                   help="print a JSON array of {id, time, method, url, status, duration_ms, "
                        "size, error}")
    p.set_defaults(func=_list)

    p = command(hsub, "show", "show one exchange in full")
    p.add_argument("id", metavar="ID", help="the exchange ID (from `history list`)")
    p.add_argument("--body", action="store_true",
                   help="include bodies (text as text; binary summarised by size and SHA-256)")
    p.add_argument("--json", action="store_true", help="print the stored entry as JSON")
    p.set_defaults(func=_show)

    p = command(hsub, "delete", "delete exchanges by ID, age or selection", _DELETE_HELP)
    p.add_argument("ids", nargs="*", metavar="ID", help="exchange IDs")
    p.add_argument("--before", metavar="TIME",
                   help="delete entries older than TIME (ISO date/time or an age like 30d)")
    p.add_argument("--all", action="store_true", help="delete the whole history (asks first unless --yes)")
    add_yes_option(p)
    HistoryQuery.add_arguments(p)
    p.set_defaults(func=_delete)

    history_transfer.add_commands(hsub)
