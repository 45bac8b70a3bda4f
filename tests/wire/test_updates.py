"""UpdateItem's UpdateExpression over the wire, as DynamoDB applies it.

Pinned behaviour:
- SET: plain values, copies of other attributes, `+`/`-` with exact decimal arithmetic
  (38 digits), if_not_exists, list_append in both orders, nested map paths, list indexes
  (an index past the end appends, several such in index order).
- REMOVE: attributes, nested paths, list elements (later elements shift down).
- ADD: numbers (a missing attribute starts at 0) and set union (a missing set is created);
  DELETE: set difference, and removing the last element removes the attribute.
- Each clause at most once, in any order; overlapping or conflicting paths are refused;
  key attributes cannot be updated.
- Runtime errors, exact: "The document path provided in the update expression is invalid for
  update", "An operand in the update expression has an incorrect data type", "The provided
  expression refers to an attribute that does not exist in the item"; the item is unchanged.
- UpdateItem with a SET or ADD on a missing item creates it (one that only removes creates
  nothing: test_item_edges.py); ReturnValues NONE / ALL_OLD / UPDATED_OLD /
  ALL_NEW / UPDATED_NEW return exactly the documented attributes (UPDATED_* only the touched
  paths), and Attributes is omitted when there is nothing to return.
- An update that would make the item exceed 400 KB fails with "Item size to update has
  exceeded the maximum allowed size" and changes nothing.
- Many sequential increments of one counter end exact.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.wire.helpers import key_of, read, refused

INVALID_PATH = "The document path provided in the update expression is invalid for update"
BAD_TYPE = "An operand in the update expression has an incorrect data type"
NO_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"


def update(
    ddb: Any,
    table: str,
    key: str,
    expression: str,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "TableName": table,
        "Key": key_of(key),
        "UpdateExpression": expression,
    }
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    params.update(extra)
    return ddb.update_item(**params)  # type: ignore[no-any-return]


def n(text: str) -> dict[str, str]:
    return {"N": text}


def s(text: str) -> dict[str, str]:
    return {"S": text}


def sorted_sets(value: Any) -> Any:
    """Wire values with set members sorted (recursively), so sets compare regardless of order."""
    if isinstance(value, dict):
        return {
            k: sorted(v) if k in ("SS", "NS", "BS") and isinstance(v, list) else sorted_sets(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [sorted_sets(v) for v in value]
    return value


# --------------------------------------------------------------------------- SET


def test_set_creates_a_missing_item(ddb: Any, table: str) -> None:
    update(ddb, table, "new", "SET a = :a, b = :b", {":a": s("x"), ":b": n("1")})
    assert read(ddb, table, "new") == {"pk": s("new"), "a": s("x"), "b": n("1")}


def test_update_without_expression_creates_key_only_item(ddb: Any, table: str) -> None:
    ddb.update_item(TableName=table, Key=key_of("bare"))
    assert read(ddb, table, "bare") == {"pk": s("bare")}


def test_update_on_range_table(ddb: Any, sorted_table: str) -> None:
    key = {"pk": s("h"), "sk": s("r")}
    ddb.update_item(
        TableName=sorted_table,
        Key=key,
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": n("1")},
    )
    item = ddb.get_item(TableName=sorted_table, Key=key, ConsistentRead=True)["Item"]
    assert item == {"pk": s("h"), "sk": s("r"), "v": n("1")}


def test_set_replaces_and_keeps_other_attributes(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "a": s("old"), "keep": s("me")})
    update(ddb, table, "k", "SET a = :a", {":a": {"L": [n("1")]}})
    assert read(ddb, table, "k") == {
        "pk": s("k"),
        "a": {"L": [n("1")]},
        "keep": s("me"),
    }


def test_set_copies_another_attribute(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "a": {"M": {"x": s("y")}}})
    update(ddb, table, "k", "SET b = a, c = a.x, d = pk")
    assert read(ddb, table, "k") == {
        "pk": s("k"),
        "a": {"M": {"x": s("y")}},
        "b": {"M": {"x": s("y")}},
        "c": s("y"),
        "d": s("k"),
    }


def test_set_uses_old_values_on_the_right(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "a": n("1"), "b": n("2")})
    update(ddb, table, "k", "SET a = b, b = a")
    assert read(ddb, table, "k") == {"pk": s("k"), "a": n("2"), "b": n("1")}


@pytest.mark.parametrize(
    ("start", "expression", "operand", "result"),
    [
        ("10", "SET v = v + :x", "5", "15"),
        ("10", "SET v = v - :x", "15", "-5"),
        ("-3", "SET v = :x - v", "2", "5"),
        ("0.1", "SET v = v + :x", "0.2", "0.3"),
        ("1.5", "SET v = v - :x", "1.5", "0"),
        (
            "99999999999999999999999999999999999999",
            "SET v = v + :x",
            "1",
            "100000000000000000000000000000000000000",
        ),
        (
            "123456789012345678901234567890.12345678",
            "SET v = v + :x",
            "0.00000001",
            "123456789012345678901234567890.12345679",
        ),
        ("1E-130", "SET v = v + :x", "1E-130", "0." + "0" * 129 + "2"),
        ("1e125", "SET v = v - :x", "1e125", "0"),
        ("7", "SET v = v + :x", "-7.000", "0"),
    ],
)
def test_set_arithmetic_is_exact(
    ddb: Any, table: str, start: str, expression: str, operand: str, result: str
) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "v": n(start)})
    update(ddb, table, "k", expression, {":x": n(operand)})
    assert read(ddb, table, "k")["v"] == n(result)  # type: ignore[index]


def test_set_arithmetic_of_two_values(ddb: Any, table: str) -> None:
    update(
        ddb,
        table,
        "k",
        "SET v = :a + :b, w = :a - :b",
        {":a": n("2.5"), ":b": n("0.75")},
    )
    item = read(ddb, table, "k")
    assert item is not None and item["v"] == n("3.25") and item["w"] == n("1.75")


def test_if_not_exists(ddb: Any, table: str) -> None:
    values = {":d": s("default")}
    update(ddb, table, "k", "SET a = if_not_exists(a, :d)", values)
    assert read(ddb, table, "k") == {"pk": s("k"), "a": s("default")}
    update(ddb, table, "k", "SET a = if_not_exists(a, :d)", {":d": s("other")})
    assert read(ddb, table, "k") == {"pk": s("k"), "a": s("default")}
    update(ddb, table, "k", "SET b = if_not_exists(a, :d)", {":d": s("other")})
    assert read(ddb, table, "k") == {"pk": s("k"), "a": s("default"), "b": s("default")}


def test_if_not_exists_counter(ddb: Any, table: str) -> None:
    for _ in range(3):
        update(
            ddb,
            table,
            "k",
            "SET c = if_not_exists(c, :zero) + :one",
            {":zero": n("0"), ":one": n("1")},
        )
    assert read(ddb, table, "k") == {"pk": s("k"), "c": n("3")}


def test_list_append_both_orders(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "l": {"L": [n("1"), n("2")]}})
    update(ddb, table, "k", "SET l = list_append(l, :tail)", {":tail": {"L": [n("3")]}})
    assert read(ddb, table, "k")["l"] == {"L": [n("1"), n("2"), n("3")]}  # type: ignore[index]
    update(
        ddb,
        table,
        "k",
        "SET l = list_append(:head, l)",
        {":head": {"L": [n("0"), s("x")]}},
    )
    assert read(ddb, table, "k")["l"] == {"L": [n("0"), s("x"), n("1"), n("2"), n("3")]}  # type: ignore[index]


def test_list_append_to_missing_list_via_if_not_exists(ddb: Any, table: str) -> None:
    values = {":empty": {"L": []}, ":v": {"L": [s("a")]}}
    update(ddb, table, "k", "SET l = list_append(if_not_exists(l, :empty), :v)", values)
    update(ddb, table, "k", "SET l = list_append(if_not_exists(l, :empty), :v)", values)
    assert read(ddb, table, "k")["l"] == {"L": [s("a"), s("a")]}  # type: ignore[index]


def test_set_nested_map_paths(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "m": {"M": {"a": {"M": {"b": n("1")}}}}})
    update(
        ddb,
        table,
        "k",
        "SET m.a.c = :v, m.x = :w, m.a.b = :w",
        {":v": s("v"), ":w": n("2")},
    )
    assert read(ddb, table, "k")["m"] == {  # type: ignore[index]
        "M": {"a": {"M": {"b": n("2"), "c": s("v")}}, "x": n("2")}
    }


def test_set_with_name_aliases(ddb: Any, table: str) -> None:
    update(
        ddb,
        table,
        "k",
        "SET #s = :v, #d = :v",
        {":v": s("on")},
        {"#s": "status", "#d": "a.b"},
    )
    assert read(ddb, table, "k") == {"pk": s("k"), "status": s("on"), "a.b": s("on")}


def test_set_list_index_replaces(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "l": {"L": [s("a"), s("b"), s("c")]}})
    update(ddb, table, "k", "SET l[1] = :v", {":v": s("B")})
    assert read(ddb, table, "k")["l"] == {"L": [s("a"), s("B"), s("c")]}  # type: ignore[index]


def test_set_list_index_past_end_appends(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "l": {"L": [s("a"), s("b")]}})
    update(ddb, table, "k", "SET l[10] = :v", {":v": s("z")})
    assert read(ddb, table, "k")["l"] == {"L": [s("a"), s("b"), s("z")]}  # type: ignore[index]


def test_set_several_indexes_past_end_append_in_index_order(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "l": {"L": [s("a")]}})
    update(ddb, table, "k", "SET l[9] = :y, l[5] = :x", {":x": s("x"), ":y": s("y")})
    assert read(ddb, table, "k")["l"] == {"L": [s("a"), s("x"), s("y")]}  # type: ignore[index]


def test_set_nested_list_inside_map(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": s("k"), "m": {"M": {"l": {"L": [{"M": {"x": n("1")}}]}}}},
    )
    update(ddb, table, "k", "SET m.l[0].x = :v, m.l[0].y = :v", {":v": n("9")})
    item = read(ddb, table, "k")
    assert item is not None
    assert item["m"] == {"M": {"l": {"L": [{"M": {"x": n("9"), "y": n("9")}}]}}}


# --------------------------------------------------------------------------- REMOVE


def test_remove_attributes(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "a": s("1"), "b": s("2"), "c": s("3")})
    update(ddb, table, "k", "REMOVE a, c, nothing")
    assert read(ddb, table, "k") == {"pk": s("k"), "b": s("2")}


def test_remove_nested(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={
            "pk": s("k"),
            "m": {"M": {"a": {"M": {"b": n("1"), "c": n("2")}}, "d": n("3")}},
        },
    )
    update(ddb, table, "k", "REMOVE m.a.b, m.d, m.nothing")
    assert read(ddb, table, "k")["m"] == {"M": {"a": {"M": {"c": n("2")}}}}  # type: ignore[index]


def test_remove_list_indexes_shifts_later_elements(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": s("k"), "l": {"L": [s("a"), s("b"), s("c"), s("d"), s("e")]}},
    )
    update(ddb, table, "k", "REMOVE l[1], l[3]")
    assert read(ddb, table, "k")["l"] == {"L": [s("a"), s("c"), s("e")]}  # type: ignore[index]
    update(ddb, table, "k", "REMOVE l[0]")
    assert read(ddb, table, "k")["l"] == {"L": [s("c"), s("e")]}  # type: ignore[index]


# --------------------------------------------------------------------------- ADD / DELETE


@pytest.mark.parametrize(
    ("start", "operand", "result"),
    [
        ("5", "3", "8"),
        (None, "3", "3"),
        ("5", "-7.5", "-2.5"),
        ("0.1", "0.2", "0.3"),
        (None, "-0.0", "0"),
    ],
)
def test_add_number(ddb: Any, table: str, start: str | None, operand: str, result: str) -> None:
    if start is not None:
        ddb.put_item(TableName=table, Item={"pk": s("k"), "v": n(start)})
    update(ddb, table, "k", "ADD v :x", {":x": n(operand)})
    assert read(ddb, table, "k") == {"pk": s("k"), "v": n(result)}


@pytest.mark.parametrize(
    ("start", "operand", "result"),
    [
        ({"SS": ["a", "b"]}, {"SS": ["b", "c"]}, {"SS": ["a", "b", "c"]}),
        ({"NS": ["1", "2"]}, {"NS": ["2.0", "3"]}, {"NS": ["1", "2", "3"]}),
        ({"BS": [b"\x01"]}, {"BS": [b"\x01", b"\x02"]}, {"BS": [b"\x01", b"\x02"]}),
        (None, {"SS": ["x"]}, {"SS": ["x"]}),
    ],
    ids=["SS", "NS", "BS", "missing"],
)
def test_add_to_set(
    ddb: Any,
    table: str,
    start: dict[str, Any] | None,
    operand: dict[str, Any],
    result: dict[str, Any],
) -> None:
    if start is not None:
        ddb.put_item(TableName=table, Item={"pk": s("k"), "v": start})
    update(ddb, table, "k", "ADD v :x", {":x": operand})
    assert sorted_sets(read(ddb, table, "k")) == sorted_sets({"pk": s("k"), "v": result})


def test_delete_from_set(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": s("k"), "v": {"SS": ["a", "b", "c"]}, "w": {"NS": ["1", "2"]}},
    )
    update(
        ddb,
        table,
        "k",
        "DELETE v :x, w :y",
        {":x": {"SS": ["a", "zz"]}, ":y": {"NS": ["2.00"]}},
    )
    assert sorted_sets(read(ddb, table, "k")) == {
        "pk": s("k"),
        "v": {"SS": ["b", "c"]},
        "w": {"NS": ["1"]},
    }


def test_delete_last_elements_removes_the_attribute(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "v": {"SS": ["a", "b"]}})
    update(ddb, table, "k", "DELETE v :x", {":x": {"SS": ["a", "b"]}})
    assert read(ddb, table, "k") == {"pk": s("k")}


def test_delete_from_missing_set_is_a_no_op(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "a": s("1")})
    update(ddb, table, "k", "DELETE v :x", {":x": {"SS": ["a"]}})
    assert read(ddb, table, "k") == {"pk": s("k"), "a": s("1")}


def test_add_and_delete_on_nested_sets(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": s("k"), "m": {"M": {"t": {"SS": ["a"]}, "c": n("1")}}},
    )
    update(
        ddb,
        table,
        "k",
        "ADD m.t :x, m.c :one DELETE m.u :x",
        {":x": {"SS": ["b"]}, ":one": n("1")},
    )
    assert sorted_sets(read(ddb, table, "k")) == {
        "pk": s("k"),
        "m": {"M": {"t": {"SS": ["a", "b"]}, "c": n("2")}},
    }


def test_all_four_clauses_in_any_order(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": s("k"), "gone": s("x"), "c": n("1"), "t": {"SS": ["a", "b"]}},
    )
    update(
        ddb,
        table,
        "k",
        "DELETE t :a ADD c :one REMOVE gone SET fresh = :v",
        {":a": {"SS": ["a"]}, ":one": n("1"), ":v": s("v")},
    )
    assert read(ddb, table, "k") == {
        "pk": s("k"),
        "c": n("2"),
        "t": {"SS": ["b"]},
        "fresh": s("v"),
    }


def test_lowercase_clause_keywords(ddb: Any, table: str) -> None:
    update(ddb, table, "k", "set a = :v add c :one", {":v": s("x"), ":one": n("1")})
    assert read(ddb, table, "k") == {"pk": s("k"), "a": s("x"), "c": n("1")}


# --------------------------------------------------------------------------- static errors


def invalid(message: str) -> tuple[str, str]:
    return ("ValidationException", "Invalid UpdateExpression: " + message)


@pytest.mark.parametrize(
    ("expression", "values", "clause"),
    [
        ("SET a = :v SET b = :v", {":v": n("1")}, "SET"),
        ("REMOVE a REMOVE b", None, "REMOVE"),
        ("ADD a :v ADD b :v", {":v": n("1")}, "ADD"),
        ("DELETE a :v DELETE b :v", {":v": {"SS": ["a"]}}, "DELETE"),
        ("REMOVE c SET a = :v REMOVE b", {":v": n("1")}, "REMOVE"),
    ],
)
def test_clause_used_twice(ddb: Any, table: str, expression: str, values: Any, clause: str) -> None:
    assert refused(lambda: update(ddb, table, "k", expression, values)) == invalid(
        f'The "{clause}" section can only be used once in an update expression;'
    )
    assert read(ddb, table, "k") is None


@pytest.mark.parametrize(
    ("expression", "one", "two"),
    [
        ("SET a = :v REMOVE a", "[a]", "[a]"),
        ("SET a = :v, a.b = :v", "[a]", "[a, b]"),
        ("SET m.x = :v REMOVE m", "[m, x]", "[m]"),
        ("REMOVE a, b, a", "[a]", "[a]"),
        ("SET l[1] = :v, l[1] = :v", "[l, [1]]", "[l, [1]]"),
    ],
)
def test_overlapping_paths(ddb: Any, table: str, expression: str, one: str, two: str) -> None:
    values = {":v": n("1")} if ":v" in expression else None
    assert refused(lambda: update(ddb, table, "k", expression, values)) == invalid(
        "Two document paths overlap with each other; must remove or rewrite one of these paths; "
        f"path one: {one}, path two: {two}"
    )


def test_conflicting_paths(ddb: Any, table: str) -> None:
    assert refused(
        lambda: update(ddb, table, "k", "REMOVE a.c SET a[1] = :v", {":v": n("1")})
    ) == invalid(
        "Two document paths conflict with each other; must remove or rewrite one of these paths; "
        "path one: [a, c], path two: [a, [1]]"
    )


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("SET pk = :v", {":v": s("other")}),
        ("SET pk = :v", {":v": s("k")}),
        ("REMOVE pk", None),
        ("SET a = :v REMOVE pk", {":v": s("x")}),
        ("ADD pk :n", {":n": n("1")}),
    ],
)
def test_updating_the_hash_key_refused(ddb: Any, table: str, expression: str, values: Any) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "a": s("1")})
    assert refused(lambda: update(ddb, table, "k", expression, values)) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
    )
    assert read(ddb, table, "k") == {"pk": s("k"), "a": s("1")}


def test_updating_the_range_key_refused(ddb: Any, sorted_table: str) -> None:
    key = {"pk": s("h"), "sk": s("r")}
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(
            TableName=sorted_table,
            Key=key,
            UpdateExpression="SET sk = :v",
            ExpressionAttributeValues={":v": s("x")},
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key",
    )


@pytest.mark.parametrize(
    ("expression", "value", "message"),
    [
        (
            "ADD a :v",
            s("x"),
            "Incorrect operand type for operator or function; operator: ADD, operand type: STRING",
        ),
        (
            "ADD a :v",
            {"BOOL": True},
            "Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN",
        ),
        (
            "ADD a :v",
            {"L": [n("1")]},
            "Incorrect operand type for operator or function; operator: ADD, operand type: LIST",
        ),
        (
            "ADD a :v",
            {"M": {}},
            "Incorrect operand type for operator or function; operator: ADD, operand type: MAP",
        ),
        (
            "DELETE a :v",
            n("1"),
            "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER",
        ),
        (
            "DELETE a :v",
            s("x"),
            "Incorrect operand type for operator or function; operator: DELETE, operand type: STRING",
        ),
        (
            "SET a = a + :v",
            s("x"),
            "Incorrect operand type for operator or function; operator or function: +, operand type: S",
        ),
        (
            "SET a = a - :v",
            {"SS": ["x"]},
            "Incorrect operand type for operator or function; operator or function: -, operand type: SS",
        ),
        (
            "SET a = list_append(:v, a)",
            s("x"),
            "Incorrect operand type for operator or function; operator or function: list_append, operand type: S",
        ),
        (
            "SET a = list_append(a, :v)",
            n("1"),
            "Incorrect operand type for operator or function; operator or function: list_append, operand type: N",
        ),
    ],
)
def test_operand_type_errors(
    ddb: Any, table: str, expression: str, value: Any, message: str
) -> None:
    assert refused(lambda: update(ddb, table, "k", expression, {":v": value})) == invalid(message)


@pytest.mark.parametrize(
    ("expression", "function", "count"),
    [
        ("SET a = if_not_exists(c)", "if_not_exists", 1),
        ("SET a = list_append(c)", "list_append", 1),
    ],
)
def test_function_operand_count(
    ddb: Any, table: str, expression: str, function: str, count: int
) -> None:
    assert refused(lambda: update(ddb, table, "k", expression)) == invalid(
        f"Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}"
    )


def test_if_not_exists_needs_a_path(ddb: Any, table: str) -> None:
    assert refused(
        lambda: update(ddb, table, "k", "SET a = if_not_exists(:v, b)", {":v": n("1")})
    ) == invalid(
        "Operator or function requires a document path; operator or function: if_not_exists"
    )


def test_unknown_function(ddb: Any, table: str) -> None:
    assert refused(lambda: update(ddb, table, "k", "SET a = foo(b)")) == invalid(
        "Invalid function name; function: foo"
    )


def test_reserved_word(ddb: Any, table: str) -> None:
    assert refused(lambda: update(ddb, table, "k", "SET status = :v", {":v": n("1")})) == invalid(
        "Attribute name is a reserved keyword; reserved keyword: status"
    )


def test_syntax_error_at_end(ddb: Any, table: str) -> None:
    assert refused(lambda: update(ddb, table, "k", "SET a")) == invalid(
        'Syntax error; token: "<EOF>", near: "a"'
    )


@pytest.mark.parametrize(
    "expression",
    [
        "whatever",
        "SET a = b * c",
        "SET a = b + c + d",
        "REMOVE a = b",
        "ADD a",
        "SET :v = a",
        "SET a = ",
        "SET a = b,",
    ],
)
def test_syntax_errors(ddb: Any, table: str, expression: str) -> None:
    values = {":v": n("1")} if ":v" in expression else None
    code, message = refused(lambda: update(ddb, table, "k", expression, values))
    assert code == "ValidationException"
    assert message.startswith("Invalid UpdateExpression: Syntax error; token: "), message


def test_empty_update_expression(ddb: Any, table: str) -> None:
    assert refused(lambda: update(ddb, table, "k", "")) == invalid(
        "The expression can not be empty;"
    )


def test_undefined_name_and_value(ddb: Any, table: str) -> None:
    assert refused(lambda: update(ddb, table, "k", "SET #x = :v", {":v": n("1")})) == invalid(
        "An expression attribute name used in the document path is not defined; attribute name: #x"
    )
    assert refused(lambda: update(ddb, table, "k", "SET a = :w")) == invalid(
        "An expression attribute value used in expression is not defined; attribute value: :w"
    )


def test_unused_value_across_update_and_condition(ddb: Any, table: str) -> None:
    code, message = refused(
        lambda: update(
            ddb,
            table,
            "k",
            "SET a = :v",
            {":v": n("1"), ":c": n("2"), ":unused": n("3")},
            ConditionExpression="attribute_not_exists(a) OR a < :c",
        )
    )
    assert (code, message) == (
        "ValidationException",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
    )


def test_names_used_only_by_the_condition_count_as_used(ddb: Any, table: str) -> None:
    update(
        ddb,
        table,
        "k",
        "SET a = :v",
        {":v": n("1")},
        {"#s": "status"},
        ConditionExpression="attribute_not_exists(#s)",
    )
    assert read(ddb, table, "k") == {"pk": s("k"), "a": n("1")}


def test_values_without_expressions(ddb: Any, table: str) -> None:
    assert refused(
        lambda: ddb.update_item(
            TableName=table, Key=key_of("k"), ExpressionAttributeValues={":v": n("1")}
        )
    ) == (
        "ValidationException",
        (
            "ExpressionAttributeValues can only be specified when using expressions: "
            "UpdateExpression and ConditionExpression are null"
        ),
    )


# --------------------------------------------------------------------------- runtime errors


RUNTIME_ITEM = {
    "pk": s("rt"),
    "str": s("text"),
    "num": n("1"),
    "m": {"M": {"x": n("1")}},
    "l": {"L": [n("1")]},
    "ss": {"SS": ["a"]},
    "ns": {"NS": ["1"]},
}


@pytest.mark.parametrize(
    ("expression", "value", "message"),
    [
        ("SET nothing.a = :v", n("1"), INVALID_PATH),
        ("SET nothing[0] = :v", n("1"), INVALID_PATH),
        ("SET str.a = :v", n("1"), INVALID_PATH),
        ("SET m.y.z = :v", n("1"), INVALID_PATH),
        ("SET m[0] = :v", n("1"), INVALID_PATH),
        ("SET l.a = :v", n("1"), INVALID_PATH),
        ("REMOVE str.a", None, INVALID_PATH),
        ("REMOVE m[0]", None, INVALID_PATH),
        ("ADD nothing.a :v", n("1"), INVALID_PATH),
        ("SET x = str + :v", n("1"), BAD_TYPE),
        ("SET x = :v - m", n("1"), BAD_TYPE),
        ("SET x = list_append(str, :v)", {"L": []}, BAD_TYPE),
        ("ADD str :v", n("1"), BAD_TYPE),
        ("ADD ss :v", n("1"), BAD_TYPE),
        ("ADD ns :v", {"SS": ["a"]}, BAD_TYPE),
        ("ADD num :v", {"NS": ["1"]}, BAD_TYPE),
        ("DELETE num :v", {"NS": ["1"]}, BAD_TYPE),
        ("DELETE ss :v", {"NS": ["1"]}, BAD_TYPE),
        ("SET x = nothing + :v", n("1"), NO_ATTRIBUTE),
        ("SET x = nothing", None, NO_ATTRIBUTE),
        ("SET x = m.nothing", None, NO_ATTRIBUTE),
        ("SET x = list_append(nothing, :v)", {"L": []}, NO_ATTRIBUTE),
    ],
)
def test_runtime_errors_change_nothing(
    ddb: Any, table: str, expression: str, value: Any, message: str
) -> None:
    ddb.put_item(TableName=table, Item=RUNTIME_ITEM)
    # A second, valid action must not be applied either: the update is all or nothing.
    extra = ", y = :y" if expression.startswith("SET") else " SET y = :y"
    values = {":y": n("9")}
    if value is not None:
        values[":v"] = value
    assert refused(lambda: update(ddb, table, "rt", expression + extra, values)) == (
        "ValidationException",
        message,
    )
    assert read(ddb, table, "rt") == RUNTIME_ITEM


@pytest.mark.parametrize("expression", ["SET b.a = :v", "SET b[1] = :v"])
def test_nested_set_on_missing_item_is_invalid_path(ddb: Any, table: str, expression: str) -> None:
    assert refused(lambda: update(ddb, table, "absent", expression, {":v": n("1")})) == (
        "ValidationException",
        INVALID_PATH,
    )
    assert read(ddb, table, "absent") is None


# --------------------------------------------------------------------------- ReturnValues


BEFORE = {"pk": s("rv"), "a": n("1"), "b": n("2"), "c": n("3")}
RV_EXPRESSION = "SET a = :ten, d = :four REMOVE b"
RV_VALUES = {":ten": n("10"), ":four": n("4")}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("NONE", None),
        ("ALL_OLD", BEFORE),
        ("UPDATED_OLD", {"a": n("1"), "b": n("2")}),
        ("ALL_NEW", {"pk": s("rv"), "a": n("10"), "c": n("3"), "d": n("4")}),
        ("UPDATED_NEW", {"a": n("10"), "d": n("4")}),
    ],
)
def test_return_values(ddb: Any, table: str, mode: str, expected: dict[str, Any] | None) -> None:
    ddb.put_item(TableName=table, Item=BEFORE)
    reply = update(ddb, table, "rv", RV_EXPRESSION, RV_VALUES, ReturnValues=mode)
    assert reply.get("Attributes") == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("ALL_OLD", None),
        ("UPDATED_OLD", None),
        ("ALL_NEW", {"pk": s("rv"), "a": n("10"), "d": n("4")}),
        ("UPDATED_NEW", {"a": n("10"), "d": n("4")}),
    ],
)
def test_return_values_on_a_new_item(
    ddb: Any, table: str, mode: str, expected: dict[str, Any] | None
) -> None:
    reply = update(ddb, table, "rv", RV_EXPRESSION, RV_VALUES, ReturnValues=mode)
    assert reply.get("Attributes") == expected


def test_return_values_of_nested_updates_are_partial(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={
            "pk": s("rv"),
            "m": {"M": {"a": n("1"), "b": n("2")}},
            "l": {"L": [n("0"), n("1"), n("2")]},
        },
    )
    reply = update(
        ddb,
        table,
        "rv",
        "SET m.a = :v, l[1] = :v",
        {":v": n("9")},
        ReturnValues="UPDATED_OLD",
    )
    assert reply["Attributes"] == {"m": {"M": {"a": n("1")}}, "l": {"L": [n("1")]}}
    reply = update(ddb, table, "rv", "SET m.a = :w", {":w": n("8")}, ReturnValues="UPDATED_NEW")
    assert reply["Attributes"] == {"m": {"M": {"a": n("8")}}}


def test_return_values_updated_new_of_add(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("rv"), "c": n("5"), "t": {"SS": ["a"]}})
    reply = update(
        ddb,
        table,
        "rv",
        "ADD c :one, t :b",
        {":one": n("1"), ":b": {"SS": ["b"]}},
        ReturnValues="UPDATED_NEW",
    )
    assert sorted_sets(reply["Attributes"]) == {"c": n("6"), "t": {"SS": ["a", "b"]}}


def test_return_values_updated_old_of_removing_missing_attribute(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("rv"), "a": n("1")})
    reply = update(ddb, table, "rv", "REMOVE nothing", ReturnValues="UPDATED_OLD")
    assert "Attributes" not in reply


def test_invalid_return_values_value(ddb: Any, table: str) -> None:
    assert refused(lambda: update(ddb, table, "rv", "REMOVE a", ReturnValues="EVERYTHING")) == (
        "ValidationException",
        (
            "1 validation error detected: Value 'EVERYTHING' at 'returnValues' failed to satisfy constraint: "
            "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
        ),
    )


# --------------------------------------------------------------------------- size and capacity


def test_update_past_400_kb_refused_and_nothing_changes(ddb: Any, table: str) -> None:
    # size = len("pk") + len("big") + len("a") + len(a) + len("b") + len(b)
    a = "x" * 300_000
    ddb.put_item(TableName=table, Item={"pk": s("big"), "a": s(a)})
    fits = 409_600 - (2 + 3 + 1 + len(a) + 1)
    update(ddb, table, "big", "SET b = :v", {":v": s("y" * fits)})
    item = read(ddb, table, "big")
    assert item is not None and len(item["b"]["S"]) == fits
    assert refused(
        lambda: update(ddb, table, "big", "SET b = :v", {":v": s("z" * (fits + 1))})
    ) == (
        "ValidationException",
        "Item size to update has exceeded the maximum allowed size",
    )
    item = read(ddb, table, "big")
    assert item is not None and item["b"] == s("y" * fits)


def test_update_capacity_counts_the_larger_of_before_and_after(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("cap"), "a": s("x" * 2990)})
    reply = update(ddb, table, "cap", "REMOVE a", ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"]["TableName"] == table
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 3.0
    reply = update(
        ddb,
        table,
        "cap",
        "SET a = :v",
        {":v": s("y" * 1500)},
        ReturnConsumedCapacity="INDEXES",
    )
    assert reply["ConsumedCapacity"]["CapacityUnits"] == 2.0
    assert reply["ConsumedCapacity"]["Table"] == {"CapacityUnits": 2.0}


# --------------------------------------------------------------------------- counters


def test_sequential_counter_increments_end_exact(ddb: Any, table: str) -> None:
    for i in range(1, 61):
        reply = update(
            ddb,
            table,
            "ctr",
            "ADD c :one SET d = if_not_exists(d, :zero) + :tenth",
            {":one": n("1"), ":zero": n("0"), ":tenth": n("0.1")},
            ReturnValues="UPDATED_NEW",
        )
        assert reply["Attributes"]["c"] == n(str(i))
    item = read(ddb, table, "ctr")
    assert item == {"pk": s("ctr"), "c": n("60"), "d": n("6")}


def test_concurrent_increments_are_atomic(server: Any, table: str) -> None:
    """ADD is an atomic read-modify-write: concurrent clients lose no increment."""
    threads_count, per_thread = 4, 25
    clients = [server.client() for _ in range(threads_count)]  # created up front: not thread-safe
    barrier = threading.Barrier(threads_count)
    errors: list[ClientError] = []

    def work(client: Any) -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                update(client, table, "hot", "ADD c :one", {":one": n("1")})
        except ClientError as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ddb = clients[0]
    assert read(ddb, table, "hot") == {
        "pk": s("hot"),
        "c": n(str(threads_count * per_thread)),
    }


def test_remove_of_every_attribute_keeps_the_key(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("k"), "a": s("1")})
    update(ddb, table, "k", "REMOVE a")
    assert read(ddb, table, "k") == {"pk": s("k")}
