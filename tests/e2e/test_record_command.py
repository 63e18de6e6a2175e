"""End to end: a real `postmock record` process, the real sample API, real curl and Python clients."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from support.mockkit import POSTMOCK
from support.procs import free_port, wait_for_port, wait_until

from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


@dataclass
class Recording:
    proc: subprocess.Popen[bytes]
    port: int
    out: Path
    err: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Ctrl-C (or `sig`), then wait for the flush and the exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError("postmock record ignored its signal:\n" + self.output()[-3000:]) from None


@contextlib.contextmanager
def recording(tmp: Path, *args: str) -> Iterator[Recording]:
    """Run `postmock record ARGS` on a free port with its CA in `tmp`, until it listens."""
    port = free_port()
    out, err = tmp / "record.out", tmp / "record.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([POSTMOCK, "record", "--port", str(port), "--set", f"confdir={tmp / 'conf'}", *args],
                                stdout=o, stderr=e, stdin=subprocess.DEVNULL, cwd=tmp,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    rec = Recording(proc, port, out, err)
    try:
        try:
            wait_for_port(port, 60, proc=proc)
            wait_until(lambda: "Ctrl-C" in rec.output(), 30, message="the banner")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{rec.output()}\n{err.read_text()}") from None
        yield rec
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def paths(workspace: Workspace) -> list[str]:
    return [doc["request"]["path"] for _, doc in HistoryStore(workspace).iter_docs(newest_first=False)]


def test_reverse_mode_records_and_ctrl_c_says_how_many(tmp_path, workspace, upstream):
    with recording(tmp_path, "--mode", f"reverse:{upstream}") as rec:
        with httpx.Client(base_url=rec.url, trust_env=False, timeout=15) as c:
            assert c.get("/users/1").json()["name"] == "Ada Lovelace"
            assert c.post("/users", json={"name": "Edsger"}).status_code == 201
        assert rec.stop() == 0
    out = rec.output()
    assert f"postmock: recording into {workspace.history_dir}" in out
    assert f"reverse proxy to {upstream} at {rec.url}" in out
    assert out.rstrip().endswith(f"recorded 2 exchanges into {workspace.history_dir} (see: postmock history list)")
    assert paths(workspace) == ["/users/1", "/users"]
    assert rec.err.read_text() == ""


def test_https_clients_trust_the_ca_with_the_printed_command(tmp_path, workspace, tls_upstream):
    # The sample API's certificate is self-signed: the proxy is told to accept it upstream.
    with recording(tmp_path, "--filter", "!~u /search", "--set", "ssl_insecure=true") as rec:
        out = rec.output()
        ca = tmp_path / "conf" / "mitmproxy-ca-cert.pem"
        assert f"mitmproxy's CA certificate {ca}" in out and ca.is_file()
        assert f"export HTTP_PROXY={rec.url} HTTPS_PROXY={rec.url}" in out
        [trust] = [line.strip() for line in out.splitlines() if line.strip().startswith("export SSL_CERT_FILE=")]
        env = {k: v for k, v in os.environ.items() if k.upper() not in ("SSL_CERT_FILE", "CURL_CA_BUNDLE")}
        script = (f"{trust}\n"
                  f"curl -sS --fail --noproxy '' -x {rec.url} {tls_upstream}/users/1\n"
                  f"curl -sS --fail --noproxy '' -x {rec.url} '{tls_upstream}/search?q=ada'\n"
                  f"https_proxy={rec.url} {sys.executable} -c 'import sys, urllib.request; "
                  f"print(urllib.request.urlopen(sys.argv[1]).read().decode())' {tls_upstream}/users/2\n")
        done = subprocess.run(["bash", "-ec", script], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Ada Lovelace" in done.stdout and "Alan Turing" in done.stdout and '"count": 1' in done.stdout
        assert rec.stop(signal.SIGTERM) == 0
    assert "(only flows matching '!~u /search')" in rec.output()
    assert "recorded 2 exchanges" in rec.output()
    assert sorted(paths(workspace)) == ["/users/1", "/users/2"]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.mark.parametrize("args, message", [
    (["--mode", "carrier-pigeon"], "--mode 'carrier-pigeon': unknown mode"),
    (["--port", "BUSY"], "cannot listen on 127.0.0.1:BUSY"),
    (["--set", "no_such_option=1"], "--set 'no_such_option=1': Unknown option(s): no_such_option"),
    (["--filter", "~d ("], "--filter '~d (' is not a valid mitmproxy filter expression"),
])
def test_startup_problems_are_one_line(tmp_path, busy_port, args, message):
    args = [a.replace("BUSY", str(busy_port)) for a in args]
    done = subprocess.run([POSTMOCK, "record", "--port", "0", "--set", f"confdir={tmp_path}", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.startswith("postmock: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert message.replace("BUSY", str(busy_port)) in done.stderr
    assert done.stdout == ""
