"""What a statement's plan is made of, and the pieces of a WHERE clause every plan reads.

A plan is plain data: the DynamoDB operation that runs a statement and its requests, each a
`Request` of wire members (TableName, Key, ...) and expression trees (`expr.Expressions`),
never expression text. `reads.py` plans SELECT, `writes.py` INSERT, UPDATE, DELETE and EXISTS;
`api/dynamodb/partiql.py` runs the plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from opendynamo import expr
from opendynamo.model.values import AttributeValue, Body, Item, equal, value_type
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.values import TYPE_NAMES, bind, is_value

NO_EXPRESSIONS = expr.NO_EXPRESSIONS


@dataclass(frozen=True, slots=True)
class Keys:
    """The key schema a statement runs against: the table's, or the index's for a read of an
    index. `types` holds the key attribute types (S, N or B)."""

    hash_keys: tuple[str, ...]
    range_keys: tuple[str, ...]
    types: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return self.hash_keys + self.range_keys


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a plan: its members other than expressions (TableName, IndexName, Key,
    Item, ScanIndexForward, ReturnValues) and its expressions as trees."""

    body: Body
    expressions: expr.Expressions = NO_EXPRESSIONS

    @property
    def key(self) -> Item:
        """The item the request names: its Key, or a PutItem's whole Item."""
        named: Item = self.body["Key"] if "Key" in self.body else self.body["Item"]
        return named


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """How to run a SELECT: `operation` GetItem, Query or Scan with one request per partition
    read; `post` the filter and projection to apply to the items read, where the read itself
    could not; `projection` the selected paths (None for *); `partitions` the partition-key
    values of each request (None for a Scan, which reads every partition: authorization's
    dynamodb:LeadingKeys comes from here)."""

    operation: str
    requests: tuple[Request, ...]
    post: expr.Expressions | None
    projection: tuple[ast.Path, ...] | None
    filter_names: frozenset[str]
    partitions: tuple[Item, ...] | None = None


@dataclass(frozen=True, slots=True)
class WritePlan:
    """How to run INSERT, UPDATE or DELETE: one PutItem, UpdateItem or DeleteItem request."""

    operation: str
    request: Request


def conjuncts(node: ast.Expr) -> list[ast.Expr]:
    """The conditions AND-ed together at the top of a WHERE clause."""
    if isinstance(node, ast.Binary) and node.op == "AND":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def equality(node: ast.Expr, names: tuple[str, ...]) -> tuple[str, ast.Expr] | None:
    """`name = value` (either way round) for one of `names`."""
    if not isinstance(node, ast.Binary) or node.op != "=":
        return None
    for path, other in ((node.left, node.right), (node.right, node.left)):
        if isinstance(path, ast.Path) and path.is_attribute and path.root in names:
            if is_value(other):
                return path.root, other
    return None


def full_key(
    where: ast.Expr, params: Sequence[AttributeValue], keys: Keys, refusal: str
) -> tuple[Item, list[ast.Expr]]:
    """The primary key the WHERE pins with equalities, and the conditions left over."""
    found: dict[str, AttributeValue] = {}
    rest: list[ast.Expr] = []
    for condition in conjuncts(where):
        match = equality(condition, keys.names)
        if match is None:
            rest.append(condition)
            continue
        name, node = match
        value = bind(node, params)
        if name in found:
            if not equal(found[name], value):
                raise msg.refused(msg.MULTIPLE_KEY_CONDITIONS.format(name))
            continue
        found[name] = value
    if len(found) != len(keys.names):
        raise msg.refused(refusal)
    for name, value in found.items():
        check_key_value(name, value, keys)
    return {name: found[name] for name in keys.names}, rest


def check_key_value(name: str, value: AttributeValue, keys: Keys) -> None:
    kind = value_type(value)
    if kind not in ("S", "N", "B"):
        raise msg.refused(msg.KEY_VALUE_TYPE.format(name, TYPE_NAMES.get(kind, kind)))
    expected = keys.types.get(name)
    if expected is not None and kind != expected:
        raise msg.refused(msg.KEY_TYPE_MISMATCH.format(name))


def attribute_names(node: ast.Expr) -> frozenset[str]:
    """The top-level attribute names an expression refers to."""
    if isinstance(node, ast.Path):
        return frozenset({node.root})
    children: list[ast.Expr] = []
    if isinstance(node, ast.Binary):
        children = [node.left, node.right]
    elif isinstance(node, ast.Unary):
        children = [node.operand]
    elif isinstance(node, ast.Between):
        children = [node.operand, node.low, node.high]
    elif isinstance(node, ast.InList):
        children = [node.operand, *(node.items or ())]
    elif isinstance(node, ast.IsType):
        children = [node.operand]
    elif isinstance(node, ast.Call):
        children = list(node.args)
    names: frozenset[str] = frozenset()
    for child in children:
        names |= attribute_names(child)
    return names


def names_of(conditions: list[ast.Expr]) -> frozenset[str]:
    names: set[str] = set()
    for condition in conditions:
        names |= attribute_names(condition)
    return frozenset(names)


def path_text(path: ast.Path) -> str:
    text = path.root
    for step in path.steps:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text
