"""JSON read only when it is shallow enough to walk and write back without deep recursion.

Python's `json` recurses once per level of nesting, when reading and when writing, so a body
nested a few thousand levels deep raises `RecursionError` wherever it is parsed. Everything that
parses bodies sent by strangers (redaction, body matching, templating) reads them through
`loads`, which refuses such a body with a `ValueError` like any other JSON it cannot read.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

__all__ = ["MAX_DEPTH", "loads", "too_deep"]

# Far deeper than any real API nests, and far below the interpreter's recursion limit.
MAX_DEPTH = 200

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects of JSON-like `text` nest deeper than `limit` (strings ignored)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def loads(text: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """`json.loads`, but ValueError for JSON nested deeper than `limit` (and for bad UTF-8)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if too_deep(text, limit):
        raise ValueError(f"JSON nested deeper than {limit} levels")
    try:
        return json.loads(text)
    except RecursionError:  # only when the caller is already deep in the stack
        raise ValueError(f"JSON nested too deeply to read here (limit {limit})") from None
