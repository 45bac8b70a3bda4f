"""UpdateTimeToLive and DescribeTimeToLive (the sweep: engine/ttl)."""

from __future__ import annotations

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog, expiry, replication, ttl, tuning
from opendynamo.engine.catalog import TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn


def update_time_to_live(ctx: Context, body: Body) -> Body:
    spec = body["TimeToLiveSpecification"]
    enabled, attribute = spec["Enabled"], spec["AttributeName"]
    if not attribute:
        raise errors.validation(
            "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' "
            "failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    now = ctx.store.now()
    with ctx.store.write() as txn:
        meta = _table(txn, ctx, body["TableName"])
        active = meta.ttl["attribute"] if meta.ttl is not None and meta.ttl["enabled"] else None
        # DynamoDB checks the setting itself before the interval between changes.
        if active is not None and active != attribute:
            raise errors.validation(
                "TimeToLive is active on a different AttributeName: current AttributeName is "
                f"{active}"
            )
        if enabled and active is not None:
            raise errors.validation("TimeToLive is already enabled")
        if not enabled and active is None:
            raise errors.validation("TimeToLive is already disabled")
        if meta.ttl is not None and now - meta.ttl["changed"] < tuning.current.ttl_change_interval:
            raise errors.validation(
                "Time to live has been modified multiple times within a fixed interval"
            )
        if enabled and replication.strong(meta):
            raise errors.invalid_parameters(
                "Time to Live is not supported for global tables with MultiRegionConsistency "
                "set to STRONG"
            )
        setting = {"attribute": attribute, "enabled": enabled, "changed": now}
        # A global table's Time to Live is the same in every replica (each builds or drops
        # its own expiry index).
        for row in replication.members(txn, meta).values():
            catalog.put_table(txn, expiry.changed(txn, row, setting))
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


def describe_time_to_live(ctx: Context, body: Body) -> Body:
    now = ctx.store.now()
    with ctx.store.read() as txn:
        meta = _table(txn, ctx, body["TableName"])
    return {"TimeToLiveDescription": ttl.describe(meta, now)}


def _table(txn: ReadTxn, ctx: Context, name: str) -> TableMeta:
    meta = catalog.find(txn, ctx.table(name))
    if meta is None or meta.status != "ACTIVE":  # being restored, or deleted
        raise errors.table_not_found(name)
    return meta
