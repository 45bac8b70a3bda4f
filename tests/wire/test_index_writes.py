"""Secondary index maintenance on every write, through the wire: PutItem, UpdateItem,
DeleteItem and BatchWriteItem keep GSIs and LSIs exact, validate index keys, report index
capacity and LSI item-collection metrics.

DynamoDB behaviour pinned here (developer guide: "Using Global Secondary Indexes" (sparse
indexes, data synchronization, provisioned throughput considerations for writes), "Local
secondary indexes" and "Item collections", "Multi-attribute key schema"; API reference for
PutItem/UpdateItem/DeleteItem/BatchWriteItem (ItemCollectionMetrics,
ItemCollectionSizeLimitExceededException); messages from dynalite's putItem/updateItem/
batchWriteItem tests recorded against live DynamoDB and from live error reports):
- Sparse indexes: an item is in an index only while it has every index key attribute. Adding
  the attribute adds the entry, removing it removes the entry, changing it moves the entry;
  deleting or overwriting the item updates every index. A refused write (validation or failed
  condition) changes no index. Index keys need not be unique. DescribeTable's index ItemCount
  counts the entries.
- An index key attribute of the wrong type refuses the whole write, nothing written:
  "One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S
  Actual: N IndexName: byG" (PutItem, UpdateItem SET/ADD, BatchWriteItem). Copying an attribute
  of the wrong type into an index key by UpdateItem is "The update expression attempted to
  update the secondary index key to unsupported type"; a nested path under an index key is
  "Key attributes must be scalars; list random access '[]' and map lookup '.' are not
  allowed: IndexKey: gk". An empty S (or B) index key value is refused with "One or more
  parameter values are not valid. A value specified for a secondary index key is not
  supported. The AttributeValue for a key attribute cannot contain an empty string value.
  IndexName: byG, IndexKey: gk".
- ReturnConsumedCapacity INDEXES adds "Table" and per-index "GlobalSecondaryIndexes" /
  "LocalSecondaryIndexes" units; CapacityUnits is their sum (TOTAL reports only the sum). An
  index costs 0 when the write does not touch it (absent from the map or 0), 1 to add or remove
  an entry or to change its projected attributes, 2 when its key changes (delete + put), each
  rounded up to 1 KB of index entry.
- ReturnItemCollectionMetrics SIZE on a table with an LSI answers ItemCollectionMetrics
  {ItemCollectionKey: {<table hash key>: value}, SizeEstimateRangeGB: [0, 1]} for a small
  collection (whole-gigabyte bounds, live-recorded); tables without LSIs never answer it. A write
  that would grow an item collection past its limit (10 GB; lowered for tests through
  OPENDYNAMO_ITEM_COLLECTION_LIMIT) fails with ItemCollectionSizeLimitExceededException
  "Collection size exceeded."; the limit applies only to tables with LSIs.
- Index reads are eventually consistent in DynamoDB, so index contents are polled briefly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Backend, Server, error_of, unique_name
from tests.wire.helpers import eventually_passes, scan_items

VALIDATION = "ValidationException"
INVALID = "One or more parameter values were invalid: "


# --------------------------------------------------------------------------- helpers


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | str) -> dict[str, str]:
    return {"N": str(value)}


def defs(**types: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def keys(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in pairs]


def gsi(name: str, schema: list[Any], kind: str = "ALL", include: list[str] | None = None) -> Any:
    projection: dict[str, Any] = {"ProjectionType": kind}
    if include:
        projection["NonKeyAttributes"] = include
    return {"IndexName": name, "KeySchema": schema, "Projection": projection}


def lsi(name: str, range_: str, kind: str = "ALL") -> Any:
    return gsi(name, keys(("pk", "HASH"), (range_, "RANGE")), kind)


def query_index(ddb: Any, table: str, index: str, **conditions: dict[str, str]) -> list[Any]:
    """Query `index` with equality on every given attribute (partition key [+ sort key])."""
    names = {f"#k{i}": name for i, name in enumerate(conditions)}
    values = {f":v{i}": value for i, value in enumerate(conditions.values())}
    expression = " AND ".join(f"#k{i} = :v{i}" for i in range(len(conditions)))
    reply = ddb.query(
        TableName=table,
        IndexName=index,
        KeyConditionExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    return reply["Items"]  # type: ignore[no-any-return]


def pks(items: list[dict[str, Any]]) -> list[str]:
    return [item["pk"]["S"] for item in items]


def expect_index(ddb: Any, table: str, index: str, expected: set[str]) -> None:
    """The index holds exactly the items whose pk is in `expected`."""
    eventually_passes(lambda: _assert_pks(ddb, table, index, expected))


def _assert_pks(ddb: Any, table: str, index: str, expected: set[str]) -> None:
    found = pks(scan_items(ddb, table, IndexName=index))
    assert sorted(found) == sorted(expected)


def index_item_count(ddb: Any, table: str, index: str) -> int:
    described = ddb.describe_table(TableName=table)["Table"]
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for entry in described.get(kind, []):
            if entry["IndexName"] == index:
                return int(entry["ItemCount"])
    raise AssertionError(f"no index {index}")


def write_error(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def mismatch(attr: str, expected: str, actual: str, index: str) -> tuple[str, str]:
    return (
        VALIDATION,
        INVALID + f"Type mismatch for Index Key {attr} Expected: {expected} Actual: {actual} "
        f"IndexName: {index}",
    )


def empty_key(index: str, attr: str, kind: str = "string") -> tuple[str, str]:
    return (
        VALIDATION,
        "One or more parameter values are not valid. A value specified for a secondary index key "
        f"is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} "
        f"value. IndexName: {index}, IndexKey: {attr}",
    )


# --------------------------------------------------------------------------- tables


@pytest.fixture
def two_gsis(make_table: Callable[..., str]) -> str:
    """pk (S); byG: gk (S) ALL; byGS: gk (S) + gs (N) KEYS_ONLY."""
    return make_table(
        AttributeDefinitions=defs(pk="S", gk="S", gs="N"),
        GlobalSecondaryIndexes=[
            gsi("byG", keys(("gk", "HASH"))),
            gsi("byGS", keys(("gk", "HASH"), ("gs", "RANGE")), "KEYS_ONLY"),
        ],
    )


@pytest.fixture
def one_gsi(make_table: Callable[..., str]) -> str:
    """pk (S); byG: gk (S) ALL — one index per key attribute, so errors name it."""
    return make_table(
        AttributeDefinitions=defs(pk="S", gk="S"),
        GlobalSecondaryIndexes=[gsi("byG", keys(("gk", "HASH")))],
    )


@pytest.fixture
def with_lsi(make_table: Callable[..., str]) -> str:
    """pk (S) + sk (S); byL: lk (S) ALL."""
    return make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=defs(pk="S", sk="S", lk="S"),
        LocalSecondaryIndexes=[lsi("byL", "lk")],
    )


# --------------------------------------------------------------------------- sparse maintenance


def test_item_without_index_key_is_not_indexed(ddb: Any, two_gsis: str) -> None:
    ddb.put_item(TableName=two_gsis, Item={"pk": s("a"), "x": s("1")})
    expect_index(ddb, two_gsis, "byG", set())
    expect_index(ddb, two_gsis, "byGS", set())
    assert index_item_count(ddb, two_gsis, "byG") == 0
    assert ddb.describe_table(TableName=two_gsis)["Table"]["ItemCount"] == 1


def test_hash_range_index_needs_every_key_attribute(ddb: Any, two_gsis: str) -> None:
    ddb.put_item(TableName=two_gsis, Item={"pk": s("only-gk"), "gk": s("g")})
    ddb.put_item(TableName=two_gsis, Item={"pk": s("only-gs"), "gs": n(1)})
    ddb.put_item(TableName=two_gsis, Item={"pk": s("both"), "gk": s("g"), "gs": n(2), "x": s("y")})
    expect_index(ddb, two_gsis, "byG", {"only-gk", "both"})
    expect_index(ddb, two_gsis, "byGS", {"both"})
    # KEYS_ONLY: the table key and the index key, nothing else.
    assert eventually_passes(lambda: query_index(ddb, two_gsis, "byGS", gk=s("g"))) == [
        {"pk": s("both"), "gk": s("g"), "gs": n(2)}
    ]
    assert index_item_count(ddb, two_gsis, "byG") == 2
    assert index_item_count(ddb, two_gsis, "byGS") == 1


def test_put_indexes_the_whole_item_in_an_all_index(ddb: Any, one_gsi: str) -> None:
    item = {"pk": s("a"), "gk": s("g"), "x": {"L": [n(1), s("two")]}, "y": {"BOOL": True}}
    ddb.put_item(TableName=one_gsi, Item=item)
    assert eventually_passes(lambda: query_index(ddb, one_gsi, "byG", gk=s("g"))) == [item]


def test_update_adds_moves_and_removes_the_entry(ddb: Any, one_gsi: str) -> None:
    key = {"pk": s("a")}
    ddb.put_item(TableName=one_gsi, Item={**key, "x": s("1")})
    expect_index(ddb, one_gsi, "byG", set())

    ddb.update_item(
        TableName=one_gsi,
        Key=key,
        UpdateExpression="SET gk = :g",
        ExpressionAttributeValues={":g": s("g1")},
    )
    assert eventually_passes(lambda: pks(query_index(ddb, one_gsi, "byG", gk=s("g1")))) == ["a"]
    assert index_item_count(ddb, one_gsi, "byG") == 1

    ddb.update_item(
        TableName=one_gsi,
        Key=key,
        UpdateExpression="SET gk = :g",
        ExpressionAttributeValues={":g": s("g2")},
    )
    assert eventually_passes(lambda: pks(query_index(ddb, one_gsi, "byG", gk=s("g2")))) == ["a"]
    assert query_index(ddb, one_gsi, "byG", gk=s("g1")) == []
    assert index_item_count(ddb, one_gsi, "byG") == 1

    ddb.update_item(TableName=one_gsi, Key=key, UpdateExpression="REMOVE gk")
    expect_index(ddb, one_gsi, "byG", set())
    assert index_item_count(ddb, one_gsi, "byG") == 0
    assert ddb.get_item(TableName=one_gsi, Key=key)["Item"] == {**key, "x": s("1")}


def test_update_creating_the_item_indexes_it(ddb: Any, one_gsi: str) -> None:
    ddb.update_item(
        TableName=one_gsi,
        Key={"pk": s("new")},
        UpdateExpression="SET gk = :g",
        ExpressionAttributeValues={":g": s("g")},
    )
    assert eventually_passes(lambda: query_index(ddb, one_gsi, "byG", gk=s("g"))) == [
        {"pk": s("new"), "gk": s("g")}
    ]


def test_update_of_other_attributes_refreshes_the_projection(ddb: Any, one_gsi: str) -> None:
    ddb.put_item(TableName=one_gsi, Item={"pk": s("a"), "gk": s("g"), "x": n(1)})
    ddb.update_item(
        TableName=one_gsi,
        Key={"pk": s("a")},
        UpdateExpression="SET x = x + :one, y = :y",
        ExpressionAttributeValues={":one": n(1), ":y": s("new")},
    )
    assert eventually_passes(lambda: query_index(ddb, one_gsi, "byG", gk=s("g"))) == [
        {"pk": s("a"), "gk": s("g"), "x": n(2), "y": s("new")}
    ]


def test_put_overwrite_moves_and_removes_the_entry(ddb: Any, one_gsi: str) -> None:
    ddb.put_item(TableName=one_gsi, Item={"pk": s("a"), "gk": s("g1")})
    ddb.put_item(TableName=one_gsi, Item={"pk": s("a"), "gk": s("g2")})
    assert eventually_passes(lambda: pks(query_index(ddb, one_gsi, "byG", gk=s("g2")))) == ["a"]
    assert query_index(ddb, one_gsi, "byG", gk=s("g1")) == []
    ddb.put_item(TableName=one_gsi, Item={"pk": s("a"), "other": s("x")})
    expect_index(ddb, one_gsi, "byG", set())
    assert index_item_count(ddb, one_gsi, "byG") == 0


def test_delete_removes_the_entry_from_every_index(ddb: Any, two_gsis: str) -> None:
    ddb.put_item(TableName=two_gsis, Item={"pk": s("a"), "gk": s("g"), "gs": n(1)})
    ddb.put_item(TableName=two_gsis, Item={"pk": s("b"), "gk": s("g"), "gs": n(2)})
    expect_index(ddb, two_gsis, "byGS", {"a", "b"})
    ddb.delete_item(TableName=two_gsis, Key={"pk": s("a")})
    expect_index(ddb, two_gsis, "byG", {"b"})
    expect_index(ddb, two_gsis, "byGS", {"b"})
    assert index_item_count(ddb, two_gsis, "byG") == 1
    assert index_item_count(ddb, two_gsis, "byGS") == 1


def test_index_keys_need_not_be_unique(ddb: Any, one_gsi: str) -> None:
    for key in ("a", "b", "c"):
        ddb.put_item(TableName=one_gsi, Item={"pk": s(key), "gk": s("same")})
    ddb.put_item(TableName=one_gsi, Item={"pk": s("d"), "gk": s("other")})
    found = eventually_passes(
        lambda: _sorted_pks(query_index(ddb, one_gsi, "byG", gk=s("same")), 3)
    )
    assert found == ["a", "b", "c"]
    assert index_item_count(ddb, one_gsi, "byG") == 4


def _sorted_pks(items: list[Any], count: int) -> list[str]:
    assert len(items) == count
    return sorted(pks(items))


def test_index_sort_key_orders_the_entries(ddb: Any, two_gsis: str) -> None:
    for key, rank in (("a", 30), ("b", -5), ("c", 100), ("d", 7)):
        ddb.put_item(TableName=two_gsis, Item={"pk": s(key), "gk": s("g"), "gs": n(rank)})
    expect_index(ddb, two_gsis, "byGS", {"a", "b", "c", "d"})
    forward = ddb.query(
        TableName=two_gsis,
        IndexName="byGS",
        KeyConditionExpression="gk = :g",
        ExpressionAttributeValues={":g": s("g")},
    )
    assert pks(forward["Items"]) == ["b", "d", "a", "c"]
    backward = ddb.query(
        TableName=two_gsis,
        IndexName="byGS",
        KeyConditionExpression="gk = :g",
        ExpressionAttributeValues={":g": s("g")},
        ScanIndexForward=False,
    )
    assert pks(backward["Items"]) == ["c", "a", "d", "b"]
    ddb.update_item(
        TableName=two_gsis,
        Key={"pk": s("c")},
        UpdateExpression="SET gs = :r",
        ExpressionAttributeValues={":r": n(-50)},
    )
    moved = eventually_passes(lambda: _first_pk(ddb, two_gsis))
    assert moved == "c"


def _first_pk(ddb: Any, table: str) -> str:
    reply = ddb.query(
        TableName=table,
        IndexName="byGS",
        KeyConditionExpression="gk = :g",
        ExpressionAttributeValues={":g": s("g")},
        Limit=1,
    )
    first: str = reply["Items"][0]["pk"]["S"]
    assert first == "c"
    return first


def test_batch_write_maintains_indexes(ddb: Any, two_gsis: str) -> None:
    ddb.batch_write_item(
        RequestItems={
            two_gsis: [
                {"PutRequest": {"Item": {"pk": s("a"), "gk": s("g"), "gs": n(1)}}},
                {"PutRequest": {"Item": {"pk": s("b"), "gk": s("g")}}},
                {"PutRequest": {"Item": {"pk": s("c"), "x": s("no index key")}}},
            ]
        }
    )
    expect_index(ddb, two_gsis, "byG", {"a", "b"})
    expect_index(ddb, two_gsis, "byGS", {"a"})
    ddb.batch_write_item(
        RequestItems={
            two_gsis: [
                {"DeleteRequest": {"Key": {"pk": s("a")}}},
                {"PutRequest": {"Item": {"pk": s("b"), "gk": s("h"), "gs": n(5)}}},
                {"PutRequest": {"Item": {"pk": s("c"), "gk": s("g")}}},
            ]
        }
    )
    expect_index(ddb, two_gsis, "byG", {"b", "c"})
    expect_index(ddb, two_gsis, "byGS", {"b"})
    assert pks(
        eventually_passes(lambda: _nonempty(query_index(ddb, two_gsis, "byG", gk=s("h"))))
    ) == ["b"]
    assert index_item_count(ddb, two_gsis, "byG") == 2
    assert index_item_count(ddb, two_gsis, "byGS") == 1


def _nonempty(items: list[Any]) -> list[Any]:
    assert items
    return items


def test_failed_condition_changes_no_index(ddb: Any, one_gsi: str) -> None:
    ddb.put_item(TableName=one_gsi, Item={"pk": s("a"), "gk": s("g1")})
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(
            TableName=one_gsi,
            Item={"pk": s("a"), "gk": s("g2")},
            ConditionExpression="attribute_not_exists(pk)",
        )
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.update_item(
            TableName=one_gsi,
            Key={"pk": s("a")},
            UpdateExpression="REMOVE gk",
            ConditionExpression="gk = :no",
            ExpressionAttributeValues={":no": s("no")},
        )
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.delete_item(
            TableName=one_gsi,
            Key={"pk": s("a")},
            ConditionExpression="gk = :no",
            ExpressionAttributeValues={":no": s("no")},
        )
    assert eventually_passes(lambda: pks(query_index(ddb, one_gsi, "byG", gk=s("g1")))) == ["a"]
    assert query_index(ddb, one_gsi, "byG", gk=s("g2")) == []
    assert index_item_count(ddb, one_gsi, "byG") == 1


def test_include_projection_follows_included_attributes(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    table = make_table(
        AttributeDefinitions=defs(pk="S", gk="S"),
        GlobalSecondaryIndexes=[gsi("inc", keys(("gk", "HASH")), "INCLUDE", ["i"])],
    )
    ddb.put_item(TableName=table, Item={"pk": s("a"), "gk": s("g"), "i": n(1), "o": n(1)})
    assert eventually_passes(lambda: query_index(ddb, table, "inc", gk=s("g"))) == [
        {"pk": s("a"), "gk": s("g"), "i": n(1)}
    ]
    ddb.update_item(
        TableName=table,
        Key={"pk": s("a")},
        UpdateExpression="SET i = :v, o = :v",
        ExpressionAttributeValues={":v": n(2)},
    )
    assert eventually_passes(lambda: _only(query_index(ddb, table, "inc", gk=s("g")))["i"]) == n(2)
    ddb.update_item(TableName=table, Key={"pk": s("a")}, UpdateExpression="REMOVE i")
    assert eventually_passes(lambda: query_index(ddb, table, "inc", gk=s("g"))) == [
        {"pk": s("a"), "gk": s("g")}
    ]


def _only(items: list[Any]) -> Any:
    assert len(items) == 1
    return items[0]


def test_several_indexes_move_together(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(
        AttributeDefinitions=defs(pk="S", a="S", b="N"),
        GlobalSecondaryIndexes=[
            gsi("byA", keys(("a", "HASH"))),
            gsi("byB", keys(("b", "HASH"))),
            gsi("byAB", keys(("a", "HASH"), ("b", "RANGE")), "KEYS_ONLY"),
        ],
    )
    ddb.put_item(TableName=table, Item={"pk": s("x"), "a": s("1"), "b": n(1)})
    ddb.update_item(
        TableName=table,
        Key={"pk": s("x")},
        UpdateExpression="SET a = :a REMOVE b",
        ExpressionAttributeValues={":a": s("2")},
    )
    expect_index(ddb, table, "byA", {"x"})
    expect_index(ddb, table, "byB", set())
    expect_index(ddb, table, "byAB", set())
    assert pks(query_index(ddb, table, "byA", a=s("2"))) == ["x"]
    counts = [index_item_count(ddb, table, i) for i in ("byA", "byB", "byAB")]
    assert counts == [1, 0, 0]


def test_gsi_on_the_table_sort_key_indexes_every_item(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    table = make_table(
        range_key=("sk", "N"),
        AttributeDefinitions=defs(pk="S", sk="N"),
        GlobalSecondaryIndexes=[gsi("bySk", keys(("sk", "HASH"), ("pk", "RANGE")), "KEYS_ONLY")],
    )
    for pk, sk in (("b", 1), ("a", 1), ("c", 2)):
        ddb.put_item(TableName=table, Item={"pk": s(pk), "sk": n(sk), "x": s("x")})
    found = eventually_passes(lambda: _nonempty(query_index(ddb, table, "bySk", sk=n(1))))
    assert found == [{"pk": s("a"), "sk": n(1)}, {"pk": s("b"), "sk": n(1)}]
    assert index_item_count(ddb, table, "bySk") == 3


# --------------------------------------------------------------------------- LSIs


def test_lsi_is_sparse_and_ordered_by_its_sort_key(ddb: Any, with_lsi: str) -> None:
    for sk, lk in (("1", "c"), ("2", None), ("3", "a"), ("4", "b")):
        item = {"pk": s("p"), "sk": s(sk), **({"lk": s(lk)} if lk else {})}
        ddb.put_item(TableName=with_lsi, Item=item)
    ddb.put_item(TableName=with_lsi, Item={"pk": s("q"), "sk": s("1"), "lk": s("a")})

    def order() -> list[str]:
        reply = ddb.query(
            TableName=with_lsi,
            IndexName="byL",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": s("p")},
            ConsistentRead=True,
        )
        return [item["sk"]["S"] for item in reply["Items"]]

    assert order() == ["3", "4", "1"]
    assert index_item_count(ddb, with_lsi, "byL") == 4
    ddb.update_item(
        TableName=with_lsi,
        Key={"pk": s("p"), "sk": s("2")},
        UpdateExpression="SET lk = :v",
        ExpressionAttributeValues={":v": s("0")},
    )
    assert order() == ["2", "3", "4", "1"]
    ddb.update_item(
        TableName=with_lsi, Key={"pk": s("p"), "sk": s("3")}, UpdateExpression="REMOVE lk"
    )
    ddb.delete_item(TableName=with_lsi, Key={"pk": s("p"), "sk": s("4")})
    assert order() == ["2", "1"]
    assert index_item_count(ddb, with_lsi, "byL") == 3


def test_lsi_with_keys_only_projection(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=defs(pk="S", sk="S", lk="N"),
        LocalSecondaryIndexes=[lsi("byL", "lk", "KEYS_ONLY")],
    )
    ddb.put_item(TableName=table, Item={"pk": s("p"), "sk": s("1"), "lk": n(5), "x": s("big")})
    reply = ddb.query(
        TableName=table,
        IndexName="byL",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("p")},
    )
    assert reply["Items"] == [{"pk": s("p"), "sk": s("1"), "lk": n(5)}]


# --------------------------------------------------------------------------- multi-attribute GSI


@pytest.fixture
def multi(make_table: Callable[..., str]) -> str:
    """GSI `multi`: partition key (t S, r N), sort key (c S, d N)."""
    schema = keys(("t", "HASH"), ("r", "HASH"), ("c", "RANGE"), ("d", "RANGE"))
    return make_table(
        AttributeDefinitions=defs(pk="S", t="S", r="N", c="S", d="N"),
        GlobalSecondaryIndexes=[gsi("multi", schema)],
    )


def test_multi_attribute_index_needs_every_key_attribute(ddb: Any, multi: str) -> None:
    full = {"t": s("T"), "r": n(1), "c": s("x"), "d": n(1)}
    ddb.put_item(TableName=multi, Item={"pk": s("all"), **full})
    for missing in full:
        item = {"pk": s(f"no-{missing}"), **{k: v for k, v in full.items() if k != missing}}
        ddb.put_item(TableName=multi, Item=item)
    expect_index(ddb, multi, "multi", {"all"})
    assert index_item_count(ddb, multi, "multi") == 1
    ddb.update_item(
        TableName=multi,
        Key={"pk": s("no-d")},
        UpdateExpression="SET d = :d",
        ExpressionAttributeValues={":d": n(0)},
    )
    ddb.update_item(TableName=multi, Key={"pk": s("all")}, UpdateExpression="REMOVE c")
    expect_index(ddb, multi, "multi", {"no-d"})


def test_multi_attribute_index_partition_and_order(ddb: Any, multi: str) -> None:
    rows = [
        ("p1", "T", 1, "b", 1),
        ("p2", "T", 1, "a", 2),
        ("p3", "T", 1, "a", 1),
        ("p4", "T", 2, "a", 1),
        ("p5", "U", 1, "a", 1),
    ]
    for pk, t, r, c, d in rows:
        ddb.put_item(
            TableName=multi, Item={"pk": s(pk), "t": s(t), "r": n(r), "c": s(c), "d": n(d)}
        )
    expect_index(ddb, multi, "multi", {"p1", "p2", "p3", "p4", "p5"})
    # Equality on the whole partition key; entries ordered by c, then d.
    assert pks(query_index(ddb, multi, "multi", t=s("T"), r=n(1))) == ["p3", "p2", "p1"]
    assert pks(query_index(ddb, multi, "multi", t=s("T"), r=n(2))) == ["p4"]


def test_multi_attribute_index_key_type_is_checked(ddb: Any, multi: str) -> None:
    item = {"pk": s("a"), "t": s("T"), "r": s("1"), "c": s("x"), "d": n(1)}
    assert write_error(ddb.put_item, TableName=multi, Item=item) == mismatch("r", "N", "S", "multi")
    assert "Item" not in ddb.get_item(TableName=multi, Key={"pk": s("a")})


# --------------------------------------------------------------------------- wrong index key types


@pytest.mark.parametrize(
    ("value", "actual"),
    [
        (n(1), "N"),
        ({"NULL": True}, "NULL"),
        ({"L": [s("a")]}, "L"),
        ({"BOOL": False}, "BOOL"),
        ({"SS": ["a"]}, "SS"),
        ({"B": b"x"}, "B"),
        ({"M": {}}, "M"),
    ],
    ids=["N", "NULL", "L", "BOOL", "SS", "B", "M"],
)
def test_put_with_wrong_index_key_type_writes_nothing(
    ddb: Any, one_gsi: str, value: Any, actual: str
) -> None:
    error = write_error(ddb.put_item, TableName=one_gsi, Item={"pk": s("a"), "gk": value})
    assert error == mismatch("gk", "S", actual, "byG")
    assert "Item" not in ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})
    assert index_item_count(ddb, one_gsi, "byG") == 0


def test_put_with_wrong_index_key_type_keeps_the_old_item(ddb: Any, one_gsi: str) -> None:
    old = {"pk": s("a"), "gk": s("g")}
    ddb.put_item(TableName=one_gsi, Item=old)
    error = write_error(ddb.put_item, TableName=one_gsi, Item={"pk": s("a"), "gk": n(1)})
    assert error == mismatch("gk", "S", "N", "byG")
    assert ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})["Item"] == old
    assert eventually_passes(lambda: query_index(ddb, one_gsi, "byG", gk=s("g"))) == [old]


def test_number_index_key_refuses_a_string(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(
        AttributeDefinitions=defs(pk="S", gn="N"),
        GlobalSecondaryIndexes=[gsi("byN", keys(("gn", "HASH")))],
    )
    error = write_error(ddb.put_item, TableName=table, Item={"pk": s("a"), "gn": s("1")})
    assert error == mismatch("gn", "N", "S", "byN")


def test_lsi_key_type_is_checked(ddb: Any, with_lsi: str) -> None:
    item = {"pk": s("p"), "sk": s("1"), "lk": n(1)}
    assert write_error(ddb.put_item, TableName=with_lsi, Item=item) == mismatch(
        "lk", "S", "N", "byL"
    )
    assert "Item" not in ddb.get_item(TableName=with_lsi, Key={"pk": s("p"), "sk": s("1")})


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("SET gk = :v", {":v": n(1)}),
        ("ADD gk :v", {":v": n(1)}),
        ("SET x = :s, gk = :v", {":s": s("x"), ":v": {"BOOL": True}}),
    ],
    ids=["set", "add", "set-among-others"],
)
def test_update_with_wrong_index_key_type_changes_nothing(
    ddb: Any, one_gsi: str, expression: str, values: dict[str, Any]
) -> None:
    old = {"pk": s("a"), "y": s("kept")}
    ddb.put_item(TableName=one_gsi, Item=old)
    actual = next(iter(values[":v"]))
    error = write_error(
        ddb.update_item,
        TableName=one_gsi,
        Key={"pk": s("a")},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
    )
    assert error == mismatch("gk", "S", actual, "byG")
    assert ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})["Item"] == old


def test_update_copying_a_wrong_type_into_an_index_key(ddb: Any, one_gsi: str) -> None:
    old = {"pk": s("a"), "num": n(1)}
    ddb.put_item(TableName=one_gsi, Item=old)
    error = write_error(
        ddb.update_item, TableName=one_gsi, Key={"pk": s("a")}, UpdateExpression="SET gk = num"
    )
    assert error == (
        VALIDATION,
        "The update expression attempted to update the secondary index key to unsupported type",
    )
    assert ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})["Item"] == old


@pytest.mark.parametrize("expression", ["SET gk.x = :v", "SET gk[0] = :v", "ADD gk.x :n"])
def test_update_of_a_path_inside_an_index_key(ddb: Any, one_gsi: str, expression: str) -> None:
    values = {":v": s("v")} if ":v" in expression else {":n": n(1)}
    error = write_error(
        ddb.update_item,
        TableName=one_gsi,
        Key={"pk": s("a")},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
    )
    assert error == (
        VALIDATION,
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
        "allowed: IndexKey: gk",
    )


def test_batch_write_with_wrong_index_key_type_writes_nothing(ddb: Any, one_gsi: str) -> None:
    error = write_error(
        ddb.batch_write_item,
        RequestItems={
            one_gsi: [
                {"PutRequest": {"Item": {"pk": s("good"), "gk": s("g")}}},
                {"PutRequest": {"Item": {"pk": s("bad"), "gk": n(1)}}},
            ]
        },
    )
    assert error == mismatch("gk", "S", "N", "byG")
    assert ddb.scan(TableName=one_gsi)["Items"] == []
    assert index_item_count(ddb, one_gsi, "byG") == 0


# --------------------------------------------------------------------------- empty index key values


def test_put_with_empty_string_index_key(ddb: Any, one_gsi: str) -> None:
    error = write_error(ddb.put_item, TableName=one_gsi, Item={"pk": s("a"), "gk": s("")})
    assert error == empty_key("byG", "gk")
    assert "Item" not in ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})


def test_empty_string_is_fine_outside_index_keys(ddb: Any, one_gsi: str) -> None:
    ddb.put_item(TableName=one_gsi, Item={"pk": s("a"), "x": s("")})
    assert ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})["Item"]["x"] == s("")
    expect_index(ddb, one_gsi, "byG", set())


def test_update_setting_empty_string_index_key(ddb: Any, one_gsi: str) -> None:
    old = {"pk": s("a"), "gk": s("g")}
    ddb.put_item(TableName=one_gsi, Item=old)
    error = write_error(
        ddb.update_item,
        TableName=one_gsi,
        Key={"pk": s("a")},
        UpdateExpression="SET gk = :e",
        ExpressionAttributeValues={":e": s("")},
    )
    assert error == empty_key("byG", "gk")
    assert ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})["Item"] == old


def test_batch_write_with_empty_string_index_key(ddb: Any, one_gsi: str) -> None:
    error = write_error(
        ddb.batch_write_item,
        RequestItems={
            one_gsi: [
                {"PutRequest": {"Item": {"pk": s("good"), "gk": s("g")}}},
                {"PutRequest": {"Item": {"pk": s("bad"), "gk": s("")}}},
            ]
        },
    )
    assert error == empty_key("byG", "gk")
    assert ddb.scan(TableName=one_gsi)["Items"] == []


def test_empty_lsi_key(ddb: Any, with_lsi: str) -> None:
    item = {"pk": s("p"), "sk": s("1"), "lk": s("")}
    assert write_error(ddb.put_item, TableName=with_lsi, Item=item) == empty_key("byL", "lk")


def test_empty_binary_index_key(ddb: Any, make_table: Callable[..., str]) -> None:
    table = make_table(
        AttributeDefinitions=defs(pk="S", gb="B"),
        GlobalSecondaryIndexes=[gsi("byB", keys(("gb", "HASH")))],
    )
    error = write_error(ddb.put_item, TableName=table, Item={"pk": s("a"), "gb": {"B": b""}})
    assert error == empty_key("byB", "gb", "binary")


# --------------------------------------------------------------------------- index key sizes


def too_big(attr: str, size: int, limit: int, index: str) -> tuple[str, str]:
    return (
        VALIDATION,
        INVALID + f"Size limit exceeded for Index Key {attr} Actual Size: {size} bytes "
        f"Max Size: {limit} bytes IndexName: {index}",
    )


def test_index_partition_key_size_limit(ddb: Any, one_gsi: str) -> None:
    ddb.put_item(TableName=one_gsi, Item={"pk": s("ok"), "gk": s("g" * 2048)})
    error = write_error(ddb.put_item, TableName=one_gsi, Item={"pk": s("a"), "gk": s("g" * 2049)})
    assert error == too_big("gk", 2049, 2048, "byG")
    assert "Item" not in ddb.get_item(TableName=one_gsi, Key={"pk": s("a")})
    expect_index(ddb, one_gsi, "byG", {"ok"})


def test_update_index_key_beyond_the_size_limit(ddb: Any, one_gsi: str) -> None:
    old = {"pk": s("ok"), "gk": s("g"), "vlong": s("é" * 1100)}  # 2,200 UTF-8 bytes
    ddb.put_item(TableName=one_gsi, Item=old)
    # A value computed from the item is checked as the update runs.
    error = write_error(
        ddb.update_item, TableName=one_gsi, Key={"pk": s("ok")}, UpdateExpression="SET gk = vlong"
    )
    assert error == (
        VALIDATION,
        "The update expression attempted to update the secondary index key beyond allowed size "
        "limits",
    )
    # A literal value: which of DynamoDB's two wordings it gets is not recorded anywhere we
    # could check, so either is accepted.
    code, message = write_error(
        ddb.update_item,
        TableName=one_gsi,
        Key={"pk": s("ok")},
        UpdateExpression="SET gk = :g",
        ExpressionAttributeValues={":g": s("é" * 1100)},
    )
    assert code == VALIDATION
    assert message in (
        too_big("gk", 2200, 2048, "byG")[1],
        "The update expression attempted to update the secondary index key beyond allowed size "
        "limits",
    )
    assert ddb.get_item(TableName=one_gsi, Key={"pk": s("ok")})["Item"] == old


def test_index_sort_key_size_limit(ddb: Any, make_table: Callable[..., str]) -> None:
    # The live-recorded message is for a partition key; the sort key's 1,024-byte form follows it.
    table = make_table(
        AttributeDefinitions=defs(pk="S", gk="S", gb="B"),
        GlobalSecondaryIndexes=[gsi("byGB", keys(("gk", "HASH"), ("gb", "RANGE")))],
    )
    ddb.put_item(TableName=table, Item={"pk": s("ok"), "gk": s("g"), "gb": {"B": b"x" * 1024}})
    item = {"pk": s("a"), "gk": s("g"), "gb": {"B": b"x" * 1025}}
    assert write_error(ddb.put_item, TableName=table, Item=item) == too_big(
        "gb", 1025, 1024, "byGB"
    )


# --------------------------------------------------------------------------- consumed capacity


def units(capacity: dict[str, Any], kind: str, index: str) -> float:
    """An index's units in an INDEXES ConsumedCapacity; an index the write did not touch may be
    left out or reported as 0."""
    return float(capacity.get(kind, {}).get(index, {}).get("CapacityUnits", 0.0))


def check_capacity(
    capacity: dict[str, Any],
    table: str,
    table_units: float,
    gsis: dict[str, float] | None = None,
    lsis: dict[str, float] | None = None,
) -> None:
    """INDEXES ConsumedCapacity: Table units, each index's units, CapacityUnits their sum, and
    no other index with non-zero units."""
    assert capacity["TableName"] == table
    assert capacity["Table"] == {"CapacityUnits": table_units}
    total = table_units
    for kind, expected in (
        ("GlobalSecondaryIndexes", gsis or {}),
        ("LocalSecondaryIndexes", lsis or {}),
    ):
        for index, value in expected.items():
            assert units(capacity, kind, index) == value, (index, capacity)
            total += value
        for index, entry in capacity.get(kind, {}).items():
            assert entry == {"CapacityUnits": expected.get(index, 0.0)}, (index, capacity)
    assert capacity["CapacityUnits"] == total


@pytest.fixture
def keys_only(make_table: Callable[..., str]) -> str:
    """pk (S); gKeys: gk (S) KEYS_ONLY."""
    return make_table(
        AttributeDefinitions=defs(pk="S", gk="S"),
        GlobalSecondaryIndexes=[gsi("gKeys", keys(("gk", "HASH")), "KEYS_ONLY")],
    )


INDEXES = {"ReturnConsumedCapacity": "INDEXES"}


def test_capacity_put(ddb: Any, keys_only: str) -> None:
    t = keys_only
    reply = ddb.put_item(TableName=t, Item={"pk": s("a"), "x": s("1")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, gsis={"gKeys": 0.0})
    reply = ddb.put_item(TableName=t, Item={"pk": s("b"), "gk": s("g")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, gsis={"gKeys": 1.0})
    reply = ddb.put_item(TableName=t, Item={"pk": s("b"), "gk": s("h")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, gsis={"gKeys": 2.0})
    reply = ddb.put_item(TableName=t, Item={"pk": s("b")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, gsis={"gKeys": 1.0})


def test_capacity_total_includes_index_units(ddb: Any, keys_only: str) -> None:
    reply = ddb.put_item(
        TableName=keys_only, Item={"pk": s("a"), "gk": s("g")}, ReturnConsumedCapacity="TOTAL"
    )
    assert reply["ConsumedCapacity"] == {"TableName": keys_only, "CapacityUnits": 2.0}


def test_capacity_update(ddb: Any, keys_only: str) -> None:
    t, key = keys_only, {"pk": s("a")}

    def update(expression: str, **values: Any) -> dict[str, Any]:
        extra = {"ExpressionAttributeValues": values} if values else {}
        reply = ddb.update_item(
            TableName=t, Key=key, UpdateExpression=expression, **extra, **INDEXES
        )
        return reply["ConsumedCapacity"]  # type: ignore[no-any-return]

    check_capacity(
        update("SET x = :x", **{":x": s("1")}), t, 1.0, gsis={"gKeys": 0.0}
    )  # not in the index
    check_capacity(update("SET gk = :g", **{":g": s("g1")}), t, 1.0, gsis={"gKeys": 1.0})  # added
    check_capacity(
        update("SET x = :x", **{":x": s("2")}), t, 1.0, gsis={"gKeys": 0.0}
    )  # not projected
    check_capacity(
        update("SET gk = :g", **{":g": s("g2")}), t, 1.0, gsis={"gKeys": 2.0}
    )  # key changed
    check_capacity(update("REMOVE gk"), t, 1.0, gsis={"gKeys": 1.0})  # removed


def test_capacity_delete(ddb: Any, keys_only: str) -> None:
    t = keys_only
    ddb.put_item(TableName=t, Item={"pk": s("a"), "gk": s("g")})
    ddb.put_item(TableName=t, Item={"pk": s("b")})
    reply = ddb.delete_item(TableName=t, Key={"pk": s("a")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, gsis={"gKeys": 1.0})
    reply = ddb.delete_item(TableName=t, Key={"pk": s("b")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, gsis={"gKeys": 0.0})
    reply = ddb.delete_item(TableName=t, Key={"pk": s("missing")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, gsis={"gKeys": 0.0})


def test_capacity_include_projection(ddb: Any, make_table: Callable[..., str]) -> None:
    t = make_table(
        AttributeDefinitions=defs(pk="S", gk="S"),
        GlobalSecondaryIndexes=[gsi("gInc", keys(("gk", "HASH")), "INCLUDE", ["i"])],
    )
    key = {"pk": s("a")}
    ddb.put_item(TableName=t, Item={**key, "gk": s("g"), "i": n(1), "o": n(1)})

    def update(expression: str) -> dict[str, Any]:
        reply = ddb.update_item(
            TableName=t,
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeValues={":v": n(9)},
            **INDEXES,
        )
        return reply["ConsumedCapacity"]  # type: ignore[no-any-return]

    check_capacity(update("SET i = :v"), t, 1.0, gsis={"gInc": 1.0})  # projected attribute changed
    check_capacity(update("SET o = :v"), t, 1.0, gsis={"gInc": 0.0})  # attribute not projected


def test_capacity_rounds_each_index_entry_to_1_kb(ddb: Any, make_table: Callable[..., str]) -> None:
    t = make_table(
        AttributeDefinitions=defs(pk="S", gk="S"),
        GlobalSecondaryIndexes=[
            gsi("gAll", keys(("gk", "HASH"))),
            gsi("gKeys", keys(("gk", "HASH")), "KEYS_ONLY"),
        ],
    )
    item = {"pk": s("a"), "gk": s("g"), "big": s("x" * 1500)}  # ~1.5 KB item and ALL entry
    reply = ddb.put_item(TableName=t, Item=item, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 2.0, gsis={"gAll": 2.0, "gKeys": 1.0})
    reply = ddb.update_item(
        TableName=t,
        Key={"pk": s("a")},
        UpdateExpression="SET small = :v",
        ExpressionAttributeValues={":v": n(1)},
        **INDEXES,
    )
    check_capacity(reply["ConsumedCapacity"], t, 2.0, gsis={"gAll": 2.0, "gKeys": 0.0})
    reply = ddb.delete_item(TableName=t, Key={"pk": s("a")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 2.0, gsis={"gAll": 2.0, "gKeys": 1.0})


def test_capacity_lsi(ddb: Any, make_table: Callable[..., str]) -> None:
    t = make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=defs(pk="S", sk="S", lk="S"),
        LocalSecondaryIndexes=[lsi("lByL", "lk", "KEYS_ONLY")],
    )
    reply = ddb.put_item(TableName=t, Item={"pk": s("p"), "sk": s("1"), "lk": s("l")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, lsis={"lByL": 1.0})
    reply = ddb.put_item(TableName=t, Item={"pk": s("p"), "sk": s("2")}, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], t, 1.0, lsis={"lByL": 0.0})
    reply = ddb.update_item(
        TableName=t,
        Key={"pk": s("p"), "sk": s("1")},
        UpdateExpression="SET lk = :v",
        ExpressionAttributeValues={":v": s("m")},
        **INDEXES,
    )
    check_capacity(reply["ConsumedCapacity"], t, 1.0, lsis={"lByL": 2.0})


def test_capacity_multi_attribute_key_change(ddb: Any, multi: str) -> None:
    item = {"pk": s("a"), "t": s("T"), "r": n(1), "c": s("x"), "d": n(1)}
    reply = ddb.put_item(TableName=multi, Item=item, **INDEXES)
    check_capacity(reply["ConsumedCapacity"], multi, 1.0, gsis={"multi": 1.0})
    reply = ddb.update_item(
        TableName=multi,
        Key={"pk": s("a")},
        UpdateExpression="SET d = :d",
        ExpressionAttributeValues={":d": n(2)},
        **INDEXES,
    )
    check_capacity(reply["ConsumedCapacity"], multi, 1.0, gsis={"multi": 2.0})


def test_capacity_batch_write(ddb: Any, keys_only: str) -> None:
    t = keys_only
    reply = ddb.batch_write_item(
        RequestItems={
            t: [
                {"PutRequest": {"Item": {"pk": s("a"), "gk": s("g")}}},
                {"PutRequest": {"Item": {"pk": s("b"), "gk": s("g")}}},
                {"PutRequest": {"Item": {"pk": s("c")}}},
            ]
        },
        **INDEXES,
    )
    [capacity] = reply["ConsumedCapacity"]
    check_capacity(capacity, t, 3.0, gsis={"gKeys": 2.0})
    reply = ddb.batch_write_item(
        RequestItems={
            t: [
                {"DeleteRequest": {"Key": {"pk": s("a")}}},
                {"PutRequest": {"Item": {"pk": s("b"), "gk": s("h")}}},
            ]
        },
        **INDEXES,
    )
    [capacity] = reply["ConsumedCapacity"]
    check_capacity(capacity, t, 2.0, gsis={"gKeys": 3.0})


# ------------------------------------------------------------------- item collection metrics


SMALL = [0.0, 1.0]
SIZE = {"ReturnItemCollectionMetrics": "SIZE"}


def test_item_collection_metrics_on_single_writes(ddb: Any, with_lsi: str) -> None:
    t = with_lsi
    expected = {"ItemCollectionKey": {"pk": s("p")}, "SizeEstimateRangeGB": SMALL}
    reply = ddb.put_item(TableName=t, Item={"pk": s("p"), "sk": s("1"), "lk": s("l")}, **SIZE)
    assert reply["ItemCollectionMetrics"] == expected
    reply = ddb.update_item(
        TableName=t,
        Key={"pk": s("p"), "sk": s("1")},
        UpdateExpression="SET x = :x",
        ExpressionAttributeValues={":x": s("x")},
        **SIZE,
    )
    assert reply["ItemCollectionMetrics"] == expected
    reply = ddb.delete_item(TableName=t, Key={"pk": s("p"), "sk": s("1")}, **SIZE)
    assert reply["ItemCollectionMetrics"] == expected


def test_item_collection_metrics_not_asked(ddb: Any, with_lsi: str) -> None:
    item = {"pk": s("p"), "sk": s("1"), "lk": s("l")}
    assert "ItemCollectionMetrics" not in ddb.put_item(TableName=with_lsi, Item=item)
    reply = ddb.put_item(TableName=with_lsi, Item=item, ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in reply


def test_item_collection_metrics_only_with_an_lsi(ddb: Any, one_gsi: str, table: str) -> None:
    for name in (one_gsi, table):
        reply = ddb.put_item(TableName=name, Item={"pk": s("a"), "gk": s("g")}, **SIZE)
        assert "ItemCollectionMetrics" not in reply
        reply = ddb.update_item(
            TableName=name,
            Key={"pk": s("a")},
            UpdateExpression="SET x = :x",
            ExpressionAttributeValues={":x": s("x")},
            **SIZE,
        )
        assert "ItemCollectionMetrics" not in reply
        reply = ddb.delete_item(TableName=name, Key={"pk": s("a")}, **SIZE)
        assert "ItemCollectionMetrics" not in reply
        reply = ddb.batch_write_item(
            RequestItems={name: [{"PutRequest": {"Item": {"pk": s("b")}}}]}, **SIZE
        )
        assert reply.get("ItemCollectionMetrics", {}) == {}


def test_item_collection_metrics_on_batch_write(ddb: Any, with_lsi: str) -> None:
    t = with_lsi
    ddb.put_item(TableName=t, Item={"pk": s("r"), "sk": s("1")})
    reply = ddb.batch_write_item(
        RequestItems={
            t: [
                {"PutRequest": {"Item": {"pk": s("p"), "sk": s("1"), "lk": s("l")}}},
                {"PutRequest": {"Item": {"pk": s("q"), "sk": s("1"), "lk": s("l")}}},
                {"DeleteRequest": {"Key": {"pk": s("r"), "sk": s("1")}}},
            ]
        },
        **SIZE,
    )
    metrics = reply["ItemCollectionMetrics"][t]
    assert {m["ItemCollectionKey"]["pk"]["S"] for m in metrics} == {"p", "q", "r"}
    for entry in metrics:
        assert set(entry) == {"ItemCollectionKey", "SizeEstimateRangeGB"}
        assert entry["SizeEstimateRangeGB"] == SMALL


# --------------------------------------------------------------------------- item collection limit

LIMIT = 100_000  # bytes, through the OPENDYNAMO_ITEM_COLLECTION_LIMIT test hook
FILLER = 29_990  # "pk"+"c" (3) "sk"+"n" (3) "lk"+"l" (3) "b" (1) + filler = 30,000 bytes


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Any]:
    """A client of a server whose item collections are limited to 100,000 bytes."""
    data: Path = tmp_path_factory.mktemp("collection-limit")
    limit = {"OPENDYNAMO_ITEM_COLLECTION_LIMIT": str(LIMIT)}
    srv = Server(data, workers=1, env=limit, extra_args=backend()).start()
    yield srv.client()
    srv.stop()


def big(pk: str, sk: str, filler: int = FILLER) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s(sk), "lk": s("l"), "b": s("x" * filler)}


def limited_table(client: Any, with_lsi: bool = True) -> str:
    name = unique_name()
    extra: dict[str, Any] = {}
    if with_lsi:
        extra["LocalSecondaryIndexes"] = [lsi("byL", "lk", "KEYS_ONLY")]
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=keys(("pk", "HASH"), ("sk", "RANGE")),
        AttributeDefinitions=defs(pk="S", sk="S", **({"lk": "S"} if with_lsi else {})),
        **extra,
    )
    return name


def fill(client: Any, table: str, pk: str = "c") -> None:
    """Three 30,000-byte items: about 90 KB of the 100,000-byte collection."""
    for sk in ("1", "2", "3"):
        client.put_item(TableName=table, Item=big(pk, sk))


COLLECTION_FULL = ("ItemCollectionSizeLimitExceededException", "Collection size exceeded.")


def test_collection_limit_refuses_a_growing_put(limited: Any) -> None:
    t = limited_table(limited)
    fill(limited, t)
    assert write_error(limited.put_item, TableName=t, Item=big("c", "4")) == COLLECTION_FULL
    assert "Item" not in limited.get_item(TableName=t, Key={"pk": s("c"), "sk": s("4")})
    # Other collections are separate; rewriting an item at the same size does not grow this one.
    limited.put_item(TableName=t, Item=big("d", "4"))
    limited.put_item(TableName=t, Item=big("c", "3"))
    # Deleting makes room again.
    limited.delete_item(TableName=t, Key={"pk": s("c"), "sk": s("3")})
    limited.put_item(TableName=t, Item=big("c", "4"))


def test_collection_limit_refuses_a_growing_update(limited: Any) -> None:
    t = limited_table(limited)
    fill(limited, t)
    key = {"pk": s("c"), "sk": s("1")}
    error = write_error(
        limited.update_item,
        TableName=t,
        Key=key,
        UpdateExpression="SET more = :m",
        ExpressionAttributeValues={":m": s("y" * 25_000)},
    )
    assert error == COLLECTION_FULL
    assert "more" not in limited.get_item(TableName=t, Key=key)["Item"]
    limited.update_item(
        TableName=t,
        Key=key,
        UpdateExpression="SET b = :b",
        ExpressionAttributeValues={":b": s("short")},
    )


def test_collection_limit_refuses_a_growing_batch_write(limited: Any) -> None:
    t = limited_table(limited)
    fill(limited, t)
    error = write_error(
        limited.batch_write_item,
        RequestItems={
            t: [
                {"PutRequest": {"Item": big("c", "4")}},
            ]
        },
    )
    assert error == COLLECTION_FULL
    assert "Item" not in limited.get_item(TableName=t, Key={"pk": s("c"), "sk": s("4")})


def test_collection_limit_only_applies_with_an_lsi(limited: Any) -> None:
    t = limited_table(limited, with_lsi=False)
    for sk in ("1", "2", "3", "4", "5"):
        limited.put_item(TableName=t, Item=big("c", sk))
    assert limited.describe_table(TableName=t)["Table"]["ItemCount"] == 5
