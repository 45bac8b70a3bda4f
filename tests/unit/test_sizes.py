"""opendynamo.model.sizes: DynamoDB's item size rules (developer guide, "Item sizes and formats")."""

from __future__ import annotations

import base64

import pytest

from opendynamo.model import sizes, values
from opendynamo.model.values import AttributeValue


def test_quota_page_example() -> None:
    # "shirt-color" (11) + "R" (1) + "shirt-size" (10) + "M" (1)
    assert sizes.item_size({"shirt-color": {"S": "R"}, "shirt-size": {"S": "M"}}) == 23


@pytest.mark.parametrize(
    ("number", "size"),
    [
        ("0", 1),
        ("12", 2),
        ("1.2", 3),
        ("1" + "0" * 125, 2),  # 1e125
        ("1" * 38 + "0" * 88, 20),  # 38 digits, exponent 125
        ("11" + "0" * 124, 2),
        ("11111" + "0" * 121, 4),
        ("111111" + "0" * 120, 4),
        ("1111111" + "0" * 119, 5),
        ("-12", 3),
        ("-1.2", 4),
        ("123.45", 4),
        ("12300", 3),
        ("0.00123", 3),
        ("0.5", 2),
        ("0.05", 2),  # one digit, exponent -2
        ("0.012", 3),  # two digits, exponent -2 (both even)
        ("0.0012", 2),  # two digits, exponent -3
        ("-0." + "0" * 129 + "1", 3),
    ],
)
def test_number_size(number: str, size: int) -> None:
    assert sizes.number_size(number) == size
    assert sizes.value_size({"N": number}) == size


@pytest.mark.parametrize("length", range(0, 10))
def test_binary_size_is_decoded_length(length: int) -> None:
    b64 = base64.b64encode(bytes(range(length))).decode()
    assert sizes.value_size({"B": b64}) == length


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": ""}, 0),
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),
        ({"S": "😀"}, 4),
        ({"BOOL": False}, 1),
        ({"NULL": True}, 1),
        ({"SS": ["a", "bc"]}, 3),
        ({"NS": ["12", "1.2"]}, 5),
        ({"BS": ["AA==", "AAE="]}, 3),
        ({"L": []}, 3),
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (1 + 2) + (1 + 2)),
        ({"M": {}}, 3),
        ({"M": {"ab": {"S": "c"}}}, 3 + 1 + 2 + 1),
        ({"M": {"é": {"L": [{"NULL": True}]}}}, 3 + 1 + 2 + (3 + 1 + 1)),
    ],
)
def test_value_size(value: AttributeValue, size: int) -> None:
    assert sizes.value_size(value) == size


def test_item_size_counts_names_in_utf8() -> None:
    assert sizes.item_size({"é": {"S": "x"}, "ab": {"N": "12"}}) == 2 + 1 + 2 + 2


def test_sizes_of_normalised_values() -> None:
    item = values.normalize_item({"n": {"N": "0012.5000"}, "b": {"B": "AAEC"}})
    assert sizes.item_size(item) == 1 + 3 + 1 + 3


def test_item_limit_boundary_from_dynalite() -> None:
    # dynalite: a 10-character key plus "b" holding 409600 - 10 - 2 characters just fits.
    key = "k" * 10
    item = {"a": {"S": key}, "b": {"S": "a" * (409_600 - len(key) - 2)}}
    assert sizes.item_size(item) == 409_600
