"""`/mocks`: mock servers in the Postman API's shape, plus "mock these" from history.

Each route converts between Postman's JSON and postmock's core types and calls one verb of
`mock.manage` (the same ones the CLI calls).

It runs past the ~300-line guide because it is the whole `/mocks` resource of Postman's API
(the mock, publish, server responses, "mock these"); one resource reads best as one router.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from postmock_core.admin.ids import OWNER, plain, uid, workspace
from postmock_core.errors import PostmockError
from postmock_core.history.query import HistoryQuery
from postmock_core.history.store import HistoryStore
from postmock_core.mock.configs import DELAY_PRESETS, MAX_DELAY_MS, MockConfig, MockStore
from postmock_core.mock.manage import create_mock, delete_mock, describe_mock, edit_mock
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.postman.history_collection import create_collection_from_history
from postmock_core.store.workspace import Workspace

__all__ = ["MockOut", "mock_out", "router"]

router = APIRouter(tags=["mocks"])
Ws = Annotated[Workspace, Depends(workspace)]
OnMiss = Literal["error", "passthrough", "record"]

# Postman's delay presets: "1" is 2G, "2" is 3G.
_PRESET_MS = {"1": DELAY_PRESETS["2g"], "2": DELAY_PRESETS["3g"]}
_MS_PRESET = {ms: p for p, ms in _PRESET_MS.items()}


# -- models -------------------------------------------------------------------------------------
class Delay(BaseModel):
    type: Literal["fixed"] = "fixed"
    preset: Literal["1", "2"] | None = Field(None, description='"1" is 2G (300 ms), "2" is 3G (100 ms)')
    duration: int | None = Field(None, ge=0, le=MAX_DELAY_MS, description="milliseconds")


class MockSettings(BaseModel):
    """A mock's configuration, as returned."""

    headers: list[str] = Field(description="request headers an example must match (names)")
    matchHeader: bool
    matchBody: bool
    matchQueryParams: bool = True
    matchWildcards: bool = True
    delay: Delay | None
    serverResponseId: str | None = Field(description="the active server response, if any")
    onMiss: OnMiss
    callLogCap: int


class MockOut(BaseModel):
    id: str
    uid: str
    owner: str
    name: str
    mockUrl: str
    collection: str
    collectionName: str | None
    environment: str | None
    environmentName: str | None
    config: MockSettings
    isPublic: bool
    private: bool
    deactivated: bool
    deactivatedReason: str | None
    port: int
    createdAt: str
    updatedAt: str


class MockEnvelope(BaseModel):
    mock: MockOut


class MocksEnvelope(BaseModel):
    mocks: list[MockOut]


class SettingsIn(BaseModel):
    """Configuration to set; fields left out stay as they are."""

    headers: list[str] | None = None
    matchHeader: bool | None = Field(None, description="false clears the header list")
    matchBody: bool | None = None
    delay: Delay | None = Field(None, description="null: no delay")
    serverResponseId: str | None = Field(None, description="activate this server response; null deactivates")
    onMiss: OnMiss | None = None
    callLogCap: int | None = Field(None, ge=0, le=10_000_000, description="0: the workspace default")
    port: int | None = Field(None, ge=1024, le=65535)


class MockCreate(BaseModel):
    collection: str = Field(description="the collection's ID, UID or name; fixed for the mock's life")
    environment: str | None = None
    name: str | None = Field(None, max_length=80)
    private: bool = False
    config: SettingsIn | None = None
    saveUrlToEnvironment: str | None = Field(None, description="store the mock URL in variable `url` "
                                                                "of this environment (created if missing)")


class MockCreateBody(BaseModel):
    mock: MockCreate


class MockUpdate(BaseModel):
    name: str | None = Field(None, max_length=80)
    environment: str | None = Field(None, description="null: no environment")
    private: bool | None = None
    collection: str | None = Field(None, description="must be the mock's own collection: it cannot change")
    config: SettingsIn | None = None


class MockUpdateBody(BaseModel):
    mock: MockUpdate


class MockRef(BaseModel):
    id: str
    uid: str


class MockRefEnvelope(BaseModel):
    mock: MockRef


class HistorySelection(BaseModel):
    """History entries to mock: IDs, or a date and/or the filters of `postmock history list`."""

    ids: list[int] | None = Field(None, max_length=100_000)
    date: str | None = Field(None, description="YYYY-MM-DD, today or yesterday (local time)")
    since: str | None = None
    until: str | None = None
    host: list[str] | None = None
    method: list[str] | None = None
    status: list[str] | None = None
    path: str | None = None
    filter: str | None = Field(None, description="a mitmproxy filter expression")


class MockFromHistory(BaseModel):
    collectionName: str = Field(max_length=200, description="the new collection's name")
    history: HistorySelection
    mock: MockCreate | None = Field(None, description="the mock's settings; its collection is ignored")


class BuiltCollection(BaseModel):
    id: str
    uid: str
    name: str
    requests: int
    examples: int
    skippedFailed: list[int]


class MockFromHistoryOut(BaseModel):
    mock: MockOut
    collection: BuiltCollection


# -- conversions --------------------------------------------------------------------------------
def mock_out(ws: Workspace, mock: MockConfig) -> MockOut:
    """The Postman-shaped view of a mock (from the same description the CLI prints)."""
    d = describe_mock(ws, mock)
    active = mock.active_server_response
    delay = None
    if mock.delay_ms:
        delay = Delay(preset=_MS_PRESET.get(mock.delay_ms), duration=mock.delay_ms)  # type: ignore[arg-type]
    env = d["environment"]
    return MockOut(
        id=mock.id, uid=uid(mock.id), owner=OWNER, name=mock.name, mockUrl=mock.url,
        collection=mock.collection, collectionName=d["collection"]["name"],
        environment=mock.environment, environmentName=env["name"] if env else None,
        config=MockSettings(headers=list(mock.match_headers), matchHeader=bool(mock.match_headers),
                            matchBody=mock.match_body, delay=delay,
                            serverResponseId=active.id if active else None, onMiss=mock.on_miss,  # type: ignore[arg-type]
                            callLogCap=d["call_log_cap"]),
        isPublic=not mock.private, private=mock.private, deactivated=d["state"] != "active",
        deactivatedReason=d["deactivated_reason"], port=mock.port,
        createdAt=mock.created, updatedAt=mock.updated,
    )


def _delay_ms(delay: Delay | None) -> int:
    if delay is None:
        return 0
    if delay.preset is not None:
        return _PRESET_MS[delay.preset]
    return delay.duration or 0


def _settings_changes(config: SettingsIn | None) -> tuple[dict[str, Any], str | None | bool]:
    """MockConfig changes, and the server response to activate (False: leave them alone)."""
    changes: dict[str, Any] = {}
    server_response: str | None | bool = False
    if config is None:
        return changes, server_response
    given = config.model_fields_set
    if "headers" in given:
        changes["match_headers"] = tuple(h.strip().lower() for h in config.headers or () if h.strip())
    if config.matchHeader is False:
        changes["match_headers"] = ()
    if config.matchBody is not None:
        changes["match_body"] = config.matchBody
    if "delay" in given:
        changes["delay_ms"] = _delay_ms(config.delay)
    if config.onMiss is not None:
        changes["on_miss"] = config.onMiss
    if config.callLogCap is not None:
        changes["call_log_cap"] = config.callLogCap or None
    if config.port is not None:
        changes["port"] = config.port
    if "serverResponseId" in given:
        server_response = config.serverResponseId
    return changes, server_response


def _apply_server_response(ws: Workspace, mock_id: str, choice: str | None | bool) -> None:
    store = MockStore(ws)
    if choice is None:
        for r in store.get(mock_id).server_responses:
            if r.active:
                store.set_server_response_active(mock_id, r.id, False)
    elif isinstance(choice, str):
        store.set_server_response_active(mock_id, choice, True)


def _find(ws: Workspace, ref: str) -> MockConfig:
    return plain(ref, MockStore(ws).get)


def _collection_id(ws: Workspace, ref: str) -> str:
    store = CollectionStore(ws)
    return plain(ref, lambda r: store.resolve(r).stem)


def _environment_id(ws: Workspace, ref: str) -> str:
    store = EnvironmentStore(ws)
    return plain(ref, lambda r: store.resolve(r).stem)


def _create(ws: Workspace, spec: MockCreate, collection_id: str) -> MockConfig:
    changes, server_response = _settings_changes(spec.config)
    if server_response:
        raise PostmockError("a new mock has no server responses yet: add one, then activate it")
    made = create_mock(ws, collection_id, name=spec.name,
                       environment=_environment_id(ws, spec.environment) if spec.environment else None,
                       save_url_to_env=spec.saveUrlToEnvironment, private=spec.private, **changes)
    return made.mock


# -- routes ---------------------------------------------------------------------------------------
@router.get("/mocks", response_model=MocksEnvelope, summary="List mock servers")
def list_mocks(ws: Ws) -> MocksEnvelope:
    return MocksEnvelope(mocks=[mock_out(ws, m) for m in MockStore(ws).list()])


@router.post("/mocks", response_model=MockEnvelope, summary="Create a mock server for a collection")
def create(ws: Ws, body: MockCreateBody) -> MockEnvelope:
    mock = _create(ws, body.mock, _collection_id(ws, body.mock.collection))
    return MockEnvelope(mock=mock_out(ws, mock))


@router.post("/mocks/from-history", response_model=MockFromHistoryOut,
             summary="Mock these: a collection and its mock from history IDs or a date, in one call")
def mock_from_history(ws: Ws, body: MockFromHistory, request: Request) -> MockFromHistoryOut:
    sel = body.history
    query = HistoryQuery.parse(date=sel.date, since=sel.since, until=sel.until, host=sel.host,
                               method=sel.method, status=sel.status, path=sel.path, filter=sel.filter,
                               compile_filter=request.app.state.compile_filter)
    if not sel.ids and query.is_empty:
        raise PostmockError("choose history entries: ids, a date or other filters")
    result = create_collection_from_history(CollectionStore(ws), HistoryStore(ws), body.collectionName,
                                            ids=sel.ids or (), query=None if sel.ids else query)
    collection_id = str(result.doc["info"]["_postman_id"])
    spec = body.mock or MockCreate.model_validate({"collection": collection_id})
    try:
        mock = _create(ws, spec, collection_id)
    except PostmockError:
        CollectionStore(ws).delete(collection_id)  # all or nothing: no orphan collection
        raise
    return MockFromHistoryOut(
        mock=mock_out(ws, mock),
        collection=BuiltCollection(id=collection_id, uid=uid(collection_id), name=body.collectionName,
                                   requests=result.requests, examples=result.examples,
                                   skippedFailed=result.skipped_failed))


@router.get("/mocks/{mockId}", response_model=MockEnvelope, summary="Get a mock server")
def get_mock(ws: Ws, mockId: str) -> MockEnvelope:
    return MockEnvelope(mock=mock_out(ws, _find(ws, mockId)))


@router.put("/mocks/{mockId}", response_model=MockEnvelope,
            summary="Update a mock server (everything but its collection)")
def update_mock(ws: Ws, mockId: str, body: MockUpdateBody) -> MockEnvelope:
    return _update(ws, mockId, body.mock)


def _update(ws: Workspace, ref: str, spec: MockUpdate) -> MockEnvelope:
    mock = _find(ws, ref)
    if spec.collection is not None and _collection_id(ws, spec.collection) != mock.collection:
        raise PostmockError("a mock's collection cannot change; create a new mock for another collection")
    changes, server_response = _settings_changes(spec.config)
    given = spec.model_fields_set
    if spec.name is not None:
        changes["name"] = spec.name
    if "environment" in given:
        changes["environment"] = _environment_id(ws, spec.environment) if spec.environment else None
    if spec.private is not None:
        changes["private"] = spec.private
    if changes:
        mock = edit_mock(ws, mock.id, **changes)
    _apply_server_response(ws, mock.id, server_response)
    return MockEnvelope(mock=mock_out(ws, MockStore(ws).get(mock.id)))


@router.delete("/mocks/{mockId}", response_model=MockRefEnvelope, summary="Delete a mock server and its call log")
def remove_mock(ws: Ws, mockId: str) -> MockRefEnvelope:
    mock = delete_mock(ws, _find(ws, mockId).id)
    return MockRefEnvelope(mock=MockRef(id=mock.id, uid=uid(mock.id)))


@router.post("/mocks/{mockId}/publish", response_model=MockRefEnvelope,
             summary="Publish a mock server: anyone may call it")
def publish(ws: Ws, mockId: str) -> MockRefEnvelope:
    mock = edit_mock(ws, _find(ws, mockId).id, private=False)
    return MockRefEnvelope(mock=MockRef(id=mock.id, uid=uid(mock.id)))


@router.delete("/mocks/{mockId}/unpublish", response_model=MockRefEnvelope,
               summary="Unpublish a mock server: calls need an API key")
def unpublish(ws: Ws, mockId: str) -> MockRefEnvelope:
    mock = edit_mock(ws, _find(ws, mockId).id, private=True)
    return MockRefEnvelope(mock=MockRef(id=mock.id, uid=uid(mock.id)))
