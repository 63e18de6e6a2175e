"""Coverage-guided fuzzing with atheris (libFuzzer) of one target; run by `scripts/reliability fuzz`.

    python scripts/reliability_lib/atheris_fuzz.py TARGET WORKDIR [libFuzzer flags, e.g. -runs=5000]

TARGET is collection, environment, har or flows (an import through the real `postmock` command,
judged like the hypothesis fuzz tests) or template, matcher or redaction (any body with any
Content-Type, redacted with an echo of it). A finding is raised, so libFuzzer
stops and prints the input; the exit code is then non-zero.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris

# Import this folder's modules as the reliability_lib package, never as top-level names.
sys.path[0] = str(Path(__file__).resolve().parents[1])

with atheris.instrument_imports(include=["postmock_core"]):
    from postmock_core.exchange import HttpRequest
    from reliability_lib.fuzz import Importer, check_matcher, check_redaction, check_template
    from reliability_lib.fuzz_inputs import flow_bytes, seed_documents

TARGETS = ("collection", "environment", "har", "flows", "template", "matcher", "redaction")
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "application/x-ndjson",
                 "multipart/form-data; boundary=b", "text/html", "application/xml", ""]


def _request(fdp: atheris.FuzzedDataProvider) -> HttpRequest:
    return HttpRequest(
        method=fdp.PickValueInList(["GET", "POST", "PUT", "get", "PURGE", fdp.ConsumeUnicode(6)]),
        path="/" + fdp.ConsumeUnicode(24),
        query=[(fdp.ConsumeUnicode(4), fdp.ConsumeUnicode(12)) for _ in range(fdp.ConsumeIntInRange(0, 3))],
        headers=[(fdp.PickValueInList(["Content-Type", "X-A", "x-mock-response-code", "x-mock-response-name",
                                       fdp.ConsumeUnicode(6)]), fdp.ConsumeUnicode(16))
                 for _ in range(fdp.ConsumeIntInRange(0, 3))],
        body=fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 200)),
    )


def main() -> None:
    target, work = sys.argv[1], Path(sys.argv[2])
    if target not in TARGETS:
        raise SystemExit(f"unknown target {target!r}; one of {', '.join(TARGETS)}")
    seeds = seed_documents()
    importer = None
    if target in ("collection", "environment", "har", "flows"):
        importer = Importer(work / "home", work / "inputs")
        for kind in ("collection", "environment", "har"):
            importer.run_json(kind, seeds[kind])
        importer.run("flows", flow_bytes())

    def one(data: bytes) -> None:
        if importer is not None:
            importer.run(target, data)
            return
        fdp = atheris.FuzzedDataProvider(data)
        if target == "template":
            check_template(fdp.ConsumeUnicode(80), _request(fdp), {"id": fdp.ConsumeUnicode(8)})
        elif target == "redaction":
            ctype = fdp.PickValueInList(CONTENT_TYPES)
            check_redaction(fdp.ConsumeBytes(fdp.remaining_bytes()), ctype or None)
        else:
            try:
                collection = json.loads(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 2000)))
            except ValueError:
                collection = seeds["collection"]
            check_matcher(collection, _request(fdp))

    argv = [sys.argv[0], *sys.argv[3:]]
    atheris.Setup(argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
