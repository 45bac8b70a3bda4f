"""What a DynamoDB request asks permission for: one IAM request per action and resource, with
DynamoDB's condition keys (auth.md B.4), computed before the operation runs so that a refused
request reads and writes nothing.

- Item operations act on their table; Query and Scan with IndexName on the index's ARN.
- TransactWriteItems and TransactGetItems ask for the per-item actions (PutItem, UpdateItem,
  DeleteItem, ConditionCheckItem, GetItem) with dynamodb:EnclosingOperation; PartiQL asks for
  PartiQLSelect/Insert/Update/Delete, ExecuteTransaction with EnclosingOperation too.
- BatchGetItem and BatchWriteItem are actions of their own, asked once per table.
- dynamodb:LeadingKeys holds every partition-key value touched (absent for a Scan);
  dynamodb:Attributes every top-level attribute named (keys, items, expressions, projections).
  A read that names no projection asks for every attribute: dynamodb:Select is then
  ALL_ATTRIBUTES (ALL_PROJECTED_ATTRIBUTES on an index), so an attribute allow-list with
  `StringEqualsIfExists {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}` refuses it, as on AWS.
- A TableName may be a table ARN: the table then lives in the ARN's account and region.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opendynamo.api.common import Body
from opendynamo.api.context import Context
from opendynamo.api.expressions import compile_request
from opendynamo.engine import catalog
from opendynamo.engine.catalog import TableMeta
from opendynamo.expr import ast as expr_ast
from opendynamo.expr.names import attribute_names
from opendynamo.partiql import ast
from opendynamo.partiql.parser import parse
from opendynamo.partiql.plan import conjuncts
from opendynamo.partiql.values import bind, bind_item, is_value
from opendynamo.storage.base import ReadTxn

TABLE_ACTIONS = frozenset(
    {
        "CreateTable",
        "DescribeTable",
        "UpdateTable",
        "DeleteTable",
        "DescribeTimeToLive",
        "UpdateTimeToLive",
        "DescribeContinuousBackups",
        "UpdateContinuousBackups",
        "DescribeContributorInsights",
        "UpdateContributorInsights",
        "DescribeKinesisStreamingDestination",
        "DescribeTableReplicaAutoScaling",
        "UpdateTableReplicaAutoScaling",
        "CreateBackup",
        "ExportTableToPointInTime",
    }
)
ARN_ACTIONS = frozenset(
    {
        "TagResource",
        "UntagResource",
        "ListTagsOfResource",
        "PutResourcePolicy",
        "GetResourcePolicy",
        "DeleteResourcePolicy",
    }
)
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
PARTIQL_ACTIONS = {
    ast.Select: "PartiQLSelect",
    ast.Insert: "PartiQLInsert",
    ast.Update: "PartiQLUpdate",
    ast.Delete: "PartiQLDelete",
}


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table as a request names it: by name in the caller's namespace, or by ARN."""

    account: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"


@dataclass(frozen=True, slots=True)
class Access:
    """One permission a request needs: `table` is the table whose resource policy applies."""

    action: str
    resource: str
    table: TableRef | None
    context: dict[str, Any] = field(default_factory=dict)
    resource_policy: str | None = None  # the table's, when it has one


def table_ref(ctx: Context, name: str) -> TableRef:
    if name.startswith("arn:"):
        return TableRef(*catalog.split_table_arn(name))
    return TableRef(ctx.account, ctx.region, name)


def accesses(ctx: Context, operation: str, body: Body) -> list[Access]:
    """Every permission `operation` with `body` needs, in the order AWS would check them,
    each with its table's resource policy (all tables read in one transaction)."""
    with ctx.store.read() as txn:
        metas = _Metas(txn)
        needed = _accesses(ctx, metas, operation, body)
        return [
            dataclasses.replace(access, resource_policy=_policy(metas.get(access.table)))
            if access.table is not None
            else access
            for access in needed
        ]


class _Metas:
    """The tables a request names, each read once."""

    def __init__(self, txn: ReadTxn) -> None:
        self._txn = txn
        self._found: dict[TableRef, TableMeta | None] = {}

    def get(self, table: TableRef) -> TableMeta | None:
        if table not in self._found:
            self._found[table] = catalog.find_table(
                self._txn, table.account, table.region, table.name
            )
        return self._found[table]


def _policy(meta: TableMeta | None) -> str | None:
    return None if meta is None else meta.resource_policy


def _accesses(ctx: Context, metas: _Metas, operation: str, body: Body) -> list[Access]:
    if operation in ITEM_OPERATIONS:
        return [_item(ctx, metas, operation, body)]
    if operation in ("Query", "Scan"):
        return [_read(ctx, metas, operation, body)]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return list(_batch(ctx, metas, operation, body))
    if operation == "TransactWriteItems":
        return [_transact_write(ctx, metas, entry) for entry in body["TransactItems"]]
    if operation == "TransactGetItems":
        enclosing = {"dynamodb:EnclosingOperation": "TransactGetItems"}
        return [
            _item(ctx, metas, "GetItem", entry["Get"], enclosing) for entry in body["TransactItems"]
        ]
    if operation == "ExecuteStatement":
        return [_statement(ctx, metas, body["Statement"], body.get("Parameters"), body)]
    if operation == "BatchExecuteStatement":
        return [
            _statement(ctx, metas, entry["Statement"], entry.get("Parameters"), body)
            for entry in body["Statements"]
        ]
    if operation == "ExecuteTransaction":
        enclosing = {"dynamodb:EnclosingOperation": "ExecuteTransaction"}
        return [
            _statement(ctx, metas, entry["Statement"], entry.get("Parameters"), body, enclosing)
            for entry in body["TransactStatements"]
        ]
    if operation in ARN_ACTIONS:
        arn = str(body["ResourceArn"])
        table = table_ref(ctx, arn) if ":table/" in arn else None
        return [Access(f"dynamodb:{operation}", arn, table)]
    if operation == "ExportTableToPointInTime":
        table = table_ref(ctx, body["TableArn"])
        return [Access(f"dynamodb:{operation}", table.arn, table)]
    if operation == "ImportTable":
        table = table_ref(ctx, body["TableCreationParameters"]["TableName"])
        return [Access(f"dynamodb:{operation}", table.arn, table)]
    if operation in ("DescribeExport", "DescribeImport"):
        member = "ExportArn" if operation == "DescribeExport" else "ImportArn"
        return [Access(f"dynamodb:{operation}", body[member], None)]
    if operation in ("DescribeBackup", "DeleteBackup"):
        return [Access(f"dynamodb:{operation}", body["BackupArn"], None)]
    if operation in ("RestoreTableFromBackup", "RestoreTableToPointInTime"):
        # The backup (or the source table), then the table the restore creates.
        action = f"dynamodb:{operation}"
        target = table_ref(ctx, body["TargetTableName"])
        if operation == "RestoreTableFromBackup":
            return [Access(action, body["BackupArn"], None), Access(action, target.arn, target)]
        source = table_ref(ctx, body.get("SourceTableArn") or body.get("SourceTableName") or "")
        return [Access(action, source.arn, source), Access(action, target.arn, target)]
    if operation in TABLE_ACTIONS and "TableName" in body:
        table = table_ref(ctx, body["TableName"])
        return [Access(f"dynamodb:{operation}", table.arn, table)]
    return [Access(f"dynamodb:{operation}", "*", None)]


# --- single items --------------------------------------------------------------------------

ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})


def _item(
    ctx: Context, metas: _Metas, operation: str, body: Body, extra: dict[str, Any] | None = None
) -> Access:
    table = table_ref(ctx, body["TableName"])
    meta = metas.get(table)
    record = body.get("Item") if operation == "PutItem" else body.get("Key")
    names = set(record or ())
    kind = "DeleteItem" if operation == "ConditionCheckItem" else operation
    names |= _expression_names(body, kind)
    context = _common(body) | (extra or {})
    if meta is not None and record is not None:
        context["dynamodb:LeadingKeys"] = _leading([record], meta.hash_key)
    context["dynamodb:Attributes"] = sorted(names)
    if operation == "GetItem" and not _projects(body):
        context["dynamodb:Select"] = "ALL_ATTRIBUTES"
    return Access(f"dynamodb:{operation}", table.arn, table, context)


def _transact_write(ctx: Context, metas: _Metas, entry: Body) -> Access:
    kind, body = next(iter(entry.items()))
    enclosing = {"dynamodb:EnclosingOperation": "TransactWriteItems"}
    return _item(ctx, metas, TRANSACT_ACTIONS[kind], body, enclosing)


# --- Query and Scan ------------------------------------------------------------------------


def _read(ctx: Context, metas: _Metas, operation: str, body: Body) -> Access:
    table = table_ref(ctx, body["TableName"])
    index_name = body.get("IndexName")
    resource = table.arn if index_name is None else f"{table.arn}/index/{index_name}"
    context = _common(body)
    compiled = compile_request(body, operation)
    names = attribute_names(
        compiled.condition, compiled.filter, compiled.key_condition, compiled.projection
    )
    names |= set(body.get("AttributesToGet") or ())
    context["dynamodb:Attributes"] = sorted(names)
    if "Select" not in body and not _projects(body):
        context["dynamodb:Select"] = (
            "ALL_ATTRIBUTES" if index_name is None else "ALL_PROJECTED_ATTRIBUTES"
        )
    meta = metas.get(table)
    if operation == "Query" and meta is not None and compiled.key_condition is not None:
        hash_keys = _hash_keys(meta, index_name)
        values = list(_equalities(compiled.key_condition, hash_keys))
        if values:
            context["dynamodb:LeadingKeys"] = values
    return Access(f"dynamodb:{operation}", resource, table, context)


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
                yield _key_text(value.value)


# --- batches -------------------------------------------------------------------------------


def _batch(ctx: Context, metas: _Metas, operation: str, body: Body) -> Iterator[Access]:
    for name, request in body["RequestItems"].items():
        table = table_ref(ctx, name)
        meta = metas.get(table)
        context = _common(body)
        if operation == "BatchGetItem":
            records = list(request.get("Keys") or ())
            names = _expression_names(request, "BatchGetItem")
            if not _projects(request):
                context["dynamodb:Select"] = "ALL_ATTRIBUTES"
        else:
            records = [
                next(iter(write.values())).get("Item") or next(iter(write.values())).get("Key")
                for write in request
            ]
            names = set()
        for record in records:
            names |= set(record or ())
        context["dynamodb:Attributes"] = sorted(names)
        if meta is not None:
            context["dynamodb:LeadingKeys"] = _leading(records, meta.hash_key)
        yield Access(f"dynamodb:{operation}", table.arn, table, context)


# --- PartiQL -------------------------------------------------------------------------------


def _statement(
    ctx: Context,
    metas: _Metas,
    text: str,
    parameters: Any,
    body: Body,
    extra: dict[str, Any] | None = None,
) -> Access:
    from opendynamo.model.values import normalize_value

    statement = parse(text).statement
    action = PARTIQL_ACTIONS.get(type(statement), "PartiQLSelect")
    source: ast.Source = statement.source  # type: ignore[union-attr]
    table = table_ref(ctx, source.table)
    resource = table.arn if source.index is None else f"{table.arn}/index/{source.index}"
    params = [normalize_value(value) for value in parameters or ()]
    context = _common(body) | (extra or {})
    names = set(_partiql_paths(statement))
    meta = metas.get(table)
    if meta is not None:
        keys = list(_partiql_keys(statement, params, _hash_keys(meta, source.index)))
        if keys:
            context["dynamodb:LeadingKeys"] = keys
        elif isinstance(statement, ast.Select):
            context["dynamodb:FullTableScan"] = True
    if isinstance(statement, ast.Insert) and is_value(statement.value):
        names |= set(bind_item(statement.value, params))
    if isinstance(statement, ast.Select) and statement.projection is None:
        context["dynamodb:Select"] = "ALL_ATTRIBUTES"
    context["dynamodb:Attributes"] = sorted(names)
    return Access(f"dynamodb:{action}", resource, table, context)


def _partiql_paths(node: Any) -> Iterator[str]:
    if isinstance(node, ast.Path):
        yield node.root
    elif isinstance(node, tuple | list):
        for child in node:
            yield from _partiql_paths(child)
    elif hasattr(node, "__dataclass_fields__") and not isinstance(node, ast.Source):
        for name in node.__dataclass_fields__:
            yield from _partiql_paths(getattr(node, name))


def _partiql_keys(statement: Any, params: list[Any], hash_keys: tuple[str, ...]) -> Iterator[str]:
    if isinstance(statement, ast.Insert):
        if is_value(statement.value):
            item = bind_item(statement.value, params)
            yield from (_key_text(item[name]) for name in hash_keys if name in item)
        return
    where = getattr(statement, "where", None)
    for condition in conjuncts(where) if where is not None else ():
        if isinstance(condition, ast.Binary) and condition.op == "=":
            for path, value in (
                (condition.left, condition.right),
                (condition.right, condition.left),
            ):
                if (
                    isinstance(path, ast.Path)
                    and not path.steps
                    and path.root in hash_keys
                    and is_value(value)
                ):
                    yield _key_text(bind(value, params))


# --- shared --------------------------------------------------------------------------------


def _common(body: Body) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for member in ("Select", "ReturnValues", "ReturnConsumedCapacity"):
        if body.get(member) is not None:
            context[f"dynamodb:{member}"] = body[member]
    return context


def _projects(body: Body) -> bool:
    return bool(body.get("ProjectionExpression") or body.get("AttributesToGet"))


def _expression_names(body: Body, operation: str) -> set[str]:
    compiled = compile_request(body, operation)
    names = attribute_names(compiled.condition, compiled.filter, compiled.projection)
    if compiled.update is not None:
        names |= attribute_names(compiled.update)
    return names | set(body.get("AttributesToGet") or ())


def _leading(records: Iterable[Any], hash_key: str) -> list[str]:
    return sorted(
        {_key_text(record[hash_key]) for record in records if record and hash_key in record}
    )


def _key_text(value: Any) -> str:
    """A key value as IAM compares it: the string, the number's text, or base64 of binary."""
    kind, raw = next(iter(value.items()))
    if kind == "B" and isinstance(raw, bytes):
        return base64.b64encode(raw).decode()
    return str(raw)
