"""The accesses of item requests, with their condition keys (dynamodb:LeadingKeys,
Attributes, Select, ReturnValues, ...): single items, the per-item actions of
TransactWriteItems and TransactGetItems, Query and Scan (on the index's ARN with IndexName),
and BatchGetItem and BatchWriteItem once per table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opendynamo.api.request.context import Context
from opendynamo.api.request.expressions import compile_request
from opendynamo.authz.access import Access, key_text
from opendynamo.authz.dynamodb.keys import common, expression_names, leading, projects
from opendynamo.authz.dynamodb.reader import Reader, ref
from opendynamo.authz.dynamodb.specs import TRANSACT_ACTIONS
from opendynamo.engine.catalog import TableMeta
from opendynamo.expr import ast as expr_ast
from opendynamo.expr.names import attribute_names
from opendynamo.model.values import Body

# --- single items --------------------------------------------------------------------------


def item(
    ctx: Context, reader: Reader, operation: str, body: Body, extra: dict[str, Any] | None = None
) -> Access:
    table = ref(ctx, body["TableName"])
    action = f"dynamodb:{operation}"
    if not reader.full:
        return Access(action, table.arn, table)
    meta = reader.table(table)
    record = body.get("Item") if operation == "PutItem" else body.get("Key")
    names = set(record or ())
    kind = "DeleteItem" if operation == "ConditionCheckItem" else operation
    names |= expression_names(body, kind)
    context = common(body) | (extra or {})
    if meta is not None and record is not None:
        context["dynamodb:LeadingKeys"] = leading([record], (meta.hash_key,))
    context["dynamodb:Attributes"] = sorted(names)
    if operation == "GetItem" and not projects(body):
        context["dynamodb:Select"] = "ALL_ATTRIBUTES"
    return Access(action, table.arn, table, context)


def transact(ctx: Context, reader: Reader, operation: str, entries: list[Any]) -> Iterator[Access]:
    """Each element's per-item action; an element without one (the operation refuses the
    request for it) asks for nothing."""
    enclosing = {"dynamodb:EnclosingOperation": operation}
    kinds = TRANSACT_ACTIONS if operation == "TransactWriteItems" else {"Get": "GetItem"}
    for entry in entries:
        for kind, body in (entry or {}).items():
            if kind in kinds and isinstance(body, dict) and isinstance(body.get("TableName"), str):
                yield item(ctx, reader, kinds[kind], body, enclosing)


# --- Query and Scan ------------------------------------------------------------------------


def read(ctx: Context, reader: Reader, operation: str, body: Body) -> Access:
    table = ref(ctx, body["TableName"])
    index_name = body.get("IndexName")
    resource = table.arn if index_name is None else table.index_arn(index_name)
    action = f"dynamodb:{operation}"
    if not reader.full:
        return Access(action, resource, table)
    context = common(body)
    compiled = compile_request(body, operation)
    names = attribute_names(
        compiled.condition, compiled.filter, compiled.key_condition, compiled.projection
    )
    names |= set(body.get("AttributesToGet") or ())
    context["dynamodb:Attributes"] = sorted(names)
    if "Select" not in body and not projects(body):
        context["dynamodb:Select"] = (
            "ALL_ATTRIBUTES" if index_name is None else "ALL_PROJECTED_ATTRIBUTES"
        )
    meta = reader.table(table)
    if operation == "Query" and meta is not None and compiled.key_condition is not None:
        values = list(_equalities(compiled.key_condition, _hash_keys(meta, index_name)))
        if values:
            context["dynamodb:LeadingKeys"] = values
    return Access(action, resource, table, context)


def _hash_keys(meta: TableMeta, index_name: str | None) -> tuple[str, ...]:
    for index in meta.indexes:
        if index.name == index_name:
            return index.hash_keys
    return (meta.hash_key,)


def _equalities(node: Any, names: tuple[str, ...]) -> Iterator[str]:
    """Values the key condition pins a partition-key attribute to (`pk = :v`)."""
    if isinstance(node, expr_ast.And):
        yield from _equalities(node.left, names)
        yield from _equalities(node.right, names)
    elif isinstance(node, expr_ast.Compare) and node.op == "=":
        for path, value in ((node.left, node.right), (node.right, node.left)):
            if (
                isinstance(path, expr_ast.Path)
                and len(path.elements) == 1
                and path.elements[0] in names
                and isinstance(value, expr_ast.Literal)
            ):
                yield key_text(value.value)


# --- batches -------------------------------------------------------------------------------


def batch(ctx: Context, reader: Reader, operation: str, body: Body) -> Iterator[Access]:
    action = f"dynamodb:{operation}"
    for name, request in body["RequestItems"].items():
        table = ref(ctx, name)
        if not reader.full:
            yield Access(action, table.arn, table)
            continue
        context = common(body)
        if operation == "BatchGetItem":
            request = request if isinstance(request, dict) else {}
            records = list(request.get("Keys") or ())
            names = expression_names(request, "BatchGetItem")
            if not projects(request):
                context["dynamodb:Select"] = "ALL_ATTRIBUTES"
        else:
            writes = [
                change
                for write in request or ()
                if isinstance(write, dict)
                for change in write.values()
                if isinstance(change, dict)
            ]
            records = [write.get("Item") or write.get("Key") for write in writes]
            names = set()
        for record in records:
            names |= set(record or ())
        context["dynamodb:Attributes"] = sorted(names)
        meta = reader.table(table)
        if meta is not None:
            context["dynamodb:LeadingKeys"] = leading(records, (meta.hash_key,))
        yield Access(action, table.arn, table, context)
