"""Benchmark `postmock history`: listing a 100,000-entry history and importing a 10,000-entry HAR.

    scripts/bench history [--entries N] [--har-entries N] [--keep]

Each command runs as a real `postmock` subprocess; wall time and the child's peak RSS are
reported against the targets (list: < 1 s and < 500 MB; import: < 30 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

POSTMOCK = str(Path(sys.executable).with_name("postmock"))
HOSTS = ["api.example.test", "auth.example.test", "cdn.example.test", "shop.example.test"]
PATHS = ["/v1/users", "/v1/users/{n}", "/v1/orders", "/v1/orders/{n}/items", "/v1/search", "/login"]
START = 1_795_000_000.0  # late 2026


def _headers(rng: random.Random) -> list[list[str]]:
    return [["Accept", "application/json"], ["Accept-Language", "en-US,en;q=0.9"],
            ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0"],
            ["Authorization", "Bearer [REDACTED]"], ["X-Request-Id", f"{rng.getrandbits(64):016x}"],
            ["Connection", "keep-alive"]]


def _doc(i: int, rng: random.Random) -> dict:
    """A realistic stored exchange of about 1.5 KB."""
    method = rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"])
    path = rng.choice(PATHS).replace("{n}", str(rng.randint(1, 9999)))
    status = rng.choice([200, 200, 200, 201, 204, 304, 400, 404, 500])
    ts = START + i * 8.0
    body = json.dumps({"id": i, "name": f"user {i}", "email": f"user{i}@example.test",
                       "roles": ["reader", "writer"], "tags": [f"t{k}" for k in range(12)],
                       "address": {"street": f"{i} Main St", "city": "Springfield", "zip": "12345"}})
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts)), "timestamp": ts,
        "duration_ms": round(rng.uniform(5, 400), 3), "mode": "regular", "source": "proxy",
        "request": {"method": method, "scheme": "https", "host": rng.choice(HOSTS), "port": 443,
                    "path": path, "query": [["page", str(rng.randint(1, 5))]],
                    "headers": _headers(rng),
                    "body": {"text": '{"name":"x"}'} if method in ("POST", "PUT") else None,
                    "http_version": "HTTP/1.1"},
        "response": {"status": status, "reason": "", "http_version": "HTTP/1.1",
                     "headers": [["Content-Type", "application/json"], ["Cache-Control", "no-store"],
                                 ["Date", "Sat, 21 Nov 2026 10:00:00 GMT"], ["Server", "nginx"],
                                 ["Content-Length", str(len(body))]],
                     "body": {"text": body}},
        "error": None,
    }


def build_history(home: Path, entries: int) -> float:
    store = HistoryStore(Workspace.open(home))
    rng = random.Random(1)
    started = time.perf_counter()
    batch = 5000
    for first in range(0, entries, batch):
        store.append_docs([_doc(i, rng) for i in range(first, min(first + batch, entries))])
    return time.perf_counter() - started


def make_har(path: Path, entries: int) -> None:
    rng = random.Random(2)
    out = []
    for i in range(entries):
        doc = _doc(i, rng)
        req, resp = doc["request"], doc["response"]
        url = f"https://{req['host']}{req['path']}?page={req['query'][0][1]}"
        entry = {
            "startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(doc["timestamp"])),
            "time": doc["duration_ms"],
            "request": {"method": req["method"], "url": url, "httpVersion": "http/2.0",
                        "headers": [{"name": k, "value": v} for k, v in req["headers"]]
                        + [{"name": "cookie", "value": f"sid={i:08d}; theme=dark"}],
                        "queryString": [{"name": "page", "value": req["query"][0][1]}],
                        "cookies": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": resp["status"], "statusText": "", "httpVersion": "http/2.0",
                         "headers": [{"name": k, "value": v} for k, v in resp["headers"]]
                         + [{"name": "content-encoding", "value": "gzip"}],
                         "cookies": [], "redirectURL": "", "headersSize": -1, "bodySize": -1,
                         "content": {"size": len(resp["body"]["text"]), "mimeType": "application/json",
                                     "text": resp["body"]["text"]}},
            "cache": {}, "timings": {"send": 0, "wait": doc["duration_ms"], "receive": 0},
        }
        if req["body"]:
            entry["request"]["postData"] = {"mimeType": "application/json", "text": req["body"]["text"]}
        out.append(entry)
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"},
                                        "entries": out}}))


# Runs one command and reports its own wall time and its child's peak RSS. A tiny wrapper
# process keeps the measurement honest: a child forked from this (large) benchmark process
# would otherwise report this process's memory as its own peak.
_WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True)
wall = time.perf_counter() - t
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stderr.write("\\n@@" + json.dumps([done.returncode, wall, rss]))
"""


def timed(argv: list[str], home: Path) -> tuple[float, float, str]:
    """Run `postmock ARGV`; its wall seconds, its peak RSS in MB, and its stdout."""
    env = {**os.environ, "POSTMOCK_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", _WRAPPER, POSTMOCK, *argv], capture_output=True,
                          text=True, env=env, timeout=600)
    err, _, stats = done.stderr.rpartition("\n@@")
    code, wall, rss_mb = json.loads(stats)
    if code != 0:
        raise SystemExit(f"postmock {' '.join(argv)} failed: {err.strip()}")
    return wall, rss_mb, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000, help="history size (default 100000)")
    parser.add_argument("--har-entries", type=int, default=10_000, help="HAR size (default 10000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspaces")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="postmock-bench-"))
    rows: list[tuple[str, float, float | None, str]] = []
    failed = False
    try:
        home = tmp / "big"
        print(f"building {args.entries} history entries in {home} ...", file=sys.stderr)
        rows.append((f"build {args.entries} entries (append_docs)", build_history(home, args.entries),
                     None, ""))
        size = sum(p.stat().st_size for p in (home / "history").iterdir()) / 1e6
        print(f"history is {size:.0f} MB on disk", file=sys.stderr)

        runs = [timed(["history", "list", "--limit", "50"], home) for _ in range(3)]
        wall = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        assert len(runs[0][2].splitlines()) == 51, "expected 50 rows and a header"
        ok = wall < 1.0 and rss < 500
        failed |= not ok
        rows.append(("history list --limit 50 (best of 3)", wall, rss,
                     f"< 1 s, < 500 MB: {'ok' if ok else 'MISSED'}"))
        wall, rss, _ = timed(["history", "list", "--limit", "50", "--json", "--status", "5xx"], home)
        rows.append(("history list --limit 50 --json --status 5xx", wall, rss, "(info)"))
        wall, rss, out = timed(["history", "list", "--limit", "0", "--json", "--host",
                                "nothing.test"], home)
        rows.append((f"history list --host (scans all {args.entries})", wall, rss, "(info)"))
        wall, rss, _ = timed(["history", "export", "--har", str(tmp / "big.har")], home)
        rows.append((f"history export --har (all {args.entries})", wall, rss, "(info)"))
        (tmp / "big.har").unlink()

        har = tmp / "bench.har"
        make_har(har, args.har_entries)
        fresh = tmp / "import"
        wall, rss, out = timed(["history", "import", str(har)], fresh)
        assert f"imported {args.har_entries} exchanges" in out, out
        ok = wall < 30
        failed |= not ok
        rows.append((f"history import {args.har_entries}-entry HAR "
                     f"({har.stat().st_size / 1e6:.0f} MB)", wall, rss,
                     f"< 30 s: {'ok' if ok else 'MISSED'}"))
        wall, rss, _ = timed(["history", "export", "--har", str(tmp / "out.har")], fresh)
        rows.append((f"history export --har ({args.har_entries} entries)", wall, rss, "(info)"))
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print(f"{'step'.ljust(width)}  {'wall s':>8}  {'peak RSS MB':>11}  target")
    for name, secs, peak, target in rows:
        peak_text = f"{peak:11.0f}" if peak is not None else " " * 11
        print(f"{name.ljust(width)}  {secs:8.2f}  {peak_text}  {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
