"""Per-table and per-index item count and size, kept exact in the same transaction as every
write.

DynamoDB refreshes ItemCount and TableSizeBytes about every six hours; exact counters are a
stricter answer that costs one small row write per item write (`WriteTxn.add_many`; SQLite
writes it once per commit group). A store that runs writers side by side (PostgreSQL) spreads
each table's counters over buckets by partition hash (`WriteTxn.counter_buckets`), so writers
of different partitions do not wait on one row and a partition's counter bucket lives beside
its items (model/layout.distribution); readers add the buckets up. SQLite, with one writer at
a time, keeps one bucket.
"""

from __future__ import annotations

from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import COUNTS, ReadTxn, WriteTxn


def read(txn: ReadTxn, meta: TableMeta) -> tuple[int, int]:
    """(item count, total item bytes) of the table."""
    return _sum(txn, meta.uid_bytes, 0)


def read_index(txn: ReadTxn, meta: TableMeta, number: int) -> tuple[int, int]:
    """(entry count, total entry bytes) of one secondary index."""
    return _sum(txn, meta.uid_bytes, number)


def _sum(txn: ReadTxn, uid: bytes, number: int) -> tuple[int, int]:
    count = size = 0
    start, end = layout.stats_range(uid, number)
    for _, raw in txn.range(start, end):
        bucket_count, bucket_size = COUNTS.unpack(raw)
        count += bucket_count
        size += bucket_size
    return count, size


def item_counter(txn: WriteTxn, meta: TableMeta, encoded_key: bytes) -> bytes:
    """The key of the table's counter bucket that counts the item at `encoded_key`."""
    bucket = layout.item_bucket(encoded_key) % txn.counter_buckets
    return layout.stats_key(meta.uid_bytes, 0, bucket)


def entry_counter(txn: WriteTxn, meta: TableMeta, number: int, entry_key: bytes) -> bytes:
    """The key of index `number`'s counter bucket that counts the entry at `entry_key`."""
    bucket = layout.entry_bucket(entry_key) % txn.counter_buckets
    return layout.stats_key(meta.uid_bytes, number, bucket)


class Tally:
    """Counter changes gathered over many writes, for `apply` to write once per counter
    (a batch or a bulk load: one counter update per bucket instead of one per item), and the
    change-log entries of those writes (engine/changes), appended together by `apply` under
    one stamp: the changes of one transaction share an instant."""

    __slots__ = ("changes", "log", "versions")

    def __init__(self) -> None:
        self.changes: dict[bytes, list[int]] = {}
        self.log: list[tuple[bytes, bytes, bytes]] = []
        # Items of replicas written (engine/replication): (version key, stamp, region); a
        # stamp of None is this transaction's own, known once the log is appended.
        self.versions: list[tuple[bytes, int | None, str]] = []

    def add(self, counter: bytes, count_delta: int, size_delta: int) -> None:
        change = self.changes.get(counter)
        if change is None:
            self.changes[counter] = [count_delta, size_delta]
        else:
            change[0] += count_delta
            change[1] += size_delta

    def apply(self, txn: WriteTxn) -> None:
        # Many counters (a batch, a bulk load: on PostgreSQL up to 256 buckets a table) are
        # all read, and all written, in one call each; SQLite writes them once per group.
        changes = sorted(self.changes.items())
        self.changes.clear()
        changed = [(key, count, size) for key, (count, size) in changes if count or size]
        if changed:
            txn.add_many(changed)
        stamp = None
        if self.log:
            # Last: stamped once every lock of the transaction is held (counters included),
            # so that only the commit lies between a change's stamp and its being seen.
            stamp = txn.append(self.log)
            self.log = []
        if self.versions:
            for key, given, region in self.versions:
                if given is None and stamp is None:
                    stamp = txn.append([])
                version = given if given is not None else stamp
                assert version is not None
                txn.put(key, version.to_bytes(8, "big") + region.encode())
            self.versions = []

