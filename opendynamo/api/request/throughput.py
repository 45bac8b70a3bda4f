"""Admission and charging of provisioned throughput around an operation (engine/throttle),
active only when the server enforces capacity."""

from __future__ import annotations

from opendynamo.api.request.context import Context
from opendynamo.engine import throttle
from opendynamo.engine.catalog import TableMeta
from opendynamo.storage.base import ReadTxn, WriteTxn

READ = throttle.READ
WRITE = throttle.WRITE


exceeded = throttle.exceeded


def enforced(ctx: Context, meta: TableMeta) -> bool:
    return ctx.enforce_capacity and meta.billing_mode == "PROVISIONED"


def admit(ctx: Context, txn: ReadTxn, meta: TableMeta, kind: bytes) -> None:
    """ProvisionedThroughputExceededException when the table's bucket is empty."""
    if enforced(ctx, meta):
        throttle.admit(txn, meta, kind)


def has_capacity(ctx: Context, txn: ReadTxn, meta: TableMeta, kind: bytes) -> bool:
    return available(ctx, txn, meta, kind) > 0


def available(ctx: Context, txn: ReadTxn, meta: TableMeta, kind: bytes) -> float:
    """Units the request may still draw on (infinite when nothing is enforced)."""
    return throttle.available(txn, meta, kind) if enforced(ctx, meta) else float("inf")


def charge(ctx: Context, txn: WriteTxn, meta: TableMeta, kind: bytes, units: float) -> None:
    """Charge inside a write transaction the operation already holds."""
    if enforced(ctx, meta):
        throttle.charge(txn, meta, kind, units)


def charge_read(ctx: Context, meta: TableMeta, units: float) -> None:
    """Charge a read after its read transaction ended, in a short write transaction."""
    if enforced(ctx, meta):
        with ctx.store.write() as txn:
            throttle.charge(txn, meta, READ, units)
