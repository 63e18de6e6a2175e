"""Mock server configurations: which collection a mock serves, and how, kept in `mocks.json`."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import functools
import re
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.store.names import check_name
from postmock_core.store.storage import read_json, transaction
from postmock_core.store.workspace import Workspace

__all__ = [
    "DELAY_PRESETS",
    "MAX_DELAY_MS",
    "MockConfig",
    "MockStore",
    "ServerResponse",
    "parse_delay",
]

TABLE = "mocks"
PORT_RANGE = range(7300, 8000)
# Postman's network presets, and the range x-mock-response-delay accepts (in milliseconds).
DELAY_PRESETS = {"none": 0, "2g": 300, "3g": 100}
MAX_DELAY_MS = 180_000
ON_MISS = ("error", "passthrough", "record")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}")


def parse_delay(text: str) -> int:
    """`none`, `2g`, `3g` or a number of milliseconds (0 to 180000)."""
    key = text.strip().lower()
    if key in DELAY_PRESETS:
        return DELAY_PRESETS[key]
    try:
        ms = int(key.removesuffix("ms"))
    except ValueError:
        ms = -1
    if not 0 <= ms <= MAX_DELAY_MS:
        raise PostmockError(f"delay {text!r} is not none, 2g, 3g or milliseconds from 0 to {MAX_DELAY_MS}")
    return ms


@dataclass(frozen=True)
class ServerResponse:
    """Postman's outage simulation: while active, this answers every call to the mock."""

    id: str
    name: str
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    active: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ServerResponse:
        return cls(id=doc["id"], name=doc.get("name", doc["id"]), status=int(doc["status"]),
                   headers=[(str(k), str(v)) for k, v in doc.get("headers") or []],
                   body=doc.get("body", ""), active=bool(doc.get("active")))

    def to_doc(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "headers": [list(h) for h in self.headers]}


@dataclass(frozen=True)
class MockConfig:
    id: str
    name: str
    collection: str  # the collection's ID: fixed for the mock's life, as in Postman
    port: int
    environment: str | None = None
    delay_ms: int = 0
    private: bool = False
    match_body: bool = False
    match_headers: tuple[str, ...] = ()
    on_miss: str = "error"
    call_log_cap: int | None = None
    seed: int | None = None  # fixes every dynamic value of every answer (None: random)
    server_responses: tuple[ServerResponse, ...] = ()
    created: str = ""
    updated: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @functools.cached_property
    def active_server_response(self) -> ServerResponse | None:
        return next((r for r in self.server_responses if r.active), None)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> MockConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        values["match_headers"] = tuple(doc.get("match_headers") or ())
        values["server_responses"] = tuple(ServerResponse.from_doc(r) for r in doc.get("server_responses") or ())
        return cls(**values)

    def to_doc(self) -> dict[str, Any]:
        doc = dataclasses.asdict(self)
        doc["match_headers"] = list(self.match_headers)
        doc["server_responses"] = [r.to_doc() for r in self.server_responses]
        return doc


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class MockStore:
    """Create, find, change and delete mock configurations."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.path: Path = ws.file("mocks.json")

    def list(self) -> list[MockConfig]:
        data = read_json(self.path) or {}
        mocks = [MockConfig.from_doc(d) for d in (data.get(TABLE) or {}).values()]
        return sorted(mocks, key=lambda m: (m.created, m.name))

    def get(self, ident: str) -> MockConfig:
        """A mock by ID or name (names compare case-insensitively)."""
        for m in self.list():
            if m.id == ident or m.name.lower() == ident.lower():
                return m
        raise NotFoundError(f"no mock {ident!r}; see: postmock mock list")

    def _check_name(self, name: str, mocks: builtins.list[MockConfig], exclude: str | None = None) -> None:
        if not _NAME.fullmatch(name):
            raise PostmockError(f"mock name {name!r} must start with a letter or digit and use only "
                                f"letters, digits, spaces, '.', '_' or '-' (at most 80)")
        if any(m.name.lower() == name.lower() and m.id != exclude for m in mocks):
            raise PostmockError(f"a mock named {name!r} already exists; choose another --name")

    def _check_port(self, port: int, mocks: builtins.list[MockConfig], exclude: str | None = None) -> None:
        if not 1 <= port <= 65535:
            raise PostmockError(f"port {port} is out of range: use 1 to 65535")
        other = next((m for m in mocks if m.port == port and m.id != exclude), None)
        if other:
            raise PostmockError(f"port {port} already belongs to mock {other.name!r}; choose another --port "
                                f"(or --port 0 for a free one)")
        # Caught now rather than when the mock is first served, perhaps far from this command.
        if not _port_free(port):
            raise PostmockError(f"port {port} is in use by another program on 127.0.0.1; choose another "
                                f"--port (or --port 0 for a free one)")

    def _pick_port(self, mocks: builtins.list[MockConfig]) -> int:
        taken = {m.port for m in mocks}
        for port in PORT_RANGE:
            if port not in taken and _port_free(port):
                return port
        raise PostmockError(f"no free port left in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}; pass --port")

    def create(self, name: str, collection: str, port: int | None = None, **options: Any) -> MockConfig:
        with transaction(self.path) as db:
            table = db.table(TABLE)
            mocks = [MockConfig.from_doc(d) for d in table.all()]
            self._check_name(name, mocks)
            if not port:  # none or 0: a free one
                port = self._pick_port(mocks)
            else:
                self._check_port(port, mocks)
            now = _now()
            mock = MockConfig(id="mock-" + secrets.token_hex(4), name=name, collection=collection,
                              port=port, created=now, updated=now, **options)
            table.insert(mock.to_doc())
        return mock

    def update(self, ident: str, **changes: Any) -> MockConfig:
        """Change a mock's settings (never its collection)."""
        if "collection" in changes:
            raise PostmockError("a mock's collection cannot change; create a new mock for another collection")
        with transaction(self.path) as db:
            table = db.table(TABLE)
            docs = table.all()
            mocks = [MockConfig.from_doc(d) for d in docs]
            current = self._find(ident, mocks)
            if "name" in changes:
                self._check_name(changes["name"], mocks, exclude=current.id)
            if changes.get("port") == 0:
                changes["port"] = self._pick_port([m for m in mocks if m.id != current.id])
            elif "port" in changes and changes["port"] != current.port:
                self._check_port(changes["port"], mocks, exclude=current.id)
            new = dataclasses.replace(current, **changes, updated=_now())
            doc_id = next(d.doc_id for d in docs if d.get("id") == current.id)
            table.remove(doc_ids=[doc_id])
            table.insert(new.to_doc())
        return new

    def delete(self, ident: str) -> MockConfig:
        with transaction(self.path) as db:
            table = db.table(TABLE)
            docs = table.all()
            mock = self._find(ident, [MockConfig.from_doc(d) for d in docs])
            table.remove(doc_ids=[d.doc_id for d in docs if d.get("id") == mock.id])
        return mock

    @staticmethod
    def _find(ident: str, mocks: builtins.list[MockConfig]) -> MockConfig:
        for m in mocks:
            if m.id == ident or m.name.lower() == ident.lower():
                return m
        raise NotFoundError(f"no mock {ident!r}; see: postmock mock list")

    # -- server responses ---------------------------------------------------------------------
    def add_server_response(self, ident: str, name: str, status: int, headers: builtins.list[tuple[str, str]],
                            body: str, active: bool = False) -> ServerResponse:
        if not 500 <= status <= 599:
            raise PostmockError(f"a server response simulates an outage: use a 5xx status, not {status}")
        name = check_name(name, "a server response name", 80)
        mock = self.get(ident)
        if any(r.name.lower() == name.lower() for r in mock.server_responses):
            raise PostmockError(f"mock {mock.name!r} already has a server response named {name!r}")
        resp = ServerResponse(id="sr-" + secrets.token_hex(3), name=name, status=status,
                              headers=headers, body=body, active=False)
        responses = [*mock.server_responses, resp]
        self.update(mock.id, server_responses=tuple(responses))
        if active:
            resp = self.set_server_response_active(mock.id, resp.id, True)
        return resp

    def server_response(self, mock: MockConfig, ref: str) -> ServerResponse:
        """One of the mock's server responses, by ID or name."""
        for r in mock.server_responses:
            if r.id == ref or r.name.lower() == ref.lower():
                return r
        raise NotFoundError(f"mock {mock.name!r} has no server response {ref!r}; "
                            f"see: postmock mock server-response list {mock.name}")

    def set_server_response_active(self, ident: str, ref: str, active: bool) -> ServerResponse:
        """Activate one server response (deactivating the others), or deactivate it."""
        mock = self.get(ident)
        target = self.server_response(mock, ref)
        responses = tuple(
            dataclasses.replace(r, active=(active if r.id == target.id else (False if active else r.active)))
            for r in mock.server_responses
        )
        self.update(mock.id, server_responses=responses)
        return dataclasses.replace(target, active=active)

    def update_server_response(self, ident: str, ref: str, name: str | None = None, status: int | None = None,
                               headers: builtins.list[tuple[str, str]] | None = None,
                               body: str | None = None) -> ServerResponse:
        """Change a server response's name, status, headers or body (None: unchanged)."""
        mock = self.get(ident)
        target = self.server_response(mock, ref)
        if status is not None and not 500 <= status <= 599:
            raise PostmockError(f"a server response simulates an outage: use a 5xx status, not {status}")
        if name is not None and any(r.name.lower() == name.lower() and r.id != target.id
                                    for r in mock.server_responses):
            raise PostmockError(f"mock {mock.name!r} already has a server response named {name!r}")
        changes: dict[str, Any] = {k: v for k, v in (("name", name), ("status", status), ("headers", headers),
                                                    ("body", body)) if v is not None}
        new = dataclasses.replace(target, **changes)
        self.update(mock.id, server_responses=tuple(new if r.id == target.id else r
                                                    for r in mock.server_responses))
        return new

    def delete_server_response(self, ident: str, ref: str) -> ServerResponse:
        mock = self.get(ident)
        target = self.server_response(mock, ref)
        self.update(mock.id, server_responses=tuple(r for r in mock.server_responses if r.id != target.id))
        return target
