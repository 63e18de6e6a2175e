"""`postmock example create|edit`: write an example by hand, or change one: its response
(status, headers, body) and its original request (method, URL, query, headers, body)."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from postmock_core.cli.common import command, parse_headers, workspace
from postmock_core.errors import PostmockError
from postmock_core.exchange import HttpResponse
from postmock_core.postman.collections import CollectionStore, example_name_taken, find_example
from postmock_core.postman.example_edit import apply_example_changes
from postmock_core.postman.example_request import create_example, edit_request, resolve_url
from postmock_core.postman.model import example_body, status_phrase
from postmock_core.store.names import check_name

__all__ = ["add_commands"]

Doc = dict[str, Any]

_CREATE_HELP = """\
Write an example by hand: the request it answers (method, URL, headers, body) and the
response it gives (status, headers, body). It joins the request of COLLECTION with the same
method and URL shape, or a new request. A path URL is put on the collection's {{baseUrl}}.
Bodies come from text, a file, or standard input (-).

examples:
  postmock example create Shop --url /users/42 --status 404 --body '{"error": "no such user"}' \\
      --set-header 'Content-Type: application/json' --name "user 42 missing"
  postmock example create Shop -X POST --url https://api.example.com/orders \\
      --set-request-header 'Content-Type: application/json' --data @order.json \\
      --status 201 --body-file created.json
"""

_EDIT_HELP = """\
Change a saved example: its response (status, headers, body, name) or the original request it
answers (method, URL, query, headers, body). Every change is saved at once (the collection
file is replaced atomically), and a running mock answers with it on the next call.

examples:
  postmock example edit Shop "200 OK" --status 503 --set-header 'Retry-After: 30'
  postmock example edit Shop 000003-1a2b --body-file reply.json
  echo '{"ok": false}' | postmock example edit Shop "200 OK" --body-file -
  postmock example edit Shop "200 OK" --editor
  postmock example edit Shop "200 OK" --url /users/7 --set-query page=2 --set-request-header 'X-Tenant: acme'
"""

_SUFFIX = {"json": ".json", "html": ".html", "xml": ".xml", "javascript": ".js"}


# -- reading bodies -----------------------------------------------------------------------------
def _stdin_once(args: argparse.Namespace) -> None:
    if getattr(args, "body_file", None) == "-" and getattr(args, "data", None) == "@-":
        raise PostmockError("standard input can feed --body-file - or --data @-, not both")


def _file(path: str, flag: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise PostmockError(f"cannot read {flag} {path}: {e.strerror}") from None


def _request_body(args: argparse.Namespace) -> bytes | None:
    """--data TEXT, @FILE or @- (standard input), as in `mock explain` and curl."""
    if args.data is None:
        return None
    return _file(args.data[1:], "--data") if args.data.startswith("@") else args.data.encode("utf-8")


def _editor_body(current: bytes, language: str) -> bytes:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise PostmockError("--editor needs $EDITOR (or $VISUAL) set, e.g. EDITOR=nano")
    with tempfile.TemporaryDirectory(prefix="postmock-") as tmp:
        path = Path(tmp) / f"body{_SUFFIX.get(language, '.txt')}"
        path.write_bytes(current)
        try:
            code = subprocess.call([*shlex.split(editor), str(path)])
        except OSError as e:
            raise PostmockError(f"cannot run editor {editor!r}: {e.strerror}") from None
        if code != 0:
            raise PostmockError(f"editor {editor!r} exited with status {code}; the example was not changed")
        return path.read_bytes()


def _response_body(args: argparse.Namespace, ex: Doc | None, blobs: Any) -> bytes | None:
    given = [f for f in ("body", "body_file", "editor") if getattr(args, f, None)]
    if len(given) > 1:
        raise PostmockError("give one of --body, --body-file and --editor")
    if args.body is not None:
        return str(args.body).encode("utf-8")
    if args.body_file:
        return _file(args.body_file, "--body-file")
    if getattr(args, "editor", False):
        current = example_body(ex, blobs) if ex is not None else b""
        return _editor_body(current, str((ex or {}).get("_postman_previewlanguage")))
    return None


def _query_pairs(values: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for v in values or []:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise PostmockError(f"--set-query {v!r} must look like name=value")
        out.append((key, value))
    return out


# -- create -------------------------------------------------------------------------------------
def _create(args: argparse.Namespace) -> int:
    _stdin_once(args)
    store = CollectionStore(workspace(args))
    request_body = _request_body(args)
    response_body = _response_body(args, None, store.blobs) or b""
    headers = parse_headers(args.set_header)
    with store.edit(args.collection) as doc:
        if args.name and example_name_taken(doc, args.name):
            raise PostmockError(f"an example named {args.name!r} already exists in {doc['info']['name']!r}; "
                                f"choose another --name")
        request = resolve_url(doc, args.url, args.method)
        request.headers = parse_headers(args.set_request_header)
        request.body = request_body or b""
        response = HttpResponse(args.status, args.reason or status_phrase(args.status), headers, response_body)
        item, example, created = create_example(doc, request, response, store.blobs, args.name)
    where = "a new request" if created else "request"
    print(f"created example {example['name']!r} ({example['id']}) in {where} {item['name']!r} of "
          f"{doc['info']['name']!r}")
    return 0


# -- edit ---------------------------------------------------------------------------------------
def _edit(args: argparse.Namespace) -> int:
    _stdin_once(args)
    if args.name:
        args.name = check_name(args.name, "an example name")
    store = CollectionStore(workspace(args))
    _, current = find_example(store.load(args.collection), args.example)
    body = _response_body(args, current, store.blobs)  # outside the lock: an editor may take a while
    request_body = _request_body(args)
    with store.edit(args.collection) as doc:
        _, ex = find_example(doc, str(current.get("id")))
        if args.name and example_name_taken(doc, args.name, except_id=ex.get("id")):
            raise PostmockError(f"an example named {args.name!r} already exists; choose another --name")
        changed = apply_example_changes(ex, store.blobs, status=args.status, reason=args.reason,
                                        set_headers=parse_headers(args.set_header),
                                        remove_headers=args.remove_header or [], body=body,
                                        name=args.name or None)
        changed += edit_request(doc, ex, store.blobs, method=args.method, url=args.url,
                                set_query=_query_pairs(args.set_query), remove_query=args.remove_query or [],
                                set_headers=parse_headers(args.set_request_header),
                                remove_headers=args.remove_request_header or [], body=request_body)
        if not changed:
            raise PostmockError("nothing to change: see postmock example edit --help for what can change")
    print(f"updated example {ex['name']!r} ({ex['id']}) in {doc['info']['name']!r}: {', '.join(changed)}")
    return 0


# -- wiring -------------------------------------------------------------------------------------
def _response_flags(p: argparse.ArgumentParser, editing: bool) -> None:
    g = p.add_argument_group("the response")
    g.add_argument("--status", type=int, metavar="STATUS", default=None if editing else 200,
                   help="status code" + (" (reason follows unless --reason)" if editing else " (default: 200)"))
    g.add_argument("--reason", metavar="TEXT", help="reason phrase, e.g. 'Service Unavailable'")
    g.add_argument("--set-header", action="append", metavar="'NAME: VALUE'",
                   help="set a response header, replacing any of that name (repeatable)")
    if editing:
        g.add_argument("--remove-header", action="append", metavar="NAME",
                       help="remove a response header (repeatable)")
    g.add_argument("--body", metavar="TEXT", help="response body text")
    g.add_argument("--body-file", metavar="FILE", help="response body from FILE, or - for standard input")
    if editing:
        g.add_argument("--editor", action="store_true", help="edit the response body in $EDITOR")
    p.add_argument("--name", metavar="NAME", help="the example's name (unique in the collection)")


def _request_flags(p: argparse.ArgumentParser, editing: bool) -> None:
    g = p.add_argument_group("the request it answers")
    g.add_argument("-X", "--method", metavar="METHOD", default=None if editing else "GET",
                   help="request method" + ("" if editing else " (default: GET)"))
    g.add_argument("--url", metavar="URL", required=not editing,
                   help="request URL with its query: full, {{var}}/path, or a path on {{baseUrl}}")
    if editing:
        g.add_argument("--set-query", action="append", metavar="NAME=VALUE",
                       help="set a query parameter (repeatable)")
        g.add_argument("--remove-query", action="append", metavar="NAME",
                       help="remove a query parameter (repeatable)")
    g.add_argument("--set-request-header", action="append", metavar="'NAME: VALUE'",
                   help="set a request header (repeatable)")
    if editing:
        g.add_argument("--remove-request-header", action="append", metavar="NAME",
                       help="remove a request header (repeatable)")
    g.add_argument("--data", metavar="TEXT|@FILE", help="request body; @FILE reads a file, @- standard input")


def add_commands(actions: Any) -> None:
    """Add `create` and `edit` to the `example` command."""
    p = command(actions, "create", "write an example by hand: a request and its response", _CREATE_HELP)
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    _request_flags(p, editing=False)
    _response_flags(p, editing=False)
    p.set_defaults(func=_create)

    p = command(actions, "edit", "change an example's response or the request it answers", _EDIT_HELP)
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    p.add_argument("example", metavar="EXAMPLE", help="example ID or name")
    _response_flags(p, editing=True)
    _request_flags(p, editing=True)
    p.set_defaults(func=_edit)
