"""Scan over the wire, as DynamoDB behaves.

Pinned behaviour:
- A full Scan (followed through LastEvaluatedKey) returns every item exactly once; the items
  of one partition come together and in sort-key order (partitions in an undocumented order).
- FilterExpression runs after the read and, unlike Query, may name key attributes; Count
  counts matches, ScannedCount the items read. ProjectionExpression returns only the named
  attributes. Select=COUNT omits Items.
- Limit counts items read; LastEvaluatedKey is the key of the last item read whenever Limit
  stopped the page, also when exactly Limit items remained, and absent otherwise.
  ExclusiveStartKey resumes after that key; a key that does not fit the table's schema is
  "The provided starting key is invalid: The provided key element does not match the schema".
- Parallel scan: Segment/TotalSegments split the table into disjoint segments that together
  are exactly the table, for any TotalSegments (1, 3, 16 checked), each pageable on its own.
  Errors, with DynamoDB's messages: Segment without TotalSegments, TotalSegments without
  Segment, Segment >= TotalSegments ("The Segment parameter is zero-based and must be less
  than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3"),
  TotalSegments > 1,000,000 and Segment > 999,999 (constraint errors), and an ExclusiveStartKey
  that lies in another segment ("The provided starting key is invalid: Invalid
  ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 4
  Segment: 1").
- Select errors are not wrapped in the constraint envelope on Scan (unlike Query).
- Capacity: the sizes of the items read, summed and rounded up once to 4 KB per partition
  read (one for a table provisioned small; test_query_edges pins on-demand tables' four);
  halved when eventually consistent.
- A missing table is ResourceNotFoundException "Requested resource not found".
- boto3's scan paginator walks the whole table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.wire.helpers import create_table, page_items, refused, scan_pages
from tests.wire.http import signed_call

PARTITIONS = 60
PER_PARTITION = 5
HASH_ITEMS = 300


def load(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    """BatchWriteItem in chunks of 25 (PutItem one by one if the server lacks it)."""
    for start in range(0, len(items), 25):
        chunk = items[start : start + 25]
        try:
            pending: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in chunk]}
            while pending:
                pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
        except ClientError as exc:
            if error_of_client(exc)[0] != "UnknownOperationException":
                raise
            for item in chunk:
                ddb.put_item(TableName=table, Item=item)


def error_of_client(exc: ClientError) -> tuple[str, str]:
    err = exc.response["Error"]
    return err["Code"], err.get("Message", "")


@pytest.fixture(scope="module")
def hash_table(ddb: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A hash-only table of 300 items pk=h000..h299, with n = index and a parity colour."""
    name = create_table(ddb, "s")
    items = [
        {"pk": {"S": f"h{i:03}"}, "n": {"N": str(i)}, "colour": {"S": "red" if i % 2 else "blue"}}
        for i in range(HASH_ITEMS)
    ]
    load(ddb, name, items)
    yield name, items
    ddb.delete_table(TableName=name)


@pytest.fixture(scope="module")
def range_table(ddb: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """60 partitions × 5 items (sk N 0..4)."""
    name = create_table(ddb, "s", range_key=("sk", "N"))
    items = [
        {"pk": {"S": f"p{p:02}"}, "sk": {"N": str(s)}, "v": {"S": f"{p}-{s}"}}
        for p in range(PARTITIONS)
        for s in range(PER_PARTITION)
    ]
    load(ddb, name, items)
    yield name, items
    ddb.delete_table(TableName=name)


# --------------------------------------------------------------------------- full scans


def test_scan_returns_every_item_once(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = hash_table
    reply = ddb.scan(TableName=name)
    assert "LastEvaluatedKey" not in reply
    assert reply["Count"] == reply["ScannedCount"] == HASH_ITEMS
    assert sorted(reply["Items"], key=lambda i: i["pk"]["S"]) == items


def test_partitions_are_contiguous_and_sorted(
    ddb: Any, range_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = range_table
    got = ddb.scan(TableName=name, ConsistentRead=True)["Items"]
    assert sorted(got, key=lambda i: (i["pk"]["S"], int(i["sk"]["N"]))) == items
    order = [i["pk"]["S"] for i in got]
    runs = [pk for index, pk in enumerate(order) if index == 0 or order[index - 1] != pk]
    assert len(runs) == PARTITIONS, "each partition's items arrive together"
    for pk in runs:
        sks = [int(i["sk"]["N"]) for i in got if i["pk"]["S"] == pk]
        assert sks == list(range(PER_PARTITION))


def test_scan_of_an_empty_table(ddb: Any, make_table: Callable[..., str]) -> None:
    reply = ddb.scan(TableName=make_table())
    assert reply["Items"] == []
    assert (reply["Count"], reply["ScannedCount"]) == (0, 0)
    assert "LastEvaluatedKey" not in reply


def test_filter_may_use_key_attributes(
    ddb: Any, range_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = range_table
    reply = ddb.scan(
        TableName=name,
        FilterExpression="pk = :p AND sk >= :n",
        ExpressionAttributeValues={":p": {"S": "p07"}, ":n": {"N": "3"}},
    )
    assert sorted(reply["Items"], key=lambda i: int(i["sk"]["N"])) == [
        i for i in items if i["pk"]["S"] == "p07" and int(i["sk"]["N"]) >= 3
    ]
    assert (reply["Count"], reply["ScannedCount"]) == (2, PARTITIONS * PER_PARTITION)


def test_filter_on_non_key_attribute(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = hash_table
    reply = ddb.scan(
        TableName=name,
        FilterExpression="colour = :c AND n < :n",
        ExpressionAttributeValues={":c": {"S": "red"}, ":n": {"N": "20"}},
    )
    assert sorted(reply["Items"], key=lambda i: i["pk"]["S"]) == [
        i for i in items if i["colour"]["S"] == "red" and int(i["n"]["N"]) < 20
    ]
    assert (reply["Count"], reply["ScannedCount"]) == (10, HASH_ITEMS)


def test_projection_returns_only_named_attributes(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = hash_table
    reply = ddb.scan(TableName=name, ProjectionExpression="n, absent")
    assert sorted(int(i["n"]["N"]) for i in reply["Items"]) == list(range(HASH_ITEMS))
    assert all(set(i) == {"n"} for i in reply["Items"])


def test_select_count_omits_items(ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]) -> None:
    name, _ = hash_table
    reply = ddb.scan(
        TableName=name,
        Select="COUNT",
        FilterExpression="colour = :c",
        ExpressionAttributeValues={":c": {"S": "blue"}},
    )
    assert "Items" not in reply
    assert (reply["Count"], reply["ScannedCount"]) == (HASH_ITEMS // 2, HASH_ITEMS)


SELECT_ERRORS = [
    (
        {"Select": "SPECIFIC_ATTRIBUTES"},
        "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
        "SPECIFIC_ATTRIBUTES",
    ),
    (
        {"Select": "ALL_PROJECTED_ATTRIBUTES"},
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    ),
    (
        {"Select": "COUNT", "ProjectionExpression": "n"},
        "Cannot specify the ProjectionExpression when choosing to get only the Count",
    ),
    (
        {"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "n"},
        "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
    ),
]


@pytest.mark.parametrize(
    ("extra", "message"),
    SELECT_ERRORS,
    ids=[
        "specific-without-projection",
        "all-projected-on-table",
        "count-with-projection",
        "all-with-projection",
    ],
)
def test_select_errors(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]], extra: dict[str, Any], message: str
) -> None:
    name, _ = hash_table
    assert refused(lambda: ddb.scan(TableName=name, **extra)) == ("ValidationException", message)


def test_scan_of_a_missing_table_is_resource_not_found(ddb: Any) -> None:
    code, message = refused(lambda: ddb.scan(TableName="no-such-" + uuid.uuid4().hex[:8]))
    assert (code, message) == ("ResourceNotFoundException", "Requested resource not found")


# --------------------------------------------------------------------------- Limit and start keys


def test_limit_pages_cover_the_table_once(
    ddb: Any, range_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = range_table
    replies = scan_pages(ddb, name, Limit=7)
    got = page_items(replies)
    assert len(got) == len(items)
    assert sorted(got, key=lambda i: (i["pk"]["S"], int(i["sk"]["N"]))) == items
    for reply in replies[:-1]:
        assert reply["Count"] == reply["ScannedCount"] == 7
        last = reply["Items"][-1]
        assert reply["LastEvaluatedKey"] == {"pk": last["pk"], "sk": last["sk"]}
    # 300 = 42 × 7 + 6: the last page is short and has no LastEvaluatedKey.
    assert replies[-1]["Count"] == 6
    assert len(replies) == 43


def test_limit_equal_to_table_size_still_gives_last_evaluated_key(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, _ = hash_table
    reply = ddb.scan(TableName=name, Limit=HASH_ITEMS)
    assert reply["Count"] == HASH_ITEMS
    assert reply["LastEvaluatedKey"] == {"pk": reply["Items"][-1]["pk"]}
    after = ddb.scan(TableName=name, Limit=HASH_ITEMS, ExclusiveStartKey=reply["LastEvaluatedKey"])
    assert (after["Items"], after["Count"], after["ScannedCount"]) == ([], 0, 0)
    assert "LastEvaluatedKey" not in after
    assert "LastEvaluatedKey" not in ddb.scan(TableName=name, Limit=HASH_ITEMS + 1)


def test_limit_counts_items_before_the_filter(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, _ = hash_table
    replies = scan_pages(
        ddb,
        name,
        Limit=40,
        FilterExpression="n < :n",
        ExpressionAttributeValues={":n": {"N": "10"}},
    )
    got = page_items(replies)
    assert sorted(int(i["n"]["N"]) for i in got) == list(range(10))
    assert [r["ScannedCount"] for r in replies] == [40] * 7 + [20]
    assert sum(r["Count"] for r in replies) == 10
    for reply in replies[:-1]:
        assert "LastEvaluatedKey" in reply  # even for pages whose items were all filtered out


def test_select_count_pages(ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]) -> None:
    name, _ = hash_table
    replies = scan_pages(ddb, name, Limit=100, Select="COUNT")
    assert [(r["Count"], "Items" in r, "LastEvaluatedKey" in r) for r in replies] == [
        (100, False, True),
        (100, False, True),
        (100, False, True),
        (0, False, False),
    ]


@pytest.mark.parametrize(
    "start",
    [
        {"sk": {"N": "1"}},
        {"pk": {"S": "p01"}},
        {"pk": {"S": "p01"}, "sk": {"N": "1"}, "v": {"S": "x"}},
        {"pk": {"S": "p01"}, "other_name": {"N": "1"}},
    ],
    ids=["missing-partition-key", "missing-sort-key", "extra-attribute", "wrong-name"],
)
def test_malformed_exclusive_start_key_is_refused(
    ddb: Any, range_table: tuple[str, list[dict[str, Any]]], start: dict[str, Any]
) -> None:
    name, _ = range_table
    assert refused(lambda: ddb.scan(TableName=name, ExclusiveStartKey=start)) == (
        "ValidationException",
        "The provided starting key is invalid: The provided key element does not match the schema",
    )


def test_exclusive_start_key_of_wrong_type_is_refused(
    ddb: Any, range_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, _ = range_table
    start = {"pk": {"S": "p01"}, "sk": {"S": "1"}}
    assert refused(lambda: ddb.scan(TableName=name, ExclusiveStartKey=start)) == (
        "ValidationException",
        "The provided starting key is invalid: The provided key element does not match the schema",
    )


# --------------------------------------------------------------------------- parallel scan


@pytest.mark.parametrize("total", [1, 3, 16])
def test_segments_are_disjoint_and_cover_the_table(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]], total: int
) -> None:
    name, items = hash_table
    seen: list[str] = []
    for segment in range(total):
        replies = scan_pages(ddb, name, Segment=segment, TotalSegments=total, Limit=25)
        got = page_items(replies)
        seen.extend(i["pk"]["S"] for i in got)
        for reply in replies[:-1]:
            assert reply["ScannedCount"] == 25
    assert len(seen) == len(set(seen)) == HASH_ITEMS
    assert sorted(seen) == [i["pk"]["S"] for i in items]


def test_segments_of_a_range_table_keep_partitions_whole(
    ddb: Any, range_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = range_table
    owner: dict[str, int] = {}
    count = 0
    for segment in range(4):
        got = page_items(scan_pages(ddb, name, Segment=segment, TotalSegments=4, Limit=9))
        count += len(got)
        for item in got:
            assert owner.setdefault(item["pk"]["S"], segment) == segment
    assert count == len(items)
    assert len(owner) == PARTITIONS


def test_segments_with_more_segments_than_items(ddb: Any, make_table: Callable[..., str]) -> None:
    name = make_table()
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    seen: list[str] = []
    for segment in range(64):
        seen.extend(
            i["pk"]["S"]
            for i in ddb.scan(TableName=name, Segment=segment, TotalSegments=64)["Items"]
        )
    assert sorted(seen) == [f"k{i}" for i in range(5)]


def test_exclusive_start_key_from_another_segment_is_refused(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, _ = hash_table
    foreign = ddb.scan(TableName=name, Segment=0, TotalSegments=4, Limit=1)["LastEvaluatedKey"]
    assert refused(
        lambda: ddb.scan(TableName=name, Segment=1, TotalSegments=4, ExclusiveStartKey=foreign)
    ) == (
        "ValidationException",
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
        "ExclusiveStartKey with correct Segment. TotalSegments: 4 Segment: 1",
    )


def test_exclusive_start_key_of_the_same_segment_resumes(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, _ = hash_table
    whole = ddb.scan(TableName=name, Segment=2, TotalSegments=4)["Items"]
    first = ddb.scan(TableName=name, Segment=2, TotalSegments=4, Limit=3)
    rest = ddb.scan(
        TableName=name, Segment=2, TotalSegments=4, ExclusiveStartKey=first["LastEvaluatedKey"]
    )
    assert first["Items"] + rest["Items"] == whole


SEGMENT_ERRORS = [
    (
        {"Segment": 1},
        "The TotalSegments parameter is required but was not present in the request when Segment "
        "parameter is present",
    ),
    (
        {"TotalSegments": 4},
        "The Segment parameter is required but was not present in the request when parameter "
        "TotalSegments is present",
    ),
    (
        {"Segment": 3, "TotalSegments": 3},
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 3 is not less than TotalSegments: 3",
    ),
    (
        {"Segment": 7, "TotalSegments": 1},
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 7 is not less than TotalSegments: 1",
    ),
    (
        {"Segment": 0, "TotalSegments": 1000001},
        "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000000",
    ),
    (
        {"Segment": 1000000, "TotalSegments": 1000000},
        "1 validation error detected: Value '1000000' at 'segment' failed to satisfy "
        "constraint: Member must have value less than or equal to 999999",
    ),
]


@pytest.mark.parametrize(
    ("extra", "message"),
    SEGMENT_ERRORS,
    ids=[
        "segment-alone",
        "total-alone",
        "segment-equal-total",
        "segment-above-total",
        "total-too-big",
        "segment-too-big",
    ],
)
def test_segment_parameter_errors(
    ddb: Any, hash_table: tuple[str, list[dict[str, Any]]], extra: dict[str, Any], message: str
) -> None:
    name, _ = hash_table
    assert refused(lambda: ddb.scan(TableName=name, **extra)) == ("ValidationException", message)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"Segment": -1, "TotalSegments": 2},
            "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0",
        ),
        (
            {"Segment": 0, "TotalSegments": 0},
            "1 validation error detected: Value '0' at 'totalSegments' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            {"Limit": 0},
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
    ],
    ids=["negative-segment", "zero-total", "zero-limit"],
)
def test_constraint_errors_boto3_would_refuse(
    server: Server,
    hash_table: tuple[str, list[dict[str, Any]]],
    extra: dict[str, Any],
    message: str,
) -> None:
    name, _ = hash_table
    reply = signed_call(server, "Scan", {"TableName": name, **extra})
    assert reply.status == 400
    body = reply.json()
    assert body["__type"].endswith("#ValidationException")
    assert body["message"] == message


# --------------------------------------------------------------------------- capacity, paginator


def test_consumed_capacity_sums_the_items_read(ddb: Any, make_table: Callable[..., str]) -> None:
    # Provisioned 5/5: one partition, so the whole Scan is rounded up once.
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    name = make_table(billing=None, ProvisionedThroughput=throughput)
    for i in range(10):
        # "pk" + "kN" = 4 bytes, "data" + 992 bytes = 996: 1000 bytes per item, 10,000 in all.
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "data": {"S": "d" * 992}})
    for consistent, units in ((True, 3.0), (False, 1.5)):
        reply = ddb.scan(
            TableName=name,
            ConsistentRead=consistent,
            ReturnConsumedCapacity="TOTAL",
            FilterExpression="pk = :none",
            ExpressionAttributeValues={":none": {"S": "none"}},
        )
        assert reply["Count"] == 0
        assert reply["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": units}
    reply = ddb.scan(TableName=name, Limit=4, ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert reply["ConsumedCapacity"]["Table"] == {"CapacityUnits": 1.0}


def test_boto3_paginator_walks_the_table(
    ddb: Any, range_table: tuple[str, list[dict[str, Any]]]
) -> None:
    name, items = range_table
    pages = list(
        ddb.get_paginator("scan").paginate(TableName=name, PaginationConfig={"PageSize": 40})
    )
    got = [item for page in pages for item in page["Items"]]
    assert len(pages) == 8  # 7 full pages and a short one (300 = 7 × 40 + 20)
    assert sorted(got, key=lambda i: (i["pk"]["S"], int(i["sk"]["N"]))) == items


def test_resource_scan_with_filter(
    ddb_resource: Any, hash_table: tuple[str, list[dict[str, Any]]]
) -> None:
    from boto3.dynamodb.conditions import Attr

    name, _ = hash_table
    reply = ddb_resource.Table(name).scan(FilterExpression=Attr("n").between(5, 8))
    assert sorted(int(i["n"]) for i in reply["Items"]) == [5, 6, 7, 8]
