"""Global tables, version 2017.11.29 (legacy): CreateGlobalTable, UpdateGlobalTable,
DescribeGlobalTable, ListGlobalTables, DescribeGlobalTableSettings and
UpdateGlobalTableSettings (the group and its members: engine/legacy_globals; the replication:
engine/replication).

A member table is reached here only once the authorizer decided on it (`Context.grants`):
the tables a request names by region, each `arn:aws:dynamodb:<region>:<account>:table/<name>`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from opendynamo import errors
from opendynamo.api.dynamodb import provisioned
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog, legacy_globals
from opendynamo.engine.arns import TableRef
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

MAX_LISTED = 100
# DynamoDB's answer to an empty list of replicas or replica updates (a live answer).
INVALID = "One or more parameter values were invalid"
NO_AUTO_SCALING = (
    "Auto scaling settings are not supported by opendynamo (it has no Application Auto "
    "Scaling): set the provisioned capacity units instead"
)


def create_global_table(ctx: Context, body: Body) -> Body:
    name = body["GlobalTableName"]
    regions = [replica.get("RegionName") for replica in body["ReplicationGroup"]]
    if not regions or None in regions:
        raise errors.validation(INVALID)
    for region in regions:
        ctx.grants.require(TableRef(ctx.account, region, name))
    with ctx.store.write() as txn:
        now_us = txn.append([])
        rows = legacy_globals.create(txn, ctx.account, name, regions, now_us)
        return {"GlobalTableDescription": _description(ctx, name, rows)}


def update_global_table(ctx: Context, body: Body) -> Body:
    name = body["GlobalTableName"]
    updates = body["ReplicaUpdates"]
    if not updates:
        raise errors.validation(INVALID)
    for update in updates:
        if len([action for action in ("Create", "Delete") if update.get(action)]) != 1:
            raise errors.invalid_parameters(
                "Each replica update must have exactly one of Create or Delete"
            )
        if not _region_of(update):
            raise errors.validation(INVALID)
        ctx.grants.require(TableRef(ctx.account, _region_of(update), name))
    with ctx.store.write() as txn:
        rows = _members(txn, ctx, name)
        now_us = txn.append([])
        for update in updates:
            if not rows:  # its last member left: the global table is no more
                raise errors.global_table_not_found(name)
            if update.get("Create"):
                rows = legacy_globals.add(txn, rows, _region_of(update), now_us)
            else:
                rows = legacy_globals.remove(txn, rows, _region_of(update))
        return {"GlobalTableDescription": _description(ctx, name, rows)}


def _region_of(update: Body) -> str:
    action: Body = update.get("Create") or update.get("Delete") or {}
    return str(action.get("RegionName", ""))


def describe_global_table(ctx: Context, body: Body) -> Body:
    name = body["GlobalTableName"]
    with ctx.store.read() as txn:
        rows = _members(txn, ctx, name, described=True)
        return {"GlobalTableDescription": _description(ctx, name, rows)}


def list_global_tables(ctx: Context, body: Body) -> Body:
    limit = body.get("Limit", MAX_LISTED)
    after = body.get("ExclusiveStartGlobalTableName")
    region = body.get("RegionName")
    with ctx.store.read() as txn:
        found = legacy_globals.listed(txn, ctx.account)
    names = [
        name
        for name, shared in found.items()
        if (after is None or name > after) and (region is None or region in shared["replicas"])
    ]
    result: Body = {
        "GlobalTables": [
            {
                "GlobalTableName": name,
                "ReplicationGroup": [{"RegionName": r} for r in found[name]["replicas"]],
            }
            for name in names[:limit]
        ]
    }
    if len(names) > limit:
        result["LastEvaluatedGlobalTableName"] = names[limit - 1]
    return result


def describe_global_table_settings(ctx: Context, body: Body) -> Body:
    name = body["GlobalTableName"]
    with ctx.store.read() as txn:
        rows = _members(txn, ctx, name)
    return _settings(name, rows)


def update_global_table_settings(ctx: Context, body: Body) -> Body:
    name = body["GlobalTableName"]
    _refuse_auto_scaling(body)
    per_region = {u["RegionName"]: u for u in body.get("ReplicaSettingsUpdate") or []}
    now = ctx.store.now()
    with ctx.store.write() as txn:
        rows = _members(txn, ctx, name)
        for region in per_region:
            if region not in rows:
                raise errors.replica_not_found(name, region)
        _check_indexes(next(iter(rows.values())), body)
        for region, row in rows.items():
            updated = _with_settings(row, body, per_region.get(region) or {}, now)
            catalog.put_table(txn, updated)
            rows[region] = updated
    return _settings(name, rows)


# --- reading a global table ------------------------------------------------------------------


def _members(
    txn: ReadTxn, ctx: Context, name: str, described: bool = False
) -> dict[str, TableMeta]:
    rows = legacy_globals.find(txn, ctx.account, name)
    if not rows:
        raise errors.global_table_not_found(name, described)
    return rows


def _description(ctx: Context, name: str, rows: dict[str, TableMeta]) -> Body:
    """GlobalTableDescription; without `rows` (its last member has just left), DELETING."""
    out: Body = {
        "ReplicationGroup": [],
        "GlobalTableArn": legacy_globals.arn(ctx.account, name),
        "GlobalTableStatus": "DELETING",
        "GlobalTableName": name,
    }
    if rows:
        shared = legacy_globals.group_of(rows)
        out["ReplicationGroup"] = [{"RegionName": region} for region in shared["replicas"]]
        out["CreationDateTime"] = shared["created"]
        out["GlobalTableStatus"] = "ACTIVE"
    return out


def _settings(name: str, rows: dict[str, TableMeta]) -> Body:
    shared = legacy_globals.group_of(rows)
    replicas = []
    for region, status in shared["replicas"].items():
        row = rows.get(region)
        if row is None:
            continue
        summary: Body = {"BillingMode": row.billing_mode}
        if row.last_pay_per_request is not None:
            summary["LastUpdateToPayPerRequestDateTime"] = row.last_pay_per_request
        entry: Body = {
            "RegionName": region,
            "ReplicaStatus": status,
            "ReplicaBillingModeSummary": summary,
            "ReplicaProvisionedReadCapacityUnits": row.read_capacity,
            "ReplicaProvisionedWriteCapacityUnits": row.write_capacity,
            "ReplicaGlobalSecondaryIndexSettings": [
                {
                    "IndexName": index.name,
                    "IndexStatus": index.shown_status,
                    "ProvisionedReadCapacityUnits": index.read_capacity,
                    "ProvisionedWriteCapacityUnits": index.write_capacity,
                }
                for index in row.global_indexes
            ],
        }
        if row.table_class_given:
            entry["ReplicaTableClassSummary"] = {"TableClass": row.table_class}
        replicas.append(entry)
    return {"GlobalTableName": name, "ReplicaSettings": replicas}


# --- changing its settings ------------------------------------------------------------------


def _refuse_auto_scaling(body: Body) -> None:
    """opendynamo has no Application Auto Scaling: every auto scaling update is refused."""
    nested = [
        *(body.get("GlobalTableGlobalSecondaryIndexSettingsUpdate") or []),
        *(body.get("ReplicaSettingsUpdate") or []),
        *(
            index
            for replica in body.get("ReplicaSettingsUpdate") or []
            for index in replica.get("ReplicaGlobalSecondaryIndexSettingsUpdate") or []
        ),
    ]
    members = [body, *nested]
    if any(key.endswith("AutoScalingSettingsUpdate") for member in members for key in member):
        raise errors.validation(NO_AUTO_SCALING)


def _check_indexes(meta: TableMeta, body: Body) -> None:
    names = {index.name for index in meta.global_indexes}
    given = [
        u["IndexName"] for u in body.get("GlobalTableGlobalSecondaryIndexSettingsUpdate") or []
    ]
    for replica in body.get("ReplicaSettingsUpdate") or []:
        given += [
            u["IndexName"] for u in replica.get("ReplicaGlobalSecondaryIndexSettingsUpdate") or []
        ]
    for name in given:
        if name not in names:
            raise errors.index_not_found_exception(name)


def _with_settings(row: TableMeta, body: Body, replica: Body, now: float) -> TableMeta:
    """A member with the global table's billing mode and write capacity, and its own read
    capacity and table class (`replica`)."""
    mode = body.get("GlobalTableBillingMode", row.billing_mode)
    write = body.get("GlobalTableProvisionedWriteCapacityUnits")
    read = replica.get("ReplicaProvisionedReadCapacityUnits")
    index_write = {
        u["IndexName"]: u.get("ProvisionedWriteCapacityUnits")
        for u in body.get("GlobalTableGlobalSecondaryIndexSettingsUpdate") or []
    }
    index_read = {
        u["IndexName"]: u.get("ProvisionedReadCapacityUnits")
        for u in replica.get("ReplicaGlobalSecondaryIndexSettingsUpdate") or []
    }
    changes: dict[str, Any] = {}
    if "GlobalTableBillingMode" in body:
        changes["billing_mode_given"] = True
    if "ReplicaTableClass" in replica:
        changes.update(table_class=replica["ReplicaTableClass"], table_class_given=True)
    if mode == "PAY_PER_REQUEST":
        given = [write, read, *index_write.values(), *index_read.values()]
        if any(units is not None for units in given):
            raise errors.invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                "BillingMode is PAY_PER_REQUEST"
            )
        if row.billing_mode != mode:
            changes.update(billing_mode=mode, read_capacity=0, write_capacity=0,
                           last_pay_per_request=now)  # fmt: skip
            indexes = tuple(dataclasses.replace(i, read_capacity=0, write_capacity=0)
                            for i in row.indexes)  # fmt: skip
            changes["indexes"] = indexes
        return catalog.replace(row, **changes)
    if row.billing_mode == "PAY_PER_REQUEST":  # to PROVISIONED: the capacities are needed
        if write is None:
            raise errors.invalid_parameters(
                "GlobalTableProvisionedWriteCapacityUnits must be specified when "
                "GlobalTableBillingMode is PROVISIONED"
            )
        read = write if read is None else read
        changes.update(billing_mode="PROVISIONED", read_capacity=read, write_capacity=write)
    else:
        read = row.read_capacity if read is None else read
        write = row.write_capacity if write is None else write
        if (read, write) != (row.read_capacity, row.write_capacity):
            changes.update(provisioned.change(row, read, write, now))
    changes["indexes"] = tuple(
        _index_capacity(
            index, index_read.get(index.name), index_write.get(index.name), read, write, now
        )  # fmt: skip
        for index in row.indexes
    )
    return catalog.replace(row, **changes)


def _index_capacity(
    index: IndexMeta, read: int | None, write: int | None, table_read: int, table_write: int,
    now: float,
) -> IndexMeta:  # fmt: skip
    """A GSI's capacity: as given, else its own, else (newly provisioned) the table's."""
    if not index.is_global:
        return index
    fresh = index.read_capacity == 0 and index.write_capacity == 0
    read = read if read is not None else (table_read if fresh else index.read_capacity)
    write = write if write is not None else (table_write if fresh else index.write_capacity)
    if (read, write) == (index.read_capacity, index.write_capacity):
        return index
    return dataclasses.replace(index, **provisioned.change(index, read, write, now))
