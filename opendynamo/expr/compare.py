"""Equality and ordering of attribute values, as conditions and updates need them.

Kept private to `expr/` so the package depends only on `model/numbers.py`. The rules:
values of different types are never equal and never ordered; numbers travel as canonical text, so
equal numbers have equal text; sets are unordered; lists and maps compare deeply; S orders by
code point (the same as UTF-8 byte order), N numerically, B by the decoded bytes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from opendynamo.expr.ast import AttributeValue
from opendynamo.model import numbers

SCALAR_ORDERED = frozenset({"S", "N", "B"})


def type_of(value: AttributeValue) -> str:
    """The type key of an attribute value: S, N, B, BOOL, NULL, M, L, SS, NS or BS."""
    for key in value:
        return key
    raise ValueError("empty attribute value")


def decode_binary(text: str) -> bytes:
    """The bytes of a base64 B value (tolerant: values were validated on the way in)."""
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        return text.encode()


def equal(a: AttributeValue, b: AttributeValue) -> bool:
    """DynamoDB equality: same type and same value (sets ignore order, L and M compare deeply)."""
    kind = type_of(a)
    if kind != type_of(b):
        return False
    return _equal_payload(kind, a[kind], b[kind])


def _equal_payload(kind: str, x: Any, y: Any) -> bool:
    if kind in ("S", "N", "BOOL", "NULL"):
        return bool(x == y)
    if kind == "B":
        return bool(x == y) or decode_binary(x) == decode_binary(y)
    if kind in ("SS", "NS"):
        return len(x) == len(y) and set(x) == set(y)
    if kind == "BS":
        return len(x) == len(y) and {decode_binary(v) for v in x} == {decode_binary(v) for v in y}
    if kind == "L":
        return len(x) == len(y) and all(equal(p, q) for p, q in zip(x, y, strict=False))
    if kind == "M":
        return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    return False


def order(a: AttributeValue, b: AttributeValue) -> int | None:
    """-1, 0 or 1 for two values of the same scalar type (S, N, B); None when not comparable."""
    kind = type_of(a)
    if kind != type_of(b) or kind not in SCALAR_ORDERED:
        return None
    x, y = a[kind], b[kind]
    if kind == "N":
        return numbers.compare(x, y)
    if kind == "B":
        x, y = decode_binary(x), decode_binary(y)
    return -1 if x < y else (1 if x > y else 0)


def set_contains(set_value: AttributeValue, element: AttributeValue) -> bool:
    """Whether a SS/NS/BS contains a scalar of the matching type."""
    kind = type_of(set_value)
    element_kind = type_of(element)
    if kind != element_kind + "S" or element_kind not in SCALAR_ORDERED:
        return False
    member = element[element_kind]
    if kind == "BS":
        wanted = decode_binary(member)
        return any(decode_binary(v) == wanted for v in set_value[kind])
    return member in set_value[kind]
