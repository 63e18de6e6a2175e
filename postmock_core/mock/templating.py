"""An example's response made ready to send: dynamic variables, request data, wildcard captures.

In one left-to-right pass over the body (and header values):

- `{{$guid}}`, `{{$timestamp}}`, `{{$random...}}`: fresh values (`dynamic`);
- `{{$body}}`, `{{$body 'a.b' 'default'}}` (`a\\.b` for a key with a dot, numbers index lists),
  `{{$queryParams 'q'}}`, `{{$pathSegments '0'}}`, `{{$headers 'h'}}`: the request's data;
- `{{var}}`: the value a wildcard `{{var}}` in the example's URL captured.

Anything else stays as written. Because the pass never looks at what it inserted, request data
containing `{{$guid}}` comes back literally. A binary example body is sent as is.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from postmock_core.exchange import HttpRequest, HttpResponse, wire_bytes
from postmock_core.history import safejson
from postmock_core.matching.examples import Example
from postmock_core.matching.pathscore import split_path
from postmock_core.postman.dynamic import generate

__all__ = ["render", "render_text"]

_TOKEN = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_HELPER = re.compile(r"^(\$[A-Za-z]\w*)((?:\s+(?:'[^']*'|\"[^\"]*\"))*)$")
_ARG = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_DOT = re.compile(r"(?<!\\)\.")
_MISSING = object()

# Headers that described the recorded bytes, not the body this example now sends.
_STALE = {"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _RequestData:
    """The parts of the request a template can ask for, parsed on first use."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._body: Any = None
        self._parsed = False

    def body(self) -> Any:
        if not self._parsed:
            self._parsed = True
            text = self.request.body.decode("utf-8", "replace")
            ctype = (self.request.header("content-type") or "").lower()
            try:
                self._body = safejson.loads(text)
            except ValueError:
                if "x-www-form-urlencoded" in ctype:
                    self._body = dict(parse_qsl(text, keep_blank_values=True))
        return self._body

    def lookup(self, helper: str, args: list[str]) -> str | None:
        key = args[0] if args else None
        default = args[1] if len(args) > 1 else None
        r = self.request
        if helper == "$body":
            if key is None:
                return r.body.decode("utf-8", "replace")
            value = _path_get(self.body(), key)
            if value is _MISSING:
                return default if default is not None else ""
            return _text(value)  # JSON null prints as null
        elif helper == "$queryParams":
            if key is None:
                return _text(dict(reversed(r.query)))
            value = next((v for k, v in r.query if k == key), None)
        elif helper == "$pathSegments":
            segs = split_path(r.path)[0]
            if key is None:
                return _text(list(segs))
            value = segs[int(key)] if key.strip().isdecimal() and int(key) < len(segs) else None
        elif helper == "$headers":
            if key is None:
                return _text({k: v for k, v in reversed(r.headers)})
            value = r.header(key)
        else:
            return None
        if value is None:
            return default if default is not None else ""
        return _text(value)


def _path_get(data: Any, path: str) -> Any:
    """object-path lookup: `a.b.0.c`, with `a\\.b` naming the key `a.b`; `_MISSING` if absent."""
    for part in _DOT.split(path):
        key = re.sub(r"\\+\.", ".", part)
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdecimal() and int(key) < len(data):  # int('²') fails
            data = data[int(key)]
        else:
            return _MISSING
    return data


def render_text(text: str, request: HttpRequest, captures: Mapping[str, str],
                rng: random.Random | None = None, data: _RequestData | None = None) -> str:
    """`text` with every template token this module knows replaced, in one pass."""
    if "{{" not in text:
        return text
    data = data or _RequestData(request)

    def sub(m: re.Match[str]) -> str:
        inner = m.group(1)
        if not inner.startswith("$"):
            value = captures.get(inner)
            return m.group(0) if value is None else value
        h = _HELPER.match(inner)
        if h is None:
            return m.group(0)
        name, rest = h.group(1), h.group(2)
        if not rest:
            value = generate(name, rng)
            if value is not None:
                return value
        args = [a.group(1) if a.group(1) is not None else a.group(2) for a in _ARG.finditer(rest)]
        value = data.lookup(name, args)
        return m.group(0) if value is None else value

    return _TOKEN.sub(sub, text)


def render(example: Example, request: HttpRequest, captures: Mapping[str, str] | None = None,
           rng: random.Random | None = None) -> HttpResponse:
    """The response to send for `example` answering `request`."""
    caps = captures or {}
    data = _RequestData(request)
    headers = [(k, render_text(v, request, caps, rng, data)) for k, v in example.response_headers
               if k.lower() not in _STALE]
    if example.body_blob:
        body = example.body
    else:
        # Request data that was not UTF-8 goes back as the bytes it came as.
        body = wire_bytes(render_text(example.response_body, request, caps, rng, data))
    try:
        reason = example.reason or HTTPStatus(example.status).phrase
    except ValueError:
        reason = example.reason
    return HttpResponse(status=example.status, reason=reason, headers=headers, body=body)
