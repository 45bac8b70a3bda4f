"""The entry point: each operation's compiled validation (its generated "certainly valid?"
pass, its input's type checker, the checks DynamoDB answers alone, its rule checker), the
nulls where a list element or map value belongs, and `validate_input`, which answers a request
the pass finds valid at once and runs the interpreted checks, in DynamoDB's order, on any other.
"""

from __future__ import annotations

from typing import Any, Final

from opendynamo import errors
from opendynamo.api.request.shapes.constraints import TABLE_ARN, Errors, compile_children
from opendynamo.api.request.shapes.generated import generate
from opendynamo.api.request.shapes.messages import (
    MAX_REPORTED,
    aggregate_message,
    constraint_message,
    java_length,
    lower_first,
)
from opendynamo.api.request.shapes.model import DOC, SHAPES, Json
from opendynamo.api.request.shapes.serialization import TYPE_CHECKERS, UNEXPECTED_VALUE


class Operation:
    """One operation's compiled validation: the generated pass (`certainly_valid`), and the
    interpreted checks: input type checker, early checks, rule checker."""

    __slots__ = ("name", "input", "types", "early", "rules", "certainly_valid")

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        self.name = name
        self.input: str = spec["input"]
        self.types = TYPE_CHECKERS[spec["input"]]
        rules = spec["rules"]
        self.early = [(m, child["pre"]) for m, child in rules.get("members", []) if "pre" in child]
        self.rules = compile_children(rules)
        self.certainly_valid = generate(name, spec)

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


KNOWN_OPERATIONS: Final = frozenset(DOC["operations"])
_COMPILED: dict[str, Operation] = {}


def compiled(operation: str) -> Operation | None:
    """The operation's validation, compiled at its first request (compiling every operation
    at import cost each server's start milliseconds); None for an unknown operation."""
    found = _COMPILED.get(operation)
    if found is None and operation in KNOWN_OPERATIONS:
        found = _COMPILED[operation] = Operation(operation, DOC["operations"][operation])
    return found


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


# ---------------------------------------------------------------------------- entry point


def validate_input(operation: str, body: Any, may_hold_null: bool = True) -> None:
    """Check a parsed request body for `operation` (DynamoDB or DynamoDB Streams wire name).

    Raises SerializationException for wrong JSON types and ValidationException for failed
    constraints, exactly as DynamoDB words them; coerces `body` in place where DynamoDB does.
    A null where a list element or map value belongs fails as "Member must not be null";
    `may_hold_null` False (the raw body has no `null`) skips looking for one.
    """
    op = compiled(operation)
    if op is None:
        raise errors.unknown_operation()
    if not op.certainly_valid(body):
        interpret(op, body, may_hold_null)


def interpret(op: Operation, body: Any, may_hold_null: bool = True) -> None:
    """The interpreted checks, which word every failure and make every coercion: what
    `validate_input` runs when the generated pass does not vouch for the body, and the
    reference that pass is tested against."""
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
