"""`/history`: recorded exchanges, listed with the CLI's filters, shown, and deleted."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from postmock_core.admin.ids import workspace
from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.history.entries import delete_entries, entry_doc, list_entries, summary
from postmock_core.history.query import HistoryQuery, parse_moment
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

__all__ = ["history_query", "router"]

router = APIRouter(tags=["history"])
Ws = Annotated[Workspace, Depends(workspace)]
DEFAULT_LIMIT = 50


class HistoryRow(BaseModel):
    id: int
    time: str | None
    method: str | None
    url: str
    status: int | None = Field(description="null: the exchange failed (no response)")
    duration_ms: float | None
    size: int = Field(description="response body bytes")
    error: str | None


class HistoryMeta(BaseModel):
    more: bool = Field(description="more entries match than the limit let through")


class HistoryList(BaseModel):
    history: list[HistoryRow]
    meta: HistoryMeta


class HistoryEntry(BaseModel):
    entry: dict[str, Any] = Field(description="the stored exchange; bodies as {text} or {base64} "
                                              "with bodies=true, else {size, omitted}")


class Deleted(BaseModel):
    deleted: list[int]
    notFound: list[int]


class DeletedEnvelope(BaseModel):
    history: Deleted


def history_query(request: Request, *, date: str | None = None, since: str | None = None,
                  until: str | None = None, host: list[str] | None = None, method: list[str] | None = None,
                  status: list[str] | None = None, path: str | None = None, filter: str | None = None,
                  limit: int | None = None) -> HistoryQuery:
    """The core query for the filters of `postmock history list` (the API's and the dashboard's)."""
    return HistoryQuery.parse(date=date, since=since, until=until, host=host, method=method, status=status,
                              path=path, filter=filter, limit=limit,
                              compile_filter=request.app.state.compile_filter)


_FILTER_DOCS = {
    "date": "a calendar day in local time: YYYY-MM-DD, today, yesterday",
    "since": "ISO date/time or an age like 2h", "until": "ISO date/time or an age",
    "host": "exact or glob like *.example.com (repeatable)", "method": "repeatable, or GET,POST",
    "status": "404, 4xx, 200-299 or error (repeatable)", "path": "glob on the path without the query",
    "filter": "a mitmproxy filter expression",
}


@router.get("/history", response_model=HistoryList, summary="List recorded exchanges, newest first")
def list_history(
    ws: Ws, request: Request,
    date: Annotated[str | None, Query(description=_FILTER_DOCS["date"])] = None,
    since: Annotated[str | None, Query(description=_FILTER_DOCS["since"])] = None,
    until: Annotated[str | None, Query(description=_FILTER_DOCS["until"])] = None,
    host: Annotated[list[str] | None, Query(description=_FILTER_DOCS["host"])] = None,
    method: Annotated[list[str] | None, Query(description=_FILTER_DOCS["method"])] = None,
    status: Annotated[list[str] | None, Query(description=_FILTER_DOCS["status"])] = None,
    path: Annotated[str | None, Query(description=_FILTER_DOCS["path"])] = None,
    filter: Annotated[str | None, Query(description=_FILTER_DOCS["filter"])] = None,
    limit: Annotated[int, Query(ge=0, le=100_000, description="0: no limit")] = DEFAULT_LIMIT,
) -> HistoryList:
    query = history_query(request, date=date, since=since, until=until, host=host, method=method,
                          status=status, path=path, filter=filter, limit=limit)
    found, more = list_entries(HistoryStore(ws), query)
    return HistoryList(history=[HistoryRow(**summary(i, d)) for i, d in found], meta=HistoryMeta(more=more))


@router.get("/history/{historyId}", response_model=HistoryEntry, summary="Get one recorded exchange")
def get_entry(ws: Ws, historyId: int, bodies: bool = True) -> HistoryEntry:
    return HistoryEntry(entry=entry_doc(HistoryStore(ws), historyId, bodies))


@router.delete("/history/{historyId}", response_model=DeletedEnvelope, summary="Delete one recorded exchange")
def delete_entry(ws: Ws, historyId: int) -> DeletedEnvelope:
    deleted, missing = delete_entries(HistoryStore(ws), [historyId])
    if missing:
        raise NotFoundError(f"no history entry {historyId}: see GET /history")
    return DeletedEnvelope(history=Deleted(deleted=deleted, notFound=[]))


@router.delete("/history", response_model=DeletedEnvelope,
               summary="Delete exchanges by IDs, age or the list filters (all=true: everything)")
def delete_history(
    ws: Ws, request: Request,
    ids: Annotated[list[int] | None, Query(description="exchange IDs (repeatable)")] = None,
    before: Annotated[str | None, Query(description="older than: ISO date/time or an age like 30d")] = None,
    all: bool = False,
    date: str | None = None, since: str | None = None, until: str | None = None,
    host: list[str] | None = None, method: list[str] | None = None, status: list[str] | None = None,
    path: str | None = None, filter: str | None = None,
) -> DeletedEnvelope:
    query = history_query(request, date=date, since=since, until=until, host=host, method=method,
                          status=status, path=path, filter=filter)
    if before:
        moment = parse_moment(before, "before")
        query = dataclasses.replace(query, until=min(moment, query.until) if query.until else moment)
    if ids and len(ids) > 100_000:
        raise PostmockError("at most 100000 IDs at once")
    deleted, missing = delete_entries(HistoryStore(ws), ids or [], query, all)
    return DeletedEnvelope(history=Deleted(deleted=deleted, notFound=missing))
