"""Benchmark: match time per request at 100, 1k, 10k and 100k examples.

Collections look like recorded APIs: many resources under a few prefixes, list calls with
paging queries, several recorded IDs per resource (numbers and UUIDs), a 404 beside the 200s,
wildcard examples, nested resources, JSON POST/PUT bodies. Requests mix recorded calls, new
IDs, other query orders, trailing slashes, capitalisation, bodies and a few misses.

usage: scripts/bench match [--sizes 100,1000,10000,100000] [--requests 4000] [--seed 1]
                          [--reload 100000]
Targets: at 10k examples, p50 <= 50 us and <= 2x the p50 at 100 examples; the index for 100k
examples built in <= 3 s. Build time is wall time and CPU time (steadier on a shared machine);
RSS is the process's resident memory with that one matcher built. `new miss ms` is the median
time of a path nothing answers, new each time (its 404 names the nearest examples).

--reload N serves a collection of N examples through the mock service (as `postmock serve`
does, answers made ahead included), edits one example, and keeps calling while the new version
builds aside: it reports the time until the edit answers, how many calls were answered
meanwhile (by the old version), and the slowest of them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from postmock_core.exchange import HttpRequest
from postmock_core.matching.matcher import Matcher


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fi", "gu", "ha",
             "ji", "ku", "le", "mo", "nu", "pe", "ri", "so", "tu", "va", "we", "xi", "yo", "zu")
PREFIXES = ("api/v1", "api/v2", "internal/admin", "partner")


def _names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        names.add(word + rng.choice(["s", "es", ""]))
    return sorted(names)


def _example(method: str, path: str, code: int, query: list[tuple[str, str]] | None = None,
             body: dict[str, Any] | None = None) -> dict[str, Any]:
    url: dict[str, Any] = {"raw": "{{baseUrl}}" + path, "host": ["{{baseUrl}}"],
                           "path": path.strip("/").split("/")}
    if query:
        url["query"] = [{"key": k, "value": v} for k, v in query]
    req: dict[str, Any] = {"method": method, "url": url,
                           "header": [{"key": "Accept", "value": "application/json"}]}
    if body is not None:
        req["header"].append({"key": "Content-Type", "value": "application/json"})
        req["body"] = {"mode": "raw", "raw": json.dumps(body),
                       "options": {"raw": {"language": "json"}}}
    return {"name": f"{method} {path} {code}", "originalRequest": req, "code": code, "status": "",
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": '{"ok": true}'}


def build(n: int, seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A collection of about `n` examples, and facts about each resource to make requests from."""
    rng = random.Random(seed)
    resources = _names(rng, n // 10 + 2)
    items, facts, count = [], [], 0
    for name in resources:
        if count >= n:
            break
        base = f"/{rng.choice(PREFIXES)}/{name}"
        ids = [str(rng.randint(1, 99999)) for _ in range(3)]
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        wild = rng.random() < 0.3
        exs = [_example("GET", base, 200, [("page", "1"), ("limit", "20")]),
               _example("GET", base, 200, [("page", "2"), ("limit", "20")]),
               *(_example("GET", f"{base}/{i}", 200) for i in ids[:2]),
               _example("GET", f"{base}/{ids[2]}", 404),
               _example("POST", base, 201, body={"name": name, "size": 1}),
               _example("POST", base, 400, body={"name": ""}),
               _example("PUT", f"{base}/{uid}", 200, body={"name": name}),
               _example("DELETE", f"{base}/{ids[0]}", 204),
               _example("GET", f"{base}/{ids[0]}/history", 200, [("since", "2024-01-01")])]
        if wild:
            exs.append(_example("GET", f"{base}/{{{{{name}Id}}}}/settings", 200))
        exs = exs[:n - count]
        count += len(exs)
        items.append({"name": name, "item": [
            {"name": e["name"], "request": e["originalRequest"], "response": [e]} for e in exs]})
        facts.append({"base": base, "ids": ids, "uuid": uid, "wild": wild})
    doc = {"info": {"name": f"bench {n}", "_postman_id": f"bench-{n}"}, "item": items,
           "variable": [{"key": "baseUrl", "value": "https://api.example.com"}]}
    return doc, facts


def requests(facts: list[dict[str, Any]], count: int, seed: int) -> list[HttpRequest]:
    rng = random.Random(seed + 1)
    out = []
    json_h = [("Content-Type", "application/json"), ("Accept", "application/json")]
    for _ in range(count):
        f = rng.choice(facts)
        base, roll = f["base"], rng.random()
        if roll < 0.25:
            r = HttpRequest("GET", path=f"{base}/{rng.choice(f['ids'][:2])}")
        elif roll < 0.45:
            r = HttpRequest("GET", path=f"{base}/{rng.randint(100000, 999999)}")
        elif roll < 0.60:
            q = [("limit", "20"), ("page", str(rng.randint(1, 4)))]
            rng.shuffle(q)
            r = HttpRequest("GET", path=base, query=q)
        elif roll < 0.70:
            body = {"size": 1, "name": base.rsplit("/", 1)[1]}
            if rng.random() < 0.3:
                body = {"name": "x"}
            r = HttpRequest("POST", path=base, headers=json_h, body=json.dumps(body).encode())
        elif roll < 0.78:
            r = HttpRequest("GET", path=f"{base}/{rng.randint(1, 999)}/history",
                            query=[("since", "2024-01-01")])
        elif roll < 0.84:
            r = HttpRequest("PUT", path=f"{base}/{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                            headers=json_h, body=b'{"name": "n"}')
        elif roll < 0.90:
            r = HttpRequest("GET", path=f"{base.upper()}/{f['ids'][0]}/")
        elif roll < 0.97:
            path = f"{base}/carol/settings" if f["wild"] else f"{base}/{f['ids'][1]}"
            r = HttpRequest("GET", path=path)
        else:
            r = HttpRequest("GET", path=f"/nothing/here/{rng.randint(1, 9)}")
        out.append(r)
    return out


def measure(n: int, count: int, seed: int) -> dict[str, float]:
    doc, facts = build(n, seed)
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    matcher = Matcher(doc)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    del doc
    gc.collect()
    rss = rss_mb()
    reqs = requests(facts, count, seed)
    for r in reqs[:200]:  # warm up
        matcher.match(r)
    gc.collect()
    gc.disable()
    times, hits = [], 0
    try:
        for r in reqs:
            t = time.perf_counter_ns()
            res = matcher.match(r)
            times.append((time.perf_counter_ns() - t) / 1000)
            hits += res.example is not None
    finally:
        gc.enable()
    times.sort()
    # A path nothing answers, new each time: the 404 names the nearest examples (the tables
    # that needs are made by the first miss, or ahead by a served version).
    matcher.prepare_for_misses()
    new_misses = []
    for k in range(50):
        t = time.perf_counter_ns()
        res = matcher.match(HttpRequest("GET", path=f"{facts[k % len(facts)]['base']}/{k}/nothing{k}"))
        if res.example is None:
            new_misses.append((time.perf_counter_ns() - t) / 1e6)
    return {"examples": len(matcher.examples), "build_s": build_s, "build_cpu": build_cpu, "rss": rss,
            "p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1],
            "hit": hits / len(reqs), "miss_ms": statistics.median(new_misses) if new_misses else float("nan")}


def reload(n: int, seed: int) -> None:
    """Edit one example of an N-example collection while calls keep coming (see the docstring)."""
    import tempfile

    from postmock_core.mock.configs import MockStore
    from postmock_core.mock.served import Served
    from postmock_core.mock.service import MockService
    from postmock_core.postman.collections import CollectionStore
    from postmock_core.postman.importer import normalize_collection
    from postmock_core.store.workspace import Workspace

    doc, _ = build(n, seed)
    doc["item"].insert(0, {"name": "probe", "request": {"method": "GET", "url": "{{baseUrl}}/probe"},
                           "response": [{"name": "probe", "code": 200, "status": "OK", "header": [],
                                         "body": "before"}]})
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "home")
        stored, _ = CollectionStore(ws).import_normalized(normalize_collection(doc))
        mock = MockStore(ws).create("reload", stored["info"]["_postman_id"], port=7999)
        del doc
        # Through the mock service, as `postmock serve` answers: it makes the answers ahead.
        service = MockService(ws, call_log=False)
        rt = service.runtime(mock.id)
        loop = asyncio.new_event_loop()
        probe = HttpRequest("GET", path="/probe")

        def call() -> bytes:
            return loop.run_until_complete(service.answer(rt, probe)).body

        t0 = time.perf_counter()
        rt.warm()
        first = time.perf_counter() - t0
        assert call() == b"before"
        served = rt.current()[1]
        if isinstance(served, Served) and served.preparing is not None:
            served.preparing.join()  # its answers made ahead
        made = time.perf_counter() - t0
        time.sleep(5)  # serving settles: the parsed document is let go on a thread
        gc.collect()
        rss = rss_mb()
        with CollectionStore(ws).edit(stored["info"]["_postman_id"]) as edited:
            edited["item"][0]["response"][0]["body"] = "after"
        t0 = time.perf_counter()
        answered, slowest, body = 0, 0.0, b"before"
        while body == b"before" and time.perf_counter() - t0 < 600:
            c = time.perf_counter()
            body = call()
            slowest = max(slowest, time.perf_counter() - c)
            answered += body == b"before"
            time.sleep(0.001)  # a caller every millisecond or so
        took = time.perf_counter() - t0
        time.sleep(5)  # the replaced version and the documents are freed on threads
        gc.collect()
        settled = rss_mb()
        service.close_writers()
        loop.close()
    print(f"reload at {n} examples: first build {first:.2f} s, answers made ahead {made:.2f} s after the "
          f"start, RSS {rss:.0f} MB 5 s later; after an "
          f"edit the new version answered after {took:.2f} s (its build: {rt.last_build_s:.2f} s); "
          f"{answered} calls answered meanwhile by the old version, the slowest in {slowest * 1000:.1f} ms; "
          f"RSS {settled:.0f} MB once the old version was freed")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,10000,100000")
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reload", type=int, default=0, metavar="N",
                    help="measure a hot reload at N examples instead")
    args = ap.parse_args()
    if args.reload:
        reload(args.reload, args.seed)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        rows.append(measure(n, args.requests, args.seed))
        print(f"  measured {rows[-1]['examples']} examples", file=sys.stderr)
    base = rows[0]["p50"]
    print(f"{'examples':>9}  {'build s':>8}  {'cpu s':>6}  {'RSS MB':>7}  {'p50 us':>7}  {'p99 us':>7}  "
          f"{'p50/p50(first)':>14}  {'answered':>8}  {'new miss ms':>11}")
    for row in rows:
        print(f"{row['examples']:>9}  {row['build_s']:>8.2f}  {row['build_cpu']:>6.2f}  {row['rss']:>7.0f}  "
              f"{row['p50']:>7.1f}  {row['p99']:>7.1f}  "
              f"{row['p50'] / base:>14.2f}  {row['hit']:>8.0%}  {row['miss_ms']:>11.2f}")
    big = next((r for r in rows if r["examples"] >= 90_000), None)
    if big is not None:
        print(f"target at 100k (index built in <= 3 s): {'met' if big['build_s'] <= 3 else 'NOT met'} "
              f"({big['build_s']:.2f} s)")
    ten_k = next((r for r in rows if 9000 <= r["examples"] <= 11000), None)
    if ten_k is not None:
        ok = ten_k["p50"] <= 50 and ten_k["p50"] <= 2 * base
        print(f"target at 10k (p50 <= 50 us and <= 2x the first row): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
