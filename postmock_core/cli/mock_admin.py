"""`postmock mock create|list|show|edit|delete`: managing mock servers (server responses and
the call log are in `mock_activity`)."""

from __future__ import annotations

import argparse
from typing import Any

from postmock_core.cli import mock_activity
from postmock_core.cli.common import (
    command,
    plural,
    print_json,
    print_table,
    whole_number,
    workspace,
)
from postmock_core.errors import PostmockError
from postmock_core.mock.configs import ON_MISS, MockStore, parse_delay
from postmock_core.mock.manage import (
    call_count,
    create_mock,
    delete_mock,
    describe_mock,
    edit_mock,
    header_list,
)

__all__ = ["add_commands"]


# -- commands ---------------------------------------------------------------------------------
def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed {text!r} is not a whole number") from None


def _create(args: argparse.Namespace) -> int:
    ws = workspace(args)
    made = create_mock(ws, args.collection, name=args.name, environment=args.env,
                       save_url_to_env=args.save_url_to_env, port=args.port,
                       delay_ms=parse_delay(args.delay), private=args.private,
                       match_body=args.match_body, match_headers=header_list(args.match_headers or ""),
                       on_miss=args.on_miss, call_log_cap=args.call_log_cap or None, seed=args.seed)
    mock = made.mock
    if args.json:
        print_json(describe_mock(ws, mock))
    else:
        print(f"created mock {mock.name} ({mock.id}) for collection {made.collection_name!r}")
        print(f"url: {mock.url}")
        if made.env_note:
            print(made.env_note)
        print(f"serve it with: postmock serve {mock.name!r}" if " " in mock.name
              else f"serve it with: postmock serve {mock.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    ws = workspace(args)
    described = [describe_mock(ws, m) for m in MockStore(ws).list()]
    if args.json:
        print_json(described)
        return 0
    if not described:
        print("no mocks; create one with: postmock mock create --collection NAME")
        return 0
    rows = []
    for d in described:
        state = "active" if d["state"] == "active" else "deactivated: " + d["deactivated_reason"]
        flags = ",".join(f for f in ("private" if d["private"] else "",
                                     f"delay={d['delay_ms']}ms" if d["delay_ms"] else "",
                                     f"miss={d['on_miss']}" if d["on_miss"] != "error" else "",
                                     f"seed={d['seed']}" if d["seed"] is not None else "") if f)
        rows.append((d["id"], d["name"], d["url"], d["collection"]["name"] or d["collection"]["id"],
                     flags, state))
    print_table(rows, ["ID", "NAME", "URL", "COLLECTION", "OPTIONS", "STATE"])
    return 0


def _show(args: argparse.Namespace) -> int:
    ws = workspace(args)
    mock = MockStore(ws).get(args.mock)
    d = describe_mock(ws, mock)
    d["calls"] = call_count(ws, mock)
    if args.json:
        print_json(d)
        return 0
    env = d["environment"]
    lines = [
        ("ID", d["id"]), ("Name", d["name"]), ("URL", d["url"]),
        ("State", d["state"] if d["state"] == "active" else f"deactivated: {d['deactivated_reason']}"),
        ("Collection", f"{d['collection']['name'] or '(deleted)'} ({d['collection']['id']})"),
        ("Environment", f"{env['name'] or '(deleted)'} ({env['id']})" if env else "none"),
        ("Private", "yes (x-api-key required)" if d["private"] else "no"),
        ("Delay", f"{d['delay_ms']} ms"),
        ("Match body", "yes" if d["match_body"] else "no"),
        ("Match headers", ", ".join(d["match_headers"]) or "none"),
        ("On miss", d["on_miss"]), ("Call log", f"{plural(d['calls'], 'call')}, keeps {d['call_log_cap']}"),
        ("Seed", "none (dynamic values are random)" if d["seed"] is None else str(d["seed"])),
        ("Created", d["created"]), ("Updated", d["updated"]),
    ]
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        print(f"{k.ljust(width)}  {v}")
    if mock.server_responses:
        print("Server responses:")
        for r in mock.server_responses:
            print(f"  {r.id}  {r.name}  {r.status}{'  ACTIVE' if r.active else ''}")
    return 0


def _edit(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.name is not None:
        changes["name"] = args.name
    if args.env is not None:
        changes["environment"] = args.env
    if args.no_env:
        changes["environment"] = None
    if args.delay is not None:
        changes["delay_ms"] = parse_delay(args.delay)
    if args.private is not None:
        changes["private"] = args.private
    if args.match_body is not None:
        changes["match_body"] = args.match_body
    if args.match_headers is not None:
        changes["match_headers"] = header_list(args.match_headers)
    if args.on_miss is not None:
        changes["on_miss"] = args.on_miss
    if args.port is not None:
        changes["port"] = args.port
    if args.call_log_cap is not None:
        changes["call_log_cap"] = args.call_log_cap or None
    if args.seed is not None and args.no_seed:
        raise PostmockError("give --seed N or --no-seed, not both")
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.no_seed:
        changes["seed"] = None
    if not changes:
        raise PostmockError("nothing to change: pass at least one option (see: postmock mock edit --help)")
    new = edit_mock(workspace(args), args.mock, **changes)
    print(f"updated mock {new.name} ({new.id}): {', '.join(sorted(changes))}; running servers use it "
          f"from the next call" + (" (postmock serve moves it to the new port; --engine mitmproxy needs a "
                                   "restart)" if "port" in changes else ""))
    return 0


def _delete(args: argparse.Namespace) -> int:
    mock = delete_mock(workspace(args), args.mock)
    print(f"deleted mock {mock.name} ({mock.id}) and its call log")
    return 0


# -- wiring -----------------------------------------------------------------------------------
def _mock_options(p: argparse.ArgumentParser, editing: bool) -> None:
    p.add_argument("--env", metavar="ENV", help="environment (name or ID) whose variables fill the examples")
    p.add_argument("--delay", metavar="none|2g|3g|MS", default=None if editing else "none",
                   help="answer after this delay: none, 2g (300 ms), 3g (100 ms) or milliseconds "
                        "(callers may override it per call with x-mock-response-delay)")
    if editing:
        g = p.add_mutually_exclusive_group()
        g.add_argument("--private", dest="private", action="store_true", default=None,
                       help="require a valid x-api-key (postmock key create)")
        g.add_argument("--public", dest="private", action="store_false", help="answer anyone")
        p.add_argument("--match-body", action=argparse.BooleanOptionalAction, default=None,
                       help="only examples whose request body matches the call's answer")
    else:
        p.add_argument("--private", action="store_true", help="require a valid x-api-key (postmock key create)")
        p.add_argument("--match-body", action="store_true",
                       help="only examples whose request body matches the call's answer")
    p.add_argument("--match-headers", metavar="NAMES",
                   help="only examples whose listed request headers match the call's answer "
                        "(comma-separated names; '' for none)")
    p.add_argument("--on-miss", choices=ON_MISS, default=None if editing else "error",
                   help="when no example matches: error (Postman's 404, default), passthrough (forward "
                        "to the real API), record (forward and save the exchange to history)")
    p.add_argument("--port", type=int, metavar="PORT",
                   help="the port of the mock's URL; 0 or none picks a free one from 7300")
    p.add_argument("--call-log-cap", type=whole_number, metavar="N",
                   help="calls kept in the mock's log (0: the workspace setting call_log_cap)")
    p.add_argument("--seed", type=_seed, metavar="N",
                   help="make every dynamic value ({{$guid}}, {{$randomEmail}}, {{$timestamp}}, ...) the "
                        "same on every call, so answers can be compared (callers may pick their own "
                        "per call with x-mock-seed: N); default: random values, as in Postman")
    if not editing:
        p.add_argument("--json", action="store_true", help="print the mock as JSON")


def add_commands(verbs: Any) -> None:
    """Add the mock management verbs to the `postmock mock` sub-command group."""
    p = command(verbs, "create", "create a mock server for a collection",
                "Create a mock server for a collection. It gets an ID and a stable URL "
                "http://127.0.0.1:PORT; run it with `postmock serve NAME`.")
    p.add_argument("--collection", required=True, metavar="COLLECTION", help="the collection (name or ID); fixed for the mock's life")
    p.add_argument("--name", help="the mock's name (default: the collection's)")
    p.add_argument("--save-url-to-env", metavar="ENV",
                   help="store the mock URL in variable 'url' of this environment (created if missing)")
    _mock_options(p, editing=False)
    p.set_defaults(func=_create)

    p = command(verbs, "list", "list mocks, their URLs and whether they are active")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = command(verbs, "show", "show one mock's configuration")
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_show)

    p = command(verbs, "edit", "change a mock's settings (all but its collection)",
                "Change a mock's settings. A running `postmock serve` uses them from the next call, "
                "and moves the mock to a new --port at once (with --engine mitmproxy, --port needs a "
                "restart).")
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.add_argument("--name", help="a new name")
    p.add_argument("--no-env", action="store_true", help="use no environment")
    p.add_argument("--no-seed", action="store_true", help="random dynamic values again (drop --seed)")
    _mock_options(p, editing=True)
    p.set_defaults(func=_edit)

    p = command(verbs, "delete", "delete a mock and its call log")
    p.add_argument("mock", metavar="MOCK", help="mock name or ID")
    p.set_defaults(func=_delete)

    mock_activity.add_commands(verbs)
