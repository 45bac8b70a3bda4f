"""On-demand backups and point-in-time recovery: CreateBackup, DescribeBackup, ListBackups,
DeleteBackup, RestoreTableFromBackup, UpdateContinuousBackups, DescribeContinuousBackups and
RestoreTableToPointInTime (the work itself: engine/backups).

Backup and recovery operations name a missing table with TableNotFoundException, "Table not
found: <name>", where the rest of the control plane answers ResourceNotFoundException; a table
that a restore is still filling counts as missing to them, as in DynamoDB.
"""

from __future__ import annotations

from datetime import UTC, datetime

from opendynamo import errors
from opendynamo.api.dynamodb import index_defs, tables
from opendynamo.api.request.context import Context
from opendynamo.engine import arns, backups, catalog
from opendynamo.engine.arns import TableRef
from opendynamo.engine.backups import Snapshot
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

MAX_PAGE = 100
DEFAULT_RECOVERY_DAYS = 35


def _source_table(txn: ReadTxn, ctx: Context, name: str) -> TableMeta:
    """The table a backup or recovery operation names; one being restored counts as
    missing."""
    meta = catalog.find(txn, ctx.table(name))
    if meta is None or meta.status != "ACTIVE":  # being restored, or deleted
        raise errors.table_not_found_exception(name)
    return meta


# --- on-demand backups ------------------------------------------------------------------


def create_backup(ctx: Context, body: Body) -> Body:
    log_from = backups.clock_us(ctx.store) - 1
    now = log_from / 1e6
    with ctx.store.write() as txn:
        meta = _source_table(txn, ctx, body["TableName"])
        snapshot = backups.begin(txn, meta, backups.USER, body["BackupName"], now, log_from)
    return {"BackupDetails": _details(snapshot)}


def describe_backup(ctx: Context, body: Body) -> Body:
    with ctx.store.read() as txn:
        snapshot = _find_backup(txn, ctx, body["BackupArn"])
    return {"BackupDescription": _description(snapshot)}


def delete_backup(ctx: Context, body: Body) -> Body:
    with ctx.store.write() as txn:
        snapshot = _find_backup(txn, ctx, body["BackupArn"])
        if snapshot.status == "CREATING":
            raise errors.backup_being_created(snapshot.arn)
        restoring = _restoring_from(txn, snapshot)
        if restoring is not None:
            raise errors.backup_restoring_table(snapshot.arn)
        backups.remove(txn, snapshot)
    description = _description(snapshot)
    description["BackupDetails"]["BackupStatus"] = "DELETED"
    return {"BackupDescription": description}


def list_backups(ctx: Context, body: Body) -> Body:
    limit = body.get("Limit", MAX_PAGE)
    kind = body.get("BackupType", "USER")
    lower, upper = body.get("TimeRangeLowerBound"), body.get("TimeRangeUpperBound")
    if lower is not None and upper is not None and float(lower) > float(upper):
        raise errors.validation("Time range lower bound must be less than or equal to upper bound")
    named = body.get("TableName")
    table = None if named is None else arns.table_ref(ctx.account, ctx.region, named)
    if table is not None and (table.account, table.region) != (ctx.account, ctx.region):
        return {"BackupSummaries": []}  # a listing covers the caller's own namespace only
    after = None
    start_arn = body.get("ExclusiveStartBackupArn")
    if start_arn is not None:
        start = arns.owned_ref(start_arn, "backup")  # a position in the listing, no more
        if start is None:
            raise errors.validation("Invalid Backup ARN")
        after = start.id
    found: list[Snapshot] = []
    more = False
    with ctx.store.read() as txn:
        for snapshot in backups.listed(txn, ctx.account, ctx.region, after):
            if snapshot.kind != backups.USER or kind not in ("USER", "ALL"):
                continue
            if table is not None and snapshot.table["name"] != table.name:
                continue
            millis = round(snapshot.requested * 1000)
            if lower is not None and millis < round(float(lower) * 1000):
                continue
            if upper is not None and millis >= round(float(upper) * 1000):
                continue
            if len(found) == limit:
                more = True
                break
            found.append(snapshot)
    out: Body = {"BackupSummaries": [_summary(snapshot) for snapshot in found]}
    if more:
        out["LastEvaluatedBackupArn"] = found[-1].arn
    return out


def restore_table_from_backup(ctx: Context, body: Body) -> Body:
    target = ctx.table(body["TargetTableName"])
    now = ctx.store.now()
    with ctx.store.write() as txn:
        snapshot = _find_backup(txn, ctx, body["BackupArn"])
        if snapshot.status != "AVAILABLE":
            raise errors.backup_being_created(snapshot.arn)
        _check_target(txn, target, snapshot)
        meta = _restored_table(ctx, snapshot.table_meta, target, body, now)
        summary = {
            "SourceBackupArn": snapshot.arn,
            "SourceTableArn": snapshot.table_meta.arn,
            "RestoreDateTime": snapshot.requested,
        }
        meta = backups.begin_restore(txn, meta, snapshot, summary)
    return {"TableDescription": tables.describe(meta, item_count=0, size=0, txn=None)}


def _find_backup(txn: ReadTxn, ctx: Context, arn: str) -> Snapshot:
    """The backup `arn` names: in the ARN's account and region, under the ARN's table name
    (a backup's ARN is the whole of its name: one with another table's name, or another
    account's, is not it)."""
    ref = ctx.owned(arn, "backup")
    if ref is None:
        raise errors.validation("Invalid Backup ARN")
    snapshot = backups.get(txn, ref.account, ref.region, ref.id)
    if snapshot is None or snapshot.kind != backups.USER or snapshot.arn != ref.arn:
        raise errors.backup_not_found(arn)
    return snapshot


def _restoring_from(txn: ReadTxn, snapshot: Snapshot) -> TableMeta | None:
    """A table a restore from the snapshot is still filling."""
    for meta in catalog.tables_in(txn, snapshot.account, snapshot.region):
        if meta.restore is not None and meta.restore.get("snapshot") == snapshot.id:
            return meta
    return None


def _check_target(txn: ReadTxn, target: TableRef, snapshot: Snapshot | None) -> None:
    name = target.name
    existing = catalog.find(txn, target)
    if existing is None:
        if snapshot is not None and _restoring_from(txn, snapshot) is not None:
            raise errors.backup_restoring_another_table(snapshot.arn)
        return
    if existing.status == "CREATING" and existing.restore is not None:
        source = existing.restore.get("SourceBackupArn") or existing.restore["SourceTableArn"]
        raise errors.table_in_use(name, source)
    raise errors.table_already_exists(name)


def _restored_table(
    ctx: Context, source: TableMeta, target: TableRef, body: Body, now: float
) -> TableMeta:
    """The new table a restore fills: the source's key schema, indexes, billing and
    encryption, changed by the request's overrides; not its streams, tags, deletion
    protection, table class or recovery settings (as DynamoDB)."""
    billing = body.get("BillingModeOverride", source.billing_mode)
    throughput = body.get("ProvisionedThroughputOverride")
    if throughput is not None and billing != "PROVISIONED":
        raise errors.validation(
            "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED"
        )
    if (
        body.get("BillingModeOverride") == "PROVISIONED"
        and source.billing_mode != "PROVISIONED"
        and throughput is None
    ):
        raise errors.validation(
            "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED"
        )
    indexes = _restored_indexes(source, body, billing)
    used = set(source.key_names).union(*(index.key_names for index in indexes))
    read = throughput["ReadCapacityUnits"] if throughput else source.read_capacity
    write = throughput["WriteCapacityUnits"] if throughput else source.write_capacity
    pay_per_request = billing == "PAY_PER_REQUEST"
    sse = source.sse
    if "SSESpecificationOverride" in body:
        sse = tables.sse_description(ctx, body["SSESpecificationOverride"])
    return TableMeta(
        name=target.name,
        uid=catalog.new_uid(),
        account=target.account,
        region=target.region,
        created=now,
        status="CREATING",
        hash_key=source.hash_key,
        hash_type=source.hash_type,
        range_key=source.range_key,
        range_type=source.range_type,
        attribute_definitions=[
            d for d in source.attribute_definitions if d["AttributeName"] in used
        ],
        billing_mode=billing,
        read_capacity=0 if pay_per_request else read,
        write_capacity=0 if pay_per_request else write,
        last_pay_per_request=now if pay_per_request else None,
        billing_mode_given=source.billing_mode_given or "BillingModeOverride" in body,
        sse=sse,
        on_demand=body.get("OnDemandThroughputOverride", source.on_demand),
        indexes=indexes,
        next_index_number=max((index.number for index in indexes), default=0) + 1,
    )


def _restored_indexes(source: TableMeta, body: Body, billing: str) -> tuple[IndexMeta, ...]:
    """The source's indexes (as built, ACTIVE), or those the overrides keep. An override must
    match an index the source had in keys and projection (its name may differ); on a
    provisioned table a global one gives its throughput."""
    kept: list[IndexMeta] = []
    members = (
        (False, "LocalSecondaryIndexOverride"),
        (True, "GlobalSecondaryIndexOverride"),
    )
    for is_global, member in members:
        had = [i for i in source.indexes if i.is_global == is_global and i.maintained]
        if member not in body:
            kept.extend(had)
            continue
        for definition in body[member]:
            name = definition["IndexName"]
            new = index_defs.build(definition, 0, is_global, billing)
            old = next((i for i in had if _same_shape(i, new)), None)
            if old is None:
                raise errors.validation(
                    f"Index {name} does not match a secondary index that existed in the "
                    "source table and cannot be created during the restore operation"
                )
            if is_global:
                _check_index_throughput(definition, name, billing, body)
            if not is_global or billing == "PAY_PER_REQUEST":
                new = index_defs.replace_index(
                    new, read_capacity=old.read_capacity, write_capacity=old.write_capacity
                )
            kept.append(index_defs.replace_index(new, number=old.number))
    ready = (
        index_defs.replace_index(
            index,
            status="ACTIVE",
            backfilling=False,
            backfill_cursor=None,
            insights=None,  # a restored table starts without Contributor Insights
            read_capacity=0 if billing == "PAY_PER_REQUEST" else index.read_capacity or 1,
            write_capacity=0 if billing == "PAY_PER_REQUEST" else index.write_capacity or 1,
        )
        for index in kept
    )
    return tuple(sorted(ready, key=lambda index: index.number))


def _same_shape(old: IndexMeta, new: IndexMeta) -> bool:
    return (
        old.hash_keys == new.hash_keys
        and old.range_keys == new.range_keys
        and old.projection_type == new.projection_type
        and set(old.non_key_attributes) == set(new.non_key_attributes)
    )


def _check_index_throughput(definition: Body, name: str, billing: str, body: Body) -> None:
    given = "ProvisionedThroughput" in definition
    if billing == "PROVISIONED" and not given:
        raise errors.validation(f"Must specify provisioned throughput for index {name}")
    if billing == "PAY_PER_REQUEST" and given and "BillingModeOverride" in body:
        raise errors.validation(
            "Cannot override ProvisionedThroughput if BillingMode is overridden to "
            f"PAY_PER_REQUEST for index {name}"
        )


def _details(snapshot: Snapshot) -> Body:
    return {
        "BackupArn": snapshot.arn,
        "BackupName": snapshot.name,
        "BackupSizeBytes": snapshot.size,
        "BackupStatus": snapshot.status,
        "BackupType": snapshot.kind,
        "BackupCreationDateTime": snapshot.requested,
    }


def _summary(snapshot: Snapshot) -> Body:
    table = snapshot.table_meta
    return {
        "TableName": table.name,
        "TableId": tables.table_id(table),
        "TableArn": table.arn,
        **_details(snapshot),
    }


def _description(snapshot: Snapshot) -> Body:
    table = snapshot.table_meta
    source: Body = {
        "TableName": table.name,
        "TableId": tables.table_id(table),
        "TableArn": table.arn,
        "TableSizeBytes": snapshot.size,
        "KeySchema": table.key_schema,
        "TableCreationDateTime": table.created,
        "ProvisionedThroughput": {
            "ReadCapacityUnits": table.read_capacity,
            "WriteCapacityUnits": table.write_capacity,
        },
        "ItemCount": snapshot.item_count,
        "BillingMode": table.billing_mode,
    }
    if table.on_demand is not None:
        source["OnDemandThroughput"] = table.on_demand
    features: Body = {}
    described = index_defs.describe(table, None)
    for member in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        if member in described:
            keep = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
            features[member] = [
                {name: index[name] for name in keep if name in index} for index in described[member]
            ]
    for index in features.get("GlobalSecondaryIndexes", ()):
        index["ProvisionedThroughput"] = {
            "ReadCapacityUnits": index["ProvisionedThroughput"]["ReadCapacityUnits"],
            "WriteCapacityUnits": index["ProvisionedThroughput"]["WriteCapacityUnits"],
        }
    if table.stream is not None and table.stream.get("spec", {}).get("StreamEnabled"):
        features["StreamDescription"] = table.stream["spec"]
    if table.sse is not None:
        features["SSEDescription"] = table.sse
    return {
        "BackupDetails": _details(snapshot),
        "SourceTableDetails": source,
        "SourceTableFeatureDetails": features,
    }


# --- point-in-time recovery -------------------------------------------------------------


def update_continuous_backups(ctx: Context, body: Body) -> Body:
    spec = body["PointInTimeRecoverySpecification"]
    enabled = spec["PointInTimeRecoveryEnabled"]
    days = spec.get("RecoveryPeriodInDays")
    if not enabled and days is not None:
        raise errors.validation(
            "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling "
            "point-in-time recovery."
        )
    log_from = backups.clock_us(ctx.store) - 1
    now = log_from / 1e6
    with ctx.store.write() as txn:
        meta = _source_table(txn, ctx, body["TableName"])
        if enabled and meta.pitr is None:
            meta = backups.enable_pitr(txn, meta, days or DEFAULT_RECOVERY_DAYS, now, log_from)
        elif enabled:
            assert meta.pitr is not None
            if days is not None and days != meta.pitr["days"]:
                meta = catalog.replace(meta, pitr={**meta.pitr, "days": days})
                catalog.put_table(txn, meta)
        elif meta.pitr is not None:
            meta = backups.disable_pitr(txn, meta)
    return {"ContinuousBackupsDescription": _continuous(meta, now)}


def describe_continuous_backups(ctx: Context, body: Body) -> Body:
    now = ctx.store.now()
    with ctx.store.read() as txn:
        meta = _source_table(txn, ctx, body["TableName"])
    return {"ContinuousBackupsDescription": _continuous(meta, now)}


def _continuous(meta: TableMeta, now: float) -> Body:
    if meta.pitr is None:
        recovery: Body = {"PointInTimeRecoveryStatus": "DISABLED"}
    else:
        earliest, latest = backups.recovery_window(meta, now)
        recovery = {
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": meta.pitr["days"],
            "EarliestRestorableDateTime": earliest,
            "LatestRestorableDateTime": latest,
        }
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": recovery}


def restore_table_to_point_in_time(ctx: Context, body: Body) -> Body:
    arn, name = body.get("SourceTableArn"), body.get("SourceTableName")
    if arn is not None and name is not None:
        raise errors.validation("Must provide exactly one of: sourceTableArn, sourceTableName")
    if arn is None and name is None:
        raise errors.validation("The parameter 'TableName' is required")
    latest_wanted = bool(body.get("UseLatestRestorableTime"))
    if latest_wanted and "RestoreDateTime" in body:
        raise errors.validation(
            "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set "
            "for point-in-time restore request. Please specify either RestoreDateTime time or "
            "UseLatestRestorableTime"
        )
    if not latest_wanted and "RestoreDateTime" not in body:
        raise errors.validation(
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be "
            "specified, but not both"
        )
    if arn is not None and not arns.split_table_arn(arn)[2]:
        raise errors.validation("sourceTableArn is not a valid ARN")
    now = ctx.store.now()
    target = ctx.table(body["TargetTableName"])
    with ctx.store.write() as txn:
        source = catalog.find(txn, ctx.table(arn or name or ""))
        if source is None or source.status != "ACTIVE":
            raise errors.table_not_found_exception(name)
        if source.pitr is None:
            raise errors.point_in_time_recovery_unavailable(source.name)
        earliest, latest = backups.recovery_window(source, now)
        at = latest if latest_wanted else float(body["RestoreDateTime"])
        if not earliest <= at <= latest:
            raise errors.invalid_restore_time(
                iso_seconds(at), iso_seconds(earliest), iso_seconds(latest)
            )
        _check_target(txn, target, None)
        instant = backups.instant(txn, source, round(at * 1e6), now)
        meta = _restored_table(ctx, source, target, body, now)
        summary = {"SourceTableArn": source.arn, "RestoreDateTime": at}
        meta = backups.begin_restore(txn, meta, instant, summary)
    return {"TableDescription": tables.describe(meta, item_count=0, size=0, txn=None)}


def iso_seconds(epoch: float) -> str:
    """An instant as DynamoDB's messages name it: ISO 8601 to the second, UTC."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
