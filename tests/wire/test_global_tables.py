"""Global tables, version 2019.11.21: UpdateTable's ReplicaUpdates, and the replication between
the replicas of a table in several regions (each region its own namespace on one store; a
client's SigV4 region chooses it).

Pinned behaviour (DynamoDB's, from live probes and the developer guide; see the fact sheet in
the issue):
- UpdateTable with a replica Create answers TableStatus UPDATING and GlobalTableVersion
  "2019.11.21"; the replica's region then has a table that goes CREATING -> ACTIVE holding the
  source's items, with its own TableArn, TableId and stream; a source without a stream gets
  one of NEW_AND_OLD_IMAGES. Each region's Replicas lists the other regions only.
- Writes made in any region reach the others (here within a second: the housekeeper sends
  changes half a second old every 0.2 s); a conflicting write is resolved by last writer wins,
  deletes included, and an older write arriving later never undoes a newer one.
- Transactions, index entries, Time to Live deletions and the receiving region's stream
  follow the replicated items; tags, point-in-time recovery and deletion protection are each
  region's own.
- ReplicaUpdates' refusals have DynamoDB's messages; removing the last replica leaves a
  regional table without any global table member, its stream still on.
- ReplicationLatency (AWS/DynamoDB, dimensions TableName and ReceivingRegion) is recorded in
  the sending region.

Most tests use the session server; Time to Live and the metrics need a server that sweeps and
flushes quickly (`tuned`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import REGION, Backend, Server
from tests.wire.helpers import (
    consistent_scan_by_pk,
    create_table,
    describe_table,
    eventually,
    read,
    refused,
    wait_created,
    wait_description,
    wait_table_active,
)

OTHER = "eu-west-1"
THIRD = "ap-southeast-2"
VERSION = "2019.11.21"
# How soon a write made in one region is expected in another (DynamoDB: usually within a
# second; here half a second's settling plus a housekeeper tick).
REPLICATED_WITHIN = 3.0
NOT_FOUND = "ResourceNotFoundException"
FAST = {
    "OPENDYNAMO_METRICS_FLUSH_INTERVAL": "0.2",
    "OPENDYNAMO_METRICS_GAUGE_INTERVAL": "0.5",
}


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    """A server that sweeps expired items every 0.3 s and writes its metrics every 0.2 s."""
    args = (*backend(), "--ttl-interval", "0.3")
    server = Server(tmp_path_factory.mktemp("global"), env=FAST, extra_args=args).start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- helpers


def clients(server: Server, *regions: str) -> list[Any]:
    return [server.client(region=region) for region in regions]


def item(pk: str, **values: str | int) -> dict[str, Any]:
    found: dict[str, Any] = {"pk": {"S": pk}}
    for name, value in values.items():
        found[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return found


def add_replica(source: Any, name: str, region: str) -> dict[str, Any]:
    """ReplicaUpdates Create of `region` through `source`; its reply's TableDescription."""
    update = [{"Create": {"RegionName": region}}]
    return dict(source.update_table(TableName=name, ReplicaUpdates=update)["TableDescription"])


def settled(client: Any, name: str) -> dict[str, Any]:
    """The table's description once it and every replica it lists are ACTIVE."""

    def done(desc: dict[str, Any]) -> bool:
        statuses = [replica["ReplicaStatus"] for replica in desc.get("Replicas", [])]
        return desc["TableStatus"] == "ACTIVE" and all(s == "ACTIVE" for s in statuses)

    return wait_description(client, name, done, timeout=15)


def global_table(
    server: Server, *regions: str, items: tuple[dict[str, Any], ...] = (), **spec: Any
) -> str:
    """A new table in REGION holding `items`, with replicas in `regions` (added one after the
    other, each once the previous one is ACTIVE), every member ACTIVE; its name."""
    source = server.client()
    name = create_table(source, "gt", wait=True, **spec)
    for made in items:
        source.put_item(TableName=name, Item=made)
    for region in regions:
        add_replica(source, name, region)
        settled(server.client(region=region), name)
        settled(source, name)
    return name


def replicated(client: Any, name: str, key: str, wanted: dict[str, Any] | None) -> None:
    """Wait until the item at `key` read through `client` is `wanted` (None: no item), for
    at most REPLICATED_WITHIN seconds."""
    eventually(
        lambda: read(client, name, key) == wanted,
        REPLICATED_WITHIN,
        message=lambda: f"{key} in {client.meta.region_name}: {read(client, name, key)}",
    )


def caught_up(members: list[Any], name: str) -> None:
    """Wait until every change made so far in each region of `members` has been sent to every
    other one: changes go in the order they were made, so once a marker written now has
    arrived, every earlier change has been applied (or refused as older)."""
    markers = [item(f"marker-{uuid.uuid4().hex[:8]}") for _ in members]
    for sender, marker in zip(members, markers, strict=True):
        sender.put_item(TableName=name, Item=marker)
    for marker in markers:
        for receiver in members:
            replicated(receiver, name, marker["pk"]["S"], marker)


def regions_listed(description: dict[str, Any]) -> list[str]:
    return [replica["RegionName"] for replica in description.get("Replicas", [])]


def statuses(description: dict[str, Any]) -> list[tuple[str, str]]:
    """(RegionName, ReplicaStatus) of each entry of the description's Replicas."""
    return [(r["RegionName"], r["ReplicaStatus"]) for r in description.get("Replicas", [])]


# --------------------------------------------------------------------------- adding a replica


def test_add_replica_to_a_table_with_items(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = create_table(east, "gt", wait=True)
    kinds: list[dict[str, Any]] = [
        {"s": {"S": "text"}},
        {"n": {"N": "12.5"}, "b": {"B": b"\x00\x01"}},
        {"l": {"L": [{"S": "a"}, {"N": "1"}]}, "m": {"M": {"x": {"BOOL": True}}}},
        {"ss": {"SS": ["a", "b"]}, "nul": {"NULL": True}},
    ]
    for n in range(40):
        east.put_item(TableName=name, Item={"pk": {"S": f"k{n:02}"}, **kinds[n % len(kinds)]})
    before = describe_table(east, name)
    assert "StreamSpecification" not in before and "GlobalTableVersion" not in before

    reply = add_replica(east, name, OTHER)
    assert reply["TableStatus"] == "UPDATING"
    assert reply["GlobalTableVersion"] == VERSION
    assert statuses(reply) == [(OTHER, "CREATING")]

    replica = wait_created(west, name)
    source = settled(east, name)
    assert consistent_scan_by_pk(west, name) == consistent_scan_by_pk(east, name)
    assert len(consistent_scan_by_pk(west, name)) == 40

    # The source had no stream: it has one of new and old images now, and so has the replica.
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert source["StreamSpecification"] == stream
    assert replica["StreamSpecification"] == stream
    # Each region's own table: ARN (with its region), id, stream; the same keys and billing.
    assert source["TableArn"] == f"arn:aws:dynamodb:{REGION}:000000000000:table/{name}"
    assert replica["TableArn"] == f"arn:aws:dynamodb:{OTHER}:000000000000:table/{name}"
    assert replica["TableId"] != source["TableId"]
    assert source["LatestStreamArn"].startswith(source["TableArn"] + "/stream/")
    assert replica["LatestStreamArn"].startswith(replica["TableArn"] + "/stream/")
    assert replica["KeySchema"] == source["KeySchema"]
    assert replica["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # Replicas: the other regions only.
    seen_west = describe_table(west, name)
    assert source["GlobalTableVersion"] == VERSION == seen_west["GlobalTableVersion"]
    assert statuses(source) == [(OTHER, "ACTIVE")]
    assert statuses(seen_west) == [(REGION, "ACTIVE")]
    assert source["GlobalTableSettingsReplicationMode"] == "ENABLED_WITH_OVERRIDES"
    assert "MultiRegionConsistency" not in source  # EVENTUAL is never echoed


# --------------------------------------------------------------------------- replication


def test_writes_replicate_both_ways(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    seeds = [item(f"{what}-{where}", v=0) for what in ("upd", "del") for where in ("e", "w")]
    name = global_table(server, OTHER, items=tuple(seeds))
    # A put, an update and a delete in each region at once: each reaches the other.
    for client, where in ((east, "e"), (west, "w")):
        client.put_item(TableName=name, Item=item(f"put-{where}", v=1))
        client.update_item(
            TableName=name,
            Key={"pk": {"S": f"upd-{where}"}},
            UpdateExpression="SET v = :v, w = :w",
            ExpressionAttributeValues={":v": {"N": "2"}, ":w": {"S": where}},
        )
        client.delete_item(TableName=name, Key={"pk": {"S": f"del-{where}"}})
    for client, where in ((west, "e"), (east, "w")):
        replicated(client, name, f"put-{where}", item(f"put-{where}", v=1))
        replicated(client, name, f"upd-{where}", item(f"upd-{where}", v=2, w=where))
        replicated(client, name, f"del-{where}", None)


def test_writes_in_the_receiving_region_see_replicated_items(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = global_table(server, OTHER)
    east.put_item(TableName=name, Item=item("c", n=1))
    replicated(west, name, "c", item("c", n=1))

    code, _ = refused(lambda: west.put_item(
        TableName=name, Item=item("c", n=9), ConditionExpression="attribute_not_exists(pk)"
    ))  # fmt: skip
    assert code == "ConditionalCheckFailedException"
    reply = west.update_item(
        TableName=name,
        Key={"pk": {"S": "c"}},
        UpdateExpression="ADD n :one",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    assert reply["Attributes"] == item("c", n=2)
    replicated(east, name, "c", item("c", n=2))


def test_last_writer_wins(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    keys = ("same", "put-then-delete", "delete-then-put")
    name = global_table(server, OTHER, items=tuple(item(key, v="first") for key in keys))

    # Each pair of writes lands before either is replicated (changes are sent once half a
    # second old), a few milliseconds apart: the later one wins in both regions, a delete as
    # much as a put.
    east.put_item(TableName=name, Item=item("same", v="east"))
    time.sleep(0.005)
    west.put_item(TableName=name, Item=item("same", v="west"))
    east.put_item(TableName=name, Item=item("put-then-delete", v="east"))
    time.sleep(0.005)
    west.delete_item(TableName=name, Key={"pk": {"S": "put-then-delete"}})
    east.delete_item(TableName=name, Key={"pk": {"S": "delete-then-put"}})
    time.sleep(0.005)
    west.put_item(TableName=name, Item=item("delete-then-put", v="west"))
    # Not replicated yet: each region still has its own writes.
    assert read(east, name, "same") == item("same", v="east")
    assert read(east, name, "put-then-delete") == item("put-then-delete", v="east")

    caught_up([east, west], name)
    for client in (east, west):
        assert read(client, name, "same") == item("same", v="west")
        # The older put from the east reached the west after its delete: no resurrection.
        assert read(client, name, "put-then-delete") is None
        assert read(client, name, "delete-then-put") == item("delete-then-put", v="west")
    assert consistent_scan_by_pk(east, name) == consistent_scan_by_pk(west, name)


def test_three_regions(server: Server) -> None:
    east, west, south = clients(server, REGION, OTHER, THIRD)
    name = global_table(server, OTHER, THIRD)
    assert sorted(regions_listed(describe_table(east, name))) == sorted([OTHER, THIRD])
    assert sorted(regions_listed(describe_table(west, name))) == sorted([REGION, THIRD])
    assert sorted(regions_listed(describe_table(south, name))) == sorted([REGION, OTHER])

    everyone = [east, west, south]
    for n, writer in enumerate(everyone):
        writer.put_item(TableName=name, Item=item(f"from-{n}", n=n))
    for n in range(3):
        for reader in everyone:
            replicated(reader, name, f"from-{n}", item(f"from-{n}", n=n))

    reply = east.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": THIRD}}])
    assert reply["TableDescription"]["GlobalTableVersion"] == VERSION
    eventually(lambda: refused(lambda: describe_table(south, name))[0] == NOT_FOUND)
    source = settled(east, name)
    assert regions_listed(source) == [OTHER]
    assert regions_listed(settled(west, name)) == [REGION]

    west.put_item(TableName=name, Item=item("after", n=1))
    east.delete_item(TableName=name, Key={"pk": {"S": "from-1"}})
    replicated(east, name, "after", item("after", n=1))
    replicated(west, name, "from-1", None)


def test_transaction_replicates_every_item(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    seeds = (item("gone", n=1), item("counted", n=1), item("checked"))
    name = global_table(server, OTHER, items=seeds)
    west.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": item("new", n=7)}},
            {"Delete": {"TableName": name, "Key": {"pk": {"S": "gone"}}}},
            {
                "Update": {
                    "TableName": name,
                    "Key": {"pk": {"S": "counted"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {
                "ConditionCheck": {
                    "TableName": name,
                    "Key": {"pk": {"S": "checked"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ]
    )
    replicated(east, name, "new", item("new", n=7))
    assert read(east, name, "gone") is None
    assert read(east, name, "counted") == item("counted", n=2)
    assert consistent_scan_by_pk(east, name) == consistent_scan_by_pk(west, name)


def test_global_secondary_index_in_the_replica(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = create_table(east, "gt", gsi=("by-g", "g"), wait=True)
    east.put_item(TableName=name, Item=item("before", g="x"))
    east.put_item(TableName=name, Item=item("other", g="y"))
    add_replica(east, name, OTHER)
    replica = wait_created(west, name)
    settled(east, name)
    assert [index["IndexName"] for index in replica["GlobalSecondaryIndexes"]] == ["by-g"]
    assert replica["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"

    def keys(g: str) -> list[str]:
        reply = west.query(
            TableName=name,
            IndexName="by-g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": g}},
        )
        return sorted(found["pk"]["S"] for found in reply["Items"])

    assert keys("x") == ["before"]
    east.put_item(TableName=name, Item=item("after", g="x"))
    east.put_item(TableName=name, Item=item("other", g="x"))  # moves from y to x
    eventually(lambda: keys("x") == ["after", "before", "other"], REPLICATED_WITHIN)
    assert keys("y") == []


# --------------------------------------------------------------------------- streams


def test_receiving_region_stream_shows_replicated_changes(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    streams = server.client("dynamodbstreams", region=OTHER)
    name = global_table(server, OTHER, items=(item("mod", v=1), item("rem", v=1)))
    arn = describe_table(west, name)["LatestStreamArn"]
    listed = streams.list_streams(TableName=name)["Streams"]
    assert [s["StreamArn"] for s in listed] == [arn]

    east.put_item(TableName=name, Item=item("ins", v=1))
    east.put_item(TableName=name, Item=item("mod", v=2))
    east.delete_item(TableName=name, Key={"pk": {"S": "rem"}})

    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert description["TableName"] == name
    found: list[dict[str, Any]] = []

    def three() -> bool:
        found.clear()
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            found.extend(streams.get_records(ShardIterator=iterator)["Records"])
        return len(found) >= 3

    eventually(three, REPLICATED_WITHIN, message=lambda: f"records: {found}")
    # The replicated writes, in the order they were made; the items the replica was filled
    # with made none.
    assert [(r["eventName"], r["dynamodb"]["Keys"]) for r in found] == [
        ("INSERT", {"pk": {"S": "ins"}}),
        ("MODIFY", {"pk": {"S": "mod"}}),
        ("REMOVE", {"pk": {"S": "rem"}}),
    ]
    assert all(record["awsRegion"] == OTHER for record in found)
    images = [(r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")) for r in found]
    assert images == [
        (None, item("ins", v=1)),
        (item("mod", v=1), item("mod", v=2)),
        (item("rem", v=1), None),
    ]
    assert all(r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES" for r in found)
    # The source's own stream has them too, as its own writes.
    source = server.client("dynamodbstreams")
    arn = describe_table(east, name)["LatestStreamArn"]
    shards = source.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = source.get_shard_iterator(
        StreamArn=arn, ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    own = source.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in own] == ["INSERT", "MODIFY", "REMOVE"]


# --------------------------------------------------------------------------- Time to Live


def test_time_to_live_deletion_replicates(tuned: Server) -> None:
    east, west = clients(tuned, REGION, OTHER)
    name = global_table(tuned, OTHER)
    expired = item("old", expires=int(time.time()) - 60)
    east.put_item(TableName=name, Item=expired)
    east.put_item(TableName=name, Item=item("kept", expires=int(time.time()) + 3600))
    replicated(west, name, "old", expired)
    # Enabled in the source's region once the item is in both: the setting is the group's
    # (DescribeTimeToLive shows it in the replica), the expired item goes from both (swept
    # in the source and the delete replicated, or swept in each), the other stays.
    east.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    status = west.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert status["TimeToLiveStatus"] in ("ENABLING", "ENABLED")
    assert status["AttributeName"] == "expires"
    eventually(lambda: read(east, name, "old") is None, 5)
    replicated(west, name, "old", None)
    assert read(west, name, "kept") is not None


# --------------------------------------------------------------------------- per-replica settings


def test_tags_are_each_replicas_own(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = global_table(server, OTHER)
    east_arn = describe_table(east, name)["TableArn"]
    west_arn = describe_table(west, name)["TableArn"]
    east.tag_resource(ResourceArn=east_arn, Tags=[{"Key": "where", "Value": "east"}])
    west.tag_resource(ResourceArn=west_arn, Tags=[{"Key": "where", "Value": "west"},
                                                  {"Key": "only", "Value": "west"}])  # fmt: skip

    def tags(client: Any, arn: str) -> list[tuple[str, str]]:
        found = client.list_tags_of_resource(ResourceArn=arn)["Tags"]
        return sorted((tag["Key"], tag["Value"]) for tag in found)

    assert tags(west, west_arn) == [("only", "west"), ("where", "west")]
    assert tags(east, east_arn) == [("where", "east")]


def test_point_in_time_recovery_is_each_replicas_own(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = global_table(server, OTHER)
    west.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )

    def pitr(client: Any) -> str:
        reply = client.describe_continuous_backups(TableName=name)
        status: str = reply["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"
        ]
        return status

    assert pitr(west) == "ENABLED"
    assert pitr(east) == "DISABLED"


def protected_replica(server: Server) -> str:
    """A global table whose replica in OTHER has deletion protection."""
    west = server.client(region=OTHER)
    name = global_table(server, OTHER)
    west.update_table(TableName=name, DeletionProtectionEnabled=True)
    wait_table_active(west, name)
    return name


def test_protected_replica_refuses_replica_delete(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = protected_replica(server)
    code, message = refused(lambda: east.update_table(
        TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": OTHER}}]
    ))  # fmt: skip
    assert (code, message) == (
        "ValidationException",
        f"Cannot delete table {name} in region {OTHER} because it has deletion protection "
        "enabled. Disable deletion protection first.",
    )
    assert describe_table(west, name)["TableStatus"] == "ACTIVE"


def test_deletion_protection_is_each_replicas_own(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = protected_replica(server)
    assert describe_table(west, name)["DeletionProtectionEnabled"] is True
    assert describe_table(east, name)["DeletionProtectionEnabled"] is False
    code, _ = refused(lambda: west.delete_table(TableName=name))
    assert code == "ValidationException"
    assert describe_table(west, name)["TableStatus"] == "ACTIVE"
    assert regions_listed(describe_table(east, name)) == [OTHER]


def test_protected_replica_delete_table_message(server: Server) -> None:
    west = server.client(region=OTHER)
    name = protected_replica(server)
    _, message = refused(lambda: west.delete_table(TableName=name))
    assert message == (
        f"Cannot delete table {name} in region {OTHER} because it has deletion protection "
        "enabled. Disable deletion protection first."
    )


# --------------------------------------------------------------------------- refusals


def test_replica_updates_refusals(server: Server) -> None:
    east = server.client()
    name = create_table(east, "gt", wait=True)

    def update(*updates: dict[str, Any], **more: Any) -> tuple[str, str]:
        return refused(lambda: east.update_table(
            TableName=name, ReplicaUpdates=list(updates), **more
        ))  # fmt: skip

    local = (
        "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, "
        "DeleteTable, or UpdateTable as required."
    )
    invalid = "ValidationException"
    assert update({"Create": {"RegionName": REGION}}) == (invalid, local)
    assert update({"Delete": {"RegionName": REGION}}) == (invalid, local)
    code, message = update({"Create": {"RegionName": "us-fake-1"}})
    assert code == invalid
    assert message.startswith(
        "Region us-fake-1 is not supported. The latest version of global tables are only "
        "supported in the following regions: ["
    )
    assert OTHER in message and message.endswith("]")
    assert update({"Delete": {"RegionName": OTHER}}) == (
        invalid,
        "Update global table operation failed because one or more replicas were not part of "
        f"the global table. Please retry the request without these replicas: [{OTHER}].",
    )
    assert update({"Create": {"RegionName": OTHER}}, {"Create": {"RegionName": THIRD}}) == (
        invalid,
        "Update table operation with more than one create or delete replica actions not allowed",
    )
    assert update({"Create": {"RegionName": OTHER}, "Delete": {"RegionName": THIRD}}) == (
        invalid,
        "Update table operation with more than one type of replica actions not allowed.",
    )
    assert update({"Update": {"RegionName": OTHER}}) == (
        invalid,
        "There are no actions specified in the Replica Update Action of the request.",
    )
    assert update({"Create": {"RegionName": OTHER}}, DeletionProtectionEnabled=True) == (
        invalid,
        "One or more parameter values were invalid: Replica modification must be the only "
        "operation in the request",
    )
    # None of these did anything.
    description = describe_table(east, name)
    assert "GlobalTableVersion" not in description and "Replicas" not in description
    assert refused(lambda: describe_table(server.client(region=OTHER), name))[0] == (NOT_FOUND)


def test_provisioned_table_refused(server: Server) -> None:
    east = server.client()
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    name = create_table(east, "gt", billing=None, ProvisionedThroughput=throughput, wait=True)
    assert refused(lambda: add_replica(east, name, OTHER)) == (
        "ValidationException",
        "Table write capacity should either be Pay-Per-Request or AutoScaled.",
    )


def test_refusals_of_a_global_table(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = global_table(server, OTHER)
    assert refused(lambda: add_replica(east, name, OTHER)) == (
        "ValidationException",
        f"Failed to create a the new replica of table with name: ‘{name}’ because one or more "
        "replicas already existed as tables.",
    )
    # From the replica's side too: the source's region is a member.
    code, _ = refused(lambda: add_replica(west, name, REGION))
    assert code == "ValidationException"
    disabled = (
        "ValidationException",
        "One or more parameter values were invalid: Disabling Stream is not allowed for a "
        "Global Table replica.",
    )
    for client in (east, west):
        assert refused(lambda c=client: c.update_table(
            TableName=name, StreamSpecification={"StreamEnabled": False}
        )) == disabled  # fmt: skip
    assert describe_table(west, name)["StreamSpecification"]["StreamEnabled"] is True


def test_region_with_a_table_of_that_name_refused(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = create_table(east, "gt", wait=True)
    create_table(west, name=name, wait=True)
    code, message = refused(lambda: add_replica(east, name, OTHER))
    assert (code, message) == (
        "ValidationException",
        f"Failed to create a the new replica of table with name: ‘{name}’ because one or more "
        "replicas already existed as tables.",
    )


def test_delete_table_of_a_replica_leaves_the_group(server: Server) -> None:
    east, west, south = clients(server, REGION, OTHER, THIRD)
    name = global_table(server, OTHER, THIRD)
    east.put_item(TableName=name, Item=item("k", v=1))
    replicated(south, name, "k", item("k", v=1))

    south.delete_table(TableName=name)
    eventually(lambda: refused(lambda: describe_table(south, name))[0] == NOT_FOUND)
    eventually(lambda: regions_listed(describe_table(east, name)) == [OTHER])
    eventually(lambda: regions_listed(describe_table(west, name)) == [REGION])
    assert describe_table(east, name)["GlobalTableVersion"] == VERSION

    west.delete_table(TableName=name)
    final = wait_description(east, name, lambda d: "Replicas" not in d, timeout=5)
    assert "GlobalTableVersion" not in final
    assert read(east, name, "k") == item("k", v=1)


def test_last_replica_removed(server: Server) -> None:
    east, west = clients(server, REGION, OTHER)
    name = global_table(server, OTHER)
    reply = east.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": OTHER}}])
    assert statuses(reply["TableDescription"]) == [(OTHER, "DELETING")]
    eventually(lambda: refused(lambda: describe_table(west, name))[0] == NOT_FOUND)
    final = settled(east, name)
    for member in ("GlobalTableVersion", "Replicas", "GlobalTableSettingsReplicationMode"):
        assert member not in final
    assert final["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }

    # A table of that name made again in the other region is no replica: writes stay apart.
    create_table(west, name=name, wait=True)
    east.put_item(TableName=name, Item=item("alone", v=1))
    west.put_item(TableName=name, Item=item("apart", v=1))
    # A beacon: another global table's write made later has arrived, so a replication pass
    # has run over everything written before it.
    beacon = global_table(server, OTHER)
    east.put_item(TableName=beacon, Item=item("beacon"))
    replicated(west, beacon, "beacon", item("beacon"))
    time.sleep(0.3)  # and one more housekeeper tick
    assert read(west, name, "alone") is None
    assert read(east, name, "apart") is None
    assert "Replicas" not in describe_table(west, name)


# --------------------------------------------------------------------------- metrics


def test_replication_latency_metric(tuned: Server) -> None:
    east, west = clients(tuned, REGION, OTHER)
    cloudwatch = tuned.client("cloudwatch")
    name = global_table(tuned, OTHER)
    for n in range(3):
        east.put_item(TableName=name, Item=item(f"m{n}"))
    replicated(west, name, "m2", item("m2"))
    now = datetime.now(UTC)
    query = {
        "Id": "latency",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/DynamoDB",
                "MetricName": "ReplicationLatency",
                "Dimensions": [
                    {"Name": "TableName", "Value": name},
                    {"Name": "ReceivingRegion", "Value": OTHER},
                ],
            },
            "Period": 60,
            "Stat": "Maximum",
        },
    }

    def values() -> list[float]:
        reply = cloudwatch.get_metric_data(
            MetricDataQueries=[query],
            StartTime=now - timedelta(minutes=5),
            EndTime=now + timedelta(minutes=1),
        )
        return list(reply["MetricDataResults"][0]["Values"])

    found = eventually(values, 5)
    # Changes are sent once settled (half a second old): the latency is at least that, and
    # well under the three seconds replication took at most.
    assert all(300 <= value <= REPLICATED_WITHIN * 1000 for value in found), found
    # It is the sending region's metric.
    west_cloudwatch = tuned.client("cloudwatch", region=OTHER)
    reply = west_cloudwatch.get_metric_data(
        MetricDataQueries=[query],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
    )
    assert reply["MetricDataResults"][0]["Values"] == []
