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


@pytest.mark.parametrize("match_body", [True, False])
def test_a_body_nested_100000_deep_gets_a_normal_answer(tmp_path: Path, match_body: bool) -> None:
    ws = Workspace.open(tmp_path / "home")
    mock = make_mock(ws, "deep", free_port(), users_collection("Deep users"), match_body=match_body)
    with run_serve(ws.root, [mock], tmp_path / "serve") as served:
        with httpx.Client(base_url=mock.url, trust_env=False, timeout=60) as c:
            for depth in (995, 100_000):
                body = "[" * depth + '{"name": "deep", "password": "deep-secret"}' + "]" * depth
                r = c.post("/users", content=body, headers={"Content-Type": "application/json"})
                if match_body:
                    assert r.status_code == 404 and r.json()["error"]["name"] == "mockRequestNotFoundError"
                else:  # the example answers; its {{$body 'name' 'nobody'}} cannot read such a body
                    assert r.status_code == 201 and r.json() == {"id": 7, "name": "nobody"}
        served.stop()
        assert "RecursionError" not in served.output() and "postmock_core" not in served.output()
    logged = "".join(p.read_text() for p in (ws.root / "calls").rglob("seg-*.json"))
    assert logged.count('"path":"/users"') + logged.count('"path": "/users"') == 2
    assert "deep-secret" not in logged
