"""Benchmark (not a test): the pytest plugin's start-up, and whether re-recording churns.

  scripts/bench plugin [--runs 20] [--keep]

1. `postmock.serve(collection)` as the fixture calls it, `--runs` times: the time until it
   returns (the mock listens), until the first call is answered, and to stop it; medians and
   worst (target: well under a second);
2. a sample project recorded with `--postmock-record-mode=once` against the sample API, then
   recorded again with `--postmock-record-mode=all`: `git diff --no-index` of the two files
   (target: empty).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from postmock_core import sampleapi
from postmock_core.pytest_plugin.serving import Postmock

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
COLLECTION = {
    "info": {"name": "Users", "schema": SCHEMA},
    "variable": [{"key": "baseUrl", "value": "https://api.example.com"}],
    "item": [{"name": f"User {n}", "request": {"method": "GET", "url": f"{{{{baseUrl}}}}/users/{n}"},
              "response": [{"name": f"User {n}", "code": 200, "body": f'{{"id": {n}}}',
                            "header": [{"key": "Content-Type", "value": "application/json"}],
                            "originalRequest": {"method": "GET", "url": f"{{{{baseUrl}}}}/users/{n}"}}]}
             for n in range(1, 21)],
}

PROJECT = '''
import os

import httpx
import pytest
import requests


@pytest.mark.postmock(upstream=os.environ["SAMPLE_API"])
def test_api(postmock_recording):
    url = postmock_recording.url
    assert httpx.get(url + "/users").status_code == 200
    assert httpx.get(url + "/users/2").json()["name"] == "Alan Turing"
    assert requests.get(url + "/search", params={"q": "a", "api_key": "k1"}, timeout=10).status_code == 200
    assert httpx.post(url + "/login", json={"username": "ada", "password": "pw"}).status_code == 200
    assert httpx.get(url + "/binary").status_code == 200
    assert httpx.get(url + "/gzip").json()["encoding"] == "gzip"
'''


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def bench_startup(runs: int, folder: Path) -> None:
    counter = iter(range(1_000_000))

    def new_dir() -> Path:
        path = folder / f"ws{next(counter)}"
        path.mkdir()
        return path

    pm = Postmock(new_dir)
    ready, answered, stopped = [], [], []
    with httpx.Client(trust_env=False, timeout=10) as client:
        pm.serve(COLLECTION).stop()  # the first serve imports the engine: not start-up
        for _ in range(runs):
            t0 = time.perf_counter()
            handle = pm.serve(COLLECTION)
            t1 = time.perf_counter()
            assert client.get(handle.url + "/users/7").json() == {"id": 7}
            t2 = time.perf_counter()
            handle.stop()
            t3 = time.perf_counter()
            ready.append(t1 - t0)
            answered.append(t2 - t0)
            stopped.append(t3 - t2)
    print(f"postmock.serve(), {runs} runs (a 20-example collection):")
    for label, values in (("serve() returns, mock listening", ready), ("first call answered", answered),
                          ("stop()", stopped)):
        print(f"  {label:34s} median {ms(statistics.median(values)):>9s}   worst {ms(max(values)):>9s}")


def bench_rerecord(folder: Path) -> None:
    project = folder / "project"
    project.mkdir()
    (project / "test_api.py").write_text(PROJECT)
    url, stop = sampleapi.start_in_thread()
    env = {**os.environ, "SAMPLE_API": url}
    recording = project / "recordings" / "test_api" / "test_api.postman_collection.json"
    try:
        for mode in ("once", "all"):
            if mode == "all":
                shutil.copy(recording, folder / "first.postman_collection.json")
            proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                   f"--postmock-record-mode={mode}"], cwd=project, env=env,
                                  capture_output=True, text=True, timeout=300, check=False)
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-3000:])
                raise SystemExit(f"recording in mode {mode} failed")
    finally:
        stop()
    diff = subprocess.run(["git", "diff", "--no-index", "--stat", str(folder / "first.postman_collection.json"),
                           str(recording)], capture_output=True, text=True, check=False)
    size = recording.stat().st_size
    print(f"re-recording with nothing changed ({size:,} bytes, 6 calls): git diff --no-index: "
          + ("empty" if diff.returncode == 0 and not diff.stdout else f"NOT EMPTY\n{diff.stdout}"))


def main() -> int:
    parser = argparse.ArgumentParser(description="pytest plugin start-up and re-recording churn")
    parser.add_argument("--runs", type=int, default=20, help="serve() calls to time (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print it")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="postmock-bench-plugin-"))
    try:
        bench_startup(args.runs, folder)
        bench_rerecord(folder)
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
