"""`postmock serve --workers 2`: two processes answer at each port, and each follows the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from support.mockkit import make_mock, postmock, run_serve
from support.procs import free_port, wait_until

from postmock_core.mock.calllog import CallLog
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


def workers_of(pid: int) -> list[int]:
    """The worker processes `postmock serve` started."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"postmock_core.serve.worker" in cmd:
                found.append(int(entry))
    return found


def holds_a_socket(pid: int) -> bool:
    """Whether process `pid` has a socket open (a descriptor may close while we look)."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                return True
        except OSError:
            continue
    return False


def connections_held(pid: int, port: int) -> int:
    """How many established TCP connections to `port` process `pid` holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01" and fields[9] in inodes:
            count += 1
    return count


def fresh_gets(url: str, n: int) -> list[httpx.Response]:
    """`n` calls, each on a new connection (a new source port: the kernel picks a worker)."""
    return [httpx.get(url, trust_env=False, timeout=10) for _ in range(n)]


def test_two_workers_share_each_port_and_each_follows_the_workspace(tmp_path: Path,
                                                                    workspace: Workspace) -> None:
    mock = make_mock(workspace, "shared", free_port())
    with run_serve(workspace.root, [mock], tmp_path, names=["--workers", "2", "--quiet"]) as served:
        workers = wait_until(lambda: len(workers_of(served.proc.pid)) == 2 and workers_of(served.proc.pid),
                             10, message="two workers")
        for pid in workers:  # both have the port open before the load starts
            wait_until(lambda pid=pid: holds_a_socket(pid), 10, message="the worker's socket")  # type: ignore[misc]
        clients = [httpx.Client(base_url=mock.url, trust_env=False, timeout=10) for _ in range(24)]
        try:
            for c in clients:
                assert c.get("/users/1").status_code == 200
            held = [connections_held(pid, mock.port) for pid in workers]
        finally:
            for c in clients:
                c.close()
        assert sum(held) == 24 and all(held), f"connections per worker: {held}"

        body = tmp_path / "edited.json"
        body.write_text('{"id": 1, "name": "Ada, edited"}')
        postmock(workspace.root, "example", "edit", "shared collection", "Ada", "--body-file", str(body))
        assert {r.json()["name"] for r in fresh_gets(f"{mock.url}/users/1", 24)} == {"Ada, edited"}

        port = free_port()
        postmock(workspace.root, "mock", "create", "--collection", "shared collection", "--name", "later",
                 "--port", str(port))
        def every_worker_serves_it() -> bool:
            try:
                return all(r.status_code == 200 for r in fresh_gets(f"http://127.0.0.1:{port}/users/1", 24))
            except httpx.ConnectError:  # not open yet in some worker
                return False

        wait_until(every_worker_serves_it, 20, message="every worker to serve the new mock")
        assert served.stop() == 0
    # 24 + 24 calls, written by whichever worker answered each.
    assert CallLog(workspace, mock.id).count() == 48
