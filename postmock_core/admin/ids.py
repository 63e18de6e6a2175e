"""IDs as Postman scripts use them: postmock answers with its plain IDs (plus a `uid`), and
accepts Postman's UID form `owner-id` too, so a copied script does not break on the format."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from postmock_core.errors import NotFoundError
from postmock_core.store.workspace import Workspace

__all__ = ["OWNER", "plain", "uid", "workspace"]

# postmock has no accounts; every UID it gives out names this owner.
OWNER = "postmock"
_UID = re.compile(r"^[0-9A-Za-z]+-(.+)$")
T = TypeVar("T")


def uid(plain_id: str) -> str:
    return f"{OWNER}-{plain_id}"


def plain(ref: str, lookup: Callable[[str], T]) -> T:
    """`lookup(ref)`; if nothing has that ID or name, `lookup` of the ID inside a UID `owner-id`."""
    try:
        return lookup(ref)
    except NotFoundError:
        m = _UID.match(ref)
        if m is None:
            raise
        try:
            return lookup(m.group(1))
        except NotFoundError:
            pass
        raise


def workspace(request: Request) -> Workspace:
    """The workspace this admin server manages (a FastAPI dependency)."""
    ws: Workspace = request.app.state.workspace
    return ws
