"""MockServer addon, unit level: mitmproxy's taddons/tflow, a real workspace, no network."""

from __future__ import annotations

import logging

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.test import taddons, tflow
from support.mockkit import make_mock, users_collection

from postmock_core.mock.keys import KeyStore
from postmock_core.mock.calllog import CallLog
from postmock_core.postman.collections import CollectionStore
from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.mock.replies import finish_headers, request_delay
from postmock_core.mock.configs import MockStore
from postmock_core.mitm.mockserver import RECORD_METADATA, MockServer, reverse_modes
from postmock_core.mitm.recorder import SKIP_METADATA
from postmock_core.store.workspace import Workspace

PORT = 7301  # never bound: unit tests route flows by the port the client connected to


def _flow(path: str, method: str = "GET", port: int = PORT, host: str = "127.0.0.1",
          headers: dict[str, str] | None = None, body: bytes = b"") -> http.HTTPFlow:
    f = tflow.tflow()
    f.client_conn.sockname = ("127.0.0.1", port)
    f.request = http.Request.make(method, f"http://{host}:{port}{path}", body, headers or {})
    return f


def _run(addon: MockServer, flow: http.HTTPFlow) -> http.HTTPFlow:
    asyncio.run(addon.request(flow))
    return flow


def _json(flow: http.HTTPFlow) -> Any:
    assert flow.response is not None
    return json.loads(flow.response.content or b"null")


@pytest.fixture
def served(workspace: Workspace) -> Iterator[tuple[MockServer, taddons.context]]:
    make_mock(workspace, "users", PORT)
    addon = MockServer(standalone=True)
    with taddons.context(Proxyserver(), addon) as tctx:
        tctx.configure(addon, postmock_home=str(workspace.root), postmock_mock="users")
        yield addon, tctx
    addon.done()


def test_configure_listens_where_the_mock_lives(served: tuple[MockServer, Any]) -> None:
    _, tctx = served
    assert tctx.options.mode == [f"reverse:http://127.0.0.1:1@127.0.0.1:{PORT}"]
    assert tctx.options.connection_strategy == "lazy"


def test_mocked_answer_carries_example_headers_and_cors(served: tuple[MockServer, Any]) -> None:
    addon, _ = served
    f = _run(addon, _flow("/users/1", headers={"Origin": "http://app.test"}))
    assert f.response is not None and f.response.status_code == 200
    assert _json(f) == {"id": 1, "name": "Ada"}
    h = f.response.headers
    assert h["X-Mock-Example-Name"] == "Ada" and h["X-Mock-Score"] == "100" and h["X-Mock-Example-Id"]
    assert h["Access-Control-Allow-Origin"] == "http://app.test"
    assert h["Access-Control-Allow-Credentials"] == "true"
    assert "X-Mock-Score" in h["Access-Control-Expose-Headers"] and h["Vary"] == "Origin"
    assert h["Content-Length"] == str(len(f.response.content or b""))
    assert f.metadata[SKIP_METADATA] is True  # a mocked answer is never recorded


def test_templated_body_and_wildcard_capture(served: tuple[MockServer, Any]) -> None:
    addon, _ = served
    f = _run(addon, _flow("/users", "POST", headers={"Content-Type": "application/json"},
                          body=b'{"name": "{{$guid}}"}'))
    assert f.response is not None and f.response.status_code == 201
    assert _json(f) == {"id": 7, "name": "{{$guid}}"}  # request data is never expanded again
    f = _run(addon, _flow("/hello/world"))
    assert f.response is not None and f.response.content == b"hello world"


def test_miss_answers_postman_404_with_nearest(served: tuple[MockServer, Any]) -> None:
    addon, _ = served
    f = _run(addon, _flow("/orders/1", "DELETE"))
    assert f.response is not None and f.response.status_code == 404
    body = _json(f)
    assert body["error"] == {"name": "mockRequestNotFoundError",
                             "message": "Double check your method and the request path and try again.",
                             "header": "No matching requests"}
    assert "nearest" in body["postmock"]
    assert "X-Mock-Example-Name" not in f.response.headers
    assert f.response.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_port_is_mock_not_found(served: tuple[MockServer, Any]) -> None:
    addon, _ = served
    f = _run(addon, _flow("/users/1", port=PORT + 1))
    assert f.response is not None and f.response.status_code == 404
    assert _json(f)["error"]["name"] == "mockNotFoundError"


def test_deleted_collection_deactivates_the_mock(served: tuple[MockServer, Any], workspace: Workspace) -> None:
    addon, _ = served
    assert _run(addon, _flow("/users/1")).response.status_code == 200  # type: ignore[union-attr]
    CollectionStore(workspace).delete("users collection")
    f = _run(addon, _flow("/users/1"))
    assert f.response is not None and f.response.status_code == 404
    error = _json(f)["error"]
    assert error["name"] == "mockNotFoundError" and "deactivated" in error["message"]
    assert "collection" in error["message"]


def test_hot_reload_of_an_edited_example(served: tuple[MockServer, Any], workspace: Workspace) -> None:
    addon, _ = served
    assert _json(_run(addon, _flow("/users/1"))) == {"id": 1, "name": "Ada"}
    with CollectionStore(workspace).edit("users collection") as doc:
        doc["item"][0]["response"][0]["body"] = '{"id": 1, "name": "Ada L."}'
        doc["item"][0]["response"][0]["code"] = 203
    f = _run(addon, _flow("/users/1"))
    assert f.response.status_code == 203 and _json(f) == {"id": 1, "name": "Ada L."}  # type: ignore[union-attr]


def test_private_mock_wants_a_valid_key(served: tuple[MockServer, Any], workspace: Workspace) -> None:
    addon, _ = served
    MockStore(workspace).update("users", private=True)
    _, secret = KeyStore(workspace).create("app")
    for headers in ({}, {"x-api-key": "PMAK-wrong"}):
        f = _run(addon, _flow("/users/1", headers=headers))
        assert f.response.status_code == 401  # type: ignore[union-attr]
        assert _json(f)["error"]["name"] == "invalidCredentialsError"
    f = _run(addon, _flow("/users/1", headers={"x-api-key": secret}))
    assert f.response.status_code == 200  # type: ignore[union-attr]
    KeyStore(workspace).revoke("app")
    f = _run(addon, _flow("/users/1", headers={"x-api-key": secret}))
    assert f.response.status_code == 401  # type: ignore[union-attr]


def test_server_response_answers_everything(served: tuple[MockServer, Any], workspace: Workspace) -> None:
    addon, _ = served
    MockStore(workspace).add_server_response("users", "down", 503, [("Retry-After", "9")],
                                             '{"down": true}', active=True)
    for path in ("/users/1", "/nothing/here"):
        f = _run(addon, _flow(path))
        assert f.response.status_code == 503 and _json(f) == {"down": True}  # type: ignore[union-attr]
        assert f.response.headers["Retry-After"] == "9"  # type: ignore[union-attr]
    MockStore(workspace).set_server_response_active("users", "down", False)
    assert _run(addon, _flow("/users/1")).response.status_code == 200  # type: ignore[union-attr]


def test_preflight_is_automatic_unless_an_options_example_matches(served: tuple[MockServer, Any]) -> None:
    addon, _ = served
    pre = {"Origin": "http://app.test", "Access-Control-Request-Method": "PUT",
           "Access-Control-Request-Headers": "x-tenant, content-type"}
    f = _run(addon, _flow("/users/1", "OPTIONS", headers=pre))
    assert f.response is not None and f.response.status_code == 204
    h = f.response.headers
    assert h["Access-Control-Allow-Methods"].startswith("PUT")
    assert h["Access-Control-Allow-Headers"] == "x-tenant, content-type"
    assert h["Access-Control-Allow-Origin"] == "http://app.test" and int(h["Access-Control-Max-Age"]) > 0
    f = _run(addon, _flow("/custom", "OPTIONS", headers=pre))
    assert f.response is not None and f.response.status_code == 200 and f.response.content == b"custom"


def test_live_request_is_redacted_before_matching(served: tuple[MockServer, Any], workspace: Workspace) -> None:
    addon, _ = served
    MockStore(workspace).update("users", match_headers=("authorization",))
    f = _run(addon, _flow("/whoami", headers={"Authorization": "Bearer live-secret-123"}))
    assert f.response.status_code == 200  # type: ignore[union-attr]
    addon.done()
    calls = [d for _, d in CallLog(workspace, MockStore(workspace).get("users").id).query()]
    assert calls and "live-secret-123" not in json.dumps(calls)


def test_passthrough_goes_to_the_collection_base_url(workspace: Workspace, upstream: str) -> None:
    make_mock(workspace, "pass", PORT, collection=users_collection("P", upstream), on_miss="passthrough")
    make_mock(workspace, "rec", PORT + 1, collection=users_collection("R", upstream), on_miss="record")
    addon = MockServer(standalone=True)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, postmock_home=str(workspace.root), postmock_mock="pass,rec")
        f = _run(addon, _flow("/search?q=ada"))
        assert f.response is not None and _json(f)["count"] == 1  # the real API answered
        assert f.metadata[SKIP_METADATA] is True  # passthrough is not recording
        f = _run(addon, _flow("/search?q=ada", port=PORT + 1))
        assert f.response is not None and f.response.status_code == 200
        port = int(upstream.rsplit(":", 1)[1])
        # Marked for the recorder, as a call to the real API.
        assert f.metadata[RECORD_METADATA] is True and SKIP_METADATA not in f.metadata
        assert (f.request.host, f.request.port) == ("127.0.0.1", port)
        # An explicit selector that names nothing is an answer, not a miss to forward.
        f = _run(addon, _flow("/users/1", headers={"x-mock-response-name": "nope"}))
        assert f.response is not None and f.response.status_code == 404
    addon.done()


def test_proxy_mode_answers_only_for_the_collection_hosts(workspace: Workspace) -> None:
    make_mock(workspace, "users", 7399, collection=users_collection("U", "http://api.users.test:8080"))
    addon = MockServer(standalone=False)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, postmock_home=str(workspace.root), postmock_mock="users")
        assert tctx.options.mode == ["regular"]  # a proxy keeps its own mode
        f = _run(addon, _flow("/users/1", host="api.users.test", port=8080))
        assert f.response is None  # postmock_mode is still record
        tctx.configure(addon, postmock_mode="mock")
        f = _run(addon, _flow("/users/1", host="api.users.test", port=8080))
        assert f.response is not None and f.response.status_code == 200
        f = _run(addon, _flow("/users/1", host="other.test", port=8080))
        assert f.response is None and SKIP_METADATA not in f.metadata
    addon.done()


def test_unknown_name_fails_configure_when_nothing_can_be_served(workspace: Workspace, caplog: Any) -> None:
    from mitmproxy import exceptions

    addon = MockServer(standalone=True)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, postmock_home=str(workspace.root))
        # At startup: one error line (mitmproxy then exits); once running: refused outright.
        with caplog.at_level(logging.ERROR):
            tctx.configure(addon, postmock_mock="ghost")
        assert any("no mock named 'ghost'" in r.getMessage() for r in caplog.records)
        addon.is_running = True
        with pytest.raises(exceptions.OptionsError, match="no mock named 'ghost'"):
            tctx.configure(addon, postmock_mock="ghost2")
        addon.done()


def test_calls_are_logged_with_example_and_score(served: tuple[MockServer, Any], workspace: Workspace) -> None:
    addon, _ = served
    _run(addon, _flow("/users/1"))
    _run(addon, _flow("/nope"))
    addon.done()
    mock = MockStore(workspace).get("users")
    calls = [d for _, d in CallLog(workspace, mock.id).query()]
    assert [(c["path"], c["status"], c["example"]["name"], c["score"]) for c in calls] == [
        ("/nope", 404, "No matching requests", None), ("/users/1", 200, "Ada", 100)]


def test_reverse_modes() -> None:
    from postmock_core.mock.configs import MockConfig

    mocks = [MockConfig(id="a", name="a", collection="c", port=7305)]
    assert reverse_modes(mocks) == ["reverse:http://127.0.0.1:1@127.0.0.1:7305"]


@pytest.mark.parametrize(("header", "configured", "expected"), [
    (None, 250, 250), ("40", 250, 40), ("0", 0, 1), ("999999", 0, 180000), ("soon", 70, 70),
])
def test_request_delay_is_clamped(header: str | None, configured: int, expected: int) -> None:
    headers = [("X-Mock-Response-Delay", header)] if header is not None else []
    assert request_delay(HttpRequest(method="GET", headers=headers), configured) == expected


def test_finish_headers_drops_framing_and_merges_vary() -> None:
    resp = HttpResponse(200, headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked"),
                                      ("Content-Length", "5"), ("Vary", "Accept"),
                                      ("Access-Control-Allow-Origin", "https://recorded.test")])
    out = dict(finish_headers(resp, None))
    assert "Content-Encoding" not in out and "Transfer-Encoding" not in out and "Content-Length" not in out
    assert out["Vary"] == "Accept, Origin" and out["Access-Control-Allow-Origin"] == "*"


def test_proxy_mode_options_are_validated_and_rolled_back(workspace: Workspace) -> None:
    from mitmproxy import exceptions

    make_mock(workspace, "users", 7398, collection=users_collection("U", "http://api.users.test:8080"))
    addon = MockServer(standalone=False)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, postmock_home=str(workspace.root))
        addon.is_running = True
        # A typo in the mode is refused, never taken as "record" or "mock".
        with pytest.raises(exceptions.OptionsError, match="use one of record, mock"):
            tctx.configure(addon, postmock_mode="mocks")
        assert tctx.options.postmock_mode == "record"
        # Mock mode with no mock to answer would silently send every call to the real API.
        with pytest.raises(exceptions.OptionsError, match="needs postmock_mock"):
            tctx.configure(addon, postmock_mode="mock")
        assert tctx.options.postmock_mode == "record"
        # A mock that does not exist is refused in a recording proxy too.
        with pytest.raises(exceptions.OptionsError, match="no mock named 'ghost'"):
            tctx.configure(addon, postmock_mock="ghost")
        assert tctx.options.postmock_mock == ""
        tctx.configure(addon, postmock_mock="users", postmock_mode="mock")
        assert addon._runtime_for(_flow("/users/1", host="api.users.test", port=8080))[0]
    addon.done()


def test_proxy_start_up_line_tells_the_current_mode(workspace: Workspace, caplog: Any) -> None:
    make_mock(workspace, "users", 7397, collection=users_collection("U", "http://api.users.test:8080"))
    addon = MockServer(standalone=False)
    with taddons.context(addon) as tctx, caplog.at_level(logging.INFO):
        tctx.configure(addon, postmock_home=str(workspace.root), postmock_mock="users")
        addon.running()
        lines = [r.getMessage() for r in caplog.records]
        assert any(line.startswith("postmock: record mode: mock users is not answering") for line in lines)
        assert not any("answers" in line for line in lines)
        caplog.clear()
        tctx.configure(addon, postmock_mode="mock")
        assert "postmock: mock mode: mock users answers for api.users.test:8080" in [
            r.getMessage() for r in caplog.records]
    addon.done()


def test_standalone_serving_does_not_claim_to_record(served: tuple[MockServer, Any], caplog: Any) -> None:
    addon, tctx = served
    with caplog.at_level(logging.DEBUG):
        tctx.configure(addon, postmock_home=tctx.options.postmock_home + "/../other-home")
        addon.running()
    infos = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not any("recording" in m for m in infos), infos


def test_a_mocked_answer_is_dated_now_not_when_it_was_recorded(served: tuple[MockServer, Any]) -> None:
    import email.utils
    import time

    recorded = HttpResponse(200, headers=[("Date", "Tue, 01 Dec 2020 10:00:00 GMT"), ("Content-Type", "text/plain")])
    # The recorded Date never goes out; each engine dates the answer as it sends it.
    assert not [v for k, v in finish_headers(recorded, None) if k.lower() == "date"]
    addon, _ = served
    f = _run(addon, _flow("/users/1"))
    assert f.response is not None
    sent = email.utils.parsedate_to_datetime(f.response.headers["Date"]).timestamp()
    assert abs(sent - time.time()) < 5 and len(f.response.headers.get_all("Date")) == 1
