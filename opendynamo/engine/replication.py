"""Global tables (version 2019.11.21): replicas of a table in other regions, kept in step.

A region is a namespace of its own (engine/catalog), so a replica is the table of the same
name in another region of the same account, on the same store. Each replica's catalog row
holds the group alike (`TableMeta.replication["group"]`: the regions and each one's status,
the consistency mode, the witnesses), and every change to the group rewrites every row in one
transaction; a replica's own settings (capacity, class, key, tags, PITR, deletion protection,
stream) are its row's own.

Replication (eventual consistency) reads each replica's change log (engine/changes), which
holds it once per other region (holder `replica:<region>`), and applies each change made in
that region to the other replica: one write transaction reads a batch of entries, applies
them and moves the holder past them, so a change is applied exactly once, even when the
server is killed between two batches. Changes replication applied are logged as replicated
in the receiving replica (its stream shows them) and are never sent on again.

Last writer wins: every item of a replica has a version (`layout.VERSIONS`), the stamp of its
last change where it was made (the store's clock, which every replica shares) and that
region; a replicated change is applied only when its version is newer than the item's, and
the version of a deleted item is kept, so that an older write arriving after the delete
loses to it.

A new replica is filled from a member's items in batches (`copy_step`, a job), each item
with its version, while the member's changes from the moment the replica was added are sent
to it as to any replica; both go by version, so the order in which they arrive does not
matter.

Strong consistency (`MultiRegionConsistency: STRONG`) needs no sending: every write applies
itself to every replica in its own transaction (`items.write`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from opendynamo import errors
from opendynamo.engine import backups, catalog, changes, expiry, items, records, stats, streams
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

VERSION = "2019.11.21"
HOLDER = "replica:"
# A replica whose holder has read nothing for this long is still moved forward, so that the
# entries every holder has seen are trimmed.
IDLE_ADVANCE_US = 5_000_000
log = logging.getLogger("opendynamo.replication")


def holder(region: str) -> str:
    """The change-log holder that sends a replica's changes to `region`."""
    return HOLDER + region


def group(meta: TableMeta) -> dict[str, Any] | None:
    """The global table `meta` is a replica of, as every replica's row holds it: `replicas`
    (region -> status), `consistency` (EVENTUAL or STRONG) and `witnesses` (region ->
    status)."""
    return None if meta.replication is None else meta.replication["group"]


def regions(meta: TableMeta) -> list[str]:
    found = group(meta)
    return [] if found is None else list(found["replicas"])


def strong(meta: TableMeta) -> bool:
    found = group(meta)
    return found is not None and found.get("consistency") == "STRONG"


def members(txn: ReadTxn, meta: TableMeta) -> dict[str, TableMeta]:
    """Every replica's row, by region (`meta` alone when it is no replica)."""
    found: dict[str, TableMeta] = {}
    for region in regions(meta) or [meta.region]:
        row = meta if region == meta.region else _row(txn, meta, region)
        if row is not None:
            found[region] = row
    return found


def _row(txn: ReadTxn, meta: TableMeta, region: str) -> TableMeta | None:
    row = catalog.find_table(txn, meta.account, region, meta.name)
    return None if row is None or row.tombstone else row


def save_group(txn: WriteTxn, rows: dict[str, TableMeta], shared: dict[str, Any] | None) -> None:
    """Write `shared` (None: no longer a global table) into every row of `rows`, keeping each
    row's own part; each row is registered to send its changes while it holds any."""
    for region, row in rows.items():
        own = {k: v for k, v in (row.replication or {}).items() if k != "group"}
        state = None if shared is None else {**own, "group": shared}
        updated = catalog.replace(row, replication=state)
        catalog.put_table(txn, updated)
        rows[region] = updated
        marker = layout.replication_key(row.account, row.region, row.name)
        if any(h.startswith(HOLDER) for h in updated.change_log):
            txn.put(marker, b"")
        else:
            txn.delete(marker)


# --- adding and removing replicas ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    """What a replica's Create or Update action sets (None: as the table it is made from)."""

    read_capacity: int | None = None
    on_demand: dict[str, Any] | None = None
    table_class: str | None = None
    sse: dict[str, Any] | None = None
    index_read_capacity: dict[str, int | None] | None = None
    index_on_demand: dict[str, dict[str, Any] | None] | None = None


def add_replica(
    txn: WriteTxn,
    meta: TableMeta,
    region: str,
    settings: Settings,
    now_us: int,
    **group_changes: Any,
) -> dict[str, TableMeta]:
    """Add a replica in `region` to `meta`'s table, CREATING until a job has filled it with
    `meta`'s items (`copy_step`); every member starts sending its changes to it (with
    `group_changes` making the group strongly consistent: each write applies itself to every
    replica instead). Returns the rows of the group as stored."""
    rows = members(txn, meta)
    shared = group(meta) or {
        "version": VERSION,
        "replicas": {meta.region: "ACTIVE"},
        "consistency": "EVENTUAL",
        "witnesses": {},
    }
    shared = {**shared, "replicas": {**shared["replicas"], region: "CREATING"}, **group_changes}
    for name, row in rows.items():
        if shared["consistency"] == "STRONG":
            continue  # writes apply themselves to every replica: no stream or log needed
        # Whatever this member has not yet sent to the one the copy reads, it sends to the
        # new replica too: it may not reach the copy in time.
        since = now_us if name == meta.region else row.change_log.get(holder(meta.region), now_us)
        rows[name] = _with_stream(catalog.replace(
            row, change_log={**row.change_log, holder(region): since}
        ), now_us)  # fmt: skip
    replica = _new_replica(rows[meta.region], region, settings, now_us)
    rows[region] = replica
    save_group(txn, rows, shared)
    txn.put(layout.job_key(replica.account, replica.region, replica.name), b"")  # the copy
    return rows


def _with_stream(meta: TableMeta, now_us: int) -> TableMeta:
    """`meta` with a stream of new and old images (a global table's replicas need one)."""
    spec = (meta.stream or {}).get("spec") or {}
    if spec.get("StreamEnabled"):
        return meta
    state = streams.enabled(meta.stream, "NEW_AND_OLD_IMAGES", now_us)
    return streams.hold(catalog.replace(meta, stream=state))


def _new_replica(source: TableMeta, region: str, settings: Settings, now_us: int) -> TableMeta:
    """The row of a new replica of `source` in `region`: its keys, indexes, billing, write
    capacity and Time to Live as the source's; its own stream, tags, PITR and deletion
    protection start afresh. It is CREATING, without a change log, until it is filled."""
    indexes = []
    for index in source.indexes:
        changed: dict[str, Any] = {
            "status": "ACTIVE",
            "backfilling": False,
            "backfill_cursor": None,
            "insights": None,
            "transition": None,
            "ready_at": None,
        }
        read = (settings.index_read_capacity or {}).get(index.name)
        if read is not None:
            changed["read_capacity"] = read
        on_demand = (settings.index_on_demand or {}).get(index.name)
        if on_demand is not None:
            changed["on_demand"] = on_demand
        if index.status in ("ACTIVE", "UPDATING") or index.backfilling:
            indexes.append(dataclasses.replace(index, **changed))
    return catalog.replace(
        source,
        uid=catalog.new_uid(),
        region=region,
        created=now_us / 1e6,
        status="CREATING",
        read_capacity=settings.read_capacity or source.read_capacity,
        on_demand=settings.on_demand or source.on_demand,
        table_class=settings.table_class or source.table_class,
        table_class_given=source.table_class_given or settings.table_class is not None,
        sse=settings.sse if settings.sse is not None else _regional_key(source.sse, region),
        deletion_protection=False,
        stream=None,
        tags={},
        resource_policy=None,
        policy_revision=None,
        indexes=tuple(indexes),
        change_log={},
        pitr=None,
        restore=None,
        insights=None,
        tracks_keys=False,
        ttl=expiry.for_new_replica(source.ttl),
        transition=None,
        ready_at=None,
        replication={"copy": {"from": source.region, "cursor": None, "copied": 0}},
    )


def _regional_key(sse: dict[str, Any] | None, region: str) -> dict[str, Any] | None:
    """A replica's encryption as its source's, with the AWS managed key of its own region."""
    if sse is None or "KMSMasterKeyArn" not in sse:
        return sse
    parts = sse["KMSMasterKeyArn"].split(":")
    return {**sse, "KMSMasterKeyArn": ":".join([*parts[:3], region, *parts[4:]])}


def remove_replica(
    txn: WriteTxn, meta: TableMeta, region: str, delete: bool = True
) -> dict[str, TableMeta]:
    """Remove the replica in `region` from `meta`'s group and delete its table (unless not
    `delete`: DeleteTable does); the other members stop sending to it. When one replica is
    left, it is a table like any other. Returns the remaining rows as stored."""
    rows = members(txn, meta)
    removed = rows.pop(region, None)
    shared = group(meta)
    assert shared is not None
    left = {name: status for name, status in shared["replicas"].items() if name != region}
    for name, row in rows.items():
        rows[name] = changes.release(txn, row, holder(region)) if holder(region) in (
            row.change_log) else row  # fmt: skip
    if removed is not None and delete:
        drop_replica_table(txn, removed)
    elif removed is not None:
        detach(txn, removed)
    if len(left) <= 1 and not shared.get("witnesses"):
        for name, row in rows.items():
            rows[name] = detach(txn, row)
    else:
        save_group(txn, rows, {**shared, "replicas": left})
    return rows


def detach(txn: WriteTxn, row: TableMeta) -> TableMeta:
    """`row` is no replica any more: it sends nothing, keeps no item versions and names no
    group. The row as stored."""
    for name in [h for h in row.change_log if h.startswith(HOLDER)]:
        row = changes.release(txn, row, name)
    versions = layout.VERSIONS + row.uid_bytes
    end = prefix_end(versions)
    assert end is not None
    txn.delete_range(versions, end)
    rows = {row.region: row}
    save_group(txn, rows, None)
    return rows[row.region]


def drop_replica_table(txn: WriteTxn, meta: TableMeta) -> None:
    """Delete a replica's table, as DeleteTable deletes a table."""
    backups.drop_recovery(txn, meta)
    catalog.remove_table(txn, meta)
    txn.delete(layout.replication_key(meta.account, meta.region, meta.name))


def set_status(txn: WriteTxn, meta: TableMeta, region: str, status: str) -> dict[str, TableMeta]:
    """Show the replica in `region` with `status` in every member's row."""
    rows = members(txn, meta)
    shared = group(meta)
    assert shared is not None
    save_group(txn, rows, {**shared, "replicas": {**shared["replicas"], region: status}})
    return rows


# --- versions and applying a change ---------------------------------------------------------


def read_version(txn: ReadTxn, meta: TableMeta, encoded_key: bytes) -> tuple[int, str] | None:
    """The version of an item of a replica (stamp, region), None when it has none (written
    before the table had replicas, or never)."""
    raw = txn.get(layout.version_key(meta.uid_bytes, encoded_key))
    if raw is None:
        return None
    return int.from_bytes(raw[:8], "big"), raw[8:].decode()


def apply_image(
    txn: WriteTxn,
    dest: TableMeta,
    encoded_key: bytes,
    stored: bytes | None,
    version: tuple[int, str],
    tally: stats.Tally,
    service: bool = False,
) -> bool:
    """Make the item at the key the stored record `stored` (None: no item) in replica `dest`,
    when `version` is newer than the item's; whether it was."""
    current = read_version(txn, dest, encoded_key)
    if current is not None and current >= version:
        return False
    image = None if stored is None else records.decode(stored)
    if image is None and items.get_raw(txn, dest, encoded_key) is None:
        # Nothing to delete here; the delete's version is kept all the same, so that an older
        # write arriving after it loses to it.
        tally.versions.append((layout.version_key(dest.uid_bytes, encoded_key), *version))
        return False
    try:
        items.write(txn, dest, encoded_key, items.replacing(image), tally=tally,
                    service=service, origin=version)  # fmt: skip
    except errors.DynamoError as exc:  # the receiving replica refuses it (an LSI's limit)
        log.warning("replica %s/%s refused a replicated change: %s", dest.region, dest.name, exc)
        return False
    return True


# --- filling a new replica ------------------------------------------------------------------


def copy_step(txn: WriteTxn, meta: TableMeta, batch: int) -> bool:
    """Copy the next batch of items into the new replica `meta`, each with its version; once
    every item is copied, the replica is ACTIVE and starts sending its own changes."""
    assert meta.replication is not None
    state = meta.replication["copy"]
    source = _row(txn, meta, state["from"])
    if source is None or source.uid == meta.uid:
        others = [r for r in members(txn, meta).values() if r.region != meta.region]
        if not others:
            catalog.remove_table(txn, meta)
            txn.delete(layout.job_key(meta.account, meta.region, meta.name))
            log.error("replica %s/%s lost every source; removed", meta.region, meta.name)
            return True
        source = others[0]
    prefix = layout.items_prefix(source.uid_bytes)
    end = prefix_end(prefix)
    cursor = state["cursor"]
    start = prefix if cursor is None else bytes.fromhex(cursor) + b"\x00"
    rows = list(txn.range(start, end, limit=batch))
    tally = stats.Tally()
    for key, stored in rows:
        encoded_key = key[len(prefix) :]
        version = read_version(txn, source, encoded_key) or (0, source.region)
        apply_image(txn, meta, encoded_key, stored, version, tally)
    tally.apply(txn)
    if len(rows) == batch:
        copied = state["copied"] + len(rows)
        own = {**state, "from": source.region, "cursor": rows[-1][0].hex(), "copied": copied}
        catalog.put_table(txn, catalog.replace(meta, replication={**meta.replication, "copy": own}))
        return True
    _activate(txn, meta)
    txn.delete(layout.job_key(meta.account, meta.region, meta.name))
    return True


def _activate(txn: WriteTxn, meta: TableMeta) -> None:
    """A filled replica becomes ACTIVE: from now on it takes writes, has its stream and sends
    its changes to every other replica."""
    now_us = txn.append([])
    assert meta.replication is not None
    others = [] if strong(meta) else [r for r in regions(meta) if r != meta.region]
    state = {k: v for k, v in meta.replication.items() if k != "copy"}
    active = catalog.replace(
        meta,
        status="ACTIVE",
        replication=state,
        change_log={**meta.change_log, **{holder(region): now_us for region in others}},
    )
    if not strong(meta):  # a strongly consistent replica needs no stream to be sent from
        active = _with_stream(active, now_us)
    catalog.put_table(txn, active)
    set_status(txn, active, meta.region, "ACTIVE")


def progress(meta: TableMeta, total: int) -> int | None:
    """ReplicaStatusPercentProgress of a replica being filled (None: it is not)."""
    state = (meta.replication or {}).get("copy")
    if state is None:
        return None
    return min(99, int(state["copied"] * 100 / total)) if total else 0


# --- sending changes ------------------------------------------------------------------------

# Told, per pass and per (sending replica, receiving region): the latency of each change
# applied (milliseconds) and how many changes are still to be sent.
Observer = Callable[[TableMeta, str, list[float], int], None]


def replicate(
    store: Store, now_us: int, settle_us: int, limit: int = 1000, observe: Observer | None = None
) -> bool:
    """One pass: every replica sends the changes made in its region up to `now_us - settle_us`
    (a change stamped earlier may still be committing on a store with writers side by side) to
    every other replica. Whether any replica has more to send than one batch."""
    until = now_us - settle_us
    with store.read() as txn:
        sending = [key for key in senders(txn) if _due(txn, key, until)]
    more = False
    for catalog_key in sending:
        with store.write() as txn:
            more |= _send(txn, catalog_key, now_us, until, limit, observe)
    return more


_REPLICATION_END = prefix_end(layout.REPLICATION)


def _due(txn: ReadTxn, catalog_key: bytes, until: int) -> bool:
    """Whether a replica has changes to send before `until`, or a holder to move on (read
    first, so that a pass with nothing to do takes no write lock)."""
    raw = txn.get(catalog_key)
    if raw is None:
        return True  # its marker goes
    meta = catalog.decode(catalog_key, raw)
    holds = [since for name, since in meta.change_log.items() if name.startswith(HOLDER)]
    if not holds or any(until - since > IDLE_ADVANCE_US for since in holds):
        return True
    start, end = changes.bounds(meta.uid_bytes, min(holds), until)
    return any(True for _ in txn.range(start, end, limit=1))


def _send(
    txn: WriteTxn,
    catalog_key: bytes,
    now_us: int,
    until: int,
    limit: int,
    observe: Observer | None,
) -> bool:
    raw = txn.get(catalog_key)
    meta = None if raw is None else catalog.decode(catalog_key, raw)
    if meta is None or meta.replication is None or meta.tombstone:
        txn.delete(layout.REPLICATION + catalog_key)
        return False
    more = False
    for name, since in list(meta.change_log.items()):
        if not name.startswith(HOLDER) or since >= until:
            continue
        region = name[len(HOLDER) :]
        dest = _row(txn, meta, region)
        if dest is None or dest.replication is None:
            meta = changes.release(txn, meta, name)
            continue
        entries = [change for _, change in changes.read(txn, meta.uid_bytes, since, until,
                                                         limit=limit)]  # fmt: skip
        reached = until
        if len(entries) == limit:
            more = True
            reached = _whole_stamps(entries)
            entries = [change for change in entries if change.stamp <= reached]
        # The receiving items in one order every writer shares (`WriteTxn.lock`), so that a
        # multi-item write there and this batch take turns instead of deadlocking.
        txn.lock([items.storage_key(dest, change.encoded_key) for change in entries])
        tally = stats.Tally()
        latencies = []
        for change in entries:
            if change.replicated:
                continue
            version = (change.stamp, meta.region)
            if apply_image(txn, dest, change.encoded_key, change.new, version, tally,
                           change.service):  # fmt: skip
                latencies.append((now_us - change.stamp) / 1000)
        tally.apply(txn)
        if entries or reached - since > IDLE_ADVANCE_US:
            meta = changes.advance(txn, meta, name, reached)
        if observe is not None:
            observe(meta, region, latencies, _pending(txn, meta, reached, now_us))
    return more


def _whole_stamps(entries: list[changes.Change]) -> int:
    """The last stamp of a full batch whose changes are all in it: a transaction's changes
    (one stamp) are applied together, unless one transaction alone fills the batch."""
    last = entries[-1].stamp
    earlier = [change.stamp for change in entries if change.stamp < last]
    return earlier[-1] if earlier else last


_PENDING_COUNTED = 10_000


def _pending(txn: ReadTxn, meta: TableMeta, after: int, now_us: int) -> int:
    """How many changes of the replica after `after` are still to be sent (counted up to
    `_PENDING_COUNTED`)."""
    start, end = changes.bounds(meta.uid_bytes, after, now_us)
    rows = txn.range(start, end, limit=_PENDING_COUNTED)
    return sum(1 for key, value in rows if not changes.decode(key, value).replicated)


def senders(txn: ReadTxn) -> Iterator[bytes]:
    """The catalog keys of every replica that sends its changes."""
    for key, _ in txn.range(layout.REPLICATION, _REPLICATION_END):
        yield key[1:]


# --- forgetting the versions of deleted items ------------------------------------------------

_forget_cursors: dict[bytes, bytes] = {}  # per replica's catalog key: the last version key seen


def forget(store: Store, batch: int = 500) -> int:
    """Remove, a batch per replica, the versions of deleted items that no replicated change
    can still be older than: every other replica has sent this one everything up to a stamp
    (its holder), so an older change can no longer arrive. How many were removed."""
    removed = 0
    with store.read() as txn:
        sending = list(senders(txn))
    for catalog_key in sending:
        with store.write() as txn:
            removed += _forget_batch(txn, catalog_key, batch)
    return removed


def _forget_batch(txn: WriteTxn, catalog_key: bytes, batch: int) -> int:
    raw = txn.get(catalog_key)
    meta = None if raw is None else catalog.decode(catalog_key, raw)
    if meta is None or meta.replication is None or strong(meta):
        return 0
    horizon = None
    for region, row in members(txn, meta).items():
        if region != meta.region:
            since = row.change_log.get(holder(meta.region))
            if since is None:
                return 0  # a replica that does not send yet (being filled)
            horizon = since if horizon is None else min(horizon, since)
    if horizon is None:
        return 0
    prefix = layout.VERSIONS + meta.uid_bytes
    end = prefix_end(prefix)
    start = _forget_cursors.get(catalog_key, prefix)
    rows = list(txn.range(start, end, limit=batch))
    _forget_cursors[catalog_key] = rows[-1][0] + b"\x00" if len(rows) == batch else prefix
    removed = 0
    for key, value in rows:
        stamp = int.from_bytes(value[:8], "big")
        if stamp < horizon and txn.get(items.storage_key(meta, key[len(prefix) :])) is None:
            txn.delete(key)
            removed += 1
    return removed
