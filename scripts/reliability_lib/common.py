"""What every harness needs: the sample API as a process, paced load, and workspace checks."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

from . import REPO

__all__ = ["Answer", "PacedLoad", "check_history", "json_problems", "our_errors", "private_problems",
           "rss_kb", "run_cli", "sample_api", "tree", "writer_pids"]


@contextlib.contextmanager
def sample_api(tmp: Path) -> Iterator[str]:
    """The sample API in its own process (so it never competes with the client for the GIL)."""
    log = open(tmp / "sampleapi.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "postmock_core.sampleapi", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, cwd=REPO)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise AssertionError(f"the sample API did not start: {url!r}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def run_cli(home: Path, *args: str) -> tuple[int, str, str]:
    """`postmock --home HOME ARGS` in this process (the same `main` the command runs, without
    an interpreter to start): (exit code, stdout, stderr)."""
    import io

    from postmock_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--home", str(home), *args])
    return code, out.getvalue(), err.getvalue()


def client(base: str, timeout: float = 10.0, **kw: Any) -> httpx.Client:
    return httpx.Client(base_url=base, trust_env=False, timeout=timeout, **kw)


@dataclass(frozen=True)
class Answer:
    n: int
    status: int
    at: float  # time.monotonic() when the client had the whole answer


@dataclass
class PacedLoad:
    """GET `path`?run=TAG&n=N at `rate` requests/s for at most `seconds`, from `workers` threads.

    Request N is due at start + N/rate; a worker that falls behind sends at once rather than
    bunching up. Bounded in count (rate x seconds) and time; `stop()` ends it early.
    """

    base: str
    rate: float
    seconds: float
    tag: str
    path: str = "/echo"
    workers: int = 8
    answers: list[Answer] = field(default_factory=list)
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> PacedLoad:
        self.started = time.monotonic()
        counter = itertools.count()
        limit = int(self.rate * self.seconds)
        for i in range(self.workers):
            t = threading.Thread(target=self._run, args=(counter, limit), name=f"load-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _run(self, counter: Iterator[int], limit: int) -> None:
        with client(self.base, timeout=5.0) as c:
            while not self._stop.is_set():
                with self._lock:
                    n = next(counter)
                if n >= limit:
                    return
                delay = self.started + n / self.rate - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                try:
                    r = c.get(self.path, params={"run": self.tag, "n": str(n)})
                except httpx.HTTPError:
                    with self._lock:
                        self.failures += 1
                    continue
                with self._lock:
                    self.answers.append(Answer(n, r.status_code, time.monotonic()))

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.1, deadline - time.monotonic()))

    def ok(self) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.status == 200]


def writer_pids(root: Path) -> list[int]:
    """PIDs of live processes whose command line names the workspace at `root` (its writers,
    once the proxy that started them is gone)."""
    found = []
    wanted = str(root).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != b"Z" and any(wanted in arg for arg in cmdline):
            found.append(int(entry.name))
    return found


def whole(doc: Any) -> str | None:
    """Why a history document is not a whole exchange, or None when it is."""
    if not isinstance(doc, dict):
        return "not an object"
    req = doc.get("request")
    if not isinstance(req, dict) or not req.get("method") or not isinstance(req.get("path"), str):
        return "no request"
    resp = doc.get("response")
    if resp is None:
        return None if isinstance(doc.get("error"), str) and doc["error"] else "neither response nor error"
    if not isinstance(resp, dict) or not isinstance(resp.get("status"), int):
        return "a response without a status"
    return None


def check_history(ws: Workspace) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Every history document by ID, and every problem found: unreadable or incomplete entries."""
    store = HistoryStore(ws)
    problems: list[str] = []
    docs: dict[int, dict[str, Any]] = {}
    try:
        for i, doc in store.iter_docs(newest_first=False):
            why = whole(doc)
            if why:
                problems.append(f"history entry {i}: {why}")
                continue
            try:
                Exchange.from_doc(doc, store.blobs, id=i)
            except (PostmockError, KeyError, TypeError, ValueError) as e:
                problems.append(f"history entry {i} does not load: {e!r}")
                continue
            docs[i] = doc
    except PostmockError as e:
        problems.append(f"history does not open: {e}")
    return docs, problems


def json_problems(root: Path) -> list[str]:
    """Every JSON file under `root` that does not parse, and leftover temporary files."""
    problems = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name.endswith(".tmp"):
            problems.append(f"leftover temporary file {path.relative_to(root)}")
        elif path.is_file() and path.suffix == ".json":
            try:
                json.loads(path.read_bytes())
            except ValueError as e:
                problems.append(f"{path.relative_to(root)} does not parse: {e}")
    return problems


def private_problems(root: Path) -> list[str]:
    """Files not 0600 and folders not 0700 under `root` (itself included)."""
    problems = []
    for path in [root, *sorted(root.rglob("*"))]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            problems.append(f"{path.relative_to(root.parent)} is {mode:o}, not {want:o}")
    return problems


def tree(root: Path) -> dict[str, tuple[int, str]]:
    """Every file and folder under `root`: relative path -> (mode, content digest)."""
    out: dict[str, tuple[int, str]] = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[rel] = (stat.S_IMODE(st.st_mode), digest)
    return out


def rss_kb(pid: int) -> int | None:
    """Resident memory of a process in KiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def our_errors(output: str) -> list[str]:
    """Errors in a mitmproxy process's output that involve postmock: addon errors, and
    tracebacks through postmock_core (not mitmproxy's own noise about connections it cancels
    on shutdown)."""
    found = []
    blocks = output.split("Traceback (most recent call last):")
    for block in blocks[1:]:
        if "postmock_core" in block or "addons/" in block:
            found.append("Traceback (most recent call last):" + block[:1500])
    found += [line for line in output.splitlines() if "Addon error" in line]
    return found


def os_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
