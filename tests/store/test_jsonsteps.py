"""Parsing and freeing JSON in steps gives what json.loads gives, and refuses what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postmock_core.store.jsonsteps import WHOLE_BEFORE, _Ahead, loads_in_steps, release_in_steps

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5),
    max_leaves=40,
)


@given(JSON_VALUES)
def test_same_value_as_json_loads(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=2, sort_keys=True)):
        assert loads_in_steps(text) == json.loads(text)
        assert loads_in_steps(text.encode()) == json.loads(text.encode())
        assert loads_in_steps(text, 12, walk=["item", ""]) == json.loads(text)


def test_walking_named_properties_reads_collections_alike() -> None:
    leaf = {"name": "r\u00e9q \"1\"", "request": {"url": "{{b}}/a", "header": [{"key": "A", "value": "b"}]},
            "response": [{"name": "ok", "body": "{\"x\": 1}"}]}
    doc = {"info": {"name": "c"}, "item": [leaf, {"name": "folder", "item": [leaf, {"item": [leaf]}]}],
           "we\\ird\u0001key": [1, {"item": []}]}
    for text in (json.dumps(doc), json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False)):
        assert loads_in_steps(text, 12, walk=["item"]) == json.loads(text)


@pytest.mark.parametrize("bad", [b"", b"{", b'{"a": 1,}', b"[1 2]", b'{"a" 1}', b"{1: 2}", b"[1] x", b'{"a": [1,]}',
                                 b'{"a\x01": 1}', b'{"a\\q": 1}', b'{"a": 1 "b": 2}', b'{"a": [1}', b'{"a": {"b": 1]}'])
def test_same_errors_as_json_loads(bad: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)
    with pytest.raises(json.JSONDecodeError):
        loads_in_steps(bad)
    with pytest.raises(json.JSONDecodeError):
        loads_in_steps(bad, walk=["a"])


def test_release_empties_nested_containers_and_objects() -> None:
    class Holder:
        def __init__(self) -> None:
            self.items = [{"a": [1, 2, {"b": list(range(100))}]} for _ in range(100)]

    held = Holder()
    inner = held.items[0]["a"]
    release_in_steps(held)
    assert held.__dict__ == {} and inner == []


def test_items_without_a_folder_ahead_are_read_whole_and_alike() -> None:
    leaf = {"name": "item", "request": {"url": "/a", "header": [{"key": "item", "value": "x"}]},
            "response": [{"name": "ok", "body": "{\"item\": 1}"}]}
    far = {"name": "far", "description": "d" * (WHOLE_BEFORE + 10), "item": [leaf, leaf]}
    doc = {"info": {"name": "c"}, "item": [leaf, {"name": "folder", "item": [leaf, {"item": [leaf]}]}, far, leaf]}
    for text in (json.dumps(doc), json.dumps(doc, indent=1, sort_keys=True)):
        assert loads_in_steps(text, 16, walk=["item"]) == json.loads(text)


def test_only_an_item_no_walked_name_can_start_in_is_read_whole() -> None:
    leaf = {"name": "r", "request": {"url": "/a"}, "response": [{"name": "ok", "body": "{\"item\": 1}"}]}
    doc = {"item": [leaf, {"name": "folder", "item": [leaf]}, leaf, leaf]}
    text = json.dumps(doc)
    starts = [i for i in range(len(text)) if text.startswith(('{"name": "r"', '{"name": "folder"'), i)]
    ahead = _Ahead(text, frozenset({"item"}))
    # The first leaf and the folder come shortly before the folder's "item": both walked. The
    # leaves after it are read whole (an escaped \"item\" in a body is no property name).
    assert [ahead.clear(i) for i in starts] == [False, False, True, True, True]
