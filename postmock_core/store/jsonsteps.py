"""Parsing, and freeing, a large JSON document in small steps, so other threads keep running.

`json.loads` holds the GIL from start to end: on a 50 MB collection, a server thread waits
that long. `loads_in_steps` walks the outer containers (objects and arrays down to `depth`)
in Python and hands each inner value to the C decoder, so the interpreter can switch threads
between values. It returns exactly what `json.loads` would, and raises the same errors.

Dropping the last reference to such a document frees it all in one go, holding the GIL just
as long; `release_in_steps` empties its big containers piece by piece instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["loads_in_steps", "release_in_steps"]

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()  # type: ignore[union-attr]  # matches the empty string


def _fail(message: str, text: str, i: int) -> json.JSONDecodeError:
    return json.JSONDecodeError(message, text, i)


# A property name and its colon, in one match (a name with escapes is decoded by json).
_KEY = re.compile(r'[ \t\n\r]*"((?:[^"\\\x00-\x1f]|\\.)*)"[ \t\n\r]*:[ \t\n\r]*')
_NEXT = re.compile(r"[ \t\n\r]*([,}\]])[ \t\n\r]*")

Walk = frozenset[str] | None


# With `walk`, an array's item is decoded in one go when no walked name follows within this
# many characters: it cannot hold one (a Postman request, not a folder) unless that name
# comes this far into it.
WHOLE_BEFORE = 64 * 1024


class _Ahead:
    """Where the next walked property name (`"item"`) may be, found at C speed."""

    __slots__ = ("at", "markers", "text")

    def __init__(self, text: str, walk: frozenset[str]) -> None:
        self.text = text
        self.markers = tuple(f'"{name}"' for name in walk)
        self.at = -1  # not looked for yet

    def clear(self, i: int) -> bool:
        """Whether the item starting at `i` cannot hold a walked name within WHOLE_BEFORE."""
        if self.at < i:
            found = [p for m in self.markers if (p := self.text.find(m, i)) >= 0]
            self.at = min(found) if found else len(self.text)
        return self.at - i > WHOLE_BEFORE or self.at == len(self.text)


def _value(text: str, i: int, depth: int, walk: Walk, ahead: _Ahead | None = None) -> tuple[Any, int]:
    if depth > 0:
        c = text[i:i + 1]
        if c == "{":
            if ahead is not None and ahead.clear(i):
                return _DECODER.raw_decode(text, i)
            return _object(text, i, depth - 1, walk, ahead)
        if c == "[":
            return _array(text, i, depth - 1, walk, ahead)
    return _DECODER.raw_decode(text, i)


def _key(text: str, i: int) -> tuple[str, int]:
    """A property name at `i` (spaces before it allowed) and where its value starts."""
    m = _KEY.match(text, i)
    if m is not None:
        key = m.group(1)
        return (_DECODER.decode(f'"{key}"') if "\\" in key else key), m.end()
    i = _skip(text, i)  # not a well-formed name: find what json.loads would say about it
    if text[i:i + 1] != '"':
        raise _fail("Expecting property name enclosed in double quotes", text, i)
    key, i = _DECODER.raw_decode(text, i)
    i = _skip(text, i)
    if text[i:i + 1] != ":":
        raise _fail("Expecting ':' delimiter", text, i)
    return key, _skip(text, i + 1)


def _next(text: str, i: int, close: str) -> tuple[bool, int]:
    """After a value: (True, past `close`) at the end, else (False, where the next item starts)."""
    m = _NEXT.match(text, i)
    if m is None or m.group(1) not in (",", close):
        raise _fail("Expecting ',' delimiter", text, _skip(text, i))
    if m.group(1) == close:
        return True, m.start(1) + 1
    return False, m.end()


def _object(text: str, i: int, depth: int, walk: Walk, ahead: _Ahead | None) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i:i + 1] == "}":
        return out, i + 1
    while True:
        key, i = _key(text, i)
        if walk is None or key in walk:
            value, i = _value(text, i, depth, walk, ahead)
        else:
            value, i = _DECODER.raw_decode(text, i)
        out[key] = value
        end, i = _next(text, i, "}")
        if end:
            return out, i


def _array(text: str, i: int, depth: int, walk: Walk, ahead: _Ahead | None) -> tuple[list[Any], int]:
    out: list[Any] = []
    i = _skip(text, i + 1)
    if text[i:i + 1] == "]":
        return out, i + 1
    while True:
        value, i = _value(text, i, depth, walk, ahead)
        out.append(value)
        end, i = _next(text, i, "]")
        if end:
            return out, i


def loads_in_steps(data: bytes | str, depth: int = 6, walk: Iterable[str] | None = None) -> Any:
    """`json.loads(data)`, giving other threads the GIL between values nested `depth` deep.

    With `walk`, an object's values are walked only under those property names (the rest go
    to the C decoder whole), while arrays and their objects are walked down to `depth`: for a
    document whose bulk hangs off a few known names, such as a Postman collection's `item`.
    An object in such an array goes to the C decoder whole too when no walked name follows
    within `WHOLE_BEFORE` characters (a request, not a folder): the same value, in one step.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    names = None if walk is None else frozenset(walk)
    i = _skip(text, 0)
    if names is None:
        value, end = _value(text, i, depth, None)
    elif text[i:i + 1] == "{":  # the root is walked; the items of its walked arrays may not be
        value, end = _object(text, i, depth - 1, names, _Ahead(text, names))
    else:
        value, end = _value(text, i, depth, names)
    end = _skip(text, end)
    if end != len(text):
        raise _fail("Extra data", text, end)
    return value


def release_in_steps(root: Any, depth: int = 4, large: int = 64) -> None:
    """Empty `root`'s containers a piece at a time, so freeing it never holds the GIL long.

    Lists, dicts and the attribute dicts of objects are emptied from the inside out, down to
    `depth` levels and deeper wherever one holds more than `large` items; anything smaller is
    freed whole, which is quick. Nothing else may use `root` or what it holds afterwards; two
    threads may empty the same object at once.
    """
    if not isinstance(root, list | dict):
        root = getattr(root, "__dict__", None)
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        top, level = stack[-1]
        try:  # another thread may be emptying the same containers: what it took is gone
            if isinstance(top, list):
                child = top.pop()
            elif isinstance(top, dict):
                child = top.popitem()[1]
            else:
                raise IndexError
        except (IndexError, KeyError):
            stack.pop()
            continue
        inner = getattr(child, "__dict__", None) if not isinstance(child, list | dict) else child
        if isinstance(inner, list | dict) and inner and (level < depth or len(inner) > large):
            stack.append((inner, level + 1))
        del child, inner  # freed here when this was the last reference (small by now)
