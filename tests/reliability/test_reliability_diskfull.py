"""A full disk under a recording proxy (the workspace on a 2 MB tmpfs): the proxy keeps
answering, mitmdump's output says what is wrong, history stays readable, and every held
exchange is written once space returns. Needs root to mount the tmpfs; skipped otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.procs import REPO

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.diskfull import Unsupported, run_diskfull

pytestmark = pytest.mark.e2e


def test_full_disk_while_recording(tmp_path: Path) -> None:
    try:
        report = run_diskfull(tmp_path, size="2m", during=40)
    except Unsupported as e:
        pytest.skip(str(e))
    print("\n" + "\n".join(report.lines()))
    assert report.before == 20
    assert report.during_answered == report.during_sent, "the proxy stopped answering"
    assert report.reported and "no space left" in report.message.lower()
    assert report.stored_while_full == report.before
    assert report.resumed_logged
    assert not report.missing, report.missing
    assert report.stored_final == 20 + 40 + 10
    assert not report.problems, report.problems
