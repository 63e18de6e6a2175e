"""A writer child process fed pickled messages through a pipe, both ends of it.

The recorder and the mock call log keep JSON encoding and disk writes off the proxy's CPU the
same way: the parent pipes `pickle.dump`ed tuples to `python -m MODULE ARGS...` on stdin and
reads answer lines on stdout, `LOG <level> <text>` (logged by the parent),
`FLUSHED <token> <written>` (the answer to a `("flush", token)` message) and `ACK <seq>`. The
child hands every other message to a sink, writes at least every interval and at each flush,
and at EOF (the parent stopped, or died) writes what is left and exits.

Nothing is lost when a child dies (`kill -9`, the OOM killer). The parent numbers the messages
that carry data and keeps each one until the child answers `ACK <seq>`: everything up to `seq`
is on disk. A child that dies is replaced, and the new one is first sent the parent's session
(`("session", id)`), then everything not yet acknowledged. The sink writes each batch with its
session and numbers (see `SegmentedStore`), so it skips what its predecessor had stored but not
yet acknowledged: nothing is lost and nothing is stored twice.

It runs past the ~300-line guide because it holds both ends of one protocol: split, every
message and answer would be defined in one module and understood in another.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol, TextIO, TypeVar

__all__ = ["RESPAWN_DELAY", "ChildWriter", "Emit", "Message", "Sink", "flush_request", "line_answer", "run_child",
           "serve", "wait_flushed"]

log = logging.getLogger(__name__)

RESPAWN_DELAY = 5.0  # a child that keeps dying is started again at most this often
Emit = Callable[[int, str], None]
# (sequence number or None, pickled message, how many items it carries): numbered messages are
# kept until acknowledged and resent to the next child; the others are sent once.
Message = tuple[int | None, bytes, int]

# Flush tokens are unique in this process, so an answer finds its waiter whichever child
# (a restarted one, or one for another store) it came from.
_tokens = itertools.count(1)
_acks: dict[int, int] = {}
_acked = threading.Condition()


def flush_request() -> tuple[int, bytes]:
    """A new flush token and its pickled message, to send in order with the rest."""
    token = next(_tokens)
    return token, pickle.dumps(("flush", token))


def wait_flushed(token: int, timeout: float) -> int | None:
    """How many the child wrote when it answered flush `token`; None if it did not within `timeout`."""
    with _acked:
        if not _acked.wait_for(lambda: token in _acks, timeout):
            return None
        return _acks.pop(token)


class ChildWriter:
    """The parent's end: `python [-O] -m MODULE ARGS...`, started on first send and after it dies.

    One thread at a time sends. Each new child is first sent its session (when `sequenced`),
    then `greeting()` (rules that what follows relies on), then every numbered message not yet
    acknowledged. At most `max_kept` items are kept waiting; past that the oldest are dropped,
    and counted in `lost`.
    """

    def __init__(self, module: str, *args: str, what: str, optimize: bool = False,
                 greeting: Callable[[], bytes] | None = None, logger: logging.Logger = log,
                 sequenced: bool = False, unit: str = "message", max_kept: int = 100_000) -> None:
        self.command = [sys.executable, *(["-O"] if optimize else []), "-m", module, *args]
        self.what = what
        self.greeting = greeting
        self.log = logger
        self.unit = unit
        self.max_kept = max_kept
        self.session = secrets.token_hex(8)
        self.sequenced = sequenced
        self.resent = 0  # items resent to a new child, since start
        self.lost = 0  # items dropped unacknowledged because too many were waiting
        self.proc: subprocess.Popen[bytes] | None = None
        self._relay: threading.Thread | None = None
        self._spawned = float("-inf")
        self._kept: OrderedDict[int, tuple[bytes, int]] = OrderedDict()  # seq -> (message, items)
        self._kept_items = 0
        self._kept_lock = threading.Lock()
        self._started_before = False

    def alive(self) -> bool:
        """True while a child runs."""
        return self.proc is not None and self.proc.poll() is None

    def poll(self) -> int | None:
        """The child's exit code; None while it runs or before it is started."""
        return None if self.proc is None else self.proc.poll()

    def send(self, data: bytes) -> bool:
        """Pipe pickled messages to the child; False when no child could take them (resend later)."""
        return self.send_messages([(None, data, 0)])

    def send_messages(self, messages: list[Message]) -> bool:
        """Pipe `messages` to the child, in order. Numbered ones are kept until acknowledged (and
        resent to the next child if this one dies); True when the others reached a child."""
        if not self.alive():
            self._notice_death()
        kept = [(seq, data, items) for seq, data, items in messages if seq is not None]
        if kept:
            with self._kept_lock:
                for seq, data, items in kept:
                    self._kept[seq] = (data, items)
                    self._kept_items += items
                self._trim()
        if self.alive():
            data = b"".join(data for _, data, _ in messages)
        elif self._start():
            # A new child: its session and rules, all that waited from before, then this call.
            data = self._opening({seq for seq, _, _ in kept}) + b"".join(data for _, data, _ in messages)
        else:
            return False
        if not data:
            return True
        try:
            self.proc.stdin.write(data)  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            return False  # it died: the next send notices, and starts another
        return True

    def pump(self) -> None:
        """Start a new child for what waits unacknowledged, if the last one died (call it often)."""
        if self._kept and not self.alive():
            self.send_messages([])

    def waiting(self) -> int:
        """Items sent or to be sent that the child has not yet acknowledged as stored."""
        return self._kept_items

    def leftovers(self) -> list[bytes]:
        """Take the numbered messages no child acknowledged (after `close`), oldest first."""
        with self._kept_lock:
            out = [data for data, _ in self._kept.values()]
            self._kept.clear()
            self._kept_items = 0
        return out

    def _trim(self) -> None:
        dropped = 0
        while self._kept_items > self.max_kept and len(self._kept) > 1:
            _, (_, items) = self._kept.popitem(last=False)
            self._kept_items -= items
            dropped += items
        if dropped:
            self.lost += dropped
            self.log.error("postmock: the %s is not keeping up: dropped the %d oldest unacknowledged %s(s) "
                           "(%d since start)", self.what, dropped, self.unit, self.lost)

    def _notice_death(self) -> None:
        if self.proc is not None:
            waiting = self._kept_items
            resend = f" and resending {waiting} unacknowledged {self.unit}(s)" if waiting else ""
            self.log.error("postmock: the %s exited with code %s; starting another%s", self.what,
                           self.proc.returncode, resend)
            self.proc = None

    def _opening(self, fresh: set[int | None]) -> bytes:
        with self._kept_lock:
            waiting = [entry for seq, entry in self._kept.items() if seq not in fresh]
        items = sum(n for _, n in waiting)
        if self._started_before:
            self.resent += items  # from the second child on, what waits was sent once already
        self._started_before = True
        session = pickle.dumps(("session", self.session)) if self.sequenced else b""
        return session + (self.greeting() if self.greeting is not None else b"") + b"".join(d for d, _ in waiting)

    def close(self, timeout: float = 60.0) -> None:
        """Close the child's input so it writes what it holds and exits; wait for that."""
        if self._kept and not self.alive():
            self._notice_death()
            self._spawned = float("-inf")  # a last child for what waits, without the respawn delay
            self.send_messages([])
        proc, self.proc, self._spawned = self.proc, None, float("-inf")
        if proc is None:
            return
        try:
            proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.log.error("postmock: the %s did not finish within %g s; stopping it", self.what, timeout)
            proc.kill()
            proc.wait()
        if self._relay is not None:
            self._relay.join(5)  # so that all it said is logged
        if self._kept_items:
            self.log.error("postmock: the %s did not confirm storing %d %s(s)", self.what, self._kept_items,
                           self.unit)

    def _start(self) -> bool:
        self._notice_death()
        if time.monotonic() - self._spawned < RESPAWN_DELAY:
            return False  # it died young: wait rather than restart it in a tight loop
        self._spawned = time.monotonic()
        package_root = str(Path(__file__).resolve().parents[2])  # the folder holding postmock_core
        env = dict(os.environ)
        # The proxy may have found postmock_core through sys.path alone (a plain checkout).
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            # Its own session: Ctrl-C in the proxy's terminal must not cut a final write short.
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                         start_new_session=True)
        except OSError as e:
            self.log.error("postmock: cannot start the %s: %s", self.what, e)
            return False
        self._relay = threading.Thread(target=self._answers, args=(self.proc.stdout,), name="postmock-relay",
                                       daemon=True)
        self._relay.start()
        return True

    def _answers(self, out: IO[bytes]) -> None:
        for raw in out:
            kind, _, rest = raw.decode("utf-8", "replace").rstrip("\n").partition(" ")
            try:
                if kind == "LOG":
                    level, _, text = rest.partition(" ")
                    self.log.log(int(level) if level.isdigit() else logging.ERROR, "postmock: %s", text)
                elif kind == "ACK":
                    self._acknowledged(int(rest))
                elif kind == "FLUSHED":
                    token, _, written = rest.partition(" ")
                    with _acked:
                        _acks[int(token)] = int(written or 0)
                        _acked.notify_all()
            except ValueError:
                self.log.error("postmock: the %s said something unexpected: %r", self.what, raw)


    def _acknowledged(self, seq: int) -> None:
        with self._kept_lock:
            while self._kept:
                first = next(iter(self._kept))
                if first > seq:
                    break
                _, items = self._kept.pop(first)
                self._kept_items -= items


# -- the child's end --------------------------------------------------------------------------
class Sink(Protocol):
    """Takes every message but flushes, writes what it took (returning how many), reports problems.

    A sink of numbered messages also has `durable`: the highest number up to which everything
    is stored (or deliberately dropped); it is acknowledged after each write.
    """

    def handle(self, msg: tuple[Any, ...]) -> None: ...
    def write(self) -> int: ...
    def emit(self, level: int, text: str) -> None: ...


S = TypeVar("S", bound=Sink)


def serve(stdin: BinaryIO, sink: Sink, answer: Callable[[str], None], interval: float) -> None:
    """Read messages until stdin closes, writing at least every `interval` seconds and at each flush."""
    inbox: deque[tuple[Any, ...]] = deque()
    wake = threading.Event()
    closed = threading.Event()

    def read() -> None:
        try:
            while True:
                # A fresh unpickler per message: each was pickled on its own, memo and all.
                msg = pickle.load(stdin)
                inbox.append(msg)
                if msg[0] == "flush":
                    wake.set()
        except EOFError:
            pass
        except Exception as e:  # noqa: BLE001 - report it, then finish like at EOF
            sink.emit(logging.ERROR, f"unreadable message from the proxy: {e!r}; stopping after a final write")
        finally:
            closed.set()
            wake.set()

    threading.Thread(target=read, name="postmock-writer-reader", daemon=True).start()
    acknowledged = 0
    while True:
        wake.wait(interval)
        wake.clear()
        last = closed.is_set()  # checked before draining: nothing arrives after it is set
        tokens = []
        while inbox:
            msg = inbox.popleft()
            if msg[0] == "flush":
                tokens.append(msg[1])
            else:
                sink.handle(msg)
        written = sink.write()
        durable = getattr(sink, "durable", None)
        if durable is not None and durable != acknowledged:
            acknowledged = durable
            answer(f"ACK {durable}")
        for token in tokens:
            answer(f"FLUSHED {token} {written}")
        if last:
            return


def line_answer(out: TextIO) -> Callable[[str], None]:
    """A thread-safe way to send the parent one line each."""
    lock = threading.Lock()

    def answer(line: str) -> None:
        with lock:
            try:
                out.write(line.replace("\n", " ") + "\n")
                out.flush()
            except (OSError, ValueError):
                pass  # the parent is gone; what is written is what matters now

    return answer


def run_child(make_sink: Callable[[Emit], S], interval: float) -> S:
    """A child's `main`: serve stdin to the sink `make_sink(emit)` until EOF; return the sink."""
    # Ctrl-C in the proxy's terminal may reach this process too; it stops when stdin closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answer = line_answer(sys.stdout)
    sink = make_sink(lambda level, text: answer(f"LOG {level} {text}"))
    serve(sys.stdin.buffer, sink, answer, interval)
    return sink
