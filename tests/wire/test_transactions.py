"""TransactWriteItems and TransactGetItems over the wire, as DynamoDB behaves.

Pinned behaviour (AWS API reference for both operations and "Amazon DynamoDB Transactions: How
it works"; the API references' limits; messages as captured against live DynamoDB by moto's
aws-verified tests and the paritysuite conformance suite):

TransactWriteItems
- Put, Update, Delete and ConditionCheck over items of several tables apply together; the reply
  of a successful call carries nothing unless ConsumedCapacity or ItemCollectionMetrics was
  asked for. A ConditionCheck never changes its item.
- All or nothing: when any condition fails nothing at all is applied and the call fails with
  TransactionCanceledException, message "Transaction cancelled, please refer cancellation
  reasons for specific reasons [<codes>]" listing one code per action in request order, and
  `CancellationReasons` in the same order: ``{"Code": "None"}`` for an action that would have
  succeeded, ``{"Code": "ConditionalCheckFailed", "Message": "The conditional request
  failed"}`` for a failed condition — with ``"Item"`` (the item as stored) when that action
  asked for ReturnValuesOnConditionCheckFailure=ALL_OLD and the item exists.
- Two actions on one item (whatever their kinds, however the key's attributes are ordered):
  ValidationException "Transaction request cannot include multiple operations on one item".
  The same key in two different tables is two items.
- At most 100 actions: 101 fail the shape check ("Member must have length less than or equal
  to 100" at 'transactItems'); an empty list fails "Member must have length greater than or
  equal to 1". Exactly 100 actions over two tables are applied.
- A TransactWriteItem with two of Put/Update/Delete/ConditionCheck: "TransactItems can only
  contain one of Check, Put, Update or Delete"; with none of them: "The action or operation
  requested is invalid. Verify that the action is typed correctly."
- A missing table fails the whole call with ResourceNotFoundException "Requested resource not
  found"; nothing is written.
- An Update whose finished item would exceed 400 KB can only be judged against the stored item,
  so it cancels the transaction with a ValidationError reason "Item size to update has exceeded
  the maximum allowed size"; a finished item of exactly 409,600 bytes is accepted. An action
  invalid against its table - a Put item over 400 KB ("Item size has exceeded the maximum
  allowed size"), a key of the wrong type - cancels the transaction too, with a ValidationError
  reason for the first such action and None for every other (ScyllaDB Alternator's
  test_transact.py, run against DynamoDB). Items totalling more than 4 MB fail the call with
  ValidationException.
- An Update that sets a key attribute fails with ValidationException "One or more parameter
  values were invalid: Cannot update attribute <name>. This attribute is part of the key";
  nothing is applied.
- ClientRequestToken: the same request repeated with the same token within 10 minutes succeeds
  without applying anything again, and answers as the first did (when ReturnConsumedCapacity is
  set the repeat reports the read units spent reading the items, not the first call's write
  units); the same token with a different request fails with
  IdempotentParameterMismatchException and applies nothing.
- ReturnConsumedCapacity TOTAL: a list with one entry per table, ``{"TableName", "CapacityUnits"}``,
  each action costing twice the units of the equivalent single-item write (prepare + commit).

TransactGetItems
- One response per Get in request order; a missing item is ``{}``. ProjectionExpression (with
  ExpressionAttributeNames) applies per Get. The same item twice: "Transaction request cannot
  include multiple operations on one item". 101 Gets fail the shape check. A missing table:
  ResourceNotFoundException. Capacity: twice the read units of a strongly consistent GetItem
  (⌈size / 4 KB⌉ × 2), one entry per table.
- Isolation: transactions are serializable with respect to each other and to single-item
  writes, and TransactGetItems reads one snapshot — a concurrent checker moves amounts between
  accounts in two tables while other threads increment a counter on the same items and others
  read all accounts in one TransactGetItems: no update is lost and no snapshot ever sees half a
  transfer.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, error_of
from tests.wire.http import signed_call

KB = 1024
MAX_ITEM = 409_600
NOT_FOUND = "Requested resource not found"
ONE_ITEM = "Transaction request cannot include multiple operations on one item"
CONDITION_FAILED = "The conditional request failed"
TWO_KINDS = "TransactItems can only contain one of Check, Put, Update or Delete"
NO_KIND = "The action or operation requested is invalid. Verify that the action is typed correctly."
UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"
PUT_TOO_LARGE = "Item size has exceeded the maximum allowed size"
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"
# DynamoDB echoes the whole list into the message (older validation framework) or names the
# member without echoing it (newer regions); either is DynamoDB's answer.
TOO_MANY = re.compile(
    r"^1 validation error detected: (?:Value '\[.+\]' at 'transactItems'|Value at "
    r"'TransactItems') failed to satisfy constraint: Member must have length less than or "
    r"equal to 100$",
    re.DOTALL,
)
EMPTY_LIST = (
    "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
    "Member must have length greater than or equal to 1",
    "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
    "Member must have length greater than or equal to 1",
)


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def hkey(value: str) -> dict[str, Any]:
    return {"pk": s(value)}


def rkey(hash_: str, range_: str) -> dict[str, Any]:
    return {"pk": s(hash_), "sk": s(range_)}


def fresh(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sized(key: str, total: int) -> dict[str, Any]:
    """An item of a `pk` table of exactly `total` bytes: "pk" + key + "b" + filler."""
    return {"pk": s(key), "b": s("x" * (total - len("pk") - len(key) - len("b")))}


def stored(ddb: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get(
        "Item"
    )
    return item


def body(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in reply.items() if k != "ResponseMetadata"}


def cancelled(excinfo: pytest.ExceptionInfo[Any], *codes: str) -> list[dict[str, Any]]:
    """Assert a TransactionCanceledException listing `codes`; return its reasons."""
    code, message = error_of(excinfo)
    assert code == "TransactionCanceledException"
    assert message == CANCELLED.format(", ".join(codes))
    reasons: list[dict[str, Any]] = excinfo.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == list(codes)
    return reasons


def put(table: str, item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": item, **extra}}


def delete(table: str, key: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Delete": {"TableName": table, "Key": key, **extra}}


def update(table: str, key: dict[str, Any], expression: str, **extra: Any) -> dict[str, Any]:
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": expression, **extra}}


def check(table: str, key: dict[str, Any], condition: str, **extra: Any) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": key,
            "ConditionExpression": condition,
            **extra,
        }
    }


def get(table: str, key: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Get": {"TableName": table, "Key": key, **extra}}


@pytest.fixture
def tables(make_table: Callable[..., str]) -> tuple[str, str]:
    """Two tables: hash key `pk` (S), and hash key `pk` (S) with range key `sk` (S)."""
    return make_table(), make_table(range_key=("sk", "S"))


# --------------------------------------------------------------------- TransactWriteItems


def test_every_action_kind_over_two_tables(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    ddb.put_item(TableName=plain, Item={**hkey("upd"), "n": n(1), "keep": s("k")})
    ddb.put_item(TableName=plain, Item={**hkey("del"), "x": s("gone")})
    ddb.put_item(TableName=ranged, Item={**rkey("cc", "a"), "ok": {"BOOL": True}})
    ddb.put_item(TableName=ranged, Item={**rkey("del", "b"), "x": s("gone")})

    reply = ddb.transact_write_items(
        TransactItems=[
            put(
                plain,
                {**hkey("new"), "v": s("fresh")},
                ConditionExpression="attribute_not_exists(pk)",
            ),
            update(
                plain,
                hkey("upd"),
                "SET n = n + :one, #t = :t REMOVE keep",
                ExpressionAttributeNames={"#t": "tag"},
                ExpressionAttributeValues={":one": n(1), ":t": s("t")},
                ConditionExpression="n = :one",
            ),
            delete(plain, hkey("del"), ConditionExpression="attribute_exists(x)"),
            check(
                ranged,
                rkey("cc", "a"),
                "ok = :yes",
                ExpressionAttributeValues={":yes": {"BOOL": True}},
            ),
            put(ranged, {**rkey("new", "z"), "v": n(7)}),
            delete(ranged, rkey("del", "b")),
            update(
                ranged, rkey("upsert", "u"), "SET c = :c", ExpressionAttributeValues={":c": n(3)}
            ),
        ]
    )

    assert body(reply) == {}
    assert stored(ddb, plain, hkey("new")) == {**hkey("new"), "v": s("fresh")}
    assert stored(ddb, plain, hkey("upd")) == {**hkey("upd"), "n": n(2), "tag": s("t")}
    assert stored(ddb, plain, hkey("del")) is None
    assert stored(ddb, ranged, rkey("cc", "a")) == {**rkey("cc", "a"), "ok": {"BOOL": True}}
    assert stored(ddb, ranged, rkey("new", "z")) == {**rkey("new", "z"), "v": n(7)}
    assert stored(ddb, ranged, rkey("del", "b")) is None
    assert stored(ddb, ranged, rkey("upsert", "u")) == {**rkey("upsert", "u"), "c": n(3)}


def test_failed_condition_applies_nothing(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    ddb.put_item(TableName=plain, Item={**hkey("acct"), "bal": n(10)})
    ddb.put_item(TableName=ranged, Item={**rkey("acct", "x"), "bal": n(10)})

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                update(
                    plain,
                    hkey("acct"),
                    "SET bal = bal - :a",
                    ConditionExpression="bal >= :a",
                    ExpressionAttributeValues={":a": n(5)},
                ),
                update(
                    ranged,
                    rkey("acct", "x"),
                    "SET bal = bal + :a",
                    ConditionExpression="bal > :a",
                    ExpressionAttributeValues={":a": n(50)},
                ),
            ]
        )
    reasons = cancelled(excinfo, "None", "ConditionalCheckFailed")
    assert reasons == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED},
    ]
    assert stored(ddb, plain, hkey("acct")) == {**hkey("acct"), "bal": n(10)}
    assert stored(ddb, ranged, rkey("acct", "x")) == {**rkey("acct", "x"), "bal": n(10)}


def test_reasons_follow_request_order(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    ddb.put_item(TableName=plain, Item={**hkey("there"), "v": n(1)})
    actions = [
        put(plain, hkey("there"), ConditionExpression="attribute_not_exists(pk)"),
        put(plain, hkey("fresh")),
        delete(ranged, rkey("missing", "m"), ConditionExpression="attribute_exists(pk)"),
        check(plain, hkey("absent"), "attribute_not_exists(pk)"),
        check(ranged, rkey("absent", "a"), "attribute_exists(pk)"),
    ]
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=actions)
    reasons = cancelled(
        excinfo,
        "ConditionalCheckFailed",
        "None",
        "ConditionalCheckFailed",
        "None",
        "ConditionalCheckFailed",
    )
    assert reasons[1] == {"Code": "None"} and reasons[3] == {"Code": "None"}
    assert all(r["Message"] == CONDITION_FAILED for r in reasons if r["Code"] != "None")
    assert stored(ddb, plain, hkey("there")) == {**hkey("there"), "v": n(1)}
    assert stored(ddb, plain, hkey("fresh")) is None


def test_all_old_on_condition_failure(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    item = {**hkey("a"), "v": n(1), "m": {"M": {"x": {"L": [s("y")]}}}}
    other = {**rkey("b", "c"), "w": s("w")}
    ddb.put_item(TableName=plain, Item=item)
    ddb.put_item(TableName=ranged, Item=other)

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                update(
                    plain,
                    hkey("a"),
                    "SET v = :two",
                    ConditionExpression="v = :two",
                    ExpressionAttributeValues={":two": n(2)},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
                check(
                    ranged,
                    rkey("b", "c"),
                    "attribute_not_exists(w)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
                delete(
                    plain,
                    hkey("nothing-here"),
                    ConditionExpression="attribute_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
                put(
                    ranged,
                    rkey("b", "d"),
                    ConditionExpression="attribute_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="NONE",
                ),
                put(plain, hkey("z")),
            ]
        )
    reasons = cancelled(
        excinfo,
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "None",
    )
    assert reasons[0] == {
        "Code": "ConditionalCheckFailed",
        "Message": CONDITION_FAILED,
        "Item": item,
    }
    assert reasons[1] == {
        "Code": "ConditionalCheckFailed",
        "Message": CONDITION_FAILED,
        "Item": other,
    }
    assert "Item" not in reasons[2]  # no item to return
    assert "Item" not in reasons[3]  # not asked for
    assert stored(ddb, plain, hkey("z")) is None


def test_cancellation_body_on_the_wire(server: Server, ddb: Any, table: str) -> None:
    """The raw body: DynamoDB's model member is `Message` (capital M) and reasons without
    failure carry only their code."""
    ddb.put_item(TableName=table, Item=hkey("there"))
    reply = signed_call(
        server,
        "TransactWriteItems",
        {
            "TransactItems": [
                put(table, hkey("new")),
                put(table, hkey("there"), ConditionExpression="attribute_not_exists(pk)"),
            ]
        },
    )
    assert reply.status == 400
    payload = reply.json()
    assert payload["__type"].rsplit("#", 1)[1] == "TransactionCanceledException"
    assert payload["Message"] == CANCELLED.format("None, ConditionalCheckFailed")
    assert payload["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED},
    ]


@pytest.mark.parametrize(
    "first, second",
    [
        ("put", "update"),
        ("put", "delete"),
        ("update", "check"),
        ("check", "put"),
        ("delete", "delete"),
    ],
)
def test_two_actions_on_one_item(
    ddb: Any, tables: tuple[str, str], first: str, second: str
) -> None:
    _, ranged = tables
    key = rkey("same", "item")
    reordered = {"sk": key["sk"], "pk": key["pk"]}  # key attribute order does not matter

    def action(kind: str, key: dict[str, Any]) -> dict[str, Any]:
        if kind == "put":
            return put(ranged, {**key, "v": n(1)})
        if kind == "update":
            return update(ranged, key, "SET v = :v", ExpressionAttributeValues={":v": n(2)})
        if kind == "delete":
            return delete(ranged, key)
        return check(ranged, key, "attribute_not_exists(v)")

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[action(first, key), action(second, reordered)])
    assert error_of(excinfo) == ("ValidationException", ONE_ITEM)
    assert stored(ddb, ranged, key) is None


def test_same_key_in_two_tables_is_two_items(ddb: Any, make_table: Callable[..., str]) -> None:
    one, two = make_table(), make_table()
    ddb.transact_write_items(
        TransactItems=[
            put(one, {**hkey("k"), "t": s("one")}),
            put(two, {**hkey("k"), "t": s("two")}),
        ]
    )
    assert stored(ddb, one, hkey("k")) == {**hkey("k"), "t": s("one")}
    assert stored(ddb, two, hkey("k")) == {**hkey("k"), "t": s("two")}


def test_more_than_100_actions(ddb: Any, tables: tuple[str, str]) -> None:
    plain, _ = tables
    actions = [put(plain, hkey(f"i{i}")) for i in range(101)]
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=actions)
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert TOO_MANY.match(message), message
    assert stored(ddb, plain, hkey("i0")) is None


def test_exactly_100_actions_over_two_tables(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    actions = [put(plain, hkey(f"i{i}")) for i in range(50)]
    actions += [put(ranged, rkey("r", f"{i:03}")) for i in range(50)]
    assert body(ddb.transact_write_items(TransactItems=actions)) == {}
    assert len(ddb.scan(TableName=plain)["Items"]) == 50
    assert (
        ddb.query(
            TableName=ranged,
            KeyConditionExpression="pk = :r",
            ExpressionAttributeValues={":r": s("r")},
            Select="COUNT",
        )["Count"]
        == 50
    )


def test_empty_transact_items(server: Server) -> None:
    for operation in ("TransactWriteItems", "TransactGetItems"):
        reply = signed_call(server, operation, {"TransactItems": []})
        assert reply.status == 400
        payload = reply.json()
        assert payload["__type"].endswith("ValidationException")
        assert payload.get("message", payload.get("Message")) in EMPTY_LIST


def test_action_with_two_kinds(ddb: Any, table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {"TableName": table, "Item": hkey("x")},
                    "Delete": {"TableName": table, "Key": hkey("x")},
                }
            ]
        )
    assert error_of(excinfo) == ("ValidationException", TWO_KINDS)
    assert stored(ddb, table, hkey("x")) is None


def test_action_with_no_kind(ddb: Any, table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put(table, hkey("x")), {}])
    assert error_of(excinfo) == ("ValidationException", NO_KIND)
    assert stored(ddb, table, hkey("x")) is None


def test_missing_table_fails_everything(ddb: Any, table: str) -> None:
    missing = fresh("missing")
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put(table, hkey("x")), put(missing, hkey("x"))])
    assert error_of(excinfo) == ("ResourceNotFoundException", NOT_FOUND)
    assert stored(ddb, table, hkey("x")) is None

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_get_items(TransactItems=[get(table, hkey("x")), get(missing, hkey("x"))])
    assert error_of(excinfo) == ("ResourceNotFoundException", NOT_FOUND)


def test_item_too_large_after_update_cancels(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    ddb.put_item(TableName=plain, Item=sized("big", 300 * KB))
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                put(ranged, rkey("small", "s")),
                update(
                    plain,
                    hkey("big"),
                    "SET c = :c",
                    ExpressionAttributeValues={":c": s("y" * (110 * KB))},
                ),
            ]
        )
    reasons = cancelled(excinfo, "None", "ValidationError")
    assert reasons[1] == {"Code": "ValidationError", "Message": UPDATE_TOO_LARGE}
    assert stored(ddb, ranged, rkey("small", "s")) is None
    assert stored(ddb, plain, hkey("big")) == sized("big", 300 * KB)


def test_item_too_large_after_update_of_fresh_key(ddb: Any, table: str) -> None:
    filler = MAX_ITEM + 1 - len("pk") - len("new") - len("p")
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                update(
                    table,
                    hkey("new"),
                    "SET p = :p",
                    ExpressionAttributeValues={":p": s("x" * filler)},
                )
            ]
        )
    reasons = cancelled(excinfo, "ValidationError")
    assert reasons[0] == {"Code": "ValidationError", "Message": UPDATE_TOO_LARGE}
    assert stored(ddb, table, hkey("new")) is None


def test_update_to_exactly_400_kb_is_accepted(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**hkey("at"), "p": s("small")})
    filler = MAX_ITEM - len("pk") - len("at") - len("p")
    ddb.transact_write_items(
        TransactItems=[
            update(
                table, hkey("at"), "SET p = :p", ExpressionAttributeValues={":p": s("x" * filler)}
            )
        ]
    )
    item = stored(ddb, table, hkey("at"))
    assert item is not None and len(item["p"]["S"]) == filler


def test_put_too_large_cancels_the_transaction(ddb: Any, table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[put(table, hkey("ok")), put(table, sized("big", MAX_ITEM + 1))]
        )
    assert excinfo.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert excinfo.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ValidationError", "Message": PUT_TOO_LARGE},
    ]
    assert stored(ddb, table, hkey("ok")) is None


def test_only_the_first_invalid_action_is_reported(ddb: Any, table: str) -> None:
    """Validation stops at the first action invalid against its table: later invalid actions
    and false conditions are reported None."""
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                put(table, {"pk": {"N": "7"}}),
                put(table, {"pk": {"N": "8"}}),
                put(table, hkey("c"), ConditionExpression="attribute_exists(pk)"),
            ]
        )
    assert excinfo.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = excinfo.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["ValidationError", "None", "None"]
    assert reasons[0]["Message"] == (
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    )


def test_items_over_4_mb_in_all_fail_the_call(ddb: Any, table: str) -> None:
    filler = 399_000
    puts = [put(table, sized(f"p{i}", filler)) for i in range(11)]  # 4.4 MB in all
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=puts)
    assert error_of(excinfo) == (
        "ValidationException",
        "The aggregate size of the items in the transaction cannot exceed 4 MB",
    )
    assert stored(ddb, table, hkey("p0")) is None


@pytest.mark.parametrize("attribute", ["pk", "sk"])
def test_update_of_a_key_attribute(ddb: Any, tables: tuple[str, str], attribute: str) -> None:
    plain, ranged = tables
    ddb.put_item(TableName=ranged, Item=rkey("k", "r"))
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                put(plain, hkey("side")),
                update(
                    ranged,
                    rkey("k", "r"),
                    "SET #a = :v",
                    ExpressionAttributeNames={"#a": attribute},
                    ExpressionAttributeValues={":v": s("other")},
                ),
            ]
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute "
        f"{attribute}. This attribute is part of the key",
    )
    assert stored(ddb, plain, hkey("side")) is None
    assert stored(ddb, ranged, rkey("k", "r")) == rkey("k", "r")


# ------------------------------------------------------------------------ idempotency


def counter_transaction(table: str, key: str, by: int = 1) -> list[dict[str, Any]]:
    return [update(table, hkey(key), "ADD c :by", ExpressionAttributeValues={":by": n(by)})]


def test_same_token_twice_applies_once(ddb: Any, table: str) -> None:
    token = str(uuid.uuid4())
    first = ddb.transact_write_items(
        TransactItems=counter_transaction(table, "ctr"), ClientRequestToken=token
    )
    second = ddb.transact_write_items(
        TransactItems=counter_transaction(table, "ctr"), ClientRequestToken=token
    )
    assert body(first) == body(second) == {}
    assert stored(ddb, table, hkey("ctr")) == {**hkey("ctr"), "c": n(1)}

    # The token covers the request, not the item: a change to the item in between is left
    # alone by the repeat.
    ddb.update_item(
        TableName=table,
        Key=hkey("ctr"),
        UpdateExpression="ADD c :ten",
        ExpressionAttributeValues={":ten": n(10)},
    )
    ddb.transact_write_items(
        TransactItems=counter_transaction(table, "ctr"), ClientRequestToken=token
    )
    assert stored(ddb, table, hkey("ctr")) == {**hkey("ctr"), "c": n(11)}

    # Without a shared token (boto3 fills in a fresh one per call) each call applies.
    ddb.transact_write_items(TransactItems=counter_transaction(table, "ctr"))
    ddb.transact_write_items(TransactItems=counter_transaction(table, "ctr"))
    assert stored(ddb, table, hkey("ctr")) == {**hkey("ctr"), "c": n(13)}


def test_same_token_other_request_is_a_mismatch(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    token = str(uuid.uuid4())
    ddb.transact_write_items(
        TransactItems=counter_transaction(plain, "ctr"), ClientRequestToken=token
    )
    for other in (
        counter_transaction(plain, "ctr", by=2),  # another value
        counter_transaction(plain, "other"),  # another item
        counter_transaction(plain, "ctr") + [put(ranged, rkey("x", "y"))],  # another action
    ):
        with pytest.raises(ClientError) as excinfo:
            ddb.transact_write_items(TransactItems=other, ClientRequestToken=token)
        assert error_of(excinfo)[0] == "IdempotentParameterMismatchException"
    assert stored(ddb, plain, hkey("ctr")) == {**hkey("ctr"), "c": n(1)}
    assert stored(ddb, plain, hkey("other")) is None
    assert stored(ddb, ranged, rkey("x", "y")) is None

    # ReturnConsumedCapacity is part of the request too.
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=counter_transaction(plain, "ctr"),
            ClientRequestToken=token,
            ReturnConsumedCapacity="TOTAL",
        )
    assert error_of(excinfo)[0] == "IdempotentParameterMismatchException"
    assert stored(ddb, plain, hkey("ctr")) == {**hkey("ctr"), "c": n(1)}


def test_new_token_is_a_new_request(ddb: Any, table: str) -> None:
    """Two tokens with the same request are two requests: both apply."""
    for _ in range(2):
        ddb.transact_write_items(
            TransactItems=counter_transaction(table, "ctr"), ClientRequestToken=fresh("tok")
        )
    assert stored(ddb, table, hkey("ctr")) == {**hkey("ctr"), "c": n(2)}


def test_repeat_reports_read_units(ddb: Any, table: str) -> None:
    """The documented difference of a repeat: the first call reports the write units of the
    changes, a repeat with the same token the read units spent reading the item."""
    token = str(uuid.uuid4())
    item = sized("three", 3 * KB)  # 3 write units (6 transactional), 1 read unit (2 transactional)
    first = ddb.transact_write_items(
        TransactItems=[put(table, item)], ClientRequestToken=token, ReturnConsumedCapacity="TOTAL"
    )
    assert first["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 6.0}]
    again = ddb.transact_write_items(
        TransactItems=[put(table, item)], ClientRequestToken=token, ReturnConsumedCapacity="TOTAL"
    )
    (entry,) = again["ConsumedCapacity"]
    assert entry["TableName"] == table
    assert entry["CapacityUnits"] <= 2.0, "a repeat reports read units, not the write units"


# --------------------------------------------------------------------------- capacity


def test_consumed_capacity_is_twice_the_write_units(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    ddb.put_item(TableName=plain, Item=sized("upd", 500))
    ranged_old = {**rkey("del", "d"), "b": s("x" * (2 * KB + 500))}  # 2.5 KB → 3 units
    ddb.put_item(TableName=ranged, Item=ranged_old)

    reply = ddb.transact_write_items(
        TransactItems=[
            put(plain, sized("new", KB + 500)),  # 2 units → 4
            update(
                plain, hkey("upd"), "SET c = :c", ExpressionAttributeValues={":c": n(1)}
            ),  # 1 → 2
            delete(ranged, rkey("del", "d")),  # 3 → 6
            put(ranged, rkey("tiny", "t")),  # 1 → 2
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert sorted(reply["ConsumedCapacity"], key=lambda c: c["TableName"] == ranged) == [
        {"TableName": plain, "CapacityUnits": 6.0},
        {"TableName": ranged, "CapacityUnits": 8.0},
    ]

    plain_only = ddb.transact_write_items(
        TransactItems=[put(plain, sized("upd", 2 * KB))],  # max(old 0.5 KB, new 2 KB) → 2 → 4
        ReturnConsumedCapacity="TOTAL",
    )
    assert plain_only["ConsumedCapacity"] == [{"TableName": plain, "CapacityUnits": 4.0}]

    none = ddb.transact_write_items(
        TransactItems=[put(plain, hkey("quiet"))], ReturnConsumedCapacity="NONE"
    )
    assert "ConsumedCapacity" not in none


# ----------------------------------------------------------------------- TransactGetItems


def test_transact_get_items(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    a = {**hkey("a"), "v": n(1), "m": {"M": {"x": s("deep"), "y": s("other")}}, "name": s("A")}
    b = {**rkey("b", "1"), "w": s("w")}
    ddb.put_item(TableName=plain, Item=a)
    ddb.put_item(TableName=ranged, Item=b)

    reply = ddb.transact_get_items(
        TransactItems=[
            get(plain, hkey("missing")),
            get(ranged, rkey("b", "1")),
            get(
                plain,
                hkey("a"),
                ProjectionExpression="#n, m.x",
                ExpressionAttributeNames={"#n": "name"},
            ),
            get(ranged, rkey("b", "2")),
        ]
    )
    assert body(reply) == {
        "Responses": [
            {},
            {"Item": b},
            {"Item": {"name": s("A"), "m": {"M": {"x": s("deep")}}}},
            {},
        ]
    }


def test_transact_get_projection_of_nothing(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**hkey("a"), "v": n(1)})
    reply = ddb.transact_get_items(
        TransactItems=[get(table, hkey("a"), ProjectionExpression="nope")]
    )
    assert reply["Responses"] == [{"Item": {}}]


def test_transact_get_duplicates_refused(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_get_items(
            TransactItems=[
                get(ranged, rkey("a", "b")),
                get(plain, hkey("a")),
                get(ranged, {"sk": s("b"), "pk": s("a")}),
            ]
        )
    assert error_of(excinfo) == ("ValidationException", ONE_ITEM)

    # The same key in two tables is two items.
    reply = ddb.transact_get_items(
        TransactItems=[get(plain, hkey("a")), get(ranged, rkey("a", "b"))]
    )
    assert reply["Responses"] == [{}, {}]


def test_transact_get_more_than_100(ddb: Any, table: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_get_items(TransactItems=[get(table, hkey(f"i{i}")) for i in range(101)])
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert TOO_MANY.match(message), message

    reply = ddb.transact_get_items(TransactItems=[get(table, hkey(f"i{i}")) for i in range(100)])
    assert reply["Responses"] == [{}] * 100


def test_transact_get_capacity_is_twice_the_read_units(ddb: Any, tables: tuple[str, str]) -> None:
    plain, ranged = tables
    ddb.put_item(TableName=plain, Item=sized("small", 1 * KB))  # 1 read unit → 2
    ddb.put_item(TableName=plain, Item=sized("five", 5 * KB))  # 2 read units → 4
    ddb.put_item(TableName=ranged, Item={**rkey("r", "r"), "b": s("x" * (9 * KB))})  # 3 → 6
    reply = ddb.transact_get_items(
        TransactItems=[
            get(plain, hkey("small")),
            get(ranged, rkey("r", "r")),
            get(plain, hkey("five")),
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert sorted(reply["ConsumedCapacity"], key=lambda c: c["TableName"] == ranged) == [
        {"TableName": plain, "CapacityUnits": 6.0},
        {"TableName": ranged, "CapacityUnits": 6.0},
    ]
    quiet = ddb.transact_get_items(TransactItems=[get(plain, hkey("small"))])
    assert "ConsumedCapacity" not in quiet


# ----------------------------------------------------------------------- concurrency

ACCOUNTS = 6
OPENING = 1000
RUN_SECONDS = 2.5


def retrying(call: Callable[..., Any], **params: Any) -> Any:
    """Run `call`, retrying TransactionConflictException (DynamoDB's answer when two
    transactions meet on one item; the embedded store serializes them instead)."""
    for _ in range(50):
        try:
            return call(**params)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionConflictException":
                raise
            time.sleep(0.005)
    raise AssertionError("TransactionConflictException 50 times in a row")


def test_transfers_increments_and_snapshots(
    server: Server, ddb: Any, tables: tuple[str, str]
) -> None:
    """Transfers keep the sum of balances constant; single-item increments hit the same items'
    `hits`; every TransactGetItems snapshot sums to the opening total, and the final balances
    and hits equal the model built from the calls that succeeded."""
    plain, ranged = tables
    accounts: list[tuple[str, dict[str, Any]]] = []
    for i in range(ACCOUNTS):
        table = plain if i % 2 == 0 else ranged
        key = hkey(f"acct{i}") if table == plain else rkey(f"acct{i}", "main")
        accounts.append((table, key))
        ddb.put_item(TableName=table, Item={**key, "bal": n(OPENING), "hits": n(0)})
    total = OPENING * ACCOUNTS

    lock = threading.Lock()
    balances = [OPENING] * ACCOUNTS
    hits = [0] * ACCOUNTS
    stats = {"transfers": 0, "refused": 0, "increments": 0, "snapshots": 0}
    failures: list[str] = []
    deadline = time.monotonic() + RUN_SECONDS

    def transfer_worker(seed: int) -> None:
        client = server.client()
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            src, dst = rng.sample(range(ACCOUNTS), 2)
            amount = rng.randint(1, 400)
            (src_table, src_key), (dst_table, dst_key) = accounts[src], accounts[dst]
            actions = [
                update(
                    src_table,
                    src_key,
                    "SET bal = bal - :a",
                    ConditionExpression="bal >= :a",
                    ExpressionAttributeValues={":a": n(amount)},
                ),
                update(
                    dst_table,
                    dst_key,
                    "SET bal = bal + :a",
                    ExpressionAttributeValues={":a": n(amount)},
                ),
            ]
            try:
                retrying(client.transact_write_items, TransactItems=actions)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    failures.append(f"transfer: {exc}")
                    return
                codes = [r["Code"] for r in exc.response["CancellationReasons"]]
                if codes != ["ConditionalCheckFailed", "None"]:
                    failures.append(f"transfer cancelled with {codes}")
                    return
                with lock:
                    stats["refused"] += 1
                continue
            with lock:
                balances[src] -= amount
                balances[dst] += amount
                stats["transfers"] += 1

    def increment_worker(seed: int) -> None:
        client = server.client()
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            which = rng.randrange(ACCOUNTS)
            table, key = accounts[which]
            try:
                retrying(
                    client.update_item,
                    TableName=table,
                    Key=key,
                    UpdateExpression="ADD hits :one",
                    ExpressionAttributeValues={":one": n(1)},
                )
            except ClientError as exc:
                failures.append(f"increment: {exc}")
                return
            with lock:
                hits[which] += 1
                stats["increments"] += 1

    def reader_worker() -> None:
        client = server.client()
        gets = [get(table, key, ProjectionExpression="bal") for table, key in accounts]
        while time.monotonic() < deadline:
            try:
                reply = retrying(client.transact_get_items, TransactItems=gets)
            except ClientError as exc:
                failures.append(f"snapshot: {exc}")
                return
            seen = [int(r["Item"]["bal"]["N"]) for r in reply["Responses"]]
            if sum(seen) != total or min(seen) < 0:
                failures.append(f"snapshot saw half a transfer: {seen} (sum {sum(seen)})")
                return
            with lock:
                stats["snapshots"] += 1

    threads = [threading.Thread(target=transfer_worker, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=increment_worker, args=(100 + i,)) for i in range(2)]
    threads += [threading.Thread(target=reader_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=RUN_SECONDS + 30)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"

    assert failures == []
    assert stats["transfers"] > 10 and stats["increments"] > 10 and stats["snapshots"] > 5, stats
    final = ddb.transact_get_items(TransactItems=[get(table, key) for table, key in accounts])
    items = [r["Item"] for r in final["Responses"]]
    assert [int(item["bal"]["N"]) for item in items] == balances, "a transfer was lost"
    assert [int(item["hits"]["N"]) for item in items] == hits, "an increment was lost"
    assert sum(balances) == total
