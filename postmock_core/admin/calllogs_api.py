"""`/mocks/{mockId}/call-logs`: a mock's call log in the Postman API's shape, one call in full,
and a live stream of new calls (server-sent events) for the dashboard."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from postmock_core.admin.errors import ApiError
from postmock_core.admin.ids import plain, workspace
from postmock_core.admin.models import KeyValue
from postmock_core.errors import NotFoundError, PostmockError
from postmock_core.mock.calllog import RESPONSE_TYPES, CallLog, CallQuery, parse_when, response_type
from postmock_core.mock.configs import MockStore
from postmock_core.store.workspace import Workspace

__all__ = ["CallLogItem", "call_item", "call_query", "router"]

router = APIRouter(tags=["call logs"])
Ws = Annotated[Workspace, Depends(workspace)]
MAX_LIMIT = 100  # as Postman: at most 100 calls per page
STREAM_POLL = 0.3  # seconds between looks for new calls (the writer stores within half a second)
INCLUDES = ("request.headers", "request.body", "response.headers", "response.body")


class CallBody(BaseModel):
    mode: Literal["text", "base64"]
    data: str
    truncatedFrom: int | None = Field(None, description="the body's full size, when only its start was logged")


class CallRequest(BaseModel):
    method: str
    path: str
    query: str
    headers: list[KeyValue] | None = None
    body: CallBody | None = None


class CallResponse(BaseModel):
    type: str = Field(description="how the call was answered: " + ", ".join(RESPONSE_TYPES))
    statusCode: int
    headers: list[KeyValue] | None = None
    body: CallBody | None = None


class CallLogItem(BaseModel):
    id: str
    responseName: str = Field(description='the example that answered, or "No matching requests"')
    servedAt: str
    exampleId: str | None
    score: float | None
    durationMs: float
    request: CallRequest
    response: CallResponse


class CallLogMeta(BaseModel):
    nextCursor: str | None


class CallLogs(BaseModel):
    call_logs: list[CallLogItem] = Field(alias="call-logs")
    meta: CallLogMeta


class CallLogEnvelope(BaseModel):
    call_log: CallLogItem = Field(alias="call-log")


def _body(doc: Any) -> CallBody | None:
    if not isinstance(doc, dict):
        return None
    if "text" in doc:
        return CallBody(mode="text", data=str(doc["text"]), truncatedFrom=doc.get("truncated_from"))
    if "base64" in doc:
        return CallBody(mode="base64", data=str(doc["base64"]), truncatedFrom=doc.get("truncated_from"))
    return None


def _headers(pairs: Any) -> list[KeyValue]:
    return [KeyValue(key=str(k), value=str(v)) for k, v in pairs or []]


def call_item(call_id: int, doc: dict[str, Any], include: tuple[str, ...] = INCLUDES) -> CallLogItem:
    """One logged call in Postman's shape; headers and bodies only as `include` asks."""
    req, resp = doc.get("request") or {}, doc.get("response") or {}
    example = doc.get("example") or {}
    return CallLogItem(
        id=str(call_id), responseName=str(example.get("name") or ""), servedAt=str(doc.get("time", "")),
        exampleId=example.get("id"), score=doc.get("score"), durationMs=float(doc.get("duration_ms") or 0),
        request=CallRequest(method=str(doc.get("method", "")), path=str(doc.get("path", "")),
                            query=str(doc.get("query") or ""),
                            headers=_headers(req.get("headers")) if "request.headers" in include else None,
                            body=_body(req.get("body")) if "request.body" in include else None),
        response=CallResponse(type=response_type(doc), statusCode=int(doc.get("status") or 0),
                              headers=_headers(resp.get("headers")) if "response.headers" in include else None,
                              body=_body(resp.get("body")) if "response.body" in include else None),
    )


def call_query(*, since: str | None, until: str | None, method: str | None, path: str | None,
               status: int | None, kind: str | None, search: str | None,
               limit: int | None) -> CallQuery:
    """The core query for the API's (and the dashboard's) filters."""
    if kind is not None and kind.lower() not in RESPONSE_TYPES:
        raise PostmockError(f"responseType {kind!r} is not one of {', '.join(RESPONSE_TYPES)}")
    lo = parse_when(since, "since") if since else None
    hi = parse_when(until, "until") if until else None
    if lo is not None and hi is not None and lo > hi:
        raise PostmockError("since must not be later than until")
    statuses = ((status, status),) if status is not None else ()
    return CallQuery(search=search or None, statuses=statuses, method=method or None, since=lo, until=hi,
                     limit=limit, path=path, kind=kind.lower() if kind else None)


def _cursor(call_id: int, direction: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": call_id, "direction": direction}).encode()).decode()


def _uncursor(text: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)))
        return int(data["after"]), str(data["direction"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "cursor is not one this server gave out (use meta.nextCursor)") from None


def _log(ws: Workspace, ref: str) -> CallLog:
    return CallLog(ws, plain(ref, MockStore(ws).get).id)


@router.get("/mocks/{mockId}/call-logs", response_model=CallLogs, response_model_by_alias=True,
            summary="Get a mock server's call log, newest first")
def call_logs(
    ws: Ws, mockId: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    cursor: str | None = None,
    since: Annotated[str | None, Query(description="ISO 8601 time, or an age like 2h")] = None,
    until: str | None = None,
    requestMethod: str | None = None,
    requestPath: Annotated[str | None, Query(description="the exact path, any case")] = None,
    responseStatusCode: Annotated[int | None, Query(ge=100, le=599)] = None,
    responseType: Annotated[str | None, Query(description=", ".join(RESPONSE_TYPES))] = None,
    sort: Literal["servedAt"] = "servedAt",
    direction: Literal["asc", "desc"] = "desc",
    include: Annotated[str | None, Query(description="comma-separated: " + ", ".join(INCLUDES))] = None,
    search: Annotated[str | None, Query(description="text in the path, example or bodies")] = None,
) -> CallLogs:
    wanted = tuple(p.strip() for p in (include or "").split(",") if p.strip())
    unknown = [p for p in wanted if p not in INCLUDES]
    if unknown:
        raise ApiError(400, f"include {unknown[0]!r} is not one of {', '.join(INCLUDES)}")
    log = _log(ws, mockId)
    beyond = None
    if cursor:
        beyond, direction_was = _uncursor(cursor)
        if direction_was != direction:
            raise ApiError(400, "the cursor belongs to the other direction")
    query = call_query(since=since, until=until, method=requestMethod, path=requestPath,
                       status=responseStatusCode, kind=responseType, search=search, limit=limit + 1)
    found = list(log.query(query, newest_first=direction == "desc", beyond=beyond))
    page = found[:limit]
    next_cursor = _cursor(page[-1][0], direction) if len(found) > limit else None
    return CallLogs.model_validate({"call-logs": [call_item(i, d, wanted) for i, d in page],
                                    "meta": {"nextCursor": next_cursor}})


@router.get("/mocks/{mockId}/call-logs/{callId}", response_model=CallLogEnvelope,
            response_model_by_alias=True, summary="Get one logged call with its headers and bodies")
def call_log(ws: Ws, mockId: str, callId: int) -> CallLogEnvelope:
    doc = _log(ws, mockId).get(callId)
    if doc is None:
        raise NotFoundError(f"mock {mockId!r} has no logged call {callId}")
    return CallLogEnvelope.model_validate({"call-log": call_item(callId, doc)})


async def _events(request: Request, log: CallLog, query: CallQuery, after: int) -> AsyncIterator[str]:
    stop: asyncio.Event = request.app.state.stopping
    yield ": connected\n\n"
    while not stop.is_set():
        for call_id, doc in await asyncio.to_thread(log.newer, after):
            after = call_id
            if query.matches(doc):
                yield f"id: {call_id}\nevent: call\ndata: {call_item(call_id, doc, ()).model_dump_json()}\n\n"
        if await request.is_disconnected():
            return
        try:
            await asyncio.wait_for(stop.wait(), STREAM_POLL)
        except TimeoutError:
            pass


@router.get("/mocks/{mockId}/call-logs-stream", include_in_schema=False)
def call_log_stream(ws: Ws, request: Request, mockId: str, requestMethod: str | None = None,
                    responseStatusCode: int | None = None, responseType: str | None = None,
                    search: str | None = None, after: int | None = None) -> StreamingResponse:
    """New calls as server-sent events (`event: call`, data: a call-log item), until the client
    leaves. Not in the OpenAPI document: it never ends, so it cannot be described as a response."""
    log = _log(ws, mockId)
    query = call_query(since=None, until=None, method=requestMethod, path=None, status=responseStatusCode,
                       kind=responseType, search=search, limit=None)
    start = log.last_id() if after is None else after
    return StreamingResponse(_events(request, log, query, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
