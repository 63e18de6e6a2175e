"""The bundled sample API: the endpoints tests and the demo rely on."""

from __future__ import annotations

import gzip
import ssl
import subprocess
import sys

import httpx
import pytest

from postmock_core import sampleapi


def test_json_endpoints(upstream):
    with httpx.Client(base_url=upstream, trust_env=False) as c:
        assert [u["id"] for u in c.get("/users").json()] == [1, 2, 3]
        assert c.get("/users/1").json()["name"] == "Ada Lovelace"
        missing = c.get("/users/7")
        assert missing.status_code == 404 and missing.json()["error"] == "user not found"
        created = c.post("/users", json={"name": "Edsger"})
        assert created.status_code == 201 and created.json()["name"] == "Edsger"
        assert created.headers["location"] == f"/users/{created.json()['id']}"
        assert c.get("/search", params={"q": "gra"}).json()["count"] == 1
        assert c.get("/nowhere").status_code == 404


def test_login_takes_json_or_form_and_sets_a_cookie(upstream):
    with httpx.Client(base_url=upstream, trust_env=False) as c:
        by_json = c.post("/login", json={"username": "ada", "password": "pw"})
        by_form = c.post("/login", data={"username": "ada", "password": "pw"})
        assert by_json.json()["access_token"] == by_form.json()["access_token"]
        assert by_form.cookies["session"]
        assert c.post("/login", json={"username": "ada"}).status_code == 400


def test_encoded_binary_and_large_bodies(upstream):
    with httpx.Client(base_url=upstream, trust_env=False) as c:
        with c.stream("GET", "/gzip") as raw:
            assert raw.headers["content-encoding"] == "gzip"
            assert gzip.decompress(b"".join(raw.iter_raw())).startswith(b'{"encoding": "gzip"')
        assert c.get("/br").json()["encoding"] == "br"
        binary = c.get("/binary")
        assert binary.headers["content-type"] == "image/png" and binary.content == sampleapi.binary_body()
        with pytest.raises(UnicodeDecodeError):
            binary.content.decode("utf-8")
        assert 90_000 < len(c.get("/large").content) < 200_000
        assert c.get("/slow", params={"ms": "20"}).json() == {"slept_ms": 20}
        assert c.get("/fast").json() == {"ok": True}


def test_abort_and_cut_fail_the_client(upstream):
    with httpx.Client(base_url=upstream, trust_env=False) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/abort")
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/cut")


def test_tls_is_trusted_only_with_the_sample_certificate(tls_upstream):
    assert tls_upstream.startswith("https://127.0.0.1:")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{tls_upstream}/users", trust_env=False)
    trusted = ssl.create_default_context(cafile=str(sampleapi.cert_path()))
    assert httpx.get(f"{tls_upstream}/users", verify=trusted, trust_env=False).status_code == 200


def test_command_line_prints_its_url_and_serves():
    proc = subprocess.Popen([sys.executable, "-m", "postmock_core.sampleapi", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip() if proc.stdout else ""
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/fast", trust_env=False).json() == {"ok": True}
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
