"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction over the wire, as DynamoDB
behaves.

Pinned behaviour (AWS developer guide "PartiQL for DynamoDB": ql-reference.select/insert/
update/delete, ql-functions, ql-operators, the three API references; messages from DynamoDB's
PartiQL message catalogue and as recorded against the service by other DynamoDB-compatible
projects; features.md §10):

ExecuteStatement
- SELECT returns `Items` (``[]`` when nothing matches). With the full primary key it reads one
  item; with equality on the partition key it reads that partition (sort-key conditions narrow
  it, `ORDER BY <sort key> DESC` reverses it); `pk IN [...]` reads each partition; anything else
  scans the table with the WHERE as a filter. `Limit` bounds the items evaluated; a page that
  stops early carries `NextToken` (and `LastEvaluatedKey`), and following the tokens reads every
  item exactly once. A token given with another statement: "NextToken does not match request".
- A SELECT list names each column after the path's last step (`m.x` is `x`, `l[1]` is `l[1]`).
- INSERT INTO "t" VALUE {...} creates the item; an existing key fails with
  DuplicateItemException "Duplicate primary key exists in table". Values: 'strings', numbers
  (normalised), true/false, NULL, [lists], {'maps': ...}, <<sets>>, and `?` parameters.
- UPDATE ... SET / REMOVE (arithmetic, list_append, set_add, set_delete) WHERE <full key>
  [AND conditions] [RETURNING ALL|MODIFIED OLD|NEW *]: RETURNING answers in `Items`; a missing
  item or a false condition fails with ConditionalCheckFailedException (with `Item` when
  ReturnValuesOnConditionCheckFailure=ALL_OLD).
- DELETE FROM ... WHERE <full key> [AND conditions] [RETURNING ALL OLD *]: a missing item is
  deleted silently even with conditions; an existing one must meet them.
- A write without the full key: "Where clause does not contain a mandatory equality on all key
  attributes". A statement that cannot be read: "Statement wasn't well formed, can't be
  processed: <detail>". Parameters must match the `?`s: "Number of parameters in request and
  statement don't match.". EXISTS outside a transaction: "EXISTS can only be used in
  ExecuteTransaction write requests.". A missing table: ResourceNotFoundException.
- Index reads: FROM "t"."index"; ConsistentRead on a GSI: "Strongly consistent read is not
  supported on Global Secondary Indexes"; an unknown index: "The table does not have the
  specified index".

BatchExecuteStatement
- Up to 25 statements, all reads or all writes ("Read and write requests together in the same
  batch is not supported."); each read names one item by its full key. One response per
  statement in order: `TableName` and `Item` (absent for a missing item) or `Error {Code,
  Message}` - a statement's failure (ConditionalCheckFailed, DuplicateItem, ValidationError,
  ResourceNotFound) does not stop the others. Two statements on one item: "Provided list of
  item keys contains duplicates".

ExecuteTransaction
- Up to 100 statements, all reads or all writes; writes (with EXISTS condition checks) apply
  together or not at all: TransactionCanceledException with one reason per statement. Reads
  return one `{Item}` (or ``{}``) per statement. Problems in a statement are reported as
  "Validation failed in TransactStatements[<i>]: <message>".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

WELL = "Statement wasn't well formed, can't be processed: "
INCOMPLETE_KEY = "Where clause does not contain a mandatory equality on all key attributes"
CONDITION_FAILED = "The conditional request failed"
DUPLICATE = "Duplicate primary key exists in table"


def run(ddb: Any, statement: str, *params: Any, **extra: Any) -> dict[str, Any]:
    if params:
        extra["Parameters"] = list(params)
    reply: dict[str, Any] = ddb.execute_statement(Statement=statement, **extra)
    return reply


def failure(ddb: Any, statement: str, *params: Any, **extra: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        run(ddb, statement, *params, **extra)
    return error_of(excinfo)


def get(ddb: Any, table: str, **key: Any) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get(
        "Item"
    )
    return item


@pytest.fixture
def loaded(ddb: Any, sorted_table: str) -> str:
    """pk 'a' with sk '0'..'9' (n = 0..9), pk 'b' with sk '0'..'4', pk 'c' with sk '0'."""
    for pk, count in (("a", 10), ("b", 5), ("c", 1)):
        for i in range(count):
            ddb.put_item(
                TableName=sorted_table,
                Item={"pk": {"S": pk}, "sk": {"S": str(i)}, "n": {"N": str(i)}},
            )
    return sorted_table


# ---- SELECT -------------------------------------------------------------------------------


def test_select_by_full_key(ddb: Any, loaded: str) -> None:
    reply = run(ddb, f"SELECT * FROM \"{loaded}\" WHERE pk = 'a' AND sk = '3'")
    assert reply["Items"] == [{"pk": {"S": "a"}, "sk": {"S": "3"}, "n": {"N": "3"}}]
    assert "NextToken" not in reply
    assert run(ddb, f"SELECT * FROM \"{loaded}\" WHERE pk = 'a' AND sk = 'x'")["Items"] == []


def test_select_by_full_key_with_a_condition(ddb: Any, loaded: str) -> None:
    hit = f"SELECT n FROM \"{loaded}\" WHERE pk = 'a' AND sk = '3' AND n > 2"
    miss = f"SELECT n FROM \"{loaded}\" WHERE pk = 'a' AND sk = '3' AND n > 5"
    assert run(ddb, hit)["Items"] == [{"n": {"N": "3"}}]
    assert run(ddb, miss)["Items"] == []


def test_select_a_partition_with_sort_key_conditions(ddb: Any, loaded: str) -> None:
    def sks(where: str) -> list[str]:
        items = run(ddb, f'SELECT sk FROM "{loaded}" WHERE {where}')["Items"]
        return [item["sk"]["S"] for item in items]

    assert sks("pk = 'b'") == ["0", "1", "2", "3", "4"]
    assert sks("pk = 'a' AND sk > '6'") == ["7", "8", "9"]
    assert sks("'2' >= sk AND pk = 'a'") == ["0", "1", "2"]
    assert sks("pk = 'a' AND sk BETWEEN '3' AND '5'") == ["3", "4", "5"]
    assert sks("pk = 'a' AND begins_with(sk, '4')") == ["4"]
    assert sks("pk = 'a' AND sk <> '1' AND n < 3") == ["0", "2"]
    assert sks("pk = 'b' AND n IN [1, 3]") == ["1", "3"]
    assert sks("pk = 'b' ORDER BY sk DESC") == ["4", "3", "2", "1", "0"]
    assert sks("pk = 'b' AND sk < '3' ORDER BY pk, sk DESC") == ["2", "1", "0"]


def test_select_without_partition_key_scans(ddb: Any, loaded: str) -> None:
    items = run(ddb, f'SELECT pk, sk FROM "{loaded}" WHERE n >= 4')["Items"]
    assert sorted((i["pk"]["S"], i["sk"]["S"]) for i in items) == [
        ("a", str(n)) for n in range(4, 10)
    ] + [("b", "4")]
    everything = run(ddb, f'SELECT * FROM "{loaded}"')["Items"]
    assert len(everything) == 16
    either = run(ddb, f"SELECT * FROM \"{loaded}\" WHERE pk = 'b' OR pk = 'c'")["Items"]
    assert len(either) == 6


def test_select_in_reads_each_partition(ddb: Any, loaded: str) -> None:
    statement = f"SELECT pk, sk FROM \"{loaded}\" WHERE pk IN ['c', 'b', 'zz'] AND sk < '2'"
    items = run(ddb, statement)["Items"]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in items] == [("c", "0"), ("b", "0"), ("b", "1")]
    ordered = run(ddb, statement + " ORDER BY pk DESC")["Items"]
    assert [i["pk"]["S"] for i in ordered] == ["c", "b", "b"]


def test_select_functions_and_is(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "1"}, "s": {"S": "hello"}, "l": {"L": [{"N": "1"}]}, "z": {"NULL": True}},
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "2"}, "s": {"N": "5"}})

    def pks(where: str) -> list[str]:
        items = run(ddb, f'SELECT pk FROM "{table}" WHERE {where}')["Items"]
        return sorted(item["pk"]["S"] for item in items)

    assert pks("begins_with(s, 'he')") == ["1"]
    assert pks("contains(s, 'ell')") == ["1"]
    assert pks("attribute_type(s, 'N')") == ["2"]
    assert pks("size(l) = 1") == ["1"]
    assert pks("l IS MISSING") == ["2"]
    assert pks("l IS NOT MISSING") == ["1"]
    assert pks("z IS NULL") == ["1"]
    assert pks("s IS STRING") == ["1"]
    assert pks("NOT (s IS STRING)") == ["2"]
    assert pks("s = 'hello' OR s = 5") == ["1", "2"]


def test_select_list_names_columns_by_last_step(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={
            "pk": {"S": "k"},
            "m": {"M": {"x": {"S": "deep"}, "y": {"S": "other"}}},
            "l": {"L": [{"S": "first"}, {"S": "second"}]},
            "other": {"S": "not selected"},
        },
    )
    reply = run(ddb, f'SELECT m.x, l[1], "pk" FROM "{table}" WHERE pk = \'k\'')
    assert reply["Items"] == [{"x": {"S": "deep"}, "l[1]": {"S": "second"}, "pk": {"S": "k"}}]
    missing = run(ddb, f"SELECT nothing FROM \"{table}\" WHERE pk = 'k'")
    assert missing["Items"] == [{}]


def test_select_paging_with_limit_and_next_token(ddb: Any, loaded: str) -> None:
    statement = f"SELECT sk FROM \"{loaded}\" WHERE pk = 'a'"
    seen: list[str] = []
    reply = run(ddb, statement, Limit=3)
    assert len(reply["Items"]) == 3 and "NextToken" in reply
    assert reply["LastEvaluatedKey"] == {"pk": {"S": "a"}, "sk": {"S": "2"}}
    pages = 1
    while True:
        seen += [item["sk"]["S"] for item in reply["Items"]]
        if "NextToken" not in reply:
            break
        reply = run(ddb, statement, Limit=3, NextToken=reply["NextToken"])
        pages += 1
    assert seen == [str(i) for i in range(10)]
    assert pages >= 4


def test_scan_paging_reads_every_item_once(ddb: Any, loaded: str) -> None:
    statement = f'SELECT pk, sk FROM "{loaded}" WHERE n < 100'
    seen: list[tuple[str, str]] = []
    extra: dict[str, Any] = {"Limit": 4}
    while True:
        reply = run(ddb, statement, **extra)
        seen += [(item["pk"]["S"], item["sk"]["S"]) for item in reply["Items"]]
        if "NextToken" not in reply:
            break
        extra["NextToken"] = reply["NextToken"]
    assert len(seen) == 16 and len(set(seen)) == 16


def test_in_paging_crosses_partitions(ddb: Any, loaded: str) -> None:
    statement = f"SELECT pk, sk FROM \"{loaded}\" WHERE pk IN ['a', 'b', 'c']"
    seen: list[tuple[str, str]] = []
    extra: dict[str, Any] = {"Limit": 4}
    while True:
        reply = run(ddb, statement, **extra)
        seen += [(item["pk"]["S"], item["sk"]["S"]) for item in reply["Items"]]
        if "NextToken" not in reply:
            break
        extra["NextToken"] = reply["NextToken"]
    assert len(seen) == 16 and len(set(seen)) == 16


def test_next_token_belongs_to_its_statement(ddb: Any, loaded: str) -> None:
    token = run(ddb, f"SELECT * FROM \"{loaded}\" WHERE pk = 'a'", Limit=1)["NextToken"]
    code, message = failure(ddb, f"SELECT * FROM \"{loaded}\" WHERE pk = 'b'", NextToken=token)
    assert (code, message) == ("ValidationException", "NextToken does not match request")
    code, message = failure(ddb, f'SELECT * FROM "{loaded}"', NextToken="bm90IG91cnM=")
    assert (code, message) == ("ValidationException", "Invalid NextToken")


def test_select_consumed_capacity(ddb: Any, loaded: str) -> None:
    one = run(
        ddb,
        f"SELECT * FROM \"{loaded}\" WHERE pk = 'a' AND sk = '1'",
        ReturnConsumedCapacity="TOTAL",
    )
    assert one["ConsumedCapacity"] == {"TableName": loaded, "CapacityUnits": 0.5}
    strong = run(
        ddb,
        f"SELECT * FROM \"{loaded}\" WHERE pk = 'a' AND sk = '1'",
        ReturnConsumedCapacity="TOTAL",
        ConsistentRead=True,
    )
    assert strong["ConsumedCapacity"]["CapacityUnits"] == 1.0
    several = run(
        ddb,
        f"SELECT * FROM \"{loaded}\" WHERE pk IN ['a', 'b']",
        ReturnConsumedCapacity="TOTAL",
    )
    assert several["ConsumedCapacity"] == {"TableName": loaded, "CapacityUnits": 1.0}


# ---- INSERT -------------------------------------------------------------------------------


def test_insert_every_kind_of_value(ddb: Any, table: str) -> None:
    statement = (
        f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 's': 'it''s', 'n': 1.50, 'neg': -7, "
        "'t': true, 'f': false, 'z': null, 'l': [1, 'two', [3]], 'm': {'x': {'y': 1}}, "
        "'ss': <<'a', 'b'>>, 'ns': <<1, 2>>, 'b': ?}"
    )
    assert run(ddb, statement, {"S": "k"}, {"B": b"\x01\x02"})["Items"] == []
    item = get(ddb, table, pk={"S": "k"})
    assert item is not None
    assert item["s"] == {"S": "it's"}
    assert item["n"] == {"N": "1.5"}
    assert item["neg"] == {"N": "-7"}
    assert item["t"] == {"BOOL": True} and item["f"] == {"BOOL": False}
    assert item["z"] == {"NULL": True}
    assert item["l"] == {"L": [{"N": "1"}, {"S": "two"}, {"L": [{"N": "3"}]}]}
    assert item["m"] == {"M": {"x": {"M": {"y": {"N": "1"}}}}}
    assert sorted(item["ss"]["SS"]) == ["a", "b"] and sorted(item["ns"]["NS"]) == ["1", "2"]
    assert item["b"] == {"B": b"\x01\x02"}


def test_insert_reply_has_empty_items(ddb: Any, table: str) -> None:
    reply = run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'x'}}")
    assert reply["Items"] == []


def test_insert_existing_key_is_a_duplicate(ddb: Any, table: str) -> None:
    run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'x', 'v': 1}}")
    code, message = failure(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'x', 'v': 2}}")
    assert (code, message) == ("DuplicateItemException", DUPLICATE)
    assert get(ddb, table, pk={"S": "x"}) == {"pk": {"S": "x"}, "v": {"N": "1"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{'v': 1}", "Key attribute should be present in the item: Key pk"),
        (
            "{'pk': 1}",
            "Key attribute's data type should match its data type in table's schema: Key pk",
        ),
        (
            "{'pk': 'x', 'n': 1e126}",
            "Number overflow. Attempting to store a number with "
            "magnitude larger than supported range under root",
        ),
        (
            "{'pk': 'x', 'm': {'n': 1e-131}}",
            "Number underflow. Attempting to store a number with "
            "magnitude smaller than supported range under root.n",
        ),
        ("{'pk': 'x', 's': <<>>}", "Empty bags are not supported"),
        (
            "[1]",
            "Unsupported format in item expression. Please use struct format {...} to "
            "express item values for insert statement.",
        ),
    ],
)
def test_insert_refusals(ddb: Any, table: str, value: str, expected: str) -> None:
    assert failure(ddb, f'INSERT INTO "{table}" VALUE {value}') == ("ValidationException", expected)


# ---- UPDATE -------------------------------------------------------------------------------


@pytest.fixture
def item_table(ddb: Any, sorted_table: str) -> str:
    ddb.put_item(
        TableName=sorted_table,
        Item={
            "pk": {"S": "p"},
            "sk": {"S": "s"},
            "n": {"N": "5"},
            "tags": {"L": [{"S": "a"}, {"S": "b"}]},
            "ss": {"SS": ["x", "y"]},
            "m": {"M": {"sub": {"S": "old"}, "sib": {"S": "keep"}}},
        },
    )
    return sorted_table


def test_update_set_remove_and_functions(ddb: Any, item_table: str) -> None:
    reply = run(
        ddb,
        f"UPDATE \"{item_table}\" SET n = n + 2, w = ?, tags = list_append(tags, ['c']) "
        "SET ss = set_add(ss, <<'z'>>) REMOVE m.sib SET ss2 = <<1>> "
        "WHERE pk = 'p' AND sk = 's'",
        {"S": "new"},
    )
    assert reply["Items"] == []
    item = get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None
    assert item["n"] == {"N": "7"} and item["w"] == {"S": "new"}
    assert item["tags"] == {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}
    assert sorted(item["ss"]["SS"]) == ["x", "y", "z"]
    assert item["m"] == {"M": {"sub": {"S": "old"}}}
    run(
        ddb,
        f"UPDATE \"{item_table}\" SET ss = set_delete(ss, <<'x', 'z'>>) WHERE pk = 'p' AND sk = 's'",
    )
    item = get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None and item["ss"] == {"SS": ["y"]}


def test_update_from_first_form(ddb: Any, item_table: str) -> None:
    run(ddb, f"FROM \"{item_table}\" WHERE pk = 'p' AND sk = 's' SET n = 1")
    item = get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None and item["n"] == {"N": "1"}


@pytest.mark.parametrize(
    ("returning", "expected"),
    [
        (
            "ALL OLD",
            {
                "pk": {"S": "p"},
                "sk": {"S": "s"},
                "m": {"M": {"sub": {"S": "old"}, "sib": {"S": "keep"}}},
            },
        ),
        ("MODIFIED OLD", {"m": {"M": {"sub": {"S": "old"}}}}),
        (
            "ALL NEW",
            {
                "pk": {"S": "p"},
                "sk": {"S": "s"},
                "m": {"M": {"sub": {"S": "new"}, "sib": {"S": "keep"}}},
            },
        ),
        ("MODIFIED NEW", {"m": {"M": {"sub": {"S": "new"}}}}),
    ],
)
def test_update_returning(ddb: Any, sorted_table: str, returning: str, expected: Any) -> None:
    ddb.put_item(
        TableName=sorted_table,
        Item={
            "pk": {"S": "p"},
            "sk": {"S": "s"},
            "m": {"M": {"sub": {"S": "old"}, "sib": {"S": "keep"}}},
        },
    )
    reply = run(
        ddb,
        f"UPDATE \"{sorted_table}\" SET m.sub = 'new' WHERE pk = 'p' AND sk = 's' "
        f"RETURNING {returning} *",
    )
    assert reply["Items"] == [expected]


def test_update_returning_nothing_modified_is_no_row(ddb: Any, item_table: str) -> None:
    reply = run(
        ddb,
        f"UPDATE \"{item_table}\" SET fresh = 1 WHERE pk = 'p' AND sk = 's' "
        "RETURNING MODIFIED OLD *",
    )
    assert reply["Items"] == []


def test_update_needs_an_existing_item_and_true_conditions(ddb: Any, item_table: str) -> None:
    missing = f"UPDATE \"{item_table}\" SET n = 1 WHERE pk = 'p' AND sk = 'other'"
    assert failure(ddb, missing) == ("ConditionalCheckFailedException", CONDITION_FAILED)
    assert get(ddb, item_table, pk={"S": "p"}, sk={"S": "other"}) is None
    false = f"UPDATE \"{item_table}\" SET n = 1 WHERE pk = 'p' AND sk = 's' AND n > 10"
    assert failure(ddb, false) == ("ConditionalCheckFailedException", CONDITION_FAILED)
    run(ddb, f"UPDATE \"{item_table}\" SET n = 1 WHERE pk = 'p' AND sk = 's' AND n < 10")
    item = get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None and item["n"] == {"N": "1"}


def test_update_failure_returns_the_item_on_request(ddb: Any, item_table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        run(
            ddb,
            f"UPDATE \"{item_table}\" SET n = 1 WHERE pk = 'p' AND sk = 's' AND n > 10",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert excinfo.value.response["Item"]["n"] == {"N": "5"}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE \"{t}\" SET n = 1 WHERE pk = 'p'", INCOMPLETE_KEY),
        ('UPDATE "{t}" SET n = 1', INCOMPLETE_KEY),
        (
            "UPDATE \"{t}\" SET n = 1 WHERE pk = 'p' AND sk = 's' AND pk = 'q'",
            "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported",
        ),
        (
            "UPDATE \"{t}\" SET sk = 'x' WHERE pk = 'p' AND sk = 's'",
            "One or more parameter values were invalid: Cannot update attribute sk. This attribute "
            "is part of the key",
        ),
        (
            "UPDATE \"{t}\" SET ss = set_add(ss, <<1>>) WHERE pk = 'p' AND sk = 's'",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "UPDATE \"{t}\" SET x = nothing + 1 WHERE pk = 'p' AND sk = 's'",
            "The provided expression refers to an attribute that does not exist in the item",
        ),
    ],
)
def test_update_refusals(ddb: Any, item_table: str, statement: str, expected: str) -> None:
    assert failure(ddb, statement.format(t=item_table)) == ("ValidationException", expected)


# ---- DELETE -------------------------------------------------------------------------------


def test_delete(ddb: Any, item_table: str) -> None:
    reply = run(
        ddb, f"DELETE FROM \"{item_table}\" WHERE pk = 'p' AND sk = 's' RETURNING ALL OLD *"
    )
    assert reply["Items"][0]["n"] == {"N": "5"}
    assert get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"}) is None
    again = run(
        ddb, f"DELETE FROM \"{item_table}\" WHERE pk = 'p' AND sk = 's' RETURNING ALL OLD *"
    )
    assert again["Items"] == []


def test_delete_conditions(ddb: Any, item_table: str) -> None:
    false = f"DELETE FROM \"{item_table}\" WHERE pk = 'p' AND sk = 's' AND n = 6"
    assert failure(ddb, false) == ("ConditionalCheckFailedException", CONDITION_FAILED)
    assert get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"}) is not None
    # A missing item is deleted silently: its conditions are never evaluated.
    run(ddb, f"DELETE FROM \"{item_table}\" WHERE pk = 'p' AND sk = 'gone' AND n = 6")
    run(
        ddb,
        f"DELETE FROM \"{item_table}\" WHERE pk = 'p' AND sk = 's' AND NOT begins_with(m.sub, 'x')",
    )
    assert get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"}) is None


def test_delete_refusals(ddb: Any, item_table: str) -> None:
    assert failure(ddb, f'DELETE FROM "{item_table}" WHERE n = 5') == (
        "ValidationException",
        INCOMPLETE_KEY,
    )
    code, message = failure(
        ddb, f"DELETE FROM \"{item_table}\" WHERE pk = 'p' AND sk = 's' RETURNING MODIFIED OLD *"
    )
    assert message == (
        "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed "
        "in DELETE statements."
    )
    assert get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"}) is not None


def test_write_consumed_capacity(ddb: Any, table: str) -> None:
    reply = run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'c'}}", ReturnConsumedCapacity="TOTAL")
    assert reply["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.0}


# ---- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ('SELECT * FROM "{t}" WHERE', WELL + "Unexpected term"),
        ('SELECT * FROM "{t}" WHERE pk = 1 foo', WELL + "Unexpected token after expression"),
        (
            "SELECT * FROM \"{t}\" WHERE pk = 'p1' AND",
            WELL + "Missing right-hand side expression of infix operator",
        ),
        ('SLECT * FROM "{t}"', WELL + "Expected data manipulation"),
        ("DELETE FROM", WELL + "Expected identifier for simple path"),
        ("SELECT * FROM \"{t}\" t WHERE pk = 'x'", "Aliasing is not supported"),
        (
            "SELECT * FROM \"{t}\" WHERE pk = 'a' AND EXISTS(ss)",
            "Unrecognized function: exists at 1:{col}:6",
        ),
        (
            "SELECT * FROM \"{t}\" WHERE pk = 'a' AND attribute_exists('ss')",
            "Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            'SELECT * FROM "{t}" WHERE pk = 1e126',
            "Number overflow. Attempting to store a number with magnitude larger than supported "
            "range under root",
        ),
        (
            "EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'a' AND x = 1)",
            "EXISTS can only be used in ExecuteTransaction write requests.",
        ),
        ("x IS INT4", "Unsupported operation: IsType"),
    ],
)
def test_statement_errors(ddb: Any, table: str, statement: str, expected: str) -> None:
    text = statement.format(t=table, col=0)
    column = text.find("EXISTS(ss)") + 1
    text = statement.format(t=table, col=column)
    assert failure(ddb, text) == ("ValidationException", expected.format(col=column))


def test_parameter_count_must_match(ddb: Any, table: str) -> None:
    expected = ("ValidationException", "Number of parameters in request and statement don't match.")
    assert failure(ddb, f'SELECT * FROM "{table}" WHERE pk = ?') == expected
    assert failure(ddb, f"SELECT * FROM \"{table}\" WHERE pk = 'a'", {"S": "a"}) == expected


def test_missing_table(ddb: Any) -> None:
    code, message = failure(ddb, "SELECT * FROM \"no-such-table\" WHERE pk = 'a'")
    assert (code, message) == ("ResourceNotFoundException", "Requested resource not found")
    code, _ = failure(ddb, "INSERT INTO \"no-such-table\" VALUE {'pk': 'a'}")
    assert code == "ResourceNotFoundException"


def test_statement_length_is_checked(ddb: Any, table: str) -> None:
    code, message = failure(ddb, f"SELECT * FROM \"{table}\" WHERE pk = '{'x' * 8200}'")
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 8192" in message


# ---- indexes ------------------------------------------------------------------------------


@pytest.fixture
def indexed(ddb: Any, make_table: Callable[..., str]) -> str:
    name = make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    deadline = time.monotonic() + 10
    while (
        ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"]
        != "ACTIVE"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for i in range(3):
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "g": {"S": "G"}, "x": {"N": str(i)}},
        )
    return name


def test_select_from_an_index(ddb: Any, indexed: str) -> None:
    items = run(ddb, f'SELECT * FROM "{indexed}"."by_g" WHERE g = \'G\'')["Items"]
    assert sorted(item["pk"]["S"] for item in items) == ["p0", "p1", "p2"]
    assert all("x" not in item for item in items)


def test_index_refusals(ddb: Any, indexed: str) -> None:
    assert failure(
        ddb, f'SELECT * FROM "{indexed}"."by_g" WHERE g = \'G\'', ConsistentRead=True
    ) == (
        "ValidationException",
        "Strongly consistent read is not supported on Global Secondary Indexes",
    )
    assert failure(ddb, f'SELECT * FROM "{indexed}"."nope" WHERE g = \'G\'') == (
        "ValidationException",
        "The table does not have the specified index",
    )
    assert failure(ddb, f'SELECT pk FROM "{indexed}"."by_g" WHERE g = \'G\' AND x = 1') == (
        "ValidationException",
        "One or more parameter values were invalid: Secondary index by_g does not project one or "
        "more filter attributes: [x]",
    )


def test_multi_attribute_index_keys_are_refused(ddb: Any, make_table: Callable[..., str]) -> None:
    name = make_table(
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "h1", "h2", "r1")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "multi",
                "KeySchema": [
                    {"AttributeName": "h1", "KeyType": "HASH"},
                    {"AttributeName": "h2", "KeyType": "HASH"},
                    {"AttributeName": "r1", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    refused = (
        "ValidationException",
        "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or "
        "multi-attribute RANGE keys.",
    )
    assert (
        failure(ddb, f"SELECT * FROM \"{name}\".\"multi\" WHERE h1 = 'a' AND h2 = 'b'") == refused
    )
    assert failure(ddb, f'SELECT * FROM "{name}"."multi"') == refused
    assert run(ddb, f"SELECT * FROM \"{name}\" WHERE pk = 'x'")["Items"] == []


# ---- BatchExecuteStatement ----------------------------------------------------------------


def batch(ddb: Any, *statements: Any, **extra: Any) -> list[dict[str, Any]]:
    entries = [s if isinstance(s, dict) else {"Statement": s} for s in statements]
    reply: list[dict[str, Any]] = ddb.batch_execute_statement(Statements=entries, **extra)[
        "Responses"
    ]
    return reply


def test_batch_reads(ddb: Any, loaded: str) -> None:
    responses = batch(
        ddb,
        f"SELECT n FROM \"{loaded}\" WHERE pk = 'a' AND sk = '1'",
        {
            "Statement": f'SELECT * FROM "{loaded}" WHERE pk = ? AND sk = ?',
            "Parameters": [{"S": "b"}, {"S": "2"}],
            "ConsistentRead": True,
        },
        f"SELECT * FROM \"{loaded}\" WHERE pk = 'a' AND sk = 'missing'",
        f"SELECT * FROM \"{loaded}\" WHERE pk = 'a'",
        "SELECT * FROM \"no-such-table\" WHERE pk = 'a' AND sk = 'b'",
        f'SELECT * FROM "{loaded}" WHERE',
    )
    assert responses[0] == {"TableName": loaded, "Item": {"n": {"N": "1"}}}
    assert responses[1]["Item"]["n"] == {"N": "2"}
    assert responses[2] == {"TableName": loaded}
    assert responses[3] == {
        "Error": {
            "Code": "ValidationError",
            "Message": (
                "Select statements within BatchExecuteStatement must specify the primary key in the "
                "where clause."
            ),
        }
    }
    assert responses[4]["Error"]["Code"] == "ResourceNotFound"
    assert responses[5] == {
        "Error": {"Code": "ValidationError", "Message": WELL + "Unexpected term"}
    }


def test_batch_writes_fail_one_by_one(ddb: Any, item_table: str) -> None:
    t = item_table
    responses = batch(
        ddb,
        f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': 'new'}}",
        f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': 's'}}",
        {
            "Statement": f"UPDATE \"{t}\" SET n = 0 WHERE pk = 'q' AND sk = 'x'",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
        {"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'p' AND sk = 'never' AND n = 1"},
        f"UPDATE \"{t}\" SET n = 9 WHERE pk = 'p' AND sk = 'z' RETURNING ALL NEW *",
        f"UPDATE \"{t}\" SET n = 9 WHERE pk = 'p'",
        f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'p' AND sk = 's' AND n = 5)",
    )
    assert responses[0] == {"TableName": t}
    assert responses[1] == {"Error": {"Code": "DuplicateItem", "Message": DUPLICATE}}
    assert responses[2] == {
        "Error": {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED}
    }
    assert responses[3] == {"TableName": t}
    assert responses[4]["Error"]["Code"] == "ConditionalCheckFailed"
    assert responses[5] == {"Error": {"Code": "ValidationError", "Message": INCOMPLETE_KEY}}
    assert responses[6] == {
        "Error": {
            "Code": "ValidationError",
            "Message": ("EXISTS can only be used in ExecuteTransaction write requests."),
        }
    }
    assert get(ddb, t, pk={"S": "p"}, sk={"S": "new"}) is not None


def test_batch_write_returning_and_failed_item(ddb: Any, item_table: str) -> None:
    responses = batch(
        ddb,
        f"UPDATE \"{item_table}\" SET n = 6 WHERE pk = 'p' AND sk = 's' RETURNING MODIFIED NEW *",
    )
    assert responses == [{"TableName": item_table, "Item": {"n": {"N": "6"}}}]
    responses = batch(
        ddb,
        {
            "Statement": f"UPDATE \"{item_table}\" SET n = 7 WHERE pk = 'p' AND sk = 's' AND n = 0",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    )
    assert responses[0]["Error"]["Code"] == "ConditionalCheckFailed"
    assert responses[0]["Error"]["Item"]["n"] == {"N": "6"}


def test_batch_refusals(ddb: Any, item_table: str) -> None:
    t = item_table
    with pytest.raises(ClientError) as excinfo:
        batch(
            ddb,
            f"SELECT * FROM \"{t}\" WHERE pk = 'p' AND sk = 's'",
            f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': 'x'}}",
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "Read and write requests together in the same batch is not supported.",
    )
    with pytest.raises(ClientError) as excinfo:
        batch(
            ddb,
            f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': 'dup'}}",
            f"UPDATE \"{t}\" SET n = 1 WHERE sk = 'dup' AND pk = 'p'",
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "Provided list of item keys contains duplicates",
    )
    assert get(ddb, t, pk={"S": "p"}, sk={"S": "dup"}) is None
    with pytest.raises(ClientError) as excinfo:
        batch(ddb, *[f"SELECT * FROM \"{t}\" WHERE pk = 'p' AND sk = '{i}'" for i in range(26)])
    assert "Member must have length less than or equal to 25" in error_of(excinfo)[1]


def test_batch_consumed_capacity(ddb: Any, loaded: str) -> None:
    reply = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"SELECT * FROM \"{loaded}\" WHERE pk = 'a' AND sk = '{i}'"}
            for i in range(3)
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["ConsumedCapacity"] == [{"TableName": loaded, "CapacityUnits": 1.5}]


# ---- ExecuteTransaction -------------------------------------------------------------------


def transaction(ddb: Any, *statements: Any, **extra: Any) -> dict[str, Any]:
    entries = [s if isinstance(s, dict) else {"Statement": s} for s in statements]
    reply: dict[str, Any] = ddb.execute_transaction(TransactStatements=entries, **extra)
    return reply


def test_transaction_writes_apply_together(ddb: Any, item_table: str) -> None:
    t = item_table
    ddb.put_item(TableName=t, Item={"pk": {"S": "q"}, "sk": {"S": "c"}, "n": {"N": "5"}})
    transaction(
        ddb,
        f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': 'n1'}}",
        f"UPDATE \"{t}\" SET n = n + 1 WHERE pk = 'p' AND sk = 's'",
        f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'q' AND sk = 'c' AND n = 5)",
        {
            "Statement": f'DELETE FROM "{t}" WHERE pk = ? AND sk = ?',
            "Parameters": [{"S": "p"}, {"S": "gone"}],
        },
    )
    assert get(ddb, t, pk={"S": "p"}, sk={"S": "n1"}) is not None
    item = get(ddb, t, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None and item["n"] == {"N": "6"}


def test_transaction_is_all_or_nothing(ddb: Any, item_table: str) -> None:
    t = item_table
    with pytest.raises(ClientError) as excinfo:
        transaction(
            ddb,
            f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': 'n2'}}",
            f"UPDATE \"{t}\" SET n = 0 WHERE pk = 'p' AND sk = 's'",
            f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'p' AND sk = 'other' AND n = 99)",
        )
    response = excinfo.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in response["CancellationReasons"]] == [
        "None",
        "None",
        "ConditionalCheckFailed",
    ]
    assert get(ddb, t, pk={"S": "p"}, sk={"S": "n2"}) is None
    item = get(ddb, t, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None and item["n"] == {"N": "5"}


def test_transaction_exists_needs_the_item(ddb: Any, item_table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        transaction(
            ddb,
            f"EXISTS(SELECT * FROM \"{item_table}\" WHERE pk = 'p' AND sk = 'none' AND n IS MISSING)",
            f"INSERT INTO \"{item_table}\" VALUE {{'pk': 'p', 'sk': 'n3'}}",
        )
    reasons = excinfo.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None"]


def test_transaction_duplicate_insert(ddb: Any, item_table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        transaction(ddb, f"INSERT INTO \"{item_table}\" VALUE {{'pk': 'p', 'sk': 's'}}")
    reasons = excinfo.value.response["CancellationReasons"]
    assert reasons == [{"Code": "ValidationError", "Message": DUPLICATE}]


def test_transaction_reads(ddb: Any, loaded: str) -> None:
    reply = transaction(
        ddb,
        f"SELECT n FROM \"{loaded}\" WHERE pk = 'a' AND sk = '4'",
        f"SELECT * FROM \"{loaded}\" WHERE pk = 'a' AND sk = 'none'",
        ReturnConsumedCapacity="TOTAL",
    )
    assert reply["Responses"] == [{"Item": {"n": {"N": "4"}}}, {}]
    assert reply["ConsumedCapacity"][0]["TableName"] == loaded


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            [
                "SELECT * FROM \"{t}\" WHERE pk = 'p' AND sk = 's'",
                "INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': 'x'}}",
            ],
            "ExecuteTransaction API does not support both read and write operations in the same "
            "request.",
        ),
        (
            ['SELECT * FROM "{t}" WHERE'],
            "Validation failed in TransactStatements[0]: " + WELL + "Unexpected term",
        ),
        (
            ["SELECT * FROM \"{t}\" WHERE pk = 'p'"],
            "Validation failed in TransactStatements[0]: Select statements within "
            "ExecuteTransaction must specify the primary key in the where clause.",
        ),
        (
            ['SELECT * FROM "{t}"."idx" WHERE pk = \'p\''],
            "Validation failed in TransactStatements[0]: Reads on indices are not supported within "
            "transactions.",
        ),
        (
            [
                "EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'p' AND sk = 's')",
                "UPDATE \"{t}\" SET z = 1 WHERE pk = 'p' AND sk = 'x'",
            ],
            "Validation failed in TransactStatements[0]: EXISTS() must contain a single item read "
            "with additional condition",
        ),
        (
            [
                "DELETE FROM \"{t}\" WHERE pk = 'p' AND sk = 's'",
                "DELETE FROM \"{t}\" WHERE pk = 'p' AND sk = 't' RETURNING ALL OLD *",
            ],
            "Validation failed in TransactStatements[1]: RETURNING clause is not supported in "
            "ExecuteTransaction.",
        ),
        (
            [
                "UPDATE \"{t}\" SET n = 1 WHERE pk = 'p' AND sk = 's'",
                "DELETE FROM \"{t}\" WHERE sk = 's' AND pk = 'p'",
            ],
            "Transaction request cannot include multiple operations on one item",
        ),
    ],
)
def test_transaction_refusals(
    ddb: Any, item_table: str, statements: list[str], expected: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        transaction(ddb, *[s.format(t=item_table) for s in statements])
    assert error_of(excinfo) == ("ValidationException", expected)
    item = get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None and item["n"] == {"N": "5"}


def test_transaction_client_request_token(ddb: Any, item_table: str) -> None:
    statement = f"UPDATE \"{item_table}\" SET n = n + 1 WHERE pk = 'p' AND sk = 's'"
    transaction(ddb, statement, ClientRequestToken="token-1")
    transaction(ddb, statement, ClientRequestToken="token-1")
    item = get(ddb, item_table, pk={"S": "p"}, sk={"S": "s"})
    assert item is not None and item["n"] == {"N": "6"}
