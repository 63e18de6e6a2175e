"""`postmock mock`: the mock command group, and `explain`: which example answers a request and why."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from postmock_core.cli.common import command, group, print_json, print_table, workspace
from postmock_core.errors import PostmockError
from postmock_core.exchange import HttpRequest
from postmock_core.history.redaction import Redactor
from postmock_core.matching.matcher import Candidate, Matcher, MatchOptions, MatchResult
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.privacy import environment_masks
from postmock_core.mock.templating import unknown_variables
from postmock_core.store.blobs import BlobStore

__all__ = ["register"]

_EXPLAIN_HELP = """\
Run the matching algorithm for one request without serving anything, and show the example
that would answer, its score and the rule that decided it, any {{$dynamic}} variable in its
response that postmock does not know (sent as written), the runners-up, and why each dropped
example was dropped. x-mock-* headers given with -H work as they do on a mock.

Exit status: 0 when an example answers, 1 when none does, 2 on bad input.

TARGET is a mock (its collection, environment and matching options apply, and the request is
redacted as the mock would redact it) or a collection.

examples:
  postmock mock explain shop-mock --url /users/5
  postmock mock explain Shop -X POST --url '/orders?dry=1' -H 'Content-Type: application/json' \\
      --data '{"sku": "A1"}' --match-body
  postmock mock explain --collection-file shop.postman_collection.json --url /users/5 --json
"""


def _read_json(path: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise PostmockError(f"cannot read {what} {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise PostmockError(f"{what} {path} is not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise PostmockError(f"{what} {path} is not a JSON object")
    return data


Doc = dict[str, Any]


def _mock(args: argparse.Namespace) -> MockConfig | None:
    """The mock TARGET names, if it names one (a mock wins over a collection of that name)."""
    from postmock_core.mock.configs import MockStore

    store = MockStore(workspace(args))
    return next((m for m in store.list()
                 if m.id == args.target or m.name.lower() == args.target.lower()), None)


def _inputs(args: argparse.Namespace) -> tuple[Doc, Doc | None, BlobStore | None, MatchOptions]:
    """The collection, environment, blob store and options the command matches with."""
    wanted = [h.strip().lower() for value in args.match_headers or () for h in value.split(",") if h.strip()]
    options = MatchOptions(match_body=args.match_body, match_headers=tuple(dict.fromkeys(wanted)))
    env_ref = args.env
    if args.collection_file:
        if args.target:
            raise PostmockError("give a mock or collection NAME, or --collection-file, not both")
        collection = _read_json(args.collection_file, "collection file")
        blobs = None
    elif args.target:
        from postmock_core.postman.collections import CollectionStore

        store = CollectionStore(workspace(args))
        mock = _mock(args)
        if mock is not None:
            # Explain what the mock itself would do: its collection, environment and options.
            env_ref = env_ref or mock.environment
            options = MatchOptions(match_body=options.match_body or mock.match_body,
                                   match_headers=tuple(dict.fromkeys(
                                       (*mock.match_headers, *options.match_headers))))
        collection, blobs = store.load(mock.collection if mock else args.target), store.blobs
    else:
        raise PostmockError("name a mock or a collection (see: postmock mock list, "
                            "postmock collection list) or give --collection-file")
    environment = None
    if args.env_file:
        environment = _read_json(args.env_file, "environment file")
    elif env_ref:
        from postmock_core.postman.environments import EnvironmentStore

        environment = EnvironmentStore(workspace(args)).load(env_ref)
    return collection, environment, blobs, options


def _request(args: argparse.Namespace) -> HttpRequest:
    parts = urlsplit(args.url if "://" in args.url else "http://mock" + (
        args.url if args.url.startswith("/") else "/" + args.url))
    headers: list[tuple[str, str]] = []
    for h in args.header or []:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            raise PostmockError(f"header {h!r} is not 'Name: value'")
        headers.append((name.strip(), value.strip()))
    body = b""
    if args.data is not None:
        if args.data.startswith("@"):
            src = args.data[1:]
            try:
                body = sys.stdin.buffer.read() if src == "-" else Path(src).read_bytes()
            except OSError as e:
                raise PostmockError(f"cannot read {src}: {e.strerror or e}") from None
        else:
            body = args.data.encode("utf-8")
    method = args.method.strip().upper()
    if not method.isascii() or not method.replace("-", "").isalpha():
        raise PostmockError(f"{args.method!r} is not an HTTP method")
    return HttpRequest(method=method, scheme=parts.scheme or "http", host=parts.hostname or "mock",
                       path=parts.path or "/", query=parse_qsl(parts.query, keep_blank_values=True),
                       headers=headers, body=body)


_RUNNERS_UP = 10  # shown without --all


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _why_lost(c: Candidate, winner: Candidate | None) -> str:
    if winner is None or c.score is None or winner.score is None:
        return c.rule
    if c.score < winner.score:
        return f"{c.rule}; lower score"
    return f"{c.rule}; tie, {winner.example_id} comes first (status 200, then ID)"


def _print(request: HttpRequest, result: MatchResult, show_all: bool) -> None:
    target = request.path_with_query
    if result.example is not None:
        ex = result.example
        print(f"{request.method} {target} -> {ex.status} {ex.name!r} ({ex.id}), "
              f"score {_score(result.score)}")
        print(f"  rule: {result.rule}")
        print(f"  example: {ex.where}  [{ex.method} {ex.url or ex.display_path}]")
        if result.captures:
            caps = sorted(result.captures.items())
            print("  captures: " + ", ".join(f"{k}={v!r}" for k, v in caps))
        unknown = unknown_variables(ex)
        if unknown:
            print("  unknown dynamic variables, sent as written: "
                  + ", ".join("{{" + n + "}}" for n in unknown))
    else:
        err = result.error or {}
        print(f"{request.method} {target} -> {result.status} "
              f"{err.get('header', '')}: {err.get('message', '')}")
    kept = [c for c in result.candidates if not c.dropped]
    winner = kept[0] if result.example is not None and kept else None
    runners = kept[1:] if winner else kept
    if runners:
        shown = runners if show_all else runners[:_RUNNERS_UP]
        print("\nrunners-up:")
        print_table([(_score(c.score), c.name, c.example_id, _why_lost(c, winner))
                     for c in shown], ["SCORE", "EXAMPLE", "ID", "WHY IT LOST"])
        if len(shown) < len(runners):
            print(f"  ... and {len(runners) - len(shown)} more with lower or equal scores (--all lists them)")
    dropped = [c for c in result.candidates if c.dropped]
    if dropped and show_all:
        print(f"\ndropped ({len(dropped)}):")
        print_table([(c.name, c.example_id, c.rule) for c in dropped], ["EXAMPLE", "ID", "WHY"])
    elif dropped:
        # A big collection drops thousands of examples for a handful of reasons: count them.
        by_reason: dict[str, list[Candidate]] = {}
        for c in dropped:
            by_reason.setdefault(c.rule.split(":", 1)[0].strip(), []).append(c)
        print(f"\ndropped ({len(dropped)}; --all lists each one):")
        print_table([(reason, len(cs), f"{cs[0].name} ({cs[0].rule})")
                     for reason, cs in sorted(by_reason.items(), key=lambda kv: -len(kv[1]))],
                    ["REASON", "EXAMPLES", "FOR INSTANCE"])
    if result.example is None and result.nearest:
        print("\nnearest:")
        print_table([(_score(n["score"]), n["name"], n["id"], f"{n['method']} {n['url']}", n["why"])
                     for n in result.nearest], ["SCORE", "EXAMPLE", "ID", "REQUEST", "WHY"])


def _as_json(result: MatchResult) -> dict[str, Any]:
    ex = result.example
    return {
        "status": result.status,
        "match": None if ex is None else {
            "id": ex.id, "name": ex.name, "method": ex.method, "url": ex.url,
            "location": list(ex.location), "status": ex.status, "score": result.score,
            "rule": result.rule, "captures": result.captures,
            "unknown_variables": list(unknown_variables(ex)),
        },
        "error": result.error,
        "candidates": [{"id": c.example_id, "name": c.name, "score": c.score, "rule": c.rule,
                        "dropped": c.dropped} for c in result.candidates],
        "nearest": result.nearest,
    }


def _explain(args: argparse.Namespace) -> int:
    collection, environment, blobs, options = _inputs(args)
    # Redacted as a live mock redacts it, so recorded "[REDACTED]" values match the same way.
    request = Redactor().request(_request(args))
    result = Matcher(collection, environment, options, blobs).explain(request)
    # Secret environment values fill example URLs; shown, they are masked as `env show` masks them.
    masks = environment_masks(environment)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if args.json:
            print_json(_as_json(result))
        else:
            _print(request, result, args.all)
    sys.stdout.write(masks.scrub(out.getvalue()))
    return 0 if result.example is not None else 1


def register(sub: Any) -> None:
    _, verbs = group(sub, "mock", "mock servers: create, list, edit, call logs, explain matching")
    p = command(verbs, "explain", "show which example answers a request and why the others lost",
                _EXPLAIN_HELP)
    p.add_argument("target", nargs="?", metavar="TARGET",
                   help="mock name or ID (uses its collection, environment and matching "
                        "options), or a collection name or ID")
    p.add_argument("-X", "--method", metavar="METHOD", default="GET", help="request method (default: GET)")
    p.add_argument("--url", metavar="URL", required=True, help="request path with query, or a full URL")
    p.add_argument("-H", "--header", action="append", metavar="'NAME: VALUE'",
                   help="request header (repeatable), including x-mock-* headers")
    p.add_argument("--data", metavar="TEXT|@FILE",
                   help="request body; @FILE reads a file, @- standard input")
    p.add_argument("--env", metavar="ENV", help="environment name or ID whose variables apply")
    p.add_argument("--collection-file", metavar="FILE",
                   help="match against this collection JSON file instead of a stored one")
    p.add_argument("--env-file", metavar="FILE", help="environment JSON file whose variables apply")
    p.add_argument("--match-body", action="store_true", help="drop examples whose body differs")
    p.add_argument("--match-headers", action="append", metavar="NAMES",
                   help="drop examples whose values of these request headers differ (comma-separated, "
                        "repeatable), as mock create --match-headers")
    p.add_argument("--all", action="store_true",
                   help="list every runner-up and dropped example (default: the best 10 "
                        "runners-up and a count of dropped examples per reason)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_explain)

    from postmock_core.cli import mock_admin

    mock_admin.add_commands(verbs)
