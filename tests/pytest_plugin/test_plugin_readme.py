"""The README's "Testing with pytest" examples run as written, as a project of their own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx  # noqa: F401 - imported here once: pytest runs in-process unload what they import
import pytest
import requests  # noqa: F401 - likewise

import postmock_core.pytest_plugin.serving  # noqa: F401 - likewise: the engine loads once
from postmock_core import sampleapi

pytest_plugins = ["pytester"]

README = Path(__file__).parents[2] / "README.md"
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio")
# The collection the examples serve: what the sample API answers for user 1.
USERS = {"info": {"name": "Users"}, "item": [{"name": "User", "request": {"method": "GET", "url": "{{baseUrl}}/users/1"},
         "response": [{"name": "Ada", "code": 200, "header": [{"key": "Content-Type", "value": "application/json"}],
                       "body": json.dumps(sampleapi.USERS[0]),
                       "originalRequest": {"method": "GET", "url": "{{baseUrl}}/users/1"}}]}]}


def python_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Testing with pytest\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_readme_examples_pass_recording_and_replaying(pytester: pytest.Pytester) -> None:
    examples = python_examples()
    assert len(examples) >= 2
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "users.postman_collection.json").write_text(json.dumps(USERS))
    url, stop = sampleapi.start_in_thread()
    try:
        for n, code in enumerate(examples):
            pytester.makepyfile(**{f"test_readme_{n}": code.replace("https://api.example.com", url)})
        tests = sum(code.count("\ndef test_") for code in examples)
        pytester.runpytest(*QUIET, "--postmock-record-mode=once").assert_outcomes(passed=tests)
    finally:
        stop()
    pytester.runpytest(*QUIET).assert_outcomes(passed=tests)
