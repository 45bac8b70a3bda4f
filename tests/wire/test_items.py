"""PutItem, GetItem and DeleteItem over the wire, as DynamoDB behaves.

Pinned behaviour:
- All ten attribute types (S, N, B, BOOL, NULL, M, L, SS, NS, BS) round-trip unchanged; numbers
  come back normalised (no exponent, no leading zeros, no trailing fractional zeros), e.g.
  ``0001.500`` → ``1.5`` and the 38-digit / 1E±125 examples of the developer guide's "Number" type.
- Empty strings and binaries are allowed in non-key attributes (also nested).
- Sets must be non-empty and without duplicates (NS duplicates compared numerically); numbers
  must parse and fit 38 digits and the 1E-130 … 9.99E+125 range. Exact DynamoDB messages.
- Key rules: the Item must hold every key attribute with its declared type; a Key parameter
  must name exactly the key attributes ("The provided key element does not match the schema");
  key values may not be empty; hash keys ≤ 2048 bytes, range keys ≤ 1024 bytes.
- Item size ≤ 400 KB = 409,600 bytes inclusive (the developer guide's size rules).
- A missing table is ResourceNotFoundException "Requested resource not found".
- ReturnValues: PutItem/DeleteItem allow only NONE and ALL_OLD; Attributes is omitted when
  there is nothing to return.
- ReturnConsumedCapacity TOTAL/INDEXES: reads in 4 KB units (½ when eventually consistent),
  writes in 1 KB units of max(old, new) size; deleting a missing item costs 1.
- ProjectionExpression: nested paths give partial maps, list indexes give compacted lists,
  missing paths are silently omitted.
- The boto3 resource API (Python types, Decimal, sets, Binary) works end to end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.wire.helpers import key_of, refused

INVALID = "One or more parameter values were invalid: "
MAX_ITEM = 409_600


def fresh_key() -> str:
    return "k-" + uuid.uuid4().hex[:10]


def canon(value: Any) -> Any:
    """Wire values with set members sorted, so sets compare regardless of order."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS", "BS") and isinstance(v, list):
                out[k] = sorted(v)
            else:
                out[k] = canon(v)
        return out
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


def get(ddb: Any, table: str, key: str, **extra: Any) -> dict[str, Any] | None:
    reply = ddb.get_item(TableName=table, Key=key_of(key), ConsistentRead=True, **extra)
    item: dict[str, Any] | None = reply.get("Item")
    return item


# --------------------------------------------------------------------------- round trips

ALL_TYPES_ITEM: dict[str, Any] = {
    "s": {"S": "text ü €"},
    "n": {"N": "-56.789"},
    "b": {"B": b"\x00\x01\xfe\xff"},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["-56.789", "1", "3e2"]},
    "bs": {"BS": [b"\x01", b"\x02\x03"]},
    "l": {
        "L": [
            {"S": "a"},
            {"N": "1"},
            {"B": b"b"},
            {"BOOL": True},
            {"NULL": True},
            {"SS": ["x"]},
            {"NS": ["2"]},
            {"BS": [b"y"]},
            {"L": []},
            {"M": {}},
        ]
    },
    "m": {
        "M": {
            "a": {"S": "a"},
            "n": {"N": "0"},
            "deeper": {"M": {"x": {"L": [{"M": {"y": {"BOOL": False}}}]}}},
            "empty": {"M": {}},
        }
    },
}


def test_put_then_get_round_trips_all_ten_types(ddb: Any, table: str) -> None:
    item = {"pk": {"S": "all"}, **ALL_TYPES_ITEM}
    assert "Attributes" not in ddb.put_item(TableName=table, Item=item)
    got = get(ddb, table, "all")
    expected = dict(item)
    expected["ns"] = {"NS": ["-56.789", "1", "300"]}  # 3e2 is normalised
    assert canon(got) == canon(expected)


def test_get_of_missing_item_has_no_item_member(ddb: Any, table: str) -> None:
    reply = ddb.get_item(TableName=table, Key=key_of("nobody"))
    assert "Item" not in reply


def test_put_replaces_the_whole_item(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "r"}, "a": {"S": "1"}, "b": {"S": "2"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "r"}, "c": {"S": "3"}})
    assert get(ddb, table, "r") == {"pk": {"S": "r"}, "c": {"S": "3"}}


def test_range_key_items_are_distinct(ddb: Any, sorted_table: str) -> None:
    ddb.put_item(
        TableName=sorted_table,
        Item={"pk": {"S": "h"}, "sk": {"S": "1"}, "v": {"N": "1"}},
    )
    ddb.put_item(
        TableName=sorted_table,
        Item={"pk": {"S": "h"}, "sk": {"S": "2"}, "v": {"N": "2"}},
    )
    reply = ddb.get_item(
        TableName=sorted_table,
        Key={"pk": {"S": "h"}, "sk": {"S": "1"}},
        ConsistentRead=True,
    )
    assert reply["Item"] == {"pk": {"S": "h"}, "sk": {"S": "1"}, "v": {"N": "1"}}


def test_number_and_binary_keys(ddb: Any, make_table: Callable[..., str]) -> None:
    numbers = make_table(hash_key=("id", "N"), range_key=("bin", "B"))
    key = {"id": {"N": "001.50"}, "bin": {"B": b"\x00\xff"}}
    ddb.put_item(TableName=numbers, Item={**key, "x": {"S": "y"}})
    # 1.5 and 001.50 are the same number, so the same key.
    reply = ddb.get_item(
        TableName=numbers,
        Key={"id": {"N": "1.5"}, "bin": {"B": b"\x00\xff"}},
        ConsistentRead=True,
    )
    assert reply["Item"] == {
        "id": {"N": "1.5"},
        "bin": {"B": b"\x00\xff"},
        "x": {"S": "y"},
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0001.500", "1.5"),
        ("1.500", "1.5"),
        ("+7", "7"),
        ("-0", "0"),
        ("0.000", "0"),
        ("1e3", "1000"),
        ("1E-3", "0.001"),
        ("-0015.789e6", "-15789000"),
        (
            "0000012345678901234567890123456789012345678",
            "12345678901234567890123456789012345678",
        ),
        (
            "-00001.23456789012345678901234567890123456780000",
            "-1.2345678901234567890123456789012345678",
        ),
        ("0009.99999999999999999999999999999999999990000e125", "9" * 38 + "0" * 88),
        (
            "-0009.99999999999999999999999999999999999990000e125",
            "-" + "9" * 38 + "0" * 88,
        ),
        ("0001.000e-130", "0." + "0" * 129 + "1"),
        ("-0001.000e-130", "-0." + "0" * 129 + "1"),
    ],
)
def test_numbers_are_normalised_on_output(ddb: Any, table: str, given: str, stored: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "num"}, "n": {"N": given}})
    assert get(ddb, table, "num")["n"] == {"N": stored}  # type: ignore[index]


def test_number_sets_are_normalised_on_output(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "ns"}, "ns": {"NS": ["01.10", "2e1", "-0.50"]}},
    )
    assert sorted(get(ddb, table, "ns")["ns"]["NS"]) == ["-0.5", "1.1", "20"]  # type: ignore[index]


def test_empty_strings_and_binaries_allowed_outside_keys(ddb: Any, table: str) -> None:
    item = {
        "pk": {"S": "empty"},
        "s": {"S": ""},
        "b": {"B": b""},
        "m": {"M": {"s": {"S": ""}, "b": {"B": b""}}},
        "l": {"L": [{"S": ""}, {"B": b""}]},
    }
    ddb.put_item(TableName=table, Item=item)
    assert get(ddb, table, "empty") == item


# --------------------------------------------------------------------------- value validation


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"SS": []}, INVALID + "An string set  may not be empty"),
        ({"NS": []}, INVALID + "An number set  may not be empty"),
        ({"BS": []}, INVALID + "Binary sets should not be empty"),
        ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
        ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
        ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),
        (
            {"BS": [b"b", b"b"]},
            INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates.",
        ),
        (
            {"NULL": False},
            INVALID + "Null attribute value types must have the value of true",
        ),
    ],
    ids=[
        "empty-SS",
        "empty-NS",
        "empty-BS",
        "dup-SS",
        "dup-NS",
        "dup-NS-numeric",
        "dup-BS",
        "NULL-false",
    ],
)
def test_invalid_set_and_null_values_refused(
    ddb: Any, table: str, value: dict[str, Any], message: str
) -> None:
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item={"pk": {"S": "x"}, "a": value}))
    assert (code, msg) == ("ValidationException", message)
    assert get(ddb, table, "x") is None


def test_invalid_value_nested_in_map_refused(ddb: Any, table: str) -> None:
    item = {"pk": {"S": "x"}, "m": {"M": {"inner": {"L": [{"SS": []}]}}}}
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item=item))
    assert (code, msg) == (
        "ValidationException",
        INVALID + "An string set  may not be empty",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"N": "abc"}, "The parameter cannot be converted to a numeric value: abc"),
        ({"N": ""}, "The parameter cannot be converted to a numeric value"),
        (
            {"NS": ["1", "b", "a"]},
            "The parameter cannot be converted to a numeric value: b",
        ),
        (
            {"N": "123456789012345678901234567890123456789"},
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            {"N": "-1.23456789012345678901234567890123456789"},
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            {"N": "1e126"},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            {"N": "-1e126"},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            {"N": "1e-131"},
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
        (
            {"N": "-1e-131"},
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
    ],
    ids=[
        "letters",
        "empty",
        "in-set",
        "39-digits",
        "39-digits-fraction",
        "overflow",
        "neg-overflow",
        "underflow",
        "neg-underflow",
    ],
)
def test_invalid_numbers_refused(ddb: Any, table: str, value: dict[str, Any], message: str) -> None:
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item={"pk": {"S": "x"}, "a": value}))
    assert (code, msg) == ("ValidationException", message)


def test_extreme_numbers_accepted(ddb: Any, table: str) -> None:
    item = {
        "pk": {"S": "extreme"},
        "big": {"N": "9.9999999999999999999999999999999999999E+125"},
        "small": {"N": "1E-130"},
        "digits": {"N": "12345678901234567890123456789012345678"},
    }
    ddb.put_item(TableName=table, Item=item)
    got = get(ddb, table, "extreme")
    assert got is not None
    assert got["big"] == {"N": "9" * 38 + "0" * 88}
    assert got["small"] == {"N": "0." + "0" * 129 + "1"}
    assert got["digits"] == item["digits"]


# --------------------------------------------------------------------------- keys


def test_item_missing_the_hash_key_refused(ddb: Any, table: str) -> None:
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item={"other": {"S": "a"}}))
    assert (code, msg) == (
        "ValidationException",
        INVALID + "Missing the key pk in the item",
    )


def test_item_missing_the_range_key_refused(ddb: Any, sorted_table: str) -> None:
    code, msg = refused(lambda: ddb.put_item(TableName=sorted_table, Item={"pk": {"S": "a"}}))
    assert (code, msg) == (
        "ValidationException",
        INVALID + "Missing the key sk in the item",
    )


@pytest.mark.parametrize(
    ("value", "actual"),
    [
        ({"N": "1"}, "N"),
        ({"B": b"a"}, "B"),
        ({"SS": ["a"]}, "SS"),
        ({"BOOL": True}, "BOOL"),
    ],
)
def test_item_key_of_wrong_type_refused(
    ddb: Any, table: str, value: dict[str, Any], actual: str
) -> None:
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item={"pk": value}))
    assert (code, msg) == (
        "ValidationException",
        INVALID + f"Type mismatch for key pk expected: S actual: {actual}",
    )


@pytest.mark.parametrize(
    "key",
    [
        {},
        {"other": {"S": "a"}},
        {"pk": {"S": "a"}, "extra": {"S": "b"}},
        {"pk": {"N": "1"}},
        {"pk": {"B": b"a"}},
        {"pk": {"SS": ["a"]}},
        {"pk": {"M": {}}},
    ],
    ids=["empty", "wrong-name", "extra", "number", "binary", "set", "map"],
)
@pytest.mark.parametrize("operation", ["get_item", "delete_item", "update_item"])
def test_key_not_matching_schema_refused(
    ddb: Any, table: str, key: dict[str, Any], operation: str
) -> None:
    code, msg = refused(lambda: getattr(ddb, operation)(TableName=table, Key=key))
    assert (code, msg) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )


def test_key_missing_range_attribute_refused(ddb: Any, sorted_table: str) -> None:
    code, msg = refused(lambda: ddb.get_item(TableName=sorted_table, Key={"pk": {"S": "a"}}))
    assert (code, msg) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )


def test_empty_string_key_refused(ddb: Any, table: str) -> None:
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item={"pk": {"S": ""}}))
    assert (code, msg) == (
        "ValidationException",
        (
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: pk"
        ),
    )


def test_empty_range_key_refused(ddb: Any, sorted_table: str) -> None:
    item = {"pk": {"S": "a"}, "sk": {"S": ""}}
    code, msg = refused(lambda: ddb.put_item(TableName=sorted_table, Item=item))
    assert (code, msg) == (
        "ValidationException",
        (
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: sk"
        ),
    )


def test_empty_binary_key_refused(ddb: Any, make_table: Callable[..., str]) -> None:
    binary = make_table(hash_key=("pk", "B"))
    code, msg = refused(lambda: ddb.put_item(TableName=binary, Item={"pk": {"B": b""}}))
    assert (code, msg) == (
        "ValidationException",
        (
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty binary value. Key: pk"
        ),
    )


def test_hash_key_of_2048_bytes_accepted_and_2049_refused(ddb: Any, table: str) -> None:
    longest = "é" * 1024  # 2048 UTF-8 bytes
    ddb.put_item(TableName=table, Item={"pk": {"S": longest}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": longest}})["Item"] == {
        "pk": {"S": longest}
    }
    too_long = "a" + longest
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item={"pk": {"S": too_long}}))
    assert (code, msg) == (
        "ValidationException",
        INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes",
    )
    code, msg = refused(lambda: ddb.get_item(TableName=table, Key={"pk": {"S": too_long}}))
    assert (code, msg) == (
        "ValidationException",
        INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes",
    )


def test_range_key_of_1024_bytes_accepted_and_1025_refused(ddb: Any, sorted_table: str) -> None:
    longest = "r" * 1024
    ddb.put_item(TableName=sorted_table, Item={"pk": {"S": "a"}, "sk": {"S": longest}})
    code, msg = refused(
        lambda: ddb.put_item(
            TableName=sorted_table, Item={"pk": {"S": "a"}, "sk": {"S": longest + "r"}}
        )
    )
    assert (code, msg) == (
        "ValidationException",
        INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
    )


# --------------------------------------------------------------------------- item size


def sized_item(key: str, total: int, attr: str = "b") -> dict[str, Any]:
    """An item of exactly `total` bytes: len("pk") + len(key) + len(attr) + filler."""
    filler = total - len("pk") - len(key) - len(attr)
    return {"pk": {"S": key}, attr: {"S": "x" * filler}}


def test_item_of_exactly_400_kb_accepted(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized_item("big", MAX_ITEM))
    got = get(ddb, table, "big")
    assert got is not None and len(got["b"]["S"]) == MAX_ITEM - 6


def test_item_one_byte_over_400_kb_refused(ddb: Any, table: str) -> None:
    code, msg = refused(lambda: ddb.put_item(TableName=table, Item=sized_item("big", MAX_ITEM + 1)))
    assert (code, msg) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )
    assert get(ddb, table, "big") is None


def test_item_size_counts_attribute_names_numbers_and_nesting(ddb: Any, table: str) -> None:
    # "12345" has 5 digits, exponent 4: 1 + 3 = 4 bytes. Map: 3 + (1 + 1 + 1) = 6 (name "k",
    # value "v"). List: 3 + (1 + 1) = 5. So: pk(2+3) + n(1+4) + m(1+6) + l(1+5) = 23 + filler.
    base = {
        "pk": {"S": "abc"},
        "n": {"N": "12345"},
        "m": {"M": {"k": {"S": "v"}}},
        "l": {"L": [{"S": "w"}]},
    }
    fixed = 2 + 3 + 1 + 4 + 1 + 6 + 1 + 5
    filler = MAX_ITEM - fixed - len("f")
    ddb.put_item(TableName=table, Item={**base, "f": {"S": "x" * filler}})
    code, msg = refused(
        lambda: ddb.put_item(TableName=table, Item={**base, "f": {"S": "x" * (filler + 1)}})
    )
    assert (code, msg) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )


@pytest.mark.parametrize(
    ("number", "size"),
    [
        ("0", 1),
        ("7", 2),
        ("-7", 3),
        ("12", 2),
        ("1.2", 3),
        ("-1.2", 4),
        ("123", 3),
        ("12.34", 3),
        ("1.234", 4),
        ("0.01", 2),
        ("1" + "0" * 125, 2),
        ("11" + "0" * 124, 2),
        ("11111" + "0" * 121, 4),
        ("1111111" + "0" * 119, 5),
        ("1" * 38 + "0" * 88, 20),
    ],
)
def test_number_size_at_the_400_kb_boundary(ddb: Any, table: str, number: str, size: int) -> None:
    # Bytes of a number (developer guide, "Item sizes and formats"): 1 + ⌈digits/2⌉, +1 when the digit count and the
    # leading digit's decimal exponent are both even, +1 when negative.
    fixed = len("pk") + len("num") + len("c") + size + len("b")
    item = {"pk": {"S": "num"}, "c": {"N": number}}
    ddb.put_item(TableName=table, Item={**item, "b": {"S": "x" * (MAX_ITEM - fixed)}})
    code, msg = refused(
        lambda: ddb.put_item(
            TableName=table, Item={**item, "b": {"S": "x" * (MAX_ITEM - fixed + 1)}}
        )
    )
    assert (code, msg) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )


def test_set_and_binary_sizes_at_the_400_kb_boundary(ddb: Any, table: str) -> None:
    # Sets count their members only; B counts decoded bytes; BOOL and NULL one byte each.
    item = {
        "pk": {"S": "set"},
        "ss": {"SS": ["ab", "c"]},  # 3
        "ns": {"NS": ["1", "22"]},  # 2 + 2
        "bs": {"BS": [b"\x00\x01", b"\x02"]},  # 3
        "bin": {"B": b"\xff" * 10},  # 10
        "t": {"BOOL": True},  # 1
        "z": {"NULL": True},  # 1
    }
    fixed = (2 + 3) + (2 + 3) + (2 + 4) + (2 + 3) + (3 + 10) + (1 + 1) + (1 + 1) + len("f")
    ddb.put_item(TableName=table, Item={**item, "f": {"S": "x" * (MAX_ITEM - fixed)}})
    code, msg = refused(
        lambda: ddb.put_item(
            TableName=table, Item={**item, "f": {"S": "x" * (MAX_ITEM - fixed + 1)}}
        )
    )
    assert (code, msg) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )


# --------------------------------------------------------------------------- missing table


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("put_item", {"Item": {"pk": {"S": "a"}}}),
        ("get_item", {"Key": {"pk": {"S": "a"}}}),
        ("delete_item", {"Key": {"pk": {"S": "a"}}}),
        ("update_item", {"Key": {"pk": {"S": "a"}}}),
    ],
)
def test_missing_table_is_resource_not_found(
    ddb: Any, operation: str, params: dict[str, Any]
) -> None:
    name = "missing-" + uuid.uuid4().hex[:8]
    code, msg = refused(lambda: getattr(ddb, operation)(TableName=name, **params))
    assert (code, msg) == ("ResourceNotFoundException", "Requested resource not found")


# --------------------------------------------------------------------------- ReturnValues


def test_put_all_old_returns_previous_item(ddb: Any, table: str) -> None:
    first = {"pk": {"S": "rv"}, "b": {"N": "-0015.789e6"}, "c": {"S": "a"}}
    reply = ddb.put_item(TableName=table, Item=first, ReturnValues="ALL_OLD")
    assert "Attributes" not in reply
    reply = ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "rv"}, "b": {"S": "b"}},
        ReturnValues="ALL_OLD",
    )
    assert reply["Attributes"] == {
        "pk": {"S": "rv"},
        "b": {"N": "-15789000"},
        "c": {"S": "a"},
    }


def test_put_return_values_none_returns_nothing(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "rv"}})
    reply = ddb.put_item(TableName=table, Item={"pk": {"S": "rv"}}, ReturnValues="NONE")
    assert "Attributes" not in reply


@pytest.mark.parametrize("mode", ["UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
@pytest.mark.parametrize("operation", ["put_item", "delete_item"])
def test_put_and_delete_refuse_other_return_values(
    ddb: Any, table: str, mode: str, operation: str
) -> None:
    params: dict[str, Any] = (
        {"Item": {"pk": {"S": "a"}}} if operation == "put_item" else {"Key": {"pk": {"S": "a"}}}
    )
    code, msg = refused(
        lambda: getattr(ddb, operation)(TableName=table, ReturnValues=mode, **params)
    )
    assert (code, msg) == (
        "ValidationException",
        "ReturnValues can only be ALL_OLD or NONE",
    )


def test_delete_all_old_returns_deleted_item(ddb: Any, table: str) -> None:
    item = {"pk": {"S": "gone"}, "v": {"SS": ["x"]}}
    ddb.put_item(TableName=table, Item=item)
    reply = ddb.delete_item(TableName=table, Key=key_of("gone"), ReturnValues="ALL_OLD")
    assert reply["Attributes"] == item
    assert get(ddb, table, "gone") is None


def test_delete_of_missing_item_succeeds_without_attributes(ddb: Any, table: str) -> None:
    reply = ddb.delete_item(TableName=table, Key=key_of("never"), ReturnValues="ALL_OLD")
    assert "Attributes" not in reply


# --------------------------------------------------------------------------- capacity


def capacity(reply: dict[str, Any], table: str, mode: str) -> float:
    cc = reply["ConsumedCapacity"]
    assert cc["TableName"] == table
    if mode == "INDEXES":
        assert cc["Table"]["CapacityUnits"] == cc["CapacityUnits"]
    else:
        assert "Table" not in cc
    return float(cc["CapacityUnits"])


@pytest.mark.parametrize("mode", ["TOTAL", "INDEXES"])
def test_get_capacity_of_missing_item(ddb: Any, table: str, mode: str) -> None:
    eventual = ddb.get_item(TableName=table, Key=key_of("none"), ReturnConsumedCapacity=mode)
    assert capacity(eventual, table, mode) == 0.5
    strong = ddb.get_item(
        TableName=table,
        Key=key_of("none"),
        ReturnConsumedCapacity=mode,
        ConsistentRead=True,
    )
    assert capacity(strong, table, mode) == 1.0


@pytest.mark.parametrize(
    ("size", "strong", "eventual"),
    [(4096, 1.0, 0.5), (4097, 2.0, 1.0), (5 * 1024, 2.0, 1.0), (8193, 3.0, 1.5)],
)
def test_get_capacity_rounds_item_size_up_to_4_kb(
    ddb: Any, table: str, size: int, strong: float, eventual: float
) -> None:
    ddb.put_item(TableName=table, Item=sized_item("cap", size))
    for consistent, units in ((True, strong), (False, eventual)):
        reply = ddb.get_item(
            TableName=table,
            Key=key_of("cap"),
            ConsistentRead=consistent,
            ReturnConsumedCapacity="TOTAL",
        )
        assert capacity(reply, table, "TOTAL") == units


def test_get_without_return_consumed_capacity_has_none(ddb: Any, table: str) -> None:
    assert "ConsumedCapacity" not in ddb.get_item(TableName=table, Key=key_of("a"))
    reply = ddb.get_item(TableName=table, Key=key_of("a"), ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in reply


@pytest.mark.parametrize("mode", ["TOTAL", "INDEXES"])
@pytest.mark.parametrize(
    ("size", "units"), [(100, 1.0), (1024, 1.0), (1025, 2.0), (1536, 2.0), (3000, 3.0)]
)
def test_put_capacity_rounds_item_size_up_to_1_kb(
    ddb: Any, table: str, mode: str, size: int, units: float
) -> None:
    reply = ddb.put_item(TableName=table, Item=sized_item("w", size), ReturnConsumedCapacity=mode)
    assert capacity(reply, table, mode) == units


def test_put_capacity_counts_the_larger_of_old_and_new(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=sized_item("w", 3000))
    reply = ddb.put_item(TableName=table, Item={"pk": {"S": "w"}}, ReturnConsumedCapacity="TOTAL")
    assert capacity(reply, table, "TOTAL") == 3.0


def test_delete_capacity(ddb: Any, table: str) -> None:
    missing = ddb.delete_item(TableName=table, Key=key_of("none"), ReturnConsumedCapacity="TOTAL")
    assert capacity(missing, table, "TOTAL") == 1.0
    ddb.put_item(TableName=table, Item=sized_item("d", 1536))
    reply = ddb.delete_item(TableName=table, Key=key_of("d"), ReturnConsumedCapacity="INDEXES")
    assert capacity(reply, table, "INDEXES") == 2.0


def test_consistent_read_sees_the_latest_write(ddb: Any, table: str) -> None:
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "v": {"N": str(i)}})
        assert get(ddb, table, "c") == {"pk": {"S": "c"}, "v": {"N": str(i)}}


# --------------------------------------------------------------------------- projection


@pytest.fixture
def projected(ddb: Any, table: str) -> Iterator[str]:
    ddb.put_item(
        TableName=table,
        Item={
            "pk": {"S": "p"},
            "a": {
                "M": {
                    "b": {"N": "1"},
                    "c": {"N": "2"},
                    "d": {"M": {"e": {"S": "deep"}, "f": {"S": "no"}}},
                }
            },
            "l": {
                "L": [
                    {"N": "10"},
                    {"N": "20"},
                    {"N": "30"},
                    {"M": {"x": {"S": "y"}, "z": {"S": "w"}}},
                ]
            },
            "x": {"S": "top"},
            "dotted.name": {"S": "dot"},
        },
    )
    yield table


@pytest.mark.parametrize(
    ("projection", "names", "expected"),
    [
        ("x", None, {"x": {"S": "top"}}),
        ("pk, x", None, {"pk": {"S": "p"}, "x": {"S": "top"}}),
        ("a.b", None, {"a": {"M": {"b": {"N": "1"}}}}),
        (
            "a.b, a.d.e",
            None,
            {"a": {"M": {"b": {"N": "1"}, "d": {"M": {"e": {"S": "deep"}}}}}},
        ),
        ("l[1]", None, {"l": {"L": [{"N": "20"}]}}),
        ("l[2], l[0]", None, {"l": {"L": [{"N": "10"}, {"N": "30"}]}}),
        ("l[3].x", None, {"l": {"L": [{"M": {"x": {"S": "y"}}}]}}),
        ("x, nothing, a.nothing, l[9]", None, {"x": {"S": "top"}}),
        ("#d", {"#d": "dotted.name"}, {"dotted.name": {"S": "dot"}}),
        ("#a.#b", {"#a": "a", "#b": "b"}, {"a": {"M": {"b": {"N": "1"}}}}),
    ],
)
def test_projection_expression(
    ddb: Any,
    projected: str,
    projection: str,
    names: dict[str, str] | None,
    expected: dict[str, Any],
) -> None:
    params: dict[str, Any] = {"ProjectionExpression": projection}
    if names:
        params["ExpressionAttributeNames"] = names
    reply = ddb.get_item(TableName=projected, Key=key_of("p"), **params)
    assert reply["Item"] == expected


def test_projection_reserved_word_refused(ddb: Any, projected: str) -> None:
    code, msg = refused(
        lambda: ddb.get_item(TableName=projected, Key=key_of("p"), ProjectionExpression="x, name")
    )
    assert (code, msg) == (
        "ValidationException",
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name",
    )


def test_projection_overlapping_paths_refused(ddb: Any, projected: str) -> None:
    code, msg = refused(
        lambda: ddb.get_item(TableName=projected, Key=key_of("p"), ProjectionExpression="a, a.b")
    )
    assert (code, msg) == (
        "ValidationException",
        (
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
            "rewrite one of these paths; path one: [a], path two: [a, b]"
        ),
    )


def test_projection_unused_name_refused(ddb: Any, projected: str) -> None:
    code, msg = refused(
        lambda: ddb.get_item(
            TableName=projected,
            Key=key_of("p"),
            ProjectionExpression="x",
            ExpressionAttributeNames={"#u": "u"},
        )
    )
    assert (code, msg) == (
        "ValidationException",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}",
    )


# --------------------------------------------------------------------------- resource API


def test_resource_api_round_trip_with_python_types(ddb_resource: Any, table: str) -> None:
    t = ddb_resource.Table(table)
    item = {
        "pk": "py",
        "dec": Decimal("1.50"),
        "int": 3,
        "neg": Decimal("-0.001"),
        "s": "text",
        "empty": "",
        "flag": True,
        "nothing": None,
        "bin": Binary(b"\x00\xff"),
        "ss": {"a", "b"},
        "ns": {1, Decimal("2.5")},
        "bs": {Binary(b"x"), Binary(b"y")},
        "l": [1, "two", {"three": Decimal(3)}, [False]],
        "m": {"k": [True], "n": {"deep": Decimal(10)}},
    }
    t.put_item(Item=item)
    got = t.get_item(Key={"pk": "py"}, ConsistentRead=True)["Item"]
    assert got == {
        **item,
        "dec": Decimal("1.5"),
        "int": Decimal(3),
        "ns": {Decimal(1), Decimal("2.5")},
        "l": [Decimal(1), "two", {"three": Decimal(3)}, [False]],
        "m": {"k": [True], "n": {"deep": Decimal(10)}},
    }
    assert str(got["dec"]) == "1.5"
    assert isinstance(got["bin"], Binary) and got["bin"].value == b"\x00\xff"


def test_resource_api_update_and_delete(ddb_resource: Any, table: str) -> None:
    t = ddb_resource.Table(table)
    t.put_item(Item={"pk": "u", "n": Decimal("1.5"), "ss": {"a", "b"}})
    reply = t.update_item(
        Key={"pk": "u"},
        UpdateExpression="SET n = n + :d ADD ss :more",
        ConditionExpression=Attr("n").gt(1) & Attr("ss").contains("a"),
        ExpressionAttributeValues={":d": Decimal("0.25"), ":more": {"c"}},
        ReturnValues="UPDATED_NEW",
    )
    assert reply["Attributes"] == {"n": Decimal("1.75"), "ss": {"a", "b", "c"}}
    with pytest.raises(ClientError) as excinfo:
        t.delete_item(Key={"pk": "u"}, ConditionExpression=Attr("n").eq(5))
    assert error_of(excinfo) == (
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
    reply = t.delete_item(Key={"pk": "u"}, ReturnValues="ALL_OLD")
    assert reply["Attributes"] == {
        "pk": "u",
        "n": Decimal("1.75"),
        "ss": {"a", "b", "c"},
    }
    assert "Item" not in t.get_item(Key={"pk": "u"}, ConsistentRead=True)
