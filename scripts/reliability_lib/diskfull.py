"""A full disk under a recording proxy: traffic flows on, the problem is reported, nothing is
corrupted, and recording resumes by itself when space returns.

The workspace is a small tmpfs (root only: `mount -t tmpfs`); a filler file takes every free
byte, traffic goes through the proxy, then the filler is deleted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from support.procs import RECORD_ADDON, run_mitmdump, wait_until

from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

from .common import check_history, client, json_problems, sample_api

__all__ = ["DiskFullReport", "Unsupported", "run_diskfull", "tmpfs"]

REPORTED = "cannot write to the history store"
RESUMED = "recording resumed"


class Unsupported(Exception):
    """This machine cannot run the fault (no permission to mount a tmpfs)."""


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A private tmpfs of `size` mounted at `where` (unmounted after, lazily if still busy)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        raise Unsupported(f"cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(path: Path) -> int:
    """Write `path` until the disk is full; return how many bytes it took."""
    written = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                written += f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return written
                chunk = chunk[: len(chunk) // 2]


@dataclass
class DiskFullReport:
    before: int = 0  # exchanges stored before the disk filled
    during_sent: int = 0
    during_answered: int = 0  # of those, answered by the proxy while the disk was full
    stored_while_full: int = 0  # entries history held while full (must stay `before`)
    reported: bool = False  # mitmdump's output said so
    resumed_logged: bool = False
    after_sent: int = 0
    stored_final: int = 0
    missing: list[str] = field(default_factory=list)  # request tags answered but never stored
    problems: list[str] = field(default_factory=list)
    message: str = ""

    def lines(self) -> list[str]:
        return [
            f"stored before the disk filled: {self.before}",
            (f"while full: {self.during_answered}/{self.during_sent} requests answered by the proxy; "
             f"history stayed readable with {self.stored_while_full} entries; reported: {self.reported}"),
            f"  mitmdump said: {self.message}",
            (f"after freeing space: recording resumed ({'logged' if self.resumed_logged else 'not logged'}); "
             f"{self.stored_final} stored in all, missing {len(self.missing)}; problems {len(self.problems)}"),
            *[f"  {p}" for p in self.problems[:10]],
        ]


def _send(base: str, tags: list[str]) -> int:
    """Send each tag through the proxy; count the 200s. Every tenth carries a unique 12 KB body
    (echoed back), so its request and response go to new blob files."""
    ok = 0
    with client(base, timeout=15.0) as c:
        for tag in tags:
            try:
                if tag.endswith("7"):
                    r = c.post("/echo", params={"tag": tag}, content=os.urandom(6000).hex())
                else:
                    r = c.get("/echo", params={"tag": tag})
                ok += r.status_code == 200
            except httpx.HTTPError:
                pass
    return ok


def _tags(ws: Workspace) -> list[str]:
    docs, _ = check_history(ws)
    return [dict(d["request"].get("query") or []).get("tag", "") for d in docs.values()]


def run_diskfull(tmp: Path, size: str = "2m", during: int = 60,
                 log: Callable[[str], None] = lambda s: None) -> DiskFullReport:
    report = DiskFullReport()
    with tmpfs(tmp / "tmpfs", size) as disk, sample_api(tmp) as upstream:
        ws = Workspace.open(disk / "home")
        store = HistoryStore(ws)
        args = ["--mode", f"reverse:{upstream}", "-s", str(RECORD_ADDON), "--set", f"postmock_home={ws.root}",
                "--set", "flow_detail=0"]
        with run_mitmdump(tmp, args, name="diskfull") as proxy:
            first = [f"a{i}" for i in range(20)]
            _send(proxy.url, first)
            wait_until(lambda: store.count() >= len(first), 20, message="the first exchanges")
            report.before = store.count()
            filled = fill(disk / "filler")
            log(f"disk full after a {filled} byte filler")
            full = [f"b{i}" for i in range(during)]
            report.during_sent = len(full)
            report.during_answered = _send(proxy.url, full)
            report.reported = bool(wait_until(lambda: REPORTED in proxy.output(), 20, message="the report")) \
                if report.during_answered else False
            report.message = next((line.strip() for line in proxy.output().splitlines() if REPORTED in line), "")
            time.sleep(1.0)  # a few retries happen while the disk is still full
            docs, problems = check_history(ws)
            report.stored_while_full = len(docs)
            report.problems += [f"while full: {p}" for p in problems]
            os.unlink(disk / "filler")
            log("filler removed")
            after = [f"c{i}" for i in range(10)]
            report.after_sent = len(after)
            _send(proxy.url, after)
            want = len(first) + report.during_answered + len(after)
            with contextlib.suppress(AssertionError):
                wait_until(lambda: store.count() >= want, 30, message="recording to resume")
            report.resumed_logged = RESUMED in proxy.output()
            proxy.stop()
        tags = _tags(ws)
        report.stored_final = len(tags)
        report.missing = sorted(set(first + full + after) - set(tags))
        _, problems = check_history(ws)
        report.problems += problems + json_problems(ws.root)
        if len(tags) != len(set(tags)):
            report.problems.append(f"{len(tags) - len(set(tags))} exchanges stored twice")
    return report
