"""A workspace's mock service: a port open for every mock, following `mocks.json` as it changes.

`MockHost.sync()` compares the mocks the workspace has now with the ports open, and opens and
closes ports to match: a created mock starts answering, a deleted one stops, an edited port
moves. Serving named mocks only, a deleted mock keeps its port and answers mockNotFoundError.
A port that is taken is reported in one line (again only once it changed) and retried at each
sync, while every other mock serves.

Where a port opens is the `Ports` given: this process's engine, or a pool of worker processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from postmock_core.mock.calllines import CallPrinter
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.runtime import MockCatalog, deactivation_reason
from postmock_core.mock.service import MockService
from postmock_core.serve.app import MockApp
from postmock_core.serve.server import Engine
from postmock_core.store.workspace import Workspace

__all__ = ["EnginePorts", "MockHost", "Ports", "base_url", "describe", "engine_ports"]

log = logging.getLogger(__name__)

SYNC_INTERVAL = 0.25


class Ports(Protocol):
    """Where mocks are served: open a port for a mock, close it."""

    async def open(self, port: int, mock_id: str) -> None:
        """Serve `mock_id` at `port`; OSError when the port is taken."""

    async def close(self, port: int) -> None:
        """Stop serving at `port`."""


class EnginePorts:
    """Ports opened on an engine in this process, answered by one `MockService`."""

    def __init__(self, engine: Engine, service: MockService) -> None:
        self.engine = engine
        self.service = service

    async def open(self, port: int, mock_id: str) -> None:
        app = MockApp(self.service, mock_id)
        # Indexed before the port opens, on a thread: the mocks already serving keep answering.
        await asyncio.to_thread(self.service.runtime(mock_id).warm)
        await self.engine.open(port, app)

    async def close(self, port: int) -> None:
        await self.engine.close(port)


def _say_ahead(mock: MockConfig, made: int, seconds: float) -> None:
    # From the thread that made them: a plain call to a static example is now a lookup.
    if made:
        print(f"  {mock.name}: {made:,} answers made ahead in {seconds:.1f} s", flush=True)


@contextlib.asynccontextmanager
async def engine_ports(ws: Workspace, host: str, quiet: bool = False, call_log: Workspace | None = None,
                       reuse_port: bool = False) -> AsyncIterator[EnginePorts]:
    """This process's engine and mock service (printing a line per call unless `quiet`), shut
    down in order on the way out: listeners and calls in flight, then the call log."""
    printer = None if quiet else CallPrinter()
    service = MockService(ws, listener=printer, call_log_in=call_log)
    service.on_ahead = _say_ahead
    engine = Engine(host, reuse_port=reuse_port)
    try:
        yield EnginePorts(engine, service)
    finally:
        await engine.stop()
        await service.aclose()
        if printer is not None:
            await printer.aclose()


def base_url(host: str, port: int) -> str:
    """Where a caller on this machine reaches a port opened at `host` (0.0.0.0: at 127.0.0.1)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def describe(mock: MockConfig, catalog: MockCatalog, port: int | None = None, host: str = "127.0.0.1") -> str:
    """`name  URL  (public, delay 300 ms, on miss: error)`, and why it is deactivated if it is."""
    reason = deactivation_reason(mock, catalog.collections, catalog.environments, catalog.settings())
    flags = ", ".join(f for f in ("private" if mock.private else "public",
                                  f"delay {mock.delay_ms} ms" if mock.delay_ms else "",
                                  f"on miss: {mock.on_miss}") if f)
    note = f"  [deactivated: {reason}]" if reason else ""
    return f"{mock.name}  {base_url(host, mock.port if port is None else port)}  ({flags}){note}"


class MockHost:
    """Keeps a port open for each mock of a workspace (or each named mock)."""

    def __init__(self, catalog: MockCatalog, ports: Ports, mock_ids: list[str] | None = None,
                 say: Callable[[str], None] = print, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.catalog = catalog
        self.ports = ports
        self.host = host  # the address the ports open at, for the URLs reported
        self.mock_ids = mock_ids  # None: every mock of the workspace, as it comes and goes
        self.port = port  # serve the one named mock here rather than at its own port
        self.say = say
        self.serving: dict[int, str] = {}  # port -> mock ID
        self._names: dict[str, str] = {}  # mock ID -> name, to report a mock that is gone
        self._last_port: dict[str, int] = {}
        self._busy: dict[int, str] = {}  # port -> the mock ID whose port was taken, reported
        self._clashes: dict[str, int] = {}  # mock ID -> the port another mock of it holds, reported
        self._seen: object = None

    def wanted(self) -> dict[int, MockConfig | str]:
        """port -> the mock to serve there (its ID when a named mock is gone)."""
        mocks = self.catalog.mocks()
        out: dict[int, MockConfig | str] = {}
        if self.mock_ids is None:
            clashes: dict[str, int] = {}
            first: dict[int, MockConfig] = {}
            for m in sorted(mocks.values(), key=lambda m: m.created):
                held = first.setdefault(m.port, m)
                if held is not m:
                    clashes[m.id] = m.port
                    if self._clashes.get(m.id) != m.port:  # said once per clash
                        self.say(f"postmock: error: mocks {held.name!r} and {m.name!r} both have port {m.port} "
                                 f"(mocks.json edited by hand?); serving {held.name!r}, the older. Move the "
                                 f"other: postmock mock edit {m.name!r} --port N")
            out.update(first)
            self._clashes = clashes
            return out
        for mock_id in self.mock_ids:
            named = mocks.get(mock_id)
            if named is not None:
                out.setdefault(self.port or named.port, named)
            elif mock_id in self._last_port:
                out.setdefault(self._last_port[mock_id], mock_id)
        return out

    async def sync(self, first: bool = False) -> None:
        """Open and close ports so each wanted mock is served; report what changed."""
        mocks = self.catalog.mocks()
        if mocks is self._seen and not self._busy:
            return  # nothing changed since the last sync
        self._seen = mocks
        wanted = self.wanted()
        ids = {port: (m if isinstance(m, str) else m.id) for port, m in wanted.items()}
        for port, mock_id in list(self.serving.items()):
            if ids.get(port) != mock_id:
                await self.ports.close(port)
                del self.serving[port]
                if mock_id not in mocks:
                    self.say(f"postmock: mock {self._names.get(mock_id, mock_id)} was deleted; "
                             f"stopped serving {base_url(self.host, port)}")
        for port in list(self._busy):
            if port not in ids:
                del self._busy[port]
        for port, m in wanted.items():
            mock_id = ids[port]
            if port in self.serving:
                continue
            mock = m if isinstance(m, MockConfig) else None
            name = mock.name if mock else self._names.get(mock_id, mock_id)
            try:
                await self.ports.open(port, mock_id)
            except OSError as e:
                if self._busy.get(port) != mock_id:
                    self._busy[port] = mock_id
                    self.say(f"postmock: error: port {port} of mock {name!r} is in use ({e.strerror or e}); "
                             f"the other mocks still serve. Stop what holds it, or move the mock: "
                             f"postmock mock edit {name!r} --port N")
                continue
            self._busy.pop(port, None)
            self.serving[port] = mock_id
            if mock is not None:
                moved = self._last_port.get(mock_id)
                self._names[mock_id] = mock.name
                self._last_port[mock_id] = port
                if first:
                    self.say(f"  {describe(mock, self.catalog, port, self.host)}")
                elif moved is not None and moved != port:
                    self.say(f"postmock: mock {mock.name} moved to {base_url(self.host, port)}")
                else:
                    self.say(f"postmock: now serving {describe(mock, self.catalog, port, self.host)}")

    async def run(self, stop: asyncio.Event, interval: float = SYNC_INTERVAL) -> None:
        """Sync now, then again every `interval` seconds until `stop` is set."""
        await self.sync(first=True)
        if self.mock_ids is None and not self.serving and not self._busy:
            self.say("postmock: no mocks yet; each one created is served at once "
                     "(postmock mock create --collection C)")
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
            if not stop.is_set():
                try:
                    await self.sync()
                except Exception:  # a bad edit must not stop the mocks that serve
                    log.exception("postmock: following the workspace's mocks failed")
