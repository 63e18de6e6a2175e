"""postmock's importers against Postman's Collection SDK, document by document.

The rule: what the SDK accepts, postmock imports, with the same number of requests and saved
examples, and postmock's export of it loads in the SDK (and in postmock) with the same numbers
again. The SDK has no validation of its own: it "rejects" a document only by crashing on it
(a TypeError where JavaScript cannot print a value). postmock may repair and import such a
document; its export must then load in the SDK. Only a document the SDK rejects, or one with no items at all (no `item` list and nothing
the SDK reads as an item), is refused; and, as postmock's one limit beyond the SDK's, one nested
deeper than `MAX_DEPTH`. Environments likewise with the SDK's VariableScope: the same named
variables, refused only without `values`.

Documents are judged in batches: the SDK (a Node process) works on a batch while postmock
imports the same batch here.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.sdkjudge import SdkJudge, Verdict

from postmock_core.errors import PostmockError
from postmock_core.postman.environments import normalize_environment
from postmock_core.postman.exporter import export_collection
from postmock_core.postman.importer import Normalized, normalize_collection
from postmock_core.postman.jsonpath import MAX_DEPTH, DocumentError
from postmock_core.postman.model import iter_examples, iter_items
from postmock_core.store.blobs import BlobStore

__all__ = ["TOTALS", "Differ", "Disagreement"]

Doc = dict[str, Any]
TOTALS: Counter[str] = Counter()  # what every Differ of this process counted, for the figures


class Disagreement(AssertionError):
    """postmock and the SDK disagree about a document."""


def wire(doc: Any) -> Any:
    """The document as both sides read it from a file (JSON text, parsed)."""
    return json.loads(json.dumps(doc, ensure_ascii=True, allow_nan=False))


def _show(doc: Any) -> str:
    text = json.dumps(doc, ensure_ascii=True)
    return text if len(text) <= 3000 else text[:3000] + "..."


def _has_item_list(doc: Any) -> bool:
    if isinstance(doc, dict) and isinstance(doc.get("collection"), dict) and "info" not in doc:
        doc = doc["collection"]
    return isinstance(doc, dict) and isinstance(doc.get("item"), list)


def _too_deep(error: PostmockError) -> bool:
    """postmock's one documented limit beyond the SDK's: documents nested deeper than MAX_DEPTH."""
    return isinstance(error, DocumentError) and f"nested more than {MAX_DEPTH} levels" in error.problem


def _counts(doc: Doc) -> tuple[int, int]:
    return sum(1 for _ in iter_items(doc)), sum(1 for _ in iter_examples(doc))


@dataclass
class Differ:
    """Judges documents with the SDK and with postmock; raises `Disagreement` on a difference."""

    judge: SdkJudge
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="postmock-sdkdiff-")
        self.blobs = BlobStore(Path(self._tmp.name))

    def close(self) -> None:
        TOTALS.update(self.counts)
        self._tmp.cleanup()

    def _judged(self, kind: str, docs: list[Any], work: Any) -> tuple[list[Verdict], list[Any]]:
        """(the SDK's verdicts, `work(doc)` for each doc), the two computed side by side."""
        self.judge.submit(kind, docs)
        try:
            results = [work(doc) for doc in docs]
        finally:
            verdicts = self.judge.collect(len(docs))  # always, so the next batch reads its own
        return verdicts, results

    # -- collections ----------------------------------------------------------------------------
    def _import(self, doc: Any) -> Normalized | PostmockError:
        try:
            return normalize_collection(wire(doc), blobs=self.blobs)
        except PostmockError as e:
            return e

    def collections(self, docs: list[Any]) -> None:
        """Check a batch of collection documents; `self.counts` says what happened."""
        docs = [wire(d) for d in docs]
        self.counts["collections tried"] += len(docs)
        verdicts, imports = self._judged("collection", docs, self._import)
        exports: list[tuple[Any, tuple[int, int], Any]] = []
        for doc, verdict, imported in zip(docs, verdicts, imports, strict=True):
            should_import = verdict.ok and (verdict.items > 0 or _has_item_list(doc))
            self.counts["collections accepted by the SDK"] += should_import
            if isinstance(imported, PostmockError):
                if should_import and _too_deep(imported):
                    self.counts["collections refused as too deep (the SDK reads them)"] += 1
                    continue
                if should_import:
                    raise Disagreement(f"the SDK accepts it ({verdict}) but postmock refuses: {imported}\n"
                                       f"document: {_show(doc)}")
                self.counts["collections refused by both"] += 1
                continue
            if not verdict.ok:  # the SDK crashed on it (a TypeError): postmock repairs it instead
                self.counts["collections imported though the SDK throws on them"] += 1
            elif not should_import:
                raise Disagreement(f"postmock imports it but it has no items\ndocument: {_show(doc)}")
            got = _counts(imported.doc)
            if verdict.ok and got != (verdict.requests, verdict.examples):
                raise Disagreement(f"the SDK sees {verdict.requests} requests and {verdict.examples} examples, "
                                   f"postmock imported {got[0]} and {got[1]}\ndocument: {_show(doc)}")
            self.counts["collections imported by postmock"] += 1
            for data in imported.blobs.values():
                self.blobs.put(data)
            exports.append((doc, got, wire(export_collection(imported.doc, self.blobs))))
        verdicts, again = self._judged("collection", [e for _, _, e in exports], self._import)
        for (doc, got, exported), verdict, imported in zip(exports, verdicts, again, strict=True):
            if not verdict.ok or (verdict.requests, verdict.examples) != got:
                raise Disagreement(f"postmock's export loads in the SDK as {verdict}, expected {got[0]} "
                                   f"requests and {got[1]} examples\ndocument: {_show(doc)}\n"
                                   f"export: {_show(exported)}")
            if isinstance(imported, PostmockError) or _counts(imported.doc) != got:
                raise Disagreement(f"postmock's export imports again as {imported}, expected {got}\n"
                                   f"document: {_show(doc)}\nexport: {_show(exported)}")
            self.counts["exports loaded by the SDK"] += 1

    # -- environments ---------------------------------------------------------------------------
    @staticmethod
    def _import_environment(doc: Any) -> Doc | PostmockError:
        try:
            return normalize_environment(wire(doc))
        except PostmockError as e:
            return e

    def environments(self, docs: list[Any]) -> None:
        """Check a batch of environment documents; `self.counts` says what happened."""
        docs = [wire(d) for d in docs]
        self.counts["environments tried"] += len(docs)
        verdicts, imports = self._judged("environment", docs, self._import_environment)
        stored_docs: list[tuple[Any, int, Doc]] = []
        for doc, verdict, stored in zip(docs, verdicts, imports, strict=True):
            has_values = (isinstance(doc, list) and any(v is not None for v in doc)) or \
                (isinstance(doc, dict) and "values" in doc)
            should_import = verdict.ok and has_values
            self.counts["environments accepted by the SDK"] += should_import
            if isinstance(stored, PostmockError):
                if should_import and _too_deep(stored):
                    self.counts["environments refused as too deep (the SDK reads them)"] += 1
                    continue
                if should_import:
                    raise Disagreement(f"the SDK accepts it ({verdict}) but postmock refuses: {stored}\n"
                                       f"document: {_show(doc)}")
                self.counts["environments refused by both"] += 1
                continue
            if not verdict.ok:  # the SDK crashed on it (a TypeError): postmock repairs it instead
                self.counts["environments imported though the SDK throws on them"] += 1
            elif not should_import:
                raise Disagreement(f"postmock imports it but it has no values\ndocument: {_show(doc)}")
            if verdict.ok and len(stored["values"]) != verdict.named:
                raise Disagreement(f"the SDK sees {verdict.named} named variables, postmock imported "
                                   f"{len(stored['values'])}\ndocument: {_show(doc)}")
            self.counts["environments imported by postmock"] += 1
            stored_docs.append((doc, len(stored["values"]), wire(stored)))
        verdicts, _ = self._judged("environment", [s for _, _, s in stored_docs], lambda d: None)
        for (doc, named, stored), verdict in zip(stored_docs, verdicts, strict=True):
            if not verdict.ok or verdict.named != named:
                raise Disagreement(f"postmock's export loads in the SDK as {verdict}, expected {named} "
                                   f"variables\ndocument: {_show(doc)}\nexport: {_show(stored)}")
            self.counts["environment exports loaded by the SDK"] += 1
