"""Secrets out before anything is written: redaction rules are data, applied to a copy.

The same `Redactor` runs on recorded exchanges, on imports, and on a live request before it is
matched, so a redacted recording still matches the live call it came from.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from postmock_core.exchange import Exchange, Headers, HttpRequest, HttpResponse, header

__all__ = ["DEFAULT_HEADERS", "DEFAULT_KEYS", "PLACEHOLDER", "Redactor"]

PLACEHOLDER = "[REDACTED]"

# Header names whose values are credentials (compared case-insensitively).
DEFAULT_HEADERS: tuple[str, ...] = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "x-refresh-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-session-token",
    "x-amz-security-token",
    "x-goog-api-key",
    "private-token",
)

# Query, form and JSON keys whose values are credentials (compared case-insensitively).
DEFAULT_KEYS: tuple[str, ...] = (
    "api_key",
    "apikey",
    "api-key",
    "key_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "auth_token",
    "token",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "private_key",
    "session_token",
)


def _cookie_pairs(value: str) -> str:
    parts = []
    for part in value.split(";"):
        name, sep, _ = part.strip().partition("=")
        # A pair without "=" is a nameless cookie: the text is its value (RFC 6265bis).
        parts.append(f"{name}={PLACEHOLDER}" if sep else PLACEHOLDER if part.strip() else "")
    return "; ".join(p for p in parts if p)


def _redact_header_value(name: str, value: str) -> str:
    lname = name.lower()
    if value == PLACEHOLDER or PLACEHOLDER in value:
        return value
    if lname in ("authorization", "proxy-authorization"):
        scheme, sep, _ = value.partition(" ")
        return f"{scheme} {PLACEHOLDER}" if sep and scheme.isalpha() else PLACEHOLDER
    if lname == "cookie":
        return _cookie_pairs(value)
    if lname == "set-cookie":
        first, sep, attributes = value.partition(";")
        cname, eq, _ = first.strip().partition("=")
        redacted = f"{cname}={PLACEHOLDER}" if eq else PLACEHOLDER
        return redacted + sep + attributes
    return PLACEHOLDER


@dataclass(frozen=True)
class Redactor:
    """Which headers and which query/form/JSON keys are secrets."""

    headers: frozenset[str] = frozenset(DEFAULT_HEADERS)
    keys: frozenset[str] = frozenset(DEFAULT_KEYS)

    @classmethod
    def build(cls, headers: Iterable[str] = DEFAULT_HEADERS, keys: Iterable[str] = DEFAULT_KEYS) -> Redactor:
        return cls(frozenset(h.strip().lower() for h in headers if h.strip()),
                   frozenset(k.strip().lower() for k in keys if k.strip()))

    # -- pieces -------------------------------------------------------------------------------
    def redact_headers(self, headers: Headers, places: list[str]) -> Headers:
        out = []
        for k, v in headers:
            if k.lower() in self.headers:
                nv = _redact_header_value(k, v)
                if nv != v:
                    places.append(f"header:{k.lower()}")
                out.append((k, nv))
            else:
                out.append((k, v))
        return out

    def redact_pairs(self, pairs: list[tuple[str, str]], where: str, places: list[str]) -> list[tuple[str, str]]:
        out = []
        for k, v in pairs:
            if k.lower() in self.keys and v != PLACEHOLDER:
                places.append(f"{where}:{k}")
                out.append((k, PLACEHOLDER))
            else:
                out.append((k, v))
        return out

    def _redact_json(self, value: Any, path: str, places: list[str]) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if isinstance(k, str) and k.lower() in self.keys and v != PLACEHOLDER:
                    places.append(f"json:{path}.{k}")
                    out[k] = PLACEHOLDER
                else:
                    out[k] = self._redact_json(v, f"{path}.{k}", places)
            return out
        if isinstance(value, list):
            return [self._redact_json(v, f"{path}[{i}]", places) for i, v in enumerate(value)]
        return value

    def redact_body(self, body: bytes, content_type: str | None, places: list[str]) -> bytes:
        """Redact secret keys in a JSON or form body; any other body is returned unchanged."""
        if not body or not self.keys:
            return body
        ct = (content_type or "").lower()
        stripped = body.lstrip()[:1]
        if "json" in ct or (not ct and stripped in (b"{", b"[")):
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                return body
            found: list[str] = []
            redacted = self._redact_json(data, "$", found)
            if not found:
                return body
            places.extend(found)
            text = json.dumps(redacted, ensure_ascii=False, separators=(",", ":"))
            try:
                return text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate (a "\ud800" escape): keep it escaped
                return json.dumps(redacted, separators=(",", ":")).encode("ascii")
        if "x-www-form-urlencoded" in ct:
            try:
                pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except (UnicodeDecodeError, ValueError):
                return body
            found = []
            new = self.redact_pairs(pairs, "form", found)
            if not found:
                return body
            places.extend(found)
            return urlencode(new).encode("ascii")
        return body

    # -- whole messages -----------------------------------------------------------------------
    def _message(self, headers: Headers, body: bytes, places: list[str]) -> tuple[Headers, bytes]:
        new_body = self.redact_body(body, header(headers, "content-type"), places)
        new_headers = self.redact_headers(headers, places)
        if new_body is not body:
            # A replay must not announce the length of the body before redaction.
            new_headers = [(k, str(len(new_body)) if k.lower() == "content-length" else v)
                           for k, v in new_headers]
        return new_headers, new_body

    def request(self, req: HttpRequest, places: list[str] | None = None) -> HttpRequest:
        """A redacted copy of `req`."""
        places = [] if places is None else places
        headers, body = self._message(req.headers, req.body, places)
        return dataclasses.replace(req, headers=headers, body=body,
                                   query=self.redact_pairs(req.query, "query", places))

    def response(self, resp: HttpResponse, places: list[str] | None = None) -> HttpResponse:
        """A redacted copy of `resp`."""
        places = [] if places is None else places
        headers, body = self._message(resp.headers, resp.body, places)
        return dataclasses.replace(resp, headers=headers, body=body)

    def exchange(self, ex: Exchange) -> Exchange:
        """A redacted copy of `ex`, listing where secrets were found in `redacted`."""
        places: list[str] = []
        req = self.request(ex.request, places)
        req_places = [f"request.{p}" for p in places]
        places = []
        resp = self.response(ex.response, places) if ex.response else None
        resp_places = [f"response.{p}" for p in places]
        return dataclasses.replace(ex, request=req, response=resp,
                                   redacted=sorted(set(ex.redacted + req_places + resp_places)))
