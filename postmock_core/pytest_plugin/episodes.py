"""Recording at one URL: calls the file has are replayed, every other call goes to the API.

Two mocks of one workspace share a service: one serves the recording (new_episodes), the other
holds no example and records whatever it is sent (`on_miss: record`). `EpisodeService` hands
each call to one of them by exact request (method, path and query, redacted as recorded), so a
call that Postman's matching would answer with a merely similar example is still recorded.
"""

from __future__ import annotations

from postmock_core.errors import PostmockError
from postmock_core.exchange import HttpRequest
from postmock_core.history.redaction import Redactor
from postmock_core.mock.runtime import MockRuntime
from postmock_core.mock.service import MockService, Reply
from postmock_core.pytest_plugin.cassette import RequestKey, live_key
from postmock_core.serve.app import MockApp
from postmock_core.serve.inprocess import ServedMock
from postmock_core.serve.server import BackgroundEngine
from postmock_core.store.workspace import Workspace

__all__ = ["EpisodeService", "serve_episodes"]


class EpisodeService(MockService):
    """A mock service whose calls the recording lacks go to the `record_id` mock instead."""

    def __init__(self, ws: Workspace, redactor: Redactor, record_id: str,
                 known: frozenset[RequestKey] = frozenset()) -> None:
        super().__init__(ws, redactor=redactor, call_log=False)
        self.record_id = record_id
        self.known = known

    async def answer(self, runtime: MockRuntime | None, request: HttpRequest,
                     standalone: bool = True) -> Reply:
        if runtime is not None and runtime.mock_id != self.record_id \
                and live_key(self.redactor.request(request)) not in self.known:
            runtime = self.runtime(self.record_id)
        return await super().answer(runtime, request, standalone)


def serve_episodes(service: EpisodeService, mock_id: str, host: str = "127.0.0.1") -> ServedMock:
    """Serve `mock_id` (the recording, or the recorder itself) through `service` on a free port."""
    config = service.catalog.find(mock_id)
    if config is None:
        raise PostmockError(f"no mock {mock_id!r}")
    engine = BackgroundEngine(host)
    try:
        port = engine.open(0, MockApp(service, config.id))
    except OSError as e:
        engine.stop()
        raise PostmockError(f"cannot serve a recording at {host}: {e.strerror or e}") from e
    return ServedMock(config, port, host, service, engine)
