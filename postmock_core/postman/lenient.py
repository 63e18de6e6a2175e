"""Reading loose Postman documents the way Postman's own Collection SDK reads them.

The rule for imports: what the SDK (`postman-collection`) accepts, postmock imports. The SDK
reads every list field the same forgiving way (`members`), and quietly drops or ignores parts
it cannot use; postmock skips those parts too and says so in `Notes`, one line per kind
("skipped 3 empty headers"), instead of refusing the file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "Notes", "members", "one_line", "text_value", "truthy"]


@dataclass(frozen=True)
class Kind:
    """One kind of skipped or repaired part, said as `{verb} {n} {one or many}`."""

    verb: str
    one: str
    many: str

    def line(self, n: int) -> str:
        return f"{self.verb} {n} {self.one if n == 1 else self.many}"


KINDS: dict[str, Kind] = {k: Kind(*v) for k, v in {
    "empty header": ("skipped", "empty header", "empty headers"),
    "nameless header": ("skipped", "header without a name", "headers without a name"),
    "odd query": ("skipped", "query parameter without a name", "query parameters without a name"),
    "odd path variable": ("skipped", "path variable without a name", "path variables without a name"),
    "odd form field": ("skipped", "body field without a name", "body fields without a name"),
    "odd variable": ("skipped", "collection variable without a name", "collection variables without a name"),
    "odd env value": ("skipped", "environment variable without a name", "environment variables without a name"),
    "odd enabled": ("read", "`enabled` that is not true or false as true",
                    "`enabled` fields that are not true or false as true"),
    "odd name": ("cleaned up", "name that is not one line of at most 200 characters",
                 "names that are not one line of at most 200 characters"),
    "odd info": ("ignored", "`info` that is not an object", "`info` fields that are not objects"),
    "null item": ("skipped", "null item", "null items"),
    "null example": ("skipped", "null saved example", "null saved examples"),
    "odd item": ("imported", "item that is not an object as an empty GET request",
                 "items that are not objects as empty GET requests"),
    "no request": ("imported", "item without a request as an empty GET request",
                   "items without a request as empty GET requests"),
    "odd request": ("imported", "request that is not an object as an empty GET request",
                    "requests that are not objects as empty GET requests"),
    "folder request": ("skipped", "request or examples given to a folder (an item with `item` is one)",
                       "requests or examples given to folders (an item with `item` is one)"),
    "odd method": ("replaced", "method that is not an HTTP method with GET",
                   "methods that are not HTTP methods with GET"),
    "odd url": ("read", "URL that is neither text nor an object as empty",
                "URLs that are neither text nor objects as empty"),
    "odd field": ("skipped", "field of the wrong type (in a URL, auth, a variable or an ID)",
                  "fields of the wrong type (in URLs, auth, variables or IDs)"),
    "odd body": ("skipped", "request body that is not an object", "request bodies that are not objects"),
    "odd body mode": ("read", "request body of an unknown mode as raw text",
                      "request bodies of an unknown mode as raw text"),
    "odd example": ("imported", "saved example that is not an object as an empty 200 response",
                    "saved examples that are not objects as empty 200 responses"),
    "odd original request": ("replaced", "example request that is not an object with its item's request",
                             "example requests that are not objects with their item's request"),
    "odd code": ("replaced", "status code that is not a number from 100 to 599 with 200",
                 "status codes that are not numbers from 100 to 599 with 200"),
    "odd id": ("replaced", "example ID that is not text with a new one",
               "example IDs that are not text with new ones"),
    "bad base64": ("kept", "body marked base64 that is not base64 as text",
                   "bodies marked base64 that are not base64 as text"),
    "missing blob": ("emptied", "body that refers to a file not in this workspace",
                     "bodies that refer to files not in this workspace"),
}.items()}


@dataclass
class Notes:
    """What an import skipped or repaired, counted by kind (see `KINDS`)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, n: int = 1) -> None:
        if kind not in KINDS:
            raise KeyError(kind)
        self.counts[kind] += n

    def lines(self) -> list[str]:
        """One line per kind, in the order of `KINDS`."""
        return [KINDS[k].line(self.counts[k]) for k in KINDS if self.counts[k]]

    def __bool__(self) -> bool:
        return any(self.counts.values())


def truthy(value: Any) -> bool:
    """JavaScript's truth, which the SDK's checks use: an empty list or object is true."""
    if isinstance(value, (list, dict)):
        return True
    return value is not None and value is not False and value != 0 and value != ""


def members(value: Any, notes: Notes | None = None, nulls: str = "") -> list[Any]:
    """The members of a list field as the SDK reads it: a missing or false-ish value has none,
    a list has its non-null elements (each null noted as `nulls`), anything else is a list of one."""
    if isinstance(value, list):
        out = [v for v in value if v is not None]
        if notes is not None and nulls and len(out) < len(value):
            notes.add(nulls, len(value) - len(out))
        return out
    return [value] if truthy(value) else []


def text_value(value: Any) -> str:
    """A value as text: Postman files carry numbers, booleans and even JSON where strings belong."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def one_line(value: Any, notes: Notes, limit: int = 200) -> str:
    """A name from a file as one line of at most `limit` characters ('' when it has none)."""
    if not isinstance(value, str):
        return ""
    clean = "".join(" " if ord(c) < 32 else c for c in value).strip()
    if len(clean) > limit:
        clean = clean[:limit].rstrip()
    if clean != value.strip():
        notes.add("odd name")
    return clean
