"""Declarative request-shape validation: DynamoDB's SerializationException and aggregated
ValidationException, checked before any handler runs (STYLE.md, "Validate as data, before I/O").

`validate_input(operation, body)` runs DynamoDB's two front-door phases in its order:

1. JSON types, over the whole body in body order, recursively (AttributeValues included). The
   first wrong member raises SerializationException with DynamoDB's `Message` (wording from
   dynalite's `test/helpers.js` `assertType`, recorded against live DynamoDB). Unknown members
   and JSON nulls are ignored, as DynamoDB does. Two coercions DynamoDB also makes are applied
   to `body` in place: "true"/"false" strings for booleans, fractional numbers for integers.
2. Constraints, from the rule trees in `shapes.json` (built by `tools/gen_shapes.py` from the
   botocore model corrected with dynalite's per-operation specs): first the single-message
   checks ("The parameter 'TableName' is required ..."), then every failing constraint, at most
   ten, as "N validation errors detected: ...; ...".

Operation-specific cross-field rules (expressions vs. legacy parameters, AttributeValue
contents, ...) are not here: handlers run them after this.

Everything is compiled into closures at import time; the per-request cost is a walk over the
members that are present (type phase) and over the members that have constraints (rule phase).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from opendynamo import errors

Json = Any
# A type checker takes a value and whether it sits in a structure member (True) or in a list
# element / map value (False), and returns the value, coerced where DynamoDB coerces.
TypeChecker = Callable[[Json, bool], Json]
Errors = list[str]
# A rule checker takes a value (None when absent), its lowerCamel path and the error list.
RuleChecker = Callable[[Json, str, Errors], None]

MAX_REPORTED: Final = 10
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

_DOC: Final[dict[str, Any]] = json.loads(Path(__file__).with_name("shapes.json").read_text())
SHAPES: Final[dict[str, dict[str, Any]]] = _DOC["shapes"]


# ---------------------------------------------------------------------------- messages


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
    """String length as Java counts it (UTF-16 code units), which DynamoDB's limits use."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


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


# ---------------------------------------------------------------------------- phase 1: types


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
            _check_base64_detail(value)
        return value
    if isinstance(value, dict):
        raise errors.serialization(OBJECT_NOT_EXPECTED)
    if isinstance(value, list):
        raise errors.serialization("Unrecognized collection type class java.nio.ByteBuffer")
    raise errors.serialization("only base-64-encoded strings are convertible to bytes")


def _check_base64_detail(text: str) -> None:
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


# ---------------------------------------------------------------------------- phase 2: rules


def _fail(errs: Errors, path: str, value: Json, shape: str, constraint: str) -> None:
    """Record one failure, keeping at most MAX_REPORTED as DynamoDB does."""
    if len(errs) < MAX_REPORTED:
        rendered = None if value is None else render(value, shape)
        errs.append(constraint_message(path, rendered, constraint))


def _size(value: Json) -> int:
    return java_length(value) if isinstance(value, str) else len(value)


# Java patterns of the model that Python spells differently (translated by the generator).
PYTHON_PATTERNS: Final[dict[str, str]] = {
    s["pattern"]: s["re"] for s in SHAPES.values() if "re" in s
}


# A table may be named by its ARN wherever a TableName is asked for (cross-account access).
TABLE_ARN: Final = re.compile(
    r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[a-zA-Z0-9_.-]{3,255}"
)
_NAME_PATTERN: Final = "[a-zA-Z0-9_.-]+"


def _predicate(kind: str, arg: Json) -> tuple[Callable[[Json], bool], str]:
    """A check as (passes(value), constraint text)."""
    if kind == "pattern":
        regex = re.compile(PYTHON_PATTERNS.get(arg, str(arg)))
        if arg == _NAME_PATTERN:
            return (
                lambda v: regex.fullmatch(v) is not None or TABLE_ARN.fullmatch(v) is not None,
                f"Member must satisfy regular expression pattern: {arg}",
            )
        return (
            lambda v: regex.fullmatch(v) is not None,
            f"Member must satisfy regular expression pattern: {arg}",
        )
    if kind == "minLen":
        return lambda v: _size(v) >= arg, f"Member must have length greater than or equal to {arg}"
    if kind == "maxLen":
        return lambda v: _size(v) <= arg, f"Member must have length less than or equal to {arg}"
    if kind == "min":
        return lambda v: v >= arg, f"Member must have value greater than or equal to {arg}"
    if kind == "max":
        return lambda v: v <= arg, f"Member must have value less than or equal to {arg}"
    if kind == "enum":
        allowed = frozenset(arg)
        return lambda v: v in allowed, f"Member must satisfy enum value set: [{', '.join(arg)}]"
    raise ValueError(f"unknown check {kind}")


def _bracket(kind_pairs: list[list[Json]], label: str) -> tuple[Callable[[Json], bool], str]:
    """Checks on list elements / map keys / map values, reported as one bracketed constraint
    listing all of them ("Map keys must satisfy constraint: [...]")."""
    pairs = [_predicate(kind, arg) for kind, arg in kind_pairs]
    texts = ", ".join(text for _, text in pairs)
    if len(pairs) == 1:
        return pairs[0][0], f"{label}: [{texts}]"
    return (lambda v: all(passes(v) for passes, _ in pairs)), f"{label}: [{texts}]"


def _presence_filter(node: dict[str, Any]) -> frozenset[str] | None:
    """For a structure whose members are never required: the members that have rules. A value
    holding none of them cannot fail, so containers skip it without building its path (this
    keeps per-attribute cost low for items, whose AttributeValues only have rules under M)."""
    if SHAPES[node["shape"]]["type"] != "structure":
        return None
    members = node.get("members", [])
    if any(kind == "notNull" for _, child in members for kind, _ in child.get("checks", [])):
        return None
    return frozenset(name for name, _ in members)


def _compile_rule(node: dict[str, Any]) -> RuleChecker:
    """The checker for one rule node: own checks, then bracket checks, then children."""
    shape: str = node["shape"]
    checks = node.get("checks", [])
    not_null = any(kind == "notNull" for kind, _ in checks)
    own = [_predicate(kind, arg) for kind, arg in checks if kind != "notNull"]
    children = _compile_children(node)

    def check(value: Json, path: str, errs: Errors) -> None:
        if value is None:
            if not_null:
                _fail(errs, path, None, shape, "Member must not be null")
            return
        for passes, text in own:
            if not passes(value):
                _fail(errs, path, value, shape, text)
        if children is not None and len(errs) < MAX_REPORTED:
            children(value, path, errs)

    return check


def _compile_children(node: dict[str, Any]) -> RuleChecker | None:
    """What to check inside a structure, list or map value, or None if nothing."""
    kind = SHAPES[node["shape"]]["type"]
    if kind == "structure" and "members" in node:
        return _structure_rules(node["members"])
    if kind == "list" and ("elements" in node or "member" in node):
        return _list_rules(node)
    if kind == "map" and ("keys" in node or "values" in node or "member" in node):
        return _map_rules(node)
    return None


def _structure_rules(members: list[list[Any]]) -> RuleChecker:
    compiled = [(name, lower_first(name), _compile_rule(child)) for name, child in members]

    def check(value: Json, path: str, errs: Errors) -> None:
        prefix = path + "." if path else ""
        for name, lower, rule in compiled:
            if len(errs) >= MAX_REPORTED:
                return
            rule(value.get(name), prefix + lower, errs)

    return check


def _list_rules(node: dict[str, Any]) -> RuleChecker:
    """Element constraints ("Member must satisfy constraint: [...]"), then each element at
    `path.<i>.member` (1-based)."""
    shape: str = node["shape"]
    elements = (
        _bracket(node["elements"], "Member must satisfy constraint") if "elements" in node else None
    )
    member = _compile_rule(node["member"]) if "member" in node else None
    skip_unless = _presence_filter(node["member"]) if "member" in node else None

    def check(value: Json, path: str, errs: Errors) -> None:
        if elements is not None:
            passes, text = elements
            for item in value:
                if item is not None and not passes(item):
                    _fail(errs, path, value, shape, text)
        if member is not None:
            for index, item in enumerate(value, 1):
                if skip_unless is None or (item is not None and not skip_unless.isdisjoint(item)):
                    member(item, f"{path}.{index}.member", errs)

    return check


def _map_rules(node: dict[str, Any]) -> RuleChecker:
    """Key and value constraints (one failure per offending entry, in body order), then each
    value at `path.<key>.member`, visiting entries last-first as DynamoDB reports them
    (dynalite's "TODO: Always reverse?")."""
    shape: str = node["shape"]
    keys = _bracket(node["keys"], "Map keys must satisfy constraint") if "keys" in node else None
    values = (
        _bracket(node["values"], "Map value must satisfy constraint") if "values" in node else None
    )
    member = _compile_rule(node["member"]) if "member" in node else None
    skip_unless = _presence_filter(node["member"]) if "member" in node else None

    def check(value: Json, path: str, errs: Errors) -> None:
        if keys is not None:
            for key in value:
                if not keys[0](key):
                    _fail(errs, path, value, shape, keys[1])
        if values is not None:
            for item in value.values():
                if item is not None and not values[0](item):
                    _fail(errs, path, value, shape, values[1])
        if member is not None:
            for key in reversed(list(value)):
                item = value[key]
                if skip_unless is None or (item is not None and not skip_unless.isdisjoint(item)):
                    member(item, f"{path}.{key}.member", errs)

    return check


class Operation:
    """One operation's compiled validation: input type checker, early checks, rule checker."""

    __slots__ = ("name", "input", "types", "early", "rules")

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        self.name = name
        self.input: str = spec["input"]
        self.types = TYPE_CHECKERS[spec["input"]]
        rules = spec["rules"]
        self.early = [(m, child["pre"]) for m, child in rules.get("members", []) if "pre" in child]
        self.rules = _compile_children(rules)

    def check_early(self, body: dict[str, Json]) -> None:
        """The checks DynamoDB answers alone, before aggregating (dynalite `required` and
        `tableName`)."""
        for member, flags in self.early:
            value = body.get(member)
            if "required" in flags and value is None:
                raise errors.validation(
                    f"The parameter '{member}' is required but was not present in the request"
                )
            if (
                "tableName" in flags
                and value is not None
                and not 3 <= java_length(value) <= 255
                and not TABLE_ARN.fullmatch(value)
            ):
                raise errors.validation(
                    f"{member} must be at least 3 characters long and at most 255 characters long"
                )


OPERATIONS: Final[dict[str, Operation]] = {
    name: Operation(name, spec) for name, spec in _DOC["operations"].items()
}
KNOWN_OPERATIONS: Final = frozenset(OPERATIONS)


# ---------------------------------------------------------------------------- entry point


# ---------------------------------------------------------------------------- nulls

# Shapes whose values hold items' attribute values: a null in them is the operation's to
# refuse, with DynamoDB's words for an empty AttributeValue.
_VALUE_SHAPES: Final = frozenset(name for name in SHAPES if name.endswith("AttributeValue"))
EMPTY_BATCH_WRITE: Final = "The batch write request list for a table cannot be null or empty: "


def _null_paths(shape_name: str, value: Json, path: str) -> list[str]:
    """The paths of the nulls standing where a list element or map value belongs (a null
    structure member is an absent one, and is not here)."""
    if shape_name in _VALUE_SHAPES:
        return []
    shape = SHAPES[shape_name]
    kind = shape["type"]
    found: list[str] = []
    if kind == "structure" and type(value) is dict:
        prefix = path + "." if path else ""
        for member, ref in shape["members"]:
            item = value.get(member)
            if item is not None:
                found += _null_paths(ref, item, prefix + lower_first(member))
    elif kind == "list" and type(value) is list and shape["member"] not in _VALUE_SHAPES:
        for index, item in enumerate(value, 1):
            here = f"{path}.{index}.member"
            found += [here] if item is None else _null_paths(shape["member"], item, here)
    elif kind == "map" and type(value) is dict and shape["value"] not in _VALUE_SHAPES:
        for key, item in value.items():
            here = f"{path}.{key}.member"
            found += [here] if item is None else _null_paths(shape["value"], item, here)
    return found


def _null_failures(op: Operation, body: dict[str, Json]) -> Errors:
    """ "Member must not be null" for each null element of a list or map (BatchWriteItem's
    table without writes in DynamoDB's own words)."""
    paths = _null_paths(op.input, body, "")
    if op.name == "BatchWriteItem":
        for path in paths:
            table = path.removeprefix("requestItems.").removesuffix(".member")
            if path.count(".") == 2 and table in body.get("RequestItems", {}):
                raise errors.validation(EMPTY_BATCH_WRITE + table)
    return [constraint_message(path, None, "Member must not be null") for path in paths]


def validate_input(operation: str, body: Any, may_hold_null: bool = True) -> None:
    """Check a parsed request body for `operation` (DynamoDB or DynamoDB Streams wire name).

    Raises SerializationException for wrong JSON types and ValidationException for failed
    constraints, exactly as DynamoDB words them; coerces `body` in place where DynamoDB does.
    A null where a list element or map value belongs fails as "Member must not be null";
    `may_hold_null` False (the raw body has no `null`) skips looking for one.
    """
    op = OPERATIONS.get(operation)
    if op is None:
        raise errors.unknown_operation()
    if type(body) is not dict:
        # Unverified against DynamoDB: dynalite reads a non-object body as {}.
        if isinstance(body, list):
            raise errors.serialization("Start of list found where not expected")
        raise errors.serialization(UNEXPECTED_VALUE)
    try:
        op.types(body, True)
    except RecursionError:
        raise errors.validation(
            "Nesting Levels have exceeded supported limits: "
            "Attributes in the item have nested levels beyond supported limit"
        ) from None
    op.check_early(body)
    failures: Errors = _null_failures(op, body) if may_hold_null else []
    if op.rules is not None:
        op.rules(body, "", failures)
    if failures:
        raise errors.validation(aggregate_message(failures[:MAX_REPORTED]))
