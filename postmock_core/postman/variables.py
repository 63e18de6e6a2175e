"""Postman variable substitution: `{{name}}` from collection and environment variables.

Follows the Postman Collection SDK: each pass replaces every innermost `{{token}}` (one with no
braces inside), so `{{a_{{b}}}}` resolves inside-out; passes repeat while something was
replaced, at most `MAX_DEPTH` times. Unknown names stay exactly as written, which is what makes
an unresolved `{{id}}` in an example URL a wildcard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "VARIABLE",
    "resolve",
    "resolve_json",
    "scope",
    "variable_names",
    "whole_variable",
]

# The SDK's own token pattern: the shortest `{{...}}` with no braces inside.
VARIABLE = re.compile(r"\{\{([^{}]*?)\}\}")

# The SDK's VARS_SUBREPLACE_LIMIT: how many substitution passes run at most.
MAX_DEPTH = 19

_WHOLE = re.compile(r"^\{\{([^{}]*?)\}\}$")


def _text(value: Any) -> str | None:
    """A variable value as Postman prints it; None for values Postman would not substitute."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def _items(value: Any) -> list[Any]:
    # A hand-edited file may hold anything here; what is not a list has no variables.
    return value if isinstance(value, list) else []


def scope(collection: Mapping[str, Any] | None = None,
          environment: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The variables in effect: the collection's, overridden by the environment's.

    Disabled collection variables and environment values with `enabled: false` are ignored.
    """
    values: dict[str, str] = {}
    for var in _items((collection or {}).get("variable")):
        if not isinstance(var, Mapping) or var.get("disabled") is True:
            continue
        key, text = var.get("key"), _text(var.get("value"))
        if isinstance(key, str) and key and text is not None:
            values[key] = text
    for var in _items((environment or {}).get("values")):
        if not isinstance(var, Mapping) or var.get("enabled") is False:
            continue
        key, text = var.get("key"), _text(var.get("value"))
        if isinstance(key, str) and key and text is not None:
            values[key] = text
    return values


def resolve(text: str, values: Mapping[str, str], depth: int = MAX_DEPTH) -> str:
    """`text` with every known `{{name}}` replaced, nested references resolved inside-out."""
    if "{{" not in text or not values:
        return text
    replaced = False

    def sub(m: re.Match[str]) -> str:
        nonlocal replaced
        value = values.get(m.group(1))
        if value is None:
            return m.group(0)
        replaced = True
        return value

    for _ in range(depth):
        replaced = False
        text = VARIABLE.sub(sub, text)
        if not replaced or "{{" not in text:
            break
    return text


def resolve_json(data: Any, values: Mapping[str, str]) -> Any:
    """A copy of a JSON-like value with variables resolved in every string (keys too)."""
    if isinstance(data, str):
        return resolve(data, values)
    if isinstance(data, list):
        return [resolve_json(v, values) for v in data]
    if isinstance(data, dict):
        return {resolve(k, values) if isinstance(k, str) else k: resolve_json(v, values)
                for k, v in data.items()}
    return data


def variable_names(text: str) -> list[str]:
    """The names of the `{{variables}}` still present in `text`, in order."""
    return VARIABLE.findall(text) if "{{" in text else []


def whole_variable(text: str) -> str | None:
    """The name when `text` is exactly one `{{name}}`, else None."""
    m = _WHOLE.match(text) if text.startswith("{{") else None
    return m.group(1) if m else None
