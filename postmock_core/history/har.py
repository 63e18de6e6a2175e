"""HAR 1.2 files to exchanges (writing them is `har_export`).

Reading accepts what browsers (Chrome, Firefox, Safari) and API clients (Insomnia, Charles)
export: bodies are already decoded there, so Content-Encoding is dropped; HTTP/2 pseudo
headers are dropped; entries without a response become failed exchanges. Everything is
converted before anything is stored, so a bad file imports nothing and the error names the
file, the JSON path and the problem.

It runs past the ~300-line guide because every exporter's dialect (browsers, Charles, Insomnia)
is handled in the one reader, where their differences can be seen side by side.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from postmock_core.errors import PostmockError
from postmock_core.exchange import (
    Exchange,
    Headers,
    HttpRequest,
    HttpResponse,
    header,
    wire_bytes,
)
from postmock_core.history import codecs
from postmock_core.history.formats import right_command
from postmock_core.history.redaction import redact_url

__all__ = ["HarError", "Imported", "exchanges_from_har", "looks_like_har", "read_har"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_VERSIONS = {"http/2.0": "HTTP/2.0", "http/2": "HTTP/2.0", "h2": "HTTP/2.0", "h2c": "HTTP/2.0",
             "http/3": "HTTP/3", "http/3.0": "HTTP/3", "h3": "HTTP/3",
             "http/1.0": "HTTP/1.0", "http/1.1": "HTTP/1.1"}


class HarError(PostmockError):
    """A HAR file that cannot be imported: names the file, the JSON path and the problem."""

    def __init__(self, path: str, where: str, problem: str) -> None:
        super().__init__(f"cannot import {path}: {where}: {problem}; nothing was imported")


@dataclass
class Imported:
    """What a HAR file yields: exchanges ready to redact and store, and what was skipped."""

    exchanges: list[Exchange] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    # Credentials the file held where an exchange keeps no trace of them (a URL's userinfo):
    # redaction hunts for them in every exchange of the file.
    secrets: list[str] = field(default_factory=list)


def looks_like_har(head: bytes) -> bool:
    """Whether the first bytes of a file look like a HAR (JSON, maybe BOM'd or zlib'd .zhar)."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"{") or head[:1] == b"\x78"


def read_har(path: Path) -> Imported:
    """Read and convert a whole HAR (or zlib-compressed .zhar) file."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PostmockError(f"cannot read {path}: {e.strerror}") from e
    if not raw.strip():
        raise HarError(name, "$", "the file is empty")
    if raw[:1] == b"\x78":
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except RecursionError:
        raise HarError(name, "$", "nested too deeply to be a HAR file") from None
    except UnicodeDecodeError as e:
        raise HarError(name, "$", f"not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise HarError(name, "$", f"not valid JSON (line {e.lineno} column {e.colno}: "
                                  f"{e.msg})") from None
    return exchanges_from_har(data, name)


# -- reading ----------------------------------------------------------------------------------
class _Reader:
    """Typed access into the parsed JSON that reports the path of anything wrong."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, problem: str) -> HarError:
        return HarError(self.name, where, problem)

    def get(self, obj: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...],
            required: bool = True, default: Any = None) -> Any:
        value = obj.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}.{key}", "missing")
            return default
        # bool is an int in Python, never a valid HAR number or string
        if not isinstance(value, kind) or isinstance(value, bool):
            kinds = (kind,) if isinstance(kind, type) else kind
            names = " or ".join(k.__name__ for k in kinds)
            raise self.fail(f"{where}.{key}", f"expected {_JSON_NAMES.get(names, names)}, "
                                              f"got {type(value).__name__}")
        return value

    def headers(self, msg: dict[str, Any], where: str) -> Headers:
        out: Headers = []
        for i, h in enumerate(self.get(msg, "headers", where, list, required=False, default=[])):
            at = f"{where}.headers[{i}]"
            if isinstance(h, dict):
                name = self.get(h, "name", at, str)
                value = h.get("value", "")
            elif isinstance(h, list) and len(h) == 2:  # some tools write [name, value]
                name, value = h
            else:
                raise self.fail(at, "expected an object with name and value")
            if not isinstance(name, str) or not isinstance(value, (str, int, float)):
                raise self.fail(at, "name and value must be strings")
            if name.startswith(":"):  # HTTP/2 pseudo headers are not headers
                continue
            out.append((name, str(value)))
        return out


_JSON_NAMES = {"dict": "an object", "list": "an array", "str": "a string",
               "int or float": "a number", "int": "an integer"}


def _version(value: Any) -> str:
    text = str(value or "").strip()
    return _VERSIONS.get(text.lower(), text if text.upper().startswith("HTTP/") else "HTTP/1.1")


def _encode_text(text: str, content_type: str | None) -> bytes:
    """Text as the bytes its declared charset says (the browser decoded it with that)."""
    charset = ""
    for part in (content_type or "").split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip('"')
    try:
        return text.encode(charset or "utf-8")
    except (LookupError, UnicodeEncodeError):
        return wire_bytes(text)


def _undo_encoding(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    """Drop Content-Encoding (decoding the body if a tool stored it still compressed)."""
    encoding = (header(headers, "content-encoding") or "").strip().lower()
    if not encoding or encoding == "identity":
        return body, headers
    if body:
        try:
            body = codecs.decode(body, encoding)
        except ValueError:
            pass  # already decoded, as browsers export it
    out: Headers = []
    for k, v in headers:
        if k.lower() == "content-encoding":
            continue
        out.append((k, str(len(body)) if k.lower() == "content-length" else v))
    return body, out


FormParam = tuple[str, str, str | None, str | None]  # name, value, file name, content type


def _multipart(params: list[FormParam], mime: str) -> tuple[bytes, str]:
    boundary = ""
    for part in mime.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "boundary":
            boundary = v.strip('"')
    if not boundary:
        boundary = "postmock-boundary"
        mime = f"multipart/form-data; boundary={boundary}"
    chunks = []
    for name, value, filename, ctype in params:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if ctype:
            head += f"Content-Type: {ctype}\r\n"
        chunks.append(f"{head}\r\n{value}\r\n")
    chunks.append(f"--{boundary}--\r\n")
    return "".join(chunks).encode("utf-8"), mime


def _post_data(r: _Reader, req: dict[str, Any], where: str, headers: Headers) -> bytes:
    post = r.get(req, "postData", where, dict, required=False)
    if not post:
        return b""
    at = f"{where}.postData"
    mime = (r.get(post, "mimeType", at, str, required=False, default="")
            or header(headers, "content-type") or "")
    text = r.get(post, "text", at, str, required=False, default="")
    if text:
        if post.get("encoding") == "base64":
            try:
                return base64.b64decode(text, validate=True)
            except ValueError:
                raise r.fail(f"{at}.text", "not valid base64") from None
        return _encode_text(text, mime)
    params: list[FormParam] = []
    for i, p in enumerate(r.get(post, "params", at, list, required=False, default=[])):
        if not isinstance(p, dict):
            raise r.fail(f"{at}.params[{i}]", "expected an object with name and value")
        params.append((str(r.get(p, "name", f"{at}.params[{i}]", str)), str(p.get("value", "")),
                       p.get("fileName"), p.get("contentType")))
    if not params:
        return b""
    if "multipart/form-data" in mime.lower():
        body, _ = _multipart(params, mime)
        return body
    return urlencode([(n, v) for n, v, _, _ in params]).encode("utf-8")


def _request(r: _Reader, entry: dict[str, Any], where: str, secrets: list[str]) -> HttpRequest | None:
    at = f"{where}.request"
    req = r.get(entry, "request", where, dict)
    method = r.get(req, "method", at, str).strip().upper()
    url = r.get(req, "url", at, str)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise r.fail(f"{at}.url", f"not a URL: {redact_url(url)[:100]!r}") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return None  # data:, blob:, ws:, chrome-extension: ... are not HTTP exchanges
    # A message names the URL without its credentials: the file may be shared, the error too.
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme.lower()]
    except ValueError:
        raise r.fail(f"{at}.url", f"bad port in {redact_url(url)[:100]!r}") from None
    if not parts.hostname or not method:
        raise r.fail(f"{at}.url" if method else f"{at}.method",
                     f"not a usable request: {redact_url(url)[:100]!r}")
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        secrets.extend(s for s in (userinfo, unquote(userinfo), parts.password or "") if s)
    headers = r.headers(req, at)
    return HttpRequest(
        method=method, scheme=parts.scheme.lower(), host=parts.hostname, port=port,
        path=parts.path or "/",
        query=parse_qsl(parts.query, keep_blank_values=True, errors="surrogateescape"),
        headers=headers, body=_post_data(r, req, at, headers),
        http_version=_version(req.get("httpVersion")),
    )


def _response(r: _Reader, entry: dict[str, Any],
              where: str) -> tuple[HttpResponse | None, str | None, bool]:
    """The response, or the error that stands for it, and whether its body was left out."""
    at = f"{where}.response"
    resp = r.get(entry, "response", where, dict, required=False)
    if not resp:
        return None, "no response recorded", False
    status = r.get(resp, "status", at, (int, float), required=False, default=0)
    if not 100 <= int(status) <= 999:
        error = resp.get("_error") or resp.get("statusText") or "no response (status 0)"
        return None, str(error), False
    headers = r.headers(resp, at)
    content = r.get(resp, "content", at, dict, required=False, default={})
    text = r.get(content, "text", f"{at}.content", str, required=False)
    size = content.get("size")
    # Firefox leaves out image bodies: say so instead of storing an empty body silently.
    missing = text is None and (
        (isinstance(size, (int, float)) and size > 0)
        or (not isinstance(size, (int, float)) and int(status) not in (204, 304)))
    body = b""
    if text:
        if content.get("encoding") == "base64":
            try:
                body = base64.b64decode(text, validate=False)
            except ValueError:
                raise r.fail(f"{at}.content.text", "not valid base64") from None
        else:
            body = _encode_text(text, header(headers, "content-type") or content.get("mimeType"))
    body, headers = _undo_encoding(body, headers)
    mime = content.get("mimeType")
    if (body or missing) and not header(headers, "content-type") and isinstance(mime, str) and mime.strip() \
            and mime.strip().lower() != "x-unknown":
        # Browsers often leave the header out of the HAR but always give content.mimeType.
        headers = [*headers, ("Content-Type", mime.strip())]
    return HttpResponse(status=int(status), reason=str(resp.get("statusText") or ""),
                        headers=headers, body=body,
                        http_version=_version(resp.get("httpVersion"))), None, missing


def _started(r: _Reader, entry: dict[str, Any], where: str) -> float:
    value = r.get(entry, "startedDateTime", where, str)
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise r.fail(f"{where}.startedDateTime", f"not an ISO 8601 time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


def exchanges_from_har(data: Any, name: str = "HAR") -> Imported:
    """Convert parsed HAR JSON; `HarError` names the first problem found."""
    r = _Reader(name)
    if not isinstance(data, dict):
        raise r.fail("$", "expected a JSON object with a 'log'")
    hint = right_command(data, "har")
    if hint:
        raise r.fail("$", f"not a HAR file{hint}")
    log = r.get(data, "log", "$", dict)
    entries = r.get(log, "entries", "$.log", list)
    out = Imported()
    for i, entry in enumerate(entries):
        where = f"$.log.entries[{i}]"
        if not isinstance(entry, dict):
            raise r.fail(where, "expected an object")
        request = _request(r, entry, where, out.secrets)
        if request is None:
            out.skipped["not http(s)"] = out.skipped.get("not http(s)", 0) + 1
            continue
        response, error, missing = _response(r, entry, where)
        took = entry.get("time")
        duration = (round(float(took), 3) if isinstance(took, (int, float))
                    and not isinstance(took, bool) and took >= 0 else None)
        out.exchanges.append(Exchange(
            request=request, response=response, timestamp=_started(r, entry, where),
            duration_ms=duration,
            error=error, mode="import", source="har",
            truncated=["response.body"] if missing else [],
        ))
    return out
