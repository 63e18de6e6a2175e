"""`postmock mode [record|mock]`: show or switch the mode of the running recording proxies."""

from __future__ import annotations

import argparse
from typing import Any

from postmock_core.cli.common import command, print_json, workspace
from postmock_core.errors import PostmockError
from postmock_core.mock import proxycontrol
from postmock_core.mock.configs import MockStore

__all__ = ["register"]

ANSWER_TIMEOUT = 5.0  # proxies look for a request four times a second

_HELP = """\
Show or switch the mode of every recording proxy (mitmdump or mitmweb with
addons/record.py) running on this workspace. In record mode a proxy forwards and records;
in mock mode, calls to the hosts of a mock's collection are answered by that mock (never
recorded) and everything else is forwarded and recorded. This is the runtime form of
--set postmock_mode=record|mock (and postmock_mock=NAME).

examples:
  postmock mode                      # which proxies run, in which mode
  postmock mode mock --mock shop     # answer for the hosts of mock shop's collection
  postmock mode record               # back to forwarding and recording"""


def _describe(s: proxycontrol.ProxyStatus) -> str:
    mocks = f", mock {s.mock}" if s.mock else ""
    where = f" ({'; '.join(s.listen)})" if s.listen else ""
    return f"proxy {s.pid}{where}: {s.mode} mode{mocks}"


def _show(ws: Any, as_json: bool) -> int:
    proxies = proxycontrol.running_proxies(ws)
    if as_json:
        print_json([{"pid": s.pid, "mode": s.mode, "mock": s.mock, "listen": s.listen} for s in proxies])
    elif not proxies:
        print("no recording proxy is running on this workspace; start one with: "
              "mitmdump -s addons/record.py")
    else:
        for s in proxies:
            print(_describe(s))
    return 0


def _mode(args: argparse.Namespace) -> int:
    ws = workspace(args)
    if args.mode is None:
        if args.mock is not None:
            raise PostmockError("--mock needs a mode: postmock mode mock --mock NAME")
        return _show(ws, args.json)
    mock = None
    if args.mock is not None:
        mock = ",".join(MockStore(ws).get(name.strip()).name for name in args.mock.split(",") if name.strip())
    proxies = proxycontrol.running_proxies(ws)
    if not proxies:
        raise PostmockError(f"no recording proxy is running on workspace {ws.root}; start one with: "
                            f"mitmdump -s addons/record.py (with --set postmock_home={ws.root} if it "
                            f"is not the default)")
    if args.mode == "mock" and mock is None:
        bare = [s.pid for s in proxies if not s.mock]
        if bare:
            raise PostmockError(f"proxy {bare[0]} has no mock to answer with; name one: "
                                f"postmock mode mock --mock NAME (see: postmock mock list)")
    request = proxycontrol.request_switch(ws, args.mode, mock)
    answers = proxycontrol.wait_for_answers(ws, [s.pid for s in proxies], request.seq, ANSWER_TIMEOUT)
    problems = []
    for pid, status in answers.items():
        if status is None:
            problems.append(f"proxy {pid} did not answer within {ANSWER_TIMEOUT:g} s")
        elif status.error:
            problems.append(f"proxy {pid} refused: {status.error}")
        else:
            print(_describe(status))
    if problems:
        raise PostmockError("; ".join(problems))
    return 0


def register(sub: Any) -> None:
    p = command(sub, "mode", "show or switch running recording proxies between record and mock", _HELP)
    p.add_argument("mode", nargs="?", choices=proxycontrol.MODES, metavar="record|mock",
                   help="the mode to switch to (default: show the current mode)")
    p.add_argument("--mock", metavar="MOCK", help="in mock mode, the mock(s) that answer (name or ID, "
                                                  "comma-separated); default: the proxy's postmock_mock")
    p.add_argument("--json", action="store_true", help="with no mode: print the proxies as JSON")
    p.set_defaults(func=_mode)
