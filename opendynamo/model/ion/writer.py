"""Writing DynamoDB items as Ion text, as DynamoDB's ION table exports do: `dumps_record`
for a line of an export, `dumps_item` and `dumps_value` for an item and an attribute value,
with numbers and escapes spelled as ion-java spells them (which is what DynamoDB's writer emits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final

from opendynamo.model.ion.types import (
    IDENTIFIER,
    KEYWORDS,
    SET_ANNOTATIONS,
    SYMBOL_ID,
    VERSION_MARKER,
)
from opendynamo.model.values import AttributeValue, Item


def dumps_record(record: Mapping[str, Item]) -> str:
    """One line of an ION export: the version marker, then a struct whose fields are items.

    A full export writes `dumps_record({"Item": item})`. An incremental export writes
    `{"Metadata": {"WriteTimestampMicros": {"N": micros}}, "Keys": keys, "NewImage": new,
    "OldImage": old}`, leaving out an image it does not have: the shape of DynamoDB's JSON
    incremental lines, whose Ion form the docs do not show. Every field value is rendered like
    an item, so the timestamp becomes a decimal. Record fields keep the caller's order. The
    newline that ends the line is the caller's.
    """
    fields = ",".join(f"{_symbol(name)}:{dumps_item(item)}" for name, item in record.items())
    return f"{VERSION_MARKER} {{{fields}}}"


def dumps_item(item: Item) -> str:
    """The Ion struct of a normalised item, attributes sorted by name so the text is stable."""
    return _struct(item)


def dumps_value(value: AttributeValue) -> str:
    """The Ion text of one normalised attribute value; set members keep their order."""
    type_key, payload = next(iter(value.items()))
    return _WRITERS[type_key](payload)


def _struct(fields: Mapping[str, AttributeValue]) -> str:
    body = ",".join(f"{_symbol(name)}:{dumps_value(fields[name])}" for name in sorted(fields))
    return "{" + body + "}"


def _list(values: list[AttributeValue]) -> str:
    return "[" + ",".join(map(dumps_value, values)) + "]"


def _blob(b64: str) -> str:
    return "{{" + b64 + "}}"  # normalised B is canonical base64 already


def _decimal(text: str) -> str:
    """A canonical number as ion-java prints the BigDecimal DynamoDB holds (trailing zeros
    stripped): 103 -> `103.`, 600 -> `6d2`, 1.5 -> `1.5`, 0.05 -> `0.05`, 1E-7 -> `1d-7`.

    Small negative exponents are spelled out down to an adjusted exponent of -6, as
    ion-java's _Private_IonTextAppender.printDecimal does; the docs' example pins the rest.
    """
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = body.partition(".")
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return "0."
    significant = digits.rstrip("0")
    exponent = len(digits) - len(significant) - len(fraction)
    if exponent == 0:
        return f"{sign}{significant}."
    if exponent > 0:
        return f"{sign}{significant}d{exponent}"
    scale = -exponent
    whole_digits = len(significant) - scale
    if whole_digits > 0:
        return f"{sign}{significant[:whole_digits]}.{significant[whole_digits:]}"
    if whole_digits > -6:  # adjusted exponent (whole_digits - 1) of at least -6
        return f"{sign}0.{'0' * -whole_digits}{significant}"
    return f"{sign}{significant}d-{scale}"


def _set_writer(type_key: str, member: Callable[[str], str]) -> Callable[[list[str]], str]:
    prefix = SET_ANNOTATIONS[type_key] + "::["
    return lambda members: prefix + ",".join(map(member, members)) + "]"


# ion-java's escapes for text (what DynamoDB's writer emits): the C0 controls, DEL and the C1
# controls as \xNN unless they have a short form; everything else is written as UTF-8.
_ESCAPES: Final = {chr(code): f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
_ESCAPES.update({"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n"})
_ESCAPES.update({"\v": "\\v", "\f": "\\f", "\r": "\\r", "\\": "\\\\", '"': '\\"', "'": "\\'"})
_STRING_ESCAPED: Final = re.compile(r'[\x00-\x1f"\\\x7f-\x9f]')
_SYMBOL_ESCAPED: Final = re.compile(r"[\x00-\x1f'\\\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def _string(text: str) -> str:
    if _STRING_ESCAPED.search(text) is None:
        return f'"{text}"'
    return '"' + _STRING_ESCAPED.sub(_escape, text) + '"'


@lru_cache(maxsize=4096)  # attribute names repeat on every line of an export
def _symbol(name: str) -> str:
    """A field name: bare when it is an identifier, else a 'quoted symbol'."""
    if IDENTIFIER.fullmatch(name) and name not in KEYWORDS and not SYMBOL_ID.fullmatch(name):
        return name
    return "'" + _SYMBOL_ESCAPED.sub(_escape, name) + "'"


_WRITERS: Final[dict[str, Callable[[Any], str]]] = {
    "S": _string,
    "N": _decimal,
    "B": _blob,
    "BOOL": lambda flag: "true" if flag else "false",
    "NULL": lambda _: "null",
    "M": _struct,
    "L": _list,
    "SS": _set_writer("SS", _string),
    "NS": _set_writer("NS", _decimal),
    "BS": _set_writer("BS", _blob),
}
