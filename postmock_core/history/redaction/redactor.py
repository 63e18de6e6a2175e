"""The `Redactor`: secrets out of a request, a response or a whole exchange, on a copy.

Two passes. The first redacts by place (credential headers, secret keys in the query and in
bodies of every shape, key patterns in text, JWTs) and collects every value it removed. The
second cuts those values out of every other place of the same exchange: the response's body and
headers, the path, the query. So what an echo API or a redirect repeats is gone too.

The same `Redactor` runs on recorded exchanges, on imports, on a live request before it is
matched, and on the answers a mock passes through, so a redacted recording still matches the
live call it came from.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from postmock_core.exchange import (
    Exchange,
    Headers,
    HttpRequest,
    HttpResponse,
    SharedHeaders,
    header,
)
from postmock_core.history import codecs
from postmock_core.history.redaction.bodies import Context, redact_body, redact_value
from postmock_core.history.redaction.headers import redact_credential
from postmock_core.history.redaction.rules import (
    DEFAULT_HEADERS,
    DEFAULT_KEYS,
    DEFAULT_QUERY_KEYS,
    PLACEHOLDER,
    Rules,
)
from postmock_core.history.redaction.text import might_hold_secrets, scrub_text
from postmock_core.history.redaction.values import SecretValues

__all__ = ["Redactor", "redact_url"]

# Clean header lines remembered per redactor (then forgotten all at once).
CLEAN_CAP = 4096

_USERINFO = re.compile(r"(?<=//)[^/?#@\s]*@")


def _request_with(req: HttpRequest, headers: Headers, body: bytes, query: list[tuple[str, str]],
                  path: str) -> HttpRequest:
    # Built directly: dataclasses.replace costs more than the rest of redacting a plain GET.
    return HttpRequest(req.method, req.scheme, req.host, req.port, path, query, headers, body, req.http_version)


def _with_length(headers: Headers, body: bytes, before: bytes) -> Headers:
    if body == before:
        return headers
    # A replay must not announce the length of the body before redaction.
    return [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]


@dataclass(frozen=True)
class Redactor:
    """Which headers, which body keys and which URL-only keys hold secrets (any spelling)."""

    headers: frozenset[str] = frozenset(DEFAULT_HEADERS)
    keys: frozenset[str] = frozenset(DEFAULT_KEYS)
    query_keys: frozenset[str] = frozenset(DEFAULT_QUERY_KEYS)

    @classmethod
    def build(cls, headers: Iterable[str] = DEFAULT_HEADERS, keys: Iterable[str] = DEFAULT_KEYS,
              query_keys: Iterable[str] = DEFAULT_QUERY_KEYS) -> Redactor:
        """A redactor from name lists (as options and settings give them)."""
        def names(values: Iterable[str]) -> frozenset[str]:
            return frozenset(v.strip().lower() for v in values if v.strip())
        return cls(names(headers), names(keys), names(query_keys))

    @cached_property
    def rules(self) -> Rules:
        return Rules.build(self.headers, self.keys, self.query_keys)

    @cached_property
    def _clean_headers(self) -> set[tuple[str, str]]:
        # Header lines these rules found nothing in: the same ones come on every call.
        return set()

    # -- first pass: by place -------------------------------------------------------------------
    def _decoded(self, headers: Headers, body: bytes, places: list[str]) -> tuple[Headers, bytes]:
        """A body still in its Content-Encoding is decoded; one that cannot be, or that would
        decode to more than `codecs.REQUEST_LIMIT` (a compression bomb), is not kept."""
        encoding = (header(headers, "content-encoding") or "").strip().lower()
        if not encoding or encoding == "identity":
            return headers, body
        if body:
            try:
                body = codecs.decode(body, encoding, codecs.REQUEST_LIMIT)
            except codecs.TooLarge:
                places.append(f"body:dropped, it decodes to more than {codecs.REQUEST_LIMIT} bytes")
                body = b""
            except ValueError:
                places.append("body:dropped, its content encoding could not be undone")
                body = b""
        return [(k, v) for k, v in headers if k.lower() != "content-encoding"], body

    def _message(self, headers: Headers, body: bytes, places: list[str],
                 found: SecretValues) -> tuple[Headers, bytes]:
        original = body
        headers, body = self._decoded(headers, body, places)
        rules = self.rules
        new_body = redact_body(body, header(headers, "content-type"), rules, found, places)
        out = []
        clean = self._clean_headers
        for k, v in headers:
            if (k, v) in clean:  # seen before, with nothing to redact (a server's hot path)
                out.append((k, v))
                continue
            where = f"header:{k.lower()}"
            if rules.header(k):
                nv = redact_credential(k, v, found)
                if nv != v:
                    places.append(where)
            else:
                seen = len(places)
                nv = scrub_text(v, rules, found, places, where)
                if nv == v and len(places) == seen:
                    if len(clean) >= CLEAN_CAP:
                        clean.clear()
                    clean.add((k, v))
            out.append((k, nv))
        return _with_length(out, new_body, original), new_body

    def _request(self, req: HttpRequest, places: list[str], found: SecretValues) -> HttpRequest:
        headers, body = self._message(req.headers, req.body, places, found)
        ctx = Context(self.rules, found, places)
        query = []
        for k, v in req.query:
            if self.rules.url_key(k):
                if v != PLACEHOLDER:
                    found.add(v)
                    places.append(f"query:{k}")
                query.append((k, PLACEHOLDER))
            else:
                query.append((k, redact_value(v, ctx, f"query:{k}")))
        path = scrub_text(req.path, self.rules, found, places, "path")
        return _request_with(req, headers, body, query, path)

    # -- second pass: the values found, wherever they are -----------------------------------------
    @staticmethod
    def _follow(headers: Headers, body: bytes, found: SecretValues, places: list[str]) -> tuple[Headers, bytes]:
        out = []
        for k, v in headers:
            nv = found.scrub(v)
            if nv != v:
                places.append(f"header:{k.lower()} (a secret value)")
            out.append((k, nv))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            new_body = found.scrub_bytes(body)
        else:
            new_text = found.scrub(text)
            new_body = body if new_text == text else new_text.encode("utf-8", "surrogateescape")
        if new_body != body:
            places.append("body (a secret value)")
        return _with_length(out, new_body, body), new_body

    def follow_request(self, req: HttpRequest, found: SecretValues, places: list[str] | None = None) -> HttpRequest:
        """`req` without any spelling of the values in `found`."""
        places = [] if places is None else places
        if not found:
            return req
        headers, body = self._follow(req.headers, req.body, found, places)
        query = [(found.scrub(k), found.scrub(v)) for k, v in req.query]
        path = found.scrub(req.path)
        if query != req.query or path != req.path:
            places.append("url (a secret value)")
        return _request_with(req, headers, body, query, path)

    def follow_response(self, resp: HttpResponse, found: SecretValues,
                        places: list[str] | None = None) -> HttpResponse:
        """`resp` without any spelling of the values in `found`."""
        places = [] if places is None else places
        if not found:
            return resp
        headers, body = self._follow(resp.headers, resp.body, found, places)
        return dataclasses.replace(resp, headers=headers, body=body)

    # -- whole messages -------------------------------------------------------------------------
    def is_plain(self, req: HttpRequest) -> bool:
        """Whether `req` has nothing to redact, known cheaply: no body, no query, a path without
        a pattern to look for, and header lines all found clean before (a server's usual call)."""
        if req.body or req.query or might_hold_secrets(req.path):
            return False
        headers = req.headers
        if type(headers) is not SharedHeaders:
            return self._clean_headers.issuperset(headers)
        if headers.clean_for is not self:
            if not self._clean_headers.issuperset(headers):
                return False
            headers.clean_for = self  # the same lines are clean under the same rules on every call
        return True

    def request(self, req: HttpRequest, places: list[str] | None = None,
                found: SecretValues | None = None) -> HttpRequest:
        """A redacted copy of `req`; the secret values removed are added to `found`."""
        if self.is_plain(req):
            return req
        places = [] if places is None else places
        found = SecretValues() if found is None else found
        return self.follow_request(self._request(req, places, found), found, places)

    def response(self, resp: HttpResponse, places: list[str] | None = None,
                 found: SecretValues | None = None) -> HttpResponse:
        """A redacted copy of `resp`, also without the values in `found` (its request's secrets)."""
        places = [] if places is None else places
        found = SecretValues() if found is None else found
        headers, body = self._message(resp.headers, resp.body, places, found)
        return self.follow_response(dataclasses.replace(resp, headers=headers, body=body), found, places)

    def exchange(self, ex: Exchange, also: Iterable[str] = ()) -> Exchange:
        """A redacted copy of `ex`, listing where secrets were found in `redacted`.

        `also`: more values to treat as secret (a URL's userinfo, which the request type drops).
        """
        found = SecretValues()
        found.update(list(also))
        req_places: list[str] = []
        resp_places: list[str] = []
        req = self._request(ex.request, req_places, found)
        resp = None
        if ex.response is not None:
            headers, body = self._message(ex.response.headers, ex.response.body, resp_places, found)
            resp = dataclasses.replace(ex.response, headers=headers, body=body)
        req = self.follow_request(req, found, req_places)
        if resp is not None:
            resp = self.follow_response(resp, found, resp_places)
        error = found.scrub(ex.error) if ex.error else ex.error
        places = [f"request.{p}" for p in req_places] + [f"response.{p}" for p in resp_places]
        return dataclasses.replace(ex, request=req, response=resp, error=error,
                                   redacted=sorted(set(ex.redacted + places)))

    def url(self, url: str) -> str:
        """`url` fit for a message: no userinfo, secret query and fragment values replaced."""
        return scrub_text(_USERINFO.sub("", url), self.rules, SecretValues(), [], "url")


def redact_url(url: str) -> str:
    """`url` fit for an error message, by the built-in rules (see `Redactor.url`)."""
    return Redactor().url(url)
