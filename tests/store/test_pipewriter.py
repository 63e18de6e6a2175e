"""The writer child process mechanism, with real child processes running a tiny sink."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from postmock_core.store import pipewriter
from postmock_core.store.pipewriter import ChildWriter, flush_request, serve, wait_flushed

SINK = "pipewriter_test_sink"
SINK_SOURCE = '''
import logging, os, sys
from pathlib import Path
from postmock_core.store.pipewriter import run_child

class LineSink:
    """Appends one line per handled message, with this process's ID, to a file."""
    def __init__(self, out, emit):
        self.out, self.emit, self.pending = out, emit, []
    def handle(self, msg):
        if msg[0] == "say":
            self.emit(logging.WARNING, msg[1])
        elif msg[0] == "die":
            os._exit(3)
        elif msg[0] == "optimize":
            self.pending.append(f"optimize={sys.flags.optimize}")
        elif msg[0] == "where":
            import postmock_core
            self.pending.append(postmock_core.__file__)
        else:
            self.pending.append(msg[1])
    def write(self):
        batch, self.pending = self.pending, []
        with self.out.open("a") as f:
            f.write("".join(f"{os.getpid()} {line}\\n" for line in batch))
        return len(batch)

run_child(lambda emit: LineSink(Path(sys.argv[1]), emit), float(sys.argv[2]))
'''
LOGGER = "test_pipewriter.child"


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / f"{SINK}.py").write_text(SINK_SOURCE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return tmp_path / "written.txt"


@pytest.fixture
def children() -> Iterator[list[ChildWriter]]:
    made: list[ChildWriter] = []
    yield made
    for child in made:
        child.close(10)


def start(children: list[ChildWriter], out: Path, interval: float = 60.0, **kwargs) -> ChildWriter:
    # A long interval: only a flush or the end of input makes the child write.
    child = ChildWriter(SINK, str(out), str(interval), what="test writer",
                        logger=logging.getLogger(LOGGER), **kwargs)
    children.append(child)
    return child


def lines(*texts: str) -> bytes:
    return b"".join(pickle.dumps(("line", t)) for t in texts)


def flush(child: ChildWriter) -> int | None:
    token, message = flush_request()
    assert child.send(message)
    return wait_flushed(token, 30)


def written(out: Path) -> list[tuple[int, str]]:
    if not out.exists():
        return []
    return [(int(pid), text) for pid, text in (line.split(" ", 1) for line in out.read_text().splitlines())]


def test_a_flush_is_answered_with_what_was_written(out, children):
    child = start(children, out)
    assert child.send(lines("a", "b"))
    assert flush(child) == 2
    assert [text for _, text in written(out)] == ["a", "b"]
    assert flush(child) == 0
    assert child.send(lines("c"))
    assert flush(child) == 1
    assert [text for _, text in written(out)] == ["a", "b", "c"]
    assert child.alive() and child.poll() is None


def test_end_of_input_writes_what_is_left_and_exits(out, children):
    child = start(children, out)
    assert child.send(lines("one", "two", "three"))
    proc = child.proc
    assert proc is not None
    child.close(30)
    assert proc.returncode == 0 and not child.alive()
    assert [text for _, text in written(out)] == ["one", "two", "three"]


def test_a_dead_child_is_started_again_with_the_greeting_and_the_batch_resent(out, children, monkeypatch, caplog):
    child = start(children, out, greeting=lambda: lines("greeting"))
    assert child.send(lines("a")) and flush(child) == 2
    first = child.proc
    assert first is not None
    assert child.send(pickle.dumps(("die",)) + flush_request()[1])  # the flush makes it act now
    first.wait(30)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        # It died young: not restarted in a tight loop; the caller keeps the batch.
        assert not child.send(lines("b"))
    assert not child.alive() and "exited with code 3" in caplog.text
    monkeypatch.setattr(pipewriter, "RESPAWN_DELAY", 0.0)
    assert child.send(lines("b"))
    assert flush(child) == 2
    second = child.proc
    assert second is not None and second.pid != first.pid
    assert written(out) == [(first.pid, "greeting"), (first.pid, "a"), (second.pid, "greeting"), (second.pid, "b")]


def test_log_lines_are_relayed_to_the_owners_logger(out, children, caplog):
    child = start(children, out)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert child.send(pickle.dumps(("say", "disk\nfull")))
        assert flush(child) == 0  # answered after the log line, on the same pipe
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.WARNING and record.getMessage() == "postmock: disk full"


def test_the_child_runs_optimised_when_asked(out, children):
    plain, optimised = start(children, out), start(children, out, optimize=True)
    for child in (plain, optimised):
        assert child.send(pickle.dumps(("optimize",))) and flush(child) == 1
    assert [text for _, text in written(out)] == ["optimize=0", "optimize=1"]


def test_the_child_runs_the_code_of_the_process_that_started_it(out, tmp_path):
    """A proxy may find postmock through sys.path alone (`mitmdump -s addons/record.py` in a
    plain checkout): its writer child must import that same code, not an installed copy."""
    checkout = tmp_path / "checkout"
    shutil.copytree(Path(pipewriter.__file__).parents[1], checkout / "postmock_core",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = f"""
import logging, pickle, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, {str(checkout)!r})
from postmock_core.store.pipewriter import ChildWriter, flush_request, wait_flushed
child = ChildWriter({SINK!r}, {str(out)!r}, "60", what="test writer", logger=logging.getLogger("t"))
token, message = flush_request()
assert child.send(pickle.dumps(("where",)) + message) and wait_flushed(token, 30) == 1
child.close(10)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, cwd=tmp_path)
    [(_, where)] = written(out)
    assert Path(where).is_relative_to(checkout), where


def test_the_child_ignores_ctrl_c(out, children):
    child = start(children, out)
    assert flush(child) == 0  # serving: its handlers are set
    assert child.proc is not None
    os.kill(child.proc.pid, signal.SIGINT)
    assert child.send(lines("after"))
    assert flush(child) == 1 and child.alive()


def test_an_unreadable_message_is_reported_and_what_came_before_is_written(out, children, caplog):
    child = start(children, out)
    proc = child.proc if child.send(lines("good")) else None
    assert proc is not None
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        assert child.send(b"\xff\xff\xff\xff")
        proc.wait(30)
        child.close(10)  # waits for the relay to pass on the report
    assert proc.returncode == 0
    assert "unreadable message" in caplog.text
    assert [text for _, text in written(out)] == ["good"]


class MemorySink:
    def __init__(self) -> None:
        self.pending: list[str] = []
        self.written: list[str] = []

    def handle(self, msg: tuple) -> None:
        self.pending.append(msg[1])

    def write(self) -> int:
        batch, self.pending = self.pending, []
        self.written += batch
        return len(batch)

    def emit(self, level: int, text: str) -> None:
        raise AssertionError(text)


def test_serve_writes_every_interval_without_being_asked():
    read_end, write_end = os.pipe()
    sink = MemorySink()
    answers: list[str] = []
    with os.fdopen(read_end, "rb") as stdin:
        server = threading.Thread(target=serve, args=(stdin, sink, answers.append, 0.05))
        server.start()
        with os.fdopen(write_end, "wb") as feed:
            feed.write(pickle.dumps(("line", "x")))
            feed.flush()
            deadline = time.monotonic() + 10
            while not sink.written and time.monotonic() < deadline:
                time.sleep(0.01)
            assert sink.written == ["x"]
            feed.write(pickle.dumps(("line", "y")) + pickle.dumps(("flush", 5)))
        server.join(10)
    assert not server.is_alive() and answers == ["FLUSHED 5 1"] and sink.written == ["x", "y"]


SEQ_SINK = "pipewriter_seq_sink"
SEQ_SINK_SOURCE = '''
import os, sys
from pathlib import Path
from postmock_core.store.pipewriter import run_child

class SeqSink:
    """Numbered lines: skips what the file holds for its session, acknowledges what it wrote."""
    def __init__(self, out, emit):
        self.out, self.emit, self.pending, self.session, self.durable = out, emit, [], None, 0
    def stored(self):
        if not self.out.exists():
            return 0
        seqs = [int(n) for s, n, _ in (l.split(" ", 2) for l in self.out.read_text().splitlines()) if s == self.session]
        return max(seqs, default=0)
    def handle(self, msg):
        if msg[0] == "session":
            self.session = msg[1]
            self.durable = self.stored()
        elif msg[1] > self.durable:
            self.pending.append(msg[1:])
    def write(self):
        batch, self.pending = self.pending, []
        with self.out.open("a") as f:
            f.write("".join(f"{self.session} {seq} {text}\\n" for seq, text in batch))
        if batch:
            self.durable = max(self.durable, batch[-1][0])
        return len(batch)

run_child(lambda emit: SeqSink(Path(sys.argv[1]), emit), float(sys.argv[2]))
'''


def test_numbered_messages_are_kept_until_acknowledged_and_resent_once(tmp_path, monkeypatch, caplog):
    (tmp_path / f"{SEQ_SINK}.py").write_text(SEQ_SINK_SOURCE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(pipewriter, "RESPAWN_DELAY", 0.0)
    out = tmp_path / "numbered.txt"
    child = ChildWriter(SEQ_SINK, str(out), "60", what="numbered writer", logger=logging.getLogger(LOGGER),
                        sequenced=True, unit="line")

    def send(*seqs: int) -> None:
        assert child.send_messages([(n, pickle.dumps(("line", n, f"text{n}")), 1) for n in seqs])

    try:
        send(1, 2, 3)
        token, message = flush_request()
        assert child.send(message) and wait_flushed(token, 30) == 3
        assert child.waiting() == 0  # acknowledged: nothing kept
        send(4, 5)  # sent, not yet written (a long interval): kept
        assert child.waiting() == 2
        first = child.proc
        assert first is not None
        first.kill()  # kill -9 before it wrote them
        first.wait(30)
        with caplog.at_level(logging.ERROR, logger=LOGGER):
            send(6)
        assert "exited with code -9; starting another and resending 2 unacknowledged line(s)" in caplog.text
        assert child.resent == 2
        # The new child stores 4, 5 and 6; then 7, whose ACK we pretend was lost when it died.
        token, message = flush_request()
        assert child.send(message) and wait_flushed(token, 30) == 3
        send(7)
        token, message = flush_request()
        assert child.send(message) and wait_flushed(token, 30) == 1
        child._kept[7] = (pickle.dumps(("line", 7, "text7")), 1)
        child._kept_items += 1
        assert child.proc is not None
        child.proc.kill()
        child.proc.wait(30)
        child.close(30)  # a last child is resent 7 and skips it: it is stored already
        assert child.waiting() == 0
    finally:
        child.close(10)
    seqs = [int(line.split()[1]) for line in out.read_text().splitlines()]
    assert seqs == [1, 2, 3, 4, 5, 6, 7]
