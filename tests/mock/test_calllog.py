"""CallLog: each mock's capped log of calls, with queries and follow."""

from __future__ import annotations

import json
import pickle
import threading
import time

import pytest

from postmock_core.errors import PostmockError
from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.mock import calllog, callwriter
from postmock_core.mock.calllog import NO_MATCH, CallDocs, CallLog, CallQuery, call_doc, parse_when
from postmock_core.mock.callwriter import CallWriter
from postmock_core.store.storage import dumps
from postmock_core.store.workspace import Workspace


def _call(i: int, status: int = 200, method: str = "GET", started: float | None = None,
          example: str | None = "200 OK") -> dict:
    req = HttpRequest(method=method, path=f"/users/{i}", query=[("q", "x")],
                      headers=[("Accept", "application/json")], body=b"")
    resp = HttpResponse(status=status, headers=[("Content-Type", "application/json")],
                        body=b'{"id": %d}' % i)
    return call_doc(req, resp, started if started is not None else 1_000 + i, 1.5,
                    "ex-1" if example else None, example, 100.0 if example else None)


def test_call_doc_shape() -> None:
    doc = _call(7, example=None)
    assert doc["method"] == "GET" and doc["path"] == "/users/7" and doc["query"] == "q=x"
    assert doc["status"] == 200 and doc["example"] == {"id": None, "name": NO_MATCH}
    assert doc["response"]["body"] == {"text": '{"id": 7}'}


def test_call_docs_agree_with_call_doc() -> None:
    """The batch builder remembers responses and seconds; every entry is what call_doc makes,
    encoded as the store encodes a document."""
    making = CallDocs()
    shared = HttpResponse(200, "OK", [("Content-Type", "application/json")], b'{"token": "s3cret-env-value"}')
    masks = SecretValues(["s3cret-env-value"], mask="*****", min_length=1)
    secret_req = HttpRequest("GET", path="/a", headers=[("Authorization", "Bearer abcdefgh12345")])
    found = SecretValues()
    redacted = Redactor().request(secret_req, found=found)
    upstream = HttpResponse(200, "OK", [("X-Echo", "Bearer abcdefgh12345")], b"abcdefgh12345")
    # A caller's body that spells out the place the response is put in, as text and as keys.
    spelled = b'{"response":0,"score":1} "response":0,"score":'
    cases = [
        (HttpRequest("GET", path="/users/1", query=[("q", "x")]), shared, 1_700_000_000.9999996, {}),
        (HttpRequest("GET", path="/users/2"), shared, 1_700_000_001.0004, {}),
        (HttpRequest("GET", path="/users/3"), shared, 1_700_000_001.5, {"masks": masks}),
        (HttpRequest("GET", path="/users/4?k=s3cret-env-value"), shared, 1_700_000_002.25, {"masks": masks}),
        (redacted, upstream, 1_700_000_059.9995, {"found": found, "redactor": Redactor()}),
        (HttpRequest("GET", path="/users/5"), shared, 1_700_000_060.0, {}),
        (HttpRequest("POST", path='/"response":0,"score":', headers=[("X", '"response":0,"score":')], body=spelled),
         shared, 1_700_000_061.0, {}),
        (HttpRequest("GET", path="/caf\u00e9/\u65e5", headers=[("X-Name", "Zo\u00eb")]),
         HttpResponse(200, "OK", [("X-Name", "\u00e9t\u00e9")], "\u00e9t\u00e9 \U0001F600".encode()), 1_700_000_062.0, {}),
    ]
    for request, response, started, extra in cases:
        for score in (1.0, None, 87.5):
            got = making.encoded(request, response, started, 1.25, "ex", "name", score, **extra)
            assert got == dumps(call_doc(request, response, started, 1.25, "ex", "name", score, **extra),
                                compact=True)
    masked = json.loads(making.encoded(cases[2][0], shared, 1.0, 1.0, "ex", "name", 1.0, masks=masks))
    assert "s3cret-env-value" not in str(masked) and "*****" in str(masked)
    assert b"abcdefgh12345" not in making.encoded(redacted, upstream, 1.0, 1.0, None, None, None,
                                                  found=found, redactor=Redactor())


def test_call_docs_remember_a_response_by_content_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls reach the writer as copies: a response is remembered by its headers and body, not
    by identity. What is remembered stays bounded, and a large body is never kept."""
    making = CallDocs()
    request = HttpRequest("GET", path="/users/1")
    one = HttpResponse(200, "OK", [("Content-Type", "text/plain")], b"one")

    def entry(response: HttpResponse) -> bytes:
        got = making.encoded(request, response, 1_700_000_000.5, 1.0, "ex", "name", 1.0)
        assert got == dumps(call_doc(request, response, 1_700_000_000.5, 1.0, "ex", "name", 1.0), compact=True)
        return got

    entry(one)
    entry(pickle.loads(pickle.dumps(one)))
    entry(HttpResponse(404, "Not Found", [("Content-Type", "text/plain")], b"one"))  # the status is kept apart
    assert len(making._responses) == 1
    entry(HttpResponse(200, "OK", [("Content-Type", "text/plain")], b"x" * (calllog.REMEMBER_BODY + 1)))
    assert len(making._responses) == 1
    monkeypatch.setattr(calllog, "REMEMBER_RESPONSES", 3)
    for i in range(10):
        entry(HttpResponse(200, "OK", [("X-N", str(i))], b"same"))
    assert 1 <= len(making._responses) <= 3
    entry(HttpResponse(200, "OK", [["X-Listed", "pair"]], b"same"))  # type: ignore[list-item]


def test_call_docs_with_bytes_that_are_not_utf8() -> None:
    """A header sent as Latin-1 reaches the log as lone surrogates, which are written as JSON
    escapes; an entry then reads back as what call_doc makes, whichever part holds them."""
    making = CallDocs()
    latin = b"caf\xe9".decode("utf-8", "surrogateescape")
    plain_request = HttpRequest("GET", path="/a", headers=[("X-Name", "plain")])
    odd_request = HttpRequest("GET", path="/a", headers=[("X-Name", latin)])
    plain = HttpResponse(200, "OK", [("X-Name", "\u00e9t\u00e9")], b"ok")
    odd = HttpResponse(200, "OK", [("X-Name", latin)], b"ok")
    for request, response in [(odd_request, plain), (plain_request, odd), (odd_request, odd)]:
        got = making.encoded(request, response, 1_700_000_000.5, 1.0, "ex", "name", 1.0)
        assert json.loads(got) == call_doc(request, response, 1_700_000_000.5, 1.0, "ex", "name", 1.0)


def test_cap_keeps_the_newest(workspace: Workspace) -> None:
    log = CallLog(workspace, "mock-1")
    for i in range(12):
        log.append([_call(i)], cap=5)
    assert log.count() == 5
    assert [d["path"] for _, d in log.query()] == [f"/users/{i}" for i in range(11, 6, -1)]


def test_query_filters(workspace: Workspace) -> None:
    log = CallLog(workspace, "mock-1")
    log.append([_call(1), _call(2, status=404, example=None), _call(3, method="POST"),
                _call(4, started=5_000)], cap=100)
    paths = lambda q: [d["path"] for _, d in log.query(q)]
    assert paths(CallQuery(statuses=((404, 404),))) == ["/users/2"]
    assert paths(CallQuery(statuses=((400, 499),))) == ["/users/2"]
    assert paths(CallQuery(method="post")) == ["/users/3"]
    assert paths(CallQuery(search="no matching")) == ["/users/2"]
    assert paths(CallQuery(since=4_000)) == ["/users/4"]
    assert paths(CallQuery(until=1_003)) == ["/users/2", "/users/1"]  # --until excludes T
    assert paths(CallQuery(limit=2)) == ["/users/4", "/users/3"]


def test_follow_yields_new_calls_in_order(workspace: Workspace) -> None:
    log = CallLog(workspace, "mock-1")
    log.append([_call(1)], cap=100)

    def later() -> None:
        time.sleep(0.2)
        CallLog(workspace, "mock-1").append([_call(2), _call(3, status=500)], cap=100)

    t = threading.Thread(target=later)
    t.start()
    seen = [d["path"] for _, d in log.follow(CallQuery(), poll=0.05, stop_after=2.0)]
    t.join()
    assert seen == ["/users/2", "/users/3"]


@pytest.mark.parametrize("use_process", [True, False])
def test_writer_batches_and_flushes_on_done(workspace: Workspace, use_process: bool) -> None:
    writer = CallWriter(workspace, use_process=use_process)
    req = HttpRequest(method="GET", path="/a")
    for i in range(30):
        writer.add("mock-a" if i % 2 else "mock-b", 10, req, HttpResponse(status=200), 1_000 + i, 0.1,
                   "ex", "200 OK", 100.0)
    writer.done()
    assert CallLog(workspace, "mock-a").count() == 10
    assert CallLog(workspace, "mock-b").count() == 10
    newest = next(CallLog(workspace, "mock-a").query())[1]
    assert newest["timestamp"] == 1_029 and newest["example"] == {"id": "ex", "name": "200 OK"}


def test_writer_writes_within_half_a_second_by_itself(workspace: Workspace) -> None:
    writer = CallWriter(workspace)
    writer.add("mock-a", 10, HttpRequest(method="GET"), HttpResponse(status=200), 1.0, 0.1)
    deadline = time.monotonic() + 10
    while CallLog(workspace, "mock-a").count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert CallLog(workspace, "mock-a").count() == 1
    writer.add("mock-a", 10, HttpRequest(method="POST"), HttpResponse(status=201), 2.0, 0.1)
    writer.flush()
    assert CallLog(workspace, "mock-a").count() == 2
    writer.done()


def test_writer_survives_its_process_dying(workspace: Workspace) -> None:
    writer = CallWriter(workspace)
    writer.add("mock-a", 10, HttpRequest(method="GET"), HttpResponse(status=200), 1.0, 0.1)
    writer.flush()
    assert writer._proc is not None
    writer._proc.proc.kill()
    writer._proc.proc.wait()
    writer.add("mock-a", 10, HttpRequest(method="GET"), HttpResponse(status=200), 2.0, 0.1)
    writer.done()  # the batch is written by a new process or, failing that, by the thread
    assert CallLog(workspace, "mock-a").count() == 2


def test_writer_queue_drops_its_oldest_calls_when_full(workspace: Workspace,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(callwriter, "QUEUE_CAP", 3)
    monkeypatch.setattr(callwriter, "SEND_INTERVAL", 60.0)  # nothing is taken until done()
    writer = CallWriter(workspace, use_process=False)
    for i in range(5):
        writer.add("mock-a", 10, HttpRequest(method="GET", path=f"/{i}"), HttpResponse(status=200), 1.0 + i, 0.1)
    assert writer.dropped == 2
    writer.done()
    assert sorted(d["path"] for _, d in CallLog(workspace, "mock-a").query()) == ["/2", "/3", "/4"]


def test_writer_loses_no_call_added_while_it_takes_them(workspace: Workspace,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(callwriter, "SEND_INTERVAL", 0.0005)  # the sender takes calls all the time
    writer = CallWriter(workspace, use_process=False)
    req, resp = HttpRequest(method="GET"), HttpResponse(status=200)
    for i in range(3000):
        writer.add("mock-a", 5000, req, resp, 1.0 + i, 0.1)
        if i % 50 == 0:
            time.sleep(0.0005)  # let the sender run between adds
    writer.done()
    assert writer.dropped == 0
    assert CallLog(workspace, "mock-a").count() == 3000


def test_parse_when() -> None:
    now = time.time()
    assert abs(parse_when("2h") - (now - 7200)) < 5
    assert parse_when("2026-11-21T00:00:00Z") == 1795219200.0
    with pytest.raises(PostmockError, match="is not a time"):
        parse_when("yesterday-ish")


def test_a_successor_call_sink_skips_what_was_logged(workspace: Workspace) -> None:
    from postmock_core.mock.callwriter import Call, CallSink

    def call(mock: str, seq: int) -> Call:
        return Call(mock, 100, HttpRequest(method="GET", path=f"/c/{seq}"), HttpResponse(status=200), float(seq), 0.1,
                    None, None, None, seq=seq)

    first = CallSink(workspace, lambda level, text: None)
    first.handle(("session", "s1"))
    first.handle(("calls", [call("mock-a", 1), call("mock-b", 2), call("mock-a", 3)]))
    assert first.write() == 3 and first.durable == 3
    second = CallSink(workspace, lambda level, text: None)  # resent 2..5 after a kill -9
    second.handle(("session", "s1"))
    second.handle(("calls", [call("mock-b", 2), call("mock-a", 3), call("mock-a", 4), call("mock-b", 5)]))
    assert second.write() == 2 and second.durable == 5
    paths = {m: sorted(d["path"] for _, d in CallLog(workspace, m).query()) for m in ("mock-a", "mock-b")}
    assert paths == {"mock-a": ["/c/1", "/c/3", "/c/4"], "mock-b": ["/c/2", "/c/5"]}
