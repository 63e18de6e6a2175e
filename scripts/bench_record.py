"""Benchmark: throughput of the recording proxy against plain mitmdump (reverse mode).

Both proxies sit in front of the same sample API on 127.0.0.1 and are loaded in turn by wrk,
alternating for a few rounds so drift on the machine hits both alike. Prints req/s for each,
their ratio, and checks that the recorder really stored what it was sent.

    scripts/bench record [--rounds 3] [--duration 10] [--connections 10] [--min-ratio 0.85]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

BIN = Path(sys.executable).parent


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install -y wrk) ...", file=sys.stderr)
        if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL,
                          check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=False)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL, check=False)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("bench_record: wrk is needed: install it with 'sudo apt-get install wrk' (Debian/Ubuntu)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench_record: a process exited early ({proc.args})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"bench_record: nothing listens on port {port} after {timeout}s")


def start_mitmdump(upstream: str, tmp: Path, name: str, extra: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [str(BIN / "mitmdump"), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port),
           "--mode", f"reverse:{upstream}", "--set", f"confdir={tmp / 'conf'}", *extra]
    log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for_port(port, proc)
    return proc, port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (the recorder's writer process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def family_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of a process and of its children (0 for a child that is gone)."""
    kids = 0.0
    for child in children(pid):
        try:
            kids += cpu_seconds(child)
        except OSError:
            pass
    return cpu_seconds(pid), kids


def run_wrk(wrk: str, port: int, seconds: float, connections: int) -> tuple[float, int, int]:
    """(requests per second, requests, errors) for one wrk run against /fast."""
    out = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s",
                          f"http://127.0.0.1:{port}/fast"], capture_output=True, text=True,
                         timeout=seconds + 60, check=False).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if not rps or not total:
        sys.exit(f"bench_record: cannot read wrk output:\n{out}")
    n_err = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return float(rps.group(1)), int(total.group(1)), n_err


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=10, help="wrk connections (default 10)")
    parser.add_argument("--min-ratio", type=float, default=0.0,
                        help="exit 1 when recording/plain falls below this (default: report only)")
    args = parser.parse_args()
    wrk = ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="postmock-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        api = subprocess.Popen([sys.executable, "-m", "postmock_core.sampleapi", "--port", "0"],
                               stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT)
        procs.append(api)
        upstream = api.stdout.readline().decode().strip() if api.stdout else ""
        if not upstream.startswith("http://"):
            sys.exit("bench_record: the sample API did not start")
        workspace = Workspace.open(tmp / "home")
        plain, plain_port = start_mitmdump(upstream, tmp, "plain", [])
        procs.append(plain)
        rec, rec_port = start_mitmdump(upstream, tmp, "record", [
            "-s", str(ROOT / "addons" / "record.py"), "--set", f"postmock_home={workspace.root}"])
        procs.append(rec)
        print(f"upstream {upstream}/fast; wrk -t1 -c{args.connections}, {args.duration:g}s per run, "
              f"{args.rounds} rounds; {os.cpu_count()} CPUs")
        for port in (plain_port, rec_port):  # warm up: imports, certificate, connection pools
            run_wrk(wrk, port, 2, args.connections)
        time.sleep(1)  # let the warm-up batch be written before counting
        before = HistoryStore(workspace).count()
        plain_rps: list[float] = []
        rec_rps: list[float] = []
        cpu = {"plain": [0.0, 0], "record": [0.0, 0]}  # CPU seconds and requests, per proxy
        writer_cpu = 0.0
        errors = 0
        print(f"{'round':>5}  {'plain req/s':>12}  {'record req/s':>12}  {'ratio':>6}")
        for i in range(1, args.rounds + 1):
            results = []
            for name, proc, port in (("plain", plain, plain_port), ("record", rec, rec_port)):
                before_cpu, before_kids = family_cpu(proc.pid)
                rps, n, err = run_wrk(wrk, port, args.duration, args.connections)
                time.sleep(0.6)  # the recorder's last flush of this run belongs to it
                after_cpu, after_kids = family_cpu(proc.pid)
                cpu[name][0] += after_cpu - before_cpu
                if name == "record":
                    writer_cpu += after_kids - before_kids
                cpu[name][1] += n
                errors += err
                results.append(rps)
            p, r = results
            plain_rps.append(p)
            rec_rps.append(r)
            print(f"{i:>5}  {p:>12.0f}  {r:>12.0f}  {r / p:>6.3f}", flush=True)
        sent = int(cpu["record"][1])
        rec.send_signal(signal.SIGTERM)  # done() flushes what is still queued
        rec.wait(60)
        recorded = HistoryStore(workspace).count() - before
        p_med, r_med = statistics.median(plain_rps), statistics.median(rec_rps)
        ratio = r_med / p_med
        print(f"median  {p_med:>12.0f}  {r_med:>12.0f}  {ratio:>6.3f}")
        per = {k: 1e6 * c / max(n, 1) for k, (c, n) in cpu.items()}
        print(f"proxy CPU per request: plain {per['plain']:.0f} us, record {per['record']:.0f} us "
              f"(+{per['record'] / per['plain'] * 100 - 100:.0f}%); the writer process "
              f"{1e6 * writer_cpu / max(cpu['record'][1], 1):.0f} us on its own")
        print(f"recorded {recorded} of {sent} requests sent to the recording proxy; "
              f"{errors} wrk errors or non-2xx")
        if recorded < sent:
            print("WARNING: the recorder lost exchanges", file=sys.stderr)
            return 1
        if args.min_ratio and ratio < args.min_ratio:
            print(f"FAIL: ratio {ratio:.3f} below {args.min_ratio}", file=sys.stderr)
            return 1
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
