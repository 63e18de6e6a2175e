"""The saved examples of a collection, read once into small immutable `Example`s.

Variables are filled in (environment over collection); an unresolved `{{var}}` or a `:name`
without a value in the URL path becomes a wildcard segment. An example that cannot be read is
kept as an `Example` with `error` set, so explain can list it as dropped instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from postmock_core.errors import PostmockError
from postmock_core.matching.bodies import RequestBody, request_body
from postmock_core.matching.pathscore import split_path
from postmock_core.postman.variables import resolve, scope, variable_names
from postmock_core.store.blobs import BlobStore

__all__ = ["Example", "QueryParam", "load_examples"]

# JSON objects are dicts: checked first, isinstance skips the slower Mapping ABC check.
OBJECT = (dict, Mapping)

log = logging.getLogger(__name__)

# (key, value or None for a bare `?flag`, disabled)
QueryParam = tuple[str, str | None, bool]


@dataclass(slots=True, unsafe_hash=True)
class Example:
    """One saved example: the request it answers (variables filled in) and its response.

    Treat it as immutable (derive a changed copy with `dataclasses.replace`). It is not frozen
    only because a frozen dataclass sets each field through `object.__setattr__`, which made
    creating one three times slower: 1 s of a 100k-example index build.
    """

    id: str
    name: str
    method: str = "GET"
    url: str = ""                              # the example URL, variables filled in
    path: tuple[str, ...] = ()                 # decoded segments, trailing slashes removed
    trailing_slash: bool = False
    wildcards: frozenset[int] = frozenset()    # indexes of wildcard segments in `path`
    query: tuple[QueryParam, ...] = ()
    url_variables: tuple[tuple[str, str], ...] = ()
    request_headers: tuple[tuple[str, str], ...] = ()
    request_body: RequestBody | None = None
    status: int = 200
    reason: str = ""
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: str = ""
    body_blob: str | None = None
    preview_language: str = ""
    location: tuple[str, ...] = ()             # folder names, then the request's name
    order: int = 0                             # position in the collection document
    error: str | None = None                   # why the example could not be read
    blobs: BlobStore | None = field(default=None, compare=False, repr=False)
    # What the layers above derive from this version of the example once (its parsed response
    # template): it lives and dies with the example, and dataclasses.replace starts it afresh.
    # Made on first use: most examples of a large collection are never called.
    memo: dict[str, Any] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def display_path(self) -> str:
        return "/" + "/".join(self.path) + ("/" if self.trailing_slash else "")

    @property
    def where(self) -> str:
        """`Folder / Request / Example` for messages."""
        return " / ".join((*self.location, self.name))

    @property
    def body(self) -> bytes:
        """The response body bytes (read from the blob store when stored out of line)."""
        if self.body_blob:
            if self.blobs is None:
                raise PostmockError(f"example {self.name!r} keeps its body in the blob store; "
                                    "open it through a workspace")
            return self.blobs.get(self.body_blob)
        return self.response_body.encode("utf-8")


Fill = Callable[[str], str]  # a text with the collection's variables filled in


def _filler(values: Mapping[str, str]) -> Fill:
    """`resolve` against `values`, remembering each text it filled in: hosts, header lines and
    query keys come back example after example. A text with more after its last variable (a
    raw URL, `{{baseUrl}}/users/1`) is remembered up to there: the rest never changes."""
    known: dict[str, str] = {}

    def fill(text: str) -> str:
        if "{{" not in text:
            return text
        end = text.rfind("}}") + 2
        head = text[:end] if 1 < end < len(text) else text
        done = known.get(head)
        if done is None:
            done = known[head] = resolve(head, values)
        return done if head is text else done + text[end:]

    return fill


def _unquote(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


@lru_cache(maxsize=256)
def _host_prefix(host: str) -> tuple[str, ...]:
    """The path segments a resolved host carries (`https://api.example.com/v1`: `v1`)."""
    return tuple(s for s in _split_raw(host)[0].split("/") if s) if "/" in host else ()


Pairs = tuple[tuple[str, str], ...]
Keep = Callable[[Pairs, Pairs], Pairs]  # `dict.setdefault` of a table of header lists seen


def _pairs(items: Any, fill: Fill, keep: Keep) -> Pairs:
    """Enabled `[{key, value}]` entries (or a `k: v` text block) with variables filled in.

    `keep` gives back an equal tuple made before, if any: most examples of a collection share
    their header lists, and one copy of each is enough."""
    if isinstance(items, str):
        out = []
        for line in items.splitlines():
            k, sep, v = line.partition(":")
            if sep and k.strip():
                out.append((fill(k.strip()), fill(v.strip())))
        made = tuple(out)
        return keep(made, made)
    if items is None:
        return ()
    if not isinstance(items, list):
        raise TypeError("headers are not a list")
    out = []
    for h in items:
        if not isinstance(h, OBJECT):
            raise TypeError("a header is not an object")
        key = h.get("key")
        if not isinstance(key, str) or h.get("disabled") is True:
            continue
        value = h.get("value")
        text = value if type(value) is str else "" if value is None else str(value)
        out.append((key if "{{" not in key else fill(key), text if "{{" not in text else fill(text)))
    made = tuple(out)
    return keep(made, made)


def _url_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, OBJECT):  # v2.0 style {"value": ...}
        return str(part.get("value") or "")
    if part is None:
        return ""
    return str(part)


def _split_raw(raw: str) -> tuple[str, str]:
    """(path, query string) of a Postman raw URL, which may lack a scheme or a host."""
    raw = raw.split("#", 1)[0]
    raw, _, qs = raw.partition("?")
    if "://" in raw:
        raw = raw.split("://", 1)[1]
    elif raw.startswith("/"):
        return raw, qs
    _, slash, path = raw.partition("/")
    return slash + path, qs


def _parse_query(qs: str) -> list[QueryParam]:
    params: list[QueryParam] = []
    for part in qs.split("&"):
        if not part:
            continue
        k, eq, v = part.partition("=")
        params.append((unquote_plus(k), unquote_plus(v) if eq else None, False))
    return params


def _url_parts(url: Any, fill: Fill) -> tuple[str, list[str], list[QueryParam], dict[str, str]]:
    """(display URL, raw path segments, query, url variables) of a Postman request URL.

    Like the Collection SDK, the structured `host`/`path`/`query` win over `raw`. A host that
    resolves to a URL with a path (`{{baseUrl}}` = `https://api.example.com/v1`) puts that path
    in front, so the example answers where the real API lives.
    """
    if isinstance(url, str) or url is None:
        url = {"raw": url or "/"}
    if not isinstance(url, OBJECT):
        raise TypeError("the URL is neither text nor an object")
    raw = url.get("raw")
    raw = fill(raw) if isinstance(raw, str) else ""
    url_vars: dict[str, str] = {}
    variables = url.get("variable")
    for v in variables if variables else ():
        if isinstance(v, OBJECT) and isinstance(v.get("key"), str) and not v.get("disabled"):
            url_vars[v["key"]] = "" if v.get("value") is None else str(v.get("value"))
    if "path" in url or "host" in url:
        host = url.get("host")
        if type(host) is list:
            text = host[0] if len(host) == 1 and type(host[0]) is str else ".".join(
                [h if type(h) is str else _url_text(h) for h in host])
        else:
            text = _url_text(host)
        prefix = _host_prefix(fill(text))
        path = url.get("path")
        if isinstance(path, list):
            segs = [s if type(s) is str else _url_text(s) for s in path]
        else:
            text = _url_text(path).lstrip("/")
            segs = text.split("/") if text else []
        if prefix:
            segs = [*prefix, *segs]
    else:
        path_text = _split_raw(raw)[0].lstrip("/")
        segs = path_text.split("/") if path_text else []
    query_items = url.get("query")
    if isinstance(query_items, list):
        query: list[QueryParam] = []
        for q in query_items:
            if not isinstance(q, OBJECT) or not isinstance(q.get("key"), str):
                continue
            value = q.get("value")
            query.append((_unquote(fill(q["key"])),
                          None if value is None else _unquote(fill(str(value))),
                          q.get("disabled") is True))
    else:
        query = _parse_query(_split_raw(raw)[1]) if "?" in raw else []
    return raw, segs, query, url_vars


_NO_WILDCARDS: frozenset[int] = frozenset()
# Methods as written most often, each kept once (not a new upper-case copy per example).
_METHODS = {m: m.upper() for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
                                   "get", "post", "put", "patch", "delete", "head", "options")}


def _method(given: Any) -> str:
    """An example request's method in upper case; GET when it has none."""
    known = _METHODS.get(given) if type(given) is str else None
    return known or str(given or "GET").strip().upper() or "GET"


def _path(raw_segs: list[str], url_vars: Mapping[str, str],
          fill: Fill) -> tuple[tuple[str, ...], bool, frozenset[int]]:
    """Resolved segments, trailing slash, and the wildcard positions."""
    joined = "/".join(raw_segs)
    if "{{" not in joined and ":" not in joined:  # nothing to fill in: most paths
        if "%" in joined or joined.count("/") != len(raw_segs) - 1:
            segs, ts = split_path("/" + joined)  # to decode, or segments holding slashes
            return segs, ts, _NO_WILDCARDS
        # `split_path`'s result, keeping the document's own strings
        ts = False
        while raw_segs and raw_segs[-1] == "":
            raw_segs = raw_segs[:-1]
            ts = True
        return tuple(raw_segs), ts and bool(raw_segs), _NO_WILDCARDS
    out: list[str] = []
    wild: set[int] = set()
    for seg in raw_segs:
        if seg.startswith(":") and len(seg) > 1:
            given = url_vars.get(seg[1:], "")
            seg = given if given else "{{" + seg[1:] + "}}"
        text = fill(seg)
        for piece in text.split("/") if "/" in text else (text,):
            if variable_names(piece):
                wild.add(len(out))
            out.append(piece)
    segs, ts = split_path("/" + "/".join(out))
    return segs, ts, frozenset(i for i in wild if i < len(segs))


def _walk(items: Any, location: tuple[str, ...]
          ) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any], Any]]:
    """(location, item, example) for every example in document order."""
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, OBJECT):
            continue
        name = str(item.get("name") or "")
        if isinstance(item.get("item"), list):
            yield from _walk(item["item"], (*location, name))
            continue
        responses = item.get("response")
        if isinstance(responses, list) and responses:
            where = (*location, name)  # one for all the examples of a request
            for example in responses:
                yield where, item, example


def _example(n: int, where: tuple[str, ...], item: Mapping[str, Any], ex: Any,
             values: Mapping[str, str], fill: Fill, keep: Keep, blobs: BlobStore | None) -> Example:
    if not isinstance(ex, OBJECT):
        raise TypeError("the example is not an object")
    req = ex.get("originalRequest") or item.get("request") or {}
    if isinstance(req, str):
        req = {"url": req, "method": "GET"}
    if not isinstance(req, OBJECT):
        raise TypeError("its request is not an object")
    url, raw_segs, query, url_vars = _url_parts(req.get("url"), fill)
    segs, ts, wild = _path(raw_segs, url_vars, fill)
    code = ex.get("code", 200)
    if type(code) is not int or code < 0:
        if isinstance(code, bool) or not str(code).strip().isdigit():
            raise ValueError(f"status code {code!r} is not a number")
        code = int(str(code).strip())
    headers = _pairs(req.get("header"), fill, keep)
    body = ex.get("body")
    if body is None:
        body = ""
    elif not isinstance(body, str):
        raise TypeError("the response body is not text")
    extra = ex.get("_postmock")
    blob = extra.get("bodyBlob") if extra is not None and isinstance(extra, OBJECT) else None
    blob = blob if isinstance(blob, str) and blob else None
    if blob and blobs is not None and not blobs.exists(blob):
        raise ValueError(f"its body file {blob[:12]}... is missing from the workspace")
    # By position, in field order: keyword arguments made this call three times slower.
    return Example(
        str(ex.get("id") or f"{n:06d}"),  # id
        str(ex.get("name") or ""),  # name
        _method(req.get("method")),
        url,
        segs,  # path
        ts,  # trailing_slash
        wild,  # wildcards
        tuple(query),
        tuple(url_vars.items()) if url_vars else (),  # url_variables
        headers,  # request_headers
        request_body(req.get("body"), headers, values),
        code,  # status
        str(ex.get("status") or ""),  # reason
        _pairs(ex.get("header"), fill, keep),  # response_headers
        resolve(body, values),  # response_body
        blob,  # body_blob
        str(ex.get("_postman_previewlanguage") or ""),  # preview_language
        where,  # location
        n,  # order
        None,  # error
        blobs,
    )


def load_examples(collection: Mapping[str, Any], environment: Mapping[str, Any] | None = None,
                  blobs: BlobStore | None = None) -> list[Example]:
    """Every example of a collection in document order; unreadable ones carry `error`."""
    values = scope(collection, environment)
    fill = _filler(values)
    shared: dict[Pairs, Pairs] = {}
    keep: Keep = shared.setdefault
    out: list[Example] = []
    for n, (where, item, ex) in enumerate(_walk(collection.get("item"), ()), start=1):
        try:
            out.append(_example(n, where, item, ex, values, fill, keep, blobs))
        except (ValueError, TypeError, AttributeError, PostmockError) as e:
            name = str(ex.get("name") or "") if isinstance(ex, OBJECT) else ""
            ex_id = str(ex.get("id") or f"{n:06d}") if isinstance(ex, OBJECT) else f"{n:06d}"
            log.debug("example %s (%s) skipped: %s", ex_id, name, e)
            out.append(Example(id=ex_id, name=name, location=where, order=n, error=str(e)))
    return out
