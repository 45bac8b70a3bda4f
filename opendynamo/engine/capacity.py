"""Capacity units as DynamoDB computes them (semantics.md §7).

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


def write_units(size: int) -> float:
    return float(max(1, -(-size // WRITE_UNIT)))


def consumed(table_name: str, units: float, mode: str | None) -> dict[str, Any] | None:
    """The ConsumedCapacity member for ReturnConsumedCapacity `mode` (None or NONE: absent),
    shaped as in AWS's API reference examples."""
    if mode is None or mode == "NONE":
        return None
    out: dict[str, Any] = {"TableName": table_name, "CapacityUnits": units}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": units}
    return out
