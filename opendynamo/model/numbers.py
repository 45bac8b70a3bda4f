"""DynamoDB numbers: decimals of up to 38 significant digits, magnitude 1E-130 to
9.99…E+125 (or zero), exact arithmetic, and the canonical text DynamoDB answers with.

Numbers travel through opendynamo as their canonical text (`normalize`), so two equal numbers
have equal text; `Decimal` is used only to compare and to compute.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation, localcontext

from opendynamo import errors

MAX_DIGITS = 38
MAX_EXPONENT = 125  # adjusted exponent of the largest magnitude (9.99…E+125)
MIN_EXPONENT = -130  # adjusted exponent of the smallest magnitude (1E-130)

PRECISION = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
UNDERFLOW = (
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)

# Exact for any two valid operands: 38 digits spread over exponents -130…125 need < 300.
_EXACT = Context(prec=400, Emax=999999, Emin=-999999)
# Java BigDecimal's grammar as DynamoDB applies it: an optional sign (a leading "+" is accepted),
# ASCII digits, no surrounding whitespace ("1 " and " 1" are rejected by DynamoDB).
# An integer without sign "+", leading zeros or more than 38 digits is its own canonical text.
_PLAIN_INTEGER = re.compile(r"-?[1-9][0-9]{0,37}")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def normalize(text: str) -> str:
    """Validate a number as sent on the wire and return DynamoDB's canonical text.

    Raises DynamoDB's ValidationException for text that is not a number, more than 38
    significant digits, or a magnitude outside DynamoDB's range.
    """
    if _PLAIN_INTEGER.fullmatch(text):
        return text  # already canonical: the common counter or id needs no Decimal
    if not _NUMBER.fullmatch(text):
        if text == "":
            raise errors.validation("The parameter cannot be converted to a numeric value")
        raise errors.validation(f"The parameter cannot be converted to a numeric value: {text}")
    with localcontext(_EXACT):
        value = Decimal(text)
    return canonical(value)


def canonical(value: Decimal, *, computed: bool = False) -> str:
    """Check precision and range of an exact decimal and render DynamoDB's text form.

    A `computed` value (the result of `+`, `-` or ADD) that needs more than 38 digits is
    refused as an overflow: DynamoDB words it so (`1E50 + 1` answers "Number overflow…", as
    ScyllaDB's test_number.py records from DynamoDB), not with the 38-digit message a number
    written in a request gets.
    """
    if value.is_zero():
        return "0"
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    # Drop trailing zeros of the coefficient: they are not significant.
    digit_list = list(digits)
    while digit_list and digit_list[-1] == 0:
        digit_list.pop()
        exponent += 1
    if len(digit_list) > MAX_DIGITS:
        raise errors.validation(OVERFLOW if computed else PRECISION)
    adjusted = exponent + len(digit_list) - 1
    if adjusted > MAX_EXPONENT:
        raise errors.validation(OVERFLOW)
    if adjusted < MIN_EXPONENT:
        raise errors.validation(UNDERFLOW)
    coefficient = "".join(map(str, digit_list))
    if exponent >= 0:
        body = coefficient + "0" * exponent
    elif -exponent < len(coefficient):
        body = coefficient[:exponent] + "." + coefficient[exponent:]
    else:
        body = "0." + "0" * (-exponent - len(coefficient)) + coefficient
    return "-" + body if sign else body


def to_decimal(text: str) -> Decimal:
    """The exact value of a canonical number."""
    with localcontext(_EXACT):
        return Decimal(text)


def add(a: str, b: str) -> str:
    """Exact sum of two canonical numbers, as canonical text (range and precision checked)."""
    with localcontext(_EXACT) as ctx:
        try:
            return canonical(ctx.add(Decimal(a), Decimal(b)), computed=True)
        except InvalidOperation as exc:  # pragma: no cover - operands are canonical
            raise errors.validation("The parameter cannot be converted to a numeric value") from exc


def subtract(a: str, b: str) -> str:
    """Exact difference of two canonical numbers, as canonical text."""
    with localcontext(_EXACT) as ctx:
        return canonical(ctx.subtract(Decimal(a), Decimal(b)), computed=True)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as the number `a` is less than, equal to or greater than `b`."""
    if a == b:
        return 0
    da, db = to_decimal(a), to_decimal(b)
    return -1 if da < db else (1 if da > db else 0)
