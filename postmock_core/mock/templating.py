"""An example's response made ready to send: dynamic variables, request data, wildcard captures.

Placeholders, left to right in the body and header values:

- `{{$guid}}`, `{{$timestamp}}`, `{{$random...}}`: fresh values (`postman.dynamic`);
- `{{$body}}`, `{{$body 'a.b' 'default'}}` (`a\\.b` for a key with a dot, numbers index lists),
  `{{$queryParams 'q'}}`, `{{$pathSegments '0'}}`, `{{$headers 'h'}}`: the request's data;
- `{{var}}`: the value a wildcard `{{var}}` in the example's URL captured.

Anything else stays as written. Inserted text is never looked at again, so request data
containing `{{$guid}}` comes back literally. A binary example body is sent as is.

Where the body is a JSON object or array, each placeholder is filled so the body stays JSON:
inside a string the value is escaped; standing alone as a value it goes in bare when it is a
JSON number, `true`, `false` or `null` (as Postman would insert it), else as a JSON string.

A template is parsed once per version of an example (kept in `Example.memo`); a call only
fills it in. A seed (the mock's, or the caller's `x-mock-seed` header) makes every value of
the answer the same on every call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from postmock_core.exchange import HttpRequest, HttpResponse, wire_bytes
from postmock_core.history import safejson
from postmock_core.matching.examples import Example
from postmock_core.mock.requestdata import RequestData
from postmock_core.postman.dynamic import DYNAMIC, Draw, draw

__all__ = ["SEED_HEADER", "is_static", "render", "render_text", "request_seed", "static_response",
           "unknown_variables"]

SEED_HEADER = "x-mock-seed"

_TOKEN = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_HELPER = re.compile(r"^(\$[A-Za-z]\w*)((?:\s+(?:'[^']*'|\"[^\"]*\"))*)$")
_ARG = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_HELPERS = frozenset({"$body", "$queryParams", "$pathSegments", "$headers"})
# JSON text: a string literal, a placeholder outside any string, or anything else.
_JSON_PIECE = re.compile(r'(?P<string>"[^"\\]*(?:\\.[^"\\]*)*")|\{\{\s*(?P<token>[^{}]*?)\s*\}\}|[^"{]+|.',
                         re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_START = frozenset("-0123456789")
_LITERALS = frozenset({"true", "false", "null"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_WS = " \t\r\n"

# Where a placeholder sits: plain text, inside a JSON string, alone as a JSON value, as a key.
_RAW, _STRING, _BARE, _KEY = range(4)

# Headers that described the recorded bytes, not the body this example now sends.
_STALE = {"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"}


def _escape(text: str) -> str:
    """`text` as it goes between the quotes of a JSON string."""
    if '"' not in text and "\\" not in text and text.isprintable():  # the common case, fast
        return text
    # A lone surrogate (bytes that were not UTF-8) must be \u-escaped to stay valid JSON.
    return json.dumps(text, ensure_ascii=_SURROGATE.search(text) is not None)[1:-1]


def _bare(value: Any) -> str:
    """`value` standing alone as a JSON value: numbers and literals bare, the rest as JSON."""
    if isinstance(value, str):
        if value in _LITERALS or value[:1] in _NUMBER_START and _NUMBER.fullmatch(value):
            return value
        return f'"{_escape(value)}"'
    try:
        out = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or Infinity from a lenient JSON request body
        return f'"{_escape(str(value))}"'
    return out if _SURROGATE.search(out) is None else json.dumps(value, separators=(",", ":"))


@dataclass(slots=True)
class _Call:
    """What filling a template in needs from one call."""

    draw: Draw
    data: RequestData
    captures: Mapping[str, str]


Fill = Callable[[_Call], str]


def _place(text: str, ctx: int) -> str:
    """Text (a value, or a placeholder left as written) placed where the placeholder was."""
    if ctx == _STRING:
        return _escape(text)
    if ctx == _KEY:
        return f'"{_escape(text)}"'
    if ctx == _BARE:
        return _bare(text)
    return text


def _as_written(token: str, ctx: int) -> str:
    """A placeholder nothing answers, left as written (as a JSON string where one must be)."""
    return f'"{_escape(token)}"' if ctx in (_BARE, _KEY) else token


def _slot(token: str, inner: str, ctx: int, unknown: list[str]) -> Fill | str:
    """How to fill one placeholder: a function of the call, or fixed text."""
    if ctx == _STRING:
        try:  # inside a JSON string the placeholder is written with JSON escapes
            inner = json.loads(f'"{inner}"')
        except ValueError:
            pass
    left = _as_written(token, ctx)
    if not inner.startswith("$"):
        return lambda c: _place(value, ctx) if (value := c.captures.get(inner)) is not None else left
    h = _HELPER.match(inner)
    name, rest = (h.group(1), h.group(2)) if h else ((inner.split() or [inner])[0], "?")
    gen = DYNAMIC.get(name)
    if gen is not None and not rest:
        if ctx == _RAW:
            return lambda c: gen(c.draw)
        if ctx == _STRING:
            return lambda c: _escape(gen(c.draw))
        if ctx == _BARE:
            return lambda c: _bare(gen(c.draw))
        return lambda c: _place(gen(c.draw), ctx)
    if h is not None and name in _HELPERS:
        args = tuple(a.group(1) if a.group(1) is not None else a.group(2) for a in _ARG.finditer(rest))
        if ctx == _BARE:
            return lambda c: _bare(c.data.lookup(name, args)[1])
        return lambda c: _place(c.data.lookup(name, args)[0], ctx)
    if gen is None and name not in _HELPERS:
        unknown.append(name)
    return left


@dataclass(frozen=True, slots=True)
class _Template:
    """A text split into fixed pieces and the placeholders between them."""

    head: str
    slots: tuple[tuple[Fill, str], ...]
    unknown: tuple[str, ...]  # `$names` that are neither dynamic variables nor helpers

    def fill(self, call: _Call) -> str:
        if not self.slots:
            return self.head
        out = [self.head]
        for fill, text in self.slots:
            out.append(fill(call))
            out.append(text)
        return "".join(out)


def _build(text: str, tokens: list[tuple[int, int, str, int]]) -> _Template:
    """A template from `text` and its placeholders (start, end, inner text, context)."""
    unknown: list[str] = []
    pieces: list[Fill | str] = []
    pos = 0
    for start, end, inner, ctx in tokens:
        pieces.append(text[pos:start])
        pieces.append(_slot(text[start:end], inner, ctx, unknown))
        pos = end
    pieces.append(text[pos:])
    # Fixed pieces merge with their neighbours, so a call joins only what it must.
    head, slots, current, fill = "", [], [], None
    for p in pieces:
        if isinstance(p, str):
            current.append(p)
            continue
        if fill is None:
            head = "".join(current)
        else:
            slots.append((fill, "".join(current)))
        fill, current = p, []
    if fill is None:
        head = "".join(current)
    else:
        slots.append((fill, "".join(current)))
    return _Template(head, tuple(slots), tuple(dict.fromkeys(unknown)))


def _plain_tokens(text: str) -> list[tuple[int, int, str, int]]:
    return [(m.start(), m.end(), m.group(1), _RAW) for m in _TOKEN.finditer(text)]


def _neighbour(text: str, i: int, step: int) -> str:
    """The first character from `i` on (step 1) or back (step -1) that is not whitespace."""
    while 0 <= i < len(text) and text[i] in _WS:
        i += step
    return text[i] if 0 <= i < len(text) else ""


def _json_tokens(text: str) -> list[tuple[int, int, str, int]] | None:
    """The placeholders of a JSON object or array with their contexts, or None if not JSON."""
    tokens: list[tuple[int, int, str, int]] = []
    standin: list[str] = []
    for m in _JSON_PIECE.finditer(text):
        if m.group("string"):  # placeholders inside a string literal are escaped
            tokens += [(t.start(), t.end(), t.group(1), _STRING)
                       for t in _TOKEN.finditer(text, m.start() + 1, m.end() - 1)]
            standin.append(m.group(0))
        elif m.group("token") is not None:
            before, after = _neighbour(text, m.start() - 1, -1), _neighbour(text, m.end(), 1)
            alone = before in ("", "[", "{", ",", ":") and after in ("", "]", "}", ",", ":")
            ctx = (_KEY if after == ":" else _BARE) if alone else _RAW
            tokens.append((m.start(), m.end(), m.group("token"), ctx))
            standin.append('""' if ctx == _KEY else "0")
        else:
            standin.append(m.group(0))
    if not tokens:
        return None
    try:
        doc = safejson.loads("".join(standin))
    except ValueError:
        return None
    return tokens if isinstance(doc, dict | list) else None


def _compile(text: str, json_body: bool = False) -> _Template:
    if "{{" not in text:
        return _Template(text, (), ())  # nothing to fill: most examples
    tokens = _json_tokens(text) if json_body else None
    return _build(text, tokens if tokens is not None else _plain_tokens(text))


def _is_json(example: Example) -> bool:
    ctype = next((v for k, v in example.response_headers if k.lower() == "content-type"), None)
    return ctype is None or "json" in ctype.lower()


def _templates(example: Example) -> tuple[tuple[tuple[str, _Template], ...], _Template | None]:
    """The example's header and body templates, parsed on its first call and kept with it."""
    memo = example.memo
    if memo is None:
        memo = example.memo = {}
    parsed = memo.get("templates")
    if parsed is None:
        headers = tuple((k, _compile(v)) for k, v in example.response_headers
                        if k.lower() not in _STALE)
        body = None if example.body_blob else _compile(example.response_body, _is_json(example))
        parsed = memo["templates"] = (headers, body)
    return parsed  # type: ignore[no-any-return]


def request_seed(request: HttpRequest, configured: int | None = None) -> int | str | None:
    """The seed for this answer: the caller's `x-mock-seed` header, else the mock's."""
    asked = request.header(SEED_HEADER)
    if asked is None or not asked.strip():
        return configured
    text = asked.strip()
    try:
        return int(text)
    except ValueError:
        return text  # any text seeds as well as a number


def render_text(text: str, request: HttpRequest, captures: Mapping[str, str],
                seed: int | str | None = None) -> str:
    """`text` with every placeholder this module knows replaced, as plain text."""
    if "{{" not in text:
        return text
    return _compile(text).fill(_Call(draw(seed), RequestData(request), captures))


def render(example: Example, request: HttpRequest, captures: Mapping[str, str] | None = None,
           seed: int | None = None) -> HttpResponse:
    """The response to send for `example` answering `request` (`seed`: the mock's, if any)."""
    headers, body_template = _templates(example)
    if not any(t.slots for _, t in headers) and (body_template is None or not body_template.slots):
        out_headers = [(k, t.head) for k, t in headers]
        body = example.body if body_template is None else wire_bytes(body_template.head)
    else:
        call = _Call(draw(request_seed(request, seed)), RequestData(request), captures or {})
        out_headers = [(k, t.fill(call)) for k, t in headers]
        # Request data that was not UTF-8 goes back as the bytes it came as.
        body = example.body if body_template is None else wire_bytes(body_template.fill(call))
    return HttpResponse(status=example.status, reason=_reason(example), headers=out_headers, body=body)


def is_static(example: Example) -> bool:
    """Whether the example's response has no template to fill: the same on every call."""
    return "{{" not in example.response_body and not any("{{" in v for _, v in example.response_headers)


def static_response(example: Example) -> HttpResponse | None:
    """What `render` gives for an example with no template to fill (the same on every call),
    made without parsing anything; None when the example has a template."""
    if not is_static(example):
        return None
    text = example.response_body
    headers = [h for h in example.response_headers if h[0].lower() not in _STALE]
    body = example.body if example.body_blob else wire_bytes(text)
    return HttpResponse(status=example.status, reason=_reason(example), headers=headers, body=body)


def _reason(example: Example) -> str:
    if example.reason:
        return example.reason
    try:
        return HTTPStatus(example.status).phrase
    except ValueError:
        return example.reason


def unknown_variables(example: Example) -> tuple[str, ...]:
    """The `{{$names}}` in the example's response that no dynamic variable answers to."""
    headers, body = _templates(example)
    names = [n for _, t in headers for n in t.unknown] + list(body.unknown if body else ())
    return tuple(dict.fromkeys(names))
