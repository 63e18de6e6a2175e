"""`postmock mock server-response ...` and `postmock mock calls`: what a mock answers while an
outage is simulated, and what it was asked."""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import hashlib
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from postmock_core.cli.common import (
    command,
    group,
    parse_headers,
    print_json,
    print_table,
    whole_number,
    workspace,
)
from postmock_core.errors import PostmockError
from postmock_core.history.query import parse_status
from postmock_core.mock.calllog import NO_MATCH, CallLog, CallQuery, merged_calls, parse_when
from postmock_core.mock.configs import MockStore
from postmock_core.postman.model import status_phrase
from postmock_core.store.workspace import Workspace

__all__ = ["add_commands"]

_CALLS_HELP = """\
Every call to a mock is logged: time, method, path, status, which example answered (or No
matching requests) and its score, with the request and response headers and bodies. Newest
first; --follow streams new calls until Ctrl-C. `show MOCK ID` prints one call in full.

examples:
  postmock mock calls shop --status 4xx --since 13:00
  postmock mock calls shop --follow --json | jq .path
  postmock mock calls show shop 12"""


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


def _json_line(data: Any) -> None:
    """One compact JSON object per line (JSON Lines), flushed: what a follower reads as it comes."""
    sys.stdout.write(json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _query(args: argparse.Namespace) -> CallQuery:
    statuses: list[tuple[int, int]] = []
    for value in args.status or []:
        statuses.extend(parse_status(part) for part in value.split(",") if part.strip())
    limit = args.limit if args.limit is not None else (10 if args.follow else 50)
    return CallQuery(search=args.search, statuses=tuple(statuses), method=args.method,
                     since=parse_when(args.since, "--since") if args.since else None,
                     until=parse_when(args.until, "--until") if args.until else None,
                     limit=limit or None)  # 0: no limit, as in history list


def _calls(args: argparse.Namespace) -> int:
    if args.mock == "show" and args.rest:
        return _show_call(args)
    if args.rest:
        raise PostmockError(f"unexpected {' '.join(args.rest)!r}: give one MOCK, or: postmock mock calls "
                            f"show MOCK ID")
    ws = workspace(args)
    mock = MockStore(ws).get(args.mock)
    log = CallLog(ws, mock.id)
    query = _query(args)
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
            _json_line({"id": i, **d})
    elif past:
        print_table([_call_row(i, d) for i, d in past], _CALL_HEADERS)
    elif not args.follow:
        print(f"no calls logged for mock {mock.name}" + (" match" if args.search or args.status or args.method
                                                          or args.since or args.until else ""))
    if not args.follow:
        return 0
    live = dataclasses.replace(query, limit=None)
    last = max((i for i, _ in past), default=None)
    try:
        for i, d in log.follow(live, after=last, poll=0.3):
            if args.json:
                _json_line({"id": i, **d})
            else:
                print("  ".join("" if c is None else str(c) for c in _call_row(i, d)), flush=True)
    except KeyboardInterrupt:
        return 0
    return 0


def _body_text(body: Any) -> str:
    if not isinstance(body, dict):
        return "<no body>"
    if "text" in body:
        text = str(body["text"])
    else:
        data = base64.b64decode(str(body.get("base64", "")))
        text = f"<{len(data)} bytes binary, sha256 {hashlib.sha256(data).hexdigest()}>"
    if body.get("truncated_from"):
        text += f"\n(the log keeps the first part of this {body['truncated_from']}-byte body)"
    return text


def _show_call(args: argparse.Namespace) -> int:
    if len(args.rest) != 2:
        raise PostmockError("usage: postmock mock calls show MOCK ID")
    ws = workspace(args)
    mock = MockStore(ws).get(args.rest[0])
    try:
        wanted = int(args.rest[1])
    except ValueError:
        raise PostmockError(f"{args.rest[1]!r} is not a call ID: give the number from postmock mock calls "
                            f"{mock.name}") from None
    doc = next((d for i, d in CallLog(ws, mock.id).query() if i == wanted), None)
    if doc is None:
        raise PostmockError(f"no call {wanted} in the log of mock {mock.name}; see: postmock mock calls {mock.name}")
    if args.json:
        print_json({"id": wanted, **doc})
        return 0
    target = doc.get("path", "") + (f"?{doc['query']}" if doc.get("query") else "")
    when = dt.datetime.fromtimestamp(float(doc.get("timestamp", 0))).strftime("%Y-%m-%d %H:%M:%S")
    print(f"call {wanted} to mock {mock.name}  {when}  {doc.get('duration_ms', 0):g} ms")
    print()
    print(f"{doc.get('method')} {target}")
    for k, v in (doc.get("request") or {}).get("headers") or []:
        print(f"{k}: {v}")
    print()
    print(_body_text((doc.get("request") or {}).get("body")))
    print()
    status = int(doc.get("status") or 0)
    print(f"{status} {status_phrase(status)}".rstrip())
    for k, v in (doc.get("response") or {}).get("headers") or []:
        print(f"{k}: {v}")
    print()
    print(_body_text((doc.get("response") or {}).get("body")))
    print()
    example, score = doc.get("example") or {}, doc.get("score")
    if example.get("id"):
        shown = "selected by x-mock-response-id/-name" if score is None else f"score {score:g}"
        print(f"answered by example {example.get('name')!r} ({example['id']}), {shown}")
        return 0
    print(f"answered by no example: {example.get('name') or NO_MATCH}")
    nearest = _nearest(doc)
    if nearest:
        print("\nnearest examples:")
        print_table([("-" if n.get("score") is None else f"{n['score']:g}", n.get("name"), n.get("id"),
                      f"{n.get('method')} {n.get('url')}", n.get("why")) for n in nearest],
                    ["SCORE", "EXAMPLE", "ID", "REQUEST", "WHY"])
    print(f"\nwhy, as the collection stands now: postmock mock explain {shlex.quote(mock.name)} "
          f"-X {doc.get('method')} --url {shlex.quote(target)}")
    return 0


def _nearest(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The near misses the mock sent back in its 404 body (postmock.nearest), if any."""
    body = (doc.get("response") or {}).get("body")
    if not isinstance(body, dict) or "text" not in body:
        return []
    try:
        data = json.loads(body["text"])
    except ValueError:
        return []
    found = (data.get("postmock") or {}).get("nearest") if isinstance(data, dict) else None
    return [n for n in found if isinstance(n, dict)] if isinstance(found, list) else []


def add_commands(verbs: Any) -> None:
    """Add `server-response` and `calls` to the `mock` command."""
    _, sverbs = group(verbs, "server-response", "simulate outages: responses that answer every call",
                      "Server responses simulate an outage: while one is active it answers every call "
                      "to the mock, whatever was asked.")
    p = command(sverbs, "add", "add a server response")
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.add_argument("--name", required=True, metavar="NAME", help="its name")
    p.add_argument("--status", type=int, required=True, metavar="STATUS", help="a 5xx status, e.g. 503")
    p.add_argument("-H", "--header", action="append", metavar="'NAME: VALUE'", help="a response header (repeatable)")
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body", metavar="TEXT", help="the response body text")
    body.add_argument("--body-file", metavar="FILE", help="read the body from a file")
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
        p.add_argument("response", metavar="RESPONSE", help="server response name or ID")
        p.set_defaults(func=func)

    p = command(verbs, "calls", "show a mock's call log, follow it live, or show one call",
                _CALLS_HELP)
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.add_argument("rest", nargs="*", help=argparse.SUPPRESS)  # `show MOCK ID`
    p.add_argument("--search", metavar="TEXT", help="only calls whose path, example or bodies contain TEXT")
    p.add_argument("--status", action="append", metavar="STATUS",
                   help="only calls answered with this status: 404, a class like 4xx or a range like "
                        "200-299 (repeatable)")
    p.add_argument("--method", metavar="METHOD", help="only calls with this method")
    p.add_argument("--since", metavar="TIME", help="only calls at or after TIME: 2026-11-21, "
                                                   "2026-11-21T10:00, 13:30 (today), or an age like 30m, 2h, 1d")
    p.add_argument("--until", metavar="TIME", help="only calls before TIME (same forms as --since)")
    p.add_argument("--limit", type=whole_number, metavar="N",
                   help="at most N calls (default 50; 10 with --follow; 0 for all)")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new calls until Ctrl-C")
    p.add_argument("--call-log", action="append", metavar="DIR",
                   help="read the call log a `postmock serve --call-log DIR` host wrote, instead of the "
                        "workspace's own; repeat it to merge several hosts' logs, newest first")
    p.add_argument("--json", action="store_true",
                   help="print a JSON array; with --follow, one JSON object per line (JSON Lines)")
    p.set_defaults(func=_calls)
