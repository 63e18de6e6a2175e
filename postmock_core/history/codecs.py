"""Content-Encoding decoding (gzip, deflate, br, zstd), without mitmproxy.

With a `limit`, decoding stops once the output would pass it: a few hundred compressed bytes
can stand for gigabytes.
"""

from __future__ import annotations

import io
import zlib

__all__ = ["REQUEST_LIMIT", "TooLarge", "decode"]

# What a mock decodes of a request body; a body that decodes to more is matched as it came.
REQUEST_LIMIT = 32 * 1024 * 1024


class TooLarge(ValueError):
    """The decoded body would pass the limit."""


def _check(size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise TooLarge(f"the decoded body is larger than {limit} bytes")


def _zlib(body: bytes, wbits: int, limit: int | None) -> bytes:
    """Every member (gzip may hold several, one after another) decoded, up to `limit` + 1 bytes."""
    out = bytearray()
    while True:
        d = zlib.decompressobj(wbits)
        room = 0 if limit is None else limit + 1 - len(out)
        out += d.decompress(body, room)
        _check(len(out), limit)  # output that stopped at `room` is one byte past the limit
        if not d.eof:
            raise zlib.error("incomplete or truncated stream")
        body = d.unused_data
        if not body or wbits != _GZIP:
            return bytes(out)


_GZIP = 16 + zlib.MAX_WBITS


def _gzip(body: bytes, limit: int | None) -> bytes:
    return _zlib(body, _GZIP, limit)


def _deflate(body: bytes, limit: int | None) -> bytes:
    try:
        return _zlib(body, zlib.MAX_WBITS, limit)
    except zlib.error:
        return _zlib(body, -zlib.MAX_WBITS, limit)  # raw deflate, as some servers send it


def _brotli(body: bytes, limit: int | None) -> bytes:
    import brotli  # a mitmproxy dependency, so always installed

    if limit is None:
        return bytes(brotli.decompress(body))
    # Fed in small pieces, as this brotli has no output limit: one piece of 16 bytes yields at
    # most one window (16 MiB), so the output passes the limit by at most that much.
    d, out = brotli.Decompressor(), bytearray()
    for i in range(0, len(body), 16):
        out += d.process(body[i:i + 16])
        _check(len(out), limit)
    if not d.is_finished():
        raise brotli.error("incomplete stream")
    return bytes(out)


def _zstd(body: bytes, limit: int | None) -> bytes:
    import zstandard  # a mitmproxy dependency, so always installed

    if limit is None:
        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body)) as r:
        out: bytes = r.read(limit + 1)
    _check(len(out), limit)
    return out


def _identity(body: bytes, limit: int | None) -> bytes:
    _check(len(body), limit)
    return bytes(body)


_DECODERS = {"gzip": _gzip, "x-gzip": _gzip, "deflate": _deflate,
             "br": _brotli, "zstd": _zstd, "identity": _identity, "none": _identity}


def decode(body: bytes, encoding: str, limit: int | None = None) -> bytes:
    """`body` with every coding in `encoding` undone, last applied first ("gzip, br").

    Raises ValueError for an unknown coding or a body that does not decode, and `TooLarge`
    (a ValueError) when a decoded body would be longer than `limit` bytes.
    """
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ValueError(f"unknown content encoding {coding!r}")
        try:
            body = decoder(body, limit)
        except TooLarge:
            raise
        except Exception as e:  # each library raises its own error type
            raise ValueError(f"cannot decode {coding}: {e}") from e
    return body
