"""ExecuteStatement: one statement, a read answered a page at a time or a write.

A read planned as several Queries (`pk IN [...]`) runs them in turn; a page ends after Limit
items evaluated, 1 MB read by one Query, or IN_PAGE_PARTITIONS partitions, and its NextToken
(sealed to the caller) says where the next page starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from opendynamo import errors, expr
from opendynamo.api.dynamodb import items, query
from opendynamo.api.dynamodb.partiql.common import (
    Prepared,
    Target,
    copy,
    prepare,
    run,
    run_write,
    target,
)
from opendynamo.api.request.context import Context
from opendynamo.engine import indexes
from opendynamo.model.values import Body, Item
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.plan import ReadPlan
from opendynamo.partiql.reads import plan_read
from opendynamo.partiql.results import (
    add_capacity,
    decode_token,
    encode_token,
    request_digest,
    unnest,
)
from opendynamo.partiql.writes import plan_write

IN_PAGE_PARTITIONS = 10  # "IN" reads return their results in pages of up to 10 partitions


def execute_statement(ctx: Context, body: Body) -> Body:
    prepared = prepare(body["Statement"], body.get("Parameters"))
    statement = prepared.statement
    if isinstance(statement, ast.Exists):
        raise msg.refused(msg.EXISTS_OUTSIDE)
    if isinstance(statement, ast.Select):
        return _select(ctx, prepared, statement, body)
    plan = plan_write(statement, prepared.params, target(ctx, statement.source).keys)
    options: Body = {}
    copy(body, options, "ReturnConsumedCapacity", "ReturnValuesOnConditionCheckFailure")
    reply = run_write(ctx, plan, options)
    result: Body = {"Items": [reply["Attributes"]] if "Attributes" in reply else []}
    copy(reply, result, "ConsumedCapacity")
    return result


def _select(ctx: Context, prepared: Prepared, select: ast.Select, body: Body) -> Body:
    consistent = bool(body.get("ConsistentRead"))
    read_from = target(ctx, select.source, consistent=consistent)
    plan = plan_read(select, prepared.params, read_from.keys, table_read=read_from.index is None)
    _check_index_filter(read_from, plan)
    post = None if plan.post is None else expr.compile_trees(plan.post)
    digest = request_digest(prepared.text, prepared.params)
    partition, start = (0, None)
    if body.get("NextToken") is not None:
        partition, start = decode_token(body["NextToken"], digest, _verifier(ctx))
    options = {"ConsistentRead": consistent} if consistent else {}
    copy(body, options, "ReturnConsumedCapacity")
    if plan.operation == "GetItem":
        reply = run(items.get_item, ctx, plan.requests[0], options)
        found = [reply["Item"]] if "Item" in reply else []
        result: Body = {"Items": _shape(found, post, plan.projection)}
        copy(reply, result, "ConsumedCapacity")
        return result
    page = _read(ctx, plan, options, body.get("Limit"), partition, start)
    result = {"Items": _shape(page.items, post, plan.projection)}
    if page.partition is not None:
        result["NextToken"] = encode_token(digest, page.partition, page.last_key, _signer(ctx))
        if page.last_key is not None:
            result["LastEvaluatedKey"] = page.last_key
    if page.capacity is not None:
        result["ConsumedCapacity"] = page.capacity
    return result


@dataclass(slots=True)
class _Page:
    items: list[Item]
    partition: int | None  # where the next page starts; None when there is none
    last_key: Item | None
    capacity: Body | None


def _read(
    ctx: Context, plan: ReadPlan, options: Body, limit: int | None, partition: int, start: Any
) -> _Page:
    """One page: the plan's Query or Scan requests in turn from `partition`, up to Limit items
    evaluated, 1 MB in one request, or IN_PAGE_PARTITIONS partitions."""
    handler = query.query if plan.operation == "Query" else query.scan
    page = _Page([], None, None, None)
    evaluated = read = 0
    while partition < len(plan.requests):
        extra = dict(options)
        if start is not None:
            extra["ExclusiveStartKey"] = start
        if limit is not None:
            extra["Limit"] = limit - evaluated
        reply = run(handler, ctx, plan.requests[partition], extra)
        page.items.extend(reply.get("Items", []))
        page.capacity = add_capacity(page.capacity, reply.get("ConsumedCapacity"))
        evaluated += reply.get("ScannedCount", 0)
        read += 1
        if reply.get("LastEvaluatedKey") is not None:
            page.partition, page.last_key = partition, reply["LastEvaluatedKey"]
            return page
        partition, start = partition + 1, None
        full = limit is not None and evaluated >= limit
        if partition < len(plan.requests) and (full or read >= IN_PAGE_PARTITIONS):
            page.partition = partition
            return page
    return page


def _shape(
    found: list[Item], post: expr.Compiled | None, paths: Sequence[ast.Path] | None
) -> list[Item]:
    """The items read, filtered and projected where the read could not, as PartiQL rows."""
    rows: list[Item] = []
    for item in found:
        if post is not None:
            if post.filter is not None and not expr.evaluate(post.filter, item):
                continue
            if post.projection is not None:
                item = expr.project(item, post.projection)
        rows.append(item if paths is None else unnest(item, paths))
    return rows


def _check_index_filter(read_from: Target, plan: ReadPlan) -> None:
    """An index read may filter only on attributes the index projects."""
    index = read_from.index
    if index is None or index.projection_type == "ALL":
        return
    meta = read_from.meta
    missing = sorted(n for n in plan.filter_names if not indexes.projects(meta, index, n))
    if missing:
        raise errors.invalid_parameters(
            f"Secondary index {index.name} does not project one or more filter attributes: "
            f"[{', '.join(missing)}]"
        )


# NextTokens carry a MAC bound to the caller's namespace (as every token a client hands back).
def _signer(ctx: Context) -> Callable[[bytes], bytes]:
    assert ctx.sealer is not None, "the server gives every request the secrets key"
    return partial(ctx.sealer.sign, purpose=f"ExecuteStatement {ctx.account} {ctx.region}")


def _verifier(ctx: Context) -> Callable[[bytes], bytes | None]:
    assert ctx.sealer is not None, "the server gives every request the secrets key"
    return partial(ctx.sealer.verify, purpose=f"ExecuteStatement {ctx.account} {ctx.region}")
