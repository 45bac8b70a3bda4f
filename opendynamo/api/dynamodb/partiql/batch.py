"""BatchExecuteStatement: up to 25 statements, all reads (each of one item by its full key) or
all writes, each answered on its own - a response, or the error it met."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from opendynamo import errors
from opendynamo.api.dynamodb import items
from opendynamo.api.dynamodb.partiql.common import copy, prepare, run, run_write, target
from opendynamo.api.request.context import Context
from opendynamo.model.values import Body, Item
from opendynamo.partiql import ast, parse
from opendynamo.partiql import messages as msg
from opendynamo.partiql.plan import Request, WritePlan
from opendynamo.partiql.reads import plan_key_read
from opendynamo.partiql.results import capacity_list, unnest
from opendynamo.partiql.writes import plan_write

READ_KEY = (
    "Select statements within BatchExecuteStatement must specify the primary key in the where "
    "clause."
)
MIXED_BATCH = "Read and write requests together in the same batch is not supported."
DUPLICATE_KEYS = "Provided list of item keys contains duplicates"
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


@dataclass(slots=True)
class _Member:
    """One statement of a batch: its request once planned (and the key of the item it names),
    or the error it met."""

    parsed: ast.Parsed | None = None
    operation: str = ""
    request: Request | None = None
    key: Item | None = None
    options: Body | None = None
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
    keys = target(ctx, statement.source).keys
    options: Body = {}
    if isinstance(statement, ast.Select):
        if statement.source.index is not None:
            raise msg.refused(READ_KEY)
        plan = plan_key_read(statement, prepared.params, keys, READ_KEY)
        member.operation, member.projection = "GetItem", plan.projection
        member.request = plan.requests[0]
        if entry.get("ConsistentRead"):
            options["ConsistentRead"] = True
    else:
        write = plan_write(statement, prepared.params, keys)
        member.operation, member.request = write.operation, write.request
        copy(entry, options, "ReturnValuesOnConditionCheckFailure")
    member.options = options
    named = member.request.key
    member.key = {name: named[name] for name in keys.names}


def _refuse_duplicates(members: list[_Member]) -> None:
    """Two statements of a batch may not name the same item."""
    seen: set[tuple[str, bytes]] = set()
    for member in members:
        if member.request is None or member.key is None:
            continue
        key = orjson.dumps(member.key, option=orjson.OPT_SORT_KEYS)
        identity = (member.request.body["TableName"], key)
        if identity in seen:
            raise errors.validation(DUPLICATE_KEYS)
        seen.add(identity)


def _run_member(ctx: Context, member: _Member, mode: str | None, used: list[Body | None]) -> Body:
    assert member.request is not None
    options = dict(member.options or {})
    if mode is not None:
        options["ReturnConsumedCapacity"] = mode
    entry: Body = {"TableName": member.request.body["TableName"]}
    if member.operation == "GetItem":
        reply = run(items.get_item, ctx, member.request, options)
        used.append(reply.get("ConsumedCapacity"))
        if "Item" in reply:
            item: Item = reply["Item"]
            entry["Item"] = item if member.projection is None else unnest(item, member.projection)
        return entry
    reply = run_write(ctx, WritePlan(member.operation, member.request), options)
    used.append(reply.get("ConsumedCapacity"))
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
