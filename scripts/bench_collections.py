"""Benchmark (not a test): collections at scale, timing the real `postmock` commands.

  scripts/bench collections [--entries 10000] [--examples 1500] [--keep]

1. `postmock collection create --from-history` over N history entries (target: under 10 s);
2. `postmock collection import` of a ~5 MB Postman file with M examples (target: under 5 s);
3. `postmock collection export` of that collection (target: under 5 s).
Setup (filling history, writing the file) is not timed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

RESOURCES = ["users", "orders", "products", "carts", "invoices", "reviews", "stores", "coupons"]


def fill_history(home: Path, entries: int, rng: random.Random) -> None:
    history = HistoryStore(Workspace.open(home))
    batch: list[Exchange] = []
    now = time.time() - entries
    for i in range(entries):
        resource = rng.choice(RESOURCES)
        kind = rng.random()
        if kind < 0.5:
            path, query = f"/api/v1/{resource}/{rng.randint(1, 5000)}", []
        elif kind < 0.8:
            path, query = f"/api/v1/{resource}", [("page", str(rng.randint(1, 20)))]
        else:
            path, query = f"/api/v1/{resource}/{rng.randint(1, 500)}/items", []
        status = rng.choice([200] * 8 + [404, 500])
        body = json.dumps({"id": i, "resource": resource, "items": [{"n": n, "label": "x" * 40}
                                                                     for n in range(rng.randint(1, 20))]})
        req = HttpRequest(rng.choice(["GET"] * 4 + ["POST"]), "https", f"{rng.choice(['api', 'cdn'])}.shop.test",
                          443, path, query, [("Accept", "application/json"), ("User-Agent", "bench/1")])
        resp = HttpResponse(status, "", [("Content-Type", "application/json")], body.encode())
        batch.append(Exchange(req, resp, timestamp=now + i, duration_ms=rng.uniform(5, 80)))
        if len(batch) == 1000:
            history.append(batch)
            batch = []
    history.append(batch)


def write_collection(path: Path, examples: int, rng: random.Random) -> None:
    items = []
    per_item = 5
    for i in range(examples // per_item):
        resource = RESOURCES[i % len(RESOURCES)]
        request = {"method": "GET", "header": [{"key": "Accept", "value": "application/json"}],
                   "url": {"raw": f"{{{{baseUrl}}}}/{resource}/{i}/:id", "host": ["{{baseUrl}}"],
                           "path": [resource, str(i), ":id"], "variable": [{"key": "id", "value": "1"}]}}
        responses = []
        for j in range(per_item):
            body = json.dumps({"id": j, "rows": [{"n": n, "text": "y" * 60} for n in range(25)]}, indent=2)
            responses.append({
                "name": f"example {i}-{j}", "code": 200 if j else 404, "status": "OK" if j else "Not Found",
                "originalRequest": {"method": "GET", "header": [],
                                    "url": f"{{{{baseUrl}}}}/{resource}/{i}/{j}?v={rng.randint(1, 9)}"},
                "header": [{"key": "Content-Type", "value": "application/json"}],
                "_postman_previewlanguage": "json", "cookie": [], "body": body})
        items.append({"name": f"{resource} {i}", "request": request, "response": responses})
    doc = {"info": {"name": "Bench import", "schema":
                    "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
           "item": items, "variable": [{"key": "baseUrl", "value": "https://api.shop.test"}]}
    path.write_text(json.dumps(doc, indent="\t"))


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr}")
    return elapsed, proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000, help="history entries (default 10000)")
    parser.add_argument("--examples", type=int, default=1500, help="examples in the imported file (default 1500)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace and print its path")
    args = parser.parse_args()
    rng = random.Random(42)
    tmp = Path(tempfile.mkdtemp(prefix="postmock-bench-"))
    home = tmp / "home"
    postmock = [sys.executable, "-m", "postmock_core", "--home", str(home)]
    try:
        print(f"setting up: {args.entries} history entries, a {args.examples}-example collection file ...",
              file=sys.stderr)
        fill_history(home, args.entries, rng)
        source = tmp / "big.postman_collection.json"
        write_collection(source, args.examples, rng)
        size_mb = source.stat().st_size / 1e6
        rows = []
        t, out = timed(postmock + ["collection", "create", "Bench", "--from-history"])
        rows.append((f"collection create --from-history ({args.entries} entries)", t, 10.0, out))
        t, out = timed(postmock + ["collection", "import", str(source)])
        rows.append((f"collection import ({size_mb:.1f} MB, {args.examples} examples)", t, 5.0, out))
        t, out = timed(postmock + ["collection", "export", "Bench import", "-o", str(tmp / "out.json")])
        rows.append((f"collection export ({(tmp / 'out.json').stat().st_size / 1e6:.1f} MB)", t, 5.0, out))
        t, out = timed(postmock + ["collection", "export", "Bench", "-o", str(tmp / "bench.json")])
        rows.append((f"collection export of the history one ({(tmp / 'bench.json').stat().st_size / 1e6:.1f} MB)",
                     t, 5.0, out))
        width = max(len(r[0]) for r in rows)
        print(f"{'command'.ljust(width)}  seconds  target  ok")
        for name, seconds, target, _ in rows:
            print(f"{name.ljust(width)}  {seconds:7.2f}  {target:6.1f}  {'yes' if seconds < target else 'NO'}")
        for name, _, _, out in rows:
            print(f"  {name}: {out}")
    finally:
        if args.keep:
            print(f"workspace kept at {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
