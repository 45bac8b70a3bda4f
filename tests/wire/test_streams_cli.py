"""`opendynamo streams tail TABLE`: the records of a table's stream as JSON lines, following
its shards from parent to child, and new records as they come.

- With --from-start it prints every record kept, across a shard rollover, each once, in order.
- Running on, it prints records written after it started.
- A table without a stream is an error (status 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CREDENTIALS, Server, unique_name
from tests.wire.helpers import eventually

ENV = {"OPENDYNAMO_STREAM_SHARD_SECONDS": "1.5", "OPENDYNAMO_STREAM_SETTLE": "0.1"}


@pytest.fixture(scope="module")
def stream_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("tail"), env=ENV).start()
    yield server
    server.stop()


def tail(server: Server, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"]}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "opendynamo", "streams", "tail", *args,
         "--endpoint-url", server.endpoint, "--poll", "0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


class Printed:
    """The JSON lines a running command prints on its standard output, read as they come."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self.process = process
        self.fd = process.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.found: list[Any] = []
        self.buffer = b""

    def until(self, count: int, timeout: float) -> list[Any]:
        """What it printed, once that is `count` records or `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while len(self.found) < count and time.monotonic() < deadline:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                chunk = b""
            if chunk:
                self.buffer += chunk
                *complete, self.buffer = self.buffer.split(b"\n")
                self.found += [json.loads(line) for line in complete if line]
            else:
                time.sleep(0.05)
        return self.found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def shard_count(streams: Any, arn: str) -> int:
    """How many shards the stream has (DescribeStream; one page holds them here)."""
    return len(streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"])


def test_tail_follows_the_shards_and_new_records(stream_server: Server) -> None:
    client = stream_server.client()
    table = unique_name("tail")
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    streams = stream_server.client("dynamodbstreams")
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    written = []
    for round_ in range(3):  # a shard each: across rollovers (a shard every 1.5 s)
        before = shard_count(streams, arn)
        for i in range(3):
            key = f"r{round_}-{i}"
            client.put_item(TableName=table, Item={"pk": {"S": key}})
            written.append(key)
        eventually(lambda before=before: shard_count(streams, arn) > before, 10, 0.1)
    printed = Printed(tail(stream_server, table, "--from-start"))
    try:
        printed.until(len(written), timeout=20)  # it runs, and has caught up
        for i in range(2):  # while it runs
            key = f"late-{i}"
            client.put_item(TableName=table, Item={"pk": {"S": key}})
            written.append(key)
        records = printed.until(len(written), timeout=20)
    finally:
        printed.stop()
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == written
    assert {r["eventName"] for r in records} == {"INSERT"}
    shards = stream_server.client("dynamodbstreams").describe_stream(
        StreamArn=client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    )["StreamDescription"]["Shards"]
    assert len(shards) >= 3


def test_tail_of_a_table_without_a_stream(stream_server: Server) -> None:
    client = stream_server.client()
    table = unique_name("plain")
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    process = tail(stream_server, table)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert f"table {table} has no stream" in err.decode()
