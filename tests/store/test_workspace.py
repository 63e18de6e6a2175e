"""Where the workspace lives: --home, then $POSTMOCK_HOME, then ~/.postmock; always private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from postmock_core.cli import main
from postmock_core.errors import PostmockError
from postmock_core.store.workspace import Workspace, resolve_home


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_env_var_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTMOCK_HOME", str(tmp_path / "from-env"))
    ws = Workspace.open()
    assert ws.root == tmp_path / "from-env"
    assert ws.root.is_dir() and _mode(ws.root) == 0o700


def test_explicit_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTMOCK_HOME", str(tmp_path / "from-env"))
    assert Workspace.open(tmp_path / "explicit").root == tmp_path / "explicit"
    assert not (tmp_path / "from-env").exists()


def test_default_is_dot_postmock_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTMOCK_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_home() == tmp_path / ".postmock"
    assert Workspace.open().root == tmp_path / ".postmock"


def test_tilde_and_relative_paths_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert resolve_home("~/pm") == tmp_path / "pm"
    assert resolve_home("rel") == tmp_path / "rel"
    assert resolve_home("rel").is_absolute()


def test_subfolders_are_private(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    for folder in (ws.history_dir, ws.blobs_dir, ws.dir("a", "b")):
        assert folder.is_dir() and _mode(folder) == 0o700
    path = ws.file("collections", "x.json")
    assert not path.exists() and _mode(path.parent) == 0o700


def test_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    shared.chmod(0o750)
    Workspace.open(shared)
    assert _mode(shared) == 0o750


def test_a_file_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(PostmockError, match="exists but is not a folder"):
        Workspace.open(blocker)


def test_cli_home_before_or_after_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("POSTMOCK_HOME", str(tmp_path / "env"))
    assert main(["--home", str(tmp_path / "before"), "history", "list"]) == 0
    assert main(["history", "list", "--home", str(tmp_path / "after")]) == 0
    assert (tmp_path / "before" / "history").is_dir()
    assert (tmp_path / "after" / "history").is_dir()
    assert not (tmp_path / "env").exists()
    assert main(["history", "list"]) == 0
    assert (tmp_path / "env" / "history").is_dir()
    capsys.readouterr()
