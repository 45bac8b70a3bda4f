"""Properties of opendynamo.model.keycodec: round trips, byte order equals DynamoDB order,
self-delimitation (so composite keys compare component-wise), and scan segments."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendynamo.model import keycodec, numbers
from opendynamo.model.values import AttributeValue

EXAMPLES = settings(max_examples=300, deadline=None)


@st.composite
def dynamo_decimals(draw: st.DrawFn) -> Decimal:
    """Decimals DynamoDB can store: ≤ 38 significant digits, adjusted exponent −130…125, or 0."""
    if draw(st.integers(0, 20)) == 0:
        return Decimal(0)
    length = draw(st.integers(1, 38))
    coefficient = draw(st.integers(10 ** (length - 1), 10**length - 1))
    adjusted = draw(st.one_of(st.integers(-130, 125), st.sampled_from([-130, -1, 0, 1, 125])))
    sign = draw(st.sampled_from([0, 1]))
    digits = tuple(int(d) for d in str(coefficient))
    return Decimal((sign, digits, adjusted - length + 1))  # exact: no context rounding


def number_value(value: Decimal) -> AttributeValue:
    return {"N": numbers.canonical(value)}


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


strings = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "\x00", "\x00\x00", "\x00\x01", "a\x00", "a", "\x01", "\uffff", "\U0001f600"]
)
binaries = st.binary(max_size=12) | st.sampled_from(
    [b"", b"\x00", b"\x00\xff", b"\x00\x01", b"\xff", b"\x00\x00"]
)


def string_value(text: str) -> AttributeValue:
    return {"S": text}


def binary_value(raw: bytes) -> AttributeValue:
    return {"B": base64.b64encode(raw).decode("ascii")}


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


def order(a: object, b: object) -> int:
    return sign((a > b) - (a < b))  # type: ignore[operator]


def assert_order(a: AttributeValue, b: AttributeValue, expected: int) -> None:
    ea, eb = keycodec.encode_value(a), keycodec.encode_value(b)
    assert order(ea, eb) == expected
    if ea != eb:  # self-delimiting: neither encoding is a prefix of the other
        assert not ea.startswith(eb) and not eb.startswith(ea)


def assert_round_trip(av: AttributeValue) -> None:
    encoded = keycodec.encode_value(av)
    padded = b"\x07" + encoded + b"\x00\xff\x01"
    assert keycodec.decode_value(padded, 1) == (av, 1 + len(encoded))


@EXAMPLES
@given(dynamo_decimals())
def test_number_round_trip(value: Decimal) -> None:
    assert_round_trip(number_value(value))


@EXAMPLES
@given(strings)
def test_string_round_trip(text: str) -> None:
    assert_round_trip(string_value(text))


@EXAMPLES
@given(binaries)
def test_binary_round_trip(raw: bytes) -> None:
    assert_round_trip(binary_value(raw))


@EXAMPLES
@given(dynamo_decimals(), dynamo_decimals())
def test_number_order(a: Decimal, b: Decimal) -> None:
    assert_order(number_value(a), number_value(b), order(a, b))


@EXAMPLES
@given(dynamo_decimals(), st.integers(0, 3), st.integers(0, 3))
def test_a_number_read_from_its_text_encodes_as_from_its_value(
    value: Decimal, leading: int, trailing: int
) -> None:
    """Plain text (as canonical numbers are written) is read without Decimal; the result
    equals the Decimal reading of the same number in exponent form, whatever zeros pad it."""
    by_value = keycodec.encode_value({"N": format(value, "E")})
    plain = format(value, "f")
    sign = "-" if plain.startswith("-") else ""
    padded = sign + "0" * leading + plain.lstrip("-")
    padded += ("" if "." in padded else ".") + "0" * trailing if trailing else ""
    for text in (numbers.canonical(value), padded):
        assert keycodec.encode_value({"N": text}) == by_value, text


@EXAMPLES
@given(strings, strings)
def test_string_order_is_utf8_order(a: str, b: str) -> None:
    assert_order(string_value(a), string_value(b), order(utf8(a), utf8(b)))


@EXAMPLES
@given(binaries, binaries)
def test_binary_order_is_byte_order(a: bytes, b: bytes) -> None:
    assert_order(binary_value(a), binary_value(b), order(a, b))


scalar_pairs = st.one_of(
    st.tuples(dynamo_decimals(), dynamo_decimals()).map(
        lambda p: (number_value(p[0]), number_value(p[1]), order(p[0], p[1]))
    ),
    st.tuples(strings, strings).map(
        lambda p: (string_value(p[0]), string_value(p[1]), order(utf8(p[0]), utf8(p[1])))
    ),
    st.tuples(binaries, binaries).map(
        lambda p: (binary_value(p[0]), binary_value(p[1]), order(p[0], p[1]))
    ),
)


@EXAMPLES
@given(scalar_pairs, scalar_pairs)
def test_concatenations_compare_component_wise(
    first: tuple[AttributeValue, AttributeValue, int],
    second: tuple[AttributeValue, AttributeValue, int],
) -> None:
    (pk_a, pk_b, pk_order), (sk_a, sk_b, sk_order) = first, second
    left = keycodec.encode_value(pk_a) + keycodec.encode_value(sk_a)
    right = keycodec.encode_value(pk_b) + keycodec.encode_value(sk_b)
    assert order(left, right) == (pk_order or sk_order)


@EXAMPLES
@given(scalar_pairs, scalar_pairs)
def test_keys_of_one_partition_sort_by_sort_key(
    first: tuple[AttributeValue, AttributeValue, int],
    second: tuple[AttributeValue, AttributeValue, int],
) -> None:
    pk = first[0]
    sk_a, sk_b, sk_order = second
    key_a, key_b = keycodec.encode_key(pk, sk_a), keycodec.encode_key(pk, sk_b)
    assert order(key_a, key_b) == sk_order
    prefix = keycodec.partition_prefix(pk)
    assert key_a.startswith(prefix) and key_b.startswith(prefix)
    assert keycodec.decode_key(key_a) == (pk, sk_a)
    assert keycodec.decode_key(keycodec.encode_key(pk, None)) == (pk, None)


@EXAMPLES
@given(strings, strings)
def test_string_prefix_covers_exactly_the_strings_beginning_with_it(text: str, prefix: str) -> None:
    encoded = keycodec.encode_value(string_value(text))
    begins = keycodec.encode_prefix(string_value(prefix))
    assert encoded.startswith(begins) == utf8(text).startswith(utf8(prefix))


@EXAMPLES
@given(binaries, binaries)
def test_binary_prefix_covers_exactly_the_binaries_beginning_with_it(
    raw: bytes, prefix: bytes
) -> None:
    encoded = keycodec.encode_value(binary_value(raw))
    begins = keycodec.encode_prefix(binary_value(prefix))
    assert encoded.startswith(begins) == raw.startswith(prefix)


@EXAMPLES
@given(st.integers(1, keycodec.MAX_TOTAL_SEGMENTS), st.data())
def test_segments_tile_the_hash_space(total: int, data: st.DataObject) -> None:
    segment = data.draw(st.integers(0, total - 1))
    start, end = keycodec.segment_bounds(segment, total)
    assert len(start) == keycodec.PARTITION_HASH_SIZE
    if segment == 0:
        assert start == bytes(keycodec.PARTITION_HASH_SIZE)
    else:
        assert keycodec.segment_bounds(segment - 1, total)[1] == start
    if segment == total - 1:
        assert end is None
    else:
        assert end is not None and start < end
        assert keycodec.segment_bounds(segment + 1, total)[0] == end


@EXAMPLES
@given(scalar_pairs, st.integers(1, 64))
def test_every_key_falls_in_exactly_one_segment(
    pair: tuple[AttributeValue, AttributeValue, int], total: int
) -> None:
    key = keycodec.encode_key(pair[0], pair[1])
    hits = 0
    for segment in range(total):
        start, end = keycodec.segment_bounds(segment, total)
        hits += start <= key and (end is None or key < end)
    assert hits == 1


# The golden vectors of docs/format.md: a failure here means a stored format changed.
GOLDEN = [
    ({"S": ""}, "02 00 01"),
    ({"S": "a"}, "02 61 00 01"),
    ({"S": "a\x00b"}, "02 61 00 ff 62 00 01"),
    ({"B": ""}, "03 00 01"),
    ({"B": "AAE="}, "03 00 ff 01 00 01"),
    ({"N": "0"}, "01 02"),
    ({"N": "1"}, "01 03 82 0b 00"),
    ({"N": "-1"}, "01 01 7d f4 ff"),
    ({"N": "123.456"}, "01 03 84 0d 23 39 00"),
    ({"N": "-0.05"}, "01 01 7f cc ff"),
    ({"N": "1" + "0" * 125}, "01 03 ff 0b 00"),
]


@pytest.mark.parametrize(("value", "encoding"), GOLDEN)
def test_golden_encodings(value: AttributeValue, encoding: str) -> None:
    assert keycodec.encode_value(value) == bytes.fromhex(encoding)
    assert keycodec.decode_value(bytes.fromhex(encoding)) == (value, len(bytes.fromhex(encoding)))


def test_golden_key() -> None:
    key = keycodec.encode_key({"S": "a"}, {"N": "1"})
    assert key == bytes.fromhex("8eece493 02610001 0103820b00")
    assert keycodec.segment_bounds(1, 4) == (b"\x40\x00\x00\x00", b"\x80\x00\x00\x00")


def test_codec_rejects_what_is_not_a_key() -> None:
    with pytest.raises(ValueError):
        keycodec.encode_value({"BOOL": True})
    with pytest.raises(ValueError):
        keycodec.encode_prefix({"N": "1"})
    with pytest.raises(ValueError):
        keycodec.decode_value(b"\x09")
    for segment, total in [(0, 0), (1, 1), (-1, 2), (0, keycodec.MAX_TOTAL_SEGMENTS + 1)]:
        with pytest.raises(ValueError):
            keycodec.segment_bounds(segment, total)
