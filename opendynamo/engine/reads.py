"""Reading a page of items from a key range, cut where DynamoDB cuts it.

A page ends after `limit` items have been read (evaluated, before any filter) or once the items
read reach 1 MB, whichever comes first; the item that reaches 1 MB is part of the page.
`more` says the page was cut, so the caller answers a LastEvaluatedKey.
"""

from __future__ import annotations

from dataclasses import dataclass

from opendynamo.engine import items
from opendynamo.engine.keyrange import KeyRange
from opendynamo.storage.base import ReadTxn

MAX_PAGE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    """The stored items read for one page, in reading order, and what they cost."""

    rows: list[bytes]
    read_bytes: int  # sum of the DynamoDB sizes of the items read
    more: bool


def read_page(txn: ReadTxn, key_range: KeyRange, *, reverse: bool, limit: int | None) -> Page:
    rows: list[bytes] = []
    total = 0
    for _, stored in txn.range(key_range.start, key_range.end, reverse=reverse, limit=limit):
        rows.append(stored)
        total += items.stored_size(stored)
        if total >= MAX_PAGE_BYTES:
            return Page(rows, total, True)
    return Page(rows, total, limit is not None and len(rows) >= limit)
