"""Time to Live: a table's setting (`TableMeta.ttl`) and the housekeeper's sweep that deletes
expired items.

An item expires when its TTL attribute is a Number of epoch seconds at or before now (and not
more than five years before: DynamoDB ignores such times); any other type, or no attribute,
never expires. As in DynamoDB, an expired item stays readable until the
sweep deletes it. The sweep reads each table with TTL ENABLED in batches, each in a short read
transaction, and deletes each expired item in a write transaction of its own batch that reads
it again first (a write may have renewed it meanwhile). The deletion is a service's: its
change-log entry is marked so (a stream record names DynamoDB as the deleter), and it costs
no capacity.

Status: ENABLING right after UpdateTimeToLive enables it, ENABLED once `tuning.ttl_transition` seconds
have passed (none by default; the sweep only runs on ENABLED tables); DISABLING, then
DISABLED, likewise.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from opendynamo.engine import catalog, items, records, stats, tuning
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
    assert meta.ttl is not None
    attribute = meta.ttl["attribute"]
    prefix = layout.items_prefix(meta.uid_bytes)
    end = prefix_end(prefix)
    start = prefix
    deleted = 0
    while True:
        with store.read() as txn:
            rows = list(txn.range(start, end, limit=batch))
        doomed = [key for key, stored in rows if expired(records.decode(stored), attribute, now)]
        if doomed:
            deleted += _delete(store, meta, [key[len(prefix) :] for key in doomed], now)
        if len(rows) < batch:
            return deleted
        start = rows[-1][0] + b"\x00"


def _delete(store: Store, meta: TableMeta, encoded_keys: list[bytes], now: float) -> int:
    """Delete the items at these keys that are still expired (a write may have renewed one
    since the sweep read it)."""
    deleted = 0
    with store.write() as txn:
        current = catalog.find_table(txn, meta.account, meta.region, meta.name)
        if current is None or current.uid != meta.uid or current.ttl is None:
            return 0
        attribute = current.ttl["attribute"]
        tally = stats.Tally()
        txn.lock([items.storage_key(current, key) for key in encoded_keys])
        for key in encoded_keys:
            item = items.get(txn, current, key)
            if item is not None and expired(item, attribute, now):
                items.write(txn, current, key, items.replacing(None), tally=tally, service=True)
                deleted += 1
        tally.apply(txn)
    return deleted


def describe(meta: TableMeta, now: float) -> dict[str, Any]:
    """DynamoDB's TimeToLiveDescription."""
    out: dict[str, Any] = {"TimeToLiveStatus": status(meta, now)}
    if meta.ttl is not None and out["TimeToLiveStatus"] != "DISABLED":
        out["AttributeName"] = meta.ttl["attribute"]
    return out
