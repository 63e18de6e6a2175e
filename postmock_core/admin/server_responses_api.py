"""`/mocks/{mockId}/server-responses`: simulated outages, in the Postman API's shape (bare
objects and arrays, as Postman answers them)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from postmock_core.admin.ids import plain, workspace
from postmock_core.admin.models import KeyValue
from postmock_core.mock.configs import MockConfig, MockStore, ServerResponse
from postmock_core.store.workspace import Workspace

__all__ = ["router"]

router = APIRouter(tags=["server responses"])
Ws = Annotated[Workspace, Depends(workspace)]
Language = Literal["text", "javascript", "json", "html", "xml"]
_LANGUAGE_TYPES = {"json": "application/json", "html": "text/html", "xml": "application/xml",
                   "javascript": "application/javascript", "text": "text/plain"}


class ServerResponseOut(BaseModel):
    id: str
    name: str
    statusCode: int
    headers: list[KeyValue]
    language: str | None
    body: str
    active: bool
    mock: str


class ServerResponseIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    statusCode: int = Field(ge=500, le=599, description="a 5xx status: server responses simulate outages")
    headers: list[KeyValue] = []
    language: Language | None = None
    body: str = ""
    active: bool = Field(False, description="make it answer every call at once (postmock extra)")


class ServerResponseCreate(BaseModel):
    serverResponse: ServerResponseIn


class ServerResponsePatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    statusCode: int | None = Field(None, ge=500, le=599)
    headers: list[KeyValue] | None = None
    language: Language | None = None
    body: str | None = None
    active: bool | None = None


class ServerResponseUpdate(BaseModel):
    serverResponse: ServerResponsePatch


def _out(mock: MockConfig, r: ServerResponse) -> ServerResponseOut:
    ctype = next((v for k, v in r.headers if k.lower() == "content-type"), "")
    language = next((lang for lang, t in _LANGUAGE_TYPES.items() if t in ctype.lower()), None)
    return ServerResponseOut(id=r.id, name=r.name, statusCode=r.status,
                             headers=[KeyValue(key=k, value=v) for k, v in r.headers],
                             language=language, body=r.body, active=r.active, mock=mock.id)


def _headers(headers: list[KeyValue], language: str | None) -> list[tuple[str, str]]:
    pairs = [(h.key, h.value) for h in headers]
    if language and not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("Content-Type", _LANGUAGE_TYPES[language]))
    return pairs


def _mock(ws: Workspace, ref: str) -> MockConfig:
    return plain(ref, MockStore(ws).get)


def _one(ws: Workspace, mock_id: str, ref: str) -> tuple[MockConfig, ServerResponse]:
    mock = MockStore(ws).get(mock_id)
    return mock, MockStore(ws).server_response(mock, ref)


@router.get("/mocks/{mockId}/server-responses", response_model=list[ServerResponseOut],
            summary="List a mock's server responses")
def list_responses(ws: Ws, mockId: str) -> list[ServerResponseOut]:
    mock = _mock(ws, mockId)
    return [_out(mock, r) for r in mock.server_responses]


@router.post("/mocks/{mockId}/server-responses", response_model=ServerResponseOut,
             summary="Add a server response (an outage every call gets while it is active)")
def create_response(ws: Ws, mockId: str, body: ServerResponseCreate) -> ServerResponseOut:
    mock = _mock(ws, mockId)
    spec = body.serverResponse
    r = MockStore(ws).add_server_response(mock.id, spec.name, spec.statusCode,
                                          _headers(spec.headers, spec.language), spec.body, spec.active)
    return _out(mock, r)


@router.get("/mocks/{mockId}/server-responses/{serverResponseId}", response_model=ServerResponseOut,
            summary="Get a server response")
def get_response(ws: Ws, mockId: str, serverResponseId: str) -> ServerResponseOut:
    mock, r = _one(ws, _mock(ws, mockId).id, serverResponseId)
    return _out(mock, r)


@router.put("/mocks/{mockId}/server-responses/{serverResponseId}", response_model=ServerResponseOut,
            summary="Change a server response, or activate or deactivate it")
def update_response(ws: Ws, mockId: str, serverResponseId: str, body: ServerResponseUpdate) -> ServerResponseOut:
    store = MockStore(ws)
    mock, r = _one(ws, _mock(ws, mockId).id, serverResponseId)
    spec = body.serverResponse
    headers = _headers(spec.headers, spec.language) if spec.headers is not None else None
    r = store.update_server_response(mock.id, r.id, name=spec.name, status=spec.statusCode,
                                     headers=headers, body=spec.body)
    if spec.active is not None:
        r = store.set_server_response_active(mock.id, r.id, spec.active)
    return _out(mock, r)


@router.delete("/mocks/{mockId}/server-responses/{serverResponseId}", response_model=ServerResponseOut,
               summary="Delete a server response")
def delete_response(ws: Ws, mockId: str, serverResponseId: str) -> ServerResponseOut:
    mock = _mock(ws, mockId)
    return _out(mock, MockStore(ws).delete_server_response(mock.id, serverResponseId))
