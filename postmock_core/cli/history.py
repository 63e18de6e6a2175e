"""`postmock history ...`: list, show, delete, import and export recorded exchanges."""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from postmock_core.cli.common import (
    command,
    parse_ids,
    print_json,
    print_table,
    progress,
    workspace,
)
from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange, HttpRequest, body_from_doc
from postmock_core.history import HistoryStore
from postmock_core.history_query import HistoryQuery, parse_moment

__all__ = ["register"]

LIST_LIMIT = 50
Doc = dict[str, Any]


# -- formatting -------------------------------------------------------------------------------
def _body_size(body: Any) -> int:
    if not isinstance(body, dict):
        return 0
    if "text" in body:
        return len(str(body["text"]).encode("utf-8"))
    if "base64" in body:
        b64 = str(body["base64"])
        return len(b64) * 3 // 4 - b64[-2:].count("=")
    return int(body.get("size") or 0)


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KB", "MB", "GB"):
        n_f = n / 1024
        if n_f < 1024 or unit == "GB":
            return f"{n_f:.1f} {unit}"
        n = int(n_f)
    return f"{n} B"  # pragma: no cover


def _human_ms(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _local_time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def summary(exchange_id: int, doc: Doc) -> Doc:
    """The stable per-entry object of `history list --json`."""
    req = doc.get("request") or {}
    resp = doc.get("response")
    return {
        "id": exchange_id,
        "time": doc.get("time"),
        "method": req.get("method"),
        "url": HttpRequest.from_doc(req, None, with_body=False).url,
        "status": resp.get("status") if isinstance(resp, dict) else None,
        "duration_ms": doc.get("duration_ms"),
        "size": _body_size(resp.get("body")) if isinstance(resp, dict) else 0,
        "error": doc.get("error"),
    }


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


# -- list -------------------------------------------------------------------------------------
def _list(args: argparse.Namespace) -> int:
    query = HistoryQuery.from_args(args)
    store = HistoryStore(workspace(args))
    # One more than asked tells whether to mention the rest, without counting it all.
    probe = dataclasses.replace(query, limit=query.limit + 1) if query.limit else query
    found = list(probe.select(store))
    more = query.limit is not None and len(found) > query.limit
    rows = [summary(i, d) for i, d in found[: query.limit]]
    if args.json:
        print_json(rows)
    elif not rows:
        print("no history entries match" if not query.is_empty else "history is empty")
    else:
        table = [[r["id"], _local_time(float(d.get("timestamp") or 0)), r["method"],
                  r["status"] if r["status"] is not None else "ERR", _human_ms(r["duration_ms"]),
                  _human_size(r["size"]), r["url"]] for r, (_, d) in zip(rows, found, strict=False)]
        if sys.stdout.isatty():
            cells = [*table, _LIST_HEADERS]
            used = sum(max(len(str(row[c])) for row in cells) + 2 for c in range(6))
            room = max(shutil.get_terminal_size().columns - used, 30)
            for row in table:
                row[-1] = _fit(str(row[-1]), room)
        print_table(table, _LIST_HEADERS)
    if more:
        print(f"(more entries match: showing the newest {query.limit}; use --limit N, "
              f"or --limit 0 for all)", file=sys.stderr)
    return 0


_LIST_HEADERS = ["ID", "TIME", "METHOD", "STATUS", "DURATION", "SIZE", "URL"]


# -- show -------------------------------------------------------------------------------------
def _body_lines(body: Any, data: bytes | None, want: bool) -> list[str]:
    if not isinstance(body, dict):
        return []
    size = _body_size(body)
    binary = "base64" in body or body.get("kind") == "binary"
    if not want:
        return [f"<{size} bytes {'binary' if binary else 'text'}; use --body to show it>"]
    assert data is not None
    if binary:
        return [f"<{size} bytes binary, sha256 {hashlib.sha256(data).hexdigest()}>"]
    return [data.decode("utf-8", "replace")]


def _show(args: argparse.Namespace) -> int:
    try:
        exchange_id = int(args.id)
    except ValueError:
        raise PostmockError(f"{args.id!r} is not an ID: give one number, e.g. 42") from None
    store = HistoryStore(workspace(args))
    doc = store.get(exchange_id)
    if doc is None:
        raise PostmockError(f"no history entry {exchange_id}: see `postmock history list`")
    req, resp = doc.get("request") or {}, doc.get("response")
    bodies = {}
    for part, msg in (("request", req), ("response", resp)):
        if isinstance(msg, dict) and msg.get("body") and args.body:
            bodies[part] = body_from_doc(msg["body"], store.blobs)
    if args.json:
        out = {"id": exchange_id, **doc}
        for part, msg in (("request", req), ("response", resp)):
            if not isinstance(msg, dict) or not msg.get("body"):
                continue
            if part in bodies:
                data = bodies[part]
                binary = "base64" in msg["body"] or msg["body"].get("kind") == "binary"
                shown: dict[str, Any] = (
                    {"base64": base64.b64encode(data).decode("ascii")} if binary
                    else {"text": data.decode("utf-8")})
            else:
                shown = {"size": _body_size(msg["body"]), "omitted": "use --body"}
            out[part] = {**msg, "body": shown}
        print_json(out)
        return 0
    ex = Exchange.from_doc(doc, None, id=exchange_id, with_body=False)
    r = ex.request
    extra = [ex.source, ex.mode] + ([f"redacted: {', '.join(ex.redacted)}"] if ex.redacted else [])
    print(f"#{exchange_id}  {_local_time(ex.timestamp)}  {_human_ms(ex.duration_ms)}  "
          f"({'; '.join(extra)})")
    print()
    print(f"{r.method} {r.url} {r.http_version}")
    for k, v in r.headers:
        print(f"{k}: {v}")
    lines = _body_lines(req.get("body"), bodies.get("request"), args.body)
    if lines:
        print()
        print("\n".join(lines))
    print()
    if ex.response is None:
        print(f"no response: {ex.error or 'unknown error'}")
        return 0
    s = ex.response
    print(f"{s.http_version} {s.status} {s.reason}".rstrip())
    for k, v in s.headers:
        print(f"{k}: {v}")
    lines = _body_lines((resp or {}).get("body"), bodies.get("response"), args.body)
    if lines:
        print()
        print("\n".join(lines))
    if ex.truncated:
        print(f"\n(not recorded in full: {', '.join(ex.truncated)})")
    return 0


# -- delete -----------------------------------------------------------------------------------
def _delete(args: argparse.Namespace) -> int:
    query = HistoryQuery.from_args(args)
    if args.before:
        before = parse_moment(args.before, "--before")
        until = min(before, query.until) if query.until else before
        query = dataclasses.replace(query, until=until)
    store = HistoryStore(workspace(args))
    if args.ids:
        if not query.is_empty or args.all:
            raise PostmockError("give IDs or a selection (--before, --host, ...), not both")
        wanted = sorted(set(parse_ids(args.ids)))
        deleted = store.delete(wanted)
        missing = sorted(set(wanted) - set(deleted))
        if missing:
            print(f"not found: {', '.join(map(str, missing))}", file=sys.stderr)
        print(f"deleted {len(deleted)} {'entry' if len(deleted) == 1 else 'entries'}")
        return 0 if deleted else 1
    if query.is_empty and query.limit is None:
        if not args.all:
            raise PostmockError("say what to delete: IDs, --before TIME, filters like --host, "
                                "or --all for the whole history")
        deleted = store.delete_where(lambda _doc: True)
    else:
        deleted = store.delete([i for i, _ in query.select(store)])
    print(f"deleted {len(deleted)} {'entry' if len(deleted) == 1 else 'entries'}")
    return 0


# -- import -----------------------------------------------------------------------------------
def _detect(path: Path) -> str:
    from postmock_core.har import looks_like_har

    try:
        with path.open("rb") as f:
            head = f.read(64)
    except OSError as e:
        raise PostmockError(f"cannot read {path}: {e.strerror}") from e
    return "har" if looks_like_har(head) else "flows"


def _import(args: argparse.Namespace) -> int:
    from postmock_core.redaction import Redactor

    store = HistoryStore(workspace(args))
    # Read and convert every file before storing anything: a bad file imports nothing.
    loaded = []
    for name in args.files:
        path = Path(name)
        fmt = args.format or _detect(path)
        if fmt == "har":
            from postmock_core.har import read_har

            loaded.append((path, read_har(path)))
        else:
            from postmock_core.flowfile import read_flows

            loaded.append((path, read_flows(path)))
    redactor = Redactor()
    exchanges = [ex for _, got in loaded for ex in got.exchanges]
    docs = [redactor.exchange(ex).to_doc(store.blobs)
            for ex in progress(exchanges, total=len(exchanges), desc="importing")]
    ids = store.append_docs(docs)
    for path, got in loaded:
        n = len(got.exchanges)
        taken, ids = ids[:n], ids[n:]
        span = f" (IDs {taken[0]}-{taken[-1]})" if n > 1 else f" (ID {taken[0]})" if n else ""
        line = f"imported {n} {'exchange' if n == 1 else 'exchanges'} from {path}{span}"
        if got.skipped:
            line += "; skipped " + ", ".join(f"{c} {k}" for k, c in sorted(got.skipped.items()))
        print(line)
        failed = sum(1 for ex in got.exchanges if ex.response is None)
        cut = sum(1 for ex in got.exchanges if ex.truncated)
        if failed:
            print(f"  {failed} without a response, stored as failed exchanges")
        if cut:
            print(f"  {cut} responses had no body in the file (some browsers leave out images)")
    return 0


# -- export -----------------------------------------------------------------------------------
def _oldest_first(query: HistoryQuery, store: HistoryStore) -> Iterator[tuple[int, Doc]]:
    """The selection in file order (oldest first), holding at most `limit` entries in memory."""
    if query.limit is None:
        for exchange_id, doc in store.iter_docs(newest_first=False):
            if query.matches(doc, store.blobs):
                yield exchange_id, doc
    else:
        yield from reversed(list(query.select(store)))


@contextlib.contextmanager
def _output(target: str) -> Iterator[BinaryIO]:
    """Standard output for '-'; else a private temp file renamed over `target` when complete."""
    if target == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    path = Path(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise PostmockError(f"cannot write {path}: {e.strerror}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _export(args: argparse.Namespace) -> int:
    query = HistoryQuery.from_args(args)
    store = HistoryStore(workspace(args))
    count = 0

    def exchanges() -> Iterator[Exchange]:
        nonlocal count
        for i, d in progress(_oldest_first(query, store), total=query.limit, desc="exporting"):
            count += 1
            yield Exchange.from_doc(d, store.blobs, id=i)

    target = args.har or args.flows
    # Streamed to the file: a large export never sits in memory whole.
    with _output(target) as out:
        if args.har:
            from postmock_core.har import iter_har

            for chunk in iter_har(exchanges()):
                # A lone surrogate (bytes that were not UTF-8) only occurs inside JSON strings,
                # where "\udcff" is its valid escape: the HAR reads back the same.
                out.write(chunk.encode("utf-8", "backslashreplace"))
        else:
            from postmock_core.flowfile import write_flows

            write_flows(exchanges(), out)
    where = "standard output" if target == "-" else target
    print(f"exported {count} {'exchange' if count == 1 else 'exchanges'} to {where}",
          file=sys.stderr if target == "-" else sys.stdout)
    return 0


# -- wiring -----------------------------------------------------------------------------------
_LIST_HELP = f"""\
List recorded exchanges, newest first: the newest {LIST_LIMIT} unless --limit says
otherwise (--limit 0 lists them all). Times are shown in this machine's local time.

examples:
  postmock history list --date today --host '*.example.com'
  postmock history list --status 5xx --since 2h --json
  postmock history list --filter '~m POST & ~b "order"'"""

_DELETE_HELP = """\
Delete exchanges by ID (3 5 9, 3,5,9 or 3-9), everything older than --before,
or everything matching the selection flags. --all deletes the whole history.
Bodies stored out of line stay in the blob folder (other data may share them).

examples:
  postmock history delete 12 15-20
  postmock history delete --before 30d
  postmock history delete --host tracker.example.com"""

_IMPORT_HELP = """\
Import HAR 1.2 files (Chrome, Firefox, Safari, Charles, Insomnia, mitmproxy) or
mitmproxy flow dumps (mitmdump -w). The format is detected from the content.
Secrets are redacted before anything is stored. Every file is read and checked
first: a bad file imports nothing, and the error names the file and JSON path."""

_EXPORT_HELP = """\
Export the selected exchanges, oldest first, as HAR 1.2 (opens in browser
devtools and in mitmproxy) or as a mitmproxy flow dump. FILE '-' is standard output.

examples:
  postmock history export --har today.har --date today
  postmock history export --flows api.flows --host api.example.com"""


def register(sub: Any) -> None:
    hist = sub.add_parser("history", help="browse, import and export recorded exchanges",
                          description="Browse, import and export the recorded exchanges.")
    hsub = hist.add_subparsers(dest="history_command", metavar="SUBCOMMAND")
    hsub.required = True

    p = command(hsub, "list", "list recorded exchanges, newest first", _LIST_HELP)
    HistoryQuery.add_arguments(p)
    p.set_defaults(limit=LIST_LIMIT)
    p.add_argument("--json", action="store_true",
                   help="print a JSON array of {id, time, method, url, status, duration_ms, "
                        "size, error}")
    p.set_defaults(func=_list)

    p = command(hsub, "show", "show one exchange in full")
    p.add_argument("id", metavar="ID", help="the exchange ID (from `history list`)")
    p.add_argument("--body", action="store_true",
                   help="include bodies (text as text; binary summarised by size and SHA-256)")
    p.add_argument("--json", action="store_true", help="print the stored entry as JSON")
    p.set_defaults(func=_show)

    p = command(hsub, "delete", "delete exchanges by ID, age or selection", _DELETE_HELP)
    p.add_argument("ids", nargs="*", metavar="ID", help="exchange IDs")
    p.add_argument("--before", metavar="TIME",
                   help="delete entries older than TIME (ISO date/time or an age like 30d)")
    p.add_argument("--all", action="store_true", help="delete the whole history")
    HistoryQuery.add_arguments(p)
    p.set_defaults(func=_delete)

    p = command(hsub, "import", "import HAR files or mitmproxy flow dumps into history",
                _IMPORT_HELP)
    p.add_argument("files", nargs="+", metavar="FILE", help="file to import")
    p.add_argument("--format", choices=["har", "flows"], help="skip detection and read as this")
    p.set_defaults(func=_import)

    p = command(hsub, "export", "export exchanges as HAR or a mitmproxy flow dump", _EXPORT_HELP)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--har", metavar="FILE", help="write a HAR 1.2 file")
    target.add_argument("--flows", metavar="FILE", help="write a mitmproxy flow dump")
    HistoryQuery.add_arguments(p)
    p.set_defaults(func=_export)
