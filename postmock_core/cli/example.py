"""`postmock example ...`: save a history entry as an example (Postman's Save Response), list,
show and delete saved examples (`create` and `edit` are in `example_write`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from postmock_core.cli import example_write
from postmock_core.cli.common import command, group, parse_ids, print_json, print_table, workspace
from postmock_core.errors import PostmockError
from postmock_core.history.store import HistoryStore
from postmock_core.postman.collections import (
    CollectionStore,
    find_example,
    remove_example,
)
from postmock_core.postman.example_edit import save_from_history
from postmock_core.postman.model import example_body, iter_examples

__all__ = ["register"]

Doc = dict[str, Any]

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
    if (ex.get("_postmock") or {}).get("bodyIncomplete"):
        print("(the recorded body is not whole: a browser left it out, or it was cut at postmock_body_limit)")
    blob = (ex.get("_postmock") or {}).get("bodyBlob")
    if blob:
        print(f"<{len(body)} bytes of binary body; print it with --body>")
    else:
        print(body.decode("utf-8"))
    return 0


def _delete(args: argparse.Namespace) -> int:
    with CollectionStore(workspace(args)).edit(args.collection) as doc:
        ex = remove_example(doc, args.example)
    print(f"deleted example {ex.get('name')!r} ({ex.get('id')}) from {doc['info']['name']!r}")
    return 0


def register(sub: Any) -> None:
    _, actions = group(sub, "example", "save, create, list, show, edit and delete saved examples",
                       "Saved examples are the responses a mock answers with. EXAMPLE is an example "
                       "ID or its (unique) name.")

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

    p = command(actions, "delete", "delete an example")
    p.add_argument("collection", metavar="COLLECTION", help="collection name or ID")
    p.add_argument("example", metavar="EXAMPLE", help="example ID or name")
    p.set_defaults(func=_delete)

    example_write.add_commands(actions)
