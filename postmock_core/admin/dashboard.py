"""The dashboard: server-rendered pages that follow Postman's mock-server screens.

Pages read through the same core functions as the API routes (often the routes' own
converters); every change is sent by the page's script to the JSON API itself, so a button
and a script do exactly the same thing. No CDN, no build step: templates/ and static/ are all.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from postmock_core.admin.calllogs_api import call_item, call_query
from postmock_core.admin.examples_api import example_out
from postmock_core.admin.history_api import history_query
from postmock_core.admin.ids import workspace
from postmock_core.admin.keys_api import key_out
from postmock_core.admin.mocks_api import mock_out
from postmock_core.admin.security import SESSION_COOKIE
from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.history.entries import entry_doc, list_entries, summary
from postmock_core.history.store import HistoryStore
from postmock_core.mock.calllog import RESPONSE_TYPES, CallLog
from postmock_core.mock.configs import MockStore
from postmock_core.mock.keys import KeyStore
from postmock_core.postman.collections import CollectionStore, find_example
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.postman.model import iter_items
from postmock_core.store.workspace import Workspace

__all__ = ["error_page", "login_needed", "router", "templates"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(iso: str | None) -> str:
    """An ISO UTC time as this machine's local `YYYY-MM-DD HH:MM:SS` (the CLI's tables do the same)."""
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _pretty(text: str) -> str:
    """JSON bodies indented for reading; anything else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


templates.env.filters["when"] = _when
templates.env.filters["pretty"] = _pretty
Ws = Annotated[Workspace, Depends(workspace)]
CALLS_SHOWN = 100


def _page(request: Request, name: str, page: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"page": page, **context}, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A dashboard page saying what went wrong (a missing mock, a bad filter, ...)."""
    return _page(request, "error.html", "", status=status, message=message, status_code=status)


def login_needed() -> HTMLResponse:
    """The page shown to a browser without a session (never any data)."""
    html = templates.get_template("login.html").render(page="login", request=None)
    return HTMLResponse(html, status_code=401)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/ui/mocks", status_code=303)


@router.get("/ui/login")
def login(request: Request, token: str = "") -> Response:
    if not request.app.state.logins.redeem(token):
        html = templates.get_template("login.html").render(page="login", request=request, expired=True)
        return HTMLResponse(html, status_code=401)
    response = RedirectResponse("/ui/mocks", status_code=303)
    response.set_cookie(SESSION_COOKIE, request.app.state.sessions.open(), httponly=True,
                        samesite="strict", path="/")
    return response


@router.post("/ui/logout")
def logout(request: Request) -> Response:
    request.app.state.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/ui")
def ui_home() -> RedirectResponse:
    return RedirectResponse("/ui/mocks", status_code=303)


# -- mock servers ---------------------------------------------------------------------------------
@router.get("/ui/mocks", response_class=HTMLResponse)
def mocks_page(request: Request, ws: Ws) -> HTMLResponse:
    mocks = [mock_out(ws, m) for m in MockStore(ws).list()]
    return _page(request, "mocks.html", "mocks", mocks=mocks)


@router.get("/ui/mocks/new", response_class=HTMLResponse)
def new_mock_page(request: Request, ws: Ws, collection: str = "", ids: str = "", date: str = "") -> HTMLResponse:
    history_rows = []
    if ids:
        store = HistoryStore(ws)
        for part in ids.split(","):
            if part.strip().isdigit() and (doc := store.get(int(part))) is not None:
                history_rows.append(summary(int(part), doc))
    source = "history" if ids else "date" if date else "collection"
    return _page(request, "mock_new.html", "mocks", source=source, collection=collection, ids=ids, date=date,
                 history_rows=history_rows, collections=CollectionStore(ws).list(),
                 environments=EnvironmentStore(ws).list())


@router.get("/ui/mocks/{mock_id}", response_class=HTMLResponse)
def mock_page(request: Request, ws: Ws, mock_id: str, search: str = "", method: str = "",
              status: str = "", kind: str = "") -> HTMLResponse:
    mock = MockStore(ws).get(mock_id)
    query = call_query(since=None, until=None, method=method or None, path=None,
                       status=int(status) if status.isdigit() else None, kind=kind or None,
                       search=search or None, limit=CALLS_SHOWN)
    log = CallLog(ws, mock.id)
    calls = [call_item(i, d, ()) for i, d in log.query(query)]
    return _page(request, "mock.html", "mocks", mock=mock_out(ws, mock), calls=calls,
                 last_call=log.last_id(), environments=EnvironmentStore(ws).list(),
                 server_responses=mock.server_responses, filters={"search": search, "method": method,
                                                                   "status": status, "kind": kind},
                 kinds=RESPONSE_TYPES)


@router.get("/ui/mocks/{mock_id}/calls/{call_id}", response_class=HTMLResponse)
def call_page(request: Request, ws: Ws, mock_id: str, call_id: int) -> HTMLResponse:
    mock = MockStore(ws).get(mock_id)
    doc = CallLog(ws, mock.id).get(call_id)
    if doc is None:
        raise NotFoundError(f"mock {mock.name!r} has no logged call {call_id}")
    call = call_item(call_id, doc)
    nearest: list[dict[str, Any]] = []
    if call.response.body is not None and call.response.type == "no-match":
        try:
            nearest = list((json.loads(call.response.body.data).get("postmock") or {}).get("nearest") or [])
        except (ValueError, AttributeError):
            nearest = []
    return _page(request, "call.html", "mocks", mock=mock_out(ws, mock), call=call, nearest=nearest)


# -- collections ----------------------------------------------------------------------------------
@router.get("/ui/collections", response_class=HTMLResponse)
def collections_page(request: Request, ws: Ws) -> HTMLResponse:
    return _page(request, "collections.html", "collections", collections=CollectionStore(ws).list())


@router.get("/ui/collections/{collection_id}", response_class=HTMLResponse)
def collection_page(request: Request, ws: Ws, collection_id: str) -> HTMLResponse:
    doc = CollectionStore(ws).load(collection_id)
    items = [{"folders": folders, "name": item.get("name", ""),
              "method": (item.get("request") or {}).get("method", "GET"),
              "url": ((item.get("request") or {}).get("url") or {}).get("raw", "")
              if isinstance((item.get("request") or {}).get("url"), dict)
              else str((item.get("request") or {}).get("url") or ""),
              "examples": [e for e in item.get("response") or [] if isinstance(e, dict)]}
             for folders, item in iter_items(doc)]
    mocks = [m for m in MockStore(ws).list() if m.collection == doc["info"]["_postman_id"]]
    return _page(request, "collection.html", "collections", info=doc["info"], items=items, mocks=mocks)


@router.get("/ui/collections/{collection_id}/examples/{example_id}", response_class=HTMLResponse)
def example_page(request: Request, ws: Ws, collection_id: str, example_id: str) -> HTMLResponse:
    store = CollectionStore(ws)
    doc = store.load(collection_id)
    item, ex = find_example(doc, example_id)
    mocks = [m for m in MockStore(ws).list() if m.collection == doc["info"]["_postman_id"]]
    return _page(request, "example.html", "collections", info=doc["info"],
                 example=example_out(item, ex, store.blobs), mocks=mocks)


# -- history ----------------------------------------------------------------------------------------
@router.get("/ui/history", response_class=HTMLResponse)
def history_page(request: Request, ws: Ws, date: str = "", since: str = "", until: str = "", host: str = "",
                 method: str = "", status: str = "", path: str = "", filter: str = "",
                 limit: str = "100") -> HTMLResponse:
    filters = {"date": date, "since": since, "until": until, "host": host, "method": method, "status": status,
               "path": path, "filter": filter, "limit": limit}
    error = None
    rows: list[dict[str, Any]] = []
    more = False
    try:
        query = history_query(request, date=date or None, since=since or None, until=until or None,
                              host=[host] if host else None, method=[method] if method else None,
                              status=[status] if status else None, path=path or None,
                              filter=filter or None, limit=int(limit) if limit.isdigit() else 100)
        found, more = list_entries(HistoryStore(ws), query)
        rows = [summary(i, d) for i, d in found]
    except PostmockError as e:
        error = str(e)
    return _page(request, "history.html", "history", rows=rows, more=more, filters=filters, error=error)


@router.get("/ui/history/{entry_id}", response_class=HTMLResponse)
def history_entry_page(request: Request, ws: Ws, entry_id: int) -> HTMLResponse:
    entry = entry_doc(HistoryStore(ws), entry_id, True)
    return _page(request, "history_entry.html", "history", entry=entry, row=summary(entry_id, entry),
                 collections=CollectionStore(ws).list())


# -- environments and keys ------------------------------------------------------------------------------
@router.get("/ui/environments", response_class=HTMLResponse)
def environments_page(request: Request, ws: Ws) -> HTMLResponse:
    return _page(request, "environments.html", "environments", environments=EnvironmentStore(ws).list())


@router.get("/ui/environments/{environment_id}", response_class=HTMLResponse)
def environment_page(request: Request, ws: Ws, environment_id: str) -> HTMLResponse:
    doc = EnvironmentStore(ws).load(environment_id)
    return _page(request, "environment.html", "environments", env=doc)


@router.get("/ui/keys", response_class=HTMLResponse)
def keys_page(request: Request, ws: Ws) -> HTMLResponse:
    mocks = {m.id: m.name for m in MockStore(ws).list()}
    return _page(request, "keys.html", "keys", keys=[key_out(k) for k in KeyStore(ws).list()], mocks=mocks)
