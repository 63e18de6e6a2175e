"""Hostile requests to a running `postmock serve`, over raw sockets: huge headers and bodies,
bytes that are not UTF-8, odd methods, path tricks, template tokens in request data, absurd
delays. After each one the mock must still answer a normal call, and at the end its output
must hold no postmock traceback and its call log every call it answered.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from support.mockkit import make_mock, run_serve, users_collection
from support.procs import free_port

from postmock_core.mock.calllog import CallLog
from postmock_core.store.workspace import Workspace

from .common import json_problems, our_errors

__all__ = ["CASES", "HostileReport", "Outcome", "hostile_collection", "raw_request", "run_hostile"]

GUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ECHO_BODY = "body={{$body}}|name={{$body 'name'}}|q={{$queryParams 'q'}}|h={{$headers 'x-a'}}|seg={{$pathSegments '1'}}"


def hostile_collection() -> dict:
    doc = users_collection("Hostile")
    doc["item"].append({"name": "Echo", "request": {"method": "POST", "url": "{{baseUrl}}/echo/{{tail}}"},
                        "response": [{"name": "Echoed", "code": 200, "status": "OK", "body": ECHO_BODY,
                                      "header": [{"key": "Content-Type", "value": "text/plain"},
                                                 {"key": "X-Echo", "value": "{{$headers 'x-a'}}"}]}]})
    # A collection file may hold lone surrogates (JSON escapes like "\ud800") anywhere.
    doc["item"].append({"name": "Odd \ud800", "request": {"method": "GET", "url": "{{baseUrl}}/odd"},
                        "response": [{"name": "Odd \udcff", "code": 200, "status": "OK", "body": "odd \ud800",
                                      "header": [{"key": "X-Odd", "value": "a\ud800b"}]}]})
    return doc


@dataclass
class Outcome:
    status: int | None  # None: the connection closed (or timed out) without an answer
    headers: dict[str, str]
    body: bytes
    timed_out: bool = False

    @property
    def from_mock(self) -> bool:
        """Answered by postmock (every mock answer exposes its X-Mock-* headers)."""
        return "x-mock-example-name" in self.headers.get("access-control-expose-headers", "").lower()


def raw_request(port: int, data: bytes, timeout: float = 30.0) -> Outcome:
    """Send raw bytes (one request, `Connection: close`) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            chunks = []
            while True:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        except TimeoutError:
            return Outcome(None, {}, b"", timed_out=True)
        except OSError:
            chunks = chunks if "chunks" in locals() else []
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    if m is None:
        return Outcome(None, {}, raw)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().decode("latin-1").lower()] = v.strip().decode("latin-1")
    if "chunked" in headers.get("transfer-encoding", ""):
        body = _dechunk(body)
    return Outcome(int(m.group(1)), headers, body)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


def request(method: bytes, target: bytes, headers: Sequence[tuple[bytes, bytes]] = (), body: bytes = b"") -> bytes:
    """One HTTP/1.1 request as raw bytes, closing the connection after the answer."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += [k + b": " + v for k, v in headers]
    if body or method in (b"POST", b"PUT"):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


JSON = (b"Content-Type", b"application/json")
BIG = 10 * 1024 * 1024

# (name, request bytes, client timeout, what must hold: any answer, one by the mock, a status,
# a delay still running at the timeout, or "echo:TEXT" for a 200 whose body holds TEXT)
CASES: list[tuple[str, bytes, float, str]] = [
    ("64 KB header", request(b"GET", b"/users/1", [(b"X-Big", b"a" * 65536)]), 30, "any"),
    ("200 KB of headers", request(b"GET", b"/users/1", [(b"X-H%d" % i, b"b" * 1000) for i in range(200)]), 30, "any"),
    ("10 MB JSON body", request(b"POST", b"/users", [JSON], json.dumps({"name": "n" * BIG}).encode()), 60, "201"),
    ("10 MB binary body", request(b"POST", b"/echo/bin", [(b"Content-Type", b"application/octet-stream")],
                                  bytes(range(256)) * (BIG // 256)), 60, "200"),
    ("invalid UTF-8 in the path", request(b"GET", b"/users/\xff\xfe"), 30, "mock"),
    ("invalid UTF-8 in a wildcard", request(b"GET", b"/hello/\xc3\x28"), 30, "mock"),
    ("invalid UTF-8 in the query", request(b"GET", b"/users/1?q=\xff&\xfe=1"), 30, "200"),
    ("invalid UTF-8 in a header", request(b"GET", b"/users/1", [(b"X-A", b"\xff\xfe\xfd")]), 30, "200"),
    ("invalid UTF-8 echoed", request(b"POST", b"/echo/\xff?q=\xfe", [(b"X-A", b"\xfd"), JSON], b'{"name": "\xff"}'),
     30, "200"),
    ("lone surrogate escape echoed", request(b"POST", b"/echo/x", [JSON], b'{"name": "\\ud800", "password": "p"}'),
     30, "200"),
    ("invalid UTF-8 JSON body", request(b"POST", b"/users", [JSON], b'{"name": "\xff\xfe"}'), 30, "201"),
    ("PURGE", request(b"PURGE", b"/users/1"), 30, "mock"),
    ("LOCK", request(b"LOCK", b"/users/1"), 30, "mock"),
    ("lowercase get", request(b"get", b"/users/1"), 30, "any"),
    ("8 KB method", request(b"X" * 8192, b"/users/1"), 30, "any"),
    ("method with odd bytes", request(b"G{T", b"/users/1"), 30, "any"),
    ("dot-dot path", request(b"GET", b"/../../etc/passwd"), 30, "mock"),
    ("encoded dot-dot", request(b"GET", b"/users/%2e%2e/%2e%2e/etc/passwd"), 30, "mock"),
    ("encoded slash", request(b"GET", b"/users%2F1"), 30, "mock"),
    ("encoded traversal", request(b"GET", b"/%2e%2e%2f%2e%2e%2fetc%2fpasswd"), 30, "mock"),
    ("absolute-form target", request(b"GET", b"http://169.254.169.254/latest/meta-data"), 30, "any"),
    ("template tokens in a JSON body", request(b"POST", b"/users", [JSON], b'{"name": "{{$guid}}"}'), 30, "201"),
    ("template tokens everywhere", request(
        b"POST", b"/echo/%7B%7B%24guid%7D%7D?q=%7B%7B%24randomInt%7D%7D",
        [(b"X-A", b"{{$timestamp}}"), JSON], b'{"name": "{{$body \'name\'}}{{$guid}}"}'), 30,
     "echo:name={{$body 'name'}}{{$guid}}|q={{$randomInt}}|h={{$timestamp}}|seg={{$guid}}"),
    ("template token in a wildcard", request(b"GET", b"/hello/{{$guid}}"), 30, "echo:hello {{$guid}}"),
    ("encoded template token in a wildcard", request(b"GET", b"/hello/%7B%7B%24isoTimestamp%7D%7D"), 30,
     "echo:hello {{$isoTimestamp}}"),
    ("delay -5", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"-5")]), 30, "200"),
    ("delay 0", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"0")]), 30, "200"),
    ("delay abc", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"abc")]), 30, "200"),
    ("delay nan", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"nan")]), 30, "200"),
    ("delay 1e400", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"1e400")]), 2, "timeout"),
    ("delay inf", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"inf")]), 2, "timeout"),
    ("delay -inf", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"-inf")]), 30, "200"),
    ("delay huge", request(b"GET", b"/users/1", [(b"x-mock-response-delay", b"9" * 40)]), 2, "timeout"),
    ("lone surrogates in an example", request(b"GET", b"/odd"), 30, "200"),
    ("x-mock-response-code ²", request(b"GET", b"/users/1", [(b"x-mock-response-code", "²".encode())]), 30, "mock"),
    ("x-mock-response-code 99999999999999999999", request(
        b"GET", b"/users/1", [(b"x-mock-response-code", b"9" * 20)]), 30, "mock"),
]


@dataclass
class HostileReport:
    results: list[tuple[str, str, bool]] = field(default_factory=list)  # (case, what happened, ok)
    normal_after: int = 0
    answered_by_mock: int = 0
    call_log: int = 0
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{'ok ' if ok else 'BAD'} {name}: {what}" for name, what, ok in self.results]
        out.append(f"normal call answered after {self.normal_after}/{len(self.results)} hostile ones; "
                   f"call log {self.call_log}/{self.answered_by_mock} answered by the mock; "
                   f"problems {len(self.problems)}")
        out.extend(f"  {p}" for p in self.problems[:10])
        return out


def _judge(name: str, want: str, out: Outcome) -> tuple[str, bool]:
    what = ("timed out (delay running)" if out.timed_out else
            f"{out.status} {out.body[:60]!r}" if out.status else f"closed: {out.body[:60]!r}")
    if want.startswith("echo:"):  # answered 200, the request data given back literally
        ok = out.status == 200 and want[5:].encode() in out.body
    else:
        ok = {"any": not out.timed_out, "mock": out.from_mock, "timeout": out.timed_out,
              "200": out.status == 200, "201": out.status == 201}[want]
    if out.body and GUID.search(out.body) and name.startswith("template"):
        ok, what = False, what + " (a template token in request data was expanded)"
    if b"root:" in out.body:
        ok, what = False, what + " (a file from outside was served)"
    return what, ok


def _normal(port: int) -> bool:
    out = raw_request(port, request(b"GET", b"/users/1"))
    return out.status == 200 and json.loads(out.body) == {"id": 1, "name": "Ada"}


def run_hostile(tmp: Path) -> HostileReport:
    report = HostileReport()
    ws = Workspace.open(tmp / "home")
    mock = make_mock(ws, "hostile", free_port(), hostile_collection(), call_log_cap=10_000)
    with run_serve(ws.root, [mock], tmp / "serve") as served:
        for name, data, timeout, want in CASES:
            try:
                out = raw_request(mock.port, data, timeout)
            except OSError as e:
                out = Outcome(None, {}, repr(e).encode())
            what, ok = _judge(name, want, out)
            report.results.append((name, what, ok))
            report.answered_by_mock += out.from_mock
            if _normal(mock.port):
                report.normal_after += 1
                report.answered_by_mock += 1
            else:
                report.problems.append(f"after {name!r} the mock no longer answers a normal call")
        time.sleep(1.0)  # the call log is written at least every half second
        with contextlib.suppress(AssertionError):
            served.stop()
        report.problems += [f"postmock serve logged: {e}" for e in our_errors(served.output())]
    report.call_log = CallLog(ws, mock.id).count()
    report.problems += json_problems(ws.root)
    return report
