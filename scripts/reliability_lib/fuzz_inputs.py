"""Fuzz inputs: hypothesis strategies for arbitrary JSON, hostile text, templates and requests,
and valid real-shaped documents (a small collection, environment, HAR, flow dump) to corrupt."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from postmock_core.exchange import HttpRequest

__all__ = ["SECRET", "corrupted_bytes", "flow_bytes", "hostile_text", "json_values", "mutated", "requests",
           "secret_bodies", "seed_documents", "template_parts", "templates"]

VOCABULARY = [
    "info", "item", "name", "_postman_id", "schema", "request", "response", "url", "raw", "host",
    "path", "query", "variable", "key", "value", "method", "header", "body", "mode", "urlencoded",
    "formdata", "file", "src", "code", "status", "originalRequest", "id", "auth", "type", "event",
    "_postmock", "bodyBlob", "bodyEncoding", "values", "enabled", "log", "entries", "startedDateTime",
    "time", "headers", "queryString", "postData", "text", "mimeType", "params", "content", "size",
    "encoding", "httpVersion", "statusText", "redirectURL", "cookies", "timings", "collection",
    "protocol", "port", "hash", "disabled", "description", "options", "graphql", "_postman_previewlanguage",
]
TEXTS = ["", "GET", "POST", "get", "{{baseUrl}}/users/{{id}}", "http://127.0.0.1:9/a?b=1", ":id", "..",
         "../../etc/passwd", "%2e%2e%2f", "{{$guid}}", "{{$body 'a'}}", "{{", "}}", "base64", "raw",
         "urlencoded", "application/json", "text/plain; charset=utf-8", "200", "OK", "\x00", "\ud800",
         "é", "../x", "0" * 64, "1e400", "NaN", "https://", "//", "?", "#", "=", "&", "\r\n", "\udcff",
         "a\u2028b", "\x85", "²"]

keys = st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=6))
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(TEXTS), st.text(max_size=20),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6)


json_values: st.SearchStrategy[Any] = st.recursive(leaves, _containers, max_leaves=40)


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _nodes(v, (*path, i))


def _apply(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action != "delete" else {}
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "wrap":
        parent[last] = [parent[last]]
    elif action == "stringify":
        parent[last] = json.dumps(parent[last])
    else:
        parent[last] = value
    return doc


@st.composite
def mutated(draw: Any, base: Any, max_mutations: int = 3) -> Any:
    """`base` with 1..`max_mutations` random nodes replaced, deleted, wrapped or stringified."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_mutations))):
        nodes = list(_nodes(doc))
        path = draw(st.sampled_from(nodes))
        action = draw(st.sampled_from(["replace", "replace", "delete", "wrap", "stringify"]))
        value = draw(json_values) if action == "replace" else None
        doc = _apply(doc, path, action, value)
    return doc


def seed_documents() -> dict[str, Any]:
    """Small valid documents of each importable kind, to corrupt."""
    from support.mockkit import users_collection

    collection = users_collection("Fuzzed")
    collection["item"][0]["response"][0]["_postmock"] = {"bodyEncoding": "base64"}
    collection["item"][0]["response"][0]["body"] = "eyJpZCI6IDF9"
    collection["item"].append({"name": "Folder", "item": [
        {"name": "Form", "request": {"method": "POST", "url": {"raw": "{{baseUrl}}/form?x=1", "host": ["{{baseUrl}}"],
                                                               "path": ["form"], "query": [{"key": "x", "value": "1"}]},
                                     "body": {"mode": "urlencoded", "urlencoded": [{"key": "a", "value": "b"}]}},
         "response": [{"name": "Formed", "code": "201", "body": {"ok": True}}]}]})
    environment = {"id": "env-1", "name": "Fuzzed env", "values": [
        {"key": "baseUrl", "value": "http://127.0.0.1:9", "enabled": True},
        {"key": "n", "value": 3}, {"key": "off", "value": "x", "enabled": False}]}
    har = {"log": {"version": "1.2", "creator": {"name": "fuzz", "version": "1"}, "entries": [{
        "startedDateTime": "2026-11-21T10:00:00.000Z", "time": 12.5,
        "request": {"method": "POST", "url": "http://127.0.0.1:9/users?q=1", "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                    "queryString": [{"name": "q", "value": "1"}], "cookies": [],
                    "postData": {"mimeType": "application/json", "text": "{\"password\": \"x\"}"},
                    "headersSize": -1, "bodySize": 17},
        "response": {"status": 201, "statusText": "Created", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": "Content-Type", "value": "application/json"}], "cookies": [],
                     "content": {"size": 9, "mimeType": "application/json", "text": "eyJpZCI6N30=",
                                 "encoding": "base64"}, "redirectURL": "", "headersSize": -1, "bodySize": 9},
        "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1.5}}]}}
    return {"collection": collection, "environment": environment, "har": har}


def flow_bytes() -> bytes:
    """A valid mitmproxy flow dump: two HTTP flows (one failed) and a TCP flow."""
    from mitmproxy.io import FlowWriter
    from mitmproxy.test import tflow

    out = io.BytesIO()
    writer = FlowWriter(out)
    writer.add(tflow.tflow(resp=True))
    writer.add(tflow.tflow(err=True))
    writer.add(tflow.ttcpflow())
    return out.getvalue()


@st.composite
def corrupted_bytes(draw: Any, base: bytes) -> bytes:
    """`base` with bytes flipped, cut off, or inserted."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "cut", "insert", "digit"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i:]
        elif op == "digit":  # tnetstring lengths are digits: make one wrong
            data[i] = ord(draw(st.sampled_from("0123456789:,")))
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


# -- templates and requests ----------------------------------------------------------------------
# Lone surrogates: what bytes that are not UTF-8 become (surrogateescape), and JSON "\ud800" escapes.
hostile_text = st.one_of(st.text(max_size=8), st.sampled_from(["\ud800", "\udcff", "a\udc80b", "²", "\u2028", "%ff"]))
template_parts = st.sampled_from([
    "{{", "}}", "{{$guid}}", "{{$timestamp}}", "{{$isoTimestamp}}", "{{$randomInt}}", "{{$randomEmail}}",
    "{{$randomLoremParagraphs}}", "{{$body}}", "{{$body 'a.b'}}", "{{$body 'a\\.b' 'dflt'}}",
    "{{$body \"items.0\"}}", "{{$queryParams 'q'}}", "{{$queryParams}}", "{{$pathSegments '1'}}",
    "{{$pathSegments '99999999999999999999'}}", "{{$headers 'X-A'}}", "{{$headers}}", "{{id}}",
    "{{ id }}", "{{$nope}}", "{{$body '", "'}}", "$", "'", "\"", " ", "{{$random}}", "{{$}}",
    "{{$body '' ''}}", "{{$body '.'}}", "{{$body '\\\\.'}}", "text", "\u00e9", "\x00",
])
templates = st.lists(st.one_of(template_parts, st.text(max_size=6)), max_size=12).map("".join)
header_pairs = st.lists(st.tuples(st.sampled_from(["X-A", "Content-Type", "x-a", "Accept", "x-mock-response-code",
                                                   "x-mock-response-name", "x-mock-response-id"]) | hostile_text,
                                  hostile_text | template_parts), max_size=4)
bodies = st.one_of(
    st.binary(max_size=40),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["a", "a.b", "items", "name"]), json_values, max_size=3)
      .map(lambda v: json.dumps(v).encode()),
)
requests = st.builds(
    HttpRequest,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "get", "PURGE"]) | st.text(max_size=8),
    path=st.lists(st.sampled_from(["users", "1", "999", "hello", "x", "", "..", "%2F", "{{$guid}}"])
                  | hostile_text, max_size=5).map(lambda s: "/" + "/".join(s)),
    query=st.lists(st.tuples(st.sampled_from(["q", "a", "id"]) | hostile_text,
                             hostile_text | template_parts), max_size=3),
    headers=header_pairs,
    body=bodies,
)


# -- bodies for redaction: every shape, each with a secret where the rules must find it ---------
SECRET = "fuzzsecret1234567"
_KEYS = ["password", "token", "accessToken", "client-secret", "API_KEY", "Authorization", "id_token"]
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _wrap(value: Any, depth: int, kind: str) -> str:
    inner = json.dumps(value)
    return ("[" * depth + inner + "]" * depth) if kind == "list" else ('{"a":' * depth + inner + "}" * depth)


@st.composite
def secret_bodies(draw: Any) -> tuple[bytes, str | None]:
    """(body, Content-Type): JSON, NDJSON, form, multipart or text, possibly broken or nested very
    deep, with `SECRET` under a secret key (in any spelling) where the redactor must find it."""
    key = draw(st.sampled_from(_KEYS))
    shape = draw(st.sampled_from(["json", "deep", "ndjson", "form", "multipart", "text", "broken", "string"]))
    noise = draw(json_values)
    if shape == "json":
        doc = {"x": noise, key: SECRET} if draw(st.booleans()) else [noise, {"n": {key: SECRET}}]
        ctype = draw(st.sampled_from(["application/json", "text/plain", None, "application/vnd.api+json"]))
        return json.dumps(doc).encode(), ctype
    if shape == "deep":
        depth = draw(st.sampled_from([1, 150, 201, 999, 5000, 30_000]))
        body = _wrap({key: SECRET, "noise": noise}, depth, draw(st.sampled_from(["list", "object"])))
        return body.encode(), draw(st.sampled_from(["application/json", None]))
    if shape == "ndjson":
        lines = [json.dumps(v) for v in draw(st.lists(json_values, max_size=3))]
        lines.insert(draw(st.integers(0, len(lines))), json.dumps({key: SECRET}))
        return ("\n".join(lines) + "\n").encode(), draw(st.sampled_from(["application/x-ndjson", "application/json"]))
    if shape == "form":
        pairs = draw(st.lists(st.tuples(st.text(_ALNUM, min_size=1, max_size=5), st.text(max_size=8)), max_size=3))
        pairs.insert(draw(st.integers(0, len(pairs))), (key, SECRET))
        return urlencode(pairs).encode(), draw(st.sampled_from(["application/x-www-form-urlencoded", None,
                                                                  "text/plain"]))
    if shape == "multipart":
        boundary = draw(st.text(_ALNUM, min_size=8, max_size=20))
        fields = draw(st.lists(st.tuples(st.text(_ALNUM, min_size=1, max_size=5), st.text(max_size=12)), max_size=3))
        fields = [(n, v.replace(boundary, "")) for n, v in fields]
        fields.insert(draw(st.integers(0, len(fields))), (key, SECRET))
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n' for n, v in fields]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")
        return body, draw(st.sampled_from([f"multipart/form-data; boundary={boundary}", None]))
    if shape == "string":  # JSON inside a JSON string, as an echo API returns a raw body
        return json.dumps({"data": json.dumps({key: SECRET, "x": noise})}).encode(), "application/json"
    text = draw(st.text(max_size=30))
    secret_line = draw(st.sampled_from([f"{key}={SECRET}", f'"{key}": "{SECRET}"', f"<{key}>{SECRET}</{key}>",
                                        f"{key}: {SECRET}", f"{{\"{key}\": \"{SECRET}\","]))
    body = f"{text}\n{secret_line}\n{draw(st.text(max_size=30))}"
    ctype = draw(st.sampled_from(["text/plain", "text/html", None, "application/json", "application/xml"]))
    if shape == "broken":
        body = json.dumps({key: SECRET, "x": noise})[:-1] + ",,"
    return body.encode("utf-8", "surrogatepass"), ctype
