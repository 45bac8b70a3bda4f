"""What a DynamoDB or DynamoDB Streams request asks permission for: one `Access` per action
and resource, with DynamoDB's condition keys (auth.md B.4), resolved from the decoded request
before the operation runs, so that a refused request reads and writes nothing.

- Every name of a table, stream, backup, export or import is resolved here, with the parsers
  of `engine/arns`, to the ref the operation will then be granted; an ARN names its own
  account and region, and the resource is authorized there.
- Item operations act on their table; Query and Scan with IndexName on the index's ARN.
- TransactWriteItems and TransactGetItems ask for the per-item actions (PutItem, UpdateItem,
  DeleteItem, ConditionCheckItem, GetItem) with dynamodb:EnclosingOperation; PartiQL asks for
  PartiQLSelect/Insert/Update/Delete (an EXISTS check is a PartiQLSelect), ExecuteTransaction
  with EnclosingOperation too.
- BatchGetItem and BatchWriteItem are actions of their own, asked once per table.
- dynamodb:LeadingKeys holds every partition-key value touched (absent for a Scan). A PartiQL
  statement's come from its plan (`api/partiql.reached`), as it will run; one that may reach
  every partition holds an unbounded set (`iam.conditions.UNBOUNDED`), so an allow-list of
  keys does not let it through.
- dynamodb:Attributes holds every top-level attribute named (keys, items, expressions,
  projections). A read that names no projection asks for every attribute: dynamodb:Select is
  then ALL_ATTRIBUTES (ALL_PROJECTED_ATTRIBUTES on an index).
- Streams are authorized on the stream's ARN, in the account of its table; GetRecords on the
  stream its (authenticated) shard iterator reads.
- Exports write, and imports read, a bucket: s3:PutObject on the objects, s3:GetObject and
  s3:ListBucket, decided against the bucket's owner and bucket policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from opendynamo import errors
from opendynamo.api import partiql, streams
from opendynamo.api.context import Context
from opendynamo.api.expressions import compile_request
from opendynamo.authz.access import Access, Spec, key_text, tag_keys
from opendynamo.engine import arns, buckets, catalog, exports
from opendynamo.engine.arns import Kind, TableRef
from opendynamo.engine.buckets import BucketRef
from opendynamo.engine.catalog import TableMeta
from opendynamo.expr import ast as expr_ast
from opendynamo.expr.names import attribute_names
from opendynamo.iam.conditions import UNBOUNDED
from opendynamo.partiql import ast
from opendynamo.partiql.plan import RETURN_VALUES
from opendynamo.partiql.values import bind_item, is_value
from opendynamo.storage.base import ReadTxn

Body = dict[str, Any]

# --- the table of what each operation asks for ------------------------------------------

_ITEM = ("dynamodb:LeadingKeys", "dynamodb:Attributes", "dynamodb:ReturnConsumedCapacity")
_WRITE = (*_ITEM, "dynamodb:ReturnValues")
_READ = (*_ITEM, "dynamodb:Select")
_ENCLOSED = ("dynamodb:EnclosingOperation",)
_TAGGED = ("aws:ResourceTag/${TagKey}",)
_REQUEST_TAGS = ("aws:RequestTag/${TagKey}", "aws:TagKeys")
_PARTIQL = (*_WRITE, "dynamodb:Select", "dynamodb:FullTableScan")
_PARTIQL_ACTIONS = ("dynamodb:PartiQL{Select,Insert,Update,Delete}",)
_TABLE_OR_INDEX = ("table", "index")
# What a restore also asks for on the table it makes and fills (the developer guide's "read
# and write permissions on the target table").
RESTORED_TABLE_ACTIONS = tuple(
    f"dynamodb:{action}"
    for action in ("PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan",
                   "BatchWriteItem")
)  # fmt: skip

SPECS: dict[str, Spec] = {
    "CreateTable": Spec(("dynamodb:CreateTable",), ("table",), _REQUEST_TAGS),
    "DescribeTable": Spec(("dynamodb:DescribeTable",), ("table",), _TAGGED),
    "ListTables": Spec(("dynamodb:ListTables",), ("*",)),
    "UpdateTable": Spec(("dynamodb:UpdateTable",), ("table",), _TAGGED),
    "DeleteTable": Spec(("dynamodb:DeleteTable",), ("table",), _TAGGED),
    "DescribeLimits": Spec(("dynamodb:DescribeLimits",), ("*",)),
    "DescribeEndpoints": Spec(("dynamodb:DescribeEndpoints",), ("*",)),
    "TagResource": Spec(("dynamodb:TagResource",), ("table",), (*_TAGGED, *_REQUEST_TAGS)),
    "UntagResource": Spec(("dynamodb:UntagResource",), ("table",), (*_TAGGED, "aws:TagKeys")),
    "ListTagsOfResource": Spec(("dynamodb:ListTagsOfResource",), ("table",), _TAGGED),
    "GetItem": Spec(("dynamodb:GetItem",), ("table",), (*_READ, *_TAGGED)),
    "PutItem": Spec(("dynamodb:PutItem",), ("table",), (*_WRITE, *_TAGGED)),
    "UpdateItem": Spec(("dynamodb:UpdateItem",), ("table",), (*_WRITE, *_TAGGED)),
    "DeleteItem": Spec(("dynamodb:DeleteItem",), ("table",), (*_WRITE, *_TAGGED)),
    "Query": Spec(("dynamodb:Query",), _TABLE_OR_INDEX, (*_READ, *_TAGGED)),
    "Scan": Spec(
        ("dynamodb:Scan",),
        _TABLE_OR_INDEX,
        ("dynamodb:Attributes", "dynamodb:Select", "dynamodb:ReturnConsumedCapacity", *_TAGGED),
    ),  # fmt: skip
    "BatchGetItem": Spec(("dynamodb:BatchGetItem",), ("table",), (*_READ, *_TAGGED)),
    "BatchWriteItem": Spec(("dynamodb:BatchWriteItem",), ("table",), (*_ITEM, *_TAGGED)),
    "TransactWriteItems": Spec(
        ("dynamodb:{PutItem,UpdateItem,DeleteItem,ConditionCheckItem}",),
        ("table",),
        (*_WRITE, *_ENCLOSED, *_TAGGED),
    ),
    "TransactGetItems": Spec(("dynamodb:GetItem",), ("table",), (*_READ, *_ENCLOSED, *_TAGGED)),
    "ExecuteStatement": Spec(_PARTIQL_ACTIONS, _TABLE_OR_INDEX, (*_PARTIQL, *_TAGGED)),
    "BatchExecuteStatement": Spec(_PARTIQL_ACTIONS, _TABLE_OR_INDEX, (*_PARTIQL, *_TAGGED)),
    "ExecuteTransaction": Spec(
        _PARTIQL_ACTIONS, _TABLE_OR_INDEX, (*_PARTIQL, *_ENCLOSED, *_TAGGED)
    ),
    "CreateBackup": Spec(("dynamodb:CreateBackup",), ("table",), _TAGGED),
    "DescribeBackup": Spec(("dynamodb:DescribeBackup",), ("backup",)),
    "ListBackups": Spec(("dynamodb:ListBackups",), ("*",)),
    "DeleteBackup": Spec(("dynamodb:DeleteBackup",), ("backup",)),
    "RestoreTableFromBackup": Spec(
        ("dynamodb:RestoreTableFromBackup", *RESTORED_TABLE_ACTIONS), ("backup", "table"), _TAGGED
    ),
    "UpdateContinuousBackups": Spec(("dynamodb:UpdateContinuousBackups",), ("table",), _TAGGED),
    "DescribeContinuousBackups": Spec(("dynamodb:DescribeContinuousBackups",), ("table",), _TAGGED),
    "RestoreTableToPointInTime": Spec(
        ("dynamodb:RestoreTableToPointInTime", *RESTORED_TABLE_ACTIONS), ("table",), _TAGGED
    ),
    "ExportTableToPointInTime": Spec(
        ("dynamodb:ExportTableToPointInTime", "s3:PutObject"), ("table", "object"), _TAGGED
    ),
    "DescribeExport": Spec(("dynamodb:DescribeExport",), ("export",)),
    "ListExports": Spec(("dynamodb:ListExports",), ("*",)),
    "ImportTable": Spec(
        ("dynamodb:ImportTable", "s3:GetObject", "s3:ListBucket"),
        ("table", "object", "bucket"),
        (*_REQUEST_TAGS, "s3:prefix"),
    ),
    "DescribeImport": Spec(("dynamodb:DescribeImport",), ("import",)),
    "ListImports": Spec(("dynamodb:ListImports",), ("*",)),
    "UpdateTimeToLive": Spec(("dynamodb:UpdateTimeToLive",), ("table",), _TAGGED),
    "DescribeTimeToLive": Spec(("dynamodb:DescribeTimeToLive",), ("table",), _TAGGED),
    "PutResourcePolicy": Spec(("dynamodb:PutResourcePolicy",), ("table",), _TAGGED),
    "GetResourcePolicy": Spec(("dynamodb:GetResourcePolicy",), ("table",), _TAGGED),
    "DeleteResourcePolicy": Spec(("dynamodb:DeleteResourcePolicy",), ("table",), _TAGGED),
    "ListStreams": Spec(("dynamodb:ListStreams",), ("*",)),
    "DescribeStream": Spec(("dynamodb:DescribeStream",), ("stream",)),
    "GetShardIterator": Spec(("dynamodb:GetShardIterator",), ("stream",)),
    "GetRecords": Spec(("dynamodb:GetRecords",), ("stream",)),
}

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
        "CreateBackup",
    }
)
# Operations a table's resource policy can open to another account (DynamoDB's developer
# guide, "resource-based policy support": cross-account access). For every other one, a
# table of another account stays out of reach whatever its policy says.
CROSS_ACCOUNT = frozenset(
    {
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
        "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "DescribeTable",
        "UpdateTable", "DeleteTable", "ListTagsOfResource", "TagResource", "UntagResource",
        "DescribeStream", "GetRecords", "GetShardIterator",
    }
)  # fmt: skip
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
OWNED_ACTIONS: dict[str, tuple[str, Kind]] = {
    "DescribeBackup": ("BackupArn", "backup"),
    "DeleteBackup": ("BackupArn", "backup"),
    "DescribeExport": ("ExportArn", "export"),
    "DescribeImport": ("ImportArn", "import"),
    "DescribeStream": ("StreamArn", "stream"),
    "GetShardIterator": ("StreamArn", "stream"),
}
ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
PARTIQL_ACTIONS: dict[type, str] = {
    ast.Select: "PartiQLSelect",
    ast.Exists: "PartiQLSelect",
    ast.Insert: "PartiQLInsert",
    ast.Update: "PartiQLUpdate",
    ast.Delete: "PartiQLDelete",
}


# --- resolving a request ----------------------------------------------------------------


def accesses(ctx: Context, operation: str, body: Body, *, full: bool = True) -> list[Access]:
    """Every permission `operation` with `body` needs, in the order AWS would check them.
    With `full`, each carries its condition keys and its target's resource policy (tables
    read in one transaction); without, only the actions, resources and targets (no reading
    of the store but for buckets' owners), which is what the operation will be granted."""
    crosses = operation in CROSS_ACCOUNT
    reader = _Reader(ctx, full) if full or operation in _READ_BUCKETS else _TARGETS_ONLY
    with reader:
        needed = list(_accesses(ctx, reader, operation, body))
        if full:
            needed = [_with_table_facts(reader, access) for access in needed]
    if not crosses:  # a bucket's policy still speaks for its bucket
        needed = [
            a if isinstance(a.target, BucketRef) else a._replace(cross_account=False)
            for a in needed
        ]
    return needed


class _Reader:
    """The store as the resolver reads it: tables and buckets each read once, in one read
    transaction opened on first use (most requests that need no decision open none)."""

    __slots__ = ("ctx", "full", "_opened", "_txn", "_tables")

    def __init__(self, ctx: Context | None, full: bool) -> None:
        self.ctx = ctx
        self.full = full
        self._opened: AbstractContextManager[ReadTxn] | None = None
        self._txn: ReadTxn | None = None
        self._tables: dict[TableRef, TableMeta | None] = {}

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._opened is not None:
            self._opened.__exit__(*exc)

    @property
    def txn(self) -> ReadTxn:
        if self._txn is None:
            assert self.ctx is not None, "a reader made to read"
            self._opened = self.ctx.store.read()
            self._txn = self._opened.__enter__()
        return self._txn

    def table(self, ref: TableRef) -> TableMeta | None:
        if ref not in self._tables:
            self._tables[ref] = catalog.find(self.txn, ref)
        return self._tables[ref]

    def bucket(self, name: str) -> BucketRef:
        return buckets.bucket(self.txn, name)


# Without `full`, only exports and imports read the store (their bucket's owner); every other
# request shares one reader that never reads.
_READ_BUCKETS = frozenset({"ExportTableToPointInTime", "ImportTable"})
_TARGETS_ONLY = _Reader(None, False)


def _with_table_facts(reader: _Reader, access: Access) -> Access:
    """The access with what its table says: the table's resource policy (which covers its
    indexes) and its tags (aws:ResourceTag/…), for accesses to a table or an index."""
    if not isinstance(access.target, TableRef):
        return access
    meta = reader.table(access.target)
    if meta is None:
        return access
    context = {**tag_keys("aws:ResourceTag", meta.tags), **access.context}
    return access._replace(context=context, resource_policy=meta.resource_policy)


def _accesses(ctx: Context, reader: _Reader, operation: str, body: Body) -> Iterator[Access]:
    if operation in ITEM_OPERATIONS:
        yield _item(ctx, reader, operation, body)
    elif operation in ("Query", "Scan"):
        yield _read(ctx, reader, operation, body)
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        yield from _batch(ctx, reader, operation, body)
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        yield from _transact(ctx, reader, operation, body["TransactItems"])
    elif operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        yield from _partiql(ctx, reader, operation, body)
    elif operation in ARN_ACTIONS:
        yield _tagged_resource(ctx, reader, operation, body)
    elif operation in OWNED_ACTIONS:
        member, kind = OWNED_ACTIONS[operation]
        yield _owned(operation, str(body.get(member, "")), kind)
    elif operation == "GetRecords":
        yield _owned(operation, streams.open_iterator(ctx, body["ShardIterator"]).arn, "stream")
    elif operation == "ExportTableToPointInTime":
        yield from _export(ctx, reader, body)
    elif operation == "ImportTable":
        yield from _import(ctx, reader, body)
    elif operation in ("RestoreTableFromBackup", "RestoreTableToPointInTime"):
        yield from _restore(ctx, operation, body)
    elif operation in TABLE_ACTIONS:
        yield _table(ctx, reader, operation, body)
    else:
        yield Access(f"dynamodb:{operation}", "*")


def _ref(ctx: Context, name: str) -> TableRef:
    return arns.table_ref(ctx.account, ctx.region, name)


def _table(ctx: Context, reader: _Reader, operation: str, body: Body) -> Access:
    table = _ref(ctx, body["TableName"])
    context: dict[str, Any] = {}
    if operation == "CreateTable" and reader.full:
        context = _request_tags(body.get("Tags") or [])
    return Access(f"dynamodb:{operation}", table.arn, table, context)


def _tagged_resource(ctx: Context, reader: _Reader, operation: str, body: Body) -> Access:
    """Tags and resource policies: on the table the ARN names, as its standard ARN (a
    malformed ARN is refused by the operation, after authorization decided on it as
    written)."""
    arn = str(body.get("ResourceArn", ""))
    table = _ref(ctx, arn) if arns.split_table_arn(arn)[2] else None
    if table is not None:
        arn = table.arn  # decided in its standard form, whatever partition was written
    context: dict[str, Any] = {}
    if reader.full and operation == "TagResource":
        context = _request_tags(body.get("Tags") or [])
    elif reader.full and operation == "UntagResource":
        context = {"aws:TagKeys": list(body.get("TagKeys") or [])}
    return Access(f"dynamodb:{operation}", arn, table, context)


def _request_tags(tags: Iterable[Body]) -> dict[str, Any]:
    given = {str(tag["Key"]): str(tag["Value"]) for tag in tags}
    return {**tag_keys("aws:RequestTag", given), "aws:TagKeys": sorted(given)}


def _owned(operation: str, arn: str, kind: Kind) -> Access:
    """A stream, backup, export or import, in the account of the table its ARN names; an ARN
    that is none is asked for as written (the operation refuses it afterwards)."""
    ref = arns.owned_ref(arn, kind)
    if ref is None:
        return Access(f"dynamodb:{operation}", arn)
    return Access(f"dynamodb:{operation}", ref.arn, ref)


def _restore(ctx: Context, operation: str, body: Body) -> Iterator[Access]:
    """The backup (or the source table), then the new table, which the restore fills as
    writes would: DynamoDB asks for the data-plane actions on it too."""
    action = f"dynamodb:{operation}"
    if operation == "RestoreTableFromBackup":
        yield _owned(operation, body["BackupArn"], "backup")
    else:
        source = _ref(ctx, body.get("SourceTableArn") or body.get("SourceTableName") or "")
        yield Access(action, source.arn, source)
    target = _ref(ctx, body["TargetTableName"])
    for needed in (action, *RESTORED_TABLE_ACTIONS):
        yield Access(needed, target.arn, target)


def _export(ctx: Context, reader: _Reader, body: Body) -> Iterator[Access]:
    table = _ref(ctx, body["TableArn"])
    yield Access("dynamodb:ExportTableToPointInTime", table.arn, table)
    bucket = reader.bucket(body["S3Bucket"])
    objects = f"{bucket.arn}/{exports.object_prefix(body)}*"
    yield Access("s3:PutObject", objects, bucket, resource_policy=bucket.policy)


def _import(ctx: Context, reader: _Reader, body: Body) -> Iterator[Access]:
    table = _ref(ctx, body["TableCreationParameters"]["TableName"])
    context = (
        _request_tags(body["TableCreationParameters"].get("Tags") or []) if reader.full else {}
    )
    yield Access("dynamodb:ImportTable", table.arn, table, context)
    source = body["S3BucketSource"]
    bucket = reader.bucket(source["S3Bucket"])
    prefix = source.get("S3KeyPrefix") or ""
    yield Access("s3:GetObject", f"{bucket.arn}/{prefix}*", bucket, resource_policy=bucket.policy)
    listing = {"s3:prefix": prefix} if reader.full else {}
    yield Access("s3:ListBucket", bucket.arn, bucket, listing, bucket.policy)


# --- single items --------------------------------------------------------------------------


def _item(
    ctx: Context, reader: _Reader, operation: str, body: Body, extra: dict[str, Any] | None = None
) -> Access:
    table = _ref(ctx, body["TableName"])
    action = f"dynamodb:{operation}"
    if not reader.full:
        return Access(action, table.arn, table)
    meta = reader.table(table)
    record = body.get("Item") if operation == "PutItem" else body.get("Key")
    names = set(record or ())
    kind = "DeleteItem" if operation == "ConditionCheckItem" else operation
    names |= _expression_names(body, kind)
    context = _common(body) | (extra or {})
    if meta is not None and record is not None:
        context["dynamodb:LeadingKeys"] = _leading([record], (meta.hash_key,))
    context["dynamodb:Attributes"] = sorted(names)
    if operation == "GetItem" and not _projects(body):
        context["dynamodb:Select"] = "ALL_ATTRIBUTES"
    return Access(action, table.arn, table, context)


def _transact(
    ctx: Context, reader: _Reader, operation: str, entries: list[Any]
) -> Iterator[Access]:
    """Each element's per-item action; an element without one (the operation refuses the
    request for it) asks for nothing."""
    enclosing = {"dynamodb:EnclosingOperation": operation}
    kinds = TRANSACT_ACTIONS if operation == "TransactWriteItems" else {"Get": "GetItem"}
    for entry in entries:
        for kind, body in (entry or {}).items():
            if kind in kinds and isinstance(body, dict) and isinstance(body.get("TableName"), str):
                yield _item(ctx, reader, kinds[kind], body, enclosing)


# --- Query and Scan ------------------------------------------------------------------------


def _read(ctx: Context, reader: _Reader, operation: str, body: Body) -> Access:
    table = _ref(ctx, body["TableName"])
    index_name = body.get("IndexName")
    resource = table.arn if index_name is None else table.index_arn(index_name)
    action = f"dynamodb:{operation}"
    if not reader.full:
        return Access(action, resource, table)
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


def _batch(ctx: Context, reader: _Reader, operation: str, body: Body) -> Iterator[Access]:
    action = f"dynamodb:{operation}"
    for name, request in body["RequestItems"].items():
        table = _ref(ctx, name)
        if not reader.full:
            yield Access(action, table.arn, table)
            continue
        context = _common(body)
        if operation == "BatchGetItem":
            request = request if isinstance(request, dict) else {}
            records = list(request.get("Keys") or ())
            names = _expression_names(request, "BatchGetItem")
            if not _projects(request):
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
            context["dynamodb:LeadingKeys"] = _leading(records, (meta.hash_key,))
        yield Access(action, table.arn, table, context)


# --- PartiQL -------------------------------------------------------------------------------


def _partiql(ctx: Context, reader: _Reader, operation: str, body: Body) -> Iterator[Access]:
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
    ctx: Context, reader: _Reader, prepared: partiql.Prepared, body: Body, extra: dict[str, Any]
) -> Access:
    statement = prepared.statement
    action = f"dynamodb:{PARTIQL_ACTIONS[type(statement)]}"
    select = statement.select if isinstance(statement, ast.Exists) else statement
    source = select.source
    table = _ref(ctx, source.table)
    resource = table.arn if source.index is None else table.index_arn(source.index)
    if not reader.full:
        return Access(action, resource, table)
    context = _common(body) | extra
    names = set(_partiql_paths(statement))
    meta = reader.table(table)
    if meta is not None:
        hash_keys, partitions = partiql.reached(prepared, meta)
        if partitions is None:
            context["dynamodb:LeadingKeys"] = UNBOUNDED
            if isinstance(statement, ast.Select):
                context["dynamodb:FullTableScan"] = True
        else:
            context["dynamodb:LeadingKeys"] = _leading(partitions, hash_keys)
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


def _leading(records: Iterable[Any], hash_keys: tuple[str, ...]) -> list[str]:
    return sorted(
        {
            key_text(record[name])
            for record in records
            if record
            for name in hash_keys
            if name in record
        }
    )
