"""Secrets in a body of any shape: JSON, NDJSON, form, multipart, and everything else as text.

The shape comes from the Content-Type, or is sniffed when there is none or it says text/plain
(JSON sent as text, a form without a header). A body that does not parse as its shape, or that
is nested too deeply to read, is redacted as text: a body is never kept as it came just because
it could not be read.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from postmock_core.history import safejson
from postmock_core.history.redaction.rules import PLACEHOLDER, Rules
from postmock_core.history.redaction.text import scrub_text
from postmock_core.history.redaction.values import SecretValues

__all__ = ["Context", "media_type", "redact_body", "redact_json_text", "redact_value"]

_FORMISH = re.compile(r"[^=&\s]+=[^&\s]*(?:&[^=&\s]*(?:=[^&\s]*)?)*")
_BINARY_MEDIA = ("image/", "audio/", "video/", "font/", "application/zip", "application/gzip",
                 "application/pdf", "application/x-protobuf", "application/wasm")
_PLAIN = ("", "text/plain", "application/octet-stream")  # media types that say nothing of the shape
_NDJSON = ("ndjson", "jsonl", "json-seq", "jsonlines")
_PARAM = r"""{name}\*?\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))"""
_NAME = re.compile(_PARAM.format(name=r"(?<![\w-])name"), re.IGNORECASE)
_FILENAME = re.compile(_PARAM.format(name=r"filename"), re.IGNORECASE)
_BOUNDARY = re.compile(_PARAM.format(name=r"boundary"), re.IGNORECASE)
_NESTED_JSON_LIMIT = 3  # JSON in a string in a string ...: how deep such strings are opened


def media_type(content_type: str | None) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json` ('' when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


class Context:
    """What one redaction pass needs: the rules, where found values go, and where places go."""

    def __init__(self, rules: Rules, found: SecretValues, places: list[str]) -> None:
        self.rules = rules
        self.found = found
        self.places = places


def _collect(value: Any, found: SecretValues) -> None:
    """Every scalar under a secret key is secret (iteratively: it may be nested deep)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str):
            found.add(v)
        elif v is not None and not isinstance(v, bool):
            found.add(str(v))


def redact_value(value: str, ctx: Context, where: str, nested: int = 0) -> str:
    """A string found inside a body or a query: JSON in it is opened, the rest scrubbed as text."""
    head = value.lstrip()[:1]
    if head in ("{", "[") and nested < _NESTED_JSON_LIMIT:
        redacted = redact_json_text(value, ctx, where, nested + 1)
        if redacted is not None:
            return redacted
    return scrub_text(value, ctx.rules, ctx.found, ctx.places, where)


def _walk(data: Any, ctx: Context, root: str, nested: int) -> bool:
    """Redact parsed JSON in place, without recursion; True when anything changed."""
    changed = False
    stack: list[tuple[Any, str]] = [(data, root)]
    while stack:
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in list(items):
            at = f"{path}.{k}" if isinstance(node, dict) else f"{path}[{k}]"
            if isinstance(node, dict) and isinstance(k, str) and ctx.rules.key(k):
                if v != PLACEHOLDER:
                    _collect(v, ctx.found)
                    node[k] = PLACEHOLDER
                    ctx.places.append(at)
                    changed = True
            elif isinstance(v, str):
                new = redact_value(v, ctx, at, nested)
                if new != v:
                    node[k] = new
                    changed = True
            elif isinstance(v, (dict, list)):
                stack.append((v, at))
    return changed


def _dump(data: Any) -> str:
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # a lone surrogate (a "\ud800" escape): keep it escaped
        return json.dumps(data, separators=(",", ":"))


def redact_json_text(text: str, ctx: Context, where: str = "json:$", nested: int = 0) -> str | None:
    """Redacted JSON text (rewritten compactly only when something changed); None if not JSON."""
    try:
        data = safejson.loads(text)
    except ValueError:
        return None
    if not isinstance(data, (dict, list)):
        return text if not isinstance(data, str) else None
    return _dump(data) if _walk(data, ctx, where, nested) else text


def _ndjson(text: str, ctx: Context) -> str | None:
    lines = text.split("\n")
    if sum(1 for line in lines if line.strip()) < 2:
        return None
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            out.append(line)
            continue
        redacted = redact_json_text(line, ctx, f"json:line {i + 1}")
        out.append(redacted if redacted is not None else scrub_text(line, ctx.rules, ctx.found, ctx.places,
                                                                    f"text:line {i + 1}"))
    return "\n".join(out)


def _form(text: str, ctx: Context) -> str:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="surrogateescape")
    except ValueError:
        return scrub_text(text, ctx.rules, ctx.found, ctx.places, "text")
    out = []
    changed = False
    for k, v in pairs:
        if ctx.rules.key(k) and v != PLACEHOLDER:
            ctx.found.add(v)
            ctx.places.append(f"form:{k}")
            out.append((k, PLACEHOLDER))
            changed = True
            continue
        new = redact_value(v, ctx, f"form:{k}")
        changed = changed or new != v
        out.append((k, new))
    return urlencode(out, errors="surrogateescape") if changed else text


def _part_params(head: bytes) -> tuple[str | None, str | None, str | None]:
    """(field name, file name, content type) from a multipart part's headers."""
    text = head.decode("utf-8", "surrogateescape")
    name = filename = ctype = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            m = _NAME.search(value)
            name = (m.group(1) if m.group(1) is not None else m.group(2)) if m else None
            m = _FILENAME.search(value)
            filename = (m.group(1) if m.group(1) is not None else m.group(2)) if m else None
        elif key.strip().lower() == "content-type":
            ctype = value.strip()
    return name, filename, ctype


def _multipart(body: bytes, content_type: str, ctx: Context) -> bytes | None:
    m = _BOUNDARY.search(content_type)
    boundary = (m.group(1) if m.group(1) is not None else m.group(2)) if m else None
    if not boundary:
        first = body.lstrip().split(b"\n", 1)[0].strip()
        boundary = first[2:].decode("latin-1") if first.startswith(b"--") else None
    if not boundary:
        return None
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        return None
    out = [chunks[0]]
    for chunk in chunks[1:-1]:
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.partition(b"\n\n")
        if not sep:
            out.append(_text(chunk, ctx, "multipart"))
            continue
        ending = b"\r\n" if content.endswith(b"\r\n") else b"\n" if content.endswith(b"\n") else b""
        value = content[:len(content) - len(ending)]
        name, filename, ctype = _part_params(head)
        if name is not None and ctx.rules.key(name):
            if value.strip() != PLACEHOLDER.encode():
                ctx.found.add(value.decode("utf-8", "replace"))
                ctx.places.append(f"multipart:{name}")
                value = PLACEHOLDER.encode()
        elif value:
            value = _redact(value, ctype, ctx, sniff=filename is None or not ctype)
        out.append(head + sep + value + ending)
    out.append(chunks[-1])
    return delimiter.join(out)


def _text(data: bytes, ctx: Context, where: str) -> bytes:
    try:
        text, codec = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, codec = data.decode("latin-1"), "latin-1"  # one character per byte: nothing is lost
    new = scrub_text(text, ctx.rules, ctx.found, ctx.places, where)
    return data if new == text else new.encode(codec, "surrogateescape")


def _redact(body: bytes, content_type: str | None, ctx: Context, sniff: bool = True) -> bytes:
    media = media_type(content_type)
    if media.startswith("multipart/") and content_type:
        parts = _multipart(body, content_type, ctx)
        return parts if parts is not None else _text(body, ctx, "multipart")
    if sniff and media in _PLAIN and body.lstrip()[:2] == b"--":  # multipart, its header lost (a HAR)
        parts = _multipart(body, "", ctx)
        if parts is not None:
            return parts
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        if media.startswith(_BINARY_MEDIA):
            return body  # known values are still scrubbed from it, byte for byte, afterwards
        return _text(body, ctx, "text")
    if "\x00" in text and media.startswith(_BINARY_MEDIA):
        return body
    plain = sniff and media in _PLAIN
    head = text.lstrip()[:1]
    redacted: str | None
    if "json" in media or media.endswith(_NDJSON) or (plain and head in ("{", "[")):
        redacted = redact_json_text(text, ctx)
        if redacted is None:
            redacted = _ndjson(text, ctx)
        if redacted is None:
            redacted = scrub_text(text, ctx.rules, ctx.found, ctx.places, "text")
    elif media == "application/x-www-form-urlencoded" or (plain and _FORMISH.fullmatch(text.strip())):
        redacted = _form(text, ctx)
    else:
        redacted = scrub_text(text, ctx.rules, ctx.found, ctx.places, "text")
    return body if redacted == text else redacted.encode("utf-8", "surrogateescape")


def redact_body(body: bytes, content_type: str | None, rules: Rules, found: SecretValues,
                places: list[str]) -> bytes:
    """`body` with the secrets its shape shows replaced; each value replaced goes in `found`."""
    if not body:
        return body
    return _redact(body, content_type, Context(rules, found, places))
