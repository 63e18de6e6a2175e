"""The one exception type a user sees: a single line saying what is wrong and what to do."""

from __future__ import annotations

__all__ = ["PostmockError"]


class PostmockError(Exception):
    """An error meant for the user: its message is one line, printed without a traceback."""
