"""Options every postmock addon shares, registered with one fixed signature.

mitmproxy accepts an option registered twice only when name, type, default and help are
identical, so the recorder and the mock addon both call `add_home_option` rather than
spelling the option out themselves.
"""

from __future__ import annotations

from typing import Any

from mitmproxy import exceptions

from postmock_core.errors import PostmockError
from postmock_core.workspace import Workspace

__all__ = ["HOME_OPTION", "add_home_option", "workspace_from_options"]

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
