"""Postman variable substitution: scopes, nesting, depth limit, unknown names."""

from __future__ import annotations

import pytest

from postmock_core.postman.variables import (
    MAX_DEPTH,
    resolve,
    resolve_json,
    scope,
    variable_names,
    whole_variable,
)


def test_environment_wins_over_collection_and_disabled_values_are_ignored() -> None:
    collection = {"variable": [{"key": "host", "value": "c.example"}, {"key": "port", "value": "80"},
                               {"key": "off", "value": "x", "disabled": True}, {"value": "no key"}]}
    environment = {"values": [{"key": "host", "value": "e.example", "enabled": True},
                              {"key": "port", "value": "8080", "enabled": False},
                              {"key": "token", "value": "t", "type": "secret"}]}
    assert scope(collection, environment) == {"host": "e.example", "port": "80", "token": "t"}
    assert scope(None, None) == {}


def test_non_text_values_print_like_postman() -> None:
    values = scope({"variable": [{"key": "n", "value": 5}, {"key": "b", "value": True},
                                 {"key": "none", "value": None}, {"key": "obj", "value": {"a": 1}}]})
    assert values == {"n": "5", "b": "true"}
    assert resolve("{{n}}/{{b}}/{{none}}", values) == "5/true/{{none}}"


@pytest.mark.parametrize("text, expected", [
    ("{{base}}/users", "https://api/v1/users"),
    ("{{unknown}}/x", "{{unknown}}/x"),
    ("{{ base }}", "{{ base }}"),                      # names are exact, as in Postman
    ("{{user_{{kind}}}}", "Ann"),                      # inside-out
    ("{{ref}}", "https://api/v1"),                     # a value that names another variable
    ("{{self}}", "{{self}}"),                          # a loop ends at the depth limit
    ("no variables", "no variables"),
    ("{{$guid}}", "{{$guid}}"),                        # dynamic variables are for responses
    ("{{a}}{{b}}", "12"),
])
def test_resolve(text: str, expected: str) -> None:
    values = {"base": "https://api/v1", "kind": "admin", "user_admin": "Ann", "ref": "{{base}}",
              "self": "{{self}}", "a": "1", "b": "2"}
    assert resolve(text, values) == expected


def test_depth_limit_is_postmans() -> None:
    assert MAX_DEPTH == 19
    chain = {f"v{i}": f"{{{{v{i + 1}}}}}" for i in range(30)}
    chain["v30"] = "end"
    # each pass resolves one level: 19 passes from v0 reach v19
    assert resolve("{{v0}}", chain) == "{{v19}}"
    short = {f"v{i}": f"{{{{v{i + 1}}}}}" for i in range(18)} | {"v18": "end"}
    assert resolve("{{v0}}", short) == "end"


def test_resolve_json_and_helpers() -> None:
    assert resolve_json({"{{k}}": ["{{v}}", 1, None]}, {"k": "key", "v": "val"}) == {"key": ["val", 1, None]}
    assert variable_names("/a/{{x}}/{{y}}") == ["x", "y"]
    assert whole_variable("{{id}}") == "id"
    assert whole_variable("x{{id}}") is None
