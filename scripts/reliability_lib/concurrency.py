"""Several processes on one workspace at once: a recording proxy, a mock being served, and the
CLI editing examples and deleting history, driven by a seeded mix of operations.

Afterwards nothing written may be lost: every example edit is in the collection (edits add a
header each, so they accumulate rather than overwrite), every recorded exchange not deleted is
in history, the mock answered every call (with every edit finished before the call started),
its call log holds every call, and every JSON file in the workspace parses.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from support.mockkit import make_mock, run_serve
from support.procs import RECORD_ADDON, free_port, run_mitmdump

from postmock_core.mock.calllog import CallLog
from postmock_core.postman.collections import CollectionStore
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

from .common import check_history, client, json_problems, our_errors, sample_api

__all__ = ["ConcurrencyReport", "run_concurrent"]

POSTMOCK = str(Path(sys.executable).parent / "postmock")
EXAMPLES = 4
KINDS = ["record"] * 40 + ["call"] * 30 + ["edit"] * 18 + ["delete"] * 12
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def collection(name: str) -> dict[str, Any]:
    items = [{"name": f"Item {k}", "request": {"method": "GET", "url": f"http://127.0.0.1:9/items/{k}"},
              "response": [{"name": f"E{k}", "code": 200, "status": "OK", "body": f"item {k}",
                            "header": [{"key": "Content-Type", "value": "text/plain"}]}]}
             for k in range(EXAMPLES)]
    return {"info": {"name": name, "schema": SCHEMA}, "item": items}


@dataclass
class ConcurrencyReport:
    seed: int
    ops: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lost_edits: list[str] = field(default_factory=list)
    stale_calls: list[str] = field(default_factory=list)
    history_missing: list[int] = field(default_factory=list)  # recorded, not deleted, not in history
    history_unexpected: list[int] = field(default_factory=list)  # in history but deleted or never sent
    calls_logged: int = 0
    calls_made: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.problems or self.lost_edits or self.stale_calls or self.history_missing
                    or self.history_unexpected) and self.calls_logged == self.calls_made

    def lines(self) -> list[str]:
        return [
            f"seed {self.seed}; {sum(self.ops.values())} operations in {self.seconds:.1f} s: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.ops.items())),
            (f"lost edits {len(self.lost_edits)}; stale answers {len(self.stale_calls)}; recorded but missing "
             f"{len(self.history_missing)}; deleted or unknown but present {len(self.history_unexpected)}; "
             f"call log {self.calls_logged}/{self.calls_made}; problems {len(self.problems)}"),
            *[f"  {p}" for p in (self.problems + self.lost_edits + self.stale_calls)[:15]],
        ]


class _Run:
    """The shared state of one run; each operation is a method, safe to call from any thread."""

    def __init__(self, ws: Workspace, proxy_url: str, mock_url: str, coll: str) -> None:
        self.ws = ws
        self.proxy_url = proxy_url
        self.mock_url = mock_url
        self.coll = coll
        self.lock = threading.Lock()
        self.recorded: set[int] = set()
        self.deleted: set[int] = set()
        self.deleting: set[int] = set()
        self.edits: dict[int, list[tuple[int, float]]] = {k: [] for k in range(EXAMPLES)}
        self.calls = 0
        self.problems: list[str] = []
        self.stale: list[str] = []
        self.history = HistoryStore(ws)
        self.local = threading.local()
        self.clients: list[httpx.Client] = []

    def _client(self, base: str) -> httpx.Client:
        clients = getattr(self.local, "clients", None)
        if clients is None:
            clients = self.local.clients = {}
        if base not in clients:
            clients[base] = client(base, timeout=30.0)
            with self.lock:
                self.clients.append(clients[base])
        return clients[base]

    def close(self) -> None:
        for c in self.clients:
            c.close()

    def fail(self, message: str) -> None:
        with self.lock:
            self.problems.append(message)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([POSTMOCK, "--home", str(self.ws.root), *args], capture_output=True, text=True,
                              timeout=60, check=False)

    # -- operations ---------------------------------------------------------------------------
    def record(self, i: int, rng: random.Random) -> str:
        try:
            r = self._client(self.proxy_url).get("/echo", params={"op": str(i)})
        except httpx.HTTPError as e:
            self.fail(f"op {i}: the recording proxy failed: {e!r}")
            return "record"
        if r.status_code != 200:
            self.fail(f"op {i}: the recording proxy answered {r.status_code}")
        else:
            with self.lock:
                self.recorded.add(i)
        return "record"

    def call(self, i: int, rng: random.Random) -> str:
        k = rng.randrange(EXAMPLES)
        started = time.monotonic()
        with self.lock:
            expected = {f"x-edit-{n}" for n, done in self.edits[k] if done < started}
            self.calls += 1
        try:
            r = self._client(self.mock_url).get(f"/items/{k}")
        except httpx.HTTPError as e:
            self.fail(f"op {i}: the mock failed: {e!r}")
            return "call"
        if r.status_code != 200 or r.headers.get("x-mock-example-name") != f"E{k}":
            self.fail(f"op {i}: the mock answered {r.status_code} {r.headers.get('x-mock-example-name')!r}: "
                      f"{r.text[:200]}")
        missing = expected - {name.lower() for name in r.headers if name.lower().startswith("x-edit-")}
        if missing:
            with self.lock:
                self.stale.append(f"op {i}: E{k} answered without finished edits {sorted(missing)[:5]}")
        return "call"

    def edit(self, i: int, rng: random.Random) -> str:
        k = rng.randrange(EXAMPLES)
        done = self.cli("example", "edit", self.coll, f"E{k}", "--set-header", f"X-Edit-{i}: {i}")
        if done.returncode != 0:
            self.fail(f"op {i}: example edit failed: {done.stderr.strip()}")
        else:
            with self.lock:
                self.edits[k].append((i, time.monotonic()))
        return "edit"

    def delete(self, i: int, rng: random.Random) -> str:
        # Only what the writer has stored already (it writes every half second).
        stored = {int(dict(d["request"]["query"])["op"]): hid for hid, d in self.history.iter_docs()
                  if dict(d["request"]["query"]).get("op", "").isdigit()}
        with self.lock:  # chosen and claimed at once: two workers never delete the same entry
            candidates = sorted((self.recorded - self.deleted - self.deleting) & stored.keys())
            victim = rng.choice(candidates) if candidates else None
            if victim is not None:
                self.deleting.add(victim)
        if victim is None:
            return self.record(i, rng)
        done = self.cli("history", "delete", str(stored[victim]))
        if done.returncode != 0 or "deleted 1 entry" not in done.stdout:
            self.fail(f"op {i}: history delete {stored[victim]} (op {victim}) failed: "
                      f"{done.stdout.strip()} {done.stderr.strip()}")
        else:
            with self.lock:
                self.deleted.add(victim)
        return "delete"


def run_concurrent(tmp: Path, seed: int, operations: int = 1000, workers: int = 3,
                   log: Callable[[str], None] = lambda s: None) -> ConcurrencyReport:
    report = ConcurrencyReport(seed)
    rng = random.Random(seed)
    plan = [(i, rng.choice(KINDS), rng.randrange(2**32)) for i in range(operations)]
    ws = Workspace.open(tmp / "home")
    mock = make_mock(ws, "concurrent", free_port(), collection("Concurrent"), call_log_cap=100_000)
    coll = "Concurrent"
    with sample_api(tmp) as upstream, run_serve(ws.root, [mock], tmp / "serve") as served:
        args = ["-q", "--mode", f"reverse:{upstream}", "-s", str(RECORD_ADDON), "--set", f"postmock_home={ws.root}"]
        with run_mitmdump(tmp / "proxy", args, name="recorder") as proxy:
            run = _Run(ws, proxy.url, mock.url, coll)
            queue = list(reversed(plan))
            counts: dict[str, int] = {}

            def worker() -> None:
                while True:
                    with run.lock:
                        if not queue:
                            return
                        i, kind, op_seed = queue.pop()
                    did = getattr(run, kind)(i, random.Random(op_seed))
                    with run.lock:
                        counts[did] = counts.get(did, 0) + 1

            started = time.monotonic()
            threads = [threading.Thread(target=worker, name=f"ops-{w}") for w in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
            report.seconds = time.monotonic() - started
            run.close()
            report.ops = counts
            log(f"{operations} operations done in {report.seconds:.1f} s")
            if proxy.stop() != 0:
                report.problems.append("the recording proxy did not stop cleanly")
            proxy_output = proxy.output()
        if served.stop() != 0:
            report.problems.append("postmock serve did not stop cleanly")
        for name, output in (("mitmdump", proxy_output), ("postmock serve", served.output())):
            report.problems += [f"{name} logged: {e}" for e in our_errors(output)]
    report.problems += run.problems
    report.stale_calls = run.stale
    _judge(ws, coll, run, mock.id, report)
    return report


def _judge(ws: Workspace, coll: str, run: _Run, mock_id: str, report: ConcurrencyReport) -> None:
    doc = CollectionStore(ws).load(coll)
    for item in doc["item"]:
        for ex in item["response"]:
            k = int(ex["name"][1:])
            have = {h["key"].lower() for h in ex.get("header") or []}
            for n, _ in run.edits[k]:
                if f"x-edit-{n}" not in have:
                    report.lost_edits.append(f"edit op {n} of E{k} is not in the collection")
    docs, problems = check_history(ws)
    report.problems += problems + json_problems(ws.root)
    ops = [int(dict(d["request"]["query"])["op"]) for d in docs.values()]
    if len(ops) != len(set(ops)):
        report.problems.append(f"{len(ops) - len(set(ops))} exchanges stored twice")
    expected = run.recorded - run.deleted
    report.history_missing = sorted(expected - set(ops))
    report.history_unexpected = sorted(set(ops) - expected)
    report.calls_made = run.calls
    report.calls_logged = CallLog(ws, mock_id).count()
