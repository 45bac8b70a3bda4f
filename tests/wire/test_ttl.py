"""Time to Live: UpdateTimeToLive, DescribeTimeToLive and the housekeeper's sweep.

Pinned behaviour (DynamoDB's):
- DescribeTimeToLive of a new table is `{"TimeToLiveStatus": "DISABLED"}`; after enabling,
  ENABLING with its AttributeName, then ENABLED; after disabling, DISABLING, then DISABLED.
- UpdateTimeToLive answers the TimeToLiveSpecification given. Refused with ValidationException,
  in this order: another attribute than the active one ("TimeToLive is active on a different
  AttributeName: current AttributeName is X"), enabling when enabled ("TimeToLive is already
  enabled"), disabling when disabled ("TimeToLive is already disabled"), then a second change
  within the interval ("Time to live has been modified multiple times within a fixed
  interval"); a missing table is ResourceNotFoundException.
- An item whose TTL attribute is a Number of epoch seconds in the past is deleted by the
  sweep, with its index entries, and the counts follow; an item with a future time, a TTL
  attribute of another type, or none, stays, and so does one whose time is more than five
  years back. Until the sweep, an expired item is still read by GetItem, Query and Scan.

Ours: the sweep reads an expiry index (engine/expiry) kept by every write while TTL is enabled,
built in the background for the items a table holds when TTL is enabled, and dropped when it
is disabled. These tests read it from the store beside the server (`expiry_index`).

The server is dedicated and quick: a sweep every 0.3 s (`--ttl-interval`), a status change
settles after 1.5 s (OPENDYNAMO_TTL_TRANSITION; DynamoDB is observed to settle within a
second or two), and the change interval (an hour in DynamoDB) is 3 s
(OPENDYNAMO_TTL_CHANGE_INTERVAL).

Sources: AWS API reference (UpdateTimeToLive, DescribeTimeToLive, TimeToLiveDescription), the
developer guide "Time to Live (TTL)", live-AWS captures in the ack-api-quirks catalogue
(DDB-TABLE-115..147), ScyllaDB's alternator test_ttl.py, and error texts quoted by
aws/aws-cdk#13720 and go-to-k/cdkd#932.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from opendynamo.config import Settings
from opendynamo.engine import catalog, expiry
from opendynamo.model import keycodec, layout
from opendynamo.storage.base import prefix_end
from tests.conftest import Backend, Server, backend_of, error_of
from tests.wire.helpers import create_table, eventually

ENV = {"OPENDYNAMO_TTL_TRANSITION": "1.5", "OPENDYNAMO_TTL_CHANGE_INTERVAL": "3"}
CHANGE_INTERVAL = float(ENV["OPENDYNAMO_TTL_CHANGE_INTERVAL"])


@pytest.fixture(scope="module")
def ttl_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    args = (*backend(), "--ttl-interval", "0.3")
    server = Server(tmp_path_factory.mktemp("ttl"), env=ENV, extra_args=args).start()
    yield server
    server.stop()


def ttl_status(client: Any, table: str) -> dict[str, Any]:
    return dict(client.describe_time_to_live(TableName=table)["TimeToLiveDescription"])


def enable(client: Any, table: str, attribute: str = "expires") -> dict[str, Any]:
    spec = {"Enabled": True, "AttributeName": attribute}
    return dict(client.update_time_to_live(TableName=table, TimeToLiveSpecification=spec))


def wait_status(client: Any, table: str, wanted: str, timeout: float = 10.0) -> None:
    eventually(
        lambda: ttl_status(client, table)["TimeToLiveStatus"] == wanted,
        timeout,
        0.1,
        f"TTL of {table} never became {wanted}",
    )


def past_the_change_interval(changed: float) -> None:
    """Sleep until the change interval (OPENDYNAMO_TTL_CHANGE_INTERVAL) has passed, with 0.1 s
    to spare, since the change answered at `changed` (time.monotonic()). Only the clock tells:
    the server shows no sign of it but accepting a change, and has no clock to move."""
    time.sleep(max(0.0, changed + CHANGE_INTERVAL + 0.1 - time.monotonic()))


def keys(client: Any, table: str, **extra: Any) -> set[str]:
    return {item["pk"]["S"] for item in client.scan(TableName=table, **extra)["Items"]}


def expiry_index(server: Server, table: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The table's expiry index as the server stored it: its state (None: none), and its
    entries in key order as (moment, pk)."""
    settings = Settings(data_dir=str(server.data_dir), backend=backend_of(server) or "")
    store = settings.open_store()
    try:
        meta = next(m for m in catalog.every_table(store) if m.name == table)
        prefix = layout.expiry_prefix(meta.uid_bytes)
        with store.read() as txn:
            keys = [key for key, _ in txn.range(prefix, prefix_end(prefix))]
    finally:
        store.close()
    entries = []
    for key in keys:
        moment, _ = keycodec.decode_value(key, len(prefix))
        pk, _ = keycodec.decode_key(expiry.item_key(prefix, key))
        entries.append((moment["N"], pk["S"]))
    state = expiry.state(meta)
    return None if state is None else state["state"], entries


def test_statuses_and_the_update_rules(ttl_server: Server) -> None:
    client = ttl_server.client()
    table = create_table(client, "ttl", gsi=("by_g", "g"))
    assert ttl_status(client, table) == {"TimeToLiveStatus": "DISABLED"}
    reply = enable(client, table)
    enabled = time.monotonic()
    assert reply["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert ttl_status(client, table) == {"TimeToLiveStatus": "ENABLING", "AttributeName": "expires"}
    with pytest.raises(client.exceptions.ClientError) as exc:
        enable(client, table)  # the setting is checked before the interval
    assert error_of(exc) == ("ValidationException", "TimeToLive is already enabled")
    with pytest.raises(client.exceptions.ClientError) as exc:
        enable(client, table, "other")
    assert error_of(exc) == (
        "ValidationException",
        "TimeToLive is active on a different AttributeName: current AttributeName is expires",
    )
    with pytest.raises(client.exceptions.ClientError) as exc:
        client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"}
        )  # within the change interval
    assert error_of(exc) == (
        "ValidationException",
        "Time to live has been modified multiple times within a fixed interval",
    )
    wait_status(client, table, "ENABLED")
    assert ttl_status(client, table) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    past_the_change_interval(enabled)
    with pytest.raises(client.exceptions.ClientError) as exc:
        enable(client, table)
    assert error_of(exc) == ("ValidationException", "TimeToLive is already enabled")
    spec = {"Enabled": False, "AttributeName": "expires"}
    client.update_time_to_live(TableName=table, TimeToLiveSpecification=spec)
    disabled = time.monotonic()
    assert ttl_status(client, table)["TimeToLiveStatus"] == "DISABLING"
    wait_status(client, table, "DISABLED")
    past_the_change_interval(disabled)
    with pytest.raises(client.exceptions.ClientError) as exc:
        client.update_time_to_live(TableName=table, TimeToLiveSpecification=spec)
    assert error_of(exc) == ("ValidationException", "TimeToLive is already disabled")

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        ttl_status(client, "no-such-table")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        enable(client, "no-such-table")


def test_the_sweep_deletes_expired_items_only(ttl_server: Server) -> None:
    client = ttl_server.client()
    table = create_table(client, "ttl", gsi=("by_g", "g"))
    now = int(time.time())
    items = {
        "past": {"expires": {"N": str(now - 60)}},
        "long-past": {"expires": {"N": str(now - 86400 * 365)}},
        "too-old": {"expires": {"N": "1"}},  # over five years back: DynamoDB ignores it
        "future": {"expires": {"N": str(now + 3600)}},
        "a-string": {"expires": {"S": str(now - 60)}},
        "none": {},
    }
    for key, extra in items.items():
        client.put_item(TableName=table, Item={"pk": {"S": key}, "g": {"S": "all"}, **extra})
    enable(client, table)
    # Expired but not yet swept (the sweep runs once TTL is ENABLED): still read everywhere.
    assert "past" in {i["pk"]["S"] for i in client.query(
        TableName=table, IndexName="by_g", KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "all"}})["Items"]}  # fmt: skip
    assert "Item" in client.get_item(TableName=table, Key={"pk": {"S": "past"}})
    assert keys(client, table) == set(items)

    wait_status(client, table, "ENABLED")
    eventually(
        lambda: keys(client, table) == {"future", "a-string", "none", "too-old"},
        10,
        0.1,
        lambda: f"left: {keys(client, table)}",
    )
    assert keys(client, table, IndexName="by_g") == {"future", "a-string", "none", "too-old"}
    assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 4
    # The items there before TTL was enabled were indexed in the background.
    future = str(now + 3600)
    assert expiry_index(ttl_server, table) == ("ACTIVE", [("1", "too-old"), (future, "future")])

    # An item written already expired goes at the next sweep; one renewed stays.
    client.put_item(TableName=table, Item={"pk": {"S": "late"}, "expires": {"N": str(now - 1)}})
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "future"}},
        UpdateExpression="SET expires = :t",
        ExpressionAttributeValues={":t": {"N": str(now + 7200)}},
    )
    eventually(lambda: "late" not in keys(client, table), 10, 0.1, "the late item was not swept")
    assert keys(client, table) == {"future", "a-string", "none", "too-old"}
    renewed = str(now + 7200)
    assert expiry_index(ttl_server, table) == ("ACTIVE", [("1", "too-old"), (renewed, "future")])


def test_the_expiry_index_follows_writes_and_goes_with_ttl(ttl_server: Server) -> None:
    client = ttl_server.client()
    table = create_table(client, "ttl")
    enable(client, table)
    enabled = time.monotonic()
    eventually(lambda: expiry_index(ttl_server, table)[0] == "ACTIVE", 10, 0.1, "never built")
    now = int(time.time())
    items = {
        "soon": {"N": str(now + 2)},
        "renewed": {"N": str(now + 2)},
        "huge": {"N": "1E+125"},  # never expires, and orders after every time
        "negative": {"N": "-5"},  # over five years back: never expires
        "a-string": {"S": str(now)},
    }
    for key, moment in items.items():
        client.put_item(TableName=table, Item={"pk": {"S": key}, "expires": moment})
    client.put_item(TableName=table, Item={"pk": {"S": "none"}})
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "renewed"}},
        UpdateExpression="SET expires = :t",
        ExpressionAttributeValues={":t": {"N": str(now + 3600)}},
    )
    renewed, huge = (str(now + 3600), "renewed"), ("1" + "0" * 125, "huge")  # as canonical
    assert expiry_index(ttl_server, table)[1] in (
        [("-5", "negative"), (str(now + 2), "soon"), renewed, huge],
        [("-5", "negative"), renewed, huge],  # the sweep was quick
    )
    eventually(lambda: "soon" not in keys(client, table), 10, 0.1, "the soon item was not swept")
    assert keys(client, table) == {"renewed", "huge", "negative", "a-string", "none"}
    assert expiry_index(ttl_server, table) == (
        "ACTIVE",
        [("-5", "negative"), renewed, huge],
    )

    # Disabling drops the index (in the background); writes no longer keep it.
    past_the_change_interval(enabled)
    spec = {"Enabled": False, "AttributeName": "expires"}
    client.update_time_to_live(TableName=table, TimeToLiveSpecification=spec)
    client.put_item(TableName=table, Item={"pk": {"S": "later"}, "expires": {"N": str(now)}})
    eventually(lambda: expiry_index(ttl_server, table) == (None, []), 10, 0.1, "never dropped")
