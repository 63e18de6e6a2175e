"""`postmock serve` without names: the workspace's mock service, following mocks as they change."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest
from support.mockkit import POSTMOCK, make_mock, postmock, run_serve
from support.procs import free_port, wait_until

from postmock_core.mock.configs import MockStore
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e

CALL_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}  (\S+)  (\S+) (\S+)  (\d{3})  (.+)  \d+\.\d ms$", re.MULTILINE)


def answers(url: str) -> int | None:
    """The status of GET url/users/1, or None when nothing listens there."""
    try:
        return httpx.get(f"{url}/users/1", trust_env=False, timeout=5).status_code
    except httpx.ConnectError:
        return None


def test_serves_every_mock_as_they_are_created_moved_and_deleted(tmp_path: Path, workspace: Workspace) -> None:
    first = make_mock(workspace, "first", free_port())
    busy = make_mock(workspace, "busy", free_port())
    holder = socket.socket()  # another program takes the port after the mock was made
    holder.bind(("127.0.0.1", busy.port))
    holder.listen()
    with run_serve(workspace.root, [first], tmp_path, names=[]) as served:
        assert answers(first.url) == 200
        # The busy port is reported once it was tried, which may be just after the first answer.
        wait_until(lambda: f"port {busy.port} of mock 'busy' is in use" in served.output(), 20,
                   message="the busy port to be reported")
        out = served.output()
        assert first.url in out
        assert out.count(f"port {busy.port} of mock 'busy' is in use") == 1 and "other mocks still serve" in out

        port = free_port()
        postmock(workspace.root, "mock", "create", "--collection", "first collection", "--name", "later",
                 "--port", str(port))
        wait_until(lambda: answers(f"http://127.0.0.1:{port}") == 200, 10, message="the new mock to answer")
        assert f"now serving later  http://127.0.0.1:{port}" in served.output()

        moved = free_port()
        postmock(workspace.root, "mock", "edit", "later", "--port", str(moved))
        wait_until(lambda: answers(f"http://127.0.0.1:{moved}") == 200, 10, message="the moved mock to answer")
        wait_until(lambda: answers(f"http://127.0.0.1:{port}") is None, 10, message="the old port to close")
        assert f"mock later moved to http://127.0.0.1:{moved}" in served.output()

        postmock(workspace.root, "mock", "delete", "first")
        wait_until(lambda: answers(first.url) is None, 10, message="the deleted mock's port to close")
        assert f"mock first was deleted; stopped serving {first.url}" in served.output()

        holder.close()  # the busy port frees up: that mock starts answering
        wait_until(lambda: answers(busy.url) == 200, 10, message="the mock whose port was taken")
        assert served.output().count(f"port {busy.port} of mock 'busy' is in use") == 1  # reported once, not at every retry

        with httpx.Client(base_url=busy.url, trust_env=False, timeout=5) as c:
            c.get("/users/1", params={"page": "2"})
            c.delete("/nothing")
        def busy_lines() -> list[tuple[str, ...]]:
            return [m.groups() for m in CALL_LINE.finditer(served.output()) if m.group(1) == "busy"]

        wait_until(lambda: any(line[1] == "DELETE" for line in busy_lines()), 10, message="the call lines")
        lines = busy_lines()
        assert ("busy", "GET", "/users/1?page=2", "200", "Ada") in lines
        assert ("busy", "DELETE", "/nothing", "404", "No matching requests") in lines
        assert served.stop() == 0
    assert MockStore(workspace).get("busy")


def test_quiet_prints_no_call_lines_and_an_empty_workspace_waits(tmp_path: Path, workspace: Workspace) -> None:
    with run_serve(workspace.root, [], tmp_path, names=["--quiet"]) as served:
        wait_until(lambda: "no mocks yet" in served.output(), 10, message="the waiting line")
        mock = make_mock(workspace, "late", free_port())
        wait_until(lambda: answers(mock.url) == 200, 10, message="the mock created later")
        assert answers(mock.url) == 200
        assert served.stop() == 0
    assert not CALL_LINE.search(served.output())


def test_two_mocks_on_one_port_are_reported_and_the_older_serves(tmp_path: Path, workspace: Workspace) -> None:
    older = make_mock(workspace, "older", free_port())
    newer = make_mock(workspace, "newer", free_port())
    store = MockStore(workspace)
    data = store.path.read_text()  # a hand edit of mocks.json, which the CLI would refuse
    store.path.write_text(data.replace(f'"port": {newer.port}', f'"port": {older.port}'))
    with run_serve(workspace.root, [older], tmp_path, names=["--quiet"]) as served:
        wait_until(lambda: "both have port" in served.output(), 10, message="the clash to be reported")
        assert answers(older.url) == 200
        out = served.output()
        assert (f"mocks 'older' and 'newer' both have port {older.port}" in out
                and "postmock mock edit 'newer' --port N" in out)
        assert served.stop() == 0
    assert served.output().count("both have port") == 1


def test_listen_address_is_the_one_printed(tmp_path: Path, workspace: Workspace) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1 on this machine")
    mock = make_mock(workspace, "six", free_port())
    cmd = [POSTMOCK, "--home", str(workspace.root), "serve", "--no-admin", "--listen", "::1", "six"]
    with run_serve(workspace.root, [], tmp_path, cmd=cmd) as served:
        url = f"http://[::1]:{mock.port}"
        wait_until(lambda: answers(url) == 200, 20, message="the mock at ::1")
        assert f"six  {url}" in served.output()
        assert served.stop() == 0
