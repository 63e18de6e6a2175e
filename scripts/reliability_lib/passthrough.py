"""An upstream that dies mid-response behind a mock in passthrough (and record) mode.

`BrokenUpstream` is a raw-socket server on 127.0.0.1 that misbehaves in a different way per
path: headers then half a body, a reset, a cut chunk, garbage, silence then close, and one
healthy path. For each, the client must get a clear 502, and the mock must answer its next
call normally; a recording mock stores the failure as a whole exchange with its error.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from support.mockkit import make_mock, run_serve, users_collection
from support.procs import free_port, wait_until

from postmock_core.mock.calllog import CallLog
from postmock_core.store.workspace import Workspace

from .common import check_history, client, json_problems, our_errors

__all__ = ["BREAKAGES", "BrokenUpstream", "PassthroughReport", "run_passthrough"]

POSTMOCK = str(Path(sys.executable).parent / "postmock")

_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
BREAKAGES: dict[str, str] = {
    "/half": "headers and half the promised body, then close",
    "/big-half": "2 MB of a promised 10 MB body, then close",
    "/reset": "headers, then a TCP reset",
    "/chunk-cut": "chunked encoding cut inside a chunk",
    "/garbage": "a response that is not HTTP",
    "/silence": "accepts the request, closes without a byte",
    "/bad-length": "a Content-Length that is not a number",
}


class BrokenUpstream:
    """A tiny HTTP/1.1 server that breaks each answer the way its path says (`BREAKAGES`)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="broken-upstream", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                path = data.split(b" ", 2)[1].split(b"?")[0].decode("latin-1") if b" " in data else ""
                self._answer(conn, path)
            except OSError:
                pass

    @staticmethod
    def _answer(conn: socket.socket, path: str) -> None:
        if path == "/half":
            conn.sendall(_HEAD + b"Content-Length: 1000\r\n\r\n" + b'{"partial": "' + b"x" * 400)
        elif path == "/big-half":
            conn.sendall(_HEAD + b"Content-Length: 10485760\r\n\r\n" + b"y" * 2_097_152)
        elif path == "/reset":
            conn.sendall(_HEAD + b"Content-Length: 1000\r\n\r\n{")
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif path == "/chunk-cut":
            conn.sendall(_HEAD + b"Transfer-Encoding: chunked\r\n\r\n10\r\n{\"a\": 1, \"b\"")
        elif path == "/garbage":
            conn.sendall(b"this is not HTTP at all\r\n\r\n")
        elif path == "/silence":
            pass
        elif path == "/bad-length":
            conn.sendall(_HEAD + b"Content-Length: lots\r\n\r\n{}")
        else:
            body = b'{"healthy": true}'
            conn.sendall(_HEAD + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)


@dataclass
class PassthroughReport:
    cases: dict[str, int] = field(default_factory=dict)  # path -> status the client got
    bodies: dict[str, str] = field(default_factory=dict)
    served_after: int = 0  # normal calls answered 200 right after a broken one
    healthy: int = 0  # healthy passthrough calls answered 200
    recorded_failures: int = 0  # failed exchanges the recording mock stored (whole, with error)
    logged_502: int = 0
    rounds: int = 1
    skipped_failures: int = 0  # failed exchanges `collection create --from-history` left out
    examples_from_failures: int = 0  # ... and those it wrongly made examples of
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{path:12} -> {status}  ({BREAKAGES[path]}): {self.bodies[path][:70]!r}"
               for path, status in self.cases.items()]
        calls = 2 * self.rounds * len(self.cases)
        out.append(f"normal calls answered after each: {self.served_after}/{calls}; healthy "
                   f"passthrough {self.healthy}/{calls}; recorded failures "
                   f"{self.recorded_failures}; call log 502s {self.logged_502}; built into a collection: "
                   f"{self.skipped_failures} failures skipped, {self.examples_from_failures} made examples; "
                   f"problems {len(self.problems)}")
        out.extend(f"  {p}" for p in self.problems[:10])
        return out


def run_passthrough(tmp: Path, rounds: int = 1) -> PassthroughReport:
    report = PassthroughReport(rounds=rounds)
    ws = Workspace.open(tmp / "home")
    with BrokenUpstream() as upstream:
        passing = make_mock(ws, "passing", free_port(), users_collection("Passing", upstream.url),
                            on_miss="passthrough")
        recording = make_mock(ws, "recording", free_port(), users_collection("Recording", upstream.url),
                              on_miss="record")
        with run_serve(ws.root, [passing, recording], tmp / "serve") as served:
            for _ in range(rounds):
                for mock in (passing, recording):
                    with client(mock.url, timeout=30.0) as c:
                        for path in BREAKAGES:
                            r = c.get(path)
                            report.cases[path] = r.status_code
                            report.bodies[path] = r.text
                            if r.status_code != 502:
                                report.problems.append(f"{mock.name} {path}: {r.status_code}, not 502")
                            after = c.get("/users/1")
                            if after.status_code == 200 and after.json() == {"id": 1, "name": "Ada"}:
                                report.served_after += 1
                            else:
                                report.problems.append(f"{mock.name}: after {path} the mock answered "
                                                       f"{after.status_code}")
                            report.healthy += c.get("/healthy").status_code == 200
            wanted = len(BREAKAGES) * rounds

            def recorded() -> int:
                docs, _ = check_history(ws)
                return sum(1 for d in docs.values() if d["error"])

            with contextlib.suppress(AssertionError):
                wait_until(lambda: recorded() >= wanted, 15, message="the recorded failures")
            report.recorded_failures = recorded()
            served.stop()
            report.problems += [f"postmock serve logged: {e}" for e in our_errors(served.output())]
        report.logged_502 = sum(1 for m in (passing, recording)
                                for _, d in CallLog(ws, m.id).query() if d["status"] == 502)
        _, problems = check_history(ws)
        report.problems += problems + json_problems(ws.root)
        # A failure recorded on a miss must not turn into an example (a 200 with half a body).
        built = subprocess.run([POSTMOCK, "--home", str(ws.root), "collection", "create", "From misses",
                                "--from-history", "--json"], capture_output=True, text=True, timeout=60, check=False)
        if built.returncode != 0:
            report.problems.append(f"collection create --from-history failed: {built.stderr.strip()}")
        else:
            result = json.loads(built.stdout)
            report.examples_from_failures = result["examples"] - (len(BREAKAGES) * rounds)  # the healthy ones
            report.skipped_failures = len(result["skipped_failed"])
    return report
