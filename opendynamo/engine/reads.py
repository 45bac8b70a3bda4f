"""Reading a page of items from a key range, cut where DynamoDB cuts it.

A page ends after `limit` items have been read (evaluated, before any filter) or once the items
read reach 1 MB, whichever comes first; the item that reaches 1 MB is part of the page, and the
page is then cut even when nothing follows it. The 1 MB counts each item's page size, the
compact size DynamoDB measures pages by (`model/sizes.page_size`, kept in the stored record),
not its billed size. `more` says the page was cut, so the caller answers a LastEvaluatedKey.

A Scan's range may cross partitions (`Source.partition_bounds`): the billed bytes read are then
summed per partition, as DynamoDB charges each partition it reads separately.
"""

from __future__ import annotations

from dataclasses import dataclass

from opendynamo.engine import records
from opendynamo.engine.keyrange import KeyRange
from opendynamo.storage.base import ReadTxn

MAX_PAGE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    """The stored items read for one page, in reading order, whether the page was cut, and
    the sum of their DynamoDB sizes in each partition the page read (one entry for a Query)."""

    rows: list[bytes]
    more: bool
    partition_bytes: tuple[int, ...]


def read_page(
    txn: ReadTxn,
    key_range: KeyRange,
    *,
    reverse: bool,
    limit: int | None,
    range_key: str | None,
    partition_bounds: tuple[bytes, ...] = (),
) -> Page:
    """The page of `key_range` (`range_key`: the table's sort key, for records that predate
    the page size). `partition_bounds` are the first keys of the partitions after the first
    inside the range, in order; a reverse read never crosses one."""
    rows: list[bytes] = []
    packed = 0  # Σ size << 32 | page size of the rows read (records.SIZES): both sums at once
    spans: list[int] = []
    opened = 0  # `packed` when the current partition was entered
    bounds = iter(partition_bounds)
    bound = next(bounds, None)
    old_format, sizes, mask = records.FORMAT_SIZE_ONLY, records.SIZES, records.PAGE_SIZE_MASK
    for key, stored in txn.range(key_range.start, key_range.end, reverse=reverse, limit=limit):
        while bound is not None and key >= bound:  # into the next partition
            spans.append((packed - opened) >> 32)
            opened, bound = packed, next(bounds, None)
        rows.append(stored)
        if stored[0] == old_format:
            packed += records.packed_sizes(stored, range_key)
        else:
            packed += int.from_bytes(stored[sizes], "big")
        if packed & mask >= MAX_PAGE_BYTES:
            return Page(rows, True, (*spans, (packed - opened) >> 32))
    spans.append((packed - opened) >> 32)
    if limit is not None and len(rows) >= limit:
        return Page(rows, True, tuple(spans))
    if bound is not None:  # the partitions left were read and found empty
        spans.extend(0 for _ in (bound, *bounds))
    return Page(rows, False, tuple(spans))
