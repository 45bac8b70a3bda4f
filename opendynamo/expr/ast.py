"""Immutable expression trees shared by every expression kind.

One set of node classes serves conditions, filters, key conditions, updates and projections, in
two stages. The parser builds *raw* trees whose paths may hold `NameRef` placeholders (`#n`) and
whose values are `ValueRef`s (`:v`); raw trees depend only on the expression text, so they are
cached by text. `resolve` turns a raw tree into a *resolved* tree per request: `RawPath` becomes
`Path` (plain names and list indexes) and `ValueRef` becomes `Literal` (the attribute value).
Evaluators only ever see resolved trees.

Nodes are frozen, slotted dataclasses so a cached tree can be shared between requests and threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

AttributeValue: TypeAlias = dict[str, Any]
"""A wire attribute value such as `{"S": "x"}` or `{"M": {...}}`."""
Item: TypeAlias = dict[str, AttributeValue]
"""An item: attribute name to attribute value."""
PathElement: TypeAlias = str | int
"""A map key / attribute name (str) or a list index (int)."""
DocPath: TypeAlias = tuple[PathElement, ...]
"""A resolved document path, e.g. `("a", 2, "b")` for `a[2].b`."""


# ---- operands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameRef:
    """An expression attribute name placeholder such as `#n`, before resolution."""

    name: str


@dataclass(frozen=True, slots=True)
class RawPath:
    """A document path as written: identifiers, `#name` placeholders and list indexes."""

    elements: tuple[str | int | NameRef, ...]


@dataclass(frozen=True, slots=True)
class Path:
    """A resolved document path."""

    elements: DocPath


@dataclass(frozen=True, slots=True)
class ValueRef:
    """An expression attribute value placeholder such as `:v`, before resolution."""

    name: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A resolved `:v` placeholder: its name (for messages) and the attribute value it stands for."""

    name: str
    value: AttributeValue


@dataclass(frozen=True, slots=True)
class Call:
    """A function call. Condition functions stand as conditions; `size` is an operand; update
    functions (`if_not_exists`, `list_append`) are SET values."""

    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Arith:
    """`x + y` or `x - y` on the right-hand side of a SET action."""

    op: str
    left: Operand
    right: Operand


Operand: TypeAlias = RawPath | Path | ValueRef | Literal | Call | Arith


# ---- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    """`left op right` with op one of = <> < <= > >=."""

    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    """`operand BETWEEN low AND high`."""

    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    """`operand IN (choice, ...)`."""

    operand: Operand
    choices: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


Condition: TypeAlias = Compare | Between | In | Call | And | Or | Not
"""A condition, filter or key condition tree; a `Call` here is a condition function."""


# ---- updates ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetAction:
    path: RawPath | Path
    value: Operand


@dataclass(frozen=True, slots=True)
class RemoveAction:
    path: RawPath | Path


@dataclass(frozen=True, slots=True)
class AddAction:
    path: RawPath | Path
    value: ValueRef | Literal


@dataclass(frozen=True, slots=True)
class DeleteAction:
    path: RawPath | Path
    value: ValueRef | Literal


Action: TypeAlias = SetAction | RemoveAction | AddAction | DeleteAction


@dataclass(frozen=True, slots=True)
class Clause:
    """One `SET …`, `REMOVE …`, `ADD …` or `DELETE …` section, keyword upper-cased."""

    keyword: str
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class UpdateExpression:
    """An UpdateExpression: its sections in the order written."""

    clauses: tuple[Clause, ...]

    @property
    def actions(self) -> tuple[Action, ...]:
        """Every action in the order written."""
        return tuple(action for clause in self.clauses for action in clause.actions)

    @property
    def document_paths(self) -> tuple[DocPath, ...]:
        """The resolved path each action targets, in the order written (for UPDATED_OLD/NEW)."""
        return tuple(resolved_elements(action.path) for action in self.actions)

    @property
    def top_level_names(self) -> frozenset[str]:
        """The top-level attributes the update touches (to refuse updating key attributes)."""
        return _heads(self.document_paths)

    @property
    def removes_only(self) -> bool:
        """Whether the update has actions and every one takes away - REMOVE, or DELETE of set
        members - so that on a missing item it has nothing to write."""
        actions = self.actions
        return bool(actions) and all(isinstance(a, (RemoveAction, DeleteAction)) for a in actions)


@dataclass(frozen=True, slots=True)
class ProjectionExpression:
    """A ProjectionExpression: the document paths to return, in the order written."""

    paths: tuple[RawPath | Path, ...]

    @property
    def document_paths(self) -> tuple[DocPath, ...]:
        return tuple(resolved_elements(path) for path in self.paths)

    @property
    def top_level_names(self) -> frozenset[str]:
        return _heads(self.document_paths)


def resolved_elements(path: RawPath | Path) -> DocPath:
    """The elements of a resolved path; a raw path here is a programming error."""
    if not isinstance(path, Path):
        raise TypeError("expression tree is not resolved")
    return path.elements


def _heads(paths: tuple[DocPath, ...]) -> frozenset[str]:
    return frozenset(str(path[0]) for path in paths)


# ---- traversal helpers ------------------------------------------------------------------------


def operand_children(operand: Operand) -> tuple[Operand, ...]:
    """Direct sub-operands, in textual order."""
    if isinstance(operand, Call):
        return operand.args
    if isinstance(operand, Arith):
        return (operand.left, operand.right)
    return ()


def condition_operands(node: Compare | Between | In | Call) -> tuple[Operand, ...]:
    """The operands of a leaf condition, in textual order."""
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Between):
        return (node.operand, node.low, node.high)
    if isinstance(node, In):
        return (node.operand, *node.choices)
    return node.args


def walk_operand(operand: Operand) -> Iterator[Operand]:
    """The operand and everything below it, pre-order (textual order)."""
    yield operand
    for child in operand_children(operand):
        yield from walk_operand(child)


def leaves(condition: Condition) -> Iterator[Compare | Between | In | Call]:
    """The leaf conditions (comparisons and condition functions), in textual order."""
    if isinstance(condition, (And, Or)):
        yield from leaves(condition.left)
        yield from leaves(condition.right)
    elif isinstance(condition, Not):
        yield from leaves(condition.operand)
    else:
        yield condition


def path_text(elements: tuple[PathElement, ...]) -> str:
    """A path the way DynamoDB prints it in messages: `[a, [2], b]`."""
    parts = (f"[{e}]" if isinstance(e, int) else e for e in elements)
    return "[" + ", ".join(parts) + "]"


def condition_paths(condition: Condition) -> tuple[DocPath, ...]:
    """Every document path a resolved condition reads, in textual order."""
    return tuple(
        resolved_elements(operand)
        for leaf in leaves(condition)
        for top in condition_operands(leaf)
        for operand in walk_operand(top)
        if isinstance(operand, (Path, RawPath))
    )
