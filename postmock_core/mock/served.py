"""One version of a served collection: its matcher, its API's origins, and what calls repeat.

A `Served` is derived from one version of a collection, its environment and the mock's
matching options, and replaced whole when any of them changes; it remembers, for that version
only, the match of each plain call and the rendered response of each static example.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.matching.examples import Example
from postmock_core.matching.matcher import Matcher, MatchOptions, MatchResult
from postmock_core.mock.privacy import environment_masks
from postmock_core.mock.templating import render
from postmock_core.postman.variables import scope
from postmock_core.store.blobs import BlobStore

__all__ = ["CACHE_CAP", "Origin", "Served", "collection_origins", "origin_of"]

Doc = dict[str, Any]
Origin = tuple[str, int]  # (lower-case host, port)

_DEFAULT_PORTS = {"http": 80, "https": 443}
CACHE_CAP = 10_000  # remembered matches and rendered responses per served version


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
    for url in [*base, *urls]:
        o = origin_of(url)
        if o is not None and o not in found:
            found.append(o)
    return found


def _plain(request: HttpRequest) -> bool:
    """No body and no x-mock-* header: the match then depends on method, path and query only."""
    if request.body:
        return False
    for k, _ in request.headers:
        if k[:7].lower() == "x-mock-":
            return False
    return True


def _static(example: Example) -> bool:
    """Whether the example's response has no template to fill: then it is the same every call."""
    return "{{" not in example.response_body and not any("{{" in v for _, v in example.response_headers)


class Served:
    """What one version of a collection + environment + options derives: matcher and origins.

    It also remembers, per version, the match of each plain call and the rendered response of
    each static example (bounded), so a repeated call costs a dictionary lookup.
    """

    def __init__(self, collection: Doc, environment: Doc | None, options: MatchOptions,
                 blobs: BlobStore) -> None:
        self.matcher = Matcher(collection, environment, options, blobs)
        urls = [ex.url for ex in self.matcher.examples if not ex.error]
        self.origins = collection_origins(collection, environment, urls)
        self.hosts: frozenset[Origin] = frozenset((h, p) for _, h, p in self.origins)
        self.masks = environment_masks(environment)
        self._cacheable = not options.match_headers
        self._matches: dict[tuple[Any, ...], MatchResult] = {}
        self._rendered: dict[int, HttpResponse] = {}

    def match(self, request: HttpRequest) -> MatchResult:
        """The matcher's answer to `request` (remembered for plain calls)."""
        if not self._cacheable or not _plain(request):
            return self.matcher.match(request)
        key = (request.method, request.path, *request.query)
        result = self._matches.get(key)
        if result is None:
            if len(self._matches) >= CACHE_CAP:
                self._matches.clear()
            result = self._matches[key] = self.matcher.match(request)
        return result

    def render(self, result: MatchResult, request: HttpRequest,
               seed: int | None = None) -> tuple[HttpResponse, bool]:
        """The matched example's response to `request`, and whether it is a remembered one
        (a static example: the same object on every call)."""
        example = result.example
        assert example is not None
        response = self._rendered.get(id(example))  # examples live as long as this version
        if response is not None:
            return response, True
        response = render(example, request, result.captures, seed)
        if not _static(example):
            return response, False
        if len(self._rendered) >= CACHE_CAP:
            self._rendered.clear()
        self._rendered[id(example)] = response
        return response, True
