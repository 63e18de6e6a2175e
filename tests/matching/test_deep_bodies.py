"""A body nested 100,000 levels deep is read as text by the matcher and the templating, never
with a RecursionError; ordinary JSON still compares by value."""

from __future__ import annotations

from postmock_core.exchange import HttpRequest
from postmock_core.history import safejson
from postmock_core.matching.bodies import live_body, request_body
from postmock_core.mock.templating import render_text

DEEP = "[" * 100_000 + "]" * 100_000


def test_the_matcher_compares_a_deep_body_as_text() -> None:
    assert live_body(DEEP.encode(), "application/json").key == ("raw", DEEP.encode())
    example = request_body({"mode": "raw", "raw": DEEP, "options": {"raw": {"language": "json"}}}, (), {})
    assert example is not None and example.key == live_body(DEEP.encode(), "application/json").key
    shallow = live_body(b'{"b": 1.0, "a": [1]}', "application/json").key
    assert shallow == live_body(b'{"a":[1],"b":1}', "application/json").key


def test_templating_treats_a_deep_body_as_unreadable() -> None:
    req = HttpRequest("POST", headers=[("Content-Type", "application/json")], body=DEEP.encode())
    assert render_text("{{$body 'a' 'none'}}", req, {}) == "none"
    assert render_text("{{$body}}", req, {}) == DEEP


def test_depth_is_measured_outside_strings() -> None:
    assert not safejson.too_deep('{"a": "' + "[" * 500 + '"}')
    assert safejson.too_deep("[" * 201 + "]" * 201)
    assert safejson.loads("[" * 200 + "]" * 200) is not None
