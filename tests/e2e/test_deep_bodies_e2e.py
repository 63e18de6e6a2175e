"""A request body nested 100,000 levels deep gets a normal answer from a real `postmock serve`,
with body matching and templating on, and no traceback in its log."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.mockkit import make_mock, run_serve, users_collection
from support.procs import free_port

from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


def test_a_body_nested_100000_deep_gets_a_normal_answer(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "home")
    matching = make_mock(ws, "matching", free_port(), users_collection("Matching users"), match_body=True)
    templating = make_mock(ws, "templating", free_port(), users_collection("Templating users"))
    with run_serve(ws.root, [matching, templating], tmp_path / "serve") as served:
        with httpx.Client(trust_env=False, timeout=60) as c:
            for depth in (995, 100_000):
                body = "[" * depth + '{"name": "deep", "password": "deep-secret"}' + "]" * depth
                headers = {"Content-Type": "application/json"}
                r = c.post(f"{matching.url}/users", content=body, headers=headers)
                assert r.status_code == 404 and r.json()["error"]["name"] == "mockRequestNotFoundError"
                # The example answers; its {{$body 'name' 'nobody'}} cannot read such a body.
                r = c.post(f"{templating.url}/users", content=body, headers=headers)
                assert r.status_code == 201 and r.json() == {"id": 7, "name": "nobody"}
        served.stop()
        assert "RecursionError" not in served.output() and "postmock_core" not in served.output()
    logged = "".join(p.read_text() for p in (ws.root / "calls").rglob("seg-*.json"))
    assert logged.count('"path":"/users"') + logged.count('"path": "/users"') == 4
    assert "deep-secret" not in logged
