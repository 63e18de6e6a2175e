"""The mitmproxy scripts postmock installs, and the checkout's shims, loaded by mitmproxy itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mitmproxy.addons.script import load_script
from support.mockkit import POSTMOCK
from support.procs import REPO

import postmock_core
from postmock_core.mitm.addons import SCRIPTS, script_path
from postmock_core.mitm.mockserver import MockServer
from postmock_core.mitm.recorder import Recorder

EXPECTED = {"record": [Recorder, MockServer], "mock": [MockServer]}


@pytest.mark.parametrize("name", SCRIPTS)
def test_postmock_addon_prints_the_installed_script(name: str) -> None:
    out = subprocess.run([POSTMOCK, "addon", name], capture_output=True, text=True, timeout=60, check=True)
    path = Path(out.stdout.strip())
    assert out.stdout.count("\n") == 1 and path.is_absolute()
    assert path == script_path(name)
    assert path.is_file() and path.is_relative_to(Path(postmock_core.__file__).parent)


ALL_SCRIPTS = [*(script_path(n) for n in SCRIPTS), *(REPO / "addons" / f"{n}.py" for n in SCRIPTS)]


@pytest.mark.parametrize("path", ALL_SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_script_gives_mitmproxy_fresh_addons_of_its_kind(path: Path) -> None:
    first, second = load_script(str(path)), load_script(str(path))
    assert first is not None and second is not None
    assert [type(a) for a in first.addons] == EXPECTED[path.stem]
    # A reloaded script must not hand mitmproxy the instances it already shut down.
    assert not set(map(id, first.addons)) & set(map(id, second.addons))
    standalone = [a.standalone for a in first.addons if isinstance(a, MockServer)]
    assert standalone == [path.stem == "mock"]


def test_an_unknown_script_is_refused() -> None:
    with pytest.raises(ValueError, match="choose one of record, mock"):
        script_path("replay")
