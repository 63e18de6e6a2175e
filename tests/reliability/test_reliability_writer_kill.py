"""kill -9 of the recorder's writer and of the call log writer under load: every answered
request is stored exactly once, and the log says how many were resent.
(`scripts/reliability writer-kill` runs the full version: each writer killed 3 times at 200/s.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.procs import REPO

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.writer_kill import run_writer_kill

pytestmark = pytest.mark.e2e


def test_killed_writers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    report = run_writer_kill(tmp_path, kills=1, rate=100.0, gap=2.5)
    print("\n".join(report.lines()))
    assert [r.writer for r in report.runs] == ["record_writer", "callwriter"]
    for run in report.runs:
        assert run.kills == 1 and run.answered > 150, run.line()
        assert run.lost == [] and run.duplicates == 0, run.line()
        assert not run.problems, run.problems
    assert report.ok
