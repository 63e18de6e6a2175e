"""Hostile requests to a real `postmock serve` over raw sockets: huge headers and bodies, bytes
that are not UTF-8, odd methods, path tricks, template tokens in request data (given back
literally, never expanded), absurd x-mock-response-delay values. After each, the mock answers a
normal call; nothing it answered is missing from its call log; it logs no postmock traceback."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest
from support.mockkit import postmock, run_serve
from support.procs import RECORD_ADDON, REPO, free_port, run_mitmdump, wait_until

from postmock_core.exchange import HttpRequest
from postmock_core.history.store import HistoryStore
from postmock_core.mock.replies import request_delay
from postmock_core.mock.configs import MAX_DELAY_MS, MockStore
from postmock_core.store.workspace import Workspace

sys.path.insert(0, str(REPO / "scripts"))
from reliability_lib.common import client, sample_api
from reliability_lib.hostile import CASES, raw_request, request, run_hostile

pytestmark = pytest.mark.e2e


def test_hostile_requests_leave_the_mock_serving(tmp_path: Path) -> None:
    report = run_hostile(tmp_path)
    print("\n" + "\n".join(report.lines()))
    bad = [f"{name}: {what}" for name, what, ok in report.results if not ok]
    assert not bad, bad
    assert len(report.results) == len(CASES)
    assert report.normal_after == len(CASES)
    assert report.call_log == report.answered_by_mock > len(CASES)
    assert not report.problems, report.problems


@pytest.mark.parametrize("value, expected", [
    ("250", 250), ("2.9", 2), ("-5", 1), ("0", 1), ("-inf", 1), ("9" * 40, MAX_DELAY_MS),
    ("1e400", MAX_DELAY_MS), ("inf", MAX_DELAY_MS), ("nan", 40), ("abc", 40), ("", 40), (" 7 ", 7),
])
def test_delay_header_is_clamped_or_ignored(value: str, expected: int) -> None:
    request = HttpRequest("GET", headers=[("x-mock-response-delay", value)])
    assert request_delay(request, 40) == expected


def test_recording_survives_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """One request with undecodable bytes must not stop the recording: it is stored (the exact
    bytes kept), every later exchange too, and the entry shows, exports and mocks like any other."""
    ws = Workspace.open(tmp_path / "home")
    store = HistoryStore(ws)
    with sample_api(tmp_path) as upstream:
        args = ["-q", "--mode", f"reverse:{upstream}", "-s", str(RECORD_ADDON), "--set", f"postmock_home={ws.root}"]
        with run_mitmdump(tmp_path / "proxy", args) as proxy:
            with socket.create_connection(("127.0.0.1", proxy.port)) as s:
                s.sendall(request(b"GET", b"/users/2?q=\xfe", [(b"X-Bad", b"\xff\xfe")]))
                assert s.recv(12).startswith(b"HTTP/1.1 200")
            with client(proxy.url) as c:
                for _ in range(5):
                    assert c.get("/users/3").status_code == 200
            wait_until(lambda: store.count() >= 6, 15, message="all six exchanges recorded")
            assert "cannot write" not in proxy.output()
    bad = next(store.load(i) for i, d in store.iter_docs() if d["request"]["path"] == "/users/2")
    assert bad is not None and bad.request.header("x-bad").encode("utf-8", "surrogateescape") == b"\xff\xfe"
    assert bad.request.query == [("q", "\udcfe")]
    postmock(ws.root, "history", "show", "6")
    har, flows = tmp_path / "out.har", tmp_path / "out.flows"
    postmock(ws.root, "history", "export", "--har", str(har))
    postmock(ws.root, "history", "export", "--flows", str(flows))
    assert len(json.loads(har.read_text())["log"]["entries"]) == 6
    postmock(ws.root, "history", "import", str(har), str(flows))
    assert store.count() == 18
    postmock(ws.root, "collection", "create", "Bytes", "--from-history")
    port = free_port()
    postmock(ws.root, "mock", "create", "--collection", "Bytes", "--name", "bytes", "--port", str(port))
    mock = MockStore(ws).get("bytes")
    with run_serve(ws.root, [mock], tmp_path / "serve"):
        out = raw_request(port, request(b"GET", b"/users/2?q=\xfe", [(b"X-Bad", b"\xff\xfe")]))
        assert out.status == 200 and b"Alan" in out.body
