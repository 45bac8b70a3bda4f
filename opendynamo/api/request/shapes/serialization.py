"""Phase 1, JSON types: one type checker per shape, compiled at import time, raising
SerializationException with DynamoDB's `Message` for the first wrong member (wording from
dynalite's `test/helpers.js` `assertType`, recorded against live DynamoDB), and making the two
coercions DynamoDB makes ("true"/"false" strings for booleans, fractions for integers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from opendynamo import errors
from opendynamo.api.request.shapes.model import SHAPES, Json

# A type checker takes a value and whether it sits in a structure member (True) or in a list
# element / map value (False), and returns the value, coerced where DynamoDB coerces.
TypeChecker = Callable[[Json, bool], Json]

JAVA_PACKAGE: Final = "com.amazonaws.dynamodb.v20120810."
OBJECT_NOT_EXPECTED: Final = "Start of structure or map found where not expected"
UNEXPECTED_FIELD: Final = "Unexpected field type"
UNEXPECTED_VALUE: Final = "Unexpected value type in payload"
# DynamoDB's answer when a scalar sits where a list or map is expected inside another container.
CAST_MESSAGE: Final = (
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "
    "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and "
    "java.lang.Class are in module java.base of loader 'bootstrap')"
)
BAD_LAST_BASE64: Final = "Invalid last non-pad Base64 character dectected"  # sic, as DynamoDB
BASE64_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
BASE64_OK = re.compile(r"[A-Za-z0-9+/]*={0,2}")
BASE64_BAD_CHAR = re.compile(r"[^A-Za-z0-9+/=]")


def _token(value: Json) -> str:
    """The Jackson token name DynamoDB quotes for a scalar of the wrong type."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


def _scalar_error(value: Json, target: str, java: str) -> errors.DynamoError:
    """The SerializationException for `value` where a scalar of type `target` belongs."""
    if isinstance(value, dict):
        return errors.serialization(OBJECT_NOT_EXPECTED)
    if isinstance(value, list):
        return errors.serialization(f"Unrecognized collection type class {java}")
    return errors.serialization(f"{_token(value)} cannot be converted to {target}")


def _check_string(value: Json, member: bool) -> Json:
    if type(value) is str:
        return value
    raise _scalar_error(value, "String", "java.lang.String")


def _check_boolean(value: Json, member: bool) -> Json:
    """Booleans; DynamoDB also reads the strings true/false in any case."""
    if type(value) is bool:
        return value
    if isinstance(value, str):
        word = value.lower()
        if word in ("true", "false"):
            return word == "true"
        raise errors.serialization("Unexpected token received from parser")
    raise _scalar_error(value, "Boolean", "java.lang.Boolean")


def _integral_checker(target: str) -> TypeChecker:
    """Integer/Long: any JSON number is accepted, a fraction is truncated as Java does."""
    java = f"java.lang.{target}"

    def check(value: Json, member: bool) -> Json:
        kind = type(value)
        if kind is int:
            return value
        if kind is float:
            return int(value)
        raise _scalar_error(value, target, java)

    return check


def _number_checker(target: str, java: str) -> TypeChecker:
    """Double and timestamp (epoch seconds): any JSON number."""

    def check(value: Json, member: bool) -> Json:
        if type(value) in (int, float):
            return value
        raise _scalar_error(value, target, java)

    return check


def _check_blob(value: Json, member: bool) -> Json:
    """Blobs are base64 text; DynamoDB checks length, then alphabet, then the final bits."""
    if isinstance(value, str):
        if len(value) % 4 or not BASE64_OK.fullmatch(value) or value.endswith("="):
            check_base64_detail(value)
        return value
    if isinstance(value, dict):
        raise errors.serialization(OBJECT_NOT_EXPECTED)
    if isinstance(value, list):
        raise errors.serialization("Unrecognized collection type class java.nio.ByteBuffer")
    raise errors.serialization("only base-64-encoded strings are convertible to bytes")


def check_base64_detail(text: str) -> None:
    """The slow path of `_check_blob`: find which base64 rule `text` breaks, if any."""
    if len(text) % 4:
        raise errors.serialization(
            f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(text)}"
        )
    body = text.rstrip("=")
    if not BASE64_OK.fullmatch(text):
        bad = BASE64_BAD_CHAR.search(body)
        if bad is None:  # only misplaced padding
            raise errors.serialization(BAD_LAST_BASE64)
        # Wording unverified: dynalite's older tests had "Invalid Base64 character: 'c'".
        raise errors.serialization(f"Invalid Base64 character: '{bad.group()}'")
    unused_bits = 0b11 if len(text) - len(body) == 1 else 0b1111
    if body and BASE64_ALPHABET.index(body[-1]) & unused_bits:
        raise errors.serialization(BAD_LAST_BASE64)


def _java_class(shape_name: str) -> str:
    """The Java type DynamoDB names for a value of this shape in collection errors."""
    shape = SHAPES[shape_name]
    kind = shape["type"]
    if kind == "structure":
        return JAVA_PACKAGE + shape_name.rpartition(".")[2]
    if kind == "list":
        return f"java.util.List<{_java_class(shape['member'])}>"
    if kind == "map":
        return f"java.util.Map<java.lang.String, {_java_class(shape['value'])}>"
    return SCALAR_JAVA[kind]


SCALAR_JAVA: Final = {
    "string": "java.lang.String",
    "boolean": "java.lang.Boolean",
    "integer": "java.lang.Integer",
    "long": "java.lang.Long",
    "double": "java.lang.Double",
    "timestamp": "java.util.Date",
    "blob": "java.nio.ByteBuffer",
}

SCALAR_CHECKERS: Final[dict[str, TypeChecker]] = {
    "string": _check_string,
    "boolean": _check_boolean,
    "integer": _integral_checker("Integer"),
    "long": _integral_checker("Long"),
    "double": _number_checker("Double", "java.lang.Double"),
    "timestamp": _number_checker("Date", "java.util.Date"),
    "blob": _check_blob,
}

Cell = list[TypeChecker]  # one slot, filled after every shape's checker exists (recursion)


def _container_error(value: Json, member: bool) -> errors.DynamoError:
    """A scalar where a list or map belongs: the message depends on where it sits."""
    return errors.serialization(UNEXPECTED_FIELD if member else CAST_MESSAGE)


def _structure_checker(name: str, members: dict[str, Cell]) -> TypeChecker:
    java = JAVA_PACKAGE + name.rpartition(".")[2]

    def check(value: Json, member: bool) -> Json:
        if type(value) is not dict:
            if isinstance(value, list):
                raise errors.serialization(f"Unrecognized collection type class {java}")
            raise errors.serialization(UNEXPECTED_FIELD if member else UNEXPECTED_VALUE)
        for key, item in value.items():
            cell = members.get(key)
            if cell is None or item is None:
                continue  # DynamoDB ignores unknown members and treats null as absent
            checked = cell[0](item, True)
            if checked is not item:
                value[key] = checked
        return value

    return check


def _list_checker(element: Cell) -> TypeChecker:
    def check(value: Json, member: bool) -> Json:
        if type(value) is not list:
            if isinstance(value, dict):
                raise errors.serialization(OBJECT_NOT_EXPECTED)
            raise _container_error(value, member)
        element_check = element[0]
        for index, item in enumerate(value):
            if item is not None:
                checked = element_check(item, False)
                if checked is not item:
                    value[index] = checked
        return value

    return check


def _map_checker(element: Cell, java: str) -> TypeChecker:
    def check(value: Json, member: bool) -> Json:
        if type(value) is not dict:
            if isinstance(value, list):
                raise errors.serialization(f"Unrecognized collection type {java}")
            raise _container_error(value, member)
        element_check = element[0]
        for key, item in value.items():
            if item is not None:
                checked = element_check(item, False)
                if checked is not item:
                    value[key] = checked
        return value

    return check


def _compile_types() -> dict[str, TypeChecker]:
    """One type checker per shape; children are reached through cells so recursion works."""
    cells: dict[str, Cell] = {name: [] for name in SHAPES}
    for name, shape in SHAPES.items():
        kind = shape["type"]
        if kind == "structure":
            members = {m: cells[ref] for m, ref in shape["members"]}
            cells[name].append(_structure_checker(name, members))
        elif kind == "list":
            cells[name].append(_list_checker(cells[shape["member"]]))
        elif kind == "map":
            java = f"java.util.Map<java.lang.String, {_java_class(shape['value'])}>"
            cells[name].append(_map_checker(cells[shape["value"]], java))
        else:
            cells[name].append(SCALAR_CHECKERS[kind])
    return {name: cell[0] for name, cell in cells.items()}


TYPE_CHECKERS: Final = _compile_types()
