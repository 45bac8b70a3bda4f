"""PartiQL conditions and assignments -> DynamoDB expressions.

Every attribute name becomes an `#nK` placeholder and every value a `:vK` placeholder, so the
generated expression needs no quoting and reserved words never matter; the expression layer
then parses, checks and evaluates it as it does for any request. What DynamoDB's expression
language cannot say (arithmetic in a condition, LIKE, MISSING outside IS, unknown functions)
is refused here with DynamoDB's PartiQL messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    """Collects the placeholders of the expressions of one request."""

    def __init__(self, params: Sequence[AttributeValue]) -> None:
        self.params = params
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValue] = {}
        self._placeholders: dict[str, str] = {}

    def attach(self, body: dict[str, Any]) -> dict[str, Any]:
        """`body` with ExpressionAttributeNames/Values for every placeholder used."""
        if self.names:
            body["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            body["ExpressionAttributeValues"] = dict(self.values)
        return body

    # ---- operands -----------------------------------------------------------------------

    def name(self, attribute: str) -> str:
        placeholder = self._placeholders.get(attribute)
        if placeholder is None:
            placeholder = f"#n{len(self._placeholders)}"
            self._placeholders[attribute] = placeholder
            self.names[placeholder] = attribute
        return placeholder

    def value(self, value: AttributeValue) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def path(self, path: ast.Path) -> str:
        text = self.name(path.root)
        for step in path.steps:
            text += f"[{step}]" if isinstance(step, int) else "." + self.name(step)
        return text

    def operand(self, node: ast.Expr) -> str:
        """A comparison or function operand: a path, a value or size(path)."""
        if isinstance(node, ast.Path):
            return self.path(node)
        if is_value(node):
            return self.value(bind(node, self.params))
        if isinstance(node, ast.Call) and node.name == "size":
            return f"size({', '.join(self.operand(arg) for arg in node.args)})"
        if isinstance(node, ast.Missing):
            raise msg.refused(msg.MISSING_COMPARED)
        if isinstance(node, ast.Call):
            raise _unrecognized(node)
        if isinstance(node, ast.Binary | ast.Unary):
            raise msg.refused(msg.CONDITION_OPERATOR.format(node.op))
        raise msg.refused(msg.NOT_BOOLEAN)

    # ---- conditions ---------------------------------------------------------------------

    def condition(self, node: ast.Expr) -> str:
        """A WHERE condition (or part of one) as a condition expression."""
        if isinstance(node, ast.Binary):
            if node.op in ("AND", "OR"):
                return f"({self.condition(node.left)}) {node.op} ({self.condition(node.right)})"
            if node.op in COMPARE:
                return f"{self.operand(node.left)} {node.op} {self.operand(node.right)}"
            raise msg.refused(msg.CONDITION_OPERATOR.format(node.op))
        if isinstance(node, ast.Unary) and node.op == "NOT":
            return f"NOT ({self.condition(node.operand)})"
        if isinstance(node, ast.Between):
            text = (
                f"{self.operand(node.operand)} BETWEEN {self.operand(node.low)} "
                f"AND {self.operand(node.high)}"
            )
            return f"NOT ({text})" if node.negated else text
        if isinstance(node, ast.InList):
            return self.in_list(node)
        if isinstance(node, ast.IsType):
            return self.is_type(node)
        if isinstance(node, ast.Call):
            return self.function(node)
        raise msg.refused(msg.NOT_BOOLEAN)

    def in_list(self, node: ast.InList) -> str:
        if node.items is None or not node.items:
            raise msg.refused(IN_OPERANDS)
        members = ", ".join(self.operand(item) for item in node.items)
        text = f"{self.operand(node.operand)} IN ({members})"
        return f"NOT ({text})" if node.negated else text

    def is_type(self, node: ast.IsType) -> str:
        if not isinstance(node.operand, ast.Path):
            raise msg.refused(msg.IS_OPERAND)
        path = self.path(node.operand)
        if node.type_name == "MISSING":
            return f"attribute_exists({path})" if node.negated else f"attribute_not_exists({path})"
        kind = IS_TYPES.get(node.type_name)
        if kind is None:
            raise msg.refused(msg.IS_TYPE.format(node.type_name))
        text = f"attribute_type({path}, {self.value({'S': kind})})"
        return f"NOT ({text})" if node.negated else text

    def function(self, node: ast.Call) -> str:
        count = CONDITION_FUNCTIONS.get(node.name)
        if count is None:
            raise _unrecognized(node)
        if len(node.args) != count:
            raise msg.refused(OPERAND_COUNT.format(node.name, len(node.args)))
        return f"{node.name}({', '.join(self.operand(arg) for arg in node.args)})"

    # ---- updates ------------------------------------------------------------------------

    def set_value(self, node: ast.Expr) -> str:
        """The right side of SET path = ...: a value, a path, `x + y`, `x - y` or
        list_append(x, y)."""
        if isinstance(node, ast.Binary) and node.op in ("+", "-"):
            left, right = self.update_operand(node.left), self.update_operand(node.right)
            return f"{left} {node.op} {right}"
        return self.update_operand(node)

    def update_operand(self, node: ast.Expr) -> str:
        if isinstance(node, ast.Path):
            return self.path(node)
        if is_value(node):
            return self.value(bind(node, self.params))
        if isinstance(node, ast.Call):
            if node.name != "list_append":
                raise _unrecognized(node)
            if len(node.args) != 2:
                raise msg.refused(OPERAND_COUNT.format(node.name, len(node.args)))
            args = ", ".join(self.update_operand(arg) for arg in node.args)
            return f"list_append({args})"
        if isinstance(node, ast.Missing):
            raise msg.refused(msg.MISSING_COMPARED)
        operator = node.op if isinstance(node, ast.Binary | ast.Unary) else type(node).__name__
        raise msg.refused(msg.UPDATE_OPERATOR.format(operator))

    def set_function(self, target: ast.Path, call: ast.Call) -> str:
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


def _unrecognized(call: ast.Call) -> Exception:
    return msg.refused(f"{msg.UNRECOGNIZED_FUNCTION.format(call.name)} at {call.at}")
