"""Group commit in the SQLite store (storage/sqlite): between begin_group and end_group the
writes share one transaction, each in its own savepoint; nothing is visible to another
connection until end_group; a failing write block rolls back alone; reads in the group see
its writes; counter additions are written once, seen by every read; its reads before its first write share one snapshot; what `guard` read is kept
for the transaction, never past a change or its end; outside a group every write commits at
once."""

from __future__ import annotations

import time
from pathlib import Path

import apsw
import pytest

from opendynamo.storage.base import COUNTS
from opendynamo.storage.sqlite import SqliteStore, _Checkpointer


@pytest.fixture
def stores(tmp_path: Path) -> tuple[SqliteStore, SqliteStore]:
    path = str(tmp_path / "g.db")
    return SqliteStore(path), SqliteStore(path)


def seen(store: SqliteStore, key: bytes) -> bytes | None:
    with store.read() as txn:
        return txn.get(key)


def test_group_writes_commit_together(stores: tuple[SqliteStore, SqliteStore]) -> None:
    mine, other = stores
    mine.begin_group()
    assert not mine.group_open
    for n in range(3):
        with mine.write() as txn:
            txn.put(b"k%d" % n, b"v%d" % n)
    assert mine.group_open
    assert seen(mine, b"k2") == b"v2"  # the group reads its own writes
    assert seen(other, b"k0") is None  # nobody else does yet
    mine.end_group()
    assert not mine.group_open
    assert [seen(other, b"k%d" % n) for n in range(3)] == [b"v0", b"v1", b"v2"]


def test_a_failing_write_rolls_back_alone(stores: tuple[SqliteStore, SqliteStore]) -> None:
    mine, other = stores
    mine.begin_group()
    with mine.write() as txn:
        txn.put(b"a", b"1")
    with pytest.raises(RuntimeError), mine.write() as txn:
        txn.put(b"b", b"2")
        txn.put(b"a", b"overwritten")
        raise RuntimeError("condition failed")
    with mine.write() as txn:
        txn.put(b"c", b"3")
    mine.end_group()
    assert (seen(other, b"a"), seen(other, b"b"), seen(other, b"c")) == (b"1", None, b"3")


def test_outside_a_group_each_write_commits(stores: tuple[SqliteStore, SqliteStore]) -> None:
    mine, other = stores
    with mine.write() as txn:
        txn.put(b"x", b"1")
    assert seen(other, b"x") == b"1"
    mine.begin_group()
    mine.end_group()  # a group without writes commits nothing and leaves no transaction
    with mine.write() as txn:
        txn.put(b"y", b"2")
    assert seen(other, b"y") == b"2"


def test_reads_before_the_first_write_are_their_own(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    mine, other = stores
    mine.begin_group()
    assert seen(mine, b"z") is None  # a read transaction, not the group's write
    with other.write() as txn:  # so another writer is not blocked by it
        txn.put(b"z", b"1")
    with mine.write() as txn:
        assert txn.get(b"z") == b"1"
        txn.put(b"z", b"2")
    mine.end_group()
    assert seen(other, b"z") == b"2"


def test_reads_before_the_first_write_share_one_snapshot(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    mine, other = stores
    with other.write() as txn:
        txn.put(b"s", b"1")
    mine.begin_group()
    assert seen(mine, b"s") == b"1"
    assert mine.read_one(b"s") == b"1"
    with other.write() as txn:  # committed while the group reads
        txn.put(b"s", b"2")
    assert seen(mine, b"s") == b"1"  # the group's requests arrived together: one snapshot
    assert mine.read_one(b"s") == b"1"
    with mine.write() as txn:  # its first write ends the snapshot: writes see the latest
        assert txn.get(b"s") == b"2"
    mine.end_group()
    assert seen(mine, b"s") == b"2" and mine.read_one(b"s") == b"2"
    mine.begin_group()
    assert seen(mine, b"s") == b"2"
    mine.end_group()  # a group of reads only leaves no transaction open
    with other.write() as txn:
        txn.put(b"s", b"3")
    assert mine.read_one(b"s") == b"3"


def test_guarded_rows_follow_the_transaction(stores: tuple[SqliteStore, SqliteStore]) -> None:
    mine, other = stores
    with mine.write() as txn:
        txn.put(b"g", b"1")
    mine.begin_group()
    with mine.write() as txn:
        assert txn.guard(b"g") == b"1"
        txn.put(b"g", b"2")  # a change of the row replaces what was kept
        assert txn.guard(b"g") == b"2"
    with pytest.raises(RuntimeError), mine.write() as txn:
        txn.put(b"g", b"3")
        assert txn.guard(b"g") == b"3"
        raise RuntimeError("rolled back to its savepoint")
    with mine.write() as txn:
        assert txn.guard(b"g") == b"2"
        txn.delete(b"g")
        assert txn.guard(b"g") is None
        txn.put(b"h", b"1")
        assert txn.guard(b"h") == b"1"
        txn.delete_range(b"h", b"i")
        assert txn.guard(b"h") is None
    mine.end_group()
    with other.write() as txn:  # another connection, between this one's transactions
        txn.put(b"g", b"4")
    with mine.read() as txn:
        assert txn.guard(b"g") == b"4"


def counts(store: SqliteStore, key: bytes) -> tuple[int, int] | None:
    raw = seen(store, key)
    return None if raw is None else COUNTS.unpack(raw)


def test_counter_additions_are_written_once_and_read_by_all(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    mine, other = stores
    mine.begin_group()
    for _ in range(3):
        with mine.write() as txn:
            txn.add_many([(b"c1", 1, 10), (b"c2", 2, 20)])
    with mine.write() as txn:  # every read in the transaction sees what was added
        assert txn.get(b"c1") == COUNTS.pack(3, 30)
        txn.add_many([(b"c1", -1, -10)])
        assert dict(txn.range(b"c", b"d")) == {b"c1": COUNTS.pack(2, 20), b"c2": COUNTS.pack(6, 60)}
        txn.add_many([(b"c2", 1, 1)])
        assert txn.get_many([b"c0", b"c2"]) == [None, COUNTS.pack(7, 61)]
        txn.add_many([(b"c1", 5, 5)])
        txn.put(b"c1", COUNTS.pack(100, 100))  # a put after additions replaces their sum
        txn.add_many([(b"c1", 1, 1)])
    assert counts(other, b"c1") is None  # not before the group commits
    mine.end_group()
    assert (counts(other, b"c1"), counts(other, b"c2")) == ((101, 101), (7, 61))
    with mine.write() as txn:  # outside a group, at the commit
        txn.add_many([(b"c2", -7, -61), (b"c3", 0, 0)])
    assert (counts(other, b"c2"), counts(other, b"c3")) == ((0, 0), None)


def test_a_failing_write_takes_back_its_counter_additions(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    mine, other = stores
    mine.begin_group()
    with mine.write() as txn:
        txn.add_many([(b"k", 1, 1)])
    with pytest.raises(RuntimeError), mine.write() as txn:
        txn.add_many([(b"k", 10, 10)])
        assert txn.get(b"k") == COUNTS.pack(11, 11)  # written within the savepoint...
        txn.add_many([(b"k", 100, 100)])
        raise RuntimeError("condition failed")
    with mine.write() as txn:  # ... and taken back with it: the first write's addition stays
        txn.add_many([(b"k", 1000, 1000)])
    mine.end_group()
    assert counts(other, b"k") == (1001, 1001)
    with pytest.raises(RuntimeError), mine.write() as txn:
        txn.add_many([(b"k", 5, 5)])
        raise RuntimeError("outside a group")
    assert counts(other, b"k") == (1001, 1001)
    with mine.write() as txn:
        txn.add_many([(b"k", 1, 1)])
        txn.delete_range(b"k", b"l")  # an addition kept goes with the range it is in
    assert counts(other, b"k") is None


def test_put_many_is_puts_in_order(stores: tuple[SqliteStore, SqliteStore]) -> None:
    mine, other = stores
    pairs = [(b"p%03d" % n, b"%d" % n) for n in range(250)]  # three statements
    pairs.append((b"p007", b"again"))  # a key given twice ends with its last value
    with mine.write() as txn:
        assert txn.guard(b"p001") is None
        txn.add_many([(b"p002", 1, 1)])
        txn.put_many(pairs)  # replaces what guard kept and what was added
        assert txn.guard(b"p001") == b"1"
    with other.read() as txn:
        stored = dict(txn.range(b"p", b"q"))
    assert len(stored) == 250
    assert (stored[b"p007"], stored[b"p002"], stored[b"p249"]) == (b"again", b"2", b"249")


def test_the_checkpoint_thread_waits_for_a_busy_file(tmp_path: Path) -> None:
    """Its connection's first statement may meet another connection's lock (a server's
    start): it waits for it, as every connection does, instead of dying with the WAL left
    to grow."""
    path = str(tmp_path / "c.db")
    holder = apsw.Connection(path)  # a journal, not a WAL: a writer's lock stops readers
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    checkpointer = _Checkpointer(path, None)
    checkpointer.start()
    time.sleep(0.3)
    holder.execute("COMMIT")
    time.sleep(0.3)
    try:
        assert checkpointer.is_alive()
    finally:
        checkpointer.stop()
        holder.close()
    assert not checkpointer.is_alive()
