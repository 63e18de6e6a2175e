"""Pydantic models shared by several resources of the admin API."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["KeyValue"]


class KeyValue(BaseModel):
    key: str
    value: str
