"""The legacy (pre-expression) parameters, each against its expression twin, over the wire.

Pinned behaviour:
- Expected (+ConditionalOperator) on PutItem, UpdateItem and DeleteItem decides exactly as the
  ConditionExpression it stands for: EQ/NE/LT/LE/GT/GE, BETWEEN, IN, BEGINS_WITH, CONTAINS
  (substring, set member, list element), NOT_NULL/NULL (existence only), NE true for a missing
  attribute, NOT_CONTAINS false for a missing attribute (ScyllaDB's test_expected.py, run
  against DynamoDB); Value alone is equality, Exists=false absence; AND by default, OR with
  ConditionalOperator.
- AttributesToGet on GetItem, Query, Scan and BatchGetItem returns what the same
  ProjectionExpression returns; Select with it is worded "AttributesToGet".
- KeyConditions reads the same items as the KeyConditionExpression; operators that cannot select
  a key range are "Attempted conditional constraint is not an indexable operation", after the
  key-schema checks; "Conditions can be of length 1 or 2 only".
- QueryFilter / ScanFilter give the same pages (Items, Count, ScannedCount, LastEvaluatedKey) as
  the FilterExpression, with Limit; a QueryFilter may not name a key attribute ("QueryFilter can
  only contain non-primary key attributes").
- AttributeUpdates PUT / ADD / DELETE leave the same item and return the same ReturnValues as the
  UpdateExpression; legacy ADD also appends to lists; DELETE without a value removes the
  attribute; on a missing item PUT and ADD create it and an update of only DELETE actions
  creates nothing (AWS's AttributeUpdates page); type clashes are "Type mismatch for attribute
  to update".
- Legacy and expression parameters together are refused with the parameters listed in
  DynamoDB's order (KeyConditions may go with FilterExpression); ConditionalOperator needs a
  Filter or Expected of two conditions or more; the validation messages are DynamoDB's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of, unique_name
from tests.wire.helpers import refused

INVALID = "One or more parameter values were invalid: "
FAILED = ("ConditionalCheckFailedException", "The conditional request failed")

STORED: dict[str, Any] = {
    "pk": {"S": "legacy"},
    "s": {"S": "hello world"},
    "n": {"N": "42"},
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2", "3"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"BOOL": False}]},
    "m": {"M": {"k": {"S": "v"}}},
}


def cond(operator: str, *values: dict[str, Any]) -> dict[str, Any]:
    """A legacy Condition / ExpectedAttributeValue with ComparisonOperator."""
    entry: dict[str, Any] = {"ComparisonOperator": operator}
    if values:
        entry["AttributeValueList"] = list(values)
    return entry


def S(text: str) -> dict[str, Any]:
    return {"S": text}


def N(number: str) -> dict[str, Any]:
    return {"N": number}


@pytest.fixture(scope="module")
def stored_table(ddb: Any) -> Iterator[str]:
    name = unique_name("legacy")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=name, Item=STORED)
    yield name
    ddb.delete_table(TableName=name)


def passes(ddb: Any, table: str, **condition: Any) -> bool:
    """Whether a condition holds for STORED: re-put STORED under it."""
    try:
        ddb.put_item(TableName=table, Item=STORED, **condition)
    except ClientError as err:
        assert error_of_response(err) == FAILED
        return False
    return True


def error_of_response(err: ClientError) -> tuple[str, str]:
    return err.response["Error"]["Code"], err.response["Error"].get("Message", "")


# --------------------------------------------------------------------------- Expected


# (attribute, legacy condition, the ConditionExpression twin, its values, DynamoDB's verdict)
EXPECTED_CASES: list[tuple[str, dict[str, Any], str, dict[str, Any], bool]] = [
    ("n", cond("EQ", N("42")), "n = :v", {":v": N("42")}, True),
    ("n", cond("EQ", S("42")), "n = :v", {":v": S("42")}, False),
    ("ss", cond("EQ", {"SS": ["c", "a", "b"]}), "ss = :v", {":v": {"SS": ["c", "a", "b"]}}, True),
    ("l", cond("EQ", STORED["l"]), "l = :v", {":v": STORED["l"]}, True),
    ("m", cond("EQ", STORED["m"]), "m = :v", {":v": STORED["m"]}, True),
    ("t", cond("EQ", {"BOOL": True}), "t = :v", {":v": {"BOOL": True}}, True),
    ("q", cond("EQ", N("1")), "q = :v", {":v": N("1")}, False),
    ("n", cond("NE", N("42")), "n <> :v", {":v": N("42")}, False),
    ("n", cond("NE", N("43")), "n <> :v", {":v": N("43")}, True),
    ("n", cond("NE", S("42")), "n <> :v", {":v": S("42")}, True),
    ("q", cond("NE", N("1")), "q <> :v", {":v": N("1")}, True),
    ("n", cond("LT", N("43")), "n < :v", {":v": N("43")}, True),
    ("n", cond("LT", N("42")), "n < :v", {":v": N("42")}, False),
    ("n", cond("LE", N("42")), "n <= :v", {":v": N("42")}, True),
    ("n", cond("GT", N("41.5")), "n > :v", {":v": N("41.5")}, True),
    ("n", cond("GE", N("43")), "n >= :v", {":v": N("43")}, False),
    ("n", cond("GT", S("1")), "n > :v", {":v": S("1")}, False),
    ("s", cond("LT", S("world")), "s < :v", {":v": S("world")}, True),
    ("b", cond("GE", {"B": b"\x01\x02"}), "b >= :v", {":v": {"B": b"\x01\x02"}}, True),
    ("q", cond("LE", N("1")), "q <= :v", {":v": N("1")}, False),
    ("s", cond("NOT_NULL"), "attribute_exists(s)", {}, True),
    ("z", cond("NOT_NULL"), "attribute_exists(z)", {}, True),
    ("q", cond("NOT_NULL"), "attribute_exists(q)", {}, False),
    ("q", cond("NULL"), "attribute_not_exists(q)", {}, True),
    ("z", cond("NULL"), "attribute_not_exists(z)", {}, False),
    ("s", cond("CONTAINS", S("lo w")), "contains(s, :v)", {":v": S("lo w")}, True),
    ("s", cond("CONTAINS", S("xyz")), "contains(s, :v)", {":v": S("xyz")}, False),
    ("ss", cond("CONTAINS", S("b")), "contains(ss, :v)", {":v": S("b")}, True),
    ("ns", cond("CONTAINS", N("2")), "contains(ns, :v)", {":v": N("2")}, True),
    ("ns", cond("CONTAINS", S("2")), "contains(ns, :v)", {":v": S("2")}, False),
    ("l", cond("CONTAINS", N("1")), "contains(l, :v)", {":v": N("1")}, True),
    ("l", cond("CONTAINS", {"BOOL": False}), "contains(l, :v)", {":v": {"BOOL": False}}, True),
    ("b", cond("CONTAINS", {"B": b"\x02"}), "contains(b, :v)", {":v": {"B": b"\x02"}}, True),
    ("n", cond("CONTAINS", N("4")), "contains(n, :v)", {":v": N("4")}, False),
    ("q", cond("CONTAINS", S("a")), "contains(q, :v)", {":v": S("a")}, False),
    (
        "s",
        cond("NOT_CONTAINS", S("xyz")),
        "attribute_exists(s) AND NOT contains(s, :v)",
        {":v": S("xyz")},
        True,
    ),
    (
        "ss",
        cond("NOT_CONTAINS", S("a")),
        "attribute_exists(ss) AND NOT contains(ss, :v)",
        {":v": S("a")},
        False,
    ),
    (
        "n",
        cond("NOT_CONTAINS", S("4")),
        "attribute_exists(n) AND NOT contains(n, :v)",
        {":v": S("4")},
        True,
    ),
    (
        "q",
        cond("NOT_CONTAINS", S("a")),
        "attribute_exists(q) AND NOT contains(q, :v)",
        {":v": S("a")},
        False,
    ),
    ("s", cond("BEGINS_WITH", S("hell")), "begins_with(s, :v)", {":v": S("hell")}, True),
    ("s", cond("BEGINS_WITH", S("world")), "begins_with(s, :v)", {":v": S("world")}, False),
    ("b", cond("BEGINS_WITH", {"B": b"\x01"}), "begins_with(b, :v)", {":v": {"B": b"\x01"}}, True),
    ("n", cond("BEGINS_WITH", S("4")), "begins_with(n, :v)", {":v": S("4")}, False),
    ("n", cond("IN", N("1"), N("42")), "n IN (:a, :b)", {":a": N("1"), ":b": N("42")}, True),
    ("n", cond("IN", N("1"), N("2")), "n IN (:a, :b)", {":a": N("1"), ":b": N("2")}, False),
    ("ns", cond("IN", N("1")), "ns IN (:a)", {":a": N("1")}, False),
    ("q", cond("IN", N("1")), "q IN (:a)", {":a": N("1")}, False),
    (
        "n",
        cond("BETWEEN", N("40"), N("42")),
        "n BETWEEN :a AND :b",
        {":a": N("40"), ":b": N("42")},
        True,
    ),
    (
        "n",
        cond("BETWEEN", N("43"), N("50")),
        "n BETWEEN :a AND :b",
        {":a": N("43"), ":b": N("50")},
        False,
    ),
    (
        "s",
        cond("BETWEEN", S("a"), S("z")),
        "s BETWEEN :a AND :b",
        {":a": S("a"), ":b": S("z")},
        True,
    ),
    (
        "n",
        cond("BETWEEN", S("a"), S("z")),
        "n BETWEEN :a AND :b",
        {":a": S("a"), ":b": S("z")},
        False,
    ),
    (
        "q",
        cond("BETWEEN", N("1"), N("2")),
        "q BETWEEN :a AND :b",
        {":a": N("1"), ":b": N("2")},
        False,
    ),
    ("n", {"Value": N("42")}, "n = :v", {":v": N("42")}, True),
    ("n", {"Value": N("43")}, "n = :v", {":v": N("43")}, False),
    ("q", {"Value": N("42")}, "q = :v", {":v": N("42")}, False),
    ("n", {"Exists": True, "Value": N("42")}, "n = :v", {":v": N("42")}, True),
    ("q", {"Exists": False}, "attribute_not_exists(q)", {}, True),
    ("n", {"Exists": False}, "attribute_not_exists(n)", {}, False),
    ("n", {"ComparisonOperator": "EQ", "Value": N("42")}, "n = :v", {":v": N("42")}, True),
]


@pytest.mark.parametrize(
    ("attribute", "condition", "expression", "values", "verdict"),
    EXPECTED_CASES,
    ids=[
        f"{c[0]}-{c[1].get('ComparisonOperator', 'Value')}-{i}"
        for i, c in enumerate(EXPECTED_CASES)
    ],
)
def test_expected_decides_as_its_condition_expression(
    ddb: Any,
    stored_table: str,
    attribute: str,
    condition: dict[str, Any],
    expression: str,
    values: dict[str, Any],
    verdict: bool,
) -> None:
    legacy = passes(ddb, stored_table, Expected={attribute: condition})
    modern_params: dict[str, Any] = {"ConditionExpression": expression}
    if values:
        modern_params["ExpressionAttributeValues"] = values
    modern = passes(ddb, stored_table, **modern_params)
    assert (legacy, modern) == (verdict, verdict)


def test_expected_conditions_join_with_and_unless_or(ddb: Any, stored_table: str) -> None:
    true, false = cond("EQ", N("42")), cond("EQ", N("0"))
    assert passes(ddb, stored_table, Expected={"n": true, "s": cond("NOT_NULL")})
    assert not passes(ddb, stored_table, Expected={"n": true, "q": cond("NOT_NULL")})
    assert passes(
        ddb, stored_table, Expected={"n": true, "s": cond("NOT_NULL")}, ConditionalOperator="AND"
    )
    assert passes(
        ddb, stored_table, Expected={"n": false, "s": cond("NOT_NULL")}, ConditionalOperator="OR"
    )
    assert not passes(
        ddb, stored_table, Expected={"n": false, "q": cond("NOT_NULL")}, ConditionalOperator="OR"
    )
    assert passes(ddb, stored_table, Expected={})


def test_expected_on_update_and_delete(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": S("k"), "v": N("1")})
    put_w = {"w": {"Action": "PUT", "Value": S("x")}}
    update = {"TableName": table, "Key": {"pk": S("k")}, "AttributeUpdates": put_w}
    assert refused(lambda: ddb.update_item(**update, Expected={"v": {"Value": N("2")}})) == FAILED
    ddb.update_item(**update, Expected={"v": {"Value": N("1")}})
    stored = {"pk": S("k"), "v": N("1"), "w": S("x")}
    assert ddb.get_item(TableName=table, Key={"pk": S("k")})["Item"] == stored
    with pytest.raises(ClientError) as excinfo:
        ddb.delete_item(
            TableName=table,
            Key={"pk": S("k")},
            Expected={"v": cond("GT", N("5"))},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert error_of(excinfo) == FAILED
    assert excinfo.value.response["Item"] == stored
    reply = ddb.delete_item(
        TableName=table,
        Key={"pk": S("k")},
        Expected={"v": cond("LT", N("5"))},
        ReturnValues="ALL_OLD",
    )
    assert reply["Attributes"] == stored
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S("k")})


def test_expected_exists_false_is_the_create_only_idiom(ddb: Any, table: str) -> None:
    guard = {"pk": {"Exists": False}}
    ddb.put_item(TableName=table, Item={"pk": S("once")}, Expected=guard)
    assert (
        refused(lambda: ddb.put_item(TableName=table, Item={"pk": S("once")}, Expected=guard))
        == FAILED
    )


EXPECTED_ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"a": {}}, INVALID + "Value must be provided when Exists is null for Attribute: a"),
    (
        {"a": {"Exists": True}},
        INVALID + "Value must be provided when Exists is true for Attribute: a",
    ),
    (
        {"a": {"Exists": False, "Value": S("x")}},
        INVALID + "Value cannot be used when Exists is false for Attribute: a",
    ),
    (
        {"a": {"Exists": True, "ComparisonOperator": "LT"}},
        INVALID + "Exists and ComparisonOperator cannot be used together for Attribute: a",
    ),
    (
        {"a": {"Value": S("x"), "AttributeValueList": [S("x")], "ComparisonOperator": "LT"}},
        INVALID + "Value and AttributeValueList cannot be used together for Attribute: a",
    ),
    (
        {"a": {"AttributeValueList": [S("x")]}},
        INVALID + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
    ),
    (
        {"a": {"Exists": True, "AttributeValueList": [S("x")]}},
        INVALID + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
    ),
    (
        {"a": {"ComparisonOperator": "LT"}},
        INVALID
        + "Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a",
    ),
    (
        {"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}},
        INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator",
    ),
    (
        {"a": cond("NULL", S("a"))},
        INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator",
    ),
    (
        {"a": {"Value": S("a"), "ComparisonOperator": "NULL"}},
        INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator",
    ),
    (
        {"a": {"Value": S("a"), "ComparisonOperator": "BETWEEN"}},
        INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
    ),
    (
        {"a": {"ComparisonOperator": "IN", "AttributeValueList": []}},
        INVALID + "Invalid number of argument(s) for the IN ComparisonOperator",
    ),
    (
        {"a": cond("BETWEEN", N("1"), N("2"), N("3"))},
        INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
    ),
    (
        {"a": cond("BEGINS_WITH", N("1"))},
        INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
    ),
    (
        {"a": cond("LT", {"SS": ["x"]})},
        INVALID + "ComparisonOperator LT is not valid for SS AttributeValue type",
    ),
    (
        {"a": cond("CONTAINS", {"L": []})},
        INVALID + "ComparisonOperator CONTAINS is not valid for L AttributeValue type",
    ),
    (
        {"a": cond("IN", N("3"), S("dog"))},
        INVALID + "AttributeValues inside AttributeValueList must be of same type",
    ),
    (
        {"a": cond("BETWEEN", N("4"), N("3"))},
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
    ),
    (
        {"a": {"Value": {}}},
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
    ),
    ({"a": {"Value": {"NS": ["1", ""]}}}, "The parameter cannot be converted to a numeric value"),
]


@pytest.mark.parametrize(("expected", "message"), EXPECTED_ERRORS)
def test_expected_validation_messages(
    ddb: Any, table: str, expected: dict[str, Any], message: str
) -> None:
    for call in (
        lambda: ddb.put_item(TableName=table, Item={"pk": S("v")}, Expected=expected),
        lambda: ddb.delete_item(TableName=table, Key={"pk": S("v")}, Expected=expected),
        lambda: ddb.update_item(TableName=table, Key={"pk": S("v")}, Expected=expected),
    ):
        assert refused(call) == ("ValidationException", message)


# --------------------------------------------------------------------------- mixing and ConditionalOperator


def mixing(legacy: str, modern: str) -> tuple[str, str]:
    return (
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: "
        f"Non-expression parameters: {{{legacy}}} Expression parameters: {{{modern}}}",
    )


WITHOUT = ("ValidationException", "ConditionalOperator cannot be used without Filter or Expected")
ONE = (
    "ValidationException",
    "ConditionalOperator can only be used when Filter or Expected has two or more elements",
)


def test_mixing_is_refused_with_the_parameters_in_dynamodbs_order(ddb: Any, table: str) -> None:
    key = {"pk": S("k")}
    eq = cond("EQ", S("x"))
    values = {":v": S("x")}
    assert refused(
        lambda: ddb.put_item(
            TableName=table,
            Item=key,
            Expected={"a": eq},
            ConditionExpression="attribute_exists(pk)",
        )
    ) == mixing("Expected", "ConditionExpression")
    assert refused(
        lambda: ddb.put_item(
            TableName=table,
            Item=key,
            Expected={"a": eq},
            ConditionalOperator="AND",
            ConditionExpression="attribute_exists(pk)",
        )
    ) == mixing("Expected, ConditionalOperator", "ConditionExpression")
    assert refused(
        lambda: ddb.delete_item(
            TableName=table,
            Key=key,
            ConditionalOperator="OR",
            ConditionExpression="attribute_exists(pk)",
        )
    ) == mixing("ConditionalOperator", "ConditionExpression")
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key,
            AttributeUpdates={"a": {"Value": S("v")}},
            Expected={"a": eq},
            ConditionalOperator="AND",
            UpdateExpression="SET a = :v",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values,
        )
    ) == mixing(
        "AttributeUpdates, Expected, ConditionalOperator", "UpdateExpression, ConditionExpression"
    )
    assert refused(
        lambda: ddb.update_item(
            TableName=table,
            Key=key,
            AttributeUpdates={"a": {"Value": S("v")}},
            ConditionExpression="attribute_exists(pk)",
        )
    ) == mixing("AttributeUpdates", "ConditionExpression")
    assert refused(
        lambda: ddb.get_item(
            TableName=table, Key=key, AttributesToGet=["a"], ProjectionExpression="a"
        )
    ) == mixing("AttributesToGet", "ProjectionExpression")
    assert refused(
        lambda: ddb.scan(
            TableName=table,
            AttributesToGet=["a"],
            ScanFilter={"a": eq},
            ConditionalOperator="AND",
            FilterExpression="a = :v",
            ProjectionExpression="b",
            ExpressionAttributeValues=values,
        )
    ) == mixing(
        "AttributesToGet, ScanFilter, ConditionalOperator", "ProjectionExpression, FilterExpression"
    )
    assert refused(
        lambda: ddb.query(
            TableName=table,
            KeyConditions={"pk": eq},
            QueryFilter={"a": eq},
            ConditionalOperator="AND",
            KeyConditionExpression="pk = :v",
            FilterExpression="a = :v",
            ProjectionExpression="b",
            ExpressionAttributeValues=values,
        )
    ) == mixing(
        "QueryFilter, ConditionalOperator, KeyConditions",
        "ProjectionExpression, FilterExpression, KeyConditionExpression",
    )
    assert refused(
        lambda: ddb.query(
            TableName=table,
            AttributesToGet=["a"],
            KeyConditionExpression="pk = :v",
            ExpressionAttributeValues=values,
        )
    ) == mixing("AttributesToGet", "KeyConditionExpression")
    assert refused(
        lambda: ddb.batch_get_item(
            RequestItems={
                table: {"Keys": [key], "AttributesToGet": ["a"], "ProjectionExpression": "a"}
            }
        )
    ) == mixing("AttributesToGet", "ProjectionExpression")


def test_key_conditions_may_go_with_filter_and_projection_expressions(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": S("k"), "a": S("x"), "b": S("y")})
    reply = ddb.query(
        TableName=table,
        KeyConditions={"pk": cond("EQ", S("k"))},
        FilterExpression="a = :v",
        ProjectionExpression="b",
        ExpressionAttributeValues={":v": S("x")},
    )
    assert reply["Items"] == [{"b": S("y")}]


def test_conditional_operator_needs_two_conditions(ddb: Any, table: str) -> None:
    key = {"pk": S("k")}
    one = {"a": cond("EQ", S("x"))}
    assert refused(lambda: ddb.scan(TableName=table, ConditionalOperator="AND")) == WITHOUT
    assert (
        refused(lambda: ddb.scan(TableName=table, ConditionalOperator="OR", ScanFilter={}))
        == WITHOUT
    )
    assert (
        refused(lambda: ddb.scan(TableName=table, ConditionalOperator="AND", ScanFilter=one)) == ONE
    )
    assert (
        refused(lambda: ddb.scan(TableName=table, ConditionalOperator="AND", AttributesToGet=["a"]))
        == WITHOUT
    )
    assert refused(lambda: ddb.query(TableName=table, ConditionalOperator="AND")) == WITHOUT
    assert (
        refused(
            lambda: ddb.query(
                TableName=table, ConditionalOperator="AND", KeyConditions={"pk": cond("EQ", S("k"))}
            )
        )
        == WITHOUT
    )
    assert (
        refused(
            lambda: ddb.query(
                TableName=table,
                ConditionalOperator="AND",
                KeyConditions={"pk": cond("EQ", S("k"))},
                QueryFilter=one,
            )
        )
        == ONE
    )
    assert (
        refused(lambda: ddb.put_item(TableName=table, Item=key, ConditionalOperator="AND"))
        == WITHOUT
    )
    assert (
        refused(
            lambda: ddb.put_item(TableName=table, Item=key, ConditionalOperator="AND", Expected=one)
        )
        == ONE
    )
    assert (
        refused(
            lambda: ddb.delete_item(TableName=table, Key=key, ConditionalOperator="OR", Expected={})
        )
        == WITHOUT
    )
    assert (
        refused(
            lambda: ddb.update_item(
                TableName=table,
                Key=key,
                ConditionalOperator="AND",
                AttributeUpdates={"a": {"Value": S("v"), "Action": "PUT"}},
            )
        )
        == WITHOUT
    )


def test_expression_attribute_maps_need_expressions(ddb: Any, table: str) -> None:
    key = {"pk": S("k")}
    assert refused(
        lambda: ddb.put_item(
            TableName=table,
            Item=key,
            Expected={"a": {"Exists": False}},
            ExpressionAttributeNames={"#a": "a"},
        )
    ) == (
        "ValidationException",
        "ExpressionAttributeNames can only be specified when using expressions",
    )
    assert refused(
        lambda: ddb.put_item(
            TableName=table,
            Item=key,
            Expected={"a": {"Exists": False}},
            ExpressionAttributeValues={":a": S("a")},
        )
    ) == (
        "ValidationException",
        "ExpressionAttributeValues can only be specified when using expressions: "
        "ConditionExpression is null",
    )
    assert refused(
        lambda: ddb.query(
            TableName=table,
            KeyConditions={"pk": cond("EQ", S("k"))},
            ExpressionAttributeValues={":a": S("a")},
        )
    ) == (
        "ValidationException",
        "ExpressionAttributeValues can only be specified when using expressions: "
        "FilterExpression and KeyConditionExpression are null",
    )
    assert refused(
        lambda: ddb.get_item(
            TableName=table, Key=key, AttributesToGet=["a"], ExpressionAttributeNames={"#a": "a"}
        )
    ) == (
        "ValidationException",
        "ExpressionAttributeNames can only be specified when using expressions",
    )


# --------------------------------------------------------------------------- AttributesToGet


def test_attributes_to_get_returns_what_the_projection_returns(ddb: Any, stored_table: str) -> None:
    key = {"pk": STORED["pk"]}
    wanted = ["s", "ns", "q", "m"]
    legacy = ddb.get_item(TableName=stored_table, Key=key, AttributesToGet=wanted)
    modern = ddb.get_item(TableName=stored_table, Key=key, ProjectionExpression="s, ns, q, m")
    assert (
        legacy["Item"] == modern["Item"] == {"s": STORED["s"], "ns": STORED["ns"], "m": STORED["m"]}
    )
    scanned = ddb.scan(TableName=stored_table, AttributesToGet=["n"])
    assert scanned["Items"] == ddb.scan(TableName=stored_table, ProjectionExpression="n")["Items"]
    assert scanned["Items"] == [{"n": STORED["n"]}]
    queried = ddb.query(
        TableName=stored_table,
        KeyConditions={"pk": cond("EQ", STORED["pk"])},
        AttributesToGet=["t", "z"],
        Select="SPECIFIC_ATTRIBUTES",
    )
    assert queried["Items"] == [{"t": STORED["t"], "z": STORED["z"]}]
    batch = ddb.batch_get_item(
        RequestItems={stored_table: {"Keys": [key], "AttributesToGet": ["b", "l"]}}
    )
    assert batch["Responses"][stored_table] == [{"b": STORED["b"], "l": STORED["l"]}]
    assert batch["UnprocessedKeys"] == {}


def test_attributes_to_get_names_are_plain_attribute_names(ddb: Any, table: str) -> None:
    item = {
        "pk": S("dots"),
        "a.b": S("dotted"),
        "status": S("reserved"),
        "a": {"M": {"b": S("nested")}},
    }
    ddb.put_item(TableName=table, Item=item)
    got = ddb.get_item(TableName=table, Key={"pk": S("dots")}, AttributesToGet=["a.b", "status"])
    assert got["Item"] == {"a.b": S("dotted"), "status": S("reserved")}


def test_attributes_to_get_errors(ddb: Any, table: str) -> None:
    key = {"pk": S("k")}
    duplicate = ("ValidationException", INVALID + "Duplicate value in attribute name: a")
    assert (
        refused(lambda: ddb.get_item(TableName=table, Key=key, AttributesToGet=["a", "b", "a"]))
        == duplicate
    )
    assert refused(lambda: ddb.scan(TableName=table, AttributesToGet=["a", "a"])) == duplicate
    assert (
        refused(
            lambda: ddb.batch_get_item(
                RequestItems={table: {"Keys": [key], "AttributesToGet": ["a", "a"]}}
            )
        )
        == duplicate
    )
    assert refused(lambda: ddb.scan(TableName=table, AttributesToGet=["a"], Select="COUNT")) == (
        "ValidationException",
        "Cannot specify the AttributesToGet when choosing to get only the Count",
    )
    assert refused(
        lambda: ddb.query(
            TableName=table,
            KeyConditions={"pk": cond("EQ", S("k"))},
            AttributesToGet=["a"],
            Select="ALL_ATTRIBUTES",
        )
    ) == (
        "ValidationException",
        "1 validation error detected: Cannot specify the AttributesToGet when choosing to get "
        "ALL_ATTRIBUTES",
    )


# --------------------------------------------------------------------------- KeyConditions, QueryFilter, ScanFilter


@pytest.fixture(scope="module")
def sorted_items(ddb: Any) -> Iterator[str]:
    """pk "p" with sk s00..s19 (n = i, odd items carry `odd`), pk "q" with three items."""
    name = unique_name("legacyq")
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gk", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-gk",
                "KeySchema": [
                    {"AttributeName": "gk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(20):
        item = {"pk": S("p"), "sk": S(f"s{i:02d}"), "n": N(str(i)), "gk": S("g" + str(i % 2))}
        if i % 2:
            item["odd"] = {"BOOL": True}
        ddb.put_item(TableName=name, Item=item)
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": S("q"), "sk": S(f"s{i:02d}"), "n": N(str(i))})
    yield name
    ddb.delete_table(TableName=name)


def pages(call: Callable[..., Any], **params: Any) -> list[dict[str, Any]]:
    """Every page of a Query or Scan: Items, Count, ScannedCount and LastEvaluatedKey."""
    found: list[dict[str, Any]] = []
    while True:
        reply = call(**params)
        found.append(
            {k: reply.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")}
        )
        if "LastEvaluatedKey" not in reply:
            return found
        params["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


# (KeyConditions on sk, the KeyConditionExpression twin on sk, values)
SORT_CONDITIONS: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
    (cond("EQ", S("s05")), "sk = :a", {":a": S("s05")}),
    (cond("LT", S("s05")), "sk < :a", {":a": S("s05")}),
    (cond("LE", S("s05")), "sk <= :a", {":a": S("s05")}),
    (cond("GT", S("s15")), "sk > :a", {":a": S("s15")}),
    (cond("GE", S("s15")), "sk >= :a", {":a": S("s15")}),
    (cond("BEGINS_WITH", S("s1")), "begins_with(sk, :a)", {":a": S("s1")}),
    (cond("BETWEEN", S("s03"), S("s07")), "sk BETWEEN :a AND :b", {":a": S("s03"), ":b": S("s07")}),
]


@pytest.mark.parametrize(("condition", "expression", "values"), SORT_CONDITIONS)
@pytest.mark.parametrize("forward", [True, False])
def test_key_conditions_read_what_the_key_condition_expression_reads(
    ddb: Any,
    sorted_items: str,
    condition: dict[str, Any],
    expression: str,
    values: dict[str, Any],
    forward: bool,
) -> None:
    legacy = pages(
        ddb.query,
        TableName=sorted_items,
        KeyConditions={"pk": cond("EQ", S("p")), "sk": condition},
        ScanIndexForward=forward,
        Limit=3,
    )
    modern = pages(
        ddb.query,
        TableName=sorted_items,
        KeyConditionExpression="pk = :p AND " + expression,
        ExpressionAttributeValues={":p": S("p"), **values},
        ScanIndexForward=forward,
        Limit=3,
    )
    assert legacy == modern
    assert sum(page["Count"] for page in legacy) > 0


def test_key_conditions_on_a_partition_and_on_an_index(ddb: Any, sorted_items: str) -> None:
    whole = ddb.query(TableName=sorted_items, KeyConditions={"pk": cond("EQ", S("q"))})
    assert [item["sk"]["S"] for item in whole["Items"]] == ["s00", "s01", "s02"]
    indexed = ddb.query(
        TableName=sorted_items,
        IndexName="by-gk",
        KeyConditions={"gk": cond("EQ", S("g1")), "sk": cond("LT", S("s06"))},
    )
    assert [item["sk"]["S"] for item in indexed["Items"]] == ["s01", "s03", "s05"]


@pytest.mark.parametrize(
    ("filter_condition", "expression", "values"),
    [
        ({"n": cond("GT", N("6"))}, "n > :a", {":a": N("6")}),
        ({"odd": cond("NOT_NULL")}, "attribute_exists(odd)", {}),
        (
            {"odd": cond("NULL"), "n": cond("IN", N("4"), N("5"), N("8"))},
            "attribute_not_exists(odd) AND n IN (:a, :b, :c)",
            {":a": N("4"), ":b": N("5"), ":c": N("8")},
        ),
        (
            {"n": cond("BETWEEN", N("2"), N("9")), "odd": cond("EQ", {"BOOL": True})},
            "n BETWEEN :a AND :b AND odd = :t",
            {":a": N("2"), ":b": N("9"), ":t": {"BOOL": True}},
        ),
        (
            {"gk": cond("NOT_CONTAINS", S("1"))},
            "attribute_exists(gk) AND NOT contains(gk, :a)",
            {":a": S("1")},
        ),
    ],
)
def test_query_filter_pages_like_the_filter_expression(
    ddb: Any,
    sorted_items: str,
    filter_condition: dict[str, Any],
    expression: str,
    values: dict[str, Any],
) -> None:
    legacy = pages(
        ddb.query,
        TableName=sorted_items,
        KeyConditions={"pk": cond("EQ", S("p"))},
        QueryFilter=filter_condition,
        Limit=4,
    )
    modern_params: dict[str, Any] = {"FilterExpression": expression}
    if values:
        modern_params["ExpressionAttributeValues"] = {":p": S("p"), **values}
    else:
        modern_params["ExpressionAttributeValues"] = {":p": S("p")}
    modern = pages(
        ddb.query,
        TableName=sorted_items,
        KeyConditionExpression="pk = :p",
        Limit=4,
        **modern_params,
    )
    assert legacy == modern
    assert len(legacy) == 6  # 20 items 4 at a time; a full last page still has a LastEvaluatedKey


def test_query_filter_or(ddb: Any, sorted_items: str) -> None:
    legacy = ddb.query(
        TableName=sorted_items,
        KeyConditions={"pk": cond("EQ", S("p"))},
        QueryFilter={"n": cond("LT", N("2")), "odd": cond("NOT_NULL")},
        ConditionalOperator="OR",
    )
    modern = ddb.query(
        TableName=sorted_items,
        KeyConditionExpression="pk = :p",
        FilterExpression="n < :two OR attribute_exists(odd)",
        ExpressionAttributeValues={":p": S("p"), ":two": N("2")},
    )
    assert legacy["Items"] == modern["Items"]
    assert (legacy["Count"], legacy["ScannedCount"]) == (11, 20)


@pytest.mark.parametrize("operator", ["AND", "OR"])
def test_scan_filter_pages_like_the_filter_expression(
    ddb: Any, sorted_items: str, operator: str
) -> None:
    legacy = pages(
        ddb.scan,
        TableName=sorted_items,
        ScanFilter={"n": cond("GE", N("15")), "pk": cond("EQ", S("p"))},
        ConditionalOperator=operator,
        Limit=7,
    )
    modern = pages(
        ddb.scan,
        TableName=sorted_items,
        FilterExpression=f"n >= :n {operator} pk = :p",
        ExpressionAttributeValues={":n": N("15"), ":p": S("p")},
        Limit=7,
    )
    assert legacy == modern
    assert sum(page["Count"] for page in legacy) == (5 if operator == "AND" else 20)


def test_scan_filter_with_attributes_to_get(ddb: Any, sorted_items: str) -> None:
    legacy = ddb.scan(
        TableName=sorted_items, ScanFilter={"n": cond("EQ", N("7"))}, AttributesToGet=["sk", "odd"]
    )
    assert legacy["Items"] == [{"sk": S("s07"), "odd": {"BOOL": True}}]


def test_key_condition_errors(ddb: Any, sorted_items: str, table: str) -> None:
    def query(target: str, conditions: dict[str, Any], **extra: Any) -> tuple[str, str]:
        return refused(lambda: ddb.query(TableName=target, KeyConditions=conditions, **extra))

    not_indexable = (
        "ValidationException",
        "Attempted conditional constraint is not an indexable operation",
    )
    for operator in (
        cond("NULL"),
        cond("NOT_NULL"),
        cond("NE", S("a")),
        cond("CONTAINS", S("a")),
        cond("NOT_CONTAINS", S("a")),
        cond("IN", S("a")),
    ):
        assert query(table, {"pk": operator}) == not_indexable
        assert query(sorted_items, {"pk": cond("EQ", S("p")), "sk": operator}) == not_indexable
    assert query(table, {"pk": cond("LE", S("a"))}) == (
        "ValidationException",
        "Query key condition not supported",
    )
    assert query(table, {"pk": cond("EQ", S("a")), "x": cond("EQ", S("a"))}) == (
        "ValidationException",
        "Query key condition not supported",
    )
    assert query(sorted_items, {"z": cond("NULL")}) == (
        "ValidationException",
        "Query condition missed key schema element: pk",
    )
    assert query(sorted_items, {"pk": cond("EQ", S("p")), "n": cond("NULL")}) == (
        "ValidationException",
        "Query condition missed key schema element: sk",
    )
    assert query(table, {}) == ("ValidationException", "Conditions can be of length 1 or 2 only")
    assert query(table, {"a": cond("NULL"), "b": cond("NULL"), "c": cond("NULL")}) == (
        "ValidationException",
        "Conditions can be of length 1 or 2 only",
    )
    assert query(table, {"pk": cond("EQ")}) == (
        "ValidationException",
        INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator",
    )
    assert query(table, {"pk": cond("BEGINS_WITH", N("1"))}) == (
        "ValidationException",
        INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
    )
    assert query(table, {"pk": cond("EQ", N("1"))}) == (
        "ValidationException",
        INVALID + "Condition parameter type does not match schema type",
    )
    assert query(
        sorted_items, {"pk": cond("EQ", S("p")), "sk": cond("BETWEEN", S("b"), S("a"))}
    ) == (
        "ValidationException",
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
    )
    assert query(
        sorted_items, {"pk": cond("EQ", S("p"))}, QueryFilter={"sk": cond("EQ", S("a"))}
    ) == (
        "ValidationException",
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk",
    )
    assert refused(lambda: ddb.query(TableName=table)) == (
        "ValidationException",
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    )


def test_filter_condition_errors(ddb: Any, table: str) -> None:
    key_conditions = {"pk": cond("EQ", S("k"))}
    for bad, message in [
        (
            {"a": cond("LT", {"BOOL": True})},
            INVALID + "ComparisonOperator LT is not valid for BOOL AttributeValue type",
        ),
        (
            {"a": cond("IN", S("b"), N("1"))},
            INVALID + "AttributeValues inside AttributeValueList must be of same type",
        ),
        (
            {"a": cond("NOT_NULL", S("a"))},
            INVALID + "Invalid number of argument(s) for the NOT_NULL ComparisonOperator",
        ),
        (
            {"a": cond("EQ", {"S": "a", "N": "1"})},
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ),
    ]:
        assert refused(lambda bad=bad: ddb.scan(TableName=table, ScanFilter=bad)) == (
            "ValidationException",
            message,
        )
        assert refused(
            lambda bad=bad: ddb.query(
                TableName=table, KeyConditions=key_conditions, QueryFilter=bad
            )
        ) == ("ValidationException", message)


# --------------------------------------------------------------------------- AttributeUpdates


BEFORE: dict[str, Any] = {
    "n": N("5"),
    "s": S("text"),
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "l": {"L": [S("x")]},
    "gone": S("bye"),
}

# (AttributeUpdates, the UpdateExpression twin, its values)
UPDATES: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
    ({"s": {"Action": "PUT", "Value": S("new")}}, "SET s = :v", {":v": S("new")}),
    ({"fresh": {"Value": {"M": {"k": N("1")}}}}, "SET fresh = :v", {":v": {"M": {"k": N("1")}}}),
    ({"n": {"Action": "ADD", "Value": N("-7.5")}}, "ADD n :v", {":v": N("-7.5")}),
    ({"count": {"Action": "ADD", "Value": N("3")}}, "ADD #c :v", {":v": N("3")}),
    (
        {"ss": {"Action": "ADD", "Value": {"SS": ["b", "c"]}}},
        "ADD ss :v",
        {":v": {"SS": ["b", "c"]}},
    ),
    (
        {"l": {"Action": "ADD", "Value": {"L": [N("1")]}}},
        "SET l = list_append(l, :v)",
        {":v": {"L": [N("1")]}},
    ),
    ({"nl": {"Action": "ADD", "Value": {"L": [N("1")]}}}, "SET nl = :v", {":v": {"L": [N("1")]}}),
    (
        {"ns": {"Action": "DELETE", "Value": {"NS": ["2", "9"]}}},
        "DELETE ns :v",
        {":v": {"NS": ["2", "9"]}},
    ),
    (
        {"ns": {"Action": "DELETE", "Value": {"NS": ["1", "2"]}}},
        "DELETE ns :v",
        {":v": {"NS": ["1", "2"]}},
    ),
    ({"gone": {"Action": "DELETE"}}, "REMOVE gone", {}),
    ({"never": {"Action": "DELETE"}}, "REMOVE never", {}),
    (
        {
            "s": {"Action": "DELETE"},
            "n": {"Action": "ADD", "Value": N("1")},
            "t": {"Value": {"BOOL": True}},
        },
        "REMOVE s ADD n :one SET t = :t",
        {":one": N("1"), ":t": {"BOOL": True}},
    ),
]


@pytest.mark.parametrize(("updates", "expression", "values"), UPDATES)
@pytest.mark.parametrize("returns", ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
def test_attribute_updates_change_what_the_update_expression_changes(
    ddb: Any,
    table: str,
    updates: dict[str, Any],
    expression: str,
    values: dict[str, Any],
    returns: str,
) -> None:
    ddb.put_item(TableName=table, Item={"pk": S("legacy"), **BEFORE})
    ddb.put_item(TableName=table, Item={"pk": S("modern"), **BEFORE})
    legacy = ddb.update_item(
        TableName=table, Key={"pk": S("legacy")}, AttributeUpdates=updates, ReturnValues=returns
    )
    params: dict[str, Any] = {"UpdateExpression": expression}
    if values:
        params["ExpressionAttributeValues"] = values
    if "#c" in expression:
        params["ExpressionAttributeNames"] = {"#c": "count"}
    modern = ddb.update_item(
        TableName=table, Key={"pk": S("modern")}, ReturnValues=returns, **params
    )
    assert without_key(legacy.get("Attributes")) == without_key(modern.get("Attributes"))
    after = [ddb.get_item(TableName=table, Key={"pk": S(k)})["Item"] for k in ("legacy", "modern")]
    assert without_key(after[0]) == without_key(after[1])


def without_key(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if item is None else {k: v for k, v in item.items() if k != "pk"}


def test_attribute_updates_on_a_missing_item(ddb: Any, table: str) -> None:
    def update(pk: str, updates: dict[str, Any]) -> Any:
        return ddb.update_item(
            TableName=table, Key={"pk": S(pk)}, AttributeUpdates=updates, ReturnValues="ALL_NEW"
        )

    assert update("put", {"a": {"Action": "PUT", "Value": S("x")}})["Attributes"] == {
        "pk": S("put"),
        "a": S("x"),
    }
    assert update("add", {"a": {"Action": "ADD", "Value": N("2")}})["Attributes"] == {
        "pk": S("add"),
        "a": N("2"),
    }
    assert update("addset", {"a": {"Action": "ADD", "Value": {"SS": ["x"]}}})["Attributes"] == {
        "pk": S("addset"),
        "a": {"SS": ["x"]},
    }
    deleted = update(
        "delete", {"a": {"Action": "DELETE"}, "b": {"Action": "DELETE", "Value": {"SS": ["x"]}}}
    )
    assert "Attributes" not in deleted
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S("delete")})
    mixed = update("mixed", {"a": {"Action": "DELETE"}, "b": {"Action": "PUT", "Value": S("y")}})
    assert mixed["Attributes"] == {"pk": S("mixed"), "b": S("y")}


def test_attribute_updates_type_mismatch(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table, Item={"pk": S("k"), "ss": {"SS": ["1"]}, "n": N("1"), "s": S("x")}
    )
    mismatch = ("ValidationException", "Type mismatch for attribute to update")
    for updates in (
        {"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
        {"n": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
        {"ss": {"Action": "ADD", "Value": {"NS": ["2"]}}},
        {"n": {"Action": "ADD", "Value": {"NS": ["2"]}}},
        {"s": {"Action": "ADD", "Value": {"L": [N("1")]}}},
    ):
        assert (
            refused(
                lambda updates=updates: ddb.update_item(
                    TableName=table, Key={"pk": S("k")}, AttributeUpdates=updates
                )
            )
            == mismatch
        )
    assert ddb.get_item(TableName=table, Key={"pk": S("k")})["Item"]["ss"] == {"SS": ["1"]}


def test_attribute_updates_validation_messages(ddb: Any, table: str) -> None:
    def update(updates: dict[str, Any]) -> tuple[str, str]:
        return refused(
            lambda: ddb.update_item(TableName=table, Key={"pk": S("k")}, AttributeUpdates=updates)
        )

    assert update({"a": {"Action": "PUT"}}) == (
        "ValidationException",
        INVALID + "Only DELETE action is allowed when no attribute value is specified",
    )
    assert update({"a": {"Action": "ADD"}}) == (
        "ValidationException",
        INVALID + "Only DELETE action is allowed when no attribute value is specified",
    )
    for value in (
        S("1"),
        N("1"),
        {"B": b"x"},
        {"NULL": True},
        {"BOOL": True},
        {"M": {}},
        {"L": []},
    ):
        kind = next(iter(value))
        assert update({"a": {"Action": "DELETE", "Value": value}}) == (
            "ValidationException",
            INVALID + f"DELETE action with value is not supported for the type {kind}",
        )
    for value in (S("1"), {"B": b"x"}, {"NULL": True}, {"BOOL": True}, {"M": {}}):
        kind = next(iter(value))
        assert update({"a": {"Action": "ADD", "Value": value}}) == (
            "ValidationException",
            INVALID + f"ADD action is not supported for the type {kind}",
        )
    assert update({"pk": {"Action": "PUT", "Value": S("other")}}) == (
        "ValidationException",
        INVALID + "Cannot update attribute pk. This attribute is part of the key",
    )
    assert update({"a": {"Value": {}}}) == (
        "ValidationException",
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
    )
