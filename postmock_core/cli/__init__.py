"""The `postmock` command: one sub-command module per noun, found in this package."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from postmock_core import __version__
from postmock_core.cli.common import Parser, add_home_option, help_when_incomplete, set_wide
from postmock_core.errors import PostmockError, log_to_stderr

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="postmock",
        description=(
            "Record HTTP(S) traffic through mitmproxy, turn it into Postman-style collections, "
            "and serve them as mock servers. All data lives in one workspace folder "
            "(--home, else $POSTMOCK_HOME, else ~/.postmock)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"postmock {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    add_home_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Each module `postmock_core.cli.<noun>` with a `register(sub)` adds its own commands.
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    help_when_incomplete(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
    except KeyboardInterrupt:  # Ctrl-C while the commands load: no traceback
        return 130
    args = parser.parse_args(argv)
    set_wide(getattr(args, "wide", False))
    log_to_stderr()
    if args.verbose:
        # Our own debug details, and the proxy's progress; other libraries' debug output (a
        # password-hashing library probing its backends, say) is noise to a user.
        logging.getLogger("postmock_core").setLevel(logging.DEBUG)
        logging.getLogger("mitmproxy").setLevel(logging.INFO)
    try:
        result = args.func(args)
    except PostmockError as e:
        # One line, even when the message quotes input holding line breaks (\x85, \u2028, ...).
        print(f"postmock: error: {' '.join(str(e).splitlines())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `postmock history list | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
