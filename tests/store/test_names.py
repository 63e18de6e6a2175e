"""Names and IDs are one line matched whole: a trailing newline or a control character is refused,
and errors about a URL never print its credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postmock_core.cli import main
from postmock_core.errors import PostmockError
from postmock_core.mock.configs import MockStore
from postmock_core.mock.keys import KeyStore
from postmock_core.postman.collections import CollectionStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.postman.importer import safe_id
from postmock_core.store.blobs import BlobStore
from postmock_core.store.names import check_name
from postmock_core.store.workspace import Workspace

BAD = ["x\n", "a\rb", "tab\there", "nul\x00", "del\x7f", "c1\x85", "line\u2028sep", "para\u2029sep"]


@pytest.mark.parametrize("name", BAD)
def test_control_characters_are_refused_in_every_kind_of_name(tmp_path: Path, name: str) -> None:
    ws = Workspace.open(tmp_path / "home")
    with pytest.raises(PostmockError, match="one line"):
        CollectionStore(ws).create(name)
    with pytest.raises(PostmockError, match="one line"):
        EnvironmentStore(ws).set(name, "k", "v")
    with pytest.raises(PostmockError, match="one line"):
        KeyStore(ws).create(name)
    CollectionStore(ws).create("C")
    with pytest.raises(PostmockError, match="mock name"):
        MockStore(ws).create(name, "C")
    assert check_name("  fine name ", "a name") == "fine name"


def test_ids_with_a_trailing_newline_are_not_ids(tmp_path: Path) -> None:
    assert safe_id("abc\n") is None and safe_id("abc") == "abc"
    blobs = BlobStore(Workspace.open(tmp_path / "home").blobs_dir)
    with pytest.raises(PostmockError):
        blobs.get("a" * 64 + "\n")


def test_an_imported_collection_id_with_a_newline_gets_a_fresh_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"info": {"_postman_id": "abc\n", "name": "N"}, "item": []}))
    assert main(["--home", str(home), "collection", "import", str(path)]) == 0
    names = [p.name for p in (home / "collections").iterdir()]
    assert names and all("\n" not in n and n != "abc.json" for n in names)


def test_mock_create_refuses_a_name_with_a_trailing_newline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    assert main(["--home", home, "collection", "create", "C"]) == 0
    assert main(["--home", home, "mock", "create", "--collection", "C", "--name", "x\n"]) == 2
    assert "postmock: error: mock name" in capsys.readouterr().err


def test_a_har_url_error_never_prints_its_credentials(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    har = {"log": {"entries": [{"startedDateTime": "2026-11-21T10:00:00Z", "request": {
        "method": "GET", "url": "http://ada:userinfo-pw-1@api.test:99999/x?api_key=query-key-1", "headers": []},
        "response": {"status": 200, "headers": [], "content": {}}}]}}
    path = tmp_path / "bad.har"
    path.write_text(json.dumps(har))
    assert main(["--home", str(tmp_path / "home"), "history", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad port" in err and "api.test:99999" in err
    assert "userinfo-pw-1" not in err and "query-key-1" not in err and "ada" not in err
