"""The shape rules of a KeyConditionExpression, before the key schema is consulted.

A key condition is an AND of simple conditions, each naming one top-level attribute:
`k = :v`, `k < :v` (any comparator but `<>`, either way round), `k BETWEEN :a AND :b` or
`begins_with(k, :p)`. `split_key_condition` checks that shape with DynamoDB's messages (dynalite's
`convertKeyCondition`, tested against DynamoDB; they carry no "Invalid KeyConditionExpression: "
prefix) and returns one `KeyCondition` per attribute, comparator normalised so the attribute is
on the left. Checking the attributes against the table's or index's key schema is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

from opendynamo import errors
from opendynamo.expr.ast import (
    And,
    Between,
    Call,
    Compare,
    Condition,
    In,
    Literal,
    Not,
    Or,
    Path,
    condition_operands,
)

_OPERATORS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}
_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NOT_KEY_FUNCTIONS = frozenset(
    {"attribute_exists", "attribute_not_exists", "attribute_type", "contains"}
)


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """One attribute's condition: operator EQ, LT, LE, GT, GE, BETWEEN or BEGINS_WITH."""

    name: str
    operator: str
    values: tuple[Literal, ...]


def split_key_condition(tree: Condition) -> tuple[KeyCondition, ...]:
    """The per-attribute conditions of a resolved key condition, in textual order."""
    found: dict[str, KeyCondition] = {}
    _visit(tree, found)
    return tuple(found.values())


def _invalid(message: str) -> errors.DynamoError:
    return errors.validation(message)


def _visit(node: Condition, found: dict[str, KeyCondition]) -> None:
    if isinstance(node, Or):
        raise _invalid("Invalid operator used in KeyConditionExpression: OR")
    if isinstance(node, Not):
        raise _invalid("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(node, In):
        raise _invalid("Invalid operator used in KeyConditionExpression: IN")
    if isinstance(node, Compare) and node.op == "<>":
        raise _invalid("Invalid operator used in KeyConditionExpression: <>")
    if isinstance(node, Call) and node.name in _NOT_KEY_FUNCTIONS:
        raise _invalid(f"Invalid operator used in KeyConditionExpression: {node.name}")
    if isinstance(node, And):
        _visit(node.left, found)
        _visit(node.right, found)
        return
    _check_first_operand(node)
    _leaf(node, found)


def _check_first_operand(node: Compare | Between | Call) -> None:
    label = (
        "BETWEEN"
        if isinstance(node, Between)
        else "begins_with"
        if isinstance(node, Call)
        else None
    )
    first = condition_operands(node)[0]
    if label is not None and not isinstance(first, Path):
        raise _invalid(
            f"Invalid condition in KeyConditionExpression: {label} operator must have the key "
            "attribute as its first operand"
        )


def _leaf(node: Compare | Between | Call, found: dict[str, KeyCondition]) -> None:
    key: Path | None = None
    position = 0
    values: list[Literal] = []
    for index, operand in enumerate(condition_operands(node)):
        if isinstance(operand, Path):
            if key is not None:
                raise _invalid(
                    "Invalid condition in KeyConditionExpression: "
                    "Multiple attribute names used in one condition"
                )
            if len(operand.elements) > 1:
                raise _invalid(
                    "KeyConditionExpressions cannot have conditions on nested attributes"
                )
            key, position = operand, index
        elif isinstance(operand, Literal):
            values.append(operand)
        else:  # size(): a function inside a key condition
            raise _invalid("KeyConditionExpressions cannot contain nested operations")
    if key is None:
        raise _invalid("Invalid condition in KeyConditionExpression: No key attribute specified")
    name = str(key.elements[0])
    if name in found:
        raise _invalid("KeyConditionExpressions must only contain one condition per key")
    found[name] = KeyCondition(name, _operator(node, position), tuple(values))


def _operator(node: Compare | Between | Call, key_position: int) -> str:
    if isinstance(node, Between):
        return "BETWEEN"
    if isinstance(node, Call):
        return "BEGINS_WITH"
    op = node.op if key_position == 0 else _FLIPPED[node.op]
    return _OPERATORS[op]
