"""`postmock ui`: open the dashboard of the running `postmock serve`, or start one."""

from __future__ import annotations

import argparse
import subprocess
import sys
import webbrowser
from typing import Any

from postmock_core.cli.common import command, workspace
from postmock_core.errors import PostmockError

__all__ = ["register"]

_HELP = """\
Open the dashboard in a browser. When a `postmock serve` runs on this workspace, a fresh
one-time login link to its dashboard is opened (and printed); otherwise `postmock serve` is
started here (serving every active mock, with the admin API and dashboard) and its link opened.

examples:
  postmock ui
  postmock ui --no-browser          # only print the link
"""


def _open(link: str, browser: bool) -> None:
    if browser and not webbrowser.open(link):
        print("postmock: no browser could be opened; open the link yourself", file=sys.stderr)


def _ui(args: argparse.Namespace) -> int:
    from postmock_core.admin.server import login_link, running_admin

    ws = workspace(args)
    url = running_admin(ws)
    if url is not None:
        link = login_link(ws, url)
        print(f"dashboard of the postmock serve running at {url}:")
        print(link, flush=True)
        _open(link, not args.no_browser)
        return 0
    if args.no_start:
        raise PostmockError("no postmock serve is running on this workspace; start one with "
                            "`postmock serve`, or run `postmock ui` without --no-start")
    argv = [sys.executable, "-m", "postmock_core", "--home", str(ws.root), "serve"]
    if args.admin:
        argv += ["--admin", args.admin]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert child.stdout is not None
    try:
        for line in child.stdout:
            print(line, end="", flush=True)
            if line.startswith("dashboard: "):
                _open(line.split(" ", 1)[1].strip(), not args.no_browser)
        return child.wait()
    except KeyboardInterrupt:  # the child got the same Ctrl-C and stops by itself
        return child.wait()


def register(sub: Any) -> None:
    p = command(sub, "ui", "open the dashboard (of the running postmock serve, or start one)", _HELP)
    p.add_argument("--no-browser", action="store_true", help="print the login link instead of opening a browser")
    p.add_argument("--no-start", action="store_true",
                   help="fail instead of starting postmock serve when none is running")
    p.add_argument("--admin", metavar="HOST:PORT",
                   help="where a postmock serve started here listens for the dashboard (default: 127.0.0.1:7299)")
    p.set_defaults(func=_ui)
