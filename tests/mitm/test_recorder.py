"""The recording addon, driven through mitmproxy's own test harness (no network)."""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mitmproxy import exceptions, hooks, http
from mitmproxy.proxy.mode_specs import ProxyMode
from mitmproxy.test import taddons, tflow, tutils

from postmock_core.mitm import recorder as recorder_module
from postmock_core.exchange import INLINE_LIMIT
from postmock_core.history.store import HistoryStore
from postmock_core.mitm.recorder import SKIP_METADATA, Recorder
from postmock_core.store.workspace import Workspace


@pytest.fixture
def rec(workspace: Workspace) -> Iterator[tuple[Recorder, taddons.context]]:
    addon = Recorder()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, postmock_home=str(workspace.root))
        yield addon, tctx
        addon.done()


def history(workspace: Workspace) -> list[dict]:
    return [doc for _, doc in HistoryStore(workspace).iter_docs(newest_first=False)]


def make_flow(path: str = "/users?page=2", *, method: bytes = b"GET", req_headers: list | None = None,
              req_body: bytes = b"", status: int = 200, resp_headers: list | None = None,
              resp_body: bytes = b'{"ok": true}', response: bool = True) -> http.HTTPFlow:
    req = tutils.treq(method=method, host="api.example.com", port=443, scheme=b"https", path=path.encode(),
                      headers=http.Headers([(k.encode(), v.encode()) for k, v in
                                            (req_headers or [("host", "api.example.com")])]),
                      content=req_body)
    resp = tutils.tresp(status_code=status, headers=http.Headers(
        [(k.encode(), v.encode()) for k, v in (resp_headers or [("content-type", "application/json")])]),
        content=resp_body) if response else False
    return tflow.tflow(req=req, resp=resp)


def test_response_is_recorded_with_every_field(rec, workspace):
    addon, _ = rec
    addon.response(make_flow(req_headers=[("host", "api.example.com"), ("accept", "application/json")]))
    assert addon.flush() == 1
    [doc] = history(workspace)
    req, resp = doc["request"], doc["response"]
    assert (req["method"], req["scheme"], req["host"], req["port"]) == ("GET", "https", "api.example.com", 443)
    assert req["path"] == "/users" and req["query"] == [["page", "2"]]
    assert ["accept", "application/json"] in req["headers"]
    assert resp["status"] == 200 and resp["reason"] == "OK"
    assert json.loads(resp["body"]["text"]) == {"ok": True}
    assert doc["mode"] == "regular" and doc["error"] is None
    assert doc["duration_ms"] == 3000.0  # tflow: request starts at t, response ends at t+3
    assert doc["time"].endswith("Z") and req["http_version"] == "HTTP/1.1"


def test_error_is_recorded_once(rec, workspace):
    addon, _ = rec
    failed = make_flow("/down", response=False)
    failed.error = tflow.terr("server closed connection")
    addon.error(failed)
    answered = make_flow("/ok")
    addon.response(answered)
    answered.error = tflow.terr("client disconnected")
    addon.error(answered)  # after its response was recorded: not a second entry
    addon.flush()
    docs = history(workspace)
    assert [(d["request"]["path"], d["error"]) for d in docs] == [
        ("/down", "server closed connection"), ("/ok", None)]
    assert docs[0]["response"] is None


def test_filter_records_only_matching_flows(rec, workspace):
    addon, tctx = rec
    tctx.configure(addon, postmock_record_filter="~u /users & ~m POST")
    addon.response(make_flow("/users", method=b"POST"))
    addon.response(make_flow("/users", method=b"GET"))
    addon.response(make_flow("/other", method=b"POST"))
    addon.flush()
    assert [(d["request"]["method"], d["request"]["path"]) for d in history(workspace)] == [("POST", "/users")]


def test_invalid_options_at_startup_are_logged_as_one_line(rec, caplog):
    addon, tctx = rec
    # Before the proxy runs, mitmproxy would print a raised error with a traceback and then
    # exit on any logged startup error: the reason alone is logged instead.
    with caplog.at_level(logging.ERROR):
        tctx.configure(addon, postmock_body_limit=-1)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        "postmock_body_limit must be 0 (no limit) or a number of bytes, not -1"]


def test_invalid_options_are_rejected_and_rolled_back(rec, tmp_path):
    addon, tctx = rec
    addon.running()
    with pytest.raises(exceptions.OptionsError, match="postmock_record_filter"):
        tctx.configure(addon, postmock_record_filter="~u (")
    assert tctx.options.postmock_record_filter is None
    with pytest.raises(exceptions.OptionsError, match="postmock_body_limit"):
        tctx.configure(addon, postmock_body_limit=-1)
    assert tctx.options.postmock_body_limit == recorder_module.DEFAULT_BODY_LIMIT
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(exceptions.OptionsError, match="postmock_home"):
        tctx.configure(addon, postmock_home=str(not_a_folder))


def test_pause_and_resume_with_the_set_command(rec, workspace):
    addon, tctx = rec
    tctx.master.commands.call("set", "postmock_record", "false")
    addon.response(make_flow("/while-paused"))
    tctx.master.commands.call("set", "postmock_record", "true")
    addon.response(make_flow("/after-resume"))
    addon.flush()
    assert [d["request"]["path"] for d in history(workspace)] == ["/after-resume"]


def test_secrets_never_reach_disk(rec, workspace):
    addon, _ = rec
    addon.response(make_flow(
        "/login?api_key=SECRET-QUERY", method=b"POST",
        req_headers=[("authorization", "Bearer SECRET-AUTH"), ("cookie", "sid=SECRET-COOKIE"),
                     ("content-type", "application/json")],
        req_body=json.dumps({"user": "ada", "password": "SECRET-PASSWORD"}).encode(),
        resp_headers=[("set-cookie", "sid=SECRET-SETCOOKIE; HttpOnly"), ("content-type", "application/json")],
        resp_body=json.dumps({"access_token": "SECRET-TOKEN"}).encode()))
    addon.flush()
    [doc] = history(workspace)
    assert "request.header:authorization" in doc["redacted"]
    assert json.loads(doc["request"]["body"]["text"]) == {"user": "ada", "password": "[REDACTED]"}
    stored = b"".join(p.read_bytes() for p in workspace.root.rglob("*") if p.is_file())
    assert b"SECRET" not in stored


def test_redaction_options_replace_or_extend_the_defaults(rec, workspace):
    addon, tctx = rec
    flow_headers = [("authorization", "Bearer A1"), ("x-custom", "C1"), ("x-other", "O1")]
    tctx.configure(addon, postmock_redact_headers=["x-custom"])
    addon.response(make_flow("/replaced", req_headers=flow_headers))
    tctx.configure(addon, postmock_redact_headers=list(recorder_module.DEFAULT_HEADERS),
                   postmock_redact_extra_headers=["x-custom,x-other"], postmock_redact_extra_keys=["q"])
    addon.response(make_flow("/extended?q=Q1", req_headers=flow_headers))
    addon.flush()
    replaced, extended = (dict(map(tuple, d["request"]["headers"])) for d in history(workspace))
    assert replaced == {"authorization": "Bearer A1", "x-custom": "[REDACTED]", "x-other": "O1"}
    assert extended == {"authorization": "Bearer [REDACTED]", "x-custom": "[REDACTED]", "x-other": "[REDACTED]"}
    assert history(workspace)[1]["request"]["query"] == [["q", "[REDACTED]"]]


def test_body_limit_truncates_and_says_so(rec, workspace):
    addon, tctx = rec
    tctx.configure(addon, postmock_body_limit=10)
    addon.response(make_flow("/big", method=b"POST", req_body=b"r" * 50, resp_body="é".encode() * 50))
    addon.response(make_flow("/small", resp_body=b"0123456789"))
    tctx.configure(addon, postmock_body_limit=0)
    addon.response(make_flow("/unlimited", resp_body=b"u" * 100_000))
    addon.flush()
    big, small, unlimited = (HistoryStore(workspace).load(i) for i in (1, 2, 3))
    assert big.request.body == b"r" * 10 and big.response.body == "é".encode() * 5
    assert big.truncated == ["request.body", "response.body"]
    assert small.response.body == b"0123456789" and small.truncated == []
    assert unlimited.response.body == b"u" * 100_000 and unlimited.truncated == []


def test_bodies_are_decoded_binary_exact_and_large_out_of_line(rec, workspace):
    addon, _ = rec
    binary = bytes(range(256)) * 4
    large = json.dumps({"rows": ["x" * 100] * 200}).encode()
    addon.response(make_flow("/gz", resp_headers=[("content-type", "application/json"),
                                                  ("content-encoding", "gzip")],
                             resp_body=gzip.compress(b'{"zipped": true}')))
    addon.response(make_flow("/bin", resp_headers=[("content-type", "image/png")], resp_body=binary))
    addon.response(make_flow("/large", resp_body=large))
    addon.flush()
    store = HistoryStore(workspace)
    gz, bin_, big = (store.get(i) for i in (1, 2, 3))
    assert gz["response"]["body"] == {"text": '{"zipped": true}'}
    assert "content-encoding" not in dict(map(tuple, gz["response"]["headers"]))
    assert "base64" in bin_["response"]["body"] and store.load(2).response.body == binary
    assert len(large) > INLINE_LIMIT and big["response"]["body"]["blob"]
    assert store.load(3).response.body == large


def test_reverse_mode_stores_the_upstream_not_the_host_header(rec, workspace):
    addon, _ = rec
    flow = make_flow("/users")
    flow.request.host, flow.request.port, flow.request.scheme = "10.1.2.3", 8443, "https"
    flow.request.headers["host"] = "proxy.local:8080"  # as with keep_host_header
    flow.client_conn.proxy_mode = ProxyMode.parse("reverse:https://10.1.2.3:8443")
    addon.response(flow)
    addon.flush()
    [doc] = history(workspace)
    assert (doc["request"]["host"], doc["request"]["port"], doc["mode"]) == ("10.1.2.3", 8443, "reverse")


def test_flows_marked_to_skip_are_not_recorded(rec, workspace):
    addon, _ = rec
    mocked = make_flow("/mocked")
    mocked.metadata[SKIP_METADATA] = True
    addon.response(mocked)
    addon.flush()
    assert history(workspace) == []


def test_write_failure_is_logged_once_and_recording_resumes(rec, workspace, caplog):
    addon, _ = rec
    caplog.set_level(logging.WARNING, logger="postmock_core.mitm.recorder")
    history_dir = HistoryStore(workspace).dir
    shutil.rmtree(history_dir)
    history_dir.write_text("in the way")  # every write into the folder now fails
    for i in range(3):
        addon.response(make_flow(f"/held/{i}"))
        assert addon.flush() == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "kept in memory" in errors[0].getMessage()
    assert str(workspace.root) in errors[0].getMessage()
    history_dir.unlink()
    addon.response(make_flow("/after"))
    assert addon.flush() == 4
    assert [d["request"]["path"] for d in history(workspace)] == ["/held/0", "/held/1", "/held/2", "/after"]
    assert any("resumed" in r.getMessage() for r in caplog.records)


def test_corrupt_store_is_reported_by_name_and_left_untouched(rec, workspace, caplog):
    addon, _ = rec
    addon.response(make_flow("/first"))
    addon.flush()
    [segment] = HistoryStore(workspace).segments()
    segment.write_text("{not json")
    addon.response(make_flow("/second"))
    with caplog.at_level(logging.ERROR, logger="postmock_core.mitm.recorder"):
        assert addon.flush() == 0
    assert str(segment) in caplog.text and "corrupt" in caplog.text
    assert segment.read_text() == "{not json"


def test_queue_overflow_drops_oldest_and_counts(rec, workspace, monkeypatch, caplog):
    addon, _ = rec
    monkeypatch.setattr(recorder_module, "QUEUE_CAP", 3)
    for i in range(5):
        addon.response(make_flow(f"/n/{i}"))
    with caplog.at_level(logging.WARNING, logger="postmock_core.mitm.recorder"):
        addon.flush()
    assert addon.lost == 2 and "dropped the 2 oldest" in caplog.text
    assert [d["request"]["path"] for d in history(workspace)] == ["/n/2", "/n/3", "/n/4"]


def test_writer_flushes_by_itself_and_done_flushes_the_rest(workspace):
    addon = Recorder()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, postmock_home=str(workspace.root))
        addon.running()
        addon.response(make_flow("/background"))
        deadline = time.monotonic() + 10
        while not history(workspace) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [d["request"]["path"] for d in history(workspace)] == ["/background"]
        addon.response(make_flow("/at-exit"))
        addon.done()
        assert addon._writer is None and addon._sender is None
    assert [d["request"]["path"] for d in history(workspace)] == ["/background", "/at-exit"]


def test_home_defaults_to_postmock_home_env(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTMOCK_HOME", str(tmp_path / "from-env"))
    addon = Recorder()
    with taddons.context(addon) as tctx:
        # What mitmproxy does when it loads a script: configure with every option.
        tctx.master.addons.invoke_addon_sync(addon, hooks.ConfigureHook(set(tctx.options.keys())))
        assert addon.home == Path(tmp_path / "from-env")
