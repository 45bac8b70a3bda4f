"""Streams and Time to Live in process on SQLite: GetRecords reading a stream of N changes
(Limit 1000 per call), and one Time to Live sweep deleting N expired items.

Run: python -m bench.streams [--items 50000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from opendynamo.api.dynamodb import items, tables, ttl
from opendynamo.api.request.context import Context
from opendynamo.api.streams import operations as streams
from opendynamo.config import Settings
from opendynamo.engine import streams as stream_log
from opendynamo.engine import ttl as sweeper
from opendynamo.engine.bulk import load

ACCOUNT, REGION = "000000000000", "us-east-1"
KEYS = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    count = parser.parse_args().items
    with tempfile.TemporaryDirectory() as data_dir:
        store = Settings(data_dir=data_dir).open_store()
        ctx = Context(store, ACCOUNT, REGION, request_id="bench", endpoint="")
        spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        tables.create_table(ctx, {"TableName": "streamed", "StreamSpecification": spec, **KEYS})
        for number in range(count):
            item = {"pk": {"S": f"user#{number}"}, "name": {"S": "x" * 100}}
            items.put_item(ctx, {"TableName": "streamed", "Item": item})
        time.sleep(stream_log.SETTLE_US / 1e6 + 0.1)
        arn = tables.describe_table(ctx, {"TableName": "streamed"})["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(ctx, {"StreamArn": arn})["StreamDescription"]["Shards"][0]
        body = {"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}
        iterator = streams.get_shard_iterator(ctx, body)["ShardIterator"]
        started, read = time.perf_counter(), 0
        while read < count:
            page = streams.get_records(ctx, {"ShardIterator": iterator, "Limit": 1000})
            read += len(page["Records"])
            iterator = page["NextShardIterator"]
        elapsed = time.perf_counter() - started
        print(f"GetRecords: {read:,} records in {elapsed:.2f} s ({read / elapsed:,.0f} records/s)")

        tables.create_table(ctx, {"TableName": "expiring", **KEYS})
        rows = (
            json.dumps({"Item": {"pk": {"S": f"s#{i}"}, "exp": {"N": "1700000000"}}}).encode()
            for i in range(count)
        )
        load(store, ACCOUNT, REGION, "expiring", rows)
        spec = {"Enabled": True, "AttributeName": "exp"}
        ttl.update_time_to_live(ctx, {"TableName": "expiring", "TimeToLiveSpecification": spec})
        started = time.perf_counter()
        deleted = sweeper.sweep(store, store.now())
        elapsed = time.perf_counter() - started
        print(f"TTL sweep: {deleted:,} expired items deleted in {elapsed:.2f} s "
              f"({deleted / elapsed:,.0f} items/s)")  # fmt: skip
        store.close()


if __name__ == "__main__":
    main()
