"""Background work: GSI backfills and the removal of deleted indexes, run by one housekeeper
per store.

Every worker process runs a housekeeper loop (server/housekeeper.py); a lease row in the store
elects the one that works, so a fleet never runs a job twice, and another takes over within
seconds when it dies. Each step is one short transaction that leaves the store consistent, and
its progress (a backfill's cursor) is saved in the same transaction, so work resumes where it
stopped after a restart.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from dataclasses import replace

from opendynamo import errors
from opendynamo.engine import (
    arns,
    backups,
    capacity,
    catalog,
    expiry,
    exports,
    imports,
    indexes,
    insights,
    records,
    replication,
    stats,
    tuning,
)
from opendynamo.engine.buckets import Buckets
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model import layout
from opendynamo.model.sizes import item_size, page_size
from opendynamo.model.values import Item
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

LEASE_KEY = layout.LEASE + b"housekeeper"
LEASE_SECONDS = 5.0
_LEASE = struct.Struct(">16sd")
log = logging.getLogger("opendynamo.jobs")


def acquire_lease(store: Store, owner: bytes, now: float | None = None) -> bool:
    """Take or renew the housekeeper lease for `owner` (16 bytes); False when another
    process holds a lease that has not expired. Time is the store's clock (the database
    server's, for a fleet), so machines whose clocks disagree still agree on the lease."""
    now = store.now() if now is None else now
    with store.write() as txn:
        raw = txn.get(LEASE_KEY)
        if raw is not None:
            holder, expiry = _LEASE.unpack(raw)
            if holder != owner and expiry > now:
                return False
        txn.put(LEASE_KEY, _LEASE.pack(owner, now + LEASE_SECONDS))
    return True


def lease_holder(txn: ReadTxn) -> tuple[bytes, float] | None:
    """Who holds (or last held) the housekeeper lease, and when it expires (the store's
    clock); None before any process took it."""
    raw = txn.get(LEASE_KEY)
    if raw is None:
        return None
    holder, expiry = _LEASE.unpack(raw)
    return bytes(holder), float(expiry)


def mark(txn: WriteTxn, meta: TableMeta) -> None:
    """Record that the table has background work pending."""
    txn.put(layout.job_key(meta.account, meta.region, meta.name), b"")


# Told the write units a backfill step spent on an index (OnlineIndexConsumedWriteCapacity).
Backfilled = Callable[[TableMeta, str, float], None]


def step(
    store: Store,
    batch: int | None = None,
    buckets: Buckets | None = None,
    backfilled: Backfilled | None = None,
) -> bool:
    """Do one unit of pending work (a backfill batch, an index removal, a batch of a backup
    or a restore); False when there is none. A step that raises is logged and tried again;
    a job whose steps fail FAIL_AFTER times in a row ends FAILED, with the reason."""
    global _last
    batch = min(batch or tuning.current.backfill_batch, store.bulk_batch)
    # Jobs take turns, a step each: a long restore does not hold up a backup or a backfill.
    end = prefix_end(layout.JOBS)
    with store.read() as txn:
        pending = [key for key, _ in txn.range(_last + b"\x00", end, limit=16)]
        if len(pending) < 16:
            pending += [key for key, _ in txn.range(layout.JOBS, end, limit=16) if key <= _last]
    for job in pending:
        _last = job
        try:
            worked = _work(store, job, batch, buckets, backfilled)
        except Exception as exc:
            _failed(store, job, exc)
            return True
        _failures.pop(job, None)
        if worked:
            return True
    return False


FAIL_AFTER = 3  # failed steps in a row that end a job (one may be a passing fault)
_failures: dict[bytes, int] = {}


def _failed(store: Store, job: bytes, exc: Exception) -> None:
    count = _failures[job] = _failures.get(job, 0) + 1
    log.error("a step of job %s failed (%d of %d)", job.hex(), count, FAIL_AFTER, exc_info=exc)
    if count < FAIL_AFTER:
        return
    del _failures[job]
    reason = f"{type(exc).__name__}: {exc}"
    try:
        _give_up(store, job, reason)
    except Exception:
        log.exception("job %s could not be marked failed; it is dropped", job.hex())
        with store.write() as txn:
            txn.delete(job)
    log.error("job %s ended FAILED: %s", job.hex(), reason)


def _give_up(store: Store, job: bytes, reason: str) -> None:
    """End a job whose steps keep failing, so nothing stays in progress forever."""
    kind = job[len(layout.JOBS) : len(layout.JOBS) + 1]
    if kind == layout.BACKUP:
        backups.fail_job(store, job)
    elif kind == layout.EXPORT:
        exports.fail_job(store, job, reason)
    elif kind == layout.IMPORT:
        imports.fail(store, job, reason)
    else:
        _give_up_table_work(store, job, reason)


def _give_up_table_work(store: Store, job: bytes, reason: str) -> None:
    """A restore that cannot finish removes its half-filled table; an index that cannot be
    built is removed; an expiry index that cannot be built is marked FAILED with the reason
    (the table's TTL sweeps read it whole); anything else is left as it is, with no work
    pending."""
    with store.write() as txn:
        raw = txn.get(job[len(layout.JOBS) :])
        meta = None if raw is None else catalog.decode(job[len(layout.JOBS) :], raw)
        building = [] if meta is None else [i for i in meta.indexes if i.status == "CREATING"]
        if meta is not None and meta.restore is not None:
            catalog.remove_table(txn, meta)
        elif meta is not None and building:
            dropped = tuple(
                replace(i, status="DELETING", backfilling=False) if i in building else i
                for i in meta.indexes
            )
            catalog.put_table(txn, catalog.replace(meta, indexes=dropped))
            return  # the removal is the job's next step
        unbuilt = None if meta is None else expiry.failed(meta, reason)
        if unbuilt is not None:
            catalog.put_table(txn, unbuilt)
        txn.delete(job)


def _work(
    store: Store,
    job: bytes,
    batch: int,
    buckets: Buckets | None = None,
    backfilled: Backfilled | None = None,
) -> bool:
    """One step of the job; False when it has to wait."""
    kind = job[len(layout.JOBS) : len(layout.JOBS) + 1]
    if kind == layout.BACKUP:
        return backups.step(store, job, batch)
    if kind == layout.EXPORT:
        return exports.step(store, job, buckets, batch)
    if kind == layout.IMPORT:
        return imports.step(store, job, buckets, batch)
    return _work_on(store, job, batch, backfilled)


_last = layout.JOBS  # the job this process worked on last


def finish(
    store: Store,
    job: bytes,
    batch: int | None = None,
    pause: float = 0.1,
    buckets: Buckets | None = None,
) -> None:
    """Work on one job (JOBS + the key it names) until it is done, here and now: the offline
    commands do so (a running server's housekeeper may share the work; each step is one
    transaction that picks up where the last one stopped)."""
    batch = min(batch or tuning.current.backfill_batch, store.bulk_batch)
    while store.read_one(job) is not None:
        if not _work(store, job, batch, buckets):
            time.sleep(pause)


def finish_table(store: Store, account: str, region: str, table_name: str) -> None:
    """`finish` the background work of a table (a restore, a backfill)."""
    finish(store, layout.job_key(account, region, table_name))


def finish_backup(store: Store, arn: str) -> None:
    """`finish` the copying of an on-demand backup, named by its ARN."""
    ref = arns.owned_ref(arn, "backup")
    if ref is None:
        raise ValueError(f"not a backup ARN: {arn}")
    finish(store, layout.JOBS + layout.backup_key(ref.account, ref.region, ref.id))


def _work_on(store: Store, job: bytes, batch: int, backfilled: Backfilled | None) -> bool:
    """One step of a table's work; False when what there is has to wait."""
    with store.write() as txn:
        raw = txn.get(job[len(layout.JOBS) :])
        if raw is None:
            txn.delete(job)  # the table is gone, and its work with it
            return True
        meta = catalog.decode(job[len(layout.JOBS) :], raw)
        if meta.restore is not None:
            return backups.restore_step(txn, meta, batch)
        if meta.replication is not None and "copy" in meta.replication:
            return replication.copy_step(txn, meta, batch)
        if meta.tombstone:  # a deleted table shown DELETING: its row goes once that ends
            if not catalog.gone(meta, time.time()):
                return False
            txn.delete(job[len(layout.JOBS) :])
            txn.delete(job)
            return True
        waiting = False
        for index in meta.indexes:
            if index.status == "DELETING" and index.held:
                waiting = True  # shown DELETING (--delay-transient-statuses) a while yet
            elif index.status == "DELETING":
                _remove_index(txn, meta, index)
                return True
            elif index.status == "CREATING":
                units = _backfill(txn, meta, index, batch)
                if backfilled is not None and units:
                    backfilled(meta, index.name, units)
                return True
        if expiry.step(txn, meta, batch):  # Time to Live's expiry index: built or dropped
            return True
        if waiting:
            return False
        txn.delete(job)
        return True


def _remove_index(txn: WriteTxn, meta: TableMeta, index: IndexMeta) -> None:
    prefix = layout.index_prefix(meta.uid_bytes, index.number)
    end = prefix_end(prefix)
    assert end is not None
    txn.delete_range(prefix, end)
    txn.delete_range(*layout.stats_range(meta.uid_bytes, index.number))
    counted = layout.insights_index_prefix(meta.uid_bytes, index.number)
    counted_end = prefix_end(counted)
    assert counted_end is not None
    txn.delete_range(counted, counted_end)
    remaining = tuple(i for i in meta.indexes if i.name != index.name)
    used = set(meta.key_names).union(*(i.key_names for i in remaining))
    definitions = [d for d in meta.attribute_definitions if d["AttributeName"] in used]
    kept = catalog.replace(meta, indexes=remaining, attribute_definitions=definitions)
    catalog.put_table(txn, catalog.replace(kept, tracks_keys=insights.tracking(kept)))


def _backfill(txn: WriteTxn, meta: TableMeta, index: IndexMeta, batch: int) -> float:
    """Index the next `batch` items after the cursor; the entries writes already made are left
    as they are, so every item is indexed exactly once. The write units it spent."""
    prefix = layout.items_prefix(meta.uid_bytes)
    end = prefix_end(prefix)
    assert end is not None
    start = (
        prefix if index.backfill_cursor is None else bytes.fromhex(index.backfill_cursor) + b"\x00"
    )
    rows = list(txn.range(start, end, limit=batch))
    tally = stats.Tally()
    units = 0.0
    for _, stored in rows:
        item = records.decode(stored)
        if not _indexable(meta, index, item):
            continue  # an index key violation: DynamoDB leaves such items out of the index
        key = indexes.entry_key(meta, index, item)
        if key is None or txn.get(key) is not None:
            continue
        entry = indexes.projected(meta, index, item)
        size = records.size_of(stored) if entry is item else item_size(entry)
        txn.put(key, records.encode(entry, size, page_size(entry, meta.range_key)))
        tally.add(stats.entry_counter(txn, meta, index.number, key), 1, size)
        units += capacity.write_units(size)
    tally.apply(txn)
    if len(rows) < batch:
        done = replace(index, status="ACTIVE", backfilling=False, backfill_cursor=None)
    else:
        done = replace(index, backfill_cursor=rows[-1][0].hex())
    updated = tuple(done if i.name == index.name else i for i in meta.indexes)
    catalog.put_table(txn, catalog.replace(meta, indexes=updated))
    return units


def _indexable(meta: TableMeta, index: IndexMeta, item: Item) -> bool:
    only = catalog.replace(meta, indexes=(index,))
    try:
        indexes.check_item(only, item)
    except errors.DynamoError:
        return False
    return True
