"""`postmock collection ...`: create (empty, from history, from a HAR file), list, show,
rename, delete, import and export Postman collections."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from postmock_core.cli.common import (
    add_yes_option,
    command,
    confirm,
    group,
    parse_ids,
    plural,
    print_json,
    print_table,
    progress,
    warn_unreadable,
    workspace,
)
from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange
from postmock_core.history.query import HistoryQuery
from postmock_core.history.store import HistoryStore
from postmock_core.mitm.filterexpr import compile_filter
from postmock_core.mock.configs import MockStore
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.exporter import export_collection, write_export
from postmock_core.postman.history_collection import create_collection_from_history
from postmock_core.postman.importer import read_collection_file
from postmock_core.postman.model import iter_examples, iter_items

__all__ = ["register"]

_CREATE_HELP = """\
Create a collection. Without a source it is empty. With --from-history each selected
history entry becomes a saved example (the filters are those of `postmock history list`;
--date DAY mocks every request of that day); entries with the same method and URL shape
become one request with several examples. --ids picks entries by ID. --from-har FILE
imports a HAR file into history first, then builds the collection from it.

examples:
  postmock collection create "Shop API" --from-history --host api.shop.test --status 2xx
  postmock collection create "Nov 21" --from-history --date 2026-11-21
  postmock collection create Picked --ids 3,5,9-12
  postmock collection create FromBrowser --from-har session.har
"""


def _from_har(history: HistoryStore, path: Path, allow_duplicates: bool) -> list[Exchange]:
    from postmock_core.history.har import read_har
    from postmock_core.history.redaction import Redactor

    if path.is_file() and path.stat().st_size == 0:
        raise PostmockError(f"cannot import {path}: the file is empty; nothing was created")
    imported = read_har(path)
    redactor = Redactor()
    exchanges = [redactor.exchange(ex, also=imported.secrets) for ex in imported.exchanges]
    for ex in exchanges:
        ex.source = "har"
    # The collection is built from every exchange of the file; those already in history (the
    # same HAR imported before) are not stored twice.
    results = history.import_docs([ex.to_doc(history.blobs) for ex in exchanges], allow_duplicates)
    for ex, (exchange_id, _) in zip(exchanges, results, strict=True):
        ex.id = exchange_id
    new = [i for i, fresh in results if fresh]
    span = f" (IDs {new[0]}-{new[-1]})" if len(new) > 1 else f" (ID {new[0]})" if new else ""
    again = len(results) - len(new)
    print(f"imported {plural(len(new), 'exchange')} from {path} into history{span}"
          + (f"; {again} already there" if again else ""))
    return exchanges


def _create(args: argparse.Namespace) -> int:
    ws = workspace(args)
    store = CollectionStore(ws)
    query = HistoryQuery.from_args(args, compile_filter)
    filtered = not query.is_empty or query.limit is not None
    if args.ids and filtered:
        raise PostmockError("give either --ids or history filters, not both")
    if filtered and not args.from_history:
        raise PostmockError("history filters need --from-history")
    if args.from_har and (args.from_history or args.ids):
        raise PostmockError("--from-har cannot be combined with --from-history or --ids")
    store.check_new_name(args.name)
    if not (args.from_history or args.ids or args.from_har):
        doc = store.create(args.name)
        print(f"created empty collection {args.name!r} ({doc['info']['_postman_id']})")
        return 0
    history = HistoryStore(ws)
    exchanges = _from_har(history, Path(args.from_har), args.allow_duplicates) if args.from_har else None
    result = create_collection_from_history(store, history, args.name, ids=parse_ids(args.ids or []),
                                            query=query if args.from_history else None,
                                            exchanges=exchanges, progress=progress)
    skipped, not_modified = len(result.skipped_failed), len(result.skipped_not_modified)
    notes = []
    if skipped:
        notes.append(f"skipped {plural(skipped, 'failed exchange')} (no response)")
    if not_modified:
        notes.append(f"skipped {plural(not_modified, 'bodiless 304 answer')} (cache revalidations)")
    if args.json:
        print_json({"id": result.doc["info"]["_postman_id"], "name": args.name, "requests": result.requests,
                    "examples": result.examples, "skipped_failed": result.skipped_failed,
                    "skipped_not_modified": result.skipped_not_modified, "incomplete": result.incomplete})
    else:
        print(f"created collection {args.name!r} ({result.doc['info']['_postman_id']}): "
              f"{plural(result.requests, 'request')}, {plural(result.examples, 'example')}"
              + "".join(f"; {n}" for n in notes))
        if result.incomplete:
            print(f"  {plural(result.incomplete, 'example')} without the whole response body (a browser left "
                  f"it out, or it was cut at postmock_body_limit): marked bodyIncomplete; add it with "
                  f"postmock example edit --body-file")
    return 0


def _list(args: argparse.Namespace) -> int:
    store = CollectionStore(workspace(args))
    summaries = store.list()
    bad = store.unreadable
    warn_unreadable(bad, "collection")
    if args.json:
        print_json([{"id": s.id, "name": s.name, "requests": s.requests, "examples": s.examples}
                    for s in summaries]
                   + [{"id": u.path.stem, "name": None, "file": str(u.path), "error": u.reason} for u in bad])
    elif not summaries and not bad:
        print("no collections yet; create one with: postmock collection create NAME --from-history")
    else:
        print_table([(s.id, s.requests, s.examples, s.name) for s in summaries]
                    + [(u.path.stem, "-", "-", f"(unreadable file {u.path.name}: {u.reason})") for u in bad],
                    ("ID", "REQUESTS", "EXAMPLES", "NAME"))
    return 0


def _show(args: argparse.Namespace) -> int:
    doc = CollectionStore(workspace(args)).load(args.collection)
    if args.json:
        print_json(doc)
        return 0
    info = doc["info"]
    print(f"{info['name']}  ({info['_postman_id']})")
    for v in doc.get("variable") or []:
        if isinstance(v, dict):
            print(f"  variable {v.get('key')} = {v.get('value', '')}" + ("  (disabled)" if v.get("disabled") else ""))
    shown_folders: list[str] = []
    for folders, item in iter_items(doc):
        for depth, folder in enumerate(folders):
            if shown_folders[:depth + 1] != folders[:depth + 1]:
                print(f"{'  ' * (depth + 1)}{folder}/")
        shown_folders = folders
        indent = "  " * (len(folders) + 1)
        req = item.get("request") or {}
        url = (req.get("url") or {}).get("raw", "")
        print(f"{indent}{req.get('method', 'GET')} {url}  [{item.get('name', '')}]")
        for ex in item.get("response") or []:
            print(f"{indent}  {ex.get('code')}  {ex.get('id')}  {ex.get('name')}")
    return 0


def _rename(args: argparse.Namespace) -> int:
    doc = CollectionStore(workspace(args)).rename(args.old, args.new)
    print(f"renamed collection {args.old!r} to {doc['info']['name']!r}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    ws = workspace(args)
    store = CollectionStore(ws)
    doc = store.load(args.collection)
    users = [m.name for m in MockStore(ws).list() if m.collection == doc["info"]["_postman_id"]]
    if users:
        confirm(args, f"{'mocks' if len(users) > 1 else 'mock'} {', '.join(users)} "
                      f"{'serve' if len(users) > 1 else 'serves'} collection {doc['info']['name']!r} and will be "
                      f"deactivated. Delete it?")
    summary = store.delete(doc["info"]["_postman_id"])
    print(f"deleted collection {summary.name!r} ({summary.id}, {plural(summary.examples, 'example')})"
          + (f"; deactivated mock{'s' if len(users) > 1 else ''} {', '.join(users)}" if users else ""))
    return 0


def _import(args: argparse.Namespace) -> int:
    store = CollectionStore(workspace(args))
    normalized = read_collection_file(Path(args.file), args.name, store.blobs)
    doc, replaced = store.import_normalized(normalized, replace=args.replace)
    requests = sum(1 for _ in iter_items(doc))
    examples = sum(1 for _ in iter_examples(doc))
    verb = "replaced" if replaced else "imported"
    print(f"{verb} collection {doc['info']['name']!r} ({doc['info']['_postman_id']}): "
          f"{plural(requests, 'request')}, {plural(examples, 'example')}")
    for line in normalized.notes.lines():  # one line per kind of part that was skipped
        print(f"postmock: warning: {line}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    store = CollectionStore(workspace(args))
    doc = store.load(args.collection)
    write_export(export_collection(doc, store.blobs), args.output)
    if args.output != "-":
        print(f"exported collection {doc['info']['name']!r} to {args.output} (Postman Collection v2.1)")
    return 0


def register(sub: Any) -> None:
    _, actions = group(sub, "collection", "create, list, show, rename, delete, import and export collections",
                       "Collections hold requests and their saved examples (Postman Collection v2.1).")

    p = command(actions, "create", "create a collection (empty, from history, or from a HAR file)", _CREATE_HELP)
    p.add_argument("name", metavar="NAME", help="name of the new collection (unique, any case)")
    p.add_argument("--from-history", action="store_true", help="build it from history entries chosen by the filters below")
    p.add_argument("--ids", nargs="+", metavar="ID", help="build it from these history IDs (3,5,9 or 3-9)")
    p.add_argument("--from-har", metavar="FILE", help="import a HAR file into history and build from it")
    p.add_argument("--allow-duplicates", action="store_true",
                   help="with --from-har: store exchanges already in history again")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    HistoryQuery.add_arguments(p)
    p.set_defaults(func=_create)

    p = command(actions, "list", "list collections")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = command(actions, "show", "show a collection's requests and examples")
    p.add_argument("collection", metavar="NAME", help="collection name or ID")
    p.add_argument("--json", action="store_true", help="print the stored collection document")
    p.set_defaults(func=_show)

    p = command(actions, "rename", "rename a collection (its ID stays)")
    p.add_argument("old", metavar="OLD", help="current name or ID")
    p.add_argument("new", metavar="NEW", help="new name")
    p.set_defaults(func=_rename)

    p = command(actions, "delete", "delete a collection",
                "Delete a collection. Mocks that serve it are deactivated: they are named, and you "
                "are asked first (--yes skips the question; without a terminal it is required).")
    p.add_argument("collection", metavar="NAME", help="collection name or ID")
    add_yes_option(p)
    p.set_defaults(func=_delete)

    p = command(actions, "import", "import a Postman Collection v2.1 or v2.0 file",
                "Import a Postman Collection (v2.1 or v2.0) file. Folders, requests, examples, "
                "variables, auth, scripts and descriptions are kept; examples without an ID get "
                "one. What Postman's own Collection SDK reads, postmock imports: parts the SDK "
                "drops or ignores (empty or nameless headers, null query entries, unknown body "
                "modes, ...) are skipped with one warning per kind. Only a file without items (or "
                "nested more than 200 levels deep) is refused (file, JSON path, problem), and "
                "then nothing is imported.")
    p.add_argument("file", metavar="FILE", help="the collection JSON file")
    p.add_argument("--name", help="store it under this name instead of the one in the file")
    p.add_argument("--replace", action="store_true",
                   help="replace an existing collection of the same name (it keeps its ID)")
    p.set_defaults(func=_import)

    p = command(actions, "export", "export a collection as a Postman Collection v2.1 file (to stdout unless -o)")
    p.add_argument("collection", metavar="NAME", help="collection name or ID")
    p.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="file to write (default: standard output)")
    p.set_defaults(func=_export)
