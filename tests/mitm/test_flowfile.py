"""mitmproxy flow dumps to exchanges and back, including a dump written by a real mitmdump."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest
from mitmproxy import http as mhttp
from mitmproxy.io import FlowReader, FlowWriter
from mitmproxy.test import tflow

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.mitm.flowfile import exchanges_from_flows, read_flows, write_flows
from tests.support.procs import run_mitmdump


def _dump(path: Path, flows: list[object]) -> Path:
    with path.open("wb") as f:
        writer = FlowWriter(f)
        for flow in flows:
            writer.add(flow)
    return path


def _gzip_flow() -> mhttp.HTTPFlow:
    flow = tflow.tflow(resp=True)
    flow.request.path = "/api/items?page=2&q=a+b"
    flow.response.headers["content-type"] = "application/json"
    flow.response.headers["content-encoding"] = "gzip"
    flow.response.raw_content = gzip.compress(b'{"items":[1,2]}')
    flow.response.headers["content-length"] = str(len(flow.response.raw_content))
    return flow


def test_http_flows_imported_others_skipped_and_counted(tmp_path: Path) -> None:
    path = _dump(tmp_path / "mixed.flows", [
        _gzip_flow(), tflow.ttcpflow(), tflow.tdnsflow(), tflow.tflow(err=True), tflow.tudpflow(),
    ])
    got = read_flows(path)
    assert got.skipped == {"dns flows": 1, "tcp flows": 1, "udp flows": 1}
    ok, failed = got.exchanges
    assert ok.source == "flows" and ok.mode == "import"
    assert ok.request.path == "/api/items"
    assert ok.request.query == [("page", "2"), ("q", "a b")]
    assert ok.response is not None
    assert ok.response.body == b'{"items":[1,2]}'  # decoded, and the headers say so
    assert ok.response.header("content-encoding") is None
    assert ok.response.header("content-length") == "15"
    assert failed.response is None and failed.error == "error"


def test_flow_without_response_or_error_becomes_failed_exchange() -> None:
    got = exchanges_from_flows([tflow.tflow()])
    assert got.exchanges[0].response is None
    assert got.exchanges[0].error == "no response recorded"


@pytest.mark.parametrize("content", [b"this is not a flow dump\n", b"12:abc"])
def test_garbage_file_is_one_line_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.flows"
    path.write_bytes(content)
    with pytest.raises(PostmockError) as e:
        read_flows(path)
    assert str(path) in str(e.value) and "nothing was imported" in str(e.value)
    assert "\n" not in str(e.value)


def test_truncated_dump_imports_nothing(tmp_path: Path) -> None:
    whole = _dump(tmp_path / "whole.flows", [tflow.tflow(resp=True), tflow.tflow(resp=True)])
    cut = tmp_path / "cut.flows"
    cut.write_bytes(whole.read_bytes()[:-40])
    with pytest.raises(PostmockError, match=r"flow #2 is unreadable"):
        read_flows(cut)


def test_har_given_as_flow_dump_says_so(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_text('{"log": {"entries": []}}')
    with pytest.raises(PostmockError, match="--format har"):
        read_flows(path)


def test_write_flows_round_trip(tmp_path: Path) -> None:
    ex = Exchange(
        request=HttpRequest(method="POST", scheme="https", host="api.example.test", port=443,
                            path="/v1/x", query=[("a", "1")], headers=[("Content-Type", "text/plain")],
                            body=b"hello"),
        response=HttpResponse(status=418, reason="I'm a teapot", headers=[("X-Y", "z")], body=b"\x00\x01"),
        timestamp=1795300000.5, duration_ms=250.0,
    )
    failed = Exchange(request=HttpRequest(method="GET", host="127.0.0.1", port=9, path="/"),
                      error="refused", timestamp=1795300001.0)
    path = tmp_path / "out.flows"
    with path.open("wb") as out:
        assert write_flows([ex, failed], out) == 2
    with path.open("rb") as f:
        flows = list(FlowReader(f).stream())
    assert flows[0].request.url == "https://api.example.test/v1/x?a=1"
    assert flows[0].response.status_code == 418 and flows[0].response.content == b"\x00\x01"
    assert flows[1].error.msg == "refused"
    back = read_flows(path).exchanges
    assert back[0].request.body == b"hello" and back[0].duration_ms == 250.0
    assert back[1].error == "refused"


# -- a dump written by a real mitmdump --------------------------------------------------------
@pytest.mark.e2e
def test_dump_from_real_mitmdump(tmp_path: Path, upstream: str) -> None:
    dump = tmp_path / "traffic.flows"
    with run_mitmdump(tmp_path, ["--mode", f"reverse:{upstream}", "-w", str(dump),
                                 "--flow-detail", "0"]) as proxy:
        with httpx.Client(base_url=proxy.url, trust_env=False, timeout=10) as client:
            gz = client.get("/gzip", params={"q": "x"})
            binary = client.get("/binary")
            assert gz.status_code == 200 and binary.status_code == 200
        proxy.stop()
    got = read_flows(dump)
    assert [ex.request.path for ex in got.exchanges] == ["/gzip", "/binary"]
    first, second = got.exchanges
    assert first.request.query == [("q", "x")]
    assert first.response is not None and second.response is not None
    assert json.loads(first.response.body) == gz.json()  # stored decoded
    assert first.response.header("content-encoding") is None
    assert second.response.body == binary.content
    assert first.duration_ms is not None and first.duration_ms >= 0
