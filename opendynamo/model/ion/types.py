"""What the Ion writer, parser and item mapping share: the Python types of the Ion values
Python has no type for (`Symbol`, `Timestamp`, `Clob`, `Annotated`), `IonError`, the version
marker and set annotations DynamoDB writes, which symbols may be written without quotes, and
`type_name`, the Ion type of a parsed value as messages name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

VERSION_MARKER: Final = "$ion_1_0"
SET_ANNOTATIONS: Final = {"SS": "$dynamodb_SS", "NS": "$dynamodb_NS", "BS": "$dynamodb_BS"}
# A symbol the writer leaves bare and the parser reads as one: an identifier that is neither a
# keyword nor a symbol ID.
IDENTIFIER: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
SYMBOL_ID: Final = re.compile(r"\$[0-9]+")
KEYWORDS: Final = frozenset({"null", "true", "false", "nan"})


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


def type_name(value: Any) -> str:
    """The Ion type name of a parsed value, for messages."""
    if value is None:
        return "null"
    kinds = [
        (bool, "bool"), (Symbol, "symbol"), (Timestamp, "timestamp"), (str, "string"),
        (int, "int"), (Decimal, "decimal"), (float, "float"), (Clob, "clob"), (bytes, "blob"),
        (list, "list"), (dict, "struct"), (Annotated, "annotated value"),
    ]  # fmt: skip
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)
