"""Benchmark (not a test): postmock's engines beside other mock servers, with wrk.

  scripts/bench serve [--sizes 100,1000,10000,100000] [--connections 10,100] [--duration 5]
                      [--runs 3] [--servers floor,floor-engine,asgi,asgi-2w,mitmproxy,wiremock,prism,mockoon,
                                 postman-local]
                      [--cache DIR]

Every server answers the same N stubs (`GET /users/{i}` -> `{"id": i, "name": "user i"}`) on
127.0.0.1; wrk sends random `GET /users/i`, first to warm up, then `--runs` runs of
`--duration` s, keeping the best. A postmock mock of 2,000 stubs or more makes its answers
ahead on a thread after it starts: it is measured once it says they are made, as the JIT
peers are measured warmed, and the bench says how long that took. A run with any non-2xx answer is void. Per server, N and
connection count it reports req/s and p50/p99 latency. The servers:

  floor          a raw ASGI app with a fixed answer on stock uvicorn (httptools, uvloop): the stack's limit
  floor-engine   the same app on postmock's engine (uvicorn's protocol, one write per answer)
  asgi           postmock serve (ASGI engine); asgi-2w: the same with --workers 2
  mitmproxy      postmock serve --engine mitmproxy
  wiremock       WireMock standalone (Java; the jar from the npm package `wiremock`)
  prism          Prism (@stoplight/prism-cli) on an OpenAPI file of the stubs
  mockoon        Mockoon CLI (@mockoon/cli) on the same OpenAPI file
  postman-local  postman-local-mock-server, when $POSTMAN_LOCAL_MOCK_SERVER names a checkout

Missing tools are installed first: wrk and Java with apt-get, the npm packages into the cache
folder (default ~/.cache/postmock-bench); what cannot be run is skipped, and said why.
Targets: postmock's ASGI engine >= 0.4x the floor at every N; at N=100 >= the fastest peer;
from 1k up >= 2x the fastest peer; at 100k >= 0.8x its rate at the smallest N.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
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

from postmock_core.mock.served import ASIDE_FROM  # after the path is set

BIN = Path(sys.executable).parent
PEERS = ("wiremock", "prism", "mockoon", "postman-local")
NPM = {"wiremock": "wiremock", "prism": "@stoplight/prism-cli", "mockoon": "@mockoon/cli"}
START_TIMEOUT = 180.0
AHEAD_TIMEOUT = 180.0

WRK_SCRIPT = """
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/users/" .. math.random(1, {n}))
end
"""

# The fixed answer both floors give, and the two servers around it.
FIXED_APP = """
BODY = b'{"id": 1, "name": "user 1"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
async def app(scope, receive, send):
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
"""

FLOOR = FIXED_APP + """
import uvicorn
uvicorn.run(app, host="127.0.0.1", port={port}, http="httptools", loop="uvloop", lifespan="off",
            access_log=False, log_level="warning", server_header=False, timeout_keep_alive=30, backlog=2048)
"""

FLOOR_ENGINE = FIXED_APP + """
import asyncio, sys
sys.path.insert(0, {root})
from postmock_core.serve.server import Engine, new_event_loop
async def main():
    await Engine().open({port}, app)
    await asyncio.Event().wait()
loop = new_event_loop(); asyncio.set_event_loop(loop); loop.run_until_complete(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- tools ----------------------------------------------------------------------------------------
def ensure_apt(command: str, package: str) -> str | None:
    """None when `command` is there (installing `package` if needed), else why not."""
    if shutil.which(command):
        return None
    say(f"installing {package} (apt-get) ...")
    proc = subprocess.run(["apt-get", "install", "-y", "-q", package], capture_output=True, text=True, check=False)
    return None if shutil.which(command) else f"{command} missing and apt-get install {package} failed: " \
                                                f"{proc.stderr.strip()[-200:]}"


def ensure_npm(cache: Path, server: str) -> str | None:
    """None when the npm package of `server` is in the cache folder (installed if needed)."""
    package = NPM[server]
    if (cache / "node_modules" / package / "package.json").exists():
        return None
    if not shutil.which("npm"):
        return "npm is not installed"
    say(f"installing {package} into {cache} (npm) ...")
    cache.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--silent", package],
                          capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode != 0:
        return f"npm install {package} failed: {proc.stderr.strip()[-200:]}"
    return None


# -- the same stubs, for each server --------------------------------------------------------------
def body(i: int) -> dict[str, Any]:
    return {"id": i, "name": f"user {i}"}


def postmock_workspace(folder: Path, n: int) -> tuple[str, int]:
    """A workspace with one mock of N stubs; (its name, its port)."""
    from postmock_core.mock.configs import MockStore
    from postmock_core.postman.collections import CollectionStore
    from postmock_core.postman.importer import normalize_collection
    from postmock_core.store.workspace import Workspace

    ws = Workspace.open(folder)
    items = [{"name": f"user {i}", "request": {"method": "GET", "url": f"{{{{baseUrl}}}}/users/{i}"},
              "response": [{"name": f"user {i}", "code": 200, "status": "OK",
                            "header": [{"key": "Content-Type", "value": "application/json"}],
                            "body": json.dumps(body(i)),
                            "originalRequest": {"method": "GET", "url": f"{{{{baseUrl}}}}/users/{i}"}}]}
             for i in range(1, n + 1)]
    doc = {"info": {"name": f"bench {n}",
                    "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
           "variable": [{"key": "baseUrl", "value": "http://api.bench.test"}], "item": items}
    stored, _ = CollectionStore(ws).import_normalized(normalize_collection(doc))
    port = free_port()
    MockStore(ws).create(f"bench{n}", stored["info"]["_postman_id"], port=port)
    return f"bench{n}", port


def openapi(path: Path, n: int) -> None:
    paths = {f"/users/{i}": {"get": {"operationId": f"user{i}", "responses": {"200": {
        "description": "OK", "content": {"application/json": {"example": body(i)}}}}}}
        for i in range(1, n + 1)}
    path.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": f"bench {n}", "version": "1"},
                                "paths": paths}))


def wiremock_root(folder: Path, n: int) -> None:
    (folder / "mappings").mkdir(parents=True)
    (folder / "__files").mkdir()
    mappings = [{"request": {"method": "GET", "url": f"/users/{i}"},
                 "response": {"status": 200, "jsonBody": body(i), "headers": {"Content-Type": "application/json"}}}
                for i in range(1, n + 1)]
    (folder / "mappings" / "stubs.json").write_text(json.dumps({"mappings": mappings}))


# -- running a server -------------------------------------------------------------------------------
def command(server: str, n: int, tmp: Path, cache: Path) -> tuple[list[str], int, dict[str, str]]:
    """(argv, port, extra environment) to serve N stubs with `server`."""
    port = free_port()
    if server == "floor":
        return [sys.executable, "-c", FLOOR.replace("{port}", str(port))], port, {}
    if server == "floor-engine":
        code = FLOOR_ENGINE.replace("{root}", repr(str(ROOT))).replace("{port}", str(port))
        return [sys.executable, "-c", code], port, {}
    if server in ("asgi", "asgi-2w", "mitmproxy"):
        home = tmp / f"home-{server}-{n}"
        name, port = postmock_workspace(home, n)
        argv = [str(BIN / "postmock"), "--home", str(home), "serve", name, "--quiet"]
        if server == "asgi-2w":
            argv += ["--workers", "2"]
        if server == "mitmproxy":
            argv += ["--engine", "mitmproxy"]
        return argv, port, {}
    if server == "wiremock":
        root = tmp / f"wiremock-{n}"
        wiremock_root(root, n)
        jar = next((cache / "node_modules" / "wiremock").rglob("wiremock*standalone*.jar"))
        return (["java", "-Xmx2g", "-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1",
                 "--root-dir", str(root), "--disable-request-logging", "--no-request-journal",
                 "--async-response-enabled", "true"], port, {})
    spec = tmp / f"openapi-{n}.json"
    if not spec.exists():
        openapi(spec, n)
    if server == "prism":
        return [str(cache / "node_modules" / ".bin" / "prism"), "mock", "-h", "127.0.0.1", "-p", str(port),
                "--errors", "false", str(spec)], port, {}
    if server == "mockoon":
        return [str(cache / "node_modules" / ".bin" / "mockoon-cli"), "start", "--data", str(spec),
                "--port", str(port), "--disable-log-to-file"], port, {}
    checkout = os.environ.get("POSTMAN_LOCAL_MOCK_SERVER", "")
    collection = tmp / f"collection-{n}.json"
    return (["node", str(Path(checkout) / "bin" / "index.js"), "-c", str(collection), "-p", str(port)], port, {})


@contextlib.contextmanager
def running(argv: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **env}, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"exited with {proc.returncode}: {log.read_text(errors='replace')[-300:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"did not answer within {START_TIMEOUT:g} s")
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    s.sendall(b"GET /users/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            time.sleep(0.5)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            proc.wait(10)


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * _UNIT[m.group(2)] if m else float("nan")


def wrk(port: int, n: int, connections: int, duration: float, script: Path) -> dict[str, float] | None:
    """One wrk run; None when any answer was not 2xx, or a call failed or timed out (wrk's 2 s):
    the run is void."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=False,
                         timeout=duration + 60).stdout
    if "Non-2xx" in out or re.search(r"Socket errors:.*(read|write|timeout) [1-9]", out):
        return None
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    if not (rps and p50 and p99) or float(rps.group(1)) == 0:
        return None
    return {"rps": float(rps.group(1)), "p50": _ms(p50.group(1)), "p99": _ms(p99.group(1))}


def made_ahead(log: Path, workers: int) -> float | None:
    """Seconds until each process of a large postmock mock says its answers are made ahead
    (None: not within `AHEAD_TIMEOUT`)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < AHEAD_TIMEOUT:
        if log.read_text(errors="replace").count(" answers made ahead in ") >= workers:
            return time.monotonic() - t0
        time.sleep(0.2)
    return None


def measure(server: str, n: int, conns: list[int], args: argparse.Namespace, tmp: Path,
            script: Path) -> dict[int, dict[str, float] | str]:
    argv, port, env = command(server, n, tmp, args.cache)
    results: dict[int, dict[str, float] | str] = {}
    log = tmp / f"{server}-{n}.log"
    with running(argv, port, env, log):
        if server in ("asgi", "asgi-2w") and n >= ASIDE_FROM:
            # As a JIT peer is measured warmed, postmock is measured once its answers are made ahead.
            waited = made_ahead(log, 2 if server == "asgi-2w" else 1)
            say(f"  N={n:<6} {server:<13} " + (f"answers made ahead {waited:.1f} s after the first answer"
                                              if waited is not None else
                                              f"answers not made ahead within {AHEAD_TIMEOUT:g} s"))
        warm = 10.0 if server == "wiremock" else 3.0  # the JIT needs its warm-up
        wrk(port, n, max(conns), warm, script)
        for c in conns:
            runs = [r for r in (wrk(port, n, c, args.duration, script) for _ in range(args.runs)) if r]
            results[c] = max(runs, key=lambda r: r["rps"]) if runs else "void (non-2xx, errors or timeouts)"
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,10000,100000")
    ap.add_argument("--connections", default="10,100")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--servers",
                    default="floor,floor-engine,asgi,asgi-2w,mitmproxy,wiremock,prism,mockoon,postman-local")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                    / "postmock-bench")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    conns = [int(c) for c in args.connections.split(",")]
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if (why := ensure_apt("wrk", "wrk")) is not None:
        say(f"cannot run: {why}")
        return 2
    skipped: dict[str, str] = {}
    for server in servers:
        why = None
        if server == "wiremock":
            why = ensure_apt("java", "default-jre-headless") or ensure_npm(args.cache, server)
        elif server in ("prism", "mockoon"):
            why = ensure_apt("node", "nodejs") or ensure_npm(args.cache, server)
        elif server == "postman-local" and not os.environ.get("POSTMAN_LOCAL_MOCK_SERVER"):
            why = "its npm name is not published; set POSTMAN_LOCAL_MOCK_SERVER to a checkout of its source"
        if why:
            skipped[server] = why
    load = os.getloadavg()
    say(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} at start")
    table: dict[tuple[str, int, int], dict[str, float] | str] = {}
    with tempfile.TemporaryDirectory(prefix="postmock-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        for n in sizes:
            script = tmp / f"wrk-{n}.lua"
            script.write_text(WRK_SCRIPT.format(n=n))
            for server in servers:
                if server in skipped:
                    continue
                try:
                    for c, r in measure(server, n, conns, args, tmp, script).items():
                        table[(server, n, c)] = r
                except (RuntimeError, StopIteration, subprocess.TimeoutExpired, OSError) as e:
                    for c in conns:
                        table[(server, n, c)] = f"failed: {str(e)[:120]}"
                for c in conns:
                    r = table.get((server, n, c))
                    text = r if isinstance(r, str) else f"{r['rps']:,.0f} req/s, p50 {r['p50']:.2f} ms, " \
                                                         f"p99 {r['p99']:.2f} ms"
                    say(f"  N={n:<6} c={c:<4} {server:<13} {text}")
    report(table, servers, sizes, conns, skipped)
    return 0


def _cell(r: dict[str, float] | str | None) -> str:
    if r is None:
        return "-"
    if isinstance(r, str):
        return r.split(":")[0]
    return f"{r['rps']:,.0f} ({r['p50']:.1f} / {r['p99']:.1f})"


def report(table: dict[tuple[str, int, int], dict[str, float] | str], servers: list[str], sizes: list[int],
           conns: list[int], skipped: dict[str, str]) -> None:
    """The table in Markdown, and whether the targets hold."""
    for c in conns:
        print(f"\nwrk -t1 -c{c}: req/s (p50 / p99 ms)\n")
        print("| server | " + " | ".join(f"N={n:,}" for n in sizes) + " |")
        print("|---|" + "---|" * len(sizes))
        for server in servers:
            if server not in skipped:
                print(f"| {server} | " + " | ".join(_cell(table.get((server, n, c))) for n in sizes) + " |")
    for server, why in skipped.items():
        print(f"\nskipped {server}: {why}")
    print("\ntargets (postmock asgi):")
    for c in conns:
        for n in sizes:
            ours, floor = table.get(("asgi", n, c)), table.get(("floor", n, c))
            peers = [r["rps"] for s in PEERS if isinstance(r := table.get((s, n, c)), dict)]
            if not isinstance(ours, dict):
                continue
            checks = []
            if isinstance(floor, dict):
                ratio = ours["rps"] / floor["rps"]
                checks.append(f"{ratio:.2f}x the floor ({'met' if ratio >= 0.4 else 'NOT met'})")
            if peers:
                best = max(peers)
                want = 1.0 if n < 1000 else 2.0
                checks.append(f"{ours['rps'] / best:.2f}x the fastest peer (target {want:g}x: "
                              f"{'met' if ours['rps'] >= want * best else 'NOT met'})")
            smallest = table.get(("asgi", sizes[0], c))
            if n > sizes[0] and isinstance(smallest, dict):
                flat = ours["rps"] / smallest["rps"]
                checks.append(f"{flat:.2f}x the N={sizes[0]:,} rate (target 0.8x at 100k: "
                              f"{'met' if flat >= 0.8 else 'NOT met'})" if n == 100_000 else
                              f"{flat:.2f}x the N={sizes[0]:,} rate")
            gain = table.get(("asgi-2w", n, c))
            if isinstance(gain, dict):
                checks.append(f"2 workers: {gain['rps'] / ours['rps']:.2f}x")
            print(f"  N={n:,} c={c}: " + "; ".join(checks))


if __name__ == "__main__":
    sys.exit(main())
