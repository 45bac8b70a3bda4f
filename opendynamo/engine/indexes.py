"""Secondary index entries: where an item's entry lives, what it holds, and how a write changes
the entries of every index — computed as a plan (plain data) and applied in the write's own
transaction, so an entry never exists without its item.

Entry key: `layout.index_prefix(table, number)` + 4-byte hash of the encoded index partition
key + encoded partition-key attributes + encoded sort-key attributes + encoded table key. The
table key makes entries unique and orders equal index keys; each encoded value is
self-delimiting, so multi-attribute keys compare attribute by attribute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from opendynamo import errors
from opendynamo.engine import records, stats
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model import keycodec, layout
from opendynamo.model.sizes import binary_length, item_size, page_size
from opendynamo.model.values import AttributeValue, Item
from opendynamo.storage.base import WriteTxn

WRITE_UNIT = 1024


class IndexKeyError(errors.DynamoError):
    """An index key attribute DynamoDB refuses: `problem` is "type", "size" or "empty", so an
    update can word it as DynamoDB words update-time failures."""

    __slots__ = ("problem",)

    def __init__(self, problem: str, message: str) -> None:
        super().__init__("ValidationException", message, namespace=errors.CORAL_VALIDATE)
        self.problem = problem


MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


def check_item(meta: TableMeta, item: Item) -> None:
    """DynamoDB's checks of index key attributes in an item about to be written: each present
    one must have its declared type, must not be empty and must fit the key size limits (GSIs,
    then LSIs, last first, as DynamoDB reports them)."""
    for index in (*reversed(meta.global_indexes), *reversed(meta.local_indexes)):
        if not index.maintained:
            continue
        attrs = index.key_names if index.is_global else index.range_keys
        for attr in attrs:
            value = item.get(attr)
            if value is not None:
                limit = MAX_PARTITION_KEY_BYTES if attr in index.hash_keys else MAX_SORT_KEY_BYTES
                _check_value(meta, index, attr, value, limit)


def _check_value(
    meta: TableMeta, index: IndexMeta, attr: str, value: AttributeValue, limit: int
) -> None:
    expected = meta.attribute_type(attr)
    if expected not in value:
        actual = next(iter(value))
        raise IndexKeyError(
            "type",
            "One or more parameter values were invalid: "
            f"Type mismatch for Index Key {attr} Expected: {expected} Actual: {actual} "
            f"IndexName: {index.name}",
        )
    if expected == "N":
        return
    size = len(value["S"].encode()) if expected == "S" else binary_length(value["B"])
    if size == 0:
        kind = "string" if expected == "S" else "binary"
        raise IndexKeyError(
            "empty",
            "One or more parameter values are not valid. A value specified for a secondary "
            "index key is not supported. The AttributeValue for a key attribute cannot contain "
            f"an empty {kind} value. IndexName: {index.name}, IndexKey: {attr}",
        )
    if size > limit:
        raise IndexKeyError(
            "size",
            "One or more parameter values were invalid: "
            f"Size limit exceeded for Index Key {attr} Actual Size: {size} bytes "
            f"Max Size: {limit} bytes IndexName: {index.name}",
        )


def partition_bytes(values: Iterable[AttributeValue]) -> bytes:
    """Hash + encoding of an index partition key (one or several attribute values)."""
    encoded = b"".join(keycodec.encode_value(value) for value in values)
    return _hash(encoded) + encoded


def _hash(encoded: bytes) -> bytes:
    # The same hash keycodec.partition_hash gives a single value.
    return hashlib.blake2b(encoded, digest_size=keycodec.PARTITION_HASH_SIZE).digest()


def table_key_bytes(meta: TableMeta, item: Item) -> bytes:
    key = keycodec.encode_value(item[meta.hash_key])
    if meta.range_key is not None:
        key += keycodec.encode_value(item[meta.range_key])
    return key


def entry_key(meta: TableMeta, index: IndexMeta, item: Item) -> bytes | None:
    """Where the item's entry lives in the index, or None when the item lacks a key attribute
    (a sparse index holds only the items that have them all)."""
    hash_values = []
    for attr in index.hash_keys:
        value = item.get(attr)
        if value is None:
            return None
        hash_values.append(value)
    range_part = b""
    for attr in index.range_keys:
        value = item.get(attr)
        if value is None:
            return None
        range_part += keycodec.encode_value(value)
    prefix = layout.index_prefix(meta.uid_bytes, index.number)
    return prefix + partition_bytes(hash_values) + range_part + table_key_bytes(meta, item)


def projected(meta: TableMeta, index: IndexMeta, item: Item) -> Item:
    """The attributes of `item` the index holds: its projection plus every key attribute."""
    if index.projection_type == "ALL":
        return item
    names = [*meta.key_names, *index.key_names]
    if index.projection_type == "INCLUDE":
        names.extend(index.non_key_attributes)
    return {name: item[name] for name in dict.fromkeys(names) if name in item}


def projects(meta: TableMeta, index: IndexMeta, name: str) -> bool:
    """Whether the index holds attribute `name` of its items."""
    return (
        index.projection_type == "ALL"
        or name in meta.key_names
        or name in index.key_names
        or name in index.non_key_attributes
    )


@dataclass(frozen=True, slots=True)
class EntryChange:
    """What one item write does to one index: delete an entry, put one, or both (key moved).
    `in_place` marks a put over the entry the item already had."""

    index: IndexMeta
    delete: bytes | None
    deleted_size: int  # size of the entry deleted (or replaced, for an in-place put)
    put: bytes | None
    entry: Item | None
    entry_size: int
    in_place: bool

    @property
    def write_units(self) -> float:
        units = 0
        if self.delete is not None and not self.in_place:
            units += max(1, -(-self.deleted_size // WRITE_UNIT))
        if self.put is not None:
            units += max(1, -(-self.entry_size // WRITE_UNIT))
        return float(units)


def plan(meta: TableMeta, old: Item | None, new: Item | None) -> list[EntryChange]:
    """The entry changes of every maintained index for a write from `old` to `new`; indexes
    the write does not affect have none."""
    changes = []
    for index in meta.indexes:
        if not index.maintained:
            continue
        change = _plan_one(meta, index, old, new)
        if change is not None:
            changes.append(change)
    return changes


def _plan_one(
    meta: TableMeta, index: IndexMeta, old: Item | None, new: Item | None
) -> EntryChange | None:
    old_key = entry_key(meta, index, old) if old is not None else None
    new_key = entry_key(meta, index, new) if new is not None else None
    if old_key is None and new_key is None:
        return None
    old_entry = projected(meta, index, old) if old_key is not None and old is not None else None
    new_entry = projected(meta, index, new) if new_key is not None and new is not None else None
    if old_key == new_key:
        if old_entry == new_entry:
            return None
        size = item_size(new_entry) if new_entry is not None else 0
        replaced = item_size(old_entry) if old_entry is not None else 0
        return EntryChange(index, None, replaced, new_key, new_entry, size, True)
    return EntryChange(
        index,
        old_key,
        item_size(old_entry) if old_entry is not None else 0,
        new_key,
        new_entry,
        item_size(new_entry) if new_entry is not None else 0,
        False,
    )


def apply(txn: WriteTxn, meta: TableMeta, changes: list[EntryChange], tally: stats.Tally) -> int:
    """Carry out the plan; return the change in bytes of the item's LSI entries (for item
    collection sizes). While an index backfills, entries are checked before they are counted,
    since the backfill may not have written them yet. The index counters change in `tally`."""
    local_delta = 0
    for change in changes:
        index = change.index
        delta_size = 0
        if change.delete is not None:
            if not index.backfilling or txn.get(change.delete) is not None:
                txn.delete(change.delete)
                counter = stats.entry_counter(txn, meta, index.number, change.delete)
                tally.add(counter, -1, -change.deleted_size)
                delta_size -= change.deleted_size
        if change.put is not None and change.entry is not None:
            old_size = change.deleted_size if change.in_place else 0
            existed = change.in_place
            if index.backfilling:
                previous = txn.get(change.put)
                existed = previous is not None
                old_size = 0 if previous is None else records.size_of(previous)
            page = page_size(change.entry, meta.range_key)
            txn.put(change.put, records.encode(change.entry, change.entry_size, page))
            counter = stats.entry_counter(txn, meta, index.number, change.put)
            tally.add(counter, 0 if existed else 1, change.entry_size - old_size)
            delta_size += change.entry_size - old_size
        if not index.is_global:
            local_delta += delta_size
    return local_delta
