"""Query over the wire, as DynamoDB behaves.

Pinned behaviour:
- KeyConditionExpression needs ``pk = :v`` on the partition key and allows at most one sort-key
  condition (``=``, ``<``, ``<=``, ``>``, ``>=``, ``BETWEEN a AND b``, ``begins_with``) joined
  by AND; operands may also be written value-first (``:v = pk``). Results come in sort-key
  order: N numerically (negatives and decimals included), S by UTF-8 bytes (so U+FF41 sorts
  before U+1D11E, unlike UTF-16), B by unsigned bytes. ScanIndexForward=false reverses it.
- Key-condition errors, with DynamoDB's exact messages (dynalite's catalogue): a missing
  partition-key condition ("Query condition missed key schema element: pk"), a condition on a
  non-key attribute, two conditions on one key, OR / NOT / <> / IN / functions other than
  begins_with ("Invalid operator used in KeyConditionExpression: OR"), size() ("cannot contain
  nested operations"), nested paths, begins_with with a number, a value whose type is not the
  key's type, a non-equality on the partition key, a reversed BETWEEN, no KeyConditionExpression.
- FilterExpression runs after the read: Count counts matches, ScannedCount the items read; it
  may not name a key attribute ("Filter Expression can only contain non-primary key
  attributes: Primary key attribute: sk").
- ProjectionExpression returns only the named attributes (keys are not added).
- Select: ALL_ATTRIBUTES (default), COUNT (no Items member), SPECIFIC_ATTRIBUTES (needs a
  projection), ALL_PROJECTED_ATTRIBUTES (index queries only); Select other than
  SPECIFIC_ATTRIBUTES with a ProjectionExpression is refused. Query words these errors inside
  the constraint envelope ("1 validation error detected: ..."; moto's AWS-verified tests),
  Scan does not.
- Limit counts items read (before the filter). LastEvaluatedKey is the key of the last item
  read whenever Limit stopped the page, also when exactly Limit items remained (live
  DynamoDB per dynalite: "Limit of 25 includes LastEvaluatedKey"), and absent when the
  partition ran out first.
- ExclusiveStartKey resumes strictly after the given key (which need not exist), in either
  direction. Malformed keys: "The provided starting key is invalid" (a key attribute of the
  wrong type: "The provided key element does not match the schema"); a key of another partition:
  "The provided starting key is outside query boundaries based on provided conditions"; a
  key outside the sort-key condition: "The provided starting key does not match the range key
  predicate".
- A missing table is ResourceNotFoundException "Requested resource not found".
- ConsumedCapacity: the sizes of all items read (before filter, projection or COUNT) are summed
  and rounded up once to 4 KB; 1 unit per 4 KB when ConsistentRead, 0.5 otherwise.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.wire.helpers import create_table, refused
from tests.wire.http import signed_call

INVALID = "One or more parameter values were invalid: "
TYPE_MISMATCH = INVALID + "Condition parameter type does not match schema type"
BAD_START = "The provided starting key is invalid"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def tables(ddb: Any) -> Iterator[dict[str, str]]:
    """One table per sort-key type ("S", "N", "B") plus a hash-only table ("H"), shared by the
    module; every test writes under its own partition key."""
    made = {
        kind: create_table(ddb, "q", range_key=None if kind == "H" else ("sk", kind))
        for kind in "SNBH"
    }
    yield made
    for name in made.values():
        try:
            ddb.delete_table(TableName=name)
        except ClientError:
            pass


def fresh_pk() -> str:
    return "p-" + uuid.uuid4().hex[:10]


def put_all(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for item in items:
        ddb.put_item(TableName=table, Item=item)


def query(ddb: Any, table: str, kce: str, values: dict[str, Any], **extra: Any) -> Any:
    return ddb.query(
        TableName=table, KeyConditionExpression=kce, ExpressionAttributeValues=values, **extra
    )


def sk_values(reply: dict[str, Any], kind: str) -> list[Any]:
    return [native(item["sk"], kind) for item in reply["Items"]]


def native(value: dict[str, Any], kind: str) -> Any:
    """A key value as a Python value whose ordering is DynamoDB's: code points equal UTF-8 byte
    order for S, Decimal for N, unsigned bytes for B."""
    if kind == "N":
        return Decimal(value["N"])
    if kind == "B":
        return bytes(value["B"])
    return value["S"]


def wire(value: Any, kind: str) -> dict[str, Any]:
    if kind == "N":
        return {"N": str(value)}
    return {kind: value}


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size for items made of S, N and B attributes (developer guide, "Item sizes and formats")."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        ((kind, payload),) = value.items()
        if kind == "S":
            total += len(payload.encode())
        elif kind == "B":
            total += len(payload)
        else:
            total += number_size(payload)
    return total


def number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple()
    if not any(digits.digits):
        return 1
    significant = len(digits.digits)
    exponent = significant + int(digits.exponent) - 1
    size = 1 + (significant + 1) // 2
    if significant % 2 == 0 and exponent % 2 == 0:
        size += 1
    return size + (1 if digits.sign else 0)


def read_units(total_bytes: int, consistent: bool) -> float:
    units = math.ceil(total_bytes / 4096)
    return float(units) if consistent else units / 2


# --------------------------------------------------------------------------- sort-key order

S_KEYS = [
    "A",
    "B",
    "Z",
    "a",
    "aa",
    "ab",
    "abc",
    "b",
    "ba",
    "c",
    "z",
    "~",
    "é",
    "éa",
    "\u20ac",
    "\uff41",
    "\U0001d11e",
    "\U0001f600",
]
N_KEYS = [
    "-99.1",
    "-10.1",
    "-9.9",
    "-9",
    "-1.01",
    "-1",
    "-0.9",
    "-0.1",
    "-0.09",
    "-0.01",
    "0",
    "0.01",
    "0.09",
    "0.1",
    "0.9",
    "1",
    "1.1",
    "1.9",
    "9",
    "9.1",
    "10",
    "10.1",
    "10.9",
    "99.1",
    "100",
    "1000000000000000000000000000000",
    "-1000000000000",
]
B_KEYS = [
    b"\x00",
    b"\x00\x00",
    b"\x00\x01",
    b"\x01",
    b"\x7f",
    b"\x7f\xff",
    b"\x80",
    b"\x80\x00",
    b"\x80\x01",
    b"\xfe",
    b"\xff",
    b"\xff\x00",
    b"\xff\xff",
    b"a",
    b"ab",
]
KEYS: dict[str, list[Any]] = {"S": S_KEYS, "N": N_KEYS, "B": B_KEYS}

# (operator, expression suffix, pivot values by kind); the pivots exist in the data or fall
# between stored keys.
PIVOTS: dict[str, tuple[Any, Any]] = {
    "S": ("ab", "é"),
    "N": ("-0.1", "10"),
    "B": (b"\x7f", b"\xff"),
}
PREFIX = {"S": "a", "B": b"\x80"}


def expected_for(op: str, keys: list[Any], lo: Any, hi: Any, prefix: Any = None) -> list[Any]:
    ordered = sorted(keys)
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda k: k == lo,
        "<": lambda k: k < lo,
        "<=": lambda k: k <= lo,
        ">": lambda k: k > lo,
        ">=": lambda k: k >= lo,
        "BETWEEN": lambda k: lo <= k <= hi,
        "begins_with": lambda k: k[: len(prefix)] == prefix,
    }
    return [k for k in ordered if tests[op](k)]


@pytest.fixture(scope="module")
def sorted_partitions(ddb: Any, tables: dict[str, str]) -> dict[str, str]:
    """A partition per sort-key type holding every key of KEYS."""
    made = {}
    for kind, keys in KEYS.items():
        pk = fresh_pk()
        for key in keys:
            value = wire(key, kind)
            ddb.put_item(TableName=tables[kind], Item={"pk": {"S": pk}, "sk": value})
        made[kind] = pk
    return made


@pytest.mark.parametrize("kind", ["S", "N", "B"])
@pytest.mark.parametrize("forward", [True, False])
def test_partition_key_alone_returns_the_partition_in_sort_key_order(
    ddb: Any, tables: dict[str, str], sorted_partitions: dict[str, str], kind: str, forward: bool
) -> None:
    pk = sorted_partitions[kind]
    reply = query(ddb, tables[kind], "pk = :p", {":p": {"S": pk}}, ScanIndexForward=forward)
    expected = sorted(native(wire(k, kind), kind) for k in KEYS[kind])
    if not forward:
        expected.reverse()
    assert sk_values(reply, kind) == expected
    assert reply["Count"] == reply["ScannedCount"] == len(expected)
    assert "LastEvaluatedKey" not in reply


@pytest.mark.parametrize("kind", ["S", "N", "B"])
@pytest.mark.parametrize("op", ["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"])
@pytest.mark.parametrize("forward", [True, False])
def test_sort_key_condition_selects_and_orders(
    ddb: Any,
    tables: dict[str, str],
    sorted_partitions: dict[str, str],
    kind: str,
    op: str,
    forward: bool,
) -> None:
    if op == "begins_with" and kind == "N":
        pytest.skip("begins_with is refused for numbers (see the validation tests)")
    lo, hi = PIVOTS[kind]
    values: dict[str, Any] = {":p": {"S": sorted_partitions[kind]}}
    if op == "BETWEEN":
        kce = "pk = :p AND sk BETWEEN :lo AND :hi"
        values.update({":lo": wire(lo, kind), ":hi": wire(hi, kind)})
    elif op == "begins_with":
        kce = "pk = :p AND begins_with(sk, :pre)"
        values[":pre"] = wire(PREFIX[kind], kind)
    else:
        kce = f"pk = :p AND sk {op} :lo"
        values[":lo"] = wire(lo, kind)
    reply = query(ddb, tables[kind], kce, values, ScanIndexForward=forward)
    keys = [native(wire(k, kind), kind) for k in KEYS[kind]]
    lo_n, hi_n = native(wire(lo, kind), kind), native(wire(hi, kind), kind)
    prefix = PREFIX.get(kind)
    expected = expected_for(op, keys, lo_n, hi_n, prefix)
    if not forward:
        expected.reverse()
    assert expected, "the pivot should select something"
    assert sk_values(reply, kind) == expected
    assert reply["Count"] == reply["ScannedCount"] == len(expected)


def test_utf8_order_differs_from_utf16_order(
    ddb: Any, tables: dict[str, str], sorted_partitions: dict[str, str]
) -> None:
    reply = query(
        ddb,
        tables["S"],
        "pk = :p AND sk >= :lo",
        {":p": {"S": sorted_partitions["S"]}, ":lo": {"S": "\uff41"}},
    )
    # U+FF41 is EF BD 81 in UTF-8, below F0 9D 84 9E (U+1D11E); in UTF-16 it is the other way.
    assert sk_values(reply, "S") == ["\uff41", "\U0001d11e", "\U0001f600"]


def test_numbers_compare_numerically_not_textually(
    ddb: Any, tables: dict[str, str], sorted_partitions: dict[str, str]
) -> None:
    reply = query(
        ddb,
        tables["N"],
        "pk = :p AND sk BETWEEN :lo AND :hi",
        {":p": {"S": sorted_partitions["N"]}, ":lo": {"N": "-1.01"}, ":hi": {"N": "1E1"}},
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == [
        "-1.01",
        "-1",
        "-0.9",
        "-0.1",
        "-0.09",
        "-0.01",
        "0",
        "0.01",
        "0.09",
        "0.1",
        "0.9",
        "1",
        "1.1",
        "1.9",
        "9",
        "9.1",
        "10",
    ]


def test_value_first_comparisons_are_mirrored(
    ddb: Any, tables: dict[str, str], sorted_partitions: dict[str, str]
) -> None:
    reply = query(
        ddb,
        tables["N"],
        ":p = pk AND :lo < sk",
        {":p": {"S": sorted_partitions["N"]}, ":lo": {"N": "99.1"}},
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == [
        "100",
        "1000000000000000000000000000000",
    ]


def test_between_with_equal_bounds_is_an_equality(
    ddb: Any, tables: dict[str, str], sorted_partitions: dict[str, str]
) -> None:
    reply = query(
        ddb,
        tables["S"],
        "pk = :p AND sk BETWEEN :v AND :v",
        {":p": {"S": sorted_partitions["S"]}, ":v": {"S": "ab"}},
    )
    assert sk_values(reply, "S") == ["ab"]


def test_names_can_be_aliased(
    ddb: Any, tables: dict[str, str], sorted_partitions: dict[str, str]
) -> None:
    reply = ddb.query(
        TableName=tables["S"],
        KeyConditionExpression="#h = :p AND begins_with(#r, :pre)",
        ExpressionAttributeNames={"#h": "pk", "#r": "sk"},
        ExpressionAttributeValues={":p": {"S": sorted_partitions["S"]}, ":pre": {"S": "é"}},
    )
    assert sk_values(reply, "S") == ["é", "éa"]


def test_hash_only_table_returns_the_single_item(ddb: Any, tables: dict[str, str]) -> None:
    pk = fresh_pk()
    ddb.put_item(TableName=tables["H"], Item={"pk": {"S": pk}, "v": {"S": "x"}})
    reply = query(ddb, tables["H"], "pk = :p", {":p": {"S": pk}})
    assert reply["Items"] == [{"pk": {"S": pk}, "v": {"S": "x"}}]
    assert (reply["Count"], reply["ScannedCount"]) == (1, 1)


def test_empty_partition_answers_count_zero(ddb: Any, tables: dict[str, str]) -> None:
    reply = query(ddb, tables["S"], "pk = :p", {":p": {"S": fresh_pk()}})
    assert reply["Items"] == []
    assert (reply["Count"], reply["ScannedCount"]) == (0, 0)
    assert "LastEvaluatedKey" not in reply


def test_boto3_query_paginator_visits_every_item(
    ddb: Any, tables: dict[str, str], sorted_partitions: dict[str, str]
) -> None:
    pages = ddb.get_paginator("query").paginate(
        TableName=tables["B"],
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": sorted_partitions["B"]}},
        PaginationConfig={"PageSize": 4},
    )
    seen = [bytes(item["sk"]["B"]) for page in pages for item in page["Items"]]
    assert seen == sorted(B_KEYS)


# --------------------------------------------------------------------------- key-condition errors

KEY_CONDITION_ERRORS = [
    # (table kind, expression, values, message)
    ("S", "sk = :s", {":s": {"S": "a"}}, "Query condition missed key schema element: pk"),
    (
        "S",
        "sk = :s AND colour = :t",
        {":s": {"S": "a"}, ":t": {"S": "b"}},
        "Query condition missed key schema element: pk",
    ),
    (
        "S",
        "pk = :p AND colour = :s",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "Query condition missed key schema element: sk",
    ),
    (
        "H",
        "pk = :p AND colour = :s",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "Query key condition not supported",
    ),
    (
        "S",
        "pk = :p AND sk > :a AND sk < :b",
        {":p": {"S": "a"}, ":a": {"S": "a"}, ":b": {"S": "b"}},
        "KeyConditionExpressions must only contain one condition per key",
    ),
    (
        "S",
        "pk = :p AND pk = :p",
        {":p": {"S": "a"}},
        "KeyConditionExpressions must only contain one condition per key",
    ),
    (
        "S",
        "pk = :p OR sk = :s",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "Invalid operator used in KeyConditionExpression: OR",
    ),
    (
        "S",
        "pk = :p AND NOT sk = :s",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "Invalid operator used in KeyConditionExpression: NOT",
    ),
    (
        "S",
        "pk = :p AND sk <> :s",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "Invalid operator used in KeyConditionExpression: <>",
    ),
    (
        "S",
        "pk = :p AND sk IN (:s, :t)",
        {":p": {"S": "a"}, ":s": {"S": "b"}, ":t": {"S": "c"}},
        "Invalid operator used in KeyConditionExpression: IN",
    ),
    (
        "S",
        "pk = :p AND contains(sk, :s)",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "Invalid operator used in KeyConditionExpression: contains",
    ),
    (
        "S",
        "pk = :p AND attribute_exists(sk)",
        {":p": {"S": "a"}},
        "Invalid operator used in KeyConditionExpression: attribute_exists",
    ),
    (
        "S",
        "pk = :p AND attribute_not_exists(sk)",
        {":p": {"S": "a"}},
        "Invalid operator used in KeyConditionExpression: attribute_not_exists",
    ),
    (
        "S",
        "pk = :p AND size(sk) > :n",
        {":p": {"S": "a"}, ":n": {"N": "1"}},
        "KeyConditionExpressions cannot contain nested operations",
    ),
    (
        "S",
        "pk = :p AND sk.x = :s",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "KeyConditionExpressions cannot have conditions on nested attributes",
    ),
    (
        "S",
        "pk = :p AND sk[0] = :s",
        {":p": {"S": "a"}, ":s": {"S": "b"}},
        "KeyConditionExpressions cannot have conditions on nested attributes",
    ),
    (
        "N",
        "pk = :p AND begins_with(sk, :n)",
        {":p": {"S": "a"}, ":n": {"N": "1"}},
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: begins_with, operand type: N",
    ),
    ("N", "pk = :p AND begins_with(sk, :s)", {":p": {"S": "a"}, ":s": {"S": "1"}}, TYPE_MISMATCH),
    ("S", "pk = :p", {":p": {"N": "1"}}, TYPE_MISMATCH),
    ("S", "pk = :p AND sk = :n", {":p": {"S": "a"}, ":n": {"N": "1"}}, TYPE_MISMATCH),
    ("N", "pk = :p AND sk > :s", {":p": {"S": "a"}, ":s": {"S": "1"}}, TYPE_MISMATCH),
    (
        "B",
        "pk = :p AND sk BETWEEN :a AND :b",
        {":p": {"S": "a"}, ":a": {"S": "a"}, ":b": {"S": "b"}},
        TYPE_MISMATCH,
    ),
    ("S", "pk < :p", {":p": {"S": "a"}}, "Query key condition not supported"),
    ("S", "begins_with(pk, :p)", {":p": {"S": "a"}}, "Query key condition not supported"),
    (
        "S",
        "pk = :p AND sk BETWEEN :b AND :a",
        {":p": {"S": "x"}, ":a": {"S": "a"}, ":b": {"S": "b"}},
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater "
        "than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound "
        "operand: AttributeValue: {S:a}",
    ),
    (
        "S",
        ":a = :b",
        {":a": {"S": "a"}, ":b": {"S": "b"}},
        "Invalid condition in KeyConditionExpression: No key attribute specified",
    ),
    (
        "S",
        "pk = sk",
        {},
        "Invalid condition in KeyConditionExpression: "
        "Multiple attribute names used in one condition",
    ),
]


@pytest.mark.parametrize(
    ("kind", "kce", "values", "message"),
    KEY_CONDITION_ERRORS,
    ids=[case[1] for case in KEY_CONDITION_ERRORS],
)
def test_invalid_key_conditions_are_refused(
    ddb: Any, tables: dict[str, str], kind: str, kce: str, values: dict[str, Any], message: str
) -> None:
    extra: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
    code, text = refused(
        lambda: ddb.query(TableName=tables[kind], KeyConditionExpression=kce, **extra)
    )
    assert (code, text) == ("ValidationException", message)


def test_key_condition_expression_is_required(ddb: Any, tables: dict[str, str]) -> None:
    assert refused(lambda: ddb.query(TableName=tables["S"])) == (
        "ValidationException",
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.",
    )


def test_empty_key_condition_expression_is_refused(server: Server, tables: dict[str, str]) -> None:
    reply = signed_call(server, "Query", {"TableName": tables["S"], "KeyConditionExpression": ""})
    assert reply.status == 400
    body = reply.json()
    assert body["__type"].endswith("#ValidationException")
    assert body["message"] == "Invalid KeyConditionExpression: The expression can not be empty;"


def test_query_on_a_missing_table_is_resource_not_found(ddb: Any) -> None:
    code, message = refused(
        lambda: query(ddb, "no-such-table-" + uuid.uuid4().hex[:8], "pk = :p", {":p": {"S": "a"}})
    )
    assert (code, message) == ("ResourceNotFoundException", "Requested resource not found")


# --------------------------------------------------------------------------- filters, projection


@pytest.fixture
def five(ddb: Any, tables: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """A partition of five items sk=1..5 (N), with colour red for odd, blue for even."""
    pk = fresh_pk()
    items = [
        {
            "pk": {"S": pk},
            "sk": {"N": str(i)},
            "colour": {"S": "red" if i % 2 else "blue"},
            "extra": {"S": f"e{i}"},
        }
        for i in range(1, 6)
    ]
    put_all(ddb, tables["N"], items)
    return pk, items


def test_filter_runs_after_the_read(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, items = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}, ":c": {"S": "red"}},
        FilterExpression="colour = :c",
    )
    assert reply["Items"] == [items[0], items[2], items[4]]
    assert (reply["Count"], reply["ScannedCount"]) == (3, 5)


def test_filter_matching_nothing_still_scans(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}, ":c": {"S": "green"}},
        FilterExpression="colour = :c",
    )
    assert reply["Items"] == []
    assert (reply["Count"], reply["ScannedCount"]) == (0, 5)
    assert "LastEvaluatedKey" not in reply


@pytest.mark.parametrize(
    ("expression", "key"),
    [
        ("sk > :n", "sk"),
        ("pk = :s", "pk"),
        ("colour = :s AND sk > :n", "sk"),
        ("attribute_exists(#k)", "sk"),
    ],
)
def test_filter_on_a_key_attribute_is_refused(
    ddb: Any, tables: dict[str, str], expression: str, key: str
) -> None:
    values: dict[str, Any] = {":p": {"S": "x"}}
    if ":n" in expression:
        values[":n"] = {"N": "1"}
    if ":s" in expression:
        values[":s"] = {"S": "x"}
    extra: dict[str, Any] = {"ExpressionAttributeNames": {"#k": "sk"}} if "#k" in expression else {}
    code, message = refused(
        lambda: query(ddb, tables["N"], "pk = :p", values, FilterExpression=expression, **extra)
    )
    assert (code, message) == (
        "ValidationException",
        f"Filter Expression can only contain non-primary key attributes: Primary key attribute: "
        f"{key}",
    )


def test_projection_returns_only_named_attributes(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}},
        ProjectionExpression="colour, #x, absent",
        ExpressionAttributeNames={"#x": "sk"},
    )
    assert reply["Items"] == [
        {"colour": {"S": "red" if i % 2 else "blue"}, "sk": {"N": str(i)}} for i in range(1, 6)
    ]


def test_projection_with_filter_on_unprojected_attribute(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}, ":c": {"S": "blue"}},
        FilterExpression="colour = :c",
        ProjectionExpression="extra",
    )
    assert reply["Items"] == [{"extra": {"S": "e2"}}, {"extra": {"S": "e4"}}]
    assert (reply["Count"], reply["ScannedCount"]) == (2, 5)


# --------------------------------------------------------------------------- Select


def test_select_all_attributes_returns_whole_items(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, items = five
    reply = query(ddb, tables["N"], "pk = :p", {":p": {"S": pk}}, Select="ALL_ATTRIBUTES")
    assert reply["Items"] == items


def test_select_count_omits_items(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p AND sk >= :n",
        {":p": {"S": pk}, ":n": {"N": "2"}, ":c": {"S": "red"}},
        Select="COUNT",
        FilterExpression="colour = :c",
    )
    assert "Items" not in reply
    assert (reply["Count"], reply["ScannedCount"]) == (2, 4)


def test_select_count_with_limit_keeps_last_evaluated_key(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = five
    reply = query(ddb, tables["N"], "pk = :p", {":p": {"S": pk}}, Select="COUNT", Limit=2)
    assert "Items" not in reply
    assert reply["Count"] == 2
    assert reply["LastEvaluatedKey"] == {"pk": {"S": pk}, "sk": {"N": "2"}}


def test_select_specific_attributes_with_projection(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p AND sk = :n",
        {":p": {"S": pk}, ":n": {"N": "3"}},
        Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression="extra",
    )
    assert reply["Items"] == [{"extra": {"S": "e3"}}]


SELECT_ERRORS = [
    # Query wraps these in the constraint envelope (moto's AWS-verified tests); Scan does not.
    (
        {"Select": "SPECIFIC_ATTRIBUTES"},
        "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression "
        "when choosing to get SPECIFIC_ATTRIBUTES",
    ),
    (
        {"Select": "ALL_PROJECTED_ATTRIBUTES"},
        "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying "
        "using an IndexName",
    ),
    (
        {"Select": "COUNT", "ProjectionExpression": "extra"},
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to "
        "get only the Count",
    ),
    (
        {"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "extra"},
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to "
        "get ALL_ATTRIBUTES",
    ),
    (
        {"Select": "ALL_PROJECTED_ATTRIBUTES", "ProjectionExpression": "extra"},
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to "
        "get ALL_PROJECTED_ATTRIBUTES",
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
        "all-projected-with-projection",
    ],
)
def test_select_errors(
    ddb: Any, tables: dict[str, str], extra: dict[str, Any], message: str
) -> None:
    code, text = refused(lambda: query(ddb, tables["N"], "pk = :p", {":p": {"S": "x"}}, **extra))
    assert (code, text) == ("ValidationException", message)


# --------------------------------------------------------------------------- Limit, start keys


def lek(pk: str, sk: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def test_limit_stops_the_page_with_last_evaluated_key(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, items = five
    reply = query(ddb, tables["N"], "pk = :p", {":p": {"S": pk}}, Limit=2)
    assert reply["Items"] == items[:2]
    assert (reply["Count"], reply["ScannedCount"]) == (2, 2)
    assert reply["LastEvaluatedKey"] == lek(pk, 2)


def test_limit_equal_to_remaining_items_still_gives_last_evaluated_key(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, items = five
    reply = query(ddb, tables["N"], "pk = :p", {":p": {"S": pk}}, Limit=5)
    assert reply["Items"] == items
    assert reply["LastEvaluatedKey"] == lek(pk, 5)
    after = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}},
        Limit=5,
        ExclusiveStartKey=reply["LastEvaluatedKey"],
    )
    assert after["Items"] == []
    assert (after["Count"], after["ScannedCount"]) == (0, 0)
    assert "LastEvaluatedKey" not in after


def test_limit_above_remaining_items_has_no_last_evaluated_key(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, items = five
    reply = query(ddb, tables["N"], "pk = :p", {":p": {"S": pk}}, Limit=6)
    assert reply["Items"] == items
    assert "LastEvaluatedKey" not in reply


def test_limit_counts_items_before_the_filter(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, items = five
    values = {":p": {"S": pk}, ":c": {"S": "blue"}}
    reply = query(ddb, tables["N"], "pk = :p", values, Limit=3, FilterExpression="colour = :c")
    assert reply["Items"] == [items[1]]
    assert (reply["Count"], reply["ScannedCount"]) == (1, 3)
    # The key of the last item *read* (sk=3, filtered out), not of the last item returned.
    assert reply["LastEvaluatedKey"] == lek(pk, 3)
    reply = query(ddb, tables["N"], "pk = :p", values, Limit=1, FilterExpression="colour = :c")
    assert reply["Items"] == []
    assert (reply["Count"], reply["ScannedCount"]) == (0, 1)
    assert reply["LastEvaluatedKey"] == lek(pk, 1)


def test_backward_limit_and_resume(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, items = five
    first = query(ddb, tables["N"], "pk = :p", {":p": {"S": pk}}, Limit=3, ScanIndexForward=False)
    assert first["Items"] == items[:1:-1]
    assert first["LastEvaluatedKey"] == lek(pk, 3)
    rest = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}},
        Limit=3,
        ScanIndexForward=False,
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert rest["Items"] == [items[1], items[0]]
    assert "LastEvaluatedKey" not in rest


@pytest.mark.parametrize(
    ("forward", "start", "expected"),
    [
        (True, "2.5", [3, 4, 5]),
        (False, "2.5", [2, 1]),
        (True, "0", [1, 2, 3, 4, 5]),
        (True, "5", []),
        (False, "1", []),
        (False, "99", [5, 4, 3, 2, 1]),
    ],
)
def test_exclusive_start_key_need_not_exist(
    ddb: Any,
    tables: dict[str, str],
    five: tuple[str, list[dict[str, Any]]],
    forward: bool,
    start: str,
    expected: list[int],
) -> None:
    pk, _ = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}},
        ScanIndexForward=forward,
        ExclusiveStartKey={"pk": {"S": pk}, "sk": {"N": start}},
    )
    assert [int(item["sk"]["N"]) for item in reply["Items"]] == expected


def test_exclusive_start_key_with_sort_condition(
    ddb: Any, tables: dict[str, str], five: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = five
    reply = query(
        ddb,
        tables["N"],
        "pk = :p AND sk BETWEEN :a AND :b",
        {":p": {"S": pk}, ":a": {"N": "2"}, ":b": {"N": "4"}},
        ExclusiveStartKey=lek(pk, 2),
    )
    assert [int(item["sk"]["N"]) for item in reply["Items"]] == [3, 4]


@pytest.mark.parametrize(
    "start",
    [
        {"pk": {"S": "x"}},
        {"sk": {"N": "1"}},
        {"pk": {"S": "x"}, "sk": {"N": "1"}, "colour": {"S": "y"}},
        {"pk": {"S": "x"}, "colour": {"N": "1"}},
    ],
    ids=["missing-sort-key", "missing-partition-key", "extra-attribute", "wrong-name"],
)
def test_malformed_exclusive_start_key_is_refused(
    ddb: Any, tables: dict[str, str], start: dict[str, Any]
) -> None:
    code, message = refused(
        lambda: query(ddb, tables["N"], "pk = :p", {":p": {"S": "x"}}, ExclusiveStartKey=start)
    )
    assert (code, message) == ("ValidationException", BAD_START)


@pytest.mark.parametrize(
    "start",
    [
        {"pk": {"S": "x"}, "sk": {"S": "1"}},
        {"pk": {"N": "1"}, "sk": {"N": "1"}},
    ],
    ids=["sort-key-type", "partition-key-type"],
)
def test_exclusive_start_key_of_wrong_type_is_refused(
    ddb: Any, tables: dict[str, str], start: dict[str, Any]
) -> None:
    code, message = refused(
        lambda: query(ddb, tables["N"], "pk = :p", {":p": {"S": "x"}}, ExclusiveStartKey=start)
    )
    # Both are key attributes of what the Query reads: DynamoDB words them without the
    # "The provided starting key is invalid: " prefix, which it keeps for the table's key
    # attributes an index Query's start key holds (test_query_edges).
    assert (code, message) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )


def test_exclusive_start_key_of_another_partition_is_refused(
    ddb: Any, tables: dict[str, str]
) -> None:
    code, message = refused(
        lambda: query(
            ddb, tables["N"], "pk = :p", {":p": {"S": "a"}}, ExclusiveStartKey=lek("b", 1)
        )
    )
    assert (code, message) == (
        "ValidationException",
        "The provided starting key is outside query boundaries based on provided conditions",
    )


def test_exclusive_start_key_outside_the_sort_condition_is_refused(
    ddb: Any, tables: dict[str, str]
) -> None:
    code, message = refused(
        lambda: query(
            ddb,
            tables["N"],
            "pk = :p AND sk > :n",
            {":p": {"S": "a"}, ":n": {"N": "5"}},
            ExclusiveStartKey=lek("a", 1),
        )
    )
    assert (code, message) == (
        "ValidationException",
        "The provided starting key does not match the range key predicate",
    )


def test_limit_zero_is_a_constraint_error(server: Server, tables: dict[str, str]) -> None:
    reply = signed_call(
        server,
        "Query",
        {
            "TableName": tables["N"],
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "a"}},
            "Limit": 0,
        },
    )
    assert reply.status == 400
    assert reply.json()["message"] == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


# --------------------------------------------------------------------------- consistency, capacity


@pytest.fixture
def ten_kilobyte_items(ddb: Any, tables: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """Ten items of exactly 1000 bytes each (10,000 bytes: 3 units of 4 KB)."""
    pk = fresh_pk()
    items = []
    for i in range(10):
        item = {"pk": {"S": pk}, "sk": {"N": str(i)}, "colour": {"S": "red"}, "data": {"S": ""}}
        item["data"]["S"] = "x" * (1000 - item_size(item))
        assert item_size(item) == 1000
        items.append(item)
    put_all(ddb, tables["N"], items)
    return pk, items


@pytest.mark.parametrize(("consistent", "units"), [(True, 3.0), (False, 1.5)])
def test_consumed_capacity_rounds_the_sum_once(
    ddb: Any,
    tables: dict[str, str],
    ten_kilobyte_items: tuple[str, list[dict[str, Any]]],
    consistent: bool,
    units: float,
) -> None:
    pk, items = ten_kilobyte_items
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}},
        ConsistentRead=consistent,
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["Items"] == items
    assert reply["ConsumedCapacity"]["TableName"] == tables["N"]
    assert reply["ConsumedCapacity"]["CapacityUnits"] == units


@pytest.mark.parametrize(
    "extra",
    [
        {"FilterExpression": "colour = :c", "ExpressionAttributeValues": {":c": {"S": "none"}}},
        {"ProjectionExpression": "sk"},
        {"Select": "COUNT"},
    ],
    ids=["filter", "projection", "count"],
)
def test_consumed_capacity_counts_items_read_not_returned(
    ddb: Any,
    tables: dict[str, str],
    ten_kilobyte_items: tuple[str, list[dict[str, Any]]],
    extra: dict[str, Any],
) -> None:
    pk, _ = ten_kilobyte_items
    extra = dict(extra)  # the parameter is shared by this test's runs on every backend
    values = {":p": {"S": pk}, **extra.pop("ExpressionAttributeValues", {})}
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        values,
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
        **extra,
    )
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 3.0


def test_consumed_capacity_counts_only_the_page_read(
    ddb: Any, tables: dict[str, str], ten_kilobyte_items: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = ten_kilobyte_items
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}},
        Limit=5,
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["ConsumedCapacity"]["CapacityUnits"] == read_units(5000, True) == 2.0
    reply = query(
        ddb,
        tables["N"],
        "pk = :p AND sk < :n",
        {":p": {"S": pk}, ":n": {"N": "4"}},
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["ConsumedCapacity"]["CapacityUnits"] == read_units(4000, False) == 0.5


def test_consumed_capacity_indexes_reports_the_table(
    ddb: Any, tables: dict[str, str], ten_kilobyte_items: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = ten_kilobyte_items
    reply = query(
        ddb,
        tables["N"],
        "pk = :p",
        {":p": {"S": pk}},
        ConsistentRead=True,
        ReturnConsumedCapacity="INDEXES",
    )
    cc = reply["ConsumedCapacity"]
    assert cc["TableName"] == tables["N"]
    assert cc["CapacityUnits"] == 3.0
    assert cc["Table"] == {"CapacityUnits": 3.0}


def test_no_consumed_capacity_unless_asked(
    ddb: Any, tables: dict[str, str], ten_kilobyte_items: tuple[str, list[dict[str, Any]]]
) -> None:
    pk, _ = ten_kilobyte_items
    for mode in ({}, {"ReturnConsumedCapacity": "NONE"}):
        assert "ConsumedCapacity" not in query(
            ddb, tables["N"], "pk = :p", {":p": {"S": pk}}, **mode
        )


def test_consistent_read_sees_the_latest_write(ddb: Any, tables: dict[str, str]) -> None:
    pk = fresh_pk()
    for i in range(20):
        ddb.put_item(TableName=tables["S"], Item={"pk": {"S": pk}, "sk": {"S": f"{i:02}"}})
        reply = query(
            ddb, tables["S"], "pk = :p", {":p": {"S": pk}}, ConsistentRead=True, Select="COUNT"
        )
        assert reply["Count"] == i + 1
