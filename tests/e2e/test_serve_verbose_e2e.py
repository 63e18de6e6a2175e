"""End to end: `postmock -v serve` logs postmock's own details, not other libraries' noise."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.mockkit import POSTMOCK, make_mock, run_serve
from support.procs import free_port, wait_until

from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


def test_verbose_serve_is_quiet_about_libraries_and_truthful(tmp_path: Path, workspace: Workspace) -> None:
    mock = make_mock(workspace, "users", free_port())
    cmd = [POSTMOCK, "-v", "--home", str(workspace.root), "serve", "users"]
    with run_serve(workspace.root, [mock], tmp_path, cmd=cmd) as served:
        wait_until(lambda: mock.url in served.output(), 20, message="the start-up line")
    out = served.output()
    assert f"users  {mock.url}" in out or f"mock users answers at {mock.url}" in out, out
    assert "Traceback" not in out and "passlib" not in out, out
    assert "recording into" not in out, out  # this mock does not record
