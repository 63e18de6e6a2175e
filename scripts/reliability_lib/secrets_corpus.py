"""The secrets corpus: every place a secret can hide, sent through every way into postmock.

Each placement puts one fresh secret in one place (a header, a query key in some spelling, a
JSON, form, multipart or NDJSON body, a broken or deeply nested body, a JWT) or asks the echo
API (`tests/support/echoapi.py`) to answer with secrets of its own (a folded `Set-Cookie`, a
`Location` with a token in its query and fragment, issued tokens, a body gzipped twice). The
echo API repeats every request in its answer, so each secret also travels back in the response.

The placements are sent through a recording `mitmdump`, imported as a HAR file (with a URL's
userinfo too), and sent to a mock that passes misses through and to one that records them; a
private mock is called with its key in a header and in the query; a mock whose environment
holds a secret is asked what it would answer. Then every byte postmock wrote or printed (the
workspace, the collection, HAR, flow and environment exports, call logs, `mock explain`, 404
bodies, the processes' logs) is searched for every secret.

It runs past the ~300-line guide because most of it is one table, the placements: split from
the run, each half would be read only with the other.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from support.echoapi import derived, jwt_of
from support.mockkit import make_mock, run_serve
from support.procs import RECORD_ADDON, REPO, free_port, run_mitmdump

from postmock_core.mock.keys import KeyStore
from postmock_core.postman.environments import EnvironmentStore
from postmock_core.store.workspace import Workspace

from .common import run_cli
from .secrets_check import search

__all__ = ["PLACEMENTS", "CorpusReport", "Placement", "run_corpus"]

Request = dict[str, Any]  # keyword arguments of httpx.Client.build_request, plus "har_only"


@dataclass(frozen=True)
class Placement:
    """One place for a secret: the request that carries it, and what to search for afterwards."""

    name: str
    build: Callable[[str], Request]
    needles: Callable[[str], dict[str, str]] | None = None  # secret -> {needle name: text}

    def needles_for(self, secret: str) -> dict[str, str]:
        return self.needles(secret) if self.needles else {self.name: secret}


def _get(path: str = "/anything/get", **kw: Any) -> Request:
    return {"method": "GET", "url": path, **kw}


def _post(path: str = "/anything/post", **kw: Any) -> Request:
    return {"method": "POST", "url": path, **kw}


def _header(name: str, value: Callable[[str], str] = lambda s: s, label: str = "") -> Placement:
    return Placement(f"header {name}{label}", lambda s: _get(headers={name: value(s)}))


def _query(key: str) -> Placement:
    return Placement(f"query {key}", lambda s: _get(params=[("page", "2"), (key, s)]))


def _json(name: str, doc: Callable[[str], Any], ctype: str | None = "application/json") -> Placement:
    def build(s: str) -> Request:
        headers = {"Content-Type": ctype} if ctype else {}
        return _post(content=json.dumps(doc(s)).encode(), headers=headers)
    return Placement(name, build)


def _raw(name: str, body: Callable[[str], bytes], ctype: str | None, path: str = "/anything/raw") -> Placement:
    return Placement(name, lambda s: _post(path, content=body(s), headers={"Content-Type": ctype} if ctype else {}))


def _basic(s: str) -> dict[str, str]:
    pair = f"ada:{s}"
    return {"basic password": s, "basic user:pass": pair, "basic base64": base64.b64encode(pair.encode()).decode()}


def _jwt(s: str) -> dict[str, str]:
    token = jwt_of(s)
    return {"jwt": token, "jwt payload": token.split(".")[1]}


def _served(name: str, path: str, keys: tuple[str, ...]) -> Placement:
    """A secret the echo API makes up (from a seed that is no secret) and answers with."""
    return Placement(name, lambda seed: _get(path, params={"seed": seed}),
                     lambda seed: {f"{name}: {k}": derived(k, seed) for k in keys})


def _deep(depth: int) -> Callable[[str], bytes]:
    return lambda s: ("[" * depth + json.dumps({"password": s}) + "]" * depth).encode()


def _multipart(field_name: str, ctype: str | None = None) -> Placement:
    def build(s: str) -> Request:
        value = json.dumps({"refreshToken": s}) if ctype else s
        files = {field_name: (None, value, ctype)} if ctype else {field_name: (None, value)}
        return _post(data={"user": "ada"}, files={**files, "upload": ("a.txt", b"plain file", "text/plain")})
    return Placement(f"multipart {field_name}", build)


PLACEMENTS: list[Placement] = [
    # -- credential headers ----------------------------------------------------------------------
    _header("Authorization", lambda s: f"Bearer {s}"),
    Placement("header Authorization Basic", lambda s: _get("/basic-auth/ada/" + s,
                                                           headers={"Authorization": "Basic " + _basic(s)["basic base64"]}),
              _basic),
    _header("Proxy-Authorization", lambda s: f"Bearer {s}"),
    _header("Cookie", lambda s: f"sid={s}; theme=dark"),
    _header("Cookie", lambda s: f"a=1; remember={s}", " (second cookie)"),
    *[_header(h) for h in ("X-Api-Key", "Api-Key", "X-Auth-Token", "X-Access-Token", "X-Refresh-Token", "X-Vault-Token",
                           "X-Shopify-Access-Token", "X-API-Token", "Api-Token", "X-Auth", "X-Amz-Security-Token",
                           "Private-Token", "X-Goog-Api-Key", "X-CSRF-Token", "X-Session-Token")],
    Placement("header JWT in X-Trace", lambda s: _get(headers={"X-Trace": jwt_of(s)}), _jwt),
    Placement("header Referer token", lambda s: _get(headers={"Referer": f"https://app.test/cb?x=1#access_token={s}"})),
    # -- query keys, in any spelling --------------------------------------------------------------
    *[_query(k) for k in ("api_key", "access_token", "accessToken", "ACCESS_TOKEN", "access-token", "idToken",
                          "refreshToken", "clientSecret", "apiToken", "token", "key", "sig", "signature",
                          "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "code", "x-api-key",
                          "user[password]")],
    Placement("query GraphQL variables", lambda s: _get(params={"query": "mutation { login }",
                                                                "variables": json.dumps({"input": {"password": s}})})),
    Placement("query JWT", lambda s: _get(params={"q": jwt_of(s)}), _jwt),
    Placement("path matrix token", lambda s: _get(f"/anything/doc;token={s}")),
    # -- JSON bodies -------------------------------------------------------------------------------
    _json("json password", lambda s: {"user": "ada", "password": s}),
    _json("json nested secret", lambda s: {"profile": {"settings": {"secret": s}}}),
    _json("json client_secret in a list", lambda s: {"apps": [{"name": "a", "client_secret": s}]}),
    _json("json refreshToken", lambda s: {"refreshToken": s}),
    _json("json idToken", lambda s: {"idToken": s}),
    _json("json headers object", lambda s: {"headers": {"Authorization": f"Bearer {s}", "Accept": "*/*"}}),
    _json("json cookie key", lambda s: {"cookie": f"sid={s}"}),
    _json("json x-api-key key", lambda s: {"x-api-key": s}),
    _json("json in a json string", lambda s: {"payload": json.dumps({"password": s})}),
    _json("json sent as text/plain", lambda s: {"password": s}, "text/plain"),
    _json("json without content type", lambda s: {"api_key": s}, None),
    _raw("json with a trailing comma", lambda s: b'{"password": "%s", "a": [1,],}' % s.encode(), "application/json"),
    _raw("json nested 1200 deep", _deep(1200), "application/json"),
    _raw("json nested 100000 deep", _deep(100_000), "application/json"),
    _raw("ndjson", lambda s: b'{"n": 1}\n{"token": "%s"}\n' % s.encode(), "application/x-ndjson", "/ndjson"),
    _raw("xml", lambda s: b"<login><user>ada</user><password>%s</password></login>" % s.encode(), "application/xml"),
    _raw("yaml", lambda s: b"user: ada\npassword: %s\n" % s.encode(), "application/yaml"),
    _raw("html form echo", lambda s: b"password=%s&user=ada" % s.encode(), "application/x-www-form-urlencoded", "/html"),
    # -- forms and multipart -----------------------------------------------------------------------
    Placement("form password", lambda s: _post(data={"user": "ada", "password": s})),
    Placement("form client_secret", lambda s: _post(data={"client_secret": s, "grant_type": "client_credentials"})),
    _raw("form without content type", lambda s: b"user=ada&password=%s" % s.encode(), None),
    _raw("form as text/plain", lambda s: b"access_token=%s" % s.encode(), "text/plain"),
    _multipart("password"),
    _multipart("token"),
    _multipart("meta", "application/json"),
    # -- secrets the API answers with --------------------------------------------------------------
    _served("set-cookie", "/cookies/set", ("remember",)),
    _served("location", "/oauth/redirect", ("code", "idtoken", "fragment")),
    _served("login", "/login", ("access", "refresh", "jwt")),
    _served("xml token", "/token-xml", ("xml",)),
    _served("jwt result", "/jwt", ("resultjwt",)),
    Placement("gzip twice", lambda s: _get("/gzip2", headers={"X-Api-Key": s})),
    Placement("redirect to a token", lambda s: _get("/redirect-to", params={"url": f"/cb?state=1#id_token={s}"})),
]

# Only a HAR file can carry these: a URL's userinfo, and multipart fields as `params`.
HAR_ONLY: list[tuple[str, Callable[[str, str], dict[str, Any]]]] = [
    ("har url userinfo", lambda s, base: {"method": "GET", "url": base.replace("//", f"//ada:{s}@") + "/anything/u",
                                          "headers": [], "queryString": []}),
    ("har multipart params", lambda s, base: {"method": "POST", "url": base + "/anything/mp", "headers": [],
                                              "postData": {"mimeType": "multipart/form-data; boundary=zz",
                                                           "params": [{"name": "client_secret", "value": s}]}}),
]


@dataclass
class CorpusReport:
    placements: int = 0
    needles: dict[str, str] = field(default_factory=dict)  # name -> secret text
    sent: dict[str, int] = field(default_factory=dict)  # way in -> requests answered
    searched: int = 0
    found: list[str] = field(default_factory=list)
    key_forwarded: bool = False
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{self.placements} placements, {len(self.needles)} secrets to find; answered: {self.sent}",
                f"searched {self.searched} files and outputs: {len(self.found)} found",
                *[f"  {f}" for f in self.found[:20]],
                f"private mock key forwarded upstream: {self.key_forwarded}",
                *[f"  problem: {p}" for p in self.problems[:10]]]


def _send(base: str, requests: list[tuple[str, Request]]) -> list[tuple[str, httpx.Request, httpx.Response]]:
    out = []
    with httpx.Client(base_url=base, trust_env=False, timeout=60, follow_redirects=False) as c:
        for name, kw in requests:
            req = c.build_request(**kw)
            out.append((name, req, c.send(req)))
    return out


def _har_entry(req: httpx.Request, resp: httpx.Response, url: str | None = None) -> dict[str, Any]:
    body = req.read()
    entry_req: dict[str, Any] = {"method": req.method, "url": url or str(req.url), "httpVersion": "HTTP/1.1",
                                 "headers": [{"name": k, "value": v} for k, v in req.headers.multi_items()],
                                 "queryString": [], "cookies": [], "headersSize": -1, "bodySize": len(body)}
    if body:
        entry_req["postData"] = {"mimeType": req.headers.get("content-type", ""),
                                 "text": body.decode("utf-8", "replace")}
    content = resp.content  # decoded, as browsers export it (the Content-Encoding header stays)
    return {"startedDateTime": "2026-11-21T10:00:00.000Z", "time": 1.0, "request": entry_req, "response": {
        "status": resp.status_code, "statusText": resp.reason_phrase, "httpVersion": "HTTP/1.1",
        "headers": [{"name": k, "value": v} for k, v in resp.headers.multi_items()], "cookies": [],
        "content": {"size": len(content), "mimeType": resp.headers.get("content-type", ""),
                    "text": content.decode("utf-8", "replace")}, "redirectURL": "", "headersSize": -1,
        "bodySize": len(content)}, "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}


@contextlib.contextmanager
def _echo(tmp: Path) -> Iterator[str]:
    log = open(tmp / "echoapi.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "support" / "echoapi.py"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise AssertionError(f"the echo API did not start: {url!r}")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def run_corpus(tmp: Path) -> CorpusReport:
    report = CorpusReport(placements=len(PLACEMENTS) + len(HAR_ONLY))
    ws = Workspace.open(tmp / "home")
    exports = tmp / "exports"
    exports.mkdir()
    texts: dict[str, str] = {}
    secret_of = {p.name: f"pm{secrets.token_hex(12)}" for p in PLACEMENTS}
    for p in PLACEMENTS:
        report.needles.update(p.needles_for(secret_of[p.name]))
    har_secrets = {name: f"pm{secrets.token_hex(12)}" for name, _ in HAR_ONLY}
    report.needles.update(har_secrets)
    requests = [(p.name, p.build(secret_of[p.name])) for p in PLACEMENTS]

    def cli(*args: str) -> str:
        code, out, err = run_cli(ws.root, *args)
        texts[f"postmock {' '.join(args)}"] = out + err
        if code not in (0, 1):
            report.problems.append(f"postmock {' '.join(args)}: {err.strip()[:300]}")
        return out

    with _echo(tmp) as echo:
        # 1. recorded through a real mitmdump
        args = ["--mode", f"reverse:{echo}", "-s", str(RECORD_ADDON), "--set", f"postmock_home={ws.root}",
                "--set", "flow_detail=0"]
        with run_mitmdump(tmp / "proxy", args, name="recorder") as proxy:
            report.sent["recorded"] = sum(1 for *_, r in _send(proxy.url, requests) if r.status_code < 500)
            proxy.stop(60)
            texts["mitmdump log"] = proxy.output()
        # 2. imported from HAR
        entries = [_har_entry(req, resp) for _, req, resp in _send(echo, requests)]
        entries += [{"startedDateTime": "2026-11-21T10:00:00.000Z", "request": build(har_secrets[name], echo),
                     "response": {"status": 200, "headers": [], "content": {
                         "mimeType": "text/plain", "text": f"echo {har_secrets[name]}"}}} for name, build in HAR_ONLY]
        har = tmp / "corpus.har"
        har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "corpus"}, "entries": entries}}))
        cli("history", "import", str(har))
        report.sent["har"] = len(entries)
        # 3. mocks that pass misses through, or record them; a private one; one with a secret env
        doc = {"info": {"name": "Echo"}, "variable": [{"key": "baseUrl", "value": echo}], "item": [
            {"name": "Known", "request": {"method": "GET", "url": "{{baseUrl}}/known"},
             "response": [{"name": "Known", "code": 200, "body": "known"}]},
            {"name": "Items", "request": {"method": "GET", "url": "{{baseUrl}}/items?key={{apiKey}}"},
             "response": [{"name": "Items", "code": 200, "body": "[]", "originalRequest": {
                 "method": "GET", "url": "{{baseUrl}}/items?key={{apiKey}}"}}]}]}
        env_secret = f"pmenv{secrets.token_hex(12)}"
        report.needles["environment secret"] = env_secret
        env, _ = EnvironmentStore(ws).set("Corpus env", "apiKey", env_secret, secret=True)
        def named(name: str) -> dict[str, Any]:
            return {**doc, "info": {"name": f"Echo for {name}"}}

        through = make_mock(ws, "through", free_port(), named("through"), on_miss="passthrough", environment=env["id"])
        recording = make_mock(ws, "recording", free_port(), named("recording"), on_miss="record",
                              environment=env["id"])
        private = make_mock(ws, "private", free_port(), named("private"), on_miss="passthrough", private=True)
        _, key = KeyStore(ws).create("corpus")
        report.needles["postmock key"] = key
        with run_serve(ws.root, [through, recording, private], tmp / "serve") as served:
            for mock in (through, recording):
                report.sent[mock.name] = sum(1 for *_, r in _send(mock.url, requests) if r.status_code < 500)
            with httpx.Client(base_url=through.url, trust_env=False, timeout=30) as c:
                miss = c.get("/itemz", headers={"x-mock-response-code": "200"})
                texts["404 body"] = miss.text
                texts["near answer"] = c.get("/items").text
            with httpx.Client(base_url=private.url, trust_env=False, timeout=30) as c:
                seen = c.get("/anything/private", params={"x-api-key": key}, headers={"x-api-key": key})
                report.key_forwarded = key in seen.text
                texts["private 401"] = c.get("/anything/private", params={"x-api-key": key}).text
            served.stop(60)
            texts["postmock serve log"] = served.output()
    # 4. every export and printed output
    cli("collection", "create", "Corpus", "--from-history")
    cli("collection", "export", "Corpus", "-o", str(exports / "collection.json"))
    cli("history", "export", "--har", str(exports / "history.har"))
    cli("history", "export", "--flows", str(exports / "history.flows"))
    cli("env", "export", "Corpus env", "-o", str(exports / "env.json"))
    for name in ("through", "recording", "private"):
        cli("mock", "calls", name, "--json", "--limit", "0")
    cli("mock", "explain", "through", "-X", "DELETE", "--url", "/items")
    cli("mock", "explain", "through", "--url", "/itemz", "--json")
    cli("history", "list", "--limit", "0", "--json")
    cli("env", "show", "Corpus env")
    files = [f for f in [*ws.root.rglob("*"), *exports.rglob("*")] if f.is_file()]
    report.searched = len(files) + len(texts)
    # The environment keeps its own secret, as Postman's environment files do: look elsewhere for it.
    env_files = {*(ws.root / "environments").glob("*.json"), exports / "env.json"}
    others = {k: v for k, v in report.needles.items() if k != "environment secret"}
    report.found = search(files, texts, others)
    report.found += search([f for f in files if f not in env_files], texts, {"environment secret": env_secret})
    return report
