"""Exports load in Postman's own Collection SDK (`postman-collection`, Node) as postmock meant."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from postmock_core.cli import main
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tests" / "node" / "collection_summary.js"
FIXTURES = ROOT / "tests" / "fixtures" / "postman"

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None,
    reason="SKIPPED: `node` is not installed, so exports are NOT checked against Postman's Collection "
           "SDK; install Node.js and run scripts/test (it runs npm ci) to run this test")


def sdk_summary(path: Path) -> dict:
    if not (ROOT / "node_modules" / "postman-collection").is_dir():
        pytest.fail("node_modules/postman-collection is missing: run `npm ci` (scripts/test does it)")
    proc = subprocess.run([NODE or "node", str(SCRIPT), str(path)], check=False, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_app_export_round_trip_loads_in_sdk(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = FIXTURES / "app_export_v21.postman_collection.json"
    out = tmp_path / "out.json"
    assert main(["--home", str(home), "collection", "import", str(source)]) == 0
    assert main(["--home", str(home), "collection", "export", "Pet Store (app export)", "-o", str(out)]) == 0
    original, exported = sdk_summary(source), sdk_summary(out)
    assert exported == original
    assert exported["folders"] == 1 and exported["auth"] == "apikey" and exported["events"] == 1
    get = exported["items"][0]
    assert [r["code"] for r in get["responses"]] == [200, 404]
    assert get["responses"][1]["originalUrl"] == "{{baseUrl}}/pets/0"
    assert {i["method"] for i in exported["items"]} >= {"GET", "POST", "PUT", "PURGE"}


def test_collection_from_history_loads_in_sdk(tmp_path: Path) -> None:
    home = tmp_path / "home"
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    now = time.time()

    def ex(path: str, status: int, body: bytes, ctype: str, query: list | None = None) -> Exchange:
        return Exchange(HttpRequest("GET", "http", "127.0.0.1", 8080, path, query or [], [("Accept", "*/*")]),
                        HttpResponse(status, "", [("Content-Type", ctype)], body), timestamp=now)

    HistoryStore(Workspace.open(home)).append([
        ex("/users/1", 200, b'{"id": 1}', "application/json"),
        ex("/users/2", 404, b'{"error": "none"}', "application/json"),
        ex("/search", 200, b"[]", "application/json", [("q", "a b")]),
        ex("/logo.png", 200, png, "image/png"),
    ])
    out = tmp_path / "out.json"
    assert main(["--home", str(home), "collection", "create", "Recorded", "--from-history"]) == 0
    assert main(["--home", str(home), "collection", "export", "Recorded", "-o", str(out)]) == 0
    summary = sdk_summary(out)
    assert summary["name"] == "Recorded"
    assert summary["variables"] == [{"key": "baseUrl", "value": "http://127.0.0.1:8080"}]
    names = [[r["name"] for r in item["responses"]] for item in summary["items"]]
    assert names == [["200 OK /users/1", "404 Not Found"], ["200 OK /search?q=a b"], ["200 OK /logo.png"]]
    users = summary["items"][0]
    assert [r["originalUrl"] for r in users["responses"]] == ["{{baseUrl}}/users/1", "{{baseUrl}}/users/2"]
    assert users["url"] == "{{baseUrl}}/users/1"  # the SDK fills :userId from url.variable
    exported = json.loads(out.read_text())
    logo = exported["item"][2]["response"][0]
    assert logo["_postmock"]["bodyEncoding"] == "base64"
    assert summary["items"][2]["responses"][0]["body"] == logo["body"]
