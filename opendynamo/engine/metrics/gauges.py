"""The metrics DynamoDB publishes about the state of tables and the account rather than about
requests (every five minutes on AWS; here each minute, by the housekeeper that holds the
lease): provisioned capacity, the account's and tables' quotas and how much of them is
provisioned, table count, the progress of index backfills, and the items TTL deleted."""

from __future__ import annotations

from collections import defaultdict

from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.metrics.dynamodb import NAMESPACE
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.engine.metrics.series import Dimensions, SeriesKey

# DynamoDB's default quotas per account and region, and per table (Service Quotas).
ACCOUNT_MAX = 80_000
TABLE_MAX = 40_000


def record(recorder: Recorder, tables: list[TableMeta], moment: float) -> None:
    by_namespace: dict[tuple[str, str], list[TableMeta]] = defaultdict(list)
    for meta in tables:
        by_namespace[(meta.account, meta.region)].append(meta)
    for (account, region), metas in by_namespace.items():
        _record_namespace(recorder, account, region, metas, moment)


def _record_namespace(
    recorder: Recorder, account: str, region: str, metas: list[TableMeta], moment: float
) -> None:

    def gauge(name: str, value: float, unit: str = "Count", dims: Dimensions = ()) -> None:
        key = SeriesKey(account, region, NAMESPACE, name, dims)
        recorder.add(key, value, unit, moment)

    gauge("TableCount", float(len(metas)))
    gauge("AccountMaxReads", float(ACCOUNT_MAX))
    gauge("AccountMaxWrites", float(ACCOUNT_MAX))
    gauge("AccountMaxTableLevelReads", float(TABLE_MAX))
    gauge("AccountMaxTableLevelWrites", float(TABLE_MAX))
    reads = writes = top_read = top_write = 0
    for meta in metas:
        table = (("TableName", meta.name),)
        provisioned = meta.billing_mode == "PROVISIONED"
        table_reads, table_writes = meta.read_capacity, meta.write_capacity
        if provisioned:
            gauge("ProvisionedReadCapacityUnits", float(meta.read_capacity), dims=table)
            gauge("ProvisionedWriteCapacityUnits", float(meta.write_capacity), dims=table)
        for index in meta.indexes:
            if not index.is_global:
                continue
            dims = (("GlobalSecondaryIndexName", index.name), ("TableName", meta.name))
            if provisioned:
                gauge("ProvisionedReadCapacityUnits", float(index.read_capacity), dims=dims)
                gauge("ProvisionedWriteCapacityUnits", float(index.write_capacity), dims=dims)
                table_reads += index.read_capacity
                table_writes += index.write_capacity
            if index.backfilling:
                progress = backfill_progress(index.backfill_cursor)
                gauge("OnlineIndexPercentageProgress", progress, dims=dims)
        if provisioned:
            reads += table_reads
            writes += table_writes
            top_read = max(top_read, table_reads)
            top_write = max(top_write, table_writes)
    percent = "Percent"
    gauge("AccountProvisionedReadCapacityUtilization", 100.0 * reads / ACCOUNT_MAX, percent)
    gauge("AccountProvisionedWriteCapacityUtilization", 100.0 * writes / ACCOUNT_MAX, percent)
    gauge("MaxProvisionedTableReadCapacityUtilization", 100.0 * top_read / TABLE_MAX, percent)
    gauge("MaxProvisionedTableWriteCapacityUtilization", 100.0 * top_write / TABLE_MAX, percent)


def backfill_progress(cursor: str | None) -> float:
    """How far a backfill has come, in percent: table keys start with their partition's hash,
    so the cursor's first two bytes tell how much of the hash space lies behind it."""
    if not cursor or len(cursor) < 4:
        return 0.0
    return round(int(cursor[:4], 16) * 100.0 / 65536, 1)


def ttl_deleted(recorder: Recorder, meta: TableMeta, count: int, moment: float) -> None:
    key = SeriesKey(
        meta.account,
        meta.region,
        NAMESPACE,
        "TimeToLiveDeletedItemCount",
        (("TableName", meta.name),),
    )
    recorder.add(key, float(count), "Count", moment)


def backfilled(
    recorder: Recorder, meta: TableMeta, index: str, units: float, moment: float
) -> None:
    """OnlineIndexConsumedWriteCapacity: the write units a backfill step spent on an index."""
    dims = (("GlobalSecondaryIndexName", index), ("TableName", meta.name))
    key = SeriesKey(meta.account, meta.region, NAMESPACE, "OnlineIndexConsumedWriteCapacity", dims)
    recorder.add(key, units, "Count", moment)


def replicated(
    recorder: Recorder,
    meta: TableMeta,
    receiving: str,
    latencies: list[float],
    pending: int,
    moment: float,
) -> None:
    """ReplicationLatency (milliseconds, each change applied) and PendingReplicationCount of
    a replica sending to the replica in `receiving`, in the sending replica's region."""
    dims = (("ReceivingRegion", receiving), ("TableName", meta.name))
    for name, values, unit in (
        ("ReplicationLatency", latencies, "Milliseconds"),
        ("PendingReplicationCount", [float(pending)], "Count"),
    ):
        key = SeriesKey(meta.account, meta.region, NAMESPACE, name, dims)
        for value in values:
            recorder.add(key, value, unit, moment)
