"""Nothing secret leaves through a mock: passed-through answers are logged redacted, a private
mock's key is never forwarded and refuses before any delay, secret environment values are
masked in 404s, the call log and explain, and templated header values cannot start new headers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support.mockkit import make_mock, users_collection

from postmock_core.cli import main
from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.mock.calllog import call_doc
from postmock_core.mock.keys import KeyStore
from postmock_core.mock.replies import finish_headers
from postmock_core.mock.runtime import MockCatalog, MockRuntime
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.store.workspace import Workspace

ENV_SECRET = "env-secret-value-31337"


def _runtime(ws: Workspace, **options: Any) -> MockRuntime:
    mock = make_mock(ws, "m", 7999, **options)
    return MockRuntime(MockCatalog(ws), mock.id)


def _get(path: str, headers: list[tuple[str, str]] | None = None) -> HttpRequest:
    p, _, qs = path.partition("?")
    query = [tuple(x.split("=", 1)) for x in qs.split("&") if x] if qs else []
    return HttpRequest("GET", path=p, query=query, headers=headers or [])  # type: ignore[arg-type]


def test_a_private_mock_refuses_before_any_delay(workspace: Workspace) -> None:
    rt = _runtime(workspace, private=True, delay_ms=180_000)
    refused = rt.decide(_get("/users/1", [("x-mock-response-delay", "180000")]), None)
    assert refused.kind == "unauthorized" and refused.response.status == 401  # type: ignore[union-attr]
    assert refused.delay_ms == 0
    _, key = KeyStore(workspace).create("k")
    assert rt.decide(_get("/users/1"), key).delay_ms == 180_000  # a caller with a key still waits


@pytest.mark.parametrize(("private", "strip"), [(True, ("x-api-key",)), (False, ())])
def test_only_a_private_mock_takes_its_key_off_a_forwarded_call(workspace: Workspace, private: bool,
                                                                strip: tuple[str, ...]) -> None:
    rt = _runtime(workspace, private=private, on_miss="passthrough")
    _, key = KeyStore(workspace).create("k")
    decision = rt.decide(_get("/nowhere/at/all"), key)
    assert decision.kind == "passthrough" and decision.strip == strip


def _with_secret_env(ws: Workspace) -> MockRuntime:
    doc = users_collection("Env users")
    doc["item"].append({"name": "Items", "request": {"method": "GET", "url": "{{baseUrl}}/items?key={{apiKey}}"},
                        "response": [{"name": "Items", "code": 200, "header": [], "body": "[]",
                                      "originalRequest": {"method": "GET", "url": "{{baseUrl}}/items?key={{apiKey}}"}}]})
    env, _ = EnvironmentStore(ws).set("secret env", "apiKey", ENV_SECRET, secret=True)
    mock = make_mock(ws, "env-mock", 7998, copy.deepcopy(doc), environment=env["id"])
    return MockRuntime(MockCatalog(ws), mock.id)


def test_secret_environment_values_are_masked_in_a_404(workspace: Workspace) -> None:
    rt = _with_secret_env(workspace)
    miss = rt.decide(_get("/items/x/y"), None)  # a miss whose nearest example is /items
    assert miss.kind == "miss" and miss.response is not None
    text = miss.response.body.decode()
    assert ENV_SECRET not in text and "/items?key=******" in text, text
    assert rt.masks().values == {ENV_SECRET}
    hit = rt.decide(_get(f"/items?key={ENV_SECRET}"), None)
    assert hit.kind == "mocked"  # the value still matches; it is only never shown


def test_secret_environment_values_are_masked_in_explain(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    _with_secret_env(workspace)
    for extra in ([], ["--json"]):
        main(["--home", str(workspace.root), "mock", "explain", "env-mock", "-X", "DELETE", "--url", "/items", *extra])
        out = capsys.readouterr().out
        assert ENV_SECRET not in out and "******" in out, out


def test_the_call_log_redacts_a_passed_through_answer_with_historys_rules() -> None:
    redactor = Redactor()
    found = SecretValues()
    raw = HttpRequest("GET", path="/echo", query=[("x-api-key", "PMAK-query-key-123"), ("q", "1")],
                      headers=[("Authorization", "Bearer caller-token-1")])
    request = redactor.request(raw, found=found)
    upstream = HttpResponse(200, headers=[("Set-Cookie", "sid=upstream-cookie-1; Path=/"),
                                          ("Content-Type", "application/json")],
                            body=json.dumps({"access_token": "upstream-token-1", "client_secret": "cs-1234567",
                                             "echo": "Bearer caller-token-1 PMAK-query-key-123"}).encode())
    masks = SecretValues([ENV_SECRET], mask="******", min_length=1)
    doc = call_doc(request, upstream, 0.0, 1.0, None, "No matching requests (passthrough)", None,
                   redactor=redactor, found=found, masks=masks)
    text = json.dumps(doc)
    for secret in ("PMAK-query-key-123", "caller-token-1", "upstream-cookie-1", "upstream-token-1", "cs-1234567"):
        assert secret not in text, secret
    assert doc["query"] == "x-api-key=%5BREDACTED%5D&q=1"


def test_the_call_log_masks_environment_secrets_a_mocked_answer_used() -> None:
    answer = HttpResponse(200, headers=[("X-Key", ENV_SECRET)], body=f"key {ENV_SECRET}".encode())
    doc = call_doc(HttpRequest("GET", path="/items", query=[("key", ENV_SECRET)]), answer, 0.0, 1.0, "e1", "Items",
                   100.0, masks=SecretValues([ENV_SECRET], mask="******", min_length=1))
    assert ENV_SECRET not in json.dumps(doc)


@pytest.mark.parametrize(("name", "value", "sent"), [
    ("Location", "/next/abc\r\nSet-Cookie: injected=1", "/next/abc%0D%0ASet-Cookie: injected=1"),
    ("Location", "/x\r\n\r\n<html>body</html>", "/x%0D%0A%0D%0A<html>body</html>"),
    ("X-Echo", "a\r\nSet-Cookie: injected=1\x00", "aSet-Cookie: injected=1"),
    ("X-Bad\r\nName", "v", "v"),
])
def test_templated_header_values_cannot_start_a_new_header(name: str, value: str, sent: str) -> None:
    headers = finish_headers(HttpResponse(200, headers=[(name, value)]), "http://o.test\r\nX-Evil: 1")
    assert headers[0][1] == sent
    assert all("\r" not in k + v and "\n" not in k + v and "\x00" not in k + v for k, v in headers)


def test_a_mocks_own_key_query_parameter_is_redacted_before_matching(tmp_path: Path) -> None:
    out = Redactor().request(_get("/users/1?x-api-key=PMAK-abcdef123456&page=2"))
    assert out.query == [("x-api-key", "[REDACTED]"), ("page", "2")]
