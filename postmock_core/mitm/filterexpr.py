"""mitmproxy filter expressions (`~d example.com & ~c 500`) as predicates over exchanges."""

from __future__ import annotations

from postmock_core.errors import PostmockError
from postmock_core.history.query import ExchangePredicate

__all__ = ["compile_filter"]


def compile_filter(expr: str) -> ExchangePredicate:
    """A predicate for `expr`; an invalid expression raises `PostmockError` (one line)."""
    from mitmproxy import flowfilter  # slow to import; only needed with --filter

    from postmock_core.mitm.flows import flow_from_exchange

    try:
        flow_filter = flowfilter.parse(expr)
    except ValueError:
        raise PostmockError(
            f"--filter {expr!r} is not a valid mitmproxy filter expression: "
            f"see https://docs.mitmproxy.org/stable/concepts-filters/") from None
    return lambda exchange: bool(flow_filter(flow_from_exchange(exchange)))
