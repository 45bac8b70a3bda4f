"""ConditionExpression on PutItem, UpdateItem and DeleteItem, as DynamoDB evaluates it.

Pinned behaviour:
- Comparators (=, <>, <, <=, >, >=) compare numbers numerically, strings and binaries
  bytewise; comparing values of different types is false (no error) and `<>` is true for a
  missing attribute; `=` is deep on lists, maps and (order-free) sets.
- BETWEEN, IN, AND/OR/NOT with precedence NOT > AND > OR, parentheses.
- attribute_exists / attribute_not_exists (also on nested paths and list elements; the
  create-only-if-absent idiom), attribute_type, begins_with, contains (substring, set member,
  list element), size (string length, binary length, element counts).
- A false condition fails with ConditionalCheckFailedException "The conditional request
  failed" and changes nothing; with ReturnValuesOnConditionCheckFailure=ALL_OLD the error
  carries the existing item as `Item`.
- Expression errors carry DynamoDB's exact messages: syntax errors
  (`Syntax error; token: "<tok>", near: "<prev tok next>"`), reserved words used as names,
  undefined or unused #names / :values, invalid or wrongly-cased function names, wrong operand
  counts or types, redundant parentheses, non-distinct operands, BETWEEN bounds in the wrong
  order, invalid numbers in ExpressionAttributeValues, empty or malformed name/value maps.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

FAILED = ("ConditionalCheckFailedException", "The conditional request failed")

STORED: dict[str, Any] = {
    "pk": {"S": "cond"},
    "s": {"S": "hello world"},
    "e": {"S": ""},
    "n": {"N": "42"},
    "neg": {"N": "-7.5"},
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2", "3"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": [{"S": "y"}]}, {"M": {"k": {"S": "v"}}}]},
    "m": {"M": {"k": {"S": "v"}, "n": {"N": "5"}, "kid": {"M": {"deep": {"S": "d"}}}}},
    "dotted.name": {"S": "dot"},
}

VALUES: dict[str, Any] = {
    ":s": {"S": "hello world"},
    ":empty": {"S": ""},
    ":hel": {"S": "hel"},
    ":wor": {"S": "wor"},
    ":low": {"S": "lo w"},
    ":z": {"S": "z"},
    ":a": {"S": "a"},
    ":zz": {"S": "zz"},
    ":x": {"S": "x"},
    ":str42": {"S": "42"},
    ":n42": {"N": "42"},
    ":n42dec": {"N": "42.000"},
    ":n0": {"N": "0"},
    ":n1": {"N": "1"},
    ":n2": {"N": "2"},
    ":n3": {"N": "3"},
    ":n4": {"N": "4"},
    ":n11": {"N": "11"},
    ":n40": {"N": "40"},
    ":n43": {"N": "43"},
    ":n50": {"N": "50"},
    ":n100": {"N": "100"},
    ":nneg8": {"N": "-8"},
    ":b2": {"B": b"\x02"},
    ":b01": {"B": b"\x01"},
    ":b0102": {"B": b"\x01\x02"},
    ":true": {"BOOL": True},
    ":false": {"BOOL": False},
    ":null": {"NULL": True},
    ":ss": {"SS": ["c", "b", "a"]},
    ":ss2": {"SS": ["a", "b"]},
    ":l": {"L": [{"S": "x"}, {"N": "1.0"}, {"L": [{"S": "y"}]}, {"M": {"k": {"S": "v"}}}]},
    ":lshort": {"L": [{"S": "x"}]},
    ":m": {"M": {"kid": {"M": {"deep": {"S": "d"}}}, "n": {"N": "5"}, "k": {"S": "v"}}},
    ":lk": {"M": {"k": {"S": "v"}}},
    ":tS": {"S": "S"},
    ":tN": {"S": "N"},
    ":tB": {"S": "B"},
    ":tSS": {"S": "SS"},
    ":tNS": {"S": "NS"},
    ":tBS": {"S": "BS"},
    ":tBOOL": {"S": "BOOL"},
    ":tNULL": {"S": "NULL"},
    ":tL": {"S": "L"},
    ":tM": {"S": "M"},
}

NAME_RE = re.compile(r"#[A-Za-z0-9_]+")
VALUE_RE = re.compile(r":[A-Za-z0-9_]+")


@pytest.fixture(scope="module")
def cond_table(ddb: Any) -> Iterator[str]:
    """One table holding STORED, shared by the read-only condition checks of this module."""
    name = "cond-" + uuid.uuid4().hex[:12]
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=name, Item=STORED)
    yield name
    ddb.delete_table(TableName=name)


def used_values(expression: str) -> dict[str, Any]:
    return {v: VALUES[v] for v in set(VALUE_RE.findall(expression))}


def condition_holds(
    ddb: Any, table: str, expression: str, names: dict[str, str] | None = None
) -> bool:
    """Evaluate `expression` against STORED by re-putting the same item under it."""
    params: dict[str, Any] = {"ConditionExpression": expression}
    values = used_values(expression)
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    try:
        ddb.put_item(TableName=table, Item=STORED, **params)
    except ClientError as err:
        assert (
            err.response["Error"]["Code"],
            err.response["Error"]["Message"],
        ) == FAILED
        return False
    return True


TRUTH_TABLE = [
    # comparators
    ("s = :s", True),
    ("s <> :s", False),
    ("n = :n42", True),
    ("n = :n42dec", True),
    ("n = :str42", False),
    ("n <> :str42", True),
    ("n < :n100", True),
    ("n <= :n42", True),
    ("n > :n42", False),
    ("n >= :n42", True),
    ("neg < :n0", True),
    ("neg > :nneg8", True),
    ("s < :z", True),
    ("s > :z", False),
    ("b < :b2", True),
    ("b > :b01", True),
    ("n < :s", False),
    ("n > :s", False),
    ("nothing = :n42", False),
    ("nothing <> :n42", True),
    ("nothing < :n42", False),
    ("t = :true", True),
    ("t = :false", False),
    ("z = :null", True),
    ("e = :empty", True),
    ("ss = :ss", True),
    ("ss = :ss2", False),
    ("l = :l", True),
    ("l = :lshort", False),
    ("m = :m", True),
    ("m.n = :n4", False),
    ("m.kid.deep <> :a", True),
    ("l[3] = :lk", True),
    ("l[0] = :x", True),
    ("l[2][0] = :x", False),
    (":n42 = n", True),
    (":n40 < n", True),
    # BETWEEN and IN
    ("n BETWEEN :n40 AND :n50", True),
    ("n BETWEEN :n42 AND :n42", True),
    ("n BETWEEN :n43 AND :n50", False),
    ("s BETWEEN :a AND :z", True),
    ("n BETWEEN :a AND :z", False),
    ("n IN (:n1, :n42, :n100)", True),
    ("n IN (:n1, :n2)", False),
    ("n IN (:str42)", False),
    ("s IN (:s)", True),
    ("nothing IN (:n1, :n42)", False),
    ("n between :n40 and :n50", True),
    ("n in (:n42)", True),
    # AND / OR / NOT precedence
    ("n = :n42 OR n = :n1 AND n = :n2", True),
    ("(n = :n42 OR n = :n1) AND n = :n2", False),
    ("NOT n = :n42 AND n = :n1", False),
    ("NOT (n = :n42 AND n = :n1)", True),
    ("NOT n = :n42 OR n = :n42", True),
    ("NOT (n = :n42 OR n = :n42)", False),
    ("n = :n1 OR n = :n2 OR n = :n42", True),
    ("n = :n42 AND s = :s AND t = :true", True),
    ("n = :n42 and not s = :s", False),
    ("NOT NOT n = :n42", True),
    ("NOT attribute_exists(nothing)", True),
    # attribute_exists / attribute_not_exists
    ("attribute_exists(s)", True),
    ("attribute_exists(pk)", True),
    ("attribute_exists(nothing)", False),
    ("attribute_not_exists(nothing)", True),
    ("attribute_not_exists(s)", False),
    ("attribute_exists(z)", True),
    ("attribute_exists(e)", True),
    ("attribute_exists(m.kid.deep)", True),
    ("attribute_exists(m.kid.nope)", False),
    ("attribute_exists(m.k.deeper)", False),
    ("attribute_exists(l[3].k)", True),
    ("attribute_exists(l[9])", False),
    ("attribute_not_exists(l[4])", True),
    ("attribute_exists(s[0])", False),
    # attribute_type
    ("attribute_type(s, :tS)", True),
    ("attribute_type(n, :tS)", False),
    ("attribute_type(n, :tN)", True),
    ("attribute_type(b, :tB)", True),
    ("attribute_type(t, :tBOOL)", True),
    ("attribute_type(z, :tNULL)", True),
    ("attribute_type(ss, :tSS)", True),
    ("attribute_type(ns, :tNS)", True),
    ("attribute_type(bs, :tBS)", True),
    ("attribute_type(l, :tL)", True),
    ("attribute_type(m, :tM)", True),
    ("attribute_type(m.n, :tN)", True),
    ("attribute_type(nothing, :tS)", False),
    # begins_with
    ("begins_with(s, :hel)", True),
    ("begins_with(s, :wor)", False),
    ("begins_with(s, :empty)", True),
    ("begins_with(b, :b0102)", True),
    ("begins_with(b, :b2)", False),
    ("begins_with(nothing, :hel)", False),
    ("begins_with(n, :hel)", False),
    ("begins_with(l[0], :x)", True),
    # contains
    ("contains(s, :low)", True),
    ("contains(s, :zz)", False),
    ("contains(ss, :a)", True),
    ("contains(ss, :zz)", False),
    ("contains(ns, :n2)", True),
    ("contains(ns, :n42)", False),
    ("contains(bs, :b01)", True),
    ("contains(l, :x)", True),
    ("contains(l, :n1)", True),
    ("contains(l, :lk)", True),
    ("contains(l, :a)", False),
    ("contains(nothing, :a)", False),
    ("contains(n, :n42)", False),
    # size
    ("size(s) = :n11", True),
    ("size(e) = :n0", True),
    ("size(b) = :n3", True),
    ("size(ss) = :n3", True),
    ("size(ns) > :n2", True),
    ("size(bs) = :n2", True),
    ("size(l) = :n4", True),
    ("size(m) = :n3", True),
    ("size(m.kid) = :n1", True),
    ("size(l) < size(s)", True),
    ("size(s) BETWEEN :n1 AND :n11", True),
    # aliases
    ("#d = :x", False),
    ("attribute_exists(#d)", True),
    ("#m.#k = :a", False),
]


@pytest.mark.parametrize(("expression", "expected"), TRUTH_TABLE, ids=[e for e, _ in TRUTH_TABLE])
def test_condition_truth(ddb: Any, cond_table: str, expression: str, expected: bool) -> None:
    names = {
        n: {"#d": "dotted.name", "#m": "m", "#k": "k"}[n] for n in set(NAME_RE.findall(expression))
    }
    assert condition_holds(ddb, cond_table, expression, names or None) is expected


def test_dotted_alias_names_a_top_level_attribute(ddb: Any, cond_table: str) -> None:
    values = {":v": {"S": "dot"}}
    ddb.put_item(
        TableName=cond_table,
        Item=STORED,
        ConditionExpression="#d = :v",
        ExpressionAttributeNames={"#d": "dotted.name"},
        ExpressionAttributeValues=values,
    )


# --------------------------------------------------------------------------- write effects


def test_create_only_if_absent(ddb: Any, table: str) -> None:
    item = {"pk": {"S": "once"}, "v": {"N": "1"}}
    ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "once"}, "v": {"N": "2"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    assert error_of(excinfo) == FAILED
    assert (
        ddb.get_item(TableName=table, Key={"pk": {"S": "once"}}, ConsistentRead=True)["Item"]
        == item
    )


def test_attribute_exists_on_missing_item_fails(ddb: Any, table: str) -> None:
    calls: tuple[Callable[[], Any], ...] = (
        lambda: ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "m"}},
            ConditionExpression="attribute_exists(pk)",
        ),
        lambda: ddb.delete_item(
            TableName=table,
            Key={"pk": {"S": "m"}},
            ConditionExpression="attribute_exists(pk)",
        ),
        lambda: ddb.update_item(
            TableName=table,
            Key={"pk": {"S": "m"}},
            UpdateExpression="SET v = :v",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":v": {"N": "1"}},
        ),
    )
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == FAILED
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "m"}}, ConsistentRead=True)


def test_condition_on_missing_item_sees_no_attributes(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "new"}},
        ConditionExpression="attribute_not_exists(v) AND v <> :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )


def test_failed_condition_changes_nothing(ddb: Any, table: str) -> None:
    item = {"pk": {"S": "keep"}, "v": {"N": "1"}, "s": {"SS": ["a"]}}
    ddb.put_item(TableName=table, Item=item)
    key = {"pk": {"S": "keep"}}
    values = {":two": {"N": "2"}}
    attempts: list[Callable[[], Any]] = [
        lambda: ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "keep"}},
            ConditionExpression="v = :two",
            ExpressionAttributeValues=values,
        ),
        lambda: ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET v = :two REMOVE s",
            ConditionExpression="v = :two",
            ExpressionAttributeValues=values,
        ),
        lambda: ddb.delete_item(
            TableName=table,
            Key=key,
            ConditionExpression="v = :two",
            ExpressionAttributeValues=values,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert error_of(excinfo) == FAILED
        assert ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"] == item


def test_passing_condition_applies_the_write(ddb: Any, table: str) -> None:
    key = {"pk": {"S": "go"}}
    ddb.put_item(TableName=table, Item={"pk": {"S": "go"}, "v": {"N": "1"}})
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET v = :two",
        ConditionExpression="v = :one",
        ExpressionAttributeValues={":one": {"N": "1"}, ":two": {"N": "2"}},
    )
    assert ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["v"] == {"N": "2"}
    ddb.delete_item(
        TableName=table,
        Key=key,
        ConditionExpression="v = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    assert "Item" not in ddb.get_item(TableName=table, Key=key, ConsistentRead=True)


def test_condition_can_reference_the_key_and_other_attributes(ddb: Any, sorted_table: str) -> None:
    item = {"pk": {"S": "h"}, "sk": {"S": "r"}, "v": {"N": "1"}}
    ddb.put_item(TableName=sorted_table, Item=item)
    ddb.put_item(
        TableName=sorted_table,
        Item=item,
        ConditionExpression="pk = :h AND sk = :r AND v < :two",
        ExpressionAttributeValues={
            ":h": {"S": "h"},
            ":r": {"S": "r"},
            ":two": {"N": "2"},
        },
    )


@pytest.mark.parametrize("operation", ["put_item", "update_item", "delete_item"])
def test_return_values_on_condition_check_failure_all_old(
    ddb: Any, table: str, operation: str
) -> None:
    item = {"pk": {"S": "old"}, "v": {"N": "1"}, "l": {"L": [{"S": "a"}]}}
    ddb.put_item(TableName=table, Item=item)
    params: dict[str, Any] = {
        "TableName": table,
        "ConditionExpression": "v = :two",
        "ExpressionAttributeValues": {":two": {"N": "2"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if operation == "put_item":
        params["Item"] = {"pk": {"S": "old"}}
    else:
        params["Key"] = {"pk": {"S": "old"}}
    if operation == "update_item":
        params["UpdateExpression"] = "REMOVE v"
    with pytest.raises(ClientError) as excinfo:
        getattr(ddb, operation)(**params)
    assert error_of(excinfo) == FAILED
    assert excinfo.value.response["Item"] == item


def test_return_values_on_condition_check_failure_without_item(ddb: Any, table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "absent"}},
            ConditionExpression="attribute_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert error_of(excinfo) == FAILED
    assert "Item" not in excinfo.value.response


def test_return_values_on_condition_check_failure_none(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "x"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "x"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="NONE",
        )
    assert error_of(excinfo) == FAILED
    assert "Item" not in excinfo.value.response


def test_condition_on_update_sees_the_old_item(ddb: Any, table: str) -> None:
    key = {"pk": {"S": "ctr"}}
    ddb.put_item(TableName=table, Item={"pk": {"S": "ctr"}, "v": {"N": "1"}})
    for expected in ("1", "2", "3"):
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="ADD v :one",
            ConditionExpression="v = :cur",
            ExpressionAttributeValues={":one": {"N": "1"}, ":cur": {"N": expected}},
        )
    assert ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["v"] == {"N": "4"}


def test_concurrent_create_only_if_absent_has_one_winner(server: Any, table: str) -> None:
    """The condition and the write are one atomic step: of racing creators exactly one wins."""
    racers = 6
    clients = [server.client() for _ in range(racers)]  # created up front: not thread-safe
    barrier = threading.Barrier(racers)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def race(i: int) -> None:
        barrier.wait()
        try:
            clients[i].put_item(
                TableName=table,
                Item={"pk": {"S": "race"}, "winner": {"N": str(i)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            outcome = "won"
        except ClientError as err:
            outcome = err.response["Error"]["Code"]
        with lock:
            outcomes.append((i, outcome))

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, outcome in outcomes if outcome == "won"]
    assert len(outcomes) == racers and len(winners) == 1, outcomes
    assert all(o in ("won", "ConditionalCheckFailedException") for _, o in outcomes), outcomes
    stored = clients[0].get_item(TableName=table, Key={"pk": {"S": "race"}}, ConsistentRead=True)
    assert stored["Item"]["winner"] == {"N": str(winners[0])}


# --------------------------------------------------------------------------- expression errors


def put_error(ddb: Any, table: str, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName=table, Item={"pk": {"S": "err"}}, **params)
    code, message = error_of(excinfo)
    assert "Item" not in ddb.get_item(
        TableName=table, Key={"pk": {"S": "err"}}, ConsistentRead=True
    )
    return code, message


def invalid(message: str) -> tuple[str, str]:
    return ("ValidationException", "Invalid ConditionExpression: " + message)


SYNTAX_ERRORS = [
    ("foo", {}, 'Syntax error; token: "<EOF>", near: "foo"'),
    ("a+:d<b", {":d": {"N": "3"}}, 'Syntax error; token: "+", near: "a+:d"'),
]


@pytest.mark.parametrize(
    ("expression", "values", "message"),
    SYNTAX_ERRORS,
    ids=[s[0] for s in SYNTAX_ERRORS],
)
def test_syntax_error_message(
    ddb: Any, table: str, expression: str, values: dict[str, Any], message: str
) -> None:
    params: dict[str, Any] = {"ConditionExpression": expression}
    if values:
        params["ExpressionAttributeValues"] = values
    assert put_error(ddb, table, **params) == invalid(message)


@pytest.mark.parametrize(
    "expression",
    [
        "a = = :v",
        "a =",
        "(a = :v",
        "a = :v)",
        "a ~ :v",
        "a = :v AND",
        "a > 4",
        "a IN :v",
        "a IN (:v,)",
        "attribute_exists(a-b)",
        "attribute_exists(a..b)",
        "attribute_exists(a[x])",
        "_a = :v",
        "size(a).b > :v",
        "a = :v :v",
    ],
)
def test_syntax_errors(ddb: Any, table: str, expression: str) -> None:
    params: dict[str, Any] = {"ConditionExpression": expression}
    if ":v" in expression:
        params["ExpressionAttributeValues"] = {":v": {"N": "1"}}
    code, message = put_error(ddb, table, **params)
    assert code == "ValidationException"
    assert re.fullmatch(
        r'Invalid ConditionExpression: Syntax error; token: ".*", near: ".*"', message
    ), message


def test_empty_condition_expression(ddb: Any, table: str) -> None:
    assert put_error(ddb, table, ConditionExpression="") == invalid(
        "The expression can not be empty;"
    )


@pytest.mark.parametrize("word", ["status", "Status", "name", "size", "value"])
def test_reserved_word_as_name(ddb: Any, table: str, word: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression=f"{word} = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    ) == invalid(f"Attribute name is a reserved keyword; reserved keyword: {word}")


def test_reserved_word_through_alias_is_fine(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "st"}, "status": {"S": "on"}},
        ConditionExpression="attribute_not_exists(#s)",
        ExpressionAttributeNames={"#s": "status"},
    )


def test_undefined_name(ddb: Any, table: str) -> None:
    assert put_error(ddb, table, ConditionExpression="attribute_exists(#x)") == invalid(
        "An expression attribute name used in the document path is not defined; attribute name: #x"
    )


def test_undefined_value(ddb: Any, table: str) -> None:
    assert put_error(ddb, table, ConditionExpression="a = :x") == invalid(
        "An expression attribute value used in expression is not defined; attribute value: :x"
    )


def test_unused_name(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="attribute_exists(b)",
        ExpressionAttributeNames={"#a": "a"},
    ) == (
        "ValidationException",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}",
    )


def test_unused_value(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="b = :v",
        ExpressionAttributeValues={":v": {"N": "1"}, ":w": {"N": "2"}},
    ) == (
        "ValidationException",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
    )


def test_unused_names_listed_together(ddb: Any, table: str) -> None:
    code, message = put_error(
        ddb,
        table,
        ConditionExpression="attribute_exists(b)",
        ExpressionAttributeNames={"#a": "a", "#c": "c"},
    )
    assert code == "ValidationException"
    assert message in (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #c}",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#c, #a}",
    )


def test_names_without_expression(ddb: Any, table: str) -> None:
    assert put_error(ddb, table, ExpressionAttributeNames={"#a": "a"}) == (
        "ValidationException",
        "ExpressionAttributeNames can only be specified when using expressions",
    )


def test_values_without_expression(ddb: Any, table: str) -> None:
    assert put_error(ddb, table, ExpressionAttributeValues={":a": {"S": "a"}}) == (
        "ValidationException",
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null",
    )


def test_empty_names_map(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="attribute_exists(a)",
        ExpressionAttributeNames={},
    ) == ("ValidationException", "ExpressionAttributeNames must not be empty")


def test_empty_values_map(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="attribute_exists(a)",
        ExpressionAttributeValues={},
    ) == ("ValidationException", "ExpressionAttributeValues must not be empty")


def test_malformed_name_key(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="attribute_exists(a)",
        ExpressionAttributeNames={"a": "a"},
    ) == (
        "ValidationException",
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"',
    )


def test_malformed_value_key(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="attribute_exists(a)",
        ExpressionAttributeValues={"v": {"S": "a"}},
    ) == (
        "ValidationException",
        'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"',
    )


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ({"N": "abc"}, "The parameter cannot be converted to a numeric value: abc"),
        ({"N": ""}, "The parameter cannot be converted to a numeric value"),
        (
            {"N": "1e126"},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
        (
            {"SS": []},
            "One or more parameter values were invalid: An string set  may not be empty",
        ),
        (
            {"SS": ["a", "a"]},
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
        ),
        (
            {"NULL": False},
            "One or more parameter values were invalid: Null attribute value types must have the value of true",
        ),
    ],
    ids=["letters", "empty", "overflow", "dup-NS", "empty-SS", "dup-SS", "NULL-false"],
)
def test_invalid_expression_attribute_value(
    ddb: Any, table: str, value: dict[str, Any], detail: str
) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="a = :v",
        ExpressionAttributeValues={":v": value},
    ) == (
        "ValidationException",
        f"ExpressionAttributeValues contains invalid value: {detail} for key :v",
    )


@pytest.mark.parametrize(
    ("expression", "function"),
    [
        ("foo(a)", "foo"),
        ("Attribute_Exists(a)", "Attribute_Exists"),
        ("BEGINS_WITH(a, :v)", "BEGINS_WITH"),
    ],
)
def test_invalid_function_name(ddb: Any, table: str, expression: str, function: str) -> None:
    params: dict[str, Any] = {"ConditionExpression": expression}
    if ":v" in expression:
        params["ExpressionAttributeValues"] = {":v": {"S": "a"}}
    assert put_error(ddb, table, **params) == invalid(
        f"Invalid function name; function: {function}"
    )


@pytest.mark.parametrize(
    ("expression", "function", "count"),
    [
        ("attribute_exists(a, b)", "attribute_exists", 2),
        ("attribute_not_exists(a, b)", "attribute_not_exists", 2),
        ("attribute_type(a)", "attribute_type", 1),
        ("begins_with(a)", "begins_with", 1),
        ("contains(a)", "contains", 1),
        ("size(a, b) > c", "size", 2),
    ],
)
def test_wrong_operand_count(
    ddb: Any, table: str, expression: str, function: str, count: int
) -> None:
    assert put_error(ddb, table, ConditionExpression=expression) == invalid(
        "Incorrect number of operands for operator or function; "
        f"operator or function: {function}, number of operands: {count}"
    )


@pytest.mark.parametrize(
    ("expression", "value", "function", "type_name"),
    [
        ("begins_with(a, :v)", {"N": "1"}, "begins_with", "N"),
        ("begins_with(a, :v)", {"BOOL": True}, "begins_with", "BOOL"),
        ("begins_with(:v, a)", {"L": []}, "begins_with", "L"),
        ("attribute_type(a, :v)", {"N": "1"}, "attribute_type", "N"),
        ("size(:v) > a", {"BOOL": True}, "size", "BOOL"),
        ("size(:v) > a", {"NULL": True}, "size", "NULL"),
    ],
)
def test_wrong_operand_type(
    ddb: Any,
    table: str,
    expression: str,
    value: dict[str, Any],
    function: str,
    type_name: str,
) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression=expression,
        ExpressionAttributeValues={":v": value},
    ) == invalid(
        f"Incorrect operand type for operator or function; operator or function: {function}, operand type: {type_name}"
    )


def test_invalid_attribute_type_name(ddb: Any, table: str) -> None:
    code, message = put_error(
        ddb,
        table,
        ConditionExpression="attribute_type(a, :t)",
        ExpressionAttributeValues={":t": {"S": "X"}},
    )
    assert code == "ValidationException"
    match = re.fullmatch(
        r"Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: \{(.*)\}",
        message,
    )
    assert match, message
    assert sorted(match.group(1).split(",")) == sorted(
        ["B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M"]
    )


@pytest.mark.parametrize(
    ("expression", "function"),
    [
        ("size(a)", "size"),
        ("attribute_not_exists(a) = b", "attribute_not_exists"),
        ("begins_with(a, b) > c", "begins_with"),
        ("a IN (b, attribute_exists(c))", "attribute_exists"),
    ],
)
def test_function_used_the_wrong_way(ddb: Any, table: str, expression: str, function: str) -> None:
    assert put_error(ddb, table, ConditionExpression=expression) == invalid(
        f"The function is not allowed to be used this way in an expression; function: {function}"
    )


def test_function_needs_a_path(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="attribute_exists(:v)",
        ExpressionAttributeValues={":v": {"S": "a"}},
    ) == invalid(
        "Operator or function requires a document path; operator or function: attribute_exists"
    )


@pytest.mark.parametrize(
    ("expression", "operator", "operand"),
    [
        ("a = a", "=", "[a]"),
        ("a <> #a", "<>", "[a]"),
        ("contains(b.c[1], b.c[1])", "contains", "[b, c, [1]]"),
    ],
)
def test_operands_must_be_distinct(
    ddb: Any, table: str, expression: str, operator: str, operand: str
) -> None:
    params: dict[str, Any] = {"ConditionExpression": expression}
    if "#a" in expression:
        params["ExpressionAttributeNames"] = {"#a": "a"}
    assert put_error(ddb, table, **params) == invalid(
        "The first operand must be distinct from the remaining operands for this operator or function; "
        f"operator: {operator}, first operand: {operand}"
    )


def test_between_bounds_in_wrong_order(ddb: Any, table: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression="a BETWEEN :hi AND :lo",
        ExpressionAttributeValues={":hi": {"N": "5"}, ":lo": {"N": "1"}},
    ) == invalid(
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
        "lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"
    )


@pytest.mark.parametrize("expression", ["((a = :v))", "a = :v AND ((b = :v))"])
def test_redundant_parentheses(ddb: Any, table: str, expression: str) -> None:
    assert put_error(
        ddb,
        table,
        ConditionExpression=expression,
        ExpressionAttributeValues={":v": {"N": "1"}},
    ) == invalid("The expression has redundant parentheses;")


def test_expression_errors_also_on_update_and_delete(ddb: Any, table: str) -> None:
    key = {"pk": {"S": "err"}}
    calls: tuple[Callable[[], Any], ...] = (
        lambda: ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET a = :v",
            ConditionExpression="status = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
        ),
        lambda: ddb.delete_item(
            TableName=table,
            Key=key,
            ConditionExpression="status = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
        ),
    )
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == invalid(
            "Attribute name is a reserved keyword; reserved keyword: status"
        )
    assert "Item" not in ddb.get_item(TableName=table, Key=key, ConsistentRead=True)
