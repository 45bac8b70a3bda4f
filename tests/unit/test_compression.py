"""opendynamo.model.compression: bounded inflation of gzip and zlib data."""

from __future__ import annotations

import gzip
import zlib

import pytest

from opendynamo.model.compression import GZIP, ZLIB, inflate


def test_every_gzip_member_is_inflated() -> None:
    data = gzip.compress(b"abc", mtime=0) + gzip.compress(b"def", mtime=0)
    assert inflate(data, GZIP, 100) == b"abcdef"


def test_zlib_framing() -> None:
    assert inflate(zlib.compress(b"{}"), ZLIB, 100) == b"{}"


def test_inflation_stops_one_byte_past_the_limit() -> None:
    bomb = gzip.compress(b"\0" * 1_000_000, mtime=0)  # about 1 KB
    assert len(inflate(bomb, GZIP, 1000)) == 1001
    two = gzip.compress(b"x" * 600, mtime=0) * 2
    assert len(inflate(two, GZIP, 1000)) == 1001  # the limit counts every member


@pytest.mark.parametrize(
    "data",
    [b"", b"not gzip", gzip.compress(b"abc", mtime=0)[:-6], gzip.compress(b"a", mtime=0) + b"junk"],
    ids=["empty", "not gzip", "truncated", "trailing junk"],
)
def test_what_does_not_inflate_is_a_zlib_error(data: bytes) -> None:
    with pytest.raises(zlib.error):
        inflate(data, GZIP, 100)
