"""A recursive-descent parser for the PartiQL statements DynamoDB runs.

    SELECT * | path [, path ...] FROM "table"[."index"] [WHERE cond] [ORDER BY key [ASC|DESC], ...]
    INSERT INTO "table" VALUE {'attr': value, ...}
    UPDATE "table" (SET path = value [, ...] | REMOVE path [, ...])... [WHERE cond] [RETURNING ...]
    FROM "table" [WHERE cond] (SET ... | REMOVE ...)...
    DELETE FROM "table" [WHERE cond] [RETURNING ALL OLD *]
    EXISTS(SELECT * FROM "table" WHERE ...)          -- ExecuteTransaction only

Expressions follow PartiQL's precedence (OR < AND < NOT < comparison, IS, IN, BETWEEN, LIKE <
+ - || < * / % < unary sign). Errors use the reference parser's details inside DynamoDB's
"Statement wasn't well formed" envelope; statements that parse but that DynamoDB does not run
are refused with DynamoDB's own messages. `parse` caches trees by statement text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NoReturn, TypeVar

from opendynamo import errors
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.lexer import (
    EOF,
    IDENT,
    KEYWORD,
    NUMBER,
    PARAM,
    PUNCT,
    QIDENT,
    STRING,
    Token,
    tokenize,
)

CACHE_SIZE = 1024
T = TypeVar("T")

COMPARISONS = frozenset({"=", "<>", "!=", "<", "<=", ">", ">="})
OPERATOR_WORDS = frozenset({"AND", "OR", "IS", "IN", "LIKE", "BETWEEN"})
OPERATOR_PUNCT = frozenset({"=", "<>", "!=", "<", "<=", ">", ">=", "*", "/", "%", "||"})
UNSUPPORTED_CLAUSES = ("GROUP", "HAVING", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT")
JOINS = frozenset({"JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "OUTER", "NATURAL"})
TYPE_NAMES = frozenset(
    """
    MISSING NULL BOOL BOOLEAN SMALLINT INT2 INTEGER2 INT INT4 INTEGER4 INTEGER INT8 INTEGER8
    BIGINT FLOAT REAL DECIMAL DEC NUMERIC TIMESTAMP DATE TIME CHAR CHARACTER VARCHAR STRING
    SYMBOL CLOB BLOB STRUCT TUPLE LIST SEXP BAG ANY
    """.split()
)
TWO_WORD_TYPES = {"DOUBLE": "PRECISION", "CHARACTER": "VARYING"}

# The reference parser's node names, as "Unsupported operation: <node>" shows them.
_BINARY_NAMES = {
    "AND": "And",
    "OR": "Or",
    "=": "Eq",
    "<>": "Ne",
    "<": "Lt",
    "<=": "Lte",
    ">": "Gt",
    ">=": "Gte",
    "+": "Plus",
    "-": "Minus",
    "*": "Times",
    "/": "Divide",
    "%": "Modulo",
    "||": "Concat",
    "LIKE": "Like",
}


@lru_cache(maxsize=CACHE_SIZE)
def parse(text: str) -> ast.Parsed:
    """The tree of a statement (cached by its text); raises DynamoDB's ValidationException."""
    parser = _Parser(tokenize(text))
    statement = parser.statement()
    return ast.Parsed(statement, parser.parameters)


def node_name(node: ast.Expr) -> str:
    """The reference parser's name for an expression node."""
    if isinstance(node, ast.Binary):
        return _BINARY_NAMES[node.op]
    if isinstance(node, ast.Unary):
        return {"NOT": "Not", "-": "Neg", "+": "Pos"}[node.op]
    if isinstance(node, ast.Path):
        return "Id" if node.is_attribute else "Path"
    names = {
        ast.Lit: "Lit",
        ast.Missing: "Missing",
        ast.Param: "Parameter",
        ast.ListLit: "List",
        ast.TupleLit: "Struct",
        ast.BagLit: "Bag",
        ast.Call: "Call",
        ast.Star: "Star",
        ast.Between: "Between",
        ast.InList: "InCollection",
        ast.IsType: "IsType",
    }
    return names[type(node)]


def _unexpected(token: Token) -> errors.DynamoError:
    """The reference parser's complaint about a token where a term should start."""
    if token.kind == KEYWORD:
        if token.upper in OPERATOR_WORDS:
            return msg.malformed(msg.UNEXPECTED_OPERATOR)
        return msg.malformed(msg.UNEXPECTED_KEYWORD)
    if token.kind == PUNCT and token.value in OPERATOR_PUNCT:
        return msg.malformed(msg.UNEXPECTED_OPERATOR)
    return msg.malformed(msg.UNEXPECTED_TERM)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.parameters = 0

    # ---- token helpers ------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.position = min(self.position + 1, len(self.tokens) - 1)
        return token

    def at_word(self, word: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind in (KEYWORD, IDENT) and token.upper == word

    def at_punct(self, symbol: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == PUNCT and token.value == symbol

    def accept_word(self, word: str) -> bool:
        if self.at_word(word):
            self.advance()
            return True
        return False

    def accept_punct(self, symbol: str) -> bool:
        if self.at_punct(symbol):
            self.advance()
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.accept_word(word):
            raise _unexpected(self.peek())

    def expect_punct(self, symbol: str) -> None:
        if not self.accept_punct(symbol):
            raise _unexpected(self.peek())

    def fail(self) -> NoReturn:
        raise _unexpected(self.peek())

    def finish(self) -> None:
        self.accept_punct(";")
        if self.peek().kind != EOF:
            raise msg.malformed(msg.LEFTOVER)

    def separated(self, item: Callable[[], T]) -> list[T]:
        items = [item()]
        while self.accept_punct(","):
            items.append(item())
        return items

    # ---- statements ---------------------------------------------------------------------

    def statement(self) -> ast.Statement:
        first = self.peek()
        word = first.upper if first.kind in (KEYWORD, IDENT) else ""
        rules: dict[str, Callable[[], ast.Statement]] = {
            "SELECT": self.select,
            "INSERT": self.insert,
            "UPDATE": self.update,
            "DELETE": self.delete,
            "FROM": self.from_update,
        }
        if word in rules:
            statement = rules[word]()
        elif word == "EXISTS" and self.at_punct("(", 1) and self.at_word("SELECT", 2):
            statement = self.exists()
        else:
            self.expression_statement()
        self.finish()
        return statement

    def expression_statement(self) -> NoReturn:
        """A statement that is not a data manipulation: DynamoDB names what it found."""
        if any(t.kind == KEYWORD and t.upper == "FROM" for t in self.tokens):
            raise msg.malformed(msg.EXPECTED_DML)
        node = self.expr()
        self.finish()
        raise msg.refused(msg.UNSUPPORTED_OPERATION.format(node_name(node)))

    def select(self) -> ast.Select:
        self.expect_word("SELECT")
        if self.at_word("VALUE") or self.at_word("PIVOT"):
            raise msg.refused(msg.SELECT_VALUE)
        if self.at_word("DISTINCT") or self.at_word("ALL"):
            raise msg.refused(msg.UNSUPPORTED_CLAUSE.format(self.peek().upper))
        projection = self.projection()
        self.expect_word("FROM")
        source = self.source(simple=False)
        where = self.expr() if self.accept_word("WHERE") else None
        order_by: tuple[ast.OrderItem, ...] = ()
        if self.accept_word("ORDER"):
            self.expect_word("BY")
            order_by = tuple(self.separated(self.order_item))
        for clause in UNSUPPORTED_CLAUSES:
            if self.at_word(clause):
                raise msg.refused(msg.UNSUPPORTED_CLAUSE.format(clause))
        return ast.Select(projection, source, where, order_by)

    def projection(self) -> tuple[ast.Expr, ...] | None:
        if self.accept_punct("*"):
            if self.at_punct(","):
                raise msg.refused(msg.STAR_AND_OTHERS)
            return None
        items = self.separated(self.projection_item)
        return tuple(items)

    def projection_item(self) -> ast.Expr:
        if self.at_punct("*"):
            raise msg.refused(msg.STAR_AND_OTHERS)
        item = self.expr()
        if self.at_word("AS") or self.peek().kind in (IDENT, QIDENT):
            raise msg.refused(msg.ALIASING)
        return item

    def order_item(self) -> ast.OrderItem:
        expr = self.expr()
        if self.accept_word("DESC"):
            return ast.OrderItem(expr, True)
        self.accept_word("ASC")
        return ast.OrderItem(expr, False)

    def source(self, *, simple: bool) -> ast.Source:
        """The FROM target: one or two name components, then no alias."""
        token = self.peek()
        if token.kind not in (IDENT, QIDENT):
            raise msg.malformed(msg.EXPECTED_SIMPLE_PATH) if simple else _unexpected(token)
        components = [self.advance()]
        while self.accept_punct("."):
            component = self.peek()
            if component.kind not in (IDENT, QIDENT):
                raise msg.malformed(msg.INVALID_DOT)
            components.append(self.advance())
        if len(components) > 2:
            raise msg.refused(msg.FROM_COMPONENTS)
        if any(c.value == "" for c in components):
            raise msg.refused(msg.EMPTY_COMPONENT)
        self.refuse_alias()
        if self.at_punct(",") or any(self.at_word(word) for word in JOINS):
            raise msg.refused(msg.SINGLE_SOURCE)
        index = components[1].value if len(components) == 2 else None
        return ast.Source(components[0].value, index)

    def refuse_alias(self) -> None:
        """Nothing but a keyword or punctuation may follow a FROM target: a name is an alias."""
        if self.at_word("AS") or self.peek().kind in (IDENT, QIDENT):
            raise msg.refused(msg.ALIASING)

    def insert(self) -> ast.Insert:
        self.expect_word("INSERT")
        self.expect_word("INTO")
        token = self.peek()
        if token.kind not in (IDENT, QIDENT):
            raise msg.malformed(msg.EXPECTED_SIMPLE_PATH)
        self.advance()
        source = ast.Source(token.value, None)
        if self.accept_punct("."):
            raise msg.refused(msg.DML_FROM)
        if self.at_punct("<<"):
            raise msg.refused(msg.INSERT_MANY)
        if not self.accept_word("VALUE"):
            raise msg.malformed(msg.LEFTOVER)
        value = self.expr()
        if self.at_word("AT"):
            raise msg.refused(msg.INSERT_AT)
        if self.at_word("RETURNING"):
            raise msg.refused(msg.INSERT_RETURNING)
        return ast.Insert(source, value)

    def update(self) -> ast.Update:
        self.expect_word("UPDATE")
        source = self.dml_source()
        actions = self.actions()
        where = self.expr() if self.accept_word("WHERE") else None
        return ast.Update(source, actions, where, self.returning())

    def from_update(self) -> ast.Update:
        """PartiQL's FROM-first form: FROM "t" [WHERE ...] SET ... / REMOVE ..."""
        self.expect_word("FROM")
        source = self.dml_source()
        where = self.expr() if self.accept_word("WHERE") else None
        actions = self.actions()
        return ast.Update(source, actions, where, self.returning())

    def delete(self) -> ast.Delete:
        self.expect_word("DELETE")
        self.expect_word("FROM")
        source = self.dml_source()
        where = self.expr() if self.accept_word("WHERE") else None
        return ast.Delete(source, where, self.returning())

    def exists(self) -> ast.Exists:
        self.expect_word("EXISTS")
        self.expect_punct("(")
        select = self.select()
        self.expect_punct(")")
        return ast.Exists(select)

    def dml_source(self) -> ast.Source:
        source = self.source(simple=True)
        if source.index is not None:
            raise msg.refused(msg.DML_FROM)
        return source

    def actions(self) -> tuple[ast.UpdateAction, ...]:
        actions: list[ast.UpdateAction] = []
        while True:
            if self.accept_word("SET"):
                actions.extend(self.separated(self.assignment))
            elif self.accept_word("REMOVE"):
                actions.extend(ast.RemovePath(path) for path in self.separated(self.target))
            else:
                break
        if not actions:
            self.fail()
        return tuple(actions)

    def assignment(self) -> ast.SetAssign:
        target = self.target()
        if not self.accept_punct("="):
            self.fail()
        return ast.SetAssign(target, self.rhs(self.expr))

    def target(self) -> ast.Path:
        node = self.additive()
        if not isinstance(node, ast.Path):
            raise msg.refused(msg.UNRECOGNIZED_TARGET.format(node_name(node)))
        return node

    def returning(self) -> str | None:
        """RETURNING (ALL | MODIFIED) (OLD | NEW) *, as "ALL OLD", "MODIFIED NEW", ..."""
        if not self.accept_word("RETURNING"):
            return None
        which = self.peek().upper
        if which not in ("ALL", "MODIFIED"):
            self.fail()
        self.advance()
        image = self.peek().upper
        if image not in ("OLD", "NEW"):
            self.fail()
        self.advance()
        if not self.accept_punct("*"):
            raise msg.refused(msg.RETURNING_STAR)
        if self.at_punct(","):
            raise msg.refused(msg.RETURNING_MANY)
        return f"{which} {image}"

    # ---- expressions --------------------------------------------------------------------

    def rhs(self, rule: Callable[[], ast.Expr]) -> ast.Expr:
        """The right-hand side of an infix operator."""
        if self.peek().kind == EOF:
            raise msg.malformed(msg.MISSING_RHS)
        return rule()

    def expr(self) -> ast.Expr:
        left = self.and_expr()
        while self.at_word("OR"):
            at = self.advance().where()
            left = ast.Binary("OR", left, self.rhs(self.and_expr), at)
        return left

    def and_expr(self) -> ast.Expr:
        left = self.not_expr()
        while self.at_word("AND"):
            at = self.advance().where()
            left = ast.Binary("AND", left, self.rhs(self.not_expr), at)
        return left

    def not_expr(self) -> ast.Expr:
        if self.at_word("NOT"):
            at = self.advance().where()
            return ast.Unary("NOT", self.not_expr(), at)
        return self.predicate()

    def predicate(self) -> ast.Expr:
        left = self.additive()
        token = self.peek()
        if token.kind == PUNCT and token.value in COMPARISONS:
            self.advance()
            op = "<>" if token.value == "!=" else token.value
            return ast.Binary(op, left, self.rhs(self.additive), token.where())
        negated = self.at_word("NOT") and self.peek(1).upper in ("IN", "BETWEEN", "LIKE")
        if negated:
            self.advance()
        if self.at_word("IS"):
            return self.is_type(left)
        if self.at_word("IN"):
            return self.in_list(left, negated)
        if self.at_word("BETWEEN"):
            at = self.advance().where()
            low = self.rhs(self.additive)
            self.expect_word("AND")
            high = self.rhs(self.additive)
            return ast.Between(left, low, high, negated, at)
        if self.at_word("LIKE"):
            at = self.advance().where()
            like = ast.Binary("LIKE", left, self.rhs(self.additive), at)
            return ast.Unary("NOT", like, at) if negated else like
        return left

    def is_type(self, operand: ast.Expr) -> ast.IsType:
        at = self.advance().where()
        negated = self.accept_word("NOT")
        token = self.peek()
        name = token.upper if token.kind in (KEYWORD, IDENT) else ""
        if name in TWO_WORD_TYPES and self.at_word(TWO_WORD_TYPES[name], 1):
            self.advance()
            name = f"{name} {TWO_WORD_TYPES[name]}"
        elif name not in TYPE_NAMES:
            raise msg.malformed(msg.EXPECTED_TYPE)
        self.advance()
        return ast.IsType(operand, name, negated, at)

    def in_list(self, operand: ast.Expr, negated: bool) -> ast.InList:
        at = self.advance().where()
        if self.peek().kind == EOF:
            raise msg.malformed(msg.MISSING_RHS)
        closing = {"(": ")", "[": "]"}.get(self.peek().value) if self.peek().kind == PUNCT else None
        if closing is None:
            self.additive()
            return ast.InList(operand, None, negated, at)
        self.advance()
        items = () if self.at_punct(closing) else tuple(self.separated(self.expr))
        self.expect_punct(closing)
        return ast.InList(operand, items, negated, at)

    def additive(self) -> ast.Expr:
        left = self.multiplicative()
        while self.peek().kind == PUNCT and self.peek().value in ("+", "-", "||"):
            token = self.advance()
            left = ast.Binary(token.value, left, self.rhs(self.multiplicative), token.where())
        return left

    def multiplicative(self) -> ast.Expr:
        left = self.unary()
        while self.peek().kind == PUNCT and self.peek().value in ("*", "/", "%"):
            token = self.advance()
            left = ast.Binary(token.value, left, self.rhs(self.unary), token.where())
        return left

    def unary(self) -> ast.Expr:
        token = self.peek()
        if token.kind == PUNCT and token.value in ("-", "+"):
            self.advance()
            operand = self.unary()
            if isinstance(operand, ast.Lit) and operand.kind == "N":
                text = operand.text if token.value == "+" else _negate(operand.text)
                return ast.Lit("N", text, token.where())
            return ast.Unary(token.value, operand, token.where())
        return self.primary()

    def primary(self) -> ast.Expr:
        token = self.peek()
        at = token.where()
        if token.kind == NUMBER:
            self.advance()
            return ast.Lit("N", token.value, at)
        if token.kind == STRING:
            self.advance()
            return ast.Lit("S", token.value, at)
        if token.kind == PARAM:
            self.advance()
            self.parameters += 1
            return ast.Param(self.parameters - 1, at)
        if token.kind == KEYWORD and not self.at_punct("(", 1):
            return self.keyword_literal(token)
        if token.kind in (IDENT, KEYWORD) and self.at_punct("(", 1):
            return self.call()
        if token.kind in (IDENT, QIDENT):
            self.advance()
            return self.path_tail(token)
        if token.kind == PUNCT:
            return self.collection(token)
        raise _unexpected(token)

    def keyword_literal(self, token: Token) -> ast.Expr:
        at = token.where()
        word = token.upper
        if word in ("TRUE", "FALSE"):
            self.advance()
            return ast.Lit("BOOL", word.lower(), at)
        if word == "NULL":
            self.advance()
            return ast.Lit("NULL", "null", at)
        if word == "MISSING":
            self.advance()
            return ast.Missing(at)
        raise _unexpected(token)

    def collection(self, token: Token) -> ast.Expr:
        at = token.where()
        if token.value == "(":
            self.advance()
            if self.at_word("SELECT"):
                raise msg.refused(msg.UNSUPPORTED_OPERATION.format("Select"))
            inner = self.expr()
            self.expect_punct(")")
            return inner
        if token.value == "[":
            self.advance()
            return ast.ListLit(self.items("]"), at)
        if token.value == "<<":
            self.advance()
            return ast.BagLit(self.items(">>"), at)
        if token.value == "{":
            self.advance()
            entries: list[tuple[ast.Expr, ast.Expr]] = []
            if not self.at_punct("}"):
                entries = self.separated(self.tuple_entry)
            self.expect_punct("}")
            return ast.TupleLit(tuple(entries), at)
        raise _unexpected(token)

    def items(self, closing: str) -> tuple[ast.Expr, ...]:
        items: list[ast.Expr] = []
        if not self.at_punct(closing):
            items = self.separated(self.expr)
        self.expect_punct(closing)
        return tuple(items)

    def tuple_entry(self) -> tuple[ast.Expr, ast.Expr]:
        key = self.expr()
        self.expect_punct(":")
        return key, self.expr()

    def call(self) -> ast.Call:
        name = self.advance()
        self.expect_punct("(")
        args: list[ast.Expr] = []
        if not self.at_punct(")"):
            args = self.separated(self.argument)
        self.expect_punct(")")
        return ast.Call(name.value.lower(), tuple(args), name.where())

    def argument(self) -> ast.Expr:
        if self.at_punct("*"):
            return ast.Star(self.advance().where())
        return self.expr()

    def path_tail(self, root: Token) -> ast.Path:
        steps: list[str | int] = []
        while True:
            if self.accept_punct("."):
                component = self.peek()
                if component.kind not in (IDENT, QIDENT):
                    raise msg.malformed(msg.INVALID_DOT)
                steps.append(self.advance().value)
            elif self.accept_punct("["):
                steps.append(self.index())
                self.expect_punct("]")
            else:
                return ast.Path(root.value, tuple(steps), root.where())

    def index(self) -> str | int:
        token = self.peek()
        if token.kind == STRING:
            self.advance()
            return token.value
        if token.kind == NUMBER and token.value.isdigit():
            self.advance()
            return int(token.value)
        if token.kind == PUNCT and token.value == "*":
            raise msg.refused("Wildcard path component like a[*].b are not supported")
        raise _unexpected(token)


def _negate(text: str) -> str:
    return text[1:] if text.startswith("-") else "-" + text
