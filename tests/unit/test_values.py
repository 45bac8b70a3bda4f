"""opendynamo.model.values: validation messages, normalisation, equality and scalar order.

Messages are DynamoDB's, as pinned by dynalite's tests run against DynamoDB.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from opendynamo.errors import DynamoError
from opendynamo.model import values
from opendynamo.model.values import AttributeValue

INVALID = "One or more parameter values were invalid: "
EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
MULTIPLE = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)
NESTING = (
    "Nesting Levels have exceeded supported limits: "
    "Attributes in the item have nested levels beyond supported limit"
)


def failure(value: Any) -> DynamoError:
    with pytest.raises(DynamoError) as caught:
        values.normalize_value(value)
    return caught.value


def validation_message(value: Any) -> str | None:
    error = failure(value)
    assert error.type_name == "ValidationException"
    return error.message


def nested(depth: int, kind: str = "M") -> AttributeValue:
    """`depth` maps (or lists) wrapped around a string."""
    value: AttributeValue = {"S": "leaf"}
    for _ in range(depth):
        value = {"M": {"a": value}} if kind == "M" else {"L": [value]}
    return value


@pytest.mark.parametrize(
    "value",
    [{}, {"a": ""}, {"M": {"a": {}}}, {"L": [{}]}, {"L": [{"a": {}}]}, {"S": None}],
)
def test_empty_value(value: Any) -> None:
    assert validation_message(value) == EMPTY


def test_more_than_one_type() -> None:
    assert validation_message({"S": "a", "N": "1"}) == MULTIPLE
    assert validation_message({"BOOL": True, "NULL": True}) == MULTIPLE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
        ({"SS": []}, INVALID + "An string set  may not be empty"),
        ({"NS": []}, INVALID + "An number set  may not be empty"),
        ({"BS": []}, INVALID + "Binary sets should not be empty"),
        ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
        ({"SS": ["a", "b", "a"]}, INVALID + "Input collection [a, b, a] contains duplicates."),
        (
            {"BS": ["Yg==", "Yg=="]},
            INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates.",
        ),
        ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
        ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),  # numerically equal
        ({"NS": ["1", ""]}, "The parameter cannot be converted to a numeric value"),
        ({"NS": ["1", "b"]}, "The parameter cannot be converted to a numeric value: b"),
        # Every member present is validated before the count of members is checked.
        ({"S": "", "N": ""}, "The parameter cannot be converted to a numeric value"),
        ({"S": "a", "N": "b"}, "The parameter cannot be converted to a numeric value: b"),
        (
            {"N": "1e126"},
            "Number overflow. Attempting to store a number with magnitude "
            "larger than supported range",
        ),
    ],
)
def test_invalid_values(value: AttributeValue, message: str) -> None:
    assert validation_message(value) == message


def test_invalid_values_are_found_inside_documents() -> None:
    assert validation_message({"M": {"a": {"L": [{"N": "x"}]}}}) == (
        "The parameter cannot be converted to a numeric value: x"
    )
    assert validation_message({"L": [{"S": "ok"}, {"SS": []}]}) == (
        INVALID + "An string set  may not be empty"
    )


@pytest.mark.parametrize("kind", ["M", "L"])
def test_nesting_limit(kind: str) -> None:
    # DynamoDB accepts 31 nested maps/lists around a scalar (32 levels) and rejects 32.
    assert values.normalize_value(nested(31, kind)) == nested(31, kind)
    assert validation_message(nested(32, kind)) == NESTING
    assert validation_message({"M": {"x": nested(31, kind)}}) == NESTING


def test_empty_containers_count_as_levels() -> None:
    innermost: AttributeValue = {"M": {}}
    for _ in range(30):
        innermost = {"L": [innermost]}
    assert values.normalize_value(innermost) == innermost  # 31 containers
    assert validation_message({"L": [innermost]}) == NESTING


def test_normalisation() -> None:
    wire = {
        "M": {
            "n": {"N": "01.50"},
            "l": {"L": [{"N": "-0"}, {"NS": ["1e2", "+3"]}, {"NULL": True}]},
            "b": {"B": "AAE="},
            "s": {"S": ""},
            "t": {"BOOL": False},
            "e": {"M": {}},
        }
    }
    assert values.normalize_value(wire) == {
        "M": {
            "n": {"N": "1.5"},
            "l": {"L": [{"N": "0"}, {"NS": ["100", "3"]}, {"NULL": True}]},
            "b": {"B": "AAE="},
            "s": {"S": ""},
            "t": {"BOOL": False},
            "e": {"M": {}},
        }
    }


def test_empty_strings_and_binaries_are_allowed_in_sets() -> None:
    assert values.normalize_value({"SS": ["", "a"]}) == {"SS": ["", "a"]}
    assert values.normalize_value({"BS": ["", "AA=="]}) == {"BS": ["", "AA=="]}


def test_null_members_are_absent() -> None:
    assert values.normalize_value({"S": "x", "N": None}) == {"S": "x"}


def test_input_is_not_mutated() -> None:
    wire = {"a": {"N": "1.0"}, "b": {"L": [{"NS": ["2.0"]}]}}
    before = copy.deepcopy(wire)
    assert values.normalize_item(wire) == {"a": {"N": "1"}, "b": {"L": [{"NS": ["2"]}]}}
    assert wire == before


@pytest.mark.parametrize(
    ("b64", "message"),
    [
        (
            "abc",
            "'abc' can not be converted to a Blob: Base64 encoded length is expected a "
            "multiple of 4 bytes but found: 3",
        ),
        ("ab!=", "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'"),
        ("a=bc", "'a=bc' can not be converted to a Blob: Invalid Base64 character: '='"),
        (
            "Yh==",
            "'Yh==' can not be converted to a Blob: Invalid last non-pad Base64 character "
            "dectected",
        ),
    ],
)
def test_invalid_base64_is_a_serialization_error(b64: str, message: str) -> None:
    error = failure({"B": b64})
    assert error.type_name == "SerializationException"
    assert error.message == message
    assert failure({"BS": ["AA==", b64]}).message == message


def test_decode_binary() -> None:
    assert values.decode_binary("") == b""
    assert values.decode_binary("AAE=") == b"\x00\x01"
    assert values.decode_binary("/w==") == b"\xff"


def test_value_type_and_key_types() -> None:
    assert values.value_type({"NS": ["1"]}) == "NS"
    assert values.is_key_type({"S": "a"})
    assert values.is_key_type({"N": "1"})
    assert values.is_key_type({"B": "AA=="})
    assert not values.is_key_type({"BOOL": True})
    assert not values.is_key_type({"SS": ["a"]})


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"S": "a"}, {"S": "a"}, True),
        ({"S": "a"}, {"S": "b"}, False),
        ({"S": "1"}, {"N": "1"}, False),
        ({"N": "1.5"}, {"N": "1.5"}, True),
        ({"SS": ["a", "b"]}, {"SS": ["b", "a"]}, True),
        ({"SS": ["a", "b"]}, {"SS": ["a"]}, False),
        ({"NS": ["1", "2"]}, {"NS": ["2", "1"]}, True),
        ({"BS": ["AA==", "AQ=="]}, {"BS": ["AQ==", "AA=="]}, True),
        ({"L": [{"SS": ["a", "b"]}]}, {"L": [{"SS": ["b", "a"]}]}, True),
        ({"L": [{"S": "a"}, {"S": "b"}]}, {"L": [{"S": "b"}, {"S": "a"}]}, False),
        ({"L": [{"S": "a"}]}, {"L": [{"S": "a"}, {"S": "a"}]}, False),
        ({"M": {"x": {"NS": ["1", "2"]}}}, {"M": {"x": {"NS": ["2", "1"]}}}, True),
        ({"M": {"x": {"N": "1"}}}, {"M": {"y": {"N": "1"}}}, False),
        ({"M": {}}, {"L": []}, False),
        ({"NULL": True}, {"NULL": True}, True),
        ({"BOOL": True}, {"BOOL": False}, False),
    ],
)
def test_equal(a: AttributeValue, b: AttributeValue, expected: bool) -> None:
    assert values.equal(a, b) is expected
    assert values.equal(b, a) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"S": "a"}, {"S": "b"}, -1),
        ({"S": "b"}, {"S": "a"}, 1),
        ({"S": "a"}, {"S": "a"}, 0),
        ({"S": "Z"}, {"S": "a"}, -1),
        ({"S": "\uffff"}, {"S": "\U0001f600"}, -1),  # UTF-8 byte order, not UTF-16
        ({"S": ""}, {"S": "a"}, -1),
        ({"N": "10"}, {"N": "9"}, 1),
        ({"N": "-10"}, {"N": "-9"}, -1),
        ({"N": "1"}, {"N": "1"}, 0),
        ({"B": "AA=="}, {"B": "/w=="}, -1),  # 0x00 < 0xff although "A" > "/" in base64
        ({"B": "gA=="}, {"B": "fw=="}, 1),  # unsigned bytes: 0x80 > 0x7f
        ({"B": "AA=="}, {"B": "AAA="}, -1),
        ({"S": "1"}, {"N": "1"}, None),
        ({"BOOL": True}, {"BOOL": True}, None),
        ({"SS": ["a"]}, {"SS": ["a"]}, None),
    ],
)
def test_compare_scalars(a: AttributeValue, b: AttributeValue, expected: int | None) -> None:
    assert values.compare_scalars(a, b) == expected


def test_same_item_compares_data_not_order() -> None:
    item = values.normalize_item(
        {"a": {"N": "1"}, "s": {"SS": ["x", "y"]}, "m": {"M": {"p": {"N": "1"}, "q": {"S": "q"}}}}
    )
    again = values.normalize_item(
        {"m": {"M": {"q": {"S": "q"}, "p": {"N": "1.0"}}}, "s": {"SS": ["y", "x"]}, "a": {"N": "1"}}
    )
    assert values.same_item(item, again)
    assert not values.same_item(item, {**item, "s": {"SS": ["x", "z"]}})
    assert not values.same_item(item, {**item, "b": {"N": "1"}})
    assert not values.same_item(
        {"l": {"L": [{"N": "1"}, {"N": "2"}]}}, {"l": {"L": [{"N": "2"}, {"N": "1"}]}}
    )
    assert not values.same_item({"a": {"N": "1"}}, {"a": {"S": "1"}})
