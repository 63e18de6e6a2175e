"""Redaction that follows the secret: values found in one place are gone from every other place
of the exchange; keys match in any spelling; every body shape is read; what cannot be read is
redacted as text; nothing placed next to a placeholder survives."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.redaction import PLACEHOLDER, Redactor, redact_url

R = Redactor()
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _post(body: bytes, ctype: str | None = None, headers: list[tuple[str, str]] | None = None,
          query: list[tuple[str, str]] | None = None, method: str = "POST") -> HttpRequest:
    hs = list(headers or []) + ([("Content-Type", ctype)] if ctype else [])
    return HttpRequest(method, host="echo.test", path="/post", query=list(query or []), headers=hs, body=body)


def _echo(req: HttpRequest, body: bytes, headers: list[tuple[str, str]] | None = None) -> Exchange:
    return R.exchange(Exchange(req, HttpResponse(200, headers=[("Content-Type", "application/json"),
                                                               *(headers or [])], body=body)))


def _everything(ex: Exchange) -> str:
    r = ex.request
    parts = [r.path, repr(r.query), repr(r.headers), r.body.decode("latin-1")]
    if ex.response is not None:
        parts += [repr(ex.response.headers), ex.response.body.decode("latin-1")]
    return "\n".join(parts)


# -- 1. a secret's value goes wherever it appears ------------------------------------------------
def test_an_echoed_json_login_loses_the_password_inside_a_json_string() -> None:
    sent = json.dumps({"user": "ada", "password": "hunter2-horse"}).encode()
    ex = _echo(_post(sent, "application/json"), json.dumps({"received": sent.decode()}).encode())
    assert "hunter2-horse" not in _everything(ex)
    assert json.loads(json.loads(ex.response.body)["received"]) == {"user": "ada", "password": PLACEHOLDER}


def test_basic_credentials_cookies_and_bearer_tokens_are_gone_from_an_echo() -> None:
    basic = base64.b64encode(b"ada:open-sesame-42").decode()
    req = _post(b"", headers=[("Authorization", f"Basic {basic}"), ("Cookie", "sid=cookie-value-77; lang=en"),
                              ("X-Api-Key", "key-value-123")], method="GET")
    echoed = {"headers": {"Authorization-Echo": f"Basic {basic}", "Seen-Cookie": "sid=cookie-value-77"},
              "user": "ada:open-sesame-42", "note": "password was open-sesame-42", "k": "<b>key-value-123</b>"}
    ex = _echo(req, json.dumps(echoed).encode(), [("X-Echo", basic), ("Location", "/x?k=key-value-123")])
    text = _everything(ex)
    for secret in (basic, "ada:open-sesame-42", "open-sesame-42", "cookie-value-77", "key-value-123"):
        assert secret not in text, secret
    assert "response.body (a secret value)" in ex.redacted


def test_values_follow_in_their_encoded_spellings() -> None:
    token = 'tok/en+with"odd&chars'
    req = _post(b"", query=[("access_token", token)], method="GET")
    body = json.dumps({"args": {"access_token": token}, "url": "http://echo.test/get?access_token=tok%2Fen%2Bwith%22odd%26chars",
                       "html": "tok/en+with&quot;odd&amp;chars"}).encode()
    ex = _echo(req, body)
    assert "odd" not in ex.response.body.decode(), ex.response.body


def test_short_values_are_redacted_in_place_but_not_hunted_for() -> None:
    ex = _echo(_post(b"", headers=[("Cookie", "theme=dark")], method="GET"), b'{"mode": "dark"}')
    assert ex.request.header("cookie") == "theme=[REDACTED]"
    assert json.loads(ex.response.body) == {"mode": "dark"}


def test_an_import_passes_userinfo_secrets_in() -> None:
    ex = R.exchange(Exchange(_post(b"", method="GET"), HttpResponse(200, body=b"hello s3cr3t-pass")),
                    also=["s3cr3t-pass"])
    assert ex.response.body == b"hello [REDACTED]"


# -- 2. names in any spelling; the new defaults; JWTs ----------------------------------------------
@pytest.mark.parametrize("key", ["idToken", "refreshToken", "accessToken", "clientSecret", "apiToken",
                                 "access-token", "ACCESS_TOKEN", "Access.Token", "user[password]", "auth.token"])
def test_keys_match_in_any_case_and_separator(key: str) -> None:
    req = _post(json.dumps({key: "v-secret-1"}).encode(), "application/json", query=[(key, "v-secret-2")])
    out = R.request(req)
    assert out.query == [(key, PLACEHOLDER)]
    assert json.loads(out.body) == {key: PLACEHOLDER}


@pytest.mark.parametrize("name", ["X-Vault-Token", "X-Shopify-Access-Token", "X-API-Token", "Api-Token", "X-Auth",
                                  "X-Amz-Security-Token", "x_api_key"])
def test_new_default_headers(name: str) -> None:
    assert R.request(_post(b"", headers=[(name, "hdr-secret")])).header(name) == PLACEHOLDER


@pytest.mark.parametrize("key", ["key", "sig", "signature", "X-Amz-Signature", "X-Amz-Credential",
                                 "X-Amz-Security-Token", "code"])
def test_new_default_query_keys_are_for_urls_only(key: str) -> None:
    out = R.request(_post(json.dumps({key: "kept"}).encode(), "application/json", query=[(key, "q-secret")]))
    assert out.query == [(key, PLACEHOLDER)]
    if key != "X-Amz-Security-Token":  # (also a header name, so a secret JSON key too)
        assert json.loads(out.body) == {key: "kept"}  # "code" and "key" are everyday JSON fields
    location = R.response(HttpResponse(302, headers=[("Location", f"https://a.test/cb?{key}=q-secret&x=1")]))
    assert location.header("location") == f"https://a.test/cb?{key}=[REDACTED]&x=1"


@pytest.mark.parametrize("key", ["authorization", "cookie", "x-api-key", "private-token", "X-Api-Key", "Set-Cookie"])
def test_json_keys_named_like_credential_headers(key: str) -> None:
    out = R.response(HttpResponse(200, headers=[("Content-Type", "application/json")],
                                  body=json.dumps({"headers": {key: "hdr-value", "Accept": "*/*"}}).encode()))
    assert json.loads(out.body) == {"headers": {key: PLACEHOLDER, "Accept": "*/*"}}


def test_jwts_are_redacted_wherever_they_are() -> None:
    req = _post(json.dumps({"note": f"here {JWT} there"}).encode(), "application/json",
                headers=[("X-Trace", JWT)], query=[("q", JWT)])
    req.path = f"/verify/{JWT}"
    ex = _echo(req, f"<html>{JWT}</html>".encode(), [("X-Echo", f"t={JWT}")])
    assert JWT not in _everything(ex)
    assert json.loads(ex.request.body) == {"note": "here [REDACTED] there"}


@pytest.mark.parametrize("key", ["PMAK-_zwM3k9Qx1vT8aLpR2sNdYbHcJfGeUiW", "PMAK-6630e5a6b1c2d3e4f5a6b7c8-deadbeef"])
def test_api_keys_in_postmans_form_are_redacted_wherever_they_are(key: str) -> None:
    req = _post(json.dumps({"note": f"key {key}"}).encode(), "application/json",
                headers=[("X-Trace", key)], query=[("q", key)])
    req.path = f"/users/{key}"
    ex = _echo(req, f"<p>{key}</p>".encode(), [("X-Echo", key)])
    assert key not in _everything(ex) and key[5:] not in _everything(ex)
    assert ex.request.path == "/users/[REDACTED]"


# -- 3. every body shape ---------------------------------------------------------------------------
def test_multipart_fields() -> None:
    body = (b"--B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nmp-secret-1\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n"
            b"{\"refreshToken\": \"mp-secret-2\"}\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nfile says mp-secret-1\r\n"
            b"--B--\r\n")
    out = R.request(_post(body, "multipart/form-data; boundary=B"))
    assert b"mp-secret" not in out.body
    assert b'name="password"\r\n\r\n[REDACTED]\r\n' in out.body and out.body.endswith(b"--B--\r\n")


def test_multipart_from_a_har_import() -> None:
    from postmock_core.history.har import exchanges_from_har

    har = {"log": {"entries": [{"startedDateTime": "2026-11-21T10:00:00Z", "request": {
        "method": "POST", "url": "http://ada:har-userinfo-pw@echo.test/post", "headers": [],
        "postData": {"mimeType": "multipart/form-data; boundary=xyz", "params": [
            {"name": "client_secret", "value": "har-mp-secret"}, {"name": "x", "value": "1"}]}},
        "response": {"status": 200, "headers": [], "content": {"mimeType": "text/plain",
                                                               "text": "har-mp-secret har-userinfo-pw"}}}]}}
    imported = exchanges_from_har(har)
    ex = R.exchange(imported.exchanges[0], also=imported.secrets)
    assert "har-mp-secret" not in _everything(ex) and "har-userinfo-pw" not in _everything(ex)


def test_ndjson() -> None:
    body = b'{"token": "nd-secret-1"}\n{"n": 1}\nnot json token=nd-secret-2\n'
    out = R.request(_post(body, "application/x-ndjson"))
    assert out.body == b'{"token":"[REDACTED]"}\n{"n": 1}\nnot json token=[REDACTED]\n'


@pytest.mark.parametrize("ctype", [None, "text/plain", "text/plain; charset=utf-8"])
def test_json_and_forms_are_sniffed_without_a_json_or_form_content_type(ctype: str | None) -> None:
    out = R.request(_post(b'{"password": "sniffed-1"}', ctype))
    assert json.loads(out.body) == {"password": PLACEHOLDER}
    out = R.request(_post(b"user=ada&password=sniffed-2", ctype))
    assert out.body == b"user=ada&password=%5BREDACTED%5D"


def test_graphql_variables_in_a_get_query() -> None:
    variables = json.dumps({"input": {"password": "gql-secret"}, "first": 2})
    out = R.request(_post(b"", query=[("query", "mutation { login }"), ("variables", variables)], method="GET"))
    assert json.loads(dict(out.query)["variables"]) == {"input": {"password": PLACEHOLDER}, "first": 2}


def test_every_cookie_of_a_folded_set_cookie() -> None:
    out = R.response(HttpResponse(200, headers=[("Set-Cookie", ("a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT, "
                                                              "remember=folded-secret; HttpOnly"))]))
    assert out.header("set-cookie") == ("a=[REDACTED]; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT, "
                                        "remember=[REDACTED]; HttpOnly")


def test_location_query_and_fragment() -> None:
    out = R.response(HttpResponse(302, headers=[("Location", ("https://app.test/cb?code=c0de-value&state=ok"
                                                             "#id_token=frag-secret&token_type=bearer"))]))
    assert out.header("location") == "https://app.test/cb?code=[REDACTED]&state=ok#id_token=[REDACTED]&token_type=bearer"


def test_stacked_content_encodings_are_all_undone() -> None:
    packed = gzip.compress(gzip.compress(b'{"access_token": "gz-secret"}'))
    out = R.response(HttpResponse(200, headers=[("Content-Encoding", "gzip, gzip"), ("Content-Type", "application/json"),
                                                ("Content-Length", str(len(packed)))], body=packed))
    assert json.loads(out.body) == {"access_token": PLACEHOLDER}
    assert out.header("content-encoding") is None and out.header("content-length") == str(len(out.body))


def test_a_body_in_an_encoding_that_cannot_be_undone_is_not_kept() -> None:
    out = R.response(HttpResponse(200, headers=[("Content-Encoding", "gzip")], body=b"password=not-gzip"))
    assert out.body == b"" and out.header("content-encoding") is None


# -- 4. fail closed --------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b'{"password": "tc-secret", "a": [1, 2,],}',  # a trailing comma
    b'{"user": {"password": "tc-secret"',  # cut short
    b"<login><password>tc-secret</password></login>",
    b"password: tc-secret\nuser: ada\n",
    b"{\\\"password\\\": \\\"tc-secret\\\"}",
])
def test_unparseable_bodies_are_redacted_as_text(body: bytes) -> None:
    out = R.request(_post(body, "application/json"))
    assert b"tc-secret" not in out.body and PLACEHOLDER.encode() in out.body


@pytest.mark.parametrize("depth", [500, 990, 1200, 100_000])
def test_deep_nesting_is_redacted_without_recursion_errors(depth: int) -> None:
    body = ("[" * depth + '{"password": "deep-secret"}' + "]" * depth).encode()
    ex = R.exchange(Exchange(_post(body, "application/json"),
                             HttpResponse(200, headers=[("Content-Type", "application/json")], body=body)))
    assert b"deep-secret" not in ex.request.body and b"deep-secret" not in ex.response.body


# -- 5. no placeholder shortcut --------------------------------------------------------------------
@pytest.mark.parametrize(("name", "value", "expected"), [
    ("Cookie", "prefs=[REDACTED]; auth=cookie-secret", "prefs=[REDACTED]; auth=[REDACTED]"),
    ("Set-Cookie", "a=[REDACTED]; Path=/, b=set-secret", "a=[REDACTED]; Path=/, b=[REDACTED]"),
    ("X-Api-Key", "[REDACTED] api-secret", "[REDACTED]"),
])
def test_a_value_beside_a_placeholder_is_still_redacted(name: str, value: str, expected: str) -> None:
    assert R.request(_post(b"", headers=[(name, value)])).header(name) == expected


def test_messages_name_urls_without_their_secrets() -> None:
    assert redact_url("http://ada:pw-in-url@api.test:99999/x?api_key=k1&q=1#access_token=t1") == \
        "http://api.test:99999/x?api_key=[REDACTED]&q=1#access_token=[REDACTED]"
