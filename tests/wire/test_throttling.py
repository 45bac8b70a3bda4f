"""Provisioned throughput enforcement (`opendynamo serve --enforce-capacity`), as DynamoDB throttles.

Pinned behaviour (AWS "Provisioned capacity mode", "Burst capacity", "Troubleshooting
throttling" pages; BatchWriteItem / BatchGetItem API references):
- A PROVISIONED table with 1 RCU / 1 WCU serves about one strongly consistent 1-unit read and
  one 1 KB write per second. A burst well above that is refused with
  ProvisionedThroughputExceededException (HTTP 400, retryable by the SDKs): "The level of
  configured provisioned throughput for the table was exceeded. Consider increasing your
  provisioning level with the UpdateTable API.", with ThrottlingReasons naming
  Table{Read,Write}ProvisionedThroughputExceeded and the table's ARN.
- Read and write capacity are separate: exhausting reads does not throttle writes.
- Capacity refills continuously at the provisioned rate: after a pause of a couple of seconds the
  table serves again.
- PAY_PER_REQUEST tables are never throttled for provisioned throughput.
- BatchWriteItem / BatchGetItem on a table without enough capacity process what they can and
  return the rest in UnprocessedItems / UnprocessedKeys (same shape as the request); when none
  of the items can be processed the whole call fails with ProvisionedThroughputExceededException.
- Without `--enforce-capacity` capacity is only reported, never enforced.

The tests assume a token bucket per table and kind (read / write) that starts with one second's
worth of capacity, refills continuously at the provisioned rate and keeps up to 300 seconds of
unused capacity; beyond that they allow generous timing margins, so a slow machine only makes
them more lenient.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import CREDENTIALS, REGION, Backend, Server

THROTTLED = "ProvisionedThroughputExceededException"
THROTTLED_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)
BURST = 30
PAUSE = 2.5  # seconds: refills a 1-unit bucket at least twice over


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    """A dedicated server that enforces provisioned throughput."""
    data: Path = tmp_path_factory.mktemp("throttling")
    srv = Server(data, workers=2, extra_args=("--enforce-capacity", *backend())).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(enforcing: Server) -> Any:
    """A client that never retries. Server.client()'s `max_attempts: 1` still allows one
    retry in botocore's legacy mode, which would hide throttling behind a backoff sleep."""
    return boto3.client(
        "dynamodb",
        endpoint_url=enforcing.endpoint,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )


def create(client: Any, billing: str = "PROVISIONED", rcu: int = 1, wcu: int = 1) -> str:
    name = f"t-{uuid.uuid4().hex[:12]}"
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        params["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
    client.create_table(**params)
    return name


def hkey(value: str) -> dict[str, Any]:
    return {"pk": {"S": value}}


def kb_item(key: str, size: int = 1024) -> dict[str, Any]:
    """An item of exactly `size` bytes ("pk" + key + "b" + filler)."""
    return {"pk": {"S": key}, "b": {"S": "x" * (size - len("pk") - len(key) - len("b"))}}


def burst(call: Callable[[int], Any], count: int = BURST) -> tuple[int, list[ClientError]]:
    """Run `call(i)` `count` times as fast as possible: (successes, throttling errors)."""
    ok, throttled = 0, []
    for i in range(count):
        try:
            call(i)
            ok += 1
        except ClientError as exc:
            if exc.response["Error"]["Code"] != THROTTLED:
                raise
            throttled.append(exc)
    return ok, throttled


def allowed(rate: float, since: float) -> float:
    """The most units a bucket that started with one second's worth can have handed out since
    `since` (measured before the table was created), plus one request admitted on credit."""
    return rate * (1 + (time.monotonic() - since)) + 1


# --------------------------------------------------------------------------- reads


def test_read_burst_is_throttled_then_served_again(client: Any) -> None:
    start = time.monotonic()
    name = create(client, rcu=1, wcu=50)
    client.put_item(TableName=name, Item=hkey("a"))

    def read(_: int) -> Any:
        return client.get_item(TableName=name, Key=hkey("a"), ConsistentRead=True)

    ok, throttled = burst(read)
    assert throttled, "a burst of strongly consistent reads exceeds 1 RCU"
    assert 1 <= ok <= allowed(1, start)
    error = throttled[0].response["Error"]
    assert (error["Code"], error["Message"]) == (THROTTLED, THROTTLED_MESSAGE)
    assert throttled[0].response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert throttled[0].response["ResponseMetadata"]["RetryAttempts"] == 0

    # Write capacity is separate from read capacity.
    client.put_item(TableName=name, Item=hkey("b"))

    time.sleep(PAUSE)
    assert client.get_item(TableName=name, Key=hkey("a"), ConsistentRead=True)["Item"] == hkey("a")


# --------------------------------------------------------------------------- transactions
# TransactionCanceledException's documentation (TransactWriteItems and TransactGetItems API
# references): a transaction is cancelled when "there is insufficient provisioned capacity for
# the transaction to be completed", with the reason ProvisionedThroughputExceeded for the
# action that met it. Each item read in a transaction costs 2 read units per 4 KB.

CANCELLED = "TransactionCanceledException"


def reasons_of(error: ClientError) -> list[str]:
    return [reason["Code"] for reason in error.response["CancellationReasons"]]


def test_transactional_reads_are_charged_two_units_per_item(client: Any) -> None:
    name = create(client, rcu=1, wcu=50)
    keys = [f"k{i}" for i in range(5)]
    for key in keys:
        client.put_item(TableName=name, Item=hkey(key))
    gets = [{"Get": {"TableName": name, "Key": hkey(key)}} for key in keys]
    reply = client.transact_get_items(TransactItems=gets, ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"] == [{"TableName": name, "CapacityUnits": 10.0}]
    # Ten units drawn from a bucket of about one: the next read finds it empty.
    with pytest.raises(ClientError) as excinfo:
        client.get_item(TableName=name, Key=hkey("k0"), ConsistentRead=True)
    assert excinfo.value.response["Error"]["Code"] == THROTTLED


def test_transactional_reads_without_capacity_cancel_the_transaction(client: Any) -> None:
    name = create(client, rcu=1, wcu=50)
    other = create(client, billing="PAY_PER_REQUEST")
    client.put_item(TableName=name, Item=hkey("a"))
    client.put_item(TableName=other, Item=hkey("b"))
    gets = [
        {"Get": {"TableName": other, "Key": hkey("b")}},
        {"Get": {"TableName": name, "Key": hkey("a")}},
    ]
    errors = []
    for _ in range(BURST):
        try:
            client.transact_get_items(TransactItems=gets)
        except ClientError as exc:
            errors.append(exc)
    assert errors, "a burst of transactional reads exceeds 1 RCU"
    error = errors[0].response["Error"]
    assert error["Code"] == CANCELLED
    assert error["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ProvisionedThroughputExceeded]"
    )
    assert errors[0].response["CancellationReasons"][1] == {
        "Code": "ProvisionedThroughputExceeded",
        "Message": THROTTLED_MESSAGE,
    }
    # ExecuteTransaction's reads are the same transaction.
    with pytest.raises(ClientError) as excinfo:
        client.execute_transaction(
            TransactStatements=[{"Statement": f"SELECT * FROM \"{name}\" WHERE pk = 'a'"}]
        )
    assert excinfo.value.response["Error"]["Code"] == CANCELLED
    assert reasons_of(excinfo.value) == ["ProvisionedThroughputExceeded"]


def test_transactional_writes_without_capacity_cancel_the_transaction(client: Any) -> None:
    name = create(client, rcu=50, wcu=1)
    other = create(client, billing="PAY_PER_REQUEST")
    errors = []
    for i in range(BURST):
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": name, "Item": hkey(f"w{i}")}},
                    {"Put": {"TableName": other, "Item": hkey(f"w{i}")}},
                ]
            )
        except ClientError as exc:
            errors.append((i, exc))
    assert errors, "a burst of transactional writes exceeds 1 WCU"
    index, first = errors[0]
    assert first.response["Error"]["Code"] == CANCELLED
    assert reasons_of(first) == ["ProvisionedThroughputExceeded", "None"]
    assert first.response["CancellationReasons"][0]["Message"] == THROTTLED_MESSAGE
    # Nothing of a cancelled transaction is written, on either table.
    for table in (name, other):
        found = client.get_item(TableName=table, Key=hkey(f"w{index}"), ConsistentRead=True)
        assert "Item" not in found
    with pytest.raises(ClientError) as excinfo:
        client.execute_transaction(
            TransactStatements=[
                {"Statement": f"INSERT INTO \"{other}\" VALUE {{'pk': 'x'}}"},
                {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'x'}}"},
            ]
        )
    assert excinfo.value.response["Error"]["Code"] == CANCELLED
    assert reasons_of(excinfo.value) == ["None", "ProvisionedThroughputExceeded"]


# --------------------------------------------------------------------------- writes


def test_write_burst_is_throttled_then_served_again(client: Any) -> None:
    start = time.monotonic()
    name = create(client, rcu=50, wcu=1)

    def write(i: int) -> Any:
        return client.put_item(TableName=name, Item=hkey(f"w{i}"))

    ok, throttled = burst(write)
    assert throttled, "a burst of writes exceeds 1 WCU"
    assert 1 <= ok <= allowed(1, start)
    error = throttled[0].response["Error"]
    assert (error["Code"], error["Message"]) == (THROTTLED, THROTTLED_MESSAGE)

    # Read capacity is separate from write capacity.
    client.get_item(TableName=name, Key=hkey("w0"), ConsistentRead=True)

    time.sleep(PAUSE)
    client.put_item(TableName=name, Item=hkey("after"))
    assert client.get_item(TableName=name, Key=hkey("after"), ConsistentRead=True)["Item"] == hkey(
        "after"
    )


def test_throttling_reasons_name_the_limit_and_the_table(client: Any) -> None:
    name = create(client, rcu=1, wcu=1)
    arn = client.describe_table(TableName=name)["Table"]["TableArn"]
    client.put_item(TableName=name, Item=hkey("a"))
    _, read_errors = burst(
        lambda _: client.get_item(TableName=name, Key=hkey("a"), ConsistentRead=True)
    )
    _, write_errors = burst(lambda i: client.put_item(TableName=name, Item=hkey(f"w{i}")))
    assert read_errors and write_errors
    assert read_errors[0].response["ThrottlingReasons"] == [
        {"reason": "TableReadProvisionedThroughputExceeded", "resource": arn}
    ]
    assert write_errors[0].response["ThrottlingReasons"] == [
        {"reason": "TableWriteProvisionedThroughputExceeded", "resource": arn}
    ]


# --------------------------------------------------------------------------- on-demand


def test_pay_per_request_table_is_never_throttled(client: Any) -> None:
    name = create(client, billing="PAY_PER_REQUEST")
    ok, throttled = burst(lambda i: client.put_item(TableName=name, Item=kb_item(f"w{i}", 2048)))
    assert (ok, throttled) == (BURST, [])
    ok, throttled = burst(
        lambda i: client.get_item(TableName=name, Key=hkey(f"w{i}"), ConsistentRead=True)
    )
    assert (ok, throttled) == (BURST, [])
    reply = client.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": kb_item(f"b{i}")}} for i in range(25)]}
    )
    assert reply["UnprocessedItems"] == {}


# --------------------------------------------------------------------------- BatchWriteItem


def test_batch_write_returns_what_capacity_did_not_allow(client: Any) -> None:
    start = time.monotonic()
    name = create(client, rcu=100, wcu=1)
    requests = [{"PutRequest": {"Item": kb_item(f"b{i:02d}")}} for i in range(25)]
    reply = client.batch_write_item(RequestItems={name: requests})

    unprocessed = reply["UnprocessedItems"]
    assert set(unprocessed) == {name}
    left = unprocessed[name]
    assert all(request in requests for request in left), "same shape as the request"
    processed = [r for r in requests if r not in left]
    assert 1 <= len(processed) <= allowed(1, start)

    keys = [{"pk": r["PutRequest"]["Item"]["pk"]} for r in requests]
    got = client.batch_get_item(RequestItems={name: {"Keys": keys, "ConsistentRead": True}})
    stored = {item["pk"]["S"] for item in got["Responses"][name]}
    assert stored == {r["PutRequest"]["Item"]["pk"]["S"] for r in processed}


def test_batch_write_with_no_capacity_left_fails_whole_call(client: Any) -> None:
    name = create(client, rcu=100, wcu=1)
    _, throttled = burst(lambda i: client.put_item(TableName=name, Item=kb_item(f"w{i}")))
    assert throttled
    # Items of 4 KB (4 units each) so that what refills while the next call travels cannot pay
    # for one. A bucket that admits on credit may still let one call through; the next one then
    # finds nothing left.
    requests = [{"PutRequest": {"Item": kb_item(f"b{i:02d}", 4096)}} for i in range(10)]
    for _ in range(3):
        try:
            reply = client.batch_write_item(RequestItems={name: requests})
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == THROTTLED
            break
        left = reply["UnprocessedItems"].get(name, [])
        assert 0 < len(left) < len(requests), "a reply means part of the batch was written"
        requests = left
    else:
        pytest.fail("BatchWriteItem never failed although no capacity was left")


# --------------------------------------------------------------------------- BatchGetItem


def test_batch_get_returns_what_capacity_did_not_allow(client: Any) -> None:
    start = time.monotonic()
    name = create(client, rcu=1, wcu=100)
    names = [f"g{i:02d}" for i in range(20)]
    reply = client.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": hkey(n)}} for n in names]}
    )
    assert reply["UnprocessedItems"] == {}

    request = {name: {"Keys": [hkey(n) for n in names], "ConsistentRead": True}}
    reply = client.batch_get_item(RequestItems=request)
    read = [item["pk"]["S"] for item in reply["Responses"].get(name, [])]
    assert 1 <= len(read) <= allowed(1, start)
    unprocessed = reply["UnprocessedKeys"]
    assert unprocessed[name]["ConsistentRead"] is True, "same shape as the request"
    assert sorted(read + [k["pk"]["S"] for k in unprocessed[name]["Keys"]]) == names

    # Nothing left: the next attempts fail as a whole (a bucket admitting on credit may let
    # one more through first).
    for _ in range(3):
        try:
            reply = client.batch_get_item(RequestItems=unprocessed)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == THROTTLED
            break
        assert reply["Responses"].get(name), "a reply means part of the batch was read"
        unprocessed = reply["UnprocessedKeys"]
    else:
        pytest.fail("BatchGetItem never failed although no capacity was left")


# --------------------------------------------------------------------------- not enforced


def test_shared_server_without_flag_never_throttles(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    name = make_table(
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    ok, throttled = burst(lambda i: ddb.put_item(TableName=name, Item=kb_item(f"w{i}")))
    assert (ok, throttled) == (BURST, [])
    ok, throttled = burst(
        lambda i: ddb.get_item(TableName=name, Key=hkey(f"w{i}"), ConsistentRead=True)
    )
    assert (ok, throttled) == (BURST, [])
    reply = ddb.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": kb_item(f"b{i}", 4096)}} for i in range(25)]},
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["UnprocessedItems"] == {}
    # Capacity is still reported: 25 items of 4 KB are 100 write units on a 1 WCU table.
    assert reply["ConsumedCapacity"] == [{"TableName": name, "CapacityUnits": 100.0}]
