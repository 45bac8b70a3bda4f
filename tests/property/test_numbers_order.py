"""Properties of opendynamo.model.numbers: canonical text is stable, exact and ordered like
Decimal; arithmetic agrees with exact Decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from opendynamo.errors import DynamoError
from opendynamo.model import numbers

EXAMPLES = settings(max_examples=300, deadline=None)


@st.composite
def dynamo_decimals(draw: st.DrawFn) -> Decimal:
    """Decimals DynamoDB can store: ≤ 38 significant digits, adjusted exponent −130…125, or 0."""
    if draw(st.integers(0, 20)) == 0:
        return Decimal(0)
    length = draw(st.integers(1, 38))
    coefficient = draw(st.integers(10 ** (length - 1), 10**length - 1))
    adjusted = draw(st.integers(-130, 125))
    sign = draw(st.sampled_from([0, 1]))
    digits = tuple(int(d) for d in str(coefficient))
    return Decimal((sign, digits, adjusted - length + 1))  # exact: no context rounding


@st.composite
def spellings(draw: st.DrawFn, value: Decimal) -> str:
    """Another wire spelling of the same number: exponent or plain form, padding zeros, "+"."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    mark = "-" if sign else draw(st.sampled_from(["", "+"]))
    leading = "0" * draw(st.integers(0, 2))
    if draw(st.booleans()):
        zeros = draw(st.integers(0, 3))
        coefficient = "".join(map(str, digits)) + "0" * zeros
        exponent_mark = draw(st.sampled_from(["e", "E", "e+"]))
        if exponent - zeros < 0:
            exponent_mark = exponent_mark[0]
        return f"{mark}{leading}{coefficient}{exponent_mark}{exponent - zeros}"
    plain = format(value.copy_abs(), "f")  # copy_abs: no context rounding
    if "." not in plain:
        plain += draw(st.sampled_from(["", ".", ".0", ".000"]))
    else:
        plain += "0" * draw(st.integers(0, 2))
    return f"{mark}{leading}{plain}"


@EXAMPLES
@given(dynamo_decimals())
def test_canonical_text_is_exact_and_plain(value: Decimal) -> None:
    text = numbers.canonical(value)
    assert numbers.to_decimal(text) == value
    assert "e" not in text.lower() and not text.startswith("+")
    assert numbers.normalize(text) == text  # canonical text is a fixed point


@EXAMPLES
@given(dynamo_decimals().flatmap(lambda v: st.tuples(st.just(v), spellings(v))))
def test_every_spelling_normalises_to_one_text(pair: tuple[Decimal, str]) -> None:
    value, wire = pair
    assert numbers.normalize(wire) == numbers.canonical(value)


@EXAMPLES
@given(dynamo_decimals(), dynamo_decimals())
def test_compare_is_decimal_order(a: Decimal, b: Decimal) -> None:
    expected = (a > b) - (a < b)
    assert numbers.compare(numbers.canonical(a), numbers.canonical(b)) == expected


@EXAMPLES
@given(dynamo_decimals(), dynamo_decimals())
def test_add_and_subtract_are_exact_or_rejected(a: Decimal, b: Decimal) -> None:
    ta, tb = numbers.canonical(a), numbers.canonical(b)
    with localcontext() as ctx:
        ctx.prec = 1000
        exact_sum, exact_difference = a + b, a - b
    for operation, exact in ((numbers.add, exact_sum), (numbers.subtract, exact_difference)):
        try:
            result = operation(ta, tb)
        except DynamoError as error:
            assert error.type_name == "ValidationException"
            continue
        assert numbers.to_decimal(result) == exact
