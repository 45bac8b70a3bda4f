"""opendynamo.model.numbers: DynamoDB's number grammar, limits, canonical text and arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opendynamo.errors import DynamoError
from opendynamo.model import numbers

CONVERT = "The parameter cannot be converted to a numeric value"
PRECISION = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
UNDERFLOW = (
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)


def message_of(text: str) -> str | None:
    with pytest.raises(DynamoError) as caught:
        numbers.normalize(text)
    assert caught.value.type_name == "ValidationException"
    return caught.value.message


# dynalite's "should put really long numbers", run against DynamoDB (developer guide, the
# "Number" data type).
@pytest.mark.parametrize(
    ("wire", "canonical"),
    [
        ("0000012345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        (
            "-00001.23456789012345678901234567890123456780000",
            "-1.2345678901234567890123456789012345678",
        ),
        ("0009." + "9" * 37 + "0000e125", "9" * 38 + "0" * 88),
        ("0001.000e-130", "0." + "0" * 129 + "1"),
        ("-0015.789e6", "-15789000"),
        ("1.500", "1.5"),
    ],
)
def test_normalize_long_numbers(wire: str, canonical: str) -> None:
    assert numbers.normalize(wire) == canonical


@pytest.mark.parametrize(
    ("wire", "canonical"),
    [
        ("+5", "5"),  # DynamoDB accepts a leading plus and drops it
        ("1e+2", "100"),
        ("1.5E+3", "1500"),
        ("-0", "0"),
        ("0.000", "0"),
        ("0e999", "0"),
        (".5", "0.5"),
        ("5.", "5"),
        ("-1E-130", "-0." + "0" * 129 + "1"),
        ("100", "100"),
        ("1.0100", "1.01"),
    ],
)
def test_normalize_forms(wire: str, canonical: str) -> None:
    assert numbers.normalize(wire) == canonical


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ("", CONVERT),
        ("abc", f"{CONVERT}: abc"),
        ("b", f"{CONVERT}: b"),
        (" 1", f"{CONVERT}:  1"),  # DynamoDB does not trim whitespace
        ("1 ", f"{CONVERT}: 1 "),
        ("1e", f"{CONVERT}: 1e"),
        ("1.2.3", f"{CONVERT}: 1.2.3"),
        ("1+2", f"{CONVERT}: 1+2"),
        ("--1", f"{CONVERT}: --1"),
        ("Infinity", f"{CONVERT}: Infinity"),
        ("NaN", f"{CONVERT}: NaN"),
        ("0x10", f"{CONVERT}: 0x10"),
        ("\u0663", f"{CONVERT}: \u0663"),  # ARABIC-INDIC DIGIT THREE is not an ASCII digit
        ("123456789012345678901234567890123456789", PRECISION),
        ("-1.23456789012345678901234567890123456789", PRECISION),
        ("1e126", OVERFLOW),
        ("-1e126", OVERFLOW),
        ("1e-131", UNDERFLOW),
        ("-1e-131", UNDERFLOW),
    ],
)
def test_normalize_rejects(wire: str, message: str) -> None:
    assert message_of(wire) == message


def test_limits_are_inclusive() -> None:
    largest = "9." + "9" * 37 + "E+125"
    assert numbers.normalize(largest) == "9" * 38 + "0" * 88
    assert numbers.normalize("1E-130") == "0." + "0" * 129 + "1"
    # 38 significant digits with trailing zeros beyond them are fine: zeros are not significant.
    assert numbers.normalize("1" * 38 + "000") == "1" * 38 + "000"


def test_canonical_of_decimal() -> None:
    assert numbers.canonical(Decimal("1.2300E+2")) == "123"
    assert numbers.canonical(Decimal("-0.00")) == "0"


def test_to_decimal_is_exact() -> None:
    text = "1234567890123456789012345678901234567.8"
    assert str(numbers.to_decimal(text)) == text


def test_add_and_subtract_are_exact() -> None:
    assert numbers.add("1", "2") == "3"
    assert numbers.add("0.1", "0.2") == "0.3"
    assert numbers.add("1" + "0" * 37, "1") == "1" + "0" * 36 + "1"
    assert numbers.subtract("1", "1") == "0"
    assert numbers.subtract("1", "1.5") == "-0.5"


def test_arithmetic_out_of_range() -> None:
    nine_e125 = "9" + "0" * 125
    with pytest.raises(DynamoError) as caught:
        numbers.add(nine_e125, nine_e125)
    assert caught.value.message == OVERFLOW
    # A result needing more than 38 digits is an overflow for DynamoDB, not a precision error
    # (ScyllaDB's test_number.py::test_update_expression_plus_imprecise, run against DynamoDB).
    with pytest.raises(DynamoError) as caught:
        numbers.add("1" + "0" * 38, "1")  # 40 significant digits
    assert caught.value.message == OVERFLOW
    with pytest.raises(DynamoError) as caught:
        numbers.subtract("1" + "0" * 50, "1")  # 1E50 - 1: 50 nines
    assert caught.value.message == OVERFLOW
    with pytest.raises(DynamoError) as caught:
        numbers.subtract("0." + "0" * 129 + "11", "0." + "0" * 129 + "1")  # 1E-131
    assert caught.value.message == UNDERFLOW


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("1", "1", 0), ("1", "2", -1), ("2", "1", 1), ("-1", "0", -1), ("0.5", "0.25", 1)],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert numbers.compare(a, b) == expected
