"""Evaluation of conditions and filters: DynamoDB's comparison and function semantics."""

from __future__ import annotations

from typing import Any

import pytest

from opendynamo.expr import compile_expressions, evaluate, lookup

ITEM: dict[str, Any] = {
    "pk": {"S": "key"},
    "n": {"N": "10"},
    "neg": {"N": "-2.5"},
    "s": {"S": "hello"},
    "u": {"S": "é"},
    "b": {"B": "AQID"},  # bytes 01 02 03
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": ["AQ==", "Ag=="]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
    "m": {
        "M": {"a": {"N": "1"}, "nested": {"M": {"deep": {"S": "d"}}}, "lst": {"L": [{"N": "7"}]}}
    },
}


def holds(text: str, item: dict[str, Any] | None = ITEM, **values: Any) -> bool:
    compiled = compile_expressions(
        condition=text,
        names=None,
        values={":" + name: value for name, value in values.items()} or None,
    )
    assert compiled.condition is not None
    return evaluate(compiled.condition, item)


def test_equality_of_every_type() -> None:
    for name, value in ITEM.items():
        assert holds(f"{name} = :v", v=value)
        assert not holds(f"{name} <> :v", v=value)


def test_numbers_compare_numerically() -> None:
    assert holds("n = :v", v={"N": "10"})
    assert holds("n > :v", v={"N": "9.99"})
    assert holds("neg < :v", v={"N": "-2"})
    assert holds("n >= :v", v={"N": "10"})
    assert not holds("n < :v", v={"N": "10"})


def test_strings_compare_by_code_point() -> None:
    assert holds("s < :v", v={"S": "help"})
    assert holds("u > :v", v={"S": "z"})  # é (C3 A9) sorts after z in UTF-8
    assert holds("s <= :v", v={"S": "hello"})


def test_binary_compares_by_bytes() -> None:
    assert holds("b > :v", v={"B": "AQI="})  # 01 02 03 > 01 02
    assert holds("b < :v", v={"B": "Ag=="})  # 01 .. < 02


def test_different_types_are_false_and_not_equal_is_true() -> None:
    assert not holds("n = :v", v={"S": "10"})
    assert holds("n <> :v", v={"S": "10"})
    assert not holds("n < :v", v={"S": "99"})
    assert not holds("l < :v", v={"N": "1"})


def test_gone_attributes() -> None:
    assert not holds("gone = :v", v={"N": "1"})
    assert holds("gone <> :v", v={"N": "1"})
    assert not holds("gone < :v", v={"N": "1"})
    assert not holds("gone = absent")
    assert holds("gone <> absent")
    assert not holds("gone BETWEEN :a AND :b", a={"N": "1"}, b={"N": "2"})
    assert not holds("gone IN (:a)", a={"N": "1"})


def test_sets_equal_in_any_order_and_deep_values() -> None:
    assert holds("ss = :v", v={"SS": ["b", "a"]})
    assert holds("ns = :v", v={"NS": ["2.5", "1"]})
    assert holds("bs = :v", v={"BS": ["Ag==", "AQ=="]})
    assert not holds("ss = :v", v={"SS": ["a"]})
    assert holds("l = :v", v=ITEM["l"])
    assert not holds("l = :v", v={"L": [{"N": "1"}, {"S": "x"}, ITEM["l"]["L"][2]]})
    assert holds("m.nested = :v", v={"M": {"deep": {"S": "d"}}})


def test_between_and_in() -> None:
    assert holds("n BETWEEN :a AND :b", a={"N": "10"}, b={"N": "11"})
    assert not holds("n BETWEEN :a AND :b", a={"N": "11"}, b={"N": "12"})
    assert not holds("n BETWEEN :a AND :b", a={"S": "1"}, b={"S": "2"})
    assert holds("s BETWEEN :a AND :b", a={"S": "h"}, b={"S": "i"})
    assert holds("n IN (:a, :b)", a={"S": "x"}, b={"N": "10"})
    assert not holds("n IN (:a)", a={"N": "11"})
    assert holds("m.lst IN (:a)", a={"L": [{"N": "7"}]})


def test_nested_paths() -> None:
    assert holds("m.a = :v", v={"N": "1"})
    assert holds("m.nested.deep = :v", v={"S": "d"})
    assert holds("l[2].k = :v", v={"S": "v"})
    assert holds("m.lst[0] = :v", v={"N": "7"})
    assert not holds("l[3] = :v", v={"S": "x"})
    assert not holds("s.x = :v", v={"S": "x"})
    assert not holds("m[0] = :v", v={"S": "x"})
    assert not holds("l.a = :v", v={"S": "x"})


def test_attribute_exists_and_type() -> None:
    assert holds("attribute_exists(m.nested.deep)")
    assert holds("attribute_not_exists(m.nested.nope)")
    assert not holds("attribute_exists(pk)", item=None)
    assert holds("attribute_not_exists(pk)", item=None)
    for name, value in ITEM.items():
        kind = next(iter(value))
        assert holds(f"attribute_type({name}, :t)", t={"S": kind})
        assert not holds(f"attribute_type({name}, :t)", t={"S": "M" if kind != "M" else "L"})
    assert not holds("attribute_type(gone, :t)", t={"S": "S"})


def test_begins_with() -> None:
    assert holds("begins_with(s, :v)", v={"S": "he"})
    assert holds("begins_with(s, :v)", v={"S": ""})
    assert not holds("begins_with(s, :v)", v={"S": "lo"})
    assert holds("begins_with(b, :v)", v={"B": "AQI="})
    assert not holds("begins_with(b, :v)", v={"S": "AQ"})
    assert not holds("begins_with(n, :v)", v={"S": "1"})
    assert not holds("begins_with(gone, :v)", v={"S": ""})


def test_contains() -> None:
    assert holds("contains(s, :v)", v={"S": "ell"})
    assert not holds("contains(s, :v)", v={"S": "xyz"})
    assert holds("contains(ss, :v)", v={"S": "a"})
    assert not holds("contains(ss, :v)", v={"N": "1"})
    assert holds("contains(ns, :v)", v={"N": "2.5"})
    assert holds("contains(bs, :v)", v={"B": "Ag=="})
    assert holds("contains(b, :v)", v={"B": "AgM="})  # 02 03 inside 01 02 03
    assert holds("contains(l, :v)", v={"M": {"k": {"S": "v"}}})
    assert holds("contains(l, :v)", v={"N": "1"})
    assert not holds("contains(n, :v)", v={"N": "1"})
    assert not holds("contains(gone, :v)", v={"S": "a"})
    assert holds("contains(s, m.nested.deep)", item={**ITEM, "s": {"S": "odd"}})


def test_size() -> None:
    assert holds("size(s) = :v", v={"N": "5"})
    assert holds("size(u) = :v", v={"N": "2"})  # UTF-8 bytes
    assert holds("size(b) = :v", v={"N": "3"})
    assert holds("size(ss) = :v", v={"N": "2"})
    assert holds("size(l) = :v", v={"N": "3"})
    assert holds("size(m) = :v", v={"N": "3"})
    assert holds("size(m.lst) < size(l)")
    # size() of a number, boolean or null has no value: the comparison is false, not an error.
    assert not holds("size(n) = :v", v={"N": "2"})
    assert holds("size(n) <> :v", v={"N": "2"})
    assert not holds("size(gone) >= :v", v={"N": "0"})


def test_logic() -> None:
    assert holds("n = :a AND s = :b", a={"N": "10"}, b={"S": "hello"})
    assert not holds("n = :a AND s = :b", a={"N": "10"}, b={"S": "x"})
    assert holds("n = :a OR s = :b", a={"N": "1"}, b={"S": "hello"})
    assert holds("NOT n = :a", a={"N": "1"})
    assert holds("NOT (n = :a OR s = :b) AND t = :t", a={"N": "1"}, b={"S": "x"}, t={"BOOL": True})
    assert not holds("NOT NOT n = :a", a={"N": "1"})
    # precedence: a OR b AND c  ==  a OR (b AND c)
    assert holds("n = :a OR s = :x AND t = :f", a={"N": "10"}, x={"S": "x"}, f={"BOOL": False})
    assert not holds(
        "(n = :a OR s = :x) AND t = :f", a={"N": "10"}, x={"S": "x"}, f={"BOOL": False}
    )


def test_names_with_dots_go_through_placeholders() -> None:
    item: dict[str, Any] = {"a.b": {"N": "1"}, "a": {"M": {"b": {"N": "2"}}}}
    compiled = compile_expressions(
        condition="#ab = :one AND #a.b = :two",
        names={"#ab": "a.b", "#a": "a"},
        values={":one": {"N": "1"}, ":two": {"N": "2"}},
    )
    assert compiled.condition is not None
    assert evaluate(compiled.condition, item)


def test_no_item_means_empty_item() -> None:
    assert holds("attribute_not_exists(pk) AND gone <> :v", item=None, v={"N": "1"})


def test_lookup() -> None:
    assert lookup(ITEM, ("m", "nested", "deep")) == {"S": "d"}
    assert lookup(ITEM, ("l", 1)) == {"N": "1"}
    assert lookup(ITEM, ("l", 9)) is None
    assert lookup(ITEM, ("nope",)) is None


@pytest.mark.parametrize("kind", ["filter", "key_condition"])
def test_filter_and_key_condition_trees_evaluate_the_same(kind: str) -> None:
    compiled = compile_expressions(
        **{kind: "pk = :k AND begins_with(s, :p)"},
        names=None,
        values={":k": {"S": "key"}, ":p": {"S": "h"}},
    )
    tree = getattr(compiled, kind)
    assert evaluate(tree, ITEM)
    assert not evaluate(tree, {"pk": {"S": "other"}, "s": {"S": "h"}})
