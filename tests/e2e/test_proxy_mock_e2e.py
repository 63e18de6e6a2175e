"""End to end: a recording proxy switched into mock mode, at start and at runtime. Mock
behaviour itself is checked on every engine, this one included, in test_conformance.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.mockkit import make_mock, users_collection
from support.procs import RECORD_ADDON, free_port, run_mitmdump, wait_until

from postmock_core import sampleapi
from postmock_core.mock.calllog import CallLog
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


@pytest.fixture
def second_upstream() -> Iterator[str]:
    """Another real API on another port: a host the collection does not cover."""
    url, stop = sampleapi.start_in_thread()
    yield url
    stop()


def proxied(proxy_url: str) -> httpx.Client:
    return httpx.Client(proxy=proxy_url, trust_env=False, timeout=30)


def paths(workspace: Workspace) -> list[tuple[int, str]]:
    return [(d["request"]["port"], d["request"]["path"])
            for _, d in HistoryStore(workspace).iter_docs(newest_first=False)]


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_proxy_started_in_mock_mode(tmp_path: Any, workspace: Workspace, upstream: str,
                                    second_upstream: str) -> None:
    mock = make_mock(workspace, "api", free_port(), collection=users_collection("API", upstream))
    args = ["-s", str(RECORD_ADDON), "--set", f"postmock_home={workspace.root}",
            "--set", "postmock_mode=mock", "--set", "postmock_mock=api"]
    with run_mitmdump(tmp_path, args) as proxy, proxied(proxy.url) as c:
        mocked = c.get(f"{upstream}/users/1")
        assert mocked.status_code == 200 and mocked.json() == {"id": 1, "name": "Ada"}
        assert mocked.headers["X-Mock-Example-Name"] == "Ada"
        miss = c.get(f"{upstream}/search", params={"q": "ada"})
        assert miss.status_code == 404 and miss.json()["error"]["name"] == "mockRequestNotFoundError"
        other = c.get(f"{second_upstream}/users/1")
        assert other.status_code == 200 and other.json()["name"] == "Ada Lovelace"  # the real API
        recorded = wait_until(lambda: paths(workspace), 10, message="the passed-through call recorded")
    time.sleep(0.8)  # past a flush: nothing else may turn up
    assert paths(workspace) == recorded == [(port_of(second_upstream), "/users/1")]
    wait_until(lambda: CallLog(workspace, mock.id).count() == 2, 10, message="both mock calls logged")


def _mitmweb_set(web: httpx.Client, option: str, value: str) -> None:
    """mitmproxy's own `set` command, through mitmweb's command API (as its UI does)."""
    web.get("/")  # sets the XSRF cookie
    r = web.post("/commands/set", json={"arguments": [option, value]},
                 headers={"X-XSRFToken": web.cookies["_xsrf"]})
    assert r.status_code == 200 and "error" not in r.json(), r.text


def test_switching_a_running_proxy_between_record_and_mock(tmp_path: Any, workspace: Workspace,
                                                           upstream: str) -> None:
    make_mock(workspace, "api", free_port(), collection=users_collection("API", upstream))
    args = ["-s", str(RECORD_ADDON), "--set", f"postmock_home={workspace.root}",
            "--set", "postmock_mock=api"]
    port = port_of(upstream)
    with run_mitmdump(tmp_path, args, tool="mitmweb", web=True) as proxy, proxied(proxy.url) as c, \
            httpx.Client(base_url=f"http://127.0.0.1:{proxy.web_port}", trust_env=False, timeout=30) as web:
        real = c.get(f"{upstream}/users/1")
        assert real.json()["name"] == "Ada Lovelace" and "X-Mock-Example-Name" not in real.headers
        wait_until(lambda: paths(workspace) == [(port, "/users/1")], 10, message="recording")

        _mitmweb_set(web, "postmock_mode", "mock")
        mocked = c.get(f"{upstream}/users/1")
        assert mocked.json() == {"id": 1, "name": "Ada"} and mocked.headers["X-Mock-Score"] == "100"

        _mitmweb_set(web, "postmock_mode", "record")
        again = c.get(f"{upstream}/users/2")
        assert again.json()["name"] == "Alan Turing"
        wait_until(lambda: len(paths(workspace)) == 2, 10, message="recording resumed")
    assert paths(workspace) == [(port, "/users/1"), (port, "/users/2")]  # the mocked call is not there


def test_postmock_mode_switches_a_running_proxy(tmp_path: Any, workspace: Workspace, upstream: str) -> None:
    from support.mockkit import postmock

    make_mock(workspace, "api", free_port(), collection=users_collection("API", upstream))
    args = ["-s", str(RECORD_ADDON), "--set", f"postmock_home={workspace.root}"]
    home = workspace.root
    with run_mitmdump(tmp_path, args) as proxy, proxied(proxy.url) as c:
        assert c.get(f"{upstream}/users/1").json()["name"] == "Ada Lovelace"
        shown = wait_until(lambda: postmock(home, "mode").stdout.strip() or None, 10, message="status")
        assert f"proxy {proxy.proc.pid}" in shown and "record mode" in shown
        refused = postmock(home, "mode", "mock", check=False)  # no mock named yet
        assert refused.returncode == 2 and "postmock mode mock --mock NAME" in refused.stderr
        ghost = postmock(home, "mode", "mock", "--mock", "ghost", check=False)
        assert ghost.returncode == 2 and "ghost" in ghost.stderr and "Traceback" not in ghost.stderr

        switched = postmock(home, "mode", "mock", "--mock", "api")
        assert "mock mode, mock api" in switched.stdout
        mocked = c.get(f"{upstream}/users/1")
        assert mocked.json() == {"id": 1, "name": "Ada"} and mocked.headers["X-Mock-Score"] == "100"

        assert "record mode" in postmock(home, "mode", "record").stdout
        assert c.get(f"{upstream}/users/2").json()["name"] == "Alan Turing"
    assert "no recording proxy is running" in postmock(home, "mode").stdout  # it cleaned up
    out = proxy.output()
    assert "mock mode: mock api answers for 127.0.0.1" in out and "Traceback" not in out
