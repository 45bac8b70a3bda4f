"""Table counters spread over buckets add up, also beside a counter row of the format before
buckets (an existing store keeps its counts)."""

from __future__ import annotations

import struct

from opendynamo.engine import stats
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.sqlite import SqliteStore

PAIR = struct.Struct(">qq")


def meta() -> TableMeta:
    return TableMeta(
        name="t",
        uid="ab" * 16,
        account="000000000000",
        region="us-east-1",
        created=0.0,
        status="ACTIVE",
        hash_key="pk",
        hash_type="S",
        range_key=None,
        range_type=None,
        attribute_definitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )


def test_buckets_and_the_old_single_row_add_up() -> None:
    store = SqliteStore(None)
    table = meta()
    uid = table.uid_bytes
    with store.write() as txn:
        txn.put(layout.STATS + uid, PAIR.pack(5, 500))  # the table's row before buckets
        txn.put(layout.STATS + uid + (1).to_bytes(2, "big"), PAIR.pack(2, 20))  # index 1's
        tally = stats.Tally()
        for bucket, count in ((0, 3), (7, 1), (255, 2)):
            tally.add(layout.stats_key(uid, 0, bucket), count, count * 10)
        tally.add(layout.stats_key(uid, 1, 9), 4, 40)
        tally.add(layout.stats_key(uid, 2, 9), 1, 1)
        tally.apply(txn)
    with store.read() as txn:
        assert stats.read(txn, table) == (5 + 6, 500 + 60)
        assert stats.read_index(txn, table, 1) == (6, 60)
        assert stats.read_index(txn, table, 2) == (1, 1)
        assert stats.read_index(txn, table, 3) == (0, 0)


def test_a_partition_counter_bucket_is_distributed_beside_its_rows() -> None:
    uid = b"\x11" * 16
    item_key = layout.items_prefix(uid) + bytes([0xC4, 1, 2, 3]) + b"\x01abc\x00"
    entry_key = layout.index_prefix(uid, 3) + bytes([0x2A, 9, 9, 9]) + b"rest"
    assert layout.distribution(item_key) == 0xC4
    assert layout.distribution(layout.stats_key(uid, 0, layout.item_bucket(item_key[17:]))) == 0xC4
    assert layout.distribution(entry_key) == 0x2A
    assert layout.distribution(layout.stats_key(uid, 3, layout.entry_bucket(entry_key))) == 0x2A
    assert layout.distribution(layout.catalog_key("1", "r", "t")) == 0
    partition = layout.items_prefix(uid) + bytes([0xC4, 1, 2, 3]) + b"\x01abc"
    assert layout.range_distribution(partition, partition + b"\xff") == 0xC4
    assert (
        layout.range_distribution(layout.items_prefix(uid), layout.items_prefix(uid) + b"\xff")
        is None
    )
