"""Immutable trees of parsed PartiQL statements.

A tree depends only on the statement's text (parameters stay `Param` nodes), so parsed
statements are cached by text and shared between requests and threads. Values stay as written
(numbers as their literal text) until `values.bind` turns them into attribute values with the
request's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

# ---- expressions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lit:
    """A scalar literal: `kind` is S, N (text as written), BOOL ("true"/"false") or NULL."""

    kind: str
    text: str
    at: str


@dataclass(frozen=True, slots=True)
class Missing:
    """The MISSING literal."""

    at: str


@dataclass(frozen=True, slots=True)
class Param:
    """The `index`-th `?` of the statement (from 0)."""

    index: int
    at: str


@dataclass(frozen=True, slots=True)
class Path:
    """An attribute or document path: `root` then map keys (str) and list indexes (int)."""

    root: str
    steps: tuple[str | int, ...]
    at: str

    @property
    def elements(self) -> tuple[str | int, ...]:
        return (self.root, *self.steps)

    @property
    def is_attribute(self) -> bool:
        """A top-level attribute name, as key conditions need."""
        return not self.steps


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Expr, ...]
    at: str


@dataclass(frozen=True, slots=True)
class TupleLit:
    """`{'k': v, ...}`: keys are expressions too (they must turn out to be strings)."""

    entries: tuple[tuple[Expr, Expr], ...]
    at: str


@dataclass(frozen=True, slots=True)
class BagLit:
    """`<<v, ...>>`: a DynamoDB set."""

    items: tuple[Expr, ...]
    at: str


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; `name` is lower-case, `at` is the position of the name."""

    name: str
    args: tuple[Expr, ...]
    at: str


@dataclass(frozen=True, slots=True)
class Star:
    """`*` as a function argument (`COUNT(*)`)."""

    at: str


@dataclass(frozen=True, slots=True)
class Unary:
    """`NOT x`, `-x`, `+x`."""

    op: str
    operand: Expr
    at: str


@dataclass(frozen=True, slots=True)
class Binary:
    """An infix operator: AND, OR, = <> < <= > >=, + - * / %, ||, LIKE."""

    op: str
    left: Expr
    right: Expr
    at: str


@dataclass(frozen=True, slots=True)
class Between:
    operand: Expr
    low: Expr
    high: Expr
    negated: bool
    at: str


@dataclass(frozen=True, slots=True)
class InList:
    """`x IN [a, b]` / `x IN (a, b)`; `items` is None when the right side is not a list."""

    operand: Expr
    items: tuple[Expr, ...] | None
    negated: bool
    at: str


@dataclass(frozen=True, slots=True)
class IsType:
    """`x IS [NOT] <type>`; `type_name` upper-case (`MISSING`, `NULL`, `STRING`, ...)."""

    operand: Expr
    type_name: str
    negated: bool
    at: str


Expr: TypeAlias = (
    Lit
    | Missing
    | Param
    | Path
    | ListLit
    | TupleLit
    | BagLit
    | Call
    | Star
    | Unary
    | Binary
    | Between
    | InList
    | IsType
)


# ---- statements -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """FROM "table" or "table"."index"."""

    table: str
    index: str | None


@dataclass(frozen=True, slots=True)
class OrderItem:
    expr: Expr
    descending: bool


@dataclass(frozen=True, slots=True)
class Select:
    """SELECT; `projection` None is `*`."""

    projection: tuple[Expr, ...] | None
    source: Source
    where: Expr | None
    order_by: tuple[OrderItem, ...]


@dataclass(frozen=True, slots=True)
class Insert:
    source: Source
    value: Expr


@dataclass(frozen=True, slots=True)
class SetAssign:
    target: Path
    value: Expr


@dataclass(frozen=True, slots=True)
class RemovePath:
    target: Path


UpdateAction: TypeAlias = SetAssign | RemovePath


@dataclass(frozen=True, slots=True)
class Update:
    """UPDATE; `returning` is ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW or None."""

    source: Source
    actions: tuple[UpdateAction, ...]
    where: Expr | None
    returning: str | None


@dataclass(frozen=True, slots=True)
class Delete:
    source: Source
    where: Expr | None
    returning: str | None


@dataclass(frozen=True, slots=True)
class Exists:
    """EXISTS(SELECT ...): a condition check inside ExecuteTransaction."""

    select: Select


Statement: TypeAlias = Select | Insert | Update | Delete | Exists


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed statement and how many `?` parameters it takes."""

    statement: Statement
    parameter_count: int

    @property
    def is_read(self) -> bool:
        return isinstance(self.statement, Select)
