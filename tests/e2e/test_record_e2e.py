"""End to end: a real mitmdump with the recording addon, the real sample API, real clients."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.procs import RECORD_ADDON, REPO, free_port, mitm_tool, run_mitmdump, wait_until

from postmock_core import sampleapi
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

pytestmark = pytest.mark.e2e


def record_args(workspace: Workspace, *extra: str) -> list[str]:
    return ["-s", str(RECORD_ADDON), "--set", f"postmock_home={workspace.root}", *extra]


def stored(workspace: Workspace, at_least: int = 0, timeout: float = 15.0) -> list[dict]:
    """History docs oldest first, once at least `at_least` are there (polling, bounded)."""
    store = HistoryStore(workspace)
    wait_until(lambda: store.count() >= at_least, timeout, message=f"{at_least} recorded exchanges")
    return [doc for _, doc in store.iter_docs(newest_first=False)]


def by_path(docs: list[dict]) -> dict[str, dict]:
    return {d["request"]["path"]: d for d in docs}


def client(**kwargs) -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=15, **kwargs)


def test_reverse_proxy_records_every_field(tmp_path, workspace, upstream):
    with run_mitmdump(tmp_path, ["--mode", f"reverse:{upstream}", *record_args(workspace)]) as proxy, \
            client(base_url=proxy.url) as c:
        assert c.get("/users/2", params={"verbose": "1"}, headers={"X-Trace": "t-1"}).status_code == 200
        assert c.get("/users/99").status_code == 404
        created = c.post("/users", json={"name": "Edsger"})
        assert created.status_code == 201
        docs = stored(workspace, 3)
    port = int(upstream.rsplit(":", 1)[1])
    found = by_path(docs)
    user = found["/users/2"]
    assert user["mode"] == "reverse" and user["error"] is None
    assert (user["request"]["scheme"], user["request"]["host"], user["request"]["port"]) == ("http", "127.0.0.1", port)
    assert user["request"]["method"] == "GET" and user["request"]["query"] == [["verbose", "1"]]
    assert ["X-Trace", "t-1"] in user["request"]["headers"]
    assert user["response"]["status"] == 200 and user["response"]["reason"] == "OK"
    assert json.loads(user["response"]["body"]["text"])["name"] == "Alan Turing"
    assert user["request"]["http_version"] == user["response"]["http_version"] == "HTTP/1.1"
    assert user["duration_ms"] > 0 and user["time"].endswith("Z")
    assert found["/users/99"]["response"]["status"] == 404
    post = found["/users"]
    assert json.loads(post["request"]["body"]["text"]) == {"name": "Edsger"}
    assert post["response"]["status"] == 201 and json.loads(post["response"]["body"]["text"])["name"] == "Edsger"


def test_reverse_proxy_records_the_upstream_even_when_the_host_header_is_kept(tmp_path, workspace, tls_upstream):
    args = ["--mode", f"reverse:{tls_upstream}", "--set", "ssl_insecure=true", "--set", "keep_host_header=true"]
    with run_mitmdump(tmp_path, [*args, *record_args(workspace)]) as proxy:
        with client() as c:
            r = c.get(f"{proxy.url}/users", headers={"Host": f"localhost:{proxy.port}"})
        assert r.status_code == 200
        [doc] = stored(workspace, 1)
    port = int(tls_upstream.rsplit(":", 1)[1])
    assert (doc["request"]["scheme"], doc["request"]["host"], doc["request"]["port"]) == ("https", "127.0.0.1", port)


def test_regular_proxy_records_plain_and_intercepted_https(tmp_path, workspace, upstream, tls_upstream):
    with run_mitmdump(tmp_path, ["--set", "ssl_insecure=true", *record_args(workspace)]) as proxy:
        plain = subprocess.run(["curl", "-sS", "--noproxy", "", "-x", proxy.url, f"{upstream}/search?q=ada"],
                               capture_output=True, timeout=30, check=False)
        assert json.loads(plain.stdout)["count"] == 1, plain.stderr
        with client(proxy=proxy.url, verify=str(proxy.ca_cert)) as c:
            assert c.get(f"{tls_upstream}/users/1").status_code == 200
        docs = stored(workspace, 2)
    search, https = by_path(docs)["/search"], by_path(docs)["/users/1"]
    assert search["mode"] == "regular" and search["request"]["scheme"] == "http"
    assert search["request"]["query"] == [["q", "ada"]]
    assert (https["request"]["scheme"], https["request"]["port"]) == ("https", int(tls_upstream.rsplit(":", 1)[1]))
    assert https["response"]["status"] == 200 and "Ada" in https["response"]["body"]["text"]


def test_http2_client_is_recorded_as_http2(tmp_path, workspace, upstream):
    with run_mitmdump(tmp_path, ["--mode", f"reverse:{upstream}", *record_args(workspace)]) as proxy:
        out = subprocess.run(["curl", "-sS", "--http2", "--cacert", str(proxy.ca_cert), "-o", "/dev/null",
                              "-w", "%{http_version}", f"https://127.0.0.1:{proxy.port}/users/3"],
                             capture_output=True, text=True, timeout=30, check=False)
        assert out.stdout == "2", out.stderr
        [doc] = stored(workspace, 1)
    assert doc["request"]["http_version"] == "HTTP/2.0"
    assert doc["request"]["scheme"] == "http"  # the upstream side, as the proxy spoke it
    assert "Grace" in doc["response"]["body"]["text"]


def test_bodies_compressed_binary_and_large(tmp_path, workspace, upstream):
    with run_mitmdump(tmp_path, ["--mode", f"reverse:{upstream}", *record_args(workspace)]) as proxy, \
            client(base_url=proxy.url) as c:
        for path in ("/gzip", "/br", "/binary", "/large"):
            assert c.get(path).status_code == 200
        docs = stored(workspace, 4)
    store = HistoryStore(workspace)
    ids = {doc["request"]["path"]: i for i, doc in store.iter_docs()}
    for path, encoding in (("/gzip", "gzip"), ("/br", "br")):
        ex = store.load(ids[path])
        assert json.loads(ex.response.body)["encoding"] == encoding
        assert ex.response.header("content-encoding") is None
        assert ex.response.header("content-length") == str(len(ex.response.body))
    assert store.load(ids["/binary"]).response.body == sampleapi.binary_body()
    assert "base64" in by_path(docs)["/binary"]["response"]["body"]
    assert "blob" in by_path(docs)["/large"]["response"]["body"]
    assert store.load(ids["/large"]).response.body == sampleapi.LARGE


def test_streamed_bodies_are_marked_truncated(tmp_path, workspace, upstream):
    args = ["--mode", f"reverse:{upstream}", "--set", "stream_large_bodies=50k"]
    with run_mitmdump(tmp_path, [*args, *record_args(workspace)]) as proxy, client(base_url=proxy.url) as c:
        assert c.get("/large").content == sampleapi.LARGE
        assert c.get("/users").status_code == 200
        docs = stored(workspace, 2)
    large, small = by_path(docs)["/large"], by_path(docs)["/users"]
    assert large["response"]["status"] == 200 and large["truncated"] == ["response.body"]
    assert large["response"]["body"] is None
    assert "truncated" not in small and small["response"]["body"]


def test_secrets_are_forwarded_but_never_written(tmp_path, workspace, upstream):
    extra = ["--set", "postmock_redact_extra_headers=x-team-secret", "--set", "postmock_redact_extra_keys=pin"]
    with run_mitmdump(tmp_path, ["--mode", f"reverse:{upstream}", *record_args(workspace, *extra)]) as proxy, \
            client(base_url=proxy.url) as c:
        echoed = c.post("/users", params={"api_key": "SEEDQUERY1"},
                        headers={"Authorization": "Bearer SEEDAUTH2", "X-Team-Secret": "SEEDHEADER3",
                                 "Cookie": "sid=SEEDCOOKIE4; theme=dark"},
                        json={"user": "ada", "password": "SEEDJSON5", "nested": {"pin": "SEEDPIN6"}}).json()
        # The upstream got the secrets untouched (it echoes the body): redaction is for the disk only.
        assert echoed["password"] == "SEEDJSON5" and echoed["nested"] == {"pin": "SEEDPIN6"}
        login = c.post("/login", data={"username": "ada", "password": "SEEDFORM7"})
        assert login.status_code == 200
        token, cookie = login.json()["access_token"], login.cookies["session"]
        docs = stored(workspace, 2)
    seeds = ["SEEDQUERY1", "SEEDAUTH2", "SEEDHEADER3", "SEEDCOOKIE4", "SEEDJSON5", "SEEDPIN6", "SEEDFORM7",
             token, cookie]
    for path in workspace.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in seeds if s.encode() in data], path
    login_doc = by_path(docs)["/login"]
    assert "request.form:password" in login_doc["redacted"]
    assert "response.header:set-cookie" in login_doc["redacted"]
    assert "response.json:$.access_token" in login_doc["redacted"]
    users_doc = by_path(docs)["/users"]
    assert ["Cookie", "sid=[REDACTED]; theme=[REDACTED]"] in users_doc["request"]["headers"]
    assert "response.json:$.password" in users_doc["redacted"]


def test_failed_exchanges_are_recorded_once_with_their_error(tmp_path, workspace, upstream):
    with run_mitmdump(tmp_path, ["--mode", f"reverse:{upstream}", *record_args(workspace)]) as proxy, \
            client(base_url=proxy.url) as c:
        assert c.get("/abort").status_code == 502
        assert c.get("/cut").status_code == 502
        with pytest.raises(httpx.ReadTimeout):
            c.get("/slow", params={"ms": "3000"}, timeout=0.3)
        assert c.get("/users").status_code == 200
        docs = stored(workspace, 4)
        time.sleep(0.1)  # let a (wrong) second record of any of them show up
        proxy.stop()
    docs = stored(workspace)
    assert sorted(d["request"]["path"] for d in docs) == ["/abort", "/cut", "/slow", "/users"]
    found = by_path(docs)
    assert found["/abort"]["response"] is None and "closed" in found["/abort"]["error"]
    assert "1000" in found["/cut"]["error"] and found["/cut"]["truncated"] == ["response.body"]
    assert found["/slow"]["error"] and found["/users"]["error"] is None


def test_unreachable_upstream_is_recorded_with_its_error(tmp_path, workspace):
    dead = f"http://127.0.0.1:{free_port()}"
    with run_mitmdump(tmp_path, record_args(workspace), name="regular") as proxy, client(proxy=proxy.url) as c:
        assert c.get(f"{dead}/regular").status_code == 502
        stored(workspace, 1)
    # A reverse proxy connects upstream before reading a request unless told to wait for one.
    args = ["--mode", f"reverse:{dead}", "--set", "connection_strategy=lazy"]
    with run_mitmdump(tmp_path, [*args, *record_args(workspace)], name="reverse") as proxy, \
            client(base_url=proxy.url) as c:
        assert c.get("/reverse").status_code == 502
        docs = stored(workspace, 2)
    assert [d["request"]["path"] for d in docs] == ["/regular", "/reverse"]
    for doc in docs:
        assert doc["response"] is None and "connect" in doc["error"].lower()


def test_pause_and_resume_with_the_set_command(tmp_path, workspace, upstream):
    with run_mitmdump(tmp_path, ["--mode", f"reverse:{upstream}", *record_args(workspace)],
                      tool="mitmweb", web=True) as proxy, client() as web, client(base_url=proxy.url) as c:
        api = f"http://127.0.0.1:{proxy.web_port}"
        web.get(api + "/")  # sets the XSRF cookie the API wants echoed back

        def command(*arguments: str) -> None:
            r = web.post(f"{api}/commands/set", json={"arguments": list(arguments)},
                         headers={"X-XSRFToken": web.cookies["_xsrf"]})
            assert r.status_code == 200 and "error" not in r.json(), r.text

        c.get("/users/1")
        stored(workspace, 1)
        command("postmock_record", "false")
        c.get("/users/2")
        command("postmock_record", "true")
        c.get("/users/3")
        # A bad value at runtime is refused with its reason, and recording carries on.
        r = web.post(f"{api}/commands/set", json={"arguments": ["postmock_record_filter", "~d ("]},
                     headers={"X-XSRFToken": web.cookies["_xsrf"]})
        assert "postmock_record_filter" in r.text and "Invalid filter expression" in r.text
        c.get("/users/4")
        proxy.stop()
    assert [d["request"]["path"] for d in stored(workspace)] == ["/users/1", "/users/3", "/users/4"]


@pytest.mark.parametrize("setting, reason", [
    ("postmock_body_limit=-1", "postmock_body_limit must be 0 (no limit) or a number of bytes, not -1"),
    ("postmock_record_filter=~d (", "postmock_record_filter: Invalid filter expression"),
])
def test_a_bad_option_at_startup_is_one_line_and_mitmdump_exits(tmp_path, workspace, setting, reason):
    out = subprocess.run(
        [mitm_tool(), "--listen-host", "127.0.0.1", "-p", "0", "--set", f"confdir={tmp_path / 'conf'}",
         "-s", str(RECORD_ADDON), "--set", f"postmock_home={workspace.root}", "--set", setting],
        capture_output=True, text=True, timeout=60)
    output = out.stdout + out.stderr
    assert out.returncode != 0
    assert reason in output
    assert "Traceback" not in output


def _traffic(base: str, answered: list[tuple[int, float]], stop: threading.Event, limit: int) -> None:
    with client(base_url=base) as c:
        for n in range(limit):
            if stop.is_set():
                return
            try:
                r = c.get("/echo", params={"n": str(n)}, timeout=5)
            except httpx.HTTPError:
                return
            if r.status_code == 200:
                answered.append((n, time.monotonic()))


def _n(doc: dict) -> int:
    return int(dict(doc["request"]["query"])["n"])


def writer_processes(workspace: Workspace) -> list[int]:
    """PIDs of recorder writer processes serving `workspace`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if b"postmock_core.mitm.record_writer" in cmdline and str(workspace.root).encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_kill_9_loses_at_most_the_last_moments(tmp_path, workspace, upstream):
    answered: list[tuple[int, float]] = []
    stop = threading.Event()
    with run_mitmdump(tmp_path, ["-q", "--mode", f"reverse:{upstream}", *record_args(workspace)]) as proxy:
        worker = threading.Thread(target=_traffic, args=(proxy.url, answered, stop, 20_000))
        worker.start()
        try:
            # Kill while traffic flows, after the writer has flushed on its own for a while.
            stored(workspace, 100, timeout=60)
            wait_until(lambda: answered and time.monotonic() - answered[0][1] > 4.0, 60,
                       message="4 s of traffic")
            assert writer_processes(workspace)
            proxy.kill()
            killed_at = time.monotonic()
        finally:
            stop.set()
            worker.join(30)
    # The writer sees its input close, stores what it was sent, and exits by itself.
    wait_until(lambda: not writer_processes(workspace), 30, message="the writer process to exit")
    store = HistoryStore(workspace)
    docs = [doc for _, doc in store.iter_docs(newest_first=False)]  # every file parses
    numbers = [_n(d) for d in docs]
    assert len(numbers) == len(set(numbers))
    assert all(d["response"]["status"] == 200 and json.loads(d["response"]["body"]["text"])["query"]
               for d in docs)
    answered_n = {n for n, _ in answered}
    # The proxy records a response before the client reads it: one may be in flight.
    assert len(set(numbers) - answered_n) <= 1
    # The writer flushes every 0.5 s; the bound leaves slack for a busy machine.
    old = {n for n, t in answered if t < killed_at - 2.0}
    assert old and old <= set(numbers), f"lost answered exchanges older than 2 s: {sorted(old - set(numbers))[:10]}"


DELETER = """
import sys, time
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace
store = HistoryStore(Workspace.open(sys.argv[1]))
deleted = []
def even(doc):
    n = int(dict(doc["request"]["query"])["n"])
    if n % 2 == 0:
        deleted.append(n)
        return True
    return False
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    store.delete_where(even)
    time.sleep(0.05)
print(" ".join(map(str, deleted)))
"""


def test_deleting_history_while_recording_loses_no_writes(tmp_path, workspace, upstream):
    answered: list[tuple[int, float]] = []
    stop = threading.Event()
    with run_mitmdump(tmp_path, ["-q", "--mode", f"reverse:{upstream}", *record_args(workspace)]) as proxy:
        worker = threading.Thread(target=_traffic, args=(proxy.url, answered, stop, 5000))
        worker.start()
        try:
            stored(workspace, 1, timeout=30)
            deleter = subprocess.run([sys.executable, "-c", DELETER, str(workspace.root), "3"],
                                     capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
        finally:
            stop.set()
            worker.join(60)
        assert deleter.returncode == 0, deleter.stderr
        assert proxy.stop() == 0
    deleted = {int(n) for n in deleter.stdout.split()}
    assert deleted, "the deleter ran while nothing was recorded"
    numbers = [_n(d) for d in stored(workspace)]
    assert len(numbers) == len(set(numbers))
    answered_n = {n for n, _ in answered}
    assert not deleted & set(numbers)
    # Every answered exchange is either stored or was deleted; nothing else is stored.
    assert answered_n - deleted == set(numbers)
