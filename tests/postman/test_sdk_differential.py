"""What Postman's Collection SDK accepts, postmock imports, with the same requests and examples.

Variants of real collections and environments (fields dropped, nulled, emptied, retyped,
duplicated; v2.0 and v2.1 shapes mixed; parts of other documents spliced in) are judged by the
SDK (`postman-collection` in Node) and imported by postmock, which must agree on every one, and
postmock's export of each must load in the SDK with the same counts. The suite runs a fixed set
of variants; `scripts/reliability fuzz` runs many more random ones ($POSTMOCK_SDK_VARIANTS).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.procs import REPO
from support.sdkjudge import SdkJudge, sdk_missing

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.postman_variants import (
    COLLECTION_FIXTURES,
    ENVIRONMENT_FIXTURES,
    collection_variants,
    environment_variants,
    load_fixtures,
)
from reliability_lib.sdkdiff import Differ

pytestmark = pytest.mark.skipif(
    sdk_missing() is not None,
    reason=f"SKIPPED: {sdk_missing()}, so imports are NOT checked against Postman's Collection SDK; "
           f"install Node.js and run scripts/test (it runs npm ci) to run this test")

VARIANTS_ENV = "POSTMOCK_SDK_VARIANTS"
BATCH = 50  # variants judged per SDK round trip
COLLECTIONS = max(BATCH, int(os.environ.get(VARIANTS_ENV, "2000")) // BATCH * BATCH)
ENVIRONMENTS = max(BATCH, COLLECTIONS // 4 // BATCH * BATCH)


def _settings(variants: int) -> settings:
    """`variants` in batches: a fixed set in the suite, random ones when $POSTMOCK_SDK_VARIANTS
    is set. No deadline: the SDK's time is no part of pass or fail."""
    return settings(max_examples=variants // BATCH, derandomize=VARIANTS_ENV not in os.environ,
                    deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _batches(variants: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(variants, min_size=BATCH, max_size=BATCH)


@pytest.fixture(scope="module")
def differ() -> Iterator[Differ]:
    with SdkJudge() as judge:
        d = Differ(judge)
        yield d
        d.close()
        print(f"\nSDK differential: {dict(d.counts)}")


@_settings(COLLECTIONS)
@given(_batches(collection_variants(load_fixtures(COLLECTION_FIXTURES))))
def test_collection_variants_import_as_the_sdk_reads_them(differ: Differ, docs: list[Any]) -> None:
    differ.collections(docs)


@_settings(ENVIRONMENTS)
@given(_batches(environment_variants(load_fixtures(ENVIRONMENT_FIXTURES))))
def test_environment_variants_import_as_the_sdk_reads_them(differ: Differ, docs: list[Any]) -> None:
    differ.environments(docs)


def test_enough_variants_were_tried_and_most_imported(differ: Differ) -> None:
    """The runs above really judged their variants, and most are importable (a strategy that
    only made broken documents would test the refusals alone). The SDK has no validation: it
    rejects a document only by crashing on it (JavaScript cannot print an object with its own
    `toString`, say); postmock repairs such documents, and their exports load in the SDK."""
    counts = differ.counts
    if not counts:
        pytest.skip("the variant tests did not run")
    assert counts["collections tried"] >= COLLECTIONS
    assert counts["collections imported by postmock"] == (  # and what the SDK crashed on, repaired
        counts["collections accepted by the SDK"] + counts["collections imported though the SDK throws on them"])
    assert counts["collections imported by postmock"] > counts["collections tried"] // 2
    assert counts["exports loaded by the SDK"] == counts["collections imported by postmock"]
    assert counts["environments tried"] >= ENVIRONMENTS
    assert counts["environments imported by postmock"] > counts["environments tried"] // 2


def test_the_judge_counts_what_the_sdk_sees(differ: Differ) -> None:
    """The harness itself: the SDK's verdicts on documents whose counts are known."""
    judge = differ.judge
    assert judge.judge("collection", {"item": [{"request": "/", "response": [{}, 5]}, {"item": [7]}]}) \
        .requests == 2
    assert judge.judge("collection", {"item": [{"request": "/", "response": [{}, 5]}]}).examples == 2
    assert judge.judge("collection", 5).items == 0
    assert judge.judge("environment", {"values": [{"key": "a"}, {}, None]}).named == 1


@pytest.mark.parametrize("doc", [
    {"item": [{"request": {"url": "/", "method": {"toString": "x"}}}]},
    {"item": [{"request": {"url": "/", "body": {"mode": {"toString": "x"}, "raw": "x"}}}]},
    {"item": [{"id": {"toString": "x"}, "request": "/", "response": [{"id": {"toString": "x"}}]}]},
    {"item": [{"request": {"url": "/", "header": [{"key": {"toString": "x"}, "value": "v"}]}}]},
    {"item": [{"request": "/"}], "variable": [{"key": "a", "type": {"toString": "x"}}]},
    {"item": [{"request": "/"}], "auth": {"type": "basic", "basic": {"toString": "x", "username": {"toString": 1}}}},
    {"item": [{"constructor": {"_postman_propertyName": "Item"}, "request": "/"}]},
])
def test_documents_the_sdk_crashes_on_are_repaired(differ: Differ, doc: Any) -> None:
    """What makes the SDK throw is repaired on import, so postmock's export loads in the SDK."""
    assert not differ.judge.judge("collection", doc).ok
    before = differ.counts["collections imported though the SDK throws on them"]
    differ.collections([doc])
    assert differ.counts["collections imported though the SDK throws on them"] == before + 1
