"""Content-Encoding decoding: every coding round-trips, and a limit stops a compression bomb."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

from postmock_core.history.codecs import TooLarge, decode

TEXT = b'{"name": "Ada", "bio": "' + b"x" * 5000 + b'"}'
ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_each_coding_round_trips_with_and_without_a_limit(coding: str) -> None:
    packed = ENCODERS[coding](TEXT)
    assert decode(packed, coding) == TEXT
    assert decode(packed, coding, limit=len(TEXT)) == TEXT
    with pytest.raises(TooLarge):
        decode(packed, coding, limit=len(TEXT) - 1)


def test_stacked_codings_multi_member_gzip_and_raw_deflate() -> None:
    assert decode(brotli.compress(gzip.compress(TEXT)), "gzip, br", limit=len(TEXT)) == TEXT
    assert decode(gzip.compress(b"one ") + gzip.compress(b"two"), "gzip", limit=7) == b"one two"
    with pytest.raises(TooLarge):
        decode(gzip.compress(b"one ") + gzip.compress(b"two"), "gzip", limit=6)
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decode(raw.compress(TEXT) + raw.flush(), "deflate", limit=len(TEXT)) == TEXT


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_a_bomb_stops_at_the_limit(coding: str) -> None:
    bomb = ENCODERS[coding](b"\0" * (64 << 20))  # 64 MiB of zeros in a few KB at most
    assert len(bomb) < 200_000
    with pytest.raises(TooLarge):
        decode(bomb, coding, limit=1 << 20)


@pytest.mark.parametrize(("body", "coding"), [(b"not gzip", "gzip"), (gzip.compress(TEXT, mtime=0)[:-9], "gzip"),
                                              (b"\x00garbage", "br"), (b"junk", "zstd"), (b"x", "compress")])
def test_a_body_that_does_not_decode_is_a_value_error(body: bytes, coding: str) -> None:
    with pytest.raises(ValueError) as info:
        decode(body, coding, limit=1 << 20)
    assert not isinstance(info.value, TooLarge)
