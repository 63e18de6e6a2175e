"""Content-Encoding decoding (gzip, deflate, br, zstd), without mitmproxy."""

from __future__ import annotations

import gzip
import zlib

__all__ = ["decode"]


def _deflate(body: bytes) -> bytes:
    try:
        return zlib.decompress(body)
    except zlib.error:
        return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some servers send it


def _brotli(body: bytes) -> bytes:
    import brotli  # a mitmproxy dependency, so always installed

    return bytes(brotli.decompress(body))


def _zstd(body: bytes) -> bytes:
    import zstandard  # a mitmproxy dependency, so always installed

    return zstandard.ZstdDecompressor().decompressobj().decompress(body)


_DECODERS = {"gzip": gzip.decompress, "x-gzip": gzip.decompress, "deflate": _deflate,
             "br": _brotli, "zstd": _zstd, "identity": bytes, "none": bytes}


def decode(body: bytes, encoding: str) -> bytes:
    """`body` with every coding in `encoding` undone, last applied first ("gzip, br").

    Raises ValueError for an unknown coding or a body that does not decode.
    """
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ValueError(f"unknown content encoding {coding!r}")
        try:
            body = decoder(body)
        except Exception as e:  # each library raises its own error type
            raise ValueError(f"cannot decode {coding}: {e}") from e
    return body
