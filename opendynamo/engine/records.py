"""The stored form of an item or an index entry: `FORMAT` (one byte, never renumber) + its
DynamoDB size (4 bytes, big-endian) + the attributes as JSON in DynamoDB's wire form.

Keeping the size beside the item makes capacity accounting free, and the wire-form JSON lets
reads answer with the stored bytes as they are.
"""

from __future__ import annotations

import orjson

from opendynamo.model.values import Item

FORMAT = b"\x01"
HEADER = 5


def encode(item: Item, size: int) -> bytes:
    return FORMAT + size.to_bytes(4, "big") + orjson.dumps(item)


def decode(stored: bytes) -> Item:
    item: Item = orjson.loads(memoryview(stored)[HEADER:])
    return item


def json_of(stored: bytes) -> bytes:
    """The wire-form JSON of a stored record, without decoding it."""
    return stored[HEADER:]


def size_of(stored: bytes) -> int:
    return int.from_bytes(stored[1:HEADER], "big")
