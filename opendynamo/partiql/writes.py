"""INSERT, UPDATE, DELETE and EXISTS -> the PutItem, UpdateItem, DeleteItem or ConditionCheck
request that runs each (plain data, no I/O).

INSERT is a PutItem conditioned on the key not existing yet; UPDATE an UpdateItem conditioned
on the item existing; DELETE a DeleteItem. The WHERE of a write must hold equality on every
key attribute; the rest of it becomes the write's condition. EXISTS (in ExecuteTransaction)
is a ConditionCheck that holds when the item exists and meets the rest of its WHERE.
"""

from __future__ import annotations

from collections.abc import Sequence

from opendynamo.expr.ast import (
    Action,
    AddAction,
    And,
    Call,
    Condition,
    DeleteAction,
    Or,
    RemoveAction,
    SetAction,
)
from opendynamo.model.values import AttributeValue, Body
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.plan import Keys, Request, WritePlan, check_key_value, full_key
from opendynamo.partiql.translate import Builder, update_tree
from opendynamo.partiql.values import bind_item

RETURN_VALUES = {
    "ALL OLD": "ALL_OLD",
    "MODIFIED OLD": "UPDATED_OLD",
    "ALL NEW": "ALL_NEW",
    "MODIFIED NEW": "UPDATED_NEW",
}


def plan_write(
    statement: ast.Insert | ast.Update | ast.Delete, params: Sequence[AttributeValue], keys: Keys
) -> WritePlan:
    if isinstance(statement, ast.Insert):
        return _insert(statement, params, keys)
    if isinstance(statement, ast.Update):
        return _update(statement, params, keys)
    return _delete(statement, params, keys)


def plan_exists(exists: ast.Exists, params: Sequence[AttributeValue], keys: Keys) -> Request:
    """EXISTS(SELECT ... WHERE <full key> AND <condition>) -> a ConditionCheck that holds when
    the item exists and meets the condition."""
    select = exists.select
    if select.where is None:
        raise msg.refused(msg.EXISTS_SHAPE)
    key, rest = full_key(select.where, params, keys, msg.EXISTS_SHAPE)
    if not rest:
        raise msg.refused(msg.EXISTS_SHAPE)
    builder = Builder(params)
    present = Call("attribute_exists", (builder.attribute(keys.hash_keys[0]),))
    condition = And(present, builder.conjunction(rest))
    body: Body = {"TableName": select.source.table, "Key": key}
    return Request(body, builder.expressions(condition=condition))


def _insert(statement: ast.Insert, params: Sequence[AttributeValue], keys: Keys) -> WritePlan:
    item = bind_item(statement.value, params)
    for name in keys.names:
        if name not in item:
            raise msg.refused(msg.KEY_ABSENT.format(name))
        check_key_value(name, item[name], keys)
    builder = Builder(params)
    absent = Call("attribute_not_exists", (builder.attribute(keys.hash_keys[0]),))
    body: Body = {"TableName": statement.source.table, "Item": item}
    return WritePlan("PutItem", Request(body, builder.expressions(condition=absent)))


def _update(statement: ast.Update, params: Sequence[AttributeValue], keys: Keys) -> WritePlan:
    if statement.where is None:
        raise msg.refused(msg.INCOMPLETE_KEY)
    key, rest = full_key(statement.where, params, keys, msg.INCOMPLETE_KEY)
    builder = Builder(params)
    sections: dict[str, list[Action]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
    for action in statement.actions:
        if isinstance(action, ast.RemovePath):
            sections["REMOVE"].append(RemoveAction(builder.path(action.target)))
            continue
        value = action.value
        if isinstance(value, ast.Call) and value.name in ("set_add", "set_delete"):
            operand = builder.set_function(action.target, value)
            target = builder.path(action.target)
            if value.name == "set_add":
                sections["ADD"].append(AddAction(target, operand))
            else:
                sections["DELETE"].append(DeleteAction(target, operand))
        else:
            target = builder.path(action.target)
            sections["SET"].append(SetAction(target, builder.set_value(value)))
    update = update_tree(sections)
    condition: Condition = Call("attribute_exists", (builder.attribute(keys.hash_keys[0]),))
    if rest:
        condition = And(condition, builder.conjunction(rest))
    body: Body = {"TableName": statement.source.table, "Key": key}
    if statement.returning is not None:
        body["ReturnValues"] = RETURN_VALUES[statement.returning]
    trees = builder.expressions(update=update, condition=condition)
    return WritePlan("UpdateItem", Request(body, trees))


def _delete(statement: ast.Delete, params: Sequence[AttributeValue], keys: Keys) -> WritePlan:
    if statement.returning is not None and statement.returning != "ALL OLD":
        raise msg.refused(msg.DELETE_RETURNING.format(f"{statement.returning} *"))
    if statement.where is None:
        raise msg.refused(msg.INCOMPLETE_KEY)
    key, rest = full_key(statement.where, params, keys, msg.INCOMPLETE_KEY)
    body: Body = {"TableName": statement.source.table, "Key": key}
    if statement.returning is not None:
        body["ReturnValues"] = "ALL_OLD"
    if not rest:
        return WritePlan("DeleteItem", Request(body))
    builder = Builder(params)
    # A missing item is deleted silently: only an existing one must meet the condition.
    absent = Call("attribute_not_exists", (builder.attribute(keys.hash_keys[0]),))
    condition = Or(absent, builder.conjunction(rest))
    return WritePlan("DeleteItem", Request(body, builder.expressions(condition=condition)))
