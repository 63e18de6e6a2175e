"""The nearest examples found through path shapes are those a scan of every example ranks first."""

from __future__ import annotations

import heapq
import random

import pytest

from postmock_core.exchange import HttpRequest
from postmock_core.matching.matcher import Matcher
from postmock_core.matching.nearmiss import NearMisses, similarity
from postmock_core.matching.pathscore import RequestPath

# Literals, typos of them (6+ letters), IDs of every kind (a digitless UUID among them),
# wildcards, and the empty segment.
SEGMENTS = ["users", "customers", "cusotmers", "customer", "orders", "history", "histroy", "v1", "v2",
            "5", "7", "123", "0001", "cus9s6XKzk2", "abcdefab-abcd-abcd-abcd-abcdefabcdef",
            "abcdefab-abcd-abcd-abcd-abcdefabcdff", "{{id}}", ":id", "x-{{n}}", "me", "", "Users"]
# What requests add: other IDs, unknown words, typos, and a word a typo away from a digitless UUID.
NEAR = ["5", "42", "zzz", "histry", "custmers", "abcdefab-abcd-abcd-abcd-abcdefabcdeg"]


def _collection(rng: random.Random, n: int) -> dict[str, object]:
    shapes = [[rng.choice(SEGMENTS) for _ in range(rng.randint(0, 4))] for _ in range(rng.randint(1, 12))]
    items = []
    for k in range(n):
        segs = list(rng.choice(shapes))
        for i, seg in enumerate(segs):  # vary IDs the way recorded traffic does
            if seg.isdigit() and rng.random() < 0.5:
                segs[i] = str(rng.randint(1, 30))
        url = "{{base}}/" + "/".join(segs)
        items.append({"name": f"e{k}", "id": rng.choice([f"id{k}", "dup", f"{k:04d}"]),
                      "code": rng.choice([200, 200, 404]),
                      "originalRequest": {"method": rng.choice(["GET", "POST"]), "url": url}})
    return {"info": {"name": "near"}, "item": [{"name": "r", "response": items}],
            "variable": [{"key": "base", "value": "http://api.test"}]}


def _scan(entries, r: RequestPath, limit: int = 3):  # type: ignore[no-untyped-def]
    return heapq.nsmallest(limit, entries, key=lambda e: (-similarity(e, r), e.tie))


@pytest.mark.parametrize("seed", range(40))
def test_the_nearest_found_by_shape_are_those_a_full_scan_finds(seed: int) -> None:
    rng = random.Random(seed)
    matcher = Matcher(_collection(rng, rng.randint(1, 80)))
    near = NearMisses(matcher.entries)
    for _ in range(60):
        segs = [rng.choice([*SEGMENTS, *NEAR]) for _ in range(rng.randint(0, 5))]
        r = RequestPath.parse("/" + "/".join(segs))
        for limit in (1, 3, 5):
            got = [m.entry for m in NearMisses(matcher.entries).similar("GET", r, limit)]
            want = _scan(matcher.entries, r, limit)
            assert [e.ex.order for e in got] == [e.ex.order for e in want], (r.text, limit)
        assert [m.entry for m in near.similar("GET", r)] == _scan(matcher.entries, r)


def test_a_miss_among_many_examples_names_the_nearest_with_their_own_ids() -> None:
    items = [{"name": f"user {i}",
              "originalRequest": {"method": "GET", "url": f"http://api.test/users/{i}/posts/{i % 7}"}}
             for i in range(1, 2001)]
    matcher = Matcher({"info": {"name": "many"}, "item": [{"name": "r", "response": items}]})
    result = matcher.match(HttpRequest("GET", path="/users/1500/comments"))
    assert result.example is None
    # The example holding the request's own user ID shares more of its path than any other.
    assert result.nearest[0]["name"] == "user 1500"
    assert result.nearest == matcher.explain(HttpRequest("GET", path="/users/1500/comments")).nearest
