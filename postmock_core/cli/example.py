"""`postmock example ...`: save a history entry as an example (Postman's Save Response), list,
show, edit (status, headers, body) and delete saved examples."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from postmock_core.cli.common import command, parse_ids, print_json, print_table, workspace
from postmock_core.errors import PostmockError
from postmock_core.history.store import HistoryStore
from postmock_core.postman.collections import (
    CollectionStore,
    find_example,
    remove_example,
)
from postmock_core.postman.example_edit import edit_example, save_from_history
from postmock_core.postman.model import example_body, iter_examples

__all__ = ["register"]

Doc = dict[str, Any]

_EDIT_HELP = """\
Change a saved example. Every change is saved at once (the whole collection file is replaced
atomically), and a running mock answers with it on the next call.

examples:
  postmock example edit Shop "200 OK" --status 503 --set-header 'Retry-After: 30'
  postmock example edit Shop 000003-1a2b --body-file reply.json
  echo '{"ok": false}' | postmock example edit Shop "200 OK" --body-file -
  postmock example edit Shop "200 OK" --editor
"""

_SUFFIX = {"json": ".json", "html": ".html", "xml": ".xml", "javascript": ".js"}


def _save(args: argparse.Namespace) -> int:
    ws = workspace(args)
    ids = parse_ids([args.from_history])
    if len(ids) != 1:
        raise PostmockError("--from-history takes one history ID")
    doc, item, example, created = save_from_history(CollectionStore(ws), HistoryStore(ws),
                                                    args.collection, ids[0], args.name)
    where = "a new request" if created else "request"
    print(f"saved history entry {ids[0]} as example {example['name']!r} ({example['id']}) in "
          f"{where} {item['name']!r} of {doc['info']['name']!r}")
    return 0


def _list(args: argparse.Namespace) -> int:
    doc = CollectionStore(workspace(args)).load(args.collection)
    rows = []
    for item, ex in iter_examples(doc):
        url = ((ex.get("originalRequest") or {}).get("url") or {}).get("raw", "")
        method = (ex.get("originalRequest") or {}).get("method", "")
        rows.append({"id": ex.get("id"), "name": ex.get("name"), "code": ex.get("code"),
                     "method": method, "url": url, "request": item.get("name")})
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"collection {doc['info']['name']!r} has no examples yet")
    else:
        print_table([(r["id"], r["code"], r["method"], r["url"], r["name"]) for r in rows],
                    ("ID", "CODE", "METHOD", "URL", "NAME"))
    return 0


def _show(args: argparse.Namespace) -> int:
    store = CollectionStore(workspace(args))
    doc = store.load(args.collection)
    _, ex = find_example(doc, args.example)
    if args.json:
        print_json(ex)
        return 0
    body = example_body(ex, store.blobs)
    if args.body:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return 0
    req = ex.get("originalRequest") or {}
    print(f"example {ex.get('name')!r} ({ex.get('id')})")
    print(f"request: {req.get('method', '')} {(req.get('url') or {}).get('raw', '')}")
    print(f"{ex.get('code')} {ex.get('status', '')}")
    for h in ex.get("header") or []:
        if isinstance(h, dict):
            print(f"{h.get('key')}: {h.get('value')}" + ("  (disabled)" if h.get("disabled") else ""))
    print()
    blob = (ex.get("_postmock") or {}).get("bodyBlob")
    if blob:
        print(f"<{len(body)} bytes of binary body; print it with --body>")
    else:
        print(body.decode("utf-8"))
    return 0


def _read_body(args: argparse.Namespace, ex: Doc, blobs: Any) -> bytes | None:
    if args.body_file and args.editor:
        raise PostmockError("give either --body-file or --editor, not both")
    if args.body_file == "-":
        return sys.stdin.buffer.read()
    if args.body_file:
        try:
            return Path(args.body_file).read_bytes()
        except OSError as e:
            raise PostmockError(f"cannot read {args.body_file}: {e.strerror}") from None
    if not args.editor:
        return None
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise PostmockError("--editor needs $EDITOR (or $VISUAL) set, e.g. EDITOR=nano")
    suffix = _SUFFIX.get(str(ex.get("_postman_previewlanguage")), ".txt")
    with tempfile.TemporaryDirectory(prefix="postmock-") as tmp:
        path = Path(tmp) / f"body{suffix}"
        path.write_bytes(example_body(ex, blobs))
        try:
            code = subprocess.call([*shlex.split(editor), str(path)])
        except OSError as e:
            raise PostmockError(f"cannot run editor {editor!r}: {e.strerror}") from None
        if code != 0:
            raise PostmockError(f"editor {editor!r} exited with status {code}; the example was not changed")
        return path.read_bytes()


def _parse_header(text: str) -> tuple[str, str]:
    key, sep, value = text.partition(":")
    if not sep or not key.strip():
        raise PostmockError(f"--set-header {text!r} must look like 'Name: value'")
    return key.strip(), value.strip()


def _edit(args: argparse.Namespace) -> int:
    store = CollectionStore(workspace(args))
    _, current = find_example(store.load(args.collection), args.example)
    body = _read_body(args, current, store.blobs)  # outside the lock: an editor may take a while
    doc, ex, changed = edit_example(store, args.collection, str(current.get("id")), status=args.status,
                                    reason=args.reason,
                                    set_headers=[_parse_header(h) for h in args.set_header or []],
                                    remove_headers=args.remove_header or [], body=body, name=args.name)
    print(f"updated example {ex['name']!r} ({ex['id']}) in {doc['info']['name']!r}: {', '.join(changed)}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    with CollectionStore(workspace(args)).edit(args.collection) as doc:
        ex = remove_example(doc, args.example)
    print(f"deleted example {ex.get('name')!r} ({ex.get('id')}) from {doc['info']['name']!r}")
    return 0


def register(sub: Any) -> None:
    parser = command(sub, "example", "save, list, show, edit and delete saved examples",
                     "Saved examples are the responses a mock answers with. EXAMPLE is an example "
                     "ID or its (unique) name.")
    actions = parser.add_subparsers(dest="example_command", metavar="ACTION")
    actions.required = True

    p = command(actions, "save", "save a history entry as an example (Save Response)",
                "Add one history entry as a saved example to the request of COLLECTION with the "
                "same method and URL shape, or to a new request when none matches.")
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    p.add_argument("--from-history", required=True, metavar="ID", help="history entry ID")
    p.add_argument("--name", help="example name (default: status and what sets it apart)")
    p.set_defaults(func=_save)

    p = command(actions, "list", "list the examples of a collection")
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = command(actions, "show", "show one example: status, headers and body")
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    p.add_argument("example", metavar="EXAMPLE", help="example ID or name")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print the stored example document")
    g.add_argument("--body", action="store_true", help="print only the exact body bytes")
    p.set_defaults(func=_show)

    p = command(actions, "edit", "change an example's status, headers or body", _EDIT_HELP)
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    p.add_argument("example", metavar="EXAMPLE", help="example ID or name")
    p.add_argument("--status", type=int, metavar="CODE", help="new status code (reason follows unless --reason)")
    p.add_argument("--reason", metavar="TEXT", help="new reason phrase, e.g. 'Service Unavailable'")
    p.add_argument("--set-header", action="append", metavar="'NAME: VALUE'",
                   help="set a header, replacing any of that name (repeatable)")
    p.add_argument("--remove-header", action="append", metavar="NAME", help="remove a header (repeatable)")
    p.add_argument("--body-file", metavar="FILE", help="new body from FILE, or - for standard input")
    p.add_argument("--editor", action="store_true", help="edit the body in $EDITOR")
    p.add_argument("--name", help="rename the example (names stay unique)")
    p.set_defaults(func=_edit)

    p = command(actions, "delete", "delete an example")
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    p.add_argument("example", metavar="EXAMPLE", help="example ID or name")
    p.set_defaults(func=_delete)
