"""`/keys`: API keys for private mocks and for this admin API (a key is shown once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from postmock_core.admin.ids import workspace
from postmock_core.mock.keys import ApiKey, KeyStore
from postmock_core.mock.manage import create_key
from postmock_core.store.workspace import Workspace

__all__ = ["KeyOut", "key_out", "router"]

router = APIRouter(tags=["API keys"])
Ws = Annotated[Workspace, Depends(workspace)]


class KeyOut(BaseModel):
    id: str
    name: str
    hint: str = Field(description="the key's last characters, to tell keys apart")
    createdAt: str
    revokedAt: str | None
    active: bool
    mocks: list[str] = Field(description="the mock IDs it opens; empty: every private mock and "
                                         "this admin API")


class NewKeyOut(KeyOut):
    key: str = Field(description="the key itself: shown only this once")


class KeysEnvelope(BaseModel):
    keys: list[KeyOut]


class KeyEnvelope(BaseModel):
    key: KeyOut


class NewKeyEnvelope(BaseModel):
    key: NewKeyOut


class KeyIn(BaseModel):
    name: str | None = Field(None, max_length=200)
    mocks: list[str] = Field([], max_length=1000, description="limit it to these mocks (names or IDs)")


class KeyCreate(BaseModel):
    key: KeyIn


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(id=key.id, name=key.name, hint="…" + key.hint, createdAt=key.created,
                  revokedAt=key.revoked, active=key.active, mocks=list(key.mocks))


@router.get("/keys", response_model=KeysEnvelope, summary="List API keys (never the keys themselves)")
def list_keys(ws: Ws) -> KeysEnvelope:
    return KeysEnvelope(keys=[key_out(k) for k in KeyStore(ws).list()])


@router.post("/keys", response_model=NewKeyEnvelope, summary="Create an API key; it is shown only in this answer")
def new_key(ws: Ws, body: KeyCreate) -> NewKeyEnvelope:
    key, secret = create_key(ws, body.key.name or None, tuple(body.key.mocks))
    return NewKeyEnvelope(key=NewKeyOut(**key_out(key).model_dump(), key=secret))


@router.delete("/keys/{keyId}", response_model=KeyEnvelope, summary="Revoke an API key (by ID or name)")
def revoke_key(ws: Ws, keyId: str) -> KeyEnvelope:
    return KeyEnvelope(key=key_out(KeyStore(ws).revoke(keyId)))
