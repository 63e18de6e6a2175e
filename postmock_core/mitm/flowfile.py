"""mitmproxy flow dumps (`mitmdump -w`, mitmweb "Save") to exchanges and back.

Only HTTP flows become exchanges; TCP, UDP and DNS flows are skipped and counted. The whole
file is read and converted before anything is stored, so a bad file imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from mitmproxy import exceptions, http
from mitmproxy.io import FlowReader, FlowWriter

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange
from postmock_core.history.har import Imported
from postmock_core.mitm.flows import exchange_from_flow, flow_from_exchange

__all__ = ["exchanges_from_flows", "read_flows", "write_flows"]


def exchanges_from_flows(flows: Iterable[object]) -> Imported:
    """Exchanges from mitmproxy flows (HTTP only; the rest counted by kind in `skipped`)."""
    out = Imported()
    for flow in flows:
        if not isinstance(flow, http.HTTPFlow):
            kind = getattr(flow, "type", type(flow).__name__)
            out.skipped[f"{kind} flows"] = out.skipped.get(f"{kind} flows", 0) + 1
            continue
        ex = exchange_from_flow(flow, mode="import")
        ex.source = "flows"
        if ex.response is None and ex.error is None:
            ex.error = "no response recorded"
        out.exchanges.append(ex)
    return out


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())[:100]


def read_flows(path: Path) -> Imported:
    """Read a whole mitmproxy flow dump; `PostmockError` names the file and the flow."""
    try:
        f = path.open("rb")
    except OSError as e:
        raise PostmockError(f"cannot read {path}: {e.strerror}") from e
    flows: list[object] = []
    with f:
        head = f.peek(1)[:1] if hasattr(f, "peek") else b""
        if head in (b"{", b"\xef"):
            raise PostmockError(f"cannot import {path}: it is a HAR file, not a mitmproxy flow "
                                f"dump: use --format har")
        try:
            flows.extend(FlowReader(f).stream())
        except exceptions.FlowReadException as e:
            raise PostmockError(
                f"cannot import {path}: flow #{len(flows) + 1} is unreadable ({e}); "
                f"is it a mitmproxy flow dump? nothing was imported") from None
        except Exception as e:  # noqa: BLE001 - a damaged dump fails inside mitmproxy in many ways
            # mitmproxy rebuilds each flow from the parsed state without checking it, so a
            # damaged file surfaces as KeyError, TypeError, AssertionError, ...
            raise PostmockError(
                f"cannot import {path}: flow #{len(flows) + 1} is damaged ({type(e).__name__}: "
                f"{_one_line(e)}); nothing was imported") from None
    try:
        return exchanges_from_flows(flows)
    except Exception as e:  # noqa: BLE001 - a loadable flow whose fields make no sense
        raise PostmockError(f"cannot import {path}: a flow cannot be converted "
                            f"({type(e).__name__}: {_one_line(e)}); nothing was imported") from None


def write_flows(exchanges: Iterable[Exchange], out: BinaryIO) -> int:
    """Write exchanges to `out` as a mitmproxy flow dump (`mitmproxy -r FILE` opens it)."""
    writer = FlowWriter(out)
    count = 0
    for ex in exchanges:
        writer.add(flow_from_exchange(ex))
        count += 1
    return count
