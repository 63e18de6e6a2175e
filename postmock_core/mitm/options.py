"""Options every postmock addon shares, and how their bad values reach the user.

mitmproxy accepts an option registered twice only when name, type, default and help are
identical, so the recorder and the mock addon both call `add_home_option` rather than
spelling the option out themselves.
"""

from __future__ import annotations

import difflib
import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from mitmproxy import exceptions, optmanager
from mitmproxy.utils import typecheck

from postmock_core.errors import PostmockError
from postmock_core.store.workspace import Workspace

__all__ = [
    "HOME_OPTION",
    "PREFIX",
    "add_home_option",
    "check_given_values",
    "one_line_option_errors",
    "report_unknown_options",
    "workspace_from_options",
]

log = logging.getLogger(__name__)

A = TypeVar("A")

HOME_OPTION = "postmock_home"
PREFIX = "postmock_"

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


def _problem(opts: Any, name: str, given: Any) -> str | None:
    """Why `given` (a --set or config.yaml value) is not a valid value of option `name`."""
    option = opts._options[name]
    raw = given.val if isinstance(given, optmanager._UnconvertedStrings) else given
    shown = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    try:
        value = opts._parse_setval(option, raw) if isinstance(given, optmanager._UnconvertedStrings) else raw
        typecheck.check_option_type(name, value, option.typespec)
    except (exceptions.OptionsError, TypeError):
        if option.typespec is bool:
            return f"{name}={shown!r}: use true or false"
        if option.typespec is int:
            return f"{name}={shown!r}: use a whole number"
        return f"{name}={shown!r} is not a valid value"
    if option.choices and value not in option.choices:
        return f"{name}={shown!r}: use one of {', '.join(option.choices)}"
    return None


def check_given_values(loader: Any, names: Iterable[str]) -> None:
    """Check the values given for `names` before mitmproxy applies them; log each bad one.

    mitmproxy holds `--set` values for a script's options until the script registers them,
    and a value it cannot convert then makes it drop the whole script without a word: the
    proxy runs on, forwarding and recording nothing. A bad value is logged as one error line
    (so mitmproxy exits at start-up) and removed, so the rest of the script still loads.
    """
    opts = loader.master.options
    for name in names:
        if name in opts.deferred and name in opts._options:
            problem = _problem(opts, name, opts.deferred[name])
            if problem:
                del opts.deferred[name]
                log.error("%s", problem)


def report_unknown_options(opts: Any) -> None:
    """Log an error for every `postmock_*` option given that no loaded addon knows (a typo)."""
    known = [k for k in opts._options if k.startswith(PREFIX)]
    for name in sorted(k for k in opts.deferred if k.startswith(PREFIX)):
        del opts.deferred[name]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(sorted(known))}"
        log.error("unknown option %s%s", name, hint)
