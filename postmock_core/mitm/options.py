"""Options every postmock addon shares, and how their bad values reach the user.

mitmproxy accepts an option registered twice only when name, type, default and help are
identical, so the recorder and the mock addon both call `add_home_option` rather than
spelling the option out themselves.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from mitmproxy import exceptions

from postmock_core.errors import PostmockError
from postmock_core.store.workspace import Workspace

__all__ = ["HOME_OPTION", "add_home_option", "one_line_option_errors", "workspace_from_options"]

A = TypeVar("A")

HOME_OPTION = "postmock_home"

_HOME_HELP = (
    "The postmock workspace folder that holds history, collections and mocks. "
    "Empty means $POSTMOCK_HOME, or ~/.postmock when that is not set."
)


def add_home_option(loader: Any) -> None:
    """Register `postmock_home` (str, default "") on a mitmproxy loader."""
    loader.add_option(HOME_OPTION, str, "", _HOME_HELP)


def workspace_from_options(value: str) -> Workspace:
    """Open the workspace named by `postmock_home`; bad folders raise `OptionsError`."""
    try:
        return Workspace.open(value or None)
    except PostmockError as e:
        raise exceptions.OptionsError(f"{HOME_OPTION}: {e}") from e


def one_line_option_errors(configure: Callable[[A, set[str]], None]) -> Callable[[A, set[str]], None]:
    """Report a bad option value as one line, whenever it is given.

    mitmproxy logs an exception from a script's first `configure` with a traceback. Before the
    proxy runs, the reason is logged as a single error line instead, and mitmproxy exits as it
    does for any startup error. Once running (the `set` command, mitmweb), `OptionsError` is
    raised as usual, so mitmproxy refuses the value and keeps the old one. The addon sets
    `self.is_running` in its `running` hook.
    """

    @functools.wraps(configure)
    def wrapper(self: A, updated: set[str]) -> None:
        try:
            configure(self, updated)
        except exceptions.OptionsError as e:
            if getattr(self, "is_running", False):
                raise
            logging.getLogger(type(self).__module__).error("%s", e)

    return wrapper
