"""Secrets never reach disk: seeded secrets recorded, mocked, called, exported, then searched for.

Every secret is a unique random string sent in a place the recorder redacts. After recording,
building a collection, serving it, calling it with the same secrets and exporting everything,
every byte of the workspace (blobs included, base64 bodies decoded), every export and the call
log are searched for each secret. Private mock keys are checked the same way, and from another
workspace; every file and folder must be private; imports naming paths must stay inside.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from support.mockkit import run_serve
from support.procs import RECORD_ADDON, free_port, run_mitmdump

from postmock_core.mock.configs import MockStore
from postmock_core.store.workspace import Workspace

from .common import client, our_errors, private_problems, run_cli, sample_api, tree

__all__ = ["SecretsReport", "run_secrets", "search"]

POSTMOCK = str(Path(sys.executable).parent / "postmock")


def seed(place: str) -> str:
    return f"pmsecret{place}{secrets.token_hex(12)}"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "base64" and isinstance(v, str):
                try:
                    yield base64.b64decode(v).decode("latin-1")
                except ValueError:
                    pass
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def search(paths: list[Path], texts: dict[str, str], needles: dict[str, str]) -> list[str]:
    """Where any needle occurs: in the bytes of `paths` (files, or folders walked), in base64
    bodies inside JSON files, or in the captured `texts`. Returns 'needle-name in place' lines."""
    found = []
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    for f in files:
        data = f.read_bytes()
        decoded = ""
        if f.suffix in (".json", ".har"):
            try:
                decoded = "\n".join(_strings(json.loads(data)))
            except ValueError:
                pass
        for name, needle in needles.items():
            if needle.encode() in data or needle in decoded:
                found.append(f"{name} in {f}")
    for where, text in texts.items():
        found += [f"{name} in {where}" for name, needle in needles.items() if needle in text]
    return found


@dataclass
class SecretsReport:
    seeded: dict[str, str] = field(default_factory=dict)  # place -> secret
    recorded: int = 0
    mock_answers: dict[str, int] = field(default_factory=dict)  # call -> status
    found: list[str] = field(default_factory=list)  # secrets found anywhere
    files_searched: int = 0
    keys: dict[str, int] = field(default_factory=dict)  # which key -> status
    keys_found: list[str] = field(default_factory=list)
    not_private: list[str] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)  # files an import wrote outside the workspace
    traversal_results: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"{len(self.seeded)} seeded secrets ({', '.join(sorted(self.seeded))}); {self.recorded} exchanges recorded",
            f"mock answered the same secret-laden calls: {self.mock_answers}",
            f"searched {self.files_searched} files and outputs: {len(self.found)} secrets found",
            *[f"  {f}" for f in self.found[:10]],
            f"private mock keys: {self.keys}; raw keys found in the workspace: {len(self.keys_found)}",
            f"files/folders not private: {len(self.not_private)}", *[f"  {p}" for p in self.not_private[:10]],
            f"hostile imports: {self.traversal_results}; files written outside: {len(self.escaped)}",
            *[f"  {p}" for p in (self.escaped + self.problems)[:10]],
        ]


def _calls(base: str, s: dict[str, str], user: str) -> dict[str, httpx.Response]:
    """The same secret-laden requests, to the recording proxy or to the mock."""
    out = {}
    with client(base, timeout=30.0) as c:
        out["GET /users/1"] = c.get("/users/1", params={"api_key": s["query api_key"], "token": s["query token"],
                                                       "access_token": s["query access_token"]},
                                    headers={"Authorization": f"Bearer {s['Authorization']}",
                                             "Proxy-Authorization": f"Basic {s['Proxy-Authorization']}",
                                             "Cookie": f"sid={s['Cookie']}; theme=dark",
                                             "X-Api-Key": s["X-Api-Key"], "X-Auth-Token": s["X-Auth-Token"]})
        out["POST /users"] = c.post("/users", json={
            "name": "ada", "password": s["json password"],
            "profile": {"secret": s["json secret"], "apps": [{"client_secret": s["json client_secret"],
                                                              "refresh_token": s["json refresh_token"]}]}})
        out["POST /login"] = c.post("/login", data={"username": user, "password": s["form password"],
                                                    "client_secret": s["form client_secret"]})
    return out


def run_secrets(tmp: Path) -> SecretsReport:
    report = SecretsReport()
    places = ["query api_key", "query token", "query access_token", "Authorization", "Proxy-Authorization",
              "Cookie", "X-Api-Key", "X-Auth-Token", "json password", "json secret", "json client_secret",
              "json refresh_token", "form password", "form client_secret"]
    s = report.seeded = {p: seed(p.replace(" ", "").replace("-", "").lower()) for p in places}
    user = f"user-{secrets.token_hex(6)}"  # not a secret, but the API derives a token from it
    ws = Workspace.open(tmp / "home")
    exports = tmp / "exports"
    exports.mkdir()
    texts: dict[str, str] = {}

    def cli(*args: str, check: bool = True) -> str:
        code, out, err = run_cli(ws.root, *args)
        if check and code != 0:
            report.problems.append(f"postmock {' '.join(args)}: {err.strip()}")
        texts[f"output of postmock {' '.join(args)}"] = out + err
        return out

    with sample_api(tmp) as upstream:
        args = ["-q", "--mode", f"reverse:{upstream}", "-s", str(RECORD_ADDON), "--set", f"postmock_home={ws.root}"]
        with run_mitmdump(tmp / "proxy", args, name="recorder") as proxy:
            answers = _calls(proxy.url, s, user)
            login = answers["POST /login"]
            # What the API sent back is secret too: the token and the session cookie it set.
            s["response access_token"] = login.json()["access_token"]
            s["response Set-Cookie"] = login.cookies["session"]
            proxy.stop()
        report.recorded = len(json.loads(cli("history", "list", "--json")))

    cli("collection", "create", "Secrets", "--from-history")
    port = free_port()
    cli("mock", "create", "--collection", "Secrets", "--name", "secrets", "--port", str(port),
        "--save-url-to-env", "Secrets env")
    mock = MockStore(ws).get("secrets")
    with run_serve(ws.root, [mock], tmp / "serve") as served:
        answers = _calls(mock.url, s, user)
        report.mock_answers = {k: r.status_code for k, r in answers.items()}
        for k, r in answers.items():
            if not r.headers.get("x-mock-example-name"):
                report.problems.append(f"the mock did not answer {k} from an example: {r.status_code} {r.text[:200]}")
        served.stop()
        texts["postmock serve output"] = served.output()
        report.problems += [f"postmock serve logged: {e}" for e in our_errors(served.output())]

    cli("collection", "export", "Secrets", "-o", str(exports / "collection.json"))
    cli("history", "export", "--har", str(exports / "history.har"))
    cli("history", "export", "--flows", str(exports / "history.flows"))
    cli("env", "export", "Secrets env", "-o", str(exports / "env.json"))
    cli("mock", "calls", "secrets", "--json", "--limit", "100")
    cli("history", "list")
    for entry in json.loads(cli("history", "list", "--json")):
        cli("history", "show", str(entry["id"]), "--body")
    _keys(tmp, ws, report)

    files = [f for f in [*ws.root.rglob("*"), *exports.rglob("*")] if f.is_file()]
    report.files_searched = len(files) + len(texts)
    report.found = search([ws.root, exports], texts, s)
    report.not_private = private_problems(ws.root)
    _traversal(tmp, ws, report)
    return report


def _keys(tmp: Path, ws: Workspace, report: SecretsReport) -> None:
    """A private mock refuses a missing, wrong, revoked or other workspace's key; keys are hashed."""
    def key(home: Path, name: str) -> str:
        done = subprocess.run([POSTMOCK, "--home", str(home), "key", "create", "--name", name, "--json"],
                              capture_output=True, text=True, timeout=60, check=True)
        return str(json.loads(done.stdout)["key"])

    good, revoked = key(ws.root, "good"), key(ws.root, "revoked")
    subprocess.run([POSTMOCK, "--home", str(ws.root), "key", "revoke", "revoked"], capture_output=True,
                   timeout=60, check=True)
    other = key(tmp / "other-home", "elsewhere")
    subprocess.run([POSTMOCK, "--home", str(ws.root), "mock", "create", "--collection", "Secrets", "--name",
                    "private", "--private", "--port", str(free_port())], capture_output=True, timeout=60, check=True)
    mock = MockStore(ws).get("private")
    with run_serve(ws.root, [mock], tmp / "serve-private") as served, client(mock.url) as c:
        for label, value in (("missing", None), ("wrong", "PMAK-" + "x" * 32), ("revoked", revoked),
                             ("another workspace's", other), ("empty", ""), ("valid", good)):
            headers = {"x-api-key": value} if value is not None else {}
            report.keys[label] = c.get("/users/1", headers=headers).status_code
        served.stop()
    report.keys_found = search([ws.root], {}, {"valid key": good, "revoked key": revoked})


def _traversal(tmp: Path, ws: Workspace, report: SecretsReport) -> None:
    """Imports whose IDs, names, blob references or URLs name paths write nowhere outside."""
    inputs = tmp / "hostile-inputs"
    inputs.mkdir()
    outside = [p for p in tmp.iterdir() if p not in (ws.root, inputs)]
    before = {str(p): tree(p) if p.is_dir() else p.stat().st_mtime_ns for p in outside}
    before_names = {p.name for p in tmp.iterdir()}
    ex = {"name": "../../evil-example", "code": 200, "body": "x",
          "_postmock": {"bodyBlob": "../../evil-blob", "bodyEncoding": "blob"}}
    docs = {
        "collection-blob": {"info": {"_postman_id": "../../evil-collection", "name": "../../etc"},
                            "item": [{"name": "../../evil-item", "request": {"method": "GET", "url": "http://x/a"},
                                      "response": [ex]}]},
        "collection-ids": {"info": {"_postman_id": "../../../evil-collection", "name": "../../../evil-name"},
                           "item": [{"name": "/abs/evil", "request": {"method": "GET", "url": "http://../../x"},
                                     "response": [{"name": "..", "id": "../../evil-id", "code": 200}]}]},
        "environment": {"id": "../../evil-env", "name": "../../etc/evil", "values": [{"key": "../x", "value": "y"}]},
        "har": {"log": {"entries": [{"startedDateTime": "2026-11-21T10:00:00Z",
                                     "request": {"method": "GET", "url": "http://evil/../../../x", "headers": []},
                                     "response": {"status": 200, "headers": [],
                                                  "content": {"text": "x", "_file": "../../evil"}}}]}},
    }
    commands = {"collection-blob": ["collection", "import"], "collection-ids": ["collection", "import"],
                "environment": ["env", "import"], "har": ["history", "import"]}
    for name, doc in docs.items():
        path = inputs / f"{name}.json"
        path.write_text(json.dumps(doc))
        done = subprocess.run([POSTMOCK, "--home", str(ws.root), *commands[name], str(path)], capture_output=True,
                              text=True, timeout=60, check=False)
        report.traversal_results[name] = "imported" if done.returncode == 0 else \
            f"refused: {done.stderr.strip()[:90]}"
    for args in (["mock", "create", "--collection", "Secrets", "--name", "../../evil-mock"],
                 ["collection", "create", "../../evil-collection"], ["env", "set", "../../evil-env", "a", "b"],
                 ["collection", "rename", "Secrets", "../../../evil-rename"]):
        done = subprocess.run([POSTMOCK, "--home", str(ws.root), *args], capture_output=True, text=True,
                              timeout=60, check=False)
        report.traversal_results[" ".join(args[:2])] = "done" if done.returncode == 0 else "refused"
    for p in outside:
        now = tree(p) if p.is_dir() else p.stat().st_mtime_ns
        if now != before[str(p)]:
            report.escaped.append(f"{p} changed")
    report.escaped += [f"{tmp / n} appeared" for n in sorted({p.name for p in tmp.iterdir()} - before_names)]
    report.escaped += [str(p) for p in Path("/").glob("evil*")] + [str(p) for p in tmp.parent.glob("evil*")]
    evil = [p for p in ws.root.rglob("*evil*")]
    report.escaped += [f"a file named after imported data: {p}" for p in evil]
    # An imported file's blob reference to a path outside the blob store is dropped, not kept.
    report.escaped += [f"a stored reference to a hostile blob path: {p}" for p in (ws.root / "collections").glob("*.json")
                       if "evil-blob" in p.read_text(encoding="utf-8", errors="replace")]
    report.not_private += [p for p in private_problems(ws.root) if p not in report.not_private]
