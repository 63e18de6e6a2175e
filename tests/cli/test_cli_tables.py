"""Tables fit the terminal (shortened with …) unless --wide; explain counts dropped examples."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postmock_core.cli import main
from postmock_core.postman.collections import CollectionStore
from postmock_core.store.workspace import Workspace

POSTMOCK = str(Path(sys.executable).parent / "postmock")
LONG = "Adyen " + "payment method details for a card holder who " * 3  # a 150-character example name


def on_terminal(home: Path, *argv: str, columns: int = 80) -> str:
    """The output of the real postmock on a pseudo-terminal `columns` wide."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "40"}
    proc = subprocess.Popen([POSTMOCK, "--home", str(home), *argv], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    out, deadline = b"", time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(30)
    os.close(master)
    return out.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def home(workspace: Workspace) -> Path:
    doc = {"info": {"name": "Adyen", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/"
                                               "collection.json"},
           "variable": [{"key": "baseUrl", "value": "https://checkout-test.adyen.com/v71"}],
           "item": [{"name": f"op {i}", "request": {"method": "POST" if i % 2 else "GET",
                                                     "url": f"{{{{baseUrl}}}}/paymentMethods/{i}/details"},
                     "response": [{"name": f"{LONG} {i}", "code": 200, "body": "{}",
                                   "originalRequest": {"method": "POST" if i % 2 else "GET",
                                                       "url": f"{{{{baseUrl}}}}/paymentMethods/{i}/details"}}]}
                    for i in range(30)]}
    from postmock_core.postman.importer import normalize_collection

    CollectionStore(workspace).import_normalized(normalize_collection(doc))
    return workspace.root


def test_tables_fit_the_terminal_unless_wide(home: Path) -> None:
    out = on_terminal(home, "example", "list", "Adyen")
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 31 and all(len(line) <= 80 for line in lines), out
    assert "…" in out and "{{baseUrl}}/paymentMethod" in out
    wide = on_terminal(home, "--wide", "example", "list", "Adyen")
    assert max(len(line) for line in wide.splitlines()) > 150 and "…" not in wide
    assert "…" not in on_terminal(home, "example", "list", "Adyen", "--wide")  # at any level


def test_explain_counts_dropped_examples_by_reason(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(home), "mock", "explain", "Adyen", "--url", "/v71/paymentMethods/4/details"]) == 0
    out = capsys.readouterr().out
    assert "dropped (15; --all lists each one):" in out
    rows = {line.split()[0]: line.split()[1] for line in out.split("REASON", 1)[1].splitlines()[1:] if line.strip()}
    assert rows == {"method": "15"}, out
    assert "... and 4 more with lower or equal scores (--all lists them)" in out
    assert out.count(LONG) == 1 + 1 + 10 + 1  # answer, its location, 10 runners-up, one instance
    assert main(["--home", str(home), "mock", "explain", "Adyen", "--url", "/v71/paymentMethods/4/details",
                 "--all"]) == 0
    assert capsys.readouterr().out.count(LONG) == 2 + 14 + 15
