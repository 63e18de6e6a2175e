"""`postmock collection ...` end to end: real workspace files, the real command."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postmock_core.cli import main
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.store import HistoryStore
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.model import iter_examples
from postmock_core.store.workspace import Workspace

FIXTURES = Path(__file__).parents[1] / "fixtures" / "postman"


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def run(home: Path, *argv: str) -> int:
    return main(["--home", str(home), *argv])


def snapshot(home: Path) -> dict[str, str]:
    """Every file in the workspace and a digest of its content (lock files aside)."""
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def record(home: Path) -> list[int]:
    now = time.time()

    def ex(path: str, status: int | None, host: str = "api.shop.test", **kw: object) -> Exchange:
        req = HttpRequest("GET", "https", host, 443, path, list(kw.get("query", [])), [("Accept", "*/*")])
        resp = HttpResponse(status, "", [("Content-Type", "application/json")], b'{"ok": true}') if status else None
        return Exchange(req, resp, timestamp=float(kw.get("ts", now)), error=None if status else "refused")

    return HistoryStore(Workspace.open(home)).append([
        ex("/users/1", 200), ex("/users/2", 404), ex("/search", 200, query=[("q", "shoes")]),
        ex("/down", None), ex("/other", 200, host="cdn.shop.test"), ex("/old", 200, ts=1_700_000_000.0),
    ])


def test_create_empty_list_show_rename_delete(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "collection", "create", "Empty") == 0
    assert run(home, "collection", "list", "--json") == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index("["):])
    assert [(c["name"], c["requests"], c["examples"]) for c in listed] == [("Empty", 0, 0)]
    assert run(home, "collection", "rename", "empty", "Renamed") == 0
    assert run(home, "collection", "show", "renamed") == 0
    assert "Renamed" in capsys.readouterr().out
    assert run(home, "collection", "delete", "Renamed") == 0
    assert run(home, "collection", "show", "Renamed") == 2
    assert "no collection named 'Renamed'" in capsys.readouterr().err


def test_create_from_history_with_filters(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(home)
    assert run(home, "collection", "create", "Shop", "--from-history", "--host", "api.shop.test",
               "--since", "1d") == 0
    out = capsys.readouterr().out
    assert "2 requests, 3 examples; skipped 1 failed exchange (no response)" in out
    assert run(home, "example", "list", "Shop", "--json") == 0
    examples = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in examples] == ["200 OK /users/1", "404 Not Found", "200 OK /search?q=shoes"]
    assert {e["url"] for e in examples} == {"{{baseUrl}}/users/1", "{{baseUrl}}/users/2",
                                           "{{baseUrl}}/search?q=shoes"}
    assert run(home, "collection", "show", "Shop", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["variable"] == [{"key": "baseUrl", "value": "https://api.shop.test", "type": "string"}]


def test_create_from_ids_and_errors(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = record(home)
    assert run(home, "collection", "create", "Picked", "--ids", f"{ids[0]},{ids[4]}") == 0
    assert "2 requests, 2 examples" in capsys.readouterr().out
    before = snapshot(home)
    assert run(home, "collection", "create", "X", "--ids", "999") == 2
    assert "no history entry with ID 999" in capsys.readouterr().err
    assert run(home, "collection", "create", "X", "--host", "api.shop.test") == 2
    assert "history filters need --from-history" in capsys.readouterr().err
    assert run(home, "collection", "create", "X", "--from-history", "--status", "500") == 2
    assert "no history entries match" in capsys.readouterr().err
    assert run(home, "collection", "create", "X", "--ids", str(ids[3])) == 2
    assert "failed (no response); nothing was created" in capsys.readouterr().err
    assert run(home, "collection", "create", "picked", "--from-history") == 2
    assert "already exists" in capsys.readouterr().err
    assert snapshot(home) == before


def test_create_from_har(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    har = {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [
        {"startedDateTime": "2026-11-21T05:30:00.000Z", "time": 5,
         "request": {"method": "GET", "url": "http://127.0.0.1:8080/items/12?x=1", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": "Cookie", "value": "session=abc"}], "queryString": [{"name": "x", "value": "1"}],
                     "cookies": [], "headersSize": -1, "bodySize": 0},
         "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                      "headers": [{"name": "Content-Type", "value": "application/json"}], "cookies": [],
                      "content": {"size": 9, "mimeType": "application/json", "text": "{\"id\":12}"},
                      "redirectURL": "", "headersSize": -1, "bodySize": 9},
         "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}},
    ]}}
    path = tmp_path / "s.har"
    path.write_text(json.dumps(har))
    assert run(home, "collection", "create", "Har", "--from-har", str(path)) == 0
    out = capsys.readouterr().out
    assert "imported 1 exchange from" in out and "1 request, 1 example" in out
    assert HistoryStore(Workspace.open(home)).count() == 1
    assert run(home, "collection", "show", "Har", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    example = doc["item"][0]["response"][0]
    assert example["body"] == '{"id":12}'
    assert doc["item"][0]["request"]["url"]["raw"] == "{{baseUrl}}/items/:itemId?x=1"
    cookie = next(h["value"] for h in example["originalRequest"]["header"] if h["key"] == "Cookie")
    assert "abc" not in cookie  # redacted before it was stored


def test_import_export_reimport(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = sorted(FIXTURES.glob("*.postman_collection.json"))
    for path in paths:
        assert run(home, "collection", "import", str(path)) == 0
    capsys.readouterr()
    assert run(home, "collection", "list", "--json") == 0
    names = [c["name"] for c in json.loads(capsys.readouterr().out)]
    assert len(names) == len(paths) and {"Legacy v2.0", "Messy", "Pet Store (app export)"} <= set(names)
    out = tmp_path / "pets.json"
    assert run(home, "collection", "export", "pet store (app export)", "-o", str(out)) == 0
    assert run(home, "collection", "import", str(out)) == 2
    assert "--replace" in capsys.readouterr().err
    assert run(home, "collection", "import", str(out), "--name", "Pets again") == 0
    again = tmp_path / "again.json"
    assert run(home, "collection", "export", "Pets again", "-o", str(again)) == 0
    first, second = json.loads(out.read_text()), json.loads(again.read_text())
    assert first["info"]["_postman_id"] != second["info"]["_postman_id"]
    first["info"].pop("_postman_id"), second["info"].pop("_postman_id")
    first["info"].pop("name"), second["info"].pop("name")
    assert first == second
    capsys.readouterr()
    assert run(home, "collection", "export", "Pets again", "-o", "-") == 0
    assert json.loads(capsys.readouterr().out)["info"]["name"] == "Pets again"


@pytest.mark.parametrize("content, expected", [
    ("not json at all", "$: not valid JSON (line 1 column 1"),
    ("[1, 2]", "$: not a Postman collection: the top level is an array"),
    ('{"values": []}', "$: not a Postman collection: it has no \"item\" list (this is a Postman environment: use postmock env import FILE)"),
    ('{"info": {"name": "x"}, "item": null}', "$.item: the collection has no items"),
])
def test_files_without_items_exit_2_with_one_line_and_change_nothing(home: Path, tmp_path: Path, content: str,
                                                           expected: str) -> None:
    run(home, "collection", "create", "Existing")
    before = snapshot(home)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "postmock_core", "--home", str(home), "collection", "import",
                           str(bad)], check=False, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith(f"postmock: error: cannot import {bad}: ")
    assert expected in lines[0]
    assert snapshot(home) == before


def test_parts_the_sdk_drops_are_skipped_with_one_warning_per_kind(home: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Postman itself wrote files like this: an empty header object beside real ones."""
    loose = tmp_path / "loose.json"
    loose.write_text(json.dumps({"info": {"name": "Loose"}, "item": [
        {"name": "a", "request": {"url": "/a?x=1", "header": [{}, {"key": "Accept", "value": "*/*"}]},
         "response": [{"code": 200, "header": [{}, {"key": "Content-Type", "value": "text/plain"}, {}],
                       "body": "ok"}, {"code": "soon"}]},
        {"name": "f", "item": [{"request": {"url": {"raw": "/b", "query": [None]}, "body": {"mode": "zip"}}}]}]}))
    assert run(home, "collection", "import", str(loose)) == 0
    captured = capsys.readouterr()
    assert "imported collection 'Loose'" in captured.out and "2 requests, 2 examples" in captured.out
    assert captured.err.splitlines() == [
        "postmock: warning: skipped 3 empty headers",
        "postmock: warning: skipped 1 query parameter without a name",
        "postmock: warning: read 1 request body of an unknown mode as raw text",
        "postmock: warning: replaced 1 status code that is not a number from 100 to 599 with 200",
    ]
    assert run(home, "example", "list", "Loose", "--json") == 0
    examples = json.loads(capsys.readouterr().out)
    assert [e["code"] for e in examples] == [200, 200]
def test_one_corrupt_file_breaks_no_other_command(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "collection", "create", "Other") == 0
    assert run(home, "env", "set", "Dev", "a", "1") == 0
    ws = Workspace.open(home)
    (ws.dir("collections") / "broken-1.json").write_text("{not json")
    (ws.dir("environments") / "broken-2.json").write_text("[]")
    capsys.readouterr()
    assert run(home, "collection", "list") == 0
    out, err = capsys.readouterr()
    assert "Other" in out and "(unreadable file broken-1.json: not valid JSON" in out
    assert "collection file" in err and "broken-1.json" in err
    assert run(home, "collection", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in listed] == ["Other", None] and "not valid JSON" in listed[1]["error"]
    assert run(home, "mock", "create", "--collection", "Other", "--env", "Dev") == 0
    assert run(home, "env", "list") == 0
    out, _ = capsys.readouterr()
    assert "Dev" in out and "(unreadable file broken-2.json: not a stored environment)" in out
    assert run(home, "collection", "show", "Missing") == 2
    assert "it may be in an unreadable collection file: broken-1.json" in capsys.readouterr().err
    assert (ws.dir("collections") / "broken-1.json").read_text() == "{not json"  # never rewritten


def _on_a_terminal(home: Path, answer: str, *argv: str) -> tuple[int, str]:
    """Run the real postmock with a pseudo-terminal for stdin/stdout; type `answer` at its prompt."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "postmock"), "--home", str(home), *argv],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + 60
    while b"[y/N]" not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    os.write(master, answer.encode() + b"\n")
    code = proc.wait(60)
    with contextlib.suppress(OSError):
        while select.select([master], [], [], 0.2)[0]:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            seen += chunk
    os.close(master)
    return code, seen.decode(errors="replace")


def test_deleting_what_mocks_use_names_them_and_asks(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "collection", "create", "Shop") == 0
    assert run(home, "env", "set", "Dev", "a", "1") == 0
    assert run(home, "mock", "create", "--collection", "Shop", "--env", "Dev", "--name", "shop") == 0
    capsys.readouterr()
    # No terminal to ask on: refused, and nothing changes.
    assert run(home, "collection", "delete", "Shop") == 2
    err = capsys.readouterr().err
    assert "mock shop serves collection 'Shop' and will be deactivated" in err and "--yes" in err
    assert run(home, "env", "delete", "Dev") == 2
    assert "mock shop uses environment 'Dev'" in capsys.readouterr().err
    assert run(home, "history", "delete", "--all") == 2
    assert "Delete the whole history" in capsys.readouterr().err
    # On a terminal: asked, and "n" keeps it.
    code, shown = _on_a_terminal(home, "n", "collection", "delete", "Shop")
    assert code == 2 and "will be deactivated. Delete it? [y/N]" in shown and "nothing was changed" in shown
    assert run(home, "collection", "show", "Shop") == 0
    code, shown = _on_a_terminal(home, "y", "env", "delete", "Dev")
    assert code == 0 and "deleted environment 'Dev'" in shown and "deactivated mock shop" in shown
    capsys.readouterr()
    assert run(home, "collection", "delete", "Shop", "--force") == 0
    assert "deactivated mock shop" in capsys.readouterr().out
    assert run(home, "history", "delete", "--all", "--yes") == 0


def _entry(url: str, status: int, content: dict, headers: list | None = None) -> dict:
    return {"startedDateTime": "2026-11-21T10:00:00.000Z", "time": 5,
            "request": {"method": "GET", "url": url, "httpVersion": "HTTP/1.1", "headers": [],
                        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                         "headers": headers or [], "cookies": [], "content": content, "redirectURL": "",
                         "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}}


def test_browser_hars_give_honest_examples(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    har = {"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "130"}, "entries": [
        _entry("https://shop.test/app.js", 304, {"size": 0, "mimeType": "text/javascript"}),
        _entry("https://shop.test/logo.png", 200, {"size": 4312, "mimeType": "image/png"}),  # body left out
        _entry("https://shop.test/api/cart", 200, {"size": 9, "mimeType": "application/json", "text": '{"n": 1}'}),
        _entry("https://shop.test/style.css", 304, {"size": 0, "mimeType": "text/css"}),
    ]}}
    path = tmp_path / "firefox.har"
    path.write_text(json.dumps(har))
    assert run(home, "collection", "create", "Browser", "--from-har", str(path)) == 0
    out = capsys.readouterr().out
    assert "2 requests, 2 examples; skipped 2 bodiless 304 answers (cache revalidations)" in out
    assert "1 example without the whole response body" in out
    doc = CollectionStore(Workspace.open(home)).load("Browser")
    by_path = {ex["originalRequest"]["url"]["raw"]: ex for _, ex in iter_examples(doc)}
    logo, cart = by_path["{{baseUrl}}/logo.png"], by_path["{{baseUrl}}/api/cart"]
    # Content-Type from the HAR's mimeType when the header was left out.
    assert {"key": "Content-Type", "value": "image/png"} in logo["header"]
    assert {"key": "Content-Type", "value": "application/json"} in cart["header"]
    assert logo["_postmock"]["bodyIncomplete"] is True and "bodyIncomplete" not in cart.get("_postmock", {})
    assert run(home, "example", "show", "Browser", logo["id"]) == 0
    assert "the recorded body is not whole" in capsys.readouterr().out
    assert run(home, "example", "save", "Browser", "--from-history", "1") == 2
    assert "304 Not Modified without a body" in capsys.readouterr().err
