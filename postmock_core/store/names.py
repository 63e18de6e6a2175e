"""Names people give things (collections, environments, mocks, keys, examples): one line of text.

A name ends up in file contents, tables, log lines and headers (`X-Mock-Example-Name`), so it
may hold no control character, no line or paragraph separator, and patterns that check names or
IDs match the whole text (`re.fullmatch`: `$` would let a trailing newline through).
"""

from __future__ import annotations

import unicodedata

from postmock_core.errors import PostmockError

__all__ = ["check_name", "has_control"]

_CONTROL = frozenset({"Cc", "Zl", "Zp"})


def has_control(text: str) -> bool:
    """Whether `text` holds a control character or a line break of any kind."""
    return any(unicodedata.category(c) in _CONTROL for c in text)


def check_name(name: str, what: str, limit: int = 200) -> str:
    """`name` without surrounding spaces; PostmockError when empty, too long or not one clean line."""
    if has_control(name):  # before stripping: "x\n" is not "x"
        raise PostmockError(f"{what} {name[:40]!r} must be one line of at most {limit} characters, "
                            f"without control characters")
    name = name.strip()
    if not name:
        raise PostmockError(f"{what} cannot be empty")
    if len(name) > limit:
        raise PostmockError(f"{what} {name[:40]!r} must be one line of at most {limit} characters, "
                            f"without control characters")
    return name
