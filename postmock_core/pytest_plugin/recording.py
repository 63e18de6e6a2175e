"""Record and replay for one test: `@pytest.mark.postmock(...)` and `postmock_recording`.

The recording is a Postman collection file. Replaying serves it like any collection. Recording
serves a mock with no examples whose misses go on to the upstream and are recorded
(`on_miss: record`, the engine's own path: redacted, then written to the workspace's
history), behind the recording itself in new_episodes (`episodes`); when the test is over,
that history becomes the file (`cassette`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange
from postmock_core.history.redaction import DEFAULT_HEADERS, DEFAULT_KEYS, Redactor
from postmock_core.history.store import HistoryStore
from postmock_core.postman.importer import read_collection_file
from postmock_core.postman.jsonpath import load_json_file
from postmock_core.postman.model import SCHEMA_V21
from postmock_core.pytest_plugin import cassette
from postmock_core.pytest_plugin.episodes import EpisodeService, serve_episodes
from postmock_core.pytest_plugin.handle import Call, MockHandle
from postmock_core.pytest_plugin.plugin import RECORD_MODES
from postmock_core.pytest_plugin.serving import create_mock
from postmock_core.serve.inprocess import ServedMock, serve_mock
from postmock_core.store.workspace import Workspace

__all__ = ["DEFAULT_COLLECTION", "Recording", "RecordingHandle", "RecordingSpec"]

DEFAULT_COLLECTION = "{dir}/recordings/{module}/{name}.postman_collection.json"
_UNSAFE = '<>?%*:|"\'/\\'  # characters a test name may hold that a file name should not
_KNOWN = ("collection", "upstream", "record_mode", "redact_headers", "redact_keys", "drop_headers",
          "allow_misses", "match_body", "match_headers")
_RECORDER = "postmock recorder"


def _texts(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise PostmockError(f"{what} takes a list of names, not {value!r}")
    return tuple(value)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query:
        raise PostmockError(f"upstream {url!r} must be an http(s) origin such as https://api.example.com, "
                            f"without a path (the code under test calls the paths)")
    return f"{parts.scheme}://{parts.netloc}"


def _test_name(item: pytest.Item) -> str:
    cls = getattr(item, "cls", None)
    name = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    return "".join("-" if c in _UNSAFE else c for c in name)


@dataclass(frozen=True)
class RecordingSpec:
    """Where a test's recording lives and how to record it, from its marker and the command line."""

    path: Path
    shown: str  # the path as messages show it (relative to the rootdir when inside it)
    name: str  # the collection name a new recording gets
    mode: str
    upstream: str | None = None
    redact_headers: tuple[str, ...] = ()
    redact_keys: tuple[str, ...] = ()
    drop_headers: tuple[str, ...] = ()
    allow_misses: bool = False
    match_body: bool = False
    match_headers: tuple[str, ...] = ()

    @classmethod
    def from_marker(cls, args: Sequence[Any], kwargs: Mapping[str, Any], item: pytest.Item,
                    mode: str) -> RecordingSpec:
        """The spec of `@pytest.mark.postmock(*args, **kwargs)` on `item`; `mode` from the command line."""
        unknown = sorted(set(kwargs) - set(_KNOWN))
        if unknown or len(args) > 1:
            bad = ", ".join(unknown) if unknown else f"{len(args)} positional arguments"
            raise PostmockError(f"@pytest.mark.postmock does not take {bad}; it takes {', '.join(_KNOWN)}")
        template = str(args[0] if args else kwargs.get("collection", DEFAULT_COLLECTION))
        values = {"dir": str(item.path.parent), "module": item.path.stem, "name": _test_name(item)}
        try:
            path = Path(template.format(**values))
        except (KeyError, IndexError, ValueError) as e:
            raise PostmockError(f"collection={template!r}: only {{dir}}, {{module}} and {{name}} can be "
                                f"filled in ({e})") from None
        root = item.config.rootpath
        path = path if path.is_absolute() else root / path
        try:
            shown = path.relative_to(root).as_posix()
        except ValueError:
            shown = str(path)
        mode = str(kwargs.get("record_mode") or mode)
        if mode not in RECORD_MODES:
            raise PostmockError(f"record_mode={mode!r} is not one of {', '.join(RECORD_MODES)}")
        upstream = kwargs.get("upstream")
        return cls(path=path, shown=shown, name=item.nodeid, mode=mode,
                   upstream=_origin(str(upstream)) if upstream else None,
                   redact_headers=_texts(kwargs.get("redact_headers", ()), "redact_headers"),
                   redact_keys=_texts(kwargs.get("redact_keys", ()), "redact_keys"),
                   drop_headers=_texts(kwargs.get("drop_headers", ()), "drop_headers"),
                   allow_misses=bool(kwargs.get("allow_misses", False)),
                   match_body=bool(kwargs.get("match_body", False)),
                   match_headers=_texts(kwargs.get("match_headers", ()), "match_headers"))

    @property
    def redactor(self) -> Redactor:
        return Redactor.build((*DEFAULT_HEADERS, *self.redact_headers), (*DEFAULT_KEYS, *self.redact_keys))


class RecordingHandle(MockHandle):
    """The mock of a recording: call it at `url`. `recording` says whether calls go to the API."""

    def __init__(self, served: ServedMock, spec: RecordingSpec, recording: bool,
                 known: frozenset[cassette.RequestKey] = frozenset()) -> None:
        super().__init__(served, allow_misses=spec.allow_misses)
        self.spec = spec
        self.path = spec.path
        self.record_mode = spec.mode
        self.recording = recording
        self.known = known  # the calls the file has an example for

    def approximate(self) -> list[Call]:
        """Replayed calls the file has no example for: a similar example answered them."""
        return [c for c in self.calls if c.kind == "mocked"
                and cassette.request_key(c.method, c.path, c.query) not in self.known]

    def notes(self) -> str | None:
        near = self.approximate()
        if not near:
            return None
        lines = [f"{c.method} {c.target} -> {c.status} from example {c.example!r} (score {c.score:g})"
                 for c in near]
        return (f"{len(near)} call(s) were not recorded in {self.spec.shown} and got the answer of a "
                f"similar example, as a Postman mock would give it:\n  " + "\n  ".join(lines)
                + "\n--postmock-record-mode=new_episodes records them")

    def describe(self) -> str:
        if self.recording:
            return f"the recording {self.spec.shown} (recording from {self.spec.upstream})"
        return (f"the recording {self.spec.shown} (replayed in record mode {self.spec.mode}; "
                f"--postmock-record-mode=new_episodes records the calls it has no answer for)")


class Recording:
    """One test's recording: `start` serves it (replaying or recording), `finish` writes the file."""

    def __init__(self, spec: RecordingSpec, folder: Path) -> None:
        self.spec = spec
        self.ws = Workspace.open(folder)
        self.handle: RecordingHandle | None = None
        self.known: frozenset[cassette.RequestKey] | None = None  # new_episodes: calls on file

    def _replays_only(self) -> bool:
        return self.spec.mode == "none" or (self.spec.mode == "once" and self.spec.path.exists())

    def start(self) -> RecordingHandle:
        """Serve the recording for the test."""
        spec = self.spec
        options: dict[str, Any] = {"match_body": spec.match_body, "match_headers": spec.match_headers}
        if self._replays_only():
            if not spec.path.exists():
                raise PostmockError(f"no recording at {spec.shown}; record it with "
                                    f"--postmock-record-mode=once")
            normalized = read_collection_file(spec.path)
            known = cassette.recorded_keys(normalized.doc)
            config = create_mock(self.ws, normalized, **options)
            served = serve_mock(self.ws, config.id, port=0, call_log=False)
            served.service.set_redactor(spec.redactor)
            self.handle = RecordingHandle(served, spec, recording=False, known=known)
            return self.handle
        if spec.upstream is None:
            raise PostmockError(f"record mode {spec.mode} records from an API: give the marker "
                                f"upstream=\"https://api.example.com\"")
        recorder = create_mock(self.ws, {
            "info": {"name": _RECORDER, "schema": SCHEMA_V21}, "item": [],
            "variable": [{"key": "baseUrl", "value": spec.upstream}]}, name="record", on_miss="record")
        replay = None
        if spec.mode == "new_episodes" and spec.path.exists():
            normalized = read_collection_file(spec.path)
            self.known = cassette.recorded_keys(normalized.doc)
            replay = create_mock(self.ws, normalized, name="replay", **options)
        service = EpisodeService(self.ws, spec.redactor, recorder.id, self.known or frozenset())
        served = serve_episodes(service, replay.id if replay is not None else recorder.id)
        self.handle = RecordingHandle(served, spec, recording=True, known=self.known or frozenset())
        return self.handle

    def finish(self) -> None:
        """Stop serving; when recording, write what was recorded to the file."""
        if self.handle is None:
            return
        self.handle.stop()  # waits until every recorded call is in history
        if not self.handle.recording:
            return
        history = HistoryStore(self.ws)
        exchanges = [Exchange.from_doc(doc, history.blobs, id=i)
                     for i, doc in history.iter_docs(newest_first=False)]
        spec = self.spec
        if self.known is not None:
            current = load_json_file(spec.path, "cannot read recording")
            current.setdefault("info", {}).setdefault("_postman_id", cassette.collection_id(Path(spec.shown)))
            doc = cassette.merge(current, exchanges, history.blobs, spec.drop_headers, self.known)
        else:
            info = self._existing_info()
            doc = cassette.build(str(info.get("name") or spec.name),
                                 str(info.get("_postman_id") or cassette.collection_id(Path(spec.shown))),
                                 exchanges, history.blobs, spec.drop_headers)
        if doc is not None:
            cassette.write(spec.path, doc)
            os.chmod(spec.path, 0o644)  # a recording is shared (committed), not private

    def _existing_info(self) -> dict[str, Any]:
        """The name and ID of the file being recorded again, kept so that an unchanged
        re-recording is byte for byte the same."""
        try:
            data = load_json_file(self.spec.path, "cannot read recording")
        except PostmockError:
            return {}
        info = data.get("info") if isinstance(data, dict) else None
        return info if isinstance(info, dict) else {}
