"""Postman's Collection SDK (Node, `postman-collection`) as a judge of collection and environment
documents, in one long-running `node tests/node/sdk_judge.js` process that answers a line per
document, so thousands of documents are judged in seconds."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = ["SCRIPT", "SdkJudge", "Verdict", "sdk_missing"]

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "node" / "sdk_judge.js"
_ANSWER_SECONDS = 30.0  # a generous bound on one verdict: a hang is a failure, not a wait


def sdk_missing() -> str | None:
    """Why the SDK cannot run here (no node, no node_modules), or None when it can."""
    if shutil.which("node") is None:
        return "`node` is not installed"
    if not (REPO / "node_modules" / "postman-collection").is_dir():
        return "node_modules/postman-collection is missing: run `npm ci`"
    return None


@dataclass(frozen=True)
class Verdict:
    """What the SDK made of one document."""

    ok: bool
    error: str = ""
    items: int = 0  # top-level members of a collection (requests and folders)
    requests: int = 0
    examples: int = 0
    variables: int = 0  # every variable of an environment
    named: int = 0  # the variables with a usable name


class SdkJudge:
    """A `node sdk_judge.js` process; `judge(kind, doc)` returns its Verdict."""

    def __init__(self) -> None:
        why = sdk_missing()
        if why:
            raise RuntimeError(why)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the process
        self.proc = subprocess.Popen(["node", str(SCRIPT)], cwd=REPO, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr)
        self._buffer = b""
        self.judged = 0

    def judge(self, kind: str, doc: Any) -> Verdict:
        """The SDK's verdict on `doc` ("collection" or "environment")."""
        self.submit(kind, [doc])
        return self.collect(1)[0]

    def submit(self, kind: str, docs: list[Any]) -> int:
        """Send documents to be judged while the caller works on; `collect` their verdicts,
        in order, before submitting more than a few hundred."""
        assert self.proc.stdin is not None
        lines = "".join(json.dumps({"kind": kind, "doc": doc}, ensure_ascii=True, allow_nan=False) + "\n"
                        for doc in docs)
        self.proc.stdin.write(lines.encode("ascii"))
        self.proc.stdin.flush()
        return len(docs)

    def collect(self, n: int) -> list[Verdict]:
        """The next `n` verdicts."""
        verdicts = [Verdict(**json.loads(self._readline())) for _ in range(n)]
        self.judged += n
        return verdicts

    def _readline(self) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], _ANSWER_SECONDS)
            if not ready:
                raise TimeoutError(f"the SDK gave no verdict within {_ANSWER_SECONDS:g} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._stderr.seek(0)
                err = self._stderr.read().decode(errors="replace")
                raise RuntimeError(f"the SDK process ended: {err[-2000:]}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
