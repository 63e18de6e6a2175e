"""Fuzzing the importers through the real `postmock` command: collection, environment, HAR and
flow-dump files, arbitrary or corrupted from valid ones, must each end in an import or in one
`postmock: error:` line that leaves the workspace exactly as it was. And the redaction every
import and recording goes through: any body shape ends redacted, its secret gone."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.procs import REPO

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.fuzz import TRIED, Importer, check_redaction, fuzz_settings
from reliability_lib.fuzz_inputs import (
    SECRET,
    corrupted_bytes,
    flow_bytes,
    json_values,
    mutated,
    secret_bodies,
    seed_documents,
)

# Derandomized: the same inputs on every run (scripts/reliability fuzz explores further).
FUZZ = fuzz_settings(120)
SEEDS = seed_documents()
FLOWS = flow_bytes()


@pytest.fixture(scope="module")
def importer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Importer]:
    """One workspace for every input, primed with a valid import of each kind (so its folders
    exist and a failed import has something to leave untouched)."""
    tmp = tmp_path_factory.mktemp("fuzz-import")
    imp = Importer(tmp / "home", tmp / "inputs")
    for kind in ("collection", "environment", "har"):
        assert imp.run_json(kind, SEEDS[kind]) == 0, kind
    assert imp.run("flows", FLOWS) == 0
    yield imp
    print(f"\nimporter inputs tried: {dict(TRIED)}; outcomes: {dict(imp.outcomes)}")


@FUZZ
@given(st.one_of(json_values, mutated(SEEDS["collection"]), mutated(SEEDS["collection"], 6)), st.booleans())
def test_collection_import(importer: Importer, doc: Any, ascii: bool) -> None:
    importer.run_json("collection", doc, ascii)


@FUZZ
@given(st.one_of(json_values, mutated(SEEDS["environment"])), st.booleans())
def test_environment_import(importer: Importer, doc: Any, ascii: bool) -> None:
    importer.run_json("environment", doc, ascii)


@FUZZ
@given(st.one_of(json_values, mutated(SEEDS["har"]), mutated(SEEDS["har"], 6)), st.booleans())
def test_har_import(importer: Importer, doc: Any, ascii: bool) -> None:
    importer.run_json("har", doc, ascii)


@FUZZ
@given(corrupted_bytes(FLOWS))
def test_flow_dump_import(importer: Importer, data: bytes) -> None:
    importer.run("flows", data)


@FUZZ
@given(st.sampled_from(sorted(Importer.COMMANDS)),
       st.one_of(st.binary(max_size=64), corrupted_bytes(json.dumps(SEEDS["har"]).encode())))
def test_any_bytes_as_any_kind(importer: Importer, kind: str, data: bytes) -> None:
    importer.run(kind, data)


def test_a_refused_import_really_changes_nothing(importer: Importer) -> None:
    """The harness itself: a bad file is refused and a good one changes the workspace."""
    before = sorted(p.name for p in (importer.home / "collections").glob("*.json"))
    assert importer.run_json("collection", {"info": {"name": "x"}, "item": None}) == 2
    assert sorted(p.name for p in (importer.home / "collections").glob("*.json")) == before
    good = json.loads(json.dumps(SEEDS["collection"]))
    good["info"]["name"] = "Fresh name"
    assert importer.run_json("collection", good) == 0
    assert len(list((importer.home / "collections").glob("*.json"))) == len(before) + 1




def test_lone_surrogates_survive_import_and_export(importer: Importer, tmp_path: Path) -> None:
    """JSON may escape a lone surrogate ("\\ud800"): such text imports, stores and exports."""
    odd = "a\ud800b\udcff"
    har = {"log": {"entries": [{
        "startedDateTime": "2026-11-21T10:00:00Z",
        "request": {"method": "POST", "url": f"http://127.0.0.1:9/{odd}?q={odd}",
                    "headers": [{"name": "X-Odd", "value": odd}, {"name": "Content-Type", "value": "application/json"}],
                    "postData": {"mimeType": "application/json", "text": json.dumps({"password": "p", "v": odd})}},
        "response": {"status": 200, "headers": [{"name": "X-Odd", "value": odd}],
                     "content": {"mimeType": "text/plain", "text": odd}}}]}}
    assert importer.run_json("har", har, ascii=True) == 0  # and exports as HAR and flows
    exported = tmp_path / "again.har"
    from postmock_core.cli import main
    assert main(["--home", str(importer.home), "history", "export", "--limit", "1", "--har", str(exported)]) == 0
    entry = json.loads(exported.read_text())["log"]["entries"][0]
    assert {"name": "X-Odd", "value": odd} in entry["request"]["headers"]
    collection = {"info": {"name": f"Odd {odd}"}, "item": [{"name": odd, "request": {
        "method": "GET", "url": f"http://127.0.0.1:9/{odd}", "header": [{"key": "X-Odd", "value": odd}]},
        "response": [{"name": odd, "code": 200, "body": odd, "header": [{"key": "X-Odd", "value": odd}]}]}]}
    assert importer.run_json("collection", collection, ascii=True) == 0


@FUZZ
@given(secret_bodies())
def test_redaction_finds_the_secret_in_any_body_shape(body_and_type: tuple[bytes, str | None]) -> None:
    """JSON (sniffed or declared), NDJSON, forms, multipart, text, broken and very deep bodies."""
    check_redaction(*body_and_type, secret=SECRET)


@FUZZ
@given(secret_bodies().flatmap(lambda bt: st.tuples(corrupted_bytes(bt[0]), st.just(bt[1]))))
def test_redaction_of_corrupted_bodies_always_ends(body_and_type: tuple[bytes, str | None]) -> None:
    check_redaction(*body_and_type)
