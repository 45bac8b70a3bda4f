"""Key-range planning: which stored keys a Query or a Scan reads, as plain data.

Stored item keys are `items_prefix(table) + partition hash + enc(pk) + enc(sk)` (model/keycodec),
so one partition is one contiguous range, its items in sort-key order, and a parallel-scan
segment is a contiguous slice of the partition-hash space.
"""

from __future__ import annotations

from dataclasses import dataclass

from opendynamo.model import keycodec, layout
from opendynamo.model.values import AttributeValue
from opendynamo.storage.base import prefix_end


@dataclass(frozen=True, slots=True)
class KeyRange:
    """Stored keys k with start <= k < end (end None: to the end of the store)."""

    start: bytes
    end: bytes | None

    def after(self, key: bytes) -> KeyRange:
        """The part of the range strictly after `key` (forward paging)."""
        return KeyRange(max(self.start, key + b"\x00"), self.end)

    def before(self, key: bytes) -> KeyRange:
        """The part of the range strictly before `key` (backward paging)."""
        end = key if self.end is None else min(self.end, key)
        return KeyRange(self.start, end)

    def contains(self, key: bytes) -> bool:
        return self.start <= key and (self.end is None or key < self.end)


@dataclass(frozen=True, slots=True)
class SortCondition:
    """A sort-key condition of a Query: operator EQ, LT, LE, GT, GE, BETWEEN or BEGINS_WITH."""

    operator: str
    values: tuple[AttributeValue, ...]


def query_range(
    table_uid: bytes, partition: AttributeValue, sort: SortCondition | None
) -> KeyRange:
    """The stored keys of one table partition that satisfy the sort-key condition."""
    prefix = layout.items_prefix(table_uid) + keycodec.partition_prefix(partition)
    return partition_range(prefix, sort)


def partition_range(prefix: bytes, sort: SortCondition | None) -> KeyRange:
    """The keys under `prefix` (a partition, possibly narrowed by leading sort-key values)
    whose next component satisfies `sort`. Each encoded value is self-delimiting, so the keys
    whose next component equals v are exactly those starting with `prefix + enc(v)`."""
    whole = KeyRange(prefix, _end(prefix))
    if sort is None:
        return whole
    first = prefix + keycodec.encode_value(sort.values[0])
    match sort.operator:
        case "EQ":
            return KeyRange(first, _end(first))
        case "LT":
            return KeyRange(prefix, first)
        case "LE":
            return KeyRange(prefix, _end(first))
        case "GT":
            return KeyRange(_end(first), whole.end)
        case "GE":
            return KeyRange(first, whole.end)
        case "BETWEEN":
            last = prefix + keycodec.encode_value(sort.values[1])
            return KeyRange(first, _end(last))
        case "BEGINS_WITH":
            start = prefix + keycodec.encode_prefix(sort.values[0])
            return KeyRange(start, _end(start))
    raise ValueError(f"unknown sort-key operator {sort.operator}")


def scan_range(table_uid: bytes, segment: int = 0, total_segments: int = 1) -> KeyRange:
    """The stored keys of one parallel-scan segment of the table (the whole table for 1)."""
    return segment_range(layout.items_prefix(table_uid), segment, total_segments)


def segment_range(prefix: bytes, segment: int = 0, total_segments: int = 1) -> KeyRange:
    """One parallel-scan segment of the keys under `prefix` (items of a table, or entries of
    an index): a contiguous slice of the partition-hash space that follows the prefix."""
    low, high = keycodec.segment_bounds(segment, total_segments)
    return KeyRange(prefix + low, _end(prefix) if high is None else prefix + high)


def _end(prefix: bytes) -> bytes:
    end = prefix_end(prefix)
    assert end is not None  # prefixes start with a layout byte below 0xff
    return end
