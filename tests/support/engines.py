"""The three ways a mock answers, as one interface for tests that must hold on every engine.

- `asgi`: `postmock serve` (uvicorn), each mock at its own port;
- `mitmdump`: `mitmdump -s addons/mock.py`, each mock at its own port;
- `proxy`: `mitmdump -s addons/record.py --set postmock_mode=mock`: the caller goes through a
  proxy to the collection's own base URL, and the mock answers for that host.

A test gets a `Rig` and talks to a mock by name through `rig.client(name)`; the rig knows
where that call must go on its engine.
"""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from postmock_core.mock.calllog import CallLog
from postmock_core.mock.configs import MockConfig
from postmock_core.store.workspace import Workspace

from .mockkit import run_serve
from .procs import RECORD_ADDON, REPO, run_mitmdump, wait_for_port

__all__ = ["ENGINES", "Rig", "run_engine"]

ENGINES = ("asgi", "mitmdump", "proxy")
MOCK_ADDON = REPO / "addons" / "mock.py"


@dataclass
class Rig:
    """Mocks of one workspace, served by one engine."""

    engine: str
    ws: Workspace
    mocks: dict[str, MockConfig]
    bases: dict[str, str]  # each mock's collection base URL: where a proxied caller goes
    proxy_url: str | None = None
    output: Any = None  # () -> the engine's log text
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.ws.root

    def base(self, name: str) -> str:
        """The URL a caller uses for mock `name` on this engine."""
        return self.bases[name] if self.proxy_url else self.mocks[name].url

    def client(self, name: str, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base(name), proxy=self.proxy_url, trust_env=False,
                            timeout=kw.pop("timeout", 30), **kw)

    def async_client(self, name: str, **kw: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base(name), proxy=self.proxy_url, trust_env=False,
                                 timeout=kw.pop("timeout", 60), **kw)

    def connection(self, name: str) -> tuple[http.client.HTTPConnection, str]:
        """A raw keep-alive connection for mock `name`, and the prefix its request targets need."""
        if self.proxy_url:
            proxy = httpx.URL(self.proxy_url)
            return http.client.HTTPConnection(proxy.host, proxy.port, timeout=30), self.bases[name]
        return http.client.HTTPConnection("127.0.0.1", self.mocks[name].port, timeout=30), ""

    def host_header(self, name: str) -> str:
        """The Host header a caller sends to mock `name` on this engine."""
        return httpx.URL(self.base(name)).netloc.decode()

    def calls(self, name: str) -> list[dict[str, Any]]:
        return [d for _, d in CallLog(self.ws, self.mocks[name].id).query()]


@contextlib.contextmanager
def run_engine(engine: str, ws: Workspace, mocks: dict[str, MockConfig], bases: dict[str, str],
               tmp: Path) -> Iterator[Rig]:
    """Serve every mock of `ws` on `engine` until the block ends."""
    rig = Rig(engine, ws, mocks, bases)
    home = f"postmock_home={ws.root}"
    if engine == "asgi":
        # Named, as the other engines serve them: a deleted mock keeps answering why.
        with run_serve(ws.root, list(mocks.values()), tmp / "asgi") as served:
            rig.output = served.output
            yield rig
    elif engine == "mitmdump":
        with run_mitmdump(tmp / "mitmdump", ["-s", str(MOCK_ADDON), "--set", home]) as proxy:
            for m in mocks.values():
                wait_for_port(m.port, 30, proc=proxy.proc)
            rig.output = proxy.output
            yield rig
    elif engine == "proxy":
        names = ",".join(m.name for m in mocks.values())
        with run_mitmdump(tmp / "proxy", ["-s", str(RECORD_ADDON), "--set", home, "--set", "postmock_mode=mock",
                                          "--set", f"postmock_mock={names}"]) as proxy:
            rig.proxy_url = proxy.url
            rig.output = proxy.output
            yield rig
    else:
        raise ValueError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}")


def raw_exchange(conn: http.client.HTTPConnection, method: str, target: str,
                 headers: Sequence[tuple[str, str]] = (), body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request on an open connection; (status, headers, body)."""
    conn.request(method, target, body=body, headers=dict(headers))
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
