"""Parsing, static checks, placeholder resolution and compile_expressions' request-level checks.

Messages are DynamoDB's exact wording (dynalite's catalogue and errors quoted from DynamoDB in
public issues, e.g. `Syntax error; token: ":", near: "hits : incr"`).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendynamo.errors import DynamoError
from opendynamo.expr import cache, compile_expressions
from opendynamo.expr.ast import (
    And,
    Arith,
    Between,
    Call,
    Compare,
    In,
    Literal,
    NameRef,
    Not,
    Or,
    Path,
    RawPath,
    SetAction,
    ValueRef,
)
from opendynamo.expr.compile import java_hash_set_order
from opendynamo.expr.keycond import KeyCondition, split_key_condition
from opendynamo.expr.lexer import tokenize
from opendynamo.expr.parser import parse_condition, parse_projection, parse_update
from opendynamo.expr.problem import ExpressionProblem

N1 = {"N": "1"}
VALUES = {":v": N1}


def compile_(**kwargs: Any) -> Any:
    kwargs.setdefault("names", None)
    kwargs.setdefault("values", None)
    return compile_expressions(**kwargs)


def error(**kwargs: Any) -> str:
    with pytest.raises(DynamoError) as caught:
        compile_(**kwargs)
    assert caught.value.type_name == "ValidationException"
    assert caught.value.message is not None
    return caught.value.message


def v(name: str) -> Literal:
    return Literal(name, VALUES[name])


# ---- lexer -------------------------------------------------------------------------------------


def test_tokens() -> None:
    kinds = [t.kind for t in tokenize("a.b[0] <> #n AND :v01 between 01")]
    assert kinds == [
        "ID",
        ".",
        "ID",
        "[",
        "INT",
        "]",
        "<>",
        "NAME",
        "AND",
        "VALUE",
        "BETWEEN",
        "INT",
        "INT",
        "EOF",
    ]


def test_bad_characters_are_single_tokens() -> None:
    tokens = tokenize("_x # : é")
    assert [(t.kind, t.text) for t in tokens] == [
        ("BAD", "_"),
        ("ID", "x"),
        ("BAD", "#"),
        ("BAD", ":"),
        ("BAD", "é"),
        ("EOF", "<EOF>"),
    ]


# ---- grammar and precedence --------------------------------------------------------------------


def test_comparators() -> None:
    for op in ("=", "<>", "<", "<=", ">", ">="):
        assert parse_condition(f"a {op} :v") == Compare(op, RawPath(("a",)), ValueRef(":v"))


def test_and_binds_tighter_than_or() -> None:
    tree = parse_condition("a = :v OR b = :v AND c = :v")
    assert isinstance(tree, Or)
    assert isinstance(tree.right, And)


def test_not_binds_tighter_than_and() -> None:
    tree = parse_condition("NOT a = :v AND b = :v")
    assert isinstance(tree, And)
    assert isinstance(tree.left, Not)


def test_parentheses_override_precedence() -> None:
    tree = parse_condition("(a = :v OR b = :v) AND c = :v")
    assert isinstance(tree, And)
    assert isinstance(tree.left, Or)


def test_keywords_are_case_insensitive_and_not_repeats() -> None:
    tree = parse_condition("not not a = :v and b between :v AnD :v or c iN (:v)")
    assert isinstance(tree, Or)
    assert isinstance(tree.left, And)
    assert tree.left.left == Not(Not(Compare("=", RawPath(("a",)), ValueRef(":v"))))
    assert isinstance(tree.left.right, Between)
    assert tree.right == In(RawPath(("c",)), (ValueRef(":v"),))


def test_between_consumes_its_own_and() -> None:
    tree = parse_condition("a BETWEEN :v AND :v AND b = :v")
    assert isinstance(tree, And)
    assert isinstance(tree.left, Between)


def test_functions_and_size_operand() -> None:
    tree = parse_condition("begins_with(a.b[2], :v) AND size(#n) > :v")
    assert isinstance(tree, And)
    assert tree.left == Call("begins_with", (RawPath(("a", "b", 2)), ValueRef(":v")))
    assert tree.right == Compare(">", Call("size", (RawPath((NameRef("#n"),)),)), ValueRef(":v"))


def test_parenthesised_operands_and_grouped_paths() -> None:
    assert parse_condition("(a) = (:v)") == Compare("=", RawPath(("a",)), ValueRef(":v"))
    assert parse_condition("(a.b).c = :v") == Compare("=", RawPath(("a", "b", "c")), ValueRef(":v"))
    assert parse_condition("(size(a)) > :v") == Compare(
        ">", Call("size", (RawPath(("a",)),)), ValueRef(":v")
    )
    assert parse_condition("(contains(a, :v))") == Call(
        "contains", (RawPath(("a",)), ValueRef(":v"))
    )


def test_update_grammar() -> None:
    tree = parse_update("SET a = b + :v, c = (d - :v) REMOVE e[1] ADD f :v DELETE g :v")
    assert [c.keyword for c in tree.clauses] == ["SET", "REMOVE", "ADD", "DELETE"]
    first = tree.clauses[0].actions[0]
    assert first == SetAction(RawPath(("a",)), Arith("+", RawPath(("b",)), ValueRef(":v")))
    assert parse_update("set a = ((b))").clauses[0].actions[0] == SetAction(
        RawPath(("a",)), RawPath(("b",))
    )


def test_projection_grammar() -> None:
    tree = parse_projection("a, b.c , d[0][1], #x")
    assert tree.paths == (
        RawPath(("a",)),
        RawPath(("b", "c")),
        RawPath(("d", 0, 1)),
        RawPath((NameRef("#x"),)),
    )


# ---- syntax errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("condition", "foo", 'Syntax error; token: "<EOF>", near: "foo"'),
        ("condition", "attribute_type()", 'Syntax error; token: ")", near: "()"'),
        ("condition", "a = :v AND", 'Syntax error; token: "<EOF>", near: "AND"'),
        ("condition", "a IN ()", 'Syntax error; token: ")", near: "()"'),
        ("condition", "a[01] = :v", 'Syntax error; token: "1", near: "01]"'),
        ("condition", "a.:v = :v", 'Syntax error; token: ":v", near: ".:v ="'),
        ("condition", "and = :v", 'Syntax error; token: "and", near: "and ="'),
        ("update", "ADD hits : incr", 'Syntax error; token: ":", near: "hits : incr"'),
        ("update", "INVALID SYNTAX HERE", 'Syntax error; token: "INVALID", near: "INVALID SYNTAX"'),
        ("update", "SET _123 = :v", 'Syntax error; token: "_", near: "SET _123"'),
        ("update", "SET a = ", 'Syntax error; token: "<EOF>", near: "= "'),
        ("update", "SET #as, #b = :v", 'Syntax error; token: ",", near: "#as, #b"'),
        ("update", "REMOVE a, #, b", 'Syntax error; token: "#", near: ", #,"'),
        ("update", "set a = b + c + d", 'Syntax error; token: "+", near: "c + d"'),
        ("update", "set a[1] = 1", 'Syntax error; token: "1", near: "= 1"'),
        ("update", "set a", 'Syntax error; token: "<EOF>", near: "a"'),
        ("update", "remove a = b", 'Syntax error; token: "=", near: "a = b"'),
        (
            "update",
            "SET if_not_exists(a, b) = a",
            'Syntax error; token: "(", near: "if_not_exists(a"',
        ),
        ("projection", "l[a]", 'Syntax error; token: "a", near: "[a]"'),
        ("projection", "a,", 'Syntax error; token: "<EOF>", near: ","'),
        ("projection", "a b", 'Syntax error; token: "b", near: "a b"'),
    ],
)
def test_syntax_errors(kind: str, text: str, message: str) -> None:
    parse = {"condition": parse_condition, "update": parse_update, "projection": parse_projection}[
        kind
    ]
    with pytest.raises(ExpressionProblem) as caught:
        parse(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    "text",
    [
        "whatever",
        "set a=set",
        "delete a b",
        "add :a b",
        "remove :a",
        "set a = b / c",
        "set (a = (b + c))",
        "set a = (b.c).d + e",
        "set a = (b.c)[0] + e",
        'set a[1] = "x"',
    ],
)
def test_update_syntax_errors_from_dynalite(text: str) -> None:
    assert error(update=text, values=VALUES).startswith("Invalid UpdateExpression: Syntax error; ")


def test_syntax_error_has_parameter_prefix() -> None:
    assert (
        error(filter="a =") == 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: "="'
    )
    assert error(key_condition="a =") == (
        'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "="'
    )


# ---- static checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "((a = :v))",
        "((a)) = :v",
        "a = ((:v))",
        "NOT ((a = :v))",
        "((a.b)).c = :v",
        "(((a = :v)) AND b = :v)",
    ],
)
def test_redundant_parentheses(text: str) -> None:
    assert error(condition=text, values=VALUES) == (
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    )


def test_redundant_parentheses_reported_before_later_syntax_error() -> None:
    assert error(condition="((a = :v)) AND", values=VALUES) == (
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    )


def test_reserved_words() -> None:
    prefix = "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: "
    assert error(condition="Status = :v", values=VALUES) == prefix + "Status"
    assert error(condition="a.size = :v", values=VALUES) == prefix + "size"
    assert error(update=" set #c = :c set abOrt = :c ", names={"#c": "c"}, values={":c": N1}) == (
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt"
    )
    assert error(projection="a, data") == (
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: data"
    )


def test_reserved_word_is_fine_as_function_name_and_placeholder() -> None:
    compile_(condition="size(#status) > :v", names={"#status": "status"}, values=VALUES)


def test_function_name_errors() -> None:
    assert error(condition="foo(a) AND status = :v", values=VALUES) == (
        "Invalid ConditionExpression: Invalid function name; function: foo"
    )
    assert error(condition="Begins_with(a, :v)", values=VALUES) == (
        "Invalid ConditionExpression: Invalid function name; function: Begins_with"
    )
    assert error(
        update="set #c = if_not_exist(:c) set c = d", names={"#c": "c"}, values={":c": N1}
    ) == ("Invalid UpdateExpression: Invalid function name; function: if_not_exist")


def test_function_placement() -> None:
    assert error(condition="size(a)") == (
        "Invalid ConditionExpression: The function is not allowed to be used this way in an "
        "expression; function: size"
    )
    assert error(condition="attribute_exists(a) = :v", values=VALUES) == (
        "Invalid ConditionExpression: The function is not allowed to be used this way in an "
        "expression; function: attribute_exists"
    )
    assert error(condition="if_not_exists(a, :v) = :v", values=VALUES) == (
        "Invalid ConditionExpression: The function is not allowed in a condition expression; "
        "function: if_not_exists"
    )
    assert error(update="SET a = size(b)") == (
        "Invalid UpdateExpression: The function is not allowed in an update expression; "
        "function: size"
    )
    # list_append takes no list_append (ScyllaDB's test_update_expression_function_nesting,
    # run against DynamoDB); if_not_exists nests in either.
    assert error(update="SET a = list_append(b, list_append(c, d))") == (
        "Invalid UpdateExpression: The function is not allowed to be used this way in an "
        "expression; function: list_append"
    )
    compile_(update="SET a = list_append(if_not_exists(a, :l), :l)", values={":l": {"L": []}})
    compile_(update="SET a = if_not_exists(b, if_not_exists(c, :v))", values=VALUES)


def test_list_index_range_and_nesting() -> None:
    assert error(condition="a[2147483648] = :v", values=VALUES) == (
        "Invalid ConditionExpression: List index is not within the allowable range; "
        "index: [2147483648]"
    )
    compile_(condition="a[2147483647] = :v", values=VALUES)
    deep = ".".join(["a"] * 33)
    assert error(projection=deep) == (
        "Invalid ProjectionExpression: The document path has too many nesting levels; "
        "nesting levels: 33"
    )
    compile_(projection=".".join(["a"] * 32))


def test_sections_used_once() -> None:
    for text, keyword in [
        ("set a = #c set c = :d", "SET"),
        ("remove #d set a = b remove e", "REMOVE"),
        ("add #d :e set a = b add e :f", "ADD"),
        ("delete #d :e set a = b delete #e :f", "DELETE"),
    ]:
        assert error(update=text, values=VALUES) == (
            f'Invalid UpdateExpression: The "{keyword}" section can only be used once in an '
            "update expression;"
        )


def test_too_many_operators() -> None:
    text = " AND ".join(["a = :v"] * 151)  # 151 comparisons + 150 ANDs
    assert error(filter=text, values=VALUES) == (
        "Invalid FilterExpression: The expression contains too many operators; operator count: 301"
    )
    compile_(filter=" AND ".join(["a = :v"] * 150), values=VALUES)


# ---- placeholder-dependent checks --------------------------------------------------------------


def test_undefined_name_and_value() -> None:
    assert error(condition="#x = :v", values=VALUES) == (
        "Invalid ConditionExpression: An expression attribute name used in the document path is "
        "not defined; attribute name: #x"
    )
    assert error(condition="a = :x", values=VALUES) == (
        "Invalid ConditionExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :x"
    )
    assert error(update="SET #a = if_not_exists(:c)", names={"#a": "a"}, values=VALUES) == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :c"
    )


def test_function_operand_count() -> None:
    assert error(condition="size(a, b) > :v", values=VALUES) == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: size, number of operands: 2"
    )
    assert error(update="set a = if_not_exists(c)") == (
        "Invalid UpdateExpression: Incorrect number of operands for operator or function; "
        "operator or function: if_not_exists, number of operands: 1"
    )


def test_operand_count_beats_undefined_value_in_a_later_leaf_but_not_same_leaf() -> None:
    assert error(condition="contains(a) AND b = :x", values=VALUES).endswith(
        "operator or function: contains, number of operands: 1"
    )
    assert error(condition="contains(a, :x, :v)", values=VALUES).endswith("attribute value: :x")


def test_distinct_operands() -> None:
    assert error(condition="a = #a", names={"#a": "a"}) == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining "
        "operands for this operator or function; operator: =, first operand: [a]"
    )
    assert error(condition="contains(a.b[1], a.b[1])") == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining "
        "operands for this operator or function; operator: contains, first operand: [a, b, [1]]"
    )


def test_function_operand_types() -> None:
    values = {":n": N1, ":s": {"S": "x"}, ":l": {"L": []}, ":t": {"S": "FOO"}, ":b": {"BOOL": True}}
    prefix = "Invalid ConditionExpression: Incorrect operand type for operator or function; "
    assert error(condition="begins_with(a, :n)", values=values) == (
        prefix + "operator or function: begins_with, operand type: N"
    )
    assert error(condition="size(:b) > :n", values=values) == (
        prefix + "operator or function: size, operand type: BOOL"
    )
    assert error(condition="attribute_type(a, :n)", values=values) == (
        prefix + "operator or function: attribute_type, operand type: N"
    )
    assert error(condition="attribute_type(a, b)") == (
        prefix
        + "operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
    )
    assert error(condition="attribute_type(a, :t)", values=values) == (
        "Invalid ConditionExpression: Invalid attribute type name found; type: FOO, "
        "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    )
    assert (
        error(condition="a < :l", values=values)
        == prefix + "operator or function: <, operand type: L"
    )
    assert error(condition="a BETWEEN :l AND :n", values=values) == (
        prefix + "operator or function: BETWEEN, operand type: L"
    )
    assert error(condition="attribute_exists(:s)", values=values) == (
        "Invalid ConditionExpression: Operator or function requires a document path; "
        "operator or function: attribute_exists"
    )


def test_between_bounds() -> None:
    values = {
        ":a": N1,
        ":b": {"N": "5"},
        ":s": {"S": "a"},
        ":x": {"B": "AQI="},
        ":y": {"B": "AQ=="},
    }
    assert error(condition="a BETWEEN :b AND :a", values=values) == (
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than "
        "or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: "
        "AttributeValue: {N:1}"
    )
    assert error(condition="a BETWEEN :a AND :s", values=values) == (
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and "
        "upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: "
        "AttributeValue: {S:a}"
    )
    assert error(condition="a BETWEEN :x AND :y", values=values).endswith(
        "lower bound operand: AttributeValue: {B:java.nio.HeapByteBuffer[pos=0 lim=2 cap=2]}, "
        "upper bound operand: AttributeValue: {B:java.nio.HeapByteBuffer[pos=0 lim=1 cap=1]}"
    )
    compile_(condition="a BETWEEN :a AND :a", values={":a": N1})


def test_in_operand_limit() -> None:
    choices = ", ".join([":v"] * 101)
    assert error(condition=f"a IN ({choices})", values=VALUES) == (
        "Invalid ConditionExpression: The IN operator is provided with too many operands; "
        "number of operands: 101"
    )
    compile_(condition="a IN (" + ", ".join([":v"] * 100) + ")", values=VALUES)


@pytest.mark.parametrize(
    ("text", "one", "two"),
    [
        ("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", "[c, [1], a]", "[c]"),
        ("set c.b.#c = a, c = a, #d = a", "[c, b, c]", "[c]"),
        ("set a = b remove a, #c, #d", "[a]", "[a]"),
        ("set #c[3].#d = a, #c[3] = a", "[c, [3], [3]]", "[c, [3]]"),
        ("remove c, #c.a, #d", "[c]", "[c, a]"),
        ("remove a, #c, a, #d", "[a]", "[a]"),
    ],
)
def test_overlapping_update_paths(text: str, one: str, two: str) -> None:
    assert error(update=text, names={"#c": "c", "#d": "[3]"}) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        f"rewrite one of these paths; path one: {one}, path two: {two}"
    )


@pytest.mark.parametrize(
    ("text", "one", "two"),
    [
        ("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)", "[c, [3], [3]]", "[c, [3], [3]]"),
        ("remove a.#c set a[1] = #d", "[a, c]", "[a, [1]]"),
    ],
)
def test_conflicting_update_paths(text: str, one: str, two: str) -> None:
    assert error(update=text, names={"#c": "c", "#d": "[3]"}) == (
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
        f"rewrite one of these paths; path one: {one}, path two: {two}"
    )


def test_projection_overlap() -> None:
    assert error(projection="a.b, a") == (
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [a, b], path two: [a]"
    )


@pytest.mark.parametrize(
    ("value", "keyword", "type_name"),
    [
        ({"S": "a"}, "ADD", "STRING"),
        ({"S": "a"}, "DELETE", "STRING"),
        ({"NULL": True}, "ADD", "NULL"),
        ({"BOOL": False}, "DELETE", "BOOLEAN"),
        ({"B": "YQ=="}, "ADD", "BINARY"),
        ({"M": {}}, "DELETE", "MAP"),
        ({"L": []}, "ADD", "LIST"),
        ({"N": "1"}, "DELETE", "NUMBER"),
    ],
)
def test_add_delete_operand_types(value: dict[str, Any], keyword: str, type_name: str) -> None:
    assert error(update=f"{keyword} a.b :a", values={":a": value}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        f"operator: {keyword}, operand type: {type_name}"
    )


def test_update_function_types() -> None:
    values = {":a": {"S": "a"}, ":b": N1, ":j": {"L": []}, ":i": {"M": {}}}
    prefix = "Invalid UpdateExpression: Incorrect operand type for operator or function; "
    assert error(update="set a = list_append(:a, a)", values=values) == (
        prefix + "operator or function: list_append, operand type: S"
    )
    assert (
        error(update="set a = a + :j", values=values)
        == prefix + "operator or function: +, operand type: L"
    )
    assert (
        error(update="set a = :i - a", values=values)
        == prefix + "operator or function: -, operand type: M"
    )
    assert error(update="set a = if_not_exists(:a, c)", values=values) == (
        "Invalid UpdateExpression: Operator or function requires a document path; "
        "operator or function: if_not_exists"
    )


def test_update_error_precedence() -> None:
    # ADD's operand type is reported before if_not_exists' operand count (dynalite's order).
    assert error(
        update="set b = list_append(:a, a), c = if_not_exists(a) add a.b :a",
        values={":a": {"S": "a"}},
    ).endswith("operator: ADD, operand type: STRING")


# ---- request-level checks ----------------------------------------------------------------------


def test_empty_and_oversized_expressions() -> None:
    assert error(condition="") == "Invalid ConditionExpression: The expression can not be empty;"
    assert (
        error(update="", condition="")
        == "Invalid UpdateExpression: The expression can not be empty;"
    )
    long = "a = :v" + " " * 4091
    assert error(condition=long, values=VALUES) == (
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
        "expression size: 4097"
    )
    compile_(condition=long[:-1], values=VALUES)


def test_names_and_values_maps() -> None:
    assert (
        error(condition="a = :v", names={}, values=VALUES)
        == "ExpressionAttributeNames must not be empty"
    )
    assert error(condition="a = :v", values={}) == "ExpressionAttributeValues must not be empty"
    assert error(condition="a = :v", names={"a": "b"}, values=VALUES) == (
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'
    )
    assert error(condition="a = :v", values={":v": N1, "b": N1}) == (
        'ExpressionAttributeValues contains invalid key: Syntax error; key: "b"'
    )
    assert error(condition="#a = :v", names={"#a": ""}, values=VALUES) == (
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"
    )


def test_only_with_expressions() -> None:
    assert error(names={"#a": "a"}, operation="GetItem") == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )
    assert error(values=VALUES, operation="PutItem") == (
        "ExpressionAttributeValues can only be specified when using expressions: "
        "ConditionExpression is null"
    )
    assert error(values=VALUES, operation="UpdateItem") == (
        "ExpressionAttributeValues can only be specified when using expressions: "
        "UpdateExpression and ConditionExpression are null"
    )
    assert error(values=VALUES, projection="a", operation="Query") == (
        "ExpressionAttributeValues can only be specified when using expressions: "
        "FilterExpression and KeyConditionExpression are null"
    )


def test_unused_placeholders() -> None:
    assert (
        error(
            update="remove a set b = list_append(b, if_not_exists(a, :a))",
            condition="a = :b",
            names={"#a": "a", "#b": "b"},
            values={":a": {"L": []}, ":b": N1},
        )
        == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    )
    assert error(update="remove a", condition="a = :b", values={":a": N1, ":b": N1, ":c": N1}) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}"
    )


def test_placeholders_shared_across_expressions() -> None:
    compiled = compile_(
        condition="#a = :v",
        projection="#a, #b",
        names={"#a": "a", "#b": "b"},
        values=VALUES,
        operation="PutItem",
    )
    assert compiled.condition == Compare("=", Path(("a",)), v(":v"))
    assert compiled.projection is not None
    assert compiled.projection.document_paths == (("a",), ("b",))


def test_expression_check_order() -> None:
    # UpdateExpression before ConditionExpression; KeyConditionExpression before
    # FilterExpression before ProjectionExpression (dynalite's Query tests against DynamoDB).
    assert error(update="set a", condition="b").startswith("Invalid UpdateExpression")
    assert error(key_condition="things are not gonna be ok", filter="") == (
        'Invalid KeyConditionExpression: Syntax error; token: "are", near: "things are not"'
    )
    assert error(
        key_condition="attribute_type(a, :a)", filter="", projection="", values={":a": {"S": "N"}}
    ) == ("Invalid FilterExpression: The expression can not be empty;")
    assert error(key_condition="", filter="a > b", projection="") == (
        "Invalid KeyConditionExpression: The expression can not be empty;"
    )
    assert error(filter="a > b", projection="") == (
        "Invalid ProjectionExpression: The expression can not be empty;"
    )


def test_java_hash_set_order() -> None:
    assert java_hash_set_order(["#b", "#a"], 2) == ["#a", "#b"]
    # "Aa" and "BB" share a Java hash code; same bucket keeps the given order.
    assert java_hash_set_order(["BB", "Aa"], 2) == ["BB", "Aa"]


# ---- resolution and the cache ------------------------------------------------------------------


def test_resolution_replaces_placeholders() -> None:
    compiled = compile_(
        condition="#a.#b[1] IN (:v, :w)",
        names={"#a": "x.y", "#b": "z"},
        values={":v": N1, ":w": {"S": "s"}},
    )
    assert compiled.condition == In(
        Path(("x.y", "z", 1)), (Literal(":v", N1), Literal(":w", {"S": "s"}))
    )


def test_cache_returns_same_tree_for_same_text() -> None:
    cache.clear()
    first = cache.condition("a = :v AND b = :w")
    assert cache.condition("a = :v AND b = :w") is first
    assert cache.parsed.cache_info().hits >= 1
    assert cache.update("SET a = :v") is cache.update("SET a = :v")
    assert cache.projection("a, b") is cache.projection("a, b")


def test_cached_tree_is_resolved_per_request() -> None:
    one = compile_(filter="a = :v", values={":v": N1}).filter
    two = compile_(filter="a = :v", values={":v": {"S": "x"}}).filter
    assert one == Compare("=", Path(("a",)), Literal(":v", N1))
    assert two == Compare("=", Path(("a",)), Literal(":v", {"S": "x"}))


def test_errors_are_not_cached() -> None:
    cache.clear()
    for _ in range(2):
        with pytest.raises(ExpressionProblem):
            cache.condition("status = :v")
    assert cache.parsed.cache_info().currsize == 0


# ---- dynalite's FilterExpression catalogue (test/scan.js, run against DynamoDB) ------------------

_SYNTAX = [
    "things are not gonna be ok",
    "a > 4",
    "attribute_exists(Pictures-RearView)",
    'attribute_exists("Pictures.RearView")',
    "attribute_exists(Pictures..RearView)",
    "attribute_exists(Pi#ctures.RearView)",
    "attribute_exists(asdf[a])",
    "a in b, c",
    "a > between",
    "a in b",
    "a in (b,c,)",
    "(a)between(b.(c.d))and(c)",
    "(a)between(b.c.d)and((c)",
    "#$.b > a",
    "a > :things.stuff",
    "b[:a] > a",
    "b[#_] > a",
    "ü > a",
    "(a)between(b.c[4.5].#d)and(:a)",
    "size(a).b > a",
    "(size(a)).b > a",
    "size(a)[0] > a",
    "(size(a))[0] > a",
]


@pytest.mark.parametrize("text", _SYNTAX)
def test_dynalite_filter_syntax_errors(text: str) -> None:
    assert error(filter=text).startswith("Invalid FilterExpression: Syntax error; ")


@pytest.mark.parametrize(
    "text",
    [
        "a=a and a > ((views))",
        "(a)between(((b.c)).d)and(c)",
        "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a",
        "a=a OR ((a=a OR a=a)) OR a=a",
        "a=a AND ((a=a AND (a=a AND a=a)))",
        "a=a OR ((a=a OR (a=a OR a=a)))",
    ],
)
def test_dynalite_redundant_parentheses(text: str) -> None:
    assert (
        error(filter=text) == "Invalid FilterExpression: The expression has redundant parentheses;"
    )


_TYPED_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("attribute_type(a, size(a)) and a=a and a=:a", "attribute_type", {"N": "1"}),
    ("attribute_type(a, :a)", "attribute_type", {"N": "1"}),
    ("attribute_type(a, :a)", "attribute_type", {"B": "YQ=="}),
    ("attribute_type(a, :a)", "attribute_type", {"NULL": True}),
    ("attribute_type(a, :a)", "attribute_type", {"BS": ["YQ=="]}),
    ("begins_with(a, size(a)) and a=:a", "begins_with", {"N": "1"}),
    ("begins_with(a, :a)", "begins_with", {"BOOL": True}),
    ("begins_with(a, :a)", "begins_with", {"SS": ["1"]}),
    ("begins_with(:a, a)", "begins_with", {"N": "1"}),
    ("begins_with(:a, a)", "begins_with", {"M": {}}),
    ("size(size(a)) > :a", "size", {"N": "1"}),
    ("attribute_not_exists(size(:a))", "size", {"N": "1"}),
    ("size(:a) > a", "size", {"BOOL": True}),
    ("size(:a) > a", "size", {"NULL": True}),
]

_MESSAGES: list[tuple[str, dict[str, Any] | None, str]] = [
    ("a=a and whatever((:things)) > a", None, "Invalid function name; function: whatever"),
    ("attRIbute_exIsts((views), #a)", None, "Invalid function name; function: attRIbute_exIsts"),
    *[
        (
            text,
            None,
            f"The function is not allowed to be used this way in an expression; function: {name}",
        )
        for text, name in [
            ("a=a and attribute_exists((views), (#a)) > b", "attribute_exists"),
            ("attribute_not_exists(things) > b", "attribute_not_exists"),
            ("attribute_type(things, :a) > b", "attribute_type"),
            ("begins_with(things, a) > b", "begins_with"),
            ("contains(:things, c) > b", "contains"),
            ("size(contains(a, b)) > a", "contains"),
            ("size(things)", "size"),
            ("a between b and attribute_exists(things)", "attribute_exists"),
            ("a in (b, attribute_exists(things))", "attribute_exists"),
        ]
    ],
    (
        "attribute_exists(views, #a)",
        None,
        "Attribute name is a reserved keyword; reserved keyword: views",
    ),
    (":a < abOrT", None, "Attribute name is a reserved keyword; reserved keyword: abOrT"),
    *[
        (
            text,
            None,
            f"An expression attribute name used in the document path is not defined; attribute name: {name}",
        )
        for text, name in [
            ("attribute_exists(#Pictures.RearView, :a) and a=a", "#Pictures"),
            ("begins_with(Pictures.#RearView)", "#RearView"),
            ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"),
            ("#4g > a", "#4g"),
            ("#_ > a", "#_"),
            ("(a)between(b.c[45].#d)and(:a)", "#d"),
        ]
    ],
    *[
        (
            text,
            None,
            f"An expression attribute value used in expression is not defined; attribute value: {name}",
        )
        for text, name in [
            ("begins_with(:hello, #a, #b)", ":hello"),
            (":a < :b", ":a"),
            (":_ > a", ":_"),
        ]
    ],
    *[
        (
            text,
            None,
            f"Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {count}",
        )
        for text, name, count in [
            ("attribute_exists(things, a) and a=a", "attribute_exists", 2),
            ("attribute_not_exists(things, b)", "attribute_not_exists", 2),
            ("attribute_type(things)", "attribute_type", 1),
            ("begins_with(things)", "begins_with", 1),
            ("begins_with(things, size(a), b)", "begins_with", 3),
            ("contains(things)", "contains", 1),
            ("size(things, a) > b", "size", 2),
        ]
    ],
    *[
        (
            text,
            {":a": value},
            f"Incorrect operand type for operator or function; operator or function: {name}, operand type: {next(iter(value))}",
        )
        for text, name, value in _TYPED_CASES
    ],
    (
        "attribute_exists(:a) and a=a",
        {":a": {"S": "1"}},
        "Operator or function requires a document path; operator or function: attribute_exists",
    ),
    (
        "attribute_not_exists(size(:a))",
        {":a": {"S": "1"}},
        "Operator or function requires a document path; operator or function: attribute_not_exists",
    ),
    *[
        (
            text,
            None,
            f"The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {path}",
        )
        for text, op, path in [
            ("a = a AND #a = b AND :views > a", "=", "[a]"),
            ("#a <> a", "<>", "[a]"),
            ("a > #a", ">", "[a]"),
            ("((a=a) OR (a=a))", "=", "[a]"),
            ("((a=a) AND (a=a))", "=", "[a]"),
            ("contains(ab.bc[1].a, ab.bc[1].#a)", "contains", "[ab, bc, [1], a]"),
            ("attribute_type(ab.bc[1].#a, ab.bc[1].a)", "attribute_type", "[ab, bc, [1], a]"),
            ("begins_with(ab.bc[1].a, ab.bc[1].#a)", "begins_with", "[ab, bc, [1], a]"),
        ]
    ],
]


@pytest.mark.parametrize(("text", "values", "message"), _MESSAGES)
def test_dynalite_filter_messages(text: str, values: dict[str, Any] | None, message: str) -> None:
    names = {"#a": "a"} if "#a" in text and "attribute name: #a" not in message else None
    with pytest.raises(DynamoError) as caught:
        compile_(filter=text, names=names, values=values)
    assert caught.value.message == f"Invalid FilterExpression: {message}"


# ---- key condition shape (dynalite's test/query.js, run against DynamoDB) -----------------------


def key_error(text: str, values: dict[str, Any] | None = None) -> str:
    tree = compile_(key_condition=text, values=values).key_condition
    assert tree is not None
    with pytest.raises(DynamoError) as caught:
        split_key_condition(tree)
    assert caught.value.message is not None
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("a > b and size(b) > c or a > c", "OR"),
        ("a in (b, size(c), d)", "IN"),
        ("attribute_exists(a)", "attribute_exists"),
        ("attribute_not_exists(a)", "attribute_not_exists"),
        ("contains(a.d, b)", "contains"),
        ("not a > b", "NOT"),
        ("a <> b", "<>"),
    ],
)
def test_key_condition_invalid_operators(text: str, operator: str) -> None:
    assert key_error(text) == f"Invalid operator used in KeyConditionExpression: {operator}"


def test_key_condition_shape_errors() -> None:
    two = {":a": {"S": "1"}, ":b": {"S": "1"}}
    assert key_error(":a between size(b) and size(a) and b > :b", two) == (
        "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
        "attribute as its first operand"
    )
    assert key_error("begins_with(:a, b) and a > :b", two) == (
        "Invalid condition in KeyConditionExpression: begins_with operator must have the key "
        "attribute as its first operand"
    )
    for text in [
        "size(b) > a AND a.b > b AND b > c",
        "a > size(b.d)",
        "a between size(b) and size(a)",
    ]:
        assert key_error(text) == "KeyConditionExpressions cannot contain nested operations"
    for text in ["b > a.b", "b between c[1] and d", "a between b and size(a)", "begins_with(a, b)"]:
        assert key_error(text) == (
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
        )
    for text in ["b.d > a AND c.d > e.f", "a.d > c", "b[0] > a"]:
        assert (
            key_error(text) == "KeyConditionExpressions cannot have conditions on nested attributes"
        )
    numbers = {":a": N1, ":b": N1}
    assert key_error(":b > :a AND a < :b", numbers) == (
        "Invalid condition in KeyConditionExpression: No key attribute specified"
    )
    assert key_error("b > :a AND b < :a and c = :a and d = :a", {":a": N1}) == (
        "KeyConditionExpressions must only contain one condition per key"
    )


def test_key_condition_split() -> None:
    values = {":p": {"S": "p"}, ":lo": N1, ":hi": {"N": "9"}, ":x": {"S": "x"}}
    compiled = compile_(
        key_condition="#pk = :p AND sk BETWEEN :lo AND :hi",
        names={"#pk": "pk"},
        values={k: values[k] for k in (":p", ":lo", ":hi")},
    )
    assert compiled.key_condition is not None
    assert split_key_condition(compiled.key_condition) == (
        KeyCondition("pk", "EQ", (Literal(":p", values[":p"]),)),
        KeyCondition("sk", "BETWEEN", (Literal(":lo", N1), Literal(":hi", values[":hi"]))),
    )
    compiled = compile_(
        key_condition=":x < sk AND begins_with(s2, :x)", values={":x": values[":x"]}
    )
    assert compiled.key_condition is not None
    assert split_key_condition(compiled.key_condition) == (
        KeyCondition("sk", "GT", (Literal(":x", values[":x"]),)),
        KeyCondition("s2", "BEGINS_WITH", (Literal(":x", values[":x"]),)),
    )


def test_deep_nesting_is_parsed_or_refused_cleanly() -> None:
    nested = "a = :v"
    for _ in range(299):
        nested = f"(NOT {nested})"
    assert len(nested) < 4096
    compile_(condition=nested, values=VALUES)  # 300 operators, 598 levels of nesting
    parens = "a = :v"
    for _ in range(149):
        parens = f"(a = :v AND {parens})"
    compile_(condition=parens, values=VALUES)  # 299 operators
    deep = "a = :v"
    for _ in range(400):
        deep = f"NOT ({deep})"
    assert error(condition=deep, values=VALUES) == (
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
    )
    sizes = "size(" * 350 + "a" + ")" * 350 + " > :v"
    assert error(condition=sizes, values=VALUES).endswith("operator count: 301")


def test_hostile_inputs_fail_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionProblem):
        parse_condition("(" * 4000 + "a")
    with pytest.raises(ExpressionProblem):
        parse_update("SET a = " + "(" * 4000)
    chain = "(" * 300 + "a = :v" + ") AND b = :v" * 300
    with pytest.raises(ExpressionProblem):
        parse_condition(chain)  # 600 operators
    assert time.perf_counter() - started < 2


# ---- round trip: render a random condition tree, parse it back -----------------------------------

_names = st.sampled_from(["x0", "y1", "zz", "#n0", "#n1"]).map(
    lambda n: NameRef(n) if n.startswith("#") else n
)
_paths = st.builds(
    lambda head, tail: RawPath((head, *tail)),
    _names,
    st.lists(st.one_of(_names, st.integers(min_value=0, max_value=99)), max_size=3),
)
_values = st.sampled_from([":v0", ":v1", ":w"]).map(ValueRef)
_operands = st.one_of(_paths, _values, _paths.map(lambda p: Call("size", (p,))))
_leaves = st.one_of(
    st.builds(Compare, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), _operands, _operands),
    st.builds(Between, _operands, _operands, _operands),
    st.builds(In, _operands, st.lists(_operands, min_size=1, max_size=3).map(tuple)),
    st.builds(lambda p, v: Call("begins_with", (p, v)), _paths, _values),
    st.builds(lambda p: Call("attribute_exists", (p,)), _paths),
)
_conditions = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)
    ),
    max_leaves=8,
)


def _render_path(path: RawPath) -> str:
    out = ""
    for element in path.elements:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            text = element.name if isinstance(element, NameRef) else element
            out += ("." if out else "") + text
    return out


def _render_operand(operand: Any) -> str:
    if isinstance(operand, RawPath):
        return _render_path(operand)
    if isinstance(operand, ValueRef):
        return operand.name
    return f"{operand.name}({', '.join(_render_operand(a) for a in operand.args)})"


def _render(node: Any) -> str:
    if isinstance(node, Or):
        right = _render(node.right)
        return f"{_render(node.left)} OR " + (f"({right})" if isinstance(node.right, Or) else right)
    if isinstance(node, And):
        left, right = _render(node.left), _render(node.right)
        left = f"({left})" if isinstance(node.left, Or) else left
        right = f"({right})" if isinstance(node.right, (And, Or)) else right
        return f"{left} AND {right}"
    if isinstance(node, Not):
        inner = _render(node.operand)
        return "NOT " + (f"({inner})" if isinstance(node.operand, (And, Or)) else inner)
    if isinstance(node, Compare):
        return f"{_render_operand(node.left)} {node.op} {_render_operand(node.right)}"
    if isinstance(node, Between):
        low, high = _render_operand(node.low), _render_operand(node.high)
        return f"{_render_operand(node.operand)} BETWEEN {low} AND {high}"
    if isinstance(node, In):
        choices = ", ".join(_render_operand(c) for c in node.choices)
        return f"{_render_operand(node.operand)} IN ({choices})"
    return _render_operand(node)


@settings(max_examples=300, deadline=None)
@given(_conditions)
def test_condition_round_trip(tree: Any) -> None:
    assert parse_condition(_render(tree)) == tree
