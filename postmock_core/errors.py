"""The one exception type a user sees: a single line saying what is wrong and what to do."""

from __future__ import annotations

import logging

__all__ = ["NotFoundError", "PostmockError", "log_to_stderr"]


class PostmockError(Exception):
    """An error meant for the user: its message is one line, printed without a traceback."""


class NotFoundError(PostmockError):
    """The thing named does not exist (an HTTP edge answers 404 for it, the CLI the same line)."""


class _OnePrefix(logging.Formatter):
    """`postmock: WARNING: text`, with `postmock: ` once: most messages begin with it already."""

    def format(self, record: logging.LogRecord) -> str:
        return f"postmock: {record.levelname}: {super().format(record).removeprefix('postmock: ')}"


def log_to_stderr(level: int = logging.WARNING) -> None:
    """Log records as one `postmock: LEVEL: text` line each on stderr (once per process)."""
    handler = logging.StreamHandler()
    handler.setFormatter(_OnePrefix())
    logging.basicConfig(level=level, handlers=[handler])
