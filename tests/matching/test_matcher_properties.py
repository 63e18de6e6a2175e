"""Arbitrary requests against arbitrary collections: never an exception, always an answer or a
reasoned miss, and the index always agrees with the brute-force scan."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmock_core.exchange import HttpRequest
from postmock_core.matching.matcher import Matcher, MatchOptions, not_found_body
from postmock_core.mock.templating import render

SEGMENTS = ["users", "Users", "orders", "customers", "cusotmers", "items", "a", "", "5", "123",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "cus9s6XKzk2", "{{id}}", "{{name}}", ":id",
            "x-{{n}}", "{{kind}}", "me"]
REQUEST_SEGMENTS = ["users", "USERS", "orders", "customer", "customers", "cusotmers", "items", "a",
                    "", "5", "7", "123", "9b2d5c1e-7a41-4c6b-8f0e-1d2c3b4a5f60", "cus44ab7Yq", "carol",
                    "x-1", "me", "admins", "{{id}}"]
KEYS = ["a", "b", "c"]
VALUES = ["1", "2", "{{v}}", "", None]
BODIES = [None, '{"a": 1}', '{"a": 2}', "plain", {"mode": "urlencoded", "urlencoded": [{"key": "a", "value": "1"}]}]

def often(*values: Any) -> st.SearchStrategy[Any]:
    """The first value about half the time, else one of the others."""
    return st.sampled_from([values[0]] * max(1, len(values) - 1) + list(values[1:]))


# Mostly a few shapes, so that examples collide the way recorded traffic does; sometimes anything.
shaped = st.tuples(often("users", "Users", "customers"),
                   st.sampled_from(["5", "123", "{{id}}", ":id", "me", "cus9s6XKzk2"]),
                   often((), ("orders",), ("x-{{n}}",), ("7",))
                   ).map(lambda t: [t[0], t[1], *t[2]])
segment_lists = st.one_of(shaped, shaped, st.lists(st.sampled_from(SEGMENTS), max_size=4))
query_params = st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES),
                                  st.sampled_from([False, False, False, True])), max_size=2)


# What a request may put where an example has a segment: itself, or a near variant.
VARIANTS = {"users": ["users", "USERS", "Users"], "Users": ["users"], "customers": ["cusotmers", "customer"],
            "cusotmers": ["customers"], "5": ["5", "7", "carol"], "123": ["456", "123"],
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301": ["9b2d5c1e-7a41-4c6b-8f0e-1d2c3b4a5f60"],
            "cus9s6XKzk2": ["cus44ab7Yq"], "{{id}}": ["7", "carol", ""], "{{name}}": ["me", "x"],
            ":id": ["5", "7", "carol"], "x-{{n}}": ["x-1", "x-", "y-1"], "{{kind}}": ["admins", "k"]}


# The parts an example is drawn from. Collections are a base example plus variations that
# change a few parts, so examples collide the way recorded traffic does.
PARTS: dict[str, st.SearchStrategy[Any]] = {
    "segs": segment_lists,
    "ts": often(False, True),
    "params": query_params,
    "id_value": st.sampled_from(["", "5"]),
    "tenant": often([], ["a"], ["b"], ["{{t}}"]),
    "body": often(None, *BODIES[1:]),
    "method": often("GET", "POST", "put"),
    "name": st.sampled_from(["A", "B", "Dup", ""]),
    "code": often(200, 201, 404, 500),
    "response": st.sampled_from(["", "{{id}} {{$guid}} {{$body 'a'}}"]),
    "id": st.sampled_from([None, None, "e1", "e2", "e3", "0001", "0010"]),
}


def build_example(p: dict[str, Any]) -> dict[str, Any]:
    path = "/" + "/".join(p["segs"]) + ("/" if p["ts"] else "")
    url: dict[str, Any] = {"raw": "{{base}}" + path, "host": ["{{base}}"], "path": path.lstrip("/").split("/"),
                           "query": [{"key": k, "value": v, "disabled": d} for k, v, d in p["params"]],
                           "variable": [{"key": "id", "value": p["id_value"]}]}
    request: dict[str, Any] = {"method": p["method"], "url": url,
                               "header": [{"key": "X-Tenant", "value": t} for t in p["tenant"]]
                               + [{"key": "Content-Type", "value": "application/json"}]}
    if isinstance(p["body"], str):
        request["body"] = {"mode": "raw", "raw": p["body"]}
    elif p["body"] is not None:
        request["body"] = p["body"]
    out: dict[str, Any] = {"name": p["name"], "originalRequest": request, "code": p["code"],
                           "body": p["response"]}
    if p["id"] is not None:
        out["id"] = p["id"]
    return out


@st.composite
def collections(draw: st.DrawFn) -> dict[str, Any]:
    base = {k: draw(v) for k, v in PARTS.items()}
    exs: list[Any] = [build_example(base)]
    for _ in range(draw(st.integers(1, 11))):
        if draw(st.integers(0, 30)) == 0:
            exs.append(draw(st.sampled_from([42, {"code": "x"}, {"body": [1], "originalRequest": {"url": "/a"}}])))
            continue
        changed = draw(st.lists(st.sampled_from(sorted(PARTS)), max_size=3))
        parts = {**base, **{k: draw(PARTS[k]) for k in changed}}
        if parts["segs"] and draw(st.booleans()):  # the same path with one segment varied
            i = draw(st.integers(0, len(parts["segs"]) - 1))
            seg = parts["segs"][i]
            parts["segs"] = [*parts["segs"][:i], draw(st.sampled_from([seg, *VARIANTS.get(seg, [])])),
                             *parts["segs"][i + 1:]]
        exs.append(build_example(parts))
    doc: dict[str, Any] = {"info": {"name": "p"}, "item": [{"name": "r", "response": exs}]}
    variables = draw(st.dictionaries(st.sampled_from(["base", "kind", "name", "n"]),
                                     st.sampled_from(["", "https://h/v1", "admins", "{{kind}}"]), max_size=3))
    doc["variable"] = [{"key": k, "value": v} for k, v in variables.items()]
    return doc


@st.composite
def requests(draw: st.DrawFn, doc: dict[str, Any]) -> HttpRequest:
    known = [e["originalRequest"] for e in doc["item"][0]["response"]
             if isinstance(e, dict) and isinstance(e.get("originalRequest", {}).get("url"), dict)]
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    query: list[tuple[str, str]] = draw(
        st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(["1", "2", ""])), max_size=3))
    if draw(st.integers(0, 4)) and known:
        like = draw(st.sampled_from(known))
        if draw(st.booleans()):
            query = [(q["key"], q["value"] if q["value"] not in (None, "{{v}}") else "1")
                     for q in like["url"]["query"] if draw(st.integers(0, 3))]
        segs = [draw(st.sampled_from([s, *VARIANTS.get(s, [])])) for s in like["url"]["path"] if s]
        if any(v.get("key") == "base" and "/v1" in v.get("value", "") for v in doc["variable"]):
            segs = ["v1", *segs]
        method = like["method"].upper() if draw(st.integers(0, 4)) else method
    else:
        segs = draw(st.lists(st.sampled_from(REQUEST_SEGMENTS), max_size=5))
    path = "/" + "/".join(segs) + ("/" if draw(often(False, True)) else "")
    headers: list[tuple[str, str]] = []
    for name, values in [("x-mock-response-code", ["200", "404", "abc"]),
                         ("x-mock-response-id", ["e1", "e2", "9-e3", "nope"]),
                         ("x-mock-response-name", ["A", "Dup", "zzz"]),
                         ("x-mock-match-request-body", ["true", "false"]),
                         ("x-mock-match-request-headers", ["x-tenant", "false", "x-mock-response-code"]),
                         ("X-Tenant", ["a", "b"]),
                         ("Content-Type", ["application/json", "text/plain"])]:
        if draw(st.integers(0, 11)) == 0:
            headers.append((name, draw(st.sampled_from(values))))
    body = draw(st.sampled_from([b"", b'{"a": 1}', b'{"a":2}', b"plain", b"a=1", b"\xff\x00"]))
    return HttpRequest(method=method, path=path, query=query, headers=headers, body=body)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], HttpRequest]:
    doc = draw(collections())
    return doc, draw(requests(doc))


options = st.builds(MatchOptions, match_body=st.sampled_from([False, False, False, True]),
                    match_headers=st.sampled_from([(), (), (), ("X-Tenant",), ("x-other", "x-tenant")]))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), opts=options)
def test_index_agrees_with_brute_force_and_every_miss_is_reasoned(
        case: tuple[dict[str, Any], HttpRequest], opts: MatchOptions) -> None:
    doc, request = case
    m = Matcher(doc, None, opts)
    fast = m.match(request)
    full = m.match(request, brute_force=True)
    assert (fast.example and fast.example.id, fast.score, fast.status, fast.error, fast.captures) == \
        (full.example and full.example.id, full.score, full.status, full.error, full.captures)
    for result in (fast, full):
        if result.example is None:
            assert result.status == 404
            assert result.error is not None and result.error["name"] == "mockRequestNotFoundError"
            assert len(result.nearest) <= 3
            json.dumps(not_found_body(result))
        else:
            assert result.error is None
            assert result.example in m.examples and result.example.error is None
            assert result.status == result.example.status
            assert result.score is None or 60 <= result.score <= 115
            render(result.example, request, result.captures)
    selecting = any(k.lower() in ("x-mock-response-id", "x-mock-response-name") for k, _ in request.headers)
    if not selecting:
        assert len(full.candidates) == len(m.examples)
        assert all(c.rule for c in full.candidates)
