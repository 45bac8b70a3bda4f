"""Legacy parameters as expression trees: the same trees the modern parameters produce, the
legacy semantics (NOT_CONTAINS, DELETE-only updates), and DynamoDB's validation messages."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from opendynamo import errors
from opendynamo.api.request.expressions import compile_request
from opendynamo.expr import compile_expressions, evaluate, legacy
from opendynamo.expr.ast import Literal
from opendynamo.expr.keycond import KeyCondition

INVALID = "One or more parameter values were invalid: "


def S(text: str) -> dict[str, Any]:
    return {"S": text}


def N(number: str) -> dict[str, Any]:
    return {"N": number}


def cond(operator: str, *values: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"ComparisonOperator": operator}
    if values:
        entry["AttributeValueList"] = list(values)
    return entry


def unnamed(node: Any) -> Any:
    """A tree with every Literal's placeholder name blanked: legacy literals stand for no
    `:placeholder`, so trees are compared up to those names."""
    if isinstance(node, Literal):
        return Literal("", node.value)
    if isinstance(node, tuple):
        return tuple(unnamed(child) for child in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: unnamed(getattr(node, f.name)) for f in dataclasses.fields(node)}
        return dataclasses.replace(node, **changes)
    return node


def condition(text: str, **values: dict[str, Any]) -> Any:
    compiled = compile_expressions(
        condition=text, names=None, values={":" + k: v for k, v in values.items()} or None
    )
    return unnamed(compiled.condition)


def message(call: Any) -> str:
    with pytest.raises(errors.DynamoError) as excinfo:
        call()
    return excinfo.value.message


# --------------------------------------------------------------------------- condition trees


@pytest.mark.parametrize(
    ("legacy_condition", "expression", "values"),
    [
        (cond("EQ", N("1")), "a = :v", {"v": N("1")}),
        (cond("NE", S("x")), "a <> :v", {"v": S("x")}),
        (cond("LE", N("1")), "a <= :v", {"v": N("1")}),
        (cond("LT", N("1")), "a < :v", {"v": N("1")}),
        (cond("GE", {"B": "AQ=="}), "a >= :v", {"v": {"B": "AQ=="}}),
        (cond("GT", S("x")), "a > :v", {"v": S("x")}),
        (cond("NOT_NULL"), "attribute_exists(a)", {}),
        (cond("NULL"), "attribute_not_exists(a)", {}),
        (cond("CONTAINS", S("x")), "contains(a, :v)", {"v": S("x")}),
        (
            cond("NOT_CONTAINS", S("x")),
            "attribute_exists(a) AND NOT contains(a, :v)",
            {"v": S("x")},
        ),
        (cond("BEGINS_WITH", S("x")), "begins_with(a, :v)", {"v": S("x")}),
        (cond("IN", N("1"), N("2")), "a IN (:v, :w)", {"v": N("1"), "w": N("2")}),
        (cond("BETWEEN", N("1"), N("2")), "a BETWEEN :v AND :w", {"v": N("1"), "w": N("2")}),
    ],
)
def test_each_comparison_operator_is_its_expression_twin(
    legacy_condition: dict[str, Any], expression: str, values: dict[str, Any]
) -> None:
    twin = condition(expression, **values)
    assert unnamed(legacy.filter_condition({"a": legacy_condition}, None)) == twin
    assert unnamed(legacy.expected_condition({"a": legacy_condition}, None)) == twin


def test_expected_value_and_exists_forms() -> None:
    assert unnamed(legacy.expected_condition({"a": {"Value": N("1")}}, None)) == condition(
        "a = :v", v=N("1")
    )
    assert unnamed(
        legacy.expected_condition({"a": {"Value": N("1"), "Exists": True}}, None)
    ) == condition("a = :v", v=N("1"))
    assert unnamed(legacy.expected_condition({"a": {"Exists": False}}, None)) == condition(
        "attribute_not_exists(a)"
    )
    assert unnamed(
        legacy.expected_condition({"a": {"Value": N("1"), "ComparisonOperator": "GT"}}, None)
    ) == condition("a > :v", v=N("1"))


def test_conditions_join_in_map_order_with_and_unless_or() -> None:
    three = {"a": cond("EQ", N("1")), "b": cond("NULL"), "c": cond("GT", N("2"))}
    assert unnamed(legacy.filter_condition(three, None)) == condition(
        "a = :x AND attribute_not_exists(b) AND c > :y", x=N("1"), y=N("2")
    )
    assert unnamed(legacy.filter_condition(three, "AND")) == condition(
        "a = :x AND attribute_not_exists(b) AND c > :y", x=N("1"), y=N("2")
    )
    assert unnamed(legacy.expected_condition(three, "OR")) == condition(
        "a = :x OR attribute_not_exists(b) OR c > :y", x=N("1"), y=N("2")
    )
    assert legacy.filter_condition({}, None) is None


def test_names_are_plain_top_level_attributes() -> None:
    tree = legacy.filter_condition({"a.b[1]": cond("NULL")}, None)
    assert evaluate(tree, {"a.b[1]": S("x")}) is False
    assert evaluate(tree, {"a": {"M": {"b": {"L": [S("x"), S("y")]}}}}) is True


def test_legacy_semantics_when_the_attribute_is_missing_or_of_another_type() -> None:
    item = {"s": S("hello"), "n": N("42"), "l": {"L": [N("1")]}, "ss": {"SS": ["a"]}}

    def holds(name: str, entry: dict[str, Any]) -> bool:
        tree = legacy.expected_condition({name: entry}, None)
        assert tree is not None
        return evaluate(tree, item)

    assert holds("q", cond("NE", N("1")))
    assert not holds("q", cond("NOT_CONTAINS", S("a")))
    assert not holds("q", cond("CONTAINS", S("a")))
    assert holds("n", cond("NOT_CONTAINS", S("4")))
    assert not holds("ss", cond("NOT_CONTAINS", S("a")))
    assert holds("l", cond("CONTAINS", N("1")))
    assert holds("s", cond("CONTAINS", S("ell")))
    assert not holds("n", cond("BEGINS_WITH", S("4")))
    assert not holds("n", cond("BETWEEN", S("a"), S("z")))
    assert not holds("ss", cond("IN", S("a")))
    assert holds("n", cond("IN", N("1"), N("42")))


# --------------------------------------------------------------------------- key conditions


def test_key_conditions_keep_every_operator_for_the_schema_checks() -> None:
    found = legacy.key_conditions({"pk": cond("EQ", S("p")), "sk": cond("NE", S("x"))})
    assert found == (
        KeyCondition("pk", "EQ", (Literal(legacy.LITERAL_NAME, S("p")),)),
        KeyCondition("sk", "NE", (Literal(legacy.LITERAL_NAME, S("x")),)),
    )
    assert unnamed(legacy.key_condition_tree(found)) == condition(
        "pk = :p AND sk <> :x", p=S("p"), x=S("x")
    )


def test_key_conditions_count() -> None:
    length = "Conditions can be of length 1 or 2 only"
    assert message(lambda: legacy.key_conditions({})) == length
    nine = {name: cond("NULL") for name in "abcdefghi"}
    assert message(lambda: legacy.key_conditions(nine)) == length
    # up to 8, for a GSI with multi-attribute keys: more than 2 is refused against the schema
    assert len(legacy.key_conditions({name: cond("NULL") for name in "abcdefgh"})) == 8
    # the conditions themselves are checked first
    assert message(lambda: legacy.key_conditions({"x": cond("EQ"), **nine})) == (
        INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"
    )


# --------------------------------------------------------------------------- projections and updates


def test_attributes_to_get_is_a_projection() -> None:
    compiled = compile_expressions(projection="a, b", names=None, values=None)
    assert legacy.attributes_to_get(["a", "b"]) == compiled.projection
    assert message(lambda: legacy.attributes_to_get(["a", "b", "a", "b"])) == (
        INVALID + "Duplicate value in attribute name: a"
    )


def test_attribute_updates_are_an_update_expression() -> None:
    updates = {
        "a": {"Action": "PUT", "Value": S("x")},
        "b": {"Action": "DELETE"},
        "c": {"Action": "ADD", "Value": N("1")},
        "d": {"Action": "DELETE", "Value": {"SS": ["y"]}},
        "e": {"Value": N("2")},
        "f": {"Action": "ADD", "Value": {"NS": ["3"]}},
    }
    compiled = compile_expressions(
        update="SET a = :x, e = :two REMOVE b ADD c :one, f :three DELETE d :y",
        names=None,
        values={
            ":x": S("x"),
            ":two": N("2"),
            ":one": N("1"),
            ":three": {"NS": ["3"]},
            ":y": {"SS": ["y"]},
        },
    )
    assert unnamed(legacy.attribute_updates(updates)) == unnamed(compiled.update)


def test_legacy_add_appends_to_lists() -> None:
    tree = legacy.attribute_updates({"l": {"Action": "ADD", "Value": {"L": [N("1")]}}})
    compiled = compile_expressions(
        update="SET l = list_append(if_not_exists(l, :empty), :v)",
        names=None,
        values={":empty": {"L": []}, ":v": {"L": [N("1")]}},
    )
    assert unnamed(tree) == unnamed(compiled.update)
    key = {"pk": S("k")}
    assert legacy.apply_attribute_updates(tree, None, key) == {"pk": S("k"), "l": {"L": [N("1")]}}
    grown = legacy.apply_attribute_updates(tree, {**key, "l": {"L": [S("x")]}}, key)
    assert grown == {"pk": S("k"), "l": {"L": [S("x"), N("1")]}}


def test_only_delete_actions_create_nothing_on_a_missing_item() -> None:
    key = {"pk": S("k")}
    deletes = legacy.attribute_updates(
        {"a": {"Action": "DELETE"}, "b": {"Action": "DELETE", "Value": {"SS": ["x"]}}}
    )
    assert legacy.apply_attribute_updates(deletes, None, key) is None
    assert legacy.apply_attribute_updates(deletes, {**key, "a": N("1")}, key) == key
    mixed = legacy.attribute_updates(
        {"a": {"Action": "DELETE"}, "b": {"Action": "PUT", "Value": N("1")}}
    )
    assert legacy.apply_attribute_updates(mixed, None, key) == {**key, "b": N("1")}
    added = legacy.attribute_updates({"n": {"Action": "ADD", "Value": N("5")}})
    assert legacy.apply_attribute_updates(added, None, key) == {**key, "n": N("5")}
    nothing = legacy.attribute_updates({})
    assert legacy.apply_attribute_updates(nothing, None, key) == key


def test_type_clashes_are_worded_for_attribute_updates() -> None:
    key = {"pk": S("k")}
    item = {**key, "ss": {"SS": ["a"]}, "s": S("x")}
    for updates in (
        {"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
        {"ss": {"Action": "ADD", "Value": N("1")}},
        {"s": {"Action": "ADD", "Value": {"L": []}}},
    ):
        tree = legacy.attribute_updates(updates)
        assert message(lambda tree=tree: legacy.apply_attribute_updates(tree, item, key)) == (
            "Type mismatch for attribute to update"
        )


def test_attribute_update_messages() -> None:
    def refused(update: dict[str, Any]) -> str:
        return message(lambda: legacy.attribute_updates({"a": update}))

    only_delete = INVALID + "Only DELETE action is allowed when no attribute value is specified"
    assert refused({}) == only_delete
    assert refused({"Action": "ADD"}) == only_delete
    assert refused({"Action": "DELETE", "Value": N("1")}) == (
        INVALID + "DELETE action with value is not supported for the type N"
    )
    assert refused({"Action": "ADD", "Value": {"M": {}}}) == (
        INVALID + "ADD action is not supported for the type M"
    )
    assert refused({"Value": {"S": "a", "N": "1"}}) == (
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
        "the supported datatypes"
    )
    assert message(lambda: legacy.attribute_updates({"a": None})) == (
        "Supplied AttributeValueUpdate is empty, must contain one of the supported actions: "
        "a is null"
    )


# --------------------------------------------------------------------------- condition messages


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("EQ", [], INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
        (
            "NE",
            [N("1"), N("2")],
            INVALID + "Invalid number of argument(s) for the NE ComparisonOperator",
        ),
        (
            "NULL",
            [N("1")],
            INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator",
        ),
        ("IN", [], INVALID + "Invalid number of argument(s) for the IN ComparisonOperator"),
        (
            "BETWEEN",
            [N("1")],
            INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
        ),
        (
            "LT",
            [{"BOOL": True}],
            INVALID + "ComparisonOperator LT is not valid for BOOL AttributeValue type",
        ),
        (
            "IN",
            [{"NS": ["1"]}],
            INVALID + "ComparisonOperator IN is not valid for NS AttributeValue type",
        ),
        (
            "CONTAINS",
            [{"SS": ["a"]}],
            INVALID + "ComparisonOperator CONTAINS is not valid for SS AttributeValue type",
        ),
        (
            "NOT_CONTAINS",
            [{"M": {}}],
            INVALID + "ComparisonOperator NOT_CONTAINS is not valid for M AttributeValue type",
        ),
        (
            "BEGINS_WITH",
            [N("1")],
            INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
        ),
        (
            "BETWEEN",
            [{"L": []}, {"L": []}],
            INVALID + "ComparisonOperator BETWEEN is not valid for L AttributeValue type",
        ),
        (
            "IN",
            [S("a"), N("1")],
            INVALID + "AttributeValues inside AttributeValueList must be of same type",
        ),
        (
            "IN",
            [S("a"), {"BOOL": True}],
            INVALID + "ComparisonOperator IN is not valid for BOOL AttributeValue type",
        ),
        (
            "BETWEEN",
            [S("b"), S("a")],
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ),
        (
            "BETWEEN",
            [N("10"), N("9")],
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ),
    ],
)
def test_argument_messages(operator: str, values: list[dict[str, Any]], expected: str) -> None:
    assert message(lambda: legacy.check_arguments(operator, values)) == expected


def test_arguments_dynamodb_accepts() -> None:
    for operator, values in [
        ("EQ", [{"M": {}}]),
        ("NE", [{"L": []}]),
        ("EQ", [{"SS": ["a"]}]),
        ("CONTAINS", [{"BOOL": True}]),
        ("CONTAINS", [{"NULL": True}]),
        ("BEGINS_WITH", [{"B": "AQ=="}]),
        ("BETWEEN", [N("1"), N("1")]),
        ("IN", [N("1"), N("2"), N("3")]),
    ]:
        legacy.check_arguments(operator, values)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({}, "Value must be provided when Exists is null for Attribute: a"),
        ({"Exists": True}, "Value must be provided when Exists is true for Attribute: a"),
        (
            {"Exists": False, "Value": S("x")},
            "Value cannot be used when Exists is false for Attribute: a",
        ),
        (
            {"Exists": False, "ComparisonOperator": "EQ", "AttributeValueList": [S("x")]},
            "Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            {"Value": S("x"), "AttributeValueList": [S("x")], "ComparisonOperator": "EQ"},
            "Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            {"AttributeValueList": [S("x")], "Exists": True},
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            {"ComparisonOperator": "GT"},
            "Value or AttributeValueList must be used with ComparisonOperator: GT for Attribute: a",
        ),
    ],
)
def test_expected_messages(entry: dict[str, Any], expected: str) -> None:
    assert message(lambda: legacy.expected_condition({"a": entry}, None)) == INVALID + expected


def test_null_entries() -> None:
    assert message(lambda: legacy.expected_condition({"a": None}, None)) == (
        INVALID + "ExpectedAttributeValue must not be null for Attribute: a"
    )
    assert message(lambda: legacy.filter_condition({"a": None}, None)) == (
        "The filter condition for an attribute cannot be null: a"
    )


def test_conditional_operator_messages() -> None:
    legacy.check_conditional_operator(None, 0)
    legacy.check_conditional_operator("OR", 2)
    assert message(lambda: legacy.check_conditional_operator("AND", 0)) == (
        "ConditionalOperator cannot be used without Filter or Expected"
    )
    assert message(lambda: legacy.check_conditional_operator("OR", 1)) == (
        "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    )


# --------------------------------------------------------------------------- compile_request


def test_compile_request_translates_legacy_parameters() -> None:
    compiled = compile_request(
        {
            "TableName": "t",
            "KeyConditions": {"pk": cond("EQ", S("p"))},
            "QueryFilter": {"a": cond("GT", N("1")), "b": cond("NULL")},
            "ConditionalOperator": "OR",
            "AttributesToGet": ["a"],
        },
        "Query",
    )
    assert compiled.legacy == {
        "KeyConditions",
        "QueryFilter",
        "ConditionalOperator",
        "AttributesToGet",
    }
    assert unnamed(compiled.filter) == condition("a > :x OR attribute_not_exists(b)", x=N("1"))
    assert compiled.key_conditions is not None and compiled.key_conditions[0].name == "pk"
    assert unnamed(compiled.key_condition) == condition("pk = :p", p=S("p"))
    assert compiled.projection == legacy.attributes_to_get(["a"])


def test_compile_request_mixing_and_order() -> None:
    body = {
        "TableName": "t",
        "KeyConditions": {"pk": cond("EQ", S("p"))},
        "FilterExpression": "a = :v",
        "ExpressionAttributeValues": {":v": S("x")},
    }
    compiled = compile_request(body, "Query")
    assert compiled.legacy == {"KeyConditions"} and compiled.filter is not None
    assert message(
        lambda: compile_request({**body, "QueryFilter": {"a": cond("NULL")}}, "Query")
    ) == (
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {QueryFilter} Expression parameters: {FilterExpression}"
    )
    # mixing is reported before a broken legacy condition
    assert message(
        lambda: compile_request(
            {"TableName": "t", "Expected": {"a": {}}, "ConditionExpression": "a = b"}, "PutItem"
        )
    ).startswith("Can not use both")
    # ConditionalOperator before the missing key condition
    assert message(
        lambda: compile_request({"TableName": "t", "ConditionalOperator": "OR"}, "Query")
    ) == ("ConditionalOperator cannot be used without Filter or Expected")
    assert message(lambda: compile_request({"TableName": "t"}, "Query")) == (
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request."
    )


def test_compile_request_leaves_modern_requests_alone() -> None:
    body = {
        "TableName": "t",
        "UpdateExpression": "SET a = :v",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": {":v": N("1")},
    }
    compiled = compile_request(body, "UpdateItem")
    modern = compile_expressions(
        update="SET a = :v",
        condition="attribute_exists(pk)",
        names=None,
        values={":v": N("1")},
        operation="UpdateItem",
    )
    assert compiled == modern
    assert compiled.legacy == frozenset()
