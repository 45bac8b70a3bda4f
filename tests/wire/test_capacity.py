"""ConsumedCapacity as DynamoDB reports it (developer guide: "Item sizes and formats", capacity units).

Pinned behaviour (AWS "Read/write capacity mode" and "Capacity unit consumption" pages, API
reference examples, dynalite's capacity tests recorded against live DynamoDB):
- ReturnConsumedCapacity TOTAL gives ``{"TableName": t, "CapacityUnits": u}``; INDEXES adds
  ``"Table": {"CapacityUnits": u}``; NONE or an absent parameter gives no ConsumedCapacity member.
- GetItem: ⌈size / 4 KB⌉ read units, halved when eventually consistent; a missing item still
  costs 1 (0.5 eventually consistent).
- PutItem: ⌈max(old, new) / 1 KB⌉ write units. UpdateItem: ⌈max(before, after) / 1 KB⌉.
  DeleteItem: ⌈deleted item's size / 1 KB⌉; deleting a missing item costs 1.
- Query and Scan: the sizes of all items read are summed — before any FilterExpression, whatever
  the ProjectionExpression or Select=COUNT — and rounded up to 4 KB once (not per item); halved
  when eventually consistent. A Scan does so once per partition it reads; the tables of these
  tests are provisioned small, so they have one (test_query_edges pins the partitions).
- BatchGetItem: each item (or missing key) rounded up to 4 KB separately, summed per table;
  BatchWriteItem: each request rounded up to 1 KB separately, summed per table. Both return a
  list with one entry per table.
- A failed conditional write answers ConditionalCheckFailedException without ConsumedCapacity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

KB = 1024


def s(value: str) -> dict[str, str]:
    return {"S": value}


def hkey(value: str) -> dict[str, Any]:
    return {"pk": s(value)}


def sized(key: str, total: int) -> dict[str, Any]:
    """An item of exactly `total` bytes: "pk" + key + "b" + filler (all strings)."""
    return {"pk": s(key), "b": s("x" * (total - len("pk") - len(key) - len("b")))}


def sized_ranged(hash_: str, range_: str, total: int) -> dict[str, Any]:
    """An item of a (pk, sk) table of exactly `total` bytes."""
    filler = total - len("pk") - len(hash_) - len("sk") - len(range_) - len("b")
    return {"pk": s(hash_), "sk": s(range_), "b": s("x" * filler)}


def expected(table: str, units: float, mode: str) -> dict[str, Any]:
    out: dict[str, Any] = {"TableName": table, "CapacityUnits": units}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": units}
    return out


MODES = pytest.mark.parametrize("mode", ["TOTAL", "INDEXES"])


# --------------------------------------------------------------------------- GetItem


@MODES
@pytest.mark.parametrize(
    ("size", "strong", "eventual"),
    [
        (None, 1.0, 0.5),
        (100, 1.0, 0.5),
        (4096, 1.0, 0.5),
        (4097, 2.0, 1.0),
        (12 * KB + 1, 4.0, 2.0),
    ],
    ids=["missing", "100", "4096", "4097", "12k+1"],
)
def test_get_item_reads_in_4_kb_units(
    ddb: Any, table: str, mode: str, size: int | None, strong: float, eventual: float
) -> None:
    if size is not None:
        ddb.put_item(TableName=table, Item=sized("g", size))
    for consistent, units in ((True, strong), (False, eventual)):
        reply = ddb.get_item(
            TableName=table, Key=hkey("g"), ConsistentRead=consistent, ReturnConsumedCapacity=mode
        )
        assert reply["ConsumedCapacity"] == expected(table, units, mode)


def test_get_item_projection_does_not_reduce_the_cost(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized("g", 9000))
    reply = ddb.get_item(
        TableName=table,
        Key=hkey("g"),
        ProjectionExpression="pk",
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["Item"] == hkey("g")
    assert reply["ConsumedCapacity"] == expected(table, 3.0, "TOTAL")


# --------------------------------------------------------------------------- PutItem


@MODES
@pytest.mark.parametrize(("size", "units"), [(1, 1.0), (1024, 1.0), (1025, 2.0), (4 * KB + 1, 5.0)])
def test_put_item_writes_in_1_kb_units(
    ddb: Any, table: str, mode: str, size: int, units: float
) -> None:
    item = sized("p", size) if size > 10 else hkey("p")
    reply = ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity=mode)
    assert reply["ConsumedCapacity"] == expected(table, units, mode)


def test_put_item_counts_the_larger_of_old_and_new(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized("p", 3000))
    shrink = ddb.put_item(TableName=table, Item=hkey("p"), ReturnConsumedCapacity="TOTAL")
    assert shrink["ConsumedCapacity"] == expected(table, 3.0, "TOTAL")
    grow = ddb.put_item(TableName=table, Item=sized("p", 2500), ReturnConsumedCapacity="TOTAL")
    assert grow["ConsumedCapacity"] == expected(table, 3.0, "TOTAL")


# --------------------------------------------------------------------------- UpdateItem


def test_update_item_counts_the_larger_of_before_and_after(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized("u", 2000))
    # After: 2000 + len("c") + len("v") = 2002 bytes.
    grow = ddb.update_item(
        TableName=table,
        Key=hkey("u"),
        UpdateExpression="SET c = :v",
        ExpressionAttributeValues={":v": s("v")},
        ReturnConsumedCapacity="TOTAL",
    )
    assert grow["ConsumedCapacity"] == expected(table, 2.0, "TOTAL")
    # Before 2002 bytes, after 5 bytes ("pk" + "u" + "c" + "v").
    shrink = ddb.update_item(
        TableName=table,
        Key=hkey("u"),
        UpdateExpression="REMOVE b",
        ReturnConsumedCapacity="INDEXES",
    )
    assert shrink["ConsumedCapacity"] == expected(table, 2.0, "INDEXES")
    small = ddb.update_item(
        TableName=table,
        Key=hkey("u"),
        UpdateExpression="SET d = :v",
        ExpressionAttributeValues={":v": s("v")},
        ReturnConsumedCapacity="TOTAL",
    )
    assert small["ConsumedCapacity"] == expected(table, 1.0, "TOTAL")


def test_update_item_creating_an_item_counts_its_new_size(ddb: Any, table: str) -> None:
    # New item: "pk" + "n" + "b" + 1500 bytes = 1504 bytes → 2 units.
    reply = ddb.update_item(
        TableName=table,
        Key=hkey("n"),
        UpdateExpression="SET b = :v",
        ExpressionAttributeValues={":v": s("x" * 1500)},
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["ConsumedCapacity"] == expected(table, 2.0, "TOTAL")


# --------------------------------------------------------------------------- DeleteItem


@MODES
@pytest.mark.parametrize(("size", "units"), [(None, 1.0), (2048, 2.0), (2049, 3.0)])
def test_delete_item_counts_the_deleted_item(
    ddb: Any, table: str, mode: str, size: int | None, units: float
) -> None:
    if size is not None:
        ddb.put_item(TableName=table, Item=sized("d", size))
    reply = ddb.delete_item(TableName=table, Key=hkey("d"), ReturnConsumedCapacity=mode)
    assert reply["ConsumedCapacity"] == expected(table, units, mode)


# --------------------------------------------------------------------------- failed conditions


def test_failed_conditional_writes_return_no_consumed_capacity(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized("c", 3000))
    calls: list[Callable[[], Any]] = [
        lambda: ddb.put_item(
            TableName=table,
            Item=hkey("c"),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        ),
        lambda: ddb.update_item(
            TableName=table,
            Key=hkey("c"),
            UpdateExpression="SET z = :z",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":z": s("z")},
            ReturnConsumedCapacity="INDEXES",
        ),
        lambda: ddb.delete_item(
            TableName=table,
            Key=hkey("c"),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        response = excinfo.value.response
        assert response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert "ConsumedCapacity" not in response


# --------------------------------------------------------------------------- Query and Scan


@pytest.fixture
def three_items(ddb: Any, make_table: Callable[..., str]) -> str:
    """A (pk, sk) table of one partition (provisioned 5/5) holding three items of 1,500 bytes
    under pk "p" (4,500 bytes in all: 2 read units when rounded once, 3 if each item were
    rounded separately) and one more under pk "q" (so a Scan reads 6,000 bytes: still 2 units
    rounded once, 4 item by item)."""
    table = make_table(
        range_key=("sk", "S"),
        billing=None,
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    for sk in ("1", "2", "3"):
        ddb.put_item(TableName=table, Item=sized_ranged("p", sk, 1500))
    ddb.put_item(TableName=table, Item=sized_ranged("q", "1", 1500))
    return table


@MODES
def test_query_rounds_the_sum_of_items_read_once(ddb: Any, three_items: str, mode: str) -> None:
    common = {
        "TableName": three_items,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": s("p")},
        "ReturnConsumedCapacity": mode,
    }
    strong = ddb.query(ConsistentRead=True, **common)
    assert strong["Count"] == 3
    assert strong["ConsumedCapacity"] == expected(three_items, 2.0, mode)
    eventual = ddb.query(**common)
    assert eventual["ConsumedCapacity"] == expected(three_items, 1.0, mode)


def test_query_cost_ignores_filter_projection_and_count(ddb: Any, three_items: str) -> None:
    common = {
        "TableName": three_items,
        "KeyConditionExpression": "pk = :p",
        "ConsistentRead": True,
        "ReturnConsumedCapacity": "TOTAL",
    }
    filtered = ddb.query(
        FilterExpression="b = :none",
        ExpressionAttributeValues={":p": s("p"), ":none": s("nothing")},
        **common,
    )
    assert (filtered["Count"], filtered["ScannedCount"]) == (0, 3)
    assert filtered["ConsumedCapacity"] == expected(three_items, 2.0, "TOTAL")
    projected = ddb.query(
        ProjectionExpression="sk", ExpressionAttributeValues={":p": s("p")}, **common
    )
    assert projected["Items"] == [{"sk": s("1")}, {"sk": s("2")}, {"sk": s("3")}]
    assert projected["ConsumedCapacity"] == expected(three_items, 2.0, "TOTAL")
    counted = ddb.query(Select="COUNT", ExpressionAttributeValues={":p": s("p")}, **common)
    assert counted["Count"] == 3 and "Items" not in counted
    assert counted["ConsumedCapacity"] == expected(three_items, 2.0, "TOTAL")


def test_query_reads_only_the_matching_range(ddb: Any, three_items: str) -> None:
    # Two items of 1,500 bytes read: 3,000 bytes → 1 unit.
    reply = ddb.query(
        TableName=three_items,
        KeyConditionExpression="pk = :p AND sk <= :s",
        ExpressionAttributeValues={":p": s("p"), ":s": s("2")},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["Count"] == 2
    assert reply["ConsumedCapacity"] == expected(three_items, 1.0, "TOTAL")


@MODES
def test_scan_rounds_the_sum_of_items_read_once(ddb: Any, three_items: str, mode: str) -> None:
    strong = ddb.scan(TableName=three_items, ConsistentRead=True, ReturnConsumedCapacity=mode)
    assert strong["Count"] == 4
    assert strong["ConsumedCapacity"] == expected(three_items, 2.0, mode)
    eventual = ddb.scan(TableName=three_items, ReturnConsumedCapacity=mode)
    assert eventual["ConsumedCapacity"] == expected(three_items, 1.0, mode)


def test_scan_cost_ignores_filter_and_count(ddb: Any, three_items: str) -> None:
    filtered = ddb.scan(
        TableName=three_items,
        FilterExpression="sk = :one",
        ExpressionAttributeValues={":one": s("1")},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert (filtered["Count"], filtered["ScannedCount"]) == (2, 4)
    assert filtered["ConsumedCapacity"] == expected(three_items, 2.0, "TOTAL")
    counted = ddb.scan(
        TableName=three_items, Select="COUNT", ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    )
    assert counted["ConsumedCapacity"] == expected(three_items, 2.0, "TOTAL")


# --------------------------------------------------------------------------- batches


def by_table(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    assert isinstance(entries, list)
    out = {entry["TableName"]: entry for entry in entries}
    assert len(out) == len(entries), "one entry per table"
    return out


@MODES
def test_batch_get_rounds_each_item_and_sums_per_table(
    ddb: Any, make_table: Callable[..., str], mode: str
) -> None:
    first, second = make_table(), make_table()
    ddb.put_item(TableName=first, Item=sized("a", 4096))  # 1 unit
    ddb.put_item(TableName=first, Item=sized("b", 4097))  # 2 units
    keys = [hkey("a"), hkey("b"), hkey("missing")]  # the missing key costs 1 unit too
    for consistent, units in ((True, 4.0), (False, 2.0)):
        reply = ddb.batch_get_item(
            RequestItems={
                first: {"Keys": keys, "ConsistentRead": consistent},
                second: {"Keys": [hkey("none")], "ConsistentRead": consistent},
            },
            ReturnConsumedCapacity=mode,
        )
        assert len(reply["Responses"][first]) == 2
        assert by_table(reply["ConsumedCapacity"]) == {
            first: expected(first, units, mode),
            second: expected(second, units / 4, mode),
        }


def test_batch_get_projection_does_not_reduce_the_cost(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized("a", 5000))
    reply = ddb.batch_get_item(
        RequestItems={
            table: {"Keys": [hkey("a")], "ProjectionExpression": "pk", "ConsistentRead": True}
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["Responses"][table] == [hkey("a")]
    assert reply["ConsumedCapacity"] == [expected(table, 2.0, "TOTAL")]


@MODES
def test_batch_write_rounds_each_item_and_sums_per_table(
    ddb: Any, make_table: Callable[..., str], mode: str
) -> None:
    first, second = make_table(), make_table()
    reply = ddb.batch_write_item(
        RequestItems={
            first: [
                {"PutRequest": {"Item": sized("a", 1024)}},  # 1 unit
                {"PutRequest": {"Item": sized("b", 1025)}},  # 2 units
                {"DeleteRequest": {"Key": hkey("missing")}},  # 1 unit
            ],
            second: [{"PutRequest": {"Item": hkey("x")}}],
        },
        ReturnConsumedCapacity=mode,
    )
    assert reply["UnprocessedItems"] == {}
    assert by_table(reply["ConsumedCapacity"]) == {
        first: expected(first, 4.0, mode),
        second: expected(second, 1.0, mode),
    }
    deleted = ddb.batch_write_item(
        RequestItems={
            first: [
                {"DeleteRequest": {"Key": hkey("a")}},  # 1 unit
                {"DeleteRequest": {"Key": hkey("b")}},  # 2 units
            ]
        },
        ReturnConsumedCapacity=mode,
    )
    assert deleted["ConsumedCapacity"] == [expected(first, 3.0, mode)]


def test_batch_write_put_counts_the_larger_of_old_and_new(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized("a", 3000))
    reply = ddb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": hkey("a")}}]},
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["ConsumedCapacity"] == [expected(table, 3.0, "TOTAL")]


# --------------------------------------------------------------------------- NONE / absent


@pytest.mark.parametrize("mode", [None, "NONE"])
def test_no_consumed_capacity_unless_asked(ddb: Any, sorted_table: str, mode: str | None) -> None:
    t = sorted_table
    key = {"pk": s("p"), "sk": s("1")}
    extra = {} if mode is None else {"ReturnConsumedCapacity": mode}
    replies = [
        ddb.put_item(TableName=t, Item=key, **extra),
        ddb.get_item(TableName=t, Key=key, **extra),
        ddb.update_item(
            TableName=t,
            Key=key,
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": s("v")},
            **extra,
        ),
        ddb.batch_get_item(RequestItems={t: {"Keys": [key]}}, **extra),
        ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": key}}]}, **extra),
        ddb.delete_item(TableName=t, Key=key, **extra),
    ]
    for reply in replies:
        assert "ConsumedCapacity" not in reply


@pytest.mark.parametrize("mode", [None, "NONE"])
def test_no_consumed_capacity_for_query_and_scan_unless_asked(
    ddb: Any, three_items: str, mode: str | None
) -> None:
    extra = {} if mode is None else {"ReturnConsumedCapacity": mode}
    query = ddb.query(
        TableName=three_items,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("p")},
        **extra,
    )
    scan = ddb.scan(TableName=three_items, **extra)
    assert "ConsumedCapacity" not in query
    assert "ConsumedCapacity" not in scan
