"""Per-table item count and size, kept exact in the same transaction as every write.

DynamoDB refreshes ItemCount and TableSizeBytes about every six hours; exact counters are a
stricter answer that costs one small row write per item write.
"""

from __future__ import annotations

import struct

from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn

_COUNTERS = struct.Struct(">qq")


def read(txn: ReadTxn, meta: TableMeta) -> tuple[int, int]:
    """(item count, total item bytes) of the table."""
    return read_key(txn, layout.stats_key(meta.uid_bytes))


def read_index(txn: ReadTxn, meta: TableMeta, number: int) -> tuple[int, int]:
    """(entry count, total entry bytes) of one secondary index."""
    return read_key(txn, layout.index_stats_key(meta.uid_bytes, number))


def read_key(txn: ReadTxn, key: bytes) -> tuple[int, int]:
    raw = txn.get(key)
    if raw is None:
        return 0, 0
    count, size = _COUNTERS.unpack(raw)
    return count, size


class Tally:
    """Item count and size changes gathered over many writes, for `adjust` to apply at once
    (bulk loading: one counter update per batch instead of one per item)."""

    __slots__ = ("count", "size")

    def __init__(self) -> None:
        self.count = 0
        self.size = 0

    def apply(self, txn: WriteTxn, meta: TableMeta) -> None:
        adjust(txn, meta, self.count, self.size)
        self.count = self.size = 0


def adjust(txn: WriteTxn, meta: TableMeta, count_delta: int, size_delta: int) -> None:
    adjust_key(txn, layout.stats_key(meta.uid_bytes), count_delta, size_delta)


def adjust_key(txn: WriteTxn, key: bytes, count_delta: int, size_delta: int) -> None:
    if not count_delta and not size_delta:
        return
    count, size = read_key(txn, key)
    txn.put(key, _COUNTERS.pack(count + count_delta, size + size_delta))
