"""Postman auth in stored form: parameters as v2.1 key/value lists (v2.0 writes objects).

Postman's SDK reads every list or object inside `auth` as the parameters of the auth type it
is named after, looks them up by name in a plain JavaScript object and prints their values;
parts it would crash on are skipped (or printed as JSON text) and counted in `Notes`.
"""

from __future__ import annotations

from typing import Any

from postmock_core.postman.lenient import Notes, text_value

__all__ = ["normalize_auth"]

Doc = dict[str, Any]

# The SDK looks auth parameters up by name in a plain JavaScript object, where these names are
# already taken (and it crashes on them).
_JS_OBJECT_MEMBERS = frozenset({
    "constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "toString",
    "valueOf", "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__"})


def _printable(value: Any) -> bool:
    """Whether JavaScript can turn a JSON value into text: not an object with its own
    `toString` (nor a list holding one)."""
    if isinstance(value, dict):
        return "toString" not in value
    return all(_printable(v) for v in value) if isinstance(value, list) else True


def _auth_params(value: Any, notes: Notes) -> list[Doc]:
    """Auth parameters as a v2.1 key/value list (v2.0 writes an object)."""
    if isinstance(value, dict):
        value = [{"key": k, "value": v, "type": "string"} for k, v in value.items()]
    out = []
    for p in value:
        if not isinstance(p, dict) or not isinstance(p.get("key"), str) or p["key"] in _JS_OBJECT_MEMBERS:
            notes.add("odd field")
            continue
        p = dict(p)
        if "type" in p and not isinstance(p["type"], str):
            notes.add("odd field")
            del p["type"]
        if not _printable(p.get("value")):
            notes.add("odd field")
            p["value"] = text_value(p["value"])
        out.append(p)
    return out


def normalize_auth(value: Any, notes: Notes) -> Doc | None:
    """Auth with its parameters as v2.1 key/value lists; None when it is not readable."""
    if not isinstance(value, dict) or ("type" in value and not isinstance(value["type"], str)):
        if value is not None:
            notes.add("odd field")
        return None
    # The SDK reads every list or object in auth as the parameters of the type it is named after.
    return {k: _auth_params(v, notes) if k != "type" and isinstance(v, (dict, list)) else v
            for k, v in value.items()}
