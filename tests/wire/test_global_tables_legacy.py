"""Global tables, version 2017.11.29 (legacy): CreateGlobalTable, UpdateGlobalTable,
DescribeGlobalTable, ListGlobalTables, DescribeGlobalTableSettings and
UpdateGlobalTableSettings, as Terraform's `aws_dynamodb_global_table` uses them.

Behaviour pinned here (botocore's model and DynamoDB's developer guide for 2017.11.29):
- A global table joins existing tables of one name, one per region: each must exist
  (TableNotFoundException), be empty, have a stream of NEW_AND_OLD_IMAGES and the same key
  schema and global secondary indexes (ValidationException); a name that is a global table
  already answers GlobalTableAlreadyExistsException.
- GlobalTableDescription: ReplicationGroup, GlobalTableArn `arn:aws:dynamodb::<account>:
  global-table/<name>` (no region), CreationDateTime, GlobalTableStatus, GlobalTableName; the
  same from every region. A member's DescribeTable shows GlobalTableVersion 2017.11.29.
- A write in one member appears in the others.
- UpdateGlobalTable Create joins another empty table (ReplicaAlreadyExistsException for a
  member); Delete removes a member, which keeps its table and data and receives no more
  writes (ReplicaNotFoundException for a region that is none). Once the last member is
  removed, the global table no longer exists.
- DescribeGlobalTable of a name that is no legacy global table (a regional table, a 2019.11.21
  replica) answers GlobalTableNotFoundException "Global table not found: Global table with
  name: '<name>' does not exist."; the other operations say "Global table with name: '<name>'
  does not exist." (live answers). An empty ReplicaUpdates or ReplicationGroup is
  ValidationException "One or more parameter values were invalid".
- ListGlobalTables pages by name (Limit, ExclusiveStartGlobalTableName,
  LastEvaluatedGlobalTableName) and filters by a region the global table has.
- DescribeGlobalTableSettings shows each member's billing mode, capacity and GSIs;
  UpdateGlobalTableSettings sets the billing mode and write capacity of every member and each
  member's read capacity. Auto scaling settings are refused (opendynamo has no Application
  Auto Scaling).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Server
from tests.wire.helpers import (
    create_table,
    eventually,
    key_of,
    read,
    refused,
    unique_name,
    wait_table_active,
)

HOME, OTHER, THIRD = "us-east-1", "eu-west-1", "ap-northeast-1"
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
INVALID = "One or more parameter values were invalid"


@pytest.fixture
def client(server: Server) -> Callable[[str], Any]:
    made: dict[str, Any] = {}

    def get(region: str) -> Any:
        if region not in made:
            made[region] = server.client(region=region)
        return made[region]

    return get


def member(ddb: Any, name: str, **spec: Any) -> None:
    """An empty table that may join a global table: streams of new and old images."""
    spec.setdefault("StreamSpecification", STREAM)
    create_table(ddb, name=name, **spec)
    wait_table_active(ddb, name)


def members(client: Callable[[str], Any], name: str, *regions: str, **spec: Any) -> None:
    for region in regions:
        member(client(region), name, **spec)


def regions_of(description: dict[str, Any]) -> set[str]:
    return {replica["RegionName"] for replica in description["ReplicationGroup"]}


def put(ddb: Any, table: str, key: str) -> None:
    ddb.put_item(TableName=table, Item={**key_of(key), "v": {"S": key}})


def test_create_describe_and_replicate(client: Callable[[str], Any]) -> None:
    name = unique_name("gt")
    members(client, name, HOME, OTHER)
    home, other = client(HOME), client(OTHER)
    created = home.create_global_table(
        GlobalTableName=name, ReplicationGroup=[{"RegionName": HOME}, {"RegionName": OTHER}]
    )["GlobalTableDescription"]
    account = home.describe_table(TableName=name)["Table"]["TableArn"].split(":")[4]
    assert created["GlobalTableName"] == name
    assert created["GlobalTableArn"] == f"arn:aws:dynamodb::{account}:global-table/{name}"
    assert re.fullmatch(r"arn:aws:dynamodb::[0-9]{12}:global-table/.+", created["GlobalTableArn"])
    assert created["GlobalTableStatus"] in ("CREATING", "ACTIVE")
    assert regions_of(created) == {HOME, OTHER}

    for ddb in (home, other):
        described = ddb.describe_global_table(GlobalTableName=name)["GlobalTableDescription"]
        assert described["GlobalTableStatus"] == "ACTIVE"
        assert described["GlobalTableArn"] == created["GlobalTableArn"]
        assert described["CreationDateTime"] == created["CreationDateTime"]
        assert regions_of(described) == {HOME, OTHER}
        assert ddb.describe_table(TableName=name)["Table"]["GlobalTableVersion"] == "2017.11.29"

    put(home, name, "from-home")
    put(other, name, "from-other")
    eventually(lambda: read(other, name, "from-home"), timeout=5)
    assert eventually(lambda: read(home, name, "from-other"), timeout=5)["v"] == {"S": "from-other"}
    # DeleteTable of a member takes it out; the other stays a global table, of one.
    other.delete_table(TableName=name)
    left = home.describe_global_table(GlobalTableName=name)["GlobalTableDescription"]
    assert regions_of(left) == {HOME}


def test_update_adds_and_removes_members(client: Callable[[str], Any]) -> None:
    name = unique_name("gt")
    members(client, name, HOME, OTHER, THIRD)
    home, other, third = client(HOME), client(OTHER), client(THIRD)
    home.create_global_table(
        GlobalTableName=name, ReplicationGroup=[{"RegionName": HOME}, {"RegionName": OTHER}]
    )
    added = home.update_global_table(
        GlobalTableName=name, ReplicaUpdates=[{"Create": {"RegionName": THIRD}}]
    )["GlobalTableDescription"]
    assert regions_of(added) == {HOME, OTHER, THIRD}
    put(home, name, "a")
    eventually(lambda: read(third, name, "a") and read(other, name, "a"), timeout=5)

    removed = third.update_global_table(
        GlobalTableName=name, ReplicaUpdates=[{"Delete": {"RegionName": OTHER}}]
    )["GlobalTableDescription"]
    assert regions_of(removed) == {HOME, THIRD}
    kept = other.describe_table(TableName=name)["Table"]
    assert kept["TableStatus"] == "ACTIVE" and "GlobalTableVersion" not in kept
    assert read(other, name, "a") is not None  # the removed member keeps its data
    put(other, name, "c")  # no longer sent to the others
    put(home, name, "b")
    put(third, name, "d")
    eventually(lambda: read(third, name, "b") and read(home, name, "d"), timeout=5)
    assert read(other, name, "b") is None and read(other, name, "d") is None
    assert read(home, name, "c") is None and read(third, name, "c") is None
    # Its replicas change through UpdateGlobalTable, not UpdateTable's ReplicaUpdates.
    create = [{"Create": {"RegionName": "eu-central-1"}}]
    code, _ = refused(lambda: home.update_table(TableName=name, ReplicaUpdates=create))
    assert code == "ValidationException"
    assert name not in client("eu-central-1").list_tables()["TableNames"]

    for region in (HOME, THIRD):
        home.update_global_table(
            GlobalTableName=name, ReplicaUpdates=[{"Delete": {"RegionName": region}}]
        )
    code, message = refused(lambda: home.describe_global_table(GlobalTableName=name))
    assert code == "GlobalTableNotFoundException"
    assert message == f"Global table not found: Global table with name: '{name}' does not exist."
    assert read(third, name, "b") is not None  # every table is kept
    assert "GlobalTableVersion" not in home.describe_table(TableName=name)["Table"]


def test_list_global_tables_pages_and_filters(client: Callable[[str], Any]) -> None:
    prefix = unique_name("gl")
    names = [f"{prefix}-{n}" for n in range(3)]
    home = client(HOME)
    for n, name in enumerate(names):
        regions = (HOME, "sa-east-1") if n == 1 else (HOME,)
        members(client, name, *regions)
        home.create_global_table(
            GlobalTableName=name, ReplicationGroup=[{"RegionName": r} for r in regions]
        )
    listed: list[str] = []
    groups: dict[str, set[str]] = {}
    start: dict[str, str] = {}
    while True:
        page = home.list_global_tables(Limit=1, **start)
        assert len(page["GlobalTables"]) <= 1
        for table in page["GlobalTables"]:
            listed.append(table["GlobalTableName"])
            groups[table["GlobalTableName"]] = regions_of(table)
        if "LastEvaluatedGlobalTableName" not in page:
            break
        assert page["LastEvaluatedGlobalTableName"] == listed[-1]
        start = {"ExclusiveStartGlobalTableName": listed[-1]}
    assert listed == sorted(listed)
    assert [name for name in listed if name.startswith(prefix)] == names
    assert groups[names[1]] == {HOME, "sa-east-1"} and groups[names[0]] == {HOME}
    in_region = home.list_global_tables(RegionName="sa-east-1")["GlobalTables"]
    found = {table["GlobalTableName"] for table in in_region}
    assert names[1] in found and names[0] not in found
    after = home.list_global_tables(ExclusiveStartGlobalTableName=names[0])["GlobalTables"]
    assert names[0] not in {t["GlobalTableName"] for t in after}
    assert names[1] in {t["GlobalTableName"] for t in after}


def test_create_refuses_tables_that_cannot_join(client: Callable[[str], Any]) -> None:
    home, other = client(HOME), client(OTHER)

    def create(name: str, *regions: str) -> tuple[str, str]:
        group = [{"RegionName": region} for region in regions or (HOME, OTHER)]
        return refused(lambda: home.create_global_table(GlobalTableName=name,
                                                        ReplicationGroup=group))  # fmt: skip

    missing = unique_name("gt")
    member(home, missing)
    assert create(missing)[0] == "TableNotFoundException"

    full = unique_name("gt")
    members(client, full, HOME, OTHER)
    put(other, full, "x")
    code, message = create(full)
    assert (code, message.startswith(INVALID)) == ("ValidationException", True)
    assert "empty" in message and OTHER in message

    for stream in (None, {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}):
        name = unique_name("gt")
        member(home, name)
        spec = {} if stream is None else {"StreamSpecification": stream}
        create_table(other, name=name, **spec)
        wait_table_active(other, name)
        code, message = create(name)
        assert code == "ValidationException" and "NEW_AND_OLD_IMAGES" in message

    keys = unique_name("gt")
    member(home, keys)
    member(other, keys, range_key=("sk", "S"))
    code, message = create(keys)
    assert code == "ValidationException" and "key schema" in message

    indexes = unique_name("gt")
    member(home, indexes, gsi=("byV", "v"))
    member(other, indexes)
    code, message = create(indexes)
    assert code == "ValidationException" and "global secondary indexes" in message

    twice = unique_name("gt")
    members(client, twice, HOME, OTHER)
    home.create_global_table(GlobalTableName=twice, ReplicationGroup=[{"RegionName": HOME}])
    assert create(twice, OTHER)[0] == "GlobalTableAlreadyExistsException"
    assert create(twice, HOME, OTHER)[0] == "GlobalTableAlreadyExistsException"
    assert create(unique_name("gt"))[0] == "TableNotFoundException"  # no table anywhere
    code, message = refused(
        lambda: home.create_global_table(GlobalTableName=twice, ReplicationGroup=[])
    )
    assert (code, message) == ("ValidationException", INVALID)


def test_update_refusals(client: Callable[[str], Any]) -> None:
    home, other = client(HOME), client(OTHER)
    name = unique_name("gt")
    members(client, name, HOME, OTHER)
    home.create_global_table(GlobalTableName=name, ReplicationGroup=[{"RegionName": HOME}])

    def update(action: str, region: str, table: str = name) -> tuple[str, str]:
        updates = [{action: {"RegionName": region}}]
        return refused(lambda: home.update_global_table(GlobalTableName=table,
                                                        ReplicaUpdates=updates))  # fmt: skip

    assert update("Create", HOME)[0] == "ReplicaAlreadyExistsException"
    assert update("Delete", OTHER)[0] == "ReplicaNotFoundException"
    assert update("Create", THIRD)[0] == "TableNotFoundException"
    put(other, name, "x")
    code, message = update("Create", OTHER)
    assert code == "ValidationException" and "empty" in message
    missing = unique_name("gt")
    assert update("Delete", HOME, missing) == (
        "GlobalTableNotFoundException",
        f"Global table with name: '{missing}' does not exist.",
    )
    code, message = refused(
        lambda: home.update_global_table(GlobalTableName=name, ReplicaUpdates=[])
    )
    assert (code, message) == ("ValidationException", INVALID)
    # A failed update changes nothing.
    described = home.describe_global_table(GlobalTableName=name)["GlobalTableDescription"]
    assert regions_of(described) == {HOME}


def test_regional_and_2019_tables_are_no_legacy_global_tables(
    client: Callable[[str], Any],
) -> None:
    home = client(HOME)
    regional = unique_name("gt")
    member(home, regional)
    replica = unique_name("gt")
    member(home, replica)
    home.update_table(TableName=replica, ReplicaUpdates=[{"Create": {"RegionName": OTHER}}])
    for name in (regional, replica):
        code, message = refused(lambda n=name: home.describe_global_table(GlobalTableName=n))
        assert code == "GlobalTableNotFoundException"
        assert message == (
            f"Global table not found: Global table with name: '{name}' does not exist."
        )
        code, message = refused(
            lambda n=name: home.describe_global_table_settings(GlobalTableName=n)
        )
        assert (code, message) == (
            "GlobalTableNotFoundException",
            f"Global table with name: '{name}' does not exist.",
        )
    code, message = refused(
        lambda: home.create_global_table(
            GlobalTableName=replica, ReplicationGroup=[{"RegionName": HOME}]
        )
    )
    assert code == "ValidationException" and "already a replica" in message


def test_settings(client: Callable[[str], Any]) -> None:
    home, other = client(HOME), client(OTHER)
    name = unique_name("gt")
    members(client, name, HOME, OTHER, gsi=("byV", "v"))
    home.create_global_table(
        GlobalTableName=name, ReplicationGroup=[{"RegionName": HOME}, {"RegionName": OTHER}]
    )
    settings = home.describe_global_table_settings(GlobalTableName=name)
    assert settings["GlobalTableName"] == name
    replicas = {r["RegionName"]: r for r in settings["ReplicaSettings"]}
    assert set(replicas) == {HOME, OTHER}
    for replica in replicas.values():
        assert replica["ReplicaStatus"] == "ACTIVE"
        assert replica["ReplicaBillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert [i["IndexName"] for i in replica["ReplicaGlobalSecondaryIndexSettings"]] == ["byV"]

    updated = home.update_global_table_settings(
        GlobalTableName=name,
        GlobalTableBillingMode="PROVISIONED",
        GlobalTableProvisionedWriteCapacityUnits=7,
        ReplicaSettingsUpdate=[{"RegionName": OTHER, "ReplicaProvisionedReadCapacityUnits": 3}],
    )
    replicas = {r["RegionName"]: r for r in updated["ReplicaSettings"]}
    assert replicas[OTHER]["ReplicaBillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert replicas[OTHER]["ReplicaProvisionedReadCapacityUnits"] == 3
    assert replicas[HOME]["ReplicaProvisionedReadCapacityUnits"] == 7
    assert {r["ReplicaProvisionedWriteCapacityUnits"] for r in replicas.values()} == {7}
    throughput = other.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (3, 7)

    home.update_global_table_settings(
        GlobalTableName=name, GlobalTableProvisionedWriteCapacityUnits=9
    )
    replicas = {
        r["RegionName"]: r
        for r in other.describe_global_table_settings(GlobalTableName=name)["ReplicaSettings"]
    }
    assert {r["ReplicaProvisionedWriteCapacityUnits"] for r in replicas.values()} == {9}
    assert replicas[OTHER]["ReplicaProvisionedReadCapacityUnits"] == 3

    def update(**params: Any) -> tuple[str, str]:
        return refused(lambda: home.update_global_table_settings(GlobalTableName=name, **params))

    code, message = update(
        GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate={"MinimumUnits": 1}
    )
    assert code == "ValidationException" and "auto scaling" in message.lower()
    code, _ = update(ReplicaSettingsUpdate=[{"RegionName": THIRD,
                                             "ReplicaProvisionedReadCapacityUnits": 2}])  # fmt: skip
    assert code == "ReplicaNotFoundException"
    code, _ = update(GlobalTableGlobalSecondaryIndexSettingsUpdate=[
        {"IndexName": "nope", "ProvisionedWriteCapacityUnits": 2}])  # fmt: skip
    assert code == "IndexNotFoundException"
    missing = unique_name("gt")
    code, message = refused(
        lambda: home.update_global_table_settings(
            GlobalTableName=missing, GlobalTableProvisionedWriteCapacityUnits=2
        )
    )
    assert (code, message) == (
        "GlobalTableNotFoundException",
        f"Global table with name: '{missing}' does not exist.",
    )
