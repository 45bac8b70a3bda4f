"""DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator and GetRecords, with the
stream enabled and disabled through CreateTable / UpdateTable.

Pinned behaviour (DynamoDB's):
- A record per item change, with eventName INSERT / MODIFY / REMOVE, eventVersion "1.1",
  eventSource "aws:dynamodb", awsRegion, a unique eventID and a `dynamodb` StreamRecord: Keys
  always, NewImage / OldImage exactly as the StreamViewType asks (KEYS_ONLY: neither;
  NEW_IMAGE: the image after, absent on REMOVE; OLD_IMAGE: the image before, absent on INSERT;
  NEW_AND_OLD_IMAGES: both where they exist), the StreamViewType, a SequenceNumber of digits
  (increasing within a shard), SizeBytes >= 1 and ApproximateCreationDateTime (whole seconds).
- A write that changes nothing (the same item put again, an update to the same value, a
  failed condition, deleting an absent item, an update of a missing item that only removes)
  writes no record.
- Each change appears exactly once, in the order of the item's changes; the records of one
  TransactWriteItems come together, BatchWriteItem gives one record per item.
- GetShardIterator: TRIM_HORIZON (oldest), LATEST (only what is written afterwards),
  AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER (at / right after a record); an unknown stream or
  shard is ResourceNotFoundException; a SequenceNumber with TRIM_HORIZON, or a malformed
  iterator, is ValidationException; an iterator older than 15 minutes is
  ExpiredIteratorException.
- DescribeStream: StreamArn, StreamLabel, StreamStatus, StreamViewType, TableName, KeySchema,
  Shards with SequenceNumberRange; each later shard's ParentShardId is the shard before it;
  closed shards have an EndingSequenceNumber; GetRecords on a drained closed shard gives no
  NextShardIterator.
- Disabling keeps the old stream listed and readable (DISABLED, all shards closed); enabling
  again makes a new stream (new label and ARN). ListStreams filters by TableName and pages
  with Limit / LastEvaluatedStreamArn / ExclusiveStartStreamArn.
- A deletion by Time to Live is a REMOVE record with userIdentity
  {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"} (PascalCase in GetRecords);
  a user's DeleteItem has no userIdentity.

The server is dedicated and quick: shards are cut every 3 s (OPENDYNAMO_STREAM_SHARD_SECONDS,
DynamoDB's are cut about every 4 hours, or on partition splits), a change is readable 0.2 s
after it was made (OPENDYNAMO_STREAM_SETTLE) and the TTL sweep runs every 0.3 s. Shards may
roll over in the middle of any test, so every reader here follows the shard lineage.

Sources: AWS API reference (DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator,
GetRecords, Record, StreamRecord, Identity, Shard, SequenceNumberRange), the developer guide
"Change data capture for DynamoDB Streams" ("no stream record for a write that does not
change data"; exactly once, in order per item) and "Using TTL with streams", the awscli
`dynamodbstreams get-records` example (record shape), and ScyllaDB's alternator
test_streams.py (run against AWS): error classes of GetShardIterator / GetRecords.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import REGION, Backend, Server, error_of, unique_name
from tests.wire.helpers import eventually, table_params

# The secrets key is given, so that a test can sign iterators as the server signs them.
SECRETS_KEY = base64.b64encode(bytes(range(32))).decode()
ENV = {
    "OPENDYNAMO_STREAM_SHARD_SECONDS": "3",
    "OPENDYNAMO_STREAM_SETTLE": "0.2",
    "OPENDYNAMO_SECRETS_KEY": SECRETS_KEY,
}
SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


@pytest.fixture(scope="module")
def stream_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    args = (*backend(), "--ttl-interval", "0.3")
    server = Server(tmp_path_factory.mktemp("streams"), env=ENV, extra_args=args).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(stream_server: Server) -> Any:
    return stream_server.client()


@pytest.fixture(scope="module")
def streams(stream_server: Server) -> Any:
    return stream_server.client("dynamodbstreams")


def create_stream_table(client: Any, view: str | None = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    """A new table (hash `pk` S, range `sk` N) with a stream of `view` (None: no stream):
    (name, LatestStreamArn or "")."""
    name = unique_name("st")
    params = table_params(name, range_key=("sk", "N"))
    if view is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    description = client.create_table(**params)["TableDescription"]
    return name, description.get("LatestStreamArn", "")


def key(pk: str, sk: int = 0) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def all_shards(streams: Any, arn: str) -> list[dict[str, Any]]:
    """Every shard of the stream (DescribeStream, paged), in lineage order: each after its
    parent."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"StreamArn": arn}
    while True:
        description = streams.describe_stream(**params)["StreamDescription"]
        found += description["Shards"]
        if "LastEvaluatedShardId" not in description:
            break
        params["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]
    ids = {shard["ShardId"] for shard in found}
    children = {shard.get("ParentShardId"): shard for shard in found}
    roots = [s for s in found if s.get("ParentShardId") not in ids]
    assert len(roots) == 1, found
    ordered = [roots[0]]
    while ordered[-1]["ShardId"] in children:
        ordered.append(children[ordered[-1]["ShardId"]])
    assert len(ordered) == len(found), found
    return ordered


def drain(streams: Any, iterator: str) -> tuple[list[dict[str, Any]], bool]:
    """Records from `iterator` until a page is empty: (records, whether the shard ended,
    i.e. a page came without NextShardIterator)."""
    found: list[dict[str, Any]] = []
    for _ in range(1000):
        page = streams.get_records(ShardIterator=iterator)
        found += page["Records"]
        if "NextShardIterator" not in page:
            return found, True
        if not page["Records"]:
            return found, False
        iterator = page["NextShardIterator"]
    raise AssertionError("GetRecords never stopped giving records")


def read_all(streams: Any, arn: str) -> list[tuple[str, dict[str, Any]]]:
    """(shard id, record) of everything in the stream now: TRIM_HORIZON on every shard, in
    lineage order, each shard followed to its end (closed) or to an empty page (open)."""
    found = []
    for shard in all_shards(streams, arn):
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records, _ = drain(streams, iterator)
        found += [(shard["ShardId"], record) for record in records]
    return found


def wait_records(
    streams: Any, arn: str, count: int, timeout: float = 10.0
) -> list[tuple[str, dict[str, Any]]]:
    """The stream's (shard id, record)s once there are at least `count`, then read again a
    settle period later, so that a surplus shows."""
    found: list[tuple[str, dict[str, Any]]] = []

    def enough() -> bool:
        found[:] = read_all(streams, arn)
        return len(found) >= count

    eventually(enough, timeout, 0.1, lambda: f"{len(found)} records of {count}: {found}")
    # A surplus record would be readable within the settle time (OPENDYNAMO_STREAM_SETTLE):
    # nothing shows that it is not coming but letting that time pass.
    time.sleep(2 * float(ENV["OPENDYNAMO_STREAM_SETTLE"]))
    return read_all(streams, arn)


def records_of(streams: Any, arn: str, count: int) -> list[dict[str, Any]]:
    return [record for _, record in wait_records(streams, arn, count)]


def pks(records: list[dict[str, Any]]) -> list[str]:
    return [record["dynamodb"]["Keys"]["pk"]["S"] for record in records]


def test_record_fields_per_view_type(client: Any, streams: Any) -> None:
    """Record fields for INSERT, MODIFY and REMOVE under every StreamViewType."""
    for view in VIEWS:
        name, arn = create_stream_table(client, view)
        before = time.time()
        first = {**key("a", 1), "v": {"S": "one"}}
        client.put_item(TableName=name, Item=first)
        client.update_item(
            TableName=name,
            Key=key("a", 1),
            UpdateExpression="SET v = :v, w = :w",
            ExpressionAttributeValues={":v": {"S": "two"}, ":w": {"N": "5"}},
        )
        second = {**key("a", 1), "v": {"S": "two"}, "w": {"N": "5"}}
        client.delete_item(TableName=name, Key=key("a", 1))
        found = records_of(streams, arn, 3)
        after = time.time()
        assert [r["eventName"] for r in found] == ["INSERT", "MODIFY", "REMOVE"], view
        images = {
            "KEYS_ONLY": [(None, None), (None, None), (None, None)],
            "NEW_IMAGE": [(first, None), (second, None), (None, None)],
            "OLD_IMAGE": [(None, None), (None, first), (None, second)],
            "NEW_AND_OLD_IMAGES": [(first, None), (second, first), (None, second)],
        }[view]
        for record, (new, old) in zip(found, images, strict=True):
            data = record["dynamodb"]
            assert data["Keys"] == key("a", 1)
            assert data.get("NewImage") == new, (view, record)
            assert data.get("OldImage") == old, (view, record)
            assert data["StreamViewType"] == view
            assert data["SequenceNumber"].isdigit()
            assert 21 <= len(data["SequenceNumber"]) <= 40
            assert data["SizeBytes"] > 0
            stamp = data["ApproximateCreationDateTime"].timestamp()
            assert before - 1 <= stamp <= after and stamp == int(stamp)
            assert record["eventVersion"] == "1.1"
            assert record["eventSource"] == "aws:dynamodb"
            assert record["awsRegion"] == REGION
            assert "userIdentity" not in record
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in found]
        assert numbers == sorted(set(numbers))
        assert len({r["eventID"] for r in found}) == 3


def test_writes_that_change_nothing_make_no_record(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client)
    item = {**key("a"), "v": {"S": "x"}, "n": {"N": "1"}}
    client.put_item(TableName=name, Item=item)
    client.put_item(TableName=name, Item=item)  # identical
    client.update_item(
        TableName=name,
        Key=key("a"),
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    )  # the same value
    client.update_item(TableName=name, Key=key("a"), UpdateExpression="REMOVE absent")
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName=name,
            Item={**key("a"), "v": {"S": "y"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.update_item(
            TableName=name,
            Key=key("a"),
            UpdateExpression="SET v = :v",
            ConditionExpression="n = :two",
            ExpressionAttributeValues={":v": {"S": "z"}, ":two": {"N": "2"}},
        )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.delete_item(
            TableName=name, Key=key("a"), ConditionExpression="attribute_not_exists(v)"
        )
    client.delete_item(TableName=name, Key=key("absent"))  # nothing to delete
    # Updates that only take away create no item, so no record either.
    client.update_item(TableName=name, Key=key("ghost"), UpdateExpression="REMOVE v, m.x")
    client.update_item(
        TableName=name, Key=key("ghost"), AttributeUpdates={"v": {"Action": "DELETE"}}
    )
    client.put_item(TableName=name, Item={**key("marker"), "v": {"S": "m"}})
    found = records_of(streams, arn, 2)
    assert [(r["eventName"], *pks([r])) for r in found] == [
        ("INSERT", "a"),
        ("INSERT", "marker"),
    ]
    assert found[0]["dynamodb"]["NewImage"] == item


def test_concurrent_writers_exactly_once_in_item_order(
    stream_server: Server, client: Any, streams: Any
) -> None:
    name, arn = create_stream_table(client, "NEW_IMAGE")
    threads, updates, shared = 4, 50, ("shared-0", "shared-1")
    writes: dict[str, int] = {}
    lock = threading.Lock()
    failures: list[BaseException] = []

    def add(own: Any, pk: str) -> None:
        own.update_item(
            TableName=name,
            Key=key(pk),
            UpdateExpression="ADD c :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        with lock:
            writes[pk] = writes.get(pk, 0) + 1

    def writer(number: int) -> None:
        own = stream_server.client()
        try:
            for i in range(updates):
                add(own, f"own-{number}")
                if i % 5 == number % 5:
                    add(own, shared[i % 2])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures
    total = sum(writes.values())
    assert total == threads * updates + threads * updates // 5
    found = wait_records(streams, arn, total, timeout=20)
    assert len(found) == total
    assert len({r["dynamodb"]["SequenceNumber"] for _, r in found}) == total
    assert len({r["eventID"] for _, r in found}) == total
    counters: dict[str, list[int]] = {}
    for _, record in found:
        pk = record["dynamodb"]["Keys"]["pk"]["S"]
        counters.setdefault(pk, []).append(int(record["dynamodb"]["NewImage"]["c"]["N"]))
    assert {pk: len(values) for pk, values in counters.items()} == writes
    for pk, values in counters.items():
        assert values == list(range(1, writes[pk] + 1)), pk
        first = [r["eventName"] for _, r in found if pks([r]) == [pk]][0]
        assert first == "INSERT"
    shard_order: dict[str, list[int]] = {}
    for shard, record in found:
        shard_order.setdefault(shard, []).append(int(record["dynamodb"]["SequenceNumber"]))
    for numbers in shard_order.values():
        assert numbers == sorted(numbers)


def test_transactions_and_batches(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client, "KEYS_ONLY")
    client.put_item(TableName=name, Item=key("before"))
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": key("t1")}},
            {"Put": {"TableName": name, "Item": key("t2")}},
            {"Put": {"TableName": name, "Item": key("t3")}},
        ]
    )
    client.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": key(f"b{i}")}} for i in range(4)]}
    )
    client.put_item(TableName=name, Item=key("after"))
    found = records_of(streams, arn, 9)
    names = pks(found)
    assert sorted(names) == sorted(["before", "t1", "t2", "t3", "b0", "b1", "b2", "b3", "after"])
    assert all(r["eventName"] == "INSERT" for r in found)
    at = names.index(next(pk for pk in names if pk.startswith("t")))
    assert sorted(names[at : at + 3]) == ["t1", "t2", "t3"]  # together
    times = {r["dynamodb"]["ApproximateCreationDateTime"] for r in found[at : at + 3]}
    assert len(times) == 1
    assert names.index("before") < at < names.index("after")


def test_shard_iterator_types(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client, "KEYS_ONLY")
    for pk in ("r1", "r2", "r3"):
        client.put_item(TableName=name, Item=key(pk))
    found = wait_records(streams, arn, 3)
    assert pks([r for _, r in found]) == ["r1", "r2", "r3"]
    for kind, offset in (("AT_SEQUENCE_NUMBER", 0), ("AFTER_SEQUENCE_NUMBER", 1)):
        for index, (shard, record) in enumerate(found):
            iterator = streams.get_shard_iterator(
                StreamArn=arn,
                ShardId=shard,
                ShardIteratorType=kind,
                SequenceNumber=record["dynamodb"]["SequenceNumber"],
            )["ShardIterator"]
            wanted = [r for s, r in found[index + offset :] if s == shard]
            assert drain(streams, iterator)[0] == wanted, (kind, index)

    # LATEST: only what is written after the iterator (following the lineage, since the
    # shard may roll over meanwhile).
    shard = all_shards(streams, arn)[-1]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    client.put_item(TableName=name, Item=key("r4"))
    latest: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not latest:
        assert time.monotonic() < deadline, "the write after LATEST never showed"
        page = streams.get_records(ShardIterator=iterator)
        latest += page["Records"]
        if "NextShardIterator" in page:
            iterator = page["NextShardIterator"]
        else:  # closed: go on with its child
            child = next(s for s in all_shards(streams, arn) if s.get("ParentShardId") == shard)
            shard = child["ShardId"]
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        time.sleep(0.05)
    assert pks(latest) == ["r4"]

    # TRIM_HORIZON on the first shard starts at the first record.
    first = all_shards(streams, arn)[0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=first, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert streams.get_records(ShardIterator=iterator, Limit=1)["Records"] == [found[0][1]]


def test_shard_iterator_errors(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client, "KEYS_ONLY")
    shard = all_shards(streams, arn)[0]["ShardId"]
    table_arn = arn.split("/stream/")[0]
    missing = table_arn.replace(name, unique_name("gone")) + "/stream/2020-01-01T00:00:00.000"
    for operation, params in (
        (streams.describe_stream, {"StreamArn": missing}),
        (
            streams.get_shard_iterator,
            {"StreamArn": missing, "ShardId": shard, "ShardIteratorType": "LATEST"},
        ),
        (
            streams.get_shard_iterator,
            {
                "StreamArn": arn,
                "ShardId": "shardId-00000000000000000000-00000000",
                "ShardIteratorType": "TRIM_HORIZON",
            },
        ),
    ):
        with pytest.raises(streams.exceptions.ResourceNotFoundException):
            operation(**params)
    client.put_item(TableName=name, Item=key("a"))
    sequence = records_of(streams, arn, 1)[0]["dynamodb"]["SequenceNumber"]
    for kind in ("TRIM_HORIZON", "LATEST"):
        with pytest.raises(streams.exceptions.ClientError) as exc:
            streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType=kind, SequenceNumber=sequence
            )
        assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(streams.exceptions.ClientError) as exc:
        streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER"
        )  # no SequenceNumber
    assert error_of(exc)[0] == "ValidationException"
    for garbage in ("not-an-iterator-" * 4, base64.urlsafe_b64encode(b'{"x": 1}').decode()):
        with pytest.raises(streams.exceptions.ClientError) as exc:
            streams.get_records(ShardIterator=garbage)
        assert error_of(exc)[0] == "ValidationException"


def test_describe_stream_and_shard_rollover(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client, "NEW_IMAGE")
    table = client.describe_table(TableName=name)["Table"]
    client.put_item(TableName=name, Item=key("early"))
    deadline = time.monotonic() + 10
    while len(all_shards(streams, arn)) < 2:  # past a rollover (3 s)
        assert time.monotonic() < deadline, "no second shard"
        time.sleep(0.2)
    client.put_item(TableName=name, Item=key("late"))
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamArn"] == arn == table["LatestStreamArn"]
    assert description["StreamLabel"] == table["LatestStreamLabel"]
    assert arn.endswith("/stream/" + table["LatestStreamLabel"])
    assert description["StreamStatus"] == "ENABLED"
    assert description["StreamViewType"] == "NEW_IMAGE"
    assert description["TableName"] == name
    assert description["KeySchema"] == table["KeySchema"]
    shards = all_shards(streams, arn)
    assert len(shards) >= 2
    assert "ParentShardId" not in shards[0]
    for parent, child in zip(shards, shards[1:], strict=False):
        assert child["ParentShardId"] == parent["ShardId"]
    for shard in shards:
        numbers = shard["SequenceNumberRange"]
        assert numbers["StartingSequenceNumber"].isdigit()
        if shard is shards[-1]:
            assert "EndingSequenceNumber" not in numbers
        else:
            assert numbers["EndingSequenceNumber"].isdigit()
            assert int(numbers["StartingSequenceNumber"]) < int(numbers["EndingSequenceNumber"])
    assert len({s["ShardId"] for s in shards}) == len(shards)
    for limit in (1, 2):  # paging by Limit gives the same shards
        page = streams.describe_stream(StreamArn=arn, Limit=limit)["StreamDescription"]
        assert page["Shards"] == description["Shards"][:limit]
    # The first shard is closed: drained, it ends without NextShardIterator.
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + 5
    while True:  # the shard's last moments may take the settle time to become readable
        page = streams.get_records(ShardIterator=iterator)
        records += page["Records"]
        if "NextShardIterator" not in page:
            break
        assert time.monotonic() < deadline, "a closed shard never ended"
        iterator = page["NextShardIterator"]
        time.sleep(0.1)
    assert pks(records) == ["early"]
    # A reader following the lineage sees each record once.
    assert pks(records_of(streams, arn, 2)) == ["early", "late"]


def test_disable_and_enable_again(client: Any, streams: Any) -> None:
    name, first = create_stream_table(client, "KEYS_ONLY")
    client.put_item(TableName=name, Item=key("one"))
    records_of(streams, first, 1)
    client.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    client.put_item(TableName=name, Item=key("unseen"))  # no stream now
    description = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in description["Shards"])
    table = client.update_table(
        TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    )["TableDescription"]
    second = table["LatestStreamArn"]
    assert second != first
    assert table["LatestStreamLabel"] != first.rsplit("/", 1)[1]
    client.put_item(TableName=name, Item=key("two"))
    assert pks(records_of(streams, first, 1)) == ["one"]
    assert pks(records_of(streams, second, 1)) == ["two"]
    assert streams.describe_stream(StreamArn=first)["StreamDescription"]["StreamStatus"] == (
        "DISABLED"
    )
    new = streams.describe_stream(StreamArn=second)["StreamDescription"]
    assert (new["StreamStatus"], new["StreamViewType"]) == ("ENABLED", "NEW_IMAGE")
    listed = streams.list_streams(TableName=name)["Streams"]
    assert sorted(s["StreamArn"] for s in listed) == sorted([first, second])
    assert all(s["TableName"] == name for s in listed)
    assert {s["StreamLabel"] for s in listed} == {first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]}
    page = streams.list_streams(TableName=name, Limit=1)
    assert len(page["Streams"]) == 1
    rest = streams.list_streams(
        TableName=name, ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"]
    )
    assert "LastEvaluatedStreamArn" not in rest
    assert sorted(s["StreamArn"] for s in page["Streams"] + rest["Streams"]) == sorted(
        [first, second]
    )
    everything = [s["StreamArn"] for s in streams.list_streams()["Streams"]]
    assert first in everything and second in everything


def test_expired_iterator(client: Any, streams: Any) -> None:
    """An iterator made 16 minutes ago is refused. The test cannot wait 15 minutes, so it
    makes older iterators itself, signed with the server's secrets key (given to the server
    by the test): base64 of JSON whose "t" is its creation time in microseconds on the
    store's clock, followed by its MAC."""
    iterator = _new_iterator(client, streams)
    state = json.loads(_opened(iterator))
    assert "Records" in streams.get_records(ShardIterator=iterator)
    fresh = dict(state, t=state["t"] - 14 * 60 * 1_000_000)
    assert "Records" in streams.get_records(ShardIterator=_signed_iterator(fresh))
    state["t"] -= 16 * 60 * 1_000_000
    with pytest.raises(streams.exceptions.ExpiredIteratorException):
        streams.get_records(ShardIterator=_signed_iterator(state))


def test_forged_iterator_is_refused(client: Any, streams: Any) -> None:
    """A shard iterator carries a MAC: one whose content was changed, or that was made up,
    is an invalid iterator, not a way to another stream or a longer life."""
    iterator = _new_iterator(client, streams)
    state = json.loads(_opened(iterator))
    unsigned = base64.urlsafe_b64encode(json.dumps(dict(state, t=state["t"] + 1)).encode())
    raw = base64.urlsafe_b64decode(iterator)
    flipped = base64.urlsafe_b64encode(raw[:-1] + bytes((raw[-1] ^ 1,)))
    for forged in (unsigned.decode(), flipped.decode()):
        with pytest.raises(streams.exceptions.ClientError) as excinfo:
            streams.get_records(ShardIterator=forged)
        assert error_of(excinfo) == ("ValidationException", "Invalid ShardIterator")


def _new_iterator(client: Any, streams: Any) -> str:
    """A TRIM_HORIZON iterator of the first shard of a new table's stream."""
    _, arn = create_stream_table(client, "KEYS_ONLY")
    shard = all_shards(streams, arn)[0]["ShardId"]
    reply = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    return str(reply["ShardIterator"])


def _opened(iterator: str) -> bytes:
    data = _sealer().verify(base64.urlsafe_b64decode(iterator), "shard iterator")
    assert data is not None
    return data


def _signed_iterator(state: dict[str, Any]) -> str:
    signed = _sealer().sign(json.dumps(state).encode(), "shard iterator")
    return base64.urlsafe_b64encode(signed).decode()


def _sealer() -> Any:
    """The server's secrets key (the test gave it), which signs shard iterators."""
    from opendynamo.engine.secrets import Sealer

    return Sealer(base64.b64decode(SECRETS_KEY))


def test_ttl_deletion_has_the_service_identity(client: Any, streams: Any) -> None:
    name, arn = create_stream_table(client, "NEW_AND_OLD_IMAGES")
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    expired = {**key("expired"), "expires": {"N": str(int(time.time()) - 60)}}
    client.put_item(TableName=name, Item=expired)
    client.put_item(TableName=name, Item=key("mine"))
    client.delete_item(TableName=name, Key=key("mine"))
    found = records_of(streams, arn, 4)
    removes = {pks([r])[0]: r for r in found if r["eventName"] == "REMOVE"}
    assert set(removes) == {"expired", "mine"}
    assert removes["expired"]["userIdentity"] == SERVICE
    assert removes["expired"]["dynamodb"]["OldImage"] == expired
    assert removes["expired"]["dynamodb"]["Keys"] == key("expired")
    assert "userIdentity" not in removes["mine"]
    assert all("userIdentity" not in r for r in found if r["eventName"] == "INSERT")


def test_list_streams_paging(client: Any, streams: Any) -> None:
    made = [create_stream_table(client, "KEYS_ONLY")[1] for _ in range(3)]
    create_stream_table(client, None)  # no stream: not listed
    seen: list[str] = []
    params: dict[str, Any] = {"Limit": 1}
    for _ in range(1000):
        page = streams.list_streams(**params)
        assert len(page["Streams"]) <= 1
        seen += [s["StreamArn"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        assert page["LastEvaluatedStreamArn"] == page["Streams"][-1]["StreamArn"]
        params["ExclusiveStartStreamArn"] = page["LastEvaluatedStreamArn"]
    assert len(seen) == len(set(seen))
    assert set(made) <= set(seen)
    everything = streams.list_streams()["Streams"]
    assert [s["StreamArn"] for s in everything] == seen
    two = streams.list_streams(Limit=2)
    assert [s["StreamArn"] for s in two["Streams"]] == seen[:2]


# Refusals and corner cases where the server differs from DynamoDB. The DynamoDB answers
# are from ScyllaDB's alternator test_streams.py, whose tests are run against AWS (`--aws`);
# the test named in each reason pins the behaviour.
GARBAGE_ARN = "sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf"


def test_malformed_stream_arn_is_a_validation_error(client: Any, streams: Any) -> None:
    _, arn = create_stream_table(client, "KEYS_ONLY")
    shard = all_shards(streams, arn)[0]["ShardId"]
    with pytest.raises(streams.exceptions.ClientError) as exc:
        streams.describe_stream(StreamArn=GARBAGE_ARN)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(streams.exceptions.ClientError) as exc:
        streams.get_shard_iterator(StreamArn=GARBAGE_ARN, ShardId=shard, ShardIteratorType="LATEST")
    assert error_of(exc)[0] == "ValidationException"


def test_list_streams_malformed_start_arn(client: Any, streams: Any) -> None:
    name, _ = create_stream_table(client, "KEYS_ONLY")
    with pytest.raises(streams.exceptions.ClientError) as exc:
        streams.list_streams(TableName=name, ExclusiveStartStreamArn=GARBAGE_ARN)
    assert error_of(exc)[0] == "ValidationException"


def test_list_streams_limit_above_100(streams: Any) -> None:
    with pytest.raises(streams.exceptions.ClientError) as exc:
        streams.list_streams(Limit=101)
    assert error_of(exc)[0] == "ValidationException"


def test_describe_stream_unknown_start_shard(client: Any, streams: Any) -> None:
    _, arn = create_stream_table(client, "KEYS_ONLY")
    description = streams.describe_stream(
        StreamArn=arn,
        ExclusiveStartShardId="zzzzzzzzzzzzzzzzzzzzzzzzsfasdgagadfadfgagkjsdfsfsdjfjks",
    )["StreamDescription"]
    assert description["Shards"] == []
