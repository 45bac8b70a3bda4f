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
    """The stored keys of one partition that satisfy the sort-key condition."""
    prefix = layout.items_prefix(table_uid) + keycodec.partition_prefix(partition)
    whole = KeyRange(prefix, _end(prefix))
    if sort is None:
        return whole
    first = prefix + keycodec.encode_value(sort.values[0])
    # An encoded sort key is the last component of a stored key, so `first + b"\x00"` is the
    # smallest key greater than `first` itself.
    match sort.operator:
        case "EQ":
            return KeyRange(first, first + b"\x00")
        case "LT":
            return KeyRange(prefix, first)
        case "LE":
            return KeyRange(prefix, first + b"\x00")
        case "GT":
            return KeyRange(first + b"\x00", whole.end)
        case "GE":
            return KeyRange(first, whole.end)
        case "BETWEEN":
            last = prefix + keycodec.encode_value(sort.values[1])
            return KeyRange(first, last + b"\x00")
        case "BEGINS_WITH":
            start = prefix + keycodec.encode_prefix(sort.values[0])
            return KeyRange(start, _end(start))
    raise ValueError(f"unknown sort-key operator {sort.operator}")


def scan_range(table_uid: bytes, segment: int = 0, total_segments: int = 1) -> KeyRange:
    """The stored keys of one parallel-scan segment of the table (the whole table for 1)."""
    prefix = layout.items_prefix(table_uid)
    low, high = keycodec.segment_bounds(segment, total_segments)
    return KeyRange(prefix + low, _end(prefix) if high is None else prefix + high)


def _end(prefix: bytes) -> bytes:
    end = prefix_end(prefix)
    assert end is not None  # prefixes start with a layout byte below 0xff
    return end
