"""Seeded answers through a real `postmock serve`: the same seed gives the same bytes, across
calls and processes; another seed or none gives other values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.mockkit import make_mock, run_serve
from support.procs import free_port

from postmock_core.mock.configs import MockConfig
from postmock_core.postman.dynamic import DYNAMIC
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e

# Every dynamic variable, inside strings, as keys and standing alone as values.
BODY = "{" + ", ".join(
    [f'"{name[1:]}": "{{{{{name}}}}}"' for name in DYNAMIC]
    + ['"bare": [{{$randomInt}}, {{$randomBoolean}}, {{$randomFirstName}}, {{$timestamp}}]',
       '{{$randomWord}}: {{$randomPrice}}']) + "}"


def _collection(name: str) -> dict[str, Any]:
    json_header = {"key": "Content-Type", "value": "application/json"}
    return {
        "info": {"name": name, "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [{"name": "All", "request": {"method": "GET", "url": "http://api.example.com/all"}, "response": [
            {"name": "Everything", "code": 200, "status": "OK", "body": BODY,
             "header": [json_header, {"key": "X-Trace", "value": "{{$guid}} {{$randomUserAgent}}"}],
             "originalRequest": {"method": "GET", "url": "http://api.example.com/all"}}]}],
    }


def _answer(mock: MockConfig, seed: str | None = None) -> tuple[bytes, str]:
    headers = {"x-mock-seed": seed} if seed is not None else {}
    r = httpx.get(f"{mock.url}/all", headers=headers, timeout=30, trust_env=False)
    assert r.status_code == 200, r.text
    doc = json.loads(r.content)  # a templated JSON body always parses
    assert "{{$" not in r.text and len(doc) == len(DYNAMIC) + 2
    return r.content, r.headers["x-trace"]


def test_seeds_make_answers_reproducible(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ws = Workspace.open(home)
    seeded = make_mock(ws, "seeded", free_port(), _collection("Dynamic seeded"), seed=5)
    plain = make_mock(ws, "plain", free_port(), _collection("Dynamic plain"))
    with run_serve(home, [seeded, plain], tmp_path / "first"):
        first = _answer(seeded)
        assert _answer(seeded) == first                      # same seed: the same bytes
        assert _answer(plain, "5") == first                  # the caller's seed, same values
        other = _answer(seeded, "6")                         # the caller's seed wins
        assert other != first and _answer(plain, "6") == other
        assert _answer(seeded, "any text") == _answer(plain, "any text")
        assert _answer(plain) != _answer(plain)              # no seed: random, as in Postman
        assert json.loads(first[0])["isoTimestamp"] == "2025-01-01T00:00:00.000Z"
    with run_serve(home, [seeded], tmp_path / "second", names=["seeded"]):
        assert _answer(seeded) == first                      # and in another process
