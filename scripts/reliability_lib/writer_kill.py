"""kill -9 of the writer processes under load: every answered request is stored exactly once.

Two runs. A recording proxy (`mitmdump --mode reverse:SAMPLE_API -s addons/record.py`) and a
mock (`postmock serve`) each take a paced load while their writer child
(`postmock_core.mitm.record_writer`, `postmock_core.mock.callwriter`) is SIGKILLed `kills`
times, a few seconds apart. The proxy and the mock are then stopped cleanly, and history and
the call log are compared with what the clients saw answered: none may be missing (lost), none
stored twice (duplicated). The processes' logs must say how many were resent.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from support.mockkit import make_mock, run_serve
from support.procs import RECORD_ADDON, free_port, run_mitmdump, wait_until

from postmock_core.mock.calllog import CallLog
from postmock_core.store.workspace import Workspace

from .common import PacedLoad, check_history, json_problems, our_errors, sample_api, writer_pids

__all__ = ["WriterKillReport", "WriterRun", "run_writer_kill"]

RECORD_WRITER = "postmock_core.mitm.record_writer"
CALL_WRITER = "postmock_core.mock.callwriter"
_RESENT = re.compile(r"resending (\d+) unacknowledged")


@dataclass
class WriterRun:
    writer: str
    kills: int = 0  # writer processes killed
    answered: int = 0  # requests the clients saw answered
    stored: int = 0  # of those, how many are stored
    lost: list[int] = field(default_factory=list)
    duplicates: int = 0
    resent: int = 0  # what the logs say was resent
    rate: float = 0.0  # answered requests per second achieved
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.writer}: killed {self.kills} time(s) under {self.rate:.0f} answers/s; answered {self.answered}, "
                f"stored {self.stored}, "
                f"lost {len(self.lost)}, duplicated {self.duplicates}, resent {self.resent}; "
                f"problems {len(self.problems)}")


@dataclass
class WriterKillReport:
    runs: list[WriterRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(not r.lost and not r.duplicates and not r.problems and r.kills for r in self.runs)

    def lines(self) -> list[str]:
        out = [r.line() for r in self.runs]
        for r in self.runs:
            out += [f"  {r.writer}: {p}" for p in r.problems[:10]]
            if r.lost:
                out.append(f"  {r.writer}: lost request numbers {r.lost[:20]}")
        return out


def _writer_pid(root: Path, module: str) -> int | None:
    for pid in writer_pids(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if module.encode() in cmdline:
            return pid
    return None


def _kill_writers(root: Path, module: str, load: PacedLoad, kills: int, gap: float, run: WriterRun,
                  log: Callable[[str], None]) -> None:
    """SIGKILL the writer `kills` times, `gap` seconds apart, each time once a new one serves."""
    last: int | None = None
    for i in range(kills):
        time.sleep(max(0.0, load.started + (i + 0.5) * gap - time.monotonic()))
        pid = wait_until(lambda last=last: (p := _writer_pid(root, module)) != last and p, 30,  # type: ignore[misc]
                         message=f"a {module} process to kill")
        os.kill(pid, signal.SIGKILL)
        last = pid
        run.kills += 1
        log(f"  killed {module} (pid {pid}) {time.monotonic() - load.started:.1f} s into the load")


def _finish(load: PacedLoad, seconds: float) -> None:
    """Let the load run its course (a loaded machine may lag), then stop it: no request may still
    be in flight when the server is stopped, or its answer could race the shutdown."""
    load.join(seconds + 30)
    load.stop()
    load.join(30)


def _numbers(queries: list[str], tag: str) -> list[int]:
    out = []
    for q in queries:
        args = dict(parse_qsl(q))
        if args.get("run") == tag and args.get("n", "").isdigit():
            out.append(int(args["n"]))
    return out


def _judge(run: WriterRun, load: PacedLoad, seconds: float, numbers: list[int], output: str) -> None:
    answered = {a.n for a in load.ok()}
    stored = set(numbers)
    run.answered = len(answered)
    # The rate the writers were killed under: answers while the kills went on.
    run.rate = sum(1 for a in load.ok() if a.at - load.started <= seconds) / seconds
    run.stored = len(answered & stored)
    run.lost = sorted(answered - stored)
    run.duplicates = sum(c - 1 for c in Counter(numbers).values() if c > 1)
    run.resent = sum(int(n) for n in _RESENT.findall(output))
    run.problems += our_errors(output)
    if load.failures:
        run.problems.append(f"{load.failures} request(s) failed at the client")


def _record(tmp: Path, ws: Workspace, kills: int, rate: float, gap: float, log: Callable[[str], None]) -> WriterRun:
    run = WriterRun("record_writer")
    seconds = kills * gap + 1.0
    with sample_api(tmp) as upstream:
        args = ["--mode", f"reverse:{upstream}", "-s", str(RECORD_ADDON), "--set", f"postmock_home={ws.root}",
                "--set", "flow_detail=0"]
        with run_mitmdump(tmp / "record", args, name="writer-kill-record") as proxy:
            load = PacedLoad(proxy.url, rate, seconds, tag="record").start()
            _kill_writers(ws.root, RECORD_WRITER, load, kills, gap, run, log)
            _finish(load, seconds)
            proxy.stop(60)
            output = proxy.output()
    wait_until(lambda: not writer_pids(ws.root), 60, message="the recorder's writer to exit")
    docs, problems = check_history(ws)
    run.problems += problems + json_problems(ws.root / "history")
    queries = ["&".join(f"{k}={v}" for k, v in d["request"].get("query") or []) for d in docs.values()]
    _judge(run, load, seconds, _numbers(queries, "record"), output)
    return run


def _calls(tmp: Path, ws: Workspace, kills: int, rate: float, gap: float, log: Callable[[str], None]) -> WriterRun:
    run = WriterRun("callwriter")
    seconds = kills * gap + 1.0
    mock = make_mock(ws, "writer-kill", free_port(), call_log_cap=1_000_000)
    with run_serve(ws.root, [mock], tmp / "serve") as served:
        load = PacedLoad(mock.url, rate, seconds, tag="calls", path="/users/1").start()
        _kill_writers(ws.root, CALL_WRITER, load, kills, gap, run, log)
        _finish(load, seconds)
        served.stop(60)
        output = served.output()
    wait_until(lambda: not _writer_pid(ws.root, CALL_WRITER), 60, message="the call log writer to exit")
    queries = [str(d.get("query") or "") for _, d in CallLog(ws, mock.id).query()]
    _judge(run, load, seconds, _numbers(queries, "calls"), output)
    return run


def run_writer_kill(tmp: Path, kills: int = 3, rate: float = 200.0, gap: float = 6.0,
                    log: Callable[[str], None] = lambda s: None) -> WriterKillReport:
    """Both runs; `gap` seconds between kills (the respawn delay is 5 s, so a writer killed
    sooner is replaced only then: its successor still gets everything)."""
    report = WriterKillReport()
    for name, runner in (("record", _record), ("calls", _calls)):
        folder = tmp / name
        folder.mkdir(parents=True, exist_ok=True)
        report.runs.append(runner(folder, Workspace.open(folder / "home"), kills, rate, gap, log))
        log(report.runs[-1].line())
    return report
