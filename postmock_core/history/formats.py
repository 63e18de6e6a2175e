"""Which postmock command reads a file: a file given to the wrong importer names the right one."""

from __future__ import annotations

from typing import Any

__all__ = ["right_command"]

_COMMANDS = {
    "har": "postmock history import FILE (or: postmock collection create NAME --from-har FILE)",
    "collection": "postmock collection import FILE",
    "environment": "postmock env import FILE",
}


def _kind(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("log"), dict) and "entries" in data["log"]:
        return "har"
    if "info" in data and ("item" in data or "requests" in data) or isinstance(data.get("collection"), dict):
        return "collection"
    if isinstance(data.get("values"), list):
        return "environment"
    return None


def right_command(data: Any, expected: str) -> str:
    """' (this is a Postman collection: use ...)' when `data` is another kind than `expected`
    (har, collection, environment); else ''."""
    kind = _kind(data)
    if kind is None or kind == expected:
        return ""
    what = {"har": "a HAR file", "collection": "a Postman collection", "environment": "a Postman environment"}
    return f" (this is {what[kind]}: use {_COMMANDS[kind]})"
