"""Reliability runs at full size, printing their figures (the test suite runs small versions).

    python scripts/reliability.py [crash|writer-kill|diskfull|concurrent|passthrough|load|fuzz|secrets|all]
                                  [--seed N] [--keep DIR]

Every process listens on 127.0.0.1 only; every loop is bounded in count and time. Exit 0 when
every run held up, 1 when one did not (its lines say how), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import reliability_lib  # noqa: F401 - puts tests/ on the path for the process helpers

NAMES = ("crash", "writer-kill", "diskfull", "concurrent", "passthrough", "load", "fuzz", "secrets")
Figures = dict[str, str]


def say(text: str = "") -> None:
    print(text, flush=True)


def crash(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    from reliability_lib.crash import run_crash

    say(f"kill -9 of the recording proxy, {args.kills} times, under {args.rate:g} requests/s for "
        f"{args.seconds:g} s each (seed {args.seed})")
    r = run_crash(tmp, args.seed, kills=args.kills, seconds=args.seconds, rate=args.rate, window=1.0, log=say)
    lines = r.lines()
    say(lines[-1])  # each run was printed as it ended
    lost = sum(len(k.lost) for k in r.runs)
    early = sum(len(k.lost_early) for k in r.runs)
    ok = r.survived == len(r.runs)
    return ok, {"crash": f"{r.survived}/{len(r.runs)} kill -9 survived; {lost} entries lost, all within the last "
                         f"second ({early} older); {sum(k.answered for k in r.runs)} answered requests checked"}


def writer_kill(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    from reliability_lib.writer_kill import run_writer_kill

    say(f"kill -9 of each writer process {args.writer_kills} times under {args.rate:g} requests/s")
    r = run_writer_kill(tmp, kills=args.writer_kills, rate=args.rate, gap=6.0, log=say)
    for line in r.lines():
        say(line)
    figures = "; ".join(f"{w.writer} killed {w.kills}x at {w.rate:.0f}/s: {w.answered} answered, {len(w.lost)} lost, "
                        f"{w.duplicates} duplicated, {w.resent} resent" for w in r.runs)
    return r.ok, {"writer-kill": figures}


def diskfull(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    from reliability_lib.diskfull import Unsupported, run_diskfull

    say("a full disk (2 MB tmpfs workspace) under a recording proxy")
    try:
        r = run_diskfull(tmp, size="2m", during=200, log=say)
    except Unsupported as e:
        say(f"SKIPPED: {e}")
        return True, {"diskfull": f"skipped: {e}"}
    for line in r.lines():
        say(line)
    ok = (r.during_answered == r.during_sent and r.reported and r.resumed_logged and not r.missing
          and not r.problems and r.stored_while_full == r.before)
    return ok, {"diskfull": f"{r.during_answered}/{r.during_sent} answered while full, reported, "
                            f"{len(r.missing)} entries lost after space returned"}


def concurrent(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    from reliability_lib.concurrency import run_concurrent

    say(f"{args.operations} mixed operations from proxy, mock and CLI on one workspace (seed {args.seed})")
    r = run_concurrent(tmp, args.seed, operations=args.operations, workers=3, log=say)
    for line in r.lines():
        say(line)
    lost = len(r.lost_edits) + len(r.history_missing) + (r.calls_made - r.calls_logged)
    return r.ok, {"concurrent": f"{sum(r.ops.values())} operations, {lost} writes lost, "
                                f"{len(r.problems)} problems (corrupt files included)"}


def passthrough(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    from reliability_lib.passthrough import BREAKAGES, run_passthrough

    say("an upstream dying mid-response behind passthrough and recording mocks")
    r = run_passthrough(tmp, rounds=3)
    for line in r.lines():
        say(line)
    ok = (set(r.cases.values()) == {502} and r.served_after == 6 * len(BREAKAGES) and not r.problems
          and r.examples_from_failures == 0)
    return ok, {"passthrough": f"{len(r.cases)} ways to die x 3 rounds x 2 mocks: all 502, mock served "
                               f"{r.served_after}/{6 * len(BREAKAGES)} calls after"}


def load(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    from reliability_lib.load import run_load

    say(f"{args.connections} concurrent connections for {args.duration:g} s against one mock")
    r = run_load(tmp, connections=args.connections, seconds=args.duration, warmup=min(10.0, args.duration / 3),
                 cap=1000, log=say)
    for line in r.lines():
        say(line)
    first, last, peak, slope = r.memory()
    ok = r.errors == 0 and r.non_200 == 0 and r.call_log == r.cap and not r.problems
    return ok, {"load": f"{r.requests} requests ({r.rate:.0f}/s, {r.tool}), {r.errors} errors, p99 "
                        f"{r.p99_ms:.1f} ms; RSS {first / 1024:.1f} -> {last / 1024:.1f} MiB (max "
                        f"{peak / 1024:.1f}, slope {slope / 1024:+.2f} MiB/min); call log {r.call_log}/{r.cap}"}


def fuzz(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    import pytest
    from reliability_lib.fuzz import EXAMPLES_ENV, TRIED

    from reliability_lib.sdkdiff import TOTALS

    say(f"hypothesis: the fuzz tests with {args.examples} random inputs each, and {args.sdk_variants} "
        f"collection variants judged by Postman's SDK (seed {args.seed})")
    os.environ[EXAMPLES_ENV] = str(args.examples)
    os.environ["POSTMOCK_SDK_VARIANTS"] = str(args.sdk_variants)
    code = pytest.main(["-q", "-s", "-p", "no:cacheprovider", "-o", "timeout=0", f"--hypothesis-seed={args.seed}",
                        "--basetemp", str(tmp / "pytest"), "-W", "ignore::DeprecationWarning",
                        "-W", "ignore::pytest.PytestAssertRewriteWarning",
                        str(REPO / "tests" / "reliability" / "test_fuzz_importers.py"),
                        str(REPO / "tests" / "matching" / "test_fuzz_matching.py"),
                        str(REPO / "tests" / "postman" / "test_sdk_differential.py")])
    hypothesis_tried = sum(v for k, v in TRIED.items() if not k.endswith("exports"))
    say(f"hypothesis inputs tried: {dict(TRIED)}")
    say(f"SDK differential: {dict(TOTALS)}")
    ok = code == 0
    atheris_tried, note = _atheris(tmp, args)
    ok = ok and note != "failed"
    sdk = (f"; SDK differential: {TOTALS['collections tried']:,} collection variants, "
           f"{TOTALS['collections accepted by the SDK']:,} accepted by the SDK and imported by postmock "
           f"with the same counts, {TOTALS['collections imported though the SDK throws on them']:,} more "
           f"the SDK crashed on repaired and imported, every export loaded by the SDK; "
           f"{TOTALS['environments tried']:,} environment variants, "
           f"{TOTALS['environments accepted by the SDK']:,} accepted and imported")
    return ok, {"fuzz": f"{hypothesis_tried + atheris_tried} inputs ({hypothesis_tried} hypothesis, "
                        f"{atheris_tried} atheris{'' if note in ('ok', 'failed') else ': ' + note}), "
                        f"{'no findings' if ok else 'FINDINGS'}{sdk}"}


def _atheris(tmp: Path, args: argparse.Namespace) -> tuple[int, str]:
    try:
        import atheris  # noqa: F401
    except ImportError:
        say("atheris is not installed (pip install atheris): coverage-guided fuzzing skipped")
        return 0, "atheris not installed"
    from reliability_lib.fuzz_inputs import flow_bytes, seed_documents

    seeds = seed_documents()
    import json

    total, failed = 0, False
    for target in ("collection", "environment", "har", "flows", "template", "matcher", "redaction"):
        work = tmp / f"atheris-{target}"
        corpus = work / "corpus"
        corpus.mkdir(parents=True)
        if target == "flows":
            (corpus / "seed").write_bytes(flow_bytes())
        elif target in seeds:
            (corpus / "seed").write_text(json.dumps(seeds[target]))
        elif target == "redaction":
            (corpus / "seed").write_bytes(b'{"user": {"password": "s3cret-value"}, "note": "token=abc123456"}')
        cmd = [sys.executable, str(REPO / "scripts" / "reliability_lib" / "atheris_fuzz.py"), target, str(work),
               f"-runs={args.atheris_runs}", f"-seed={args.seed % 2**31}", "-timeout=20",
               f"-max_total_time={args.atheris_seconds}", str(corpus)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.atheris_seconds + 300, check=False)
        runs = next((int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("Done ")), 0)
        total += runs
        say(f"atheris {target}: {runs} runs, exit {done.returncode}")
        if done.returncode != 0:
            failed = True
            say(done.stderr[-3000:])
    return total, "failed" if failed else "ok"


def secrets(tmp: Path, args: argparse.Namespace) -> tuple[bool, Figures]:
    from reliability_lib.secrets_check import run_secrets
    from reliability_lib.secrets_corpus import run_corpus

    say("seeded secrets through record, collection, mock, calls and every export")
    (tmp / "seeded").mkdir()
    (tmp / "corpus").mkdir()
    r = run_secrets(tmp / "seeded")
    for line in r.lines():
        say(line)
    ok = not (r.found or r.keys_found or r.not_private or r.escaped or r.problems) and \
        r.keys.get("valid") == 200 and all(v == 401 for k, v in r.keys.items() if k != "valid")
    say("the secrets corpus through a recording proxy, a HAR import and mocks that pass through and record")
    c = run_corpus(tmp / "corpus")
    for line in c.lines():
        say(line)
    ok = ok and not (c.found or c.key_forwarded or c.problems)
    return ok, {"secrets": f"{len(r.seeded)} seeded secrets, {r.files_searched} files and outputs searched, "
                           f"{len(r.found)} found; keys refused {sum(v == 401 for v in r.keys.values())}/"
                           f"{len(r.keys) - 1}; {len(r.not_private)} non-private files; {len(r.escaped)} escapes; "
                           f"corpus: {c.placements} placements ({len(c.needles)} secrets) x {len(c.sent)} ways in, "
                           f"{c.searched} files and outputs searched, {len(c.found)} found"}


RUNNERS: dict[str, Callable[[Path, argparse.Namespace], tuple[bool, Figures]]] = {
    "crash": crash, "writer-kill": writer_kill, "diskfull": diskfull, "concurrent": concurrent,
    "passthrough": passthrough, "load": load,
    "fuzz": fuzz, "secrets": secrets,
}


@contextlib.contextmanager
def workdir(keep: str | None) -> Iterator[Path]:
    if keep:
        path = Path(keep).absolute()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="postmock-reliability-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/reliability", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", default="all", choices=[*NAMES, "all"], help="which run (default: all)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for every random choice (default: random, printed)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp dir, removed)")
    parser.add_argument("--kills", type=int, default=5, help="crash: kill -9 runs (default 5)")
    parser.add_argument("--seconds", type=float, default=10.0, help="crash: seconds of load per run (default 10)")
    parser.add_argument("--rate", type=float, default=200.0,
                        help="crash, writer-kill: requests per second (default 200)")
    parser.add_argument("--writer-kills", type=int, default=3,
                        help="writer-kill: kill -9 of each writer process (default 3)")
    parser.add_argument("--operations", type=int, default=1000, help="concurrent: operations (default 1000)")
    parser.add_argument("--connections", type=int, default=200, help="load: connections (default 200)")
    parser.add_argument("--duration", type=float, default=60.0, help="load: seconds (default 60)")
    parser.add_argument("--examples", type=int, default=2000, help="fuzz: hypothesis inputs per test (default 2000)")
    parser.add_argument("--sdk-variants", type=int, default=50000,
                        help="fuzz: collection variants judged by Postman's SDK and imported by postmock "
                             "(default 50000; a quarter as many environment variants)")
    parser.add_argument("--atheris-runs", type=int, default=5000, help="fuzz: atheris runs per target (default 5000)")
    parser.add_argument("--atheris-seconds", type=int, default=120, help="fuzz: atheris time cap per target (s)")
    args = parser.parse_args(argv)
    names = list(NAMES) if args.name == "all" else [args.name]
    if args.keep:
        taken = [n for n in names if (Path(args.keep) / n).exists()]
        if taken:
            parser.error(f"--keep {args.keep} already holds {', '.join(taken)} from an earlier run; "
                         f"choose a new folder")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    say(f"postmock reliability: {', '.join(names)}; seed {args.seed} (rerun with --seed {args.seed})")
    figures: Figures = {}
    failed = []
    with workdir(args.keep) as tmp:
        for name in names:
            say(f"\n== {name} ==")
            started = time.monotonic()
            folder = tmp / name
            folder.mkdir()
            ok, got = RUNNERS[name](folder, args)
            figures.update(got)
            say(f"-- {name}: {'OK' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
            if not ok:
                failed.append(name)
    say("\n== figures ==")
    for name, text in figures.items():
        say(f"{name:12} {text}")
    say(f"\n{'all held up' if not failed else 'FAILED: ' + ', '.join(failed)} (seed {args.seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
