"""End to end: a real `postmock serve` (and `mitmdump -s addons/mock.py`), real clients,
the real sample API on 127.0.0.1 behind passthrough and record."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.mockkit import POSTMOCK, make_mock, postmock, run_serve, users_collection
from support.procs import REPO, free_port, run_mitmdump, wait_until

from postmock_core import sampleapi
from postmock_core.mock.calllog import CallLog
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.history.store import HistoryStore
from postmock_core.mock.configs import MockConfig
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e

NOT_FOUND = {"name": "mockRequestNotFoundError",
             "message": "Double check your method and the request path and try again.",
             "header": "No matching requests"}


def client(base: str, **kw: Any) -> httpx.Client:
    return httpx.Client(base_url=base, trust_env=False, timeout=30, **kw)


class Rig:
    """One `postmock serve` process serving a mock per behaviour, and the sample API."""

    def __init__(self, home: Path, upstream: str) -> None:
        self.home = home
        self.ws = Workspace.open(home)
        self.upstream = upstream
        self.mocks: dict[str, MockConfig] = {}
        self.served: Any = None

    def add(self, name: str, collection: dict[str, Any] | None = None, **options: Any) -> None:
        self.mocks[name] = make_mock(self.ws, name, free_port(), collection, **options)

    def url(self, name: str) -> str:
        return self.mocks[name].url

    def calls(self, name: str) -> list[dict[str, Any]]:
        return [d for _, d in CallLog(self.ws, self.mocks[name].id).query()]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp = tmp_path_factory.mktemp("mock-e2e")
    upstream, stop_upstream = sampleapi.start_in_thread()
    r = Rig(tmp / "home", upstream)
    closed = free_port()  # nothing listens there: an unreachable real API
    env, _ = EnvironmentStore(r.ws).set("e2e env", "greeting", "hello")
    with_env = users_collection("Greeter")
    with_env["item"].append({"name": "Greet env", "request": {"method": "GET", "url": "{{baseUrl}}/greet"},
                             "response": [{"name": "Env greeting", "code": 200, "status": "OK",
                                           "header": [], "body": "{{greeting}} world"}]})
    r.add("plain")
    r.add("capped", call_log_cap=5)
    r.add("delayed", delay_ms=300)
    r.add("private", private=True)
    r.add("outage")
    r.add("hot", collection=with_env, environment=env["id"])
    r.add("doomed")
    r.add("orphan")
    r.add("passing", collection=users_collection("Passing", upstream), on_miss="passthrough")
    r.add("recording", collection=users_collection("Recording", upstream), on_miss="record")
    r.add("dead-upstream", collection=users_collection("Dead", f"http://127.0.0.1:{closed}"),
          on_miss="passthrough")
    try:
        with run_serve(r.home, list(r.mocks.values()), tmp / "serve", names=[]) as served:
            r.served = served
            yield r
    finally:
        stop_upstream()


# -- serving ----------------------------------------------------------------------------------
def test_serve_prints_each_url_and_answers_from_examples(rig: Rig) -> None:
    out = rig.served.output()
    for m in rig.mocks.values():
        assert m.url in out
    with client(rig.url("plain")) as c:
        r = c.get("/users/1")
        assert r.status_code == 200 and r.json() == {"id": 1, "name": "Ada"}
        assert r.headers["X-Mock-Example-Name"] == "Ada" and r.headers["X-Mock-Score"] == "100"
        assert r.headers["X-Mock-Example-Id"]
        r = c.get("/users/999")
        assert r.status_code == 404 and r.json() == {"error": "no such user"}
        r = c.post("/users", json={"name": "Grace"})
        assert r.status_code == 201 and r.json() == {"id": 7, "name": "Grace"}
        r = c.get("/hello/there")
        assert r.text == "hello there"
    curl = subprocess.run(["curl", "-s", "--noproxy", "*", "-D", "-", f"{rig.url('plain')}/users/1"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert curl.returncode == 0 and "HTTP/1.1 200" in curl.stdout and '"Ada"' in curl.stdout


def test_miss_is_postmans_404(rig: Rig) -> None:
    with client(rig.url("plain")) as c:
        r = c.delete("/users/1")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == NOT_FOUND and "nearest" in body["postmock"]


def test_x_mock_headers_select_examples(rig: Rig) -> None:
    with client(rig.url("plain")) as c:
        r = c.get("/users/1", headers={"x-mock-response-name": "Missing user"})
        assert r.status_code == 404 and r.json() == {"error": "no such user"}
        r = c.get("/users/1", headers={"x-mock-response-code": "404"})
        assert r.status_code == 404 and r.headers["X-Mock-Example-Name"] == "Missing user"


def test_delay_is_applied_without_blocking_other_calls(rig: Rig) -> None:
    with client(rig.url("delayed")) as c:
        t0 = time.monotonic()
        assert c.get("/users/1").status_code == 200
        assert time.monotonic() - t0 >= 0.3  # the configured delay happened
        t0 = time.monotonic()
        assert c.get("/users/1", headers={"x-mock-response-delay": "1"}).status_code == 200

    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=rig.url("delayed"), trust_env=False, timeout=60,
                                     limits=limits) as ac:
            responses = await asyncio.gather(*(ac.get("/users/1") for _ in range(100)))
        return [r.status_code for r in responses]

    t0 = time.monotonic()
    statuses = asyncio.run(burst())
    elapsed = time.monotonic() - t0
    assert statuses == [200] * 100
    assert elapsed < 10, f"100 concurrent delayed calls took {elapsed:.1f} s: delays block each other"


def test_private_mock_keys_missing_wrong_valid_revoked(rig: Rig) -> None:
    secret = postmock(rig.home, "key", "create", "--name", "e2e", "--json")
    key = json.loads(secret.stdout)["key"]
    # A key made for another mock does not open this one.
    other = json.loads(postmock(rig.home, "key", "create", "--name", "other", "--mock", "plain",
                                "--json").stdout)["key"]
    with client(rig.url("private")) as c:
        missing = c.get("/users/1")
        wrong = c.get("/users/1", headers={"x-api-key": "PMAK-not-a-key"})
        another = c.get("/users/1", headers={"x-api-key": other})
        valid = c.get("/users/1", headers={"x-api-key": key})
        postmock(rig.home, "key", "revoke", "e2e")
        revoked = c.get("/users/1", headers={"x-api-key": key})
    for r in (missing, wrong, another, revoked):
        assert r.status_code == 401
        assert r.json() == {"error": {
            "name": "invalidCredentialsError",
            "message": "This mock server is private: send a valid postmock API key in the x-api-key header.",
            "header": "Invalid credentials"}}
    assert valid.status_code == 200 and valid.json()["name"] == "Ada"
    # The key never reaches the call log.
    wait_until(lambda: len(rig.calls("private")) >= 5, 10, message="private calls logged")
    assert key not in json.dumps(rig.calls("private"))


def test_cors_headers_and_preflight(rig: Rig) -> None:
    with client(rig.url("plain")) as c:
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
    with client(rig.url("outage")) as c:
        for path in ("/users/1", "/anything"):
            r = c.get(path)
            assert r.status_code == 503 and r.json() == {"message": "maintenance"}
            assert r.headers["Retry-After"] == "30"
        postmock(rig.home, "mock", "server-response", "deactivate", "outage", "down")
        assert c.get("/users/1").status_code == 200


def test_hot_reload_of_example_environment_and_config(rig: Rig, tmp_path: Path) -> None:
    with client(rig.url("hot")) as c:
        assert c.get("/users/1").json() == {"id": 1, "name": "Ada"}
        body = tmp_path / "body.json"
        body.write_text('{"id": 1, "name": "Ada (edited)"}')
        postmock(rig.home, "example", "edit", "Greeter", "Ada", "--status", "202", "--body-file", str(body))
        r = c.get("/users/1")
        assert r.status_code == 202 and r.json() == {"id": 1, "name": "Ada (edited)"}
        assert c.get("/greet").text == "hello world"
        postmock(rig.home, "env", "set", "e2e env", "greeting", "hola")
        assert c.get("/greet").text == "hola world"
        postmock(rig.home, "mock", "edit", "hot", "--private")
        assert c.get("/users/1").status_code == 401
        postmock(rig.home, "mock", "edit", "hot", "--public")
        assert c.get("/users/1").status_code == 202


def test_passthrough_on_miss_reaches_the_real_api_unrecorded(rig: Rig) -> None:
    before = HistoryStore(rig.ws).count()
    with client(rig.url("passing")) as c:
        r = c.get("/search", params={"q": "grace"})
        assert r.status_code == 200 and r.json()["count"] == 1  # the sample API answered
        assert "X-Mock-Example-Name" not in r.headers
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert c.get("/users/1").json() == {"id": 1, "name": "Ada"}  # examples still win
    wait_until(lambda: len(rig.calls("passing")) >= 2, 10, message="passthrough calls logged")
    logged = {c["path"]: c for c in rig.calls("passing")}
    assert logged["/search"]["status"] == 200 and "passthrough" in logged["/search"]["example"]["name"]
    time.sleep(1.0)  # a recording would have been flushed by now
    assert HistoryStore(rig.ws).count() == before


def test_record_on_miss_saves_the_exchange_to_history(rig: Rig) -> None:
    with client(rig.url("recording")) as c:
        assert c.get("/users/1").json() == {"id": 1, "name": "Ada"}  # mocked: not recorded
        r = c.get("/users/3")  # matches /users/1 by the ID rule: mocked
        assert r.headers["X-Mock-Score"] == "79"
        r = c.get("/users")
        assert r.status_code == 200 and isinstance(r.json(), list)
    store = HistoryStore(rig.ws)

    def recorded() -> list[dict]:
        return [d for _, d in store.iter_docs() if d["request"]["path"] == "/users"]

    docs = wait_until(recorded, 10, message="the recorded miss")
    port = int(rig.upstream.rsplit(":", 1)[1])
    assert docs[0]["request"]["host"] == "127.0.0.1" and docs[0]["request"]["port"] == port
    assert docs[0]["response"]["status"] == 200
    assert not [d for _, d in store.iter_docs() if d["request"]["path"] in ("/users/1", "/users/3")]


def test_unreachable_or_dying_upstream_gives_502_and_the_mock_keeps_serving(rig: Rig) -> None:
    with client(rig.url("dead-upstream")) as c:
        r = c.get("/not-in-the-collection")
        assert r.status_code == 502
        assert c.get("/users/1").status_code == 200
    with client(rig.url("passing")) as c:
        r = c.get("/cut")  # the sample API promises 1000 bytes and hangs up after a few
        assert r.status_code == 502
        assert c.get("/users/1").status_code == 200
    wait_until(lambda: any(c["status"] == 502 for c in rig.calls("dead-upstream")), 10,
               message="the failed passthrough in the call log")


def test_deleted_mock_answers_mock_not_found(rig: Rig) -> None:
    with client(rig.url("doomed")) as c:
        assert c.get("/users/1").status_code == 200
        postmock(rig.home, "mock", "delete", "doomed")
        r = c.get("/users/1")
    assert r.status_code == 404
    assert r.json() == {"error": {
        "name": "mockNotFoundError",
        "message": "We could not find the mock server you are requesting. Please refresh and try again.",
        "header": "Mock server not found"}}


def test_mock_whose_collection_was_deleted_is_deactivated(rig: Rig) -> None:
    with client(rig.url("orphan")) as c:
        assert c.get("/users/1").status_code == 200
        postmock(rig.home, "collection", "delete", "orphan collection", "--yes")
        r = c.get("/users/1")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["name"] == "mockNotFoundError" and error["header"] == "Mock server not found"
    assert "deactivated" in error["message"] and "collection" in error["message"]
    listed = {m["name"]: m for m in json.loads(postmock(rig.home, "mock", "list", "--json").stdout)}
    assert listed["orphan"]["state"] == "deactivated"


def test_call_log_contents_and_cap(rig: Rig) -> None:
    with client(rig.url("capped")) as c:
        for i in range(7):
            c.get(f"/users/{i + 1}", params={"n": str(i)})
        c.delete("/nothing")
    wait_until(lambda: any(d["method"] == "DELETE" for d in rig.calls("capped")), 10,
               message="the last call logged")
    out = postmock(rig.home, "mock", "calls", "capped", "--json").stdout
    calls = json.loads(out)
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


def test_calls_follow_streams_new_calls(rig: Rig) -> None:
    proc = subprocess.Popen([POSTMOCK, "--home", str(rig.home), "mock", "calls", "plain", "--follow",
                             "--json", "--limit", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        time.sleep(1.5)  # let it start and take its starting point
        with client(rig.url("plain")) as c:
            c.get("/hello/follow-me")
        seen = ""
        deadline = time.monotonic() + 15
        assert proc.stdout is not None
        while "follow-me" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "/hello/follow-me" in seen
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(10)
    assert code in (0, 130)


def test_sigterm_flushes_the_call_log_and_the_url_survives_a_restart(tmp_path: Path,
                                                                      workspace: Workspace) -> None:
    mock = make_mock(workspace, "flush", free_port())
    with run_serve(workspace.root, [mock], tmp_path / "first") as served:
        with client(mock.url) as c:
            for _ in range(3):
                assert c.get("/users/1").status_code == 200
        assert served.stop() == 0
    assert CallLog(workspace, mock.id).count() == 3
    with run_serve(workspace.root, [mock], tmp_path / "second") as served:
        assert mock.url in served.output()
        with client(mock.url) as c:
            assert c.get("/users/1").status_code == 200
        served.proc.send_signal(signal.SIGINT)  # Ctrl-C stops it cleanly too
        assert served.proc.wait(20) == 0
    assert CallLog(workspace, mock.id).count() == 4


def test_mitmdump_with_the_mock_addon(tmp_path: Path, workspace: Workspace) -> None:
    mock = make_mock(workspace, "addon", free_port())
    addon = str(REPO / "addons" / "mock.py")
    with run_mitmdump(tmp_path / "a", ["-s", addon, "--set", f"postmock_home={workspace.root}",
                                       "--set", "postmock_mock=addon"]) as proxy:
        assert proxy.port == mock.port  # the addon listened where the mock lives
        with client(mock.url) as c:
            r = c.get("/users/1")
        assert r.status_code == 200 and r.headers["X-Mock-Example-Name"] == "Ada"


def test_unknown_mock_port_with_the_addon(tmp_path: Path, workspace: Workspace) -> None:
    addon = str(REPO / "addons" / "mock.py")
    make_mock(workspace, "real", free_port())
    with run_mitmdump(tmp_path, ["-s", addon, "--set", f"postmock_home={workspace.root}",
                                 "--set", "postmock_mock=ghost",
                                 "--mode", "reverse:http://127.0.0.1:1"]) as proxy:
        with client(proxy.url) as c:
            r = c.get("/users/1")
        assert "no mock named 'ghost'" in proxy.output()
    assert r.status_code == 404
    assert r.json()["error"]["name"] == "mockNotFoundError"
