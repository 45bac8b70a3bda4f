"""Global tables with Multi-Region strong consistency (`MultiRegionConsistency: STRONG`), on
SQLite and PostgreSQL.

Pinned (the developer guide's "Multi-Region strong consistency", UpdateTable's API reference
and DynamoDB's answers as recorded in live probes):
- Made by one UpdateTable on an empty regional table with two replica Creates, or one and a
  witness, within one region set (us-east-1, us-east-2, us-west-2 here); DescribeTable then
  shows MultiRegionConsistency STRONG and GlobalTableWitnesses, in every replica's region.
- A write is in every replica when it is acknowledged: a strongly consistent read in another
  region sees it at once, and a conditional write there is judged against it. No stream is
  needed or turned on; one enabled in a replica shows every change, wherever it was made.
- Refused, with DynamoDB's words: a wrong replica count, a region outside the set, a witness
  in the table's own region, adding a replica later, changing the mode, deleting one replica
  alone or without the witness, DeleteTable of a replica, a non-empty table, Time to Live and
  transactions.
- Taken apart by one UpdateTable deleting every other replica and the witness: the table is
  then a table of its region alone.
- Writes to one item from two regions at once: each is acknowledged or answered
  ReplicatedWriteConflictException, and none is lost.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import Server
from tests.wire.helpers import create_table, eventually, refused
from tests.wire.http import signed_call

HOME, SECOND, THIRD = "us-east-1", "us-east-2", "us-west-2"
KEY = {"pk": {"S": "k"}}


def clients(server: Server) -> tuple[Any, Any, Any]:
    return tuple(server.client(region=region) for region in (HOME, SECOND, THIRD))  # type: ignore[return-value]


def active(client: Any, name: str) -> bool:
    try:
        return client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    except ClientError:
        return False


def strong_table(server: Server, witness: bool = False) -> str:
    """A new strongly consistent table: replicas in all three regions, or two and a witness
    in the third; once every replica is ACTIVE."""
    home, second, third = clients(server)
    name = create_table(home, "mrsc")
    creates = [{"Create": {"RegionName": SECOND}}]
    extra: dict[str, Any] = {}
    if witness:
        extra["GlobalTableWitnessUpdates"] = [{"Create": {"RegionName": THIRD}}]
    else:
        creates.append({"Create": {"RegionName": THIRD}})
    reply = home.update_table(
        TableName=name, ReplicaUpdates=creates, MultiRegionConsistency="STRONG", **extra
    )
    assert reply["TableDescription"]["MultiRegionConsistency"] == "STRONG"
    for client in (second,) if witness else (second, third):
        eventually(lambda c=client: active(c, name), 10, message="a replica stayed CREATING")
    return name


def test_writes_are_in_every_replica_when_acknowledged(server: Server) -> None:
    name = strong_table(server)
    home, second, third = clients(server)
    for client in (home, second, third):
        table = client.describe_table(TableName=name)["Table"]
        assert table["MultiRegionConsistency"] == "STRONG"
        assert table["GlobalTableVersion"] == "2019.11.21"
        assert sorted(r["RegionName"] for r in table["Replicas"]) == sorted(
            {HOME, SECOND, THIRD} - {client.meta.region_name}
        )
    # A strong table needs no stream; one enabled in a replica shows every change.
    assert "StreamSpecification" not in home.describe_table(TableName=name)["Table"]
    third.update_table(
        TableName=name,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    home.put_item(TableName=name, Item={**KEY, "n": {"N": "1"}})
    for client in (second, third):
        assert client.get_item(TableName=name, Key=KEY, ConsistentRead=True)["Item"]["n"] == {
            "N": "1"
        }
    # A conditional write in another region is judged against the write just made.
    code, _ = refused(lambda: second.put_item(
        TableName=name, Item=KEY, ConditionExpression="attribute_not_exists(pk)"))  # fmt: skip
    assert code == "ConditionalCheckFailedException"
    third.update_item(TableName=name, Key=KEY, UpdateExpression="ADD n :one",
                      ExpressionAttributeValues={":one": {"N": "1"}})  # fmt: skip
    assert home.get_item(TableName=name, Key=KEY, ConsistentRead=True)["Item"]["n"] == {"N": "2"}
    second.delete_item(TableName=name, Key=KEY)
    for client in (home, third):
        assert "Item" not in client.get_item(TableName=name, Key=KEY, ConsistentRead=True)
    # Each replica's stream shows every change, wherever it was made.
    streams = server.client("dynamodbstreams", region=THIRD)
    arn = third.describe_table(TableName=name)["Table"]["LatestStreamArn"]

    def events() -> list[str]:
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        found: list[str] = []
        for shard in shards:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            found += [
                r["eventName"] for r in streams.get_records(ShardIterator=iterator)["Records"]
            ]
        return found

    eventually(lambda: events() == ["INSERT", "MODIFY", "REMOVE"], 5,
               message=lambda: f"the stream in {THIRD} shows {events()}")  # fmt: skip


def test_a_witness_and_taking_the_table_apart(server: Server) -> None:
    name = strong_table(server, witness=True)
    home, second, third = clients(server)
    table = second.describe_table(TableName=name)["Table"]
    assert table["GlobalTableWitnesses"] == [{"RegionName": THIRD, "WitnessStatus": "ACTIVE"}]
    assert [r["RegionName"] for r in table["Replicas"]] == [HOME]
    code, _ = refused(lambda: third.describe_table(TableName=name))
    assert code == "ResourceNotFoundException"  # a witness holds no table
    second.put_item(TableName=name, Item=KEY)
    assert "Item" in home.get_item(TableName=name, Key=KEY, ConsistentRead=True)
    delete = [{"Delete": {"RegionName": SECOND}}]
    assert refused(lambda: home.update_table(TableName=name, ReplicaUpdates=delete)) == (
        "ValidationException",
        "Update table delete operation does not include all witnesses.",
    )
    assert refused(lambda: second.delete_table(TableName=name)) == (
        "ValidationException",
        "Deletion of only one table replica is not supported for global tables with "
        "MultiRegionConsistency set to STRONG.",
    )
    home.update_table(TableName=name, ReplicaUpdates=delete,
                      GlobalTableWitnessUpdates=[{"Delete": {"RegionName": THIRD}}])  # fmt: skip
    table = home.describe_table(TableName=name)["Table"]
    for gone in ("MultiRegionConsistency", "GlobalTableWitnesses", "Replicas"):
        assert gone not in table
    assert refused(lambda: second.describe_table(TableName=name))[0] == "ResourceNotFoundException"
    assert "Item" in home.get_item(TableName=name, Key=KEY)  # its data stays
    home.delete_table(TableName=name)


STRONG_REFUSALS = [
    ({"ReplicaUpdates": [{"Create": {"RegionName": SECOND}}]},
     "Unsupported replica count for global tables with MultiRegionConsistency set to STRONG."),
    ({"ReplicaUpdates": [{"Create": {"RegionName": SECOND}}, {"Create": {"RegionName": "us-west-1"}}]},
     "Unsupported Region(s) specified for global tables with MultiRegionConsistency set to "
     "STRONG: [us-west-1]."),
    ({"ReplicaUpdates": [{"Create": {"RegionName": SECOND}}],
      "GlobalTableWitnessUpdates": [{"Create": {"RegionName": HOME}}]},
     "Cannot add a witness in the same region as an existing replica when creating a global "
     "table with MultiRegionConsistency set to STRONG."),
    ({"ReplicaUpdates": [{"Create": {"RegionName": SECOND}}],
      "GlobalTableWitnessUpdates": [{"Create": {"RegionName": SECOND}}]},
     "Cannot target multiple regions with the same action"),
    ({"ReplicaUpdates": [{"Delete": {"RegionName": SECOND}}, {"Create": {"RegionName": THIRD}}]},
     "Only Replica Create actions are supported when MultiRegionConsistency parameter is "
     "provided."),
]  # fmt: skip


def test_what_a_strong_table_refuses(server: Server) -> None:
    home, second, _ = clients(server)
    regional = create_table(home, "mrsc")
    for request, message in STRONG_REFUSALS:
        assert refused(lambda r=request: home.update_table(  # type: ignore[misc]
            TableName=regional, MultiRegionConsistency="STRONG", **r)) == (
            "ValidationException", message), request  # fmt: skip
    witness_only = {"ReplicaUpdates": [{"Create": {"RegionName": SECOND}}],
                    "GlobalTableWitnessUpdates": [{"Create": {"RegionName": THIRD}}]}  # fmt: skip
    assert refused(lambda: home.update_table(TableName=regional, **witness_only)) == (
        "ValidationException",
        "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates parameter "
        "is present.",
    )
    home.put_item(TableName=regional, Item=KEY)
    code, message = refused(lambda: home.update_table(
        TableName=regional, MultiRegionConsistency="STRONG", **witness_only))  # fmt: skip
    assert (code, "must be empty" in message) == ("ValidationException", True)
    assert "Replicas" not in home.describe_table(TableName=regional)["Table"]

    name = strong_table(server)
    add = [{"Create": {"RegionName": "us-west-1"}}]
    assert refused(lambda: home.update_table(TableName=name, ReplicaUpdates=add)) == (
        "ValidationException",
        "Cannot add replicas to a global table with strong MultiRegionConsistency",
    )
    assert refused(lambda: second.update_table(
        TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": HOME}}],
        MultiRegionConsistency="STRONG")) == (
        "ValidationException",
        "MultiRegionConsistency parameter is unsupported on existing global table")  # fmt: skip
    assert refused(lambda: home.update_table(
        TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": SECOND}}])) == (
        "ValidationException",
        "Deletion of only one table replica is not supported for global tables with "
        "MultiRegionConsistency set to STRONG.")  # fmt: skip
    code, _ = refused(lambda: second.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}))  # fmt: skip
    assert code == "ValidationException"
    code, message = refused(lambda: second.transact_write_items(
        TransactItems=[{"Put": {"TableName": name, "Item": KEY}}]))  # fmt: skip
    assert (code, "Transactions are not supported" in message) == ("ValidationException", True)
    assert "Item" not in home.get_item(TableName=name, Key=KEY, ConsistentRead=True)
    home.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": SECOND}},
                                                      {"Delete": {"RegionName": THIRD}}])  # fmt: skip
    home.delete_table(TableName=name)


def test_writes_from_two_regions_at_once_lose_nothing(server: Server) -> None:
    """Counter increments from two regions at once: each is acknowledged or refused with
    ReplicatedWriteConflictException, and the counter counts exactly the acknowledged ones,
    in every replica."""
    name = strong_table(server)
    acknowledged: list[int] = []
    other_errors: list[str] = []

    def increment(region: str) -> None:
        client = server.client(region=region)  # without retries
        done = 0
        for _ in range(40):
            try:
                client.update_item(TableName=name, Key=KEY, UpdateExpression="ADD n :one",
                                   ExpressionAttributeValues={":one": {"N": "1"}})  # fmt: skip
                done += 1
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code != "ReplicatedWriteConflictException":
                    other_errors.append(code)
        acknowledged.append(done)

    threads = [threading.Thread(target=increment, args=(r,)) for r in (HOME, SECOND)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert other_errors == []
    assert len(acknowledged) == 2
    for client in clients(server):
        item = client.get_item(TableName=name, Key=KEY, ConsistentRead=True)["Item"]
        assert int(item["n"]["N"]) == sum(acknowledged)


REGIONS = st.sampled_from([HOME, SECOND, THIRD, "eu-west-1", "us-west-1", "xx-nowhere-1", ""])
ACTION = st.one_of(
    st.none(),
    st.fixed_dictionaries({"RegionName": REGIONS}),
    st.fixed_dictionaries(
        {"RegionName": REGIONS},
        optional={
            "TableClassOverride": st.sampled_from(["STANDARD", "WRONG"]),
            "KMSMasterKeyId": st.just("k"),
        },
    ),  # fmt: skip
)
REPLICA_UPDATE = st.dictionaries(
    st.sampled_from(["Create", "Update", "Delete"]), ACTION, min_size=0, max_size=2
)
WITNESS_UPDATE = st.dictionaries(st.sampled_from(["Create", "Delete"]), ACTION, max_size=2)
REQUEST = st.fixed_dictionaries(
    {
        "ReplicaUpdates": st.lists(REPLICA_UPDATE, min_size=1, max_size=3),
        "MultiRegionConsistency": st.sampled_from(["STRONG", "STRONG", "EVENTUAL", None]),
    },
    optional={
        "GlobalTableWitnessUpdates": st.lists(WITNESS_UPDATE, min_size=1, max_size=2),
        "DeletionProtectionEnabled": st.booleans(),
    },
)


def test_replica_requests_never_fail_the_server(server: Server) -> None:
    """Random replica and witness updates of a table that can take none (a provisioned one):
    each is refused with a 400 of DynamoDB's shape, never a 500, and the table stays a
    regional table."""
    home = server.client(region=HOME)
    name = create_table(home, "mrsc", billing="PROVISIONED",
                        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})  # fmt: skip

    @settings(max_examples=300, deadline=None, database=None)
    @given(REQUEST)
    @example({"ReplicaUpdates": [{"Create": {"RegionName": SECOND}}],
              "GlobalTableWitnessUpdates": [{"Create": None}],
              "MultiRegionConsistency": "STRONG"})  # fmt: skip
    @example({"ReplicaUpdates": [{"Create": None, "Delete": {"RegionName": SECOND}}]})
    @example(
        {
            "ReplicaUpdates": [{"Create": {"RegionName": HOME}}],
            "GlobalTableWitnessUpdates": [{"Create": None, "Delete": {"RegionName": HOME}}],
            "MultiRegionConsistency": "STRONG",
        }
    )  # fmt: skip (found in CI)
    def probe(request: dict[str, Any]) -> None:
        request = {k: v for k, v in request.items() if v is not None}
        reply = signed_call(server, "UpdateTable", {"TableName": name, **request})
        assert reply.status == 400, (request, reply.body)
        assert reply.json()["__type"].endswith("Exception"), reply.body

    probe()
    table = home.describe_table(TableName=name)["Table"]
    assert "Replicas" not in table and "GlobalTableVersion" not in table
