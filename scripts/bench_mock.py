"""Benchmark (not a test): mock server throughput against mitmproxy's own floor, with wrk.

  scripts/bench mock [--duration 10] [--connections 32] [--sizes 100,1000,10000] [--profile]

In one run, on 127.0.0.1, the same requests (GET paths cycled by a wrk Lua script) go to:
  floor   mitmdump with a trivial addon that returns a fixed response in its request hook;
  replay  mitmdump --server-replay of a flow file recorded from the same requests;
  N       `postmock serve` of a generated collection of N examples (many resources, IDs,
          query variants), for each N in --sizes.
It prints req/s and p99 latency for each, and postmock's req/s as a ratio of the floor
(target: >= 0.9 at every size). Because req/s swings with whatever else the machine runs, it
also prints the server's CPU time per request (and as a ratio of the floor's), which is far
steadier, and the CPU its helper processes used. The floor runs first and last, to show drift.
--profile records a py-spy flame graph of the largest size (`pip install py-spy` first).
Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from postmock_core.postman.collections import CollectionStore
from postmock_core.mock.configs import MockStore
from postmock_core.postman.importer import normalize_collection
from postmock_core.store.workspace import Workspace

BIN = Path(sys.executable).parent
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
JSON_HEADERS = [{"key": "Content-Type", "value": "application/json"}]
NOUNS = ["users", "orders", "products", "carts", "invoices", "reviews", "stores", "coupons", "shipments",
         "payments", "accounts", "tickets", "teams", "projects", "files", "events"]
PATHS = 64  # distinct request paths wrk cycles through

FLOOR_ADDON = '''
from mitmproxy import http

BODY = {body!r}


def request(flow: http.HTTPFlow) -> None:
    flow.response = http.Response.make(200, BODY, {{"Content-Type": "application/json"}})
'''

WRK_SCRIPT = '''
paths = {{{paths}}}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing listened on {port} within {timeout:g} s")


@contextlib.contextmanager
def running(cmd: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


# -- data ---------------------------------------------------------------------------------------
def _body(rng: random.Random, noun: str, ident: int) -> str:
    return json.dumps({"id": ident, "type": noun[:-1], "name": f"{noun[:-1]} {ident}",
                       "status": rng.choice(["active", "pending", "archived"]),
                       "tags": rng.sample(["red", "green", "blue", "new", "sale", "vip"], 3),
                       "created": "2026-11-21T05:30:00Z", "owner": {"id": rng.randint(1, 999), "team": "core"}})


def _example(name: str, method: str, url: str, code: int, body: str) -> dict[str, Any]:
    return {"name": name, "code": code, "status": "OK" if code < 400 else "Not Found", "header": JSON_HEADERS,
            "body": body, "originalRequest": {"method": method, "url": url}}


def make_collection(size: int, seed: int = 7) -> dict[str, Any]:
    """About `size` examples: per resource a list with query variants, items by ID, writes."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    count = 0
    r = 0
    while count < size:
        noun = f"{NOUNS[r % len(NOUNS)]}{r // len(NOUNS) or ''}"
        base = "{{baseUrl}}/api/v1/" + noun
        lst = [_example(f"{noun} page {p}", "GET", f"{base}?page={p}&limit=20", 200,
                        json.dumps({"page": p, "items": [r, p]})) for p in (1, 2, 3)]
        one = [_example(f"{noun} {i}", "GET", f"{base}/{i}", 200, _body(rng, noun, i)) for i in range(1, 12)]
        one.append(_example(f"{noun} missing", "GET", f"{base}/999999", 404, '{"error": "not found"}'))
        writes = [_example(f"{noun} created", "POST", base, 201, _body(rng, noun, 77)),
                  _example(f"{noun} updated", "PUT", f"{base}/1", 200, _body(rng, noun, 1)),
                  _example(f"{noun} deleted", "DELETE", f"{base}/1", 204, ""),
                  _example(f"{noun} search", "GET", f"{base}/search?q=x", 200, '{"hits": []}')]
        folder = {"name": noun, "item": [
            {"name": f"list {noun}", "request": {"method": "GET", "url": base}, "response": lst},
            {"name": f"get {noun}", "request": {"method": "GET", "url": f"{base}/:id"}, "response": one},
            {"name": f"write {noun}", "request": {"method": "POST", "url": base}, "response": writes},
        ]}
        items.append(folder)
        count += len(lst) + len(one) + len(writes)
        r += 1
    return {"info": {"name": f"bench {size}", "schema": SCHEMA},
            "variable": [{"key": "baseUrl", "value": "https://api.bench.test"}], "item": items}


def request_paths(rng: random.Random) -> list[str]:
    """Paths every generated collection answers with a 200: exact, by ID rule, and with queries."""
    paths = []
    for k in range(PATHS):
        noun = NOUNS[k % 5]  # the first resources exist in every size
        kind = k % 4
        if kind == 0:
            paths.append(f"/api/v1/{noun}/{rng.randint(1, 11)}")
        elif kind == 1:
            paths.append(f"/api/v1/{noun}/{rng.randint(1000, 99999)}")  # an ID no example has
        elif kind == 2:
            paths.append(f"/api/v1/{noun}?page={rng.randint(1, 3)}&limit=20")
        else:
            paths.append(f"/api/v1/{noun}/search?q=x")
    return paths


# -- load ---------------------------------------------------------------------------------------
_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_P99 = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors:.*")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def helper_cpu_seconds(pid: int) -> float:
    """CPU time of the child processes of `pid` (postmock's call log and history writers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


_REQS = re.compile(r"(\d+) requests in")


def wrk(url: str, script: Path, duration: int, connections: int, pid: int) -> dict[str, Any]:
    # Warm up (imports, index, caches) before measuring.
    subprocess.run(["wrk", "-t1", "-c4", "-d2s", "-s", str(script), url], capture_output=True, timeout=60,
                   check=False)
    cpu0, helpers0 = cpu_seconds(pid), helper_cpu_seconds(pid)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
                          url], capture_output=True, text=True, timeout=duration + 60, check=False).stdout
    cpu = cpu_seconds(pid) - cpu0
    helpers = helper_cpu_seconds(pid) - helpers0
    count = int(_REQS.search(out).group(1))  # type: ignore[union-attr]
    rps = float(_RPS.search(out).group(1))  # type: ignore[union-attr]
    m = _P99.search(out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99 = float(m.group(1)) * scale[m.group(2)] if m else float("nan")
    non2xx = int(_NON2XX.search(out).group(1)) if _NON2XX.search(out) else 0
    errors = _ERRORS.search(out)
    return {"rps": rps, "p99_ms": p99, "non2xx": non2xx, "errors": errors.group(0) if errors else "",
            "cpu_us": cpu / max(count, 1) * 1e6, "helper_us": helpers / max(count, 1) * 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per target (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--sizes", default="100,1000,10000", help="collection sizes (default 100,1000,10000)")
    parser.add_argument("--profile", action="store_true", help="py-spy flame graph of the largest size")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("bench_mock: wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="postmock-bench-mock-"))
    rng = random.Random(11)
    paths = request_paths(rng)
    script = tmp / "paths.lua"
    script.write_text(WRK_SCRIPT.format(paths=", ".join(json.dumps(p) for p in paths)))
    home = tmp / "home"
    ws = Workspace.open(home)
    results: list[tuple[str, dict[str, Any]]] = []
    env = {**os.environ, "POSTMOCK_HOME": str(home)}
    mitm_common = ["--listen-host", "127.0.0.1", "--set", f"confdir={tmp / 'conf'}", "-q",
                   "--set", "connection_strategy=lazy"]
    try:
        mocks = {}
        for size in sizes:
            t0 = time.perf_counter()
            doc, _ = CollectionStore(ws).import_normalized(normalize_collection(make_collection(size)))
            n = sum(len(i["response"]) for f in doc["item"] for i in f["item"])
            mocks[size] = MockStore(ws).create(f"bench-{size}", doc["info"]["_postman_id"], port=free_port())
            print(f"collection of {n} examples ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

        def floor() -> dict[str, Any]:
            addon = tmp / "floor.py"
            sample = _body(random.Random(1), "users", 1)
            addon.write_text(FLOOR_ADDON.format(body=sample.encode()))
            port = free_port()
            cmd = [str(BIN / "mitmdump"), *mitm_common, "--mode", f"reverse:http://127.0.0.1:1@{port}",
                   "-s", str(addon)]
            with running(cmd, port, tmp / "floor.log") as proc:
                return wrk(f"http://127.0.0.1:{port}", script, args.duration, args.connections, proc.pid)

        results.append(("floor (fixed response addon)", floor()))

        # server-replay: record the same requests through a recording mitmdump in front of a mock.
        flows = tmp / "flows.mitm"
        first = mocks[sizes[0]]
        with running([str(BIN / "postmock"), "--home", str(home), "serve", first.name], first.port,
                     tmp / "serve-record.log"):
            rec_port = free_port()
            cmd = [str(BIN / "mitmdump"), *mitm_common, "--mode", f"reverse:{first.url}@{rec_port}",
                   "-w", str(flows)]
            with running(cmd, rec_port, tmp / "record.log"):
                import urllib.request

                for p in paths:
                    with urllib.request.urlopen(f"http://127.0.0.1:{rec_port}{p}", timeout=30) as r:
                        r.read()
        port = free_port()
        cmd = [str(BIN / "mitmdump"), *mitm_common, "--mode", f"reverse:{first.url}@{port}",
               "--server-replay", str(flows), "--set", "server_replay_reuse=true",
               "--set", "server_replay_extra=kill"]
        with running(cmd, port, tmp / "replay.log") as proc:
            results.append(("mitmproxy --server-replay", wrk(f"http://127.0.0.1:{port}", script,
                                                             args.duration, args.connections, proc.pid)))

        for size in sizes:
            mock = mocks[size]
            cmd = [str(BIN / "postmock"), "--home", str(home), "serve", mock.name]
            with running(cmd, mock.port, tmp / f"serve-{size}.log") as proc:
                spy = None
                if args.profile and size == max(sizes):
                    pyspy = shutil.which("py-spy") or str(BIN / "py-spy")
                    spy = subprocess.Popen([pyspy, "record", "-o", str(tmp / "profile.svg"),
                                            "-d", str(args.duration + 3), "-p", str(proc.pid)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
                results.append((f"postmock, {size} examples", wrk(mock.url, script, args.duration,
                                                                  args.connections, proc.pid)))
                if spy is not None:
                    spy.wait(60)
                    print(f"profile: {tmp / 'profile.svg'}", file=sys.stderr)
        results.append(("floor again (drift check)", floor()))
    finally:
        if not args.keep and not args.profile:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)

    floor_rps = (results[0][1]["rps"] + results[-1][1]["rps"]) / 2
    floor_cpu = (results[0][1]["cpu_us"] + results[-1][1]["cpu_us"]) / 2
    print(f"\nwrk -t1 -c{args.connections} -d{args.duration}s, {PATHS} GET paths cycled, 127.0.0.1, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"ratio = req/s / mean floor req/s ({floor_rps:.0f}); cpu ratio = mean floor CPU per "
          f"request ({floor_cpu:.0f} us) / this target's (less noisy on a busy machine)")
    print("helper us/req: CPU of the server's child processes (postmock's call log writer), "
          "which run beside the proxy rather than in it")
    print(f"{'target':34} {'req/s':>8} {'p99 ms':>8} {'ratio':>6} {'cpu us/req':>10} {'cpu ratio':>9} "
          f"{'helper us/req':>13} {'non-2xx':>8}")
    for name, r in results:
        print(f"{name:34} {r['rps']:8.0f} {r['p99_ms']:8.2f} {r['rps'] / floor_rps:6.2f} {r['cpu_us']:10.0f} "
              f"{floor_cpu / r['cpu_us']:9.2f} {r['helper_us']:13.0f} {r['non2xx']:8d}"
              + (f"  {r['errors']}" if r["errors"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
