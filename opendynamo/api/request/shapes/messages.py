"""DynamoDB's wording of constraint failures: one failure ("Value ... at '...' failed to
satisfy constraint: ..."), their aggregate ("N validation errors detected: ...", at most
`MAX_REPORTED`), member paths in lowerCamel, lengths as Java counts them, and values as Java's
toString quotes them.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from opendynamo.api.request.shapes.model import SHAPES, Json

MAX_REPORTED: Final = 10


def constraint_message(path: str, rendered: str | None, constraint: str) -> str:
    """One constraint failure as DynamoDB words it; `rendered` None means the value was null."""
    value = "null" if rendered is None else f"'{rendered}'"
    return f"Value {value} at '{path}' failed to satisfy constraint: {constraint}"


def aggregate_message(failures: Sequence[str]) -> str:
    """The ValidationException text for constraint failures ("2 validation errors ...")."""
    plural = "" if len(failures) == 1 else "s"
    return f"{len(failures)} validation error{plural} detected: " + "; ".join(failures)


def lower_first(name: str) -> str:
    """DynamoDB's path spelling of a member name (dynalite `toLowerFirst`)."""
    return name[:1].lower() + name[1:]


def java_length(text: str) -> int:
    """String length as Java counts it (UTF-16 code units), which DynamoDB's limits use. A lone
    surrogate (never in a parsed request, but possible in a command line's text) is one unit,
    as in Java."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def render(value: Json, shape_name: str) -> str:
    """A value as Java's toString shows it in constraint messages (lists `[a, b]`, maps
    `{k=v}`, structures `Name(member=value, ...)` as moto records DynamoDB doing)."""
    if value is None:
        return "null"
    shape = SHAPES[shape_name]
    kind = shape["type"]
    if kind == "structure" and isinstance(value, dict):
        inner = ", ".join(
            f"{lower_first(m)}={render(value.get(m), ref)}" for m, ref in shape["members"]
        )
        return f"{shape_name.rpartition('.')[2]}({inner})"
    if kind == "map" and isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render(v, shape['value'])}" for k, v in value.items()) + "}"
    if kind == "list" and isinstance(value, list):
        return "[" + ", ".join(render(v, shape["member"]) for v in value) + "]"
    if kind == "blob" and isinstance(value, str):
        size = len(base64.b64decode(value))
        return f"java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]"
    return _scalar_text(value)


def _scalar_text(value: Json) -> str:
    """Java's text for a JSON scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    return str(value)


def _java_double(value: float) -> str:
    """Double.toString: plain between 1e-3 and 1e7, else d.dddE<n>."""
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "e" not in text else format(Decimal(text), "f")
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = exponent + len(text) - 1
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"
