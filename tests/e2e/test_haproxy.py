"""Past one machine, on loopback: two `postmock serve` hosts behind a real HAProxy, sharing one
workspace, each writing its own call log; `postmock mock calls --call-log A --call-log B` merges
them. The README's "Several hosts" section describes the same setup."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from support.mockkit import make_mock, postmock, run_serve
from support.procs import free_port, wait_for_port, wait_until

from postmock_core.mock.calllog import CallLog
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e

HAPROXY_CONFIG = """
global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend mocks
    bind 127.0.0.1:{front}
    default_backend hosts
backend hosts
    balance roundrobin
    server a 127.0.0.1:{a} check inter 500ms
    server b 127.0.0.1:{b} check inter 500ms
"""


def test_two_hosts_behind_haproxy_each_log_their_calls_and_the_logs_merge(tmp_path: Path,
                                                                          workspace: Workspace) -> None:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.skip("SKIPPED LOUDLY: haproxy is not installed and scripts/test could not install it "
                    "(apt-get install haproxy); the multi-host setup was not checked")
    mock = make_mock(workspace, "shared", free_port())
    ports = {"a": free_port(), "b": free_port()}
    logs = {name: tmp_path / f"calls-{name}" for name in ports}
    front = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(front=front, **ports))
    hosts = {name: ["--port", str(ports[name]), "--call-log", str(logs[name]), "--quiet"] for name in ports}
    with run_serve(workspace.root, [], tmp_path / "a", names=["shared", *hosts["a"]]) as a, \
            run_serve(workspace.root, [], tmp_path / "b", names=["shared", *hosts["b"]]) as b:
        for port in ports.values():
            wait_for_port(port, 30)
        proxy = subprocess.Popen([haproxy, "-f", str(config), "-db"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        try:
            wait_for_port(front, 30, proc=proxy)  # type: ignore[arg-type]
            # Until both health checks pass, HAProxy sends everything to whichever is up first.
            wait_until(lambda: all(httpx.get(f"http://127.0.0.1:{p}/users/1", trust_env=False).status_code == 200
                                   for p in ports.values()), 10, message="both hosts")
            answers = [httpx.get(f"http://127.0.0.1:{front}/users/{i}", trust_env=False, timeout=10)
                       for i in range(1, 21)]
        finally:
            proxy.terminate()
            proxy.wait(10)
        assert [r.status_code for r in answers] == [200] * 20
        assert a.stop() == 0 and b.stop() == 0
    # Each host logged the calls it answered; none went into the shared workspace.
    counts = {name: CallLog(Workspace.open(folder), mock.id).count() for name, folder in logs.items()}
    assert all(counts.values()), counts
    assert CallLog(workspace, mock.id).count() == 0
    merged = json.loads(postmock(workspace.root, "mock", "calls", "shared", "--call-log", str(logs["a"]),
                                 "--call-log", str(logs["b"]), "--limit", "1000", "--json").stdout)
    assert len(merged) == sum(counts.values())
    assert {f"/users/{i}" for i in range(1, 21)} <= {c["path"] for c in merged}
    times = [c["timestamp"] for c in merged]
    assert times == sorted(times, reverse=True)  # newest first, across both hosts
