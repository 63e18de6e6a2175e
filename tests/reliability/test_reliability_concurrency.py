"""One workspace, many writers at once: a recording proxy, a served mock, and the CLI editing
examples and deleting history, over 150 seeded mixed operations (1,000 in `scripts/reliability
concurrent`). No write may be lost and no file may be left corrupt."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.procs import REPO

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.concurrency import run_concurrent

pytestmark = pytest.mark.e2e

SEED = 7


def test_proxy_mock_and_cli_on_one_workspace_lose_nothing(tmp_path: Path) -> None:
    report = run_concurrent(tmp_path, SEED, operations=150, workers=3)
    print("\n" + "\n".join(report.lines()))
    assert sum(report.ops.values()) == 150
    assert report.ops.get("edit", 0) >= 10 and report.ops.get("delete", 0) >= 5 and report.ops.get("call", 0) >= 20
    assert not report.problems, report.problems
    assert not report.lost_edits, report.lost_edits
    assert not report.stale_calls, report.stale_calls
    assert not report.history_missing and not report.history_unexpected
    assert report.calls_logged == report.calls_made > 0
    assert report.ok
