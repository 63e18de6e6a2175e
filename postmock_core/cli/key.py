"""`postmock key ...`: API keys that private mocks require in the x-api-key header."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from postmock_core.cli.common import command, group, print_json, print_table, workspace
from postmock_core.mock.configs import MockStore
from postmock_core.mock.keys import ApiKey, KeyStore
from postmock_core.mock.manage import create_key

__all__ = ["register"]


def _doc(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "name": key.name, "hint": "…" + key.hint, "created": key.created,
            "revoked": key.revoked, "active": key.active, "mocks": list(key.mocks)}


def _create(args: argparse.Namespace) -> int:
    ws = workspace(args)
    mocks = MockStore(ws)
    chosen = list({m.id: m for m in (mocks.get(ref) for ref in args.mock or ())}.values())
    key, secret = create_key(ws, args.name, tuple(m.id for m in chosen))
    for m in chosen:
        if not m.private:
            print(f"postmock: warning: mock {m.name} is public: it answers without a key, so this key "
                  f"changes nothing for it until it is private (postmock mock edit {m.name} --private)",
                  file=sys.stderr)
    if args.json:
        print_json({**_doc(key), "key": secret})
    else:
        # The key alone on standard output, so KEY=$(postmock key create ...) catches it.
        print(f"created API key {key.name} ({key.id}); it is shown only this once:", file=sys.stderr)
        print(secret)
    return 0


def _list(args: argparse.Namespace) -> int:
    keys = KeyStore(workspace(args)).list()
    if args.json:
        print_json([_doc(k) for k in keys])
    elif not keys:
        print("no API keys; create one with: postmock key create --name NAME")
    else:
        print_table([(k.id, k.name, "…" + k.hint, ", ".join(k.mocks) or "all private mocks", k.created,
                      "revoked " + k.revoked if k.revoked else "active")
                     for k in keys], ["ID", "NAME", "ENDS WITH", "OPENS", "CREATED", "STATE"])
    return 0


def _revoke(args: argparse.Namespace) -> int:
    key = KeyStore(workspace(args)).revoke(args.key)
    print(f"revoked API key {key.name} ({key.id}); running mocks refuse it from the next call")
    return 0


def register(sub: Any) -> None:
    _, verbs = group(sub, "key", "API keys for private mocks",
                     "Private mocks answer only calls whose x-api-key header holds an active key. "
                     "Keys are shown once when created and stored only as hashes.")

    p = command(verbs, "create", "create a key and print it once")
    p.add_argument("--name", metavar="NAME", help="a unique label to tell keys apart (default: the key's ID)")
    p.add_argument("--mock", action="append", metavar="MOCK",
                   help="the key opens only this mock (name or ID; repeatable); "
                        "without --mock it opens every private mock of the workspace")
    p.add_argument("--json", action="store_true", help="print the key and its details as JSON")
    p.set_defaults(func=_create)

    p = command(verbs, "list", "list keys (never the secrets)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = command(verbs, "revoke", "revoke a key (the key itself, its ID or its name); it stops working at once")
    p.add_argument("key", metavar="KEY", help="the key itself (PMAK-...), its ID or its name")
    p.set_defaults(func=_revoke)
