"""What a Query or Scan reads, in the store's terms: the table or one of its secondary
indexes, its key attributes, and the key prefix its rows live under.

A source has partition-key attributes (one, or up to four for a GSI with a multi-attribute
key), sort-key attributes (none, one, or up to four), a key prefix in the store, and the
attribute names of its paging keys (the table's key, plus the index's key for an index).

It also has DynamoDB's storage partitions, as far as a Scan's cost shows them: DynamoDB
charges every partition a Scan page reads separately, each rounded up to whole read units, so
a Scan of a new on-demand table holding one tiny item costs 4 read units (Alternator's
test_scan_consumed_capacity, recorded against DynamoDB). opendynamo models the partitions as
equal slices of the partition-hash space, as many as DynamoDB starts a table with: 4 for an
on-demand table, ⌈RCU / 3,000 + WCU / 1,000⌉ for a provisioned one (the developer guide's
former partition formula); they never split.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from opendynamo.engine import indexes, items
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.engine.keyrange import KeyRange, SortCondition, partition_range, segment_range
from opendynamo.model import keycodec, layout
from opendynamo.model.values import AttributeValue, Item


@dataclass(frozen=True, slots=True)
class Source:
    meta: TableMeta
    index: IndexMeta | None

    @property
    def hash_keys(self) -> tuple[str, ...]:
        return (self.meta.hash_key,) if self.index is None else self.index.hash_keys

    @property
    def range_keys(self) -> tuple[str, ...]:
        if self.index is not None:
            return self.index.range_keys
        return () if self.meta.range_key is None else (self.meta.range_key,)

    @property
    def key_names(self) -> tuple[str, ...]:
        return self.hash_keys + self.range_keys

    @property
    def start_key_names(self) -> tuple[str, ...]:
        """The attributes of LastEvaluatedKey / ExclusiveStartKey: the table's key, then the
        index's key attributes the table key lacks."""
        return tuple(dict.fromkeys(self.meta.key_names + self.key_names))

    @property
    def prefix(self) -> bytes:
        if self.index is None:
            return layout.items_prefix(self.meta.uid_bytes)
        return layout.index_prefix(self.meta.uid_bytes, self.index.number)

    def partition_prefix(self, hash_values: list[AttributeValue]) -> bytes:
        return self.prefix + indexes.partition_bytes(hash_values)

    def position(self, item: Item) -> bytes:
        """The stored key of an item (table) or of its entry (index)."""
        if self.index is None:
            key = keycodec.encode_key(
                item[self.meta.hash_key],
                item[self.meta.range_key] if self.meta.range_key is not None else None,
            )
            return items.storage_key(self.meta, key)
        entry = indexes.entry_key(self.meta, self.index, item)
        assert entry is not None
        return entry

    def segment(self, segment: int, total: int) -> KeyRange:
        return segment_range(self.prefix, segment, total)

    @property
    def partition_count(self) -> int:
        """DynamoDB's partitions of the source (an LSI lives in its table's)."""
        index = self.index
        billing = self.meta if index is None or not index.is_global else index
        if self.meta.billing_mode == "PAY_PER_REQUEST":
            return ON_DEMAND_PARTITIONS
        units = billing.read_capacity / PARTITION_READS + billing.write_capacity / PARTITION_WRITES
        return min(max(1, ceil(units)), keycodec.MAX_TOTAL_SEGMENTS)

    def partition_bounds(self, key_range: KeyRange) -> tuple[bytes, ...]:
        """The first keys of the partitions that start strictly inside `key_range`, in order."""
        count = self.partition_count
        starts = (self.prefix + keycodec.segment_bounds(n, count)[0] for n in range(1, count))
        return tuple(b for b in starts if key_range.start < b and key_range.contains(b))


ON_DEMAND_PARTITIONS = 4
PARTITION_READS = 3000  # read units one partition serves
PARTITION_WRITES = 1000  # write units one partition serves


def query_range(
    source: Source,
    hash_values: list[AttributeValue],
    equal_sort_values: list[AttributeValue],
    sort: SortCondition | None,
) -> KeyRange:
    """The rows of one partition whose leading sort-key attributes equal `equal_sort_values`
    and whose next one meets `sort`."""
    prefix = source.partition_prefix(hash_values)
    prefix += b"".join(keycodec.encode_value(v) for v in equal_sort_values)
    return partition_range(prefix, sort)
