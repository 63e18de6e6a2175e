"""kill -9 of a recording proxy under load: what the clients saw answered vs what history holds.

Each run starts `mitmdump --mode reverse:SAMPLE_API -s addons/record.py` on the same workspace,
sends a paced load through it, and SIGKILLs it at a seeded random moment. After each kill the
store must open, every entry must be whole, and every exchange a client saw answered more than
`window` seconds before the kill must be in history.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from support.procs import RECORD_ADDON, run_mitmdump, wait_until

from postmock_core.store.workspace import Workspace

from .common import PacedLoad, check_history, json_problems, sample_api, writer_pids

__all__ = ["CrashReport", "KillReport", "run_crash"]

POSTMOCK = str(Path(sys.executable).parent / "postmock")


@dataclass
class KillReport:
    run: int
    killed_after: float  # seconds into the load
    answered: int  # exchanges the clients saw answered 200 in this run
    stored: int  # of this run's exchanges, how many history holds
    lost: list[int]  # answered but not stored (request numbers)
    lost_early: list[int]  # of those, answered more than `window` s before the kill
    stored_unanswered: int  # stored, but the client never read the answer (in flight)
    duplicates: int
    problems: list[str]

    def line(self, window: float) -> str:
        early = "yes" if not self.lost_early else f"NO: {self.lost_early[:10]}"
        return (f"run {self.run}: killed {self.killed_after:.2f} s into the load; answered {self.answered}, "
                f"stored {self.stored}, lost {len(self.lost)} (all in the last {window:g} s: {early}), "
                f"in flight {self.stored_unanswered}, duplicates {self.duplicates}, "
                f"problems {len(self.problems)}")


@dataclass
class CrashReport:
    seed: int
    window: float
    runs: list[KillReport] = field(default_factory=list)
    entries: int = 0  # history entries after the last run

    @property
    def survived(self) -> int:
        return sum(1 for r in self.runs if not r.problems and not r.lost_early and not r.duplicates)

    def lines(self) -> list[str]:
        out = [f"seed {self.seed}; {len(self.runs)} kill -9 runs; loss window {self.window:g} s"]
        for r in self.runs:
            out.append("  " + r.line(self.window))
            out.extend(f"    {p}" for p in r.problems[:10])
        out.append(f"  survived {self.survived}/{len(self.runs)}; history holds {self.entries} entries, all whole")
        return out


def run_crash(tmp: Path, seed: int, kills: int = 5, seconds: float = 10.0, rate: float = 200.0,
              window: float = 1.0, log: Callable[[str], None] = lambda s: None,
              min_answered: int = 0) -> CrashReport:
    """Kill a recording proxy `kills` times under load, each at a seeded moment, and judge.

    With `min_answered`, a kill also waits until that many calls were answered (a busy machine
    answers fewer per second), but never past twenty times `seconds`.
    """
    rng = random.Random(seed)
    ws = Workspace.open(tmp / "home")
    report = CrashReport(seed, window)
    with sample_api(tmp) as upstream:
        for run in range(kills):
            at = rng.uniform(0.3, 0.9) * seconds
            args = ["-q", "--mode", f"reverse:{upstream}", "-s", str(RECORD_ADDON),
                    "--set", f"postmock_home={ws.root}"]
            with run_mitmdump(tmp / f"run-{run}", args, name=f"crash-{run}") as proxy:
                load = PacedLoad(proxy.url, rate, seconds * 20, tag=str(run)).start()
                time.sleep(max(0.0, load.started + at - time.monotonic()))
                hard = load.started + seconds * 20
                while len(load.ok()) < min_answered and time.monotonic() < hard:
                    time.sleep(0.05)
                proxy.kill()
                killed = time.monotonic()
                load.stop()
                load.join()
            # The writer sees its input close, stores what it was sent, and exits by itself.
            wait_until(lambda: not writer_pids(ws.root), 60, message="the recorder's writer to exit")
            report.runs.append(_judge(ws, run, load, killed, window))
            log(report.runs[-1].line(window))
    docs, _ = check_history(ws)
    report.entries = len(docs)
    return report


def _judge(ws: Workspace, run: int, load: PacedLoad, killed: float, window: float) -> KillReport:
    docs, problems = check_history(ws)
    problems += json_problems(ws.root)
    cli = subprocess.run([POSTMOCK, "--home", str(ws.root), "history", "list", "--limit", "3"],
                         capture_output=True, text=True, timeout=60, check=False)
    if cli.returncode != 0:
        problems.append(f"postmock history list failed after the kill: {cli.stderr.strip()}")
    numbers: list[int] = []
    for doc in docs.values():
        query = dict(doc["request"].get("query") or [])
        if query.get("run") == str(run):
            numbers.append(int(query["n"]))
    stored = set(numbers)
    answered = {a.n: a.at for a in load.ok()}
    lost = sorted(set(answered) - stored)
    return KillReport(
        run=run,
        killed_after=killed - load.started,
        answered=len(answered),
        stored=len(stored),
        lost=lost,
        lost_early=[n for n in lost if answered[n] < killed - window],
        stored_unanswered=len(stored - set(answered)),
        duplicates=len(numbers) - len(stored),
        problems=problems,
    )
