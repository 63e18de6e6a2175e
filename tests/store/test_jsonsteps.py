"""Parsing and freeing JSON in steps gives what json.loads gives, and refuses what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postmock_core.store.jsonsteps import loads_in_steps, release_in_steps

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


@pytest.mark.parametrize("bad", [b"", b"{", b'{"a": 1,}', b"[1 2]", b'{"a" 1}', b"{1: 2}", b"[1] x", b'{"a": [1,]}'])
def test_same_errors_as_json_loads(bad: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)
    with pytest.raises(json.JSONDecodeError):
        loads_in_steps(bad)


def test_release_empties_nested_containers_and_objects() -> None:
    class Holder:
        def __init__(self) -> None:
            self.items = [{"a": [1, 2, {"b": list(range(100))}]} for _ in range(100)]

    held = Holder()
    inner = held.items[0]["a"]
    release_in_steps(held)
    assert held.__dict__ == {} and inner == []
