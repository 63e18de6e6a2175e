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
