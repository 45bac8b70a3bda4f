"""What every PartiQL operation does with a statement: prepare it with its parameters, find
the table (and index) it names with the key schema it reads by, and run a planned request
through the handler of the operation it stands for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from opendynamo import errors, expr
from opendynamo.api.dynamodb import items
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import AttributeValue, Body, Item, normalize_value
from opendynamo.partiql import ast, parse
from opendynamo.partiql import messages as msg
from opendynamo.partiql.plan import Keys, Request, WritePlan
from opendynamo.partiql.reads import plan_read
from opendynamo.partiql.writes import plan_exists, plan_write

# An operation's handler, given its expressions compiled (`items.get_item`, `query.scan`, ...).
Handler = Callable[[Context, Body, expr.Compiled | None], "Body | bytes"]

MULTI_ATTRIBUTE_KEYS = (
    "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or "
    "multi-attribute RANGE keys."
)
WRITE_HANDLERS: dict[str, Handler] = {
    "PutItem": items.put_item,
    "UpdateItem": items.update_item,
    "DeleteItem": items.delete_item,
}


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed statement with its request's parameters (normalised)."""

    text: str
    parsed: ast.Parsed
    params: list[AttributeValue]

    @property
    def statement(self) -> ast.Statement:
        return self.parsed.statement


@dataclass(frozen=True, slots=True)
class Target:
    """The table a statement runs against, and the key schema it reads by."""

    meta: TableMeta
    index: IndexMeta | None
    keys: Keys


def prepare(text: str, parameters: Sequence[Any] | None) -> Prepared:
    parsed = parse(text)
    params = [normalize_value(value) for value in parameters or ()]
    if len(params) != parsed.parameter_count:
        raise msg.refused(msg.PARAMETER_COUNT)
    return Prepared(text, parsed, params)


def target(ctx: Context, source: ast.Source, *, consistent: bool = False) -> Target:
    """The table (and index) a statement names, with the key schema it reads by."""
    with ctx.store.read() as txn:
        meta = catalog.get_table(txn, ctx.table(source.table))
    index, keys = _keys(meta, source, consistent)
    return Target(meta, index, keys)


def _keys(meta: TableMeta, source: ast.Source, consistent: bool) -> tuple[IndexMeta | None, Keys]:
    hash_keys: tuple[str, ...] = (meta.hash_key,)
    range_keys: tuple[str, ...] = (meta.range_key,) if meta.range_key is not None else ()
    index = None
    if source.index is not None:
        index = meta.index(source.index)
        if index is None or not index.maintained:
            raise msg.refused(msg.NO_SUCH_INDEX)
        if len(index.hash_keys) > 1 or len(index.range_keys) > 1:
            raise msg.refused(MULTI_ATTRIBUTE_KEYS)
        if index.is_global and consistent:
            raise msg.refused(msg.CONSISTENT_GSI)
        hash_keys, range_keys = index.hash_keys, index.range_keys
    types = {name: meta.attribute_type(name) for name in hash_keys + range_keys}
    return index, Keys(hash_keys, range_keys, types)


def reached(prepared: Prepared, meta: TableMeta) -> tuple[tuple[str, ...], list[Item] | None]:
    """(partition-key attributes, the partition keys the statement reaches) as the planner
    plans it to run: one key for a write, an EXISTS or a key read, one per partition Query'd;
    None for a statement that may reach every partition (a scan), and for one that cannot be
    planned (it fails before it reads anything)."""
    statement = prepared.statement
    select = statement.select if isinstance(statement, ast.Exists) else statement
    try:
        _, keys = _keys(meta, select.source, False)
        if isinstance(statement, ast.Exists):
            return keys.hash_keys, [plan_exists(statement, prepared.params, keys).key]
        if isinstance(statement, ast.Select):
            table_read = statement.source.index is None
            plan = plan_read(statement, prepared.params, keys, table_read=table_read)
            partitions = None if plan.partitions is None else list(plan.partitions)
            return keys.hash_keys, partitions
        write = plan_write(statement, prepared.params, keys)
        return keys.hash_keys, [write.request.key]
    except errors.DynamoError:
        return (), None


def run(handler: Handler, ctx: Context, request: Request, options: Body | None = None) -> Body:
    """Run a planned request (with `options`, such as ConsistentRead, added to its members)
    through an operation's handler; its reply as a dict."""
    body = request.body if options is None else {**request.body, **options}
    result = handler(ctx, body, expr.compile_trees(request.expressions))
    if isinstance(result, bytes):
        reply: Body = orjson.loads(result)
        return reply
    return result


def run_write(ctx: Context, plan: WritePlan, options: Body | None = None) -> Body:
    """A write's reply; an INSERT whose key exists is a duplicate item, not a failed
    condition."""
    try:
        return run(WRITE_HANDLERS[plan.operation], ctx, plan.request, options)
    except errors.DynamoError as exc:
        if plan.operation == "PutItem" and exc.type_name == "ConditionalCheckFailedException":
            raise errors.duplicate_item() from None
        raise


def copy(source: Body, target: Body, *names: str) -> None:
    """The members `names` of `source` that are given, into `target`."""
    for name in names:
        if source.get(name) is not None:
            target[name] = source[name]
