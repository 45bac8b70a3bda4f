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


def lines_until(process: subprocess.Popen[bytes], count: int, timeout: float) -> list[Any]:
    """The first `count` records the command prints (it runs on: stopped here)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    os.set_blocking(fd, False)
    found: list[Any] = []
    buffer = b""
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            chunk = b""
        if chunk:
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            found += [json.loads(line) for line in complete if line]
        else:
            time.sleep(0.05)
    process.terminate()
    process.wait(timeout=10)
    return found


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
    written = []
    for round_ in range(3):  # across two rollovers (a shard every 1.5 s)
        for i in range(3):
            key = f"r{round_}-{i}"
            client.put_item(TableName=table, Item={"pk": {"S": key}})
            written.append(key)
        time.sleep(1.6)
    process = tail(stream_server, table, "--from-start")
    time.sleep(1.0)
    for i in range(2):  # while it runs
        key = f"late-{i}"
        client.put_item(TableName=table, Item={"pk": {"S": key}})
        written.append(key)
    records = lines_until(process, len(written), timeout=20)
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
