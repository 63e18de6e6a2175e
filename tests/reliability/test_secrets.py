"""Secrets never reach disk, exports or the call log; private mocks let no one in without a
valid key of their own workspace; the workspace is private; imports cannot write outside it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.procs import REPO

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.secrets_check import run_secrets
from reliability_lib.secrets_corpus import HAR_ONLY, PLACEMENTS, run_corpus

pytestmark = pytest.mark.e2e


def test_seeded_secrets_are_found_nowhere(tmp_path: Path) -> None:
    report = run_secrets(tmp_path)
    print("\n" + "\n".join(report.lines()))
    assert len(report.seeded) == 16 and report.recorded == 3
    # The redacted recordings still match the same live calls.
    assert report.mock_answers == {"GET /users/1": 200, "POST /users": 201, "POST /login": 200}
    assert report.files_searched > 20
    assert report.found == []
    assert report.keys == {"missing": 401, "wrong": 401, "revoked": 401, "another workspace's": 401,
                           "empty": 401, "valid": 200}
    assert report.keys_found == []
    assert report.not_private == []
    # Imported (Postman's SDK reads it), its hostile blob reference dropped: see `escaped`.
    assert report.traversal_results["collection-blob"] == "imported"
    assert report.traversal_results["mock create"] == "refused"
    assert report.escaped == []
    assert not report.problems, report.problems


def test_the_search_finds_what_is_there(tmp_path: Path) -> None:
    """The harness itself: a secret written anywhere, even base64-encoded in a body, is found."""
    from reliability_lib.secrets_check import search

    (tmp_path / "a.bin").write_bytes(b"xx pmsecretone yy")
    (tmp_path / "b.json").write_text('{"body": {"base64": "cG1zZWNyZXR0d28="}}')
    found = search([tmp_path], {"out": "... pmsecretthree"},
                   {"one": "pmsecretone", "two": "pmsecrettwo", "three": "pmsecretthree", "four": "pmsecretfour"})
    assert sorted(f.split()[0] for f in found) == ["one", "three", "two"]


def test_the_secrets_corpus_is_found_nowhere(tmp_path: Path) -> None:
    """Every placement, recorded, imported from HAR, passed through and recorded by mocks, then
    every file and output searched (`scripts/reliability secrets` prints the same figures)."""
    report = run_corpus(tmp_path)
    print("\n" + "\n".join(report.lines()))
    assert report.placements == len(PLACEMENTS) + len(HAR_ONLY) >= 60
    assert len(report.needles) >= report.placements
    sent = len(PLACEMENTS)
    assert report.sent == {"recorded": sent, "har": sent + len(HAR_ONLY), "through": sent, "recording": sent}
    assert report.searched > 30
    assert report.found == []
    assert not report.key_forwarded
    assert not report.problems, report.problems
