"""Query and Scan at the edges, as DynamoDB behaves: the ExclusiveStartKey's checks, the 1 MB
page, a Scan's capacity, and which fault of several a request is refused for.

Pinned behaviour (sources: dynalite's query and scan tests, recorded against DynamoDB, and its
actions written from them; ScyllaDB Alternator's test_returnconsumedcapacity.py, run against
DynamoDB):
- ExclusiveStartKey. Its values are checked with the request's other parameters: a fault is
  "The provided starting key is invalid: <fault>", except the faults of numbers and of
  duplicate or empty number sets, and duplicates in any set, which come bare. Against the
  table, in this order: the number of its attributes ("The provided starting key is invalid";
  a Scan of a table words it "…: The provided key element does not match the schema"); each
  key attribute of what is read: missing ("The provided starting key is invalid") or of
  another type (bare "The provided key element does not match the schema"), a Query checking
  its key conditions on each attribute right after; then the table's key in it ("The provided
  starting key is invalid: The provided key element does not match the schema"); then a
  Query's boundaries. A Scan checks an index's key attributes before Select ALL_ATTRIBUTES on
  a GSI that does not project everything, and the table key after. An unknown index or table
  is reported before any of it.
- The 1 MB page counts each item's compact page size, not its billed size: attribute names
  count 1 byte, values a little framing (`opendynamo.model.sizes.page_size`). The item that
  reaches 1,048,576 bytes is in the page, and LastEvaluatedKey is returned even when it was
  the last item; one byte less and the page is whole. The figures below are dynalite's
  recorded ones (25 items of about 42 KB, a 255-character attribute name).
- A Scan is charged per partition it reads, each rounded up to a whole unit: a new on-demand
  table (4 partitions) holding one tiny item costs 4 units consistent, 2 eventually
  consistent, while a Query of that item costs 1 / 0.5; a table provisioned small (one
  partition) costs 1 / 0.5; one segment of 4 reads one partition.
- The order of checks (dynalite's validations/scan.js and query.js): expression parameters
  mixed with legacy ones, names or values without expressions; legacy filters; the
  ExclusiveStartKey's values; Scan's Segment and TotalSegments; Query's missing key
  condition; then ExpressionAttributeNames (not empty, keys), ExpressionAttributeValues (not
  empty, keys, then each value) and the expressions themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Server
from tests.wire.helpers import create_table, refused
from tests.wire.http import signed_call

INVALID_START = "The provided starting key is invalid"
NO_MATCH = "The provided key element does not match the schema"
INVALID = "One or more parameter values were invalid: "
LONG_NAME = "e" * 255


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: str) -> dict[str, str]:
    return {"N": value}


def refused_raw(server: Server, operation: str, body: dict[str, Any]) -> tuple[str, str]:
    """(error type, message) of a request sent as given, past botocore's own checks."""
    reply = signed_call(server, operation, body)
    assert reply.status == 400, reply.body
    error = reply.json()
    return error["__type"].rsplit("#", 1)[-1], error.get("message", error.get("Message", ""))


@pytest.fixture(scope="module")
def tables(ddb: Any) -> Iterator[dict[str, str]]:
    """ "ranged": (pk S, sk S). "indexed": (pk S, sk S) with c and d (S) and three indexes:
    LSI lsi_c (pk, c) and GSI gsi_c (c), both ALL; GSI gsi_cd (c, d), KEYS_ONLY."""
    indexed = create_table(
        ddb,
        "edge",
        range_key=("sk", "S"),
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "c", "d")
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "lsi_c",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "c", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi_c",
                "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "gsi_cd",
                "KeySchema": [
                    {"AttributeName": "c", "KeyType": "HASH"},
                    {"AttributeName": "d", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        wait=True,
    )
    made = {"ranged": create_table(ddb, "edge", range_key=("sk", "S")), "indexed": indexed}
    yield made
    for name in made.values():
        ddb.delete_table(TableName=name)


# --------------------------------------------------------------------------- ExclusiveStartKey


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {},
            INVALID_START + ": Supplied AttributeValue is empty, must contain exactly one of the "
            "supported datatypes",
        ),  # fmt: skip
        (
            {"S": "a", "N": "1"},
            INVALID_START + ": Supplied AttributeValue has more than one "
            "datatypes set, must contain exactly one of the supported datatypes",
        ),  # fmt: skip
        (
            {"NULL": False},
            INVALID_START
            + ": "
            + INVALID
            + "Null attribute value types must have the value of true",
        ),  # fmt: skip
        ({"SS": []}, INVALID_START + ": " + INVALID + "An string set  may not be empty"),
        ({"BS": []}, INVALID_START + ": " + INVALID + "Binary sets should not be empty"),
        ({"NS": []}, INVALID + "An number set  may not be empty"),
        ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
        ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
        ({"N": "b"}, "The parameter cannot be converted to a numeric value: b"),
        ({"S": "a", "N": "b"}, "The parameter cannot be converted to a numeric value: b"),
        (
            {"N": "1e126"},
            "Number overflow. Attempting to store a number with magnitude larger "
            "than supported range",
        ),  # fmt: skip
    ],
    ids=[
        "empty",
        "two-types",
        "null-false",
        "empty-SS",
        "empty-BS",
        "empty-NS",
        "dup-SS",
        "dup-NS",
        "not-a-number",
        "S-and-bad-N",
        "overflow",
    ],  # fmt: skip
)
@pytest.mark.parametrize("operation", ["Scan", "Query"])
def test_start_key_values_are_checked_with_dynamodbs_wording(
    server: Server, tables: dict[str, str], operation: str, value: Any, message: str
) -> None:
    body: dict[str, Any] = {"TableName": tables["ranged"], "ExclusiveStartKey": {"pk": value}}
    if operation == "Query":
        body |= {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": s("a")}}
    assert refused_raw(server, operation, body) == ("ValidationException", message)


def test_a_start_key_blob_that_is_not_base64_is_a_serialization_error(
    server: Server, tables: dict[str, str]
) -> None:
    body = {"TableName": tables["ranged"], "ExclusiveStartKey": {"pk": {"B": "abc"}}}
    code, _ = refused_raw(server, "Scan", body)
    assert code == "SerializationException"


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ({}, INVALID_START),
        ({"pk": s("a"), "sk": s("b")}, INVALID_START),
        ({"pk": s("a"), "sk": s("b"), "z": s("c")}, INVALID_START),  # c missing
        ({"x": s("a"), "y": s("b"), "c": n("1")}, NO_MATCH),  # the index key's type
        ({"x": n("1"), "y": n("1"), "c": s("a")}, f"{INVALID_START}: {NO_MATCH}"),  # no table key
        ({"pk": n("1"), "sk": s("b"), "c": s("a")}, f"{INVALID_START}: {NO_MATCH}"),
    ],
    ids=[
        "empty",
        "too-few",
        "index-key-missing",
        "index-key-type",
        "table-key-missing",
        "table-key-type",
    ],  # fmt: skip
)
def test_scan_of_a_global_index_checks_the_start_key_in_dynamodbs_order(
    ddb: Any, tables: dict[str, str], start: dict[str, Any], message: str
) -> None:
    call = lambda: ddb.scan(TableName=tables["indexed"], IndexName="gsi_c", ExclusiveStartKey=start)  # noqa: E731
    assert refused(call) == ("ValidationException", message)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ({"pk": n("1"), "x": s("a"), "y": s("b")}, NO_MATCH),  # the index's partition key
        ({"pk": s("a"), "sk": s("b"), "c": n("1")}, NO_MATCH),  # the index's sort key
        ({"pk": s("a"), "sk": n("1"), "c": s("b")}, f"{INVALID_START}: {NO_MATCH}"),
    ],
    ids=["index-hash-type", "index-range-type", "table-range-type"],
)
def test_scan_of_a_local_index_checks_its_keys_before_the_tables(
    ddb: Any, tables: dict[str, str], start: dict[str, Any], message: str
) -> None:
    call = lambda: ddb.scan(TableName=tables["indexed"], IndexName="lsi_c", ExclusiveStartKey=start)  # noqa: E731
    assert refused(call) == ("ValidationException", message)


def test_scan_checks_the_index_keys_then_select_then_the_table_key(
    ddb: Any, tables: dict[str, str]
) -> None:
    def scan(start: dict[str, Any]) -> tuple[str, str]:
        return refused(
            lambda: ddb.scan(
                TableName=tables["indexed"],
                IndexName="gsi_cd",
                Select="ALL_ATTRIBUTES",
                ExclusiveStartKey=start,
            )
        )

    # d (the index's sort key) missing: the start key is refused before Select.
    assert scan({"pk": n("1"), "sk": n("1"), "c": s("a"), "e": n("1")}) == (
        "ValidationException",
        INVALID_START,
    )
    # The index's keys are right, the table's are not: Select is refused first.
    assert scan({"x": n("1"), "y": n("1"), "c": s("a"), "d": s("b")}) == (
        "ValidationException",
        INVALID + "Select type ALL_ATTRIBUTES is not supported for global secondary index "
        "gsi_cd because its projection type is not ALL",
    )


def test_an_unknown_index_or_table_is_reported_before_the_start_key(
    ddb: Any, tables: dict[str, str]
) -> None:
    for start in ({}, {"z": s("a")}, {"pk": s("a"), "sk": s("b"), "c": s("c"), "d": s("d")}):
        assert refused(
            lambda start=start: ddb.scan(
                TableName=tables["indexed"], IndexName="nope", ExclusiveStartKey=start
            )
        ) == ("ValidationException", "The table does not have the specified index: nope")
    assert refused(
        lambda: ddb.scan(TableName="no-such-table-edge", ExclusiveStartKey={"z": s("a")})
    ) == ("ResourceNotFoundException", "Requested resource not found")


def test_query_of_a_global_index_words_a_bad_table_key_as_an_invalid_start_key(
    ddb: Any, tables: dict[str, str]
) -> None:
    def query(start: dict[str, Any]) -> tuple[str, str]:
        return refused(
            lambda: ddb.query(
                TableName=tables["indexed"],
                IndexName="gsi_c",
                KeyConditionExpression="c = :c",
                ExpressionAttributeValues={":c": s("a")},
                ExclusiveStartKey=start,
            )
        )

    assert query({"pk": n("1"), "sk": s("b"), "c": s("a")}) == (
        "ValidationException",
        f"{INVALID_START}: {NO_MATCH}",
    )
    assert query({"pk": s("a"), "sk": s("b"), "c": n("1")}) == ("ValidationException", NO_MATCH)
    assert query({"pk": s("a"), "sk": s("b"), "c": s("z")}) == (
        "ValidationException",
        "The provided starting key is outside query boundaries based on provided conditions",
    )


def test_query_checks_each_key_attribute_of_the_start_key_before_its_conditions(
    ddb: Any, tables: dict[str, str]
) -> None:
    def query(start: dict[str, Any]) -> tuple[str, str]:
        return refused(
            lambda: ddb.query(
                TableName=tables["ranged"],
                KeyConditionExpression="sk = :v",  # no condition on the partition key
                ExpressionAttributeValues={":v": s("a")},
                ExclusiveStartKey=start,
            )
        )

    # The partition key's start value is checked before the partition key's condition...
    assert query({"pk": n("1"), "sk": s("a")}) == ("ValidationException", NO_MATCH)
    # ... which is checked before the sort key's start value.
    assert query({"pk": s("a"), "sk": n("1")}) == (
        "ValidationException",
        "Query condition missed key schema element: pk",
    )


def test_query_restarted_in_another_partition_under_a_sort_condition(
    ddb: Any, tables: dict[str, str]
) -> None:
    reply = refused(
        lambda: ddb.query(
            TableName=tables["ranged"],
            KeyConditionExpression="pk = :p AND sk >= :v",
            ExpressionAttributeValues={":p": s("a"), ":v": s("m")},
            ExclusiveStartKey={"pk": s("b"), "sk": s("n")},
        )
    )
    assert reply == (
        "ValidationException",
        "The query can return at most one row and cannot be restarted",
    )


# --------------------------------------------------------------------------- the 1 MB page


def fill(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for item in items:
        ddb.put_item(TableName=table, Item=item)


def key_of(item: dict[str, Any], names: tuple[str, ...] = ("pk", "sk")) -> dict[str, Any]:
    return {name: item[name] for name in names}


def test_the_page_is_cut_by_page_size_for_scan_and_query(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    """25 items of 41,860-odd bytes: 1,048,575 page bytes (1,046,575 billed) is one whole
    page; one more byte in the last item reaches 1 MB, so that item ends the page with a
    LastEvaluatedKey although nothing follows it."""
    table = make_table(range_key=("sk", "S"))
    items = [
        {"pk": s("p" * 10), "sk": s(f"{i:06}"), "c": s("abcde"), LONG_NAME: s("e" * 41582)}
        for i in range(25)
    ]
    fill(ddb, table, items)
    query = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": s("p" * 10)}}
    for reply in (ddb.scan(TableName=table), ddb.query(TableName=table, **query)):
        assert (reply["Count"], reply["ScannedCount"]) == (25, 25)
        assert "LastEvaluatedKey" not in reply
    items[24][LONG_NAME] = s("e" * 41583)
    fill(ddb, table, items[24:])
    for reply in (ddb.scan(TableName=table), ddb.query(TableName=table, **query)):
        assert (reply["Count"], reply["ScannedCount"]) == (25, 25)
        assert reply["LastEvaluatedKey"] == key_of(items[24])
    rest = ddb.query(TableName=table, ExclusiveStartKey=key_of(items[24]), **query)
    assert (rest["Count"], "LastEvaluatedKey" in rest) == (0, False)


def test_a_number_sort_key_counts_its_plain_size(ddb: Any, make_table: Callable[..., str]) -> None:
    """Sort keys 0 to 24: "0" counts 1 byte, the others 2 (kept apart from the item's body)."""
    table = make_table(range_key=("sk", "N"))

    def item(i: int, length: int) -> dict[str, Any]:
        return {"pk": s("p" * 10), "sk": n(str(i)), "c": s("abcde"), LONG_NAME: s("e" * length)}

    items = [item(i, 41638) for i in range(24)] + [item(24, 41652)]
    fill(ddb, table, items)
    reply = ddb.scan(TableName=table)
    assert (reply["ScannedCount"], "LastEvaluatedKey" in reply) == (25, False)
    fill(ddb, table, [item(24, 41653)])
    reply = ddb.scan(TableName=table)
    assert reply["ScannedCount"] == 25
    assert reply["LastEvaluatedKey"] == {"pk": s("p" * 10), "sk": n("24")}


def test_attribute_names_count_one_byte_toward_the_page(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    """24 items under 24 partition keys with a 255-character attribute name: 1,048,576 page
    bytes (1,048,072 billed, under 1 MB) fill the page whatever order the Scan reads them
    in; one byte less does not."""
    table = make_table()
    items = [{"pk": s(f"k{i:02}"), LONG_NAME: s("b" * 43410)} for i in range(23)]
    items.append({"pk": s("k23"), LONG_NAME: s("b" * 43401)})
    fill(ddb, table, items)
    reply = ddb.scan(TableName=table)
    assert (reply["ScannedCount"], "LastEvaluatedKey" in reply) == (24, False)
    fill(ddb, table, [{"pk": s("k23"), LONG_NAME: s("b" * 43402)}])
    reply = ddb.scan(TableName=table)
    assert reply["ScannedCount"] == 24
    assert reply["LastEvaluatedKey"] == {"pk": reply["Items"][-1]["pk"]}


# --------------------------------------------------------------------------- a Scan's capacity


def consumed(reply: dict[str, Any]) -> float:
    units: float = reply["ConsumedCapacity"]["CapacityUnits"]
    return units


def test_scan_of_one_tiny_item_on_demand_costs_a_unit_per_partition(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": s("x"), "animal": s("cat")})
    strong = ddb.scan(TableName=table, ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert strong["Count"] == 1
    assert strong["ConsumedCapacity"] == {
        "TableName": table,
        "CapacityUnits": 4.0,
        "Table": {"CapacityUnits": 4.0},
    }
    assert consumed(ddb.scan(TableName=table, ReturnConsumedCapacity="TOTAL")) == 2.0
    query = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": s("x")},
        "ReturnConsumedCapacity": "TOTAL",
    }
    assert consumed(ddb.query(ConsistentRead=True, **query)) == 1.0
    assert consumed(ddb.query(**query)) == 0.5


def test_each_of_four_segments_reads_one_partition(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": s("x"), "animal": s("cat")})
    for segment in range(4):
        reply = ddb.scan(
            TableName=table,
            Segment=segment,
            TotalSegments=4,
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        assert consumed(reply) == 1.0


@pytest.mark.parametrize(
    ("throughput", "partitions"),
    [
        ({"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}, 1),
        ({"ReadCapacityUnits": 3000, "WriteCapacityUnits": 1000}, 2),
    ],  # fmt: skip
    ids=["5-5", "3000-1000"],
)
def test_a_provisioned_table_has_a_partition_per_3000_reads_and_1000_writes(
    ddb: Any, make_table: Callable[..., str], throughput: dict[str, int], partitions: int
) -> None:
    table = make_table(billing=None, ProvisionedThroughput=throughput)
    ddb.put_item(TableName=table, Item={"pk": s("x"), "animal": s("cat")})
    strong = ddb.scan(TableName=table, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert consumed(strong) == float(partitions)
    assert consumed(ddb.scan(TableName=table, ReturnConsumedCapacity="TOTAL")) == partitions / 2


# --------------------------------------------------------------------------- order of checks


def test_scan_reports_segments_before_the_expression_maps(
    server: Server, tables: dict[str, str]
) -> None:
    faults = {
        "FilterExpression": "",
        "ExpressionAttributeNames": {},
        "ExpressionAttributeValues": {},
    }
    table = tables["ranged"]
    assert refused_raw(server, "Scan", {"TableName": table, "Segment": 1, "TotalSegments": 1, **faults}) == (
        "ValidationException",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 1 is not less than TotalSegments: 1",
    )  # fmt: skip
    assert refused_raw(server, "Scan", {"TableName": table, "Segment": 1, **faults}) == (
        "ValidationException",
        "The TotalSegments parameter is required but was not present in the request when "
        "Segment parameter is present",
    )
    assert refused_raw(server, "Scan", {"TableName": table, "TotalSegments": 2, **faults}) == (
        "ValidationException",
        "The Segment parameter is required but was not present in the request when "
        "parameter TotalSegments is present",
    )
    assert refused_raw(server, "Scan", {"TableName": table, **faults}) == (
        "ValidationException",
        "ExpressionAttributeNames must not be empty",
    )


def test_scan_reports_the_start_key_before_segments_and_the_filter_before_both(
    server: Server, tables: dict[str, str]
) -> None:
    bad_start = {"ExclusiveStartKey": {"pk": {}}, "Segment": 3, "TotalSegments": 3}
    table = tables["ranged"]
    for extra in ({}, {"FilterExpression": "", "ExpressionAttributeNames": {}}):
        assert refused_raw(server, "Scan", {"TableName": table, **bad_start, **extra}) == (
            "ValidationException",
            INVALID_START + ": Supplied AttributeValue is empty, must contain exactly one of the "
            "supported datatypes",
        )
    legacy_filter = {"ScanFilter": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}}}
    assert refused_raw(server, "Scan", {"TableName": table, **bad_start, **legacy_filter}) == (
        "ValidationException",
        INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator",
    )


def test_query_reports_the_start_key_before_a_missing_key_condition(
    server: Server, tables: dict[str, str]
) -> None:
    body = {"TableName": tables["ranged"], "ExclusiveStartKey": {"pk": {"NULL": False}}}
    assert refused_raw(server, "Query", body) == (
        "ValidationException",
        INVALID_START + ": " + INVALID + "Null attribute value types must have the value of true",
    )


@pytest.mark.parametrize("operation", ["Scan", "Query", "PutItem"])
def test_placeholder_maps_are_checked_before_their_values(
    server: Server, tables: dict[str, str], operation: str
) -> None:
    body: dict[str, Any] = {"TableName": tables["ranged"]}
    if operation == "Query":
        body["KeyConditionExpression"] = "pk = :v"
    elif operation == "Scan":
        body["FilterExpression"] = "a = :v"
    else:
        body |= {"Item": {"pk": s("a"), "sk": s("b")}, "ConditionExpression": "a = :v"}
    bad_value = {":v": {"N": "x"}}
    assert refused_raw(
        server, operation, body | {"ExpressionAttributeNames": {}, "ExpressionAttributeValues": bad_value}
    ) == ("ValidationException", "ExpressionAttributeNames must not be empty")  # fmt: skip
    assert refused_raw(
        server, operation, body | {"ExpressionAttributeValues": {"v": {"N": "x"}}}
    ) == ("ValidationException", 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"')  # fmt: skip
    assert refused_raw(server, operation, body | {"ExpressionAttributeValues": bad_value}) == (
        "ValidationException",
        "ExpressionAttributeValues contains invalid value: The parameter cannot be converted to "
        "a numeric value: x for key :v",
    )


def test_query_reports_a_filter_on_a_key_before_select_on_a_global_index(
    ddb: Any, tables: dict[str, str]
) -> None:
    reply = refused(
        lambda: ddb.query(
            TableName=tables["indexed"],
            IndexName="gsi_cd",
            Select="ALL_ATTRIBUTES",
            KeyConditionExpression="c = :c",
            FilterExpression="d = :d",
            ExpressionAttributeValues={":c": s("a"), ":d": s("b")},
        )
    )
    assert reply == (
        "ValidationException",
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: d",
    )
