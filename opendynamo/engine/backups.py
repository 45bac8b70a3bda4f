"""Backups, point-in-time recovery and restores, built on the change log (engine/changes).

A *snapshot* is a copy of a table's items kept in the store (`SNAPSHOT + snapshot uid + item
key`), described by a row at `BACKUP + account + region + id`. It is taken without stopping
writes:

1. The request turns the table's change log on in one transaction, holding it under the
   snapshot's id, and notes the store's clock just before (`log_from`). Every write that
   commits afterwards appends its change, stamped later than `log_from`.
2. The housekeeper copies the items batch by batch (`copy`): a fuzzy copy, each batch as it
   was when read; then notes the clock again (`copied_until`).
3. An on-demand backup shows the table at its request: each item the log shows changed
   since is put back to its image before its first change (`undo`, newest entry first), and
   the hold on the log is released. A point-in-time-recovery snapshot keeps its fuzzy copy:
   a restore to an instant T from it redoes the changes up to T and undoes those after.

A restore fills a new table (status CREATING, RestoreSummary in progress) from a snapshot in
the same steps, through `engine/items.write`, so that its indexes and counters are built as
it fills; the table becomes ACTIVE when the last step is done.

Point-in-time recovery keeps the log from the oldest snapshot a restore inside the recovery
period may need, and takes a new snapshot every `PITR_SNAPSHOT_INTERVAL`; `maintain` (run by
the housekeeper) starts snapshots, and drops older snapshots and log entries once no instant
inside the period needs them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.engine import catalog, changes, items, records, stats
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

# A point-in-time-recovery snapshot is taken this often (seconds); the log is kept from the
# newest snapshot older than the recovery period.
PITR_SNAPSHOT_INTERVAL = float(os.environ.get("OPENDYNAMO_PITR_SNAPSHOT_INTERVAL", 86400))
# How far behind now the latest restorable time is (DynamoDB: about five minutes).
PITR_LAG = float(os.environ.get("OPENDYNAMO_PITR_LAG", 300))
# A redo waits until its instant is this far in the past, so that every write stamped before
# it has committed (a stamp is taken moments before its transaction commits).
SETTLE_US = 1_000_000
# Items a snapshot's copy takes per step (default: as many as any job step); the environment
# may lower it so that tests see writes land between the steps of a copy.
COPY_BATCH = int(os.environ.get("OPENDYNAMO_SNAPSHOT_BATCH", 0)) or None
USER, PITR = "USER", "PITR"
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
    log_from: int  # clock (us) just before the change log was held for it
    status: str = "CREATING"  # CREATING, AVAILABLE (DELETED rows are removed)
    phase: str = "copy"  # copy, undo (USER), done
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


def split_backup_arn(arn: str) -> tuple[str, str, str] | None:
    """(account, region, backup id) of a backup ARN; None when it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb":
        return None
    resource = parts[5].split("/")
    if len(resource) != 4 or resource[0] != "table" or resource[2] != "backup":
        return None
    return parts[4], parts[3], resource[3]


# --- snapshots --------------------------------------------------------------------------


def begin(
    txn: WriteTxn, meta: TableMeta, kind: str, name: str, now: float, log_from: int
) -> Snapshot:
    """Start a snapshot of the table: hold its change log from `log_from` (the store's clock,
    read before this transaction) and queue the copy. `meta` was read in `txn`."""
    snapshot = Snapshot(
        id=new_id(now),
        kind=kind,
        name=name,
        account=meta.account,
        region=meta.region,
        uid=catalog.new_uid(),
        table=orjson.loads(meta.encode()),
        requested=now,
        log_from=log_from,
    )
    held = dict(meta.change_log)
    held.setdefault(_holder(snapshot), log_from)
    catalog.put_table(txn, catalog.replace(meta, change_log=held))
    txn.put(snapshot.key, snapshot.encode())
    txn.put(layout.JOBS + snapshot.key, b"")
    return snapshot


def _holder(snapshot: Snapshot) -> str:
    return "pitr" if snapshot.kind == PITR else snapshot.id


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


def step(store: Store, job: bytes, batch: int) -> None:
    """One step of a snapshot's work (the job key names its row)."""
    key = job[len(layout.JOBS) :]
    with store.write() as txn:
        raw = txn.get(key)
        if raw is None:
            txn.delete(job)
            return
        snapshot = Snapshot.decode(raw)
        source = _source_table(txn, snapshot)
        if snapshot.phase == "copy":
            if source is None:  # the table was deleted under a snapshot of it: nothing to keep
                remove(txn, snapshot)
                return
            snapshot = _copy(store, txn, snapshot, source, COPY_BATCH or batch)
        elif snapshot.phase == "undo":
            snapshot = _undo(txn, snapshot, batch)
        if snapshot.phase == "done":
            snapshot = replace(snapshot, status="AVAILABLE", cursor=None)
            txn.delete(job)
            if snapshot.kind == USER and source is not None:
                release(txn, source, snapshot.id)
        txn.put(key, snapshot.encode())


def _source_table(txn: ReadTxn, snapshot: Snapshot) -> TableMeta | None:
    meta = catalog.find_table(txn, snapshot.account, snapshot.region, snapshot.table["name"])
    return meta if meta is not None and meta.uid == snapshot.table["uid"] else None


def _copy(
    store: Store, txn: WriteTxn, snapshot: Snapshot, source: TableMeta, batch: int
) -> Snapshot:
    prefix = layout.items_prefix(source.uid_bytes)
    end = prefix_end(prefix)
    start = prefix if snapshot.cursor is None else bytes.fromhex(snapshot.cursor) + b"\x00"
    rows = list(txn.range(start, end, limit=batch))
    into = layout.snapshot_prefix(snapshot.uid_bytes)
    size = 0
    for key, stored in rows:
        txn.put(into + key[len(prefix) :], stored)
        size += records.size_of(stored)
    snapshot = replace(
        snapshot, item_count=snapshot.item_count + len(rows), size=snapshot.size + size
    )
    if len(rows) == batch:
        return replace(snapshot, cursor=rows[-1][0].hex())
    # The copy is complete: all it holds was read before this moment.
    after = "undo" if snapshot.kind == USER else "done"
    return replace(snapshot, phase=after, cursor=None, copied_until=clock_us(store))


def _undo(txn: WriteTxn, snapshot: Snapshot, batch: int) -> Snapshot:
    """Put back, newest change first, the image each changed item had before its change:
    when done, every item changed since the request holds its image before its first
    change since, that is, at the request."""
    assert snapshot.copied_until is not None
    table_uid = bytes.fromhex(snapshot.table["uid"])
    start, end = changes.bounds(table_uid, snapshot.log_from, snapshot.copied_until)
    if snapshot.cursor is not None:
        end = bytes.fromhex(snapshot.cursor)
    rows = list(txn.range(start, end, reverse=True, limit=batch))
    into = layout.snapshot_prefix(snapshot.uid_bytes)
    count, size = snapshot.item_count, snapshot.size
    for key, value in rows:
        change = changes.decode(key, value)
        row = into + change.encoded_key
        held = txn.get(row)
        if held is not None:
            count, size = count - 1, size - records.size_of(held)
        if change.old is None:
            txn.delete(row)
        else:
            txn.put(row, change.old)
            count, size = count + 1, size + records.size_of(change.old)
    snapshot = replace(snapshot, item_count=count, size=size)
    if len(rows) < batch:
        return replace(snapshot, phase="done")
    return replace(snapshot, cursor=rows[-1][0].hex())


def release(txn: WriteTxn, meta: TableMeta, holder: str) -> TableMeta:
    """Let go of the table's change log for `holder`; entries no holder left needs are
    removed (all of them when none is left). Returns the table as stored."""
    held = {name: since for name, since in meta.change_log.items() if name != holder}
    if held:
        changes.trim(txn, meta.uid_bytes, min(held.values()) + 1)
    else:
        changes.drop(txn, meta.uid_bytes)
    updated = catalog.replace(meta, change_log=held)
    catalog.put_table(txn, updated)
    return updated


# --- restores ---------------------------------------------------------------------------


def begin_restore(
    txn: WriteTxn, target: TableMeta, snapshot: Snapshot, summary: dict[str, Any], at: int | None
) -> TableMeta:
    """Create `target` (status CREATING) to be filled from `snapshot`: as it is (a backup),
    or as its table was at the instant `at` (clock, us: a point-in-time recovery)."""
    plan: dict[str, Any] = {
        **summary,
        "RestoreInProgress": True,
        "snapshot": snapshot.id,
        "phase": "copy",
        "cursor": None,
    }
    if at is not None:
        plan.update(at=at, source=snapshot.table["uid"])
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


def restore_step(store: Store, txn: WriteTxn, meta: TableMeta, batch: int) -> bool:
    """One step of filling a restored table; False when it has to wait (for its snapshot's
    copy, or for its instant to settle)."""
    plan = dict(meta.restore or {})
    snapshot = get(txn, meta.account, meta.region, plan["snapshot"])
    if snapshot is None:  # deleted under the restore: the table stays as filled so far
        _finish(txn, meta, plan)
        return True
    if snapshot.status != "AVAILABLE":
        return False
    if plan["phase"] == "copy":
        _restore_copy(txn, meta, snapshot, plan, batch)
    elif plan["phase"] == "redo":
        if clock_us(store) < plan["at"] + SETTLE_US:
            return False
        _replay(txn, meta, snapshot, plan, batch, redo=True)
    else:
        _replay(txn, meta, snapshot, plan, batch, redo=False)
    if plan["phase"] == "done":
        _finish(txn, meta, plan)
    else:
        catalog.put_table(txn, catalog.replace(meta, restore=plan))
    return True


def _restore_copy(
    txn: WriteTxn, meta: TableMeta, snapshot: Snapshot, plan: dict[str, Any], batch: int
) -> None:
    prefix = layout.snapshot_prefix(snapshot.uid_bytes)
    end = prefix_end(prefix)
    cursor = plan["cursor"]
    start = prefix if cursor is None else bytes.fromhex(cursor) + b"\x00"
    rows = list(txn.range(start, end, limit=batch))
    tally = stats.Tally()
    for key, stored in rows:
        items.write(
            txn, meta, key[len(prefix) :], items.replacing(records.decode(stored)), tally=tally
        )
    tally.apply(txn)
    if len(rows) == batch:
        plan["cursor"] = rows[-1][0].hex()
    else:
        plan.update(phase="redo" if "at" in plan else "done", cursor=None)


def _replay(
    txn: WriteTxn,
    meta: TableMeta,
    snapshot: Snapshot,
    plan: dict[str, Any],
    batch: int,
    *,
    redo: bool,
) -> None:
    """Redo the source's changes from the snapshot's log start up to the instant (oldest
    first: the last one wins), then undo those after it up to the end of the snapshot's
    copy (newest first: the image before the earliest one wins)."""
    assert snapshot.copied_until is not None
    source = bytes.fromhex(plan["source"])
    if redo:
        start, end = changes.bounds(source, snapshot.log_from, plan["at"])
    else:
        start, end = changes.bounds(source, plan["at"], snapshot.copied_until)
    cursor = plan["cursor"]
    if cursor is not None:
        if redo:
            start = bytes.fromhex(cursor) + b"\x00"
        else:
            end = bytes.fromhex(cursor)
    rows = list(txn.range(start, end, reverse=not redo, limit=batch))
    tally = stats.Tally()
    for key, value in rows:
        change = changes.decode(key, value)
        image = change.new if redo else change.old
        item = None if image is None else records.decode(image)
        items.write(txn, meta, change.encoded_key, items.replacing(item), tally=tally)
    tally.apply(txn)
    if len(rows) == batch:
        plan["cursor"] = rows[-1][0].hex()
    else:
        plan.update(phase="undo" if redo else "done", cursor=None)


def _finish(txn: WriteTxn, meta: TableMeta, plan: dict[str, Any]) -> None:
    # DynamoDB describes RestoreSummary only while the restore is in progress.
    catalog.put_table(txn, catalog.replace(meta, status="ACTIVE", restore=None))


# --- point-in-time recovery -------------------------------------------------------------


def recovery_window(meta: TableMeta, now: float) -> tuple[float, float]:
    """(earliest, latest) restorable instants of a table with point-in-time recovery."""
    assert meta.pitr is not None
    earliest = max(meta.pitr["since"], now - meta.pitr["days"] * 86400)
    return earliest, max(earliest, now - PITR_LAG)


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
    return release(txn, catalog.replace(meta, pitr=None), "pitr")


def drop_recovery(txn: WriteTxn, meta: TableMeta) -> None:
    """Remove the table's point-in-time-recovery snapshots."""
    for snapshot in list(_recovery_snapshots(txn, meta)):
        remove(txn, snapshot)


def _recovery_snapshots(txn: ReadTxn, meta: TableMeta) -> Iterator[Snapshot]:
    """The table's point-in-time-recovery snapshots, oldest first."""
    for snapshot in listed(txn, meta.account, meta.region):
        if snapshot.kind == PITR and snapshot.table["uid"] == meta.uid:
            yield snapshot


def restore_point(txn: ReadTxn, meta: TableMeta, at: int) -> Snapshot:
    """The snapshot a restore to the instant `at` (clock, us) starts from: the newest whose
    log reaches back to it."""
    found = None
    for snapshot in _recovery_snapshots(txn, meta):
        if snapshot.log_from <= at:
            found = snapshot
    if found is None:
        raise errors.internal_server_error("no point-in-time snapshot covers the instant")
    return found


def maintain(store: Store, now: float) -> None:
    """For every table with point-in-time recovery: take a new snapshot when the newest is
    older than the interval, and drop the snapshots and log entries that no restorable
    instant needs any more."""
    with store.read() as txn:
        tables = [
            catalog.decode(key, raw)
            for key, raw in txn.range(layout.CATALOG, prefix_end(layout.CATALOG))
        ]
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
        if needed and needed[-1].log_from > current.change_log.get("pitr", 0):
            held = dict(current.change_log)
            held["pitr"] = needed[-1].log_from
            current = catalog.replace(current, change_log=held)
            changes.trim(txn, current.uid_bytes, min(held.values()) + 1)
            catalog.put_table(txn, current)
        newest = snapshots[-1] if snapshots else None
        if newest is None or now - newest.requested >= PITR_SNAPSHOT_INTERVAL:
            if newest is None or newest.status == "AVAILABLE":
                begin(txn, current, PITR, "", now, log_from)
