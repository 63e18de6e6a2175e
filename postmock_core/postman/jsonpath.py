"""Places inside a JSON document, for error messages: `$.item[3].response[0].code`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from postmock_core.errors import PostmockError

__all__ = ["MAX_DEPTH", "DocumentError", "check_depth", "child", "describe", "json_depth", "load_json_file"]

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")

# Deeper documents are refused: copying, writing and walking them would exhaust Python's stack.
# Real exports nest a few dozen levels (folders in folders, JSON bodies given as objects).
MAX_DEPTH = 200


def child(path: str, key: str | int) -> str:
    """The path of `key` (an index or a member name) below `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def describe(value: Any) -> str:
    """A short name of a JSON value's type for messages: 'a string', 'null', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def json_depth(value: Any, stop: int = MAX_DEPTH + 1) -> int:
    """How many levels of lists and objects `value` nests (0 for a scalar), counted without
    recursion and no further than `stop`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop:
                    return deepest
            stack.extend((v, depth) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def check_depth(value: Any) -> None:
    """Raise a `DocumentError` when `value` nests deeper than `MAX_DEPTH`."""
    if json_depth(value) > MAX_DEPTH:
        raise DocumentError("$", f"nested more than {MAX_DEPTH} levels deep (folders in folders, or "
                                 f"JSON in JSON); postmock reads documents up to {MAX_DEPTH} levels")


class DocumentError(PostmockError):
    """Something wrong at one place in a JSON document: the place and the problem."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def load_json_file(path: Path, action: str) -> Any:
    """Parse a user's JSON file; any failure is one line naming the file (`action` says what
    was being done, e.g. 'cannot import')."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise PostmockError(f"{action} {path}: it is a folder, not a file") from None
    except OSError as e:
        raise PostmockError(f"{action} {path}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PostmockError(f"{action} {path}: $: not UTF-8 text (byte {e.start}); "
                            f"nothing was changed") from None
    if not text.strip():
        raise PostmockError(f"{action} {path}: $: the file is empty; nothing was changed")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise PostmockError(f"{action} {path}: $: not valid JSON (line {e.lineno} column {e.colno}: "
                            f"{e.msg}); nothing was changed") from None
    except RecursionError:
        raise PostmockError(f"{action} {path}: $: JSON nested too deeply; nothing was changed") from None
