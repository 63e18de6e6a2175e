"""The `postmock` fixture, run by pytest itself: a sample project serves collections and checks calls."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx  # noqa: F401 - imported here once: pytest runs in-process unload what they import
import pytest
import requests  # noqa: F401 - likewise
from support.mockkit import users_collection

import postmock_core.pytest_plugin.serving  # noqa: F401 - likewise: the engine loads once

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "postman"

SAMPLE = '''
import json
import os

import httpx
import requests

GREETING = {
    "info": {"name": "Greeting"},
    "item": [{"name": "Hello", "request": {"method": "GET", "url": "{{baseUrl}}/hello"}, "response": [
        {"name": "Hi", "code": 200, "status": "OK", "body": "{{greeting}}, {{$queryParams 'who' 'you'}}",
         "originalRequest": {"method": "GET", "url": "{{baseUrl}}/hello"}}]}],
}


def fetch_user(user_id):
    """Code under test: it reads its API's base URL from the environment."""
    return requests.get(f"{os.environ['API_URL']}/users/{user_id}", timeout=10).json()


def test_serve_a_file_and_assert_on_calls(postmock):
    mock = postmock.serve("users.postman_collection.json")
    r = httpx.get(mock.url + "/users/1", params={"verbose": "1"}, headers={"X-Trace": "t-1"})
    assert r.json() == {"id": 1, "name": "Ada"} and r.headers["X-Mock-Example-Name"] == "Ada"
    created = requests.post(mock.url + "/users", json={"name": "Grace"}, timeout=10)
    assert created.status_code == 201 and created.json() == {"id": 7, "name": "Grace"}
    get, post = mock.calls
    assert (get.method, get.path, get.query, get.status, get.example) == \\
        ("GET", "/users/1", [("verbose", "1")], 200, "Ada")
    assert get.header("x-trace") == "t-1" and get.score > 0 and get.example_id
    assert (post.method, post.status, post.example, post.json()) == ("POST", 201, "Created", {"name": "Grace"})
    mock.assert_called("GET", "/users/1", times=1)
    mock.assert_called("GET", "/users/1?verbose=1")
    mock.assert_called("post", "/users")
    mock.reset()
    assert mock.calls == []
    mock.assert_called("GET", "/users/1", times=0)


def test_assert_called_says_what_was_called(postmock):
    mock = postmock.serve("users.postman_collection.json")
    httpx.get(mock.url + "/users/1")
    try:
        mock.assert_called("GET", "/users/1", times=2)
    except AssertionError as e:
        assert "expected GET /users/1 2 time(s)" in str(e) and "GET /users/1 -> 200 Ada" in str(e)
    else:
        raise AssertionError("assert_called passed for a call made once")


def test_serve_a_dict_with_an_environment_and_the_api_url_in_the_environment(postmock, monkeypatch):
    mock = postmock.serve(GREETING, env={"name": "Test", "values": [{"key": "greeting", "value": "Hello"}]})
    assert httpx.get(mock.url + "/hello", params={"who": "Ada"}).text == "Hello, Ada"
    users = postmock.serve("users.postman_collection.json")
    monkeypatch.setenv("API_URL", users.url)
    assert fetch_user(1)["name"] == "Ada"
    users.assert_called("GET", "/users/1", times=1)
    assert len(mock.calls) == 1


def test_serve_with_an_environment_file(postmock):
    mock = postmock.serve(GREETING, env="greeting.postman_environment.json")
    assert httpx.get(mock.url + "/hello").text == "Howdy, you"


def test_serve_a_v20_file(postmock):
    mock = postmock.serve("v20.postman_collection.json")
    assert httpx.get(mock.url + "/status", params={"full": "1"}).json() == {"up": True}


def test_a_private_mock_wants_its_key(postmock):
    mock = postmock.serve("users.postman_collection.json", private=True)
    assert httpx.get(mock.url + "/users/1").status_code == 401
    assert httpx.get(mock.url + "/users/1", headers={"x-api-key": mock.api_key}).status_code == 200
    assert [c.kind for c in mock.calls] == ["unauthorized", "mocked"]
    assert postmock.serve("users.postman_collection.json", delay="2g").mock.delay_ms == 300


def test_matching_options_and_allowed_misses(postmock):
    mock = postmock.serve("users.postman_collection.json", match_body=True, allow_misses=True)
    assert httpx.post(mock.url + "/users", json={"name": "Grace"}).status_code == 201
    missed = httpx.post(mock.url + "/users", json={"name": "Alan"})
    assert missed.status_code == 404 and missed.json()["error"]["header"] == "No matching requests"
    assert [c.example for c in mock.misses] == ["No matching requests"]
'''

MISSES = '''
import httpx


def test_a_miss_fails(postmock):
    mock = postmock.serve("users.postman_collection.json")
    assert httpx.get(mock.url + "/users/1").status_code == 200
    httpx.delete(mock.url + "/users/1")
    httpx.get(mock.url + "/orders/5")


def test_a_selector_that_finds_nothing(postmock):
    mock = postmock.serve("users.postman_collection.json")
    httpx.get(mock.url + "/users/1", headers={"x-mock-response-name": "Nobody"})


def test_fails_on_its_own(postmock):
    mock = postmock.serve("users.postman_collection.json")
    assert httpx.get(mock.url + "/orders/5").status_code == 200


def test_missing_file(postmock):
    postmock.serve("nowhere.json")


def test_bad_option(postmock):
    postmock.serve("users.postman_collection.json", on_miss="panic")
'''


# Plugins the sample project does not use, and that would be imported again on every run.
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "users.postman_collection.json").write_text(json.dumps(users_collection()))
    shutil.copy(FIXTURES / "v20.postman_collection.json", pytester.path)
    (pytester.path / "greeting.postman_environment.json").write_text(json.dumps(
        {"name": "Greeting", "values": [{"key": "greeting", "value": "Howdy", "enabled": True}]}))
    return pytester


def test_a_sample_project_serves_collections_and_asserts_on_calls(project: pytest.Pytester) -> None:
    project.makepyfile(test_sample=SAMPLE)
    result = project.runpytest(*QUIET)
    result.assert_outcomes(passed=7)


def test_a_call_that_finds_no_example_fails_the_test_with_the_nearest(project: pytest.Pytester) -> None:
    project.makepyfile(test_misses=MISSES)
    result = project.runpytest(*QUIET)
    result.assert_outcomes(failed=5)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*postmock: 2 call(s) to the mock at http://127.0.0.1:* found no answer:",
        "  DELETE /users/1 -> 404 No matching requests",
        "    nearest: 'Ada' (GET http://127.0.0.1:9/users/1*): method: example is GET",
        "  GET /orders/5 -> 404 No matching requests",
        "    nearest: *",
        "(pass allow_misses=True to allow calls that find no answer)",
        "FAILED test_misses.py::test_a_miss_fails*",
    ])
    result.stdout.fnmatch_lines([
        "  GET /users/1 -> 404 No matching requests",
        ("    No GET example has the name 'Nobody' given in x-mock-response-name. Double check the "
        "header value and the request method."),
    ])
    # A test that fails by itself gets its misses in its report, and no second error at teardown.
    result.stdout.fnmatch_lines(["*Captured postmock call*", "postmock: 1 call(s) to the mock at *",
                                 "  GET /orders/5 -> 404 No matching requests"])
    result.stdout.fnmatch_lines(["*postmock: error: cannot import nowhere.json: No such file or directory*"])
    result.stdout.fnmatch_lines(["*postmock: error: on_miss='panic' is not one of error, passthrough, record*"])
    # User errors are one line each, not a traceback into the plugin.
    assert "postmock_core/" not in out
