"""Global tables, version 2019.11.21: UpdateTable's ReplicaUpdates, MultiRegionConsistency and
GlobalTableWitnessUpdates, and what DescribeTable shows of a replica's group (the replication
itself: engine/replication)."""

from __future__ import annotations

import dataclasses
from typing import Any

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog, legacy_globals, replication, stats
from opendynamo.engine.catalog import TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn, WriteTxn

# The regions DynamoDB is offered in (botocore's endpoints data, partitions aws, aws-cn and
# aws-us-gov): a replica elsewhere is refused.
REGIONS = frozenset(
    """af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1
    ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5
    ap-southeast-6 ap-southeast-7 ca-central-1 ca-west-1 cn-north-1 cn-northwest-1
    eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3
    il-central-1 me-central-1 me-south-1 mx-central-1 sa-east-1 us-east-1 us-east-2
    us-gov-east-1 us-gov-west-1 us-west-1 us-west-2""".split()
)
MEMBERS = ("ReplicaUpdates", "GlobalTableWitnessUpdates", "MultiRegionConsistency")
# DynamoDB's words (live answers, 2026): the Create and Delete case, then the older wording it
# still gives for an Update (Terraform's provider matches the latter when deleting replicas).
LOCAL_REGION = (
    "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, "
    "DeleteTable, or UpdateTable as required."
)
LOCAL_REGION_UPDATE = (
    "Cannot add, delete, or update the local region through ReplicaUpdates. Use CreateTable, "
    "DeleteTable, or UpdateTable as required."
)
IN_USE = "The resource which you are attempting to change is in use."


def requested(body: Body) -> bool:
    """Whether an UpdateTable changes the table's replicas or witnesses."""
    return bool(body.get("ReplicaUpdates") or body.get("GlobalTableWitnessUpdates"))


def check_request(body: Body) -> None:
    """The checks of the request alone, before the table is read, in DynamoDB's order."""
    for update in body.get("ReplicaUpdates") or []:
        actions = [name for name in ("Create", "Update", "Delete") if update.get(name)]
        if len(actions) > 1:
            raise errors.validation(
                "Update table operation with more than one type of replica actions not allowed."
            )
        if not actions or _no_settings(update):
            raise errors.validation(
                "There are no actions specified in the Replica Update Action of the request."
            )
    for update in body.get("GlobalTableWitnessUpdates") or []:
        if len([name for name in ("Create", "Delete") if update.get(name)]) != 1:
            raise errors.validation(
                "There are no actions specified in the Global Table Witness Update Action of "
                "the request."
            )
    if any(body.get(m) is not None for m in _TABLE_MEMBERS):
        if body.get("GlobalTableWitnessUpdates") or body.get("MultiRegionConsistency"):
            raise errors.invalid_parameters(
                "Requests that modify replicas or witnesses must not also modify other fields"
            )
        raise errors.invalid_parameters(
            "Replica modification must be the only operation in the request"
        )


def _no_settings(update: Body) -> bool:
    """An Update action that names its region and nothing else."""
    spec = update.get("Update")
    return spec is not None and not any(k != "RegionName" for k in spec)


_TABLE_MEMBERS = (
    "ProvisionedThroughput",
    "BillingMode",
    "StreamSpecification",
    "GlobalSecondaryIndexUpdates",
    "SSESpecification",
    "TableClass",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
)


def apply(ctx: Context, txn: WriteTxn, meta: TableMeta, body: Body) -> TableMeta:
    """Carry out the replica and witness updates on `meta`'s table; the table as stored."""
    updates = body.get("ReplicaUpdates") or []
    # (action, its member) of each witness update: `check_request` let through only those
    # with exactly one action.
    witnesses = [
        (name, spec)
        for update in body.get("GlobalTableWitnessUpdates") or []
        for name, spec in update.items()
        if spec
    ]
    consistency = body.get("MultiRegionConsistency")
    if legacy_globals.is_legacy(meta):
        raise errors.validation(
            "The table is a replica of a global table of version 2017.11.29: its replicas "
            "are changed with UpdateGlobalTable"
        )
    if consistency == "STRONG" or witnesses or replication.strong(meta):
        return _apply_strong(ctx, txn, meta, updates, witnesses, consistency)
    if consistency is not None and replication.group(meta) is not None:
        raise errors.validation(
            "MultiRegionConsistency parameter is unsupported on existing global table"
        )
    regions = {next(v for v in update.values() if v)["RegionName"] for update in updates}
    if len(regions) > 1:
        raise errors.validation(
            "Update table operation with more than one create or delete replica actions not allowed"
        )
    updates = updates[:1]  # the same action twice is done once
    _check_settled(meta)
    now_us = txn.append([])
    for update in updates:
        action, spec = next((k, v) for k, v in update.items() if v)
        region = spec["RegionName"]
        _check_region(meta, region, action)
        if action == "Create":
            _check_can_add(txn, meta, region)
            settings = _settings(ctx, meta, spec)
            meta = replication.add_replica(txn, meta, region, settings, now_us)[meta.region]
        elif action == "Delete":
            _check_member(meta, region)
            check_protected(txn, meta, [region])
            meta = replication.remove_replica(txn, meta, region)[meta.region]
        else:
            _check_member(meta, region)
            meta = _update_replica(ctx, txn, meta, region, spec)
    return meta


# Multi-Region strong consistency: three regions of one of these sets.
STRONG_SETS = (
    frozenset({"us-east-1", "us-east-2", "us-west-2"}),
    frozenset({"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"}),
    frozenset({"ap-northeast-1", "ap-northeast-2", "ap-northeast-3"}),
)


def _apply_strong(
    ctx: Context,
    txn: WriteTxn,
    meta: TableMeta,
    updates: list[Body],
    witnesses: list[tuple[str, Body]],
    consistency: str | None,
) -> TableMeta:
    """A strongly consistent global table: made with its two other replicas (or one and a
    witness) in one request, and taken apart the same way."""
    actions = [(name, spec) for u in updates for name, spec in u.items() if spec]
    if replication.strong(meta):
        return _change_strong(ctx, txn, meta, actions, witnesses, consistency)
    if witnesses and consistency != "STRONG":
        raise errors.validation(
            "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates "
            "parameter is present."
        )
    if replication.group(meta) is not None:
        raise errors.validation(
            "MultiRegionConsistency parameter is unsupported on existing global table"
        )
    if any(name != "Create" for name, _ in [*actions, *witnesses]):
        raise errors.validation(
            "Only Replica Create actions are supported when MultiRegionConsistency parameter is "
            "provided."
        )
    creates = [spec for _, spec in actions]
    witness = [spec["RegionName"] for _, spec in witnesses]
    if len(creates) + len(witness) != 2 or not creates:
        raise errors.validation(
            "Unsupported replica count for global tables with MultiRegionConsistency set to STRONG."
        )
    regions = [spec["RegionName"] for spec in creates]
    for region in regions:
        _check_region(meta, region, "Create")
    if witness and witness[0] == meta.region:
        raise errors.validation(
            "Cannot add a witness in the same region as an existing replica when creating a "
            "global table with MultiRegionConsistency set to STRONG."
        )
    if witness and witness[0] in regions or len(set(regions)) < len(regions):
        raise errors.validation("Cannot target multiple regions with the same action")
    _check_strong_regions(meta.region, [*regions, *witness])
    _check_settled(meta)
    if meta.local_indexes:
        raise errors.invalid_parameters(
            "Local secondary indexes are not supported for global tables with "
            "MultiRegionConsistency set to STRONG"
        )
    if stats.read(txn, meta)[0]:
        raise errors.invalid_parameters(
            "A table must be empty to become a global table with MultiRegionConsistency set "
            "to STRONG"
        )
    if meta.ttl is not None and meta.ttl.get("enabled"):
        raise errors.invalid_parameters(
            "Time to Live is not supported for global tables with MultiRegionConsistency set "
            "to STRONG"
        )
    now_us = txn.append([])
    strong = {"consistency": "STRONG", "witnesses": {region: "ACTIVE" for region in witness}}
    for spec in creates:
        _check_can_add(txn, meta, spec["RegionName"])
        settings = _settings(ctx, meta, spec)
        rows = replication.add_replica(txn, meta, spec["RegionName"], settings, now_us, **strong)
        meta = rows[meta.region]
    return meta


def _check_strong_regions(home: str, regions: list[str]) -> None:
    chosen = next((s for s in STRONG_SETS if home in s), None)
    unsupported = [r for r in [home, *regions] if chosen is None or r not in chosen]
    if unsupported:
        raise errors.validation(
            "Unsupported Region(s) specified for global tables with MultiRegionConsistency set "
            f"to STRONG: [{', '.join(unsupported)}]."
        )


def _change_strong(
    ctx: Context,
    txn: WriteTxn,
    meta: TableMeta,
    actions: list[tuple[str, Body]],
    witnesses: list[tuple[str, Body]],
    consistency: str | None,
) -> TableMeta:
    """A strongly consistent group takes replica Updates, and Deletes only of every other
    replica and the witness together (the table is then a table of its region alone)."""
    if consistency is not None:
        raise errors.validation(
            "MultiRegionConsistency parameter is unsupported on existing global table"
        )
    if any(name == "Create" for name, _ in [*actions, *witnesses]):
        raise errors.validation(
            "Cannot add replicas to a global table with strong MultiRegionConsistency"
        )
    _check_settled(meta)
    shared = replication.group(meta)
    assert shared is not None
    deleted = [spec["RegionName"] for name, spec in actions if name == "Delete"]
    gone = [spec["RegionName"] for _, spec in witnesses]
    for region in deleted:
        _check_region(meta, region, "Delete")
        _check_member(meta, region)
    unknown = [region for region in gone if region not in shared.get("witnesses", {})]
    if unknown:
        raise errors.validation(
            "Update global table operation failed because one or more witnesses were not part "
            "of the global table. Please retry the request without these witnesses: "
            f"[{', '.join(unknown)}]."
        )
    if deleted or gone:
        if set(shared.get("witnesses", {})) - set(gone):
            raise errors.validation("Update table delete operation does not include all witnesses.")
        if set(replication.regions(meta)) - {meta.region} - set(deleted):
            raise errors.validation(STRONG_ONE_DELETE)
        check_protected(txn, meta, deleted)
        rows = replication.members(txn, meta)
        for region in deleted:
            removed = rows[region]
            replication.drop_replica_table(txn, removed)
        return replication.detach(txn, rows[meta.region])
    for name, spec in actions:
        _check_region(meta, spec["RegionName"], name)
        _check_member(meta, spec["RegionName"])
        meta = _update_replica(ctx, txn, meta, spec["RegionName"], spec)
    return meta


def check_protected(txn: ReadTxn, meta: TableMeta, regions: list[str]) -> None:
    """A replica with deletion protection on cannot be deleted."""
    for region in regions:
        row = catalog.find_table(txn, meta.account, region, meta.name)
        if row is not None and row.deletion_protection:
            raise errors.validation(
                f"Cannot delete table {meta.name} in region {region} because it has deletion "
                "protection enabled. Disable deletion protection first."
            )


def _check_region(meta: TableMeta, region: str, action: str) -> None:
    if region == meta.region:
        raise errors.validation(LOCAL_REGION_UPDATE if action == "Update" else LOCAL_REGION)
    if region not in REGIONS:
        raise errors.validation(
            f"Region {region} is not supported. The latest version of global tables are only "
            f"supported in the following regions: [{', '.join(sorted(REGIONS))}]"
        )


def changing(meta: TableMeta) -> bool:
    """Whether another replica of `meta`'s table is being added or removed."""
    shared = replication.group(meta) or {}
    return any(
        status in ("CREATING", "DELETING")
        for region, status in shared.get("replicas", {}).items()
        if region != meta.region
    )


def _check_settled(meta: TableMeta) -> None:
    """ResourceInUseException while the table or a replica of it is changing."""
    statuses = (replication.group(meta) or {}).get("replicas", {}).values()
    busy = any(status != "ACTIVE" for status in statuses) or meta.shown_status != "ACTIVE"
    if busy or any(index.status != "ACTIVE" or index.backfilling for index in meta.indexes):
        raise errors.resource_in_use(IN_USE)


def _check_can_add(txn: ReadTxn, meta: TableMeta, region: str) -> None:
    there = catalog.find_table(txn, meta.account, region, meta.name)
    if region in replication.regions(meta) or there is not None:
        raise errors.validation(
            f"Failed to create a the new replica of table with name: ‘{meta.name}’ "
            "because one or more replicas already existed as tables."
        )
    if meta.billing_mode == "PROVISIONED":
        raise errors.validation(
            "Table write capacity should either be Pay-Per-Request or AutoScaled."
        )
    if meta.sse is not None and "key/aws/" not in meta.sse.get("KMSMasterKeyArn", ""):
        raise errors.invalid_parameters("KMSMasterKeyId must be specified for each replica.")


def _check_member(meta: TableMeta, region: str) -> None:
    if region not in replication.regions(meta):
        raise errors.validation(
            "Update global table operation failed because one or more replicas were not part "
            f"of the global table. Please retry the request without these replicas: [{region}]."
        )


def _settings(
    ctx: Context, meta: TableMeta, spec: Body, update: bool = False
) -> replication.Settings:
    """A Create or Update action's overrides of the replica's settings."""
    indexes = spec.get("GlobalSecondaryIndexes") or []
    names = {index.name for index in meta.global_indexes}
    indexes = [index for index in indexes if index["IndexName"] in names]  # others: ignored
    read = (spec.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
    if read is not None and meta.billing_mode == "PAY_PER_REQUEST" and update:
        raise errors.invalid_parameters(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode "
            "is PAY_PER_REQUEST"
        )
    key = spec.get("KMSMasterKeyId")
    sse = None
    if key is not None:
        arn = key if key.startswith("arn:") else (
            f"arn:aws:kms:{spec['RegionName']}:{meta.account}:key/{key}")  # fmt: skip
        sse = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": arn}
    return replication.Settings(
        read_capacity=read,
        on_demand=spec.get("OnDemandThroughputOverride"),
        table_class=spec.get("TableClassOverride"),
        sse=sse,
        index_read_capacity={
            index["IndexName"]: (index.get("ProvisionedThroughputOverride") or {}).get(
                "ReadCapacityUnits"
            )  # fmt: skip
            for index in indexes
        },
        index_on_demand={
            index["IndexName"]: index.get("OnDemandThroughputOverride") for index in indexes
        },
    )


def _update_replica(
    ctx: Context, txn: WriteTxn, meta: TableMeta, region: str, spec: Body
) -> TableMeta:
    """An Update action: the replica's own read capacity, class, key and index overrides."""
    settings = _settings(ctx, meta, spec, update=True)
    rows = replication.members(txn, meta)
    row = rows[region]
    changes: dict[str, Any] = {}
    if settings.read_capacity is not None:
        changes["read_capacity"] = settings.read_capacity
    if settings.on_demand is not None:
        changes["on_demand"] = settings.on_demand
    if settings.table_class is not None:
        changes.update(table_class=settings.table_class, table_class_given=True)
    if settings.sse is not None:
        changes["sse"] = settings.sse
    indexes = []
    for index in row.indexes:
        read = (settings.index_read_capacity or {}).get(index.name)
        on_demand = (settings.index_on_demand or {}).get(index.name)
        if read is not None:
            index = dataclasses.replace(index, read_capacity=read)
        if on_demand is not None:
            index = dataclasses.replace(index, on_demand=on_demand)
        indexes.append(index)
    catalog.put_table(txn, catalog.replace(row, indexes=tuple(indexes), **changes))
    return catalog.find_table(txn, meta.account, meta.region, meta.name) or meta


# --- DescribeTable ----------------------------------------------------------------------


def describe(meta: TableMeta, txn: ReadTxn | None) -> Body:
    """The members of TableDescription a replica of a global table has: GlobalTableVersion,
    Replicas (the other regions', as DynamoDB lists them), MultiRegionConsistency (only when
    STRONG) and GlobalTableWitnesses."""
    shared = replication.group(meta)
    if shared is None:
        return {}
    if shared["version"] == legacy_globals.VERSION:
        # A legacy member names its version only: its group is DescribeGlobalTable's (and
        # Terraform's provider reads Replicas as the table's own replica blocks).
        return {"GlobalTableVersion": shared["version"]}
    rows = replication.members(txn, meta) if txn is not None else {meta.region: meta}
    replicas = []
    for region, status in shared["replicas"].items():
        if region == meta.region:
            continue
        entry: Body = {"RegionName": region, "ReplicaStatus": status}
        row = rows.get(region)
        if row is not None:
            entry.update(_replica_settings(meta, row, txn))
        entry["GlobalTableSettingsReplicationMode"] = SETTINGS_MODE
        replicas.append(entry)
    out: Body = {
        "GlobalTableVersion": shared["version"],
        "Replicas": replicas,
        "GlobalTableSettingsReplicationMode": SETTINGS_MODE,
    }
    if shared.get("consistency") == "STRONG":
        out["MultiRegionConsistency"] = "STRONG"
    witnesses = shared.get("witnesses") or {}
    if witnesses:
        out["GlobalTableWitnesses"] = [
            {"RegionName": region, "WitnessStatus": status} for region, status in witnesses.items()
        ]
    return out


SETTINGS_MODE = "ENABLED_WITH_OVERRIDES"


def show_deleted(description: Body, before: TableMeta, body: Body) -> Body:
    """UpdateTable's reply to a replica Delete shows that replica DELETING, even when the
    table is no global table any more."""
    deleted = [
        u["Delete"]["RegionName"] for u in body.get("ReplicaUpdates") or [] if u.get("Delete")
    ]
    shared = replication.group(before)
    if not deleted or shared is None:
        return description
    description.setdefault("GlobalTableVersion", shared["version"])
    listed = description.setdefault("Replicas", [])
    for entry in listed:
        if entry["RegionName"] in deleted:
            entry["ReplicaStatus"] = "DELETING"
    shown = {entry["RegionName"] for entry in listed}
    listed += [
        {"RegionName": region, "ReplicaStatus": "DELETING"}
        for region in deleted
        if region not in shown and region != before.region
    ]
    return description


def _replica_settings(meta: TableMeta, row: TableMeta, txn: ReadTxn | None) -> Body:
    """What a replica's entry in Replicas shows of its own settings: only what it does not
    inherit."""
    out: Body = {}
    if txn is not None:
        progress = replication.progress(row, stats.read(txn, _source(txn, row) or row)[0])
        if progress is not None:
            out["ReplicaStatusPercentProgress"] = str(progress)
    if row.sse is not None and "key/aws/" not in row.sse.get("KMSMasterKeyArn", ""):
        out["KMSMasterKeyId"] = row.sse["KMSMasterKeyArn"]
    if row.billing_mode == "PROVISIONED" and row.read_capacity != meta.read_capacity:
        out["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": row.read_capacity}
    if row.on_demand is not None and row.on_demand != meta.on_demand:
        out["OnDemandThroughputOverride"] = row.on_demand
    overridden = [_index_entry(meta, row, i.name) for i in row.global_indexes]
    if any(len(entry) > 1 for entry in overridden):
        out["GlobalSecondaryIndexes"] = overridden
    if row.table_class_given:
        out["ReplicaTableClassSummary"] = {"TableClass": row.table_class}
    return out


def _index_entry(meta: TableMeta, row: TableMeta, name: str) -> Body:
    entry: Body = {"IndexName": name}
    theirs, ours = row.index(name), meta.index(name)
    if theirs is not None and ours is not None and theirs.read_capacity != ours.read_capacity:
        entry["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": theirs.read_capacity}
    return entry


def _source(txn: ReadTxn, row: TableMeta) -> TableMeta | None:
    state = (row.replication or {}).get("copy")
    if state is None:
        return None
    return catalog.find_table(txn, row.account, state["from"], row.name)


def leave(txn: WriteTxn, meta: TableMeta) -> TableMeta:
    """DeleteTable of a replica: it leaves its group first (the others stop sending to it);
    the table as it then is, for DeleteTable to delete."""
    if meta.status == "CREATING":
        raise errors.resource_in_use(
            f"Attempt to change a resource which is still in use: Table: {meta.name} is being used."
        )
    if replication.strong(meta):
        raise errors.validation(STRONG_ONE_DELETE)
    if legacy_globals.is_legacy(meta):  # the others stay a global table, even of one
        legacy_globals.remove(txn, replication.members(txn, meta), meta.region)
        found = catalog.find_table(txn, meta.account, meta.region, meta.name)
        assert found is not None
        return found
    replication.remove_replica(txn, meta, meta.region, delete=False)
    found = catalog.find_table(txn, meta.account, meta.region, meta.name)
    assert found is not None
    return found


STRONG_ONE_DELETE = (
    "Deletion of only one table replica is not supported for global tables with "
    "MultiRegionConsistency set to STRONG."
)
