"""Request bodies compared by meaning: JSON by value, forms by fields, anything else exactly.

Both sides are reduced once to a `RequestBody`: its media type (no parameters, lower case) and
a hashable key, so comparing a live request with many examples is one equality test each.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections.abc import Hashable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from postmock_core.exchange import header, wire_bytes
from postmock_core.history import safejson
from postmock_core.postman.variables import resolve

__all__ = ["EMPTY", "RequestBody", "bodies_match", "live_body", "media_type", "request_body"]

# JSON objects are dicts: checked first, isinstance skips the slower Mapping ABC check.
OBJECT = (dict, Mapping)

EMPTY: tuple[str] = ("empty",)

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

# Postman's raw-body language to the Content-Type it sends when no header says otherwise.
_LANGUAGE = {
    "json": "application/json",
    "xml": "application/xml",
    "html": "text/html",
    "text": "text/plain",
    "javascript": "application/javascript",
}


_LATER: Any = object()  # a key not worked out yet


class RequestBody:
    """A body reduced for comparison; `key` None means it can never match (a file upload).

    An example's raw body is reduced on its first comparison (`RequestBody.later`): reading
    100k examples would otherwise parse and re-encode every JSON body before the first call.
    """

    __slots__ = ("_key", "media", "text")

    def __init__(self, media: str | None, key: Hashable | None, text: str = "") -> None:
        self.media = media
        self._key = key
        self.text = text

    @classmethod
    def later(cls, media: str | None, text: str) -> RequestBody:
        """A raw body whose key is worked out when it is first asked for."""
        return cls(media, _LATER, text)

    @property
    def key(self) -> Hashable | None:
        key = self._key
        if key is _LATER:
            key = self._key = _text_key(self.media, self.text)
        return key

    @property
    def group(self) -> Hashable | None:
        """What tells bodies apart without working out a key: bodies with the same group
        compare alike (two different texts may still turn out to have the same key)."""
        return ("text", self.text) if self._key is _LATER else self._key

    def _fields(self) -> tuple[str | None, Hashable | None, str]:
        return self.media, self.key, self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequestBody) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"RequestBody(media={self.media!r}, key={self.key!r}, text={self.text!r})"


def media_type(content_type: str | None) -> str | None:
    """`application/json; charset=utf-8` -> `application/json`; None when absent."""
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    return media or None


def _is_json(media: str | None) -> bool:
    return media is not None and media.endswith(("/json", "+json"))


def _get(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """`data[key]` when it is an object, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, OBJECT) else {}


def _sorted_fields(fields: list[tuple[str, str | None]]) -> tuple[tuple[str, str | None], ...]:
    return tuple(sorted(fields, key=lambda f: (f[0], f[1] or "")))


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _json_key(text: str) -> Hashable:
    try:
        data = safejson.loads(text)  # a body nested too deep to read compares as text
    except ValueError:
        return ("raw", wire_bytes(text))
    return ("json", json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False))


def _text_key(media: str | None, text: str) -> Hashable:
    if not text:
        return EMPTY
    if _is_json(media):
        return _json_key(text)
    if media == FORM:
        return ("form", tuple(sorted(parse_qsl(text, keep_blank_values=True))))
    return ("raw", wire_bytes(text))


def request_body(body: Any, headers: tuple[tuple[str, str], ...],
                 values: Mapping[str, str]) -> RequestBody | None:
    """The body of an example's request (a Postman body object), or None when it has none."""
    if body is None or not isinstance(body, OBJECT) or body.get("disabled") is True:
        return None
    mode = body.get("mode")
    declared = media_type(header(list(headers), "content-type"))
    if mode == "raw":
        text = resolve(str(body.get("raw") or ""), values)
        language = str(_get(_get(body, "options"), "raw").get("language") or "text").lower()
        media = declared or _LANGUAGE.get(language, "text/plain")
        return RequestBody.later(media, text)
    if mode == "urlencoded":
        pairs = [(resolve(str(f.get("key") or ""), values),
                  resolve(str(f.get("value") or ""), values))
                 for f in body.get("urlencoded") or []
                 if isinstance(f, OBJECT) and f.get("disabled") is not True]
        form: Hashable = ("form", tuple(sorted(pairs))) if pairs else EMPTY
        return RequestBody(declared or FORM, form, urlencode(pairs))
    if mode == "formdata":
        fields: list[tuple[str, str | None]] = []
        for f in body.get("formdata") or []:
            if not isinstance(f, OBJECT) or f.get("disabled") is True:
                continue
            name = resolve(str(f.get("key") or ""), values)
            fields.append((name, None) if f.get("type") == "file"
                          else (name, resolve(str(f.get("value") or ""), values)))
        multipart: Hashable = ("multipart", _sorted_fields(fields)) if fields else EMPTY
        return RequestBody(MULTIPART, multipart, "; ".join(k for k, _ in fields))
    if mode == "graphql":
        gql = _get(body, "graphql")
        query = resolve(str(gql.get("query") or ""), values)
        variables = resolve(str(gql.get("variables") or ""), values).strip()
        doc: dict[str, Any] = {"query": query}
        try:
            doc["variables"] = safejson.loads(variables) if variables else {}
        except ValueError:
            doc["variables"] = variables
        text = json.dumps(doc)
        media = declared or "application/json"
        return RequestBody(media, _text_key(media, text), text)
    if mode == "file":
        return RequestBody(declared, None, "(file)")
    return None


def _multipart(data: bytes, content_type: str) -> Hashable:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + data)
    fields: list[tuple[str, str | None]] = []
    if not msg.is_multipart():
        return ("raw", data)
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        if part.get_filename() is not None:
            fields.append((str(name), None))
        else:
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            fields.append((str(name), text))
    return ("multipart", _sorted_fields(fields))


def live_body(data: bytes, content_type: str | None) -> RequestBody:
    """The body of an incoming request."""
    media = media_type(content_type)
    if not data:
        return RequestBody(media, EMPTY, "")
    if media == MULTIPART and content_type:
        return RequestBody(media, _multipart(data, content_type), "")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return RequestBody(media, ("raw", data), "")
    return RequestBody(media, _text_key(media, text), text)


def bodies_match(example: RequestBody | None, live: RequestBody) -> tuple[bool, str]:
    """Whether the example's body matches the request's, and why not."""
    ex_key = example.key if example is not None else EMPTY
    if ex_key == EMPTY and live.key == EMPTY:
        return True, "both bodies empty"
    if ex_key is None:
        return False, "the example's body is a file upload, which cannot be compared"
    ex_media = example.media if example is not None else None
    if ex_key == EMPTY:
        return False, "the example has no body"
    if live.key == EMPTY:
        return False, "the request has no body"
    if ex_media != live.media:
        return False, (f"Content-Type differs: example {ex_media or 'none'}, "
                       f"request {live.media or 'none'}")
    if ex_key == live.key:
        return True, "body matches"
    kind = ex_key[0] if isinstance(ex_key, tuple) else "raw"
    return False, {"json": "JSON body differs", "form": "form fields differ",
                   "multipart": "form fields differ"}.get(str(kind), "body differs")
