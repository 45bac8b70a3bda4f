"""Provisioned throughput as described for tables and global secondary indexes alike."""

from __future__ import annotations

from typing import Any, Protocol


class HasThroughput(Protocol):
    @property
    def read_capacity(self) -> int: ...
    @property
    def write_capacity(self) -> int: ...
    @property
    def decreases_today(self) -> int: ...
    @property
    def last_increase(self) -> float | None: ...
    @property
    def last_decrease(self) -> float | None: ...


def describe(owner: HasThroughput) -> dict[str, Any]:
    """The ProvisionedThroughput member of a table or index description."""
    out: dict[str, Any] = {
        "NumberOfDecreasesToday": owner.decreases_today,
        "ReadCapacityUnits": owner.read_capacity,
        "WriteCapacityUnits": owner.write_capacity,
    }
    if owner.last_increase is not None:
        out["LastIncreaseDateTime"] = owner.last_increase
    if owner.last_decrease is not None:
        out["LastDecreaseDateTime"] = owner.last_decrease
    return out


def change(owner: HasThroughput, read: int, write: int, now: float) -> dict[str, Any]:
    """The field changes of a throughput update (the caller refuses an unchanged one)."""
    changes: dict[str, Any] = {"read_capacity": read, "write_capacity": write}
    if read > owner.read_capacity or write > owner.write_capacity:
        changes["last_increase"] = now
    if read < owner.read_capacity or write < owner.write_capacity:
        changes["last_decrease"] = now
        changes["decreases_today"] = owner.decreases_today + 1
    return changes
