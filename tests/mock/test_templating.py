"""Rendering an example's response: dynamic variables, request data, wildcard captures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
import uuid
from pathlib import Path

import pytest

from postmock_core.store.blobs import BlobStore
from postmock_core.postman.dynamic import DYNAMIC
from postmock_core.matching.examples import Example
from postmock_core.exchange import HttpRequest
from postmock_core.mock.templating import render, render_text, static_response

REQ = HttpRequest("POST", path="/product/12345/details", query=[("q", "cats"), ("q", "dogs"), ("page", "2")],
                  headers=[("Content-Type", "application/json"), ("X-Trace", "t-1")],
                  body=json.dumps({"a": {"b": 7, "c.d": "dot"}, "items": [{"id": "i0"}, {"id": "i1"}],
                                   "name": "{{$guid}}", "flag": True, "none": None}).encode())


@pytest.mark.parametrize("template, expected", [
    ("{{$body 'a.b'}}", "7"),
    ("{{$body 'a.c\\.d'}}", "dot"),
    ("{{$body 'a.c\\\\.d'}}", "dot"),           # the escape as it looks inside a JSON string
    ("{{$body 'items.1.id'}}", "i1"),
    ("{{$body 'a'}}", '{"b":7,"c.d":"dot"}'),
    ("{{$body 'flag'}}/{{$body 'none'}}", "true/null"),
    ("{{$body 'missing'}}", ""),
    ("{{$body 'missing' 'fallback'}}", "fallback"),
    ('{{$body "missing" "double quotes"}}', "double quotes"),
    ("{{$queryParams 'q'}}", "cats"),
    ("{{$queryParams 'nope' 'none'}}", "none"),
    ("{{$pathSegments '1'}}", "12345"),
    ("{{$pathSegments '9' 'n/a'}}", "n/a"),
    ("{{$headers 'x-trace'}}", "t-1"),
    ("{{$headers 'X-Missing' 'd'}}", "d"),
    ("{{userId}}", "carol"),
    ("{{unknown}} {{$unknownDynamic}} {{$body 'a' 'x' junk}}", "{{unknown}} {{$unknownDynamic}} {{$body 'a' 'x' junk}}"),
    ("{{$body 'name'}}", "{{$guid}}"),           # request data is never expanded again
    ("no templates", "no templates"),
])
def test_request_data_and_captures(template: str, expected: str) -> None:
    assert render_text(template, REQ, {"userId": "carol"}) == expected


def test_whole_body_query_and_headers() -> None:
    assert render_text("{{$body}}", REQ, {}) == REQ.body.decode()
    assert json.loads(render_text("{{$queryParams}}", REQ, {})) == {"q": "cats", "page": "2"}
    assert json.loads(render_text("{{$pathSegments}}", REQ, {})) == ["product", "12345", "details"]
    assert json.loads(render_text("{{$headers}}", REQ, {}))["X-Trace"] == "t-1"


def test_form_bodies_can_be_read() -> None:
    form = HttpRequest("POST", headers=[("content-type", "application/x-www-form-urlencoded")], body=b"a=1&b=two")
    assert render_text("{{$body 'b'}}", form, {}) == "two"


def test_dynamic_variable_formats() -> None:
    out = render_text("{{$guid}}|{{$randomUUID}}|{{$timestamp}}|{{$isoTimestamp}}|{{$randomInt}}|"
                      "{{$randomEmail}}|{{$randomIP}}|{{$randomBoolean}}|{{$randomDatePast}}|"
                      "{{$randomHexColor}}|{{$randomPhoneNumber}}", REQ, {})
    guid, ruuid, ts, iso, rint, email, ip, boolean, past, color, phone = out.split("|")
    assert uuid.UUID(guid).version == 4 and uuid.UUID(ruuid).version == 4 and guid != ruuid
    assert abs(int(ts) - time.time()) < 5
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", iso)
    assert abs(dt.datetime.fromisoformat(iso).timestamp() - time.time()) < 5
    assert 0 <= int(rint) <= 1000
    assert re.fullmatch(r"[^@\s]+@[a-z]+\.com", email)
    assert all(0 <= int(p) <= 255 for p in ip.split(".")) and ip.count(".") == 3
    assert boolean in ("true", "false")
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d{4} \d\d:\d\d:\d\d GMT\+0000 \(Coordinated Universal Time\)", past)
    assert re.fullmatch(r"#[0-9a-f]{6}", color)
    assert re.fullmatch(r"\d{3}-\d{3}-\d{4}", phone)


def test_every_dynamic_variable_renders_text() -> None:
    for name in DYNAMIC:
        value = render_text("{{" + name + "}}", REQ, {}, seed=7)
        assert value and "{{" not in value, name


def test_postman_formats_kept() -> None:
    for seed in range(50):
        values = render_text("{{$randomPassword}} {{$randomInt}} {{$randomImageDataUri}} {{$randomImageUrl}} "
                             "{{$randomCatsImage}} {{$randomAvatarImage}}", REQ, {}, seed=seed).split(" ")
        password, number, data_uri, *images = values
        assert re.fullmatch(r"[A-Za-z0-9]{15}", password)
        assert 0 <= int(number) <= 1000
        assert data_uri.startswith("data:image/svg+xml;charset=UTF-8,%3Csvg")
        assert all(re.fullmatch(r"https://[\w.-]+/\S+", url) for url in images), images


def test_a_seed_fixes_every_value_and_the_clock() -> None:
    every = " ".join("{{" + name + "}}" for name in DYNAMIC)
    first = render_text(every, REQ, {}, seed=42)
    assert render_text(every, REQ, {}, seed=42) == first
    assert render_text(every, REQ, {}, seed="42") != first  # text seeds are seeds of their own
    assert render_text(every, REQ, {}, seed=43) != first
    assert render_text("{{$isoTimestamp}}", REQ, {}, seed=1) == "2025-01-01T00:00:00.000Z"
    assert render_text(every, REQ, {}) != render_text(every, REQ, {})


def test_each_occurrence_gets_a_fresh_value() -> None:
    values = render_text("{{$guid}} {{$guid}}", REQ, {}).split()
    assert values[0] != values[1]


def _example(**kw: object) -> Example:
    base: dict[str, object] = {"id": "e1", "name": "ok", "status": 201, "reason": "",
                               "response_headers": (("Content-Type", "application/json"), ("Content-Length", "999"),
                                                    ("Content-Encoding", "gzip"), ("X-Id", "{{$headers 'x-trace'}}")),
                               "response_body": '{"id": {{userId}}, "made": "{{$isoTimestamp}}"}'}
    base.update(kw)
    return Example(**base)  # type: ignore[arg-type]


def test_render_builds_the_response() -> None:
    resp = render(_example(), REQ, {"userId": "42"})
    assert resp.status == 201 and resp.reason == "Created"
    assert resp.headers == [("Content-Type", "application/json"), ("X-Id", "t-1")]  # stale length/encoding gone
    body = json.loads(resp.body)
    assert body["id"] == 42 and body["made"].endswith("Z")


def test_binary_bodies_are_sent_as_stored(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    data = b"\x00{{$guid}}\xff"
    resp = render(_example(body_blob=blobs.put(data), blobs=blobs, status=299, reason="Custom"), REQ)
    assert resp.body == data and resp.reason == "Custom"


def test_a_template_is_parsed_once_per_example_version() -> None:
    example = _example()
    render(example, REQ, {"userId": "1"})
    parsed = example.memo["templates"]
    render(example, REQ, {"userId": "2"})
    assert example.memo["templates"] is parsed
    edited = dataclasses.replace(example, response_body='{"v": 2, "at": "{{$timestamp}}"}')
    assert json.loads(render(edited, REQ).body)["v"] == 2 and edited.memo["templates"] is not parsed


@pytest.mark.parametrize("kw", [
    {"response_headers": (("Content-Type", "application/json"), ("Content-Length", "9"), ("X-Id", "7")),
     "response_body": '{"id": 7, "name": "caf\u00e9"}'},
    {"status": 799, "reason": "", "response_headers": (), "response_body": "odd status"},
    {"status": 404, "reason": "Gone Fishing", "response_headers": (("connection", "close"),), "response_body": ""},
])
def test_an_example_without_templates_is_made_as_render_makes_it(kw: dict[str, object]) -> None:
    example = _example(**kw)
    made = static_response(example)
    assert made is not None and made == render(example, REQ, {})


@pytest.mark.parametrize("kw", [{}, {"response_body": "plain"}, {"response_headers": ()}])
def test_an_example_with_a_template_is_left_to_render(kw: dict[str, object]) -> None:
    assert static_response(_example(**kw)) is None
