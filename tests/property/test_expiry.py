"""Properties of the Time to Live expiry index's keys (opendynamo.engine.expiry): an entry's
moment orders as the Number it encodes, and a sweep's range [since(now - TOO_OLD), until(now))
holds exactly the entries of the items `ttl.expired` says have expired, for every Number
DynamoDB accepts and every moment of the clock."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from opendynamo.engine import expiry, ttl
from opendynamo.model import numbers
from tests.property.test_keycodec import EXAMPLES, dynamo_decimals, order

# What follows the moment in an entry: an item key (keycodec.encode_key), whatever its bytes.
item_keys = st.binary(min_size=5, max_size=12) | st.sampled_from([b"\x00" * 5, b"\xff" * 5])
moments = st.floats(allow_nan=False) | st.sampled_from(
    [0.0, -0.0, 1e-131, -1e-131, 1e-130, 1e126, -1e126, 1.7e9, float("inf"), float("-inf")]
)


def moment(value: Decimal) -> bytes:
    encoded = expiry.moment_bytes({"N": numbers.canonical(value)})
    assert encoded is not None
    return encoded


@EXAMPLES
@given(dynamo_decimals(), dynamo_decimals())
def test_moments_order_as_their_numbers(a: Decimal, b: Decimal) -> None:
    assert order(moment(a), moment(b)) == order(a, b)


@EXAMPLES
@given(dynamo_decimals(), moments, item_keys)
@example(Decimal("1E+125"), 1.7e9, b"\xff" * 5)
@example(Decimal(-5), 1.7e9, b"\x00" * 5)
@example(Decimal("9" * 38 + "E+88"), float("inf"), b"\xff" * 5)
@example(Decimal("1E-130"), 1e-131, b"\x00" * 5)
@example(Decimal("-1E-130"), -1e-131, b"\xff" * 5)
def test_the_bounds_hold_exactly_the_moments_on_their_side(
    value: Decimal, clock: float, key: bytes
) -> None:
    entry = moment(value) + key
    at = Decimal(repr(clock))
    assert (expiry.since(clock) <= entry) == (value >= at)
    assert (entry < expiry.until(clock)) == (value <= at)


@EXAMPLES
@given(dynamo_decimals(), st.floats(-1e12, 1e12), item_keys)
def test_a_sweep_reads_exactly_the_expired_items(value: Decimal, now: float, key: bytes) -> None:
    text = numbers.canonical(value)
    entry = moment(value) + key
    in_range = expiry.since(now - ttl.TOO_OLD) <= entry < expiry.until(now)
    assert in_range == ttl.expired({"expires": {"N": text}}, "expires", now)


def test_only_numbers_have_a_moment() -> None:
    for value in ({"S": "5"}, {"NULL": True}, {"SS": ["5"]}, {"N": "five"}, {"N": "1E+200"}, None):
        assert expiry.moment_bytes(value) is None  # type: ignore[arg-type]
