"""Throughput of the background copies, in process on SQLite: an on-demand backup and its
restore (a table of N items with a GSI), a full export of the table (point-in-time recovery
on) and the import of its data files into a new table. Each job is run step by step, as the
housekeeper runs it, until done.

Run: python -m bench.transfers [--items 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable

from opendynamo.api.dynamodb import backups, exports, imports, tables
from opendynamo.api.request.context import Context
from opendynamo.config import Settings
from opendynamo.engine import jobs
from opendynamo.engine.buckets import Buckets
from opendynamo.engine.bulk import load
from opendynamo.storage.base import Store

ACCOUNT, REGION = "000000000000", "us-east-1"
KEYS = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "g", "AttributeType": "S"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    count = parser.parse_args().items
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=data_dir)
        store = settings.open_store()
        os.makedirs(os.path.join(data_dir, "exports", "bench"))
        buckets = settings.buckets()
        ctx = Context(store, ACCOUNT, REGION, request_id="bench", endpoint="")
        tables.create_table(ctx, {"TableName": "source", **KEYS})
        rows = (
            json.dumps({"Item": {"pk": {"S": f"user#{i}"}, "g": {"S": f"g{i % 100}"},
                                 "name": {"S": "x" * 100}}}).encode()
            for i in range(count)
        )  # fmt: skip
        load(store, ACCOUNT, REGION, "source", rows)

        state: dict[str, str] = {}

        def backup() -> None:
            made = backups.create_backup(ctx, {"TableName": "source", "BackupName": "bench"})
            state["backup"] = made["BackupDetails"]["BackupArn"]
            _run(store, buckets)

        def restore() -> None:
            body = {"TargetTableName": "restored", "BackupArn": state["backup"]}
            backups.restore_table_from_backup(ctx, body)
            _run(store, buckets)

        def export() -> None:
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/source"
            body = {"TableArn": arn, "S3Bucket": "bench"}
            made = exports.export_table_to_point_in_time(ctx, body)
            state["export"] = made["ExportDescription"]["ExportArn"].rsplit("/", 1)[1]
            time.sleep(1.0)  # an instant settles for a second before the log is read
            _report("ExportTableToPointInTime", count, _timed(lambda: _run(store, buckets)))

        def import_() -> None:
            prefix = f"AWSDynamoDB/{state['export']}/data/"
            body = {
                "S3BucketSource": {"S3Bucket": "bench", "S3KeyPrefix": prefix},
                "InputFormat": "DYNAMODB_JSON",
                "InputCompressionType": "GZIP",
                "TableCreationParameters": {"TableName": "imported", **KEYS},
            }
            imports.import_table(ctx, body)
            _run(store, buckets)

        print(f"{count:,} items of ~130 bytes with a GSI, SQLite, in process:")
        _report("CreateBackup (copy and undo)", count, _timed(backup))
        _report("RestoreTableFromBackup", count, _timed(restore))
        recovery = {"PointInTimeRecoveryEnabled": True}
        body = {"TableName": "source", "PointInTimeRecoverySpecification": recovery}
        backups.update_continuous_backups(ctx, body)
        _run(store, buckets)  # the first recovery snapshot
        export()  # times itself: without the second it waits
        _report("ImportTable", count, _timed(import_))
        store.close()


def _run(store: Store, buckets: Buckets) -> None:
    while jobs.step(store, buckets=buckets):
        pass


def _timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _report(name: str, count: int, seconds: float) -> None:
    print(f"  {name:<30} {seconds:6.2f} s  {count / seconds:9,.0f} items/s")


if __name__ == "__main__":
    main()
