"""Global secondary indexes with multi-attribute keys at the edges, over the wire.

The index here is keyed (site, app) HASH then (grade, lot, label) RANGE: names neither in
alphabetical nor in reverse order, so an implementation that sorts them shows.

Pinned behaviour:
- A Query holds every partition-key attribute equal, and conditions sort-key attributes left
  to right: every sort-key attribute before one that is conditioned must be held equal. A gap,
  and a range condition (<, >, BETWEEN, begins_with) before the last attribute named, are both
  refused with "RANGE key attributes A must have equality conditions specified in the query
  because a condition is present on key attribute B" (live captures of DynamoDB:
  paritysuite/dynamodb-conformance tests/tier1/query/multiAttributeGsiKey.test.ts, eu-west-2 /
  us-east-1 / eu-central-1, October 2026; the same wording in floci's DynamoDB Local 3.3.1
  comparison, floci-io/floci#2471). The clauses may be written in any order.
- Which attributes the message names when two are skipped, a partition-key attribute left out
  ("Query condition missed key schema element: app") and a range condition on one ("Query key
  condition not supported") are not recorded for multi-attribute keys: these keep the wording
  DynamoDB uses for single-attribute keys (docs/compatibility.md).
- The legacy KeyConditions work on such an index under the same rules (moto's aws_verified
  tests/test_dynamodb/test_dynamodb_multi_attribute_gsi.py; scylladb/scylladb#31393: "DynamoDB
  accepts ... the legacy KeyConditions parameter on a Query against a GSI with a composite key").
- Query pages, forward and with ScanIndexForward=false, each entry once, in the order of the
  sort-key attributes, also across entries whose leading sort attributes are equal; a start
  key outside the attributes held equal does not match the range key predicate.
- CreateTable's and UpdateTable's replies and DescribeTable (also after a restart) list the
  index's KeySchema in the order it was defined.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Backend, Server, error_of, unique_name
from tests.wire.helpers import batch_put, wait_active

Item = dict[str, Any]
VALIDATION = "ValidationException"
INDEX = "edges"
HASH_KEYS = ("site", "app")
RANGE_KEYS = ("grade", "lot", "label")
TYPES = {"pk": "S", "site": "S", "app": "S", "grade": "S", "lot": "N", "label": "S"}
KEY_SCHEMA = [{"AttributeName": a, "KeyType": "HASH"} for a in HASH_KEYS] + [
    {"AttributeName": a, "KeyType": "RANGE"} for a in RANGE_KEYS
]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def definitions(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": a, "AttributeType": TYPES[a]} for a in names]


def gsi(name: str = INDEX, schema: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": schema or KEY_SCHEMA,
        "Projection": {"ProjectionType": "ALL"},
    }


def make_items() -> list[Item]:
    """One index partition (z, a) of 72 items over 12 combinations of the sort attributes, so
    many entries share all of them; a second partition (z, b); items without label (absent)."""
    rng = random.Random(21)
    out: list[Item] = []
    for i in range(90):
        item: Item = {
            "pk": s(f"p{i:03d}"),
            "site": s("z"),
            "app": s("a" if i < 80 else "b"),
            "grade": s(rng.choice(["gold", "silver"])),
            "lot": n(rng.choice([1, 2, 10])),
            "label": s(rng.choice(["x", "y"])),
        }
        if i % 10 == 9:
            del item["label"]
        out.append(item)
    return out


def sort_key(item: Item) -> tuple[str, int, str]:
    return (item["grade"]["S"], int(item["lot"]["N"]), item["label"]["S"])


@dataclass
class Edges:
    name: str
    items: list[Item]

    def partition(self, app: str = "a") -> list[Item]:
        return [i for i in self.items if i["app"] == s(app) and "label" in i]


@pytest.fixture(scope="module")
def edges(ddb: Any) -> Iterator[Edges]:
    name = unique_name("mke")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=definitions("pk", *HASH_KEYS, *RANGE_KEYS),
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[gsi()],
    )
    try:
        wait_active(ddb, name)
        items = make_items()
        batch_put(ddb, name, items)
        yield Edges(name, items)
    finally:
        ddb.delete_table(TableName=name)


PARTITION = "site = :z AND app = :a"
BASE_VALUES = {":z": s("z"), ":a": s("a")}


def refusal(ddb: Any, table: str, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName=table, IndexName=INDEX, **params)
    return error_of(excinfo)


def range_message(earlier: str, later: str) -> str:
    return (
        f"RANGE key attributes {earlier} must have equality conditions specified in the query "
        f"because a condition is present on key attribute {later}"
    )


# --------------------------------------------------------------------------- key conditions


@pytest.mark.parametrize(
    ("condition", "values", "message"),
    [
        (" AND lot = :b", {":b": n(1)}, range_message("grade", "lot")),
        (
            " AND grade = :t AND label = :l",
            {":t": s("gold"), ":l": s("x")},
            range_message("lot", "label"),
        ),
        (
            " AND grade > :t AND lot = :b",
            {":t": s("gold"), ":b": n(1)},
            range_message("grade", "lot"),
        ),
        (
            " AND begins_with(grade, :t) AND lot = :b",
            {":t": s("g"), ":b": n(1)},
            range_message("grade", "lot"),
        ),
        (
            " AND grade = :t AND lot BETWEEN :b AND :c AND label = :l",
            {":t": s("gold"), ":b": n(1), ":c": n(2), ":l": s("x")},
            range_message("lot", "label"),
        ),
        (
            " AND grade = :t AND lot < :b AND label > :l",
            {":t": s("gold"), ":b": n(2), ":l": s("x")},
            range_message("lot", "label"),
        ),
        # not recorded: two attributes skipped; the first of them is named
        (" AND label = :l", {":l": s("x")}, range_message("grade", "label")),
    ],
    ids=[
        "first-skipped",
        "gap",
        "inequality-first",
        "begins-with-first",
        "between-not-last",
        "two-range-conditions",
        "two-skipped",
    ],
)
def test_sort_attributes_are_conditioned_left_to_right(
    ddb: Any, edges: Edges, condition: str, values: dict[str, Any], message: str
) -> None:
    reply = refusal(
        ddb,
        edges.name,
        KeyConditionExpression=PARTITION + condition,
        ExpressionAttributeValues={**BASE_VALUES, **values},
    )
    assert reply == (VALIDATION, message)


@pytest.mark.parametrize(
    ("condition", "values", "message"),
    [
        ("site = :z", {":z": s("z")}, "Query condition missed key schema element: app"),
        (
            "app = :a AND grade = :t",
            {":a": s("a"), ":t": s("gold")},
            "Query condition missed key schema element: site",
        ),
        ("site = :z AND app > :a", BASE_VALUES, "Query key condition not supported"),
        ("site = :z AND begins_with(app, :a)", BASE_VALUES, "Query key condition not supported"),
    ],
    ids=["second-missing", "first-missing", "inequality", "begins-with"],
)
def test_every_partition_attribute_is_held_equal(
    ddb: Any, edges: Edges, condition: str, values: dict[str, Any], message: str
) -> None:
    """Not recorded for multi-attribute keys: the single-attribute wording is kept."""
    reply = refusal(
        ddb, edges.name, KeyConditionExpression=condition, ExpressionAttributeValues=values
    )
    assert reply == (VALIDATION, message)


def keys_of(items: list[Item]) -> list[str]:
    return [i["pk"]["S"] for i in items]


def query_all(ddb: Any, table: str, **params: Any) -> tuple[list[Item], int]:
    """Every page of an index Query: (its items, how many pages)."""
    out: list[Item] = []
    pages = 0
    while True:
        page = ddb.query(TableName=table, IndexName=INDEX, **params)
        pages += 1
        out.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return out, pages
        assert pages < 1000
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_clauses_may_come_in_any_order(ddb: Any, edges: Edges) -> None:
    values = {**BASE_VALUES, ":t": s("silver"), ":b": n(2)}
    in_order, _ = query_all(
        ddb,
        edges.name,
        KeyConditionExpression=PARTITION + " AND grade = :t AND lot >= :b",
        ExpressionAttributeValues=values,
    )
    shuffled, _ = query_all(
        ddb,
        edges.name,
        KeyConditionExpression="lot >= :b AND app = :a AND grade = :t AND site = :z",
        ExpressionAttributeValues=values,
    )
    expected = [i for i in edges.partition() if i["grade"] == s("silver") and sort_key(i)[1] >= 2]
    assert expected
    assert sorted(keys_of(in_order)) == sorted(keys_of(expected))
    assert keys_of(shuffled) == keys_of(in_order)


def legacy(**conditions: tuple[str, list[dict[str, str]]]) -> dict[str, Any]:
    return {
        name: {"ComparisonOperator": op, "AttributeValueList": values}
        for name, (op, values) in conditions.items()
    }


def test_legacy_key_conditions_query_the_index(ddb: Any, edges: Edges) -> None:
    got, _ = query_all(
        ddb,
        edges.name,
        KeyConditions=legacy(
            site=("EQ", [s("z")]),
            app=("EQ", [s("a")]),
            grade=("EQ", [s("gold")]),
            lot=("GT", [n(1)]),
        ),
    )
    expected = [i for i in edges.partition() if i["grade"] == s("gold") and sort_key(i)[1] > 1]
    assert expected
    assert sorted(keys_of(got)) == sorted(keys_of(expected))
    assert [sort_key(i) for i in got] == sorted(sort_key(i) for i in got)
    whole, _ = query_all(
        ddb, edges.name, KeyConditions=legacy(site=("EQ", [s("z")]), app=("EQ", [s("b")]))
    )
    assert sorted(keys_of(whole)) == sorted(keys_of(edges.partition("b")))


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        (
            legacy(site=("EQ", [s("z")]), app=("EQ", [s("a")]), lot=("GT", [n(1)])),
            range_message("grade", "lot"),
        ),
        (
            legacy(
                site=("EQ", [s("z")]),
                app=("EQ", [s("a")]),
                grade=("BEGINS_WITH", [s("g")]),
                lot=("EQ", [n(1)]),
            ),
            range_message("grade", "lot"),
        ),
        (legacy(site=("EQ", [s("z")])), "Query condition missed key schema element: app"),
        (
            legacy(site=("EQ", [s("z")]), app=("GE", [s("a")])),
            "Query key condition not supported",
        ),
    ],
    ids=["skipped", "range-not-last", "partition-missing", "partition-inequality"],
)
def test_legacy_key_conditions_follow_the_same_rules(
    ddb: Any, edges: Edges, conditions: dict[str, Any], message: str
) -> None:
    assert refusal(ddb, edges.name, KeyConditions=conditions) == (VALIDATION, message)


# --------------------------------------------------------------------------- paging


@pytest.mark.parametrize("limit", [1, 2, 5])
@pytest.mark.parametrize(
    ("condition", "values", "keep"),
    [
        ("", {}, lambda k: True),
        (" AND grade = :t", {":t": s("gold")}, lambda k: k[0] == "gold"),
        (
            " AND grade = :t AND lot = :b",
            {":t": s("silver"), ":b": n(1)},
            lambda k: k[:2] == ("silver", 1),
        ),
        (
            " AND grade = :t AND lot = :b AND label <= :l",
            {":t": s("gold"), ":b": n(10), ":l": s("x")},
            lambda k: k[:2] == ("gold", 10) and k[2] <= "x",
        ),
        (
            " AND grade = :t AND lot > :b",
            {":t": s("silver"), ":b": n(1)},
            lambda k: k[0] == "silver" and k[1] > 1,
        ),
    ],
    ids=["partition", "grade", "grade-lot", "grade-lot-label", "grade-lot-range"],
)
@pytest.mark.parametrize("forward", [True, False], ids=["forward", "reverse"])
def test_paging_through_entries_with_equal_leading_sort_attributes(
    ddb: Any,
    edges: Edges,
    condition: str,
    values: dict[str, Any],
    keep: Any,
    limit: int,
    forward: bool,
) -> None:
    got, pages = query_all(
        ddb,
        edges.name,
        KeyConditionExpression=PARTITION + condition,
        ExpressionAttributeValues={**BASE_VALUES, **values},
        ScanIndexForward=forward,
        Limit=limit,
    )
    expected = [i for i in edges.partition() if keep(sort_key(i))]
    assert len(expected) > limit
    assert pages >= len(expected) // limit
    assert len(keys_of(got)) == len(set(keys_of(got)))  # each entry once
    assert sorted(keys_of(got)) == sorted(keys_of(expected))
    order = [sort_key(i) for i in got]
    assert order == sorted(order, reverse=not forward)


def test_last_evaluated_key_carries_every_key_attribute_in_reverse(ddb: Any, edges: Edges) -> None:
    page = ddb.query(
        TableName=edges.name,
        IndexName=INDEX,
        KeyConditionExpression=PARTITION + " AND grade = :t",
        ExpressionAttributeValues={**BASE_VALUES, ":t": s("gold")},
        ScanIndexForward=False,
        Limit=4,
    )
    last = page["Items"][-1]
    assert page["LastEvaluatedKey"] == {k: last[k] for k in ("pk", *HASH_KEYS, *RANGE_KEYS)}


@pytest.mark.parametrize("forward", [True, False], ids=["forward", "reverse"])
def test_start_key_outside_the_attributes_held_equal(ddb: Any, edges: Edges, forward: bool) -> None:
    """Not recorded for multi-attribute keys: a start key whose held-equal sort attribute
    differs is refused as a single sort key's would be."""
    outside = next(i for i in edges.partition() if i["grade"] == s("silver"))
    reply = refusal(
        ddb,
        edges.name,
        KeyConditionExpression=PARTITION + " AND grade = :t AND lot >= :b",
        ExpressionAttributeValues={**BASE_VALUES, ":t": s("gold"), ":b": n(1)},
        ScanIndexForward=forward,
        ExclusiveStartKey={k: outside[k] for k in ("pk", *HASH_KEYS, *RANGE_KEYS)},
    )
    assert reply == (VALIDATION, "The provided starting key does not match the range key predicate")


# --------------------------------------------------------------------------- key schema order

ODD_ORDER = [
    {"AttributeName": "site", "KeyType": "HASH"},
    {"AttributeName": "app", "KeyType": "HASH"},
    {"AttributeName": "grade", "KeyType": "RANGE"},
    {"AttributeName": "label", "KeyType": "RANGE"},
    {"AttributeName": "lot", "KeyType": "RANGE"},
]


def described_schemas(client: Any, table: str) -> dict[str, list[dict[str, str]]]:
    desc = client.describe_table(TableName=table)["Table"]
    return {g["IndexName"]: g["KeySchema"] for g in desc.get("GlobalSecondaryIndexes", [])}


def test_key_schema_keeps_its_order_in_every_reply(ddb: Any) -> None:
    name = unique_name("mko")
    created = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=definitions("pk", *HASH_KEYS, *RANGE_KEYS),
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[gsi("first", KEY_SCHEMA)],
    )
    try:
        [index] = created["TableDescription"]["GlobalSecondaryIndexes"]
        assert index["KeySchema"] == KEY_SCHEMA
        wait_active(ddb, name)
        updated = ddb.update_table(
            TableName=name,
            AttributeDefinitions=definitions(*HASH_KEYS, *RANGE_KEYS),
            GlobalSecondaryIndexUpdates=[{"Create": gsi("second", ODD_ORDER)}],
        )
        replied = {
            g["IndexName"]: g["KeySchema"]
            for g in updated["TableDescription"]["GlobalSecondaryIndexes"]
        }
        assert replied == {"first": KEY_SCHEMA, "second": ODD_ORDER}
        wait_active(ddb, name)
        assert described_schemas(ddb, name) == {"first": KEY_SCHEMA, "second": ODD_ORDER}
        # the second index orders its entries by grade, then label, then lot
        ddb.put_item(
            TableName=name,
            Item={
                "pk": s("1"),
                "site": s("z"),
                "app": s("a"),
                "grade": s("t"),
                "lot": n(1),
                "label": s("b"),
            },
        )
        ddb.put_item(
            TableName=name,
            Item={
                "pk": s("2"),
                "site": s("z"),
                "app": s("a"),
                "grade": s("t"),
                "lot": n(2),
                "label": s("a"),
            },
        )
        got = ddb.query(
            TableName=name,
            IndexName="second",
            KeyConditionExpression=PARTITION,
            ExpressionAttributeValues=BASE_VALUES,
        )["Items"]
        assert keys_of(got) == ["2", "1"]
        refused = refusal_on(ddb, name, "second", PARTITION + " AND lot = :b", {":b": n(1)})
        assert refused == (VALIDATION, range_message("grade", "lot"))
    finally:
        ddb.delete_table(TableName=name)


def refusal_on(
    ddb: Any, table: str, index: str, condition: str, values: dict[str, Any]
) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        ddb.query(
            TableName=table,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeValues={**BASE_VALUES, **values},
        )
    return error_of(excinfo)


def test_key_schema_order_survives_a_restart(tmp_path: Path, backend: Backend) -> None:
    store = backend()
    first = Server(tmp_path / "data", workers=1, extra_args=store).start()
    name = unique_name("mkr")
    try:
        client = first.client()
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=definitions("pk", *HASH_KEYS, *RANGE_KEYS),
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[gsi("first", KEY_SCHEMA), gsi("second", ODD_ORDER)],
        )
        wait_active(client, name)
    finally:
        first.stop()
    second = Server(tmp_path / "data", workers=1, extra_args=store).start()
    try:
        client = second.client()
        assert described_schemas(client, name) == {"first": KEY_SCHEMA, "second": ODD_ORDER}
        client.delete_table(TableName=name)
    finally:
        second.stop()
