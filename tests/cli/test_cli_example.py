"""`postmock example ...`: Save Response, list, show, edit, delete."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from postmock_core.cli import main
from postmock_core.postman.collections import CollectionStore
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.store import HistoryStore
from postmock_core.postman.model import example_body, iter_examples
from postmock_core.store.workspace import Workspace

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    history = HistoryStore(Workspace.open(home))

    def ex(path: str, status: int | None, body: bytes = b'{"id": 1}', ctype: str = "application/json") -> Exchange:
        req = HttpRequest("GET", "http", "127.0.0.1", 8080, path, [], [("Accept", "*/*")])
        resp = HttpResponse(status, "", [("Content-Type", ctype), ("Content-Length", str(len(body)))], body) \
            if status else None
        return Exchange(req, resp, timestamp=1_780_000_000.0, error=None if status else "refused")

    history.append([ex("/users/1", 200), ex("/users/2", 404), ex("/avatar.png", 200, PNG, "image/png"),
                    ex("/down", None)])
    assert main(["--home", str(home), "collection", "create", "Users", "--ids", "1"]) == 0
    return home


def run(home: Path, *argv: str) -> int:
    return main(["--home", str(home), *argv])


def examples(home: Path) -> list[dict]:
    return [ex for _, ex in iter_examples(CollectionStore(Workspace.open(home)).load("Users"))]


def test_save_response_list_show(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(home, "example", "save", "Users", "--from-history", "2") == 0
    assert "in request 'GET /users/:userId'" in capsys.readouterr().out
    assert run(home, "example", "save", "users", "--from-history", "3", "--name", "avatar") == 0
    assert "in a new request 'GET /avatar.png'" in capsys.readouterr().out
    assert [e["name"] for e in examples(home)] == ["200 OK", "404 Not Found", "avatar"]
    assert run(home, "example", "save", "Users", "--from-history", "3", "--name", "AVATAR") == 2
    assert "already exists" in capsys.readouterr().err
    assert run(home, "example", "save", "Users", "--from-history", "4") == 2
    assert "has no response" in capsys.readouterr().err
    assert run(home, "example", "list", "Users") == 0
    assert "404 Not Found" in capsys.readouterr().out
    assert run(home, "example", "show", "Users", "404 not found") == 0
    shown = capsys.readouterr().out
    assert "404 Not Found" in shown and '{"id": 1}' in shown and "Content-Type: application/json" in shown
    proc = subprocess.run([sys.executable, "-m", "postmock_core", "--home", str(home), "example", "show",
                           "Users", "avatar", "--body"], check=False, capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert proc.returncode == 0 and proc.stdout == PNG


def test_edit_status_headers_body(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ex_id = examples(home)[0]["id"]
    assert run(home, "example", "edit", "Users", ex_id, "--status", "503", "--set-header", "Retry-After: 30",
               "--set-header", "content-type: text/plain", "--remove-header", "Accept-Ranges") == 2
    assert "no header 'Accept-Ranges'" in capsys.readouterr().err
    assert examples(home)[0]["code"] == 200  # nothing saved on error
    assert run(home, "example", "edit", "Users", ex_id, "--status", "503", "--set-header", "Retry-After: 30",
               "--set-header", "content-type: text/plain") == 0
    ex = examples(home)[0]
    assert (ex["code"], ex["status"]) == (503, "Service Unavailable")
    assert ex["header"] == [{"key": "content-type", "value": "text/plain"},
                            {"key": "Content-Length", "value": "9"}, {"key": "Retry-After", "value": "30"}]
    body = tmp_path / "b.txt"
    body.write_text("down for maintenance")
    assert run(home, "example", "edit", "Users", ex_id, "--body-file", str(body), "--remove-header",
               "retry-after", "--reason", "Maintenance") == 0
    ex = examples(home)[0]
    assert ex["body"] == "down for maintenance" and ex["status"] == "Maintenance"
    assert {"key": "Content-Length", "value": "20"} in ex["header"] and len(ex["header"]) == 2
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PNG)))
    assert run(home, "example", "edit", "Users", ex_id, "--body-file", "-") == 0
    ex = examples(home)[0]
    assert ex["body"] == "" and example_body(ex, CollectionStore(Workspace.open(home)).blobs) == PNG
    assert run(home, "example", "edit", "Users", ex_id) == 2
    assert "nothing to change" in capsys.readouterr().err
    assert run(home, "example", "edit", "Users", ex_id, "--status", "42") == 2


def test_edit_with_editor(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                      "assert p.suffix == '.json', p\np.write_text(p.read_text().replace('1', '2'))\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    assert run(home, "example", "edit", "Users", "200 OK", "--editor") == 0
    assert examples(home)[0]["body"] == '{"id": 2}'
    monkeypatch.setenv("EDITOR", f"{sys.executable} -c 'import sys; sys.exit(3)'")
    assert run(home, "example", "edit", "Users", "200 OK", "--editor") == 2
    assert "exited with status 3" in capsys.readouterr().err
    assert examples(home)[0]["body"] == '{"id": 2}'
    monkeypatch.delenv("EDITOR")
    assert run(home, "example", "edit", "Users", "200 OK", "--editor") == 2
    assert "$EDITOR" in capsys.readouterr().err


def test_edit_rename_and_delete(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(home, "example", "save", "Users", "--from-history", "2")
    assert run(home, "example", "edit", "Users", "200 OK", "--name", "404 not found") == 2
    assert "already exists" in capsys.readouterr().err
    assert run(home, "example", "edit", "Users", "200 OK", "--name", "found") == 0
    assert run(home, "example", "delete", "Users", "found") == 0
    assert [e["name"] for e in examples(home)] == ["404 Not Found"]
    assert run(home, "example", "delete", "Users", "found") == 2
    assert "no example 'found'" in capsys.readouterr().err


def test_files_stay_private(home: Path) -> None:
    run(home, "example", "save", "Users", "--from-history", "2")
    coll_dir = home / "collections"
    for p in coll_dir.glob("*.json"):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert not [p for p in coll_dir.iterdir() if p.name.endswith(".tmp")]
    assert json.loads(next(coll_dir.glob("*.json")).read_text())["info"]["name"] == "Users"


def _pm(home: Path, *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "postmock"), "--home", str(home), *argv],
                          input=stdin.decode(), capture_output=True, text=True, timeout=60)


def test_examples_written_by_hand_answer_like_recorded_ones(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert main(["--home", str(home), "collection", "create", "Shop"]) == 0
    nowhere = _pm(home, "example", "create", "Shop", "--url", "/users/42")
    assert nowhere.returncode == 2 and "no {{baseUrl}}" in nowhere.stderr and "full URL" in nowhere.stderr
    made = _pm(home, "example", "create", "Shop", "--url", "https://api.shop.test/users/42", "--status", "404",
               "--set-header", "Content-Type: application/json", "--body-file", "-", "--name", "user 42 missing",
               stdin=b'{"error": "no such user"}')
    assert made.returncode == 0, made.stderr
    assert "created example 'user 42 missing'" in made.stdout and "a new request" in made.stdout
    (tmp_path / "order.json").write_text('{"sku": "A1"}')
    (tmp_path / "created.json").write_text('{"id": 9}')
    post = _pm(home, "example", "create", "Shop", "-X", "POST", "--url", "/orders",
               "--set-request-header", "Content-Type: application/json", "--data", f"@{tmp_path / 'order.json'}",
               "--status", "201", "--body-file", str(tmp_path / "created.json"))
    assert post.returncode == 0, post.stderr
    doc = CollectionStore(Workspace.open(home)).load("Shop")
    assert doc["variable"] == [{"key": "baseUrl", "value": "https://api.shop.test", "type": "string"}]
    (_, missing), (_, created) = list(iter_examples(doc))
    assert (missing["code"], missing["body"]) == (404, '{"error": "no such user"}')
    assert created["originalRequest"]["body"]["raw"] == '{"sku": "A1"}' and created["code"] == 201
    # A mock answers them as it answers recorded examples.
    hit = _pm(home, "mock", "explain", "Shop", "-X", "POST", "--url", "/orders", "--json")
    assert hit.returncode == 0 and json.loads(hit.stdout)["match"]["status"] == 201

    # edit changes the request it answers too: method, URL, query, headers, body.
    edited = _pm(home, "example", "edit", "Shop", "user 42 missing", "-X", "DELETE", "--url", "/users/7?a=1",
                 "--set-query", "page=2", "--remove-query", "a", "--set-request-header", "X-Tenant: acme",
                 "--data", "@-", stdin=b"gone")
    assert edited.returncode == 0, edited.stderr
    assert "request method, request URL, request query, request headers, request body" in edited.stdout
    examples = [e for _, e in iter_examples(CollectionStore(Workspace.open(home)).load("Shop"))]
    original = next(e for e in examples if e["name"] == "user 42 missing")["originalRequest"]
    assert original["method"] == "DELETE" and original["url"]["raw"] == "{{baseUrl}}/users/7?page=2"
    assert original["header"] == [{"key": "X-Tenant", "value": "acme"}] and original["body"]["raw"] == "gone"
    moved = _pm(home, "mock", "explain", "Shop", "-X", "DELETE", "--url", "/users/7?page=2", "--json")
    assert json.loads(moved.stdout)["match"]["name"] == "user 42 missing"
    both = _pm(home, "example", "edit", "Shop", "user 42 missing", "--data", "@-", "--body-file", "-")
    assert both.returncode == 2 and "not both" in both.stderr
