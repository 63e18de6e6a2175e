"""`/environments` and `/collections`: the Postman API's shapes over postmock's stores.

Collections go in and out as `{"collection": <Postman Collection v2.1>}`, as Postman's API
sends them; the stored form is v2.1 already, so a GET answers what `collection export` writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from postmock_core.admin.ids import OWNER, plain, uid, workspace
from postmock_core.errors import PostmockError
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore, normalize_environment
from postmock_core.postman.exporter import export_collection
from postmock_core.postman.importer import normalize_collection
from postmock_core.postman.jsonpath import DocumentError
from postmock_core.store.workspace import Workspace

__all__ = ["router"]

router = APIRouter()
Ws = Annotated[Workspace, Depends(workspace)]


def _mtime(path: Path) -> str:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- environments ---------------------------------------------------------------------------------
class Variable(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str = Field(min_length=1)
    value: str = ""
    enabled: bool = True
    type: Literal["default", "secret", "any", "text"] = "default"


class EnvironmentSummaryOut(BaseModel):
    id: str
    uid: str
    owner: str
    name: str
    values: int
    enabled: int
    updatedAt: str
    isPublic: bool = False


class EnvironmentOut(BaseModel):
    id: str
    uid: str
    owner: str
    name: str
    values: list[Variable]
    updatedAt: str
    isPublic: bool = False


class EnvironmentRef(BaseModel):
    id: str
    uid: str
    name: str | None = None


class EnvironmentsEnvelope(BaseModel):
    environments: list[EnvironmentSummaryOut]


class EnvironmentEnvelope(BaseModel):
    environment: EnvironmentOut


class EnvironmentRefEnvelope(BaseModel):
    environment: EnvironmentRef


class EnvironmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    values: list[Variable] = []


class EnvironmentCreate(BaseModel):
    environment: EnvironmentIn


class EnvironmentPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    values: list[Variable] | None = None


class EnvironmentReplace(BaseModel):
    environment: EnvironmentPatch


def _env_path(store: EnvironmentStore, ref: str) -> Path:
    return plain(ref, store.resolve)


@router.get("/environments", response_model=EnvironmentsEnvelope, tags=["environments"],
            summary="List environments")
def list_environments(ws: Ws) -> EnvironmentsEnvelope:
    return EnvironmentsEnvelope(environments=[
        EnvironmentSummaryOut(id=e.id, uid=uid(e.id), owner=OWNER, name=e.name, values=e.values,
                              enabled=e.enabled, updatedAt=_mtime(e.path))
        for e in EnvironmentStore(ws).list()])


@router.post("/environments", response_model=EnvironmentRefEnvelope, tags=["environments"],
             summary="Create an environment")
def create_environment(ws: Ws, body: EnvironmentCreate) -> EnvironmentRefEnvelope:
    try:
        doc = normalize_environment({"name": body.environment.name,
                                     "values": [v.model_dump() for v in body.environment.values]})
    except DocumentError as e:
        raise PostmockError(f"environment: {e}") from None
    doc, _ = EnvironmentStore(ws).import_doc(doc)
    return EnvironmentRefEnvelope(environment=EnvironmentRef(id=doc["id"], uid=uid(doc["id"]), name=doc["name"]))


@router.get("/environments/{environmentId}", response_model=EnvironmentEnvelope, tags=["environments"],
            summary="Get an environment with its variables")
def get_environment(ws: Ws, environmentId: str) -> EnvironmentEnvelope:
    store = EnvironmentStore(ws)
    path = _env_path(store, environmentId)
    doc = store.load(path.stem)
    values = [Variable.model_validate({**v, "value": str(v.get("value", ""))})
              for v in doc["values"] if isinstance(v, dict)]
    return EnvironmentEnvelope(environment=EnvironmentOut(
        id=doc["id"], uid=uid(doc["id"]), owner=OWNER, name=doc["name"], values=values,
        updatedAt=_mtime(path)))


@router.put("/environments/{environmentId}", response_model=EnvironmentRefEnvelope, tags=["environments"],
            summary="Replace an environment's name and/or variables")
def replace_environment(ws: Ws, environmentId: str, body: EnvironmentReplace) -> EnvironmentRefEnvelope:
    store = EnvironmentStore(ws)
    env_id = _env_path(store, environmentId).stem
    spec = body.environment
    values = [v.model_dump() for v in spec.values] if spec.values is not None else None
    doc = store.replace(env_id, name=spec.name, values=values)
    return EnvironmentRefEnvelope(environment=EnvironmentRef(id=doc["id"], uid=uid(doc["id"]), name=doc["name"]))


@router.delete("/environments/{environmentId}", response_model=EnvironmentRefEnvelope, tags=["environments"],
               summary="Delete an environment (mocks using it are deactivated)")
def delete_environment(ws: Ws, environmentId: str) -> EnvironmentRefEnvelope:
    store = EnvironmentStore(ws)
    doc = store.delete(_env_path(store, environmentId).stem)
    return EnvironmentRefEnvelope(environment=EnvironmentRef(id=doc["id"], uid=uid(doc["id"])))


# -- collections ----------------------------------------------------------------------------------
class CollectionInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1, max_length=200)


class CollectionDoc(BaseModel):
    """A Postman Collection (v2.1, or v2.0): `info`, `item` and whatever else it holds."""

    model_config = ConfigDict(extra="allow")
    info: CollectionInfo
    item: list[dict[str, Any]]


class CollectionBody(BaseModel):
    collection: CollectionDoc


class CollectionOutEnvelope(BaseModel):
    collection: dict[str, Any] = Field(description="the collection as Postman Collection v2.1")


class CollectionSummaryOut(BaseModel):
    id: str
    uid: str
    owner: str
    name: str
    requests: int
    examples: int
    updatedAt: str


class CollectionsEnvelope(BaseModel):
    collections: list[CollectionSummaryOut]


class CollectionRef(BaseModel):
    id: str
    uid: str
    name: str | None = None


class CollectionRefEnvelope(BaseModel):
    collection: CollectionRef


def _normalized(body: CollectionBody, store: CollectionStore) -> Any:
    data = body.collection.model_dump(mode="json")
    try:
        return normalize_collection(data, None, store.blobs)
    except DocumentError as e:
        raise PostmockError(f"collection: {e}") from None
    except RecursionError:
        raise PostmockError("collection: folders nested too deeply") from None


def collection_id(store: CollectionStore, ref: str) -> str:
    """The ID of a collection given by ID, UID or name."""
    return plain(ref, store.resolve).stem


@router.get("/collections", response_model=CollectionsEnvelope, tags=["collections"],
            summary="List collections")
def list_collections(ws: Ws) -> CollectionsEnvelope:
    return CollectionsEnvelope(collections=[
        CollectionSummaryOut(id=s.id, uid=uid(s.id), owner=OWNER, name=s.name, requests=s.requests,
                             examples=s.examples, updatedAt=_mtime(s.path))
        for s in CollectionStore(ws).list()])


@router.post("/collections", response_model=CollectionRefEnvelope, tags=["collections"],
             summary="Create a collection from a Postman Collection document")
def create_collection(ws: Ws, body: CollectionBody) -> CollectionRefEnvelope:
    store = CollectionStore(ws)
    doc, _ = store.import_normalized(_normalized(body, store))
    cid = doc["info"]["_postman_id"]
    return CollectionRefEnvelope(collection=CollectionRef(id=cid, uid=uid(cid), name=doc["info"]["name"]))


@router.get("/collections/{collectionId}", response_model=CollectionOutEnvelope, tags=["collections"],
            summary="Get a collection as Postman Collection v2.1")
def get_collection(ws: Ws, collectionId: str) -> CollectionOutEnvelope:
    store = CollectionStore(ws)
    doc = store.load(collection_id(store, collectionId))
    return CollectionOutEnvelope(collection=export_collection(doc, store.blobs))


@router.put("/collections/{collectionId}", response_model=CollectionRefEnvelope, tags=["collections"],
            summary="Replace a collection's content (its ID stays, so its mocks serve the new one)")
def replace_collection(ws: Ws, collectionId: str, body: CollectionBody) -> CollectionRefEnvelope:
    store = CollectionStore(ws)
    cid = collection_id(store, collectionId)
    doc = store.replace(cid, _normalized(body, store))
    return CollectionRefEnvelope(collection=CollectionRef(id=cid, uid=uid(cid), name=doc["info"]["name"]))


@router.delete("/collections/{collectionId}", response_model=CollectionRefEnvelope, tags=["collections"],
               summary="Delete a collection (mocks serving it are deactivated)")
def delete_collection(ws: Ws, collectionId: str) -> CollectionRefEnvelope:
    store = CollectionStore(ws)
    summary = store.delete(collection_id(store, collectionId))
    return CollectionRefEnvelope(collection=CollectionRef(id=summary.id, uid=uid(summary.id)))
