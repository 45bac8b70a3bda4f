"""Backups, point-in-time recovery and restores, built on the change log (engine/changes).

A *snapshot* is a copy of a table's items kept in the store (`SNAPSHOT + snapshot uid + item
key`), described by a row at `BACKUP + account + region + id`, and made by the housekeeper in
steps (`step`) without stopping writes:

1. *copy*: the items, batch by batch. From the live table this is a fuzzy copy, each batch as
   it was when read; for that, the request turned the table's change log on in one
   transaction (holding it under the snapshot's id) and noted the store's clock just before
   (`log_from`): every write that commits afterwards appends its change, stamped later. When
   the copy is complete the clock is noted again (`copied_until`). A snapshot may instead
   copy another one (its *base*, a point-in-time-recovery snapshot), taking over its
   `log_from` and `copied_until`.
2. *redo*: the changes stamped after `log_from` up to the snapshot's instant `at`, oldest
   first: each item that changed holds its image after its last change up to `at`.
3. *undo*: the changes after `at` up to `copied_until`, newest first: each item that the copy
   may show changed after `at` gets its image before its first change after `at`.

Then the snapshot holds the table exactly as at `at`. Kinds: an on-demand backup (USER, `at`
its request, so no redo), a point-in-time-recovery snapshot (PITR: the fuzzy copy only; its log
is kept and it is the base of later snapshots) and an instant (INSTANT: a PITR snapshot brought
to the instant a restore or an export asks for; removed once used).

A restore fills a new table (status CREATING, RestoreSummary in progress) from an AVAILABLE
snapshot, through `engine/items.write`, so that its indexes and counters are built as it fills;
the table becomes ACTIVE when the last batch is in.

Point-in-time recovery keeps the log from the oldest snapshot a restore inside the recovery
period may need, and takes a new snapshot every `tuning.pitr_snapshot_interval`; `maintain` (run by
the housekeeper) starts snapshots, and drops older snapshots and log entries once no instant
inside the period needs them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from opendynamo.engine import catalog, changes, items, records, stats, tuning
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

# A point-in-time-recovery snapshot is taken this often (seconds); the log is kept from the
# newest snapshot older than the recovery period.
# How far behind now the latest restorable time is (DynamoDB: about five minutes).
# A redo waits until its instant is this far in the past, so that every write stamped before
# it has committed (a stamp is taken moments before its transaction commits).
SETTLE_US = 1_000_000
# Items a snapshot's copy takes per step (default: as many as any job step); the environment
# may lower it so that tests see writes land between the steps of a copy.
USER, PITR, INSTANT = "USER", "PITR", "INSTANT"
_MICRO = 1_000_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A backup (kind USER) or a point-in-time-recovery snapshot (PITR), as stored."""

    id: str  # 14-digit epoch milliseconds, "-", 8 hex digits: sorts by time
    kind: str
    name: str
    account: str
    region: str
    uid: str  # 32 hex digits: its rows are SNAPSHOT + uid + item key
    table: dict[str, Any]  # the source table's TableMeta as stored, at the request
    requested: float  # epoch seconds
    log_from: int  # clock (us) just before the change log was held for its copy
    at: int = 0  # the instant (clock, us) it shows, once done; PITR: none (0)
    base: str | None = None  # the snapshot it copies (INSTANT); None: the live table
    status: str = "CREATING"  # CREATING, AVAILABLE, FAILED (DELETED rows are removed)
    phase: str = "copy"  # copy, redo, undo, done
    cursor: str | None = None  # hex of the last key the phase dealt with
    copied_until: int | None = None  # clock (us) when the copy was complete
    item_count: int = 0
    size: int = 0

    @property
    def key(self) -> bytes:
        return layout.backup_key(self.account, self.region, self.id)

    @property
    def uid_bytes(self) -> bytes:
        return bytes.fromhex(self.uid)

    @property
    def table_meta(self) -> TableMeta:
        return TableMeta.from_dict(dict(self.table))

    @property
    def arn(self) -> str:
        table = self.table["name"]
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{table}/backup/{self.id}"

    def encode(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def decode(cls, raw: bytes) -> Snapshot:
        return cls(**orjson.loads(raw))


def clock_us(store: Store) -> int:
    return int(store.now() * _MICRO)


def new_id(now: float) -> str:
    return f"{int(now * 1000):014d}-{secrets.token_hex(4)}"


# --- snapshots --------------------------------------------------------------------------


def begin(
    txn: WriteTxn, meta: TableMeta, kind: str, name: str, now: float, log_from: int
) -> Snapshot:
    """Start a snapshot of the table (USER or PITR): hold its change log from `log_from` (the
    store's clock, read before this transaction) and queue the copy. `meta` was read in
    `txn`."""
    snapshot = _new(meta, kind, name, now, log_from, at=log_from if kind == USER else 0)
    holder = "pitr" if kind == PITR else snapshot.id
    _queue(txn, meta, snapshot, holder)
    return snapshot


def begin_instant(
    txn: WriteTxn, meta: TableMeta, base: Snapshot, at: int, now: float, name: str = ""
) -> Snapshot:
    """Start making the table as it was at `at` (clock, us) out of the recovery snapshot
    `base` and the log, which this snapshot holds from the base's start until it is done."""
    snapshot = _new(meta, INSTANT, name, now, base.log_from, at=at, base=base.id)
    _queue(txn, meta, snapshot, snapshot.id)
    return snapshot


def _new(meta: TableMeta, kind: str, name: str, now: float, log_from: int, **more: Any) -> Snapshot:
    return Snapshot(
        id=new_id(now),
        kind=kind,
        name=name,
        account=meta.account,
        region=meta.region,
        uid=catalog.new_uid(),
        table=orjson.loads(meta.encode()),
        requested=now,
        log_from=log_from,
        **more,
    )


def _queue(txn: WriteTxn, meta: TableMeta, snapshot: Snapshot, holder: str) -> None:
    """Hold the table's log for the snapshot (a holder keeps its earliest claim) and store
    it with its job."""
    held = dict(meta.change_log)
    held.setdefault(holder, snapshot.log_from)
    catalog.put_table(txn, catalog.replace(meta, change_log=held))
    txn.put(snapshot.key, snapshot.encode())
    txn.put(layout.JOBS + snapshot.key, b"")


def get(txn: ReadTxn, account: str, region: str, backup_id: str) -> Snapshot | None:
    raw = txn.get(layout.backup_key(account, region, backup_id))
    return None if raw is None else Snapshot.decode(raw)


def listed(txn: ReadTxn, account: str, region: str, after: str | None = None) -> Iterator[Snapshot]:
    """The snapshots of the namespace in id (time) order, after the id `after`."""
    prefix = layout.backup_prefix(account, region)
    start = prefix if after is None else prefix + after.encode() + b"\x00"
    end = prefix_end(prefix)
    for _, raw in txn.range(start, end):
        yield Snapshot.decode(raw)


def remove(txn: WriteTxn, snapshot: Snapshot) -> None:
    """Delete the snapshot and its rows."""
    prefix = layout.snapshot_prefix(snapshot.uid_bytes)
    end = prefix_end(prefix)
    assert end is not None
    txn.delete_range(prefix, end)
    txn.delete(snapshot.key)
    txn.delete(layout.JOBS + snapshot.key)


def step(store: Store, job: bytes, batch: int) -> bool:
    """One step of a snapshot's work (the job key names its row); False when it has to wait
    (for its base's copy, or for its instant to settle)."""
    key = job[len(layout.JOBS) :]
    with store.write() as txn:
        raw = txn.get(key)
        if raw is None:
            txn.delete(job)
            return True
        snapshot = Snapshot.decode(raw)
        source = _source_table(txn, snapshot)
        if snapshot.phase == "copy":
            if snapshot.base is not None:
                base = get(txn, snapshot.account, snapshot.region, snapshot.base)
                if base is None:  # recovery was turned off under it
                    snapshot = _fail(txn, snapshot, source)
                elif base.status != "AVAILABLE":
                    return False
                else:
                    snapshot = _copy_snapshot(txn, snapshot, base, batch)
            elif source is None:  # the table was deleted under a snapshot of it
                remove(txn, snapshot)
                return True
            else:
                snapshot = _copy(
                    store, txn, snapshot, source, tuning.current.snapshot_batch or batch
                )
        elif snapshot.phase == "redo":
            if clock_us(store) < snapshot.at + SETTLE_US:
                return False
            snapshot = _replay(txn, snapshot, batch, redo=True)
        elif snapshot.phase == "undo":
            snapshot = _replay(txn, snapshot, batch, redo=False)
        if snapshot.phase == "done":
            snapshot = replace(snapshot, status="AVAILABLE", cursor=None)
            txn.delete(job)
            if snapshot.kind != PITR and source is not None:
                changes.release(txn, source, snapshot.id)
        txn.put(key, snapshot.encode())
        return True


def _fail(txn: WriteTxn, snapshot: Snapshot, source: TableMeta | None) -> Snapshot:
    txn.delete(layout.JOBS + snapshot.key)
    if source is not None:
        changes.release(txn, source, snapshot.id)
    return replace(snapshot, status="FAILED", phase="failed")


def fail_job(store: Store, job: bytes) -> None:
    """End a snapshot whose steps keep failing: FAILED, its hold on the log let go."""
    key = job[len(layout.JOBS) :]
    with store.write() as txn:
        raw = txn.get(key)
        if raw is None:
            txn.delete(job)
            return
        snapshot = Snapshot.decode(raw)
        txn.put(key, _fail(txn, snapshot, _source_table(txn, snapshot)).encode())


def _source_table(txn: ReadTxn, snapshot: Snapshot) -> TableMeta | None:
    meta = catalog.find_table(txn, snapshot.account, snapshot.region, snapshot.table["name"])
    return meta if meta is not None and meta.uid == snapshot.table["uid"] else None


def _copy(
    store: Store, txn: WriteTxn, snapshot: Snapshot, source: TableMeta, batch: int
) -> Snapshot:
    """Copy the next batch of the live table's items."""
    snapshot = _copy_rows(txn, snapshot, layout.items_prefix(source.uid_bytes), batch)
    if snapshot.cursor is not None:
        return snapshot
    # The copy is complete: all it holds was read before this moment.
    copied = replace(snapshot, copied_until=clock_us(store))
    return replace(copied, phase="done" if snapshot.kind == PITR else _after_copy(copied))


def _copy_snapshot(txn: WriteTxn, snapshot: Snapshot, base: Snapshot, batch: int) -> Snapshot:
    """Copy the next batch of the base snapshot's items."""
    snapshot = _copy_rows(txn, snapshot, layout.snapshot_prefix(base.uid_bytes), batch)
    if snapshot.cursor is not None:
        return snapshot
    copied = replace(snapshot, copied_until=base.copied_until)  # the base's copy is this one's
    return replace(copied, phase=_after_copy(copied))


def _copy_rows(txn: WriteTxn, snapshot: Snapshot, prefix: bytes, batch: int) -> Snapshot:
    """Copy the next batch of rows under `prefix` into the snapshot; its cursor is None once
    the last was copied."""
    start = prefix if snapshot.cursor is None else bytes.fromhex(snapshot.cursor) + b"\x00"
    rows = list(txn.range(start, prefix_end(prefix), limit=batch))
    into = layout.snapshot_prefix(snapshot.uid_bytes)
    size = 0
    for key, stored in rows:
        txn.put(into + key[len(prefix) :], stored)
        size += records.size_of(stored)
    cursor = rows[-1][0].hex() if len(rows) == batch else None
    count = snapshot.item_count + len(rows)
    return replace(snapshot, item_count=count, size=snapshot.size + size, cursor=cursor)


def _after_copy(snapshot: Snapshot) -> str:
    return "redo" if snapshot.at > snapshot.log_from else "undo"


def _replay(txn: WriteTxn, snapshot: Snapshot, batch: int, *, redo: bool) -> Snapshot:
    """Redo the changes after `log_from` up to `at`, oldest first (each item ends with its
    image after its last change up to `at`); then undo those after `at` up to the end of the
    copy, newest first (each ends with its image before its first change after `at`)."""
    assert snapshot.copied_until is not None
    table_uid = bytes.fromhex(snapshot.table["uid"])
    if redo:
        start, end = changes.bounds(table_uid, snapshot.log_from, snapshot.at)
    else:
        start, end = changes.bounds(table_uid, snapshot.at, snapshot.copied_until)
    if snapshot.cursor is not None:
        if redo:
            start = bytes.fromhex(snapshot.cursor) + b"\x00"
        else:
            end = bytes.fromhex(snapshot.cursor)
    rows = list(txn.range(start, end, reverse=not redo, limit=batch))
    into = layout.snapshot_prefix(snapshot.uid_bytes)
    count, size = snapshot.item_count, snapshot.size
    for key, value in rows:
        change = changes.decode(key, value)
        image = change.new if redo else change.old
        row = into + change.encoded_key
        held = txn.get(row)
        if held is not None:
            count, size = count - 1, size - records.size_of(held)
        if image is None:
            txn.delete(row)
        else:
            txn.put(row, image)
            count, size = count + 1, size + records.size_of(image)
    snapshot = replace(snapshot, item_count=count, size=size)
    if len(rows) == batch:
        return replace(snapshot, cursor=rows[-1][0].hex())
    return replace(snapshot, phase="undo" if redo else "done", cursor=None)


# --- restores ---------------------------------------------------------------------------


def begin_restore(
    txn: WriteTxn, target: TableMeta, snapshot: Snapshot, summary: dict[str, Any]
) -> TableMeta:
    """Create `target` (status CREATING), to be filled from `snapshot` once it is AVAILABLE;
    `summary` is its RestoreSummary."""
    plan: dict[str, Any] = {**summary, "RestoreInProgress": True, "snapshot": snapshot.id}
    plan["cursor"] = None
    meta = catalog.replace(target, status="CREATING", restore=plan)
    catalog.put_table(txn, meta)
    txn.put(layout.job_key(meta.account, meta.region, meta.name), b"")
    return meta


def summary_of(meta: TableMeta) -> dict[str, Any] | None:
    """DynamoDB's RestoreSummary of a restored table."""
    if meta.restore is None:
        return None
    names = ("SourceBackupArn", "SourceTableArn", "RestoreDateTime", "RestoreInProgress")
    return {name: meta.restore[name] for name in names if name in meta.restore}


def restore_step(txn: WriteTxn, meta: TableMeta, batch: int) -> bool:
    """One batch of filling a restored table; False when its snapshot is not ready yet."""
    plan = dict(meta.restore or {})
    snapshot = get(txn, meta.account, meta.region, plan["snapshot"])
    if snapshot is not None and snapshot.status == "CREATING":
        return False
    if snapshot is None or snapshot.status != "AVAILABLE":
        # Gone (or failed) under the restore: the table keeps what it was filled with.
        _finish(txn, meta)
        return True
    prefix = layout.snapshot_prefix(snapshot.uid_bytes)
    end = prefix_end(prefix)
    cursor = plan["cursor"]
    start = prefix if cursor is None else bytes.fromhex(cursor) + b"\x00"
    rows = list(txn.range(start, end, limit=batch))
    tally = stats.Tally()
    for key, stored in rows:
        item = records.decode(stored)
        items.write(txn, meta, key[len(prefix) :], items.replacing(item), tally=tally)
    tally.apply(txn)
    if len(rows) == batch:
        plan["cursor"] = rows[-1][0].hex()
        catalog.put_table(txn, catalog.replace(meta, restore=plan))
        return True
    if snapshot.kind == INSTANT:  # made for this restore alone
        remove(txn, snapshot)
    _finish(txn, meta)
    return True


def _finish(txn: WriteTxn, meta: TableMeta) -> None:
    # DynamoDB describes RestoreSummary only while the restore is in progress.
    catalog.put_table(txn, catalog.replace(meta, status="ACTIVE", restore=None))


# --- point-in-time recovery -------------------------------------------------------------


def recovery_window(meta: TableMeta, now: float) -> tuple[float, float]:
    """(earliest, latest) restorable instants of a table with point-in-time recovery."""
    assert meta.pitr is not None
    earliest = max(meta.pitr["since"], now - meta.pitr["days"] * 86400)
    return earliest, max(earliest, now - tuning.current.pitr_lag)


def enable_pitr(txn: WriteTxn, meta: TableMeta, days: int, now: float, log_from: int) -> TableMeta:
    """Turn point-in-time recovery on: hold the log and take its first snapshot."""
    meta = catalog.replace(meta, pitr={"since": now, "days": days})
    catalog.put_table(txn, meta)
    begin(txn, meta, PITR, "", now, log_from)
    found = catalog.find_table(txn, meta.account, meta.region, meta.name)
    assert found is not None
    return found


def disable_pitr(txn: WriteTxn, meta: TableMeta) -> TableMeta:
    """Turn point-in-time recovery off: its snapshots and history go."""
    drop_recovery(txn, meta)
    return changes.release(txn, catalog.replace(meta, pitr=None), "pitr")


def drop_recovery(txn: WriteTxn, meta: TableMeta) -> None:
    """Remove the table's point-in-time-recovery snapshots."""
    for snapshot in list(_recovery_snapshots(txn, meta)):
        remove(txn, snapshot)


def _recovery_snapshots(txn: ReadTxn, meta: TableMeta) -> Iterator[Snapshot]:
    """The table's point-in-time-recovery snapshots, oldest first."""
    for snapshot in listed(txn, meta.account, meta.region):
        if snapshot.kind == PITR and snapshot.table["uid"] == meta.uid:
            yield snapshot


def instant(txn: WriteTxn, meta: TableMeta, at: int, now: float) -> Snapshot:
    """Start making the table as it was at `at` (clock, us, inside its recovery window): from
    the newest recovery snapshot whose log reaches back to it."""
    base = None
    for snapshot in _recovery_snapshots(txn, meta):
        if snapshot.log_from <= at:
            base = snapshot
    assert base is not None, "the recovery window starts with a snapshot"
    return begin_instant(txn, meta, base, at, now)


def maintain(store: Store, now: float) -> None:
    """For every table with point-in-time recovery: take a new snapshot when the newest is
    older than the interval, and drop the snapshots and log entries that no restorable
    instant needs any more."""
    tables = catalog.every_table(store)
    for meta in tables:
        if meta.pitr is not None:
            _maintain_table(store, meta, now)


def _maintain_table(store: Store, meta: TableMeta, now: float) -> None:
    log_from = clock_us(store) - 1
    with store.write() as txn:
        current = catalog.find_table(txn, meta.account, meta.region, meta.name)
        if current is None or current.uid != meta.uid or current.pitr is None:
            return
        snapshots = list(_recovery_snapshots(txn, current))
        earliest, _ = recovery_window(current, now)
        needed = [s for s in snapshots if s.log_from <= earliest * _MICRO]
        for old in needed[:-1]:
            remove(txn, old)
        if needed:
            current = changes.advance(txn, current, "pitr", needed[-1].log_from)
        newest = snapshots[-1] if snapshots else None
        if newest is None or now - newest.requested >= tuning.current.pitr_snapshot_interval:
            if newest is None or newest.status == "AVAILABLE":
                begin(txn, current, PITR, "", now, log_from)
