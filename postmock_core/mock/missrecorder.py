"""Recording the misses a mock passed on (`on_miss: record`) into history, off the hot path.

Inside mitmproxy the proxy's own recorder stores them. An engine without one hands each
passed-through exchange here: it is redacted, queued, and appended to history by a background
thread in batches, so the caller never waits for the disk.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from postmock_core.exchange import Exchange
from postmock_core.history.redaction import Redactor
from postmock_core.history.store import HistoryStore
from postmock_core.store.workspace import Workspace

__all__ = ["QUEUE_CAP", "WRITE_INTERVAL", "MissRecorder"]

log = logging.getLogger(__name__)

WRITE_INTERVAL = 0.5
QUEUE_CAP = 10_000  # exchanges held while history cannot be written; past it the oldest go


class MissRecorder:
    """Appends redacted exchanges to a workspace's history, in batches, from one thread."""

    def __init__(self, ws: Workspace, redactor: Redactor | None = None) -> None:
        self.ws = ws
        self.redactor = redactor or Redactor()
        self.lost = 0
        self._queue: deque[Exchange] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._store: HistoryStore | None = None

    def add(self, exchange: Exchange) -> None:
        """Queue one exchange (not yet redacted: that happens in the thread)."""
        with self._lock:
            if len(self._queue) >= QUEUE_CAP:
                self._queue.popleft()
                self.lost += 1
            self._queue.append(exchange)
        with self._idle:
            self._pending += 1
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="postmock-misses", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(WRITE_INTERVAL)
            self._wake.clear()
            self._write()
        self._write()

    def _write(self) -> None:
        with self._lock:
            batch, self._queue = list(self._queue), deque()
        if batch:
            try:
                if self._store is None:
                    self._store = HistoryStore(self.ws)
                self._store.append([self.redactor.exchange(ex) for ex in batch])
            except Exception as e:  # noqa: BLE001 - the mock must keep answering
                self.lost += len(batch)
                log.error("postmock: cannot record %d missed call(s) into history: %s", len(batch), e)
        with self._idle:
            self._pending -= len(batch)
            self._idle.notify_all()

    def flush(self, timeout: float = 30.0) -> None:
        """Return once everything added so far is written (or `timeout` passed)."""
        if self._thread is None:
            return
        self._wake.set()
        with self._idle:
            self._idle.wait_for(lambda: self._pending <= 0, timeout)

    def close(self) -> None:
        """Write what is queued and stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
