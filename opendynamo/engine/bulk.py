"""Bulk loading: many items into an existing table through the store directly, for seeding a
table (and for the scale benchmark), far faster than BatchWriteItem over HTTP.

Input is DynamoDB JSON, one item per line, as DynamoDB's ImportTable reads it
(`{"Item": {"pk": {"S": "a"}, ...}}`; a bare item object is accepted too). Every item is
validated as PutItem validates it; items go in with their index entries and counters, many per
storage transaction, so a failure leaves the batches before it in place and names the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import orjson

from opendynamo import errors
from opendynamo.engine import catalog, items, stats
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.keys import key_from_item
from opendynamo.model.values import Item, normalize_item
from opendynamo.storage.base import Store, WriteTxn


@dataclass(frozen=True, slots=True)
class Loaded:
    items: int
    bytes: int


class LoadError(Exception):
    """A line that is not an item the table accepts."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")


def load(
    store: Store, account: str, region: str, table: str, lines: Iterable[bytes],
    batch: int | None = None,
) -> Loaded:  # fmt: skip
    """Put every item of `lines` into the table, `batch` items per transaction (by default the
    store's `bulk_batch`); returns how many items and bytes went in."""
    batch = batch or store.bulk_batch
    with store.read() as txn:
        meta = catalog.find_table(txn, account, region, table)
    if meta is None:
        raise LoadError(0, f"table {table} not found in {account}/{region}")
    count = size = 0
    numbered = _parsed(lines)
    while chunk := list(islice(numbered, batch)):
        try:
            with store.write() as txn:
                size += _insert_all(txn, _current(txn, account, region, table, chunk), chunk)
        except errors.DynamoError:
            # A line the table refuses (nothing of the chunk was stored): the chunk again,
            # item by item, to name the first such line as a load of one item at a time would.
            with store.write() as txn:
                size += _write_each(txn, _current(txn, account, region, table, chunk), chunk)
        count += len(chunk)
    return Loaded(count, size)


def _current(
    txn: WriteTxn, account: str, region: str, table: str, chunk: list[tuple[int, Item]]
) -> TableMeta:
    """The table as it is now, read in every batch: it may have changed since the last (an
    index added, Time to Live enabled), and its items must follow the table as it is."""
    meta = catalog.find_table(txn, account, region, table)
    if meta is None:
        raise LoadError(chunk[0][0], f"table {table} was deleted during the load")
    return meta


def _insert_all(txn: WriteTxn, meta: TableMeta, chunk: list[tuple[int, Item]]) -> int:
    """Store the chunk's items, new ones in one call (`items.insert_many`) and those whose key
    holds an item already one at a time, their index entries written together (`Deferred`);
    the bytes stored."""
    new = [(key_from_item(meta, item), item) for _, item in chunk]
    tally = stats.Tally()
    deferred = Deferred(txn)
    size = 0
    for done, (key, item) in zip(items.insert_many(deferred, meta, new, tally), new, strict=True):
        if done is None:  # the key holds an item: replace it
            done = items.write(deferred, meta, key, items.replacing(item))
        size += done.new_size
    deferred.flush()
    tally.apply(txn)
    return size


def _write_each(txn: WriteTxn, meta: TableMeta, chunk: list[tuple[int, Item]]) -> int:
    tally = stats.Tally()
    size = 0
    for number, item in chunk:
        try:
            key = key_from_item(meta, item)
            outcome = items.insert(txn, meta, key, item, tally)
            if outcome is None:  # the key holds an item: replace it
                outcome = items.write(txn, meta, key, items.replacing(item))
        except errors.DynamoError as exc:
            raise LoadError(number, exc.message or exc.type_name) from None
        size += outcome.new_size
    tally.apply(txn)
    return size


class Deferred:
    """A write transaction whose `put`s wait, gathered, until the next call that reads or
    otherwise changes the store, or `flush`: a bulk load's index entries, or a
    BatchWriteItem's items, then go in with one `put_many` (one round trip on PostgreSQL, a
    statement per 100 rows on SQLite) instead of one each. Nothing outside the transaction
    can tell: it commits after `flush`."""

    def __init__(self, txn: WriteTxn) -> None:
        self._txn = txn
        self._puts: dict[bytes, bytes] = {}
        self.counter_buckets = txn.counter_buckets

    def flush(self) -> None:
        if self._puts:
            self._txn.put_many(list(self._puts.items()))
            self._puts = {}

    def put(self, key: bytes, value: bytes) -> None:
        self._puts[key] = value

    def put_many(self, pairs: list[tuple[bytes, bytes]]) -> None:
        for key, value in pairs:
            self.put(key, value)

    def get(self, key: bytes) -> bytes | None:
        self.flush()
        return self._txn.get(key)

    def guard(self, key: bytes) -> bytes | None:
        self.flush()
        return self._txn.guard(key)

    def range(
        self, start: bytes, end: bytes | None, *, reverse: bool = False, limit: int | None = None
    ) -> Iterator[tuple[bytes, bytes]]:
        self.flush()
        return self._txn.range(start, end, reverse=reverse, limit=limit)

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        self.flush()
        return self._txn.get_many(keys)

    def insert(self, key: bytes, value: bytes) -> bool:
        self.flush()
        return self._txn.insert(key, value)

    def insert_many(self, pairs: list[tuple[bytes, bytes]]) -> list[bool]:
        self.flush()
        return self._txn.insert_many(pairs)

    def delete(self, key: bytes) -> None:
        self.flush()
        self._txn.delete(key)

    def delete_range(self, start: bytes, end: bytes) -> int:
        self.flush()
        return self._txn.delete_range(start, end)

    def add_many(self, changes: list[tuple[bytes, int, int]]) -> None:
        self.flush()
        self._txn.add_many(changes)

    def append(self, entries: list[tuple[bytes, bytes, bytes]]) -> int:
        self.flush()
        return self._txn.append(entries)

    def lock(self, keys: list[bytes]) -> None:
        self.flush()
        self._txn.lock(keys)

    def try_lock(self, keys: list[bytes]) -> bool:
        self.flush()
        return self._txn.try_lock(keys)


def _parsed(lines: Iterable[bytes]) -> Iterator[tuple[int, Item]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
            yield number, normalize_item(data["Item"] if "Item" in data else data)
        except (orjson.JSONDecodeError, TypeError, AttributeError):
            raise LoadError(number, "not a JSON object of DynamoDB attribute values") from None
        except errors.DynamoError as exc:
            raise LoadError(number, exc.message or exc.type_name) from None
