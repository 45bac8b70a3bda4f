"""Capacity units as DynamoDB computes them (DynamoDB Developer Guide, "Read/write capacity mode").

Reads are counted in 4 KB units (half for eventually consistent reads), writes in 1 KB units;
every request costs at least one unit (half a read unit when eventually consistent).
"""

from __future__ import annotations

from typing import Any

READ_UNIT = 4096
WRITE_UNIT = 1024


def read_units(size: int, consistent: bool) -> float:
    units = max(1, -(-size // READ_UNIT))
    return float(units) if consistent else units / 2


def partition_read_units(partition_bytes: tuple[int, ...], consistent: bool) -> float:
    """A page that read `partition_bytes` in each of the partitions it crossed: each partition
    is rounded up on its own (engine/sources)."""
    return sum(read_units(size, consistent) for size in partition_bytes)


def write_units(size: int) -> float:
    return float(max(1, -(-size // WRITE_UNIT)))


def consumed(
    table_name: str,
    units: float,
    mode: str | None,
    *,
    global_units: dict[str, float] | None = None,
    local_units: dict[str, float] | None = None,
) -> dict[str, Any] | None:
    """The ConsumedCapacity member for ReturnConsumedCapacity `mode` (None or NONE: absent),
    shaped as in AWS's API reference examples: the total over the table and its indexes, and
    with INDEXES the table's and each index's own units."""
    if mode is None or mode == "NONE":
        return None
    index_total = sum((global_units or {}).values()) + sum((local_units or {}).values())
    out: dict[str, Any] = {"TableName": table_name, "CapacityUnits": units + index_total}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": units}
        if global_units:
            out["GlobalSecondaryIndexes"] = {
                name: {"CapacityUnits": u} for name, u in global_units.items()
            }
        if local_units:
            out["LocalSecondaryIndexes"] = {
                name: {"CapacityUnits": u} for name, u in local_units.items()
            }
    return out


def split_index_units(
    units: dict[str, float], local_names: set[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """(global, local) parts of per-index units."""
    global_units = {n: u for n, u in units.items() if n not in local_names}
    local_units = {n: u for n, u in units.items() if n in local_names}
    return global_units, local_units
