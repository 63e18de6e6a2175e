"""A real `postmock serve` with its admin API on a free port, for admin API and browser tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from .mockkit import POSTMOCK, postmock
from .procs import REPO, free_port, wait_for_port, wait_until

__all__ = ["Admin", "CHROME_HAR", "HAR_DATE", "run_admin", "wait_for_mock"]

CHROME_HAR = REPO / "tests" / "fixtures" / "har" / "chrome.har"


def _har_date() -> str:
    # The local calendar day of the HAR's exchanges (history's --date is local time).
    started = json.loads(CHROME_HAR.read_text())["log"]["entries"][0]["startedDateTime"]
    return dt.datetime.fromisoformat(started.replace("Z", "+00:00")).astimezone().date().isoformat()


HAR_DATE = _har_date()


@dataclass
class Admin:
    """A running `postmock serve` and its admin server."""

    proc: subprocess.Popen[bytes]
    home: Path
    port: int
    key: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def login_link(self) -> str:
        m = re.search(r"^dashboard: (\S+)$", self.output(), re.MULTILINE)
        assert m, self.output()
        return m.group(1)

    def client(self, key: str | None = "", **kw: object) -> httpx.Client:
        """An API client sending `key` (default: the admin key; None: no key)."""
        headers = {} if key is None else {"x-api-key": key or self.key}
        return httpx.Client(base_url=self.url, headers=headers, trust_env=False, timeout=30, **kw)  # type: ignore[arg-type]


@contextlib.contextmanager
def run_admin(tmp: Path, *, history: bool = True) -> Iterator[Admin]:
    """`postmock serve --admin 127.0.0.1:PORT` on a fresh workspace holding an admin key (and
    the Chrome HAR's exchanges in history); stopped with SIGTERM after."""
    home = tmp / "home"
    key = json.loads(postmock(home, "key", "create", "--name", "admin", "--json").stdout)["key"]
    if history:
        postmock(home, "history", "import", str(CHROME_HAR))
    port = free_port()
    log_path = tmp / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([POSTMOCK, "--home", str(home), "serve", "--admin", f"127.0.0.1:{port}"],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=tmp)
    admin = Admin(proc, home, port, key, log_path)
    try:
        wait_for_port(port, 60, proc=proc)
        wait_until(lambda: "dashboard: " in admin.output(), 30, message="the dashboard link")
        yield admin
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_for_mock(url: str) -> None:
    """Wait until the mock at `url` (picked up by the running serve) accepts connections."""
    port = int(url.rsplit(":", 1)[1])
    wait_for_port(port, 30)
