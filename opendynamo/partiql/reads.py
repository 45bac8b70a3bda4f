"""SELECT -> the GetItem, Query or Scan requests that run it (plain data, no I/O).

A SELECT with equality on every partition-key attribute of the table or index is a Query (the
sort-key condition, if any, becomes part of the key condition); with `pk IN [...]` one Query
per value; with the full primary key of the table a GetItem; otherwise a Scan whose filter is
the whole WHERE. What remains of the WHERE filters the items read - through the request's
filter, or, when it names a key attribute (which Query's filter may not), after the read
(`ReadPlan.post`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key, partial
from typing import TypeAlias

from opendynamo import expr
from opendynamo.expr.ast import And, Between, Call, Compare, Condition
from opendynamo.model.values import AttributeValue, Body, Item, compare_scalars, equal
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.parser import node_name
from opendynamo.partiql.plan import (
    Keys,
    ReadPlan,
    Request,
    conjuncts,
    equality,
    full_key,
    names_of,
    path_text,
)
from opendynamo.partiql.translate import Builder
from opendynamo.partiql.values import bind, is_value

MAX_PARTITIONS = 50
FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

# (attribute, operator, operands): one sort-key condition of a key condition.
RangeCondition: TypeAlias = tuple[str, str, tuple[ast.Expr, ...]]


@dataclass(slots=True)
class _Where:
    """A WHERE clause taken apart: its AND-ed conditions and which of them were used as keys."""

    conditions: list[ast.Expr]
    used: set[int] = field(default_factory=set)

    @property
    def rest(self) -> list[ast.Expr]:
        return [c for i, c in enumerate(self.conditions) if i not in self.used]


def plan_read(
    select: ast.Select, params: Sequence[AttributeValue], keys: Keys, *, table_read: bool
) -> ReadPlan:
    """The plan of a SELECT of the table (`table_read`) or of an index with key schema `keys`."""
    projection = selected_paths(select)
    where = _Where(conjuncts(select.where) if select.where is not None else [])
    hash_values = _hash_equalities(where, keys)
    partitions = None if hash_values is not None else _partitions(where, keys, params)
    if hash_values is None and partitions is None:
        if select.order_by:
            raise msg.refused(
                msg.ORDER_NEEDS_WHERE if select.where is None else msg.ORDER_NEEDS_HASH
            )
        return _scan(select, params, projection)
    ranges = _range_conditions(where, keys)
    forward, descending_partitions = _ordering(select, keys, partitions is not None)
    if partitions is None:
        assert hash_values is not None
        if table_read and len(ranges) == len(keys.range_keys) and all(r[1] == "=" for r in ranges):
            return _get(select, params, hash_values, ranges, where.rest, projection)
        partitions = [hash_values]
    elif descending_partitions is not None:
        partitions = _sorted_partitions(partitions, params, keys, descending_partitions)
    return _query(select, params, keys, partitions, ranges, where.rest, projection, forward)


def selected_paths(select: ast.Select) -> tuple[ast.Path, ...] | None:
    """The SELECT list: document paths only, each once."""
    if select.projection is None:
        return None
    paths: list[ast.Path] = []
    for item in select.projection:
        if not isinstance(item, ast.Path):
            at = getattr(item, "at", "")
            raise msg.refused(f"{msg.UNEXPECTED_PATH_COMPONENT} at {at}")
        if any(p.elements == item.elements for p in paths):
            raise msg.refused(msg.DUPLICATE_SELECT_NAMES.format(path_text(item)))
        paths.append(item)
    return tuple(paths)


def _hash_equalities(where: _Where, keys: Keys) -> dict[str, ast.Expr] | None:
    """Equality on every partition-key attribute, or None."""
    found: dict[str, ast.Expr] = {}
    for i, condition in enumerate(where.conditions):
        match = equality(condition, keys.hash_keys)
        if match is not None and match[0] not in found:
            found[match[0]] = match[1]
            where.used.add(i)
    if len(found) == len(keys.hash_keys):
        return {name: found[name] for name in keys.hash_keys}
    where.used.clear()
    return None


def _partitions(
    where: _Where, keys: Keys, params: Sequence[AttributeValue]
) -> list[dict[str, ast.Expr]] | None:
    """`pk IN [v, ...]`, or `pk = v OR pk = w ...`, on a single-attribute partition key: one
    Query per distinct value (DynamoDB does not scan the table for either)."""
    if len(keys.hash_keys) != 1:
        return None
    name = keys.hash_keys[0]
    for i, condition in enumerate(where.conditions):
        items = _partition_values(condition, name)
        if items is not None:
            if len(items) > MAX_PARTITIONS:
                raise msg.refused(msg.TOO_MANY_PARTITIONS)
            where.used.add(i)
            distinct: list[ast.Expr] = []
            seen: list[AttributeValue] = []
            for item in items:
                value = bind(item, params)
                if not any(equal(value, other) for other in seen):
                    seen.append(value)
                    distinct.append(item)
            return [{name: item} for item in distinct]
    return None


def _partition_values(condition: ast.Expr, name: str) -> tuple[ast.Expr, ...] | None:
    """The values `name IN [...]` or an OR of `name = value` pins the attribute to."""
    if isinstance(condition, ast.InList):
        if (
            not condition.negated
            and isinstance(condition.operand, ast.Path)
            and condition.operand.elements == (name,)
            and condition.items
            and all(is_value(item) for item in condition.items)
        ):
            return tuple(condition.items)
        return None
    leaves = _disjuncts(condition)
    if len(leaves) < 2:
        return None
    matches = [equality(leaf, (name,)) for leaf in leaves]
    if any(match is None for match in matches):
        return None
    return tuple(match[1] for match in matches if match is not None)


def _disjuncts(node: ast.Expr) -> list[ast.Expr]:
    if isinstance(node, ast.Binary) and node.op == "OR":
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


def _range_conditions(where: _Where, keys: Keys) -> list[RangeCondition]:
    """Sort-key conditions for the key condition: (attribute, operator, operands). A
    multi-attribute sort key takes equalities left to right, then one range condition."""
    found: list[RangeCondition] = []
    for name in keys.range_keys:
        index, condition = _find(where, partial(_key_condition, name=name))
        if condition is None:
            break
        where.used.add(index)
        found.append(condition)
        if condition[1] != "=":
            break
    return found


def _find(
    where: _Where, test: Callable[[ast.Expr], RangeCondition | None]
) -> tuple[int, RangeCondition | None]:
    for i, condition in enumerate(where.conditions):
        if i in where.used:
            continue
        match = test(condition)
        if match is not None:
            return i, match
    return -1, None


def _key_condition(node: ast.Expr, name: str) -> RangeCondition | None:
    """`node` as a sort-key condition on `name` (=, <, <=, >, >=, BETWEEN, begins_with)."""
    if isinstance(node, ast.Binary) and node.op in FLIPPED:
        if _is_attribute(node.left, name) and is_value(node.right):
            return name, node.op, (node.right,)
        if _is_attribute(node.right, name) and is_value(node.left):
            return name, FLIPPED[node.op], (node.left,)
    if isinstance(node, ast.Between) and not node.negated and _is_attribute(node.operand, name):
        if is_value(node.low) and is_value(node.high):
            return name, "BETWEEN", (node.low, node.high)
    if isinstance(node, ast.Call) and node.name == "begins_with" and len(node.args) == 2:
        if _is_attribute(node.args[0], name) and is_value(node.args[1]):
            return name, "begins_with", (node.args[1],)
    return None


def _ordering(select: ast.Select, keys: Keys, partitioned: bool) -> tuple[bool, bool | None]:
    """(ScanIndexForward, the partition order for IN: None unordered, else descending?)."""
    forward, partitions = True, None
    for item in select.order_by:
        if not isinstance(item.expr, ast.Path) or not item.expr.is_attribute:
            raise msg.refused(msg.ORDER_EXPRESSION.format(node_name(item.expr)))
        name = item.expr.root
        if name not in keys.names:
            raise msg.refused(msg.ORDER_KEY.format(name))
        if name in keys.range_keys:
            forward = not item.descending
        else:
            partitions = item.descending
    if partitioned and select.order_by and partitions is None:
        raise msg.refused(msg.ORDER_NEEDS_HASH_ORDER)
    return forward, partitions


def _sorted_partitions(
    partitions: list[dict[str, ast.Expr]],
    params: Sequence[AttributeValue],
    keys: Keys,
    descending: bool,
) -> list[dict[str, ast.Expr]]:
    name = keys.hash_keys[0]

    def order(a: dict[str, ast.Expr], b: dict[str, ast.Expr]) -> int:
        return compare_scalars(bind(a[name], params), bind(b[name], params)) or 0

    return sorted(partitions, key=cmp_to_key(order), reverse=descending)


def _scan(
    select: ast.Select, params: Sequence[AttributeValue], projection: tuple[ast.Path, ...] | None
) -> ReadPlan:
    builder = Builder(params)
    condition = builder.condition(select.where) if select.where is not None else None
    trees = builder.expressions(filter=condition, projection=_projection(builder, projection))
    names = names_of([select.where]) if select.where is not None else frozenset()
    return ReadPlan("Scan", (Request(_source_body(select), trees),), None, projection, names)


def _get(
    select: ast.Select,
    params: Sequence[AttributeValue],
    hash_values: dict[str, ast.Expr],
    ranges: list[RangeCondition],
    rest: list[ast.Expr],
    projection: tuple[ast.Path, ...] | None,
) -> ReadPlan:
    key = {name: bind(node, params) for name, node in hash_values.items()}
    key.update({name: bind(operands[0], params) for name, _, operands in ranges})
    post = _post(params, rest, projection)
    request = _key_request(select, params, key, projection if post is None else None)
    return ReadPlan("GetItem", (request,), post, projection, names_of(rest), (key,))


def _query(
    select: ast.Select,
    params: Sequence[AttributeValue],
    keys: Keys,
    partitions: list[dict[str, ast.Expr]],
    ranges: list[RangeCondition],
    rest: list[ast.Expr],
    projection: tuple[ast.Path, ...] | None,
    forward: bool,
) -> ReadPlan:
    filtered_late = bool(names_of(rest) & set(keys.names))
    requests = []
    for partition in partitions:
        builder = Builder(params)
        body = _source_body(select)
        parts: list[Condition] = [
            Compare("=", builder.attribute(name), builder.operand(value))
            for name, value in partition.items()
        ]
        parts += [_key_condition_tree(builder, condition) for condition in ranges]
        key_condition = parts[0]
        for part in parts[1:]:
            key_condition = And(key_condition, part)
        if not forward:
            body["ScanIndexForward"] = False
        condition = None
        if not filtered_late and rest:
            condition = builder.conjunction(rest)
        late_projection = None if filtered_late else _projection(builder, projection)
        trees = builder.expressions(
            key_condition=key_condition, filter=condition, projection=late_projection
        )
        requests.append(Request(body, trees))
    post = _post(params, rest, projection) if filtered_late else None
    bound = tuple({name: bind(node, params) for name, node in p.items()} for p in partitions)
    return ReadPlan("Query", tuple(requests), post, projection, names_of(rest), bound)


def _key_condition_tree(builder: Builder, condition: RangeCondition) -> Condition:
    name, op, operands = condition
    path = builder.attribute(name)
    if op == "BETWEEN":
        low, high = (builder.operand(o) for o in operands)
        return Between(path, low, high)
    if op == "begins_with":
        return Call("begins_with", (path, builder.operand(operands[0])))
    return Compare(op, path, builder.operand(operands[0]))


def _post(
    params: Sequence[AttributeValue], rest: list[ast.Expr], projection: tuple[ast.Path, ...] | None
) -> expr.Expressions | None:
    """What to apply to the items read: the remaining conditions, then the projection."""
    if not rest:
        return None
    builder = Builder(params)
    condition = builder.conjunction(rest)
    return builder.expressions(filter=condition, projection=_projection(builder, projection))


def _projection(
    builder: Builder, paths: tuple[ast.Path, ...] | None
) -> expr.ProjectionExpression | None:
    return None if paths is None else builder.projection(paths)


def _is_attribute(node: ast.Expr, name: str) -> bool:
    return isinstance(node, ast.Path) and node.elements == (name,)


def _source_body(select: ast.Select) -> Body:
    body: Body = {"TableName": select.source.table}
    if select.source.index is not None:
        body["IndexName"] = select.source.index
    return body


def _key_request(
    select: ast.Select,
    params: Sequence[AttributeValue],
    key: Item,
    projection: tuple[ast.Path, ...] | None,
) -> Request:
    """A GetItem of `key`, projected to `projection` (None for the whole item)."""
    body: Body = {"TableName": select.source.table, "Key": key}
    if projection is None:
        return Request(body)
    builder = Builder(params)
    return Request(body, builder.expressions(projection=builder.projection(projection)))


# ---- single-item reads: BatchExecuteStatement, ExecuteTransaction -------------------------


def plan_key_read(
    select: ast.Select, params: Sequence[AttributeValue], keys: Keys, refusal: str
) -> ReadPlan:
    """A SELECT that must name exactly one item by its full primary key (nothing else)."""
    projection = selected_paths(select)
    if select.where is None:
        raise msg.refused(refusal)
    key, rest = full_key(select.where, params, keys, refusal)
    if rest:
        raise msg.refused(refusal)
    request = _key_request(select, params, key, projection)
    return ReadPlan("GetItem", (request,), None, projection, frozenset(), (key,))
