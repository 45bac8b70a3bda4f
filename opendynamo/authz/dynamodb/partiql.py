"""The accesses of PartiQL statements (ExecuteStatement, BatchExecuteStatement,
ExecuteTransaction): PartiQLSelect/Insert/Update/Delete on the table or index each statement
reads, with its condition keys; dynamodb:LeadingKeys from the statement's plan, unbounded
(with dynamodb:FullTableScan for a SELECT) when it may reach every partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from opendynamo import errors
from opendynamo.api.dynamodb import partiql
from opendynamo.api.request.context import Context
from opendynamo.authz.access import Access
from opendynamo.authz.dynamodb.keys import common, leading
from opendynamo.authz.dynamodb.reader import Reader, ref
from opendynamo.authz.policy.conditions import UNBOUNDED
from opendynamo.model.values import Body
from opendynamo.partiql import ast
from opendynamo.partiql.values import bind_item, is_value
from opendynamo.partiql.writes import RETURN_VALUES

PARTIQL_ACTIONS: dict[type, str] = {
    ast.Select: "PartiQLSelect",
    ast.Exists: "PartiQLSelect",
    ast.Insert: "PartiQLInsert",
    ast.Update: "PartiQLUpdate",
    ast.Delete: "PartiQLDelete",
}


def statements(ctx: Context, reader: Reader, operation: str, body: Body) -> Iterator[Access]:
    if operation == "ExecuteStatement":
        entries: list[Body] = [body]
    else:
        entries = body["Statements" if operation == "BatchExecuteStatement" else
                       "TransactStatements"]  # fmt: skip
    extra = {}
    if operation == "ExecuteTransaction":
        extra = {"dynamodb:EnclosingOperation": "ExecuteTransaction"}
    for entry in entries:
        text = entry.get("Statement") if isinstance(entry, dict) else None
        if not isinstance(text, str):
            continue  # the operation refuses it before it touches any table
        try:
            prepared = partiql.prepare(text, entry.get("Parameters"))
        except errors.DynamoError:
            continue  # likewise
        yield _statement(ctx, reader, prepared, body, extra)


def _statement(
    ctx: Context, reader: Reader, prepared: partiql.Prepared, body: Body, extra: dict[str, Any]
) -> Access:
    statement = prepared.statement
    action = f"dynamodb:{PARTIQL_ACTIONS[type(statement)]}"
    select = statement.select if isinstance(statement, ast.Exists) else statement
    source = select.source
    table = ref(ctx, source.table)
    resource = table.arn if source.index is None else table.index_arn(source.index)
    if not reader.full:
        return Access(action, resource, table)
    context = common(body) | extra
    names = set(_partiql_paths(statement))
    meta = reader.table(table)
    if meta is not None:
        hash_keys, partitions = partiql.reached(prepared, meta)
        if partitions is None:
            context["dynamodb:LeadingKeys"] = UNBOUNDED
            if isinstance(statement, ast.Select):
                context["dynamodb:FullTableScan"] = True
        else:
            context["dynamodb:LeadingKeys"] = leading(partitions, hash_keys)
    if isinstance(statement, ast.Insert):
        names |= set(_inserted_names(prepared))
    if isinstance(statement, ast.Update | ast.Delete) and statement.returning is not None:
        context["dynamodb:ReturnValues"] = RETURN_VALUES[statement.returning]
    if isinstance(statement, ast.Select) and statement.projection is None:
        context["dynamodb:Select"] = "ALL_ATTRIBUTES"
    context["dynamodb:Attributes"] = sorted(names)
    return Access(action, resource, table, context)


def _inserted_names(prepared: partiql.Prepared) -> Iterable[str]:
    statement = prepared.statement
    assert isinstance(statement, ast.Insert)
    if not is_value(statement.value):
        return ()
    try:
        return bind_item(statement.value, prepared.params)
    except errors.DynamoError:
        return ()


def _partiql_paths(node: Any) -> Iterator[str]:
    if isinstance(node, ast.Path):
        yield node.root
    elif isinstance(node, tuple | list):
        for child in node:
            yield from _partiql_paths(child)
    elif hasattr(node, "__dataclass_fields__") and not isinstance(node, ast.Source):
        for name in node.__dataclass_fields__:
            yield from _partiql_paths(getattr(node, name))
