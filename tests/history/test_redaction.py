"""Redaction: every default header and key family, their shapes, and idempotence."""

from __future__ import annotations

import json

import pytest

from postmock_core.exchange import Exchange, HttpRequest, HttpResponse, SharedHeaders
from postmock_core.history.redaction import (
    DEFAULT_HEADERS,
    DEFAULT_KEYS,
    PLACEHOLDER,
    Redactor,
    SecretValues,
)

R = Redactor()


def _req(headers: list[tuple[str, str]] | None = None, query: list[tuple[str, str]] | None = None,
         body: bytes = b"", ctype: str | None = None) -> HttpRequest:
    hs = list(headers or [])
    if ctype:
        hs.append(("Content-Type", ctype))
    return HttpRequest(method="POST", host="api.example.test", path="/x", query=list(query or []),
                       headers=hs, body=body)


@pytest.mark.parametrize("name", DEFAULT_HEADERS)
def test_every_default_header_is_redacted_in_any_case(name: str) -> None:
    places: list[str] = []
    out = R.request(_req([(name.upper(), "supersecretvalue"), ("X-Other", "keep")]), places)
    value = out.headers[0][1]
    assert "supersecretvalue" not in value and PLACEHOLDER in value
    assert out.headers[0][0] == name.upper()  # the name's spelling is kept
    assert out.headers[1] == ("X-Other", "keep")
    assert places == [f"header:{name}"]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("Authorization", "Bearer eyJhbGciOi.x.y", "Bearer [REDACTED]"),
    ("Authorization", "Basic dXNlcjpwYXNz", "Basic [REDACTED]"),
    ("Authorization", "token-without-scheme", "[REDACTED]"),
    ("Proxy-Authorization", "Digest username=a, response=b", "Digest [REDACTED]"),
    ("Cookie", "sid=abc; theme=dark", "sid=[REDACTED]; theme=[REDACTED]"),
    ("Cookie", "lonely", "[REDACTED]"),
    ("Cookie", "a=1; nameless; ", "a=[REDACTED]; [REDACTED]"),
    ("Set-Cookie", "sid=abc; Path=/; Secure; HttpOnly", "sid=[REDACTED]; Path=/; Secure; HttpOnly"),
    ("Set-Cookie", "novalue", "[REDACTED]"),
    ("X-Api-Key", "k-123", "[REDACTED]"),
])
def test_header_shapes(name: str, value: str, expected: str) -> None:
    out = R.request(_req([(name, value)]))
    assert out.header(name) == expected


def test_response_set_cookie_and_several_headers() -> None:
    resp = HttpResponse(status=200, headers=[("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2"),
                                             ("Content-Type", "text/plain")], body=b"token=abc")
    out = R.response(resp)
    assert out.headers == [("Set-Cookie", "a=[REDACTED]; Path=/"), ("Set-Cookie", "b=[REDACTED]"),
                           ("Content-Type", "text/plain")]
    assert out.body == b"token=%5BREDACTED%5D"  # a form sent as text/plain is still a form


@pytest.mark.parametrize("key", DEFAULT_KEYS)
def test_every_default_key_in_query_form_and_json(key: str) -> None:
    places: list[str] = []
    out = R.request(_req(query=[(key.upper(), "s1"), ("page", "2")]), places)
    assert out.query == [(key.upper(), PLACEHOLDER), ("page", "2")]
    form = R.request(_req(body=f"{key}=s2&user=ann".encode(), ctype="application/x-www-form-urlencoded"))
    assert form.body == f"{key}=%5BREDACTED%5D&user=ann".encode()
    data = {"outer": {"list": [{key: "s3", "keep": 1}]}, key: "s4"}
    js = R.request(_req(body=json.dumps(data).encode(), ctype="application/json"), places)
    assert json.loads(js.body) == {"outer": {"list": [{key: PLACEHOLDER, "keep": 1}]}, key: PLACEHOLDER}
    assert f"json:$.outer.list[0].{key}" in places and f"json:$.{key}" in places
    assert f"query:{key.upper()}" in places


def test_json_without_content_type_and_non_json_bodies() -> None:
    out = R.request(_req(body=b'[{"password": "p"}]'))
    assert json.loads(out.body) == [{"password": PLACEHOLDER}]
    broken = b'{"password": "p"'
    assert R.request(_req(body=broken, ctype="application/json")).body == b'{"password": "[REDACTED]"'
    binary = b"\x89PNG\x00\x01password=x"
    assert R.request(_req(body=binary, ctype="image/png")).body == binary


def test_body_without_secrets_is_byte_identical() -> None:
    body = b'{ "a" : 1,\n  "b": [1, 2] }'
    assert R.request(_req(body=body, ctype="application/json")).body == body
    form = b"a=1+2&b=%20"
    assert R.request(_req(body=form, ctype="application/x-www-form-urlencoded")).body == form


def test_exchange_lists_places_and_does_not_touch_the_original() -> None:
    ex = Exchange(
        request=_req([("Authorization", "Bearer t")], [("api_key", "k")]),
        response=HttpResponse(status=200, headers=[("Content-Type", "application/json")],
                              body=b'{"access_token": "t", "user": {"secret": "s"}}'),
    )
    out = R.exchange(ex)
    assert out.redacted == ["request.header:authorization", "request.query:api_key",
                            "response.json:$.access_token", "response.json:$.user.secret"]
    assert ex.request.header("authorization") == "Bearer t" and ex.redacted == []


def test_redaction_is_idempotent() -> None:
    ex = Exchange(
        request=_req([("Cookie", "a=1; b=2"), ("Authorization", "Basic x")], [("token", "t")],
                     b"password=p&x=1", "application/x-www-form-urlencoded"),
        response=HttpResponse(status=200, headers=[("Set-Cookie", "s=1; Path=/"),
                                                   ("Content-Type", "application/json")],
                              body=b'{"id_token": "x", "n": [{"refresh_token": "y"}]}'),
    )
    once = R.exchange(ex)
    twice = R.exchange(once)
    assert twice == once
    places: list[str] = []
    R.request(once.request, places)
    assert places == []  # nothing new found the second time


def test_custom_rules() -> None:
    r = Redactor.build(headers=["X-Tenant", " "], keys=["ssn"])
    out = r.request(_req([("x-tenant", "t1"), ("Authorization", "Bearer keep")], [("ssn", "123")]))
    assert out.header("x-tenant") == PLACEHOLDER
    assert out.header("authorization") == "Bearer keep"
    assert out.query == [("ssn", PLACEHOLDER)]
    none = Redactor.build(headers=[], keys=[])
    body = b'{"password": "p"}'
    assert none.request(_req(body=body, ctype="application/json")).body == body


def test_content_length_follows_a_redacted_body() -> None:
    body = b'{"user":"ann","password":"correct horse battery staple"}'
    req = HttpRequest("POST", headers=[("Content-Type", "application/json"),
                                       ("Content-Length", str(len(body)))], body=body)
    out = Redactor().request(req)
    assert b"correct horse" not in out.body
    assert out.header("content-length") == str(len(out.body))
    untouched = Redactor().request(HttpRequest("POST", headers=[("Content-Length", "3")], body=b"abc"))
    assert untouched.header("content-length") == "3"


def test_header_lines_found_clean_are_remembered_per_rules() -> None:
    """A redactor remembers the header lines it found nothing in; a secret is never one of them."""
    redactor = Redactor()
    plain = [("Host", "api.example.com:8080"), ("Accept", "application/json")]
    secret = ("X-Note", "token=abcdef123456")
    for _ in range(2):  # the second time the clean lines come from memory
        found = SecretValues()
        out = redactor.request(HttpRequest("GET", path="/a", headers=[*plain, secret]), found=found)
        assert out.headers[:2] == plain and "abcdef123456" not in out.headers[2][1]
        assert found.values == {"abcdef123456"}
    stricter = Redactor.build(headers=["accept"])
    assert stricter.request(HttpRequest("GET", path="/a", headers=plain)).headers[1][1] != "application/json"


def test_shared_header_lines_found_clean_by_one_redactor_are_looked_at_again_by_another() -> None:
    lines = SharedHeaders([("Host", "api.example.com"), ("X-Session", "abcdef123456")])
    call = HttpRequest("GET", path="/users/1", headers=lines)
    lenient = Redactor()
    lenient.request(call)  # nothing in them is secret by its rules: now known clean
    assert lenient.is_plain(call) and lenient.is_plain(HttpRequest("GET", path="/users/2", headers=lines))
    assert lines.clean_for is lenient
    strict = Redactor.build(headers=["x-session"])
    found = SecretValues()
    assert not strict.is_plain(call)
    assert "abcdef123456" not in repr(strict.request(call, found=found).headers) and found.values
    assert lenient.is_plain(call) and not lenient.is_plain(HttpRequest("GET", path="/a", query=[("q", "1")],
                                                                         headers=lines))


@pytest.mark.parametrize("change", [
    {"headers": [("Host", "api.example.com"), ("X-Note", "token=abcdef123456")]},
    {"query": [("api_key", "abcdef123456")]},
    {"path": "/a;token=abcdef123456"},
    {"path": "/a/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"},
    {"body": b'{"password": "abcdef123456"}', "headers": [("Host", "api.example.com")]},
])
def test_a_call_is_passed_as_it_is_only_when_nothing_in_it_could_be_secret(change: dict[str, object]) -> None:
    redactor = Redactor()
    plain = HttpRequest("GET", path="/users/1", headers=[("Host", "api.example.com")])
    redactor.request(plain)  # its header line is now known clean
    assert redactor.is_plain(plain) and redactor.request(plain) is plain
    call = HttpRequest(**{"method": "GET", "path": "/users/1", "headers": plain.headers, **change})  # type: ignore[arg-type]
    for _ in range(2):  # also once its clean parts are remembered
        found = SecretValues()
        assert not redactor.is_plain(call)
        out = redactor.request(call, found=found)
        assert out is not call and found.values and "abcdef123456" not in repr(out)
