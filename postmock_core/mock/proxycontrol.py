"""Switching running recording proxies between record and mock mode through the workspace.

A recording proxy (mitmdump/mitmweb with addons/record.py) publishes what it does in
`<workspace>/proxies/<pid>.json`. `postmock mode` writes a numbered request to
`proxies/switch.json`; every proxy of the workspace that was running when it was written
applies it, and answers in its status file with the request's number and any error. No port,
token or web UI is needed: the CLI and the proxies already share the workspace.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from postmock_core.errors import PostmockError
from postmock_core.store.storage import file_lock, read_json, write_json
from postmock_core.store.workspace import Workspace

__all__ = ["MODES", "ProxyStatus", "SwitchRequest", "publish", "read_request", "request_switch",
           "running_proxies", "unpublish", "wait_for_answers"]

MODES = ("record", "mock")
_FOLDER = "proxies"
_REQUEST = "switch.json"


@dataclass
class SwitchRequest:
    """One `postmock mode` call: the mode to switch to, and optionally the mocks to use."""

    seq: int
    mode: str
    mock: str | None = None
    time: float = 0.0


@dataclass
class ProxyStatus:
    """What one running proxy says about itself."""

    pid: int
    mode: str
    mock: str = ""
    answered: int = 0  # the number of the last switch request it handled
    error: str | None = None  # why it refused that request, if it did
    listen: list[str] = field(default_factory=list)
    updated: float = 0.0


def _folder(ws: Workspace) -> Path:
    return ws.dir(_FOLDER)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(ws: Workspace, status: ProxyStatus) -> None:
    """Write (replace) this proxy's status file."""
    status.updated = time.time()
    write_json(_folder(ws) / f"{status.pid}.json", asdict(status))


def unpublish(ws: Workspace, pid: int) -> None:
    """Remove a proxy's status file when it stops."""
    with contextlib.suppress(FileNotFoundError):
        (_folder(ws) / f"{pid}.json").unlink()


def running_proxies(ws: Workspace) -> list[ProxyStatus]:
    """The proxies running on this workspace; files left by killed ones are removed."""
    found = []
    for path in sorted(_folder(ws).glob("[0-9]*.json")):
        try:
            doc = read_json(path)
            status = ProxyStatus(**doc) if isinstance(doc, dict) else None
        except (PostmockError, TypeError):
            status = None
        if status is None or not _alive(status.pid):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        found.append(status)
    return found


def read_request(ws: Workspace) -> SwitchRequest | None:
    """The latest switch request, or None."""
    try:
        doc = read_json(_folder(ws) / _REQUEST)
        return SwitchRequest(**doc) if isinstance(doc, dict) else None
    except (PostmockError, TypeError):
        return None


def request_switch(ws: Workspace, mode: str, mock: str | None) -> SwitchRequest:
    """Ask every running proxy of the workspace to switch; returns the numbered request."""
    if mode not in MODES:
        raise PostmockError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    path = _folder(ws) / _REQUEST
    with file_lock(path):
        last = read_request(ws)
        request = SwitchRequest((last.seq if last else 0) + 1, mode, mock, time.time())
        write_json(path, asdict(request))
    return request


def wait_for_answers(ws: Workspace, pids: list[int], seq: int, timeout: float) -> dict[int, ProxyStatus | None]:
    """Each proxy's status once it answered request `seq` (None: it did not, or it stopped)."""
    deadline = time.monotonic() + timeout
    while True:
        current: dict[int, Any] = {s.pid: s for s in running_proxies(ws)}
        answers = {pid: current.get(pid) for pid in pids}
        if all(s is None or s.answered >= seq for s in answers.values()) or time.monotonic() > deadline:
            return {pid: s if s is not None and s.answered >= seq else None for pid, s in answers.items()}
        time.sleep(0.05)
