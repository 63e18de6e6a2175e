"""Who gets into the admin server: keys, the one-time login link and its session cookie,
and the refused cases (no key, wrong key, a key limited to a mock, a foreign Host, a
cross-origin write, a write that is not JSON)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from support.adminkit import Admin, run_admin
from support.mockkit import POSTMOCK, postmock, users_collection
from support.procs import free_port, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with run_admin(tmp_path_factory.mktemp("admin-sec"), history=False) as a:
        yield a


def _refused(r: httpx.Response, status: int, name: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["name"] == name


def test_no_key_wrong_key_and_mock_limited_key_are_refused(admin: Admin) -> None:
    with admin.client(None) as anon:
        _refused(anon.get("/mocks"), 401, "AuthenticationError")
        _refused(anon.get("/openapi.json"), 401, "AuthenticationError")
        _refused(anon.post("/keys", json={"key": {"name": "sneaky"}}), 401, "AuthenticationError")
    with admin.client("PMAK-not-a-real-key") as wrong:
        _refused(wrong.get("/mocks"), 401, "AuthenticationError")
    with admin.client() as api:
        cid = api.post("/collections", json={"collection": users_collection("Sec")}).json()["collection"]["id"]
        mock = api.post("/mocks", json={"mock": {"collection": cid, "name": "sec", "private": True}}).json()["mock"]
        limited = api.post("/keys", json={"key": {"name": "one mock", "mocks": [mock["id"]]}}).json()["key"]["key"]
    with admin.client(limited) as narrow:
        _refused(narrow.get("/mocks"), 401, "AuthenticationError")
        _refused(narrow.get(f"/mocks/{mock['id']}"), 401, "AuthenticationError")
    # ...while the same limited key still opens its own private mock.
    port = int(mock["mockUrl"].rsplit(":", 1)[1])
    from support.procs import wait_for_port

    wait_for_port(port, 30)
    with httpx.Client(base_url=mock["mockUrl"], trust_env=False, timeout=30) as m:
        assert m.get("/users/1").status_code == 401
        assert m.get("/users/1", headers={"x-api-key": limited}).status_code == 200


def test_foreign_host_is_refused(admin: Admin) -> None:
    with admin.client() as api:
        for host in ("evil.example", f"evil.example:{admin.port}", f"127.0.0.1:{admin.port + 1}",
                     f"rebind.attacker.test:{admin.port}"):
            _refused(api.get("/mocks", headers={"Host": host}), 403, "forbiddenError")
        for host in (f"127.0.0.1:{admin.port}", f"localhost:{admin.port}"):
            assert api.get("/mocks", headers={"Host": host}).status_code == 200


def test_cross_origin_and_non_json_writes_are_refused(admin: Admin) -> None:
    with admin.client() as api:
        body = {"key": {"name": "csrf"}}
        _refused(api.post("/keys", json=body, headers={"Origin": "http://evil.example"}), 403, "forbiddenError")
        _refused(api.post("/keys", json=body, headers={"Origin": f"http://localhost:{admin.port + 1}"}),
                 403, "forbiddenError")
        _refused(api.post("/keys", json=body, headers={"Sec-Fetch-Site": "cross-site"}), 403, "forbiddenError")
        _refused(api.post("/keys", content=b"key[name]=x",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}), 415,
                 "unsupportedMediaTypeError")
        _refused(api.post("/keys", content=b'{"key": {}}', headers={"Content-Type": "text/plain"}), 415,
                 "unsupportedMediaTypeError")
        # A same-origin write (the dashboard's own) passes; so does one without an Origin.
        assert api.post("/keys", json=body, headers={"Origin": admin.url}).status_code == 200
        assert not [k for k in api.get("/keys").json()["keys"] if k["name"] == "sneaky"]


def test_login_link_is_one_time_and_sets_a_strict_httponly_session(admin: Admin) -> None:
    link = postmock(admin.home, "ui", "--no-browser").stdout.strip().splitlines()[-1]
    assert link.startswith(admin.url + "/ui/login?token="), link
    with httpx.Client(trust_env=False, timeout=30) as browser:
        assert browser.get(admin.url + "/ui/mocks").status_code == 401
        first = browser.get(link)
        assert first.status_code == 303 and first.headers["location"] == "/ui/mocks"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert browser.get(admin.url + "/ui/mocks").status_code == 200
        assert browser.get(admin.url + "/mocks").status_code == 200  # the session opens the API too
        assert browser.post(admin.url + "/ui/logout").status_code == 204
        assert browser.get(admin.url + "/ui/mocks").status_code == 401
    with httpx.Client(trust_env=False, timeout=30) as again:
        assert again.get(link).status_code == 401  # used once already
        assert "postmock_session" not in again.cookies


def test_binding_beyond_loopback_warns_and_a_busy_port_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    port = free_port()
    proc = subprocess.Popen([POSTMOCK, "--home", str(home), "serve", "--admin", f"0.0.0.0:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        seen: list[str] = []

        def read() -> bool:
            assert proc.stdout is not None
            seen.append(proc.stdout.readline().decode())
            return "dashboard: " in seen[-1]

        wait_until(read, 60, message="the dashboard line")
        text = "".join(seen)
        assert re.search(r"warning: the admin API listens on 0\.0\.0\.0:\d+, beyond this machine", text), text
        busy = postmock(home, "serve", "--admin", f"127.0.0.1:{port}", check=False)
        assert busy.returncode == 2 and busy.stderr.startswith("postmock: error: cannot listen on --admin")
    finally:
        proc.terminate()
        proc.wait(20)


def test_ui_without_a_running_server_says_how(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = postmock(tmp_path / "empty", "ui", "--no-browser", "--no-start", check=False)
    assert out.returncode == 2 and "no postmock serve is running" in out.stderr
