"""Run real processes for end-to-end tests: mitmdump/mitmweb, and wait for them.

Every process listens on 127.0.0.1 only. mitmproxy gets `confdir` in the test's tmp dir, so
its CA is generated there and clients trust `Proxy.ca_cert`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

__all__ = [
    "RECORD_ADDON",
    "REPO",
    "Proxy",
    "free_port",
    "mitm_tool",
    "run_mitmdump",
    "wait_for_port",
    "wait_until",
]

REPO = Path(__file__).resolve().parents[2]
RECORD_ADDON = REPO / "addons" / "record.py"
T = TypeVar("T")

_LISTENING = re.compile(r"listening at (?:\S+?):(\d+)\.?\s*$", re.MULTILINE)


def mitm_tool(name: str = "mitmdump") -> str:
    """The path of a mitmproxy tool, preferring the one beside this Python."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install mitmproxy into this environment")
    return found


_GIVEN: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago and not handed out before in this run.

    The kernel may offer a just-closed port again at once; two callers that both take the
    port before either listens (two mocks configured up front, say) would then collide.
    """
    for _ in range(1000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port
    raise RuntimeError("no fresh free port on 127.0.0.1 after 1000 tries")


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
               message: str = "condition") -> T:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {message}")
        time.sleep(interval)


def wait_for_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1",
                  proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something accepts connections on host:port (and `proc`, if given, lives)."""
    def ready() -> bool:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before port {port} opened")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        return False

    wait_until(ready, timeout, message=f"{host}:{port} to accept connections")


@dataclass
class Proxy:
    """A running mitmdump (or mitmweb) process."""

    proc: subprocess.Popen[bytes]
    port: int
    confdir: Path
    log_path: Path
    web_port: int | None = None

    @property
    def url(self) -> str:
        """Where clients connect: http://127.0.0.1:PORT (also the proxy URL in regular mode)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_cert(self) -> Path:
        """mitmproxy's CA certificate, for clients of intercepted TLS."""
        return self.confdir / "mitmproxy-ca-cert.pem"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int:
        """Shut down cleanly (SIGTERM runs the addons' `done`); kill if it hangs."""
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"mitmproxy ignored SIGTERM for {timeout:g}s; killed it.\n"
                                     + self.output()[-3000:]) from None
        return int(self.proc.returncode)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, like a crash or an OOM kill."""
        if self.alive:
            self.proc.kill()
        self.proc.wait(10)


@contextlib.contextmanager
def run_mitmdump(tmp: Path, args: Sequence[str] = (), *, env: dict[str, str] | None = None,
                 tool: str = "mitmdump", web: bool = False, timeout: float = 30.0,
                 name: str = "mitmdump", port: int | None = None) -> Iterator[Proxy]:
    """Run `tool` on 127.0.0.1 with `args`; yield the `Proxy`; stop it (or kill it) after.

    Without `port` it listens on a port the kernel picks, read back from its log (with -q
    there is no such line, so a free port is chosen up front). `web=True` (with
    tool="mitmweb") also gives mitmweb a free port for its API on 127.0.0.1.
    """
    if port is None and ("-q" in args or "--quiet" in args):
        port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    confdir = tmp / f"{name}-conf"
    log_path = tmp / f"{name}.log"
    cmd = [mitm_tool(tool), "--listen-host", "127.0.0.1", "--listen-port", str(port or 0),
           "--set", f"confdir={confdir}"]
    web_port = None
    if web:
        web_port = free_port()
        cmd += ["--set", "web_open_browser=false", "--set", "web_host=127.0.0.1",
                "--set", f"web_port={web_port}"]
    cmd += list(args)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=full_env, cwd=tmp)
    proxy = Proxy(proc, port or 0, confdir, log_path, web_port)
    try:
        def listening() -> int:
            if not proxy.alive:
                raise AssertionError(f"{tool} exited with {proc.returncode}:\n{proxy.output()[-3000:]}")
            m = _LISTENING.search(proxy.output())
            return int(m.group(1)) if m else 0

        if not proxy.port:
            proxy.port = wait_until(listening, timeout, message=f"{tool} to listen")
        wait_for_port(proxy.port, timeout, proc=proc)
        if web_port is not None:
            wait_for_port(web_port, timeout, proc=proc)
        yield proxy
    finally:
        if proxy.alive:
            try:
                proxy.stop()
            except AssertionError:
                pass
