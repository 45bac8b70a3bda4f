"""Parsed Ion as DynamoDB items: `item_of` maps a parsed struct to an item in wire form
(Ion types to DynamoDB types, the `$dynamodb_SS`/`NS`/`BS` annotations to sets, numbers made
canonical), and `load_items` reads the items of an ImportTable ION source.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final

from opendynamo.errors import DynamoError
from opendynamo.model import numbers
from opendynamo.model.ion.parser import records, where
from opendynamo.model.ion.types import SET_ANNOTATIONS, Annotated, IonError, type_name
from opendynamo.model.values import AttributeValue, Item


def load_items(text: str) -> Iterator[Item]:
    """The items of an ImportTable ION source: `item_of` of each record's `Item` field."""
    for start, record in records(text):
        if "Item" not in record:
            raise IonError(f"{where(text, start)}: a record has no Item field")
        try:
            yield item_of(record["Item"])
        except IonError as error:
            raise IonError(f"{where(text, start)}: {error}") from None


def item_of(struct: Any) -> Item:
    """The DynamoDB item of a parsed Ion struct, in wire form with numbers canonical.

    Strings, symbols and timestamps become S; ints, decimals and floats N; blobs and clobs B;
    bools BOOL; every null NULL; structs M; lists L; lists annotated $dynamodb_SS/NS/BS the
    sets. Other annotations are ignored. Raises IonError for a number DynamoDB cannot hold
    (nan, inf, over 38 digits, out of range) and for a set member of the wrong type; the
    remaining item rules (empty or duplicate sets, nesting, size) are `values.normalize_item`'s.
    """
    if not isinstance(struct, dict):
        raise IonError(f"an item must be a struct, found {type_name(struct)}")
    item: Item = {}
    for name, value in struct.items():
        try:
            item[name] = _wire(value)
        except IonError as error:
            raise IonError(f"attribute {name!r}: {error}") from None
    return item


def _wire(value: Any) -> AttributeValue:
    if isinstance(value, str):
        return {"S": str(value)}
    if isinstance(value, dict):
        return {"M": {name: _wire(child) for name, child in value.items()}}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal | float):
        return {"N": _number(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list):
        return {"L": [_wire(child) for child in value]}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Annotated):
        return _annotated(value)
    raise IonError(f"{value!r} is not an Ion value")


def _number(value: int | Decimal | float) -> str:
    try:
        if isinstance(value, Decimal):
            return numbers.canonical(value)
        if isinstance(value, int):
            return numbers.normalize(str(value))
        if not math.isfinite(value):
            raise IonError(f"{value} is not a number DynamoDB can store")
        return numbers.normalize(repr(value))  # the shortest text of the double
    except DynamoError as error:
        raise IonError(f"{value}: {error.message}") from None


_SET_OF_ANNOTATION: Final = {annotation: kind for kind, annotation in SET_ANNOTATIONS.items()}


def _annotated(value: Annotated) -> AttributeValue:
    set_type = _SET_OF_ANNOTATION.get(value.annotations[0])
    if set_type is None:
        return _wire(value.value)
    if not isinstance(value.value, list):
        raise IonError(f"{value.annotations[0]} annotates a {type_name(value.value)}, not a list")
    return {set_type: [_set_member(set_type, member) for member in value.value]}


def _set_member(set_type: str, member: Any) -> str:
    if set_type == "SS" and isinstance(member, str):
        return str(member)
    is_number = isinstance(member, int | Decimal | float) and not isinstance(member, bool)
    if set_type == "NS" and is_number:
        return _number(member)
    if set_type == "BS" and isinstance(member, bytes):
        return base64.b64encode(member).decode("ascii")
    wanted = {"SS": "string", "NS": "number", "BS": "blob"}[set_type]
    raise IonError(
        f"a {SET_ANNOTATIONS[set_type]} member must be a {wanted}, found {type_name(member)}"
    )
