"""The mitmproxy scripts postmock installs, for `mitmdump -s` and `mitmweb -s`.

`record.py` and `mock.py` beside this file are those scripts; `postmock addon NAME` prints
where they are. They, the checkout's `addons/*.py` and `postmock record` all take their addons
from `record_addons()` and `mock_addons()`, so every entry point runs the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["SCRIPTS", "mock_addons", "record_addons", "script_path"]

SCRIPTS = ("record", "mock")


def script_path(name: str) -> Path:
    """The absolute path of the installed script `name` (one of `SCRIPTS`)."""
    if name not in SCRIPTS:
        raise ValueError(f"no addon script {name!r}; choose one of {', '.join(SCRIPTS)}")
    return Path(__file__).resolve().parent / f"{name}.py"


def record_addons() -> list[Any]:
    """Fresh addons of a recording proxy: the recorder, and a mock server idle until
    `postmock_mode=mock`."""
    # Imported here: the CLI reads `script_path` without paying for mitmproxy's import.
    from postmock_core.mitm.mockserver import MockServer
    from postmock_core.mitm.recorder import Recorder

    return [Recorder(), MockServer()]


def mock_addons() -> list[Any]:
    """Fresh addons of a standalone mock server, each mock on its own port."""
    from postmock_core.mitm.mockserver import MockServer

    return [MockServer(standalone=True)]
