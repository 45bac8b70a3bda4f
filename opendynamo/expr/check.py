"""Static checks: the problems DynamoDB reports that depend only on the expression text.

They run once per distinct expression text, right after parsing and before the tree is cached,
in DynamoDB's order of precedence for each kind (dynalite's catalogue, written against DynamoDB):

- condition: unknown function name, function used in the wrong place, reserved word / list index
  out of range / too many nesting levels (first in textual order);
- update: reserved word / index / nesting, unknown function, function not allowed in an update,
  list_append nested in list_append, a section used twice;
- projection: reserved word / index / nesting.

Checks that need the placeholders' values (types, BETWEEN bounds) run later, in `resolve.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from opendynamo.expr.ast import (
    Call,
    Condition,
    Operand,
    ProjectionExpression,
    RawPath,
    SetAction,
    UpdateExpression,
    condition_operands,
    leaves,
    walk_operand,
)
from opendynamo.expr.problem import ExpressionProblem
from opendynamo.expr.reserved import is_reserved

CONDITION_FUNCTIONS: dict[str, int] = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
OPERAND_FUNCTIONS: dict[str, int] = {"size": 1}
UPDATE_FUNCTIONS: dict[str, int] = {"if_not_exists": 2, "list_append": 2}
ALL_FUNCTIONS: dict[str, int] = {**CONDITION_FUNCTIONS, **OPERAND_FUNCTIONS, **UPDATE_FUNCTIONS}

MAX_NESTING_LEVELS = 32
MAX_LIST_INDEX = 2**31 - 1


def check_condition(tree: Condition) -> None:
    """Static checks of a condition, filter or key condition tree."""
    operands = [op for leaf in leaves(tree) for op in _leaf_operands(leaf)]
    for operand in operands:
        _check_function_names(operand)
    for leaf in leaves(tree):
        _check_condition_placement(leaf)
    for operand in operands:
        for node in walk_operand(operand):
            if isinstance(node, RawPath):
                check_path(node)


def check_update(tree: UpdateExpression) -> None:
    """Static checks of an update tree."""
    for action in tree.actions:
        check_path(_raw(action.path))
        for operand in _action_operands(action):
            for node in walk_operand(operand):
                if isinstance(node, RawPath):
                    check_path(node)
    for action in tree.actions:
        for operand in _action_operands(action):
            _check_function_names(operand)
    for action in tree.actions:
        for operand in _action_operands(action):
            for node in walk_operand(operand):
                if isinstance(node, Call) and node.name not in UPDATE_FUNCTIONS:
                    raise ExpressionProblem(
                        "The function is not allowed in an update expression; "
                        f"function: {node.name}"
                    )
    for action in tree.actions:
        for operand in _action_operands(action):
            _check_update_nesting(operand)
    seen: set[str] = set()
    for clause in tree.clauses:
        if clause.keyword in seen:
            raise ExpressionProblem(
                f'The "{clause.keyword}" section can only be used once in an update expression;'
            )
        seen.add(clause.keyword)


def check_projection(tree: ProjectionExpression) -> None:
    """Static checks of a projection tree."""
    for path in tree.paths:
        check_path(_raw(path))


def check_path(path: RawPath) -> None:
    """Reserved words used as bare names, list indexes past 2^31-1, more than 32 levels."""
    for element in path.elements:
        if isinstance(element, str):
            if is_reserved(element):
                raise ExpressionProblem(
                    f"Attribute name is a reserved keyword; reserved keyword: {element}"
                )
        elif isinstance(element, int) and element > MAX_LIST_INDEX:
            raise ExpressionProblem(
                f"List index is not within the allowable range; index: [{element}]"
            )
    if len(path.elements) > MAX_NESTING_LEVELS:
        raise ExpressionProblem(
            f"The document path has too many nesting levels; nesting levels: {len(path.elements)}"
        )


def _check_function_names(operand: Operand) -> None:
    for node in walk_operand(operand):
        if isinstance(node, Call) and node.name not in ALL_FUNCTIONS:
            raise ExpressionProblem(f"Invalid function name; function: {node.name}")


def _check_update_nesting(operand: Operand) -> None:
    """list_append may not take a list_append as an argument; if_not_exists nests anywhere
    (`list_append(if_not_exists(a, :v), :w)`, `if_not_exists(b, if_not_exists(c, :v))`).
    DynamoDB parses the nested call and refuses it afterwards (ScyllaDB's
    test_update_expression.py::test_update_expression_function_nesting, run against it)."""
    for node in walk_operand(operand):
        if isinstance(node, Call) and node.name == "list_append":
            for arg in node.args:
                if isinstance(arg, Call) and arg.name == "list_append":
                    raise ExpressionProblem(
                        "The function is not allowed to be used this way in an expression; "
                        "function: list_append"
                    )


def _check_condition_placement(leaf: Condition) -> None:
    """Condition functions stand as conditions; `size` only as an operand."""
    if isinstance(leaf, Call):
        _check_call_place(leaf, as_condition=True)
        operands: tuple[Operand, ...] = leaf.args
    else:
        operands = condition_operands(leaf)  # type: ignore[arg-type]
    for operand in operands:
        for node in walk_operand(operand):
            if isinstance(node, Call):
                _check_call_place(node, as_condition=False)


def _check_call_place(call: Call, *, as_condition: bool) -> None:
    if call.name in UPDATE_FUNCTIONS:
        raise ExpressionProblem(
            f"The function is not allowed in a condition expression; function: {call.name}"
        )
    if (call.name in CONDITION_FUNCTIONS) != as_condition:
        raise ExpressionProblem(
            "The function is not allowed to be used this way in an expression; "
            f"function: {call.name}"
        )


def _leaf_operands(leaf: Condition) -> Iterator[Operand]:
    if isinstance(leaf, Call):
        yield leaf
    else:
        yield from condition_operands(leaf)  # type: ignore[arg-type]


def _action_operands(action: object) -> tuple[Operand, ...]:
    if isinstance(action, SetAction):
        return (action.value,)
    return ()


def _raw(path: object) -> RawPath:
    if not isinstance(path, RawPath):
        raise TypeError("expected a raw (unresolved) path")
    return path
