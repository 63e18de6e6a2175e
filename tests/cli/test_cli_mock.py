"""The mock, key, settings and serve commands, through the real `postmock` executable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.mockkit import postmock, users_collection
from support.procs import free_port

from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.mock.configs import MockStore
from postmock_core.postman.importer import normalize_collection
from postmock_core.store.workspace import Workspace


@pytest.fixture
def home(workspace: Workspace) -> Path:
    CollectionStore(workspace).import_normalized(normalize_collection(users_collection("Users API")))
    EnvironmentStore(workspace).set("staging", "token", "abc")
    return workspace.root


def _error(home: Path, *args: str) -> str:
    proc = postmock(home, *args, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("postmock: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_create_prints_id_and_url_and_stores_ids(home: Path, workspace: Workspace) -> None:
    port = free_port()
    out = postmock(home, "mock", "create", "--collection", "users api", "--name", "users", "--env", "staging",
                   "--delay", "2g", "--private", "--match-body", "--match-headers", "X-Tenant, Accept",
                   "--on-miss", "passthrough", "--port", str(port), "--call-log-cap", "20").stdout
    mock = MockStore(workspace).get("users")
    assert mock.id in out and f"http://127.0.0.1:{port}" in out
    coll_id = CollectionStore(workspace).load("Users API")["info"]["_postman_id"]
    env_id = EnvironmentStore(workspace).load("staging")["id"]
    assert (mock.collection, mock.environment) == (coll_id, env_id)
    assert (mock.delay_ms, mock.private, mock.match_body, mock.on_miss, mock.call_log_cap) == (
        300, True, True, "passthrough", 20)
    assert mock.match_headers == ("x-tenant", "accept")


def test_create_defaults_and_save_url_to_env(home: Path, workspace: Workspace) -> None:
    out = postmock(home, "mock", "create", "--collection", "Users API", "--save-url-to-env", "local").stdout
    mock = MockStore(workspace).get("Users API")  # named after its collection
    assert "created environment 'local'" in out
    env = EnvironmentStore(workspace).load("local")
    assert {"key": "url", "value": mock.url, "enabled": True, "type": "default"} in env["values"]
    out = postmock(home, "mock", "create", "--collection", "Users API", "--save-url-to-env", "local").stdout
    second = MockStore(workspace).get("Users API 2")
    assert "set url" in out and second.url in out
    assert EnvironmentStore(workspace).load("local")["values"][0]["value"] == second.url


def test_list_show_json_and_deactivation_reason(home: Path, workspace: Workspace) -> None:
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "m1", "--env", "staging",
             "--port", str(free_port()))
    listed = json.loads(postmock(home, "mock", "list", "--json").stdout)
    assert [(m["name"], m["state"], m["collection"]["name"]) for m in listed] == [("m1", "active", "Users API")]
    shown = json.loads(postmock(home, "mock", "show", "m1", "--json").stdout)
    assert shown["environment"]["name"] == "staging" and shown["calls"] == 0
    assert "Users API" in postmock(home, "mock", "show", "m1").stdout
    EnvironmentStore(workspace).delete("staging")
    listed = json.loads(postmock(home, "mock", "list", "--json").stdout)
    assert listed[0]["state"] == "deactivated" and "environment" in listed[0]["deactivated_reason"]
    CollectionStore(workspace).delete("Users API")
    table = postmock(home, "mock", "list").stdout
    assert "deactivated" in table and "collection" in table


def test_edit_changes_everything_but_the_collection(home: Path, workspace: Workspace) -> None:
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "m1", "--port", str(free_port()))
    before = MockStore(workspace).get("m1")
    port = free_port()
    postmock(home, "mock", "edit", "m1", "--name", "renamed", "--delay", "150", "--private", "--match-body",
             "--match-headers", "a,b", "--on-miss", "record", "--port", str(port), "--env", "staging")
    after = MockStore(workspace).get("renamed")
    assert after.id == before.id and after.collection == before.collection
    assert (after.delay_ms, after.private, after.match_body, after.match_headers, after.on_miss, after.port) == (
        150, True, True, ("a", "b"), "record", port)
    postmock(home, "mock", "edit", "renamed", "--public", "--no-match-body", "--match-headers", "", "--no-env")
    after = MockStore(workspace).get("renamed")
    assert (after.private, after.match_body, after.match_headers, after.environment) == (False, False, (), None)
    assert "nothing to change" in _error(home, "mock", "edit", "renamed")
    refused = postmock(home, "mock", "edit", "renamed", "--collection", "x", check=False)
    assert refused.returncode == 2 and "--collection" in refused.stderr


def test_seed_is_set_shown_and_dropped(home: Path, workspace: Workspace) -> None:
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "m1", "--seed", "42",
             "--port", str(free_port()))
    assert MockStore(workspace).get("m1").seed == 42
    assert json.loads(postmock(home, "mock", "show", "m1", "--json").stdout)["seed"] == 42
    assert "seed=42" in postmock(home, "mock", "list").stdout
    postmock(home, "mock", "edit", "m1", "--seed", "-7")
    assert MockStore(workspace).get("m1").seed == -7
    postmock(home, "mock", "edit", "m1", "--no-seed")
    assert MockStore(workspace).get("m1").seed is None
    assert "random" in postmock(home, "mock", "show", "m1").stdout
    assert "not both" in _error(home, "mock", "edit", "m1", "--seed", "1", "--no-seed")
    bad = postmock(home, "mock", "edit", "m1", "--seed", "x", check=False)
    assert bad.returncode == 2 and "'x' is not a whole number" in bad.stderr and "Traceback" not in bad.stderr


def test_server_response_verbs(home: Path, workspace: Workspace, tmp_path: Path) -> None:
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "m1", "--port", str(free_port()))
    body = tmp_path / "down.json"
    body.write_text('{"down": true}')
    postmock(home, "mock", "server-response", "add", "m1", "--name", "down", "--status", "503",
             "-H", "Retry-After: 5", "--body-file", str(body))
    postmock(home, "mock", "server-response", "add", "m1", "--name", "gateway", "--status", "504", "--activate")
    listed = json.loads(postmock(home, "mock", "server-response", "list", "m1", "--json").stdout)
    assert [(r["name"], r["status"], r["active"]) for r in listed] == [("down", 503, False), ("gateway", 504, True)]
    assert listed[0]["body"] == '{"down": true}' and listed[0]["headers"] == [["Retry-After", "5"]]
    postmock(home, "mock", "server-response", "activate", "m1", "down")
    assert MockStore(workspace).get("m1").active_server_response.name == "down"  # type: ignore[union-attr]
    postmock(home, "mock", "server-response", "deactivate", "m1", "down")
    postmock(home, "mock", "server-response", "delete", "m1", "gateway")
    assert [r.name for r in MockStore(workspace).get("m1").server_responses] == ["down"]
    assert "5xx" in _error(home, "mock", "server-response", "add", "m1", "--name", "x", "--status", "200")
    assert "'Name: value'" in _error(home, "mock", "server-response", "add", "m1", "--name", "y",
                                     "--status", "500", "-H", "no colon")


def test_delete_removes_mock_and_call_log(home: Path, workspace: Workspace) -> None:
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "m1", "--port", str(free_port()))
    mock = MockStore(workspace).get("m1")
    (workspace.root / "calls" / mock.id).mkdir(parents=True)
    postmock(home, "mock", "delete", "m1")
    assert MockStore(workspace).list() == [] and not (workspace.root / "calls" / mock.id).exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["mock", "create", "--collection", "nope"], "no collection named 'nope'"),
    (["mock", "create", "--collection", "Users API", "--env", "nope"], "no environment named 'nope'"),
    (["mock", "create", "--collection", "Users API", "--delay", "soon"], "delay"),
    (["mock", "create", "--collection", "Users API", "--port", "99999"], "out of range"),
    (["mock", "show", "ghost"], "no mock 'ghost'"),
    (["mock", "delete", "ghost"], "no mock 'ghost'"),
    (["mock", "calls", "ghost"], "no mock 'ghost'"),
    (["serve", "ghost"], "no mock 'ghost'"),
    (["key", "revoke", "ghost"], "no API key 'ghost'"),
    (["settings", "set", "color", "red"], "unknown setting 'color'"),
])
def test_bad_input_is_one_line(home: Path, args: list[str], needle: str) -> None:
    proc = postmock(home, *args, check=False)
    if proc.returncode == 2 and "usage:" in proc.stderr:  # argparse's own type errors
        assert needle in proc.stderr
        return
    assert needle in _error(home, *args)


def test_duplicate_name_and_calls_options(home: Path) -> None:
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "m1", "--port", str(free_port()))
    assert "already exists" in _error(home, "mock", "create", "--collection", "Users API", "--name", "M1")
    assert "is not a time" in _error(home, "mock", "calls", "m1", "--since", "whenever")
    assert "no calls logged" in postmock(home, "mock", "calls", "m1").stdout
    assert json.loads(postmock(home, "mock", "calls", "m1", "--json").stdout) == []


def test_forbid_public_mocks(home: Path, workspace: Workspace) -> None:
    public_port = free_port()
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "open", "--port", str(public_port))
    postmock(home, "settings", "set", "forbid_public_mocks", "true")
    assert "forbids public mocks" in _error(home, "mock", "create", "--collection", "Users API", "--name", "x")
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "closed", "--private",
             "--port", str(free_port()))
    assert "forbids public mocks" in _error(home, "mock", "edit", "closed", "--public")
    assert "refusing to serve public mock(s) 'open'" in _error(home, "serve", "open")
    listed = {m["name"]: m for m in json.loads(postmock(home, "mock", "list", "--json").stdout)}
    assert listed["open"]["state"] == "deactivated" and listed["closed"]["state"] == "active"
    shown = json.loads(postmock(home, "settings", "show", "--json").stdout)
    assert shown["forbid_public_mocks"] is True


def test_a_busy_port_is_caught_at_create_and_at_serve(home: Path, workspace: Workspace) -> None:
    import socket

    port = free_port()
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "m1", "--port", str(port))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert f"port {busy} is in use by another program" in _error(
            home, "mock", "create", "--collection", "Users API", "--name", "m2", "--port", str(busy))
        assert "--port 0 for a free one" in _error(home, "mock", "edit", "m1", "--port", str(busy))
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        assert f"port {port} of mock 'm1' is in use" in _error(home, "serve", "m1")
    # --port 0 picks a free port, at create and at edit.
    made = postmock(home, "mock", "create", "--collection", "Users API", "--name", "m3", "--port", "0")
    picked = MockStore(workspace).get("m3").port
    assert picked and f"http://127.0.0.1:{picked}" in made.stdout
    postmock(home, "mock", "edit", "m3", "--port", "0")
    assert MockStore(workspace).get("m3").port not in (0, port)


def test_key_commands(home: Path) -> None:
    created = json.loads(postmock(home, "key", "create", "--name", "ci", "--json").stdout)
    assert created["key"].startswith("PMAK-") and created["active"] is True
    listed = json.loads(postmock(home, "key", "list", "--json").stdout)
    assert [k["name"] for k in listed] == ["ci"] and "key" not in listed[0]
    assert created["key"] not in postmock(home, "key", "list").stdout
    postmock(home, "key", "revoke", "ci")
    assert json.loads(postmock(home, "key", "list", "--json").stdout)[0]["active"] is False


def test_settings_commands(home: Path) -> None:
    assert "call_log_cap" in postmock(home, "settings", "show").stdout
    assert postmock(home, "settings", "set", "call_log_cap", "25").stdout.strip() == "call_log_cap = 25"
    assert json.loads(postmock(home, "settings", "show", "--json").stdout)["call_log_cap"] == 25
    assert "at least 1" in _error(home, "settings", "set", "call_log_cap", "0")


def test_every_command_has_help(home: Path) -> None:
    for args in (["mock", "--help"], ["mock", "create", "--help"], ["mock", "calls", "--help"],
                 ["mock", "server-response", "add", "--help"], ["serve", "--help"], ["key", "--help"],
                 ["settings", "set", "--help"]):
        out = postmock(home, *args).stdout
        assert "usage:" in out and len(out) > 200


def _log_calls(workspace: Workspace, mock_id: str, n: int) -> None:
    """n answered calls, then a miss whose 404 body names its nearest example, as a live mock logs them."""
    import time

    from postmock_core.exchange import HttpRequest, HttpResponse
    from postmock_core.mock.calllog import CallLog, call_doc

    now = time.time()
    docs = [call_doc(HttpRequest("GET", path=f"/users/{i}", headers=[("Accept", "application/json")]),
                     HttpResponse(200, headers=[("Content-Type", "application/json")], body=b'{"id": 1}'),
                     now - 60 + i * 0.01, 2.0, "000001-aaaa", "Ada", 79.0) for i in range(n)]
    miss = {"error": {"name": "mockRequestNotFoundError"},
            "postmock": {"nearest": [{"score": 60, "name": "Ada", "id": "000001-aaaa", "method": "GET",
                                      "url": "/users/1", "why": "path: typo"}]}}
    docs.append(call_doc(HttpRequest("POST", path="/orders", query=[("dry", "1")], body=b'{"sku": "A1"}',
                                     headers=[("Content-Type", "application/json")]),
                         HttpResponse(404, headers=[("Content-Type", "application/json")],
                                      body=json.dumps(miss).encode()), now - 1, 1.0, None, None, None))
    CallLog(workspace, mock_id).append(docs, cap=1000)


def test_call_log_filters_limits_and_json_lines(home: Path, workspace: Workspace) -> None:
    import subprocess

    from support.mockkit import POSTMOCK

    mock = MockStore(workspace).create("m1", CollectionStore(workspace).load("Users API")["info"]["_postman_id"],
                                       port=free_port())
    _log_calls(workspace, mock.id, 60)
    assert len(json.loads(postmock(home, "mock", "calls", "m1", "--json").stdout)) == 50
    assert len(json.loads(postmock(home, "mock", "calls", "m1", "--limit", "0", "--json").stdout)) == 61
    misses = json.loads(postmock(home, "mock", "calls", "m1", "--status", "4xx", "--json").stdout)
    assert [c["status"] for c in misses] == [404]
    assert len(json.loads(postmock(home, "mock", "calls", "m1", "--status", "200-299", "--limit", "0",
                                   "--json").stdout)) == 60
    assert postmock(home, "mock", "calls", "m1", "--until", "23:59:59", "--since", "00:00").returncode == 0
    assert "--until 'bogus' is not a time" in _error(home, "mock", "calls", "m1", "--until", "bogus")
    # --follow --json: JSON Lines, one call per line.
    proc = subprocess.Popen([POSTMOCK, "--home", str(home), "mock", "calls", "m1", "--follow", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline() for _ in range(10)]  # type: ignore[union-attr]
    proc.terminate()
    proc.wait(10)
    assert [json.loads(line)["id"] for line in lines] == list(range(52, 62))


def test_call_show_prints_one_call_in_full(home: Path, workspace: Workspace) -> None:
    mock = MockStore(workspace).create("m1", CollectionStore(workspace).load("Users API")["info"]["_postman_id"],
                                       port=free_port())
    _log_calls(workspace, mock.id, 1)
    hit = postmock(home, "mock", "calls", "show", "m1", "1").stdout
    assert "GET /users/0" in hit and "Accept: application/json" in hit and '{"id": 1}' in hit
    assert "answered by example 'Ada' (000001-aaaa), score 79" in hit
    miss = postmock(home, "mock", "calls", "show", "m1", "2").stdout
    assert "POST /orders?dry=1" in miss and '{"sku": "A1"}' in miss and "404 Not Found" in miss
    assert "answered by no example: No matching requests" in miss
    assert "nearest examples:" in miss and "path: typo" in miss
    assert "postmock mock explain m1 -X POST --url '/orders?dry=1'" in miss
    assert json.loads(postmock(home, "mock", "calls", "show", "m1", "2", "--json").stdout)["status"] == 404
    assert "no call 9" in _error(home, "mock", "calls", "show", "m1", "9")


def test_a_key_for_a_public_mock_warns(home: Path) -> None:
    postmock(home, "mock", "create", "--collection", "Users API", "--name", "open", "--port", str(free_port()))
    made = postmock(home, "key", "create", "--name", "ci", "--mock", "open")
    assert made.stdout.strip().startswith("PMAK-") and len(made.stdout.strip().splitlines()) == 1
    assert "mock open is public: it answers without a key" in made.stderr
    assert "revoked API key ci" in postmock(home, "key", "revoke", made.stdout.strip()).stdout
