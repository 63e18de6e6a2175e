"""The matching algorithm, one table row per rule, special header, tie and error.

Every row also checks that the index and the brute-force scan agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from postmock_core.cli import main
from postmock_core.postman.collections import CollectionStore
from postmock_core.exchange import HttpRequest
from postmock_core.matching.matcher import NOT_FOUND, Matcher, MatchOptions, MatchResult, not_found_body
from postmock_core.matching.pathscore import ID, LITERAL, PathPattern
from postmock_core.store.workspace import Workspace

UUID_A = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
UUID_B = "9b2d5c1e-7a41-4c6b-8f0e-1d2c3b4a5f60"
DEFAULT = MatchOptions()


def ex(url: str, method: str = "GET", code: int = 200, name: str | None = None, id: str | None = None,
       headers: dict[str, str] | None = None, body: Any = None, response: str = "",
       url_vars: dict[str, str] | None = None, query: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One saved example; `body` is raw text, or a full Postman body object."""
    u: dict[str, Any] = {"raw": url}
    if url_vars is not None:
        path = url.split("?")[0].strip("/").split("/")
        u = {"raw": url, "host": ["{{host}}"], "path": path,
             "variable": [{"key": k, "value": v} for k, v in url_vars.items()]}
    if query is not None:
        u = {"raw": url, "path": url.split("?")[0].strip("/").split("/"), "query": query}
    req: dict[str, Any] = {"method": method, "url": u,
                           "header": [{"key": k, "value": v} for k, v in (headers or {}).items()]}
    if isinstance(body, str):
        req["body"] = {"mode": "raw", "raw": body}
    elif body is not None:
        req["body"] = body
    out = {"name": name or f"{method} {url} {code}", "originalRequest": req, "code": code,
           "status": "", "header": [{"key": "Content-Type", "value": "application/json"}],
           "body": response}
    if id is not None:
        out["id"] = id
    return out


def coll(*examples: dict[str, Any], variables: dict[str, str] | None = None) -> dict[str, Any]:
    items = [{"name": f"request {i}", "request": {"method": "GET", "url": {"raw": "/"}},
              "response": [e]} for i, e in enumerate(examples)]
    doc: dict[str, Any] = {"info": {"name": "t", "_postman_id": "c1"}, "item": items}
    if variables:
        doc["variable"] = [{"key": k, "value": v} for k, v in variables.items()]
    return doc


def req(target: str, method: str = "GET", headers: dict[str, str] | None = None,
        body: bytes = b"") -> HttpRequest:
    path, _, qs = target.partition("?")
    query = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in qs.split("&") if p]
    return HttpRequest(method=method, path=path, query=query,  # type: ignore[arg-type]
                       headers=list((headers or {}).items()), body=body)


def run(doc: dict[str, Any], request: HttpRequest, options: MatchOptions = DEFAULT,
        env: dict[str, Any] | None = None) -> MatchResult:
    m = Matcher(doc, env, options)
    fast = m.match(request)
    full = m.match(request, brute_force=True)
    assert (fast.example and fast.example.id, fast.score, fast.status, fast.error) == \
        (full.example and full.example.id, full.score, full.status, full.error)
    assert fast.captures == full.captures
    return full


JSON = {"Content-Type": "application/json"}

# (case, examples, request, options, expected example name or None, expected score)
CASES: list[tuple[str, list[dict[str, Any]], HttpRequest, MatchOptions, str | None, float | None]] = [
    # -- path rules ------------------------------------------------------------------------
    ("exact", [ex("/users/5", name="A")], req("/users/5"), MatchOptions(), "A", 100),
    ("trailing slash on the request", [ex("/users/5", name="A")], req("/users/5/"), MatchOptions(), "A", 95),
    ("trailing slash on the example", [ex("/users/", name="A")], req("/users"), MatchOptions(), "A", 95),
    ("case-insensitive", [ex("/Users/5", name="A")], req("/users/5"), MatchOptions(), "A", 90),
    ("trailing slash and case", [ex("/Users/5/", name="A")], req("/users/5"), MatchOptions(), "A", 85),
    ("wildcard", [ex("/users/{{userId}}", name="A")], req("/users/carol"), MatchOptions(), "A", 80),
    ("wildcard inside a segment", [ex("/files/report-{{n}}.pdf", name="A")], req("/files/report-7.pdf"),
     MatchOptions(), "A", 80),
    ("wildcard is one segment only", [ex("/users/{{id}}", name="A")], req("/users/a/b"), MatchOptions(), None, None),
    ("numeric ID removed", [ex("/users/123", name="A")], req("/users/456"), MatchOptions(), "A", 79),
    ("UUID removed", [ex(f"/orders/{UUID_A}", name="A")], req(f"/orders/{UUID_B}"), MatchOptions(), "A", 79),
    ("id-like token removed", [ex("/cust/cus9s6XKzk2", name="A")], req("/cust/cus44ab7Yq"), MatchOptions(), "A", 79),
    ("hex ID removed", [ex("/blobs/5f3a9c2b7e", name="A")], req("/blobs/a1b2c3d4e5f6"), MatchOptions(), "A", 79),
    ("a word is not an ID", [ex("/users/123", name="A")], req("/users/carol"), MatchOptions(), None, None),
    ("an ID is not a word", [ex("/users/carol", name="A")], req("/users/123"), MatchOptions(), None, None),
    ("trailing slash and IDs", [ex("/users/123", name="A")], req("/users/456/"), MatchOptions(), "A", 75),
    ("wildcard beats an ID match", [ex("/users/123", name="A"), ex("/users/{{id}}", name="B")],
     req("/users/456"), MatchOptions(), "B", 80),
    ("exact beats wildcard", [ex("/users/{{id}}", name="B"), ex("/users/me", name="A")],
     req("/users/me"), MatchOptions(), "A", 100),
    (":id uses the example's own value", [ex("/users/:id", name="A", url_vars={"id": "5"})],
     req("/users/5"), MatchOptions(), "A", 100),
    (":id value differs: IDs rule", [ex("/users/:id", name="A", url_vars={"id": "5"})],
     req("/users/6"), MatchOptions(), "A", 79),
    (":id without a value is a wildcard", [ex("/users/:id", name="A", url_vars={"id": ""})],
     req("/users/carol"), MatchOptions(), "A", 80),
    ("document distance forgives a typo", [ex("/customers/{{id}}", name="A")], req("/cusotmers/5"),
     MatchOptions(), "A", 70),
    ("document distance: a different resource", [ex("/orders/5", name="A")], req("/borders/5"),
     MatchOptions(), None, None),
    ("document distance: short words", [ex("/posts", name="A")], req("/hosts"), MatchOptions(), None, None),
    ("document distance: versions", [ex("/v1/users", name="A")], req("/v2/users"), MatchOptions(), None, None),
    ("document distance only as a last resort",
     [ex("/customers/1", name="typo"), ex("/cusotmers/{{id}}", name="B")], req("/cusotmers/1"),
     MatchOptions(), "B", 80),
    ("root path", [ex("{{host}}/", name="A"), ex("/x", name="B")], req("/"), MatchOptions(), "A", 100),
    ("percent-encoded segment", [ex("/tags/a b", name="A")], req("/tags/a%20b"), MatchOptions(), "A", 100),
    # -- method ------------------------------------------------------------------------------
    ("method differs", [ex("/users", method="POST", name="A")], req("/users"), MatchOptions(), None, None),
    ("method picks", [ex("/users", method="POST", name="A"), ex("/users", name="B")], req("/users"),
     MatchOptions(), "B", 100),
    # -- query -------------------------------------------------------------------------------
    ("query: all match", [ex("/items?a=1&b=2", name="A")], req("/items?b=2&a=1"), MatchOptions(), "A", 110),
    ("query: one of two match", [ex("/items?a=1&b=2", name="A")], req("/items?a=1&b=3"), MatchOptions(), "A", 105),
    ("query: extra request param is missing", [ex("/items?a=1", name="A")], req("/items?a=1&c=3"),
     MatchOptions(), "A", 105),
    ("query: one of three", [ex("/items?a=1&b=2&c=3", name="A")], req("/items?a=1&b=9"), MatchOptions(), "A",
     100 + round(10 / 3, 4)),
    ("query: none match, 3 missing", [ex("/items?a=1&b=2", name="A")], req("/items?c=3"), MatchOptions(), "A", 97),
    ("query: none match, only different values", [ex("/items?a=1", name="A")], req("/items?a=2"),
     MatchOptions(), "A", 100),
    ("query: missing capped at 10", [ex("/items?" + "&".join(f"k{i}=v" for i in range(12)), name="A")],
     req("/items"), MatchOptions(), "A", 90),
    ("query: request only", [ex("/items", name="A")], req("/items?x=1"), MatchOptions(), "A", 99),
    ("query: disabled example params ignored",
     [ex("/items", name="A", query=[{"key": "a", "value": "1", "disabled": True}])], req("/items"),
     MatchOptions(), "A", 100),
    ("query: picks the example with matching params",
     [ex("/search?q=cats", name="cats"), ex("/search?q=dogs", name="dogs")], req("/search?q=dogs"),
     MatchOptions(), "dogs", 110),
    ("query: wildcard value", [ex("/items?page={{page}}", name="A")], req("/items?page=3"), MatchOptions(), "A", 110),
    ("query: bare flag", [ex("/items?flag", name="A")], req("/items?flag"), MatchOptions(), "A", 110),
    ("query and body lift an ID match over an exact path",
     [ex("/o/1?" + "&".join(f"k{i}=v" for i in range(10)), "POST", name="exact path"),
      ex("/o/2?q=1", "POST", name="ids", headers=JSON, body='{"a": 2}')],
     req("/o/1?q=1", "POST", JSON, b'{"a":2}'), MatchOptions(), "ids", 94),
    # -- x-mock-response-code / -id / -name --------------------------------------------------
    ("response code filters", [ex("/users", name="ok"), ex("/users", code=404, name="nf")],
     req("/users", headers={"x-mock-response-code": "404"}), MatchOptions(), "nf", 100),
    ("response code leaves nothing", [ex("/users", name="ok")],
     req("/users", headers={"x-mock-response-code": "500"}), MatchOptions(), None, None),
    ("response code that is not a number", [ex("/users", name="ok")],
     req("/users", headers={"x-mock-response-code": "abc"}), MatchOptions(), None, None),
    ("response code in digits outside ASCII", [ex("/users", name="ok")],
     req("/users", headers={"x-mock-response-code": "\u0662\u0660\u0660"}), MatchOptions(), None, None),
    ("response id ignores the path", [ex("/users", name="A", id="e1"), ex("/orders", name="B", id="e2")],
     req("/users", headers={"x-mock-response-id": "e2"}), MatchOptions(), "B", None),
    ("response id as a Postman UID", [ex("/users", name="A", id="e1"), ex("/orders", name="B", id="e2")],
     req("/users", headers={"X-Mock-Response-Id": "12345-e2"}), MatchOptions(), "B", None),
    ("response id not found", [ex("/users", name="A", id="e1")],
     req("/users", headers={"x-mock-response-id": "nope"}), MatchOptions(), None, None),
    ("response id of another method", [ex("/users", method="POST", name="A", id="e1")],
     req("/users", headers={"x-mock-response-id": "e1"}), MatchOptions(), None, None),
    ("response name", [ex("/users", name="A", id="e1"), ex("/orders", name="B", id="e2")],
     req("/users", headers={"x-mock-response-name": "B"}), MatchOptions(), "B", None),
    ("response name duplicated: first by ID with 200",
     [ex("/a", name="Dup", id="e1", code=500), ex("/b", name="Dup", id="e3", response="late 200"),
      ex("/c", name="Dup", id="e2", response="early 200")],
     req("/zzz", headers={"x-mock-response-name": "Dup"}), MatchOptions(), "Dup", None),
    ("response name with response code", [ex("/a", name="Dup", id="e1"), ex("/b", name="Dup", id="e2", code=500)],
     req("/zzz", headers={"x-mock-response-name": "Dup", "x-mock-response-code": "500"}), MatchOptions(),
     "Dup", None),
    ("response name not found", [ex("/users", name="A")],
     req("/users", headers={"x-mock-response-name": "B"}), MatchOptions(), None, None),
    # -- headers -------------------------------------------------------------------------------
    ("header matching, names case-insensitive",
     [ex("/t", name="a", headers={"X-Tenant": "a"}), ex("/t", name="b", headers={"x-tenant": "b"})],
     req("/t", headers={"X-TENANT": "b"}), MatchOptions(match_headers=("X-Tenant",)), "b", 100),
    ("header matching drops the example without it", [ex("/t", name="a")],
     req("/t", headers={"x-tenant": "b"}), MatchOptions(match_headers=("x-tenant",)), None, None),
    ("header matching per request",
     [ex("/t", name="a", headers={"X-Tenant": "a"}), ex("/t", name="b", headers={"X-Tenant": "b"})],
     req("/t", headers={"x-tenant": "b", "x-mock-match-request-headers": "X-Tenant"}), MatchOptions(), "b", 100),
    ("header matching: the request turns it off",
     [ex("/t", name="a", headers={"X-Tenant": "a"})],
     req("/t", headers={"x-tenant": "b", "x-mock-match-request-headers": "false"}),
     MatchOptions(match_headers=("x-tenant",)), "a", 100),
    ("x-mock-* headers are never matched",
     [ex("/t", name="a", headers={"x-mock-response-code": "500"})],
     req("/t", headers={"x-mock-match-request-headers": "x-mock-response-code"}), MatchOptions(), "a", 100),
    ("header matching: a redacted value matches", [ex("/t", name="a", headers={"Authorization": "Bearer [REDACTED]"})],
     req("/t", headers={"authorization": "Bearer [REDACTED]"}), MatchOptions(match_headers=("authorization",)),
     "a", 100),
    # -- body ------------------------------------------------------------------------------------
    ("body matching: JSON by value", [ex("/o", "POST", name="a", headers=JSON, body='{"a": 1, "b": [1, 2]}')],
     req("/o", "POST", {"content-type": "application/json; charset=utf-8"}, b'{"b":[1,2.0],\n"a":1}'),
     MatchOptions(match_body=True), "a", 100),
    ("body matching: without Content-Type", [ex("/o", "POST", name="a", headers=JSON, body='{"a": 1}')],
     req("/o", "POST", {}, b'{"a": 1}'), MatchOptions(match_body=True), None, None),
    ("body matching: Content-Type from the raw language",
     [ex("/o", "POST", name="a", body={"mode": "raw", "raw": '{"a":1}', "options": {"raw": {"language": "json"}}})],
     req("/o", "POST", JSON, b'{ "a" : 1 }'), MatchOptions(match_body=True), "a", 100),
    ("body matching picks the body", [ex("/o", "POST", name="a", headers=JSON, body='{"a": 1}'),
                                      ex("/o", "POST", name="b", headers=JSON, body='{"a": 2}')],
     req("/o", "POST", JSON, b'{"a": 2}'), MatchOptions(match_body=True), "b", 100),
    ("body matching drops all", [ex("/o", "POST", name="a", headers=JSON, body='{"a": 1}')],
     req("/o", "POST", JSON, b'{"a": 3}'), MatchOptions(match_body=True), None, None),
    ("body matching per request", [ex("/o", "POST", name="a", headers=JSON, body='{"a": 1}')],
     req("/o", "POST", {**JSON, "x-mock-match-request-body": "true"}, b'{"a": 3}'), MatchOptions(), None, None),
    ("body matching: the request turns it off", [ex("/o", "POST", name="a", headers=JSON, body='{"a": 1}')],
     req("/o", "POST", {**JSON, "x-mock-match-request-body": "false"}, b'{"a": 3}'),
     MatchOptions(match_body=True), "a", 100),
    ("body matching: form fields in any order",
     [ex("/f", "POST", name="a", body={"mode": "urlencoded", "urlencoded": [
         {"key": "x", "value": "1"}, {"key": "y", "value": "2"}, {"key": "z", "value": "3", "disabled": True}]})],
     req("/f", "POST", {"content-type": "application/x-www-form-urlencoded"}, b"y=2&x=1"),
     MatchOptions(match_body=True), "a", 100),
    ("body matching: multipart fields",
     [ex("/f", "POST", name="a", body={"mode": "formdata", "formdata": [
         {"key": "name", "value": "Ann", "type": "text"}, {"key": "pic", "type": "file", "src": "a.png"}]})],
     req("/f", "POST", {"content-type": "multipart/form-data; boundary=XyZ"},
         b'--XyZ\r\nContent-Disposition: form-data; name="pic"; filename="b.png"\r\n\r\nPNG\r\n'
         b'--XyZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nAnn\r\n--XyZ--\r\n'),
     MatchOptions(match_body=True), "a", 100),
    ("body matching: text exactly", [ex("/t", "POST", name="a", headers={"Content-Type": "text/plain"}, body="hi ")],
     req("/t", "POST", {"content-type": "text/plain"}, b"hi"), MatchOptions(match_body=True), None, None),
    ("body off: a matching body adds 5", [ex("/o", "POST", name="a", headers=JSON, body='{"a": 1}'),
                                          ex("/o", "POST", name="b", headers=JSON, body='{"a": 2}')],
     req("/o", "POST", JSON, b'{"a":2}'), MatchOptions(), "b", 105),
    # -- ties ------------------------------------------------------------------------------------
    ("tie: first by ID", [ex("/t", name="late", id="b"), ex("/t", name="early", id="a")], req("/t"),
     MatchOptions(), "early", 100),
    ("tie: status 200 before a lower ID", [ex("/t", name="500", id="a", code=500), ex("/t", name="200", id="b")],
     req("/t"), MatchOptions(), "200", 100),
    ("tie: no 200, first by ID", [ex("/t", name="503", id="b", code=503), ex("/t", name="404", id="c", code=404),
                                  ex("/t", name="500", id="a", code=500)], req("/t"), MatchOptions(), "500", 100),
    ("tie: IDs compare as text", [ex("/t", name="ten", id="000010"), ex("/t", name="two", id="000002")],
     req("/t"), MatchOptions(), "two", 100),
    ("tie between ID matches", [ex("/u/100", name="404", id="e1", code=404), ex("/u/50", name="200", id="e2")],
     req("/u/7"), MatchOptions(), "200", 79),
    # -- examples the index groups together must still score apart -----------------------------
    ("ID class: case variant", [ex("/Users/5", name="upper", id="e1"), ex("/users/5", name="lower", id="e2")],
     req("/users/7"), MatchOptions(), "lower", 79),
    ("ID class: trailing slash variant", [ex("/users/5/", name="slash", id="e1"), ex("/users/5", name="plain", id="e2")],
     req("/users/7"), MatchOptions(), "plain", 79),
    ("ID class: different query", [ex("/users/5?a=1", name="a", id="e1"), ex("/users/6?b=2", name="b", id="e2")],
     req("/users/7?b=2"), MatchOptions(), "b", 89),
    ("ID class: different status", [ex("/users/5", name="a", id="e1"), ex("/users/6", name="b", id="e2", code=404)],
     req("/users/7", headers={"x-mock-response-code": "404"}), MatchOptions(), "b", 79),
    ("ID class: different header", [ex("/users/5", name="a", id="e1", headers={"X-T": "a"}),
                                    ex("/users/6", name="b", id="e2", headers={"X-T": "b"})],
     req("/users/7", headers={"x-t": "b"}), MatchOptions(match_headers=("x-t",)), "b", 79),
    ("ID class: header named only by the request", [ex("/users/5", name="a", id="e1", headers={"X-T": "a"}),
                                                    ex("/users/6", name="b", id="e2", headers={"X-T": "b"})],
     req("/users/7", headers={"x-t": "b", "x-mock-match-request-headers": "x-t"}), MatchOptions(), "b", 79),
    ("ID class: different body", [ex("/o/5", "POST", name="a", id="e1", headers=JSON, body='{"a": 1}'),
                                  ex("/o/6", "POST", name="b", id="e2", headers=JSON, body='{"a": 2}')],
     req("/o/7", "POST", JSON, b'{"a": 2}'), MatchOptions(match_body=True), "b", 79),
    ("duplicated names score alike", [ex("/t", name="same", id="e2"), ex("/t?x=1", name="same", id="e1")],
     req("/t?x=1"), MatchOptions(), "same", 110),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matching_table(case: tuple[Any, ...]) -> None:
    _, examples, request, options, name, score = case
    result = run(coll(*examples), request, options)
    if name is None:
        assert result.example is None
        assert result.status == 404
        assert result.error is not None and result.error["name"] == NOT_FOUND["name"]
    else:
        assert result.example is not None, result.candidates
        assert result.example.name == name
        assert result.score == (None if score is None else pytest.approx(score))
        assert result.status == result.example.status


def test_wildcard_captures_fill_from_the_path_and_query() -> None:
    result = run(coll(ex("/users/{{userId}}/files/report-{{n}}.pdf?page={{page}}")),
                 req("/users/carol/files/report-7.pdf?page=2"))
    assert result.captures == {"userId": "carol", "n": "7", "page": "2"}


def test_response_name_duplicates_choose_first_200_by_id() -> None:
    result = run(coll(ex("/a", name="Dup", id="e1", code=500), ex("/b", name="Dup", id="e3"),
                      ex("/c", name="Dup", id="e2")), req("/x", headers={"x-mock-response-name": "Dup"}))
    assert result.example is not None and result.example.id == "e2"
    both_500 = run(coll(ex("/a", name="Dup", id="e2", code=500), ex("/b", name="Dup", id="e1", code=503)),
                   req("/x", headers={"x-mock-response-name": "Dup"}))
    assert both_500.example is not None and both_500.example.id == "e1"


def test_selected_examples_keep_wildcard_captures() -> None:
    result = run(coll(ex("/example/{{objectId}}", name="SUCCESS")),
                 req("/example/test123", headers={"x-mock-response-name": "SUCCESS"}))
    assert result.captures == {"objectId": "test123"}


def test_error_shapes_for_id_and_name() -> None:
    doc = coll(ex("/users", name="A", id="e1"))
    by_id = run(doc, req("/users", headers={"x-mock-response-id": "nope"}))
    assert by_id.error is not None and "x-mock-response-id" in by_id.error["message"]
    assert set(by_id.error) == {"name", "message", "header"}
    by_name = run(doc, req("/users", headers={"x-mock-response-name": "B"}))
    assert by_name.error is not None and "x-mock-response-name" in by_name.error["message"]


def test_not_found_body_keeps_postman_error_and_names_nearest() -> None:
    doc = coll(ex("/users/5", method="POST", name="create"), ex("/users/{{id}}/orders", name="orders"),
               ex("/teams", name="teams"), ex("/users", name="list"))
    result = Matcher(doc).match(req("/users/5"))
    body = not_found_body(result)
    assert body["error"] == NOT_FOUND
    nearest = body["postmock"]["nearest"]
    assert 1 <= len(nearest) <= 3
    assert nearest[0]["name"] == "create" and "method" in nearest[0]["why"]
    assert {"id", "name", "method", "url", "score", "why"} <= set(nearest[0])
    json.dumps(body)  # it is what the mock sends


def test_explain_lists_every_example_with_its_fate() -> None:
    doc = coll(ex("/users/5", name="hit"), ex("/users/{{id}}", name="wild"), ex("/users", method="POST", name="post"),
               ex("/teams/5", name="teams"), ex("/users/6", name="other status", code=500))
    doc["item"][0]["response"].append({"name": "broken", "code": "abc", "originalRequest": {"url": "/users/5"}})
    result = Matcher(doc).explain(req("/users/5", headers={"x-mock-response-code": "200"}))
    assert result.example is not None and result.example.name == "hit"
    fates = {c.name: c for c in result.candidates}
    assert set(fates) == {"hit", "wild", "post", "teams", "other status", "broken"}
    assert fates["wild"].score == 80 and not fates["wild"].dropped
    assert fates["post"].dropped and "method" in fates["post"].rule
    assert fates["teams"].dropped and "segment 1" in fates["teams"].rule
    assert fates["other status"].dropped and "x-mock-response-code" in fates["other status"].rule
    assert fates["broken"].dropped and fates["broken"].rule.startswith("unreadable:")


def test_typo_examples_are_explained_when_another_rule_matched() -> None:
    result = Matcher(coll(ex("/customers/1", name="typo"), ex("/cusotmers/{{id}}", name="wild"))).explain(
        req("/cusotmers/1"))
    typo = next(c for c in result.candidates if c.name == "typo")
    assert typo.dropped and "document distance" in typo.rule


def test_variables_fill_the_example_url() -> None:
    doc = coll(ex("{{baseUrl}}/users/{{kind}}", name="A"),
               variables={"baseUrl": "https://api.example.com/v1", "kind": "admins"})
    assert run(doc, req("/v1/users/admins")).score == 100
    env = {"values": [{"key": "kind", "value": "guests", "enabled": True}]}
    assert run(doc, req("/v1/users/guests"), env=env).score == 100
    # an unresolved variable is a wildcard
    assert run(coll(ex("{{baseUrl}}/users/{{kind}}")), req("/users/anything")).score == 80


def test_unreadable_examples_do_not_stop_matching() -> None:
    doc = coll(ex("/ok", name="good"))
    doc["item"][0]["response"] += [42, {"name": "bad body", "body": {"x": 1}, "originalRequest": {"url": "/ok"}}]
    m = Matcher(doc)
    assert [e.name for e in m.unreadable] == ["", "bad body"]
    result = m.match(req("/ok"))
    assert result.example is not None and result.example.name == "good"


def test_index_handles_many_recorded_ids_per_path() -> None:
    examples = [ex(f"/users/{i}", name=f"user {i}", id=f"{i:04d}") for i in range(1, 400)]
    examples.append(ex("/users/77?full=1", name="full", id="9999"))
    m = Matcher(coll(*examples))
    for target, name, score in [("/users/5", "user 5", 100), ("/users/5000", "user 1", 79),
                                ("/users/77?full=1", "full", 110), ("/USERS/5", "user 5", 90)]:
        fast = m.match(req(target))
        full = m.match(req(target), brute_force=True)
        assert fast.example is not None and full.example is not None
        assert (fast.example.name, fast.score) == (full.example.name, full.score) == (name, score)


# -- the explain command ----------------------------------------------------------------------

def _doc_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(coll(ex("/users/{{id}}", name="user"), ex("/users", "POST", name="create"))))
    return path


def test_cli_explain_names_winner_and_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mock", "explain", "--collection-file", str(_doc_file(tmp_path)), "--url", "/users/7"])
    out = capsys.readouterr().out
    assert code == 0
    assert "'user'" in out and "score 80" in out and "captures: id='7'" in out
    assert "method: example is POST" in out


def test_cli_explain_miss_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mock", "explain", "--collection-file", str(_doc_file(tmp_path)), "--url", "/teams",
                 "-X", "DELETE", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["match"] is None and data["status"] == 404
    assert data["error"] == NOT_FOUND
    assert {c["name"] for c in data["candidates"]} == {"user", "create"}


def test_cli_explain_stored_collection(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    CollectionStore(workspace).create("Shop", coll(ex("/users", "POST", name="create", headers=JSON,
                                                      body='{"a": 1}')))
    code = main(["mock", "explain", "Shop", "-X", "post", "--url", "http://x/users", "-H",
                 "Content-Type: application/json", "--data", '{"a":1}', "--match-body"])
    assert code == 0
    assert "'create'" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--url", "/x"], "name a mock or a collection"),
    (["--collection-file", "/nonexistent/c.json", "--url", "/x"], "cannot read collection file"),
    (["--collection-file", "{file}", "--url", "/x", "-H", "novalue"], "is not 'Name: value'"),
    (["--collection-file", "{file}", "--url", "/x", "-X", "GE T"], "is not an HTTP method"),
    (["NoSuch", "--url", "/x"], "no collection named"),
])
def test_cli_explain_bad_input_is_one_line(argv: list[str], message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.replace("{file}", str(_doc_file(tmp_path))) for a in argv]
    assert main(["mock", "explain", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_explain_a_mock_uses_its_collection_environment_and_options(tmp_path: Path, capsys: Any) -> None:
    from postmock_core.postman.collections import CollectionStore
    from postmock_core.postman.environments import EnvironmentStore
    from postmock_core.mock.configs import MockStore
    from postmock_core.store.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    doc = {"info": {"name": "Tenants"}, "item": [{"name": "me", "request": {"method": "GET", "url": "x"},
           "response": [
               {"id": "1", "name": "acme", "code": 200, "body": "acme",
                "originalRequest": {"method": "GET", "url": "{{base}}/me",
                                    "header": [{"key": "X-Tenant", "value": "acme"}]}},
               {"id": "2", "name": "zeta", "code": 200, "body": "zeta",
                "originalRequest": {"method": "GET", "url": "{{base}}/me",
                                    "header": [{"key": "X-Tenant", "value": "zeta"}]}}]}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    assert main(["--home", str(ws.root), "collection", "import", str(path)]) == 0
    EnvironmentStore(ws).set("dev", "base", "http://api.test/v1")
    coll = CollectionStore(ws).list()[0]
    MockStore(ws).create("tenant-mock", coll.id, environment=EnvironmentStore(ws).load("dev")["id"],
                         match_headers=("X-Tenant",))
    capsys.readouterr()
    # Header matching is the mock's option, and /v1 comes from the mock's environment.
    argv = ["--home", str(ws.root), "mock", "explain", "tenant-mock", "--url", "/v1/me", "--json"]
    assert main([*argv, "-H", "X-Tenant: zeta"]) == 0
    assert json.loads(capsys.readouterr().out)["match"]["name"] == "zeta"
    # Against the bare collection, header matching is off: the tie goes to the first example.
    assert main(["--home", str(ws.root), "mock", "explain", "Tenants", "--env", "dev",
                 "--url", "/v1/me", "-H", "X-Tenant: zeta", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["match"]["name"] == "acme"


@pytest.mark.parametrize("ids", [("b", "a"), ("a", "b")])
def test_equal_scores_go_to_the_more_specific_path_before_the_id(ids: tuple[str, str]) -> None:
    """Beyond Postman: `/releases/latest` beats `/releases/:release_id` for `/releases/latest`,
    whichever has the lower ID (both score 80: wildcard)."""
    latest = ex("/repos/:owner/:repo/releases/latest", name="latest", id=ids[0])
    by_id = ex("/repos/:owner/:repo/releases/:release_id", name="by id", id=ids[1])
    for doc in (coll(latest, by_id), coll(by_id, latest)):
        result = run(doc, req("/repos/a/b/releases/latest"))
        assert result.example is not None and result.example.name == "latest" and result.score == 80
        result = run(doc, req("/repos/a/b/releases/v1"))
        assert result.example is not None and result.example.name == "by id"
    # The ID tie-break still settles examples equally specific.
    same = [ex("/x/{{a}}", name="one", id="2"), ex("/x/{{b}}", name="two", id="1")]
    assert run(coll(*same), req("/x/y")).example.name == "two"  # type: ignore[union-attr]


@pytest.mark.parametrize("method, url", [
    ("GET", "/search?q=ada"),         # shares neither its first segment nor its length with any example
    ("GET", "/v2/orders/7/items/3"),  # deeper than every example
    ("DELETE", "/users/1"),           # the path is there, for other methods
    ("GET", "/userz/1"),              # a typo of an example path
])
def test_a_live_miss_names_the_nearest_examples_explain_names(method: str, url: str) -> None:
    examples = [ex(f"https://api.test/users/{i}", name=f"user {i}") for i in range(40)]
    examples += [ex("https://api.test/users", "POST", 201, name="create"),
                 ex("https://api.test/orders/7", name="order 7"),
                 ex("https://api.test/health", name="health")]
    matcher = Matcher(coll(*examples))
    path, _, query = url.partition("?")
    request = HttpRequest(method, path=path, query=[tuple(q.split("=")) for q in query.split("&")] if query else [])
    live, explained = matcher.match(request), matcher.explain(request)
    assert live.example is None and explained.example is None
    assert live.nearest and live.nearest == explained.nearest
    assert not_found_body(live)["postmock"]["nearest"] == explained.nearest


def test_path_patterns_compare_in_lower_case() -> None:
    mixed = PathPattern.build(("Users", "İd", "42"), False, frozenset())
    assert mixed.lower == ("users", "i\u0307d", "42") and mixed.kinds == (LITERAL, LITERAL, ID)
    plain = PathPattern.build(("users", "42"), True, frozenset())
    assert plain.lower == ("users", "42") and plain.wild == (None, None) and plain.ts
    m = Matcher({"item": [{"name": "u", "request": {"url": "/Users/İd"},
                           "response": [{"name": "e", "body": "found"}]}]})
    assert m.match(HttpRequest("GET", path="/users/i\u0307d")).rule.startswith("path: case-insensitive")


def test_json_bodies_written_differently_still_tie_by_id() -> None:
    def item(ex_id: str, raw: str, code: int) -> dict[str, Any]:
        request = {"method": "POST", "url": "/orders",
                   "header": [{"key": "Content-Type", "value": "application/json"}],
                   "body": {"mode": "raw", "raw": raw}}
        return {"name": ex_id, "request": request,
                "response": [{"id": ex_id, "name": ex_id, "code": code, "originalRequest": request}]}

    # The same JSON, spelled three ways: every one is a match, and Postman's tie-break decides.
    m = Matcher({"item": [item("c", '{"a": 1, "b": [1, 2]}', 200), item("b", '{ "b": [1,2], "a": 1.0 }', 201),
                          item("a", '{"b":[1,2],"a":1}', 201)]}, options=MatchOptions(match_body=True))
    got = m.match(HttpRequest("POST", path="/orders", headers=[("Content-Type", "application/json")],
                              body=b'{"a":1,"b":[1,2]}'))
    assert got.example is not None and got.example.id == "c"  # the first by ID with status 200
    assert m.match(HttpRequest("POST", path="/orders", headers=[("Content-Type", "application/json")],
                               body=b'{"a": 2}')).example is None
    assert m.explain(HttpRequest("POST", path="/orders", headers=[("Content-Type", "application/json")],
                                 body=b'{"b": [1, 2], "a": 1}')).example is got.example
