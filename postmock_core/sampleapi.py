"""A small, fast sample API for the demo, tests and benchmarks.

`python -m postmock_core.sampleapi --port N [--tls]` prints its URL and serves until
interrupted. A threaded stdlib HTTP/1.1 server with keep-alive, realistic JSON endpoints, and
a few awkward ones (compressed, binary, large, slow, aborted, cut short) that a recorder and
a mock server must survive. TLS uses a self-signed certificate for 127.0.0.1 and localhost.

It runs past the ~300-line guide because it is one table of small endpoints, each a test case;
they read best side by side.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gzip
import hashlib
import ipaddress
import json
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["SampleAPI", "binary_body", "cert_path", "large_body", "main", "start_in_thread"]

USERS = [
    {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "role": "admin"},
    {"id": 2, "name": "Alan Turing", "email": "alan@example.com", "role": "user"},
    {"id": 3, "name": "Grace Hopper", "email": "grace@example.com", "role": "user"},
]
MAX_SLOW_MS = 10_000

_cert_lock = threading.Lock()
_cert: tuple[Path, Path] | None = None


def _make_cert(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "postmock sample API")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "sampleapi-cert.pem", folder / "sampleapi-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _cert_files() -> tuple[Path, Path]:
    global _cert
    with _cert_lock:
        if _cert is None:
            folder = Path(tempfile.mkdtemp(prefix="postmock-sampleapi-"))
            atexit.register(shutil.rmtree, folder, True)
            _cert = _make_cert(folder)
        return _cert


def cert_path() -> Path:
    """The self-signed certificate (PEM) the TLS sample API uses; a client may trust it or not."""
    return _cert_files()[0]


def binary_body(size: int = 4096) -> bytes:
    """Deterministic bytes that are not UTF-8, starting with the PNG signature."""
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    block = b"postmock"
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def large_body(items: int = 800) -> bytes:
    """About 100 KB of JSON."""
    rows = [{"id": i, "name": f"item {i}", "tags": ["alpha", "beta", "gamma"],
             "description": "lorem ipsum dolor sit amet " * 3} for i in range(items)]
    return json.dumps({"count": items, "items": rows}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "postmock-sampleapi/1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm and
    # delayed ACKs stall every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # -- plumbing -----------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, ctype: str = "application/json",
              headers: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers or []:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _route(self) -> None:
        url = urlsplit(self.path)
        query = parse_qsl(url.query, keep_blank_values=True)
        path = url.path.rstrip("/") or "/"
        handler = ROUTES.get((self.command, path)) or ROUTES.get(("*", path))
        if handler is None and path.startswith("/users/"):
            handler = Handler.user if self.command == "GET" else None
        body = self._body()
        if handler is None:
            self._json(404, {"error": "not found", "path": url.path})
            return
        handler(self, path, query, body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _route

    # -- endpoints ----------------------------------------------------------------------------
    def users(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        self._json(200, USERS)

    def user(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        uid = path.rsplit("/", 1)[1]
        found = next((u for u in USERS if str(u["id"]) == uid), None)
        if found is None:
            self._json(404, {"error": "user not found", "id": uid})
        else:
            self._json(200, found)

    def create_user(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            self._json(400, {"error": "body must be JSON"})
            return
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.next_id += 1  # type: ignore[attr-defined]
            new_id = self.server.next_id  # type: ignore[attr-defined]
        self._json(201, {"id": new_id, **(data if isinstance(data, dict) else {"value": data})},
                   headers=[("Location", f"/users/{new_id}")])

    def login(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        ctype = self.headers.get("content-type", "")
        fields: dict[str, Any] = {}
        try:
            fields = (dict(parse_qsl(body.decode(), keep_blank_values=True)) if "form" in ctype
                      else json.loads(body or b"{}"))
        except ValueError:
            pass
        if not isinstance(fields, dict) or not fields.get("password"):
            self._json(400, {"error": "username and password required"})
            return
        token = "tok-" + hashlib.sha256(str(fields.get("username")).encode()).hexdigest()[:24]
        self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600},
                   headers=[("Set-Cookie", f"session=s-{token[4:16]}; Path=/; HttpOnly")])

    def search(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        q = dict(query).get("q", "")
        hits = [u for u in USERS if q.lower() in str(u["name"]).lower()]
        self._json(200, {"q": q, "count": len(hits), "results": hits})

    def echo(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        self._json(200, {"method": self.command, "path": urlsplit(self.path).path, "query": query,
                         "headers": list(self.headers.items()), "body": body.decode("utf-8", "replace")})

    def gzipped(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        data = json.dumps({"encoding": "gzip", "users": USERS}).encode()
        self._send(200, gzip.compress(data, mtime=0), headers=[("Content-Encoding", "gzip")])

    def brotli(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        try:
            import brotli
        except ImportError:
            self._json(501, {"error": "the brotli package is not installed"})
            return
        data = json.dumps({"encoding": "br", "users": USERS}).encode()
        self._send(200, brotli.compress(data), headers=[("Content-Encoding", "br")])

    def binary(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        self._send(200, binary_body(), ctype="image/png")

    def large(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        self._send(200, LARGE)

    def slow(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        try:
            ms = max(0, min(int(dict(query).get("ms", "100")), MAX_SLOW_MS))
        except ValueError:
            ms = 100
        time.sleep(ms / 1000)
        self._json(200, {"slept_ms": ms})

    def fast(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        self._send(200, b'{"ok":true}')

    def abort(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        # Close without a byte of answer: the proxy must see a failed exchange.
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def cut(self, path: str, query: list[tuple[str, str]], body: bytes) -> None:
        # Promise more than is sent, then hang up: an upstream that dies mid-response.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b'{"partial": ')
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


LARGE = large_body()
Route = Callable[[Handler, str, list[tuple[str, str]], bytes], None]
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/users"): Handler.users,
    ("POST", "/users"): Handler.create_user,
    ("POST", "/login"): Handler.login,
    ("GET", "/search"): Handler.search,
    ("*", "/echo"): Handler.echo,
    ("GET", "/gzip"): Handler.gzipped,
    ("GET", "/br"): Handler.brotli,
    ("GET", "/binary"): Handler.binary,
    ("GET", "/large"): Handler.large,
    ("GET", "/slow"): Handler.slow,
    ("GET", "/fast"): Handler.fast,
    ("GET", "/abort"): Handler.abort,
    ("GET", "/cut"): Handler.cut,
}


class SampleAPI(ThreadingHTTPServer):
    """The server; `tls=True` serves HTTPS with `cert_path()`."""

    daemon_threads = True
    # Benchmarks open many keep-alive connections at once.
    request_queue_size = 256

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: bool = False,
                 verbose: bool = False) -> None:
        super().__init__((host, port), Handler)
        self.lock = threading.Lock()
        self.next_id = len(USERS)
        self.verbose = verbose
        self.tls: ssl.SSLContext | None = None
        if tls:
            cert, key = _cert_files()
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.load_cert_chain(cert, key)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (benchmarks, aborted tests) is not an error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs here, in the connection's own thread, not in the accept loop.
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"


def start_in_thread(tls: bool = False, host: str = "127.0.0.1") -> tuple[str, Callable[[], None]]:
    """Serve on a free port in a daemon thread; return (url, stop)."""
    server = SampleAPI(host, 0, tls=tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="sampleapi", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return server.url, stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m postmock_core.sampleapi",
                                     description="Serve the postmock sample API until interrupted.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: 0, a free one)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed certificate")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        server = SampleAPI(args.host, args.port, tls=args.tls, verbose=args.verbose)
    except OSError as e:
        print(f"sampleapi: error: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)
        return 2
    # SIGTERM ends the server like Ctrl-C, so the certificate folder is cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.url, flush=True)
    if args.tls:
        print(f"certificate: {cert_path()}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
