"""An upstream that dies mid-response behind a passthrough (and a recording) mock: every broken
answer reaches the client as a clear 502, the mock keeps answering, the recording mock stores
each failure as a whole exchange with its error, and the call log shows the 502s."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.procs import REPO

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.passthrough import BREAKAGES, run_passthrough

pytestmark = pytest.mark.e2e


def test_upstream_dying_mid_response(tmp_path: Path) -> None:
    report = run_passthrough(tmp_path)
    print("\n" + "\n".join(report.lines()))
    assert report.cases == {path: 502 for path in BREAKAGES}
    for path, body in report.bodies.items():
        assert body.strip(), f"{path}: a 502 without a word of explanation"
    assert report.served_after == report.healthy == 2 * len(BREAKAGES)
    assert report.recorded_failures == len(BREAKAGES)
    assert report.logged_502 == 2 * len(BREAKAGES)
    assert report.skipped_failures == len(BREAKAGES) and report.examples_from_failures == 0
    assert not report.problems, report.problems
