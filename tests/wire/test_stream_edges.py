"""DynamoDB Streams and point-in-time recovery at their edges: the writes that make no stream
record, disabling a stream the table does not have, the end of a disabled stream's shards,
DescribeStream's ShardFilter / Limit / ExclusiveStartShardId, and DescribeContinuousBackups of
a table that never had point-in-time recovery.

Pinned behaviour (DynamoDB's):
- A write that changes no data writes no stream record: the same item put again, also with its
  attributes, map entries and set members in another order and its numbers written otherwise
  (records compare data, not bytes); an update to equal values; an UpdateItem or a transaction's
  Update made only of REMOVE actions on a missing item (which creates no item). A list in
  another order is other data, and so is another set. (Developer guide, "Change data capture
  for DynamoDB Streams": "If you perform a PutItem or UpdateItem operation that does not change
  any data in an item, DynamoDB Streams does not write a stream record for that operation";
  ScyllaDB Alternator's test_streams.py do_updates_1 and test_update_item_non_existent, run
  against DynamoDB.)
- UpdateTable disabling a stream the table does not have, never enabled or disabled already, is
  ValidationException "Table has no stream to disable: TableName: <name>", and changes nothing
  (live captures in the ack-api-quirks catalogue, DDB-TABLE-047 and DDB-TABLE-050). Enabling
  a stream again while one is live, even with another view type, is "Table already has an
  enabled stream: TableName: <name>"; enabling without a view type, or disabling with one, is
  refused ("If stream is being enabled then UpdateViewType is required", "If stream is being
  disabled, then UpdateViewType must not be specified"); once disabled, DescribeTable leaves
  StreamSpecification out while LatestStreamArn and LatestStreamLabel stay (DDB-TABLE-050).
- Every shard of a disabled stream is closed (EndingSequenceNumber) and gives its records, then a
  page without NextShardIterator, whichever iterator reads it: TRIM_HORIZON taken after
  disabling, LATEST taken before, pages of one record (API reference GetRecords:
  NextShardIterator is null once a closed shard is read to its end; Alternator's
  test_streams_closed_read and test_streams_disabled_stream).
- DescribeStream: ShardFilter {Type: CHILD_SHARDS, ShardId: <parent>} lists the children of
  that shard only (none for the last shard of a disabled stream), with Limit and
  ExclusiveStartShardId as without a filter. A Type other than CHILD_SHARDS or a ShardId
  outside 28-65 characters is the request validator's ValidationException; a filter without
  Type or ShardId is one too ("Value null at 'shardFilter.<member>'": DynamoDB's wording here
  is not recorded); a parent the stream does not have is ResourceNotFoundException (what the
  DynamoDB Streams Kinesis Adapter, awslabs/dynamodb-streams-kinesis-adapter
  DynamoDBStreamsShardDetector, handles during child-shard discovery). Limit is 1-100; shard
  ids sort in lineage order; after the last shard, or after a shard the stream does not have,
  no shards (Alternator's list_shards and test_describe_stream_with_nonexistent_last_shard).
- DescribeContinuousBackups of a table that never had point-in-time recovery:
  ContinuousBackupsStatus ENABLED, PointInTimeRecoveryDescription exactly
  {PointInTimeRecoveryStatus: DISABLED}, and the same after recovery is enabled and disabled
  again (API reference DescribeContinuousBackups: "Continuous backups are ENABLED on all
  tables at table creation"); a missing or deleted table is TableNotFoundException "Table not
  found: <name>" (ack-api-quirks DDB-TABLE-115). DynamoDB reads ContinuousBackupsStatus
  DISABLED for the few seconds a new table is CREATING and just after (DDB-TABLE-111/115, and
  the comment of Alternator's test_backup.py); tables here are ACTIVE at once
  (docs/compatibility.md).

The server is the one of tests/wire/test_streams.py's configuration: shards cut every 3 s and
a change readable 0.2 s after it is made. That no record was written is shown without waiting:
a marker item is written last, and once its record is read, the record of any earlier write
would have been read before it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import CREDENTIALS, REGION, Backend, Server, error_of, unique_name
from tests.wire.helpers import eventually
from tests.wire.test_streams import ENV, all_shards, create_stream_table, key, read_all

VALIDATION = "ValidationException"
Record = dict[str, Any]


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("edges"), env=ENV, extra_args=backend()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(edge_server: Server) -> Any:
    return edge_server.client()


@pytest.fixture(scope="module")
def streams(edge_server: Server) -> Any:
    return edge_server.client("dynamodbstreams")


@pytest.fixture(scope="module")
def unchecked_streams(edge_server: Server) -> Any:
    """A Streams client without botocore's parameter validation, to send values the model
    refuses (lengths below its minimum)."""
    return boto3.client(
        "dynamodbstreams",
        endpoint_url=edge_server.endpoint,
        region_name=REGION,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )


def records_through(streams: Any, arn: str, marker: str, timeout: float = 10.0) -> list[Record]:
    """The stream's records up to the first one of the item whose `pk` is `marker`, once that
    one is read. A change is readable only once nothing written before it can still commit,
    and every shard is read from its start: a record of any write made before the marker's
    would be among those returned."""
    found: list[Record] = []

    def marker_read() -> bool:
        found[:] = [record for _, record in read_all(streams, arn)]
        return any(pk_of(record) == marker for record in found)

    eventually(marker_read, timeout, 0.05, lambda: f"no record of {marker}: {found}")
    end = next(i for i, record in enumerate(found) if pk_of(record) == marker)
    return found[: end + 1]


def pk_of(record: Record) -> str:
    return str(record["dynamodb"]["Keys"]["pk"]["S"])


def events(records: list[Record]) -> list[tuple[str, str]]:
    return [(record["eventName"], pk_of(record)) for record in records]


def read_to_end(
    streams: Any, iterator: str, limit: int | None = None, timeout: float = 10.0
) -> tuple[list[Record], int]:
    """Records from `iterator`, page after page, until a page comes without NextShardIterator:
    (the records, how many pages). AssertionError if the shard has not ended after `timeout`
    seconds (a closed shard's last moments become readable after the settle time)."""
    params = {} if limit is None else {"Limit": limit}
    found: list[Record] = []
    pages = 0
    deadline = time.monotonic() + timeout
    while True:
        page = streams.get_records(ShardIterator=iterator, **params)
        pages += 1
        found += page["Records"]
        if limit is not None:
            assert len(page["Records"]) <= limit
        if "NextShardIterator" not in page:
            return found, pages
        assert time.monotonic() < deadline, f"a closed shard never ended: {found}"
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            time.sleep(0.05)  # polling: the end may need the settle time to become readable


# --------------------------------------------------------------------------- no-op writes


def test_writes_that_change_no_data_make_no_record(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client, "NEW_AND_OLD_IMAGES")
    item = {
        **key("a"),
        "n": {"N": "1"},
        "s": {"SS": ["x", "y"]},
        "m": {"M": {"p": {"S": "1"}, "q": {"NS": ["1", "2"]}}},
        "l": {"L": [{"N": "1"}, {"S": "two"}]},
    }
    client.put_item(TableName=name, Item=item)
    # The same data: attributes, map entries and set members in another order, numbers
    # written otherwise.
    client.put_item(
        TableName=name,
        Item={
            "l": {"L": [{"N": "1.0"}, {"S": "two"}]},
            "m": {"M": {"q": {"NS": ["2", "01"]}, "p": {"S": "1"}}},
            "s": {"SS": ["y", "x"]},
            "n": {"N": "1.00"},
            **key("a"),
        },
    )
    client.update_item(
        TableName=name,
        Key=key("a"),
        UpdateExpression="SET n = :n, s = :s",
        ExpressionAttributeValues={":n": {"N": "10E-1"}, ":s": {"SS": ["y", "x"]}},
    )
    client.update_item(TableName=name, Key=key("a"), UpdateExpression="REMOVE absent")
    # An update made only of REMOVE actions on a missing item creates nothing.
    client.update_item(TableName=name, Key=key("missing"), UpdateExpression="REMOVE a, b")
    client.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": name, "Key": key("gone"), "UpdateExpression": "REMOVE a"}}
        ]
    )
    client.put_item(TableName=name, Item=key("marker"))
    assert events(records_through(streams, arn, "marker")) == [
        ("INSERT", "a"),
        ("INSERT", "marker"),
    ]

    # Other data is a record: a list in another order, another set.
    client.update_item(
        TableName=name,
        Key=key("a"),
        UpdateExpression="SET l = :l",
        ExpressionAttributeValues={":l": {"L": [{"S": "two"}, {"N": "1"}]}},
    )
    client.update_item(
        TableName=name,
        Key=key("a"),
        UpdateExpression="SET s = :s",
        ExpressionAttributeValues={":s": {"SS": ["x", "z"]}},
    )
    client.put_item(TableName=name, Item=key("second"))
    found = records_through(streams, arn, "second")
    assert events(found) == [
        ("INSERT", "a"),
        ("INSERT", "marker"),
        ("MODIFY", "a"),
        ("MODIFY", "a"),
        ("INSERT", "second"),
    ]
    assert found[2]["dynamodb"]["NewImage"]["l"] == {"L": [{"S": "two"}, {"N": "1"}]}
    assert sorted(found[3]["dynamodb"]["OldImage"]["s"]["SS"]) == ["x", "y"]
    assert sorted(found[3]["dynamodb"]["NewImage"]["s"]["SS"]) == ["x", "z"]


# --------------------------------------------------------------------------- disabling


def test_disabling_a_stream_the_table_does_not_have(client: Any) -> None:
    name, _ = create_stream_table(client, None)
    refusal = (VALIDATION, f"Table has no stream to disable: TableName: {name}")
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert error_of(excinfo) == refusal
    assert "LatestStreamArn" not in client.describe_table(TableName=name)["Table"]

    enabled = client.update_table(
        TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )["TableDescription"]
    client.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    before = client.describe_table(TableName=name)["Table"]
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert error_of(excinfo) == refusal
    after = client.describe_table(TableName=name)["Table"]
    assert after == before
    assert after["LatestStreamArn"] == enabled["LatestStreamArn"]


def test_switching_a_stream_on_and_off_in_dynamodbs_words(client: Any) -> None:
    name, _ = create_stream_table(client, None)
    invalid = "One or more parameter values were invalid: "
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.update_table(TableName=name, StreamSpecification={"StreamEnabled": True})
    assert error_of(excinfo) == (
        VALIDATION,
        invalid + "If stream is being enabled then UpdateViewType is required",
    )
    on = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    enabled = client.update_table(TableName=name, StreamSpecification=on)["TableDescription"]
    assert enabled["StreamSpecification"] == on
    for again in (on, {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}):
        with pytest.raises(client.exceptions.ClientError) as excinfo:
            client.update_table(TableName=name, StreamSpecification=again)
        assert error_of(excinfo) == (
            VALIDATION,
            f"Table already has an enabled stream: TableName: {name}",
        )
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.update_table(
            TableName=name,
            StreamSpecification={"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"},
        )
    assert error_of(excinfo) == (
        VALIDATION,
        invalid + "If stream is being disabled, then UpdateViewType must not be specified",
    )
    described = client.describe_table(TableName=name)["Table"]
    assert described["StreamSpecification"] == on  # every refusal changed nothing
    client.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    described = client.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in described
    assert described["LatestStreamArn"] == enabled["LatestStreamArn"]
    assert described["LatestStreamLabel"] == enabled["LatestStreamLabel"]


# --------------------------------------------------------------------------- a disabled stream's end


def test_a_disabled_streams_shards_end(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client, "KEYS_ONLY")
    last = all_shards(streams, arn)[-1]["ShardId"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=last, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    for pk in ("one", "two", "three"):
        client.put_item(TableName=name, Item=key(pk))
    client.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    shards = all_shards(streams, arn)
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in shards)

    by_shard: dict[str, list[Record]] = {}
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        by_shard[shard["ShardId"]], _ = read_to_end(streams, iterator)
    assert [pk_of(r) for s in shards for r in by_shard[s["ShardId"]]] == ["one", "two", "three"]

    # Read again now that everything is readable: the page with the shard's last records
    # is its last page.
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records, pages = read_to_end(streams, iterator)
        assert (records, pages) == (by_shard[shard["ShardId"]], 1)
        # Page by page: a record a page, and the shard ends on the page after its last.
        records, pages = read_to_end(streams, iterator, limit=1)
        assert records == by_shard[shard["ShardId"]]
        assert pages == len(records) + 1

    # An iterator taken while the stream was enabled reads its shard to the end too.
    records, _ = read_to_end(streams, latest)
    assert records == by_shard[last]


# --------------------------------------------------------------------------- DescribeStream


def stream_of_shards(client: Any, streams: Any, count: int) -> tuple[str, list[dict[str, Any]]]:
    """A new table's stream once it has `count` shards (they are cut every 3 s), disabled so
    that its shards stay as they are: (stream ARN, the shards in lineage order)."""
    name, arn = create_stream_table(client, "KEYS_ONLY")
    eventually(lambda: len(all_shards(streams, arn)) >= count, 5 + 3 * count, 0.2)
    client.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    return arn, all_shards(streams, arn)


def test_describe_stream_child_shards(client: Any, streams: Any) -> None:
    arn, shards = stream_of_shards(client, streams, 3)
    ids = [shard["ShardId"] for shard in shards]
    assert ids == sorted(ids)  # lineage order is the ids' order
    for parent, child in zip(shards, shards[1:], strict=False):
        children = streams.describe_stream(
            StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": parent["ShardId"]}
        )["StreamDescription"]
        assert children["Shards"] == [child]
        assert "LastEvaluatedShardId" not in children
        assert children["StreamArn"] == arn
        assert children["StreamStatus"] == "DISABLED"
    none = streams.describe_stream(
        StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": ids[-1]}
    )["StreamDescription"]
    assert none["Shards"] == []
    # With ExclusiveStartShardId: the children after that shard.
    after = streams.describe_stream(
        StreamArn=arn,
        ShardFilter={"Type": "CHILD_SHARDS", "ShardId": ids[0]},
        ExclusiveStartShardId=ids[1],
    )["StreamDescription"]
    assert after["Shards"] == []

    unknown = "shardId-00000000000000000000-00000000"
    with pytest.raises(streams.exceptions.ResourceNotFoundException) as excinfo:
        streams.describe_stream(
            StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": unknown}
        )
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Shard does not exist: {unknown}",
    )


def test_describe_stream_shard_filter_is_validated(client: Any, unchecked_streams: Any) -> None:
    _, arn = create_stream_table(client, "KEYS_ONLY")
    shard = unchecked_streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    shard_id = shard["ShardId"]
    prefix = "1 validation error detected: "
    null = "failed to satisfy constraint: Member must not be null"
    refusals = [
        (
            {"Type": "PARENT_SHARD", "ShardId": shard_id},
            f"{prefix}Value 'PARENT_SHARD' at 'shardFilter.type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [CHILD_SHARDS]",
        ),
        (
            {"Type": "CHILD_SHARDS", "ShardId": "shardId-short"},
            f"{prefix}Value 'shardId-short' at 'shardFilter.shardId' failed to satisfy "
            "constraint: Member must have length greater than or equal to 28",
        ),
        (
            {"Type": "CHILD_SHARDS", "ShardId": "s" * 66},
            f"{prefix}Value '{'s' * 66}' at 'shardFilter.shardId' failed to satisfy "
            "constraint: Member must have length less than or equal to 65",
        ),
        ({"Type": "CHILD_SHARDS"}, f"{prefix}Value null at 'shardFilter.shardId' {null}"),
        ({"ShardId": shard_id}, f"{prefix}Value null at 'shardFilter.type' {null}"),
        (
            {},
            "2 validation errors detected: "
            f"Value null at 'shardFilter.type' {null}; "
            f"Value null at 'shardFilter.shardId' {null}",
        ),
    ]
    for shard_filter, message in refusals:
        with pytest.raises(unchecked_streams.exceptions.ClientError) as excinfo:
            unchecked_streams.describe_stream(StreamArn=arn, ShardFilter=shard_filter)
        assert error_of(excinfo) == (VALIDATION, message), shard_filter


def test_describe_stream_limit_and_exclusive_start(
    client: Any, streams: Any, unchecked_streams: Any
) -> None:
    arn, shards = stream_of_shards(client, streams, 3)
    ids = [shard["ShardId"] for shard in shards]
    everything = streams.describe_stream(StreamArn=arn, Limit=100)["StreamDescription"]
    assert [shard["ShardId"] for shard in everything["Shards"]] == ids
    assert "LastEvaluatedShardId" not in everything

    seen: list[str] = []
    params: dict[str, Any] = {"StreamArn": arn, "Limit": 1}
    for _ in range(len(ids) + 1):
        page = streams.describe_stream(**params)["StreamDescription"]
        seen += [shard["ShardId"] for shard in page["Shards"]]
        if "LastEvaluatedShardId" not in page:
            break
        assert page["LastEvaluatedShardId"] == page["Shards"][-1]["ShardId"]
        params["ExclusiveStartShardId"] = page["LastEvaluatedShardId"]
    assert seen == ids
    page = streams.describe_stream(StreamArn=arn, Limit=2)["StreamDescription"]
    assert [shard["ShardId"] for shard in page["Shards"]] == ids[:2]
    assert page["LastEvaluatedShardId"] == ids[1]

    # After the last shard, or after one the stream does not have: no shards.
    for start in (ids[-1], "z" * 56):
        page = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=start)
        assert page["StreamDescription"]["Shards"] == [], start
        assert "LastEvaluatedShardId" not in page["StreamDescription"]

    for limit, constraint in (
        (0, "greater than or equal to 1"),
        (101, "less than or equal to 100"),
    ):
        with pytest.raises(unchecked_streams.exceptions.ClientError) as excinfo:
            unchecked_streams.describe_stream(StreamArn=arn, Limit=limit)
        assert error_of(excinfo) == (
            VALIDATION,
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            f"constraint: Member must have value {constraint}",
        )
    with pytest.raises(unchecked_streams.exceptions.ClientError) as excinfo:
        unchecked_streams.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-1")
    assert error_of(excinfo) == (
        VALIDATION,
        "1 validation error detected: Value 'shardId-1' at 'exclusiveStartShardId' failed to "
        "satisfy constraint: Member must have length greater than or equal to 28",
    )


# --------------------------------------------------------------------------- continuous backups


def test_continuous_backups_of_a_table_that_never_had_recovery(client: Any) -> None:
    name, _ = create_stream_table(client, None)
    never = {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }
    reply = client.describe_continuous_backups(TableName=name)
    assert reply["ContinuousBackupsDescription"] == never

    enabled = client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]
    assert enabled["ContinuousBackupsStatus"] == "ENABLED"
    assert enabled["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    disabled = client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )["ContinuousBackupsDescription"]
    assert disabled == never
    assert client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"] == (
        never
    )

    missing = unique_name("missing")
    client.delete_table(TableName=name)
    for table in (missing, name):
        with pytest.raises(client.exceptions.TableNotFoundException) as excinfo:
            client.describe_continuous_backups(TableName=table)
        assert error_of(excinfo) == ("TableNotFoundException", f"Table not found: {table}")
