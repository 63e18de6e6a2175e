"""Variants of real Postman collections and environments, for differential tests against the SDK.

A variant is a real document with a few changes at random places: a field dropped, set to null,
emptied, given another type, or duplicated; parts rewritten in the other collection format's
shape (v2.0 and v2.1 spell URLs, auth, headers, descriptions and variables differently; exports
mix them); or an item, example or variable of another document spliced in. The changes are the
ones real, hand-edited or generated files show.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

__all__ = ["COLLECTION_FIXTURES", "ENVIRONMENT_FIXTURES", "collection_variants", "environment_variants",
           "load_fixtures"]

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "postman"
COLLECTION_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.postman_collection.json"))
ENVIRONMENT_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.postman_environment.json"))

Path_ = tuple[Any, ...]

# Values a field is retyped to: one of each JSON type, plus shapes that mean something in Postman.
_RETYPES: list[Any] = [
    0, 1, 200, -1, 1.5, 10**20, True, False, "", "x", "GET", "200", "http://127.0.0.1:9/a?b=1",
    "{{baseUrl}}/users/:id", "Content-Type: text/plain", [], [None], [1, "a"], [{}], {}, {"key": None},
    {"key": "k", "value": "v"}, {"mode": "raw"}, {"raw": "x"}, {"item": []}, {"request": "/x"},
    # Objects the SDK throws on: JavaScript cannot print the first; the second passes for an Item.
    {"toString": "x"}, {"constructor": {"_postman_propertyName": "Item"}},
]


def load_fixtures(names: list[str]) -> list[Any]:
    """The parsed fixture documents."""
    return [json.loads((FIXTURES / name).read_text(encoding="utf-8")) for name in names]


def _places(doc: Any) -> list[Path_]:
    """The path of every value in `doc`, parents before children."""
    out: list[Path_] = []
    stack: list[tuple[Path_, Any]] = [((), doc)]
    while stack:
        path, value = stack.pop()
        out.append(path)
        if isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
    return out


def _copy(doc: Any) -> Any:
    return json.loads(json.dumps(doc))  # JSON only: faster than copy.deepcopy


def _get(doc: Any, path: Path_) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _empty(value: Any) -> Any:
    return {} if isinstance(value, dict) else [] if isinstance(value, list) else "" if isinstance(value, str) \
        else 0


# -- the other format's shapes ----------------------------------------------------------------
def _reshape(value: Any, key: Any) -> Any:
    """`value` (found under `key`) spelled the way the other collection format or an older
    exporter writes it; unchanged when there is no other spelling."""
    if key in ("url",) and isinstance(value, dict) and isinstance(value.get("raw"), str):
        return value["raw"]  # v2.0 and many generators: the URL as a string
    if key == "url" and isinstance(value, str):
        return {"raw": value}
    if key == "auth" and isinstance(value, dict) and isinstance(value.get("type"), str):
        params = value.get(value["type"])
        if isinstance(params, list):  # v2.1 list -> v2.0 object
            return {**value, value["type"]: {str(p.get("key")): p.get("value") for p in params
                                             if isinstance(p, dict)}}
        if isinstance(params, dict):  # v2.0 object -> v2.1 list
            return {**value, value["type"]: [{"key": k, "value": v, "type": "string"} for k, v in params.items()]}
    if key in ("header", "headers") and isinstance(value, list):
        return "\n".join(f"{h.get('key')}: {h.get('value')}" for h in value if isinstance(h, dict))
    if key == "description" and isinstance(value, str):
        return {"content": value, "type": "text/markdown"}
    if key == "description" and isinstance(value, dict):
        return value.get("content")
    if key in ("variable", "query") and isinstance(value, list):
        out = []
        for v in value:  # v2.0 variables are named by `id`
            if isinstance(v, dict) and "key" in v:
                v = {("id" if k == "key" else k): x for k, x in v.items()}
            out.append(v)
        return out
    if key == "code" and isinstance(value, int):
        return str(value)
    if key == "raw" and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, (dict, list)) else value
    if key in ("host", "path") and isinstance(value, list):
        return ("." if key == "host" else "/").join(str(v) for v in value)
    if key == "request" and isinstance(value, dict) and isinstance(value.get("url"), (str, dict)):
        url = value["url"]
        return url if isinstance(url, str) else url.get("raw", "")
    if key == "body" and isinstance(value, dict) and value.get("mode") == "raw":
        return {"mode": "raw", "raw": value.get("raw"), "options": {"raw": {"language": "json"}}}
    return value


_ACTIONS = ["drop", "drop", "null", "empty", "retype", "retype", "duplicate", "reshape", "reshape", "splice"]


def _lists(doc: Any, key: str) -> list[Path_]:
    """Paths of the lists held under `key` ("item", "response", "values") anywhere in `doc`."""
    return [p for p in _places(doc) if p and p[-1] == key and isinstance(_get(doc, p), list)]


_DONORS: dict[tuple[int, str], list[Any]] = {}


def _donors(bases: list[Any], key: str) -> list[Any]:
    """Every member of every `key` list of the bases (computed once per list of bases)."""
    found = _DONORS.get((id(bases), key))
    if found is None:
        found = _DONORS[(id(bases), key)] = [m for b in bases for p in _lists(b, key) for m in _get(b, p)]
    return found


def _splice(draw: Any, doc: Any, bases: list[Any]) -> Any:
    """An item, example or variable of any base (another format's, say) put into `doc`."""
    key = draw(st.sampled_from(["item", "response", "values"]))
    targets = _lists(doc, key)
    donors = _donors(bases, key)
    if not targets or not donors:
        return doc
    value = _copy(draw(st.sampled_from(donors)))
    target = _get(doc, draw(st.sampled_from(targets)))
    target.insert(draw(st.integers(0, len(target))), value)
    return doc


def _mutate(draw: Any, doc: Any, bases: list[Any]) -> Any:
    places = [p for p in _places(doc) if p]
    if not places:
        return doc
    # Prefer places deep in the tree less: every level gets its chance.
    depth = draw(st.integers(1, max(len(p) for p in places)))
    near = [p for p in places if len(p) == depth] or places
    path = draw(st.sampled_from(near))
    parent = _get(doc, path[:-1])
    key = path[-1]
    value = parent[key]
    action = draw(st.sampled_from(_ACTIONS))
    if action == "splice":
        return _splice(draw, doc, bases)
    if action == "drop":
        del parent[key]
    elif action == "null":
        parent[key] = None
    elif action == "empty":
        parent[key] = _empty(value)
    elif action == "retype":
        parent[key] = _copy(draw(st.sampled_from(_RETYPES)))
    elif action == "duplicate":
        if isinstance(parent, list):
            parent.insert(key, _copy(value))
        elif isinstance(value, list) and value:
            value.append(_copy(draw(st.sampled_from(value))))
        else:  # a field twice, the second time as a one-element list
            parent[key] = [_copy(value), _copy(value)]
    else:
        parent[key] = _reshape(value, key if isinstance(key, str) else
                               (path[-2] if len(path) > 1 and isinstance(path[-2], str) else key))
    return doc


@st.composite
def _variants(draw: Any, bases: list[Any], max_changes: int) -> Any:
    doc = _copy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, max_changes))):
        doc = _mutate(draw, doc, bases)
    # A few top-level changes keep the whole document (not just a leaf) in play; not on the
    # simplest draw, which hypothesis makes often, so most variants stay importable.
    if draw(st.integers(0, 19)) == 19:
        doc = draw(st.sampled_from([None, [], {}, 5, "x", {"item": doc}, {"collection": doc}, [doc]]))
    return doc


def collection_variants(bases: list[Any], max_changes: int = 4) -> st.SearchStrategy[Any]:
    """Variants of the given collections (1..`max_changes` changes each)."""
    return _variants(bases, max_changes)


def environment_variants(bases: list[Any], max_changes: int = 3) -> st.SearchStrategy[Any]:
    """Variants of the given environments (1..`max_changes` changes each)."""
    return _variants(bases, max_changes)
