"""Fuzzing the templating and the matcher: any template renders to text, request data comes
back literally (never expanded a second time), and any collection document answers any request
with an example or a reasoned miss, in bounded time."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st
from support.mockkit import users_collection
from support.procs import REPO

from postmock_core.matching.examples import Example
from postmock_core.exchange import HttpRequest
from postmock_core.matching.matcher import Matcher, MatchOptions
from postmock_core.mock.templating import render

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.fuzz import check_matcher, check_template, fuzz_settings
from reliability_lib.fuzz_inputs import json_values, mutated, requests, template_parts, templates

FUZZ = fuzz_settings(200)
USERS = users_collection("Fuzzed users")
captures = st.dictionaries(st.sampled_from(["id", "who", "name"]), st.text(max_size=8) | template_parts, max_size=2)
# Lone surrogates: what undecodable request bytes become, and what a JSON "\ud800" escape reads as.
surrogates = st.sampled_from(["\ud800", "\udcff", "a\udc80b", "\udfff{{$guid}}"])
values = st.one_of(template_parts, st.text(max_size=30), surrogates,
                   st.lists(template_parts | surrogates, max_size=4).map("".join))


@FUZZ
@given(templates, requests, captures)
def test_any_template_renders_to_text(template: str, request: HttpRequest, caps: dict[str, str]) -> None:
    check_template(template, request, caps)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


@FUZZ
@given(values, requests)
def test_request_data_comes_back_literally(value: str, request: HttpRequest) -> None:
    req = dataclasses.replace(
        request, path="/p/" + quote(value, safe="", errors="surrogatepass"),
        body=json.dumps({"name": value, "a": {"b": value}}).encode(),
        query=[("q", value)], headers=[("Content-Type", "application/json"), ("X-A", value)])
    # JSON reads the escapes of a surrogate pair as one character: compare with what JSON reads.
    read = json.loads(json.dumps(value))
    templates = {"{{$body 'name'}}": read, "{{$body 'a.b' 'unused'}}": read, "{{$queryParams 'q'}}": value,
                 "{{$headers 'x-a'}}": value}
    if not _has_surrogate(value):  # a path is percent-decoded as UTF-8: no lone surrogates there
        templates["{{$pathSegments '1'}}"] = value
    for template, expected in templates.items():
        assert check_template(template, req, {}) == expected, template
    assert check_template("{{who}}", req, {"who": value}) == value
    assert check_template("<{{$body 'name'}}|{{who}}>", req, {"who": value}) == f"<{read}|{value}>"
    example = Example(id="e", name="e", response_body="{{$body 'name'}}",
                      response_headers=(("X-Echo", "{{$headers 'x-a'}}"),))
    response = render(example, req)
    assert response.headers == [("X-Echo", value)]
    if not _has_surrogate(read):
        assert response.body == read.encode()
    elif all("\udc80" <= c <= "\udcff" for c in read if _has_surrogate(c)):
        assert response.body == read.encode("utf-8", "surrogateescape")  # the request's own bytes


@FUZZ
@given(st.one_of(mutated(USERS), mutated(USERS, 5), st.dictionaries(st.sampled_from(["info", "item", "variable"]),
                                                                    json_values)),
       requests, st.booleans(), st.none() | mutated({"values": [{"key": "baseUrl", "value": "http://h"}]}))
def test_any_collection_answers_any_request(collection: Any, request: HttpRequest, strict: bool,
                                            environment: Any) -> None:
    options = MatchOptions(match_body=strict, match_headers=("x-a",) if strict else ())
    check_matcher(collection, request, options, environment if isinstance(environment, dict) else None)


@FUZZ
@given(st.sampled_from(["/users/1", "/users/999", "/users", "/hello/{{$guid}}", "/hello/%ff", "/whoami"]),
       st.sampled_from(["GET", "POST", "OPTIONS"]), values)
def test_the_real_collection_answers_hostile_values(path: str, method: str, value: str) -> None:
    request = HttpRequest(method, path=path, query=[("q", value)],
                          headers=[("Content-Type", "application/json"), ("x-mock-response-code", value)],
                          body=json.dumps({"name": value}).encode())
    check_matcher(USERS, request)
    check_matcher(USERS, dataclasses.replace(request, headers=[("Content-Type", "application/json")]))


def test_lone_surrogates_in_a_stored_collection_do_not_break_matching() -> None:
    """A collection file may hold JSON escapes like "\\ud800" in any text, request bodies too."""
    odd = "a\ud800b"
    collection = {"info": {"name": odd}, "variable": [{"key": "v", "value": odd}], "item": [{
        "name": odd, "request": {"method": "POST", "url": f"http://127.0.0.1:9/{odd}",
                                 "header": [{"key": "Content-Type", "value": "text/plain"}],
                                 "body": {"mode": "raw", "raw": odd}},
        "response": [{"name": odd, "code": 200, "body": odd, "header": [{"key": "X-Odd", "value": odd}]}]}]}
    request = HttpRequest("POST", path="/a", headers=[("Content-Type", "text/plain")], body=b"x")
    for strict in (False, True):
        check_matcher(collection, request, MatchOptions(match_body=strict))
    matcher = Matcher(collection, None, MatchOptions(match_body=True))
    assert not matcher.unreadable, [ex.error for ex in matcher.unreadable]
    hit = HttpRequest("POST", path=f"/{odd}", headers=[("Content-Type", "text/plain")],
                      body="a\ud800b".encode("utf-8", "surrogatepass"))
    assert matcher.match(hit).example is not None
