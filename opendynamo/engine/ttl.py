"""Time to Live: a table's setting (`TableMeta.ttl`) and the housekeeper's sweep that deletes
expired items.

An item expires when its TTL attribute is a Number of epoch seconds at or before now (and not
more than five years before: DynamoDB ignores such times); any other type, or no attribute,
never expires. As in DynamoDB, an expired item stays readable until the sweep deletes it.

The sweep reads, for each table with TTL ENABLED, the entries of its expiry index
(engine/expiry) from five years ago up to now, in batches, each in a short read transaction,
and deletes each expired item in a write transaction of its own batch that reads it again
first (a write may have renewed it meanwhile; the entry it no longer has is deleted then). Its
cost grows with what has expired, not with the table. While the index of a table is being built
(TTL just enabled on a table with items), the sweep also reads the items the build has not
reached yet; a table without a usable index (its build failed) is read whole, as every table
was before the index. The deletion is a service's: its change-log entry is marked so (a stream
record names DynamoDB as the deleter), and it costs no capacity.

Status: ENABLING right after UpdateTimeToLive enables it, ENABLED once `tuning.ttl_transition` seconds
have passed (none by default; the sweep only runs on ENABLED tables); DISABLING, then
DISABLED, likewise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from opendynamo.engine import catalog, expiry, items, records, stats, tuning
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.model.values import Item
from opendynamo.storage.base import Store, prefix_end

# An expiry time further back than this is taken for a mistake and never expires (DynamoDB).
TOO_OLD = 5 * 365 * 86400.0
SWEEP_BATCH = 1000


def status(meta: TableMeta, now: float) -> str:
    """DISABLED, ENABLING, ENABLED or DISABLING."""
    if meta.ttl is None:
        return "DISABLED"
    settled = now - meta.ttl["changed"] >= tuning.current.ttl_transition
    if meta.ttl["enabled"]:
        return "ENABLED" if settled else "ENABLING"
    return "DISABLED" if settled else "DISABLING"


def expired(item: Item, attribute: str, now: float) -> bool:
    value = item.get(attribute)
    if value is None or "N" not in value:
        return False
    try:
        moment = Decimal(value["N"])
    except InvalidOperation:
        return False
    return Decimal(repr(now - TOO_OLD)) <= moment <= Decimal(repr(now))


def sweep(
    store: Store,
    now: float,
    batch: int = SWEEP_BATCH,
    deleted_from: Callable[[TableMeta, int], None] | None = None,
) -> int:
    """Delete the expired items of every table with TTL ENABLED; how many were deleted. Each
    table's count is told to `deleted_from` (the TimeToLiveDeletedItemCount metric)."""
    tables = catalog.every_table(store)
    deleted = 0
    for meta in tables:
        if meta.status == "ACTIVE" and status(meta, now) == "ENABLED":
            count = _sweep_table(store, meta, now, batch)
            deleted += count
            if count and deleted_from is not None:
                deleted_from(meta, count)
    return deleted


def _sweep_table(store: Store, meta: TableMeta, now: float, batch: int) -> int:
    """Delete the table's expired items: by its expiry index, plus the items a build of it has
    not reached yet; by reading the whole table when it has no usable index."""
    index = expiry.state(meta)
    if index is None or index["state"] not in (expiry.BUILDING, expiry.ACTIVE):
        if index is None:
            _start_build(store, meta)  # TTL enabled by a version without the index
        return scan_table(store, meta, now, batch)
    deleted = _sweep_index(store, meta, now, batch)
    unindexed = expiry.unindexed_start(meta)
    if unindexed is not None:  # the items the build has not reached yet
        with store.read() as txn:
            pending = expiry.job_pending(txn, meta)
        if not pending:  # its job is gone (a new replica's copy ends its table's job)
            _start_build(store, meta)
        deleted += scan_table(store, meta, now, batch, unindexed)
    return deleted


def _start_build(store: Store, meta: TableMeta) -> None:
    """Start the index's build for a table whose TTL is enabled and which has no index, or mark
    the job of a build under way again."""
    with store.write() as txn:
        current = catalog.find_table(txn, meta.account, meta.region, meta.name)
        if current is None or current.uid != meta.uid or current.ttl is None:
            return
        index = expiry.state(current)
        if not current.ttl["enabled"] or index is not None and index["state"] != expiry.BUILDING:
            return
        if index is None:
            building = {"state": expiry.BUILDING, "cursor": None}
            catalog.put_table(txn, catalog.replace(current, ttl={**current.ttl, "index": building}))
        txn.put(layout.job_key(meta.account, meta.region, meta.name), b"")


def _sweep_index(store: Store, meta: TableMeta, now: float, batch: int) -> int:
    """Delete the expired items the expiry index names: its entries from `now - TOO_OLD` to
    `now`, both included."""
    prefix = layout.expiry_prefix(meta.uid_bytes)
    start = prefix + expiry.since(now - TOO_OLD)
    end = prefix + expiry.until(now)
    deleted = 0
    while True:
        with store.read() as txn:
            entries = [key for key, _ in txn.range(start, end, limit=batch)]
        if entries:
            found = [(expiry.item_key(prefix, entry), entry) for entry in entries]
            deleted += _delete(store, meta, found, now)
        if len(entries) < batch:
            return deleted
        start = entries[-1] + b"\x00"


def scan_table(
    store: Store, meta: TableMeta, now: float, batch: int = SWEEP_BATCH, start: bytes | None = None
) -> int:
    """Delete the expired items of the table by reading every item from `start` (a stored item
    key; None: the first) on: the sweep of a table without a usable expiry index."""
    assert meta.ttl is not None
    attribute = meta.ttl["attribute"]
    prefix = layout.items_prefix(meta.uid_bytes)
    end = prefix_end(prefix)
    start = prefix if start is None else start
    deleted = 0
    while True:
        with store.read() as txn:
            rows = list(txn.range(start, end, limit=batch))
        doomed = [key for key, stored in rows if expired(records.decode(stored), attribute, now)]
        if doomed:
            deleted += _delete(store, meta, [(key[len(prefix) :], None) for key in doomed], now)
        if len(rows) < batch:
            return deleted
        start = rows[-1][0] + b"\x00"


def _delete(
    store: Store, meta: TableMeta, found: Sequence[tuple[bytes, bytes | None]], now: float
) -> int:
    """Delete the items at these keys (each with the expiry entry that named it, if one did)
    that are still expired: a write may have renewed one since the sweep read it, and then the
    entry, which the item no longer has, goes."""
    deleted = 0
    with store.write() as txn:
        current = catalog.find_table(txn, meta.account, meta.region, meta.name)
        if current is None or current.uid != meta.uid or current.ttl is None:
            return 0
        attribute = current.ttl["attribute"]
        tally = stats.Tally()
        txn.lock([items.storage_key(current, key) for key, _ in found])
        for key, entry in found:
            item = items.get(txn, current, key)
            if item is not None and expired(item, attribute, now):
                items.write(txn, current, key, items.replacing(None), tally=tally, service=True)
                deleted += 1
            elif entry is not None and (item is None or not _has(current, key, item, entry)):
                txn.delete(entry)
        tally.apply(txn)
    return deleted


def _has(meta: TableMeta, encoded_key: bytes, item: Item, entry: bytes) -> bool:
    """Whether `entry` is the item's own expiry entry (the one its TTL attribute names)."""
    assert meta.ttl is not None
    moment = expiry.moment_bytes(item.get(meta.ttl["attribute"]))
    return moment is not None and expiry.entry_key(meta, encoded_key, moment) == entry


def describe(meta: TableMeta, now: float) -> dict[str, Any]:
    """DynamoDB's TimeToLiveDescription."""
    out: dict[str, Any] = {"TimeToLiveStatus": status(meta, now)}
    if meta.ttl is not None and out["TimeToLiveStatus"] != "DISABLED":
        out["AttributeName"] = meta.ttl["attribute"]
    return out
