"""The one exception type a user sees: a single line saying what is wrong and what to do."""

from __future__ import annotations

__all__ = ["NotFoundError", "PostmockError"]


class PostmockError(Exception):
    """An error meant for the user: its message is one line, printed without a traceback."""


class NotFoundError(PostmockError):
    """The thing named does not exist (an HTTP edge answers 404 for it, the CLI the same line)."""
