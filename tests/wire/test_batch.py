"""BatchGetItem and BatchWriteItem over the wire, as DynamoDB behaves.

Pinned behaviour (AWS API reference for both operations; messages as recorded against live
DynamoDB by dynalite's test suite):

BatchGetItem
- `Responses` has one list per requested table (``[]`` when none of its keys exist); missing
  items are simply absent. `UnprocessedKeys` is always present, ``{}`` when everything was read.
- `ProjectionExpression`, `ExpressionAttributeNames` and `ConsistentRead` are set per table; an
  existing item with none of the projected attributes comes back as ``{}``.
- At most 100 keys per call: over 100 in one table fails the shape check ("Member must have
  length less than or equal to 100" at `requestItems.<table>.member.keys`); over 100 in total
  across tables is "Too many items requested for the BatchGetItem call". Both are validation
  errors raised before any table lookup.
- The same key twice in one table: "Provided list of item keys contains duplicates".
- A missing table (even next to existing ones) fails the whole call with
  ResourceNotFoundException "Requested resource not found".
- A key that is not exactly the table's key attributes with their declared types: "The provided
  key element does not match the schema".
- A response holds at most 16 MB of items; keys that did not fit come back in `UnprocessedKeys`
  with the same per-table shape as the request (Keys plus ProjectionExpression,
  ExpressionAttributeNames, ConsistentRead), so resubmitting `UnprocessedKeys` eventually reads
  every item.

BatchWriteItem
- Puts and deletes over several tables in one call; the reply is exactly
  ``{"UnprocessedItems": {}}`` when everything was written. Deleting a missing item succeeds.
- At most 25 requests per table (shape check: "Map value must satisfy constraint: [Member must
  have length less than or equal to 25, Member must have length greater than or equal to 1]")
  and 25 in total ("Too many items requested for the BatchWriteItem call"); checked before any
  table lookup.
- The same key twice in one table (two puts, or a put and a delete in either order): "Provided
  list of item keys contains duplicates"; the same key in two different tables is fine.
- Every item is validated like PutItem's before anything is written: a put item without the key
  attributes is "The provided key element does not match the schema"; an item over 400 KB is
  "Item size has exceeded the maximum allowed size" (checked before the table lookup); exactly
  400 KB is accepted.
- A WriteRequest with both or neither of PutRequest / DeleteRequest: "Supplied AttributeValue
  has more than one datatypes set, must contain exactly one of the supported datatypes".
- A missing table fails the whole batch (ResourceNotFoundException) and nothing is written.
- ReturnItemCollectionMetrics SIZE on a table without local secondary indexes returns no item
  collection metrics (the member is absent or empty).
- boto3's resource `Table.batch_writer()` (which chunks into 25-request calls and resubmits
  UnprocessedItems) writes and deletes hundreds of items.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Server
from tests.wire.helpers import refused
from tests.wire.http import signed_call

NO_SCHEMA_MATCH = "The provided key element does not match the schema"
DUPLICATES = "Provided list of item keys contains duplicates"
NOT_FOUND = "Requested resource not found"
ONE_DATATYPE = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)
MAX_ITEM = 409_600
MAX_RESPONSE = 16 * 1024 * 1024


def s(value: str) -> dict[str, str]:
    return {"S": value}


def hkey(value: str) -> dict[str, Any]:
    return {"pk": s(value)}


def fresh(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def without_metadata(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in reply.items() if k != "ResponseMetadata"}


def raw_error(server: Server, operation: str, payload: dict[str, Any]) -> tuple[int, str, str]:
    """(status, error code, message) of a request botocore would not send as given."""
    reply = signed_call(server, operation, payload)
    body = reply.json()
    return reply.status, str(body.get("__type", "")).rsplit("#", 1)[-1], body.get("message", "")


def consistent_get(ddb: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get(
        "Item"
    )
    return item


def sort_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: repr(sorted(item.items())))


# =========================================================================== BatchGetItem


def test_batch_get_over_several_tables(ddb: Any, table: str, sorted_table: str) -> None:
    a = {"pk": s("a"), "n": {"N": "1"}}
    b = {"pk": s("b"), "tags": {"SS": ["x", "y"]}}
    c = {"pk": s("c")}
    for item in (a, b, c):
        ddb.put_item(TableName=table, Item=item)
    r1 = {"pk": s("p"), "sk": s("1"), "v": s("one")}
    r2 = {"pk": s("p"), "sk": s("2"), "v": s("two")}
    for item in (r1, r2):
        ddb.put_item(TableName=sorted_table, Item=item)

    reply = ddb.batch_get_item(
        RequestItems={
            table: {"Keys": [hkey("a"), hkey("missing"), hkey("c"), hkey("b")]},
            sorted_table: {
                "Keys": [
                    {"pk": s("p"), "sk": s("2")},
                    {"pk": s("p"), "sk": s("9")},
                    {"pk": s("p"), "sk": s("1")},
                ],
                "ConsistentRead": True,
            },
        }
    )
    assert set(reply["Responses"]) == {table, sorted_table}
    assert sort_items(reply["Responses"][table]) == sort_items([a, b, c])
    assert sort_items(reply["Responses"][sorted_table]) == sort_items([r1, r2])
    assert reply["UnprocessedKeys"] == {}


def test_batch_get_of_only_missing_keys_gives_empty_lists(
    ddb: Any, table: str, sorted_table: str
) -> None:
    reply = ddb.batch_get_item(
        RequestItems={
            table: {"Keys": [hkey(fresh())]},
            sorted_table: {"Keys": [{"pk": s(fresh()), "sk": s("x")}]},
        }
    )
    assert reply["Responses"] == {table: [], sorted_table: []}
    assert reply["UnprocessedKeys"] == {}


def test_batch_get_projection_and_names_per_table(ddb: Any, table: str, sorted_table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={
            "pk": s("a"),
            "name": s("Ann"),
            "info": {"M": {"age": {"N": "30"}, "city": s("Oslo")}},
            "other": s("x"),
        },
    )
    ddb.put_item(TableName=table, Item={"pk": s("bare")})
    ddb.put_item(
        TableName=sorted_table, Item={"pk": s("p"), "sk": s("1"), "v": s("1"), "w": s("w")}
    )

    reply = ddb.batch_get_item(
        RequestItems={
            table: {
                "Keys": [hkey("a"), hkey("bare")],
                # `name` is a reserved word, so it needs a placeholder.
                "ProjectionExpression": "#n, info.city",
                "ExpressionAttributeNames": {"#n": "name"},
                "ConsistentRead": True,
            },
            sorted_table: {
                "Keys": [{"pk": s("p"), "sk": s("1")}],
                "ProjectionExpression": "sk, v",
                "ConsistentRead": False,
            },
        }
    )
    assert sort_items(reply["Responses"][table]) == sort_items(
        [{"name": s("Ann"), "info": {"M": {"city": s("Oslo")}}}, {}]
    )
    assert reply["Responses"][sorted_table] == [{"sk": s("1"), "v": s("1")}]
    assert reply["UnprocessedKeys"] == {}


def test_batch_get_sees_latest_write_with_consistent_read(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("a"), "v": s("1")})
    ddb.put_item(TableName=table, Item={"pk": s("a"), "v": s("2")})
    reply = ddb.batch_get_item(RequestItems={table: {"Keys": [hkey("a")], "ConsistentRead": True}})
    assert reply["Responses"][table] == [{"pk": s("a"), "v": s("2")}]


def test_batch_get_of_more_than_100_keys_in_one_table_refused(ddb: Any, table: str) -> None:
    keys = [hkey(str(i)) for i in range(101)]
    code, msg = refused(lambda: ddb.batch_get_item(RequestItems={table: {"Keys": keys}}))
    assert code == "ValidationException"
    pattern = (
        r"1 validation error detected: Value '\[.+\]' at "
        rf"'requestItems\.{re.escape(table)}\.member\.keys' failed to satisfy constraint: "
        r"Member must have length less than or equal to 100"
    )
    assert re.fullmatch(pattern, msg, re.DOTALL), msg


def test_batch_get_of_more_than_100_keys_in_total_refused(
    ddb: Any, table: str, sorted_table: str
) -> None:
    keys = [hkey(str(i)) for i in range(100)]
    code, msg = refused(
        lambda: ddb.batch_get_item(
            RequestItems={
                table: {"Keys": keys},
                sorted_table: {"Keys": [{"pk": s("p"), "sk": s("1")}]},
            }
        )
    )
    assert (code, msg) == (
        "ValidationException",
        "Too many items requested for the BatchGetItem call",
    )


def test_batch_get_key_count_checked_before_table_lookup(ddb: Any) -> None:
    keys = [hkey(str(i)) for i in range(100)]
    code, msg = refused(
        lambda: ddb.batch_get_item(
            RequestItems={fresh("nope"): {"Keys": keys}, fresh("nope"): {"Keys": [hkey("x")]}}
        )
    )
    assert (code, msg) == (
        "ValidationException",
        "Too many items requested for the BatchGetItem call",
    )


def test_batch_get_of_exactly_100_keys_succeeds(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("7")})
    keys = [hkey(str(i)) for i in range(100)]
    reply = ddb.batch_get_item(RequestItems={table: {"Keys": keys}})
    assert reply["Responses"][table] == [{"pk": s("7")}]
    assert reply["UnprocessedKeys"] == {}


@pytest.mark.parametrize("order", [["a", "a"], ["a", "b", "a"]])
def test_batch_get_duplicate_keys_refused(ddb: Any, table: str, order: list[str]) -> None:
    keys = [hkey(k) for k in order]
    code, msg = refused(lambda: ddb.batch_get_item(RequestItems={table: {"Keys": keys}}))
    assert (code, msg) == ("ValidationException", DUPLICATES)


def test_batch_get_same_key_in_two_tables_is_fine(ddb: Any, make_table: Callable[..., str]) -> None:
    first, second = make_table(), make_table()
    ddb.put_item(TableName=first, Item={"pk": s("k"), "t": s("1")})
    ddb.put_item(TableName=second, Item={"pk": s("k"), "t": s("2")})
    reply = ddb.batch_get_item(
        RequestItems={first: {"Keys": [hkey("k")]}, second: {"Keys": [hkey("k")]}}
    )
    assert reply["Responses"] == {
        first: [{"pk": s("k"), "t": s("1")}],
        second: [{"pk": s("k"), "t": s("2")}],
    }


def test_batch_get_missing_table_is_resource_not_found(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("a")})
    code, msg = refused(
        lambda: ddb.batch_get_item(RequestItems={fresh("nope"): {"Keys": [hkey("a")]}})
    )
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND)
    code, msg = refused(
        lambda: ddb.batch_get_item(
            RequestItems={table: {"Keys": [hkey("a")]}, fresh("nope"): {"Keys": [hkey("a")]}}
        )
    )
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND)


@pytest.mark.parametrize(
    "key",
    [
        {},
        {"other": s("a")},
        {"pk": s("a"), "extra": s("a")},
        {"pk": {"N": "1"}},
        {"pk": {"B": b"ab"}},
        {"pk": {"SS": ["a"]}},
    ],
    ids=["empty", "wrong-name", "extra-attribute", "number", "binary", "string-set"],
)
def test_batch_get_key_not_matching_schema_refused(
    ddb: Any, table: str, key: dict[str, Any]
) -> None:
    code, msg = refused(lambda: ddb.batch_get_item(RequestItems={table: {"Keys": [key]}}))
    assert (code, msg) == ("ValidationException", NO_SCHEMA_MATCH)


def test_batch_get_key_missing_range_attribute_refused(ddb: Any, sorted_table: str) -> None:
    code, msg = refused(
        lambda: ddb.batch_get_item(RequestItems={sorted_table: {"Keys": [hkey("p")]}})
    )
    assert (code, msg) == ("ValidationException", NO_SCHEMA_MATCH)


def test_batch_get_response_is_limited_to_16_mb(ddb: Any, table: str) -> None:
    # 50 items of 390,000 bytes = 19.5 MB: more than one response can carry.
    size = 390_000
    names = [f"big-{i:03d}" for i in range(50)]
    for name in names:
        filler = size - len("pk") - len(name) - len("data")
        ddb.put_item(TableName=table, Item={"pk": s(name), "data": s("x" * filler)})

    request = {
        table: {
            "Keys": [hkey(name) for name in names],
            "ProjectionExpression": "pk, #d",
            "ExpressionAttributeNames": {"#d": "data"},
            "ConsistentRead": True,
        }
    }
    reply = ddb.batch_get_item(RequestItems=request)
    returned = reply["Responses"][table]
    assert returned, "some items fit in the first response"
    sizes = [len("pk") + len(i["pk"]["S"]) + len("data") + len(i["data"]["S"]) for i in returned]
    assert sizes == [size] * len(returned)
    assert sum(sizes) <= MAX_RESPONSE

    unprocessed = reply["UnprocessedKeys"]
    assert set(unprocessed) == {table}
    assert {k: v for k, v in unprocessed[table].items() if k != "Keys"} == {
        "ProjectionExpression": "pk, #d",
        "ExpressionAttributeNames": {"#d": "data"},
        "ConsistentRead": True,
    }
    left = [k["pk"]["S"] for k in unprocessed[table]["Keys"]]
    got = [i["pk"]["S"] for i in returned]
    assert all(set(k) == {"pk"} for k in unprocessed[table]["Keys"])
    assert sorted(got + left) == names

    # Resubmitting UnprocessedKeys as they are eventually reads everything.
    seen = list(got)
    for _ in range(10):
        if not unprocessed:
            break
        reply = ddb.batch_get_item(RequestItems=unprocessed)
        seen += [i["pk"]["S"] for i in reply["Responses"].get(table, [])]
        unprocessed = reply["UnprocessedKeys"]
    assert unprocessed == {}
    assert sorted(seen) == names


# =========================================================================== BatchWriteItem


def test_batch_write_puts_and_deletes_over_several_tables(
    ddb: Any, table: str, sorted_table: str
) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("old"), "v": s("old")})
    ddb.put_item(TableName=sorted_table, Item={"pk": s("p"), "sk": s("old")})
    new = {"pk": s("new"), "v": s("new"), "n": {"N": "12.50"}}
    ranged = {"pk": s("p"), "sk": s("new"), "l": {"L": [s("a"), {"BOOL": True}]}}

    reply = ddb.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": new}},
                {"DeleteRequest": {"Key": hkey("old")}},
                {"DeleteRequest": {"Key": hkey("never-existed")}},
            ],
            sorted_table: [
                {"DeleteRequest": {"Key": {"pk": s("p"), "sk": s("old")}}},
                {"PutRequest": {"Item": ranged}},
            ],
        }
    )
    assert without_metadata(reply) == {"UnprocessedItems": {}}
    assert consistent_get(ddb, table, hkey("new")) == {**new, "n": {"N": "12.5"}}
    assert consistent_get(ddb, table, hkey("old")) is None
    assert consistent_get(ddb, sorted_table, {"pk": s("p"), "sk": s("new")}) == ranged
    assert consistent_get(ddb, sorted_table, {"pk": s("p"), "sk": s("old")}) is None


def test_batch_write_put_replaces_whole_item(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("a"), "x": s("1"), "y": s("2")})
    ddb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": {"pk": s("a"), "z": s("3")}}}]}
    )
    assert consistent_get(ddb, table, hkey("a")) == {"pk": s("a"), "z": s("3")}


def test_batch_write_of_25_requests_succeeds(ddb: Any, table: str) -> None:
    requests = [{"PutRequest": {"Item": {"pk": s(f"i{i}")}}} for i in range(25)]
    reply = ddb.batch_write_item(RequestItems={table: requests})
    assert reply["UnprocessedItems"] == {}
    got = ddb.batch_get_item(
        RequestItems={table: {"Keys": [hkey(f"i{i}") for i in range(25)], "ConsistentRead": True}}
    )
    assert len(got["Responses"][table]) == 25


def test_batch_write_of_more_than_25_requests_in_one_table_refused(ddb: Any, table: str) -> None:
    requests = [
        {"DeleteRequest": {"Key": hkey(str(i))}}
        if i % 2
        else {"PutRequest": {"Item": hkey(str(i))}}
        for i in range(26)
    ]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={table: requests}))
    assert code == "ValidationException"
    pattern = (
        r"1 validation error detected: Value '\{.+\}' at 'requestItems' failed to satisfy "
        r"constraint: Map value must satisfy constraint: \[Member must have length less than "
        r"or equal to 25, Member must have length greater than or equal to 1\]"
    )
    assert re.fullmatch(pattern, msg, re.DOTALL), msg
    assert consistent_get(ddb, table, hkey("0")) is None


def test_batch_write_of_more_than_25_requests_checked_before_table_lookup(ddb: Any) -> None:
    requests = [{"PutRequest": {"Item": hkey(str(i))}} for i in range(26)]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={fresh("nope"): requests}))
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 25" in msg


def test_batch_write_of_more_than_25_requests_in_total_refused(
    ddb: Any, table: str, make_table: Callable[..., str]
) -> None:
    other = make_table()
    requests = [{"PutRequest": {"Item": hkey(str(i))}} for i in range(13)]
    code, msg = refused(
        lambda: ddb.batch_write_item(RequestItems={table: requests, other: requests})
    )
    assert (code, msg) == (
        "ValidationException",
        "Too many items requested for the BatchWriteItem call",
    )
    assert consistent_get(ddb, table, hkey("0")) is None


@pytest.mark.parametrize(
    "requests",
    [
        [
            {"PutRequest": {"Item": {"pk": s("a"), "v": s("1")}}},
            {"PutRequest": {"Item": hkey("a")}},
        ],
        [
            {"PutRequest": {"Item": {"pk": s("a"), "c": s("c")}}},
            {"DeleteRequest": {"Key": hkey("a")}},
        ],
        [
            {"DeleteRequest": {"Key": hkey("a")}},
            {"PutRequest": {"Item": {"pk": s("a"), "c": s("c")}}},
        ],
        [{"DeleteRequest": {"Key": hkey("a")}}, {"DeleteRequest": {"Key": hkey("a")}}],
        [
            {"PutRequest": {"Item": hkey("a")}},
            {"PutRequest": {"Item": hkey("b")}},
            {"DeleteRequest": {"Key": hkey("a")}},
        ],
    ],
    ids=["put-put", "put-delete", "delete-put", "delete-delete", "mixed-up"],
)
def test_batch_write_duplicate_keys_refused(
    ddb: Any, table: str, requests: list[dict[str, Any]]
) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("a"), "keep": s("me")})
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={table: requests}))
    assert (code, msg) == ("ValidationException", DUPLICATES)
    assert consistent_get(ddb, table, hkey("a")) == {"pk": s("a"), "keep": s("me")}
    assert consistent_get(ddb, table, hkey("b")) is None


def test_batch_write_duplicate_detection_uses_the_whole_key(ddb: Any, sorted_table: str) -> None:
    reply = ddb.batch_write_item(
        RequestItems={
            sorted_table: [
                {"PutRequest": {"Item": {"pk": s("p"), "sk": s("1")}}},
                {"PutRequest": {"Item": {"pk": s("p"), "sk": s("2")}}},
            ]
        }
    )
    assert reply["UnprocessedItems"] == {}
    code, msg = refused(
        lambda: ddb.batch_write_item(
            RequestItems={
                sorted_table: [
                    {"PutRequest": {"Item": {"pk": s("q"), "sk": s("1"), "v": s("x")}}},
                    {"DeleteRequest": {"Key": {"pk": s("q"), "sk": s("1")}}},
                ]
            }
        )
    )
    assert (code, msg) == ("ValidationException", DUPLICATES)


def test_batch_write_same_key_in_two_tables_is_fine(
    ddb: Any, make_table: Callable[..., str]
) -> None:
    first, second = make_table(), make_table()
    reply = ddb.batch_write_item(
        RequestItems={
            first: [{"PutRequest": {"Item": hkey("k")}}],
            second: [{"PutRequest": {"Item": hkey("k")}}],
        }
    )
    assert reply["UnprocessedItems"] == {}
    assert consistent_get(ddb, first, hkey("k")) == hkey("k")
    assert consistent_get(ddb, second, hkey("k")) == hkey("k")


@pytest.mark.parametrize(
    "item",
    [
        {},
        {"other": s("a")},
        {"pk": {"N": "1"}},
        {"pk": {"B": b"abcd"}},
        {"pk": {"SS": ["a"]}},
    ],
    ids=["empty", "no-key", "number", "binary", "string-set"],
)
def test_batch_write_put_without_matching_key_refused(
    ddb: Any, table: str, item: dict[str, Any]
) -> None:
    requests = [{"PutRequest": {"Item": hkey("ok")}}, {"PutRequest": {"Item": item}}]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={table: requests}))
    assert (code, msg) == ("ValidationException", NO_SCHEMA_MATCH)
    assert consistent_get(ddb, table, hkey("ok")) is None


def test_batch_write_put_missing_range_key_refused(ddb: Any, sorted_table: str) -> None:
    requests = [{"PutRequest": {"Item": {"pk": s("p")}}}]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={sorted_table: requests}))
    assert (code, msg) == ("ValidationException", NO_SCHEMA_MATCH)


def test_batch_write_delete_key_not_matching_schema_refused(ddb: Any, table: str) -> None:
    requests = [{"DeleteRequest": {"Key": {"pk": s("a"), "extra": s("b")}}}]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={table: requests}))
    assert (code, msg) == ("ValidationException", NO_SCHEMA_MATCH)


def test_batch_write_invalid_attribute_value_refused(ddb: Any, table: str) -> None:
    requests = [{"PutRequest": {"Item": {"pk": s("a"), "ss": {"SS": ["x", "x"]}}}}]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={table: requests}))
    assert (code, msg) == (
        "ValidationException",
        "One or more parameter values were invalid: Input collection [x, x] contains duplicates.",
    )


def test_batch_write_hash_key_too_long_refused(ddb: Any, table: str) -> None:
    requests = [{"PutRequest": {"Item": hkey("a" * 2049)}}]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={table: requests}))
    assert (code, msg) == (
        "ValidationException",
        "One or more parameter values were invalid: "
        "Size of hashkey has exceeded the maximum size limit of2048 bytes",
    )


def sized(key: str, total: int) -> dict[str, Any]:
    """An item of exactly `total` bytes (developer guide, "Item sizes and formats"): "pk" + key + "b" + filler."""
    return {"pk": s(key), "b": s("x" * (total - len("pk") - len(key) - len("b")))}


def test_batch_write_item_over_400_kb_refused_and_nothing_written(ddb: Any, table: str) -> None:
    requests = [
        {"PutRequest": {"Item": hkey("small")}},
        {"PutRequest": {"Item": sized("big", MAX_ITEM + 1)}},
    ]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={table: requests}))
    assert (code, msg) == ("ValidationException", "Item size has exceeded the maximum allowed size")
    assert consistent_get(ddb, table, hkey("small")) is None


def test_batch_write_item_size_checked_before_table_lookup(ddb: Any) -> None:
    requests = [{"PutRequest": {"Item": sized("big", MAX_ITEM + 1)}}]
    code, msg = refused(lambda: ddb.batch_write_item(RequestItems={fresh("nope"): requests}))
    assert (code, msg) == ("ValidationException", "Item size has exceeded the maximum allowed size")


def test_batch_write_item_of_exactly_400_kb_accepted(ddb: Any, table: str) -> None:
    reply = ddb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": sized("big", MAX_ITEM)}}]}
    )
    assert reply["UnprocessedItems"] == {}
    got = consistent_get(ddb, table, hkey("big"))
    assert got is not None and len(got["b"]["S"]) == MAX_ITEM - 6


@pytest.mark.parametrize(
    "request_",
    [
        {},
        {"PutRequest": {"Item": hkey("a")}, "DeleteRequest": {"Key": hkey("b")}},
    ],
    ids=["neither", "both"],
)
def test_batch_write_request_needs_exactly_one_action(
    server: Server, ddb: Any, table: str, request_: dict[str, Any]
) -> None:
    status, code, msg = raw_error(server, "BatchWriteItem", {"RequestItems": {table: [request_]}})
    assert (status, code, msg) == (400, "ValidationException", ONE_DATATYPE)
    assert consistent_get(ddb, table, hkey("a")) is None


def test_batch_write_missing_table_fails_whole_batch(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": s("keep")})
    code, msg = refused(
        lambda: ddb.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": hkey("new")}},
                    {"DeleteRequest": {"Key": hkey("keep")}},
                ],
                fresh("nope"): [{"PutRequest": {"Item": hkey("x")}}],
            }
        )
    )
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND)
    assert consistent_get(ddb, table, hkey("new")) is None
    assert consistent_get(ddb, table, hkey("keep")) == hkey("keep")


def test_batch_write_return_item_collection_metrics_without_lsi(ddb: Any, table: str) -> None:
    reply = ddb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": hkey("a")}}]},
        ReturnItemCollectionMetrics="SIZE",
    )
    assert reply["UnprocessedItems"] == {}
    # Item collection metrics exist only for tables with local secondary indexes.
    assert reply.get("ItemCollectionMetrics", {}) == {}
    assert consistent_get(ddb, table, hkey("a")) == hkey("a")


def test_resource_batch_writer_writes_and_deletes_hundreds(
    ddb: Any, ddb_resource: Any, table: str
) -> None:
    resource_table = ddb_resource.Table(table)
    with resource_table.batch_writer() as writer:
        for i in range(300):
            writer.put_item(Item={"pk": f"item-{i:03d}", "n": i, "tags": {"a", "b"}})
    with resource_table.batch_writer() as writer:
        for i in range(0, 300, 3):
            writer.delete_item(Key={"pk": f"item-{i:03d}"})

    found: list[str] = []
    for start in range(0, 300, 100):
        request = {
            table: {
                "Keys": [hkey(f"item-{i:03d}") for i in range(start, start + 100)],
                "ConsistentRead": True,
            }
        }
        while request:
            reply = ddb.batch_get_item(RequestItems=request)
            found += [item["pk"]["S"] for item in reply["Responses"].get(table, [])]
            request = reply["UnprocessedKeys"]
    assert sorted(found) == [f"item-{i:03d}" for i in range(300) if i % 3]
    item = resource_table.get_item(Key={"pk": "item-001"}, ConsistentRead=True)["Item"]
    assert item == {"pk": "item-001", "n": 1, "tags": {"a", "b"}}


def test_batch_write_keeps_item_count_and_size_exact(ddb: Any, table: str) -> None:
    """Puts of new and held keys and deletes in one call move ItemCount and TableSizeBytes by
    exactly what they wrote (the counters are tallied once per table per call)."""

    def put(pk: str, value: str) -> dict[str, Any]:
        return {"PutRequest": {"Item": {"pk": {"S": pk}, "v": {"S": value}}}}

    ddb.batch_write_item(RequestItems={table: [put("a", "x"), put("b", "yy"), put("c", "zzz")]})
    ddb.batch_write_item(
        RequestItems={
            table: [
                put("a", "longer"),  # replaces: size grows by 5, count unchanged
                {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "never-there"}}}},
                put("d", "w"),
            ]
        }
    )
    described = ddb.describe_table(TableName=table)["Table"]
    items = {"a": "longer", "c": "zzz", "d": "w"}  # each: "pk" + key + "v" + value
    assert described["ItemCount"] == 3
    assert described["TableSizeBytes"] == sum(3 + len(k) + len(v) for k, v in items.items())
