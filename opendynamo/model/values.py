"""DynamoDB attribute values: validation, normalisation, equality and scalar ordering.

An attribute value is kept exactly as the JSON protocol carries it — a dict with one type key
(`{"S": "x"}`, `{"N": "12.5"}`, `{"M": {...}}` …) — so that requests, stored items and replies
share one shape. `normalize_value` is the single gate every incoming value passes: afterwards
numbers are DynamoDB's canonical text and binaries canonical base64, so equality of scalars is
plain string equality everywhere else in the code.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final, TypeVar

from opendynamo import errors
from opendynamo.model import numbers

Body = dict[str, Any]  # a decoded JSON request or answer, as on the wire
AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

# The order in which DynamoDB converts the members of an AttributeValue (DynamoDB Local's
# InputConverter): each member present is validated in this order, and only then is the number
# of members checked, so {"S": "a", "N": "b"} fails on the number, not on "more than one".
TYPE_ORDER: Final = ("S", "SS", "N", "NS", "B", "BS", "M", "L", "BOOL", "NULL")
SCALAR_KEY_TYPES: Final = frozenset({"S", "N", "B"})
SET_TYPES: Final = frozenset({"SS", "NS", "BS"})

# DynamoDB documents 32 levels of nesting: the 32nd level is the scalar, so at most 31 maps or
# lists may enclose one another (31 nested wrappers are accepted, the 32nd is rejected).
MAX_CONTAINER_DEPTH: Final = 31

_TYPE_KEYS: Final = frozenset(TYPE_ORDER)
_EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
_MULTIPLE = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)
_NESTING = (
    "Nesting Levels have exceeded supported limits: "
    "Attributes in the item have nested levels beyond supported limit"
)
_Comparable = TypeVar("_Comparable", str, bytes)
_BASE64_CHARS = re.compile(r"[^A-Za-z0-9+/=]|=[^=]")


def normalize_value(value: Any) -> AttributeValue:
    """Validate one attribute value of an item and return its normalised copy.

    The JSON member types are assumed checked already (str for S/N/B, bool for BOOL/NULL, …);
    this raises DynamoDB's ValidationException for what DynamoDB rejects after decoding: no type
    or several types, NULL false, bad or out-of-range numbers, empty sets, duplicate set members,
    and nesting beyond DynamoDB's limit. Invalid base64 raises SerializationException, as
    DynamoDB rejects it while decoding the request.
    """
    return _normalize(value, 1)


def normalize_item(item: dict[str, Any]) -> Item:
    """`normalize_value` applied to every attribute of an item, in the item's order.

    An attribute named "" is refused: DynamoDB's attribute names have at least one character.
    Names inside a map value are not checked (the wire model puts no lower bound on them)."""
    if "" in item:  # one lookup, not a pass over the attributes
        raise errors.empty_attribute_name()
    return {name: _normalize(value, 1) for name, value in item.items()}


def _normalize(value: Any, depth: int) -> AttributeValue:
    """Validate every member present in DynamoDB's order, then insist on exactly one."""
    if not isinstance(value, dict):
        raise errors.validation(_EMPTY)
    if len(value) == 1:  # the usual case: one member, skip the scan of all type keys
        type_key, member = next(iter(value.items()))
        if type_key in _TYPE_KEYS and member is not None:
            return {type_key: _normalize_member(type_key, member, depth)}
    result: AttributeValue = {}
    for type_key in TYPE_ORDER:
        member = value.get(type_key)
        if member is not None:  # JSON null means the member is absent
            result[type_key] = _normalize_member(type_key, member, depth)
    if len(result) == 1:
        return result
    raise errors.validation(_EMPTY if not result else _MULTIPLE)


def _normalize_member(type_key: str, member: Any, depth: int) -> Any:
    """The normalised payload of one type member."""
    if type_key == "S" or type_key == "BOOL":
        return member
    if type_key == "N":
        return numbers.normalize(member)
    if type_key == "B":
        return canonical_base64(member)
    if type_key == "NULL":
        if member is not True:
            raise errors.invalid_parameters(
                "Null attribute value types must have the value of true"
            )
        return True
    if type_key == "M":
        _check_depth(depth)
        return {name: _normalize(child, depth + 1) for name, child in member.items()}
    if type_key == "L":
        _check_depth(depth)
        return [_normalize(child, depth + 1) for child in member]
    return _normalize_set(type_key, member)


def _check_depth(depth: int) -> None:
    if depth > MAX_CONTAINER_DEPTH:
        raise errors.validation(_NESTING)


def _normalize_set(type_key: str, members: list[str]) -> list[str]:
    """SS, NS and BS: non-empty and free of duplicates (NS numerically, BS by bytes)."""
    if type_key == "SS":
        if not members:
            raise errors.invalid_parameters("An string set  may not be empty")
        if len(set(members)) != len(members):
            raise errors.invalid_parameters(
                f"Input collection {_collection_text(members)} contains duplicates."
            )
        return list(members)
    if type_key == "NS":
        if not members:
            raise errors.invalid_parameters("An number set  may not be empty")
        normalized = [numbers.normalize(member) for member in members]
        if len(set(normalized)) != len(normalized):
            # DynamoDB sends this one without the "One or more parameter values…" prefix.
            raise errors.validation("Input collection contains duplicates")
        return normalized
    if not members:
        raise errors.invalid_parameters("Binary sets should not be empty")
    normalized = [canonical_base64(member) for member in members]
    if len(set(normalized)) != len(normalized):
        # Sic: DynamoDB puts no space before "of type BS".
        raise errors.invalid_parameters(
            f"Input collection {_collection_text(members)}of type BS contains duplicates."
        )
    return normalized


def _collection_text(members: list[str]) -> str:
    """Java's List.toString(), which DynamoDB's duplicate messages quote: `[a, b]`."""
    return "[" + ", ".join(members) + "]"


def decode_binary(b64: str) -> bytes:
    """The bytes of a base64 text, validated as strictly as DynamoDB decodes a Blob.

    DynamoDB rejects (SerializationException) a length that is not a multiple of 4, characters
    outside the standard alphabet, and a last character whose unused bits are not zero.
    """
    if len(b64) % 4:
        raise _blob_error(
            b64,
            f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(b64)}",
        )
    bad = _BASE64_CHARS.search(b64)
    if bad:
        raise _blob_error(b64, f"Invalid Base64 character: '{bad.group()[0]}'")
    try:
        data = base64.b64decode(b64, validate=True)
    except binascii.Error:  # misplaced padding, e.g. "A==="
        raise _blob_error(b64, "Invalid last non-pad Base64 character dectected") from None
    if base64.b64encode(data).decode("ascii") != b64:
        # Sic: "dectected" is DynamoDB's spelling.
        raise _blob_error(b64, "Invalid last non-pad Base64 character dectected")
    return data


def canonical_base64(b64: str) -> str:
    """Validate a base64 text (see `decode_binary`) and return it in canonical form.

    Strict validation means the only accepted spelling of some bytes is the canonical one, so
    this returns its input; it exists so callers state the intent.
    """
    decode_binary(b64)
    return b64


def _blob_error(b64: str, detail: str) -> errors.DynamoError:
    return errors.serialization(f"'{b64}' can not be converted to a Blob: {detail}")


def value_type(av: AttributeValue) -> str:
    """The type key of a normalised value: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS" …"""
    return next(iter(av))


def is_key_type(av: AttributeValue) -> bool:
    """Whether the value may be a table or index key: a scalar S, N or B."""
    return value_type(av) in SCALAR_KEY_TYPES


def equal(a: AttributeValue, b: AttributeValue) -> bool:
    """DynamoDB equality of two normalised values.

    Numbers compare numerically (canonical text makes that string equality), sets ignore
    member order, lists and maps compare deeply. Values of different types are never equal.
    """
    type_a = value_type(a)
    if type_a != value_type(b):
        return False
    payload_a, payload_b = a[type_a], b[type_a]
    if type_a in SET_TYPES:
        return len(payload_a) == len(payload_b) and set(payload_a) == set(payload_b)
    if type_a == "L":
        return len(payload_a) == len(payload_b) and all(
            equal(x, y) for x, y in zip(payload_a, payload_b, strict=False)
        )
    if type_a == "M":
        return payload_a.keys() == payload_b.keys() and all(
            equal(child, payload_b[name]) for name, child in payload_a.items()
        )
    return bool(payload_a == payload_b)


def same_item(a: Item, b: Item) -> bool:
    """Whether two normalised items hold the same data: the same attributes, each pair
    `equal`, whatever the order of their attributes, map entries or set members."""
    return a.keys() == b.keys() and all(equal(value, b[name]) for name, value in a.items())


def compare_scalars(a: AttributeValue, b: AttributeValue) -> int | None:
    """-1, 0 or 1 in DynamoDB's order of two S, N or B values of the same type, else None.

    S orders by UTF-8 bytes, which is the order of Python's code-point comparison; N orders
    numerically; B orders by unsigned bytes.
    """
    type_a = value_type(a)
    if type_a != value_type(b) or type_a not in SCALAR_KEY_TYPES:
        return None
    if type_a == "N":
        return numbers.compare(a["N"], b["N"])
    if type_a == "B":
        return _order(decode_binary(a["B"]), decode_binary(b["B"]))
    return _order(a["S"], b["S"])


def _order(x: _Comparable, y: _Comparable) -> int:
    return (x > y) - (x < y)
