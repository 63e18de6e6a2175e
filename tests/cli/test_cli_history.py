"""`postmock history ...` end to end: in-process through `main`, and as the real console script."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow

from postmock_core.cli import main
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

FIXTURES = Path(__file__).parents[1] / "fixtures" / "har"
BIN = Path(sys.executable).parent


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def run(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def store(home: Path) -> HistoryStore:
    return HistoryStore(Workspace.open(home))


def _import_chrome(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, _ = run(capsys, home, "history", "import", str(FIXTURES / "chrome.har"))
    assert code == 0
    assert out.splitlines()[0] == f"imported 4 exchanges from {FIXTURES / 'chrome.har'} (IDs 1-4); skipped 1 not http(s)"


def test_import_redacts_secrets_before_storing(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _import_chrome(capsys, home)
    s = store(home)
    first, post = s.load(1), s.load(2)
    assert first is not None and post is not None and first.response is not None
    assert first.request.header("authorization") == "Bearer [REDACTED]"
    assert first.request.header("cookie") == "sid=[REDACTED]; theme=[REDACTED]"
    assert first.response.header("set-cookie") == "sid=[REDACTED]; Path=/; HttpOnly"
    assert json.loads(first.response.body)["access_token"] == "[REDACTED]"
    assert json.loads(post.request.body)["password"] == "[REDACTED]"
    assert "request.header:authorization" in first.redacted
    # Nothing secret anywhere in the workspace files.
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"eyJhbGciOiJIUzI1NiJ9" not in data and b"hunter2" not in data and b"abc123" not in data


def test_list_json_is_stable(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _import_chrome(capsys, home)
    code, out, err = run(capsys, home, "history", "list", "--json")
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [4, 3, 2, 1]
    assert rows[-1] == {
        "id": 1, "time": "2026-11-21T09:15:02.250Z", "method": "GET",
        "url": "https://api.example.test/v1/products?page=2&q=blue%20shoes", "status": 200,
        "duration_ms": 42.125, "size": rows[-1]["size"], "error": None,
    }
    assert rows[0]["status"] is None and rows[0]["error"] == "net::ERR_CONNECTION_REFUSED"
    assert rows[1]["size"] == 70  # the PNG


def test_list_table_and_filters(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _import_chrome(capsys, home)
    code, out, _ = run(capsys, home, "history", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "TIME", "METHOD", "STATUS", "DURATION", "SIZE", "URL"]
    assert lines[1].split()[0] == "4" and "ERR" in lines[1]
    assert lines[-1].endswith("https://api.example.test/v1/products?page=2&q=blue%20shoes")
    code, out, _ = run(capsys, home, "history", "list", "--json", "--host", "*.example.test",
                       "--method", "post", "--status", "2xx")
    assert [r["id"] for r in json.loads(out)] == [2]
    code, out, _ = run(capsys, home, "history", "list", "--filter", "~t image/png", "--json")
    assert [r["id"] for r in json.loads(out)] == [3]
    code, out, _ = run(capsys, home, "history", "list", "--host", "nowhere.test")
    assert out.strip() == "no history entries match"


def test_list_default_limit_says_more_match(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    docs = [{"timestamp": 1_800_000_000 + i, "time": "x", "request": {
        "method": "GET", "host": "a.test", "port": 80, "scheme": "http", "path": f"/{i}"},
        "response": {"status": 200}} for i in range(60)]
    store(home).append_docs(docs)
    code, out, err = run(capsys, home, "history", "list")
    assert len(out.splitlines()) == 1 + 50
    assert "showing the newest 50" in err
    code, out, err = run(capsys, home, "history", "list", "--limit", "0", "--json")
    assert len(json.loads(out)) == 60 and err == ""


def test_show_hides_bodies_unless_asked(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _import_chrome(capsys, home)
    code, out, _ = run(capsys, home, "history", "show", "1")
    assert code == 0
    assert "GET https://api.example.test/v1/products?page=2&q=blue%20shoes HTTP/2.0" in out
    assert "authorization: Bearer [REDACTED]" in out
    assert "HTTP/2.0 200" in out
    assert "Blue shoe" not in out and "use --body to show it" in out
    code, out, _ = run(capsys, home, "history", "show", "1", "--body")
    assert '"name":"Blue shoe"' in out
    code, out, _ = run(capsys, home, "history", "show", "3", "--body")
    png = store(home).load(3).response.body  # type: ignore[union-attr]
    assert f"<70 bytes binary, sha256 {hashlib.sha256(png).hexdigest()}>" in out
    code, out, _ = run(capsys, home, "history", "show", "4")
    assert "no response: net::ERR_CONNECTION_REFUSED" in out


def test_show_json(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _import_chrome(capsys, home)
    code, out, _ = run(capsys, home, "history", "show", "2", "--json")
    doc = json.loads(out)
    assert doc["id"] == 2 and doc["request"]["method"] == "POST"
    assert doc["request"]["body"] == {"size": len(store(home).load(2).request.body),  # type: ignore[union-attr]
                                      "omitted": "use --body"}
    code, out, _ = run(capsys, home, "history", "show", "2", "--json", "--body")
    assert json.loads(json.loads(out)["request"]["body"]["text"])["quantity"] == 2
    code, out, _ = run(capsys, home, "history", "show", "3", "--json", "--body")
    assert "base64" in json.loads(out)["response"]["body"]


@pytest.mark.parametrize(("argv", "message"), [
    (["show", "99"], "no history entry 99"),
    (["show", "abc"], "'abc' is not an ID"),
    (["list", "--status", "abc"], "--status 'abc' is not a status"),
    (["delete"], "say what to delete"),
    (["delete", "1", "--host", "a.test"], "not both"),
])
def test_bad_input_one_line_exit_2(capsys: pytest.CaptureFixture[str], home: Path, argv: list[str],
                                   message: str) -> None:
    _import_chrome(capsys, home)
    code, _, err = run(capsys, home, "history", *argv)
    assert code == 2
    assert err.startswith("postmock: error: ") and message in err and err.count("\n") == 1


def test_delete_ids_reports_unknown(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _import_chrome(capsys, home)
    code, out, err = run(capsys, home, "history", "delete", "1", "3-4", "9")
    assert (code, out.strip(), err.strip()) == (0, "deleted 3 entries", "not found: 9")
    assert [i for i, _ in store(home).iter_docs()] == [2]
    code, out, err = run(capsys, home, "history", "delete", "1", "9")
    assert (code, out.strip(), err.strip()) == (1, "deleted 0 entries", "not found: 1, 9")


def test_delete_before_and_filters_and_all(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _import_chrome(capsys, home)
    code, out, _ = run(capsys, home, "history", "delete", "--before", "2026-11-21T09:15:03Z")
    assert (code, out.strip()) == (0, "deleted 1 entry")  # only the first is older
    code, out, _ = run(capsys, home, "history", "delete", "--status", "error")
    assert out.strip() == "deleted 1 entry"
    assert [i for i, _ in store(home).iter_docs()] == [3, 2]
    code, out, _ = run(capsys, home, "history", "delete", "--all", "--yes")
    assert out.strip() == "deleted 2 entries" and store(home).count() == 0
    # IDs keep growing after deletes.
    code, out, _ = run(capsys, home, "history", "import", str(FIXTURES / "insomnia.har"))
    assert "(ID 5)" in out


def test_import_several_files_bad_one_imports_nothing(capsys: pytest.CaptureFixture[str], home: Path,
                                                      tmp_path: Path) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": {"entries": [{"startedDateTime": "2026-11-21T00:00:00Z", '
                   '"request": {"method": "GET", "url": "https://a.test/"}, '
                   '"response": {"status": 200, "headers": "nope"}}]}}')
    code, out, err = run(capsys, home, "history", "import", str(FIXTURES / "firefox.har"), str(bad))
    assert code == 2 and out == ""
    assert err == (f"postmock: error: cannot import {bad}: $.log.entries[0].response.headers: "
                   f"expected an array, got str; nothing was imported\n")
    assert store(home).count() == 0


def test_import_reports_missing_bodies(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, _ = run(capsys, home, "history", "import", str(FIXTURES / "firefox.har"))
    assert "1 responses had no body in the file" in out
    doc = store(home).get(2)
    assert doc is not None and doc["truncated"] == ["response.body"] and doc["source"] == "har"


def test_import_detects_flow_dumps(capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    dump = tmp_path / "dump"  # no telling extension: detection reads the content
    with dump.open("wb") as f:
        w = FlowWriter(f)
        w.add(tflow.tflow(resp=True))
        w.add(tflow.ttcpflow())
    code, out, _ = run(capsys, home, "history", "import", str(dump))
    assert out.strip() == f"imported 1 exchange from {dump} (ID 1); skipped 1 tcp flows"
    assert store(home).get(1)["source"] == "flows"  # type: ignore[index]
    code, _, err = run(capsys, home, "history", "import", "--format", "flows", str(FIXTURES / "chrome.har"))
    assert code == 2 and "use --format har" in err


def test_export_har_opens_in_real_mitmdump(capsys: pytest.CaptureFixture[str], home: Path,
                                           tmp_path: Path) -> None:
    _import_chrome(capsys, home)
    out_har = tmp_path / "out.har"
    code, out, _ = run(capsys, home, "history", "export", "--har", str(out_har), "--status", "2xx")
    assert (code, out.strip()) == (0, f"exported 3 exchanges to {out_har}")
    har = json.loads(out_har.read_text())
    assert [e["_postmockId"] for e in har["log"]["entries"]] == [1, 2, 3]  # oldest first
    proc = subprocess.run([str(BIN / "mitmdump"), "-n", "-r", str(out_har), "--flow-detail", "1",
                           "--set", f"confdir={tmp_path / 'conf'}"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [line.strip() for line in proc.stdout.splitlines()]
    assert lines[0].startswith("127.0.0.1:0: GET https://api.example.test/v1/products?page=2")
    assert lines[1:] == ["<< 200 OK 67b", "127.0.0.1:0: POST https://api.example.test/v1/cart",
                         "<< 201 Created 12b", "127.0.0.1:0: GET https://cdn.example.test/img/dot.png",
                         "<< 200 OK 70b"]


def test_export_flows_and_import_back(capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    _import_chrome(capsys, home)
    dump = tmp_path / "out.flows"
    code, out, _ = run(capsys, home, "history", "export", "--flows", str(dump), "--method", "GET")
    assert out.strip() == f"exported 3 exchanges to {dump}"
    other = tmp_path / "other"
    code, out, _ = run(capsys, other, "history", "import", str(dump))
    assert "imported 3 exchanges" in out
    assert store(other).load(2).response.body == store(home).load(3).response.body  # type: ignore[union-attr]


def test_export_to_stdout_and_to_a_missing_folder(capsys: pytest.CaptureFixture[str], home: Path,
                                                  tmp_path: Path) -> None:
    _import_chrome(capsys, home)
    code, out, err = run(capsys, home, "history", "export", "--har", "-", "--limit", "2")
    assert code == 0 and err.strip() == "exported 2 exchanges to standard output"
    assert [e["_postmockId"] for e in json.loads(out)["log"]["entries"]] == [3, 4]
    target = tmp_path / "missing" / "out.har"
    code, out, err = run(capsys, home, "history", "export", "--har", str(target))
    assert code == 2 and err.count("\n") == 1
    assert f"cannot write {target}: No such file or directory" in err
    assert list(tmp_path.glob("**/.out.har.*")) == []


# -- the real console script ------------------------------------------------------------------
def _postmock(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POSTMOCK_HOME": str(home)}
    return subprocess.run([str(BIN / "postmock"), *argv], capture_output=True, text=True,
                          timeout=120, env=env)


def test_console_script_import_and_list(home: Path) -> None:
    done = _postmock("history", "import", str(FIXTURES / "insomnia.har"), home=home)
    assert done.returncode == 0 and "imported 1 exchange" in done.stdout
    done = _postmock("history", "list", "--json", home=home)
    assert json.loads(done.stdout)[0]["url"] == "http://127.0.0.1:8765/users/42"


def test_corrupt_segment_is_one_line_and_left_untouched(home: Path) -> None:
    assert _postmock("history", "import", str(FIXTURES / "chrome.har"), home=home).returncode == 0
    segment = home / "history" / "seg-0000000001.json"
    broken = segment.read_bytes()[:-20]
    segment.write_bytes(broken)
    for argv in (["history", "list"], ["history", "import", str(FIXTURES / "insomnia.har")],
                 ["history", "delete", "1"], ["history", "show", "1"]):
        done = _postmock(*argv, home=home)
        assert done.returncode == 2, argv
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert str(segment) in done.stderr and "corrupt" in done.stderr
        assert segment.read_bytes() == broken


def _cut_short(home: Path) -> None:
    """What the recorder stores when the upstream hangs up mid-body: headers, and the error."""
    from postmock_core.exchange import Exchange, HttpRequest, HttpResponse

    ok = Exchange(HttpRequest("GET", "http", "api.test", 80, "/ok"),
                  HttpResponse(200, "OK", [("Content-Type", "application/json")], b'{"ok": true}'),
                  timestamp=1_800_000_000.0)
    cut = Exchange(HttpRequest("GET", "http", "api.test", 80, "/cut"),
                   HttpResponse(200, "OK", [("Content-Length", "1000")], b""), timestamp=1_800_000_001.0,
                   error="peer closed connection without sending complete message body",
                   truncated=["response.body"])
    store(home).append([ok, cut])


def test_a_response_cut_short_is_a_failure_in_every_view(capsys: pytest.CaptureFixture[str], home: Path,
                                                         tmp_path: Path) -> None:
    _cut_short(home)
    _, out, _ = run(capsys, home, "history", "list")
    row = next(line for line in out.splitlines() if line.endswith("/cut"))
    assert "ERR" in row.split() and "200" not in row.split()
    _, out, _ = run(capsys, home, "history", "list", "--json")
    listed = {r["url"]: r for r in json.loads(out)}
    assert listed["http://api.test/cut"]["status"] is None and listed["http://api.test/cut"]["error"]
    _, out, _ = run(capsys, home, "history", "list", "--status", "error", "--json")
    assert [r["id"] for r in json.loads(out)] == [2]
    _, out, _ = run(capsys, home, "history", "list", "--status", "2xx", "--json")
    assert [r["id"] for r in json.loads(out)] == [1]
    _, out, _ = run(capsys, home, "history", "show", "2")
    assert "failed, the response was cut short: peer closed connection" in out
    _, out, _ = run(capsys, home, "collection", "create", "C", "--from-history")
    assert "1 example; skipped 1 failed exchange" in out
    har = tmp_path / "out.har"
    run(capsys, home, "history", "export", "--har", str(har))
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [200, 0]
    assert entries[1]["response"]["_error"].startswith("peer closed")


def test_imports_name_the_right_command_refuse_empty_files_and_skip_duplicates(
        capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    postman = Path(__file__).parents[1] / "fixtures" / "postman"
    code, _, err = run(capsys, home, "history", "import", str(postman / "app_export_v21.postman_collection.json"))
    assert code == 2 and "this is a Postman collection: use postmock collection import FILE" in err
    code, _, err = run(capsys, home, "history", "import", str(postman / "dev.postman_environment.json"))
    assert code == 2 and "use postmock env import FILE" in err
    code, _, err = run(capsys, home, "collection", "import", str(FIXTURES / "chrome.har"))
    assert code == 2 and "this is a HAR file: use postmock history import FILE" in err
    code, _, err = run(capsys, home, "env", "import", str(FIXTURES / "chrome.har"))
    assert code == 2 and "use postmock history import FILE" in err
    empty = tmp_path / "empty.har"
    empty.write_bytes(b"")
    code, _, err = run(capsys, home, "history", "import", str(empty))
    assert code == 2 and "the file is empty; nothing was imported" in err
    no_entries = tmp_path / "none.har"
    no_entries.write_text('{"log": {"version": "1.2", "entries": []}}')
    code, _, err = run(capsys, home, "history", "import", str(no_entries))
    assert code == 2 and "holds no HTTP exchanges" in err
    assert store(home).count() == 0

    _import_chrome(capsys, home)
    code, out, _ = run(capsys, home, "history", "import", str(FIXTURES / "chrome.har"))
    assert code == 0 and "imported 0 exchanges" in out and "4 already in history" in out
    assert store(home).count() == 4
    code, out, _ = run(capsys, home, "collection", "create", "Chrome", "--from-har", str(FIXTURES / "chrome.har"))
    assert code == 0 and "4 already there" in out and "examples" in out
    assert store(home).count() == 4
    code, out, _ = run(capsys, home, "history", "import", str(FIXTURES / "chrome.har"), "--allow-duplicates")
    assert code == 0 and "imported 4 exchanges" in out and store(home).count() == 8
