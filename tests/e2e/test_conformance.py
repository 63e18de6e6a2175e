"""Every mock behaviour, on every engine: `postmock serve` (ASGI), `mitmdump -s addons/mock.py`,
and a recording proxy in mock mode. Real processes, real clients, the real sample API behind
passthrough and record; each engine serves its own workspace of the same mocks."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.engines import ENGINES, Rig, raw_exchange, run_engine
from support.mockkit import JSON, make_mock, postmock, users_collection
from support.procs import free_port, wait_until

from postmock_core import sampleapi
from postmock_core.history.store import HistoryStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e

NOT_FOUND = {"name": "mockRequestNotFoundError",
             "message": "Double check your method and the request path and try again.",
             "header": "No matching requests"}
BIG = 1024 * 1024
BIG_BODY = json.dumps({"data": "x" * BIG})


def conformance_collection(name: str, base: str) -> dict[str, Any]:
    """The users collection, plus examples for the Host header, HEAD and a large answer."""
    doc = users_collection(name, base)
    doc["item"] += [
        {"name": "Who is host", "request": {"method": "GET", "url": "{{baseUrl}}/whoishost"}, "response": [
            {"name": "Host echo", "code": 200, "status": "OK", "header": [],
             "body": "host={{$headers 'host'}}"}]},
        {"name": "Echo", "request": {"method": "POST", "url": "{{baseUrl}}/echo-back"}, "response": [
            {"name": "Echo back", "code": 200, "status": "OK", "header": [*JSON, {"key": "X-Echo", "value":
                                                                                  "{{$headers 'x-token'}}"}],
             "body": '{"auth": "{{$headers \'authorization\'}}", "pw": "{{$body \'password\'}}"}'}]},
        {"name": "Early hints", "request": {"method": "GET", "url": "{{baseUrl}}/early"}, "response": [
            {"name": "Hints", "code": 103, "status": "Early Hints", "header": [], "body": "hints"}]},
        {"name": "Switch", "request": {"method": "GET", "url": "{{baseUrl}}/switch"}, "response": [
            {"name": "Switching", "code": 101, "status": "Switching Protocols", "header": [], "body": ""}]},
        {"name": "Head user", "request": {"method": "HEAD", "url": "{{baseUrl}}/users/1"}, "response": [
            {"name": "Head Ada", "code": 200, "status": "OK",
             "header": [{"key": "X-Exists", "value": "yes"}, *JSON], "body": '{"id": 1}'}]},
        {"name": "Big", "request": {"method": "GET", "url": "{{baseUrl}}/big"}, "response": [
            {"name": "Big answer", "code": 200, "status": "OK", "header": JSON, "body": BIG_BODY}]},
    ]
    return doc


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, str]]:
    """Two real APIs (each passthrough mock needs its own host in proxy mode) and a dead one."""
    passing, stop_a = sampleapi.start_in_thread()
    recording, stop_b = sampleapi.start_in_thread()
    yield {"passing": passing, "recording": recording, "dead": f"http://127.0.0.1:{free_port()}"}
    stop_a()
    stop_b()


@pytest.fixture(scope="module", params=ENGINES)
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        upstreams: dict[str, str]) -> Iterator[Rig]:
    engine = request.param
    tmp = tmp_path_factory.mktemp(f"conformance-{engine}")
    ws = Workspace.open(tmp / "home")
    env, _ = EnvironmentStore(ws).set("conformance env", "greeting", "hello")
    bases: dict[str, str] = {}
    mocks = {}

    def add(name: str, base: str | None = None, extra: list[dict[str, Any]] | None = None,
            **options: Any) -> None:
        bases[name] = base or f"http://{name}.mock.test"
        doc = conformance_collection(f"{name} API", bases[name])
        doc["item"] += copy.deepcopy(extra or [])
        mocks[name] = make_mock(ws, name, free_port(), doc, **options)

    add("plain")
    add("capped", call_log_cap=5)
    add("delayed", delay_ms=300)
    add("private", private=True)
    add("outage")
    add("hot", environment=env["id"], extra=[
        {"name": "Greet env", "request": {"method": "GET", "url": "{{baseUrl}}/greet"},
         "response": [{"name": "Env greeting", "code": 200, "status": "OK", "header": [],
                       "body": "{{greeting}} world"}]}])
    add("doomed")
    add("orphan")
    add("passing", upstreams["passing"], on_miss="passthrough")
    add("recording", upstreams["recording"], on_miss="record")
    add("dead", upstreams["dead"], on_miss="passthrough")
    with run_engine(engine, ws, mocks, bases, tmp) as r:
        yield r


def standalone_only(rig: Rig) -> None:
    if rig.engine == "proxy":
        pytest.skip("a recording proxy answers only for the hosts of the mocks it serves; "
                    "anything else passes through to the real host")


# -- answers ------------------------------------------------------------------------------------
def test_answers_from_examples_with_their_headers(rig: Rig) -> None:
    with rig.client("plain") as c:
        r = c.get("/users/1")
        assert r.status_code == 200 and r.json() == {"id": 1, "name": "Ada"}
        assert r.headers["X-Mock-Example-Name"] == "Ada" and r.headers["X-Mock-Score"] == "100"
        assert r.headers["X-Mock-Example-Id"]
        assert r.headers["Content-Length"] == str(len(r.content))
        r = c.get("/users/999")
        assert r.status_code == 404 and r.json() == {"error": "no such user"}
        r = c.get("/users/3")  # the ID rule: Ada answers with 79
        assert r.json()["name"] == "Ada" and r.headers["X-Mock-Score"] == "79"


def test_templating_fills_request_data_and_wildcards(rig: Rig) -> None:
    with rig.client("plain") as c:
        r = c.post("/users", json={"name": "Grace"})
        assert r.status_code == 201 and r.json() == {"id": 7, "name": "Grace"}
        r = c.post("/users", json={"name": "{{$guid}}"})
        assert r.json() == {"id": 7, "name": "{{$guid}}"}  # request data is never expanded again
        assert c.get("/hello/there").text == "hello there"


def test_an_example_with_an_interim_status_is_a_json_500_not_a_hung_call(rig: Rig) -> None:
    with rig.client("plain") as c:
        for path, status in (("/early", 103), ("/switch", 101)):
            r = c.get(path)
            assert r.status_code == 500, path
            assert r.json()["error"]["name"] == "mockResponseError" and str(status) in r.json()["error"]["message"]
        assert c.get("/users/1").status_code == 200  # the connection lives on


def test_miss_is_postmans_404(rig: Rig) -> None:
    with rig.client("plain") as c:
        r = c.delete("/users/1")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == NOT_FOUND and "nearest" in body["postmock"]
    assert "X-Mock-Example-Name" not in r.headers and r.headers["Access-Control-Allow-Origin"] == "*"


def test_every_x_mock_header(rig: Rig) -> None:
    with rig.client("plain") as c:
        r = c.get("/users/1", headers={"x-mock-response-name": "Missing user"})
        assert r.status_code == 404 and r.json() == {"error": "no such user"}
        assert r.headers["X-Mock-Score"] == "selected"
        r = c.get("/users/1", headers={"x-mock-response-code": "404"})
        assert r.status_code == 404 and r.headers["X-Mock-Example-Name"] == "Missing user"
        ada_id = c.get("/users/1").headers["X-Mock-Example-Id"]
        r = c.get("/nothing/here", headers={"x-mock-response-id": ada_id})
        assert r.status_code == 200 and r.json()["name"] == "Ada"
        r = c.get("/users/1", headers={"x-mock-response-id": "no-such-id"})
        assert r.status_code == 404 and r.json()["error"]["name"] == "mockRequestNotFoundError"
        # Body matching on request: only the recorded body answers.
        on = {"x-mock-match-request-body": "true"}
        assert c.post("/users", json={"name": "Grace"}, headers=on).status_code == 201
        assert c.post("/users", json={"name": "Other"}, headers=on).status_code == 404
        assert c.post("/users", json={"name": "Other"}).status_code == 201  # off: any body
        # Header matching on request: the example holds "Bearer [REDACTED]"; the live call is
        # redacted the same way before matching.
        on = {"x-mock-match-request-headers": "authorization"}
        assert c.get("/whoami", headers={**on, "Authorization": "Bearer live-secret"}).status_code == 200
        assert c.get("/whoami", headers={**on, "Authorization": "Basic abc"}).status_code == 404
        t0 = time.monotonic()
        r = c.get("/users/1", headers={"x-mock-response-delay": "400"})
        assert r.status_code == 200 and time.monotonic() - t0 >= 0.4


def test_delay_is_applied_without_blocking_other_calls(rig: Rig) -> None:
    with rig.client("delayed") as c:
        t0 = time.monotonic()
        assert c.get("/users/1").status_code == 200
        assert time.monotonic() - t0 >= 0.3  # the configured delay happened
        assert c.get("/users/1", headers={"x-mock-response-delay": "1"}).status_code == 200

    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with rig.async_client("delayed", limits=limits) as ac:
            responses = await asyncio.gather(*(ac.get("/users/1") for _ in range(100)))
        return [r.status_code for r in responses]

    t0 = time.monotonic()
    statuses = asyncio.run(burst())
    elapsed = time.monotonic() - t0
    assert statuses == [200] * 100
    # 100 delays of 0.3 s one after another would take 30 s.
    assert elapsed < 15, f"100 concurrent delayed calls took {elapsed:.1f} s: delays block each other"


def test_private_mock_keys_missing_wrong_valid_revoked(rig: Rig) -> None:
    key = json.loads(postmock(rig.home, "key", "create", "--name", "conf", "--json").stdout)["key"]
    other = json.loads(postmock(rig.home, "key", "create", "--name", "other", "--mock", "plain",
                                "--json").stdout)["key"]
    with rig.client("private") as c:
        missing = c.get("/users/1")
        wrong = c.get("/users/1", headers={"x-api-key": "PMAK-not-a-key"})
        another = c.get("/users/1", headers={"x-api-key": other})
        valid = c.get("/users/1", headers={"x-api-key": key})
        postmock(rig.home, "key", "revoke", "conf")
        revoked = c.get("/users/1", headers={"x-api-key": key})
    for r in (missing, wrong, another, revoked):
        assert r.status_code == 401
        assert r.json() == {"error": {
            "name": "invalidCredentialsError",
            "message": "This mock server is private: send a valid postmock API key in the x-api-key header.",
            "header": "Invalid credentials"}}
    assert valid.status_code == 200 and valid.json()["name"] == "Ada"
    wait_until(lambda: len(rig.calls("private")) >= 5, 10, message="private calls logged")
    assert key not in json.dumps(rig.calls("private"))  # the key never reaches the call log


def test_cors_headers_and_preflight(rig: Rig) -> None:
    with rig.client("plain") as c:
        r = c.get("/users/1", headers={"Origin": "http://app.test"})
        assert r.headers["Access-Control-Allow-Origin"] == "http://app.test"
        assert r.headers["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in r.headers["Vary"]
        assert "X-Mock-Example-Name" in r.headers["Access-Control-Expose-Headers"]
        assert c.get("/users/1").headers["Access-Control-Allow-Origin"] == "*"
        pre = c.options("/users/1", headers={"Origin": "http://app.test",
                                             "Access-Control-Request-Method": "DELETE",
                                             "Access-Control-Request-Headers": "x-tenant"})
        assert pre.status_code == 204 and "DELETE" in pre.headers["Access-Control-Allow-Methods"]
        assert pre.headers["Access-Control-Allow-Headers"] == "x-tenant"
        assert pre.headers["Access-Control-Allow-Origin"] == "http://app.test"
        assert int(pre.headers["Access-Control-Max-Age"]) > 0
        own = c.options("/custom", headers={"Origin": "http://app.test", "Access-Control-Request-Method": "GET"})
        assert own.status_code == 200 and own.text == "custom"


def test_server_responses_answer_every_call_while_active(rig: Rig) -> None:
    postmock(rig.home, "mock", "server-response", "add", "outage", "--name", "down", "--status", "503",
             "-H", "Retry-After: 30", "--body", '{"message": "maintenance"}', "--activate")
    with rig.client("outage") as c:
        for path in ("/users/1", "/anything"):
            r = c.get(path)
            assert r.status_code == 503 and r.json() == {"message": "maintenance"}
            assert r.headers["Retry-After"] == "30"
        postmock(rig.home, "mock", "server-response", "deactivate", "outage", "down")
        assert c.get("/users/1").status_code == 200


def test_hot_reload_of_example_environment_and_config(rig: Rig, tmp_path: Path) -> None:
    with rig.client("hot") as c:
        assert c.get("/users/1").json() == {"id": 1, "name": "Ada"}
        body = tmp_path / "body.json"
        body.write_text('{"id": 1, "name": "Ada (edited)"}')
        postmock(rig.home, "example", "edit", "hot API", "Ada", "--status", "202", "--body-file", str(body))
        r = c.get("/users/1")
        assert r.status_code == 202 and r.json() == {"id": 1, "name": "Ada (edited)"}
        assert c.get("/greet").text == "hello world"
        postmock(rig.home, "env", "set", "conformance env", "greeting", "hola")
        assert c.get("/greet").text == "hola world"
        postmock(rig.home, "mock", "edit", "hot", "--private")
        assert c.get("/users/1").status_code == 401
        postmock(rig.home, "mock", "edit", "hot", "--public")
        assert c.get("/users/1").status_code == 202


# -- HTTP itself ----------------------------------------------------------------------------------
def test_head_and_keep_alive_on_one_connection(rig: Rig) -> None:
    conn, prefix = rig.connection("plain")
    host = [("Host", rig.host_header("plain"))]
    try:
        status, headers, body = raw_exchange(conn, "HEAD", prefix + "/users/1", host)
        assert status == 200 and body == b"" and headers["x-exists"] == "yes"
        assert headers["content-length"] == str(len(b'{"id": 1}'))
        sock = conn.sock
        status, _, body = raw_exchange(conn, "GET", prefix + "/users/1", host)
        assert status == 200 and json.loads(body) == {"id": 1, "name": "Ada"}
        status, _, body = raw_exchange(conn, "HEAD", prefix + "/nothing", host)  # a miss: still no body
        assert status == 404 and body == b""
        status, _, body = raw_exchange(conn, "GET", prefix + "/hello/again", host)
        assert status == 200 and body == b"hello again"
        assert conn.sock is sock  # every answer came back on the same connection
    finally:
        conn.close()


def test_chunked_and_large_request_bodies(rig: Rig) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        yield b"Chun"
        yield b'ky"}'

    with rig.client("plain") as c:
        r = c.post("/users", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.request.headers.get("Transfer-Encoding") == "chunked"
        assert r.status_code == 201 and r.json() == {"id": 7, "name": "Chunky"}
        name = "n" * (2 * BIG)
        r = c.post("/users", json={"name": name})
        assert r.status_code == 201 and r.json()["name"] == name


def test_compressed_bodies_are_decoded_but_a_bomb_is_matched_as_it_came(rig: Rig) -> None:
    packed = gzip.compress(b'{"name": "Zipped"}')
    bomb = gzip.compress(b'{"name": "' + b"z" * (40 << 20) + b'"}')  # 40 MiB in about 40 KB
    with rig.client("plain") as c:
        r = c.post("/users", content=packed, headers={"Content-Type": "application/json",
                                                      "Content-Encoding": "gzip", "X-Case": "zipped"})
        assert r.status_code == 201 and r.json() == {"id": 7, "name": "Zipped"}
        r = c.post("/users", content=bomb, headers={"Content-Type": "application/json",
                                                    "Content-Encoding": "gzip", "X-Case": "bomb"})
        assert r.status_code == 201 and r.json() == {"id": 7, "name": "nobody"}  # no JSON read

    def logged() -> dict[str, Any]:
        out = {}
        for call in rig.calls("plain"):
            case = [v for k, v in call["request"]["headers"] if k.lower() == "x-case"]
            if case:
                out[case[0]] = call
        return out if len(out) == 2 else {}

    calls = wait_until(logged, 10, message="both calls logged")
    assert calls["zipped"]["request"]["body"] == {"text": '{"name": "Zipped"}'}
    assert calls["bomb"]["request"]["body"] is None  # not decoded, so not kept


def test_a_body_slow_to_redact_does_not_hold_up_other_calls(rig: Rig) -> None:
    # Megabytes of JSON full of secrets: seconds of redaction and matching for this call alone.
    big = json.dumps({"items": [{"password": f"pw-{i:06d}", "name": "n" * 40} for i in range(50_000)]})
    done: list[str] = []

    async def race() -> None:
        async with rig.async_client("plain", timeout=120) as ac:
            async def post() -> None:
                r = await ac.post("/users", content=big, headers={"Content-Type": "application/json"})
                assert r.status_code == 201
                done.append("big")

            async def gets() -> None:
                await asyncio.sleep(0.5)  # the big body is on its way, or being read
                for _ in range(3):
                    assert (await ac.get("/users/1")).status_code == 200
                done.append("small")

            await asyncio.gather(post(), gets())

    asyncio.run(race())
    assert done == ["small", "big"]


def test_large_answer_arrives_whole(rig: Rig) -> None:
    with rig.client("plain") as c:
        r = c.get("/big")
    assert r.status_code == 200 and r.text == BIG_BODY


def test_callers_host_header_in_templates_and_call_log(rig: Rig) -> None:
    expected = rig.host_header("plain")
    with rig.client("plain") as c:
        r = c.get("/whoishost")
    assert r.text == f"host={expected}"

    def logged() -> list[dict[str, Any]]:
        return [d for d in rig.calls("plain") if d["path"] == "/whoishost"]

    call = wait_until(logged, 10, message="the call logged")[0]
    hosts = [v for k, v in call["request"]["headers"] if k.lower() == "host"]
    assert hosts == [expected]


def test_templates_give_the_caller_its_own_secrets_and_the_call_log_keeps_none(rig: Rig) -> None:
    token, password, header = "Bearer abc123xyz789", "hunter22-secret", "token=abcdef123456"
    with rig.client("plain") as c:
        r = c.post("/echo-back", json={"password": password},
                   headers={"Authorization": token, "X-Token": header})
    assert r.status_code == 200
    assert r.json() == {"auth": token, "pw": password}  # as it came: the caller's own data
    assert r.headers["X-Echo"] == header

    def logged() -> list[dict[str, Any]]:
        return [d for d in rig.calls("plain") if d["path"] == "/echo-back"]

    text = json.dumps(wait_until(logged, 10, message="the call logged"))
    for secret in ("abc123xyz789", password, "abcdef123456"):
        assert secret not in text


# -- misses passed on -----------------------------------------------------------------------------
def test_passthrough_on_miss_reaches_the_real_api_unrecorded(rig: Rig) -> None:
    before = HistoryStore(rig.ws).count()
    with rig.client("passing") as c:
        r = c.get("/search", params={"q": "grace"})
        assert r.status_code == 200 and r.json()["count"] == 1  # the sample API answered
        assert "X-Mock-Example-Name" not in r.headers
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        echo = c.post("/echo", content=b"payload", headers={"X-Trace": "t1", "Origin": "http://app.test"})
        assert echo.status_code == 200 and echo.headers["Access-Control-Allow-Origin"] == "http://app.test"
        sent = echo.json()
        assert sent["body"] == "payload" and ["x-trace", "t1"] in [[k.lower(), v] for k, v in sent["headers"]]
        assert c.get("/users/1").json() == {"id": 1, "name": "Ada"}  # examples still win
    wait_until(lambda: len(rig.calls("passing")) >= 3, 10, message="passthrough calls logged")
    logged = {c["path"]: c for c in rig.calls("passing")}
    assert logged["/search"]["status"] == 200 and "passthrough" in logged["/search"]["example"]["name"]
    time.sleep(1.0)  # a recording would have been written by now
    assert HistoryStore(rig.ws).count() == before


def test_record_on_miss_saves_the_exchange_to_history(rig: Rig, upstreams: dict[str, str]) -> None:
    with rig.client("recording") as c:
        assert c.get("/users/1").json() == {"id": 1, "name": "Ada"}  # mocked: not recorded
        r = c.get("/users")
        assert r.status_code == 200 and isinstance(r.json(), list)
    store = HistoryStore(rig.ws)

    def recorded() -> list[dict[str, Any]]:
        return [d for _, d in store.iter_docs() if d["request"]["path"] == "/users"]

    docs = wait_until(recorded, 10, message="the recorded miss")
    port = int(upstreams["recording"].rsplit(":", 1)[1])
    assert docs[0]["request"]["host"] == "127.0.0.1" and docs[0]["request"]["port"] == port
    assert docs[0]["response"]["status"] == 200
    assert not [d for _, d in store.iter_docs() if d["request"]["path"] == "/users/1"]


def test_failing_upstream_is_a_json_502_with_cors_and_the_mock_keeps_serving(rig: Rig) -> None:
    with rig.client("dead") as c:
        r = c.get("/not-in-the-collection", headers={"Origin": "http://app.test"})
        assert r.status_code == 502 and r.headers["Content-Type"].startswith("application/json")
        assert r.json()["error"]["name"] == "upstreamError"
        assert r.headers["Access-Control-Allow-Origin"] == "http://app.test"
        assert c.get("/users/1").status_code == 200
    with rig.client("passing") as c:
        r = c.get("/cut")  # the sample API promises 1000 bytes and hangs up after a few
        assert r.status_code == 502 and r.json()["error"]["name"] == "upstreamError"
        assert c.get("/users/1").status_code == 200
    wait_until(lambda: any(c["status"] == 502 for c in rig.calls("dead")), 10,
               message="the failed passthrough in the call log")


# -- the mock's life ------------------------------------------------------------------------------
def test_deleted_mock_answers_mock_not_found(rig: Rig) -> None:
    standalone_only(rig)
    with rig.client("doomed") as c:
        assert c.get("/users/1").status_code == 200
        postmock(rig.home, "mock", "delete", "doomed")
        r = c.get("/users/1")
    assert r.status_code == 404
    assert r.json() == {"error": {
        "name": "mockNotFoundError",
        "message": "We could not find the mock server you are requesting. Please refresh and try again.",
        "header": "Mock server not found"}}


def test_mock_whose_collection_was_deleted_is_deactivated(rig: Rig) -> None:
    standalone_only(rig)
    with rig.client("orphan") as c:
        assert c.get("/users/1").status_code == 200
        postmock(rig.home, "collection", "delete", "orphan API", "--yes")
        r = c.get("/users/1")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["name"] == "mockNotFoundError" and error["header"] == "Mock server not found"
    assert "deactivated" in error["message"] and "collection" in error["message"]


def test_call_log_contents_and_cap(rig: Rig) -> None:
    with rig.client("capped") as c:
        for i in range(7):
            c.get(f"/users/{i + 1}", params={"n": str(i)})
        c.delete("/nothing")
    wait_until(lambda: any(d["method"] == "DELETE" for d in rig.calls("capped")), 10,
               message="the last call logged")
    calls = json.loads(postmock(rig.home, "mock", "calls", "capped", "--json").stdout)
    assert len(calls) == 5  # the cap keeps the newest
    newest = calls[0]
    assert newest["method"] == "DELETE" and newest["status"] == 404
    assert newest["example"]["name"] == "No matching requests" and newest["score"] is None
    ok = calls[1]
    assert ok["path"] == "/users/7" and ok["query"] == "n=6" and ok["status"] == 200
    # The ID rule (79) less one for the query parameter the example lacks.
    assert ok["example"]["name"] == "Ada" and ok["score"] == 78 and ok["duration_ms"] >= 0
    filtered = json.loads(postmock(rig.home, "mock", "calls", "capped", "--status", "404", "--json").stdout)
    assert [c["method"] for c in filtered] == ["DELETE"]
    table = postmock(rig.home, "mock", "calls", "capped", "--search", "users/7").stdout
    assert "/users/7?n=6" in table and "/users/6" not in table


def test_engine_logged_no_traceback(rig: Rig) -> None:
    # Last in the module: every test above has run against this engine by now.
    assert "Traceback" not in rig.output()


def test_an_answer_carries_one_current_date(rig: Rig) -> None:
    """Every engine dates its answer when it sends it, once, never with the recorded Date."""
    import email.utils

    with rig.client("plain") as c:
        r = c.get("/users/1")
    dates = r.headers.get_list("date")
    assert len(dates) == 1, dates
    assert abs(email.utils.parsedate_to_datetime(dates[0]).timestamp() - time.time()) < 60
