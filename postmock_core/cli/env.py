"""`postmock env ...`: Postman environments (import, list, show, set, unset, export, delete)."""

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
    plural,
    print_json,
    print_table,
    warn_unreadable,
    workspace,
)
from postmock_core.mock.configs import MockStore
from postmock_core.postman.environments import SECRET_MASK, EnvironmentStore
from postmock_core.postman.exporter import write_export
from postmock_core.postman.lenient import Notes

__all__ = ["register"]



def _import(args: argparse.Namespace) -> int:
    notes = Notes()
    doc, replaced = EnvironmentStore(workspace(args)).import_file(Path(args.file), args.name, args.replace, notes)
    print(f"{'replaced' if replaced else 'imported'} environment {doc['name']!r} ({doc['id']}): "
          f"{plural(len(doc['values']), 'variable')}")
    for line in notes.lines():  # one line per kind of part that was skipped
        print(f"postmock: warning: {line}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    store = EnvironmentStore(workspace(args))
    envs = store.list()
    bad = store.unreadable
    warn_unreadable(bad, "environment")
    if args.json:
        print_json([{"id": e.id, "name": e.name, "values": e.values, "enabled": e.enabled} for e in envs]
                   + [{"id": u.path.stem, "name": None, "file": str(u.path), "error": u.reason} for u in bad])
    elif not envs and not bad:
        print("no environments yet; import one with: postmock env import FILE")
    else:
        print_table([(e.id, e.values, e.enabled, e.name) for e in envs]
                    + [(u.path.stem, "-", "-", f"(unreadable file {u.path.name}: {u.reason})") for u in bad],
                    ("ID", "VALUES", "ENABLED", "NAME"))
    return 0


def _show(args: argparse.Namespace) -> int:
    doc = EnvironmentStore(workspace(args)).load(args.environment)
    if args.json:
        print_json(doc)
        return 0
    print(f"{doc['name']}  ({doc['id']})")
    rows = []
    for v in doc["values"]:
        secret = v.get("type") == "secret" and not args.reveal
        rows.append((v["key"], "yes" if v.get("enabled", True) else "no", v.get("type", "default"),
                     SECRET_MASK if secret else v.get("value", "")))
    if rows:
        print_table(rows, ("KEY", "ENABLED", "TYPE", "VALUE"))
    return 0


def _set(args: argparse.Namespace) -> int:
    doc, created = EnvironmentStore(workspace(args)).set(args.environment, args.key, args.value, args.secret)
    prefix = f"created environment {doc['name']!r} and set" if created else "set"
    print(f"{prefix} {args.key} in {doc['name']!r}")
    return 0


def _unset(args: argparse.Namespace) -> int:
    doc = EnvironmentStore(workspace(args)).unset(args.environment, args.key)
    print(f"removed {args.key} from {doc['name']!r}")
    return 0


def _export(args: argparse.Namespace) -> int:
    doc = EnvironmentStore(workspace(args)).load(args.environment)
    write_export(doc, args.output)
    if args.output != "-":
        print(f"exported environment {doc['name']!r} to {args.output}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    ws = workspace(args)
    store = EnvironmentStore(ws)
    doc = store.load(args.environment)
    users = [m.name for m in MockStore(ws).list() if m.environment == doc["id"]]
    if users:
        confirm(args, f"mock{'s' if len(users) > 1 else ''} {', '.join(users)} "
                      f"{'use' if len(users) > 1 else 'uses'} environment {doc['name']!r} and will be "
                      f"deactivated. Delete it?")
    store.delete(doc["id"])
    print(f"deleted environment {doc['name']!r} ({doc['id']})"
          + (f"; deactivated mock{'s' if len(users) > 1 else ''} {', '.join(users)}" if users else ""))
    return 0


def register(sub: Any) -> None:
    _, actions = group(sub, "env", "manage Postman environments (variables a mock fills in)",
                       "Environments are named sets of variables in Postman's environment format. A "
                       "mock can use one; its values win over collection variables of the same name.")

    p = command(actions, "import", "import a Postman environment file",
                "Import a Postman environment file. What Postman's own SDK reads as an environment, "
                "postmock imports: variables without a name are skipped with one warning per kind. "
                "Only a file without \"values\" is refused, and then nothing is imported.")
    p.add_argument("file", metavar="FILE", help="the environment JSON file")
    p.add_argument("--name", help="store it under this name instead of the one in the file")
    p.add_argument("--replace", action="store_true", help="replace an environment of the same name")
    p.set_defaults(func=_import)

    p = command(actions, "list", "list environments")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = command(actions, "show", "show an environment's variables")
    p.add_argument("environment", metavar="NAME", help="environment name or ID")
    p.add_argument("--json", action="store_true", help="print the stored document (secrets included)")
    p.add_argument("--reveal", action="store_true", help="show secret values instead of ******")
    p.set_defaults(func=_show)

    p = command(actions, "set", "set a variable (creates the environment if it does not exist)")
    p.add_argument("environment", metavar="NAME", help="environment name or ID")
    p.add_argument("key", metavar="KEY", help="variable name")
    p.add_argument("value", metavar="VALUE", help="variable value")
    p.add_argument("--secret", action="store_true", help="mark the value secret (masked by show)")
    p.set_defaults(func=_set)

    p = command(actions, "unset", "remove a variable")
    p.add_argument("environment", metavar="NAME", help="environment name or ID")
    p.add_argument("key", metavar="KEY", help="variable name")
    p.set_defaults(func=_unset)

    p = command(actions, "export", "export an environment as a Postman environment file (to stdout unless -o)")
    p.add_argument("environment", metavar="NAME", help="environment name or ID")
    p.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="file to write (default: standard output)")
    p.set_defaults(func=_export)

    p = command(actions, "delete", "delete an environment",
                "Delete an environment. Mocks that use it are deactivated: they are named, and you "
                "are asked first (--yes skips the question; without a terminal it is required).")
    p.add_argument("environment", metavar="NAME", help="environment name or ID")
    add_yes_option(p)
    p.set_defaults(func=_delete)
