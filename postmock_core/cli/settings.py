"""`postmock settings ...`: workspace-wide settings."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from postmock_core.cli.common import command, group, print_json, print_table, workspace
from postmock_core.store.settings import describe, load_settings, save_setting

__all__ = ["register"]


def _show(args: argparse.Namespace) -> int:
    values = dataclasses.asdict(load_settings(workspace(args)))
    if args.json:
        print_json(values)
        return 0
    help_text = describe()
    print_table([(k, str(v).lower() if isinstance(v, bool) else v, help_text.get(k, ""))
                 for k, v in sorted(values.items())], ["SETTING", "VALUE", "MEANING"])
    return 0


def _set(args: argparse.Namespace) -> int:
    settings = save_setting(workspace(args), args.key, args.value)
    value = getattr(settings, args.key)
    print(f"{args.key} = {str(value).lower() if isinstance(value, bool) else value}")
    return 0


def register(sub: Any) -> None:
    keys = ", ".join(sorted(describe()))
    _, verbs = group(sub, "settings", "show or change workspace settings",
                     f"Workspace-wide settings, kept in settings.json. Known: {keys}.")

    p = command(verbs, "show", "show every setting and its value")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_show)

    p = command(verbs, "set", "change one setting", f"Change one setting. Known: {keys}.")
    p.add_argument("key", metavar="KEY", help=f"one of: {keys}")
    p.add_argument("value", metavar="VALUE", help="the new value (true/false, or a number)")
    p.set_defaults(func=_set)
