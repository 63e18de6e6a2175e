"""Log records reach stderr as one `postmock: LEVEL: text` line, the prefix said once."""

from __future__ import annotations

import logging

from postmock_core.errors import _OnePrefix


def test_the_prefix_is_said_once_whether_the_message_has_it_or_not() -> None:
    fmt = _OnePrefix()

    def line(message: str, level: int = logging.ERROR) -> str:
        return fmt.format(logging.LogRecord("postmock_core.x", level, __file__, 1, message, None, None))

    assert line("postmock: store file f.json is corrupt") == "postmock: ERROR: store file f.json is corrupt"
    assert line("unknown option x", logging.WARNING) == "postmock: WARNING: unknown option x"
    assert line("says postmock: inside") == "postmock: ERROR: says postmock: inside"
