"""The parts of a request a response template can ask for: `{{$body 'a.b'}}`,
`{{$queryParams 'q'}}`, `{{$pathSegments '0'}}`, `{{$headers 'h'}}`, each with an optional default."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from postmock_core.exchange import HttpRequest
from postmock_core.history import safejson
from postmock_core.matching.pathscore import split_path

__all__ = ["RequestData"]

_DOT = re.compile(r"(?<!\\)\.")
_MISSING = object()


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class RequestData:
    """The parts of the request a template can ask for, parsed on first use."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._body: Any = _MISSING

    def body(self) -> Any:
        if self._body is _MISSING:
            self._body = None
            text = self.request.body.decode("utf-8", "replace")
            ctype = (self.request.header("content-type") or "").lower()
            try:
                self._body = safejson.loads(text)
            except ValueError:
                if "x-www-form-urlencoded" in ctype:
                    self._body = dict(parse_qsl(text, keep_blank_values=True))
        return self._body

    def lookup(self, helper: str, args: tuple[str, ...]) -> tuple[str, Any]:
        """(the text to insert, the value as JSON data) for one request-data helper."""
        key = args[0] if args else None
        default = args[1] if len(args) > 1 else None
        r = self.request
        value: Any
        if helper == "$body":
            if key is None:
                text = r.body.decode("utf-8", "replace")
                parsed = self.body()
                return text, parsed if isinstance(parsed, dict | list) else text
            value = _path_get(self.body(), key)
            if value is _MISSING:
                value = default if default is not None else ""
                return value, value
            return _text(value), value  # JSON null prints as null
        if helper == "$queryParams":
            if key is None:
                value = dict(reversed(r.query))
                return _text(value), value
            value = next((v for k, v in r.query if k == key), None)
        elif helper == "$pathSegments":
            segs = split_path(r.path)[0]
            if key is None:
                return _text(list(segs)), list(segs)
            value = segs[int(key)] if key.strip().isdecimal() and int(key) < len(segs) else None
        else:  # $headers
            if key is None:
                value = {k: v for k, v in reversed(r.headers)}
                return _text(value), value
            value = r.header(key)
        if value is None:
            value = default if default is not None else ""
        return value, value


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
