"""Inflating gzip and zlib data within a size bound: what a request body's Content-Encoding
and an ImportTable source object both need, since a few kilobytes may inflate to gigabytes.
"""

from __future__ import annotations

import zlib

GZIP = 31  # zlib's wbits for gzip framing
ZLIB = 15  # zlib's wbits for zlib framing (HTTP's "deflate")


def inflate(data: bytes, wbits: int, limit: int) -> bytes:
    """Every member of `data` decompressed in turn (a gzip body may hold several), stopping
    one byte past `limit`: a result longer than `limit` means the whole is too large, however
    small `data` is, and nothing more was inflated. zlib.error when `data` is not of the
    format, is empty, or ends inside a member."""
    out = bytearray()
    while True:
        decompressor = zlib.decompressobj(wbits=wbits)
        out += decompressor.decompress(data, limit + 1 - len(out))
        if len(out) > limit:
            return bytes(out)
        if not decompressor.eof:
            raise zlib.error("Compressed file ended before the end-of-stream marker was reached")
        data = decompressor.unused_data
        if not data:
            return bytes(out)
