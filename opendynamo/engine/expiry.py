"""The expiry index of Time to Live: one entry per item whose TTL attribute is a Number, keyed
by the moment it holds and then the item's key (`layout.EXPIRY`, docs/format.md), so that a
sweep reads the entries up to now instead of the whole table (engine/ttl).

Writes keep the entries in the item's own transaction (`follow`, called by `engine/items` for a
table with a TTL setting) while TTL is enabled. Enabling TTL on a table that holds items builds
the entries of the items already there in the background, a batch per job step, as a GSI is
backfilled (`step`); disabling it drops them, also in the background. The state is
`TableMeta.ttl["index"]`:

- `{"state": "BUILDING", "cursor": hex or null}`: writes keep the entries, and a job adds those
  of the items after the cursor (the last item key it indexed);
- `{"state": "ACTIVE"}`: every item has its entry;
- `{"state": "FAILED", "reason": ...}`: the build gave up; sweeps read the whole table;
- `{"state": "DELETING"}`: TTL was disabled, a job drops the entries;
- null (or absent): no entries. A table whose TTL was enabled by a version without the index
  has none either: its next sweep starts the build (engine/ttl).

An entry may outlive the moment it names (a write and a build step that crossed, on a store
with writers side by side): a sweep that finds an entry its item no longer has deletes it.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson

from opendynamo.engine import catalog, records
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import keycodec, layout, numbers
from opendynamo.model.values import AttributeValue, Item
from opendynamo.storage.base import ReadTxn, WriteTxn, prefix_end

BUILDING, ACTIVE, FAILED, DELETING = "BUILDING", "ACTIVE", "FAILED", "DELETING"
# The largest and smallest magnitudes of a DynamoDB Number, and keys below and above every
# encoded Number (sign classes 0x00 and 0x04 are never written): the bounds of a sweep for a
# moment of the clock beyond the Numbers (none in practice, but every float has its bounds).
_LARGEST = Decimal("9" * numbers.MAX_DIGITS + f"E+{numbers.MAX_EXPONENT - numbers.MAX_DIGITS + 1}")
_SMALLEST = Decimal(f"1E{numbers.MIN_EXPONENT}")
_BELOW_ALL = bytes((keycodec.TYPE_N, keycodec.NUM_NEGATIVE - 1))
_ABOVE_ALL = bytes((keycodec.TYPE_N, keycodec.NUM_POSITIVE + 1))


def moment_bytes(value: AttributeValue | None) -> bytes | None:
    """The order-preserving encoding of the moment a TTL attribute holds: keycodec's encoding
    of the Number (self-delimiting, byte order = numeric order over every Number DynamoDB
    accepts, 1E+125 and -5 alike, so no moment needs clamping). None for a value that never
    expires: another type, or a number that cannot be read (`ttl.expired` says the same)."""
    if value is None:
        return None
    text = value.get("N")
    if not isinstance(text, str):
        return None
    try:
        return keycodec.encode_value({"N": text})
    except (ArithmeticError, ValueError):  # not a number (InvalidOperation), or out of range
        return None


def since(moment: float) -> bytes:
    """The least key (after an index's prefix) of the entries whose Number is at or after
    `moment`, a moment of the clock read as `ttl.expired` reads it (`Decimal(repr(moment))`)."""
    value = _clamped(moment, up=True)
    if isinstance(value, bytes):
        return value
    return keycodec.encode_value({"N": str(value)})


def until(moment: float) -> bytes:
    """The least key (after an index's prefix) above every entry whose Number is at or before
    `moment` (as `since`)."""
    value = _clamped(moment, up=False)
    if isinstance(value, bytes):
        return value
    end = prefix_end(keycodec.encode_value({"N": str(value)}))
    assert end is not None  # an encoded Number starts with TYPE_N, not 0xFF
    return end


def _clamped(moment: float, up: bool) -> Decimal | bytes:
    """`moment` (read as `Decimal(repr(moment))`) within DynamoDB's Number range: between 0
    and the smallest magnitude, where there are no Numbers, the nearest Number above it
    (`up`) or below it; beyond the largest magnitude, the key above or below every Number."""
    if math.isnan(moment):
        raise ValueError("a moment of the clock is a number, not NaN")
    value = Decimal(repr(moment))
    if value > _LARGEST:
        return _ABOVE_ALL
    if value < _LARGEST.copy_negate():
        return _BELOW_ALL
    if 0 < value < _SMALLEST:
        return _SMALLEST if up else Decimal(0)
    if _SMALLEST.copy_negate() < value < 0:
        return Decimal(0) if up else _SMALLEST.copy_negate()
    return value


def entry_key(meta: TableMeta, encoded_key: bytes, moment: bytes) -> bytes:
    return layout.expiry_prefix(meta.uid_bytes) + moment + encoded_key


def item_key(prefix: bytes, entry: bytes) -> bytes:
    """The encoded item key (keycodec.encode_key) of an entry under `prefix`."""
    _, end = keycodec.decode_value(entry, len(prefix))
    return entry[end:]


def follow(
    txn: WriteTxn, meta: TableMeta, encoded_key: bytes, old: Item | None, new: Item | None
) -> None:
    """Keep the item's entry in line with a write of it from `old` to `new` (None: no item),
    in the write's transaction; nothing while TTL is disabled."""
    setting = meta.ttl
    if setting is None or not setting["enabled"]:
        return
    attribute = setting["attribute"]
    before = None if old is None else old.get(attribute)
    after = None if new is None else new.get(attribute)
    if before == after:
        return
    was, will = moment_bytes(before), moment_bytes(after)
    if was is not None:
        txn.delete(entry_key(meta, encoded_key, was))
    if will is not None:
        txn.put(entry_key(meta, encoded_key, will), b"")


def state(meta: TableMeta) -> dict[str, Any] | None:
    """The index's state (module docstring); None: there are no entries."""
    return None if meta.ttl is None else meta.ttl.get("index")


def changed(txn: WriteTxn, meta: TableMeta, setting: dict[str, Any]) -> TableMeta:
    """`meta` with its TTL set to `setting` (attribute, enabled, changed), the index's work
    to do for it noted and its job marked: enabling builds the index, disabling drops it.
    Entries a job has not dropped yet (TTL enabled again within the change interval) are
    dropped here, before the build starts."""
    index = state(meta)
    if setting["enabled"]:
        if index is not None:
            drop(txn, meta)
        index = {"state": BUILDING, "cursor": None}
    else:
        index = {"state": DELETING}
    txn.put(layout.job_key(meta.account, meta.region, meta.name), b"")
    return catalog.replace(meta, ttl={**setting, "index": index})


def for_new_replica(setting: dict[str, Any] | None) -> dict[str, Any] | None:
    """The TTL setting of a new replica of a table with `setting`: the same, with its index
    whole if TTL is on (the copy that fills the replica writes every item, and writes keep
    the entries) and none if it is off."""
    if setting is None:
        return None
    return {**setting, "index": {"state": ACTIVE} if setting["enabled"] else None}


def drop(txn: WriteTxn, meta: TableMeta) -> int:
    """Delete every entry of the table; how many there were."""
    prefix = layout.expiry_prefix(meta.uid_bytes)
    end = prefix_end(prefix)
    assert end is not None
    return txn.delete_range(prefix, end)


def step(txn: WriteTxn, meta: TableMeta, batch: int) -> bool:
    """One step of the index's background work (a build's batch, or the drop); False when it
    has none."""
    index = state(meta)
    if index is None or index["state"] not in (BUILDING, DELETING):
        return False
    assert meta.ttl is not None
    if index["state"] == DELETING:
        drop(txn, meta)
        catalog.put_table(txn, catalog.replace(meta, ttl={**meta.ttl, "index": None}))
        return True
    if not meta.ttl["enabled"]:  # cannot happen (disabling sets DELETING): end it all the same
        index = {"state": DELETING}
    else:
        index = _build(txn, meta, index["cursor"], batch)
    catalog.put_table(txn, catalog.replace(meta, ttl={**meta.ttl, "index": index}))
    return True


def _build(txn: WriteTxn, meta: TableMeta, cursor: str | None, batch: int) -> dict[str, Any]:
    """Add the entries of the next `batch` items after `cursor`; the index's state after it.
    An entry a write made already is put again as it is."""
    assert meta.ttl is not None
    attribute = meta.ttl["attribute"]
    # A record holds its attribute names as JSON keys: a record without this one has no
    # entry, and is not decoded (a map attribute holding such a key is decoded for nothing).
    name = orjson.dumps(attribute) + b":"
    prefix = layout.items_prefix(meta.uid_bytes)
    start = prefix if cursor is None else bytes.fromhex(cursor) + b"\x00"
    rows = list(txn.range(start, prefix_end(prefix), limit=batch))
    for key, stored in rows:
        if name in stored:
            moment = moment_bytes(records.decode(stored).get(attribute))
            if moment is not None:
                txn.put(entry_key(meta, key[len(prefix) :], moment), b"")
    if len(rows) < batch:
        return {"state": ACTIVE}
    return {"state": BUILDING, "cursor": rows[-1][0].hex()}


def failed(meta: TableMeta, reason: str) -> TableMeta | None:
    """`meta` with its index's build given up (sweeps read the whole table from then on),
    or None when no build is under way."""
    index = state(meta)
    if meta.ttl is None or index is None or index["state"] != BUILDING:
        return None
    return catalog.replace(meta, ttl={**meta.ttl, "index": {"state": FAILED, "reason": reason}})


def unindexed_start(meta: TableMeta) -> bytes | None:
    """Where the items the index does not cover yet start (a stored item key), while it is
    being built; None when it covers every item."""
    index = state(meta)
    if index is None or index["state"] != BUILDING:
        return None
    cursor = index["cursor"]
    prefix = layout.items_prefix(meta.uid_bytes)
    return prefix if cursor is None else bytes.fromhex(cursor) + b"\x00"


def job_pending(txn: ReadTxn, meta: TableMeta) -> bool:
    return txn.get(layout.job_key(meta.account, meta.region, meta.name)) is not None
