"""The one recursive-descent parser for condition, update and projection expressions.

Grammar (keywords case-insensitive, function names case-sensitive):

    condition   := and_cond (OR and_cond)*
    and_cond    := not_cond (AND not_cond)*
    not_cond    := NOT not_cond | primary
    primary     := comparison | "(" condition ")"
    comparison  := operand comparator operand | operand BETWEEN operand AND operand
                 | operand IN "(" operand ("," operand)* ")" | call
    operand     := :value | call | path | "(" operand ")" (path-tail, for `(a.b).c`)
    update      := (SET set_action ("," set_action)* | REMOVE path ("," path)*
                   | ADD path :value ("," …)* | DELETE path :value ("," …)*)+
    set_action  := path "=" set_value
    set_value   := set_inner | "(" set_inner ")"
    set_inner   := operand_p (("+" | "-") operand_p)?
    operand_p   := operand | "(" operand ")"
    projection  := path ("," path)*
    path        := (identifier | #name) ("." (identifier | #name) | "[" integer "]")*

Where a `(` could open a parenthesised condition or a parenthesised operand the parser tries both
and, when neither reads, reports the failure that got furthest (as DynamoDB's parser does).
Two parentheses straight around the same thing are refused as soon as they are read
("The expression has redundant parentheses;"), before any later syntax error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from opendynamo.expr import lexer
from opendynamo.expr.ast import (
    Action,
    AddAction,
    And,
    Arith,
    Between,
    Call,
    Clause,
    Compare,
    Condition,
    DeleteAction,
    In,
    NameRef,
    Not,
    Operand,
    Or,
    ProjectionExpression,
    RawPath,
    RemoveAction,
    SetAction,
    UpdateExpression,
    ValueRef,
)
from opendynamo.expr.lexer import Token
from opendynamo.expr.problem import ExpressionProblem

MAX_OPERATORS = 300
COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
REDUNDANT_PARENTHESES = "The expression has redundant parentheses;"

T = TypeVar("T")

# NOT and function calls are operators, so nesting them deeper than the operator limit is refused
# with the operator-count message, as DynamoDB would. Parentheses cannot nest without operators
# in between (or they are redundant), so the 4 KB limit bounds them to a few hundred levels. A few
# Python frames per level stay far below this recursion limit (pure-Python calls do not use the C
# stack on 3.11+).
_MAX_DEPTH = MAX_OPERATORS + 1
# No valid expression of at most 4 KB nests parentheses this deep; deeper input is refused as a
# syntax error before it can exhaust the interpreter's stack.
_MAX_PAREN_DEPTH = 1000
if sys.getrecursionlimit() < 20_000:
    sys.setrecursionlimit(20_000)


class _Failure(Exception):
    """Parsing stopped at token index `at` (internal; becomes a syntax error)."""

    def __init__(self, at: int) -> None:
        super().__init__(at)
        self.at = at


@dataclass(frozen=True, slots=True)
class _Paren:
    """Parentheses around an operand or condition, kept only while parsing to spot redundancy."""

    inner: Operand | Condition | _Paren


def _bare(node: Operand | _Paren) -> Operand:
    while isinstance(node, _Paren):
        node = node.inner  # type: ignore[assignment]
    return node


def _bare_condition(node: Condition | _Paren) -> Condition:
    while isinstance(node, _Paren):
        node = node.inner  # type: ignore[assignment]
    return node


_Memo = tuple[Operand | _Paren, int] | Exception


class _Parser:
    __slots__ = ("depth", "memo", "parens", "pos", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = lexer.tokenize(text)
        self.pos = 0
        self.depth = 0
        self.parens = 0
        # Condition operands by start position: the two readings of "(" would otherwise re-read
        # the same run of parentheses once per level (quadratic on hostile input).
        self.memo: dict[int, _Memo] = {}

    @contextmanager
    def parenthesised(self) -> Iterator[None]:
        self.parens += 1
        try:
            if self.parens > _MAX_PAREN_DEPTH:
                self.fail()
            yield
        finally:
            self.parens -= 1

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                raise ExpressionProblem(_too_many_operators())
            yield
        finally:
            self.depth -= 1

    # ---- token helpers ----

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, kind: str) -> bool:
        return self.tokens[self.pos].kind == kind

    def expect(self, kind: str) -> Token:
        if not self.at(kind):
            self.fail()
        return self.advance()

    def fail(self) -> NoReturn:
        raise _Failure(self.pos)

    def finish(self) -> None:
        if not self.at(lexer.EOF):
            self.fail()

    def choose(self, *alternatives: Callable[[], T]) -> T:
        """The first alternative that reads; if none does, the failure that got furthest."""
        start = self.pos
        best: _Failure | None = None
        for alternative in alternatives:
            self.pos = start
            try:
                return alternative()
            except _Failure as failure:
                if best is None or failure.at > best.at:
                    best = failure
        assert best is not None
        raise best

    def paren(self, inner: Operand | Condition | _Paren) -> _Paren:
        if isinstance(inner, _Paren):
            raise ExpressionProblem(REDUNDANT_PARENTHESES)
        return _Paren(inner)

    # ---- paths and operands ----

    def path(self) -> RawPath:
        first = self.peek()
        if first.kind == lexer.ID:
            head: str | NameRef = first.text
        elif first.kind == lexer.NAME:
            head = NameRef(first.text)
        else:
            self.fail()
        self.advance()
        return RawPath(self.path_tail([head]))

    def path_tail(self, elements: list[str | int | NameRef]) -> tuple[str | int | NameRef, ...]:
        while self.at(".") or self.at("["):
            if self.advance().kind == ".":
                token = self.peek()
                if token.kind == lexer.ID:
                    elements.append(token.text)
                elif token.kind == lexer.NAME:
                    elements.append(NameRef(token.text))
                else:
                    self.fail()
                self.advance()
            else:
                index = self.expect(lexer.INT)
                self.expect("]")
                elements.append(int(index.text))
        return tuple(elements)

    def call(self, argument: Callable[[], Operand | _Paren]) -> Call:
        name = self.advance().text
        self.expect("(")
        with self.nested():
            args = [_bare(argument())]
            while self.at(","):
                self.advance()
                args.append(_bare(argument()))
        self.expect(")")
        return Call(name, tuple(args))

    def operand(self) -> Operand | _Paren:
        """A condition operand; parentheses may wrap it, and may group the head of a path."""
        start = self.pos
        known = self.memo.get(start)
        if known is None:
            try:
                node = self.read_operand()
            except (_Failure, ExpressionProblem) as problem:
                self.memo[start] = problem
                raise
            self.memo[start] = (node, self.pos)
            return node
        if isinstance(known, Exception):
            raise known
        node, self.pos = known
        return node

    def read_operand(self) -> Operand | _Paren:
        token = self.peek()
        if token.kind == lexer.VALUE:
            self.advance()
            return ValueRef(token.text)
        if token.kind == "(":
            self.advance()
            with self.parenthesised():
                inner = self.operand()
            self.expect(")")
            wrapped = self.paren(inner)
            if isinstance(inner, RawPath) and (self.at(".") or self.at("[")):
                return RawPath(self.path_tail(list(inner.elements)))
            return wrapped
        if token.kind == lexer.ID and self.peek(1).kind == "(":
            return self.call(self.operand)
        if token.kind in (lexer.ID, lexer.NAME):
            return self.path()
        self.fail()

    # ---- conditions ----

    def condition(self) -> Condition | _Paren:
        left = self.and_condition()
        while self.at("OR"):
            self.advance()
            right = self.and_condition()
            left = Or(_bare_condition(left), _bare_condition(right))
        return left

    def and_condition(self) -> Condition | _Paren:
        left = self.not_condition()
        while self.at("AND"):
            self.advance()
            right = self.not_condition()
            left = And(_bare_condition(left), _bare_condition(right))
        return left

    def not_condition(self) -> Condition | _Paren:
        if self.at("NOT"):
            self.advance()
            with self.nested():
                return Not(_bare_condition(self.not_condition()))
        if self.at("("):
            return self.choose(self.comparison, self.parenthesised_condition)
        return self.comparison()

    def parenthesised_condition(self) -> _Paren:
        self.expect("(")
        with self.parenthesised():
            inner = self.condition()
        self.expect(")")
        return self.paren(inner)

    def comparison(self) -> Condition:
        first = self.operand()
        token = self.peek()
        if token.kind in COMPARATORS:
            self.advance()
            return Compare(token.kind, _bare(first), _bare(self.operand()))
        if token.kind == "BETWEEN":
            self.advance()
            low = self.operand()
            self.expect("AND")
            return Between(_bare(first), _bare(low), _bare(self.operand()))
        if token.kind == "IN":
            self.advance()
            self.expect("(")
            choices = [_bare(self.operand())]
            while self.at(","):
                self.advance()
                choices.append(_bare(self.operand()))
            self.expect(")")
            return In(_bare(first), tuple(choices))
        if isinstance(first, Call):
            return first
        self.fail()

    # ---- updates ----

    def update(self) -> UpdateExpression:
        clauses: list[Clause] = []
        while True:
            keyword = self.peek().kind
            if keyword == "SET":
                self.advance()
                clauses.append(Clause(keyword, self.action_list(self.set_action)))
            elif keyword == "REMOVE":
                self.advance()
                clauses.append(Clause(keyword, self.action_list(self.remove_action)))
            elif keyword == "ADD":
                self.advance()
                clauses.append(Clause(keyword, self.action_list(self.add_action)))
            elif keyword == "DELETE":
                self.advance()
                clauses.append(Clause(keyword, self.action_list(self.delete_action)))
            else:
                self.fail()
            if self.at(lexer.EOF):
                return UpdateExpression(tuple(clauses))

    def action_list(self, action: Callable[[], Action]) -> tuple[Action, ...]:
        actions = [action()]
        while self.at(","):
            self.advance()
            actions.append(action())
        return tuple(actions)

    def set_action(self) -> SetAction:
        path = self.path()
        self.expect("=")
        if self.at("("):
            value = self.choose(self.set_inner, self.parenthesised_set_value)
        else:
            value = self.set_inner()
        return SetAction(path, value)

    def remove_action(self) -> RemoveAction:
        return RemoveAction(self.path())

    def add_action(self) -> AddAction:
        path = self.path()
        return AddAction(path, ValueRef(self.expect(lexer.VALUE).text))

    def delete_action(self) -> DeleteAction:
        path = self.path()
        return DeleteAction(path, ValueRef(self.expect(lexer.VALUE).text))

    def parenthesised_set_value(self) -> Operand:
        self.expect("(")
        with self.parenthesised():
            value = self.set_inner()
        self.expect(")")
        return value

    def set_inner(self) -> Operand:
        left = self.update_operand_parens()
        if self.at("+") or self.at("-"):
            op = self.advance().kind
            return Arith(op, left, self.update_operand_parens())
        return left

    def update_operand_parens(self) -> Operand:
        if self.at("("):
            self.advance()
            with self.parenthesised():
                inner = self.update_operand()
            self.expect(")")
            return inner
        return self.update_operand()

    def update_operand(self) -> Operand:
        token = self.peek()
        if token.kind == lexer.VALUE:
            self.advance()
            return ValueRef(token.text)
        if token.kind == lexer.ID and self.peek(1).kind == "(":
            return self.call(self.update_operand_parens)
        if token.kind in (lexer.ID, lexer.NAME):
            return self.path()
        self.fail()

    # ---- projections ----

    def projection(self) -> ProjectionExpression:
        paths = [self.path()]
        while self.at(","):
            self.advance()
            paths.append(self.path())
        return ProjectionExpression(tuple(paths))


def _run(text: str, rule: Callable[[_Parser], T]) -> T:
    parser = _Parser(text)
    try:
        result = rule(parser)
        parser.finish()
    except _Failure as failure:
        raise lexer.syntax_error(text, parser.tokens, failure.at) from None
    return result


def parse_condition(text: str) -> Condition:
    """Parse a condition, filter or key condition expression into a raw tree."""
    tree = _bare_condition(_run(text, _Parser.condition))
    _check_operator_count(_count_condition(tree))
    return tree


def parse_update(text: str) -> UpdateExpression:
    """Parse an update expression into a raw tree."""
    tree = _run(text, _Parser.update)
    count = 0
    for action in tree.actions:
        if isinstance(action, SetAction):
            count += _count_operand(action.value)
    _check_operator_count(count)
    return tree


def parse_projection(text: str) -> ProjectionExpression:
    """Parse a projection expression into a raw tree."""
    return _run(text, _Parser.projection)


def _too_many_operators() -> str:
    # DynamoDB stops counting at the first operator over the limit, so the message says 301.
    return f"The expression contains too many operators; operator count: {MAX_OPERATORS + 1}"


def _check_operator_count(count: int) -> None:
    if count > MAX_OPERATORS:
        raise ExpressionProblem(_too_many_operators())


def _count_condition(node: Condition) -> int:
    if isinstance(node, (And, Or)):
        return 1 + _count_condition(node.left) + _count_condition(node.right)
    if isinstance(node, Not):
        return 1 + _count_condition(node.operand)
    if isinstance(node, Call):
        return _count_operand(node)
    operands = (
        (node.left, node.right)
        if isinstance(node, Compare)
        else (node.operand, node.low, node.high)
        if isinstance(node, Between)
        else (node.operand, *node.choices)
    )
    return 1 + sum(_count_operand(operand) for operand in operands)


def _count_operand(operand: Operand) -> int:
    if isinstance(operand, Call):
        return 1 + sum(_count_operand(arg) for arg in operand.args)
    if isinstance(operand, Arith):
        return 1 + _count_operand(operand.left) + _count_operand(operand.right)
    return 0
