"""The stored form of an item or an index entry: `FORMAT` (one byte, never renumber), its
DynamoDB size (4 bytes, big-endian), its page size (4 bytes, big-endian) and the attributes
as JSON in DynamoDB's wire form. Records of format 0x01 (written before the page size was kept)
have no page size; they are read as they are and get one when next written.

Keeping both sizes beside the item makes capacity accounting and the 1 MB page cut free, and
the wire-form JSON lets reads answer with the stored bytes as they are.
"""

from __future__ import annotations

import orjson

from opendynamo.model.sizes import page_size
from opendynamo.model.values import Item

FORMAT = b"\x02"  # size + page size + JSON
FORMAT_SIZE_ONLY = 0x01  # size + JSON (never renumber: stores hold such records)
HEADER = 9
HEADER_SIZE_ONLY = 5
# In a record of FORMAT, these 8 bytes read as one big-endian integer are size << 32 | page
# size: adding them up sums both at once, as a page read does for every row.
SIZES = slice(1, 9)
PAGE_SIZE_MASK = 0xFFFFFFFF


def encode(item: Item, size: int, page: int) -> bytes:
    """The record of `item`, of DynamoDB size `size` and page size `page`
    (`model/sizes.page_size`)."""
    return FORMAT + size.to_bytes(4, "big") + page.to_bytes(4, "big") + orjson.dumps(item)


def decode(stored: bytes) -> Item:
    header = HEADER_SIZE_ONLY if stored[0] == FORMAT_SIZE_ONLY else HEADER
    item: Item = orjson.loads(memoryview(stored)[header:])
    return item


def json_of(stored: bytes) -> bytes:
    """The wire-form JSON of a stored record, without decoding it."""
    return stored[HEADER_SIZE_ONLY if stored[0] == FORMAT_SIZE_ONLY else HEADER :]


def jsons_of(rows: list[bytes]) -> list[bytes]:
    """`json_of` of each record of a page, in one pass."""
    old = FORMAT_SIZE_ONLY
    return [row[HEADER_SIZE_ONLY:] if row[0] == old else row[HEADER:] for row in rows]


def size_of(stored: bytes) -> int:
    return int.from_bytes(stored[1:5], "big")


def packed_sizes(stored: bytes, range_key: str | None) -> int:
    """size << 32 | page size of any record (`range_key`: as for `page_size_of`)."""
    if stored[0] == FORMAT_SIZE_ONLY:
        return size_of(stored) << 32 | page_size_of(stored, range_key)
    return int.from_bytes(stored[SIZES], "big")


def page_size_of(stored: bytes, range_key: str | None) -> int:
    """The page size of a record; for a record of format 0x01, computed from its item
    (`range_key`: the table's sort key)."""
    if stored[0] == FORMAT_SIZE_ONLY:
        return page_size(decode(stored), range_key)
    return int.from_bytes(stored[5:9], "big")
