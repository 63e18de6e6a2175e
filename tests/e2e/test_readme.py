"""Every command in README.md runs, in order, as a newcomer would type it.

The rules, for anyone editing the README:

- Commands go in fenced ```sh blocks; each one is run. A block whose info string is
  ```sh no-run is shown but not run: use it only for what cannot run here (it needs a real
  external host, a package index, or it is the test suite itself), and say why in the text.
  Other languages (```text for synopses, ```json, ```mermaid) are never run. An indented code
  block that holds a postmock or mitmproxy command is an error: fence it.
- Blocks run top to bottom in one session: a fresh HOME (so ~/.postmock and ~/.mitmproxy
  are new), in a scratch folder holding links to this checkout's addons/, scripts/ and .venv,
  and the input files the README names (see INPUT_FILES). EDITOR is `true`.
- One line is one command (a trailing backslash continues it; `#` lines are comments). Each
  must exit 0 without a traceback. `export NAME=...` (also `export NAME=$(...)`) sets NAME
  for the commands after it.
- Servers (mitmdump, mitmweb, `postmock serve`, `postmock record`, anything with --follow) run in the
  background until the end of their block, then get Ctrl-C.
- Placeholders are replaced before a command runs: https://api.example.com and
  api.example.com are the bundled sample API (plain HTTP); https://localhost:8443 is the
  sample API over TLS with a self-signed certificate; port 8080 (mitmproxy's default, set
  in ~/.mitmproxy/config.yaml) and ports 7300-7399 are free ports picked for the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.procs import REPO, free_port, wait_for_port, wait_until

from postmock_core import sampleapi
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse

pytestmark = pytest.mark.e2e

README = REPO / "README.md"
FIXTURES = REPO / "tests" / "fixtures"
NO_RUN = "no-run"
COMMAND_TIMEOUT = 120.0
# Files the README's commands read, and where the session gets them.
INPUT_FILES = {
    "session.har": FIXTURES / "har" / "firefox.har",
    "exported.postman_collection.json": FIXTURES / "postman" / "app_export_v21.postman_collection.json",
    "dev.postman_environment.json": FIXTURES / "postman" / "dev.postman_environment.json",
}
_SERVER = re.compile(r"^(?:\w+=\S*\s+)*(?:mitmdump|mitmweb|mitmproxy|postmock(?:\s+--?\S+(?:\s+[^-\s]\S*)?)*\s+(?:serve|record|ui)\b"
                     r"|postmock\s.*\s(?:--follow|-f)(?:\s|$))")
_PORTS = re.compile(r"\b(73\d\d|8080)\b")


@dataclass
class Command:
    line: int  # 1-based line in README.md where it starts
    text: str


@dataclass
class Block:
    line: int
    info: str
    commands: list[Command] = field(default_factory=list)

    @property
    def runs(self) -> bool:
        words = self.info.split()
        return bool(words) and words[0] == "sh" and NO_RUN not in words[1:]


def parse_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, with their commands."""
    blocks: list[Block] = []
    current: Block | None = None
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if current is None:
            if stripped.startswith("```"):
                current = Block(number, stripped[3:].strip())
            continue
        if stripped.startswith("```"):
            blocks.append(current)
            current, pending = None, None
            continue
        if pending is None:
            if not stripped or stripped.startswith("#"):
                continue
            pending = (number, "")
        start, sofar = pending
        if stripped.endswith("\\"):
            pending = (start, sofar + stripped[:-1].rstrip() + " ")
        else:
            current.commands.append(Command(start, sofar + stripped))
            pending = None
    return blocks


def indented_commands(text: str) -> list[int]:
    """Lines of indented (unfenced) code blocks that hold a postmock or mitmproxy command."""
    found, fenced, previous_blank = [], False, True
    in_indented = False
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip().startswith("```"):
            fenced = not fenced
        if fenced:
            continue
        indented = raw.startswith("    ") and raw.strip() != ""
        in_indented = indented and (in_indented or previous_blank)
        if in_indented and re.match(r"\s*(postmock|mitmdump|mitmweb)\b", raw):
            found.append(number)
        previous_blank = raw.strip() == ""
    return found


def test_parser_reads_fences_continuations_and_markers() -> None:
    text = "intro\n```sh\n# a comment\npostmock a \\\n  --b c\n\npostmock d\n```\n```sh no-run\nx\n```\n" \
           "```text\ny\n```\n\n    postmock indented\n"
    blocks = parse_blocks(text)
    assert [(b.info, b.runs) for b in blocks] == [("sh", True), ("sh no-run", False), ("text", False)]
    assert [(c.line, c.text) for c in blocks[0].commands] == [(4, "postmock a --b c"), (7, "postmock d")]
    assert indented_commands(text) == [16]


def test_readme_keeps_commands_in_fenced_blocks() -> None:
    lines = indented_commands(README.read_text(encoding="utf-8"))
    assert not lines, (f"README.md lines {lines}: commands in indented code blocks are not run by "
                       f"this test; put them in a ```sh block (or ```sh no-run, saying why)")


class Session:
    """A newcomer's shell: fresh HOME, scratch folder, the sample API behind the placeholders."""

    def __init__(self, tmp: Path, api: str, tls_api: str) -> None:
        self.tmp = tmp
        self.home = tmp / "home"
        self.cwd = tmp / "work"
        self.home.mkdir()
        self.cwd.mkdir()
        for name in ("addons", "scripts", ".venv"):
            (self.cwd / name).symlink_to(REPO / name)
        for name, source in INPUT_FILES.items():
            shutil.copy(source, self.cwd / name)
        self._write_flows(self.cwd / "traffic.flows", api)
        self.proxy_port = free_port()
        (self.home / ".mitmproxy").mkdir()
        (self.home / ".mitmproxy" / "config.yaml").write_text(f"listen_port: {self.proxy_port}\n")
        self.ports: dict[str, int] = {"8080": self.proxy_port}
        api_host = api.split("://", 1)[1]
        self.replacements = [("https://api.example.com", api), ("api.example.com", api_host),
                             ("https://localhost:8443", tls_api)]
        env = {k: v for k, v in os.environ.items()
               if k not in ("POSTMOCK_HOME", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
                            "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "VISUAL")}
        self.env = {**env, "HOME": str(self.home), "EDITOR": "true", "PYTHONUNBUFFERED": "1",
                    "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
        self.servers: list[tuple[Command, subprocess.Popen[bytes], Path]] = []
        self._logs = 0

    @staticmethod
    def _write_flows(path: Path, api: str) -> None:
        from postmock_core.mitm.flowfile import write_flows

        host, port = api.split("://", 1)[1].split(":")
        ex = Exchange(HttpRequest("GET", "http", host, int(port), "/users/3", headers=[("Accept", "*/*")]),
                      HttpResponse(200, "OK", [("Content-Type", "application/json")],
                                   b'{"id": 3, "name": "Grace Hopper"}'), timestamp=time.time(), duration_ms=3)
        with path.open("wb") as f:
            write_flows([ex], f)

    def substitute(self, text: str) -> str:
        for old, new in self.replacements:
            text = text.replace(old, new)

        def port(m: re.Match[str]) -> str:
            if m.group(1) not in self.ports:
                self.ports[m.group(1)] = free_port()
            return str(self.ports[m.group(1)])

        return _PORTS.sub(port, text)

    def fail(self, cmd: Command, why: str, output: str) -> None:
        pytest.fail(f"README.md:{cmd.line}: `{cmd.text}` {why}\n--- output ---\n{output[-4000:]}",
                    pytrace=False)

    def run(self, cmd: Command) -> None:
        text = self.substitute(cmd.text)
        export = re.match(r"export\s+([A-Za-z_]\w*)=(.*)$", text)
        if export:
            name = export.group(1)
            done = self._shell(f"{text}\nprintf %s \"${name}\"")
            if done.returncode != 0:
                self.fail(cmd, f"exited {done.returncode}", done.stdout + done.stderr)
            self.env[name] = done.stdout
            return
        if _SERVER.search(text.split(" #", 1)[0]):
            self._start_server(cmd, text)
            return
        done = self._shell(text)
        output = done.stdout + done.stderr
        if done.returncode != 0:
            self.fail(cmd, f"exited {done.returncode}", output)
        if "Traceback (most recent call last)" in output:
            self.fail(cmd, "printed a traceback", output)
        if text.startswith("curl") and self.servers:
            time.sleep(0.8)  # as a person would, before looking at what was recorded or logged

    def _shell(self, text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-o", "pipefail", "-c", text], cwd=self.cwd, env=self.env,
                              capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                              stdin=subprocess.DEVNULL)

    def _start_server(self, cmd: Command, text: str) -> None:
        self._logs += 1
        log_path = self.tmp / f"server-{self._logs}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(["bash", "-c", f"exec {text}"], cwd=self.cwd, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.servers.append((cmd, proc, log_path))

        def output() -> str:
            return log_path.read_text(errors="replace")

        try:
            if re.search(r"\bmitm(dump|web|proxy)\b", text):
                wait_until(lambda: proc.poll() is not None or "listening at" in output(), 60,
                           message="mitmproxy to listen")
                time.sleep(0.5)  # its addons announce themselves right after it listens
            elif re.search(r"\bserve\b", text):
                for port in self._serve_ports(text):
                    wait_for_port(port, 60, proc=proc)  # type: ignore[arg-type]
            else:  # a follower: it has started once it printed what came before
                wait_until(lambda: proc.poll() is not None or output().strip(), 60, message="first output")
                time.sleep(0.5)
        except AssertionError:
            pass
        if proc.poll() is not None:
            self.fail(cmd, f"stopped at once with status {proc.returncode}", output())

    def _serve_ports(self, text: str) -> list[int]:
        listed = json.loads(self._shell("postmock mock list --json").stdout or "[]")
        names = [w for w in text.split(" #", 1)[0].split(" serve", 1)[1].split() if not w.startswith("-")]
        chosen = [m for m in listed if m["name"] in names or m["id"] in names] if names else \
            [m for m in listed if m["state"] == "active"]
        return [int(m["port"]) for m in chosen]

    def stop_servers(self) -> None:
        """Ctrl-C every background server; each must have run without a traceback."""
        problems = []
        for cmd, proc, log_path in reversed(self.servers):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
                    problems.append((cmd, "ignored Ctrl-C for 30 s", log_path))
                    continue
            if "Traceback (most recent call last)" in log_path.read_text(errors="replace"):
                problems.append((cmd, "printed a traceback", log_path))
        self.servers = []
        if problems:
            cmd, why, log_path = problems[0]
            self.fail(cmd, why, log_path.read_text(errors="replace"))


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    api, stop_api = sampleapi.start_in_thread()
    tls_api, stop_tls = sampleapi.start_in_thread(tls=True)
    s = Session(tmp_path, api, tls_api)
    try:
        yield s
    finally:
        with contextlib.suppress(BaseException):
            s.stop_servers()
        stop_api()
        stop_tls()


def test_every_readme_command_runs(session: Session) -> None:
    assert shutil.which("curl"), "the README's examples call APIs with curl: install it (apt-get install curl)"
    blocks = [b for b in parse_blocks(README.read_text(encoding="utf-8")) if b.runs]
    assert sum(len(b.commands) for b in blocks) > 20, "README.md has lost its ```sh examples"
    for block in blocks:
        for cmd in block.commands:
            session.run(cmd)
        session.stop_servers()
