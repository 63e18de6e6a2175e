"""`postmock env ...` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postmock_core.cli import main

FIXTURE = Path(__file__).parents[1] / "fixtures" / "postman" / "dev.postman_environment.json"


def run(home: Path, *argv: str) -> int:
    return main(["--home", str(home), *argv])


def test_import_list_show_set_unset_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    assert run(home, "env", "import", str(FIXTURE)) == 0
    assert "imported environment 'Dev'" in capsys.readouterr().out
    assert run(home, "env", "list", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["values"], listed["enabled"]) == ("Dev", 4, 3)
    assert run(home, "env", "show", "dev") == 0
    shown = capsys.readouterr().out
    assert "s3cr3t" not in shown and "******" in shown and "http://127.0.0.1:3000" in shown
    assert run(home, "env", "show", "dev", "--reveal") == 0
    assert "s3cr3t" in capsys.readouterr().out
    assert run(home, "env", "set", "Dev", "baseUrl", "http://127.0.0.1:4000") == 0
    assert run(home, "env", "set", "Local", "token", "abc", "--secret") == 0
    assert "created environment 'Local'" in capsys.readouterr().out
    assert run(home, "env", "unset", "Dev", "old") == 0
    assert run(home, "env", "unset", "Dev", "old") == 2
    assert "has no variable 'old'" in capsys.readouterr().err
    out = tmp_path / "dev.json"
    assert run(home, "env", "export", "Dev", "-o", str(out)) == 0
    exported = json.loads(out.read_text())
    assert exported["_postman_variable_scope"] == "environment"
    assert {v["key"]: v["value"] for v in exported["values"]} == {
        "baseUrl": "http://127.0.0.1:4000", "token": "s3cr3t", "retries": "3"}
    # an export imports again (as a copy or replacing the original)
    assert run(home, "env", "import", str(out), "--name", "Dev copy") == 0
    assert run(home, "env", "import", str(out), "--replace") == 0
    assert run(home, "env", "delete", "Dev copy") == 0
    assert run(home, "env", "list", "--json") == 0
    capsys.readouterr()
    assert run(home, "env", "list", "--json") == 0
    assert sorted(e["name"] for e in json.loads(capsys.readouterr().out)) == ["Dev", "Local"]


@pytest.mark.parametrize("content, expected", [
    ("{", "$: not valid JSON"),
    ('{"info": {}, "item": []}', "this is a Postman collection: use postmock collection import FILE"),
    ('{"name": "x", "variables": [{"key": "a", "value": "1"}]}', '$: not a Postman environment: it needs "values"'),
])
def test_bad_environment_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                               expected: str) -> None:
    home = tmp_path / "home"
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert run(home, "env", "import", str(bad)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and expected in err
    assert not list((home / "environments").glob("*.json"))


def test_values_without_a_name_are_skipped_with_one_warning(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    loose = tmp_path / "loose.json"
    loose.write_text(json.dumps({"name": "Loose", "values": [
        {"key": "a", "value": "1"}, {}, None, {"value": "2"}, {"key": "b", "value": 2, "enabled": 1}]}))
    assert run(home, "env", "import", str(loose)) == 0
    captured = capsys.readouterr()
    assert "imported environment 'Loose'" in captured.out and "2 variables" in captured.out
    assert captured.err.splitlines() == ["postmock: warning: skipped 3 environment variables without a name"]
