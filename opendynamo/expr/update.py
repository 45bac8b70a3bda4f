"""Pure application of a resolved UpdateExpression: `apply_update(tree, old) -> new`.

The engine may run an update twice (a storage conflict retries the transaction), so this never
mutates its input or the tree: containers along the written paths are copied, written values are
deep-copied, untouched sub-values are shared with the input (treat values as immutable).

DynamoDB's semantics, as dynalite's tests against DynamoDB show them:
- every SET value is computed from the item as it was before the update (`SET a = b, b = a`
  swaps);
- list indexes refer to positions before the update: REMOVE a[1], a[2] removes both original
  elements; SET/ADD on an index past the end appends, several in index order;
- writing below a missing parent, or a name below a non-map / an index below a non-list, is
  "The document path provided in the update expression is invalid for update" (REMOVE too);
- ADD adds numbers (missing starts at 0) or unions sets (missing creates the set); DELETE removes
  set members and removes the attribute when the set becomes empty;
- errors are reported in DynamoDB's order: a parent of the wrong type, then wrong operand types,
  then - section by section from the last - a missing parent, then a missing attribute a SET
  reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from opendynamo import errors
from opendynamo.expr import compare
from opendynamo.expr.ast import (
    Action,
    AddAction,
    Arith,
    AttributeValue,
    Call,
    DocPath,
    Item,
    Literal,
    Operand,
    Path,
    PathElement,
    RemoveAction,
    SetAction,
    UpdateExpression,
    resolved_elements,
)
from opendynamo.expr.evaluate import lookup
from opendynamo.model import numbers

INVALID_PATH = "The document path provided in the update expression is invalid for update"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"
MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"


class _Remove:
    """Marker for a write that removes the value."""


REMOVE: Final = _Remove()


class _Missing(Exception):
    """A SET operand refers to an attribute the item lacks (reported after path errors)."""


@dataclass(slots=True)
class _Node:
    """One step of the tree of writes: either a write here, or writes below."""

    write: AttributeValue | _Remove | None = None
    children: dict[PathElement, _Node] = field(default_factory=dict)


def apply_update(tree: UpdateExpression, item: Item | None) -> Item:
    """The item after applying a resolved update to `item` (None or {} for a new item; the
    caller supplies the key attributes of a new item). Raises DynamoDB's ValidationExceptions."""
    old: Item = item or {}
    planned: list[tuple[int, Action, DocPath]] = [
        (index, action, resolved_elements(action.path))
        for index, clause in enumerate(tree.clauses)
        for action in clause.actions
    ]
    for _, _, path in planned:
        if len(path) > 1:
            parent = lookup(old, path[:-1])
            if parent is not None and not _fits(parent, path[-1]):
                raise errors.validation(INVALID_PATH)
    writes: list[tuple[DocPath, AttributeValue | _Remove]] = []
    missing: set[int] = set()
    for position, (_, action, path) in enumerate(planned):
        try:
            write = _compute(action, path, old)
        except _Missing:
            missing.add(position)
            continue
        if write is not None:
            writes.append((path, write))
    for clause_index in reversed(range(len(tree.clauses))):
        in_clause = [p for p, (c, _, _) in enumerate(planned) if c == clause_index]
        for position in in_clause:
            if not _writable(old, planned[position][2]):
                raise errors.validation(INVALID_PATH)
        if any(position in missing for position in in_clause):
            raise errors.validation(MISSING_ATTRIBUTE)
    return _apply_writes(old, writes)


def updated_item(tree: UpdateExpression | None, item: Item | None, key: Item) -> Item | None:
    """The item an UpdateItem leaves at `key`: the resolved update applied to `item`, or to a
    new item of just the key attributes where there is none (no update at all - an empty
    AttributeUpdates - still creates it). None, and nothing written, when the item is missing
    and the update only removes: DynamoDB then creates no item, and a REMOVE of a nested path
    is not refused for its missing parent (ScyllaDB's test_item.py::
    test_update_item_non_existent and test_update_expression.py::
    test_nested_attribute_remove_from_missing_item, run against DynamoDB)."""
    if item is None:
        if tree is not None and tree.removes_only:
            return None
        item = dict(key)
    return item if tree is None else apply_update(tree, item)


def _fits(parent: AttributeValue, element: PathElement) -> bool:
    """Whether `element` can address into `parent`: a name into a map, an index into a list."""
    return "L" in parent if isinstance(element, int) else "M" in parent


def _writable(item: Item, path: DocPath) -> bool:
    if len(path) == 1:
        return True
    parent = lookup(item, path[:-1])
    return parent is not None and _fits(parent, path[-1])


def _compute(action: Action, path: DocPath, old: Item) -> AttributeValue | _Remove | None:
    """What the action writes at its path, computed from the old item (None: nothing)."""
    if isinstance(action, SetAction):
        return copy_value(set_value(action.value, old))
    if isinstance(action, RemoveAction):
        return REMOVE
    assert isinstance(action.value, Literal)
    operand = action.value.value
    current = lookup(old, path) if _writable(old, path) else None
    if isinstance(action, AddAction):
        return _add(current, operand)
    return _delete(current, operand)


def set_value(operand: Operand, item: Item) -> AttributeValue:
    """The value of a SET right-hand side, computed from `item`."""
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, Path):
        value = lookup(item, operand.elements)
        if value is None:
            raise _Missing()
        return value
    if isinstance(operand, Arith):
        left = _typed(set_value(operand.left, item), "N")
        right = _typed(set_value(operand.right, item), "N")
        combine = numbers.add if operand.op == "+" else numbers.subtract
        return {"N": combine(left["N"], right["N"])}
    if isinstance(operand, Call) and operand.name == "if_not_exists":
        assert isinstance(operand.args[0], Path)
        existing = lookup(item, operand.args[0].elements)
        return existing if existing is not None else set_value(operand.args[1], item)
    if isinstance(operand, Call) and operand.name == "list_append":
        first = _typed(set_value(operand.args[0], item), "L")
        second = _typed(set_value(operand.args[1], item), "L")
        return {"L": [*first["L"], *second["L"]]}
    raise TypeError(f"cannot compute SET value {operand!r}")


def _typed(value: AttributeValue, kind: str) -> AttributeValue:
    if kind not in value:
        raise errors.validation(WRONG_TYPE)
    return value


def _add(current: AttributeValue | None, operand: AttributeValue) -> AttributeValue:
    kind = compare.type_of(operand)
    if current is None:
        return copy_value(operand)
    if compare.type_of(current) != kind:
        raise errors.validation(WRONG_TYPE)
    if kind == "N":
        return {"N": numbers.add(current["N"], operand["N"])}
    return {kind: _union(kind, current[kind], operand[kind])}


def _delete(
    current: AttributeValue | None, operand: AttributeValue
) -> AttributeValue | _Remove | None:
    if current is None:
        return None
    kind = compare.type_of(operand)
    if compare.type_of(current) != kind:
        raise errors.validation(WRONG_TYPE)
    doomed = {_member_key(kind, member) for member in operand[kind]}
    kept = [member for member in current[kind] if _member_key(kind, member) not in doomed]
    return {kind: kept} if kept else REMOVE


def _union(kind: str, members: list[str], extra: list[str]) -> list[str]:
    seen = {_member_key(kind, member) for member in members}
    result = list(members)
    for member in extra:
        key = _member_key(kind, member)
        if key not in seen:
            seen.add(key)
            result.append(member)
    return result


def _member_key(kind: str, member: str) -> str | bytes:
    # Numbers are canonical text already; binaries compare by their bytes.
    return compare.decode_binary(member) if kind == "BS" else member


def copy_value(value: AttributeValue) -> AttributeValue:
    """A deep copy of an attribute value (only containers need copying)."""
    kind = compare.type_of(value)
    payload: Any = value[kind]
    if kind == "M":
        return {"M": {key: copy_value(member) for key, member in payload.items()}}
    if kind == "L":
        return {"L": [copy_value(member) for member in payload]}
    if kind in ("SS", "NS", "BS"):
        return {kind: list(payload)}
    return {kind: payload}


def _apply_writes(old: Item, writes: list[tuple[DocPath, AttributeValue | _Remove]]) -> Item:
    root = _Node()
    for path, write in writes:
        node = root
        for element in path:
            node = node.children.setdefault(element, _Node())
        node.write = write
    new_item = dict(old)
    for name, child in root.children.items():
        assert isinstance(name, str)
        result = _apply_node(old.get(name), child)
        if isinstance(result, _Remove):
            new_item.pop(name, None)
        else:
            new_item[name] = result
    return new_item


def _apply_node(old: AttributeValue | None, node: _Node) -> AttributeValue | _Remove:
    if node.write is not None:
        return node.write
    assert old is not None  # parents of nested writes were checked to exist
    if "M" in old:
        entries = dict(old["M"])
        for key, child in node.children.items():
            result = _apply_node(entries.get(str(key)), child)
            if isinstance(result, _Remove):
                entries.pop(str(key), None)
            else:
                entries[str(key)] = result
        return {"M": entries}
    return {"L": _apply_list(old["L"], node)}


def _apply_list(members: list[AttributeValue], node: _Node) -> list[AttributeValue]:
    updated = list(members)
    removed: set[int] = set()
    appended: list[tuple[int, AttributeValue]] = []
    for index, child in node.children.items():
        assert isinstance(index, int)
        if index < len(members):
            result = _apply_node(members[index], child)
            if isinstance(result, _Remove):
                removed.add(index)
            else:
                updated[index] = result
        elif isinstance(child.write, dict):
            appended.append((index, child.write))
    kept = [member for position, member in enumerate(updated) if position not in removed]
    return kept + [value for _, value in sorted(appended, key=lambda pair: pair[0])]
