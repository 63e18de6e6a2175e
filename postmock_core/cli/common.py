"""What every sub-command shares: the workspace option, tables, progress bars, parsing helpers."""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NoReturn, TypeVar

from postmock_core.errors import PostmockError
from postmock_core.store.workspace import Workspace

__all__ = [
    "Parser",
    "add_home_option",
    "add_yes_option",
    "command",
    "confirm",
    "group",
    "help_when_incomplete",
    "parse_headers",
    "parse_ids",
    "plural",
    "print_json",
    "print_table",
    "progress",
    "set_wide",
    "warn_unreadable",
    "whole_number",
    "workspace",
]

T = TypeVar("T")

# An ID range is expanded in memory: a typo like 1-99999999999 must not exhaust it.
MAX_RANGE = 1_000_000

_HOME_HELP = "workspace folder (default: $POSTMOCK_HOME or ~/.postmock)"


def add_home_option(parser: argparse.ArgumentParser) -> None:
    """--home DIR and --wide, accepted at every level of the command line."""
    # SUPPRESS keeps a sub-command's default from hiding an option given before it.
    parser.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help=_HOME_HELP)
    parser.add_argument("--wide", action="store_true", default=argparse.SUPPRESS,
                        help="never shorten table cells to fit the terminal")


class Parser(argparse.ArgumentParser):
    """argparse, plus "did you mean" for a mistyped command or option."""

    def error(self, message: str) -> NoReturn:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            close = difflib.get_close_matches(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)), n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
        unknown = re.search(r"unrecognized arguments: (.*)", message)
        if unknown:
            known = sorted(_option_strings(self))
            for word in unknown.group(1).split():
                close = difflib.get_close_matches(word.split("=", 1)[0], known, n=1) if word.startswith("-") else []
                if close:
                    message += f"; did you mean {close[0]} for {word}?"
        super().error(message)


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option of a parser and of the commands below it."""
    found = set(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found |= _option_strings(child)
    return found


def command(sub: Any, name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
    """A sub-parser that accepts --home too, so it works before or after the command name."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=description or help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_home_option(parser)
    return parser


def group(sub: Any, name: str, help: str, description: str | None = None) -> tuple[argparse.ArgumentParser, Any]:
    """A command that holds commands (`postmock history ...`): the parser and its sub-commands."""
    parser = command(sub, name, help, description)
    return parser, parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")


def help_when_incomplete(parser: argparse.ArgumentParser) -> None:
    """A command group given without its sub-command prints its help (as `postmock` alone does)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            action.required = False
            parser.set_defaults(func=lambda _args, p=parser: p.print_help() or 0)
            for child in action.choices.values():
                help_when_incomplete(child)


def workspace(args: argparse.Namespace) -> Workspace:
    """The workspace chosen by --home / $POSTMOCK_HOME / the default, created on first use."""
    return Workspace.open(getattr(args, "home", None))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


_WIDE = False  # --wide: tables never shortened
_MIN_COLUMN = 8  # a shortened column keeps at least this many characters (or its header)


def set_wide(wide: bool) -> None:
    """Whether tables may run past the terminal's width (`--wide`)."""
    global _WIDE
    _WIDE = wide


def _fit_widths(widths: list[int], floors: list[int], room: int) -> list[int]:
    """Narrow the widest columns, one character at a time, until the row fits in `room`."""
    widths = list(widths)
    while sum(widths) + 2 * (len(widths) - 1) > room:
        shrinkable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: (widths[i], i))
        widths[widest] -= 1
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """An aligned text table; the last column is never padded.

    On a terminal it fits the window: the widest columns are shortened with `…` (never below
    a few characters). `--wide`, or output to a pipe or file, keeps every cell whole.
    """
    cells = [[str(h) for h in headers]] + [
        [" ".join(("" if c is None else str(c)).splitlines()) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if not _WIDE and sys.stdout.isatty():
        floors = [min(w, max(len(str(h)), _MIN_COLUMN)) for w, h in zip(widths, headers)]
        widths = _fit_widths(widths, floors, shutil.get_terminal_size().columns)
        cells = [[_cut(c, w) for c, w in zip(r, widths)] for r in cells]
    for r in cells:
        line = "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths[:-1]))
        print((line + "  " + r[-1]).rstrip() if len(r) > 1 else r[0])


def progress(items: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, unit="", disable=None, file=sys.stderr,
                    leave=False, dynamic_ncols=True)


def parse_ids(values: Iterable[str]) -> list[int]:
    """IDs given as `3 5 9` or `3,5,9` (or ranges like `3-9`)."""
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                if "-" in part[1:]:
                    lo, hi = (int(x) for x in part.split("-", 1))
                    if hi - lo >= MAX_RANGE:
                        raise PostmockError(f"range {part!r} spans more than {MAX_RANGE:,} IDs; "
                                            f"use --before or the selection flags for that many")
                    ids.extend(range(lo, hi + 1))
                else:
                    ids.append(int(part))
            except ValueError:
                raise PostmockError(f"{part!r} is not an ID: use numbers like 3,5,9 or 3-9") from None
    return ids


def parse_headers(values: list[str] | None) -> list[tuple[str, str]]:
    """`-H 'Name: value'` flags as (name, value) pairs; a malformed one is one error line."""
    out = []
    for v in values or []:
        k, sep, val = v.partition(":")
        if not sep or not k.strip():
            raise PostmockError(f"header {v!r} must look like 'Name: value'")
        out.append((k.strip(), val.strip()))
    return out


def whole_number(text: str) -> int:
    """An argparse type: a whole number of at least 0."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 0")
    return n


def warn_unreadable(unreadable: Sequence[Any], what: str) -> None:
    """One line on stderr per store file a listing had to skip, naming it and why."""
    for u in unreadable:
        print(f"postmock: warning: {what} file {u.path} cannot be read ({u.reason}); it is left as "
              f"it is: restore it from a backup or move it aside", file=sys.stderr)


def add_yes_option(parser: argparse.ArgumentParser) -> None:
    """`-y/--yes` (also `--force`): do what a command would otherwise ask about first."""
    parser.add_argument("-y", "--yes", "--force", dest="yes", action="store_true",
                        help="do not ask first (needed when there is no terminal to ask on)")


def confirm(args: argparse.Namespace, question: str) -> None:
    """Ask `question` on the terminal unless --yes; without a terminal, refuse rather than guess."""
    if getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise PostmockError(f"{question} There is no terminal to ask on: pass --yes to go ahead")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise PostmockError("not confirmed; nothing was changed")


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 request`, `2 requests`; `many` for nouns that do not just take an s."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"
