"""Helpers for mock server tests: a small collection, mocks made through the real stores, and
a real `postmock serve` process."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postmock_core.postman.collections import CollectionStore
from postmock_core.mock.configs import MockConfig, MockStore
from postmock_core.postman.importer import normalize_collection
from postmock_core.store.workspace import Workspace

from .procs import wait_for_port

__all__ = ["USERS", "Served", "make_mock", "postmock", "run_serve", "users_collection"]

POSTMOCK = str(Path(sys.executable).parent / "postmock")
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
JSON = [{"key": "Content-Type", "value": "application/json"}]

USERS: dict[str, Any] = {
    "info": {"name": "Users", "schema": SCHEMA},
    "variable": [{"key": "baseUrl", "value": "http://127.0.0.1:9"}],
    "item": [
        {"name": "Get user", "request": {"method": "GET", "url": "{{baseUrl}}/users/1"}, "response": [
            {"name": "Ada", "code": 200, "status": "OK", "header": JSON,
             "body": '{"id": 1, "name": "Ada"}',
             "originalRequest": {"method": "GET", "url": "{{baseUrl}}/users/1"}},
            {"name": "Missing user", "code": 404, "status": "Not Found", "header": JSON,
             "body": '{"error": "no such user"}',
             "originalRequest": {"method": "GET", "url": "{{baseUrl}}/users/999"}},
        ]},
        {"name": "Create user", "request": {"method": "POST", "url": "{{baseUrl}}/users"}, "response": [
            {"name": "Created", "code": 201, "status": "Created", "header": JSON,
             "body": '{"id": 7, "name": "{{$body \'name\' \'nobody\'}}"}',
             "originalRequest": {"method": "POST", "url": "{{baseUrl}}/users",
                                 "header": JSON, "body": {"mode": "raw", "raw": '{"name": "Grace"}'}}},
        ]},
        {"name": "Greet", "request": {"method": "GET", "url": "{{baseUrl}}/hello/{{who}}"}, "response": [
            {"name": "Greeting", "code": 200, "status": "OK", "header": [], "body": "hello {{who}}"},
        ]},
        {"name": "Own options", "request": {"method": "OPTIONS", "url": "{{baseUrl}}/custom"}, "response": [
            {"name": "Custom options", "code": 200, "status": "OK", "header": [{"key": "Allow", "value": "GET"}],
             "body": "custom"},
        ]},
        {"name": "Whoami", "request": {"method": "GET", "url": "{{baseUrl}}/whoami"}, "response": [
            {"name": "Me", "code": 200, "status": "OK", "header": JSON, "body": '{"me": true}',
             "originalRequest": {"method": "GET", "url": "{{baseUrl}}/whoami",
                                 "header": [{"key": "Authorization", "value": "Bearer [REDACTED]"}]}},
        ]},
    ],
}


def users_collection(name: str = "Users", base_url: str = "http://127.0.0.1:9") -> dict[str, Any]:
    doc = copy.deepcopy(USERS)
    doc["info"]["name"] = name
    doc["variable"][0]["value"] = base_url
    return doc


def make_mock(ws: Workspace, name: str, port: int, collection: dict[str, Any] | None = None,
              **options: Any) -> MockConfig:
    """Import `collection` (default: the users collection, named after the mock) and mock it."""
    doc = collection if collection is not None else users_collection(f"{name} collection")
    stored, _ = CollectionStore(ws).import_normalized(normalize_collection(copy.deepcopy(doc)))
    return MockStore(ws).create(name, stored["info"]["_postman_id"], port=port, **options)


def postmock(home: Path, *args: str, input: str | None = None,
             check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `postmock` command with `--home home`."""
    proc = subprocess.run([POSTMOCK, "--home", str(home), *args], capture_output=True, text=True,
                          input=input, timeout=60, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"postmock {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError("postmock serve ignored SIGTERM:\n" + self.output()[-3000:]) from None
        return int(self.proc.returncode)


@contextlib.contextmanager
def run_serve(home: Path, mocks: Sequence[MockConfig], tmp: Path, names: Sequence[str] | None = None,
              cmd: Sequence[str] | None = None) -> Iterator[Served]:
    """Run `postmock serve` (or `cmd`) until the mocks' ports accept connections; stop it after."""
    tmp.mkdir(parents=True, exist_ok=True)
    log_path = tmp / "serve.log"
    argv = list(cmd) if cmd else [POSTMOCK, "--home", str(home), "serve",
                                  *(names if names is not None else [m.name for m in mocks])]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=tmp)
    served = Served(proc, log_path)
    try:
        for m in mocks:
            try:
                wait_for_port(m.port, 30, proc=proc)
            except AssertionError as e:
                raise AssertionError(f"{e}\n{served.output()[-3000:]}") from None
        yield served
    finally:
        with contextlib.suppress(AssertionError):
            served.stop()


def body_json(text: str) -> Any:
    return json.loads(text)
