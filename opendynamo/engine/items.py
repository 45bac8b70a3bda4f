"""Reading and writing one item inside a storage transaction.

A stored item is `ITEM_FORMAT` (one byte, never renumber) + its DynamoDB size (4 bytes,
big-endian) + the item as JSON in DynamoDB's wire form. Keeping the size beside the item makes
capacity accounting of the old image free, and the wire-form JSON lets GetItem answer with the
stored bytes as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson

from opendynamo import errors
from opendynamo.engine import stats
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.model.sizes import item_size
from opendynamo.model.values import Item
from opendynamo.storage.base import ReadTxn, WriteTxn

ITEM_FORMAT = b"\x01"
MAX_ITEM_BYTES = 400 * 1024
_HEADER = 5

Mutation = Callable[[Item | None], Item | None]


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What one item write did: the images before and after, and their DynamoDB sizes."""

    old: Item | None
    new: Item | None
    old_size: int
    new_size: int


def storage_key(meta: TableMeta, encoded_key: bytes) -> bytes:
    return layout.items_prefix(meta.uid_bytes) + encoded_key


def encode_item(item: Item, size: int) -> bytes:
    return ITEM_FORMAT + size.to_bytes(4, "big") + orjson.dumps(item)


def item_json(stored: bytes) -> bytes:
    """The wire-form JSON of a stored item, without decoding it."""
    return stored[_HEADER:]


def stored_size(stored: bytes) -> int:
    return int.from_bytes(stored[1:_HEADER], "big")


def decode_item(stored: bytes) -> Item:
    item: Item = orjson.loads(memoryview(stored)[_HEADER:])
    return item


def get_raw(txn: ReadTxn, meta: TableMeta, encoded_key: bytes) -> bytes | None:
    return txn.get(storage_key(meta, encoded_key))


def get(txn: ReadTxn, meta: TableMeta, encoded_key: bytes) -> Item | None:
    raw = get_raw(txn, meta, encoded_key)
    return None if raw is None else decode_item(raw)


def write(
    txn: WriteTxn,
    meta: TableMeta,
    encoded_key: bytes,
    mutation: Mutation,
    size_error: str = "Item size has exceeded the maximum allowed size",
) -> WriteOutcome:
    """Apply `mutation` to the item at the key: it gets the current item (or None) and returns
    the new one (None deletes). It may raise — a failed condition — and then nothing changes.
    An item over 400 KB is refused with `size_error`."""
    key = storage_key(meta, encoded_key)
    raw = txn.get(key)
    old = None if raw is None else decode_item(raw)
    old_size = 0 if raw is None else stored_size(raw)
    new = mutation(old)
    if new is None:
        if raw is not None:
            txn.delete(key)
            stats.adjust(txn, meta, -1, -old_size)
        return WriteOutcome(old, None, old_size, 0)
    new_size = item_size(new)
    if new_size > MAX_ITEM_BYTES:
        raise errors.validation(size_error)
    txn.put(key, encode_item(new, new_size))
    stats.adjust(txn, meta, 0 if raw is not None else 1, new_size - old_size)
    return WriteOutcome(old, new, old_size, new_size)
