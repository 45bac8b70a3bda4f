"""Reading and writing one item inside a storage transaction, with its index entries, item
collection size and counters, all in that transaction (docs/architecture.md, "One write = one
transaction"). Stored values are `engine/records`."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from opendynamo import errors
from opendynamo.engine import catalog, changes, expiry, indexes, records, stats, tuning
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import keycodec, layout, values
from opendynamo.model.sizes import measure
from opendynamo.model.values import Item
from opendynamo.storage.base import ReadTxn, WriteTxn

MAX_ITEM_BYTES = 400 * 1024
SIZE_ERROR = "Item size has exceeded the maximum allowed size"

Mutation = Callable[[Item | None], Item | None]
# Where a replicated change comes from: the stamp of the write that made it (None: this
# transaction's) and the region it was made in.
Origin = tuple[int | None, str]

# The stored-record helpers under the names the api layer uses.
encode_item = records.encode
decode_item = records.decode
item_json = records.json_of
items_json = records.jsons_of
stored_size = records.size_of


class Unread(enum.Enum):
    """`write`'s default: the caller has not read the item."""

    UNREAD = enum.auto()


UNREAD: Final = Unread.UNREAD


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What one item write did: the images before and after, their DynamoDB sizes, the write
    units spent on each affected index, and the size of the item collection after the write
    (tables with local secondary indexes only)."""

    old: Item | None
    new: Item | None
    old_size: int
    new_size: int
    index_units: dict[str, float] = field(default_factory=dict)
    collection_size: int | None = None


def replacing(item: Item | None) -> Mutation:
    """The mutation of a put (or, for None, a delete): `item` takes the place of whatever is
    there."""
    return lambda _old: item


def storage_key(meta: TableMeta, encoded_key: bytes) -> bytes:
    return layout.items_prefix(meta.uid_bytes) + encoded_key


def lock(txn: WriteTxn, located: list[tuple[TableMeta, bytes]]) -> None:
    """Claim the items of a multi-item write (table, encoded key) before reading any of them
    (`WriteTxn.lock`), so that two such writes over the same items take turns."""
    txn.lock([storage_key(meta, encoded_key) for meta, encoded_key in located])


def get_raw(txn: ReadTxn, meta: TableMeta, encoded_key: bytes) -> bytes | None:
    return txn.get(storage_key(meta, encoded_key))


def get(txn: ReadTxn, meta: TableMeta, encoded_key: bytes) -> Item | None:
    raw = get_raw(txn, meta, encoded_key)
    return None if raw is None else records.decode(raw)


def write(
    txn: WriteTxn,
    meta: TableMeta,
    encoded_key: bytes,
    mutation: Mutation,
    size_error: str = SIZE_ERROR,
    tally: stats.Tally | None = None,
    service: bool = False,
    origin: Origin | None = None,
    stored: bytes | None | Unread = UNREAD,
) -> WriteOutcome:
    """Apply `mutation` to the item at the key: it gets the current item (or None) and returns
    the new one (None deletes). It may raise — a failed condition — and then nothing changes.
    An item over 400 KB is refused with `size_error`; an item whose index key attributes have
    the wrong type is refused before anything is written. With a `tally`, the counters of
    the table and its indexes change there, for the caller to apply before the transaction
    ends (a batch or a transaction: every counter is then written once, and last). `service`
    marks the change as DynamoDB's own (a deletion by Time to Live). `origin` marks a change
    replication applies (engine/replication): it is logged as replicated (never sent on
    again) and the item's version becomes the origin's. `stored` is the item's record (None:
    no item) when the caller read it already in this transaction (a batch reads its items
    at once: `WriteTxn.get_many`)."""
    if tally is None:
        tally = stats.Tally()
        outcome = write(
            txn, meta, encoded_key, mutation, size_error, tally, service, origin, stored
        )
        tally.apply(txn)
        return outcome
    key = storage_key(meta, encoded_key)
    raw = txn.get(key) if stored is UNREAD else stored
    old = None if raw is None else records.decode(raw)
    old_size = 0 if raw is None else records.size_of(raw)
    new = mutation(old)
    if new is None:
        if raw is None:
            return WriteOutcome(None, None, 0, 0)
        txn.delete(key)
        if meta.change_log or meta.replication is not None:
            _log(tally, meta, encoded_key, raw, None, service, origin)
            if origin is None and _strong(meta):
                _mirror(txn, meta, encoded_key, None, tally, service)
        tally.add(stats.item_counter(txn, meta, encoded_key), -1, -old_size)
        return _follow(txn, meta, encoded_key, old, None, old_size, 0, tally)
    new_size, page = _measured(meta, new, size_error)
    stored = records.encode(new, new_size, page)
    txn.put(key, stored)
    if (meta.change_log or meta.replication is not None) and _changed(old, new, raw, stored):
        _log(tally, meta, encoded_key, raw, stored, service, origin)
        if origin is None and _strong(meta):
            _mirror(txn, meta, encoded_key, new, tally, service)
    counter = stats.item_counter(txn, meta, encoded_key)
    tally.add(counter, 0 if raw is not None else 1, new_size - old_size)
    return _follow(txn, meta, encoded_key, old, new, old_size, new_size, tally)


def _log(
    tally: stats.Tally,
    meta: TableMeta,
    encoded_key: bytes,
    old: bytes | None,
    new: bytes | None,
    service: bool,
    origin: Origin | None,
) -> None:
    """Log a change in the table's change log, and for a replica of a global table, make it
    the item's version: the origin's, or this transaction's own in this region."""
    if meta.change_log:
        changes.record(tally, meta, encoded_key, old, new, service, origin is not None)
    if meta.replication is not None:
        stamp, region = origin or (None, meta.region)
        tally.versions.append((layout.version_key(meta.uid_bytes, encoded_key), stamp, region))


def _strong(meta: TableMeta) -> bool:
    """Whether `meta` is a replica of a global table with strong consistency."""
    group = (meta.replication or {}).get("group")
    return group is not None and group.get("consistency") == "STRONG"


def _mirror(
    txn: WriteTxn,
    meta: TableMeta,
    encoded_key: bytes,
    item: Item | None,
    tally: stats.Tally,
    service: bool,
) -> None:
    """Strong consistency (engine/replication): apply a write to every other replica in the
    write's own transaction, with this transaction's version, before it is acknowledged."""
    assert meta.replication is not None
    for region in meta.replication["group"]["replicas"]:
        if region == meta.region:
            continue
        other = catalog.find_table(txn, meta.account, region, meta.name)
        if other is not None and not other.tombstone:
            if not txn.try_lock([storage_key(other, encoded_key)]):
                raise errors.replicated_write_conflict()  # another region's write has it
            write(txn, other, encoded_key, replacing(item), SIZE_ERROR, tally, service,
                  (None, meta.region))  # fmt: skip


def _changed(old: Item | None, new: Item, raw: bytes | None, stored: bytes) -> bool:
    """Whether a write changed the item's data. One that did not (the same item put again, in
    any order of its attributes or set members; an update to equal values) writes no change
    record, so DynamoDB Streams shows nothing for it (developer guide, "Change data capture
    for DynamoDB Streams")."""
    return old is None or (stored != raw and not values.same_item(old, new))


def insert(
    txn: WriteTxn, meta: TableMeta, encoded_key: bytes, item: Item, tally: stats.Tally
) -> WriteOutcome | None:
    """Write `item` where no item is, without reading first (bulk loading): as `write` of a new
    item, except that the table's counters grow in `tally`, which the caller applies before the
    transaction ends. None, and nothing changed, when an item holds the key already."""
    size, page = _measured(meta, item, SIZE_ERROR)
    stored = records.encode(item, size, page)
    if not txn.insert(storage_key(meta, encoded_key), stored):
        return None
    return _inserted(txn, meta, encoded_key, item, size, stored, tally)


def insert_many(
    txn: WriteTxn, meta: TableMeta, new: list[tuple[bytes, Item]], tally: stats.Tally
) -> list[WriteOutcome | None]:
    """`insert` of many (encoded key, item) pairs, the items stored in one call
    (`WriteTxn.insert_many`: one statement on PostgreSQL), then their index entries and
    counters; None for each item whose key holds an item already (nothing of it changed)."""
    prefix = layout.items_prefix(meta.uid_bytes)
    sizes = []
    rows = []
    for encoded_key, item in new:
        size, page = _measured(meta, item, SIZE_ERROR)
        sizes.append(size)
        rows.append((prefix + encoded_key, records.encode(item, size, page)))
    done = txn.insert_many(rows)
    return [
        _inserted(txn, meta, encoded_key, item, size, stored, tally) if inserted else None
        for (encoded_key, item), size, (_, stored), inserted in zip(
            new, sizes, rows, done, strict=True
        )
    ]


def _inserted(
    txn: WriteTxn,
    meta: TableMeta,
    encoded_key: bytes,
    item: Item,
    size: int,
    stored: bytes,
    tally: stats.Tally,
) -> WriteOutcome:
    """The rest of an insert, once the item is stored: its change record, counters and index
    entries."""
    if meta.change_log or meta.replication is not None:
        _log(tally, meta, encoded_key, None, stored, False, None)
    tally.add(stats.item_counter(txn, meta, encoded_key), 1, size)
    return _follow(txn, meta, encoded_key, None, item, 0, size, tally)


def _measured(meta: TableMeta, item: Item, size_error: str) -> tuple[int, int]:
    """The item's size and page size (`model/sizes.measure`), once it is known to fit and to
    have valid index key attributes."""
    size, page = measure(item, meta.range_key)
    if size > MAX_ITEM_BYTES:
        raise errors.validation(size_error)
    if meta.indexes:
        indexes.check_item(meta, item)
    return size, page


def _follow(
    txn: WriteTxn,
    meta: TableMeta,
    encoded_key: bytes,
    old: Item | None,
    new: Item | None,
    old_size: int,
    new_size: int,
    tally: stats.Tally,
) -> WriteOutcome:
    """Bring the index entries, the expiry entry (a table with Time to Live) and the item
    collection's size in line with a write of the item from `old` to `new`."""
    if meta.ttl is not None:
        expiry.follow(txn, meta, encoded_key, old, new)
    if not meta.indexes:
        return WriteOutcome(old, new, old_size, new_size)
    changes = indexes.plan(meta, old, new)
    local_delta = indexes.apply(txn, meta, changes, tally) if changes else 0
    collection = None
    if meta.local_indexes:
        collection = _grow_collection(txn, meta, encoded_key, new_size - old_size + local_delta)
    units = {change.index.name: change.write_units for change in changes}
    return WriteOutcome(old, new, old_size, new_size, units, collection)


def _grow_collection(txn: WriteTxn, meta: TableMeta, encoded_key: bytes, delta: int) -> int:
    """Track the size of the item's collection (all items and LSI entries sharing its partition
    key); refuse growth past the limit with ItemCollectionSizeLimitExceededException."""
    # The encoded partition key is the stretch after the hash; decoding finds where it ends.
    _, end = keycodec.decode_value(encoded_key, keycodec.PARTITION_HASH_SIZE)
    key = layout.collection_key(meta.uid_bytes, encoded_key[keycodec.PARTITION_HASH_SIZE : end])
    raw = txn.get(key)
    size = 0 if raw is None else int.from_bytes(raw, "big", signed=True)
    size += delta
    if delta > 0 and size > tuning.current.item_collection_limit:
        raise errors.item_collection_size_limit_exceeded()
    txn.put(key, size.to_bytes(8, "big", signed=True))
    return size
