"""Workspace-wide settings, kept in `settings.json`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from postmock_core.errors import PostmockError
from postmock_core.store.storage import file_lock, read_json, write_json
from postmock_core.store.workspace import Workspace

__all__ = ["Settings", "load_settings", "save_setting"]

DEFAULT_CALL_LOG_CAP = 10_000


@dataclass(frozen=True)
class Settings:
    # When true, every mock must be private: creating or serving a public one is refused.
    forbid_public_mocks: bool = False
    # How many calls each mock's call log keeps, unless the mock sets its own cap.
    call_log_cap: int = DEFAULT_CALL_LOG_CAP


_HELP = {
    "forbid_public_mocks": "true/false: refuse to create or serve mocks that are not private",
    "call_log_cap": "calls kept per mock call log (default 10000)",
}


def _path(ws: Workspace):
    return ws.file("settings.json")


def load_settings(ws: Workspace) -> Settings:
    data = read_json(_path(ws)) or {}
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in data.items() if k in known})


def _parse(key: str, value: str) -> Any:
    if key == "forbid_public_mocks":
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise PostmockError(f"{key} takes true or false, not {value!r}")
    if key == "call_log_cap":
        try:
            cap = int(value)
        except ValueError:
            cap = 0
        if cap < 1:
            raise PostmockError(f"{key} takes a whole number of calls of at least 1, not {value!r}")
        return cap
    raise PostmockError(f"unknown setting {key!r}; known: {', '.join(sorted(_HELP))}")


def save_setting(ws: Workspace, key: str, value: str) -> Settings:
    """Change one setting from its text form; one-line error for unknown keys or bad values."""
    parsed = _parse(key, value)
    path = _path(ws)
    with file_lock(path):
        current = asdict(load_settings(ws))
        current[key] = parsed
        write_json(path, current)
    return Settings(**current)


def describe() -> dict[str, str]:
    return dict(_HELP)
