"""The collection variables that stand for recorded origins: `{{baseUrl}}`, `{{baseUrl_<host>}}`.

A collection built from one origin calls it `baseUrl`; several origins are named by host, and
by host and port (then scheme) only when the host alone would not tell two of them apart.
Existing variables are reused, so saving more exchanges never renames what is there.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from postmock_core.exchange import HttpRequest

__all__ = ["BaseUrls"]

Doc = dict[str, Any]


def _slug(*parts: object) -> str:
    return "baseUrl_" + re.sub(r"[^A-Za-z0-9]+", "_", "_".join(map(str, parts))).strip("_")


def _var_name(req: HttpRequest, taken: set[str], alone: bool, shared_host: bool) -> str:
    """`baseUrl` for a lone origin, else `baseUrl_<host>`, adding the port (then the scheme) only
    when the host alone would not tell this origin from another one."""
    candidates = ["baseUrl"] if alone else []
    if not shared_host:
        candidates.append(_slug(req.host))
    candidates += [_slug(req.host, req.port), _slug(req.scheme, req.host, req.port)]
    for c in candidates:
        if c not in taken:
            return c
    n = 2
    while f"{candidates[-1]}_{n}" in taken:
        n += 1
    return f"{candidates[-1]}_{n}"


class BaseUrls:
    """Origin -> collection variable name, reusing the collection's existing ones."""

    def __init__(self, doc: Doc, shared_hosts: frozenset[str] = frozenset()) -> None:
        self.doc = doc
        self.shared_hosts = shared_hosts  # hosts seen with several origins (ports, schemes)
        self.by_origin = {str(v.get("value", "")).rstrip("/").lower(): str(v["key"])
                          for v in doc.get("variable") or [] if isinstance(v, dict) and "key" in v}
        self.taken = set(self.by_origin.values())

    def get(self, req: HttpRequest, alone: bool) -> str:
        origin = req.origin
        key = origin.lower()
        if key not in self.by_origin:
            # A host already in the collection under another origin needs its port to tell them apart.
            known = {urlsplit(o).hostname for o in self.by_origin}
            shared = req.host.lower() in self.shared_hosts or req.host.lower() in known
            name = _var_name(req, self.taken, alone and not self.taken, shared)
            self.by_origin[key] = name
            self.taken.add(name)
            self.doc.setdefault("variable", []).append({"key": name, "value": origin, "type": "string"})
        return self.by_origin[key]
