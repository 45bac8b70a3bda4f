"""The Ion text parser: `loads` gives the top-level structs of Ion text as plain Python
values (`records` gives each with its offset, which `where` turns into "line L, column C"),
read by `_Reader`, a recursive-descent parser over the whole text, with the regular
expressions of Ion's tokens. It reads the Ion that DynamoDB and hand-written import files use
(no s-expressions, no symbol tables).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, Final

from opendynamo.model.ion.types import (
    IDENTIFIER,
    KEYWORDS,
    SYMBOL_ID,
    VERSION_MARKER,
    Annotated,
    Clob,
    IonError,
    Symbol,
    Timestamp,
    type_name,
)

# Deeper than any record DynamoDB writes (record, image and 32 levels of item); bounds recursion.
MAX_DEPTH: Final = 100


def loads(text: str) -> Iterator[dict[str, Any]]:
    """The top-level structs of Ion text, parsed lazily, in order.

    Skips whitespace, comments, the `$ion_1_0` version marker and `$ion_symbol_table::`
    structs. A top-level list yields its structs, as in the ImportTable example (`$ion_1_0
    [{Item:{...}},{Item:{...}}]`, https://docs.aws.amazon.com/amazondynamodb/latest/
    developerguide/S3DataImport.Format.html). Any other top-level value, malformed text and
    unsupported Ion raise IonError.
    """
    for _, record in records(text):
        yield record


def records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each top-level struct with the offset where its top-level value starts."""
    for start, value in _Reader(text).top_level():
        if isinstance(value, Symbol) and _VERSION.fullmatch(value):
            if value != VERSION_MARKER:
                raise IonError(f"{where(text, start)}: unsupported Ion version {value}")
            continue  # the version marker that starts every line
        if isinstance(value, Annotated) and value.annotations[0] == "$ion_symbol_table":
            continue  # only needed to resolve $10-style symbol IDs, which are refused
        if isinstance(value, dict):
            yield start, value
        elif isinstance(value, list) and all(isinstance(record, dict) for record in value):
            for record in value:
                yield start, record
        else:
            found = "a list of non-structs" if isinstance(value, list) else type_name(value)
            raise IonError(f"{where(text, start)}: expected a struct, found {found}")


def where(text: str, at: int) -> str:
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
        return IonError(f"{where(self.text, self.pos if at is None else at)}: {message}")

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
        if name in KEYWORDS:
            return {"true": True, "false": False, "nan": math.nan}[name]
        if SYMBOL_ID.fullmatch(name):
            raise self.fail(f"symbol IDs such as {name} are not supported", start)
        return self.annotations_or_symbol(name)

    def identifier(self) -> str:
        match = IDENTIFIER.match(self.text, self.pos)
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
            if SYMBOL_ID.fullmatch(name):
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
