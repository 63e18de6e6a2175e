"""A served mock under 50 concurrent connections for 3 seconds (and at least 200 calls): no errors, every answer the
right one, and the call log ends exactly at its (small) cap. Latency and memory are printed,
never asserted; `scripts/reliability load` runs 200 connections for 60 s and reports them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.procs import REPO

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.load import run_load

pytestmark = pytest.mark.e2e


def test_fifty_connections_no_errors_and_a_capped_call_log(tmp_path: Path) -> None:
    report = run_load(tmp_path, connections=50, seconds=3.0, warmup=1.0, cap=20, tool="httpx",
                      min_requests=200)
    print("\n" + "\n".join(report.lines()))
    assert report.requests > 100  # well past the cap of 20
    assert report.errors == 0 and report.non_200 == 0
    assert report.call_log == 20
    assert report.rss, "the serving process was never sampled"
    assert not report.problems, report.problems
