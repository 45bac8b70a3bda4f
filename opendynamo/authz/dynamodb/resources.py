"""The accesses of the control plane, each on its resource's ref: a table, the table a
tagging or resource-policy ARN names, a stream, backup, export or import in the account of
its table, a restore's source and new table, and an export's or import's bucket (with the
bucket's policy). Their condition keys are only the request's tags and an import's s3:prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from opendynamo.api.request.context import Context
from opendynamo.authz.access import Access, tag_keys
from opendynamo.authz.dynamodb.reader import Reader, ref
from opendynamo.authz.dynamodb.specs import (
    REPLICA_CREATE_ACTIONS,
    REPLICA_DELETE_ACTIONS,
    RESTORED_TABLE_ACTIONS,
)
from opendynamo.engine import arns, exports, legacy_globals
from opendynamo.engine.arns import Kind, TableRef
from opendynamo.model.values import Body


def table(ctx: Context, reader: Reader, operation: str, body: Body) -> Access:
    table = ref(ctx, body["TableName"])
    context: dict[str, Any] = {}
    if operation == "CreateTable" and reader.full:
        context = _request_tags(body.get("Tags") or [])
    return Access(f"dynamodb:{operation}", table.arn, table, context)


def replicas(ctx: Context, reader: Reader, operation: str, body: Body) -> Iterator[Access]:
    """UpdateTable on the table, then, for each replica (or witness) it adds or removes, what
    that asks for on the replica's table in its region; UpdateTimeToLive of a global table
    asks for itself in every replica's region."""
    yield table(ctx, reader, operation, body)
    source = ref(ctx, body["TableName"])
    if operation == "UpdateTimeToLive":
        meta = reader.table(source) if reader.full else None
        group = None if meta is None or meta.replication is None else meta.replication["group"]
        for region in () if group is None else group["replicas"]:
            if region != source.region:
                yield _replica_access("dynamodb:UpdateTimeToLive", source, region)
        return
    updates = [*(body.get("ReplicaUpdates") or []), *(body.get("GlobalTableWitnessUpdates") or [])]
    for update in updates:
        for name, spec in update.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("RegionName"), str):
                continue  # refused by the operation
            needed = {"Create": REPLICA_CREATE_ACTIONS, "Delete": REPLICA_DELETE_ACTIONS}.get(
                name, ("dynamodb:UpdateTable",))  # fmt: skip
            for action in needed:
                yield _replica_access(action, source, spec["RegionName"])


def _replica_access(action: str, source: TableRef, region: str) -> Access:
    replica = TableRef(source.account, region, source.name)
    return Access(action, replica.arn, replica, cross_account=False)


def table_or_index(ctx: Context, operation: str, body: Body) -> Access:
    """A table, or with IndexName one of its indexes (asked on the index's ARN)."""
    table = ref(ctx, body["TableName"])
    index = body.get("IndexName")
    arn = table.arn if index is None else table.index_arn(str(index))
    return Access(f"dynamodb:{operation}", arn, table)


def listing(ctx: Context, operation: str, body: Body) -> Access:
    """An account-wide listing (asked on "*") that may name one table to list: the
    operation then reaches that table, so it is the access's target."""
    name = body.get("TableName")
    return Access(f"dynamodb:{operation}", "*", None if name is None else ref(ctx, name))


def tagged_resource(ctx: Context, reader: Reader, operation: str, body: Body) -> Access:
    """Tags and resource policies: on the table the ARN names, as its standard ARN (a
    malformed ARN is refused by the operation, after authorization decided on it as
    written)."""
    arn = str(body.get("ResourceArn", ""))
    table = ref(ctx, arn) if arns.split_table_arn(arn)[2] else None
    if table is not None:
        arn = table.arn  # decided in its standard form, whatever partition was written
    context: dict[str, Any] = {}
    if reader.full and operation == "TagResource":
        context = _request_tags(body.get("Tags") or [])
    elif reader.full and operation == "UntagResource":
        context = {"aws:TagKeys": list(body.get("TagKeys") or [])}
    return Access(f"dynamodb:{operation}", arn, table, context)


def _request_tags(tags: Iterable[Body]) -> dict[str, Any]:
    # A tag without its Key or Value is refused by the operation (after this decision).
    given = {str(tag["Key"]): str(tag["Value"]) for tag in tags if "Key" in tag and "Value" in tag}
    return {**tag_keys("aws:RequestTag", given), "aws:TagKeys": sorted(given)}


def owned(operation: str, arn: str, kind: Kind) -> Access:
    """A stream, backup, export or import, in the account of the table its ARN names; an ARN
    that is none is asked for as written (the operation refuses it afterwards)."""
    ref = arns.owned_ref(arn, kind)
    if ref is None:
        return Access(f"dynamodb:{operation}", arn)
    return Access(f"dynamodb:{operation}", ref.arn, ref)


def restore(ctx: Context, operation: str, body: Body) -> Iterator[Access]:
    """The backup (or the source table), then the new table, which the restore fills as
    writes would: DynamoDB asks for the data-plane actions on it too."""
    action = f"dynamodb:{operation}"
    if operation == "RestoreTableFromBackup":
        yield owned(operation, body["BackupArn"], "backup")
    else:
        source = ref(ctx, body.get("SourceTableArn") or body.get("SourceTableName") or "")
        yield Access(action, source.arn, source)
    target = ref(ctx, body["TargetTableName"])
    for needed in (action, *RESTORED_TABLE_ACTIONS):
        yield Access(needed, target.arn, target)


def export(ctx: Context, reader: Reader, body: Body) -> Iterator[Access]:
    table = ref(ctx, body["TableArn"])
    yield Access("dynamodb:ExportTableToPointInTime", table.arn, table)
    bucket = reader.bucket(body["S3Bucket"])
    objects = f"{bucket.arn}/{exports.object_prefix(body)}*"
    yield Access("s3:PutObject", objects, bucket, resource_policy=bucket.policy)


def import_(ctx: Context, reader: Reader, body: Body) -> Iterator[Access]:
    table = ref(ctx, body["TableCreationParameters"]["TableName"])
    context = (
        _request_tags(body["TableCreationParameters"].get("Tags") or []) if reader.full else {}
    )
    yield Access("dynamodb:ImportTable", table.arn, table, context)
    source = body["S3BucketSource"]
    bucket = reader.bucket(source["S3Bucket"])
    prefix = source.get("S3KeyPrefix") or ""
    yield Access("s3:GetObject", f"{bucket.arn}/{prefix}*", bucket, resource_policy=bucket.policy)
    listing = {"s3:prefix": prefix} if reader.full else {}
    yield Access("s3:ListBucket", bucket.arn, bucket, listing, bucket.policy)


def global_table(ctx: Context, reader: Reader, operation: str, body: Body) -> Iterator[Access]:
    """A legacy global table (its ARN names no region), then the member tables the operation
    adds, removes or changes: each region the request names and, when the decision reads the
    store, every member the global table has (DynamoDB's developer guide: the permission is
    needed on the global table and on each of its replicas)."""
    action = f"dynamodb:{operation}"
    name = str(body.get("GlobalTableName", ""))
    yield Access(action, legacy_globals.arn(ctx.account, name))
    if operation in ("DescribeGlobalTable", "DescribeGlobalTableSettings"):
        return
    named = [
        *(replica.get("RegionName") for replica in body.get("ReplicationGroup") or []),
        *(
            (update.get("Create") or update.get("Delete") or {}).get("RegionName")
            for update in body.get("ReplicaUpdates") or []
        ),
        *(replica.get("RegionName") for replica in body.get("ReplicaSettingsUpdate") or []),
    ]
    regions = dict.fromkeys(str(region) for region in named if region)
    if reader.full and operation != "CreateGlobalTable":
        members = legacy_globals.find(reader.txn, ctx.account, name) or {}
        regions.update(dict.fromkeys(members))
    for region in regions:
        table = TableRef(ctx.account, region, name)
        yield Access(action, table.arn, table._replace(given=table.arn))
