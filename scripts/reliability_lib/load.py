"""A served mock under many concurrent connections: errors, latency, memory, the call log cap.

The load comes from wrk when it is installed (and asked for), else from an asyncio httpx
client in this process. The serving process's RSS is sampled every second; after the warm-up
it should stay flat (the slope is reported), and the call log must end at its cap exactly.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from support.mockkit import make_mock, run_serve
from support.procs import free_port

from postmock_core.mock.calllog import CallLog
from postmock_core.store.workspace import Workspace

from .common import json_problems, our_errors, percentile, rss_kb

__all__ = ["LoadReport", "run_load"]

PATHS = ["/users/1", "/users/999", "/hello/load", "/users/1?x=1"]


@dataclass
class LoadReport:
    tool: str
    connections: int
    seconds: float
    requests: int = 0
    errors: int = 0  # connection errors and timeouts
    non_200: int = 0  # answers other than the example's status (404 for /users/999 is expected)
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, KiB)
    warmup: float = 0.0
    rate: float = 0.0  # requests per second while loaded
    call_log: int = 0
    cap: int = 0
    problems: list[str] = field(default_factory=list)

    def memory(self) -> tuple[int, int, int, float]:
        """(first, last, max) RSS in KiB after the warm-up, and the slope in KiB per minute."""
        after = [(t, kb) for t, kb in self.rss if t >= self.warmup] or self.rss
        if not after:
            return 0, 0, 0, 0.0
        n = len(after)
        mt = sum(t for t, _ in after) / n
        mk = sum(kb for _, kb in after) / n
        var = sum((t - mt) ** 2 for t, _ in after)
        slope = sum((t - mt) * (kb - mk) for t, kb in after) / var * 60 if var else 0.0
        return after[0][1], after[-1][1], max(kb for _, kb in after), slope

    def lines(self) -> list[str]:
        first, last, peak, slope = self.memory()
        rate = self.rate or (self.requests / self.seconds if self.seconds else 0)
        return [
            (f"{self.tool}: {self.connections} connections for {self.seconds:.0f} s: {self.requests} requests "
             f"({rate:.0f}/s), errors {self.errors}, unexpected statuses {self.non_200}"),
            f"latency p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms",
            (f"RSS of postmock serve after {self.warmup:.0f} s warm-up: first {first / 1024:.1f} MiB, last "
             f"{last / 1024:.1f} MiB, max {peak / 1024:.1f} MiB, slope {slope / 1024:+.2f} MiB/min "
             f"({len(self.rss)} samples)"),
            f"call log: {self.call_log} entries (cap {self.cap}); problems {len(self.problems)}",
            *[f"  {p}" for p in self.problems[:10]],
        ]


def _sample(pid: int, out: list[tuple[float, int]], stop: threading.Event, started: float) -> None:
    while not stop.is_set():
        kb = rss_kb(pid)
        if kb is None:
            return
        out.append((time.monotonic() - started, kb))
        stop.wait(1.0)


async def _httpx_load(base: str, connections: int, seconds: float, report: LoadReport,
                      min_requests: int = 0) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    # A busy machine answers fewer calls in `seconds`; go on until `min_requests`, but never
    # past twenty times the planned duration.
    hard_deadline = time.monotonic() + seconds * 20

    def going() -> bool:
        now = time.monotonic()
        return now < deadline or (report.requests < min_requests and now < hard_deadline)

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=30.0, limits=limits) as c:
        async def user(n: int) -> None:
            i = n
            while going():
                path = PATHS[i % len(PATHS)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = await c.get(path)
                except httpx.HTTPError:
                    report.errors += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                report.requests += 1
                if r.status_code != (404 if path == "/users/999" else 200):
                    report.non_200 += 1

        await asyncio.gather(*(user(n) for n in range(connections)))
    return latencies


_WRK_LINE = re.compile(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s)\s*$")


def _wrk_load(base: str, connections: int, seconds: float, report: LoadReport, tmp: Path) -> None:
    script = tmp / "paths.lua"
    # Round-robin over the paths; a 404 for /users/999 is the example's own status.
    script.write_text('local paths = {"/users/1", "/hello/load", "/users/1?x=1"}\nlocal i = 0\n'
                      'request = function()\n  i = i + 1\n  return wrk.format("GET", paths[i % #paths + 1])\nend\n')
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "--timeout", "10s",
                          "-s", str(script), base], capture_output=True, text=True, timeout=seconds + 120, check=False)
    text = out.stdout
    report.problems += [f"wrk: {line}" for line in out.stderr.splitlines() if line.strip()]
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for line in text.splitlines():
        m = _WRK_LINE.match(line)
        if m and m.group(1) == "50":
            report.p50_ms = float(m.group(2)) * unit[m.group(3)]
        elif m and m.group(1) == "99":
            report.p99_ms = float(m.group(2)) * unit[m.group(3)]
        elif "requests in" in line:
            report.requests = int(line.split()[0])
        elif line.startswith("Requests/sec:"):
            report.rate = float(line.split()[1])
        elif line.strip().startswith("Socket errors:"):
            report.errors = sum(int(n) for n in re.findall(r"\d+", line))
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            report.non_200 = int(line.split(":")[1])
    if report.requests == 0:
        report.problems.append(f"wrk printed no result: {text[-500:]}")


def run_load(tmp: Path, connections: int = 200, seconds: float = 60.0, warmup: float = 10.0, cap: int = 1000,
             tool: str = "auto", log: Callable[[str], None] = lambda s: None,
             min_requests: int = 0) -> LoadReport:
    """Load a served mock for `seconds` (with httpx: and until `min_requests` were answered)."""
    use_wrk = tool == "wrk" or (tool == "auto" and shutil.which("wrk") is not None)
    report = LoadReport("wrk" if use_wrk else "httpx (asyncio)", connections, seconds, warmup=warmup, cap=cap)
    ws = Workspace.open(tmp / "home")
    mock = make_mock(ws, "load", free_port(), call_log_cap=cap)
    with run_serve(ws.root, [mock], tmp / "serve") as served:
        stop = threading.Event()
        started = time.monotonic()
        sampler = threading.Thread(target=_sample, args=(served.proc.pid, report.rss, stop, started), daemon=True)
        sampler.start()
        log(f"loading {mock.url} with {report.tool} ...")
        if use_wrk:
            _wrk_load(mock.url, connections, seconds, report, tmp)
        else:
            t0 = time.monotonic()
            latencies = asyncio.run(_httpx_load(mock.url, connections, seconds, report, min_requests))
            report.rate = report.requests / (time.monotonic() - t0)
            report.p50_ms, report.p99_ms = percentile(latencies, 50), percentile(latencies, 99)
        report.seconds = time.monotonic() - started
        stop.set()
        sampler.join(5)
        if served.stop() != 0:
            report.problems.append("postmock serve did not stop cleanly")
        report.problems += [f"postmock serve logged: {e}" for e in our_errors(served.output())]
    report.call_log = CallLog(ws, mock.id).count()
    report.problems += json_problems(ws.root)
    return report
