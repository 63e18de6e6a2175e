"""The workspace: one private folder that holds all postmock data."""

from __future__ import annotations

import os
from pathlib import Path

from postmock_core.errors import PostmockError

__all__ = ["DEFAULT_HOME", "Workspace", "resolve_home"]

DEFAULT_HOME = "~/.postmock"
DIR_MODE = 0o700
FILE_MODE = 0o600


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The workspace folder: an explicit path wins, then $POSTMOCK_HOME, then ~/.postmock."""
    chosen = explicit or os.environ.get("POSTMOCK_HOME") or DEFAULT_HOME
    return Path(os.path.expanduser(os.fspath(chosen))).absolute()


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) with 0700; an existing folder is left as it is."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except FileExistsError:
        raise PostmockError(f"{path} exists but is not a folder; choose another workspace") from None
    except OSError as e:
        raise PostmockError(f"cannot create folder {path}: {e.strerror}") from e
    if not path.is_dir():
        raise PostmockError(f"{path} exists but is not a folder; choose another workspace")
    return path


class Workspace:
    """A postmock home folder and the well-known places inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, explicit: str | os.PathLike[str] | None = None) -> Workspace:
        """Resolve the workspace folder and create it, private, on first use."""
        root = resolve_home(explicit)
        created = not root.exists()
        make_private_dir(root)
        if created:
            os.chmod(root, DIR_MODE)
        return cls(root)

    def dir(self, *parts: str) -> Path:
        """A private sub-folder of the workspace, created if missing."""
        path = make_private_dir(self.root)
        for part in parts:  # one level at a time: mkdir(parents=True) makes parents 0755
            path = make_private_dir(path / part)
        return path

    def file(self, *parts: str) -> Path:
        """A path to a file in the workspace whose parent folder exists."""
        return self.dir(*parts[:-1]) / parts[-1]

    @property
    def history_dir(self) -> Path:
        return self.dir("history")

    @property
    def blobs_dir(self) -> Path:
        return self.dir("blobs")

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"
