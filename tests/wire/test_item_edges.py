"""Items and expressions at the edges, as DynamoDB answers them.

Pinned behaviour:
- UpdateItem on a missing item: an update that sets nothing (an empty AttributeUpdates, or
  no update at all) creates the item with its key; an update that only takes away (REMOVE
  of any path, DELETE of set members, AttributeUpdates DELETE) creates nothing, succeeds, and
  returns no Attributes even with ReturnValues ALL_NEW. A REMOVE of a nested path whose
  parent is missing is refused only when an item is there (or being made by a SET).
- An attribute named "" is refused wherever a request names an attribute (Item, Key,
  AttributesToGet, AttributeUpdates, Expected, legacy filters, and an ExpressionAttributeNames
  entry); an empty key inside a map value is kept.
- Update functions nest - list_append(if_not_exists(a, :v), :w), if_not_exists(b,
  if_not_exists(c, :v)) - except list_append inside list_append, and if_not_exists whose
  first operand is not a path.
- `+`, `-` and ADD whose exact result needs more than 38 digits, or is out of range, are
  refused with "Number overflow. ..." (DynamoDB's wording even for lost precision); a number
  written with 39 digits keeps the 38-digit message.
- attribute_type(operand, :t) in an UpdateItem's ConditionExpression tells all ten types
  apart, also for a value operand.
- Invalid values (NULL false, empty sets, duplicate set members) are refused with DynamoDB's
  per-type wording in Item, Key, ExpressionAttributeValues, ExclusiveStartKey, KeyConditions
  and QueryFilter; a refused request changes nothing.

Sources (run against DynamoDB): ScyllaDB's test/alternator/test_item.py
(test_update_item_non_existent, test_update_item_delete, test_update_item_no_update_method),
test_update_expression.py (test_nested_attribute_remove_from_missing_item,
test_nested_attribute_update_bad_path_dot, test_update_expression_function_nesting,
test_update_expression_if_not_exists), test_number.py (test_update_expression_plus_imprecise,
test_update_expression_plus_overflow, test_update_expression_plus_precision),
test_condition_expression.py (test_update_condition_attribute_type*); dynalite's
test/getItem.js, test/putItem.js and test/scan.js (value messages per type and parameter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.wire.helpers import key_of, read, refused

INVALID = "One or more parameter values were invalid: "
INVALID_PATH = "The document path provided in the update expression is invalid for update"
OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
PRECISION = "Attempting to store more than 38 significant digits in a Number"
EMPTY_NAME = "Empty attribute name"


def n(text: str) -> dict[str, str]:
    return {"N": text}


def s(text: str) -> dict[str, str]:
    return {"S": text}


# --------------------------------------------------------------------------- updates of a missing item


def test_update_that_sets_nothing_creates_the_item(ddb: Any, table: str) -> None:
    ddb.update_item(TableName=table, Key=key_of("empty-au"), AttributeUpdates={})
    assert read(ddb, table, "empty-au") == key_of("empty-au")
    ddb.update_item(TableName=table, Key=key_of("no-update"))
    assert read(ddb, table, "no-update") == key_of("no-update")


TAKING_AWAY = [
    {"UpdateExpression": "REMOVE a"},
    {"UpdateExpression": "REMOVE x.y"},
    {"UpdateExpression": "REMOVE x[0]"},
    {"UpdateExpression": "REMOVE a, x.y.z, l[3]"},
    {"UpdateExpression": "DELETE ss :v", "ExpressionAttributeValues": {":v": {"SS": ["a"]}}},
    {
        "UpdateExpression": "REMOVE a DELETE ns :v",
        "ExpressionAttributeValues": {":v": {"NS": ["1"]}},
    },
    {"AttributeUpdates": {"a": {"Action": "DELETE"}}},
    {"AttributeUpdates": {"a": {"Action": "DELETE", "Value": {"NS": ["4"]}}}},
]


@pytest.mark.parametrize(
    "update",
    TAKING_AWAY,
    ids=[
        "REMOVE-a",
        "REMOVE-x.y",
        "REMOVE-x[0]",
        "REMOVE-several",
        "DELETE",
        "REMOVE-and-DELETE",
        "AU-DELETE",
        "AU-DELETE-value",
    ],
)
def test_update_that_only_takes_away_creates_nothing(
    ddb: Any, table: str, update: dict[str, Any]
) -> None:
    for mode in ("ALL_NEW", "ALL_OLD", "UPDATED_NEW"):
        reply = ddb.update_item(TableName=table, Key=key_of("gone"), ReturnValues=mode, **update)
        assert "Attributes" not in reply, (mode, reply)
        assert read(ddb, table, "gone") is None
    assert ddb.scan(TableName=table, ConsistentRead=True)["Items"] == []


def test_remove_below_a_missing_parent_of_an_existing_item_is_refused(ddb: Any, table: str) -> None:
    item = {"pk": s("here"), "a": s("hello"), "b": {"L": [s("hi")]}}
    ddb.put_item(TableName=table, Item=item)
    for expression in ("REMOVE c.c", "REMOVE a.c", "REMOVE c[0]", "REMOVE a[0]"):
        assert refused(
            lambda expression=expression: ddb.update_item(
                TableName=table, Key=key_of("here"), UpdateExpression=expression
            )
        ) == ("ValidationException", INVALID_PATH)
    assert read(ddb, table, "here") == item


def test_set_with_remove_below_a_missing_parent_on_a_missing_item_is_refused(
    ddb: Any, table: str
) -> None:
    """A SET makes the item, which then has no `x`: the REMOVE of x.y is refused as on any
    item lacking x, and nothing is written."""
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key_of("new"),
            UpdateExpression="SET b = :v REMOVE x.y",
            ExpressionAttributeValues={":v": n("1")},
        )
    ) == ("ValidationException", INVALID_PATH)
    assert read(ddb, table, "new") is None


def test_condition_still_applies_to_a_removing_update_of_a_missing_item(
    ddb: Any, table: str
) -> None:
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.update_item(
            TableName=table,
            Key=key_of("cond"),
            UpdateExpression="REMOVE a",
            ConditionExpression="attribute_exists(pk)",
        )
    assert read(ddb, table, "cond") is None


def test_transaction_update_that_only_removes_creates_nothing(ddb: Any, table: str) -> None:
    ddb.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": table, "Key": key_of("tx"), "UpdateExpression": "REMOVE a.b"}},
            {"Put": {"TableName": table, "Item": {"pk": s("tx-put"), "v": n("1")}}},
        ]
    )
    assert read(ddb, table, "tx") is None
    assert read(ddb, table, "tx-put") == {"pk": s("tx-put"), "v": n("1")}


# --------------------------------------------------------------------------- empty attribute names


def test_item_attribute_named_empty_is_refused(ddb: Any, table: str) -> None:
    item = {"pk": s("e"), "": s("v")}
    assert refused(lambda: ddb.put_item(TableName=table, Item=item)) == (
        "ValidationException",
        EMPTY_NAME,
    )
    assert refused(
        lambda: ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}}]})
    ) == ("ValidationException", EMPTY_NAME)
    assert refused(
        lambda: ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": item}}]
        )
    ) == ("ValidationException", EMPTY_NAME)
    assert refused(lambda: ddb.get_item(TableName=table, Key={"pk": s("e"), "": s("v")})) == (
        "ValidationException",
        EMPTY_NAME,
    )
    assert read(ddb, table, "e") is None


def test_legacy_parameters_naming_the_empty_attribute_are_refused(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("e"), "a": s("v")})
    calls = [
        lambda: ddb.get_item(TableName=table, Key=key_of("e"), AttributesToGet=[""]),
        lambda: ddb.scan(TableName=table, AttributesToGet=["a", ""]),
        lambda: ddb.update_item(
            TableName=table,
            Key=key_of("e"),
            AttributeUpdates={"": {"Action": "PUT", "Value": s("x")}},
        ),
        lambda: ddb.update_item(
            TableName=table, Key=key_of("fresh"), AttributeUpdates={"": {"Action": "DELETE"}}
        ),
        lambda: ddb.put_item(
            TableName=table, Item={"pk": s("e"), "b": s("w")}, Expected={"": {"Exists": False}}
        ),
        lambda: ddb.scan(TableName=table, ScanFilter={"": {"ComparisonOperator": "NULL"}}),
        lambda: ddb.query(
            TableName=table,
            KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [s("e")]}},
            QueryFilter={"": {"ComparisonOperator": "NOT_NULL"}},
        ),
    ]
    for call in calls:
        assert refused(call) == ("ValidationException", EMPTY_NAME)
    assert read(ddb, table, "e") == {"pk": s("e"), "a": s("v")}
    assert read(ddb, table, "fresh") is None


@pytest.mark.parametrize(
    "params",
    [
        {"ConditionExpression": "attribute_not_exists(#n)"},
        {"UpdateExpression": "SET #n = :v", "ExpressionAttributeValues": {":v": n("1")}},
        {"UpdateExpression": "REMOVE #n"},
    ],
    ids=["condition", "set", "remove"],
)
def test_expression_name_bound_to_empty_is_refused(
    ddb: Any, table: str, params: dict[str, Any]
) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("e"), "a": s("v")})
    if "UpdateExpression" not in params:
        params = {**params, "UpdateExpression": "SET b = :v"}
        params["ExpressionAttributeValues"] = {":v": n("1")}
    assert refused(
        lambda: ddb.update_item(
            TableName=table, Key=key_of("e"), ExpressionAttributeNames={"#n": ""}, **params
        )
    ) == (
        "ValidationException",
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #n",
    )
    assert refused(
        lambda: ddb.get_item(
            TableName=table,
            Key=key_of("e"),
            ProjectionExpression="#n",
            ExpressionAttributeNames={"#n": ""},
        )
    ) == (
        "ValidationException",
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #n",
    )
    assert read(ddb, table, "e") == {"pk": s("e"), "a": s("v")}


def test_empty_key_inside_a_map_value_is_kept(ddb: Any, table: str) -> None:
    item = {"pk": s("m"), "m": {"M": {"": s("v"), "x": {"M": {"": n("1")}}}}}
    ddb.put_item(TableName=table, Item=item)
    assert read(ddb, table, "m") == item


# --------------------------------------------------------------------------- function nesting


def test_if_not_exists_nests_in_list_append_and_in_itself(ddb: Any, table: str) -> None:
    def update(expression: str, values: dict[str, Any]) -> None:
        ddb.update_item(
            TableName=table,
            Key=key_of("nest"),
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
        )

    appended = "SET a = list_append(if_not_exists(a, :v), :w)"
    update(appended, {":v": {"L": [s("a"), s("b")]}, ":w": {"L": [s("cat"), s("dog")]}})
    assert read(ddb, table, "nest") == {
        "pk": s("nest"),
        "a": {"L": [s("a"), s("b"), s("cat"), s("dog")]},
    }
    update(appended, {":v": {"L": [s("a"), s("b")]}, ":w": {"L": [s("1")]}})
    assert read(ddb, table, "nest")["a"] == {  # type: ignore[index]
        "L": [s("a"), s("b"), s("cat"), s("dog"), s("1")]
    }
    update("SET b = if_not_exists(c, if_not_exists(d, :v))", {":v": n("3")})
    update("SET x = if_not_exists(c, if_not_exists(b, :v))", {":v": n("4")})
    item = read(ddb, table, "nest")
    assert item is not None and item["b"] == n("3") and item["x"] == n("3")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "SET a = list_append(list_append(:a, :b), :c)",
            "The function is not allowed to be used this way in an expression; "
            "function: list_append",
        ),
        (
            "SET a = list_append(:a, list_append(:b, :c))",
            "The function is not allowed to be used this way in an expression; "
            "function: list_append",
        ),
        (
            "SET a = list_append(list_append(list_append(:a, :b), :c), :a)",
            "The function is not allowed to be used this way in an expression; "
            "function: list_append",
        ),
        (
            "SET a = if_not_exists(if_not_exists(a, :b), :c)",
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
    ],
    ids=["list_append-first", "list_append-second", "list_append-twice", "if_not_exists-first"],
)
def test_refused_function_nesting_changes_nothing(
    ddb: Any, table: str, expression: str, message: str
) -> None:
    before = {"pk": s("nest"), "a": {"L": [s("x")]}}
    ddb.put_item(TableName=table, Item=before)
    values = {":a": {"L": [s("a")]}, ":b": {"L": [s("1")]}, ":c": {"L": [s("hi")]}}
    used = {name: value for name, value in values.items() if name in expression}
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key_of("nest"),
            UpdateExpression=expression,
            ExpressionAttributeValues=used,
        )
    ) == ("ValidationException", "Invalid UpdateExpression: " + message)
    assert read(ddb, table, "nest") == before


# --------------------------------------------------------------------------- arithmetic past 38 digits


@pytest.mark.parametrize(
    ("expression", "left", "right"),
    [
        ("SET b = :x + :y", "1E50", "1"),
        ("SET b = :x - :y", "1E50", "1"),
        ("SET b = :x + :y", "9E125", "9E125"),
        ("SET b = :x - :y", "9E125", "-9E125"),
        ("SET b = :x + :y", "0.1", "1E40"),
    ],
    ids=["plus-precision", "minus-precision", "plus-magnitude", "minus-magnitude", "fraction"],
)
def test_arithmetic_beyond_a_number_is_an_overflow(
    ddb: Any, table: str, expression: str, left: str, right: str
) -> None:
    before = {"pk": s("num"), "b": n("7")}
    ddb.put_item(TableName=table, Item=before)
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key_of("num"),
            UpdateExpression=expression,
            ExpressionAttributeValues={":x": n(left), ":y": n(right)},
        )
    ) == ("ValidationException", OVERFLOW)
    assert read(ddb, table, "num") == before


def test_add_beyond_a_number_is_an_overflow(ddb: Any, table: str) -> None:
    before = {"pk": s("add"), "c": n("1E50")}
    ddb.put_item(TableName=table, Item=before)
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key_of("add"),
            UpdateExpression="ADD c :one",
            ExpressionAttributeValues={":one": n("1")},
        )
    ) == ("ValidationException", OVERFLOW)
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key_of("add"),
            AttributeUpdates={"c": {"Action": "ADD", "Value": n("1")}},
        )
    ) == ("ValidationException", OVERFLOW)
    assert read(ddb, table, "add") == {
        "pk": s("add"),
        "c": n("100000000000000000000000000000000000000000000000000"),
    }


def test_arithmetic_within_38_digits_is_exact(ddb: Any, table: str) -> None:
    values = {":one": n("1"), ":big": n("10000000000000000000000")}
    ddb.update_item(
        TableName=table,
        Key=key_of("exact"),
        UpdateExpression="SET b = :one + :big, c = :big - :one",
        ExpressionAttributeValues=values,
    )
    item = read(ddb, table, "exact")
    assert item is not None
    assert item["b"] == n("10000000000000000000001")
    assert item["c"] == n("9999999999999999999999")


def test_a_written_number_of_39_digits_keeps_the_precision_message(ddb: Any, table: str) -> None:
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key_of("num39"),
            UpdateExpression="SET b = :x",
            ExpressionAttributeValues={":x": n("3.14159265358979323846264338327950288419")},
        )
    ) == (
        "ValidationException",
        f"ExpressionAttributeValues contains invalid value: {PRECISION} for key :x",
    )
    assert read(ddb, table, "num39") is None


# --------------------------------------------------------------------------- attribute_type


TYPED_VALUES = [
    ("S", s("hello")),
    ("SS", {"SS": ["hello", "world"]}),
    ("N", n("2")),
    ("NS", {"NS": ["1", "2"]}),
    ("B", {"B": b"dog"}),
    ("BS", {"BS": [b"dog", b"cat"]}),
    ("BOOL", {"BOOL": True}),
    ("NULL", {"NULL": True}),
    ("L", {"L": [n("1"), s("dog")]}),
    ("M", {"M": {"a": n("3"), "b": n("4")}}),
]


def test_attribute_type_in_an_update_condition_tells_the_ten_types_apart(
    ddb: Any, table: str
) -> None:
    item = {"pk": s("types"), **{f"a{i}": value for i, (_, value) in enumerate(TYPED_VALUES)}}
    ddb.put_item(TableName=table, Item=item)
    for i, (kind, _) in enumerate(TYPED_VALUES):
        ddb.update_item(
            TableName=table,
            Key=key_of("types"),
            UpdateExpression="SET c = :v",
            ConditionExpression=f"attribute_type(a{i}, :t)",
            ExpressionAttributeValues={":v": n(str(i)), ":t": s(kind)},
        )
        assert read(ddb, table, "types")["c"] == n(str(i))  # type: ignore[index]
        wrong = TYPED_VALUES[(i + 1) % len(TYPED_VALUES)][0]
        with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
            ddb.update_item(
                TableName=table,
                Key=key_of("types"),
                UpdateExpression="SET c = :v",
                ConditionExpression=f"attribute_type(a{i}, :t)",
                ExpressionAttributeValues={":v": n("99"), ":t": s(wrong)},
            )
        assert read(ddb, table, "types")["c"] == n(str(i))  # type: ignore[index]
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.update_item(
            TableName=table,
            Key=key_of("types"),
            UpdateExpression="SET c = :v",
            ConditionExpression="attribute_type(absent, :t)",
            ExpressionAttributeValues={":v": n("99"), ":t": s("S")},
        )
    # The first operand may be a value, not only a path.
    ddb.update_item(
        TableName=table,
        Key=key_of("types"),
        UpdateExpression="SET c = :v",
        ConditionExpression="attribute_type(:v, :t)",
        ExpressionAttributeValues={":v": n("0"), ":t": s("N")},
    )
    assert read(ddb, table, "types")["c"] == n("0")  # type: ignore[index]


def test_attribute_type_with_a_bad_type_operand_is_refused(ddb: Any, table: str) -> None:
    before = {"pk": s("tt"), "a": n("1"), "b": s("N")}
    ddb.put_item(TableName=table, Item=before)

    def condition(expression: str, values: dict[str, Any]) -> tuple[str, str]:
        return refused(
            lambda: ddb.update_item(
                TableName=table,
                Key=key_of("tt"),
                UpdateExpression="SET c = :v",
                ConditionExpression=expression,
                ExpressionAttributeValues={":v": n("1"), **values},
            )
        )

    assert condition("attribute_type(a, :t)", {":t": s("DOG")}) == (
        "ValidationException",
        "Invalid ConditionExpression: Invalid attribute type name found; type: DOG, "
        "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
    )
    code, _ = condition("attribute_type(a, b)", {})
    assert code == "ValidationException"
    assert read(ddb, table, "tt") == before


# --------------------------------------------------------------------------- invalid values everywhere


BAD_VALUES = [
    ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
    ({"SS": []}, INVALID + "An string set  may not be empty"),
    ({"NS": []}, INVALID + "An number set  may not be empty"),
    ({"BS": []}, INVALID + "Binary sets should not be empty"),
    ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
    ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
    ({"NS": ["1", "1.00"]}, "Input collection contains duplicates"),
    (
        {"BS": [b"b", b"b"]},
        INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates.",
    ),
]
BAD_IDS = [
    "NULL-false",
    "empty-SS",
    "empty-NS",
    "empty-BS",
    "dup-SS",
    "dup-NS",
    "dup-NS-numeric",
    "dup-BS",
]


def _start_key_frame(bad: dict[str, Any]) -> str:
    """An ExclusiveStartKey's faults come after "The provided starting key is invalid: ", but
    those of number sets and of duplicates in any set come bare (dynalite's scan and query
    tests, recorded against DynamoDB; tests/wire/test_query_edges.py)."""
    kind, members = next(iter(bad.items()))
    duplicated = isinstance(members, list) and len(members) > 1
    return "{}" if kind == "NS" or duplicated else "The provided starting key is invalid: {}"


def _requests(table: str, bad: dict[str, Any]) -> list[tuple[str, Callable[[Any], Any], str]]:
    """(where, call, how DynamoDB frames the value's message there) for each place a value is
    taken."""
    key_eq = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [s("v")]}}
    return [
        ("Item", lambda c: c.put_item(TableName=table, Item={"pk": s("v"), "x": bad}), "{}"),
        ("Key", lambda c: c.get_item(TableName=table, Key={"pk": bad}), "{}"),
        ("Key", lambda c: c.delete_item(TableName=table, Key={"pk": bad}), "{}"),
        (
            "ExpressionAttributeValues",
            lambda c: c.update_item(
                TableName=table,
                Key=key_of("v"),
                UpdateExpression="SET x = :b",
                ExpressionAttributeValues={":b": bad},
            ),
            "ExpressionAttributeValues contains invalid value: {} for key :b",
        ),
        (
            "ExclusiveStartKey",
            lambda c: c.scan(TableName=table, ExclusiveStartKey={"pk": bad}),
            _start_key_frame(bad),
        ),
        (
            "KeyConditions",
            lambda c: c.query(
                TableName=table,
                KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [bad]}},
            ),
            "{}",
        ),
        (
            "QueryFilter",
            lambda c: c.query(
                TableName=table,
                KeyConditions=key_eq,
                QueryFilter={"x": {"ComparisonOperator": "EQ", "AttributeValueList": [bad]}},
            ),
            "{}",
        ),
    ]


@pytest.mark.parametrize(("bad", "message"), BAD_VALUES, ids=BAD_IDS)
def test_invalid_values_are_refused_in_every_parameter(
    ddb: Any, table: str, bad: dict[str, Any], message: str
) -> None:
    before = {"pk": s("v"), "x": s("kept")}
    ddb.put_item(TableName=table, Item=before)
    for where, call, frame in _requests(table, bad):
        assert refused(lambda call=call: call(ddb)) == (
            "ValidationException",
            frame.format(message),
        ), where
    assert read(ddb, table, "v") == before
