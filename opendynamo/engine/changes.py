"""The change log: one entry per item change, appended in the transaction of the write.

While a table's change log is on (point-in-time recovery is enabled, or a backup is being
taken), every write that changes an item appends an entry at
`CHANGES + table uid + stamp + item key` holding the item's stored record before and after.
The entries of one transaction are appended together, at its end, under one stamp: the store's
clock read once every item of the transaction is locked (`WriteTxn.append`). So the entries of
one item sort in the order its changes committed, and an instant falls before or after all of
a transaction; that is all a restore needs.

With the images before and after, a copy of the table taken while writes go on (a *fuzzy*
copy: each batch of items read at a different moment) becomes the table as it was at any
instant T from the moment the log was on: the last change of an item at or before T gives its
image then (`redo`); an item next changed after T had, at T, the image before that change
(`undo`, walked from the newest entry back so that the earliest change after T is applied
last); an item with no entry kept the image the copy holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from opendynamo.engine import catalog
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.stats import Tally
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn, prefix_end

FORMAT = 1
_HEADER = 6  # FORMAT, flags, length of the image before (4 bytes)
# Flags: an image before, an image after, made by the service (Time to Live), and applied by
# replication from another region's replica (engine/replication: never sent on again).
_OLD, _NEW, _SERVICE, _REPLICATED = 1, 2, 4, 8


@dataclass(frozen=True, slots=True)
class Change:
    stamp: int  # microseconds on the store's clock
    encoded_key: bytes  # keycodec.encode_key of the item
    old: bytes | None  # the stored record (engine/records) before the change; None: no item
    new: bytes | None  # ... and after it
    service: bool = False  # made by DynamoDB itself (a deletion by Time to Live)
    replicated: bool = False  # applied by replication from another region (engine/replication)


def record(
    tally: Tally,
    meta: TableMeta,
    encoded_key: bytes,
    old: bytes | None,
    new: bytes | None,
    service: bool = False,
    replicated: bool = False,
) -> None:
    """Log the change of one item (stored records before and after; None: absent) with the
    write's counters: the transaction appends it when it applies them."""
    value = encode_images(old, new, service, replicated)
    tally.log.append((layout.changes_prefix(meta.uid_bytes), encoded_key, value))


def encode_images(
    old: bytes | None, new: bytes | None, service: bool = False, replicated: bool = False
) -> bytes:
    """A change record's value: the stored records before and after (None: absent)."""
    flags = (_OLD if old is not None else 0) | (_NEW if new is not None else 0)
    flags |= (_SERVICE if service else 0) | (_REPLICATED if replicated else 0)
    before = old or b""
    return bytes((FORMAT, flags)) + len(before).to_bytes(4, "big") + before + (new or b"")


def decode_images(value: bytes) -> tuple[bytes | None, bytes | None]:
    flags = value[1]
    length = int.from_bytes(value[2:_HEADER], "big")
    old = value[_HEADER : _HEADER + length] if flags & _OLD else None
    new = value[_HEADER + length :] if flags & _NEW else None
    return old, new


def decode(key: bytes, value: bytes) -> Change:
    old, new = decode_images(value)
    flags = value[1]
    return Change(
        layout.change_stamp(key),
        layout.change_item_key(key),
        old,
        new,
        bool(flags & _SERVICE),
        bool(flags & _REPLICATED),
    )


def bounds(table_uid: bytes, after: int, until: int) -> tuple[bytes, bytes]:
    """The keys of the table's entries with after < stamp <= until."""
    prefix = layout.changes_prefix(table_uid)
    return prefix + layout.stamp_bytes(after + 1), prefix + layout.stamp_bytes(until + 1)


def read(
    txn: ReadTxn,
    table_uid: bytes,
    after: int,
    until: int,
    *,
    reverse: bool = False,
    limit: int | None = None,
) -> Iterator[tuple[bytes, Change]]:
    """(stored key, change) of the table's entries with after < stamp <= until, oldest first
    (or newest first)."""
    start, end = bounds(table_uid, after, until)
    for key, value in txn.range(start, end, reverse=reverse, limit=limit):
        yield key, decode(key, value)


def release(txn: WriteTxn, meta: TableMeta, holder: str) -> TableMeta:
    """Let go of the table's log for `holder`; entries no holder left needs are removed (all
    of them when none is left). Returns the table as stored."""
    held = {name: since for name, since in meta.change_log.items() if name != holder}
    if held:
        trim(txn, meta.uid_bytes, min(held.values()) + 1)
    else:
        drop(txn, meta.uid_bytes)
    updated = catalog.replace(meta, change_log=held)
    catalog.put_table(txn, updated)
    return updated


def advance(txn: WriteTxn, meta: TableMeta, holder: str, since: int) -> TableMeta:
    """Move `holder`'s claim on the log forward to entries after `since` (never back), and
    remove the entries no holder needs any more. Returns the table as stored."""
    if since <= meta.change_log.get(holder, since):
        return meta
    held = {**meta.change_log, holder: since}
    trim(txn, meta.uid_bytes, min(held.values()) + 1)
    updated = catalog.replace(meta, change_log=held)
    catalog.put_table(txn, updated)
    return updated


def trim(txn: WriteTxn, table_uid: bytes, before: int) -> int:
    """Remove the table's entries stamped before `before`; how many were removed."""
    prefix = layout.changes_prefix(table_uid)
    return txn.delete_range(prefix, prefix + layout.stamp_bytes(before))


def drop(txn: WriteTxn, table_uid: bytes) -> None:
    """Remove the table's whole log."""
    prefix = layout.changes_prefix(table_uid)
    end = prefix_end(prefix)
    assert end is not None
    txn.delete_range(prefix, end)
