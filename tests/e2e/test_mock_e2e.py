"""End to end: what is particular to running `postmock serve` and `mitmdump -s addons/mock.py`
(listing, following the call log, stopping, restarting). Mock behaviour itself is checked on
every engine in test_conformance.py."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.mockkit import POSTMOCK, make_mock, run_serve
from support.procs import REPO, free_port, run_mitmdump, wait_until

from postmock_core.mock.calllog import CallLog
from postmock_core.mock.configs import MockConfig
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


def client(base: str, **kw: Any) -> httpx.Client:
    return httpx.Client(base_url=base, trust_env=False, timeout=30, **kw)


class Rig:
    """One `postmock serve` process serving two mocks."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.ws = Workspace.open(home)
        self.mocks: dict[str, MockConfig] = {}
        self.served: Any = None

    def add(self, name: str, **options: Any) -> None:
        self.mocks[name] = make_mock(self.ws, name, free_port(), **options)

    def url(self, name: str) -> str:
        return self.mocks[name].url


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp = tmp_path_factory.mktemp("mock-e2e")
    r = Rig(tmp / "home")
    r.add("plain")
    r.add("quiet", delay_ms=10, private=True)
    with run_serve(r.home, list(r.mocks.values()), tmp / "serve", names=[]) as served:
        r.served = served
        yield r


# -- serving ----------------------------------------------------------------------------------
def test_serve_prints_each_url_and_answers_from_examples(rig: Rig) -> None:
    out = rig.served.output()
    for m in rig.mocks.values():
        assert m.url in out
    with client(rig.url("plain")) as c:
        r = c.get("/users/1")
        assert r.status_code == 200 and r.json() == {"id": 1, "name": "Ada"}
        assert r.headers["X-Mock-Example-Name"] == "Ada" and r.headers["X-Mock-Score"] == "100"
        assert r.headers["X-Mock-Example-Id"]
        r = c.get("/users/999")
        assert r.status_code == 404 and r.json() == {"error": "no such user"}
        r = c.post("/users", json={"name": "Grace"})
        assert r.status_code == 201 and r.json() == {"id": 7, "name": "Grace"}
        r = c.get("/hello/there")
        assert r.text == "hello there"
    curl = subprocess.run(["curl", "-s", "--noproxy", "*", "-D", "-", f"{rig.url('plain')}/users/1"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert curl.returncode == 0 and "HTTP/1.1 200" in curl.stdout and '"Ada"' in curl.stdout


def test_calls_follow_streams_new_calls(rig: Rig) -> None:
    proc = subprocess.Popen([POSTMOCK, "--home", str(rig.home), "mock", "calls", "plain", "--follow",
                             "--json", "--limit", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        time.sleep(1.5)  # let it start and take its starting point
        with client(rig.url("plain")) as c:
            c.get("/hello/follow-me")
        seen = ""
        deadline = time.monotonic() + 15
        assert proc.stdout is not None
        while "follow-me" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "/hello/follow-me" in seen
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()  # not left running after the test fails
            proc.wait(10)
            raise
    assert code in (0, 130)


def test_sigterm_flushes_the_call_log_and_the_url_survives_a_restart(tmp_path: Path,
                                                                      workspace: Workspace) -> None:
    mock = make_mock(workspace, "flush", free_port())
    with run_serve(workspace.root, [mock], tmp_path / "first") as served:
        with client(mock.url) as c:
            for _ in range(3):
                assert c.get("/users/1").status_code == 200
        assert served.stop() == 0
    assert CallLog(workspace, mock.id).count() == 3
    with run_serve(workspace.root, [mock], tmp_path / "second") as served:
        # Printed as the port opens, which may come a moment after the port answers.
        wait_until(lambda: mock.url in served.output(), 15, message=f"{mock.url} in the output")
        with client(mock.url) as c:
            assert c.get("/users/1").status_code == 200
        served.proc.send_signal(signal.SIGINT)  # Ctrl-C stops it cleanly too
        assert served.proc.wait(20) == 0
    assert CallLog(workspace, mock.id).count() == 4


def test_mitmdump_with_the_mock_addon(tmp_path: Path, workspace: Workspace) -> None:
    mock = make_mock(workspace, "addon", free_port())
    addon = str(REPO / "addons" / "mock.py")
    with run_mitmdump(tmp_path / "a", ["-s", addon, "--set", f"postmock_home={workspace.root}",
                                       "--set", "postmock_mock=addon"]) as proxy:
        assert proxy.port == mock.port  # the addon listened where the mock lives
        with client(mock.url) as c:
            r = c.get("/users/1")
        assert r.status_code == 200 and r.headers["X-Mock-Example-Name"] == "Ada"


def test_unknown_mock_port_with_the_addon(tmp_path: Path, workspace: Workspace) -> None:
    addon = str(REPO / "addons" / "mock.py")
    make_mock(workspace, "real", free_port())
    with run_mitmdump(tmp_path, ["-s", addon, "--set", f"postmock_home={workspace.root}",
                                 "--set", "postmock_mock=ghost",
                                 "--mode", "reverse:http://127.0.0.1:1"]) as proxy:
        with client(proxy.url) as c:
            r = c.get("/users/1")
        assert "no mock named 'ghost'" in proxy.output()
    assert r.status_code == 404
    assert r.json()["error"]["name"] == "mockNotFoundError"
