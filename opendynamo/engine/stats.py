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
    raw = txn.get(layout.stats_key(meta.uid_bytes))
    if raw is None:
        return 0, 0
    count, size = _COUNTERS.unpack(raw)
    return count, size


def adjust(txn: WriteTxn, meta: TableMeta, count_delta: int, size_delta: int) -> None:
    if not count_delta and not size_delta:
        return
    count, size = read(txn, meta)
    txn.put(
        layout.stats_key(meta.uid_bytes),
        _COUNTERS.pack(count + count_delta, size + size_delta),
    )
