"""pytest hooks and fixtures: `postmock`.

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
    from postmock_core.pytest_plugin.serving import Postmock

__all__: list[str] = []

_HANDLES = pytest.StashKey[list["MockHandle"]]()


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
