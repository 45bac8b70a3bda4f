"""The control plane for tables: CreateTable, DescribeTable, ListTables, UpdateTable,
DeleteTable, DescribeLimits and DescribeEndpoints.

Tables become ACTIVE as soon as CreateTable returns (DynamoDB Local does the same); the
responses still show the transitional statuses DynamoDB answers with (CREATING, UPDATING,
DELETING), so clients that wait on them behave as against AWS. With
`--delay-transient-statuses` they stay in them for a while, as on AWS (api/dynamodb/transient).
"""

from __future__ import annotations

from typing import Any

from opendynamo import errors
from opendynamo.api.dynamodb import index_defs, provisioned, replicas, tags, transient
from opendynamo.api.request.context import Context
from opendynamo.engine import backups, catalog, jobs, replication, stats, streams
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn, WriteTxn

MAX_THROUGHPUT = 1_000_000_000_000
MAX_TABLES_PER_PAGE = 100


def create_table(ctx: Context, body: Body) -> Body:
    meta = transient.created(build_table(ctx, body), ctx.transient_seconds)
    with ctx.store.write() as txn:
        check_name_free(txn, meta)
        catalog.put_table(txn, meta)
    return {"TableDescription": describe(meta, status="CREATING", item_count=0, size=0, txn=None)}


def build_table(ctx: Context, body: Body) -> TableMeta:
    """The table a CreateTable request (or an ImportTable's TableCreationParameters)
    describes, validated as CreateTable validates it."""
    _check_billing(body)
    hash_key, range_key = _check_key_schema(body)
    table_tags = tags.check_tags(body.get("Tags") or [])
    types = {d["AttributeName"]: d["AttributeType"] for d in body["AttributeDefinitions"]}
    now = ctx.store.now()  # the store's clock: a stream starts by it
    pay_per_request = body.get("BillingMode") == "PAY_PER_REQUEST"
    throughput = body.get("ProvisionedThroughput") or {}
    ref = ctx.table(body["TableName"])
    meta = TableMeta(
        name=ref.name,
        uid=catalog.new_uid(),
        account=ref.account,
        region=ref.region,
        created=now,
        status="ACTIVE",
        hash_key=hash_key,
        hash_type=types[hash_key],
        range_key=range_key,
        range_type=types[range_key] if range_key else None,
        attribute_definitions=[
            {"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]}
            for d in body["AttributeDefinitions"]
        ],
        billing_mode="PAY_PER_REQUEST" if pay_per_request else "PROVISIONED",
        read_capacity=0 if pay_per_request else int(throughput["ReadCapacityUnits"]),
        write_capacity=0 if pay_per_request else int(throughput["WriteCapacityUnits"]),
        last_pay_per_request=now if pay_per_request else None,
        billing_mode_given="BillingMode" in body,
        table_class=body.get("TableClass", "STANDARD"),
        table_class_given="TableClass" in body,
        deletion_protection=bool(body.get("DeletionProtectionEnabled", False)),
        sse=sse_description(ctx, body.get("SSESpecification")),
        stream=_stream_state(body.get("StreamSpecification"), None, now),
        change_log={},
        on_demand=body.get("OnDemandThroughput"),
        warm_throughput=body.get("WarmThroughput"),
        tags=table_tags,
        indexes=_build_indexes(body, pay_per_request),
    )
    return streams.hold(catalog.replace(meta, next_index_number=len(meta.indexes) + 1))


def check_name_free(txn: ReadTxn, meta: TableMeta) -> None:
    """ResourceInUseException when the new table's name is taken in its namespace."""
    name = meta.name
    existing = catalog.find_table(txn, meta.account, meta.region, name)
    if existing is not None and existing.restore is not None:  # being restored
        raise errors.resource_in_use(
            f"Attempt to change a resource which is still in use: Table is being used: {name}"
        )
    if existing is not None:
        raise errors.resource_in_use(f"Table already exists: {name}")


def _build_indexes(body: Body, pay_per_request: bool) -> tuple[IndexMeta, ...]:
    billing = "PAY_PER_REQUEST" if pay_per_request else "PROVISIONED"
    definitions = [
        *((d, False) for d in body.get("LocalSecondaryIndexes") or []),
        *((d, True) for d in body.get("GlobalSecondaryIndexes") or []),
    ]
    return tuple(
        index_defs.build(definition, number, is_global, billing)
        for number, (definition, is_global) in enumerate(definitions, start=1)
    )


def describe_table(ctx: Context, body: Body) -> Body:
    with ctx.store.read() as txn:
        meta = catalog.describe_target(txn, ctx.table(body["TableName"]))
        count, size = stats.read(txn, meta)
        description = describe(meta, item_count=count, size=size, txn=txn)
    return {"Table": description}


def list_tables(ctx: Context, body: Body) -> Body:
    limit = body.get("Limit", MAX_TABLES_PER_PAGE)
    with ctx.store.read() as txn:
        names = catalog.list_table_names(
            txn, ctx.account, ctx.region, body.get("ExclusiveStartTableName"), limit + 1
        )
    result: Body = {"TableNames": names[:limit]}
    if len(names) > limit:
        result["LastEvaluatedTableName"] = names[limit - 1]
    return result


def delete_table(ctx: Context, body: Body) -> Body:
    name = body["TableName"]
    with ctx.store.write() as txn:
        meta = catalog.describe_target(txn, ctx.table(name))
        if meta.tombstone:  # DynamoDB answers a second DeleteTable as the first
            return {"TableDescription": _deleted_description(txn, meta)}
        if meta.deletion_protection and meta.replication is not None:
            replicas.check_protected(txn, meta, [meta.region])  # in a replica's words
        if meta.deletion_protection:
            raise errors.validation(
                "Resource cannot be deleted as it is currently protected against deletion. "
                "Disable deletion protection first."
            )
        transient.check_changeable(meta)
        if meta.replication is not None:
            meta = replicas.leave(txn, meta)
        if any(holder not in ("pitr", streams.HOLDER) for holder in meta.change_log):
            raise errors.resource_in_use(
                "Attempt to change a resource which is still in use: Table is being backed up: "
                f"{name}"
            )
        if any(index.shown_status != "ACTIVE" for index in meta.indexes):
            raise errors.resource_in_use(
                "Attempt to change a resource which is still in use: Cannot delete table while "
                "indexes are being created, updated, or deleted."
            )
        description = _deleted_description(txn, meta)
        backups.drop_recovery(txn, meta)
        catalog.remove_table(txn, meta)
        tombstone = transient.deleted(meta, ctx.transient_seconds)
        if tombstone is not None:
            catalog.put_table(txn, tombstone)
            jobs.mark(txn, tombstone)  # the housekeeper removes it once it is gone
    return {"TableDescription": description}


def _deleted_description(txn: ReadTxn, meta: TableMeta) -> Body:
    count, size = stats.read(txn, meta)
    description = describe(meta, status="DELETING", item_count=count, size=size, txn=txn)
    return {k: description[k] for k in DELETED_MEMBERS if k in description}


# What DeleteTable's TableDescription keeps of DescribeTable's: no creation time, keys,
# definitions or indexes (botocore's and the AWS CLI's DeleteTable examples, and captures of
# AWS's answer in dynalite issue #60 and ScyllaDB's test_delete_table_description*).
DELETED_MEMBERS = (
    "TableName",
    "TableStatus",
    "ProvisionedThroughput",
    "TableSizeBytes",
    "ItemCount",
    "TableArn",
    "TableId",
    "BillingModeSummary",
)


def update_table(ctx: Context, body: Body) -> Body:
    _check_update_request(body)
    now = ctx.store.now()
    with ctx.store.write() as txn:
        meta = catalog.describe_target(txn, ctx.table(body["TableName"]))
        if meta.restore is not None:
            raise errors.table_not_found(meta.name)
        transient.check_changeable(meta)
        if replicas.requested(body):
            updated = replicas.apply(ctx, txn, meta, body)
            count, size = stats.read(txn, updated)
            description = describe(updated, status="UPDATING", item_count=count, size=size, txn=txn)
            return {"TableDescription": replicas.show_deleted(description, meta, body)}
        updated = streams.hold(_apply_table_update(ctx, meta, body, now))
        table_level = any(body.get(m) is not None for m in UPDATE_MEMBERS if m not in INDEXES)
        updated = transient.updated(meta, updated, ctx.transient_seconds, table_level)
        catalog.put_table(txn, updated)
        if any(index.status in ("CREATING", "DELETING") for index in updated.indexes):
            jobs.mark(txn, updated)
        if meta.replication is not None:
            _update_replicas(ctx, txn, updated, body, now)
        count, size = stats.read(txn, updated)
        description = describe(updated, status="UPDATING", item_count=count, size=size, txn=txn)
    _show_index_updates(description, body)
    return {"TableDescription": description}


# What a change to one replica of a global table changes in every replica (the rest, such as
# deletion protection, is each replica's own).
SYNCED = (
    "AttributeDefinitions",
    "GlobalSecondaryIndexUpdates",
    "BillingMode",
    "TableClass",
    "OnDemandThroughput",
)


def _update_replicas(ctx: Context, txn: WriteTxn, meta: TableMeta, body: Body, now: float) -> None:
    """Apply the group-wide part of an UpdateTable to the other replicas: their indexes are
    built or removed each from its own items."""
    synced = {member: body[member] for member in SYNCED if body.get(member) is not None}
    if not set(synced) - {"AttributeDefinitions"}:
        return
    for region, row in replication.members(txn, meta).items():
        if region == meta.region:
            continue
        other = _apply_table_update(ctx, row, synced, now)
        catalog.put_table(txn, other)
        if any(index.status in ("CREATING", "DELETING") for index in other.indexes):
            jobs.mark(txn, other)


def _show_index_updates(description: Body, body: Body) -> None:
    """UpdateTable's reply shows an index being created as not backfilling yet, and an index
    whose throughput changes as UPDATING, as DynamoDB's does."""
    updated = {
        update["Update"]["IndexName"]
        for update in body.get("GlobalSecondaryIndexUpdates") or []
        if update.get("Update") is not None
    }
    index_only = all(
        member == "GlobalSecondaryIndexUpdates" or body.get(member) is None
        for member in UPDATE_MEMBERS
    ) and all(u.get("Update") is not None for u in body.get("GlobalSecondaryIndexUpdates") or [])
    if index_only:
        description["TableStatus"] = "ACTIVE"  # only the index itself is updating
    for index in description.get("GlobalSecondaryIndexes", []):
        if index["IndexStatus"] == "CREATING":
            index["Backfilling"] = False
        if index["IndexName"] in updated:
            index["IndexStatus"] = "UPDATING"


def describe_limits(ctx: Context, body: Body) -> Body:
    return {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }


def describe_endpoints(ctx: Context, body: Body) -> Body:
    return {"Endpoints": [{"Address": ctx.endpoint, "CachePeriodInMinutes": 1440}]}


# --- the TableDescription ---------------------------------------------------------------


def describe(
    meta: TableMeta,
    *,
    status: str | None = None,
    item_count: int,
    size: int,
    txn: ReadTxn | None = None,
) -> Body:
    """DynamoDB's TableDescription of `meta` (status overrides the stored one)."""
    throughput = provisioned.describe(meta)
    out: Body = {
        "AttributeDefinitions": meta.attribute_definitions,
        "TableName": meta.name,
        "KeySchema": meta.key_schema,
        "TableStatus": status or _shown_status(meta),
        "CreationDateTime": meta.created,
        "ProvisionedThroughput": throughput,
        "TableSizeBytes": size,
        "ItemCount": item_count,
        "TableArn": meta.arn,
        "TableId": table_id(meta),
    }
    if meta.billing_mode == "PAY_PER_REQUEST" or meta.billing_mode_given:
        summary: Body = {"BillingMode": meta.billing_mode}
        if meta.last_pay_per_request is not None:
            summary["LastUpdateToPayPerRequestDateTime"] = meta.last_pay_per_request
        out["BillingModeSummary"] = summary
    out.update(index_defs.describe(meta, txn, "CREATING" if status == "CREATING" else None))
    if meta.stream is not None:
        out.update(_describe_stream(meta))
    if meta.sse is not None:
        out["SSEDescription"] = meta.sse
    if meta.table_class_given:
        out["TableClassSummary"] = {"TableClass": meta.table_class}
    if meta.on_demand is not None:
        out["OnDemandThroughput"] = meta.on_demand
    out["WarmThroughput"] = _warm_throughput(meta)
    out["DeletionProtectionEnabled"] = meta.deletion_protection
    restore = backups.summary_of(meta)
    if restore is not None:
        out["RestoreSummary"] = restore
    if meta.replication is not None:
        out.update(replicas.describe(meta, txn))
    return out


def _shown_status(meta: TableMeta) -> str:
    """The table's status; an ACTIVE table whose other replicas are being added or removed
    shows UPDATING meanwhile, as DynamoDB's does (it serves data all the same)."""
    status = meta.shown_status
    if status == "ACTIVE" and replicas.changing(meta):
        return "UPDATING"
    return status


def table_id(meta: TableMeta) -> str:
    return catalog.table_id(meta.uid)


def _describe_stream(meta: TableMeta) -> Body:
    assert meta.stream is not None
    out: Body = {}
    spec = meta.stream.get("spec")
    if spec is not None and spec.get("StreamEnabled"):  # a stream switched off is not described
        out["StreamSpecification"] = spec
    label = meta.stream.get("label")
    if label is not None:
        out["LatestStreamLabel"] = label
        out["LatestStreamArn"] = f"{meta.arn}/stream/{label}"
    return out


def _warm_throughput(meta: TableMeta) -> Body:
    warm = meta.warm_throughput or {}
    return {
        "ReadUnitsPerSecond": warm.get("ReadUnitsPerSecond", 12000),
        "WriteUnitsPerSecond": warm.get("WriteUnitsPerSecond", 4000),
        "Status": "ACTIVE",
    }


def _stream_state(spec: Body | None, previous: TableMeta | None, now: float) -> Body | None:
    """Stored stream state (engine/streams): the specification as described, the label of
    the latest stream (a new one each time a stream is enabled, as DynamoDB does) and the
    history of the table's streams."""
    if spec is None:
        return None if previous is None else previous.stream
    stamp = int(now * 1e6)
    state = None if previous is None else previous.stream
    if not spec.get("StreamEnabled"):
        return None if state is None else streams.disabled(state, stamp)
    return streams.enabled(state, spec["StreamViewType"], stamp)


def sse_description(ctx: Context, spec: Body | None) -> Body | None:
    if not spec or not spec.get("Enabled"):
        return None
    key = spec.get("KMSMasterKeyId") or "aws/dynamodb"
    arn = key if key.startswith("arn:") else f"arn:aws:kms:{ctx.region}:{ctx.account}:key/{key}"
    return {"Status": "ENABLED", "SSEType": spec.get("SSEType", "KMS"), "KMSMasterKeyArn": arn}


# --- validation -------------------------------------------------------------------------


def _check_billing(body: Body) -> None:
    throughput = body.get("ProvisionedThroughput")
    if body.get("BillingMode") == "PAY_PER_REQUEST":
        if throughput:
            raise errors.invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                "BillingMode is PAY_PER_REQUEST"
            )
        return
    if (
        not throughput
        or not throughput.get("ReadCapacityUnits")
        or not throughput.get("WriteCapacityUnits")
    ):
        raise errors.invalid_parameters(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode "
            "is PROVISIONED"
        )
    _check_throughput_bounds(throughput)


def _check_throughput_bounds(throughput: Body) -> None:
    for unit in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if throughput[unit] > MAX_THROUGHPUT:
            raise errors.validation(f"Given value {throughput[unit]} for {unit} is out of bounds")


def _check_key_schema(body: Body) -> tuple[str, str | None]:
    """The table's (hash, range) key names, after DynamoDB's key-schema checks in its order."""
    definitions = [d["AttributeName"] for d in body["AttributeDefinitions"]]
    _check_defined_once(definitions)
    schema = body["KeySchema"]
    keys = [k["AttributeName"] for k in schema]
    if len(keys) > len(definitions):
        raise errors.validation("Invalid KeySchema: Some index key attribute have no definition")
    if any(key not in definitions for key in keys):
        raise errors.invalid_parameters(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(keys)}], AttributeDefinitions: [{', '.join(definitions)}]"
        )
    if len(keys) == 2 and keys[0] == keys[1]:
        raise errors.validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        )
    if schema[0]["KeyType"] != "HASH":
        raise errors.validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
        )
    if len(schema) == 2 and schema[1]["KeyType"] not in ("RANGE", "SORT"):
        raise errors.validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
        )
    has_indexes = "LocalSecondaryIndexes" in body or "GlobalSecondaryIndexes" in body
    if not has_indexes and len(keys) != len(definitions):
        raise errors.invalid_parameters(
            "Number of attributes in KeySchema does not exactly match number of attributes "
            "defined in AttributeDefinitions"
        )
    seen: set[str] = set()
    billing = body.get("BillingMode", "PROVISIONED")
    index_defs.check_local(body, definitions, keys[0], len(keys) == 2, seen)
    index_defs.check_global(body.get("GlobalSecondaryIndexes"), definitions, billing, seen)
    index_defs.check_projected_total(
        [*(body.get("LocalSecondaryIndexes") or []), *(body.get("GlobalSecondaryIndexes") or [])]
    )
    used = index_defs.key_names_used(body)
    if has_indexes and len(definitions) > len(used):
        raise errors.invalid_parameters(
            "Some AttributeDefinitions are not used. "
            f"AttributeDefinitions: [{', '.join(definitions)}], keys used: [{', '.join(used)}]"
        )
    return keys[0], keys[1] if len(keys) == 2 else None


def _check_defined_once(definitions: list[str]) -> None:
    """An attribute defined twice (perhaps with two types) is refused before the
    definitions are counted against the keys."""
    seen: set[str] = set()
    for name in definitions:
        if name in seen:
            raise errors.validation(f"Attribute Name is duplicated: {name}")
        seen.add(name)


INDEXES = ("GlobalSecondaryIndexUpdates",)
UPDATE_MEMBERS = (
    "ProvisionedThroughput",
    "BillingMode",
    "UpdateStreamEnabled",
    "StreamSpecification",
    "GlobalSecondaryIndexUpdates",
    "SSESpecification",
    "ReplicaUpdates",
    "TableClass",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
)


NOTHING_TO_CHANGE = (
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
    "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, "
    "ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, "
    "OnDemandThroughput, WarmThroughput or TableClass is required"
)


def _check_update_request(body: Body) -> None:
    # An empty GlobalSecondaryIndexUpdates is no change; beside a change it is refused.
    no_index_updates = body.get("GlobalSecondaryIndexUpdates") == []
    changes = {m for m in UPDATE_MEMBERS if body.get(m) is not None}
    if no_index_updates:
        changes.discard("GlobalSecondaryIndexUpdates")
    if not changes:
        raise errors.validation(NOTHING_TO_CHANGE)
    if no_index_updates:
        raise errors.invalid_parameters("List of GlobalSecondaryIndexUpdates is empty")
    if replicas.requested(body):
        replicas.check_request(body)
    if body.get("GlobalSecondaryIndexUpdates"):
        index_defs.check_updates(body["GlobalSecondaryIndexUpdates"])
    if body.get("ProvisionedThroughput"):
        _check_throughput_bounds(body["ProvisionedThroughput"])


def _apply_table_update(ctx: Context, meta: TableMeta, body: Body, now: float) -> TableMeta:
    changes: dict[str, Any] = {}
    mode = body.get("BillingMode", meta.billing_mode)
    throughput = body.get("ProvisionedThroughput")
    if mode == "PAY_PER_REQUEST":
        if throughput:
            raise errors.invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                "BillingMode is PAY_PER_REQUEST"
            )
        if meta.billing_mode != mode:
            changes.update(
                billing_mode=mode, read_capacity=0, write_capacity=0, last_pay_per_request=now
            )
        changes["billing_mode_given"] = True
    elif meta.billing_mode == "PAY_PER_REQUEST":
        if not throughput:
            raise errors.invalid_parameters(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED"
            )
        changes.update(
            billing_mode="PROVISIONED",
            billing_mode_given=True,
            read_capacity=throughput["ReadCapacityUnits"],
            write_capacity=throughput["WriteCapacityUnits"],
        )
    elif throughput:
        changes.update(_throughput_change(meta, throughput, now))
    if "TableClass" in body:
        changes.update(table_class=body["TableClass"], table_class_given=True)
    if "DeletionProtectionEnabled" in body:
        changes["deletion_protection"] = bool(body["DeletionProtectionEnabled"])
    if "SSESpecification" in body:
        changes["sse"] = sse_description(ctx, body["SSESpecification"])
    if "StreamSpecification" in body:
        changes["stream"] = _stream_update(meta, body["StreamSpecification"], now)
    if "OnDemandThroughput" in body:
        changes["on_demand"] = body["OnDemandThroughput"]
    if "WarmThroughput" in body:
        changes["warm_throughput"] = body["WarmThroughput"]
    updated = catalog.replace(meta, **changes)
    if body.get("GlobalSecondaryIndexUpdates"):
        updated = index_defs.apply_updates(updated, body, now)
    return updated


def _throughput_change(meta: TableMeta, throughput: Body, now: float) -> dict[str, Any]:
    read, write = throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]
    read_diff, write_diff = read - meta.read_capacity, write - meta.write_capacity
    if not read_diff and not write_diff:
        raise errors.validation(
            "The provisioned throughput for the table will not change. The requested value "
            "equals the current value. "
            f"Current ReadCapacityUnits provisioned for the table: {meta.read_capacity}. "
            f"Requested ReadCapacityUnits: {read}. "
            f"Current WriteCapacityUnits provisioned for the table: {meta.write_capacity}. "
            f"Requested WriteCapacityUnits: {write}. "
            "Refer to the Amazon DynamoDB Developer Guide for current limits and how to request "
            "higher limits."
        )
    return provisioned.change(meta, read, write, now)


def _stream_update(meta: TableMeta, spec: Body, now: float) -> Body | None:
    """A stream switched on (with its view type) or off, in DynamoDB's words when the request
    cannot be done: a live stream cannot be switched on again, even to change its view type;
    one that is off cannot be switched off (live captures of DynamoDB, ack-api-quirks
    DDB-TABLE-050)."""
    enabled = bool((meta.stream or {}).get("spec", {}).get("StreamEnabled"))
    if spec.get("StreamEnabled"):
        if "StreamViewType" not in spec:
            raise errors.invalid_parameters(
                "If stream is being enabled then UpdateViewType is required"
            )
        if enabled:
            raise errors.validation(f"Table already has an enabled stream: TableName: {meta.name}")
    else:
        if "StreamViewType" in spec:
            raise errors.invalid_parameters(
                "If stream is being disabled, then UpdateViewType must not be specified"
            )
        if not enabled:  # never enabled, or disabled already
            raise errors.validation(f"Table has no stream to disable: TableName: {meta.name}")
        if meta.replication is not None and not replication.strong(meta):
            raise errors.invalid_parameters(
                "Disabling Stream is not allowed for a Global Table replica."
            )
    return _stream_state(spec, meta, now)
