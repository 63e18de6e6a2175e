"""One served mock's live state, and the decision of how to answer one call.

Everything a mock depends on is a file another process may change at any time: the mock
configurations (`mocks.json`), its collection, its environment, the API keys, the settings.
Each is a `WatchedFile`, so an edit is used on the next call (one made by another process
once `RELOAD_CHECK` has passed, 5 ms), and the matcher (a `Served`) is rebuilt only when the
collection, the environment or a matching option changed.

A little past the ~300-line guide: the catalog, the runtime and its rebuild share the reload
machinery that keeps a running mock in step with the files.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postmock_core.errors import PostmockError
from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.history.redaction import SecretValues
from postmock_core.matching.matcher import MatchOptions, MatchResult, not_found_body
from postmock_core.mock.configs import MockConfig, MockStore
from postmock_core.mock.keys import KeyStore
from postmock_core.mock.privacy import KEY_NAMES, mask_data
from postmock_core.mock.replies import (
    interim_status,
    invalid_credentials,
    is_preflight,
    json_response,
    mock_not_found,
    preflight,
    request_delay,
    server_response,
)
from postmock_core.mock.served import ASIDE_FROM, Origin, Rebuild, Served, kept_for_long
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.postman.fakerdata import preload
from postmock_core.store.blobs import BlobStore
from postmock_core.store.jsonsteps import loads_in_steps, release_in_steps
from postmock_core.store.settings import Settings, load_settings
from postmock_core.store.storage import read_json
from postmock_core.store.watch import WatchedFile, replacements
from postmock_core.store.workspace import Workspace

__all__ = ["Decision", "MockCatalog", "MockRuntime", "deactivation_reason"]

log = logging.getLogger(__name__)

Doc = dict[str, Any]

# How stale a served mock may be about an edit made by another process, in seconds: a stat per
# input file per call costs more than the rest of an answer on a busy server. Edits made in this
# process are seen on the next call.
RELOAD_CHECK = 0.005
_SELECTORS = ("x-mock-response-id", "x-mock-response-name", "x-mock-response-code")
_NO_MASKS = SecretValues()  # shared, never added to
_LOOK_AGAIN = (float("-inf"), -1, (None, None, _NO_MASKS))  # `MockRuntime.current` looks afresh


def _read_in_steps(data: bytes) -> Any:
    # A collection's bulk is its `item` tree: walked in steps, each request decoded whole.
    return loads_in_steps(data, depth=16, walk=("item",))


@dataclass(frozen=True, slots=True)
class Decision:
    """How to answer one call: a local `response`, or forward it (`forward` set)."""

    kind: str  # mocked | miss | preflight | server-response | unauthorized | not-found | passthrough | record
    response: HttpResponse | None = None
    example_id: str | None = None
    example_name: str | None = None
    score: float | None = None
    delay_ms: int = 0
    forward: tuple[str, str, int] | None = None  # (scheme, host, port) to send a miss to
    # `response` is the same object for every call this example answers (until the collection
    # changes): what an engine derives from it may be kept with it.
    stable: bool = False
    # Header and query parameter names taken off a call before it is forwarded (a private
    # mock's key is for the mock, never for the real API).
    strip: tuple[str, ...] = ()
    # With `stable`: where an engine may keep what it derives from `response`, and how many
    # such things (both live as long as the served version of the collection).
    kept: dict[Any, Any] | None = None
    kept_cap: int = 0


def _why_inactive(mock: MockConfig, has_collection: bool, has_environment: bool,
                  settings: Settings, files: tuple[Path | None, Path | None] = (None, None)) -> str | None:
    """Why `mock` cannot answer from its examples, or None; `files` are its collection's and
    environment's: one that is there but was not read is corrupt, not deleted."""

    def gone(what: str, ref: str | None, file: Path | None) -> str:
        if file is not None and file.exists():
            return (f"Mock server {mock.name!r} is deactivated: its {what} ({ref}) cannot be read (the "
                    f"server's log says why); fix it or import it again.")
        return f"Mock server {mock.name!r} is deactivated: its {what} ({ref}) was deleted."

    if not has_collection:
        return gone("collection", mock.collection, files[0])
    if mock.environment and not has_environment:
        return gone("environment", mock.environment, files[1])
    if settings.forbid_public_mocks and not mock.private:
        return (f"Mock server {mock.name!r} is deactivated: it is public and this workspace forbids "
                f"public mocks.")
    return None


def deactivation_reason(mock: MockConfig, collections: CollectionStore, environments: EnvironmentStore,
                        settings: Settings) -> str | None:
    """Why a mock cannot be served right now (derived, never stored), or None if it can."""
    try:
        has_collection = collections.path_for(mock.collection).exists()
    except PostmockError:
        has_collection = False
    has_environment = bool(mock.environment) and (environments.dir / f"{mock.environment}.json").exists()
    return _why_inactive(mock, has_collection, has_environment, settings)


class MockCatalog:
    """The shared, hot-reloaded inputs: mock configurations, keys, settings, stores."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.collections = CollectionStore(ws)
        self.environments = EnvironmentStore(ws)
        self.keys = KeyStore(ws, RELOAD_CHECK)
        self.blobs = BlobStore(ws.blobs_dir)
        self.mock_store = MockStore(ws)
        self._mocks = WatchedFile(self.mock_store.path, self._load_mocks, RELOAD_CHECK)
        self._settings = WatchedFile(ws.file("settings.json"), lambda _: load_settings(ws), RELOAD_CHECK)

    def _load_mocks(self, path: Path) -> dict[str, MockConfig]:
        try:
            data = read_json(path) or {}
        except PostmockError as e:
            log.error("postmock: %s; serving the mocks as they were", e)
            return dict(self._mocks._value or {})  # a corrupt file is never half-used
        return {d["id"]: MockConfig.from_doc(d) for d in (data.get("mocks") or {}).values()}

    def mocks(self) -> dict[str, MockConfig]:
        return self._mocks.value()

    def settings(self) -> Settings:
        return self._settings.value()

    def find(self, ident: str) -> MockConfig | None:
        mocks = self.mocks()
        if ident in mocks:
            return mocks[ident]
        lowered = ident.lower()
        return next((m for m in mocks.values() if m.name.lower() == lowered), None)


class MockRuntime:
    """One mock being served: decides how to answer each call."""

    def __init__(self, catalog: MockCatalog, mock_id: str) -> None:
        self.catalog = catalog
        self.mock_id = mock_id
        self._collection: WatchedFile[Doc | None] | None = None
        self._collection_id: str | None = None
        self._environment: WatchedFile[Doc | None] | None = None
        self._environment_id: str | None = None
        self._served: Served | None = None
        self._served_key: tuple[Any, ...] | None = None
        # The environment file the served version was built with (a large collection is rebuilt
        # aside when the mock moves to another environment, or to none).
        self._served_environment: WatchedFile[Doc | None] | None = None
        self._state: Served | str | None = None
        self._state_key: tuple[object, ...] | None = None
        self._state_refs: tuple[Any, ...] = ()
        preload()  # Faker's import takes a few hundred ms: not on the first call's clock
        self._rebuild: Rebuild | None = None
        # (until when, the process's file replacements then, what `current()` gave): one
        # answer per RELOAD_CHECK, every input being looked at no more often than that anyway.
        self._now: tuple[float, int, tuple[MockConfig | None, Served | str | None, SecretValues]] = _LOOK_AGAIN
        self._emptied: Doc | None = None  # the collection document `_drop_content` emptied
        # Given the decisions made ahead for a large version's static examples (see `_ahead`).
        self.answers_ahead: Callable[[MockConfig, Served, Iterator[Decision]], None] | None = None
        self.builds = 0  # matchers built so far, and how long the last one took
        self.last_build_s = 0.0

    # -- live inputs --------------------------------------------------------------------------
    @staticmethod
    def _read(path: Path) -> Doc | None:
        try:
            # In steps: a large collection is parsed while other threads (calls) keep running.
            with kept_for_long():
                doc = read_json(path, _read_in_steps)
        except PostmockError as e:
            log.error("postmock: %s", e)
            return None
        return doc if isinstance(doc, dict) else None

    def config(self) -> MockConfig | None:
        return self.catalog.mocks().get(self.mock_id)

    def served(self, mock: MockConfig) -> Served | str:
        """The matcher for the mock's current inputs, or why it is deactivated.

        Everything derived is rebuilt only when an input (configuration, settings, collection,
        environment) is a different object than last time. A large collection is rebuilt on a
        thread while calls keep using the version it replaces (see `Rebuild`).
        """
        settings = self.catalog.settings()
        if self._collection is None or self._collection_id != mock.collection:
            try:
                path = self.catalog.collections.path_for(mock.collection)
            except PostmockError:
                path = self.catalog.collections.dir / "invalid-id.json"
            self._collection = WatchedFile(path, self._read, RELOAD_CHECK)
            self._collection_id = mock.collection
        if mock.environment != self._environment_id:
            self._environment = (WatchedFile(self.catalog.environments.dir / f"{mock.environment}.json",
                                             self._read, RELOAD_CHECK) if mock.environment else None)
            self._environment_id = mock.environment
        if self._rebuild is not None:
            if not self._rebuild.done():
                return self._meanwhile(mock, settings)
            self._adopt(self._rebuild, mock)
            self._rebuild = None
        if self._served is not None and len(self._served.matcher.examples) >= ASIDE_FROM and self._stale(mock):
            self._rebuild = Rebuild(self._collection, self._environment, self._options(mock),
                                    self.catalog.blobs, self._read, self._ahead(mock))
            return self._meanwhile(mock, settings)
        collection = self._collection.value()
        environment = self._environment.value() if self._environment is not None else None
        files = (self._collection.path, self._environment.path if self._environment else None)
        # A file that is missing, or there but unreadable, is said differently: looked at only then.
        there = None if collection is not None and environment is not None else tuple(
            f is not None and f.exists() for f in files)
        key = (id(mock), id(settings), id(collection), id(environment), there)
        if key == self._state_key and self._state is not None:
            return self._state
        reason = _why_inactive(mock, collection is not None, environment is not None, settings, files)
        if reason is None:
            matcher_key = (id(collection), id(environment), mock.match_body, mock.match_headers)
            if self._served is None or matcher_key != self._served_key:
                if collection is self._emptied:  # its content is gone (see `_drop_content`)
                    self._collection = WatchedFile(self._collection.path, self._read, RELOAD_CHECK)
                    return self.served(mock)
                t0 = time.perf_counter()
                self._served = Served(collection, environment, self._options(mock), self.catalog.blobs,  # type: ignore[arg-type]
                                      self._ahead(mock))
                self._served_key = matcher_key
                self._served_environment = self._environment
                self._serving(mock, time.perf_counter() - t0)
                self._drop_content(collection)
        # The key holds ids of live objects: keep them referenced so an id is never reused.
        self._state_key, self._state_refs = key, (mock, settings, collection, environment)
        self._state = reason if reason is not None else self._served
        return self._state  # type: ignore[return-value]

    def _ahead(self, mock: MockConfig) -> Callable[[Served], None] | None:
        """For a large version: the decisions of its static examples' plain calls, made on its
        preparing thread and handed to `answers_ahead`, which finishes their replies."""
        finish = self.answers_ahead
        if finish is None:
            return None
        delay = mock.delay_ms

        def ahead(served: Served) -> None:
            finish(mock, served, (_remembered(served, result, response, delay)
                                  for result, response in served.static_calls()))
        return ahead

    @staticmethod
    def _options(mock: MockConfig) -> MatchOptions:
        return MatchOptions(match_body=mock.match_body, match_headers=mock.match_headers)

    def _stale(self, mock: MockConfig) -> bool:
        """Whether the served version no longer fits the mock's inputs (looked at cheaply)."""
        assert self._collection is not None and self._served_key is not None
        return (self._served_key[2:] != (mock.match_body, mock.match_headers) or self._collection.stale()
                or self._environment is not self._served_environment
                or (self._environment is not None and self._environment.stale()))

    def _meanwhile(self, mock: MockConfig, settings: Settings) -> Served | str:
        """While a new version builds, the old one answers (for the mock's current settings)."""
        assert self._served is not None
        return _why_inactive(mock, True, True, settings) or self._served

    def _adopt(self, rebuild: Rebuild, mock: MockConfig) -> None:
        """Swap in what a finished rebuild made, if it still fits the mock's inputs."""
        if rebuild.result is None:
            return  # it failed (and said why): the next call looks again
        collection, environment, served = rebuild.result
        if rebuild.collection_file is not self._collection or rebuild.environment_file is not self._environment:
            return  # the mock moved to another environment meanwhile
        if served is None:  # the collection or environment went away: deactivated below
            return
        if self._served is not None:
            self._served.release()
        self._served = served
        self._now = _LOOK_AGAIN  # what `current()` kept may be the version just released
        self._served_key = (id(collection), id(environment), mock.match_body, mock.match_headers)
        self._served_environment = rebuild.environment_file
        self._serving(mock, rebuild.seconds)
        self._emptied = collection  # the rebuild emptied it once it had built the version

    def _drop_content(self, collection: Doc | None) -> None:
        """Empty a large collection's document once its matcher is built, on a thread, a piece
        at a time: at 100k examples it is hundreds of MB that nothing reads again. The empty
        object stays as the version's identity; a new build reads the file again."""
        assert self._served is not None
        if collection and len(self._served.matcher.examples) >= ASIDE_FROM:
            self._emptied = collection
            threading.Thread(target=release_in_steps, args=(collection,), name="postmock-release",
                             daemon=True).start()

    def _serving(self, mock: MockConfig, seconds: float) -> None:
        assert self._served is not None
        self.builds += 1
        self.last_build_s = seconds
        log.info("postmock: mock %s: serving %d example(s) (indexed in %.2f s)", mock.name,
                 len(self._served.matcher.examples), seconds)

    def warm(self) -> None:
        """Build the matcher now, so the first call does not wait for it."""
        mock = self.config()
        if mock is not None:
            self.served(mock)

    def hosts(self) -> frozenset[Origin]:
        """The (host, port) pairs this mock answers for in proxy mode."""
        served = self.current()[1]
        return served.hosts if isinstance(served, Served) else frozenset()

    def masks(self) -> SecretValues:
        """The mock's secret environment values, masked wherever it shows more than an answer."""
        return self.current()[2]

    def current(self) -> tuple[MockConfig | None, Served | str | None, SecretValues]:
        """(configuration, matcher or why it is deactivated, secret environment values) as they
        are now: looked up once per call, so every part of one answer sees the same version."""
        clock, seen = time.monotonic(), replacements()
        until, seen_then, now = self._now
        if clock < until and seen == seen_then:
            return now  # looked at within RELOAD_CHECK, and this process replaced no file since
        mock = self.config()
        if mock is None:
            now = None, None, _NO_MASKS
        else:
            served = self.served(mock)
            now = mock, served, served.masks if isinstance(served, Served) else _NO_MASKS
        self._now = (clock + RELOAD_CHECK, seen, now)
        return now

    # -- deciding -----------------------------------------------------------------------------
    def decide(self, request: HttpRequest, api_key: str | None, standalone: bool = True,
               now: tuple[MockConfig | None, Served | str | None, SecretValues] | None = None,
               received: HttpRequest | None = None) -> Decision:
        """How to answer `request` (already redacted, as recorded examples are); `api_key` is the
        raw x-api-key header; `now` is what `current()` gave for this call (looked up when not
        given); `received` is the request as it came, which templates insert (None: `request`).
        The caller's own data goes back to the caller; the call log masks what was redacted."""
        mock, served, _ = self.current() if now is None else now
        if mock is None or served is None:
            return Decision("not-found", mock_not_found())
        if isinstance(served, str):
            return Decision("not-found", mock_not_found(served))
        delay = request_delay(request, mock.delay_ms)
        result = None
        if is_preflight(request):
            # Answered for the collection's own OPTIONS example if one matches, else by us; a
            # browser sends no credentials with a preflight, so it never needs a key.
            result = served.match(request)
            if result.example is None:
                return Decision("preflight", preflight(request), example_name="CORS preflight",
                                delay_ms=delay)
        if mock.private and not self.catalog.keys.verify(api_key, mock.id):
            # At once: a caller without a key must not hold a connection open for a delay.
            return Decision("unauthorized", invalid_credentials(), example_name="Invalid credentials")
        outage = mock.active_server_response
        if outage is not None:
            return Decision("server-response", server_response(outage),
                            example_name=f"Server response: {outage.name}", delay_ms=delay)
        if result is None:
            result = served.match(request)
        if result.example is not None and result.example.status < 200:
            ex = result.example
            return Decision("mocked", interim_status(ex.name, ex.status), ex.id, ex.name, result.score, delay)
        if result.example is not None:
            response, stable = served.render(result, request if received is None else received, mock.seed)
            if not stable or not served.remembers(request):
                return Decision("mocked", response, result.example.id, result.example.name, result.score, delay,
                                stable=stable, kept=served.replies if stable else None, kept_cap=served.cache_cap)
            return _remembered(served, result, response, delay)
        if mock.on_miss == "error" or _explicit(request):
            body = mask_data(not_found_body(result), served.masks)
            return Decision("miss", json_response(result.status, body, "Not Found"), delay_ms=delay)
        forward = None
        if standalone:
            forward = served.origins[0] if served.origins else None
            if forward is None:
                body = not_found_body(result)
                body["postmock"] = {**body.get("postmock", {}), "passthrough":
                                    "the collection names no http(s) base URL to pass this call to"}
                return Decision("miss", json_response(502, mask_data(body, served.masks), "Bad Gateway"),
                                delay_ms=delay)
        return Decision(mock.on_miss, forward=forward, strip=KEY_NAMES if mock.private else ())


def _remembered(served: Served, result: MatchResult, response: HttpResponse, delay: int) -> Decision:
    """The decision for a remembered match of a static example: the same every time it is
    answered with this delay, so made once."""
    kept = served.decisions.get(id(result))
    if kept is None or kept[0] is not result or kept[1] is not response or kept[2].delay_ms != delay:
        if len(served.decisions) >= served.cache_cap:
            served.decisions.clear()
        example = result.example
        assert example is not None
        kept = served.decisions[id(result)] = (result, response, Decision(
            "mocked", response, example.id, example.name, result.score, delay, stable=True,
            kept=served.replies, kept_cap=served.cache_cap))
    return kept[2]  # type: ignore[no-any-return]


def _explicit(request: HttpRequest) -> bool:
    """Whether the caller asked for one example by x-mock-* header: a miss is then an answer."""
    return any(request.header(h) is not None for h in _SELECTORS)
