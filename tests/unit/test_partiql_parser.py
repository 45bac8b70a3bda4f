"""The PartiQL parser, value binding, request planning and reply shaping (opendynamo/partiql).

Messages are DynamoDB's: the "wasn't well formed" details and refusals pinned against the
service by other DynamoDB-compatible projects, and DynamoDB Local's message catalogue.
"""

from __future__ import annotations

from typing import Any

import pytest

from opendynamo import errors, expr
from opendynamo.expr import cache
from opendynamo.partiql import ast, parse
from opendynamo.partiql.plan import Keys, Request
from opendynamo.partiql.reads import plan_key_read, plan_read
from opendynamo.partiql.results import add_capacity, decode_token, encode_token, unnest
from opendynamo.partiql.values import bind, bind_item
from opendynamo.partiql.writes import plan_exists, plan_write

WELL = "Statement wasn't well formed, can't be processed: "
TABLE = Keys(("pk",), (), {"pk": "S"})
SORTED = Keys(("pk",), ("sk",), {"pk": "S", "sk": "N"})


def message(statement: str) -> str:
    with pytest.raises(errors.DynamoError) as excinfo:
        parse(statement)
    assert excinfo.value.type_name == "ValidationException"
    return excinfo.value.message or ""


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(errors.DynamoError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.message or ""


def trees(
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    **texts: str,
) -> expr.Expressions:
    """The trees DynamoDB's expression parser makes of `texts` (condition=..., update=..., ...),
    with these placeholders: what a plan must hold to mean what the texts say."""
    parsed: dict[str, Any] = {}
    for kind, text in texts.items():
        if kind == "update":
            parsed[kind] = cache.update(text)
        elif kind == "projection":
            parsed[kind] = cache.projection(text)
        else:
            parsed[kind] = cache.condition(text)
    return expr.Expressions(**parsed, names=names or {}, values=values or {})


def condition(text: str) -> expr.Condition:
    return cache.condition(text)


def select(text: str) -> ast.Select:
    statement = parse(text).statement
    assert isinstance(statement, ast.Select)
    return statement


# ---- parsing ----------------------------------------------------------------------------


def test_select_parts() -> None:
    parsed = parse('SELECT a, "b".c[2] FROM "T"."idx" WHERE pk = ? AND x > 1 ORDER BY sk DESC')
    statement = parsed.statement
    assert isinstance(statement, ast.Select)
    assert parsed.parameter_count == 1 and parsed.is_read
    assert statement.source == ast.Source("T", "idx")
    assert [p.elements for p in statement.projection or ()] == [("a",), ("b", "c", 2)]
    assert statement.order_by[0].descending
    assert isinstance(statement.where, ast.Binary) and statement.where.op == "AND"


def test_select_star_and_keywords_are_case_insensitive() -> None:
    statement = select("select * from t where PK = 'x'")
    assert statement.projection is None
    assert statement.source == ast.Source("t", None)


def test_insert_update_delete_and_exists() -> None:
    insert = parse("INSERT INTO \"T\" VALUE {'pk': 'a', 'n': -1.5e2}").statement
    assert isinstance(insert, ast.Insert) and isinstance(insert.value, ast.TupleLit)
    update = parse(
        "UPDATE T SET a = 1, b = b + 1 REMOVE c SET d = 2 WHERE pk = 'x' RETURNING MODIFIED NEW *"
    ).statement
    assert isinstance(update, ast.Update)
    assert [type(a).__name__ for a in update.actions] == [
        "SetAssign",
        "SetAssign",
        "RemovePath",
        "SetAssign",
    ]
    assert update.returning == "MODIFIED NEW"
    delete = parse("DELETE FROM T WHERE pk = 'x' RETURNING ALL OLD *").statement
    assert isinstance(delete, ast.Delete) and delete.returning == "ALL OLD"
    exists = parse("EXISTS(SELECT * FROM T WHERE pk = 'x' AND a IS MISSING)").statement
    assert isinstance(exists, ast.Exists)


def test_from_first_update_form() -> None:
    statement = parse("FROM T WHERE pk = 'x' SET c = 1").statement
    assert isinstance(statement, ast.Update) and statement.where is not None


def test_literals_and_comments() -> None:
    statement = select(
        "SELECT * FROM T -- a comment\nWHERE a IN [1, 'two', true, null, <<1, 2>>, {'k': [3]}]"
        " /* block */"
    )
    where = statement.where
    assert isinstance(where, ast.InList) and where.items is not None
    kinds = [type(item).__name__ for item in where.items]
    assert kinds == ["Lit", "Lit", "Lit", "Lit", "BagLit", "TupleLit"]


def test_quoted_identifiers_and_strings_unescape() -> None:
    statement = select("""SELECT "we""ird" FROM "T" WHERE a = 'it''s'""")
    assert statement.projection is not None
    path = statement.projection[0]
    assert isinstance(path, ast.Path) and path.root == 'we"ird'
    where = statement.where
    assert isinstance(where, ast.Binary) and isinstance(where.right, ast.Lit)
    assert where.right.text == "it's"


def test_parse_is_cached_by_text() -> None:
    assert parse("SELECT * FROM T") is parse("SELECT * FROM T")


@pytest.mark.parametrize(
    ("statement", "detail"),
    [
        ("SELECT * FROM T WHERE pk = 1 foo", "Unexpected token after expression"),
        ("SELECT * FROM T WHERE pk = 1 e5", "Unexpected token after expression"),
        ("SELECT * FROM T WHERE pk = 1)", "Unexpected token after expression"),
        ("DELETE FROM T WHERE pk = 1 ORDER BY pk", "Unexpected token after expression"),
        ("SELECT * FROM T ORDER BY pk WHERE pk = 1", "Unexpected token after expression"),
        ("INSERT INTO T t VALUE {'pk': 1}", "Unexpected token after expression"),
        ("SELECT * FROM T WHERE", "Unexpected term"),
        ("SELECT * FROM T WHERE;", "Unexpected term"),
        ("SELECT * FROM T WHERE NOT", "Unexpected term"),
        ("SELECT * FROM T WHERE (", "Unexpected term"),
        ("SELECT * FROM", "Unexpected term"),
        (
            "SELECT * FROM T WHERE pk = 'a' AND",
            "Missing right-hand side expression of infix operator",
        ),
        (
            "SELECT * FROM T WHERE pk = 'a' OR",
            "Missing right-hand side expression of infix operator",
        ),
        ("SELECT * FROM T WHERE ORDER BY pk", "Unexpected keyword"),
        ("SELECT * FROM T WHERE IS NULL", "Unexpected operator"),
        ("SELECT * FROM T WHERE pk = LIKE", "Unexpected operator"),
        ("SELECT * FROM T WHERE x IS FOO", "Expected type name"),
        ("DELETE FROM", "Expected identifier for simple path"),
        ("DELETE FROM WHERE pk = 'a'", "Expected identifier for simple path"),
        ('SLECT * FROM "Users"', "Expected data manipulation"),
        ("SELECT * FROM T WHERE m.inner = 1", "Invalid path dot component"),
        ("SELECT * FROM T WHERE pk = 1e2147483648", ""),
        ("SELECT * FROM T WHERE pk = 1.5e-2147483647", ""),
        ("SELECT * FROM T WHERE pk = 1 # note", ""),
        ("SELECT * FROM T WHERE pk = 1 /* note", ""),
        ("SELECT * FROM T WHERE pk = 'open", ""),
    ],
)
def test_statements_that_are_not_well_formed(statement: str, detail: str) -> None:
    assert message(statement) == WELL + detail


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT * FROM \"T\" t WHERE pk = 'x'", "Aliasing is not supported"),
        ("SELECT * FROM \"T\" AS t WHERE pk = 'x'", "Aliasing is not supported"),
        ("UPDATE \"T\" t SET a = 3 WHERE pk = 'x'", "Aliasing is not supported"),
        ("DELETE FROM \"T\" t WHERE pk = 'x'", "Aliasing is not supported"),
        ("x IS INT4", "Unsupported operation: IsType"),
        ("x IS DOUBLE PRECISION", "Unsupported operation: IsType"),
        ("1 + 2", "Unsupported operation: Plus"),
        (
            "SELECT *, a FROM T",
            "Other attributes should not be present in the projection when '*' is used.",
        ),
        ("SELECT VALUE a FROM T", "Select projection doesn't support value or pivot keywords"),
        ("SELECT * FROM T, U", "Only select from a single table or index is supported."),
        (
            'SELECT * FROM "T"."i"."x" WHERE pk = \'p\'',
            "A path may contain at most 2 components in the FROM clause",
        ),
        ('SELECT * FROM "T"."" WHERE pk = \'p\'', "Path component cannot be an empty string"),
        (
            'UPDATE "T"."i" SET a = 1 WHERE pk = \'p\'',
            "FROM clause may only contain a single table name in data manipulation statements",
        ),
        (
            "INSERT INTO T VALUE {'pk': 'a'} RETURNING ALL OLD *",
            "RETURNING is not supported in INSERT",
        ),
        (
            "INSERT INTO T << {'pk': 'a'} >>",
            "Unsupported operation: Inserting multiple items in "
            'a single statement is not supported, use "INSERT INTO tableName VALUE item" instead',
        ),
        (
            "UPDATE T SET a = 1 WHERE pk = 'x' RETURNING ALL NEW",
            "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
        ),
        ("SELECT * FROM T WHERE pk = 'x' LIMIT 10", "Unsupported clause: LIMIT"),
    ],
)
def test_statements_dynamodb_refuses(statement: str, expected: str) -> None:
    assert message(statement) == expected


def test_positions_are_line_column_length() -> None:
    statement = select("SELECT *\n  FROM T WHERE begins_with(a, 'x')")
    where = statement.where
    assert isinstance(where, ast.Call)
    assert where.at == "2:16:11"


# ---- values -----------------------------------------------------------------------------


def test_values_become_attribute_values() -> None:
    statement = parse(
        "INSERT INTO T VALUE {'pk': ?, 'n': 1.50, 'neg': -2, 'b': true, 'z': null, "
        "'l': [1, 'a'], 'm': {'x': {'y': 0}}, 'ss': <<'a', 'b'>>, 'ns': <<1, 2.0>>}"
    ).statement
    assert isinstance(statement, ast.Insert)
    item = bind_item(statement.value, [{"S": "key"}])
    assert item == {
        "pk": {"S": "key"},
        "n": {"N": "1.5"},
        "neg": {"N": "-2"},
        "b": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [{"N": "1"}, {"S": "a"}]},
        "m": {"M": {"x": {"M": {"y": {"N": "0"}}}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "{'pk': 1e126}",
            "Number overflow. Attempting to store a number with magnitude larger "
            "than supported range under root",
        ),
        (
            "{'pk': 1, 'm': {'x': 1e126}}",
            "Number overflow. Attempting to store a number with "
            "magnitude larger than supported range under root.x",
        ),
        (
            "{'pk': 1, 'l': [1, 1e-131]}",
            "Number underflow. Attempting to store a number with "
            "magnitude smaller than supported range under root[1]",
        ),
        ("{'pk': 1, 's': <<>>}", "Empty bags are not supported"),
        (
            "{'pk': 1, 's': <<1, 'a'>>}",
            "Unsupported data type in Bag. DynamoDB only supports "
            "either numbers or strings in bags",
        ),
        (
            "{'pk': 1, 's': <<'x', 'x'>>}",
            "One or more parameter values were invalid: Input "
            "collection [x, x] contains duplicates.",
        ),
        ("{'pk': 1, 'pk': 2}", "Duplicate keys in tuple. Key: pk under root"),
        (
            "{'pk': 1, 'ss': set_add(<<'a'>>, <<'b'>>)}",
            "Unsupported data type: set_add under key root at 1:37:7",
        ),
        (
            "[1, 2]",
            "Unsupported format in item expression. Please use struct format {...} to "
            "express item values for insert statement.",
        ),
    ],
)
def test_value_problems_name_where_they_are(value: str, expected: str) -> None:
    statement = parse(f"INSERT INTO T VALUE {value}").statement
    assert isinstance(statement, ast.Insert)
    assert refusal(bind_item, statement.value, []) == expected


def test_missing_is_only_compared_with_is() -> None:
    assert refusal(bind, ast.Missing("1:1:7"), []) == "MISSING must be compared using IS operator"


# ---- SELECT plans -----------------------------------------------------------------------


def test_full_key_select_is_a_get_item() -> None:
    plan = plan_read(
        select("SELECT a, b FROM T WHERE sk = 3 AND pk = ?"), [{"S": "x"}], SORTED, table_read=True
    )
    assert plan.operation == "GetItem" and plan.post is None
    (request,) = plan.requests
    assert request.body["Key"] == {"pk": {"S": "x"}, "sk": {"N": "3"}}
    assert request.expressions == trees(projection="#n0, #n1", names={"#n0": "a", "#n1": "b"})


def test_full_key_with_more_conditions_filters_after_the_read() -> None:
    plan = plan_read(
        select("SELECT a FROM T WHERE pk = 'x' AND sk = 1 AND a > 2"), [], SORTED, table_read=True
    )
    assert plan.operation == "GetItem"
    assert plan.post == trees(
        filter="#n0 > :v0",
        projection="#n0",
        names={"#n0": "a"},
        values={":v0": {"N": "2"}},
    )


def test_partition_equality_is_a_query_with_sort_key_condition_and_filter() -> None:
    plan = plan_read(
        select(
            "SELECT * FROM T WHERE pk = 'x' AND sk BETWEEN 1 AND 5 AND a = 'y' ORDER BY sk DESC"
        ),
        [],
        SORTED,
        table_read=True,
    )
    assert plan.operation == "Query" and plan.post is None
    (request,) = plan.requests
    assert request.expressions.key_condition == condition("#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2")
    assert request.expressions.filter == condition("#n2 = :v3")
    assert request.body["ScanIndexForward"] is False


@pytest.mark.parametrize(
    "condition", ["sk > 2", "2 < sk", "sk <= 2", "begins_with(sk, 2)", "sk = 2"]
)
def test_sort_key_conditions_in_the_key_condition(condition: str) -> None:
    plan = plan_read(
        select(f"SELECT * FROM T WHERE pk = 'x' AND {condition}"), [], SORTED, table_read=False
    )
    assert plan.operation == "Query"
    assert plan.requests[0].expressions.filter is None


def test_other_key_conditions_filter_after_the_read() -> None:
    plan = plan_read(
        select("SELECT * FROM T WHERE pk = 'x' AND sk <> 2"), [], SORTED, table_read=True
    )
    assert plan.operation == "Query"
    assert plan.requests[0].expressions.filter is None
    assert plan.post is not None and plan.post.filter == condition("#n0 <> :v0")


def test_without_partition_equality_it_is_a_scan_of_the_whole_where() -> None:
    plan = plan_read(select("SELECT * FROM T WHERE pk > 'x' OR a = 1"), [], SORTED, table_read=True)
    assert plan.operation == "Scan"
    assert plan.requests[0].expressions.filter == condition("(#n0 > :v0) OR (#n1 = :v1)")
    assert plan.filter_names == {"pk", "a"}


def test_in_on_the_partition_key_is_one_query_per_value() -> None:
    plan = plan_read(
        select("SELECT * FROM T WHERE pk IN ['b', 'a', 'b'] ORDER BY pk DESC"),
        [],
        TABLE,
        table_read=True,
    )
    assert plan.operation == "Query"
    values = [r.expressions.values[":v0"]["S"] for r in plan.requests]
    assert values == ["b", "a"]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "SELECT * FROM T ORDER BY pk",
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ),
        (
            "SELECT * FROM T WHERE a = 1 ORDER BY pk",
            "Must have at least one non-optional hash "
            "key condition in WHERE clause when using ORDER BY clause.",
        ),
        (
            "SELECT * FROM T WHERE pk = 'x' ORDER BY a",
            "Variable reference a in ORDER BY clause must be part of the primary key",
        ),
        (
            "SELECT * FROM T WHERE pk IN ['x', 'y'] ORDER BY sk",
            "Must have hash key in ORDER BY "
            "clause when more than one hash key condition specified in WHERE clause.",
        ),
        ("SELECT size(a) FROM T", "Unexpected path component at 1:8:4"),
        ("SELECT a, a FROM T", "Duplicate identifiers in select clause: a"),
        ("SELECT * FROM T WHERE EXISTS(a)", "Unrecognized function: exists at 1:23:6"),
        (
            "SELECT * FROM T WHERE attribute_exists()",
            "Incorrect number of operands for operator "
            "or function; operator or function: attribute_exists, number of operands: 0",
        ),
        ("SELECT * FROM T WHERE a = MISSING", "MISSING must be compared using IS operator"),
        (
            "SELECT * FROM T WHERE a IS BAG",
            "Unsupported data type for IS operator: BAG. "
            "Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, "
            "TUPLE, LIST]",
        ),
    ],
)
def test_select_refusals(statement: str, expected: str) -> None:
    assert refusal(plan_read, select(statement), [], SORTED, table_read=True) == expected


def test_is_becomes_attribute_functions() -> None:
    plan = plan_read(
        select(
            "SELECT * FROM T WHERE a IS MISSING AND b IS NOT MISSING AND c IS NULL "
            "AND d IS NOT STRING"
        ),
        [],
        SORTED,
        table_read=True,
    )
    assert plan.requests[0].expressions.filter == condition(
        "(((attribute_not_exists(#n0)) AND (attribute_exists(#n1))) AND "
        "(attribute_type(#n2, :v0))) AND (NOT (attribute_type(#n3, :v1)))"
    )


def test_key_reads_take_the_full_key_and_nothing_else() -> None:
    plan = plan_key_read(select("SELECT * FROM T WHERE pk = 'x' AND sk = 1"), [], SORTED, "no")
    assert plan.requests[0].body["Key"] == {"pk": {"S": "x"}, "sk": {"N": "1"}}
    assert (
        refusal(plan_key_read, select("SELECT * FROM T WHERE pk = 'x'"), [], SORTED, "no") == "no"
    )
    assert (
        refusal(
            plan_key_read,
            select("SELECT * FROM T WHERE pk = 'x' AND sk = 1 AND a = 1"),
            [],
            SORTED,
            "no",
        )
        == "no"
    )


def test_exists_is_a_condition_check_on_an_existing_item() -> None:
    exists = parse("EXISTS(SELECT * FROM T WHERE pk = 'x' AND a = 1)").statement
    assert isinstance(exists, ast.Exists)
    request = plan_exists(exists, [], TABLE)
    assert request.body["Key"] == {"pk": {"S": "x"}}
    assert request.expressions.condition == condition("attribute_exists(#n0) AND (#n1 = :v0)")
    bare = parse("EXISTS(SELECT * FROM T WHERE pk = 'x')").statement
    assert isinstance(bare, ast.Exists)
    assert refusal(plan_exists, bare, [], TABLE) == (
        "EXISTS() must contain a single item read with additional condition"
    )


# ---- write plans ------------------------------------------------------------------------


def write(text: str, keys: Keys = SORTED, params: list[Any] | None = None) -> Request:
    statement = parse(text).statement
    assert isinstance(statement, ast.Insert | ast.Update | ast.Delete)
    return plan_write(statement, params or [], keys).request


def test_insert_is_a_conditional_put() -> None:
    request = write("INSERT INTO T VALUE {'pk': 'a', 'sk': 1, 'x': 'y'}")
    assert request.expressions == trees(condition="attribute_not_exists(#n0)", names={"#n0": "pk"})


def test_update_is_a_conditional_update_item() -> None:
    request = write(
        "UPDATE T SET a = 1, b = b + 1, l = list_append(l, [2]) REMOVE c "
        "SET s = set_add(s, <<'x'>>), t = set_delete(t, <<3>>) "
        "WHERE pk = 'a' AND sk = 1 AND a < 5 RETURNING MODIFIED OLD *"
    )
    assert request.body["Key"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}
    assert request.expressions.update == cache.update(
        "SET #n0 = :v0, #n1 = #n1 + :v1, #n2 = list_append(#n2, :v2) REMOVE #n3 "
        "ADD #n4 :v3 DELETE #n5 :v4"
    )
    assert request.expressions.condition == condition("attribute_exists(#n6) AND (#n0 < :v5)")
    assert request.body["ReturnValues"] == "UPDATED_OLD"


def test_delete_condition_spares_a_missing_item() -> None:
    request = write("DELETE FROM T WHERE pk = 'a' AND sk = 1 AND a = 2")
    assert request.expressions.condition == condition("attribute_not_exists(#n0) OR (#n1 = :v0)")
    assert write("DELETE FROM T WHERE pk = 'a' AND sk = 1").expressions.condition is None


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "DELETE FROM T WHERE pk = 'a'",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "UPDATE T SET a = 1 WHERE a = 1",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "FROM T SET c = 1",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "DELETE FROM T WHERE pk = 'a' AND pk = 'b' AND sk = 1",
            "Multiple conditions on same "
            "key pk. Only single item Update/Insert/Delete are supported",
        ),
        (
            "DELETE FROM T WHERE pk = 'a' AND sk = 1 RETURNING MODIFIED OLD *",
            "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is "
            "allowed in DELETE statements.",
        ),
        ("INSERT INTO T VALUE {'pk': 'a'}", "Key attribute should be present in the item: Key sk"),
        (
            "INSERT INTO T VALUE {'pk': 'a', 'sk': 'b'}",
            "Key attribute's data type should match its data type in table's schema: Key sk",
        ),
        (
            "DELETE FROM T WHERE pk = 'a' AND sk = [1]",
            "Key value must be of type S, N, or B. Key name: sk, Key type: LIST",
        ),
        (
            "UPDATE T SET t = set_add(s, <<'x'>>) WHERE pk = 'a' AND sk = 1",
            "The first argument to SET_ADD must equal the assignment value at 1:18:7",
        ),
        (
            "UPDATE T SET s = set_add(s, 'x') WHERE pk = 'a' AND sk = 1",
            "The second argument to SET_ADD must be a value with type SET at 1:26:1",
        ),
        (
            "UPDATE T SET s = set_delete(s) WHERE pk = 'a' AND sk = 1",
            "SET_DELETE must have exactly two arguments at 1:18:10",
        ),
        (
            "UPDATE T SET s = upper(s) WHERE pk = 'a' AND sk = 1",
            "Unrecognized function: upper at 1:18:5",
        ),
        ("UPDATE T SET 1 = 2 WHERE pk = 'a' AND sk = 1", "Unrecognized assignment target: Lit"),
    ],
)
def test_write_refusals(statement: str, expected: str) -> None:
    assert refusal(write, statement) == expected


# ---- replies ----------------------------------------------------------------------------


def test_selected_paths_are_named_by_their_last_step() -> None:
    statement = select("SELECT a, m.x, m.l[1], l[0], l[2] FROM T")
    paths = statement.projection
    assert paths is not None
    projected = {
        "a": {"S": "1"},
        "m": {"M": {"x": {"N": "2"}, "l": {"L": [{"N": "3"}]}}},
        "l": {"L": [{"S": "first"}, {"S": "third"}]},
    }
    assert unnest(projected, [p for p in paths if isinstance(p, ast.Path)]) == {
        "a": {"S": "1"},
        "x": {"N": "2"},
        "l[1]": {"N": "3"},
        "l[0]": {"S": "first"},
        "l[2]": {"S": "third"},
    }


def test_next_tokens_round_trip_and_belong_to_their_statement() -> None:
    token = encode_token("abc", 2, {"pk": {"S": "x"}})
    assert decode_token(token, "abc") == (2, {"pk": {"S": "x"}})
    assert refusal(decode_token, token, "other") == "NextToken does not match request"
    assert refusal(decode_token, "not a token!", "abc") == "Invalid NextToken"


def test_capacity_of_several_reads_adds_up() -> None:
    one = {"TableName": "T", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}
    assert add_capacity(one, one) == {
        "TableName": "T",
        "CapacityUnits": 1.0,
        "Table": {"CapacityUnits": 1.0},
    }
