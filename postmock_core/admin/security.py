"""Who may use the admin server, checked before any route runs.

- Every request needs an API key that is not limited to mocks (`x-api-key`), or the
  dashboard's session cookie.
- The `Host` header must name this server: an IP address or `localhost` with its port.
  A DNS name an attacker controls (DNS rebinding) is refused.
- A state-changing request from a foreign `Origin` (or a cross-site fetch) is refused (CSRF).
- A write with a body takes JSON only, which a cross-site HTML form cannot send.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from postmock_core.admin.errors import error_response
from postmock_core.admin.logins import Sessions
from postmock_core.mock.keys import KeyStore

__all__ = ["SESSION_COOKIE", "Guard", "host_allowed", "is_json"]

SESSION_COOKIE = "postmock_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Reachable without credentials: the login link and the dashboard's own assets.
OPEN_PATHS = ("/ui/login", "/static/")


def host_allowed(value: str | None, port: int, names: Iterable[str] = ()) -> bool:
    """Whether a Host header names this server: an IP literal, localhost or one of `names`,
    with the server's port. A DNS name is what a rebinding attack needs, so it is refused."""
    if not value:
        return False
    try:
        parts = urlsplit("//" + value.strip())
        host_port = parts.port
    except ValueError:
        return False
    host = parts.hostname
    if not host or parts.username is not None or parts.path or parts.query:
        return False
    if (host_port if host_port is not None else 80) != port:
        return False
    if host == "localhost" or host in {n.lower() for n in names}:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_json(content_type: str | None) -> bool:
    main = (content_type or "").split(";", 1)[0].strip().lower()
    return main == "application/json" or (main.startswith("application/") and main.endswith("+json"))


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return bool(headers.get("transfer-encoding")) or (length is not None and length.strip() not in ("", "0"))


class Guard:
    """ASGI middleware applying the rules above to every HTTP request."""

    def __init__(self, app: ASGIApp, *, port: int, keys: KeyStore, sessions: Sessions,
                 host_names: Iterable[str] = ()) -> None:
        self.app = app
        self.port = port
        self.keys = keys
        self.sessions = sessions
        self.host_names = tuple(host_names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> Any:
        """The answer refusing this request, or None when it may go on."""
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not host_allowed(host, self.port, self.host_names):
            return error_response(403, f"Host {host!r} is not this admin server's address; use "
                                       f"http://127.0.0.1:{self.port} (other names are refused "
                                       f"against DNS rebinding)")
        method = scope["method"].upper()
        if method not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and origin.lower().rstrip("/") != f"http://{host}".lower():
                return error_response(403, f"a {method} from origin {origin!r} is refused: "
                                           f"state-changing requests must come from this server's "
                                           f"own pages or from a client without an Origin")
            if headers.get("sec-fetch-site", "").lower() == "cross-site":
                return error_response(403, "a cross-site request that changes state is refused")
            if _has_body(headers) and not is_json(headers.get("content-type")):
                return error_response(415, "writes take JSON only: send Content-Type: "
                                           "application/json")
        path = scope["path"]
        if path.startswith(OPEN_PATHS):
            return None
        if self.keys.verify(headers.get("x-api-key"), None):
            return None
        cookies = cookie_parser(headers.get("cookie", ""))
        session = cookies.get(SESSION_COOKIE)
        scope.setdefault("state", {})
        if self.sessions.valid(session):
            scope["state"]["session"] = True
            return None
        if path == "/" or path.startswith("/ui") or path == "/docs":
            from postmock_core.admin.dashboard import login_needed

            return login_needed()
        if headers.get("x-api-key"):
            message = ("the x-api-key is not valid here: use an active key that is not limited "
                       "to mocks (postmock key create --name NAME)")
        else:
            message = ("this admin API needs an API key in the x-api-key header "
                       "(postmock key create --name NAME)")
        return error_response(401, message)
