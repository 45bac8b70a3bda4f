"""Point-in-time recovery keeps what its recovery period needs and no more (engine/backups
`maintain`), on a real SQLite store: a table's change log and snapshots, as the days pass.

- While the period reaches back before the first snapshot, everything is kept.
- Once a newer snapshot is older than the period's start, older snapshots (and their rows) are
  dropped and the log is trimmed to that snapshot's start: what remains still restores any
  instant inside the period.
- A new snapshot is started once the newest is older than the snapshot interval.
- Disabling recovery drops its snapshots and the whole log.
"""

from __future__ import annotations

from opendynamo.engine import backups, catalog, changes, items, jobs
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import keycodec, layout
from opendynamo.storage.base import prefix_end
from opendynamo.storage.sqlite import SqliteStore

DAY = 86400.0


def new_table(store: SqliteStore) -> TableMeta:
    meta = TableMeta(
        name="orders",
        uid=catalog.new_uid(),
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
    with store.write() as txn:
        catalog.put_table(txn, meta)
    return meta


def current(store: SqliteStore, meta: TableMeta) -> TableMeta:
    with store.read() as txn:
        found = catalog.find_table(txn, meta.account, meta.region, meta.name)
    assert found is not None
    return found


def put(store: SqliteStore, meta: TableMeta, key: str, value: str) -> None:
    encoded = keycodec.encode_key({"S": key}, None)
    item = {"pk": {"S": key}, "v": {"S": value}}
    latest = current(store, meta)
    with store.write() as txn:
        items.write(txn, latest, encoded, items.replacing(item))


def run_jobs(store: SqliteStore) -> None:
    while jobs.step(store):
        pass


def snapshots(store: SqliteStore, meta: TableMeta) -> list[backups.Snapshot]:
    with store.read() as txn:
        return [s for s in backups.listed(txn, meta.account, meta.region) if s.kind == "PITR"]


def log_stamps(store: SqliteStore, meta: TableMeta) -> list[int]:
    prefix = layout.changes_prefix(meta.uid_bytes)
    with store.read() as txn:
        return [layout.change_stamp(k) for k, _ in txn.range(prefix, prefix_end(prefix))]


def rows_of(store: SqliteStore, snapshot: backups.Snapshot) -> int:
    prefix = layout.snapshot_prefix(snapshot.uid_bytes)
    with store.read() as txn:
        return len(list(txn.range(prefix, prefix_end(prefix))))


def test_retention_follows_the_recovery_period() -> None:
    store = SqliteStore(None)
    meta = new_table(store)
    put(store, meta, "a", "0")
    log_from = backups.clock_us(store) - 1
    latest = current(store, meta)
    with store.write() as txn:
        backups.enable_pitr(txn, latest, 1, log_from / 1e6, log_from)
    run_jobs(store)
    first = snapshots(store, meta)
    assert [s.status for s in first] == ["AVAILABLE"] and rows_of(store, first[0]) == 1
    for value in ("1", "2"):
        put(store, meta, "a", value)
    assert len(log_stamps(store, meta)) == 2

    now = store.now()
    backups.maintain(store, now)  # the newest snapshot is seconds old: nothing to do
    assert len(snapshots(store, meta)) == 1

    # A day and a half on: a new snapshot is due (interval 1 day); the period (1 day) still
    # reaches back before it, so the first stays and so does the log.
    backups.maintain(store, now + 1.5 * DAY)
    run_jobs(store)
    assert len(snapshots(store, meta)) == 2
    put(store, meta, "a", "3")
    assert len(log_stamps(store, meta)) == 3

    # Three days on, the second snapshot's start is older than the period's: the first
    # snapshot and the log entries before the second one's start go.
    second = snapshots(store, meta)[1]
    backups.maintain(store, now + 3 * DAY)
    remaining = snapshots(store, meta)
    assert second.uid in {s.uid for s in remaining}
    assert first[0].uid not in {s.uid for s in remaining}
    assert rows_of(store, first[0]) == 0
    assert all(stamp > second.log_from for stamp in log_stamps(store, meta))
    assert len(log_stamps(store, meta)) == 1
    assert current(store, meta).change_log == {"pitr": second.log_from}

    latest = current(store, meta)
    with store.write() as txn:
        backups.disable_pitr(txn, latest)
    assert snapshots(store, meta) == []
    assert log_stamps(store, meta) == []
    assert current(store, meta).change_log == {}
    put(store, meta, "a", "4")  # no log without a holder
    assert log_stamps(store, meta) == []


def test_change_records_round_trip() -> None:
    store = SqliteStore(None)
    meta = new_table(store)
    held = catalog.replace(meta, change_log={"test": 0})
    with store.write() as txn:
        catalog.put_table(txn, held)
    put(store, meta, "k", "x")
    encoded = keycodec.encode_key({"S": "k"}, None)
    latest = current(store, meta)
    with store.write() as txn:
        items.write(txn, latest, encoded, items.replacing(None))
    with store.read() as txn:
        found = [c for _, c in changes.read(txn, meta.uid_bytes, 0, 2**62)]
    assert [(c.old is None, c.new is None) for c in found] == [(True, False), (False, True)]
    assert found[0].encoded_key == encoded and found[0].stamp < found[1].stamp
    assert found[0].new == found[1].old
