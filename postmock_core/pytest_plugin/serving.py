"""The `postmock` fixture: serve a collection from a private workspace for one test.

Each `serve` call gets a workspace of its own (a fresh temporary folder): the collection and
environment are imported there, one mock is created for them with the options given, and the
engine serves it in this process on a free 127.0.0.1 port. Nothing is shared between tests or
between xdist workers.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from postmock_core.errors import PostmockError
from postmock_core.mock.configs import ON_MISS, MockConfig, MockStore, parse_delay
from postmock_core.mock.keys import KeyStore
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore, normalize_environment
from postmock_core.postman.importer import Normalized, normalize_collection, read_collection_file
from postmock_core.postman.jsonpath import DocumentError, load_json_file
from postmock_core.pytest_plugin.handle import Call, MockHandle
from postmock_core.serve.inprocess import serve_mock
from postmock_core.store.workspace import Workspace

T = TypeVar("T")

__all__ = ["Postmock", "Source", "create_mock", "miss_report"]

Source = str | os.PathLike[str] | dict[str, Any]
MOCK_NAME = "pytest"


def _collection(source: Source) -> Normalized:
    if isinstance(source, dict):
        try:
            return normalize_collection(copy.deepcopy(source))
        except DocumentError as e:
            raise PostmockError(f"the collection given to serve() is not valid: {e}") from None
    return read_collection_file(Path(source))


def _environment(source: Source) -> dict[str, Any]:
    if isinstance(source, dict):
        data: Any = copy.deepcopy(source)
        where = "the environment given to serve()"
    else:
        data = load_json_file(Path(source), "cannot read environment")
        where = f"environment {source}"
    try:
        return normalize_environment(data)
    except DocumentError as e:
        raise PostmockError(f"{where} is not valid: {e}") from None


def create_mock(ws: Workspace, collection: Source | Normalized, *, env: Source | None = None,
                name: str = MOCK_NAME, **options: Any) -> MockConfig:
    """Import `collection` (and `env`) into `ws` and create a mock named `name` serving them."""
    normalized = collection if isinstance(collection, Normalized) else _collection(collection)
    stored, _ = CollectionStore(ws).import_normalized(normalized)
    env_id = None
    if env is not None:
        env_doc, _ = EnvironmentStore(ws).import_doc(_environment(env))
        env_id = env_doc["id"]
    return MockStore(ws).create(name, stored["info"]["_postman_id"], environment=env_id, **options)


def mock_options(match_body: bool = False, match_headers: Iterable[str] = (),
                 delay: int | str | None = None, private: bool = False,
                 on_miss: str = "error") -> dict[str, Any]:
    """serve()'s keyword arguments as mock configuration fields, checked."""
    if on_miss not in ON_MISS:
        raise PostmockError(f"on_miss={on_miss!r} is not one of {', '.join(ON_MISS)}")
    if isinstance(match_headers, str):
        match_headers = match_headers.split(",")
    return {"match_body": bool(match_body),
            "match_headers": tuple(h.strip() for h in match_headers if h.strip()),
            "delay_ms": 0 if delay is None else parse_delay(str(delay)),
            "private": bool(private), "on_miss": on_miss}


def miss_report(handles: Iterable[MockHandle]) -> str | None:
    """The failure message for misses not reported yet, or None when there are none."""
    parts = []
    for handle in handles:
        misses: list[Call] = handle.unreported_misses()
        if misses:
            parts.append(f"postmock: {len(misses)} call(s) to {handle.describe()} found no answer:\n"
                         + "\n".join("  " + m.explain() for m in misses))
    if not parts:
        return None
    return "\n".join(parts) + "\n(pass allow_misses=True to allow calls that find no answer)"


def or_fail(make: Callable[[], T]) -> T:
    """`make()`; a PostmockError fails the test in one line, without a chained traceback."""
    try:
        return make()
    except PostmockError as e:
        problem = str(e)
    pytest.fail(f"postmock: error: {problem}", pytrace=False)  # outside the except on purpose


class Postmock:
    """The `postmock` fixture's value: `serve(...)` starts a mock for this test."""

    def __init__(self, new_dir: Callable[[], Path],
                 on_serve: Callable[[MockHandle], None] | None = None) -> None:
        self._new_dir = new_dir
        self._on_serve = on_serve
        self.handles: list[MockHandle] = []

    def __repr__(self) -> str:
        return f"<postmock: {len(self.handles)} mock(s) served>"

    def serve(self, collection: Source, *, env: Source | None = None, match_body: bool = False,
              match_headers: Iterable[str] = (), delay: int | str | None = None, private: bool = False,
              on_miss: str = "error", allow_misses: bool = False) -> MockHandle:
        """Serve a collection (a v2.1/v2.0 file or a dict) until the test ends; return its handle.

        `env` is an environment file or dict; `delay` milliseconds or `2g`/`3g`; `private`
        makes the mock want `handle.api_key` in `x-api-key`; `on_miss` is error, passthrough
        or record. A call no example answers fails the test unless `allow_misses`.
        """
        def start() -> MockHandle:
            ws = Workspace.open(self._new_dir())
            config = create_mock(ws, collection, env=env, **mock_options(
                match_body, match_headers, delay, private, on_miss))
            api_key = KeyStore(ws).create("pytest", (config.id,))[1] if private else None
            return MockHandle(serve_mock(ws, config.id, port=0, call_log=False), api_key, allow_misses)

        handle = or_fail(start)
        self.handles.append(handle)
        if self._on_serve is not None:
            self._on_serve(handle)
        return handle

    def close(self) -> None:
        """Stop every mock this test started."""
        for handle in self.handles:
            handle.stop()
