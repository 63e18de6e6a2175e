"""`postmock mock explain` names the dynamic variables in the answering example it does not know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postmock_core.cli import main


def _collection(tmp_path: Path, body: str, header: str = "") -> Path:
    response = {"name": "user", "code": 200, "status": "OK", "body": body,
                "header": [{"key": "Content-Type", "value": "application/json"},
                           {"key": "X-Note", "value": header}],
                "originalRequest": {"method": "GET", "url": {"raw": "/users/1"}}}
    doc = {"info": {"name": "t", "_postman_id": "c1"},
           "item": [{"name": "r", "request": {"method": "GET", "url": {"raw": "/users/1"}}, "response": [response]}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    return path


def test_unknown_dynamic_variables_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _collection(tmp_path, '{"a": "{{$randomFoo}}", "b": {{$Guid}}, "c": "{{$guid}} {{$body \'x\'}} {{id}}"}',
                       "{{$randomBar}} {{$randomFoo}}")
    assert main(["mock", "explain", "--collection-file", str(path), "--url", "/users/1"]) == 0
    out = capsys.readouterr().out
    assert "unknown dynamic variables, sent as written: {{$randomBar}}, {{$randomFoo}}, {{$Guid}}" in out
    assert main(["mock", "explain", "--collection-file", str(path), "--url", "/users/1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["match"]["unknown_variables"] == ["$randomBar", "$randomFoo", "$Guid"]


def test_known_variables_only_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _collection(tmp_path, '{"a": "{{$randomBitcoin}}", "b": {{$randomInt}}, "c": "{{$body}}"}')
    assert main(["mock", "explain", "--collection-file", str(path), "--url", "/users/1"]) == 0
    assert "unknown dynamic" not in capsys.readouterr().out
