"""Passing a missed call on to the real API, for every engine alike, bounded in time.

A mock set to `passthrough` or `record` sends a call no example answers to the collection's
API (standalone) or to the host the caller named (inside a recording proxy). The answer comes
back whole, decoded, so it can be logged and recorded; an API that cannot be reached, hangs,
or hangs up mid-answer is reported as text, and the caller gets a JSON 502 instead.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from postmock_core.exchange import HttpRequest, HttpResponse, wire_bytes

__all__ = ["HOP_BY_HOP", "Forwarder", "Upstream"]

log = logging.getLogger(__name__)

Upstream = tuple[str, str, int]  # (scheme, host, port)

# Headers that describe one connection, not the message: never sent on (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization",
                        "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade",
                        "content-length", "host"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _authority(scheme: str, host: str, port: int) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if _DEFAULT_PORTS.get(scheme) == port else f"{name}:{port}"


class Forwarder:
    """One pooled async HTTP client; `send` never raises for a failing API, it says why."""

    def __init__(self, timeout: float = 30.0, connect_timeout: float = 10.0, verify: bool = True) -> None:
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self.verify = verify
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> httpx.AsyncClient:
        # A client's pooled connections belong to the event loop that opened them: one per loop.
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(timeout=self.timeout, verify=self.verify, trust_env=False,
                                             follow_redirects=False)
            self._loop = loop
        return self._client

    async def send(self, request: HttpRequest, upstream: Upstream,
                   keep_host: bool = False) -> HttpResponse | str:
        """The API's answer to `request` sent to `upstream`, or why there is none.

        `keep_host` sends the caller's own Host header (inside a proxy the caller already named
        the real host); otherwise Host names `upstream`.
        """
        scheme, host, port = upstream
        authority = _authority(scheme, host, port)
        headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
        headers.insert(0, ("Host", (request.header("host") or authority) if keep_host else authority))
        url = f"{scheme}://{authority}{request.path_with_query}"
        try:
            client = self._open()
            req = client.build_request(request.method, url, content=request.body or None,
                                       headers=[(wire_bytes(k), wire_bytes(v)) for k, v in headers])
            resp = await client.send(req)
            return HttpResponse(status=resp.status_code, reason=resp.reason_phrase,
                                headers=_decoded_headers(resp), body=resp.content,
                                http_version=resp.http_version)
        except httpx.HTTPError as e:
            return f"{type(e).__name__} from {scheme}://{authority}: {e}" if str(e) else \
                f"{type(e).__name__} from {scheme}://{authority}"
        except (OSError, ValueError) as e:  # a malformed URL or header the client refuses
            return f"cannot send the call to {scheme}://{authority}: {e}"

    async def aclose(self) -> None:
        """Close the pooled connections."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._loop = None


def _decoded_headers(resp: httpx.Response) -> list[tuple[str, str]]:
    """The API's headers for the decoded body httpx hands back: no encoding, no framing."""
    out = []
    for k, v in resp.headers.raw:
        name = k.decode("latin-1")
        if name.lower() in ("content-encoding", "content-length", "transfer-encoding", "connection",
                            "keep-alive"):
            continue
        out.append((name, v.decode("utf-8", "surrogateescape")))
    return out
