"""opendynamo.model.sizes: DynamoDB's item size rules (developer guide, "Item sizes and formats")."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- page size: what an item counts toward a Query or Scan page's 1 MB


def _s(text: str) -> AttributeValue:
    return {"S": text}


def test_page_size_reproduces_a_recorded_cut_of_a_hash_table() -> None:
    # dynalite's "should return all if just under limit with small attribute for hash table",
    # recorded against DynamoDB: 23 items like `big` and `last` sum to one byte under 1 MB.
    big = {"a": _s("00"), "b": _s("b" * 43411)}
    last = {
        "a": _s("23"),
        "b": _s("b" * 43366),
        "c": {"N": "12.3456"},
        "d": {"B": "AQI="},
        "e": {"SS": ["a", "bc"]},
        "f": {"NS": ["1.23", "12.3"]},
        "g": {"BS": ["AQI=", "Ag==", "AQ=="]},
    }
    assert 23 * sizes.page_size(big, None) + sizes.page_size(last, None) == 1_048_575


def test_page_size_keeps_the_sort_key_apart() -> None:
    # dynalite's "just over limit for range table": 25 items reach exactly 1 MB.
    def item(length: int) -> dict[str, AttributeValue]:
        return {"a": _s("x" * 10), "b": _s("00000"), "c": _s("abcde"), "e": _s("e" * length)}

    total = 24 * sizes.page_size(item(41596), "b") + sizes.page_size(item(41597), "b")
    assert total == 1_048_576
    # 2 + (12 + 7 + 41600) + (1 + 13) * (18 + 5): the sort key is not in the body.
    assert sizes.page_size(item(41596), "b") == 2 + 41619 + 14 * 23


def test_page_size_counts_every_name_as_one_byte() -> None:
    short = sizes.page_size({"a": _s("x"), "b": _s("y")}, None)
    long = sizes.page_size({"a" * 255: _s("x"), "b" * 64: _s("y")}, None)
    assert short == long == 2 + (1 + 2) * 2 + 18


@pytest.mark.parametrize(
    ("value", "compact"),
    [
        (_s(""), 1),
        (_s("x" * 127), 128),
        (_s("x" * 128), 130),
        (_s("é" * 64), 130),  # UTF-8 bytes, as the billed size
        (_s("x" * 16384), 16387),
        ({"N": "12"}, 3),
        ({"B": "AQI="}, 3),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 0),
        ({"SS": ["a", "bc"]}, 3 + 2 + 1),
        ({"L": [_s("a")]}, 3 + 1 + 2),
        ({"M": {"name": _s("a")}}, 3 + 2 + 2),
    ],
)
def test_page_size_of_each_type(value: AttributeValue, compact: int) -> None:
    # One attribute besides the key: body = (1 + 2) for the key + 1 + compact, 18 a 3 KB block.
    body = 3 + 1 + compact
    assert (
        sizes.page_size({"k": _s("a"), "v": value}, None)
        == 2 + body + (1 + (body + 1) // 3072) * 18
    )


def test_page_size_adds_a_block_cost_per_started_3_kb() -> None:
    def size(length: int) -> int:
        return sizes.page_size({"v": _s("x" * length)}, "k") - length

    # body = 1 + length + 2; a block more once body + 1 reaches 3072.
    assert size(3067) == 2 + 3 + 18
    assert size(3068) == 2 + 3 + 2 * 18


_names = st.text(min_size=1, max_size=6)
_numbers = st.decimals(allow_nan=False, allow_infinity=False, places=3).map(
    lambda d: values.normalize_value({"N": str(d)})
)
_scalars = st.one_of(
    st.text(max_size=200).map(lambda s: {"S": s}),
    _numbers,
    st.binary(max_size=20).map(lambda b: {"B": base64.b64encode(b).decode()}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.lists(st.text(max_size=5), min_size=1, max_size=3, unique=True).map(lambda s: {"SS": s}),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: {"L": items}),
        st.dictionaries(_names, inner, max_size=3).map(lambda m: {"M": m}),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_names, _values, min_size=1, max_size=6), st.sampled_from([None, "a", "b"]))
def test_measure_is_item_size_and_page_size_in_one_pass(item: dict, range_key: str | None) -> None:
    """`measure`, what every write stores with an item, agrees with the two measures it
    fuses, and `item_size`'s inline cases with the general per-value rule."""
    expected = sum(sizes.utf8_length(name) + sizes.value_size(v) for name, v in item.items())
    assert sizes.item_size(item) == expected
    assert sizes.measure(item, range_key) == (expected, sizes.page_size(item, range_key))
