"""newman, Postman's own runner, passes a collection's tests against a served postmock mock."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.mockkit import SCHEMA, postmock, run_serve
from support.procs import REPO, free_port

from postmock_core.mock.configs import MockStore
from postmock_core.store.workspace import Workspace

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("node") is None,
                       reason="SKIPPED LOUDLY: node is not installed, so newman cannot run; install "
                              "Node.js and run scripts/test (it runs npm ci) to run this test"),
]

NEWMAN = REPO / "node_modules" / "newman" / "bin" / "newman.js"
JSON = [{"key": "Content-Type", "value": "application/json"}]


def _tests(*lines: str) -> list[dict[str, Any]]:
    return [{"listen": "test", "script": {"type": "text/javascript", "exec": list(lines)}}]


def _request(method: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"method": method, "header": extra.pop("header", []), "url": "{{baseUrl}}" + path, **extra}


COLLECTION: dict[str, Any] = {
    "info": {"name": "Newman Shop", "schema": SCHEMA},
    "variable": [{"key": "baseUrl", "value": "https://shop.example.test"}],
    "item": [
        {"name": "Get user", "request": _request("GET", "/users/1"),
         "event": _tests(
             "pm.test('status 200', function () { pm.response.to.have.status(200); });",
             "pm.test('body', function () { pm.expect(pm.response.json()).to.eql({id: 1, name: 'Ada'}); });",
             "pm.test('which example', function () {",
             "  pm.expect(pm.response.headers.get('X-Mock-Example-Name')).to.eql('Ada'); });"),
         "response": [
             {"name": "Ada", "code": 200, "status": "OK", "header": JSON, "body": '{"id": 1, "name": "Ada"}',
              "originalRequest": _request("GET", "/users/1")},
             {"name": "Missing", "code": 404, "status": "Not Found", "header": JSON,
              "body": '{"error": "no such user"}', "originalRequest": _request("GET", "/users/999")},
         ]},
        {"name": "Missing user", "request": _request("GET", "/users/999"),
         "event": _tests(
             "pm.test('status 404', function () { pm.response.to.have.status(404); });",
             "pm.test('error', function () { pm.expect(pm.response.json().error).to.eql('no such user'); });"),
         "response": []},
        {"name": "Pick by name", "request": _request("GET", "/users/1", header=[
            {"key": "x-mock-response-name", "value": "Missing"}]),
         "event": _tests("pm.test('named example', function () { pm.response.to.have.status(404); });"),
         "response": []},
        {"name": "Create user", "request": _request(
            "POST", "/users", header=JSON, body={"mode": "raw", "raw": '{"name": "Grace"}',
                                                 "options": {"raw": {"language": "json"}}}),
         "event": _tests(
             "pm.test('status 201', function () { pm.response.to.have.status(201); });",
             "pm.test('echoes the name', function () { pm.expect(pm.response.json().name).to.eql('Grace'); });",
             "pm.test('fresh id', function () { pm.expect(pm.response.json().ref).to.match(/^[0-9a-f-]{36}$/); });"),
         "response": [
             {"name": "Created", "code": 201, "status": "Created", "header": JSON,
              "body": '{"name": "{{$body \'name\'}}", "ref": "{{$guid}}"}',
              "originalRequest": _request("POST", "/users", header=JSON,
                                          body={"mode": "raw", "raw": '{"name": "Ada"}'})},
         ]},
        {"name": "Nothing here", "request": _request("DELETE", "/orders/5"),
         "event": _tests(
             "pm.test('postman error', function () {",
             "  pm.response.to.have.status(404);",
             "  pm.expect(pm.response.json().error.name).to.eql('mockRequestNotFoundError'); });"),
         "response": []},
    ],
}


def test_newman_passes_against_the_served_mock(tmp_path: Path, workspace: Workspace) -> None:
    if not NEWMAN.exists():
        pytest.fail("node_modules/newman is missing: run `npm ci` (scripts/test does it)")
    home = workspace.root
    source = tmp_path / "shop.postman_collection.json"
    source.write_text(json.dumps(copy.deepcopy(COLLECTION)))
    postmock(home, "collection", "import", str(source))
    postmock(home, "mock", "create", "--collection", "Newman Shop", "--name", "shop", "--port", str(free_port()))
    mock = MockStore(workspace).get("shop")
    exported = tmp_path / "exported.json"
    postmock(home, "collection", "export", "Newman Shop", "-o", str(exported))
    assert json.loads(exported.read_text())["item"][0]["event"][0]["listen"] == "test"  # scripts kept
    report = tmp_path / "newman.json"
    with run_serve(home, [mock], tmp_path / "serve"):
        run = subprocess.run(
            ["node", str(NEWMAN), "run", str(exported), "--env-var", f"baseUrl={mock.url}",
             "--reporters", "cli,json", "--reporter-json-export", str(report), "--color", "off",
             "--timeout-request", "20000"],
            capture_output=True, text=True, timeout=180, cwd=REPO, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    stats = json.loads(report.read_text())["run"]["stats"]
    assert stats["assertions"]["total"] == 10 and stats["assertions"]["failed"] == 0
    assert stats["requests"]["total"] == 5 and stats["requests"]["failed"] == 0
