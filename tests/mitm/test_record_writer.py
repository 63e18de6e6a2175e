"""The writer process's logic, run in-process on real files: batching, rules, failures."""

from __future__ import annotations

import io
import json
import logging
import pickle
import shutil

from mitmproxy.test import tflow, tutils

from postmock_core.history.store import HistoryStore
from postmock_core.mitm.record_writer import Writer, serve


def flow_msg(path: str, *, body: bytes = b"", headers: tuple = (), seq: int | None = None) -> tuple:
    req = tutils.treq(path=path.encode(), content=body, headers=tutils.http.Headers(
        [(k.encode(), v.encode()) for k, v in headers]))
    flow = tflow.tflow(req=req, resp=True)
    return ("flow", seq, flow.request.get_state(), flow.response.get_state(), None, "regular")


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []

    def __call__(self, level: int, message: str) -> None:
        self.lines.append((level, message))


def paths(workspace) -> list[str]:
    return [d["request"]["path"] for _, d in HistoryStore(workspace).iter_docs(newest_first=False)]


def test_serve_applies_rules_in_order_and_writes_the_rest_at_eof(workspace):
    stream = io.BytesIO(b"".join(pickle.dumps(m) for m in [
        flow_msg("/before", headers=(("x-custom", "visible"),)),
        ("config", ["x-custom"], ["password"], 4),
        flow_msg("/after", headers=(("x-custom", "hidden"),), body=b"0123456789"),
        ("flush", 7),
        flow_msg("/last"),
    ]))
    answers: list[str] = []
    writer = Writer(str(workspace.root), Log())
    serve(stream, writer, answers.append, interval=0.01)
    assert answers[0].startswith("FLUSHED 7 ")
    assert paths(workspace) == ["/before", "/after", "/last"]
    store = HistoryStore(workspace)
    before, after = store.load(1), store.load(2)
    assert before.request.header("x-custom") == "visible" and before.truncated == []
    assert after.request.header("x-custom") == "[REDACTED]"
    assert after.request.body == b"0123" and "request.body" in after.truncated


def test_failed_writes_are_held_capped_and_retried(workspace):
    log = Log()
    writer = Writer(str(workspace.root), log, cap=3)
    writer.handle(flow_msg("/first"))
    assert writer.write() == 1
    history_dir = HistoryStore(workspace).dir
    shutil.rmtree(history_dir)
    history_dir.write_text("in the way")
    for i in range(5):
        writer.handle(flow_msg(f"/held/{i}"))
        assert writer.write() == 0
    errors = [m for level, m in log.lines if level == logging.ERROR]
    assert len(errors) == 1 and str(workspace.root) in errors[0]
    assert writer.lost == 2 and any("dropped the 1 oldest" in m for _, m in log.lines)
    history_dir.unlink()
    assert writer.write() == 3
    assert paths(workspace) == ["/held/2", "/held/3", "/held/4"]  # the first segment went with the folder
    assert any("resumed" in m for _, m in log.lines)


def test_an_unreadable_flow_is_reported_and_skipped(workspace):
    log = Log()
    writer = Writer(str(workspace.root), log)
    writer.handle(("flow", None, {"not": "a request"}, None, None, "regular"))
    writer.handle(flow_msg("/fine", body=json.dumps({"password": "p"}).encode(),
                           headers=(("content-type", "application/json"),)))
    assert writer.write() == 1
    assert paths(workspace) == ["/fine"]
    assert [level for level, _ in log.lines] == [logging.ERROR]
    assert HistoryStore(workspace).load(1).request.body == b'{"password":"[REDACTED]"}'


def test_a_successor_skips_what_its_predecessor_stored(workspace):
    first = Writer(str(workspace.root), Log())
    first.handle(("session", "s1"))
    for n in range(1, 6):
        first.handle(flow_msg(f"/n/{n}", seq=n))
    assert first.write() == 5 and first.durable == 5
    other = Writer(str(workspace.root), Log())  # another proxy on the same workspace, in between
    other.handle(("session", "s2"))
    other.handle(flow_msg("/other", seq=1))
    assert other.write() == 1
    # The first writer was killed before its ACK: the proxy resends 3..5 with 6..8 to a new one.
    log = Log()
    second = Writer(str(workspace.root), log)
    second.handle(("session", "s1"))
    for n in range(3, 9):
        second.handle(flow_msg(f"/n/{n}", seq=n))
    assert second.write() == 3 and second.durable == 8 and second.skipped == 3
    assert paths(workspace) == [f"/n/{n}" for n in range(1, 6)] + ["/other"] + [f"/n/{n}" for n in (6, 7, 8)]
    assert any("skipped 3 resent exchange(s)" in m for _, m in log.lines)
    second.handle(flow_msg("/n/8", seq=8))  # a late duplicate is dropped on arrival
    assert second.write() == 0 and len(paths(workspace)) == 9


def test_a_batch_whose_mark_was_written_but_not_its_documents_is_written_again(workspace):
    store = HistoryStore(workspace)
    w = Writer(str(workspace.root), Log())
    w.handle(("session", "s1"))
    w.handle(flow_msg("/a", seq=1))
    assert w.write() == 1
    # A kill between renames: the state file already names the next batch (seq 2 after ID 1),
    # but its segment never landed.
    state = json.loads((store.dir / "state.json").read_text())
    state["writers"]["s1"] = [1, 1]
    state["next_id"] = 3
    (store.dir / "state.json").write_text(json.dumps(state))
    again = Writer(str(workspace.root), Log())
    again.handle(("session", "s1"))
    again.handle(flow_msg("/b", seq=2))
    assert again.write() == 1 and paths(workspace) == ["/a", "/b"]
