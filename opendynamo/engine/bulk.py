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
from opendynamo.engine.keys import key_from_item
from opendynamo.model.values import Item, normalize_item
from opendynamo.storage.base import Store


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
        with store.write() as txn:
            # Read in every batch: the table may have changed since the last (an index added,
            # Time to Live enabled), and its items must follow the table as it is now.
            meta = catalog.find_table(txn, account, region, table)
            if meta is None:
                raise LoadError(chunk[0][0], f"table {table} was deleted during the load")
            tally = stats.Tally()
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
        count += len(chunk)
    return Loaded(count, size)


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
