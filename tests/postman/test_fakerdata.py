"""Faker is imported only where values are made: never by CLI commands, once per serving process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXPLAIN = """
import sys
from postmock_core.cli import main
code = main(["--home", sys.argv[1], "mock", "explain", "--collection-file", sys.argv[2], "--url", "/a"])
main(["--home", sys.argv[1], "mock", "list"])
print(code, "faker" in sys.modules)
"""

PRELOAD = """
import sys
from postmock_core.postman import fakerdata
assert "faker" not in sys.modules
thread = fakerdata.preload()
assert fakerdata.preload() is thread  # once per process
thread.join(120)
print("faker" in sys.modules, "faker" in vars(fakerdata.DATA))
"""


def _run(code: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_cli_commands_do_not_import_faker(tmp_path: Path) -> None:
    example = {"name": "e", "code": 200, "body": '{"n": "{{$randomFullName}}", "c": "{{$randomCity}}"}',
               "originalRequest": {"method": "GET", "url": {"raw": "/a"}}}
    doc = {"info": {"name": "t"}, "item": [{"name": "r", "request": {"url": "/a"}, "response": [example]}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    assert _run(EXPLAIN, str(tmp_path / "home"), str(path)) == "0 False"


def test_preload_loads_faker_once_in_the_background() -> None:
    assert _run(PRELOAD) == "True True"
