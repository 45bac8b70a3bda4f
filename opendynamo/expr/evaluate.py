"""Evaluation of resolved condition trees against an item (ConditionExpression, FilterExpression,
KeyConditionExpression).

DynamoDB's rules: an attribute that is missing, or a comparison between different types, is
simply false - never an error; `<>` is true whenever `=` is not (missing or other type included);
`<`, `<=`, `>`, `>=` and BETWEEN order only S (code point order = UTF-8 byte order), N
(numerically) and B (bytes); `size()` of a type without a size (N, BOOL, NULL) has no value, so a
comparison with it is false (static literal misuse was refused when the expression was compiled).
"""

from __future__ import annotations

from opendynamo.expr import compare
from opendynamo.expr.ast import (
    And,
    AttributeValue,
    Between,
    Call,
    Compare,
    Condition,
    DocPath,
    In,
    Item,
    Literal,
    Not,
    Operand,
    Or,
    Path,
)


def evaluate(condition: Condition, item: Item | None) -> bool:
    """Whether a resolved condition holds for `item` (None: there is no item)."""
    return _holds(condition, item or {})


def _holds(node: Condition, item: Item) -> bool:
    if isinstance(node, And):
        return _holds(node.left, item) and _holds(node.right, item)
    if isinstance(node, Or):
        return _holds(node.left, item) or _holds(node.right, item)
    if isinstance(node, Not):
        return not _holds(node.operand, item)
    if isinstance(node, Compare):
        return _compare(node.op, operand_value(node.left, item), operand_value(node.right, item))
    if isinstance(node, Between):
        return _between(node, item)
    if isinstance(node, In):
        value = operand_value(node.operand, item)
        if value is None:
            return False
        for choice in node.choices:
            other = operand_value(choice, item)
            if other is not None and compare.equal(value, other):
                return True
        return False
    return _function(node, item)


def _compare(op: str, left: AttributeValue | None, right: AttributeValue | None) -> bool:
    if op == "=":
        return left is not None and right is not None and compare.equal(left, right)
    if op == "<>":
        return not (left is not None and right is not None and compare.equal(left, right))
    if left is None or right is None:
        return False
    order = compare.order(left, right)
    if order is None:
        return False
    if op == "<":
        return order < 0
    if op == "<=":
        return order <= 0
    if op == ">":
        return order > 0
    return order >= 0


def _between(node: Between, item: Item) -> bool:
    value = operand_value(node.operand, item)
    low = operand_value(node.low, item)
    high = operand_value(node.high, item)
    if value is None or low is None or high is None:
        return False
    above = compare.order(low, value)
    below = compare.order(value, high)
    return above is not None and below is not None and above <= 0 and below <= 0


def _function(call: Call, item: Item) -> bool:
    name = call.name
    value = operand_value(call.args[0], item)
    if name == "attribute_exists":
        return value is not None
    if name == "attribute_not_exists":
        return value is None
    if value is None:
        return False
    other = operand_value(call.args[1], item)
    if other is None:
        return False
    if name == "attribute_type":
        return compare.type_of(value) == other.get("S")
    if name == "begins_with":
        return _begins_with(value, other)
    if name == "contains":
        return _contains(value, other)
    raise AssertionError(f"not a condition function: {name}")


def _begins_with(value: AttributeValue, prefix: AttributeValue) -> bool:
    kind = compare.type_of(value)
    if kind != compare.type_of(prefix):
        return False
    if kind == "S":
        return bool(value["S"].startswith(prefix["S"]))
    if kind == "B":
        return compare.decode_binary(value["B"]).startswith(compare.decode_binary(prefix["B"]))
    return False


def _contains(value: AttributeValue, element: AttributeValue) -> bool:
    kind = compare.type_of(value)
    element_kind = compare.type_of(element)
    if kind == "S":
        return element_kind == "S" and element["S"] in value["S"]
    if kind == "B":
        return element_kind == "B" and compare.decode_binary(element["B"]) in compare.decode_binary(
            value["B"]
        )
    if kind in ("SS", "NS", "BS"):
        return compare.set_contains(value, element)
    if kind == "L":
        return any(compare.equal(member, element) for member in value["L"])
    return False


def operand_value(operand: Operand, item: Item) -> AttributeValue | None:
    """The value of a resolved operand for an item, or None when it has none."""
    if isinstance(operand, Path):
        return lookup(item, operand.elements)
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, Call) and operand.name == "size":
        value = operand_value(operand.args[0], item)
        return None if value is None else size_of(value)
    raise TypeError(f"cannot evaluate operand {operand!r}")


def size_of(value: AttributeValue) -> AttributeValue | None:
    """`size()`: UTF-8 bytes of S, bytes of B, members of sets, L and M; None otherwise."""
    kind = compare.type_of(value)
    payload = value[kind]
    if kind == "S":
        size = len(payload.encode("utf-8"))
    elif kind == "B":
        size = len(compare.decode_binary(payload))
    elif kind in ("SS", "NS", "BS", "L", "M"):
        size = len(payload)
    else:
        return None
    return {"N": str(size)}


def lookup(item: Item, path: DocPath) -> AttributeValue | None:
    """The value at a document path, or None when any step is missing or of the wrong type."""
    current: AttributeValue | None = item.get(path[0]) if isinstance(path[0], str) else None
    for element in path[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            members = current.get("L")
            current = members[element] if members is not None and element < len(members) else None
        else:
            entries = current.get("M")
            current = entries.get(element) if entries is not None else None
    return current
