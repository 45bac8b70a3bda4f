"""Placeholder resolution: raw (cached) tree + ExpressionAttributeNames/Values -> resolved tree.

This pass runs per request and also makes the checks that need the placeholders, in DynamoDB's
order of precedence (dynalite's catalogue):

- condition: leaf by leaf in textual order - an undefined #name or :value, then a function's
  operand count, then "first operand must be distinct", then operand types and BETWEEN bounds;
- update: undefined #names, undefined :values, overlapping then conflicting paths, ADD/DELETE
  operand types, then functions (operand count, document-path operand, distinct, types);
- projection: undefined #names, overlapping then conflicting paths.

`Usage` records which placeholders were used so the caller can report unused ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from opendynamo.expr import compare
from opendynamo.expr.ast import (
    Action,
    AddAction,
    And,
    Arith,
    AttributeValue,
    Between,
    Call,
    Clause,
    Compare,
    Condition,
    DeleteAction,
    DocPath,
    In,
    Literal,
    NameRef,
    Not,
    Operand,
    Or,
    Path,
    ProjectionExpression,
    RawPath,
    RemoveAction,
    SetAction,
    UpdateExpression,
    ValueRef,
    condition_operands,
    operand_children,
    path_text,
)
from opendynamo.expr.check import ALL_FUNCTIONS
from opendynamo.expr.problem import ExpressionProblem

MAX_IN_OPERANDS = 100
ATTRIBUTE_TYPES = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})
SIZE_TYPES = frozenset({"S", "B", "SS", "NS", "BS", "L", "M"})
LONG_TYPE_NAMES = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "L": "LIST",
    "M": "MAP",
}
ADD_TYPES = frozenset({"N", "SS", "NS", "BS"})
DELETE_TYPES = frozenset({"SS", "NS", "BS"})
# attribute_type is not among them: its first operand may be a value (`attribute_type(:v,
# :t)` holds when :v has type :t), as DynamoDB answers (ScyllaDB's test_condition_expression.py
# ::test_update_condition_attribute_type; dynalite's parser checks only the two below).
NEEDS_PATH = frozenset({"attribute_exists", "attribute_not_exists", "if_not_exists"})
_PLAIN = frozenset({Path, Literal})  # operands with no operands of their own


@dataclass(slots=True)
class Usage:
    """The placeholders a request's expressions used (for the "unused" check)."""

    names: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)


class Resolver:
    """Resolves trees against one request's ExpressionAttributeNames and Values."""

    __slots__ = ("names", "usage", "values")

    def __init__(
        self,
        names: Mapping[str, str] | None,
        values: Mapping[str, AttributeValue] | None,
        usage: Usage,
    ) -> None:
        self.names: Mapping[str, str] = names or {}
        self.values: Mapping[str, AttributeValue] = values or {}
        self.usage = usage

    # ---- conditions ----

    def condition(self, node: Condition) -> Condition:
        """Resolve a condition tree, leaf by leaf in textual order."""
        if isinstance(node, And):
            return And(self.condition(node.left), self.condition(node.right))
        if isinstance(node, Or):
            return Or(self.condition(node.left), self.condition(node.right))
        if isinstance(node, Not):
            return Not(self.condition(node.operand))
        leaf = self._leaf(node)
        if type(leaf) is Compare and type(leaf.left) in _PLAIN and type(leaf.right) in _PLAIN:
            calls: list[Call] = []  # (the common leaf, `pk = :p`: no function in it)
        else:
            calls = list(_calls_postorder(leaf))
        for call in calls:
            _check_arity(call)
        for call in calls:
            _check_call_distinct(call)
        _check_leaf_distinct(leaf)
        for call in calls:
            _check_call_types(call)
        _check_leaf_types(leaf)
        return leaf

    def _leaf(self, node: Compare | Between | In | Call) -> Compare | Between | In | Call:
        if isinstance(node, Compare):
            return Compare(node.op, self.operand(node.left), self.operand(node.right))
        if isinstance(node, Between):
            operand = self.operand(node.operand)
            low = self.operand(node.low)
            return Between(operand, low, self.operand(node.high))
        if isinstance(node, In):
            operand = self.operand(node.operand)
            return In(operand, tuple(self.operand(choice) for choice in node.choices))
        return self._call(node)

    # ---- operands ----

    def operand(self, operand: Operand) -> Operand:
        """Resolve one operand; raises for the first undefined placeholder in textual order."""
        if isinstance(operand, RawPath):
            return self.path(operand)
        if isinstance(operand, ValueRef):
            return self.value(operand)
        if isinstance(operand, Call):
            return self._call(operand)
        if isinstance(operand, Arith):
            return Arith(operand.op, self.operand(operand.left), self.operand(operand.right))
        return operand

    def _call(self, call: Call) -> Call:
        return Call(call.name, tuple(self.operand(arg) for arg in call.args))

    def path(self, path: RawPath | Path) -> Path:
        if isinstance(path, Path):
            return path
        return Path(tuple(self._element(e) for e in path.elements))

    def _element(self, element: str | int | NameRef) -> str | int:
        if not isinstance(element, NameRef):
            return element
        try:
            resolved = self.names[element.name]
        except KeyError:
            raise ExpressionProblem(
                "An expression attribute name used in the document path is not defined; "
                f"attribute name: {element.name}"
            ) from None
        self.usage.names.add(element.name)
        return resolved

    def value(self, ref: ValueRef | Literal) -> Literal:
        if isinstance(ref, Literal):
            return ref
        try:
            value = self.values[ref.name]
        except KeyError:
            raise ExpressionProblem(
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {ref.name}"
            ) from None
        self.usage.values.add(ref.name)
        return Literal(ref.name, value)

    # ---- updates ----

    def update(self, tree: UpdateExpression) -> UpdateExpression:
        """Resolve an update tree and make the update's placeholder-dependent checks."""
        actions = tree.actions
        for action in actions:  # every path first: an undefined name is reported before a value
            for raw in _action_paths(action):
                self.path(raw)
        for action in actions:
            for ref in _action_values(action):
                self.value(ref)
        clauses = tuple(
            Clause(clause.keyword, tuple(self._action(a) for a in clause.actions))
            for clause in tree.clauses
        )
        resolved = UpdateExpression(clauses)
        actions = resolved.actions
        if len(actions) > 1:
            check_overlaps(resolved.document_paths)  # (one path overlaps nothing)
        for action in actions:
            if isinstance(action, (AddAction, DeleteAction)):
                _check_add_delete_operand(action)
        for action in actions:
            if isinstance(action, SetAction):
                _check_update_functions(action.value)
        return resolved

    def _action(self, action: Action) -> Action:
        path = self.path(action.path)
        if isinstance(action, SetAction):
            return SetAction(path, self.operand(action.value))
        if isinstance(action, RemoveAction):
            return RemoveAction(path)
        if isinstance(action, AddAction):
            return AddAction(path, self.value(action.value))
        return DeleteAction(path, self.value(action.value))

    # ---- projections ----

    def projection(self, tree: ProjectionExpression) -> ProjectionExpression:
        resolved = ProjectionExpression(tuple(self.path(path) for path in tree.paths))
        check_overlaps(resolved.document_paths)
        return resolved


# ---- checks on resolved nodes -------------------------------------------------------------------


def _calls_postorder(node: Operand | Compare | Between | In) -> Iterator[Call]:
    children: tuple[Operand, ...]
    if isinstance(node, (Compare, Between, In)):
        children = condition_operands(node)
    else:
        children = operand_children(node)
    for child in children:
        yield from _calls_postorder(child)
    if isinstance(node, Call):
        yield node


def _check_arity(call: Call) -> None:
    expected = ALL_FUNCTIONS.get(call.name)
    if expected is not None and expected != len(call.args):
        raise ExpressionProblem(
            "Incorrect number of operands for operator or function; "
            f"operator or function: {call.name}, number of operands: {len(call.args)}"
        )


def _check_distinct(operator: str, first: Operand, rest: tuple[Operand, ...]) -> None:
    if not isinstance(first, Path):
        return
    for other in rest:
        if isinstance(other, Path) and other.elements == first.elements:
            raise ExpressionProblem(
                "The first operand must be distinct from the remaining operands for this "
                f"operator or function; operator: {operator}, "
                f"first operand: {path_text(first.elements)}"
            )


def _check_call_distinct(call: Call) -> None:
    if call.name not in ("size", "list_append") and call.args:
        _check_distinct(call.name, call.args[0], call.args[1:])


def _check_leaf_distinct(leaf: Compare | Between | In | Call) -> None:
    if isinstance(leaf, Compare):
        _check_distinct(leaf.op, leaf.left, (leaf.right,))
    elif isinstance(leaf, Between):
        _check_distinct("BETWEEN", leaf.operand, (leaf.low, leaf.high))
    elif isinstance(leaf, In):
        _check_distinct("IN", leaf.operand, leaf.choices)


def static_type(operand: Operand) -> str | None:
    """The type an operand is known to have before seeing an item: a literal's, N for size()."""
    if isinstance(operand, Literal):
        return compare.type_of(operand.value)
    if isinstance(operand, Call) and operand.name == "size":
        return "N"
    return None


def _type_problem(operator: str, operand_type: str) -> ExpressionProblem:
    return ExpressionProblem(
        "Incorrect operand type for operator or function; "
        f"operator or function: {operator}, operand type: {operand_type}"
    )


def _require_path(call: Call) -> None:
    if call.name in NEEDS_PATH and not isinstance(call.args[0], Path):
        raise ExpressionProblem(
            f"Operator or function requires a document path; operator or function: {call.name}"
        )


def _check_call_types(call: Call) -> None:
    _require_path(call)
    if call.name == "size":
        kind = static_type(call.args[0])
        if kind is not None and kind not in SIZE_TYPES:
            raise _type_problem("size", kind)
    elif call.name == "begins_with":
        for arg in call.args:
            kind = static_type(arg)
            if kind is not None and kind not in ("S", "B"):
                raise _type_problem("begins_with", kind)
    elif call.name == "attribute_type":
        _check_attribute_type_name(call.args[1])


def _check_attribute_type_name(operand: Operand) -> None:
    kind = static_type(operand)
    if kind is None:
        raise _type_problem("attribute_type", "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
    if kind != "S":
        raise _type_problem("attribute_type", kind)
    assert isinstance(operand, Literal)
    name = operand.value["S"]
    if name not in ATTRIBUTE_TYPES:
        raise ExpressionProblem(
            f"Invalid attribute type name found; type: {name}, "
            "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
        )


def _check_leaf_types(leaf: Compare | Between | In | Call) -> None:
    if isinstance(leaf, Compare) and leaf.op not in ("=", "<>"):
        for operand in (leaf.left, leaf.right):
            kind = static_type(operand)
            if kind is not None and kind not in compare.SCALAR_ORDERED:
                raise _type_problem(leaf.op, kind)
    elif isinstance(leaf, Between):
        for operand in (leaf.operand, leaf.low, leaf.high):
            kind = static_type(operand)
            if kind is not None and kind not in compare.SCALAR_ORDERED:
                raise _type_problem("BETWEEN", kind)
        if isinstance(leaf.low, Literal) and isinstance(leaf.high, Literal):
            _check_between_bounds(leaf.low.value, leaf.high.value)
    elif isinstance(leaf, In) and len(leaf.choices) > MAX_IN_OPERANDS:
        raise ExpressionProblem(
            "The IN operator is provided with too many operands; "
            f"number of operands: {len(leaf.choices)}"
        )


def _check_between_bounds(low: AttributeValue, high: AttributeValue) -> None:
    if compare.type_of(low) != compare.type_of(high):
        problem = "requires same data type for lower and upper bounds"
    elif (compare.order(low, high) or 0) > 0:
        problem = "requires upper bound to be greater than or equal to lower bound"
    else:
        return
    raise ExpressionProblem(
        f"The BETWEEN operator {problem}; lower bound operand: {_bound_text(low)}, "
        f"upper bound operand: {_bound_text(high)}"
    )


def _bound_text(value: AttributeValue) -> str:
    kind = compare.type_of(value)
    if kind == "B":
        size = len(compare.decode_binary(value["B"]))
        return f"AttributeValue: {{B:java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]}}"
    return f"AttributeValue: {{{kind}:{value[kind]}}}"


def _check_add_delete_operand(action: AddAction | DeleteAction) -> None:
    assert isinstance(action.value, Literal)
    kind = compare.type_of(action.value.value)
    keyword, allowed = (
        ("ADD", ADD_TYPES) if isinstance(action, AddAction) else ("DELETE", DELETE_TYPES)
    )
    if kind not in allowed:
        raise ExpressionProblem(
            "Incorrect operand type for operator or function; "
            f"operator: {keyword}, operand type: {LONG_TYPE_NAMES.get(kind, kind)}"
        )


def _check_update_functions(value: Operand) -> None:
    """Functions and arithmetic in a SET value, innermost first."""
    for child in operand_children(value):
        _check_update_functions(child)
    if isinstance(value, Call):
        _check_arity(value)
        _require_path(value)
        _check_call_distinct(value)
        if value.name == "list_append":
            _check_literal_types("list_append", value.args, "L")
    elif isinstance(value, Arith):
        _check_literal_types(value.op, (value.left, value.right), "N")


def _check_literal_types(operator: str, operands: tuple[Operand, ...], wanted: str) -> None:
    for operand in operands:
        if isinstance(operand, Literal):
            kind = compare.type_of(operand.value)
            if kind != wanted:
                raise _type_problem(operator, kind)


def check_overlaps(paths: tuple[DocPath, ...]) -> None:
    """Refuse two paths where one is (inside) the other, or that use one place as both a list
    and a map. An overlap anywhere wins over a conflict; of conflicts, the last found is named."""
    seen: list[DocPath] = []
    conflict: tuple[DocPath, DocPath] | None = None
    for path in paths:
        for earlier in seen:
            relation = _relation(earlier, path)
            if relation == "overlap":
                raise _paths_problem("overlap", earlier, path)
            if relation == "conflict":
                conflict = (earlier, path)
        seen.append(path)
    if conflict is not None:
        raise _paths_problem("conflict", *conflict)


def _relation(one: DocPath, two: DocPath) -> str | None:
    for a, b in zip(one, two, strict=False):
        if type(a) is not type(b):
            return "conflict"
        if a != b:
            return None
    return "overlap"


def _paths_problem(relation: str, one: DocPath, two: DocPath) -> ExpressionProblem:
    return ExpressionProblem(
        f"Two document paths {relation} with each other; must remove or rewrite one of these "
        f"paths; path one: {path_text(one)}, path two: {path_text(two)}"
    )


def _action_paths(action: Action) -> Iterator[RawPath | Path]:
    yield action.path
    if isinstance(action, SetAction):
        yield from _operand_paths(action.value)


def _operand_paths(operand: Operand) -> Iterator[RawPath | Path]:
    if isinstance(operand, (RawPath, Path)):
        yield operand
    for child in operand_children(operand):
        yield from _operand_paths(child)


def _action_values(action: Action) -> Iterator[ValueRef | Literal]:
    if isinstance(action, (AddAction, DeleteAction)):
        yield action.value
    elif isinstance(action, SetAction):
        yield from _operand_values(action.value)


def _operand_values(operand: Operand) -> Iterator[ValueRef | Literal]:
    if isinstance(operand, (ValueRef, Literal)):
        yield operand
    for child in operand_children(operand):
        yield from _operand_values(child)
