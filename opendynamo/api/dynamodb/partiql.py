"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.

Each statement is parsed (`partiql.parse`, cached by text), planned against its table's key
schema (`partiql.plan`: plain request bodies) and run through the operation it stands for -
GetItem, Query, Scan, PutItem, UpdateItem, DeleteItem, TransactGetItems, TransactWriteItems -
so conditions, updates, capacity and errors behave exactly as there. This module only
reshapes the replies: `Items` (selected paths as PartiQL columns), an opaque `NextToken`, and
DynamoDB's PartiQL wording for what the underlying operation words differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from opendynamo import errors, expr
from opendynamo.api.dynamodb import items, query, transact
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog, indexes
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import AttributeValue, Body, Item, normalize_value
from opendynamo.partiql import ast, parse
from opendynamo.partiql import messages as msg
from opendynamo.partiql.plan import (
    Keys,
    ReadPlan,
    WritePlan,
    plan_exists,
    plan_key_read,
    plan_read,
    plan_write,
)
from opendynamo.partiql.results import (
    add_capacity,
    capacity_list,
    decode_token,
    encode_token,
    request_digest,
    unnest,
)

Handler = Callable[[Context, Body], "Body | bytes"]

IN_PAGE_PARTITIONS = 10  # "IN" reads return their results in pages of up to 10 partitions
BATCH_READ_KEY = (
    "Select statements within BatchExecuteStatement must specify the primary key in the where "
    "clause."
)
TRANSACTION_READ_KEY = (
    "Select statements within ExecuteTransaction must specify the primary key in the where clause."
)
TRANSACTION_INDEX_READ = "Reads on indices are not supported within transactions."
TRANSACTION_INDEX_WRITE = "Operations on indices are not supported in transactions"
TRANSACTION_RETURNING = "RETURNING clause is not supported in ExecuteTransaction."
TRANSACTION_FAILED = "Validation failed in TransactStatements[{}]: {}"
MIXED_BATCH = "Read and write requests together in the same batch is not supported."
MIXED_TRANSACTION = (
    "ExecuteTransaction API does not support both read and write operations in the same request."
)
DUPLICATE_KEYS = "Provided list of item keys contains duplicates"
MULTI_ATTRIBUTE_KEYS = (
    "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or "
    "multi-attribute RANGE keys."
)
# The expression layer prefixes its complaints with the parameter; PartiQL has no parameters.
_EXPRESSION_PREFIX = re.compile(
    r"^Invalid (?:Update|Condition|KeyCondition|Filter|Projection)Expression: "
)
# DynamoDB's BatchStatementError codes for the error types a statement can meet.
ERROR_CODES = {
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "DuplicateItemException": "DuplicateItem",
    "ResourceNotFoundException": "ResourceNotFound",
    "ValidationException": "ValidationError",
    "ProvisionedThroughputExceededException": "ProvisionedThroughputExceeded",
    "ThrottlingException": "ThrottlingError",
    "RequestLimitExceeded": "RequestLimitExceeded",
    "TransactionConflictException": "TransactionConflict",
    "ItemCollectionSizeLimitExceededException": "ItemCollectionSizeLimitExceeded",
    "AccessDeniedException": "AccessDenied",
    "InternalServerError": "InternalServerError",
}
WRITE_HANDLERS: dict[str, Handler] = {
    "PutItem": items.put_item,
    "UpdateItem": items.update_item,
    "DeleteItem": items.delete_item,
}
TRANSACT_ACTIONS = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}


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


# ---- ExecuteStatement -------------------------------------------------------------------


def execute_statement(ctx: Context, body: Body) -> Body:
    prepared = prepare(body["Statement"], body.get("Parameters"))
    statement = prepared.statement
    if isinstance(statement, ast.Exists):
        raise msg.refused(msg.EXISTS_OUTSIDE)
    if isinstance(statement, ast.Select):
        return _select(ctx, prepared, statement, body)
    target = _target(ctx, statement.source)
    plan = plan_write(statement, prepared.params, target.keys)
    request = dict(plan.body)
    _copy(body, request, "ReturnConsumedCapacity", "ReturnValuesOnConditionCheckFailure")
    reply = _run_write(ctx, plan, request)
    result: Body = {"Items": [reply["Attributes"]] if "Attributes" in reply else []}
    _copy(reply, result, "ConsumedCapacity")
    return result


def _select(ctx: Context, prepared: Prepared, select: ast.Select, body: Body) -> Body:
    consistent = bool(body.get("ConsistentRead"))
    target = _target(ctx, select.source, consistent=consistent)
    plan = plan_read(select, prepared.params, target.keys, table_read=target.index is None)
    _check_index_filter(target, plan)
    post = _compile_post(plan.post)
    digest = request_digest(prepared.text, prepared.params)
    partition, start = (0, None)
    if body.get("NextToken") is not None:
        partition, start = decode_token(body["NextToken"], digest, _verifier(ctx))
    options = {"ConsistentRead": consistent} if consistent else {}
    _copy(body, options, "ReturnConsumedCapacity")
    if plan.operation == "GetItem":
        reply = _call(items.get_item, ctx, {**plan.requests[0], **options})
        found = [reply["Item"]] if "Item" in reply else []
        result: Body = {"Items": _shape(found, post, plan.projection)}
        _copy(reply, result, "ConsumedCapacity")
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
        request = {**plan.requests[partition], **options}
        if start is not None:
            request["ExclusiveStartKey"] = start
        if limit is not None:
            request["Limit"] = limit - evaluated
        reply = _call(handler, ctx, request)
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


def _shape(found: list[Item], post: expr.Compiled | None, paths: Any) -> list[Item]:
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


def _compile_post(post: Body | None) -> expr.Compiled | None:
    if post is None:
        return None
    try:
        return expr.compile_expressions(
            filter=post["FilterExpression"],
            projection=post.get("ProjectionExpression"),
            names=post.get("ExpressionAttributeNames"),
            values=post.get("ExpressionAttributeValues"),
            operation="Scan",
        )
    except errors.DynamoError as exc:
        raise _reworded(exc) from None


def _check_index_filter(target: Target, plan: ReadPlan) -> None:
    """An index read may filter only on attributes the index projects."""
    index = target.index
    if index is None or index.projection_type == "ALL":
        return
    missing = sorted(n for n in plan.filter_names if not indexes.projects(target.meta, index, n))
    if missing:
        raise errors.invalid_parameters(
            f"Secondary index {index.name} does not project one or more filter attributes: "
            f"[{', '.join(missing)}]"
        )


def _run_write(ctx: Context, plan: WritePlan, request: Body) -> Body:
    try:
        return _call(WRITE_HANDLERS[plan.operation], ctx, request)
    except errors.DynamoError as exc:
        if plan.operation == "PutItem" and exc.type_name == "ConditionalCheckFailedException":
            raise errors.duplicate_item() from None
        raise


# ---- BatchExecuteStatement --------------------------------------------------------------


@dataclass(slots=True)
class _Member:
    """One statement of a batch: its request once planned (and the item it names), or the
    error it met."""

    parsed: ast.Parsed | None = None
    operation: str = ""
    request: Body | None = None
    key: Item | None = None
    projection: tuple[ast.Path, ...] | None = None
    error: errors.DynamoError | None = None


def batch_execute_statement(ctx: Context, body: Body) -> Body:
    members = _parse_batch(body["Statements"])
    for member, entry in zip(members, body["Statements"], strict=True):
        if member.error is None:
            try:
                _plan_member(ctx, member, entry)
            except errors.DynamoError as exc:
                member.error, member.request = exc, None
    _refuse_duplicates(members)
    mode = body.get("ReturnConsumedCapacity")
    responses: list[Body] = []
    used: list[Body | None] = []
    for member in members:
        if member.error is None:
            try:
                responses.append(_run_member(ctx, member, mode, used))
                continue
            except errors.DynamoError as exc:
                member.error = exc
        responses.append(_error_entry(member.error))
    result: Body = {"Responses": responses}
    if mode is not None and mode != "NONE":
        result["ConsumedCapacity"] = capacity_list(used)
    return result


def _parse_batch(entries: list[Body]) -> list[_Member]:
    """Parse every statement; a batch is all reads or all writes."""
    members: list[_Member] = []
    reads: bool | None = None
    for entry in entries:
        try:
            parsed = parse(entry["Statement"])
        except errors.DynamoError as exc:
            members.append(_Member(error=exc))
            continue
        if isinstance(parsed.statement, ast.Exists):
            members.append(_Member(error=msg.refused(msg.EXISTS_OUTSIDE)))
            continue
        if reads is None:
            reads = parsed.is_read
        elif reads != parsed.is_read:
            raise msg.refused(MIXED_BATCH)
        members.append(_Member(parsed))
    return members


def _plan_member(ctx: Context, member: _Member, entry: Body) -> None:
    prepared = prepare(entry["Statement"], entry.get("Parameters"))
    statement = prepared.statement
    assert not isinstance(statement, ast.Exists)
    target = _target(ctx, statement.source)
    if isinstance(statement, ast.Select):
        if target.index is not None:
            raise msg.refused(BATCH_READ_KEY)
        plan = plan_key_read(statement, prepared.params, target.keys, BATCH_READ_KEY)
        member.operation, member.projection = "GetItem", plan.projection
        member.request = dict(plan.requests[0])
        if entry.get("ConsistentRead"):
            member.request["ConsistentRead"] = True
    else:
        write = plan_write(statement, prepared.params, target.keys)
        member.operation, member.request = write.operation, dict(write.body)
        _copy(entry, member.request, "ReturnValuesOnConditionCheckFailure")
    named = member.request.get("Key") or member.request["Item"]
    member.key = {name: named[name] for name in target.keys.names}


def _refuse_duplicates(members: list[_Member]) -> None:
    """Two statements of a batch may not name the same item."""
    seen: set[tuple[str, bytes]] = set()
    for member in members:
        if member.request is None or member.key is None:
            continue
        key = orjson.dumps(member.key, option=orjson.OPT_SORT_KEYS)
        identity = (member.request["TableName"], key)
        if identity in seen:
            raise errors.validation(DUPLICATE_KEYS)
        seen.add(identity)


def _run_member(ctx: Context, member: _Member, mode: str | None, used: list[Body | None]) -> Body:
    assert member.request is not None
    request = dict(member.request)
    if mode is not None:
        request["ReturnConsumedCapacity"] = mode
    table = request["TableName"]
    if member.operation == "GetItem":
        reply = _call(items.get_item, ctx, request)
        used.append(reply.get("ConsumedCapacity"))
        entry: Body = {"TableName": table}
        if "Item" in reply:
            item = reply["Item"]
            entry["Item"] = item if member.projection is None else unnest(item, member.projection)
        return entry
    plan = WritePlan(member.operation, request)
    reply = _run_write(ctx, plan, request)
    used.append(reply.get("ConsumedCapacity"))
    entry = {"TableName": table}
    if "Attributes" in reply:
        entry["Item"] = reply["Attributes"]
    return entry


def _error_entry(exc: errors.DynamoError) -> Body:
    error: Body = {"Code": ERROR_CODES.get(exc.type_name, "ValidationError")}
    if exc.message is not None:
        error["Message"] = exc.message
    if exc.extra and "Item" in exc.extra:
        error["Item"] = exc.extra["Item"]
    return {"Error": error}


# ---- ExecuteTransaction -----------------------------------------------------------------


def execute_transaction(ctx: Context, body: Body) -> Body:
    entries = body["TransactStatements"]
    prepared: list[Prepared] = []
    reads: bool | None = None
    for index, entry in enumerate(entries):
        one = _in_statement(index, partial(prepare, entry["Statement"], entry.get("Parameters")))
        is_read = isinstance(one.statement, ast.Select)
        if reads is None:
            reads = is_read
        elif reads != is_read:
            raise msg.refused(MIXED_TRANSACTION)
        prepared.append(one)
    if reads:
        return _transact_read(ctx, body, prepared)
    return _transact_write(ctx, body, entries, prepared)


def _transact_read(ctx: Context, body: Body, prepared: list[Prepared]) -> Body:
    gets: list[Body] = []
    plans: list[ReadPlan] = []
    for index, one in enumerate(prepared):
        select = one.statement
        assert isinstance(select, ast.Select)
        plan = _in_statement(index, partial(_transact_get, ctx, select, one))
        plans.append(plan)
        gets.append({"Get": plan.requests[0]})
    request: Body = {"TransactItems": gets}
    _copy(body, request, "ReturnConsumedCapacity")
    reply = _call(transact.transact_get_items, ctx, request)
    responses = []
    for plan, response in zip(plans, reply["Responses"], strict=True):
        if "Item" in response and plan.projection is not None:
            response = {"Item": unnest(response["Item"], plan.projection)}
        responses.append(response)
    result: Body = {"Responses": responses}
    _copy(reply, result, "ConsumedCapacity")
    return result


def _transact_get(ctx: Context, select: ast.Select, prepared: Prepared) -> ReadPlan:
    if select.source.index is not None:
        raise msg.refused(TRANSACTION_INDEX_READ)
    target = _target(ctx, select.source)
    return plan_key_read(select, prepared.params, target.keys, TRANSACTION_READ_KEY)


def _transact_write(
    ctx: Context, body: Body, entries: list[Body], prepared: list[Prepared]
) -> Body:
    actions: list[Body] = []
    inserts: set[int] = set()
    for index, (one, entry) in enumerate(zip(prepared, entries, strict=True)):
        try:
            action = _in_statement(index, partial(_transact_action, ctx, one))
        except errors.DynamoError as exc:
            raise _transaction_refusal(exc, index, len(entries)) from None
        request = next(iter(action.values()))
        _copy(entry, request, "ReturnValuesOnConditionCheckFailure")
        if "Put" in action:
            inserts.add(index)
        actions.append(action)
    request = {"TransactItems": actions}
    _copy(body, request, "ClientRequestToken", "ReturnConsumedCapacity")
    try:
        reply = _call(transact.transact_write_items, ctx, request)
    except errors.DynamoError as exc:
        raise _duplicates_named(exc, inserts) from None
    result: Body = {}
    _copy(reply, result, "ConsumedCapacity")
    return result


def _transact_action(ctx: Context, prepared: Prepared) -> Body:
    statement = prepared.statement
    if isinstance(statement, ast.Exists):
        if statement.select.source.index is not None:
            raise msg.refused(TRANSACTION_INDEX_WRITE)
        target = _target(ctx, statement.select.source)
        return {"ConditionCheck": plan_exists(statement, prepared.params, target.keys)}
    assert not isinstance(statement, ast.Select)
    if not isinstance(statement, ast.Insert) and statement.returning is not None:
        raise msg.refused(TRANSACTION_RETURNING)
    target = _target(ctx, statement.source)
    plan = plan_write(statement, prepared.params, target.keys)
    return {TRANSACT_ACTIONS[plan.operation]: dict(plan.body)}


def _in_statement(index: int, step: Callable[[], Any]) -> Any:
    """Run a step for statement `index`; a ValidationException names the statement."""
    try:
        return step()
    except errors.DynamoError as exc:
        if exc.type_name != "ValidationException" or exc.message is None:
            raise
        if exc.message.startswith("Validation failed in TransactStatements["):
            raise
        raise errors.validation(TRANSACTION_FAILED.format(index, exc.message)) from None


def _transaction_refusal(exc: errors.DynamoError, index: int, count: int) -> errors.DynamoError:
    """DynamoDB cancels (rather than refuses) a transaction whose statement misses its key or
    names a key the item lacks or mistypes."""
    message = exc.message or ""
    detail = message.removeprefix(TRANSACTION_FAILED.format(index, ""))
    if detail.startswith((msg.INCOMPLETE_KEY, "Multiple conditions on same key")):
        return errors.transaction_canceled_validation(detail)
    if detail.startswith(("Key attribute should be present", "Key attribute's data type")):
        reasons: list[Body] = [{"Code": "None"} for _ in range(count)]
        reasons[index] = {"Code": "ValidationError", "Message": detail}
        return transact.cancelled(reasons)
    return exc


def _duplicates_named(exc: errors.DynamoError, inserts: set[int]) -> errors.DynamoError:
    """An INSERT whose key exists cancels the transaction as a duplicate item, not as a
    failed condition (DynamoDB Local's wording)."""
    if exc.type_name != "TransactionCanceledException" or not exc.extra:
        return exc
    reasons = [dict(reason) for reason in exc.extra.get("CancellationReasons", [])]
    for index in inserts:
        if index < len(reasons) and reasons[index].get("Code") == "ConditionalCheckFailed":
            reasons[index] = {"Code": "ValidationError", "Message": msg.DUPLICATE_ITEM}
    return transact.cancelled(reasons)


# ---- shared -----------------------------------------------------------------------------


def prepare(text: str, parameters: Sequence[Any] | None) -> Prepared:
    parsed = parse(text)
    params = [normalize_value(value) for value in parameters or ()]
    if len(params) != parsed.parameter_count:
        raise msg.refused(msg.PARAMETER_COUNT)
    return Prepared(text, parsed, params)


def _target(ctx: Context, source: ast.Source, *, consistent: bool = False) -> Target:
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
            return keys.hash_keys, [plan_exists(statement, prepared.params, keys)["Key"]]
        if isinstance(statement, ast.Select):
            table_read = statement.source.index is None
            plan = plan_read(statement, prepared.params, keys, table_read=table_read)
            partitions = None if plan.partitions is None else list(plan.partitions)
            return keys.hash_keys, partitions
        write = plan_write(statement, prepared.params, keys)
        return keys.hash_keys, [write.body.get("Key") or write.body["Item"]]
    except errors.DynamoError:
        return (), None


# NextTokens carry a MAC bound to the caller's namespace (as every token a client hands back).
def _signer(ctx: Context) -> Callable[[bytes], bytes]:
    assert ctx.sealer is not None, "the server gives every request the secrets key"
    return partial(ctx.sealer.sign, purpose=f"ExecuteStatement {ctx.account} {ctx.region}")


def _verifier(ctx: Context) -> Callable[[bytes], bytes | None]:
    assert ctx.sealer is not None, "the server gives every request the secrets key"
    return partial(ctx.sealer.verify, purpose=f"ExecuteStatement {ctx.account} {ctx.region}")


def _call(handler: Handler, ctx: Context, body: Body) -> Body:
    """Run an operation's handler on a request built for it; its reply as a dict."""
    try:
        result = handler(ctx, body)
    except errors.DynamoError as exc:
        raise _reworded(exc) from None
    if isinstance(result, bytes):
        reply: Body = orjson.loads(result)
        return reply
    return result


def _reworded(exc: errors.DynamoError) -> errors.DynamoError:
    """An expression problem as PartiQL words it: without the expression parameter's name."""
    if exc.type_name != "ValidationException" or exc.message is None:
        return exc
    stripped = _EXPRESSION_PREFIX.sub("", exc.message)
    return exc if stripped == exc.message else errors.validation(stripped)


def _copy(source: Body, target: Body, *names: str) -> None:
    for name in names:
        if source.get(name) is not None:
            target[name] = source[name]
