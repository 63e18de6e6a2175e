"""End to end from an install: build the sdist and wheel, install the wheel into a fresh
virtualenv outside the checkout, and run the whole story from another folder with the
installed commands only (record, record through mitmdump, collect, serve, call the mock).

Dependencies come from a wheelhouse kept in pytest's cache, filled once with the versions
this checkout's environment runs, so later runs install offline.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from support.procs import REPO, free_port, wait_for_port, wait_until

pytestmark = pytest.mark.e2e

WARNING = re.compile(r"warn|deprecat", re.IGNORECASE)


@dataclass
class Install:
    venv: Path
    wheel: Path
    sdist: Path
    build_output: str

    @property
    def bin(self) -> Path:
        return self.venv / "bin"


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, **kw)


def _checked(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    done = _run(cmd, **kw)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _build_env() -> dict[str, str]:
    # Byte-compiling switched off in the environment makes setuptools say so; it is not ours.
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _install_wheel(venv: Path, wheel: Path, wheelhouse: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
           "--disable-pip-version-check", "--no-compile", "--no-index", "--find-links", str(wheelhouse), str(wheel)]
    if _run(pip).returncode == 0:
        return
    # First run (or new dependencies): fetch wheels of the versions this environment runs.
    frozen = _checked([sys.executable, "-m", "pip", "freeze", "--exclude-editable"]).stdout
    constraints = wheelhouse / "constraints.txt"
    constraints.write_text(frozen)
    _checked([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "-w", str(wheelhouse),
              "-c", str(constraints), str(wheel)])
    for stale in wheelhouse.glob("postmock-*"):
        stale.unlink()  # only the wheel under test is ever installed
    _checked(pip)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Install:
    """`python -m build` of this checkout, its wheel installed into a new virtualenv in /tmp."""
    dist = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend comes from the test extra, so no download is needed.
    built = _checked([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(REPO)],
                     env=_build_env(), cwd=dist)
    [wheel], [sdist] = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    venv = tmp_path_factory.mktemp("install") / "venv"
    assert not venv.is_relative_to(REPO)
    _checked([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    _install_wheel(venv, wheel, request.config.cache.mkdir("postmock-wheelhouse"))
    return Install(venv, wheel, sdist, built.stdout + built.stderr)


def test_the_build_is_clean_and_the_wheel_holds_what_the_commands_need(installed: Install) -> None:
    warnings = [line for line in installed.build_output.splitlines() if WARNING.search(line)]
    assert warnings == []
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for needed in ("postmock_core/mitm/addons/record.py", "postmock_core/mitm/addons/mock.py",
                   "postmock_core/data/postman_collection_v2.1.0.schema.json", "postmock_core/py.typed",
                   "postmock-0.1.0.dist-info/licenses/postmock_core/LICENSE"):
        assert needed in names
    metadata = zipfile.ZipFile(installed.wheel).read("postmock-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT AND Apache-2.0" in metadata


def _env(installed: Install, home: Path) -> dict[str, str]:
    """The user's shell: the venv's commands on PATH, nothing pointing into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONHOME")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not Path(p).is_relative_to(REPO)]
    env["PATH"] = os.pathsep.join([str(installed.bin), *path])
    env["POSTMOCK_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.contextmanager
def _running(cmd: list[str], port: int, cwd: Path, env: dict[str, str], name: str) -> Iterator[Path]:
    """Run `cmd` until `port` accepts connections; yield its log; Ctrl-C it after."""
    log = cwd / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env)
    try:
        try:
            wait_for_port(port, 120, proc=proc)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{log.read_text(errors='replace')}") from None
        yield log
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0, log.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_the_installed_commands_record_collect_and_serve(installed: Install, tmp_path: Path, upstream: str) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _env(installed, tmp_path / "home")

    def postmock(*args: str) -> str:
        return _checked(["postmock", *args], cwd=work, env=env).stdout

    probe = "import json, sys, postmock_core; print(json.dumps([postmock_core.__file__, sys.path]))"
    module, path = json.loads(_checked(["python", "-c", probe], cwd=work, env=env).stdout)
    assert Path(module).is_relative_to(installed.venv)
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(REPO)]
    assert Path(postmock("addon", "record").strip()).is_relative_to(installed.venv)

    conf = f"confdir={tmp_path / 'mitmproxy'}"
    port = free_port()
    with _running(["postmock", "record", "--mode", f"reverse:{upstream}", "--port", str(port), "--set", conf],
                  port, work, env, "record") as log, httpx.Client(trust_env=False, timeout=30) as c:
        assert c.get(f"http://127.0.0.1:{port}/users/1").status_code == 200
        assert c.get(f"http://127.0.0.1:{port}/users/2").status_code == 200
        wait_until(lambda: "Ctrl-C" in log.read_text(), 30, message="the banner")
    assert "recorded 2 exchanges" in log.read_text()

    # The shell form a user types, with the mitmdump installed beside postmock.
    port = free_port()
    script = (f'exec mitmdump --listen-host 127.0.0.1 -p {port} --mode reverse:{upstream} --set {conf} '
              f'-s "$(postmock addon record)"')
    with _running(["bash", "-c", script], port, work, env, "mitmdump"), \
            httpx.Client(trust_env=False, timeout=30) as c:
        assert c.get(f"http://127.0.0.1:{port}/search", params={"q": "ada"}).json()["count"] == 1

    history = json.loads(postmock("history", "list", "--json"))
    assert sorted(h["url"].removeprefix(upstream) for h in history) == ["/search?q=ada", "/users/1", "/users/2"]
    postmock("collection", "create", "Sample", "--from-history")
    port = free_port()
    postmock("mock", "create", "--collection", "Sample", "--name", "sample", "--port", str(port))
    with _running(["postmock", "serve", "sample"], port, work, env, "serve"), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30) as c:
        user = c.get("/users/2")
        assert user.status_code == 200 and user.json()["name"] == "Alan Turing"
        assert user.headers["x-mock-example-name"]
        assert c.get("/search", params={"q": "ada"}).json()["count"] == 1
        assert c.get("/nowhere").json()["error"]["name"] == "mockRequestNotFoundError"
