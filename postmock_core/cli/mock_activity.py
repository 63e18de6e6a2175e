"""`postmock mock server-response ...` and `postmock mock calls`: what a mock answers while an
outage is simulated, and what it was asked."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from postmock_core.cli.common import (
    command,
    parse_headers,
    print_json,
    print_table,
    whole_number,
    workspace,
)
from postmock_core.errors import PostmockError
from postmock_core.mock.calllog import CallLog, CallQuery, merged_calls, parse_when
from postmock_core.mock.configs import MockStore
from postmock_core.store.workspace import Workspace

__all__ = ["add_commands"]


# -- server responses -------------------------------------------------------------------------
def _sr_add(args: argparse.Namespace) -> int:
    ws = workspace(args)
    if args.body_file is not None:
        try:
            body = Path(args.body_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PostmockError(f"cannot read --body-file {args.body_file}: {e}") from None
    else:
        body = args.body or ""
    sr = MockStore(ws).add_server_response(args.mock, args.name, args.status, parse_headers(args.header),
                                           body, active=args.activate)
    state = "active: it answers every call" if args.activate else "inactive"
    print(f"added server response {sr.name} ({sr.id}), {sr.status}, {state}")
    return 0


def _sr_list(args: argparse.Namespace) -> int:
    mock = MockStore(workspace(args)).get(args.mock)
    if args.json:
        print_json([r.to_doc() for r in mock.server_responses])
    elif not mock.server_responses:
        print(f"mock {mock.name} has no server responses")
    else:
        print_table([(r.id, r.name, r.status, "active" if r.active else "") for r in mock.server_responses],
                    ["ID", "NAME", "STATUS", "STATE"])
    return 0


def _sr_activate(args: argparse.Namespace) -> int:
    sr = MockStore(workspace(args)).set_server_response_active(args.mock, args.response, True)
    print(f"server response {sr.name} is active: every call gets {sr.status}")
    return 0


def _sr_deactivate(args: argparse.Namespace) -> int:
    sr = MockStore(workspace(args)).set_server_response_active(args.mock, args.response, False)
    print(f"server response {sr.name} is inactive: calls are matched against examples again")
    return 0


def _sr_delete(args: argparse.Namespace) -> int:
    sr = MockStore(workspace(args)).delete_server_response(args.mock, args.response)
    print(f"deleted server response {sr.name} ({sr.id})")
    return 0


# -- call log ---------------------------------------------------------------------------------
def _call_row(call_id: int, doc: dict[str, Any]) -> tuple[Any, ...]:
    when = dt.datetime.fromtimestamp(float(doc.get("timestamp", 0))).strftime("%Y-%m-%d %H:%M:%S")
    target = doc.get("path", "") + (f"?{doc['query']}" if doc.get("query") else "")
    score = doc.get("score")
    return (call_id, when, doc.get("method"), target, doc.get("status"),
            "" if score is None else f"{score:g}", (doc.get("example") or {}).get("name"))


_CALL_HEADERS = ["ID", "TIME", "METHOD", "PATH", "STATUS", "SCORE", "EXAMPLE"]


def _calls(args: argparse.Namespace) -> int:
    ws = workspace(args)
    mock = MockStore(ws).get(args.mock)
    log = CallLog(ws, mock.id)
    query = CallQuery(search=args.search, status=args.status, method=args.method,
                      since=parse_when(args.since) if args.since else None,
                      until=parse_when(args.until) if args.until else None,
                      limit=args.limit if args.limit is not None else (10 if args.follow else 50))
    if args.call_log:
        if args.follow:
            raise PostmockError("--follow reads one call log; drop --call-log, or --follow")
        logs = [CallLog(Workspace.open(folder), mock.id) for folder in args.call_log]
        past = merged_calls(logs, query)
    else:
        past = list(log.query(query))
    if args.follow:
        past.reverse()  # like tail -f: oldest of the recent calls first, then new ones as they come
    if args.json and not args.follow:
        print_json([{"id": i, **d} for i, d in past])
    elif args.json:
        for i, d in past:
            print_json({"id": i, **d})
    elif past:
        print_table([_call_row(i, d) for i, d in past], _CALL_HEADERS)
    elif not args.follow:
        print(f"no calls logged for mock {mock.name}" + (" match" if args.search or args.status or args.method
                                                          or args.since or args.until else ""))
    if not args.follow:
        return 0
    live = CallQuery(search=query.search, status=query.status, method=query.method, since=query.since,
                     until=query.until)
    last = max((i for i, _ in past), default=None)
    try:
        for i, d in log.follow(live, after=last, poll=0.3):
            if args.json:
                print_json({"id": i, **d})
            else:
                print("  ".join("" if c is None else str(c) for c in _call_row(i, d)), flush=True)
    except KeyboardInterrupt:
        return 0
    return 0


def add_commands(verbs: Any) -> None:
    """Add `server-response` and `calls` to the `mock` command."""
    sr = command(verbs, "server-response", "simulate outages: responses that answer every call",
                 "Server responses simulate an outage: while one is active it answers every call "
                 "to the mock, whatever was asked.")
    sverbs = sr.add_subparsers(dest="sr_verb", metavar="VERB")
    sverbs.required = True
    p = command(sverbs, "add", "add a server response")
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.add_argument("--name", required=True, help="its name")
    p.add_argument("--status", type=int, required=True, help="a 5xx status, e.g. 503")
    p.add_argument("-H", "--header", action="append", metavar="'K: V'", help="a response header (repeatable)")
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body", help="the response body text")
    body.add_argument("--body-file", metavar="F", help="read the body from a file")
    p.add_argument("--activate", action="store_true", help="make it active at once")
    p.set_defaults(func=_sr_add)
    p = command(sverbs, "list", "list a mock's server responses")
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_sr_list)
    for verb, func, text in (("activate", _sr_activate, "make it answer every call (others go inactive)"),
                             ("deactivate", _sr_deactivate, "stop it answering"),
                             ("delete", _sr_delete, "delete it")):
        p = command(sverbs, verb, text)
        p.add_argument("mock", metavar="MOCK", help="mock name or ID")
        p.add_argument("response", metavar="SR", help="server response name or ID")
        p.set_defaults(func=func)

    p = command(verbs, "calls", "show a mock's call log, or follow it live",
                "Every call to a mock is logged: time, method, path, status, which example "
                "answered (or No matching requests) and its score. Newest first; --follow streams "
                "new calls until Ctrl-C.")
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.add_argument("--search", metavar="TEXT", help="only calls whose path, example or bodies contain TEXT")
    p.add_argument("--status", type=int, help="only calls answered with this status")
    p.add_argument("--method", help="only calls with this method")
    p.add_argument("--since", metavar="T", help="only calls at or after T (2026-11-21, 2026-11-21T10:00, 30m, 2h, 1d)")
    p.add_argument("--until", metavar="T", help="only calls at or before T")
    p.add_argument("--limit", type=whole_number, metavar="N", help="at most N calls (default 50; 10 with --follow)")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new calls until Ctrl-C")
    p.add_argument("--call-log", action="append", metavar="DIR",
                   help="read the call log a `postmock serve --call-log DIR` host wrote, instead of the "
                        "workspace's own; repeat it to merge several hosts' logs, newest first")
    p.add_argument("--json", action="store_true", help="print JSON (one object per call with --follow)")
    p.set_defaults(func=_calls)
