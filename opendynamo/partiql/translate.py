"""PartiQL conditions and assignments -> DynamoDB expression trees (`expr.Expressions`).

Every attribute name becomes a `#nK` placeholder and every value a `:vK` placeholder, exactly
as a request written with expressions would carry them, so reserved words never matter and
`expr.compile_trees` checks and resolves the trees as it does parsed ones. What DynamoDB's
expression language cannot say (arithmetic in a condition, LIKE, MISSING outside IS, unknown
functions) is refused here with DynamoDB's PartiQL messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from opendynamo import expr
from opendynamo.expr.ast import (
    Action,
    And,
    Arith,
    Between,
    Call,
    Clause,
    Compare,
    Condition,
    In,
    NameRef,
    Not,
    Operand,
    Or,
    ProjectionExpression,
    RawPath,
    UpdateExpression,
    ValueRef,
)
from opendynamo.model.values import AttributeValue
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.values import bind, is_value

COMPARE = frozenset({"=", "<>", "<", "<=", ">", ">="})
# Condition functions and their operand counts.
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
# IS <type> -> the attribute_type it tests.
IS_TYPES = {
    "NULL": "NULL",
    "BOOLEAN": "BOOL",
    "BLOB": "B",
    "STRING": "S",
    "NUMERIC": "N",
    "STRUCT": "M",
    "TUPLE": "M",
    "LIST": "L",
}
OPERAND_COUNT = (
    "Incorrect number of operands for operator or function; operator or function: {}, "
    "number of operands: {}"
)
IN_OPERANDS = (
    "IN operator must have a left hand argument of type Variable Reference and right hand "
    "argument of type Seq with at least one member"
)


class Builder:
    """Builds the expression trees of one request, collecting their placeholders."""

    def __init__(self, params: Sequence[AttributeValue]) -> None:
        self.params = params
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValue] = {}
        self._placeholders: dict[str, NameRef] = {}

    def expressions(
        self,
        *,
        condition: Condition | None = None,
        filter: Condition | None = None,
        key_condition: Condition | None = None,
        update: UpdateExpression | None = None,
        projection: ProjectionExpression | None = None,
    ) -> expr.Expressions:
        """The trees given, with every placeholder this builder made."""
        return expr.Expressions(
            condition=condition,
            filter=filter,
            key_condition=key_condition,
            update=update,
            projection=projection,
            names=dict(self.names),
            values=dict(self.values),
        )

    # ---- operands -----------------------------------------------------------------------

    def name(self, attribute: str) -> NameRef:
        placeholder = self._placeholders.get(attribute)
        if placeholder is None:
            placeholder = NameRef(f"#n{len(self._placeholders)}")
            self._placeholders[attribute] = placeholder
            self.names[placeholder.name] = attribute
        return placeholder

    def value(self, value: AttributeValue) -> ValueRef:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return ValueRef(placeholder)

    def attribute(self, attribute: str) -> RawPath:
        """A top-level attribute as a path."""
        return RawPath((self.name(attribute),))

    def path(self, path: ast.Path) -> RawPath:
        elements: list[str | int | NameRef] = [self.name(path.root)]
        for step in path.steps:
            elements.append(step if isinstance(step, int) else self.name(step))
        return RawPath(tuple(elements))

    def projection(self, paths: Sequence[ast.Path]) -> ProjectionExpression:
        return ProjectionExpression(tuple(self.path(p) for p in paths))

    def operand(self, node: ast.Expr) -> Operand:
        """A comparison or function operand: a path, a value or size(path)."""
        if isinstance(node, ast.Path):
            return self.path(node)
        if is_value(node):
            return self.value(bind(node, self.params))
        if isinstance(node, ast.Call) and node.name == "size":
            return Call("size", tuple(self.operand(arg) for arg in node.args))
        if isinstance(node, ast.Missing):
            raise msg.refused(msg.MISSING_COMPARED)
        if isinstance(node, ast.Call):
            raise _unrecognized(node)
        if isinstance(node, ast.Binary | ast.Unary):
            raise msg.refused(msg.CONDITION_OPERATOR.format(node.op))
        raise msg.refused(msg.NOT_BOOLEAN)

    # ---- conditions ---------------------------------------------------------------------

    def condition(self, node: ast.Expr) -> Condition:
        """A WHERE condition (or part of one) as a condition tree."""
        if isinstance(node, ast.Binary):
            if node.op == "AND":
                return And(self.condition(node.left), self.condition(node.right))
            if node.op == "OR":
                return Or(self.condition(node.left), self.condition(node.right))
            if node.op in COMPARE:
                return Compare(node.op, self.operand(node.left), self.operand(node.right))
            raise msg.refused(msg.CONDITION_OPERATOR.format(node.op))
        if isinstance(node, ast.Unary) and node.op == "NOT":
            return Not(self.condition(node.operand))
        if isinstance(node, ast.Between):
            tree = Between(
                self.operand(node.operand), self.operand(node.low), self.operand(node.high)
            )
            return Not(tree) if node.negated else tree
        if isinstance(node, ast.InList):
            return self.in_list(node)
        if isinstance(node, ast.IsType):
            return self.is_type(node)
        if isinstance(node, ast.Call):
            return self.function(node)
        raise msg.refused(msg.NOT_BOOLEAN)

    def conjunction(self, conditions: Sequence[ast.Expr]) -> Condition:
        """Conditions AND-ed, in the order given."""
        tree = self.condition(conditions[0])
        for condition in conditions[1:]:
            tree = And(tree, self.condition(condition))
        return tree

    def in_list(self, node: ast.InList) -> Condition:
        if node.items is None or not node.items:
            raise msg.refused(IN_OPERANDS)
        choices = tuple(self.operand(item) for item in node.items)
        tree = In(self.operand(node.operand), choices)
        return Not(tree) if node.negated else tree

    def is_type(self, node: ast.IsType) -> Condition:
        if not isinstance(node.operand, ast.Path):
            raise msg.refused(msg.IS_OPERAND)
        path = self.path(node.operand)
        if node.type_name == "MISSING":
            return Call("attribute_exists" if node.negated else "attribute_not_exists", (path,))
        kind = IS_TYPES.get(node.type_name)
        if kind is None:
            raise msg.refused(msg.IS_TYPE.format(node.type_name))
        tree = Call("attribute_type", (path, self.value({"S": kind})))
        return Not(tree) if node.negated else tree

    def function(self, node: ast.Call) -> Call:
        count = CONDITION_FUNCTIONS.get(node.name)
        if count is None:
            raise _unrecognized(node)
        if len(node.args) != count:
            raise msg.refused(OPERAND_COUNT.format(node.name, len(node.args)))
        return Call(node.name, tuple(self.operand(arg) for arg in node.args))

    # ---- updates ------------------------------------------------------------------------

    def set_value(self, node: ast.Expr) -> Operand:
        """The right side of SET path = ...: a value, a path, `x + y`, `x - y` or
        list_append(x, y)."""
        if isinstance(node, ast.Binary) and node.op in ("+", "-"):
            left, right = self.update_operand(node.left), self.update_operand(node.right)
            return Arith(node.op, left, right)
        return self.update_operand(node)

    def update_operand(self, node: ast.Expr) -> Operand:
        if isinstance(node, ast.Path):
            return self.path(node)
        if is_value(node):
            return self.value(bind(node, self.params))
        if isinstance(node, ast.Call):
            if node.name != "list_append":
                raise _unrecognized(node)
            if len(node.args) != 2:
                raise msg.refused(OPERAND_COUNT.format(node.name, len(node.args)))
            return Call("list_append", tuple(self.update_operand(arg) for arg in node.args))
        if isinstance(node, ast.Missing):
            raise msg.refused(msg.MISSING_COMPARED)
        operator = node.op if isinstance(node, ast.Binary | ast.Unary) else type(node).__name__
        raise msg.refused(msg.UPDATE_OPERATOR.format(operator))

    def set_function(self, target: ast.Path, call: ast.Call) -> ValueRef:
        """`SET s = set_add(s, <<...>>)` / `set_delete(...)`: the set operand, checked as
        DynamoDB checks it (the first argument must be the assigned path)."""
        verb = call.name.removeprefix("set_").upper()
        if len(call.args) != 2:
            raise msg.refused(f"{msg.SET_ARGUMENTS.format(verb)} at {call.at}")
        first, second = call.args
        if not isinstance(first, ast.Path) or first.elements != target.elements:
            raise msg.refused(f"{msg.SET_FIRST.format(verb)} at {call.at}")
        value = bind(second, self.params) if is_value(second) else None
        if value is None or next(iter(value)) not in ("SS", "NS", "BS"):
            raise msg.refused(f"{msg.SET_SECOND.format(verb)} at {first.at}")
        return self.value(value)


def update_tree(sections: dict[str, list[Action]]) -> UpdateExpression:
    """The non-empty sections, in the order given, as an update tree."""
    clauses = (Clause(verb, tuple(actions)) for verb, actions in sections.items() if actions)
    return UpdateExpression(tuple(clauses))


def _unrecognized(call: ast.Call) -> Exception:
    return msg.refused(f"{msg.UNRECOGNIZED_FUNCTION.format(call.name)} at {call.at}")
