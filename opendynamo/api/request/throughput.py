"""Admission and charging of provisioned throughput around an operation (engine/throttle),
active only when the server enforces capacity."""

from __future__ import annotations

from opendynamo import errors
from opendynamo.api.request import insights
from opendynamo.api.request.context import Context
from opendynamo.engine import throttle
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import AttributeValue, Item
from opendynamo.storage.base import ReadTxn, WriteTxn

READ = throttle.READ
WRITE = throttle.WRITE


exceeded = throttle.exceeded


def enforced(ctx: Context, meta: TableMeta) -> bool:
    return ctx.enforce_capacity and meta.billing_mode == "PROVISIONED"


def admit(
    ctx: Context,
    txn: ReadTxn,
    meta: TableMeta,
    kind: bytes,
    key: Item | list[AttributeValue] | None = None,
    index: IndexMeta | None = None,
) -> None:
    """ProvisionedThroughputExceededException when the table's bucket is empty. A request
    for the item at `key` (or, a list, a Query of that partition of the table or of `index`)
    that is refused counts for Contributor Insights' most throttled keys."""
    if enforced(ctx, meta):
        try:
            throttle.admit(txn, meta, kind)
        except errors.DynamoError:
            if meta.tracks_keys and key is not None:
                insights.throttled(ctx, meta, index, key)
            raise


def has_capacity(ctx: Context, txn: ReadTxn, meta: TableMeta, kind: bytes) -> bool:
    return available(ctx, txn, meta, kind) > 0


def available(ctx: Context, txn: ReadTxn, meta: TableMeta, kind: bytes) -> float:
    """Units the request may still draw on (infinite when nothing is enforced)."""
    return throttle.available(txn, meta, kind) if enforced(ctx, meta) else float("inf")


def charge(ctx: Context, txn: WriteTxn, meta: TableMeta, kind: bytes, units: float) -> None:
    """Charge inside a write transaction the operation already holds."""
    if enforced(ctx, meta):
        throttle.charge(txn, meta, kind, units)


def note(
    ctx: Context,
    used: dict[str, float],
    write: bool,
    index_used: dict[str, dict[str, float]] | None = None,
    metas: dict[str, TableMeta] | None = None,
) -> None:
    """Note for the request's metrics the units it consumed, per table (`used`) and per
    index of a table (`index_used`): a global index's under its own name, a local index's
    with its table's, as DynamoDB's ConsumedRead/WriteCapacityUnits count them."""
    usage = ctx.usage
    if usage is None:
        return
    for table, units in used.items():
        usage.consumed(table, None, write, units)
    for table, per_index in (index_used or {}).items():
        meta = metas.get(table) if metas else None
        local = {index.name for index in meta.local_indexes} if meta is not None else set()
        for name, units in per_index.items():
            usage.consumed(table, None if name in local else name, write, units)


def charge_read(ctx: Context, meta: TableMeta, units: float) -> None:
    """Charge a read after its read transaction ended, in a short write transaction."""
    if enforced(ctx, meta):
        with ctx.store.write() as txn:
            throttle.charge(txn, meta, READ, units)
