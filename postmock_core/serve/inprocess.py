"""Serving a mock inside the calling process, on a thread of its own: for fixtures and tools.

    with serve_mock(ws, "users", port=0) as served:
        httpx.get(f"{served.url}/users/1")

The mock answers exactly as under `postmock serve` (same service, same engine), with hot
reload and the call log; `stop()` (or leaving the `with`) finishes calls in flight and writes
the call log. More apps (another mock, an admin API) can share the same engine and thread
through `served.engine.open(port, app)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from postmock_core.errors import PostmockError
from postmock_core.mock.configs import MockConfig
from postmock_core.mock.service import MockService
from postmock_core.serve.app import MockApp
from postmock_core.serve.server import BackgroundEngine
from postmock_core.store.workspace import Workspace

__all__ = ["ServedMock", "serve_mock"]


@dataclass
class ServedMock:
    """A mock answering at `url` from a background thread until `stop()`."""

    mock: MockConfig
    port: int
    host: str
    service: MockService
    engine: BackgroundEngine

    @property
    def url(self) -> str:
        """The base URL calls go to, e.g. http://127.0.0.1:7301."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop answering; calls in flight finish, and the call log is written."""
        if self.engine.loop.is_running():
            self.engine.call(self.service.forwarder.aclose())
        self.engine.stop()
        self.service.close_writers()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_mock(ws: Workspace, mock: str, port: int | None = None, host: str = "127.0.0.1",
               call_log: bool = True) -> ServedMock:
    """Start serving the mock named (or with ID) `mock` in a background thread.

    `port` None listens at the mock's own port, 0 at a free one. Raises PostmockError for an
    unknown mock or a port that is taken.
    """
    service = MockService(ws, call_log=call_log)
    config = service.catalog.find(mock)
    if config is None:
        raise PostmockError(f"no mock {mock!r}; see: postmock mock list")
    engine = BackgroundEngine(host)
    try:
        bound = engine.open(config.port if port is None else port, MockApp(service, config.id))
    except OSError as e:
        engine.stop()
        raise PostmockError(f"cannot serve mock {config.name!r} at {host}:{port if port is not None else config.port}: "
                            f"{e.strerror or e}") from e
    return ServedMock(config, bound, host, service, engine)
