"""`postmock addon record|mock`: where the installed mitmproxy scripts are, for `mitmdump -s`."""

from __future__ import annotations

import argparse
from typing import Any

from postmock_core.cli.common import command
from postmock_core.mitm.addons import SCRIPTS, script_path

__all__ = ["register"]


def _addon(args: argparse.Namespace) -> int:
    print(script_path(args.name))
    return 0


def register(sub: Any) -> None:
    p = command(sub, "addon", "print the path of an installed mitmproxy script",
                "Print the absolute path of one of postmock's mitmproxy scripts, so any mitmproxy "
                "tool installed beside postmock can load it:\n\n"
                '  mitmdump -s "$(postmock addon record)"              # record into history\n'
                '  mitmdump --mode reverse:https://api.example.com -s "$(postmock addon record)"\n'
                '  mitmweb -s "$(postmock addon mock)" --set postmock_mock=NAME   # serve a mock\n\n'
                "record: the recorder (with --set postmock_mode=mock it answers for a mock's "
                "hosts); mock: standalone mock servers, as `postmock serve` runs them.")
    p.add_argument("name", choices=SCRIPTS, metavar="SCRIPT",
                   help="record: the recording proxy's script; mock: the mock server's script")
    p.set_defaults(func=_addon)
