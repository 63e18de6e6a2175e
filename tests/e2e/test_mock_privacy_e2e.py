"""Through a real `postmock serve` in front of a real echo API: no header injection, a private
mock's key never reaches the API, and passed-through answers reach the call log redacted."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest
from support.echoapi import EchoServer
from support.mockkit import make_mock, postmock, run_serve, users_collection
from support.procs import free_port

from postmock_core.mock.keys import KeyStore
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


def _raw_get(port: int, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_mock_privacy_end_to_end(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "home")
    with EchoServer() as echo:
        doc = users_collection("Echo users", echo)
        doc["item"].append({"name": "Go", "request": {"method": "GET", "url": "{{baseUrl}}/go"}, "response": [
            {"name": "Go", "code": 302, "header": [{"key": "Location", "value": "/next/{{$queryParams 'to'}}"}],
             "body": "", "originalRequest": {"method": "GET", "url": "{{baseUrl}}/go"}}]})
        public = make_mock(ws, "public", free_port(), doc, on_miss="passthrough")
        private = make_mock(ws, "private", free_port(), users_collection("Private users", echo),
                            on_miss="passthrough", private=True)
        _, key = KeyStore(ws).create("caller")
        with run_serve(ws.root, [public, private], tmp_path / "serve") as served:
            # 9: a templated Location cannot start a header or the body
            raw = _raw_get(public.port, "/go?to=abc%0d%0aSet-Cookie:%20injected=1%0d%0a%0d%0a<b>owned</b>")
            head, _, body = raw.partition(b"\r\n\r\n")
            assert b"302" in head.split(b"\r\n")[0]
            # Header names are compared in lower case: the ASGI engine sends them that way.
            assert b"\r\nset-cookie" not in head.lower() and b"owned" not in body
            assert b"location: /next/abc%0d%0aset-cookie: injected=1%0d%0a%0d%0a<b>owned</b>" in head.lower()
            # 7: the private mock's key stays with the mock; 6: the echo is logged redacted
            with httpx.Client(trust_env=False, timeout=20) as c:
                r = c.get(f"{private.url}/anything/echo", params={"x-api-key": key, "page": "1"},
                          headers={"x-api-key": key, "Authorization": "Bearer caller-bearer-77"})
                assert r.status_code == 200, r.text
                seen = r.json()
                assert key not in json.dumps(seen) and {k.lower() for k in seen["headers"]} >= {"authorization"}
                assert seen["args"] == {"page": "1"}
                r = c.get(f"{public.url}/cookies/set", params={"seed": "s1"},
                          headers={"Authorization": "Bearer caller-bearer-88"})
                assert r.status_code == 200 and "remember=" in r.headers["set-cookie"]
                r = c.get(f"{public.url}/anything/echo", params={"x-api-key": "PMAK-query-key-9999"},
                          headers={"Authorization": "Bearer caller-bearer-99"})
                assert r.json()["args"] == {"x-api-key": "PMAK-query-key-9999"}  # a public mock forwards it
            served.stop()
    from support.echoapi import derived

    logged = "\n".join(p.read_text() for p in (ws.root / "calls").rglob("*.json"))
    logged += postmock(ws.root, "mock", "calls", "public", "--json").stdout
    logged += postmock(ws.root, "mock", "calls", "private", "--json").stdout
    for secret in (key, "caller-bearer-77", "caller-bearer-88", "caller-bearer-99", "PMAK-query-key-9999",
                   derived("remember", "s1")):
        assert secret not in logged, secret
    assert "passthrough" in logged
