"""An httpbin-style echo API on 127.0.0.1, for the secrets tests: it says back what it was sent.

    python tests/support/echoapi.py --port 0     # prints http://127.0.0.1:PORT, serves until killed

Every path not listed below echoes the request as JSON: method, url, args, headers, cookies,
form, files, raw data and parsed json (as httpbin's /anything does). Special paths answer with
secrets of their own, derived from `?seed=` by `derived(name, seed)` so a test can search for
them without sending them:

    /redirect-to?url=U[&status_code=302]   a redirect to U (which may carry tokens)
    /oauth/redirect?seed=S                 302 to /cb?code=..&state=ok#id_token=..&access_token=..
    /cookies/set?seed=S                    one folded Set-Cookie: `a=1; Path=/, remember=..; HttpOnly`
    /login?seed=S                          JSON with access_token, refresh_token and a JWT id_token
    /token-xml?seed=S                      XML with <access_token>
    /jwt?seed=S                            a JWT under a key that is not secret
    /gzip2                                 the echo, gzip-compressed twice (Content-Encoding: gzip, gzip)
    /text, /html                           the raw request body, as text/plain or inside HTML
    /ndjson                                the echo as NDJSON, one line per request-body line
    /basic-auth/USER/PASS                  200 when the Basic credentials are USER:PASS, else 401
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import email.policy
import gzip
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["EchoServer", "derived", "jwt_of"]


def derived(name: str, seed: str) -> str:
    """The secret an endpoint gives out for `seed` (long enough to be hunted for everywhere)."""
    return f"srv{name}" + hashlib.sha256(f"{name}:{seed}".encode()).hexdigest()[:24]


def jwt_of(secret: str) -> str:
    """A JWT whose payload and signature carry `secret`."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")
    return ".".join([b64(b'{"alg":"HS256","typ":"JWT"}'), b64(json.dumps({"sub": secret}).encode()),
                     b64(secret.encode())])


def _multi(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        out[k] = [*out[k], v] if isinstance(out.get(k), list) else [out[k], v] if k in out else v
    return out


def _multipart(body: bytes, ctype: str) -> tuple[dict[str, Any], dict[str, Any]]:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
    form: list[tuple[str, str]] = []
    files: list[tuple[str, str]] = []
    if msg.is_multipart():
        for part in msg.iter_parts():
            name = str(part.get_param("name", header="content-disposition") or "")
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            (files if part.get_filename() else form).append((name, text))
    return _multi(form), _multi(files)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "echoapi/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _body(self) -> bytes:
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data: Any, status: int = 200, extra: list[tuple[str, str]] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), [("Content-Type", "application/json"), *(extra or [])])

    def _echo(self, body: bytes) -> dict[str, Any]:
        parts = urlsplit(self.path)
        ctype = self.headers.get("content-type") or ""
        form: dict[str, Any] = {}
        files: dict[str, Any] = {}
        data = body.decode("utf-8", "replace")
        if ctype.startswith("multipart/form-data"):
            form, files = _multipart(body, ctype)
            data = ""
        elif ctype.startswith("application/x-www-form-urlencoded"):
            form = _multi(parse_qsl(data, keep_blank_values=True))
            data = ""
        try:
            parsed = json.loads(body) if body and len(body) < 100_000 else None
        except (ValueError, RecursionError):  # like httpbin: json is null when the body is not JSON
            parsed = None
        cookies = dict(p.strip().partition("=")[::2] for p in (self.headers.get("cookie") or "").split(";") if p.strip())
        return {"method": self.command, "url": f"http://{self.headers.get('host')}{self.path}",
                "args": _multi(parse_qsl(parts.query, keep_blank_values=True)),
                "headers": {k: v for k, v in self.headers.items()}, "cookies": cookies,
                "form": form, "files": files, "data": data, "json": parsed}

    def _handle(self) -> None:
        body = self._body()
        parts = urlsplit(self.path)
        args = dict(parse_qsl(parts.query, keep_blank_values=True))
        seed = args.get("seed", "")
        path = parts.path
        if path == "/redirect-to":
            self._send(int(args.get("status_code", "302")), b"", [("Location", args.get("url", "/"))])
        elif path == "/oauth/redirect":
            location = (f"/cb?code={derived('code', seed)}&state=ok#id_token={derived('idtoken', seed)}"
                        f"&access_token={derived('fragment', seed)}&token_type=bearer")
            self._send(302, b"", [("Location", location)])
        elif path == "/cookies/set":
            self._json({"set": True}, extra=[("Set-Cookie", f"a=1; Path=/, remember={derived('remember', seed)}; "
                                                            f"HttpOnly, theme=dark")])
        elif path == "/login":
            self._json({"access_token": derived("access", seed), "refresh_token": derived("refresh", seed),
                        "id_token": jwt_of(derived("jwt", seed)), "token_type": "bearer"})
        elif path == "/token-xml":
            xml = f"<auth><access_token>{derived('xml', seed)}</access_token><ok>1</ok></auth>"
            self._send(200, xml.encode(), [("Content-Type", "application/xml")])
        elif path == "/jwt":
            self._json({"result": jwt_of(derived("resultjwt", seed)), "kind": "opaque"})
        elif path == "/gzip2":
            packed = gzip.compress(gzip.compress(json.dumps(self._echo(body)).encode()))
            self._send(200, packed, [("Content-Type", "application/json"), ("Content-Encoding", "gzip, gzip")])
        elif path == "/text":
            self._send(200, body, [("Content-Type", "text/plain; charset=utf-8")])
        elif path == "/html":
            self._send(200, b"<html><body><pre>" + body + b"</pre></body></html>", [("Content-Type", "text/html")])
        elif path == "/ndjson":
            lines = [json.dumps({"line": line}) for line in body.decode("utf-8", "replace").splitlines()]
            self._send(200, ("\n".join(lines) + "\n").encode(), [("Content-Type", "application/x-ndjson")])
        elif path.startswith("/basic-auth/"):
            user, _, password = path[len("/basic-auth/"):].partition("/")
            want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            ok = self.headers.get("authorization") == want
            self._json({"authenticated": ok, "user": user}, 200 if ok else 401)
        else:
            self._json(self._echo(body))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class EchoServer:
    """The echo API in a thread of this process (`with EchoServer() as url:`)."""

    def __init__(self, port: int = 0) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="echoapi", daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An httpbin-style echo API on 127.0.0.1 (for tests).")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    args = parser.parse_args(argv)
    server = EchoServer(args.port)
    print(server.url, flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
