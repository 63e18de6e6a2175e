"""Fixtures shared by every test module. Keep this file small and generic."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from postmock_core import sampleapi
from postmock_core.store.workspace import Workspace


def pytest_configure(config: pytest.Config) -> None:
    # Tests press Ctrl-C (SIGINT) on the commands they start. A suite started as a background
    # job inherits SIGINT ignored, and so would every command it starts: take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point $POSTMOCK_HOME (also for subprocesses) into tmp_path, never at ~/.postmock."""
    home = tmp_path / "postmock-home"
    monkeypatch.setenv("POSTMOCK_HOME", str(home))
    return home


@pytest.fixture
def workspace(_private_home: Path) -> Workspace:
    """A fresh workspace in tmp_path; it is also $POSTMOCK_HOME for this test."""
    return Workspace.open(_private_home)


@pytest.fixture
def upstream() -> Iterator[str]:
    """The sample API over plain HTTP on 127.0.0.1; yields its base URL."""
    url, stop = sampleapi.start_in_thread()
    yield url
    stop()


@pytest.fixture
def tls_upstream() -> Iterator[str]:
    """The sample API over HTTPS (self-signed: `sampleapi.cert_path()`); yields its base URL."""
    url, stop = sampleapi.start_in_thread(tls=True)
    yield url
    stop()
