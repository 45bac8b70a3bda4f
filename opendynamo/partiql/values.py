"""PartiQL values -> DynamoDB attribute values, with the request's `?` parameters.

'text' is S, numbers are N (normalised, so `1.50` is stored as `1.5`), true/false BOOL, NULL
NULL, [..] L, {'k': v} M and <<..>> a set (SS, NS or BS by its members). A problem names where it
is inside the value, DynamoDB-style: `root` is the value itself, `root.x` a member of a map,
`root[1]` an element of a list.
"""

from __future__ import annotations

from collections.abc import Sequence

from opendynamo import errors
from opendynamo.model import numbers
from opendynamo.model.values import AttributeValue, Item, normalize_value, value_type
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg

VALUE_NODES = (ast.Lit, ast.Param, ast.ListLit, ast.TupleLit, ast.BagLit)
SET_OF = {"S": "SS", "N": "NS", "B": "BS"}
# PartiQL's names for the types of values, as DynamoDB's messages name them.
TYPE_NAMES = {
    "S": "STRING",
    "N": "DECIMAL",
    "B": "BLOB",
    "BOOL": "BOOL",
    "NULL": "NULL",
    "L": "LIST",
    "M": "STRUCT",
    "SS": "BAG",
    "NS": "BAG",
    "BS": "BAG",
}


def is_value(node: ast.Expr) -> bool:
    """Whether `node` is a value (literal, parameter or collection of values) rather than a
    path, function or operator."""
    return isinstance(node, VALUE_NODES)


def bind(node: ast.Expr, params: Sequence[AttributeValue], where: str = "root") -> AttributeValue:
    """The attribute value `node` stands for."""
    if isinstance(node, ast.Lit):
        return _literal(node, where)
    if isinstance(node, ast.Param):
        return params[node.index]
    if isinstance(node, ast.ListLit):
        return {"L": [bind(item, params, f"{where}[{i}]") for i, item in enumerate(node.items)]}
    if isinstance(node, ast.TupleLit):
        return {"M": bind_tuple(node, params, where)}
    if isinstance(node, ast.BagLit):
        return _bag(node, params, where)
    if isinstance(node, ast.Missing):
        raise msg.refused(msg.MISSING_COMPARED)
    name = node.name if isinstance(node, ast.Call) else _describe(node)
    raise msg.refused(f"{msg.UNSUPPORTED_DATA_TYPE.format(name, where)} at {node.at}")


def bind_tuple(
    node: ast.TupleLit, params: Sequence[AttributeValue], where: str, *, top: bool = False
) -> Item:
    """The members of `{'k': v, ...}`; each member of an item (`top`) starts at `root`."""
    item: Item = {}
    for key_node, value_node in node.entries:
        key = bind(key_node, params, where)
        if value_type(key) != "S":
            raise msg.refused(msg.TUPLE_KEY_TYPE.format(TYPE_NAMES[value_type(key)], where))
        name = key["S"]
        if name in item:
            raise msg.refused(msg.DUPLICATE_TUPLE_KEY.format(name, where))
        item[name] = bind(value_node, params, "root" if top else f"{where}.{name}")
    return item


def bind_item(node: ast.Expr, params: Sequence[AttributeValue]) -> Item:
    """The item of INSERT ... VALUE {...} (or VALUE ? with a map parameter)."""
    if isinstance(node, ast.TupleLit):
        return bind_tuple(node, params, "root", top=True)
    if isinstance(node, ast.Param) and value_type(params[node.index]) == "M":
        item: Item = params[node.index]["M"]
        return item
    raise msg.refused(msg.ITEM_SYNTAX)


def _literal(node: ast.Lit, where: str) -> AttributeValue:
    if node.kind == "S":
        return {"S": node.text}
    if node.kind == "N":
        try:
            return {"N": numbers.normalize(node.text)}
        except errors.DynamoError as exc:
            raise msg.refused(f"{exc.message} under {where}") from None
    if node.kind == "BOOL":
        return {"BOOL": node.text == "true"}
    return {"NULL": True}


def _bag(node: ast.BagLit, params: Sequence[AttributeValue], where: str) -> AttributeValue:
    if not node.items:
        raise msg.refused(msg.EMPTY_BAG)
    members = [bind(item, params, where) for item in node.items]
    kinds = {value_type(member) for member in members}
    if len(kinds) != 1 or next(iter(kinds)) not in SET_OF:
        raise msg.refused(msg.MIXED_BAG)
    kind = next(iter(kinds))
    return normalize_value({SET_OF[kind]: [member[kind] for member in members]})


def _describe(node: ast.Expr) -> str:
    if isinstance(node, ast.Path):
        return ".".join(str(step) for step in node.elements)
    if isinstance(node, ast.Binary | ast.Unary):
        return node.op.lower()
    return type(node).__name__.lower()
