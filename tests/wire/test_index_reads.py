"""Reading secondary indexes over the wire (Query and Scan with IndexName), as DynamoDB behaves.

The module loads one single-table-design table — keys (pk S, sk S) — with a few thousand items
through BatchWriteItem and compares every index read with a small Python model of the table.

Pinned behaviour:
- An index holds one entry per item that carries *all* of the index's key attributes (sparse
  indexes: items lacking one are simply absent). A GSI may key on the table's own key attributes
  swapped ("inverted": sk HASH, pk RANGE); an LSI keeps the table's partition key.
- Query on an index returns one index partition ordered by the index sort key (N numerically, S
  by UTF-8 bytes); entries with equal index keys come in an unspecified order.
  ScanIndexForward=false reverses the order. Scan on an index returns every entry exactly once,
  each index partition contiguous and in sort-key order.
- Key conditions name the index's keys: the index partition key with ``=`` is mandatory
  ("Query condition missed key schema element: sk"), the index sort key takes one condition.
- A Query FilterExpression may not name a key attribute of the index queried ("Filter Expression
  can only contain non-primary key attributes: Primary key attribute: X"), but may name table key
  attributes that are not index keys. Scan filters may name anything.
- Limit counts entries read; LastEvaluatedKey carries the table's key attributes plus the index's
  key attributes (their union, nothing else) and resumes strictly after that entry; paging
  through all pages returns every entry exactly once.
- Select defaults to ALL_PROJECTED_ATTRIBUTES for index reads: KEYS_ONLY returns table and index
  keys, INCLUDE adds the named NonKeyAttributes, ALL returns whole items. Select=ALL_ATTRIBUTES on
  a GSI whose projection is not ALL is refused ("One or more parameter values were invalid:
  Select type ALL_ATTRIBUTES is not supported for global secondary index X because its
  projection type is not ALL"); on an LSI it fetches the whole items from the table, which costs
  more read capacity. A ProjectionExpression naming an attribute a GSI does not project is
  refused ("One or more parameter values were invalid: Global secondary index X does not project
  [attr]"); on an LSI the attribute is fetched from the table.
- ConsistentRead=true on a GSI: "Consistent reads are not supported on global secondary
  indexes" (allowed on an LSI). An unknown IndexName: "The table does not have the specified
  index: X".
- GSIs with multi-attribute keys (up to 4 HASH then up to 4 RANGE attributes, Nov 2025): Query
  needs ``=`` on every partition attribute; sort attributes are constrained left to right without
  gaps, a range condition (<, >, BETWEEN, begins_with) only on the last one named ("RANGE key
  attributes round must have equality conditions specified in the query because a condition is
  present on key attribute bracket"); the index is
  ordered by the sort attributes in schema order; an item lacking any key attribute is absent;
  filters may not name any of the index's key attributes.
- Parallel Scan (Segment/TotalSegments) works on indexes: the segments partition the index.

Sources: AWS developer guide (GSI.md "Reading data from a Global Secondary Index", "Multi-attribute
key schema", LSI.md "Attribute projections"), Query/Scan API reference, dynalite
``actions/query.js`` (index validation order and messages), localstack#478 (live "does not
project" message), ScyllaDB Alternator's ``test_gsi_composite_keys.py`` (run against DynamoDB).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of, unique_name
from tests.wire.helpers import batch_put, wait_active

INVALID = "One or more parameter values were invalid: "
VALIDATION = "ValidationException"

Item = dict[str, dict[str, Any]]  # one item in wire format ({"pk": {"S": "..."}})
TABLE_KEYS = ("pk", "sk")


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Index:
    """What the tests know of one secondary index."""

    name: str
    hash: tuple[str, ...]
    range: tuple[str, ...] = ()
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    nonkey: tuple[str, ...] = ()
    local: bool = False
    types: dict[str, str] = field(default_factory=dict)

    @property
    def key_attrs(self) -> tuple[str, ...]:
        return self.hash + self.range

    def key_schema(self) -> list[dict[str, str]]:
        return [{"AttributeName": a, "KeyType": "HASH"} for a in self.hash] + [
            {"AttributeName": a, "KeyType": "RANGE"} for a in self.range
        ]

    def projection_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"ProjectionType": self.projection}
        if self.nonkey:
            spec["NonKeyAttributes"] = list(self.nonkey)
        return spec

    def definition(self) -> dict[str, Any]:
        return {
            "IndexName": self.name,
            "KeySchema": self.key_schema(),
            "Projection": self.projection_spec(),
        }

    def start_key_attrs(self, table_keys: tuple[str, ...] = TABLE_KEYS) -> set[str]:
        """LastEvaluatedKey of an index read: table keys plus index keys (union)."""
        return set(table_keys) | set(self.key_attrs)


def indexed(item: Item, index: Index) -> bool:
    return all(a in item for a in index.key_attrs)


def project(item: Item, index: Index, table_keys: tuple[str, ...] = TABLE_KEYS) -> Item:
    """The index entry DynamoDB stores for `item` (ALL_PROJECTED_ATTRIBUTES)."""
    if index.projection == "ALL":
        return dict(item)
    keep = set(table_keys) | set(index.key_attrs) | set(index.nonkey)
    return {name: value for name, value in item.items() if name in keep}


def entries(
    items: list[Item], index: Index, table_keys: tuple[str, ...] = TABLE_KEYS
) -> list[Item]:
    return [project(item, index, table_keys) for item in items if indexed(item, index)]


def scalar(value: dict[str, Any]) -> Any:
    """A sortable form of a key AttributeValue: N numerically, S by UTF-8 bytes."""
    ((kind, raw),) = value.items()
    if kind == "N":
        return Decimal(raw)
    if kind == "S":
        return raw.encode("utf-8")
    return bytes(raw)


def sort_key(entry: Item, index: Index) -> tuple[Any, ...]:
    return tuple(scalar(entry[a]) for a in index.range)


def hash_key(entry: Item, index: Index) -> tuple[Any, ...]:
    return tuple(scalar(entry[a]) for a in index.hash)


def canon(item: Item) -> str:
    return json.dumps(item, sort_keys=True, default=repr)


def table_key(item: Item) -> tuple[str, ...]:
    return tuple(canon({k: item[k]}) for k in TABLE_KEYS if k in item)


def assert_partition(
    actual: list[Item], expected: list[Item], index: Index, forward: bool = True
) -> None:
    """One index partition: sort-key order (ties in any order) and exactly the expected entries."""
    got_keys = [sort_key(e, index) for e in actual]
    want_keys = sorted((sort_key(e, index) for e in expected), reverse=not forward)
    assert got_keys == want_keys, "entries are not in index sort-key order"
    assert sorted(map(canon, actual)) == sorted(map(canon, expected))


def assert_whole_index(actual: list[Item], expected: list[Item], index: Index) -> None:
    """A full Scan of an index: every entry once, each partition contiguous and sorted."""
    assert len(actual) == len(expected)
    assert sorted(map(canon, actual)) == sorted(map(canon, expected))
    seen: list[tuple[Any, ...]] = []
    for entry in actual:
        h = hash_key(entry, index)
        if not seen or seen[-1] != h:
            assert h not in seen, f"index partition {h} is not contiguous in the Scan"
            seen.append(h)
    for h in seen:
        part = [e for e in actual if hash_key(e, index) == h]
        assert [sort_key(e, index) for e in part] == sorted(sort_key(e, index) for e in part)


def read_all(
    call: Callable[..., dict[str, Any]], **params: Any
) -> tuple[list[Item], list[dict[str, Any]]]:
    """Every page of a Query or Scan: (all items, the pages)."""
    items: list[Item] = []
    pages: list[dict[str, Any]] = []
    while True:
        page = call(**params)
        pages.append(page)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items, pages
        assert len(pages) < 10_000, "paging does not end"
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | str) -> dict[str, str]:
    return {"N": str(value)}


# --------------------------------------------------------------------------- the table

INVERTED = Index("inverted", ("sk",), ("pk",), "INCLUDE", ("data", "color"))
GSI_2 = Index("gsi_2", ("gsi2pk",), ("gsi2sk",), "ALL")
BY_STATUS = Index("by_status", ("status",), (), "KEYS_ONLY")
BY_LSI = Index("by_lsi", ("pk",), ("lsi_sk",), "KEYS_ONLY", local=True)

PARTITIONS = 60
SORTS = 50  # 60 x 50 = 3,000 items


def make_items() -> list[Item]:
    rng = random.Random(20240601)
    items: list[Item] = []
    for p in range(PARTITIONS):
        for q in range(SORTS):
            i = p * SORTS + q
            item: Item = {
                "pk": s(f"P#{p:02d}"),
                "sk": s(f"S#{q:02d}"),
                "data": s("d" * rng.randint(100, 1500)),
                "status": s(("new", "open", "done")[i % 3]),
                "nested": {"M": {"a": n(i), "l": {"L": [s("x"), n(q)]}}},
                "num": n(rng.randint(-50, 50)),
            }
            if i % 5 == 0:
                item["color"] = s(rng.choice(["red", "green", "blue"]))
            if i % 3 == 0:
                item["gsi2pk"] = s(f"G#{i % 7}")
            if i % 2 == 0:
                item["gsi2sk"] = n((i // 6) % 25 - 5)  # duplicates and negatives
            if i % 4 != 3:
                item["lsi_sk"] = n((i * 7) % 20 - 3)
            items.append(item)
    return items


@dataclass
class Loaded:
    name: str
    items: list[Item]

    def partition(self, index: Index, **values: dict[str, Any]) -> list[Item]:
        """The model's entries of `index` whose index hash attributes equal `values`."""
        return [
            e
            for e in entries(self.items, index)
            if all(canon(e[a]) == canon(v) for a, v in values.items())
        ]


@pytest.fixture(scope="module")
def table(ddb: Any) -> Iterator[Loaded]:
    name = unique_name("ix")
    definitions = [
        {"AttributeName": a, "AttributeType": t}
        for a, t in [
            ("pk", "S"),
            ("sk", "S"),
            ("gsi2pk", "S"),
            ("gsi2sk", "N"),
            ("status", "S"),
            ("lsi_sk", "N"),
        ]
    ]
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=definitions,
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[INVERTED.definition(), GSI_2.definition(), BY_STATUS.definition()],
        LocalSecondaryIndexes=[BY_LSI.definition()],
    )
    try:
        wait_active(ddb, name)
        items = make_items()
        batch_put(ddb, name, items)
        yield Loaded(name, items)
    finally:
        ddb.delete_table(TableName=name)


def query(
    ddb: Any, table: Loaded, index: Index, cond: str, values: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    reply: dict[str, Any] = ddb.query(
        TableName=table.name,
        IndexName=index.name,
        KeyConditionExpression=cond,
        ExpressionAttributeValues=values,
        **extra,
    )
    return reply


# --------------------------------------------------------------------------- Query: order and conditions


@pytest.mark.parametrize("sk_value", ["S#00", "S#07", "S#49"])
def test_query_inverted_gsi_returns_one_partition_in_index_order(
    ddb: Any, table: Loaded, sk_value: str
) -> None:
    items, pages = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=INVERTED.name,
        KeyConditionExpression="sk = :v",
        ExpressionAttributeValues={":v": s(sk_value)},
    )
    expected = table.partition(INVERTED, sk=s(sk_value))
    assert len(expected) == PARTITIONS
    assert_partition(items, expected, INVERTED)
    assert [e["pk"]["S"] for e in items] == sorted(e["pk"]["S"] for e in expected)
    assert sum(p["Count"] for p in pages) == sum(p["ScannedCount"] for p in pages) == PARTITIONS


@pytest.mark.parametrize(
    ("cond", "values", "predicate"),
    [
        (
            "sk = :v AND pk BETWEEN :a AND :b",
            {":a": s("P#10"), ":b": s("P#19")},
            lambda p: "P#10" <= p <= "P#19",
        ),
        ("sk = :v AND begins_with(pk, :a)", {":a": s("P#3")}, lambda p: p.startswith("P#3")),
        ("sk = :v AND pk > :a", {":a": s("P#55")}, lambda p: p > "P#55"),
        ("sk = :v AND pk <= :a", {":a": s("P#04")}, lambda p: p <= "P#04"),
        ("sk = :v AND pk = :a", {":a": s("P#33")}, lambda p: p == "P#33"),
    ],
    ids=["between", "begins_with", "gt", "le", "eq"],
)
def test_query_gsi_sort_key_conditions(
    ddb: Any, table: Loaded, cond: str, values: dict[str, Any], predicate: Callable[[str], bool]
) -> None:
    items, _ = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=INVERTED.name,
        KeyConditionExpression=cond,
        ExpressionAttributeValues={":v": s("S#12"), **values},
    )
    expected = [e for e in table.partition(INVERTED, sk=s("S#12")) if predicate(e["pk"]["S"])]
    assert expected
    assert_partition(items, expected, INVERTED)


def test_query_gsi_scan_index_forward_false_reverses(ddb: Any, table: Loaded) -> None:
    items, _ = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=INVERTED.name,
        KeyConditionExpression="sk = :v",
        ExpressionAttributeValues={":v": s("S#03")},
        ScanIndexForward=False,
    )
    assert_partition(items, table.partition(INVERTED, sk=s("S#03")), INVERTED, forward=False)
    assert items[0]["pk"] == s(f"P#{PARTITIONS - 1:02d}")


@pytest.mark.parametrize("g", range(7))
def test_query_sparse_gsi_numeric_sort_key(ddb: Any, table: Loaded, g: int) -> None:
    items, _ = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=GSI_2.name,
        KeyConditionExpression="gsi2pk = :g",
        ExpressionAttributeValues={":g": s(f"G#{g}")},
    )
    expected = table.partition(GSI_2, gsi2pk=s(f"G#{g}"))
    assert all("gsi2sk" in e for e in items), "an item without gsi2sk is in the index"
    # Items carrying gsi2pk but not gsi2sk exist and are absent from the index.
    assert any(
        "gsi2pk" in i and "gsi2sk" not in i and i["gsi2pk"] == s(f"G#{g}") for i in table.items
    )
    assert_partition(items, expected, GSI_2)
    assert items == sorted(items, key=lambda e: Decimal(e["gsi2sk"]["N"]))  # -5 before 10


def test_query_sparse_gsi_numeric_range_condition_and_reverse(ddb: Any, table: Loaded) -> None:
    items, _ = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=GSI_2.name,
        KeyConditionExpression="gsi2pk = :g AND gsi2sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":g": s("G#3"), ":lo": n(-2), ":hi": n(9)},
        ScanIndexForward=False,
    )
    expected = [
        e for e in table.partition(GSI_2, gsi2pk=s("G#3")) if -2 <= Decimal(e["gsi2sk"]["N"]) <= 9
    ]
    assert expected
    assert_partition(items, expected, GSI_2, forward=False)


def test_query_hash_only_keys_only_gsi(ddb: Any, table: Loaded) -> None:
    items, _ = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=BY_STATUS.name,
        KeyConditionExpression="#st = :v",
        ExpressionAttributeNames={"#st": "status"},
        ExpressionAttributeValues={":v": s("open")},
    )
    expected = table.partition(BY_STATUS, status=s("open"))
    assert len(expected) == 1000
    assert sorted(map(canon, items)) == sorted(map(canon, expected))
    assert all(set(e) == {"pk", "sk", "status"} for e in items)


@pytest.mark.parametrize("p", ["P#00", "P#21", "P#59"])
def test_query_sparse_lsi_in_lsi_sort_order(ddb: Any, table: Loaded, p: str) -> None:
    items, _ = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=BY_LSI.name,
        KeyConditionExpression="pk = :p AND lsi_sk >= :lo",
        ExpressionAttributeValues={":p": s(p), ":lo": n(0)},
    )
    expected = [e for e in table.partition(BY_LSI, pk=s(p)) if Decimal(e["lsi_sk"]["N"]) >= 0]
    assert expected and len(table.partition(BY_LSI, pk=s(p))) < SORTS  # sparse
    assert_partition(items, expected, BY_LSI)
    assert all(set(e) == {"pk", "sk", "lsi_sk"} for e in items)


def test_query_needs_the_index_partition_key(ddb: Any, table: Loaded) -> None:
    with pytest.raises(ClientError) as excinfo:
        query(ddb, table, INVERTED, "pk = :p", {":p": s("P#01")})
    assert error_of(excinfo) == (VALIDATION, "Query condition missed key schema element: sk")
    with pytest.raises(ClientError) as excinfo:
        query(ddb, table, GSI_2, "gsi2sk = :v", {":v": n(1)})
    assert error_of(excinfo) == (VALIDATION, "Query condition missed key schema element: gsi2pk")


def test_query_key_condition_on_a_non_index_key_is_refused(ddb: Any, table: Loaded) -> None:
    # sk is a key of the table but not of gsi_2: as a key condition it is no key at all.
    with pytest.raises(ClientError) as excinfo:
        query(ddb, table, GSI_2, "gsi2pk = :g AND sk = :v", {":g": s("G#1"), ":v": s("S#01")})
    code, message = error_of(excinfo)
    assert code == VALIDATION
    assert message.startswith("Query condition missed key schema element")


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("index", "cond", "values", "filter_", "attr"),
    [
        (INVERTED, "sk = :v", {":v": s("S#01"), ":f": s("P#01")}, "pk = :f", "pk"),
        (INVERTED, "sk = :v", {":v": s("S#01"), ":f": s("S#01")}, "sk = :f", "sk"),
        (GSI_2, "gsi2pk = :v", {":v": s("G#1"), ":f": n(1)}, "gsi2sk = :f", "gsi2sk"),
        (GSI_2, "gsi2pk = :v", {":v": s("G#1"), ":f": s("G#1")}, "gsi2pk = :f", "gsi2pk"),
        (BY_LSI, "pk = :v", {":v": s("P#01"), ":f": n(1)}, "lsi_sk = :f", "lsi_sk"),
    ],
    ids=[
        "gsi-range-is-table-hash",
        "gsi-hash-is-table-range",
        "gsi-range",
        "gsi-hash",
        "lsi-range",
    ],
)
def test_query_filter_on_an_index_key_is_refused(
    ddb: Any,
    table: Loaded,
    index: Index,
    cond: str,
    values: dict[str, Any],
    filter_: str,
    attr: str,
) -> None:
    with pytest.raises(ClientError) as excinfo:
        query(ddb, table, index, cond, values, FilterExpression=filter_)
    assert error_of(excinfo) == (
        VALIDATION,
        f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {attr}",
    )


def test_query_gsi_filter_may_name_table_keys_that_are_not_index_keys(
    ddb: Any, table: Loaded
) -> None:
    items, pages = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=GSI_2.name,
        KeyConditionExpression="gsi2pk = :g",
        FilterExpression="begins_with(pk, :p) AND sk < :s",
        ExpressionAttributeValues={":g": s("G#2"), ":p": s("P#1"), ":s": s("S#30")},
    )
    part = table.partition(GSI_2, gsi2pk=s("G#2"))
    expected = [e for e in part if e["pk"]["S"].startswith("P#1") and e["sk"]["S"] < "S#30"]
    assert expected
    assert_partition(items, expected, GSI_2)
    assert sum(p["Count"] for p in pages) == len(expected)
    assert sum(p["ScannedCount"] for p in pages) == len(part)


def test_query_index_filter_on_non_key_attribute(ddb: Any, table: Loaded) -> None:
    items, pages = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=INVERTED.name,
        KeyConditionExpression="sk = :v",
        FilterExpression="attribute_exists(color)",
        ExpressionAttributeValues={":v": s("S#05")},
    )
    part = table.partition(INVERTED, sk=s("S#05"))
    expected = [e for e in part if "color" in e]
    assert expected
    assert_partition(items, expected, INVERTED)
    assert sum(p["ScannedCount"] for p in pages) == len(part)


def test_scan_index_filter_may_name_index_keys(ddb: Any, table: Loaded) -> None:
    items, _ = read_all(
        ddb.scan,
        TableName=table.name,
        IndexName=GSI_2.name,
        FilterExpression="gsi2pk = :g AND gsi2sk > :v",
        ExpressionAttributeValues={":g": s("G#4"), ":v": n(10)},
    )
    expected = [
        e for e in table.partition(GSI_2, gsi2pk=s("G#4")) if Decimal(e["gsi2sk"]["N"]) > 10
    ]
    assert expected
    assert_partition(items, expected, GSI_2)


# --------------------------------------------------------------------------- paging


@pytest.mark.parametrize(
    ("index", "cond", "values", "forward"),
    [
        (GSI_2, "gsi2pk = :v", {":v": s("G#5")}, True),
        (GSI_2, "gsi2pk = :v", {":v": s("G#5")}, False),
        (INVERTED, "sk = :v", {":v": s("S#20")}, True),
        (BY_STATUS, "#k = :v", {":v": s("done")}, True),
        (BY_LSI, "pk = :v", {":v": s("P#44")}, False),
    ],
    ids=["gsi", "gsi-reverse", "inverted", "hash-only", "lsi-reverse"],
)
def test_query_index_paging_with_limit(
    ddb: Any, table: Loaded, index: Index, cond: str, values: dict[str, Any], forward: bool
) -> None:
    params: dict[str, Any] = {
        "TableName": table.name,
        "IndexName": index.name,
        "KeyConditionExpression": cond,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": forward,
        "Limit": 7,
    }
    if "#k" in cond:
        params["ExpressionAttributeNames"] = {"#k": index.hash[0]}
    items, pages = read_all(ddb.query, **params)
    ((_, value),) = values.items()
    expected = table.partition(index, **{index.hash[0]: value})
    assert len({canon(e) for e in items}) == len(items), "an entry came twice"
    if index.range:
        assert_partition(items, expected, index, forward)
    else:
        assert sorted(map(canon, items)) == sorted(map(canon, expected))
    for page in pages[:-1]:
        assert page["Count"] == page["ScannedCount"] == 7
        last = page["LastEvaluatedKey"]
        assert set(last) == index.start_key_attrs()
        assert last == {k: page["Items"][-1][k] for k in last}
    assert len(pages) >= len(expected) // 7


def test_query_index_resumes_strictly_after_the_start_key(ddb: Any, table: Loaded) -> None:
    full, _ = read_all(
        ddb.query,
        TableName=table.name,
        IndexName=INVERTED.name,
        KeyConditionExpression="sk = :v",
        ExpressionAttributeValues={":v": s("S#33")},
    )
    start = {k: full[9][k] for k in ("pk", "sk")}
    rest = query(ddb, table, INVERTED, "sk = :v", {":v": s("S#33")}, ExclusiveStartKey=start)
    assert rest["Items"] == full[10:]


def test_query_index_start_key_without_index_keys_is_invalid(ddb: Any, table: Loaded) -> None:
    entry = table.partition(GSI_2, gsi2pk=s("G#1"))[0]
    with pytest.raises(ClientError) as excinfo:
        query(
            ddb,
            table,
            GSI_2,
            "gsi2pk = :v",
            {":v": s("G#1")},
            ExclusiveStartKey={"pk": entry["pk"], "sk": entry["sk"]},
        )
    code, message = error_of(excinfo)
    assert code == VALIDATION
    assert message.startswith("The provided starting key is invalid")


@pytest.mark.parametrize("index", [GSI_2, INVERTED, BY_STATUS, BY_LSI], ids=lambda i: i.name)
def test_scan_index_returns_every_entry_once(ddb: Any, table: Loaded, index: Index) -> None:
    items, pages = read_all(ddb.scan, TableName=table.name, IndexName=index.name, Limit=250)
    expected = entries(table.items, index)
    if index.range:
        assert_whole_index(items, expected, index)
    else:
        assert sorted(map(canon, items)) == sorted(map(canon, expected))
    for page in pages[:-1]:
        assert page["ScannedCount"] == 250
        assert set(page["LastEvaluatedKey"]) == index.start_key_attrs()
        assert page["LastEvaluatedKey"] == {
            k: page["Items"][-1][k] for k in index.start_key_attrs()
        }


def test_scan_sparse_index_count(ddb: Any, table: Loaded) -> None:
    _, pages = read_all(ddb.scan, TableName=table.name, IndexName=GSI_2.name, Select="COUNT")
    assert sum(p["Count"] for p in pages) == len(entries(table.items, GSI_2)) == 500
    assert all("Items" not in p for p in pages)


@pytest.mark.parametrize("index", [GSI_2, INVERTED, BY_LSI], ids=lambda i: i.name)
def test_parallel_scan_of_an_index_partitions_it(ddb: Any, table: Loaded, index: Index) -> None:
    segments = []
    for segment in range(4):
        items, _ = read_all(
            ddb.scan,
            TableName=table.name,
            IndexName=index.name,
            Segment=segment,
            TotalSegments=4,
            Limit=300,
        )
        segments.append(items)
    everything = [e for seg in segments for e in seg]
    assert sorted(map(canon, everything)) == sorted(map(canon, entries(table.items, index)))
    # An index partition lives in exactly one segment.
    owners: dict[tuple[Any, ...], int] = {}
    for number, seg in enumerate(segments):
        for entry in seg:
            assert owners.setdefault(hash_key(entry, index), number) == number


# --------------------------------------------------------------------------- Select and projections


def test_index_query_defaults_to_all_projected_attributes(ddb: Any, table: Loaded) -> None:
    default = query(ddb, table, INVERTED, "sk = :v", {":v": s("S#10")})
    explicit = query(
        ddb, table, INVERTED, "sk = :v", {":v": s("S#10")}, Select="ALL_PROJECTED_ATTRIBUTES"
    )
    assert default["Items"] == explicit["Items"]
    assert_partition(default["Items"], table.partition(INVERTED, sk=s("S#10")), INVERTED)
    for entry in default["Items"]:
        assert set(entry) <= {"pk", "sk", "data", "color"}
        assert {"pk", "sk", "data"} <= set(entry)
    assert any("color" in e for e in default["Items"])


@pytest.mark.parametrize(
    ("index", "cond", "values", "attrs"),
    [
        (BY_STATUS, "#k = :v", {":v": s("new")}, {"pk", "sk", "status"}),
        (BY_LSI, "pk = :v", {":v": s("P#02")}, {"pk", "sk", "lsi_sk"}),
    ],
    ids=["gsi", "lsi"],
)
def test_keys_only_projection_returns_table_and_index_keys(
    ddb: Any, table: Loaded, index: Index, cond: str, values: dict[str, Any], attrs: set[str]
) -> None:
    params: dict[str, Any] = {}
    if "#k" in cond:
        params["ExpressionAttributeNames"] = {"#k": index.hash[0]}
    reply = query(ddb, table, index, cond, values, **params)
    assert reply["Items"]
    assert all(set(e) == attrs for e in reply["Items"])


def test_all_projection_returns_whole_items(ddb: Any, table: Loaded) -> None:
    reply = query(ddb, table, GSI_2, "gsi2pk = :v", {":v": s("G#6")})
    by_key = {table_key(i): i for i in table.items}
    assert reply["Items"]
    for entry in reply["Items"]:
        assert entry == by_key[table_key(entry)]
    also = query(ddb, table, GSI_2, "gsi2pk = :v", {":v": s("G#6")}, Select="ALL_ATTRIBUTES")
    assert also["Items"] == reply["Items"]


@pytest.mark.parametrize("index", [INVERTED, BY_STATUS], ids=lambda i: i.name)
def test_select_all_attributes_on_gsi_without_all_projection_is_refused(
    ddb: Any, table: Loaded, index: Index
) -> None:
    message = (
        INVALID
        + f"Select type ALL_ATTRIBUTES is not supported for global secondary index {index.name} "
        "because its projection type is not ALL"
    )
    with pytest.raises(ClientError) as excinfo:
        ddb.query(
            TableName=table.name,
            IndexName=index.name,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": index.hash[0]},
            ExpressionAttributeValues={":v": s("S#01" if index is INVERTED else "new")},
            Select="ALL_ATTRIBUTES",
        )
    assert error_of(excinfo) == (VALIDATION, message)
    with pytest.raises(ClientError) as excinfo:
        ddb.scan(TableName=table.name, IndexName=index.name, Select="ALL_ATTRIBUTES")
    assert error_of(excinfo) == (VALIDATION, message)


def test_select_all_attributes_on_lsi_fetches_from_the_table(ddb: Any, table: Loaded) -> None:
    projected = query(
        ddb, table, BY_LSI, "pk = :v", {":v": s("P#07")}, ReturnConsumedCapacity="TOTAL"
    )
    fetched = query(
        ddb,
        table,
        BY_LSI,
        "pk = :v",
        {":v": s("P#07")},
        Select="ALL_ATTRIBUTES",
        ReturnConsumedCapacity="TOTAL",
    )
    by_key = {table_key(i): i for i in table.items}
    expected = [by_key[table_key(e)] for e in table.partition(BY_LSI, pk=s("P#07"))]
    assert_partition(fetched["Items"], expected, BY_LSI)
    assert [table_key(e) for e in fetched["Items"]] == [table_key(e) for e in projected["Items"]]
    assert (
        fetched["ConsumedCapacity"]["CapacityUnits"]
        > projected["ConsumedCapacity"]["CapacityUnits"]
    )


def test_projection_expression_of_projected_attributes_on_gsi(ddb: Any, table: Loaded) -> None:
    reply = query(
        ddb,
        table,
        INVERTED,
        "sk = :v",
        {":v": s("S#15")},
        ProjectionExpression="pk, color",
    )
    expected = table.partition(INVERTED, sk=s("S#15"))
    assert reply["Items"] == [
        {k: e[k] for k in ("pk", "color") if k in e}
        for e in sorted(expected, key=lambda e: e["pk"]["S"])
    ]


def test_projection_expression_of_unprojected_attribute_on_gsi_is_refused(
    ddb: Any, table: Loaded
) -> None:
    with pytest.raises(ClientError) as excinfo:
        query(ddb, table, INVERTED, "sk = :v", {":v": s("S#15")}, ProjectionExpression="pk, num")
    assert error_of(excinfo) == (
        VALIDATION,
        INVALID + "Global secondary index inverted does not project [num]",
    )
    with pytest.raises(ClientError) as excinfo:
        ddb.scan(TableName=table.name, IndexName=INVERTED.name, ProjectionExpression="num")
    assert error_of(excinfo) == (
        VALIDATION,
        INVALID + "Global secondary index inverted does not project [num]",
    )


def test_projection_expression_of_unprojected_attribute_on_lsi_is_fetched(
    ddb: Any, table: Loaded
) -> None:
    keys_only = query(
        ddb, table, BY_LSI, "pk = :v", {":v": s("P#11")}, ReturnConsumedCapacity="TOTAL"
    )
    fetched = query(
        ddb,
        table,
        BY_LSI,
        "pk = :v",
        {":v": s("P#11")},
        ProjectionExpression="sk, nested.a, #d",
        ExpressionAttributeNames={"#d": "data"},
        ReturnConsumedCapacity="TOTAL",
    )
    by_key = {table_key(i): i for i in table.items}
    want = []
    for entry in keys_only["Items"]:
        item = by_key[table_key(entry)]
        want.append(
            {
                "sk": item["sk"],
                "nested": {"M": {"a": item["nested"]["M"]["a"]}},
                "data": item["data"],
            }
        )
    assert fetched["Items"] == want
    assert (
        fetched["ConsumedCapacity"]["CapacityUnits"]
        > keys_only["ConsumedCapacity"]["CapacityUnits"]
    )


def test_index_query_select_count(ddb: Any, table: Loaded) -> None:
    reply = query(ddb, table, INVERTED, "sk = :v", {":v": s("S#00")}, Select="COUNT")
    assert "Items" not in reply
    assert reply["Count"] == reply["ScannedCount"] == PARTITIONS


def test_index_query_consumed_capacity_names_the_index(ddb: Any, table: Loaded) -> None:
    reply = query(
        ddb, table, INVERTED, "sk = :v", {":v": s("S#00")}, ReturnConsumedCapacity="INDEXES"
    )
    consumed = reply["ConsumedCapacity"]
    assert consumed["TableName"] == table.name
    assert set(consumed["GlobalSecondaryIndexes"]) == {"inverted"}
    assert consumed["GlobalSecondaryIndexes"]["inverted"]["CapacityUnits"] > 0
    assert (
        consumed["CapacityUnits"] >= consumed["GlobalSecondaryIndexes"]["inverted"]["CapacityUnits"]
    )
    lsi = query(ddb, table, BY_LSI, "pk = :v", {":v": s("P#00")}, ReturnConsumedCapacity="INDEXES")
    assert set(lsi["ConsumedCapacity"]["LocalSecondaryIndexes"]) == {"by_lsi"}


# --------------------------------------------------------------------------- consistency and unknown indexes


@pytest.mark.parametrize("operation", ["query", "scan"])
def test_consistent_read_on_gsi_is_refused(ddb: Any, table: Loaded, operation: str) -> None:
    params: dict[str, Any] = {
        "TableName": table.name,
        "IndexName": GSI_2.name,
        "ConsistentRead": True,
    }
    if operation == "query":
        params.update(
            KeyConditionExpression="gsi2pk = :g", ExpressionAttributeValues={":g": s("G#1")}
        )
    with pytest.raises(ClientError) as excinfo:
        getattr(ddb, operation)(**params)
    assert error_of(excinfo) == (
        VALIDATION,
        "Consistent reads are not supported on global secondary indexes",
    )


def test_consistent_read_on_lsi_is_allowed(ddb: Any, table: Loaded) -> None:
    eventual = query(
        ddb, table, BY_LSI, "pk = :v", {":v": s("P#09")}, ReturnConsumedCapacity="TOTAL"
    )
    strong = query(
        ddb,
        table,
        BY_LSI,
        "pk = :v",
        {":v": s("P#09")},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert strong["Items"] == eventual["Items"]
    assert (
        strong["ConsumedCapacity"]["CapacityUnits"]
        == 2 * eventual["ConsumedCapacity"]["CapacityUnits"]
    )


@pytest.mark.parametrize("operation", ["query", "scan"])
def test_unknown_index(ddb: Any, table: Loaded, operation: str) -> None:
    params: dict[str, Any] = {"TableName": table.name, "IndexName": "no_such_index"}
    if operation == "query":
        params.update(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("P#01")})
    with pytest.raises(ClientError) as excinfo:
        getattr(ddb, operation)(**params)
    assert error_of(excinfo) == (
        VALIDATION,
        "The table does not have the specified index: no_such_index",
    )


# --------------------------------------------------------------------------- multi-attribute keys

MULTI = Index(
    "matches",
    ("tenant", "area"),
    ("round", "bracket"),
    "INCLUDE",
    ("score",),
)
MULTI_KEYS = ("mid",)


def make_matches() -> list[Item]:
    rng = random.Random(77)
    out: list[Item] = []
    for i in range(600):
        item: Item = {
            "mid": s(f"M{i:04d}"),
            "tenant": s(f"T{i % 3}"),
            "area": s(("eu", "us")[i % 2]),
            "round": n(rng.randint(1, 5)),
            "bracket": s(rng.choice(["final", "lower", "upper", "upper-b"])),
            "score": n(rng.randint(0, 99)),
            "other": s("not projected"),
        }
        if i % 10 == 3:
            del item["area"]  # sparse: a partition attribute missing
        if i % 10 == 7:
            del item["bracket"]  # sparse: a sort attribute missing
        out.append(item)
    return out


@dataclass
class Matches:
    name: str
    items: list[Item]

    def partition(self, tenant: str, area: str) -> list[Item]:
        return [
            project(i, MULTI, MULTI_KEYS)
            for i in self.items
            if indexed(i, MULTI) and i["tenant"] == s(tenant) and i["area"] == s(area)
        ]


@pytest.fixture(scope="module")
def matches(ddb: Any) -> Iterator[Matches]:
    name = unique_name("mk")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "mid", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": t}
            for a, t in [
                ("mid", "S"),
                ("tenant", "S"),
                ("area", "S"),
                ("round", "N"),
                ("bracket", "S"),
            ]
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[MULTI.definition()],
    )
    try:
        desc = wait_active(ddb, name)
        assert desc["GlobalSecondaryIndexes"][0]["KeySchema"] == MULTI.key_schema()
        items = make_matches()
        batch_put(ddb, name, items)
        yield Matches(name, items)
    finally:
        ddb.delete_table(TableName=name)


def mquery(ddb: Any, m: Matches, cond: str, values: dict[str, Any], **extra: Any) -> list[Item]:
    items, _ = read_all(
        ddb.query,
        TableName=m.name,
        IndexName=MULTI.name,
        KeyConditionExpression=cond,
        ExpressionAttributeNames={"#r": "round"},
        ExpressionAttributeValues=values,
        **extra,
    )
    return items


PK = "tenant = :t AND area = :g"


@pytest.mark.parametrize(
    ("cond", "values", "predicate"),
    [
        ("", {}, lambda r, b: True),
        (" AND #r = :r", {":r": n(3)}, lambda r, b: r == 3),
        (" AND #r > :r", {":r": n(3)}, lambda r, b: r > 3),
        (" AND #r BETWEEN :a AND :b", {":a": n(2), ":b": n(4)}, lambda r, b: 2 <= r <= 4),
        (
            " AND #r = :r AND bracket = :b",
            {":r": n(2), ":b": s("upper")},
            lambda r, b: r == 2 and b == "upper",
        ),
        (
            " AND #r = :r AND begins_with(bracket, :b)",
            {":r": n(4), ":b": s("upper")},
            lambda r, b: r == 4 and b.startswith("upper"),
        ),
        (
            " AND #r = :r AND bracket BETWEEN :a AND :b",
            {":r": n(1), ":a": s("f"), ":b": s("m")},
            lambda r, b: r == 1 and "f" <= b <= "m",
        ),
        (
            " AND #r = :r AND bracket < :b",
            {":r": n(5), ":b": s("lower")},
            lambda r, b: r == 5 and b < "lower",
        ),
    ],
    ids=[
        "partition",
        "first-eq",
        "first-gt",
        "first-between",
        "both-eq",
        "second-begins",
        "second-between",
        "second-lt",
    ],
)
@pytest.mark.parametrize("forward", [True, False], ids=["forward", "reverse"])
def test_multi_attribute_gsi_query(
    ddb: Any,
    matches: Matches,
    cond: str,
    values: dict[str, Any],
    predicate: Callable[[int, str], bool],
    forward: bool,
) -> None:
    values = {":t": s("T1"), ":g": s("us"), **values}
    if "#r" not in cond:
        got, _ = read_all(
            ddb.query,
            TableName=matches.name,
            IndexName=MULTI.name,
            KeyConditionExpression=PK,
            ExpressionAttributeValues=values,
            ScanIndexForward=forward,
        )
    else:
        got = mquery(ddb, matches, PK + cond, values, ScanIndexForward=forward)
    expected = [
        e
        for e in matches.partition("T1", "us")
        if predicate(int(e["round"]["N"]), e["bracket"]["S"])
    ]
    assert expected
    assert_partition(got, expected, MULTI, forward)
    assert all(set(e) <= {"mid", "tenant", "area", "round", "bracket", "score"} for e in got)


def test_multi_attribute_gsi_paging_carries_every_key_attribute(ddb: Any, matches: Matches) -> None:
    items, pages = read_all(
        ddb.query,
        TableName=matches.name,
        IndexName=MULTI.name,
        KeyConditionExpression=PK,
        ExpressionAttributeValues={":t": s("T0"), ":g": s("eu")},
        Limit=9,
    )
    assert_partition(items, matches.partition("T0", "eu"), MULTI)
    assert len(pages) > 2
    for page in pages[:-1]:
        assert set(page["LastEvaluatedKey"]) == {"mid", "tenant", "area", "round", "bracket"}
        assert page["LastEvaluatedKey"] == {
            k: page["Items"][-1][k] for k in page["LastEvaluatedKey"]
        }


def test_multi_attribute_gsi_scan_is_sparse(ddb: Any, matches: Matches) -> None:
    items, _ = read_all(ddb.scan, TableName=matches.name, IndexName=MULTI.name, Limit=100)
    expected = entries(matches.items, MULTI, MULTI_KEYS)
    assert len(expected) == 480  # items lacking area or bracket are absent
    assert_whole_index(items, expected, MULTI)


SORT_ORDER = (
    "RANGE key attributes round must have equality conditions specified in the query because a "
    "condition is present on key attribute bracket"
)


@pytest.mark.parametrize(
    ("cond", "values", "message"),
    [
        ("tenant = :t", {":t": s("T0")}, "Query condition missed key schema element: area"),
        (
            "tenant = :t AND area > :g",
            {":t": s("T0"), ":g": s("a")},
            "Query key condition not supported",
        ),
        (
            "tenant = :t AND begins_with(area, :g)",
            {":t": s("T0"), ":g": s("e")},
            "Query key condition not supported",
        ),
        (PK + " AND bracket = :b", {":t": s("T0"), ":g": s("eu"), ":b": s("upper")}, SORT_ORDER),
        (
            PK + " AND #r > :r AND bracket = :b",
            {":t": s("T0"), ":g": s("eu"), ":r": n(1), ":b": s("upper")},
            SORT_ORDER,
        ),
        (
            PK + " AND #r BETWEEN :r AND :q AND bracket = :b",
            {":t": s("T0"), ":g": s("eu"), ":r": n(1), ":q": n(3), ":b": s("upper")},
            SORT_ORDER,
        ),
    ],
    ids=[
        "missing-partition-attr",
        "partition-inequality",
        "partition-begins",
        "skipped-sort-attr",
        "inequality-not-last",
        "between-not-last",
    ],
)
def test_multi_attribute_gsi_query_rules(
    ddb: Any, matches: Matches, cond: str, values: dict[str, Any], message: str
) -> None:
    """The sort-key rule's message is DynamoDB's (live captures in paritysuite/
    dynamodb-conformance, multiAttributeGsiKey.test.ts); the partition-key refusals are not
    recorded for multi-attribute keys and keep the single-attribute wording
    (docs/compatibility.md)."""
    params: dict[str, Any] = {}
    if "#r" in cond:
        params["ExpressionAttributeNames"] = {"#r": "round"}
    with pytest.raises(ClientError) as excinfo:
        ddb.query(
            TableName=matches.name,
            IndexName=MULTI.name,
            KeyConditionExpression=cond,
            ExpressionAttributeValues=values,
            **params,
        )
    assert error_of(excinfo) == (VALIDATION, message)


@pytest.mark.parametrize("attr", ["area", "bracket"])
def test_multi_attribute_gsi_filter_on_any_key_attribute_is_refused(
    ddb: Any, matches: Matches, attr: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        ddb.query(
            TableName=matches.name,
            IndexName=MULTI.name,
            KeyConditionExpression="tenant = :t AND area = :g AND #r = :r",
            FilterExpression=f"{attr} = :f",
            ExpressionAttributeNames={"#r": "round"},
            ExpressionAttributeValues={":t": s("T0"), ":g": s("eu"), ":r": n(1), ":f": s("x")},
        )
    code, message = error_of(excinfo)
    assert code == VALIDATION
    assert message.startswith("Filter Expression can only contain non-primary key attributes")
