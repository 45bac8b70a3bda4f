"""`serve --delay-transient-statuses SECONDS`: tables and indexes keep their transient
statuses for a while, as on AWS, so code that forgets to wait fails here as it would there.

Behaviour pinned here (AWS's CreateTable, UpdateTable and DeleteTable references):
- A new table is CREATING for the delay, then ACTIVE; meanwhile data-plane calls (PutItem,
  GetItem, Query, Scan) answer ResourceNotFoundException "Requested resource not found", and
  UpdateTable and DeleteTable ResourceInUseException "Attempt to change a resource which is
  still in use: Table is being created: <name>".
- An updated table is UPDATING for the delay and serves data meanwhile; another UpdateTable
  is refused ("… Table is being updated: <name>").
- A deleted table is DELETING for the delay (DescribeTable and ListTables still show it, data
  calls do not reach it, a second DeleteTable answers DELETING again, CreateTable of the name
  is "Table already exists"), then gone: DescribeTable answers "Requested resource not found:
  Table: <name> not found", and the name can be created again.
- A GSI added by UpdateTable is CREATING (and not queryable) for the delay, one deleted is
  DELETING for the delay, then gone.
- Without the option (the default, 0) a table is ACTIVE as soon as CreateTable returns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server
from tests.wire.helpers import (
    create_table,
    describe_table,
    error_code,
    eventually,
    refused,
    wait_active,
    wait_created,
    wait_table_active,
)

DELAY = 1.5
NOT_FOUND = ("ResourceNotFoundException", "Requested resource not found")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    env = {"OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.1"}  # an index's removal is prompt
    server = Server(None, extra_args=("--delay-transient-statuses", str(DELAY)), env=env)
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def ddb(server: Server) -> Any:
    return server.client()


def in_use(name: str, doing: str) -> tuple[str, str]:
    message = f"Attempt to change a resource which is still in use: Table is being {doing}: "
    return "ResourceInUseException", message + name


def data_calls(ddb: Any, name: str) -> list[Any]:
    key = {"pk": {"S": "k"}}
    return [
        lambda: ddb.put_item(TableName=name, Item=key),
        lambda: ddb.get_item(TableName=name, Key=key),
        lambda: ddb.scan(TableName=name),
        lambda: ddb.query(
            TableName=name,
            KeyConditionExpression="pk = :k",
            ExpressionAttributeValues={":k": {"S": "k"}},
        ),
    ]


def test_a_new_table_is_creating_for_the_delay(ddb: Any) -> None:
    started = time.monotonic()
    name = create_table(ddb)
    assert describe_table(ddb, name)["TableStatus"] == "CREATING"
    assert name in ddb.list_tables()["TableNames"]
    for call in data_calls(ddb, name):
        assert refused(call) == NOT_FOUND
    assert refused(lambda: ddb.delete_table(TableName=name)) == in_use(name, "created")
    update = lambda: ddb.update_table(TableName=name, DeletionProtectionEnabled=True)  # noqa: E731
    assert refused(update) == in_use(name, "created")
    wait_created(ddb, name)
    assert time.monotonic() - started >= DELAY - 0.1
    ddb.put_item(TableName=name, Item={"pk": {"S": "k"}})
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "k"}})["Item"] == {"pk": {"S": "k"}}


def test_an_updated_table_is_updating_and_serves_data(ddb: Any) -> None:
    name = create_table(ddb, wait=True)
    started = time.monotonic()
    reply = ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    assert reply["TableDescription"]["TableStatus"] == "UPDATING"
    assert describe_table(ddb, name)["TableStatus"] == "UPDATING"
    ddb.put_item(TableName=name, Item={"pk": {"S": "during"}})
    assert ddb.scan(TableName=name)["Count"] == 1
    update = lambda: ddb.update_table(TableName=name, DeletionProtectionEnabled=True)  # noqa: E731
    assert refused(update) == in_use(name, "updated")
    wait_table_active(ddb, name, passing_through=("UPDATING",))
    assert time.monotonic() - started >= DELAY - 0.1


def test_a_deleted_table_is_deleting_then_gone(ddb: Any) -> None:
    name = create_table(ddb, wait=True)
    ddb.put_item(TableName=name, Item={"pk": {"S": "k"}})
    started = time.monotonic()
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    assert describe_table(ddb, name)["TableStatus"] == "DELETING"
    assert name in ddb.list_tables()["TableNames"]
    for call in data_calls(ddb, name):
        assert refused(call) == NOT_FOUND
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    again = lambda: create_table(ddb, name=name)  # noqa: E731
    assert refused(again) == ("ResourceInUseException", f"Table already exists: {name}")
    describe = lambda: ddb.describe_table(TableName=name)  # noqa: E731
    eventually(lambda: error_code(describe) == "ResourceNotFoundException", timeout=10)
    assert time.monotonic() - started >= DELAY - 0.1
    assert refused(describe) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )
    assert name not in ddb.list_tables()["TableNames"]
    create_table(ddb, name=name, wait=True)
    assert ddb.scan(TableName=name)["Count"] == 0  # a new table: nothing of the old one


def test_an_index_is_creating_then_deleting_for_the_delay(ddb: Any) -> None:
    name = create_table(ddb, wait=True)
    ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "g": {"S": "v"}})
    started = time.monotonic()
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    (index,) = describe_table(ddb, name)["GlobalSecondaryIndexes"]
    assert index["IndexStatus"] == "CREATING"
    query = lambda: ddb.query(  # noqa: E731
        TableName=name,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "v"}},
    )
    assert refused(query) == (
        "ValidationException",
        "Cannot read from backfilling global secondary index: by-g",
    )
    wait_active(ddb, name)
    assert time.monotonic() - started >= DELAY - 0.1
    assert query()["Count"] == 1
    started = time.monotonic()
    ddb.update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}]
    )
    (index,) = describe_table(ddb, name)["GlobalSecondaryIndexes"]
    assert index["IndexStatus"] == "DELETING"
    eventually(lambda: "GlobalSecondaryIndexes" not in describe_table(ddb, name), timeout=10)
    assert time.monotonic() - started >= DELAY - 0.1


def test_without_the_delay_tables_are_active_at_once() -> None:
    server = Server(None).start()
    try:
        ddb = server.client()
        name = create_table(ddb)
        assert describe_table(ddb, name)["TableStatus"] == "ACTIVE"
        ddb.put_item(TableName=name, Item={"pk": {"S": "k"}})
        ddb.delete_table(TableName=name)
        assert name not in ddb.list_tables()["TableNames"]
    finally:
        server.stop()
