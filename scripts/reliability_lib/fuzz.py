"""Fuzzing the importers, the templating and the matcher: input in, a result or one line out.

The importers are driven through the real `postmock` command (in process, `cli.main`), so
what is checked is what a user sees: exit 0, or exit 2 with one `postmock: error:` line and
the workspace exactly as it was. Anything else (another exception, a traceback, a second line,
a changed workspace on failure, an input that takes longer than `HANG_SECONDS`) is a finding.

The inputs themselves are in `fuzz_inputs`.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings

from postmock_core.cli import main as cli_main
from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.redaction import Redactor
from postmock_core.matching.matcher import Matcher, MatchOptions, not_found_body
from postmock_core.mock.replies import json_response
from postmock_core.mock.templating import render, render_text
from postmock_core.postman.importer import normalize_collection

from .common import tree

__all__ = ["EXAMPLES_ENV", "HANG_SECONDS", "TRIED", "Finding", "Importer", "check_matcher", "check_redaction",
           "check_template", "fuzz_settings", "watchdog"]

HANG_SECONDS = 10.0
TRIED: Counter[str] = Counter()  # inputs tried, by target
EXAMPLES_ENV = "POSTMOCK_FUZZ_EXAMPLES"


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for a fuzz test: `examples` fixed inputs (the same on every run), or,
    when $POSTMOCK_FUZZ_EXAMPLES is set (scripts/reliability fuzz), that many random ones.
    No deadline: a hang is caught by `watchdog`, never a slow input by a timing."""
    wanted = os.environ.get(EXAMPLES_ENV)
    return settings(max_examples=int(wanted) if wanted else examples, derandomize=not wanted,
                    deadline=None, database=None, suppress_health_check=list(HealthCheck))


class Finding(AssertionError):
    """An input that did not end in a result or a one-line PostmockError."""


class Hang(BaseException):
    """Raised by the watchdog; a BaseException so no `except Exception` can swallow it."""


@contextlib.contextmanager
def watchdog(what: str, seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fail an input that runs longer than `seconds` (a hang), from the main thread only."""
    def expired(signum: int, frame: Any) -> None:
        raise Hang(f"{what} still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Hang as e:
        raise Finding(str(e)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- importers through the CLI ----------------------------------------------------------------
_IMPORTED_ID = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9._-]*)\): \d+ ")


class Importer:
    """Runs `postmock ... import FILE` in process against one workspace and judges the outcome."""

    COMMANDS: ClassVar[dict[str, list[str]]] = {
        "collection": ["collection", "import", "--replace"],
        "environment": ["env", "import", "--replace"],
        "har": ["history", "import", "--format", "har"],
        "flows": ["history", "import", "--format", "flows"],
    }

    def __init__(self, home: Path, scratch: Path) -> None:
        self.home = home
        self.scratch = scratch
        scratch.mkdir(parents=True, exist_ok=True)
        self.outcomes: Counter[str] = Counter()

    def run(self, kind: str, content: bytes) -> int:
        """Import `content` as `kind`; return the exit code, or raise `Finding`."""
        TRIED[kind] += 1
        path = self.scratch / f"input-{kind}"
        path.write_bytes(content)
        before = tree(self.home)
        out, err = io.StringIO(), io.StringIO()
        argv = ["--home", str(self.home), *self.COMMANDS[kind], str(path)]
        try:
            with watchdog(f"importing a {kind} file"), contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(err):
                code = cli_main(argv)
        except Finding:
            raise
        except BaseException as e:
            raise Finding(f"{kind} import raised {type(e).__name__}: {e}\ninput: {content[:300]!r}") from e
        message = err.getvalue()
        if code == 0:
            self.outcomes[f"{kind} imported"] += 1
            self._export(kind, out.getvalue(), content)
            return 0
        lines = message.splitlines()
        if code != 2 or len(lines) != 1 or not lines[0].startswith("postmock: error: "):
            raise Finding(f"{kind} import exited {code} with {message!r}\ninput: {content[:300]!r}")
        after = tree(self.home)
        if after != before:
            changed = sorted(set(after.items()) ^ set(before.items()))[:5]
            raise Finding(f"a failed {kind} import changed the workspace: {changed}\n"
                          f"error: {lines[0]}\ninput: {content[:300]!r}")
        self.outcomes[f"{kind} refused"] += 1
        return 2

    def _export(self, kind: str, printed: str, content: bytes) -> None:
        """What was just imported exports again (the user's next step), with exit 0."""
        ids = _IMPORTED_ID.findall(printed)  # the last: a name may look like one too
        if kind == "collection" and ids:
            commands = [["collection", "export", ids[-1], "-o", str(self.scratch / "out.json")]]
        elif kind == "environment" and ids:
            commands = [["env", "export", ids[-1], "-o", str(self.scratch / "out.json")]]
        elif kind in ("har", "flows"):
            commands = [["history", "export", "--limit", "20", "--har", str(self.scratch / "out.har")],
                        ["history", "export", "--limit", "20", "--flows", str(self.scratch / "out.flows")]]
        else:
            raise Finding(f"{kind} import printed no ID: {printed!r}")
        for command in commands:
            out, err = io.StringIO(), io.StringIO()
            try:
                with watchdog(f"exporting an imported {kind}"), contextlib.redirect_stdout(out), \
                        contextlib.redirect_stderr(err):
                    code = cli_main(["--home", str(self.home), *command])
            except Finding:
                raise
            except BaseException as e:
                raise Finding(f"{' '.join(command[:2])} after a {kind} import raised {type(e).__name__}: "
                              f"{e}\ninput: {content[:300]!r}") from e
            if code != 0:
                raise Finding(f"{' '.join(command[:2])} after a {kind} import exited {code}: "
                              f"{err.getvalue()!r}\ninput: {content[:300]!r}")
        TRIED[f"{kind} exports"] += 1

    def run_json(self, kind: str, doc: Any, ascii: bool = False) -> int:
        """Import `doc` as a JSON file: UTF-8 as is, or with every non-ASCII character escaped
        (where a lone surrogate is valid JSON)."""
        text = json.dumps(doc, ensure_ascii=ascii)
        return self.run(kind, text.encode("utf-8", "surrogatepass"))


# -- templating and matching --------------------------------------------------------------------
def check_template(template: str, request: HttpRequest, captures: dict[str, str]) -> str:
    """`render_text` gives text for any template and request, in bounded time."""
    TRIED["templating"] += 1
    try:
        with watchdog("rendering a template"):
            out = render_text(template, request, captures)
    except Finding:
        raise
    except Exception as e:
        raise Finding(f"render_text raised {type(e).__name__}: {e}\ntemplate: {template!r}\n"
                      f"request: {request!r}") from e
    if not isinstance(out, str):
        raise Finding(f"render_text returned {type(out).__name__}")
    return out


def check_matcher(collection: Any, request: HttpRequest, options: MatchOptions | None = None,
                  environment: dict[str, Any] | None = None) -> str:
    """A matcher over any collection document answers any request: an example or a reasoned miss."""
    TRIED["matcher"] += 1
    try:
        with watchdog("matching a request"):
            try:
                doc = normalize_collection(copy.deepcopy(collection)).doc
            except PostmockError:
                # A stored file may have been edited by hand: any object must still not crash.
                doc = collection if isinstance(collection, dict) else {"info": {}, "item": collection}
            matcher = Matcher(doc, environment, options or MatchOptions())
            for brute in (False, True):
                result = matcher.match(request, brute_force=brute)
                if result.example is not None:
                    render(result.example, request, result.captures)
                else:
                    json_response(result.status, not_found_body(result))
            return "matched" if result.example is not None else "missed"
    except Finding:
        raise
    except Exception as e:
        raise Finding(f"the matcher raised {type(e).__name__}: {e}\ncollection: "
                      f"{json.dumps(collection)[:400]}\nrequest: {request!r}") from e


# -- redaction ----------------------------------------------------------------------------------
def check_redaction(body: bytes, content_type: str | None, secret: str | None = None) -> None:
    """Redacting a request with `body` and an echo of it always ends, and, when `secret` was put
    where the rules must find it, leaves it nowhere: not in the request, not in the echo."""
    TRIED["redaction"] += 1
    headers = [("Content-Type", content_type)] if content_type else []
    request = HttpRequest("POST", path="/anything", headers=headers, body=body)
    echo = HttpResponse(200, headers=[("Content-Type", "application/json")],
                        body=json.dumps({"data": body.decode("utf-8", "replace")}).encode())
    try:
        with watchdog("redacting a body"):
            out = Redactor().exchange(Exchange(request, echo))
    except Finding:
        raise
    except BaseException as e:
        raise Finding(f"redaction raised {type(e).__name__}: {e}\ncontent type: {content_type!r}\n"
                      f"body: {body[:300]!r}") from e
    if secret is not None:
        for where, data in (("request", out.request.body), ("echo", out.response.body if out.response else b"")):
            if secret.encode() in data:
                raise Finding(f"the secret survived in the {where}\ncontent type: {content_type!r}\n"
                              f"body: {body[:300]!r}\nredacted: {data[:300]!r}")
