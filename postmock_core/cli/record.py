"""`postmock record`: run a recording proxy in-process until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from postmock_core.cli.common import command, workspace
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

__all__ = ["register"]

_MODES = ("regular, reverse:URL, upstream:URL, socks5, transparent, wireguard[:CONF], local[:APPS], "
          "tun[:NAME] or dns")


def _say(line: str) -> None:
    print(line, flush=True)


def _warn(line: str) -> None:
    print(f"postmock: warning: {line}", file=sys.stderr, flush=True)


def record(ws: Workspace, args: argparse.Namespace) -> int:
    """Record through mitmproxy until SIGINT/SIGTERM, then say how many exchanges were stored."""
    # mitmproxy is slow to import: only this command pays for it.
    from postmock_core.mitm.record_proxy import RecordSettings, run_record_proxy

    settings = RecordSettings(modes=tuple(args.mode or ["regular"]), listen_host=args.listen_host,
                              port=args.port, filter=args.filter, sets=tuple(args.set or ()))
    history = HistoryStore(ws)
    first = history.next_id()
    code = asyncio.run(run_record_proxy(ws, settings, _say, _warn))
    if code == 0:
        recorded = history.next_id() - first
        print(f"postmock: stopped; recorded {recorded} exchange{'' if recorded == 1 else 's'} into "
              f"{ws.history_dir} (see: postmock history list)", flush=True)
    return code


def _record(args: argparse.Namespace) -> int:
    return record(workspace(args), args)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535; 0 picks a free one)")
    return port


def register(sub: Any) -> None:
    p = command(sub, "record", "run a recording proxy: every exchange goes into history",
                "Run mitmproxy with postmock's recorder until Ctrl-C, the way\n"
                '`mitmdump -s "$(postmock addon record)"` does. Every exchange through it is redacted\n'
                "and stored in the workspace's history. It prints where it records, the proxy's\n"
                "address, and for HTTPS where mitmproxy's CA certificate is and how clients trust it.\n"
                "Ctrl-C (or SIGTERM) stores what is left and says how many exchanges were recorded.\n\n"
                "  postmock record                                          # proxy on 127.0.0.1:8080\n"
                "  postmock record --mode reverse:https://api.example.com   # in front of one API\n"
                "  postmock record --filter '~d api.example.com' --set ssl_insecure=true")
    p.add_argument("--mode", action="append", metavar="MODE",
                   help=f"mitmproxy's proxy mode: {_MODES} (default: regular; repeat for several)")
    p.add_argument("--listen-host", default="127.0.0.1", metavar="HOST",
                   help="the address to listen on (default: 127.0.0.1, this machine only; "
                        "any other address is warned about)")
    p.add_argument("--port", type=_port, metavar="PORT",
                   help="the port to listen on (default: the mode's own, 8080 for regular and reverse)")
    p.add_argument("--filter", metavar="EXPR",
                   help="record only flows matching this mitmproxy filter expression, e.g. "
                        "'~d api.example.com & !~a' (everything passes through either way)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="any mitmproxy or postmock_* option, as mitmdump's --set (repeatable), "
                        "e.g. --set ssl_insecure=true --set postmock_redact_extra_keys=pin")
    p.set_defaults(func=_record)
