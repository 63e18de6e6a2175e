"""`postmock history import|export`: HAR files and mitmproxy flow dumps in and out."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from postmock_core.cli.common import (
    command,
    plural,
    progress,
    workspace,
)
from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange
from postmock_core.history.query import HistoryQuery
from postmock_core.history.store import HistoryStore
from postmock_core.mitm.filterexpr import compile_filter

__all__ = ["add_commands"]

Doc = dict[str, Any]


# -- import -----------------------------------------------------------------------------------
def _detect(path: Path) -> str:
    from postmock_core.history.har import looks_like_har

    try:
        with path.open("rb") as f:
            head = f.read(64)
    except OSError as e:
        raise PostmockError(f"cannot read {path}: {e.strerror}") from e
    return "har" if looks_like_har(head) else "flows"


def _import(args: argparse.Namespace) -> int:
    from postmock_core.history.redaction import Redactor

    store = HistoryStore(workspace(args))
    # Read and convert every file before storing anything: a bad file imports nothing.
    loaded = []
    for name in args.files:
        path = Path(name)
        if path.is_file() and path.stat().st_size == 0:
            raise PostmockError(f"cannot import {path}: the file is empty; nothing was imported")
        fmt = args.format or _detect(path)
        if fmt == "har":
            from postmock_core.history.har import read_har

            loaded.append((path, read_har(path)))
        else:
            from postmock_core.mitm.flowfile import read_flows

            loaded.append((path, read_flows(path)))
    for path, got in loaded:
        if not got.exchanges:
            skipped = "; ".join(f"{c} {k}" for k, c in sorted(got.skipped.items()))
            raise PostmockError(f"cannot import {path}: it holds no HTTP exchanges"
                                + (f" ({skipped})" if skipped else "") + "; nothing was imported")
    redactor = Redactor()
    exchanges = [(ex, got.secrets) for _, got in loaded for ex in got.exchanges]
    docs = [redactor.exchange(ex, also=secrets).to_doc(store.blobs)
            for ex, secrets in progress(exchanges, total=len(exchanges), desc="importing")]
    results = store.import_docs(docs, allow_duplicates=args.allow_duplicates)
    for path, got in loaded:
        mine, results = results[:len(got.exchanges)], results[len(got.exchanges):]
        taken = [i for i, new in mine if new]
        n = len(taken)
        span = f" (IDs {taken[0]}-{taken[-1]})" if n > 1 else f" (ID {taken[0]})" if n else ""
        line = f"imported {plural(n, 'exchange')} from {path}{span}"
        skips = [f"{c} {k}" for k, c in sorted(got.skipped.items())]
        if len(mine) > n:
            skips.append(f"{len(mine) - n} already in history (--allow-duplicates imports them again)")
        if skips:
            line += "; skipped " + ", ".join(skips)
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
    query = HistoryQuery.from_args(args, compile_filter)
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
            from postmock_core.history.har_export import iter_har

            for chunk in iter_har(exchanges()):
                # A lone surrogate (bytes that were not UTF-8) only occurs inside JSON strings,
                # where "\udcff" is its valid escape: the HAR reads back the same.
                out.write(chunk.encode("utf-8", "backslashreplace"))
        else:
            from postmock_core.mitm.flowfile import write_flows

            write_flows(exchanges(), out)
    where = "standard output" if target == "-" else target
    print(f"exported {plural(count, 'exchange')} to {where}",
          file=sys.stderr if target == "-" else sys.stdout)
    return 0


_IMPORT_HELP = """\
Import HAR 1.2 files (Chrome, Firefox, Safari, Charles, Insomnia, mitmproxy) or
mitmproxy flow dumps (mitmdump -w). The format is detected from the content.
Secrets are redacted before anything is stored. Every file is read and checked
first: a bad or empty file imports nothing, and the error names the file and JSON
path. Exchanges already imported (the same file twice) are skipped unless
--allow-duplicates."""

_EXPORT_HELP = """\
Export the selected exchanges, oldest first, as HAR 1.2 (opens in browser
devtools and in mitmproxy) or as a mitmproxy flow dump. FILE '-' is standard output.

examples:
  postmock history export --har today.har --date today
  postmock history export --flows api.flows --host api.example.com"""


def add_commands(hsub: Any) -> None:
    """Add `import` and `export` to the `history` command."""
    p = command(hsub, "import", "import HAR files or mitmproxy flow dumps into history",
                _IMPORT_HELP)
    p.add_argument("files", nargs="+", metavar="FILE", help="file to import")
    p.add_argument("--format", choices=["har", "flows"], help="skip detection and read as this")
    p.add_argument("--allow-duplicates", action="store_true",
                   help="store exchanges already in history (imported before) again")
    p.set_defaults(func=_import)

    p = command(hsub, "export", "export exchanges as HAR or a mitmproxy flow dump", _EXPORT_HELP)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--har", metavar="FILE", help="write a HAR 1.2 file")
    target.add_argument("--flows", metavar="FILE", help="write a mitmproxy flow dump")
    HistoryQuery.add_arguments(p)
    p.set_defaults(func=_export)
