"""End to end: a bad postmock_* option given to mitmdump stops it at start-up with one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.procs import RECORD_ADDON, free_port, mitm_tool

from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("setting", "message"), [
    ("postmock_body_limit=abc", "postmock_body_limit='abc': use a whole number"),
    ("postmock_record=maybe", "postmock_record='maybe': use true or false"),
    ("postmock_mode=mocks", "postmock_mode='mocks': use one of record, mock"),
    ("postmock_moed=mock", "unknown option postmock_moed; did you mean postmock_mode?"),
    ("postmock_mode=mock", "postmock_mode=mock needs postmock_mock=NAME"),
])
def test_bad_option_exits_with_one_line(tmp_path: Path, workspace: Workspace, setting: str,
                                        message: str) -> None:
    cmd = [mitm_tool(), "--listen-host", "127.0.0.1", "--listen-port", str(free_port()),
           "--mode", "reverse:http://127.0.0.1:1", "--set", f"confdir={tmp_path / 'conf'}",
           "-s", str(RECORD_ADDON), "--set", f"postmock_home={workspace.root}", "--set", setting]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert message in out, out
    assert "Traceback" not in out, out
