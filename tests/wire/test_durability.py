"""Durability and multi-process consistency of the SQLite store, through the wire.

Behaviour pinned here (DynamoDB's guarantees as a client sees them):
- A write is durable once acknowledged: tables, their settings and items survive a clean
  restart, and every acknowledged PutItem survives a crash (SIGKILL) of the server.
- A strongly consistent read sees every write acknowledged before it, whichever worker process
  serves it: with several workers sharing one data directory, a write through one connection is
  visible at once to reads through any other connection, and so are table creations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, unique_name
from tests.wire.helpers import create_table
from tests.wire.http import signed_call


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers started by a test, all stopped afterwards."""
    started: list[Server] = []
    yield started
    for srv in started:
        if srv.process is not None and srv.process.poll() is None:
            srv.stop()


def start(servers: list[Server], data_dir: Path, workers: int = 1) -> Server:
    srv = Server(data_dir, workers=workers).start()
    servers.append(srv)
    return srv


SORT_KEY = ("sk", "N")  # the tables here: hash key pk (S), range key sk (N)


def fresh_call(server: Server, operation: str, payload: dict[str, Any]) -> tuple[int, Any]:
    """One signed request on a new TCP connection, so successive calls can land on different
    worker processes (boto3 would reuse one kept-alive connection)."""
    reply = signed_call(server, operation, payload)
    return reply.status, reply.json()


def test_tables_and_items_survive_a_restart(tmp_path: Path, servers: list[Server]) -> None:
    data_dir = tmp_path / "data"
    first = start(servers, data_dir)
    client = first.client()
    name = unique_name()
    create_table(
        client,
        name=name,
        range_key=SORT_KEY,
        billing=None,
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
        Tags=[{"Key": "k", "Value": "v"}],
        DeletionProtectionEnabled=True,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    items = [
        {
            "pk": {"S": "p"},
            "sk": {"N": str(i)},
            "data": {"B": bytes([i])},
            "l": {"L": [{"N": "1"}]},
        }
        for i in range(10)
    ]
    for item in items:
        client.put_item(TableName=name, Item=item)
    client.delete_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"N": "9"}})
    before = client.describe_table(TableName=name)["Table"]
    first.stop()

    second = start(servers, data_dir)
    client = second.client()
    assert name in client.list_tables()["TableNames"]
    after = client.describe_table(TableName=name)["Table"]
    for member in (
        "TableId",
        "TableArn",
        "CreationDateTime",
        "KeySchema",
        "AttributeDefinitions",
        "ProvisionedThroughput",
        "DeletionProtectionEnabled",
        "StreamSpecification",
        "LatestStreamArn",
    ):
        assert after[member] == before[member], member
    assert after["TableStatus"] == "ACTIVE"
    assert after["ItemCount"] == 9
    assert after["TableSizeBytes"] == before["TableSizeBytes"]
    tags = client.list_tags_of_resource(ResourceArn=after["TableArn"])["Tags"]
    assert tags == [{"Key": "k", "Value": "v"}]
    for item in items[:9]:
        key = {"pk": item["pk"], "sk": item["sk"]}
        got = client.get_item(TableName=name, Key=key, ConsistentRead=True)["Item"]
        assert got == item
    missing = client.get_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"N": "9"}})
    assert "Item" not in missing


def test_deleted_table_stays_deleted_after_restart(tmp_path: Path, servers: list[Server]) -> None:
    data_dir = tmp_path / "data"
    first = start(servers, data_dir)
    client = first.client()
    kept, dropped = unique_name(), unique_name()
    for name in (kept, dropped):
        create_table(client, name=name, range_key=SORT_KEY)
    client.put_item(TableName=dropped, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    client.delete_table(TableName=dropped)
    first.stop()

    second = start(servers, data_dir)
    client = second.client()
    assert client.list_tables()["TableNames"] == sorted([kept])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName=dropped)


def test_acknowledged_writes_survive_sigkill(tmp_path: Path, servers: list[Server]) -> None:
    data_dir = tmp_path / "data"
    first = start(servers, data_dir)
    client = first.client()
    name = unique_name()
    create_table(client, name=name, range_key=SORT_KEY)
    count = 200
    for i in range(count):
        client.put_item(TableName=name, Item={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}})
    client.update_item(
        TableName=name,
        Key={"pk": {"S": "p0"}, "sk": {"N": "0"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "last"}},
    )
    first.kill()

    second = start(servers, data_dir)
    client = second.client()
    for i in range(count):
        key = {"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}}
        assert "Item" in client.get_item(TableName=name, Key=key, ConsistentRead=True), i
    got = client.get_item(TableName=name, Key={"pk": {"S": "p0"}, "sk": {"N": "0"}})
    assert got["Item"]["v"] == {"S": "last"}
    assert client.describe_table(TableName=name)["Table"]["ItemCount"] == count


def test_server_keeps_working_after_a_crash_restart(tmp_path: Path, servers: list[Server]) -> None:
    data_dir = tmp_path / "data"
    first = start(servers, data_dir)
    name = unique_name()
    create_table(first.client(), name=name, range_key=SORT_KEY)
    first.kill()
    second = start(servers, data_dir)
    client = second.client()
    client.put_item(TableName=name, Item={"pk": {"S": "after"}, "sk": {"N": "1"}})
    got = client.get_item(TableName=name, Key={"pk": {"S": "after"}, "sk": {"N": "1"}})
    assert got["Item"]["pk"] == {"S": "after"}


def test_writes_are_visible_across_workers(tmp_path: Path, servers: list[Server]) -> None:
    srv = start(servers, tmp_path / "data", workers=2)
    name = unique_name()
    status, reply = fresh_call(
        srv,
        "CreateTable",
        {
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    assert status == 200, reply
    for _ in range(10):  # the new table is known to every worker at once
        status, reply = fresh_call(srv, "DescribeTable", {"TableName": name})
        assert status == 200, reply
    for i in range(40):
        key = {"pk": {"S": f"k{i}"}}
        status, reply = fresh_call(
            srv, "PutItem", {"TableName": name, "Item": {**key, "n": {"N": str(i)}}}
        )
        assert status == 200, reply
        status, reply = fresh_call(
            srv, "GetItem", {"TableName": name, "Key": key, "ConsistentRead": True}
        )
        assert status == 200, reply
        assert reply["Item"]["n"] == {"N": str(i)}, i
    status, reply = fresh_call(srv, "DescribeTable", {"TableName": name})
    assert reply["Table"]["ItemCount"] == 40
    status, reply = fresh_call(srv, "DeleteTable", {"TableName": name})
    assert status == 200, reply
    for _ in range(10):  # and its deletion too
        status, reply = fresh_call(srv, "DescribeTable", {"TableName": name})
        assert status == 400
        assert reply["__type"].endswith("#ResourceNotFoundException")


def test_updates_are_visible_across_workers(tmp_path: Path, servers: list[Server]) -> None:
    srv = start(servers, tmp_path / "data", workers=2)
    name = unique_name()
    create_table(srv.client(), name=name, range_key=SORT_KEY)
    key = {"pk": {"S": "counter"}, "sk": {"N": "0"}}
    for i in range(1, 21):
        status, reply = fresh_call(
            srv,
            "UpdateItem",
            {
                "TableName": name,
                "Key": key,
                "UpdateExpression": "SET c = if_not_exists(c, :zero) + :one",
                "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
            },
        )
        assert status == 200, reply
        status, reply = fresh_call(
            srv, "GetItem", {"TableName": name, "Key": key, "ConsistentRead": True}
        )
        assert reply["Item"]["c"] == {"N": str(i)}
    status, reply = fresh_call(
        srv, "UpdateTable", {"TableName": name, "DeletionProtectionEnabled": True}
    )
    assert status == 200, reply
    for _ in range(10):
        status, reply = fresh_call(srv, "DescribeTable", {"TableName": name})
        assert reply["Table"]["DeletionProtectionEnabled"] is True
