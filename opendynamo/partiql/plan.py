"""Statements -> the DynamoDB requests that run them (plain data, no I/O).

- SELECT with equality on every partition-key attribute of the table or index is a Query (the
  sort-key condition, if any, becomes part of the key condition); with `pk IN [...]` one Query
  per value; with the full primary key of the table a GetItem; otherwise a Scan whose filter is
  the whole WHERE. What remains of the WHERE filters the items read - through the request's
  FilterExpression, or, when it names a key attribute (which Query's filter may not), after the
  read (`ReadPlan.post`).
- INSERT is a PutItem conditioned on the key not existing yet; UPDATE an UpdateItem conditioned
  on the item existing; DELETE a DeleteItem. The WHERE of a write must hold equality on every
  key attribute; the rest of it becomes the write's condition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key, partial

from opendynamo.model.values import AttributeValue, Body, Item, compare_scalars, equal, value_type
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.parser import node_name
from opendynamo.partiql.render import Builder
from opendynamo.partiql.values import TYPE_NAMES, bind, bind_item, is_value

MAX_PARTITIONS = 50
FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
RETURN_VALUES = {
    "ALL OLD": "ALL_OLD",
    "MODIFIED OLD": "UPDATED_OLD",
    "ALL NEW": "ALL_NEW",
    "MODIFIED NEW": "UPDATED_NEW",
}


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
class ReadPlan:
    """How to run a SELECT: `operation` GetItem, Query or Scan with one request body per
    partition read; `post` holds FilterExpression / ProjectionExpression (and their
    placeholders) to apply to the items read; `projection` the selected paths (None for *);
    `partitions` the partition-key values of each request (None for a Scan, which reads every
    partition: authorization's dynamodb:LeadingKeys comes from here)."""

    operation: str
    requests: tuple[Body, ...]
    post: Body | None
    projection: tuple[ast.Path, ...] | None
    filter_names: frozenset[str]
    partitions: tuple[Item, ...] | None = None


@dataclass(frozen=True, slots=True)
class WritePlan:
    """How to run INSERT, UPDATE or DELETE: one PutItem, UpdateItem or DeleteItem request."""

    operation: str
    body: Body


@dataclass(slots=True)
class _Where:
    """A WHERE clause taken apart: its AND-ed conditions and which of them were used as keys."""

    conditions: list[ast.Expr]
    used: set[int] = field(default_factory=set)

    @property
    def rest(self) -> list[ast.Expr]:
        return [c for i, c in enumerate(self.conditions) if i not in self.used]


# ---- SELECT -----------------------------------------------------------------------------


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
            return _get(select, params, keys, hash_values, ranges, where.rest, projection)
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
        match = _equality(condition, keys.hash_keys)
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
    matches = [_equality(leaf, (name,)) for leaf in leaves]
    if any(match is None for match in matches):
        return None
    return tuple(match[1] for match in matches if match is not None)


def _disjuncts(node: ast.Expr) -> list[ast.Expr]:
    if isinstance(node, ast.Binary) and node.op == "OR":
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


def _range_conditions(where: _Where, keys: Keys) -> list[tuple[str, str, tuple[ast.Expr, ...]]]:
    """Sort-key conditions for the key condition: (attribute, operator, operands). A
    multi-attribute sort key takes equalities left to right, then one range condition."""
    found: list[tuple[str, str, tuple[ast.Expr, ...]]] = []
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
    where: _Where, test: Callable[[ast.Expr], tuple[str, str, tuple[ast.Expr, ...]] | None]
) -> tuple[int, tuple[str, str, tuple[ast.Expr, ...]] | None]:
    for i, condition in enumerate(where.conditions):
        if i in where.used:
            continue
        match = test(condition)
        if match is not None:
            return i, match
    return -1, None


def _key_condition(node: ast.Expr, name: str) -> tuple[str, str, tuple[ast.Expr, ...]] | None:
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
    body = _source_body(select)
    if select.where is not None:
        body["FilterExpression"] = builder.condition(select.where)
    if projection is not None:
        body["ProjectionExpression"] = ", ".join(builder.path(p) for p in projection)
    names = attribute_names(select.where) if select.where is not None else frozenset()
    return ReadPlan("Scan", (builder.attach(body),), None, projection, names)


def _get(
    select: ast.Select,
    params: Sequence[AttributeValue],
    keys: Keys,
    hash_values: dict[str, ast.Expr],
    ranges: list[tuple[str, str, tuple[ast.Expr, ...]]],
    rest: list[ast.Expr],
    projection: tuple[ast.Path, ...] | None,
) -> ReadPlan:
    key = {name: bind(node, params) for name, node in hash_values.items()}
    key.update({name: bind(operands[0], params) for name, _, operands in ranges})
    body: Body = {"TableName": select.source.table, "Key": key}
    post = _post(params, rest, projection)
    if post is None and projection is not None:
        builder = Builder(params)
        body["ProjectionExpression"] = ", ".join(builder.path(p) for p in projection)
        builder.attach(body)
    return ReadPlan("GetItem", (body,), post, projection, _names_of(rest), (key,))


def _query(
    select: ast.Select,
    params: Sequence[AttributeValue],
    keys: Keys,
    partitions: list[dict[str, ast.Expr]],
    ranges: list[tuple[str, str, tuple[ast.Expr, ...]]],
    rest: list[ast.Expr],
    projection: tuple[ast.Path, ...] | None,
    forward: bool,
) -> ReadPlan:
    filtered_late = bool(_names_of(rest) & set(keys.names))
    requests = []
    for partition in partitions:
        builder = Builder(params)
        body = _source_body(select)
        parts = [f"{builder.name(n)} = {builder.operand(v)}" for n, v in partition.items()]
        parts += [_render_key_condition(builder, condition) for condition in ranges]
        body["KeyConditionExpression"] = " AND ".join(parts)
        if not forward:
            body["ScanIndexForward"] = False
        if not filtered_late:
            if rest:
                body["FilterExpression"] = _conjunction(builder, rest)
            if projection is not None:
                body["ProjectionExpression"] = ", ".join(builder.path(p) for p in projection)
        requests.append(builder.attach(body))
    post = _post(params, rest, projection) if filtered_late else None
    bound = tuple({name: bind(node, params) for name, node in p.items()} for p in partitions)
    return ReadPlan("Query", tuple(requests), post, projection, _names_of(rest), bound)


def _render_key_condition(
    builder: Builder, condition: tuple[str, str, tuple[ast.Expr, ...]]
) -> str:
    name, op, operands = condition
    path = builder.name(name)
    if op == "BETWEEN":
        low, high = (builder.operand(o) for o in operands)
        return f"{path} BETWEEN {low} AND {high}"
    if op == "begins_with":
        return f"begins_with({path}, {builder.operand(operands[0])})"
    return f"{path} {op} {builder.operand(operands[0])}"


def _post(
    params: Sequence[AttributeValue], rest: list[ast.Expr], projection: tuple[ast.Path, ...] | None
) -> Body | None:
    """What to apply to the items read: the remaining conditions, then the projection."""
    if not rest:
        return None
    builder = Builder(params)
    body: Body = {"FilterExpression": _conjunction(builder, rest)}
    if projection is not None:
        body["ProjectionExpression"] = ", ".join(builder.path(p) for p in projection)
    return builder.attach(body)


def _source_body(select: ast.Select) -> Body:
    body: Body = {"TableName": select.source.table}
    if select.source.index is not None:
        body["IndexName"] = select.source.index
    return body


# ---- single-item reads: BatchExecuteStatement, ExecuteTransaction, EXISTS -----------------


def plan_key_read(
    select: ast.Select, params: Sequence[AttributeValue], keys: Keys, refusal: str
) -> ReadPlan:
    """A SELECT that must name exactly one item by its full primary key (nothing else)."""
    projection = selected_paths(select)
    if select.where is None:
        raise msg.refused(refusal)
    key, rest = _full_key(select.where, params, keys, refusal)
    if rest:
        raise msg.refused(refusal)
    body: Body = {"TableName": select.source.table, "Key": key}
    if projection is not None:
        builder = Builder(params)
        body["ProjectionExpression"] = ", ".join(builder.path(p) for p in projection)
        builder.attach(body)
    return ReadPlan("GetItem", (body,), None, projection, frozenset(), (key,))


def plan_exists(exists: ast.Exists, params: Sequence[AttributeValue], keys: Keys) -> Body:
    """EXISTS(SELECT ... WHERE <full key> AND <condition>) -> a ConditionCheck that holds when
    the item exists and meets the condition."""
    select = exists.select
    if select.where is None:
        raise msg.refused(msg.EXISTS_SHAPE)
    key, rest = _full_key(select.where, params, keys, msg.EXISTS_SHAPE)
    if not rest:
        raise msg.refused(msg.EXISTS_SHAPE)
    builder = Builder(params)
    exists_text = f"attribute_exists({builder.name(keys.hash_keys[0])})"
    body: Body = {
        "TableName": select.source.table,
        "Key": key,
        "ConditionExpression": f"{exists_text} AND ({_conjunction(builder, rest)})",
    }
    return builder.attach(body)


# ---- writes -----------------------------------------------------------------------------


def plan_write(
    statement: ast.Insert | ast.Update | ast.Delete, params: Sequence[AttributeValue], keys: Keys
) -> WritePlan:
    if isinstance(statement, ast.Insert):
        return _insert(statement, params, keys)
    if isinstance(statement, ast.Update):
        return _update(statement, params, keys)
    return _delete(statement, params, keys)


def _insert(statement: ast.Insert, params: Sequence[AttributeValue], keys: Keys) -> WritePlan:
    item = bind_item(statement.value, params)
    for name in keys.names:
        if name not in item:
            raise msg.refused(msg.KEY_ABSENT.format(name))
        _check_key_value(name, item[name], keys)
    builder = Builder(params)
    body: Body = {
        "TableName": statement.source.table,
        "Item": item,
        "ConditionExpression": f"attribute_not_exists({builder.name(keys.hash_keys[0])})",
    }
    return WritePlan("PutItem", builder.attach(body))


def _update(statement: ast.Update, params: Sequence[AttributeValue], keys: Keys) -> WritePlan:
    if statement.where is None:
        raise msg.refused(msg.INCOMPLETE_KEY)
    key, rest = _full_key(statement.where, params, keys, msg.INCOMPLETE_KEY)
    builder = Builder(params)
    clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
    for action in statement.actions:
        if isinstance(action, ast.RemovePath):
            clauses["REMOVE"].append(builder.path(action.target))
            continue
        value = action.value
        if isinstance(value, ast.Call) and value.name in ("set_add", "set_delete"):
            operand = builder.set_function(action.target, value)
            verb = "ADD" if value.name == "set_add" else "DELETE"
            clauses[verb].append(f"{builder.path(action.target)} {operand}")
        else:
            clauses["SET"].append(f"{builder.path(action.target)} = {builder.set_value(value)}")
    update = " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses.items() if parts)
    condition = f"attribute_exists({builder.name(keys.hash_keys[0])})"
    if rest:
        condition += f" AND ({_conjunction(builder, rest)})"
    body: Body = {
        "TableName": statement.source.table,
        "Key": key,
        "UpdateExpression": update,
        "ConditionExpression": condition,
    }
    if statement.returning is not None:
        body["ReturnValues"] = RETURN_VALUES[statement.returning]
    return WritePlan("UpdateItem", builder.attach(body))


def _delete(statement: ast.Delete, params: Sequence[AttributeValue], keys: Keys) -> WritePlan:
    if statement.returning is not None and statement.returning != "ALL OLD":
        raise msg.refused(msg.DELETE_RETURNING.format(f"{statement.returning} *"))
    if statement.where is None:
        raise msg.refused(msg.INCOMPLETE_KEY)
    key, rest = _full_key(statement.where, params, keys, msg.INCOMPLETE_KEY)
    body: Body = {"TableName": statement.source.table, "Key": key}
    builder = Builder(params)
    if rest:
        # A missing item is deleted silently: only an existing one must meet the condition.
        absent = f"attribute_not_exists({builder.name(keys.hash_keys[0])})"
        body["ConditionExpression"] = f"{absent} OR ({_conjunction(builder, rest)})"
    if statement.returning is not None:
        body["ReturnValues"] = "ALL_OLD"
    return WritePlan("DeleteItem", builder.attach(body))


def _full_key(
    where: ast.Expr, params: Sequence[AttributeValue], keys: Keys, refusal: str
) -> tuple[Item, list[ast.Expr]]:
    """The primary key the WHERE pins with equalities, and the conditions left over."""
    found: dict[str, AttributeValue] = {}
    rest: list[ast.Expr] = []
    for condition in conjuncts(where):
        match = _equality(condition, keys.names)
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
        _check_key_value(name, value, keys)
    return {name: found[name] for name in keys.names}, rest


def _check_key_value(name: str, value: AttributeValue, keys: Keys) -> None:
    kind = value_type(value)
    if kind not in ("S", "N", "B"):
        raise msg.refused(msg.KEY_VALUE_TYPE.format(name, TYPE_NAMES.get(kind, kind)))
    expected = keys.types.get(name)
    if expected is not None and kind != expected:
        raise msg.refused(msg.KEY_TYPE_MISMATCH.format(name))


# ---- shared -----------------------------------------------------------------------------


def conjuncts(node: ast.Expr) -> list[ast.Expr]:
    """The conditions AND-ed together at the top of a WHERE clause."""
    if isinstance(node, ast.Binary) and node.op == "AND":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def _conjunction(builder: Builder, conditions: list[ast.Expr]) -> str:
    if len(conditions) == 1:
        return builder.condition(conditions[0])
    return " AND ".join(f"({builder.condition(c)})" for c in conditions)


def _equality(node: ast.Expr, names: tuple[str, ...]) -> tuple[str, ast.Expr] | None:
    """`name = value` (either way round) for one of `names`."""
    if not isinstance(node, ast.Binary) or node.op != "=":
        return None
    for path, other in ((node.left, node.right), (node.right, node.left)):
        if isinstance(path, ast.Path) and path.is_attribute and path.root in names:
            if is_value(other):
                return path.root, other
    return None


def _is_attribute(node: ast.Expr, name: str) -> bool:
    return isinstance(node, ast.Path) and node.elements == (name,)


def _names_of(conditions: list[ast.Expr]) -> frozenset[str]:
    names: set[str] = set()
    for condition in conditions:
        names |= attribute_names(condition)
    return frozenset(names)


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


def path_text(path: ast.Path) -> str:
    text = path.root
    for step in path.steps:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text
