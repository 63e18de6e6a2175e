"""One version of a served collection: its matcher, its API's origins, and what calls repeat.

A `Served` is derived from one version of a collection, its environment and the mock's
matching options, and replaced whole when any of them changes; it remembers, for that version
only, the match of each plain call and the rendered response of each static example.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from postmock_core.exchange import HttpRequest, HttpResponse, SharedHeaders
from postmock_core.matching.examples import Example
from postmock_core.matching.matcher import Matcher, MatchOptions, MatchResult
from postmock_core.mock.privacy import environment_masks
from postmock_core.mock.templating import is_static, render, static_response
from postmock_core.postman.variables import scope
from postmock_core.store.blobs import BlobStore
from postmock_core.store.jsonsteps import release_in_steps
from postmock_core.store.watch import WatchedFile, file_signature

__all__ = ["ASIDE_FROM", "CACHE_CAP", "Origin", "Rebuild", "Served", "collection_origins", "kept_for_long",
           "origin_of"]

log = logging.getLogger(__name__)

Doc = dict[str, Any]
Origin = tuple[str, int]  # (lower-case host, port)

_DEFAULT_PORTS = {"http": 80, "https": 443}
CACHE_CAP = 10_000  # remembered matches and rendered responses per served version, at least
# Collections this large are rebuilt on a thread while the old version keeps answering; a
# smaller one is rebuilt before the next call (quick, and that call sees the edit).
ASIDE_FROM = 2_000
# The bodies a large version's answers made ahead may hold, at most, in bytes (blobs never are).
AHEAD_BYTES = 256 << 20


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, lower-case host, port) of an absolute http(s) URL, else None."""
    if "://" not in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "{{" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def collection_origins(collection: Doc, environment: Doc | None, urls: Iterable[str]) -> list[tuple[str, str, int]]:
    """Where the collection's API lives: its base URL variables first, then each request's host."""
    found: list[tuple[str, str, int]] = []
    values = scope(collection, environment)
    base = [v for k, v in values.items() if k == "baseUrl" or k.startswith("baseUrl_")]
    seen: set[str] = set()
    for url in [*base, *urls]:
        # Only the part before the path decides the origin: each is looked at once.
        start = url.find("://")
        end = min((i for i in (url.find(c, start + 3) for c in "/?#") if i >= 0), default=len(url))
        head = url[:end] if start >= 0 else url
        if head in seen:
            continue
        seen.add(head)
        o = origin_of(head)
        if o is not None and o not in found:
            found.append(o)
    return found


@contextlib.contextmanager
def kept_for_long(young_first: bool = False) -> Iterator[None]:
    """Allocate what will live as long as a served version, with the cyclic GC kept out.

    The garbage collector is paused while a collection is parsed and indexed (millions of
    objects, none of them garbage), and what was made is then frozen: a collection walking it
    would stall every thread, calls included, for as long as it takes. `young_first`: the young
    generations are collected before the freeze, so garbage that calls answered meanwhile left
    in reference cycles is freed rather than kept for good.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if young_first:
            gc.collect(1)
        gc.freeze()
        if enabled:
            gc.enable()


def _plain_call(example: Example) -> HttpRequest | None:
    """The plain call a client sends for an example with a literal URL (path and query as
    written), else None."""
    url = example.url
    if (example.error or example.wildcards or example.request_body is not None or example.body_blob
            or "{{" in url or any(seg[:1] == ":" for seg in example.path)):
        return None
    start = url.find("://")
    start = url.find("/", start + 3 if start >= 0 else 0)
    if start < 0:
        return HttpRequest(example.method, "http", "", 80, "/", [], [], b"")
    target = url[start:].partition("#")[0]
    path, _, query = target.partition("?")
    return HttpRequest(example.method, "http", "", 80, path,
                       parse_qsl(query, keep_blank_values=True) if query else [], [], b"")


def _plain(request: HttpRequest) -> bool:
    """No body and no x-mock-* header: the match then depends on method, path and query only."""
    if request.body:
        return False
    if type(request.headers) is SharedHeaders:
        return not request.headers.x_mock
    for k, _ in request.headers:
        if k[:7].lower() == "x-mock-":
            return False
    return True


class Served:
    """What one version of a collection + environment + options derives: matcher and origins.

    It also remembers, per version, the match of each plain call and the rendered response of
    each static example (bounded), so a repeated call costs a dictionary lookup.
    """

    def __init__(self, collection: Doc, environment: Doc | None, options: MatchOptions,
                 blobs: BlobStore, then: Callable[[Served], None] | None = None) -> None:
        """`then`, for a large version: called on its preparing thread once the matcher is ready
        for misses (see `MockRuntime`, which makes the answers of static examples ahead there)."""
        with kept_for_long():
            self.matcher = Matcher(collection, environment, options, blobs)
        urls = [ex.url for ex in self.matcher.examples if not ex.error]
        self.origins = collection_origins(collection, environment, urls)
        self.hosts: frozenset[Origin] = frozenset((h, p) for _, h, p in self.origins)
        self.masks = environment_masks(environment)
        self._cacheable = not options.match_headers
        # As many as the collection has examples: a load spread over all of them stays cached.
        self.cache_cap = CACHE_CAP + len(self.matcher.examples)
        self._matches: dict[tuple[Any, ...], MatchResult] = {}
        self._rendered: dict[int, HttpResponse] = {}
        # A large collection's first miss would make its typo table and path shapes while every
        # other call waits: they are made on a thread now instead.
        self.preparing: threading.Thread | None = None
        self._then = then
        self.released = False
        # What an engine finishes from a remembered response (see `MockService`), per version.
        self.replies: dict[Any, Any] = {}
        # The runtime's decisions for remembered responses, per version (see `MockRuntime.decide`).
        self.decisions: dict[Any, Any] = {}
        if len(self.matcher.examples) >= ASIDE_FROM:  # last: the thread uses all of the above
            self.preparing = threading.Thread(target=self._prepare, name="postmock-prepare", daemon=True)
            self.preparing.start()

    def _prepare(self) -> None:
        with kept_for_long():
            self.matcher.prepare_for_misses()
        if self._then is not None:
            try:
                self._then(self)
            except Exception as e:  # noqa: BLE001 - one line: the mock keeps answering without them
                log.error("postmock: making a mock's answers ahead failed (%r); each is made on its first call", e)

    def release(self) -> None:
        """Free this version on a thread, a piece at a time (see `release_in_steps`); it must
        no longer be used. What it still makes for its first miss is finished first."""
        self.released = True
        threading.Thread(target=self._release, name="postmock-release", daemon=True).start()

    def _release(self) -> None:
        if self.preparing is not None:
            self.preparing.join()
        release_in_steps(self)

    def remembers(self, request: HttpRequest) -> bool:
        """Whether `match` remembers its answer to `request` (the same object every time)."""
        return self._cacheable and _plain(request)

    def match(self, request: HttpRequest) -> MatchResult:
        """The matcher's answer to `request` (remembered for plain calls)."""
        if not self.remembers(request):
            return self.matcher.match(request)
        key = (request.method, request.path, *request.query)
        result = self._matches.get(key)
        if result is None:
            if len(self._matches) >= self.cache_cap:
                self._matches.clear()
            result = self._matches[key] = self.matcher.match(request)
        return result

    def static_calls(self) -> Iterator[tuple[MatchResult, HttpResponse]]:
        """(match, response) of the plain call a client sends for each example with a literal
        URL, when a static response answers it; both are then remembered. For making answers
        ahead: it stops once the version is released, or past `AHEAD_BYTES` of bodies."""
        if not self._cacheable:
            return  # nothing is remembered: each call is matched on its own
        budget = AHEAD_BYTES
        for example in self.matcher.examples:
            if self.released or budget <= 0:
                return
            request = _plain_call(example)
            if request is None or not is_static(example):
                continue
            result = self.match(request)
            if result.example is None or result.example.status < 200 or result.example.body_blob:
                continue  # a blob's body is read on the call that needs it
            response, stable = self.render(result, request)
            if stable:
                budget -= len(response.body)
                yield result, response

    def render(self, result: MatchResult, request: HttpRequest,
               seed: int | None = None) -> tuple[HttpResponse, bool]:
        """The matched example's response to `request`, and whether it is a remembered one
        (a static example: the same object on every call)."""
        example = result.example
        assert example is not None
        response = self._rendered.get(id(example))  # examples live as long as this version
        if response is not None:
            return response, True
        response = static_response(example)
        if response is None:
            return render(example, request, result.captures, seed), False
        if len(self._rendered) >= self.cache_cap:
            self._rendered.clear()
        self._rendered[id(example)] = response
        return response, True


class Rebuild:
    """A new `Served` built on a thread from the files as they are now.

    `result` is (collection, environment, served) once `done()`: `served` None when the
    collection or environment could not be read. The watched files are primed with what was
    read, so the version swapped in is never read and built a second time. The collection
    document is emptied once the version is built: only its identity is used afterwards.
    """

    def __init__(self, collection_file: WatchedFile[Doc | None], environment_file: WatchedFile[Doc | None] | None,
                 options: MatchOptions, blobs: BlobStore, read: Callable[[Path], Doc | None],
                 then: Callable[[Served], None] | None = None) -> None:
        self.collection_file = collection_file
        self.environment_file = environment_file
        self.result: tuple[Doc | None, Doc | None, Served | None] | None = None
        self.seconds = 0.0
        self._args = (options, blobs, read, then)
        self._thread = threading.Thread(target=self._run, name="postmock-rebuild", daemon=True)
        self._thread.start()

    def done(self) -> bool:
        return not self._thread.is_alive()

    def _run(self) -> None:
        options, blobs, read, then = self._args
        t0 = time.perf_counter()
        try:
            with kept_for_long():
                # The signature is taken before reading: a file changed meanwhile is read again.
                c_sig = file_signature(self.collection_file.path)
                collection = read(self.collection_file.path)
                environment = e_sig = None
                if self.environment_file is not None:
                    e_sig = file_signature(self.environment_file.path)
                    environment = read(self.environment_file.path)
                missing = collection is None or (self.environment_file is not None and environment is None)
                served = None if missing else Served(collection, environment, options, blobs, then)  # type: ignore[arg-type]
        except Exception:
            log.exception("postmock: rebuilding a mock's matcher failed; the previous version answers")
            return
        self.seconds = time.perf_counter() - t0
        if served is not None:
            # Only the version's identity is needed from here on (see `MockRuntime`): emptied
            # now, on this thread, while the previous version still answers.
            release_in_steps(collection)
        # Primed here, in order, so the caller's next look finds this version's inputs.
        old = self.collection_file.prime(collection, c_sig)
        if self.environment_file is not None:
            self.environment_file.prime(environment, e_sig)
        self.result = (collection, environment, served)
        if old is not None and old is not collection:
            release_in_steps(old)  # the previous document: nothing reads it any more
