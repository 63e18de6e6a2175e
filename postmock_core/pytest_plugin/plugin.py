"""pytest hooks and fixtures: `postmock`, `postmock_recording`, the `postmock` marker and
`--postmock-record-mode`.

Loaded by pytest in every run where postmock is installed, so it stays light: the engine and
the stores are imported only when a test asks for a fixture. A test whose mock found no
answer for a call fails once the test function returns (or, for calls made later, at
teardown), with the nearest examples and why each lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from postmock_core.pytest_plugin.handle import MockHandle
    from postmock_core.pytest_plugin.recording import RecordingHandle
    from postmock_core.pytest_plugin.serving import Postmock

__all__ = ["RECORD_MODES"]

# As pytest-recording's --record-mode (none is its default too: no network unless asked).
RECORD_MODES = ("none", "once", "new_episodes", "all")

_HANDLES = pytest.StashKey[list["MockHandle"]]()

_MODE_HELP = ("How postmock_recording treats its recording (a Postman collection file): none "
              "(default) only replays it, and a call it has no answer for fails the test; once "
              "records when the file does not exist yet, else replays; new_episodes replays what "
              "is recorded and records calls that are not; all records everything again, "
              "replacing the file.")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("postmock", "postmock mocks and recordings")
    group.addoption("--postmock-record-mode", action="store", default="none", choices=RECORD_MODES,
                    help=_MODE_HELP)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "postmock(collection=PATH, upstream=URL, ...): record and replay the calls the test "
        "makes to postmock_recording.url, in a Postman collection file (see postmock's README)")


def _handles(request: pytest.FixtureRequest) -> list[MockHandle]:
    """The handles of the mocks this test started, checked after the test function returns."""
    return request.node.stash.setdefault(_HANDLES, [])


def _fail_on_misses(handles: list[MockHandle]) -> None:
    from postmock_core.pytest_plugin.serving import miss_report

    text = miss_report(handles)
    if text:
        pytest.fail(text, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test that passed but whose mock found no answer for a call fails here, as a test failure;
    a test that failed gets what its mocks noticed (misses too) added to its report."""
    handles = item.stash.get(_HANDLES, [])
    try:
        result = yield
    except BaseException:
        if handles:
            from postmock_core.pytest_plugin.serving import miss_report

            notes = [n for n in (h.notes() for h in handles) if n]
            misses = miss_report(handles)  # reported here, so teardown does not add an error
            for text in [*notes, *([misses] if misses else [])]:
                item.add_report_section("call", "postmock", text)
        raise
    if handles:
        _fail_on_misses(handles)
    return result


@pytest.fixture
def postmock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postmock]:
    """Serves Postman collections for this test: `postmock.serve(collection, ...)` -> handle."""
    from postmock_core.pytest_plugin.serving import Postmock

    pm = Postmock(lambda: tmp_path_factory.mktemp("postmock"), _handles(request).append)
    try:
        yield pm
    finally:
        pm.close()
    _fail_on_misses(pm.handles)


@pytest.fixture
def postmock_recording(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordingHandle]:
    """The mock of the test's `@pytest.mark.postmock` recording: call `postmock_recording.url`."""
    from postmock_core.pytest_plugin.recording import Recording, RecordingSpec
    from postmock_core.pytest_plugin.serving import or_fail

    marker = request.node.get_closest_marker("postmock")
    if marker is None:
        pytest.fail("postmock: error: postmock_recording needs the test marked "
                    "@pytest.mark.postmock(upstream=...)", pytrace=False)
    spec = or_fail(lambda: RecordingSpec.from_marker(marker.args, marker.kwargs, request.node,
                                                     request.config.getoption("postmock_record_mode")))
    recording = or_fail(lambda: Recording(spec, tmp_path_factory.mktemp("postmock")))
    handle = or_fail(recording.start)
    _handles(request).append(handle)
    try:
        yield handle
    finally:
        or_fail(recording.finish)
    _fail_on_misses([handle])
