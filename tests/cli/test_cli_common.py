"""Helpers every command shares."""

from __future__ import annotations

import pytest

from postmock_core.cli.common import MAX_RANGE, parse_ids
from postmock_core.errors import PostmockError


def test_ids_lists_and_ranges() -> None:
    assert parse_ids(["3", "5,9", "11-13"]) == [3, 5, 9, 11, 12, 13]


@pytest.mark.parametrize("text, message", [
    ("abc", "'abc' is not an ID"),
    (f"1-{MAX_RANGE + 1}", "spans more than"),
    ("1-99999999999", "spans more than"),
])
def test_bad_ids_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(PostmockError, match=message):
        parse_ids([text])


# -- the command line as a whole ----------------------------------------------------------------
import argparse  # noqa: E402
import re  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

from postmock_core.cli import build_parser, main  # noqa: E402


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, (*path, name))


def _options() -> Iterator[tuple[tuple[str, ...], argparse.Action]]:
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                yield path, action


def test_home_and_wide_work_at_every_level() -> None:
    missing = [" ".join(path) or "postmock" for path, p in _parsers(build_parser())
               if not {"--home", "--wide"} <= set(p._option_string_actions)]
    assert not missing, f"commands without --home/--wide: {missing}"


def test_one_spelling_per_flag_and_one_metavar_per_flag() -> None:
    spellings = {o for _, a in _options() for o in a.option_strings if o.startswith("--")}
    near = sorted(o for o in spellings if o + "s" in spellings)
    assert not near, f"flags spelled two ways: {[(o, o + 's') for o in near]}"
    metavars: dict[str, set[str]] = {}
    for path, action in _options():
        if action.nargs != 0 and not isinstance(action, argparse._VersionAction):
            shown = action.metavar or action.dest.upper()
            metavars.setdefault(max(action.option_strings, key=len), set()).add(str(shown))
    mixed = {flag: sorted(m) for flag, m in metavars.items() if len(m) > 1}
    assert not mixed, f"one flag, several metavars: {mixed}"


def test_one_metavar_style() -> None:
    bad = []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            metavar = action.metavar
            if not isinstance(metavar, str) or action.help == argparse.SUPPRESS:
                continue
            words = re.findall(r"[A-Za-z]+", metavar)
            # Words in capitals (NAME, FILE, TEXT|@FILE, 'NAME: VALUE'); literal choices in lower
            # case only beside '|' (record|mock); one letter only for a count (N).
            capitals = all(w.isupper() for w in words) or "|" in metavar
            if not capitals or (len(metavar) == 1 and metavar != "N") or ("'" in metavar and metavar != "'NAME: VALUE'"):
                bad.append((" ".join(path), metavar))
    assert not bad, f"metavars out of style: {bad}"


def test_bare_commands_print_help_and_typos_get_a_suggestion(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    assert main(["--home", str(tmp_path)]) == 0
    assert "usage: postmock" in capsys.readouterr().out
    assert main(["--home", str(tmp_path), "history"]) == 0
    assert "usage: postmock history" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["hisotry", "list"])
    assert exit_.value.code == 2 and "did you mean 'history'?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["history", "lsit"])
    assert "did you mean 'list'?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["history", "list", "--hots", "a"])
    assert "did you mean --host for --hots?" in capsys.readouterr().err
    assert main(["history", "--home", str(tmp_path), "list"]) == 0  # --home after a group name


def test_exports_default_to_stdout_and_plurals_are_right(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import json

    home = str(tmp_path / "home")
    doc = {"info": {"name": "One", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
           "item": [{"name": "u", "request": {"method": "GET", "url": "http://api.test/users"},
                     "response": [{"name": "ok", "code": 200, "body": "{}"}]}]}
    (tmp_path / "one.json").write_text(json.dumps(doc))
    assert main(["--home", home, "collection", "import", str(tmp_path / "one.json")]) == 0
    assert "1 request, 1 example" in capsys.readouterr().out
    assert main(["--home", home, "collection", "export", "One"]) == 0
    assert json.loads(capsys.readouterr().out)["info"]["name"] == "One"
    assert main(["--home", home, "env", "set", "Dev", "a", "1"]) == 0
    capsys.readouterr()
    assert main(["--home", home, "env", "export", "Dev"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Dev"
    assert main(["--home", home, "mock", "explain", "One", "--url", "/a/b", "--all"]) == 1
    assert "path: path has 1 segment, the request has 2" in capsys.readouterr().out
