"""Amazon Ion text as DynamoDB's table exports write it and ImportTable reads it.

An ION export holds one record per line, each line starting with the Ion version marker
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html):

    $ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],Id:103.,PageCount:6d2}}

DynamoDB's type mapping: S -> string, N -> decimal, B -> blob `{{base64}}`, BOOL -> bool,
NULL -> null, M -> struct, L -> list, and SS/NS/BS -> a list annotated `$dynamodb_SS`,
`$dynamodb_NS` or `$dynamodb_BS`. Writing is `dumps_value`, `dumps_item` and `dumps_record`.

Reading is `loads`, a parser for the Ion text DynamoDB and hand-written import files use
(no s-expressions, no symbol tables), giving plain Python values:
string -> str, symbol -> Symbol, timestamp -> Timestamp (its text), int -> int,
decimal -> Decimal, float -> float, bool -> bool, null and every typed null -> None,
blob -> bytes, clob -> Clob, list -> list, struct -> dict (a repeated field keeps its last
value), annotated value -> Annotated. `item_of` maps a parsed struct to a DynamoDB item and
`load_items` does both for an ImportTable source. No Ion library is used: the dependencies of
opendynamo are deliberately few.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from opendynamo.errors import DynamoError
from opendynamo.model import numbers
from opendynamo.model.values import AttributeValue, Item

VERSION_MARKER: Final = "$ion_1_0"
SET_ANNOTATIONS: Final = {"SS": "$dynamodb_SS", "NS": "$dynamodb_NS", "BS": "$dynamodb_BS"}
# Deeper than any record DynamoDB writes (record, image and 32 levels of item); bounds recursion.
MAX_DEPTH: Final = 100


class IonError(ValueError):
    """Ion text that is malformed or unsupported, or a value no DynamoDB item can hold.

    Parse errors start with "line L, column C:" (1-based) and say what was expected.
    """


class Symbol(str):
    """An Ion symbol value (`abc`, `'a b'`); a str, so it reads as a DynamoDB string."""

    __slots__ = ()


class Timestamp(str):
    """An Ion timestamp, kept as its text (`2007-02-23T12:14Z`); reads as a DynamoDB string."""

    __slots__ = ()


class Clob(bytes):
    """An Ion clob (`{{"text"}}`), its bytes; reads as a DynamoDB binary like a blob."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Annotated:
    """A value with its annotations, outermost first: `a::b::1` is (("a", "b"), 1)."""

    annotations: tuple[str, ...]
    value: Any


# --- Writing ------------------------------------------------------------------------------


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
_IDENTIFIER: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_SYMBOL_ID: Final = re.compile(r"\$[0-9]+")
_KEYWORDS: Final = frozenset({"null", "true", "false", "nan"})


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def _string(text: str) -> str:
    if _STRING_ESCAPED.search(text) is None:
        return f'"{text}"'
    return '"' + _STRING_ESCAPED.sub(_escape, text) + '"'


@lru_cache(maxsize=4096)  # attribute names repeat on every line of an export
def _symbol(name: str) -> str:
    """A field name: bare when it is an identifier, else a 'quoted symbol'."""
    if _IDENTIFIER.fullmatch(name) and name not in _KEYWORDS and not _SYMBOL_ID.fullmatch(name):
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


# --- Reading ------------------------------------------------------------------------------


def loads(text: str) -> Iterator[dict[str, Any]]:
    """The top-level structs of Ion text, parsed lazily, in order.

    Skips whitespace, comments, the `$ion_1_0` version marker and `$ion_symbol_table::`
    structs. A top-level list yields its structs, as in the ImportTable example (`$ion_1_0
    [{Item:{...}},{Item:{...}}]`, https://docs.aws.amazon.com/amazondynamodb/latest/
    developerguide/S3DataImport.Format.html). Any other top-level value, malformed text and
    unsupported Ion raise IonError.
    """
    for _, record in _records(text):
        yield record


def load_items(text: str) -> Iterator[Item]:
    """The items of an ImportTable ION source: `item_of` of each record's `Item` field."""
    for start, record in _records(text):
        if "Item" not in record:
            raise IonError(f"{_where(text, start)}: a record has no Item field")
        try:
            yield item_of(record["Item"])
        except IonError as error:
            raise IonError(f"{_where(text, start)}: {error}") from None


def item_of(struct: Any) -> Item:
    """The DynamoDB item of a parsed Ion struct, in wire form with numbers canonical.

    Strings, symbols and timestamps become S; ints, decimals and floats N; blobs and clobs B;
    bools BOOL; every null NULL; structs M; lists L; lists annotated $dynamodb_SS/NS/BS the
    sets. Other annotations are ignored. Raises IonError for a number DynamoDB cannot hold
    (nan, inf, over 38 digits, out of range) and for a set member of the wrong type; the
    remaining item rules (empty or duplicate sets, nesting, size) are `values.normalize_item`'s.
    """
    if not isinstance(struct, dict):
        raise IonError(f"an item must be a struct, found {_kind(struct)}")
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
        raise IonError(f"{value.annotations[0]} annotates a {_kind(value.value)}, not a list")
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
        f"a {SET_ANNOTATIONS[set_type]} member must be a {wanted}, found {_kind(member)}"
    )


def _kind(value: Any) -> str:
    """The Ion type name of a parsed value, for messages."""
    if value is None:
        return "null"
    kinds = [
        (bool, "bool"), (Symbol, "symbol"), (Timestamp, "timestamp"), (str, "string"),
        (int, "int"), (Decimal, "decimal"), (float, "float"), (Clob, "clob"), (bytes, "blob"),
        (list, "list"), (dict, "struct"), (Annotated, "annotated value"),
    ]  # fmt: skip
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def _records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each top-level struct with the offset where its top-level value starts."""
    for start, value in _Reader(text).top_level():
        if isinstance(value, Symbol) and _VERSION.fullmatch(value):
            if value != VERSION_MARKER:
                raise IonError(f"{_where(text, start)}: unsupported Ion version {value}")
            continue  # the version marker that starts every line
        if isinstance(value, Annotated) and value.annotations[0] == "$ion_symbol_table":
            continue  # only needed to resolve $10-style symbol IDs, which are refused
        if isinstance(value, dict):
            yield start, value
        elif isinstance(value, list) and all(isinstance(record, dict) for record in value):
            for record in value:
                yield start, record
        else:
            found = "a list of non-structs" if isinstance(value, list) else _kind(value)
            raise IonError(f"{_where(text, start)}: expected a struct, found {found}")


def _where(text: str, at: int) -> str:
    """ "line L, column C" of an offset, both counted from 1."""
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    return f"line {line}, column {column}"


_VERSION: Final = re.compile(r"\$ion_[0-9]+_[0-9]+")
_SPACE: Final = re.compile(r"(?:[ \t\n\r\v\f]+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_COMPACT_FIELD: Final = re.compile(r"((?!\$[0-9]+:)[A-Za-z_$][A-Za-z0-9_$]*):")
_SPACE_START: Final = frozenset(" \t\n\r\v\f/")
_LOB_SPACE: Final = re.compile(r"[ \t\n\r\v\f]*")
_IDENTIFIER_START: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
# Strings as unrolled loops (plain run, then escape + plain run)*: linear even when unterminated.
_STRING: Final = re.compile(r'"([^"\\\n\r]*(?:\\(?:\r\n|[\s\S])[^"\\\n\r]*)*)"')
_QUOTED_SYMBOL: Final = re.compile(r"'([^'\\\n\r]*(?:\\(?:\r\n|[\s\S])[^'\\\n\r]*)*)'")
_LONG_STRING: Final = re.compile(r"'''([^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*)'''")
_ESCAPE: Final = re.compile(
    r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(\r\n|.))", re.DOTALL
)
_SIMPLE_ESCAPES: Final = {
    "a": "\a", "b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "v": "\v", "0": "\0",
    '"': '"', "'": "'", "?": "?", "\\": "\\", "/": "/", "\n": "", "\r": "", "\r\n": "",
}  # fmt: skip
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_BLOB: Final = re.compile(r"\{\{([A-Za-z0-9+/= \t\n\r\v\f]*)\}\}")
_RADIX_INT: Final = re.compile(r"-?0(?:[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|[bB][01](?:_?[01])*)")
_NUMBER: Final = re.compile(
    r"-?(?:0|[1-9](?:_?[0-9])*)(?P<fraction>\.(?:[0-9](?:_?[0-9])*)?)?"
    r"(?:(?P<decimal>[dD][+-]?[0-9]+)|(?P<float>[eE][+-]?[0-9]+))?"
)
_TIMESTAMP_START: Final = re.compile(r"[0-9]{4}[-T]")
_TIME: Final = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?"
_OFFSET: Final = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_TIMESTAMP: Final = re.compile(
    rf"([0-9]{{4}})(?:T|-([0-9]{{2}})(?:T|-([0-9]{{2}})(?:T(?:{_TIME}{_OFFSET})?)?))"
)
# What may follow a number or timestamp (Ion's "numeric stop characters", plus comments).
_STOP: Final = frozenset(" \t\n\r\v\f,]}){[(\"'/")
_NULL_TYPES: Final = frozenset(
    "null bool int float decimal timestamp symbol string clob blob list sexp struct".split()
)


class _Reader:
    """A recursive-descent parser over the whole text: `pos` is the next unread offset."""

    __slots__ = ("text", "pos", "depth")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def top_level(self) -> Iterator[tuple[int, Any]]:
        while True:
            self.skip()
            if self.pos >= len(self.text):
                return
            start = self.pos
            yield start, self.value()

    def fail(self, message: str, at: int | None = None) -> IonError:
        return IonError(f"{_where(self.text, self.pos if at is None else at)}: {message}")

    def skip(self) -> None:
        """Past whitespace and comments."""
        if self.peek() not in _SPACE_START:
            return  # the common case in DynamoDB's compact lines: nothing to skip
        match = _SPACE.match(self.text, self.pos)
        assert match is not None  # the pattern matches the empty string
        self.pos = match.end()
        if self.text.startswith("/*", self.pos):
            raise self.fail("unterminated /* comment")

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def value(self) -> Any:
        char = self.peek()
        if char == '"':
            return self.short_string()
        if char in _IDENTIFIER_START:
            return self.identifier_value()
        if char == "{":
            return self.lob() if self.text.startswith("{{", self.pos) else self.struct_value()
        if char == "[":
            return self.list_value()
        if char == "'":
            if self.text.startswith("'''", self.pos):
                return self.long_strings()
            return self.annotations_or_symbol(self.quoted_symbol())
        if char and char in "-+0123456789":
            return self.number()
        if char == "(":
            raise self.fail("s-expressions are not supported")
        raise self.fail(f"expected a value, found {repr(char) if char else 'the end'}")

    def identifier_value(self) -> Any:
        """A keyword (null, null.type, true, false, nan), an annotation or a symbol."""
        start = self.pos
        name = self.identifier()
        if name == "null":
            if self.peek() == ".":
                self.pos += 1
                if self.peek() not in _IDENTIFIER_START or self.identifier() not in _NULL_TYPES:
                    raise self.fail("unknown typed null", start)
            return None
        if name in _KEYWORDS:
            return {"true": True, "false": False, "nan": math.nan}[name]
        if _SYMBOL_ID.fullmatch(name):
            raise self.fail(f"symbol IDs such as {name} are not supported", start)
        return self.annotations_or_symbol(name)

    def identifier(self) -> str:
        match = _IDENTIFIER.match(self.text, self.pos)
        assert match is not None  # called at an identifier's first character
        self.pos = match.end()
        return match.group()

    def annotations_or_symbol(self, name: str) -> Any:
        """`name::value` is an annotated value; anything else leaves `name` a symbol."""
        after = self.pos
        self.skip()
        if not self.text.startswith("::", self.pos):
            self.pos = after
            return Symbol(name)
        self.pos += 2
        self.skip()
        value = self.value()
        if isinstance(value, Annotated):
            return Annotated((name, *value.annotations), value.value)
        return Annotated((name,), value)

    def quoted_symbol(self) -> str:
        start = self.pos
        match = _QUOTED_SYMBOL.match(self.text, start)
        if match is None:
            raise self.fail("unterminated quoted symbol: it must close on its line", start)
        self.pos = match.end()
        return self.unescape(match.group(1), start)

    def short_string(self) -> str:
        start = self.pos
        match = _STRING.match(self.text, start)
        if match is None:
            raise self.fail('unterminated string: a "string" must close on its line', start)
        self.pos = match.end()
        return self.unescape(match.group(1), start)

    def long_strings(self) -> str:
        """One or more '''long strings''' separated by whitespace or comments, joined."""
        parts = []
        while True:
            start = self.pos
            match = _LONG_STRING.match(self.text, start)
            if match is None:
                raise self.fail("unterminated ''' string", start)
            parts.append(self.unescape(match.group(1), start))
            self.pos = after = match.end()
            self.skip()
            if not self.text.startswith("'''", self.pos):
                self.pos = after
                return "".join(parts)

    def unescape(self, body: str, start: int, clob: bool = False) -> str:
        """The text of a string body: escapes replaced, \\u surrogate pairs joined."""
        if "\\" not in body:
            return body

        def replace(match: re.Match[str]) -> str:
            code = match.group(1) or (None if clob else match.group(2) or match.group(3))
            if code is not None and int(code, 16) <= 0x10FFFF:
                return chr(int(code, 16))
            simple = _SIMPLE_ESCAPES.get(match.group(4) or "")
            if simple is None:
                raise self.fail(f"invalid escape {match.group()}", start)
            return simple

        text = _ESCAPE.sub(replace, body)
        if _SURROGATE.search(text):
            try:
                return text.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                raise self.fail("unpaired surrogate escape", start) from None
        return text

    def struct_value(self) -> dict[str, Any]:
        self.enter()
        fields: dict[str, Any] = {}
        while True:
            self.skip()
            if self.peek() == "}":
                break
            name = self.field_name()
            self.skip()
            fields[name] = self.value()
            if not self.separator("}"):
                break
        self.pos += 1
        self.depth -= 1
        return fields

    def list_value(self) -> list[Any]:
        self.enter()
        values = []
        while True:
            self.skip()
            if self.peek() == "]":
                break
            values.append(self.value())
            if not self.separator("]"):
                break
        self.pos += 1
        self.depth -= 1
        return values

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"containers nested deeper than {MAX_DEPTH}")
        self.pos += 1

    def separator(self, close: str) -> bool:
        """After a member: True at ',' (consumed), False at the closing bracket (not)."""
        self.skip()
        char = self.peek()
        if char == ",":
            self.pos += 1
            return True
        if char == close:
            return False
        raise self.fail(f"expected ',' or '{close}', found {repr(char) if char else 'the end'}")

    def field_name(self) -> str:
        """A field name and the ':' after it."""
        match = _COMPACT_FIELD.match(self.text, self.pos)
        if match is not None:  # `name:`, as DynamoDB writes every field
            self.pos = match.end()
            return match.group(1)
        name = self.spaced_field_name()
        self.skip()
        if self.peek() != ":":
            raise self.fail("expected ':' after a field name")
        self.pos += 1
        return name

    def spaced_field_name(self) -> str:
        char = self.peek()
        if char == '"':
            return self.short_string()
        if char == "'":
            return (
                self.long_strings()
                if self.text.startswith("'''", self.pos)
                else self.quoted_symbol()
            )
        if char and char in _IDENTIFIER_START:
            start = self.pos
            name = self.identifier()
            if _SYMBOL_ID.fullmatch(name):
                raise self.fail(f"symbol IDs such as {name} are not supported", start)
            return name
        raise self.fail(f"expected a field name, found {repr(char) if char else 'the end'}")

    def lob(self) -> bytes:
        """`{{base64}}` (a blob) or `{{"text"}}` / `{{'''text'''}}` (a clob)."""
        start = self.pos
        inner = _LOB_SPACE.match(self.text, start + 2)
        assert inner is not None
        if self.text.startswith(("'''", '"'), inner.end()):
            return self.clob(start, inner.end())
        match = _BLOB.match(self.text, start)
        if match is None:
            raise self.fail("malformed blob: expected base64 text and '}}'", start)
        encoded = "".join(match.group(1).split())
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise self.fail("malformed blob: invalid base64", start) from None
        self.pos = match.end()
        return data

    def clob(self, start: int, at: int) -> Clob:
        pattern = _STRING if self.text.startswith('"', at) else _LONG_STRING
        parts = []
        while (match := pattern.match(self.text, at)) is not None:
            if not match.group(1).isascii():
                raise self.fail("a clob holds ASCII text only (\\x escapes for other bytes)", at)
            parts.append(self.unescape(match.group(1), at, clob=True))
            space = _LOB_SPACE.match(self.text, match.end())
            assert space is not None
            at = space.end()
            if pattern is _STRING:
                break
        if not parts or not self.text.startswith("}}", at):
            raise self.fail("malformed clob: expected one string and '}}'", start)
        self.pos = at + 2
        return Clob("".join(parts).encode("latin-1"))

    def number(self) -> Any:
        """An int, decimal, float, +inf/-inf or timestamp."""
        text, start = self.text, self.pos
        if _TIMESTAMP_START.match(text, start):
            return self.timestamp()
        value: Any
        if text.startswith(("+inf", "-inf"), start):
            self.pos += 4
            value = math.inf if text[start] == "+" else -math.inf
        elif match := _RADIX_INT.match(text, start):
            self.pos = match.end()
            value = int(match.group(), 0)
        elif match := _NUMBER.match(text, start):
            self.pos = match.end()
            digits = match.group().replace("_", "")
            if match.group("float"):
                value = float(digits)
            elif match.group("fraction") or match.group("decimal"):
                value = Decimal(digits.replace("d", "e").replace("D", "e"))
            else:
                value = int(digits)
        else:
            raise self.fail("malformed number")
        self.expect_stop(start, "number")
        return value

    def timestamp(self) -> Timestamp:
        start = self.pos
        match = _TIMESTAMP.match(self.text, start)
        if match is None:
            raise self.fail("malformed timestamp")
        year, month, day = match.groups()
        try:
            date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise self.fail(f"invalid date in timestamp {match.group()}", start) from None
        self.pos = match.end()
        self.expect_stop(start, "timestamp")
        return Timestamp(match.group())

    def expect_stop(self, start: int, what: str) -> None:
        if self.pos < len(self.text) and self.text[self.pos] not in _STOP:
            raise self.fail(f"malformed {what} {self.text[start : self.pos + 1]!r}", start)
