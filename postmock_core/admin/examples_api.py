"""`/collections/{collectionId}/examples`: saved examples, the answers a mock gives. Save a
history entry as one (Postman's Save Response) and edit status, headers and body; a running
mock answers with the edit on its next call."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from postmock_core.admin.ids import workspace
from postmock_core.admin.library_api import collection_id
from postmock_core.admin.models import KeyValue
from postmock_core.history.store import HistoryStore
from postmock_core.postman.collections import CollectionStore, find_example, remove_example
from postmock_core.postman.example_edit import edit_example, save_from_history
from postmock_core.postman.model import example_body, iter_examples
from postmock_core.store.blobs import BlobStore
from postmock_core.store.workspace import Workspace

__all__ = ["ExampleOut", "example_out", "router"]

router = APIRouter(tags=["examples"])
Ws = Annotated[Workspace, Depends(workspace)]
Doc = dict[str, Any]


class ExampleOut(BaseModel):
    id: str
    name: str
    code: int
    status: str
    header: list[KeyValue]
    body: str = Field(description="the body: text, or base64 when bodyEncoding says so")
    bodyEncoding: str = Field(description="text or base64")
    request: str = Field(description="the request (item) it belongs to")
    method: str
    url: str


class ExampleSummary(BaseModel):
    id: str
    name: str
    code: int
    method: str
    url: str
    request: str


class ExamplesEnvelope(BaseModel):
    examples: list[ExampleSummary]


class ExampleEnvelope(BaseModel):
    example: ExampleOut


class ExampleSave(BaseModel):
    historyId: int = Field(ge=1, description="the history entry to save as an example")
    name: str | None = Field(None, max_length=200)


class ExampleCreate(BaseModel):
    example: ExampleSave


class ExamplePatch(BaseModel):
    code: int | None = Field(None, ge=100, le=599)
    status: str | None = Field(None, max_length=200, description="the reason phrase")
    header: list[KeyValue] | None = Field(None, description="replaces every header")
    body: str | None = Field(None, description="the new body, as text")
    name: str | None = Field(None, min_length=1, max_length=200)


class ExampleUpdate(BaseModel):
    example: ExamplePatch


def _request_of(ex: Doc) -> tuple[str, str]:
    req = ex.get("originalRequest") or {}
    url = req.get("url")
    raw = url.get("raw", "") if isinstance(url, dict) else str(url or "")
    return str(req.get("method", "")), raw


def example_out(item: Doc, ex: Doc, blobs: BlobStore) -> ExampleOut:
    """An example with its body, as the API and the dashboard's editor show it."""
    data = example_body(ex, blobs)
    try:
        body, encoding = data.decode("utf-8"), "text"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(data).decode("ascii"), "base64"
    method, url = _request_of(ex)
    return ExampleOut(id=str(ex.get("id")), name=str(ex.get("name", "")), code=int(ex.get("code") or 0),
                      status=str(ex.get("status") or ""),
                      header=[KeyValue(key=str(h.get("key", "")), value=str(h.get("value", "")))
                              for h in ex.get("header") or [] if isinstance(h, dict)],
                      body=body, bodyEncoding=encoding, request=str(item.get("name", "")),
                      method=method, url=url)


@router.get("/collections/{collectionId}/examples", response_model=ExamplesEnvelope,
            summary="List a collection's saved examples")
def list_examples(ws: Ws, collectionId: str) -> ExamplesEnvelope:
    store = CollectionStore(ws)
    doc = store.load(collection_id(store, collectionId))
    rows = []
    for item, ex in iter_examples(doc):
        method, url = _request_of(ex)
        rows.append(ExampleSummary(id=str(ex.get("id")), name=str(ex.get("name", "")),
                                   code=int(ex.get("code") or 0), method=method, url=url,
                                   request=str(item.get("name", ""))))
    return ExamplesEnvelope(examples=rows)


@router.post("/collections/{collectionId}/examples", response_model=ExampleEnvelope,
             summary="Save a history entry as an example (Save Response)")
def save_example(ws: Ws, collectionId: str, body: ExampleCreate) -> ExampleEnvelope:
    store = CollectionStore(ws)
    _, item, ex, _ = save_from_history(store, HistoryStore(ws), collection_id(store, collectionId),
                                       body.example.historyId, body.example.name)
    return ExampleEnvelope(example=example_out(item, ex, store.blobs))


@router.get("/collections/{collectionId}/examples/{exampleId}", response_model=ExampleEnvelope,
            summary="Get an example with its headers and body")
def get_example(ws: Ws, collectionId: str, exampleId: str) -> ExampleEnvelope:
    store = CollectionStore(ws)
    item, ex = find_example(store.load(collection_id(store, collectionId)), exampleId)
    return ExampleEnvelope(example=example_out(item, ex, store.blobs))


@router.put("/collections/{collectionId}/examples/{exampleId}", response_model=ExampleEnvelope,
            summary="Edit an example's status, headers, body or name; mocks answer with it at once")
def update_example(ws: Ws, collectionId: str, exampleId: str, body: ExampleUpdate) -> ExampleEnvelope:
    store = CollectionStore(ws)
    spec = body.example
    cid = collection_id(store, collectionId)
    doc, ex, _ = edit_example(
        store, cid, exampleId, status=spec.code, reason=spec.status,
        headers=[(h.key, h.value) for h in spec.header] if spec.header is not None else None,
        body=spec.body.encode("utf-8") if spec.body is not None else None, name=spec.name)
    item, ex = find_example(doc, str(ex.get("id")))
    return ExampleEnvelope(example=example_out(item, ex, store.blobs))


@router.delete("/collections/{collectionId}/examples/{exampleId}", response_model=ExampleEnvelope,
               summary="Delete an example")
def delete_example(ws: Ws, collectionId: str, exampleId: str) -> ExampleEnvelope:
    store = CollectionStore(ws)
    with store.edit(collection_id(store, collectionId)) as doc:
        item, _ = find_example(doc, exampleId)
        out = example_out(item, find_example(doc, exampleId)[1], store.blobs)
        remove_example(doc, exampleId)
    return ExampleEnvelope(example=out)
