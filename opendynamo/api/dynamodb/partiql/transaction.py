"""ExecuteTransaction: up to 100 statements run as one transaction - all reads (each of one
item by its full key, as TransactGetItems) or all writes (INSERT, UPDATE, DELETE and EXISTS
checks, as TransactWriteItems' Put, Update, Delete and ConditionCheck)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from opendynamo import errors, expr
from opendynamo.api.dynamodb import transact
from opendynamo.api.dynamodb.partiql.common import Prepared, copy, prepare, target
from opendynamo.api.request.context import Context
from opendynamo.model.values import Body
from opendynamo.partiql import ast
from opendynamo.partiql import messages as msg
from opendynamo.partiql.plan import ReadPlan, Request
from opendynamo.partiql.reads import plan_key_read
from opendynamo.partiql.results import unnest
from opendynamo.partiql.writes import plan_exists, plan_write

READ_KEY = (
    "Select statements within ExecuteTransaction must specify the primary key in the where clause."
)
INDEX_READ = "Reads on indices are not supported within transactions."
INDEX_WRITE = "Operations on indices are not supported in transactions"
RETURNING = "RETURNING clause is not supported in ExecuteTransaction."
FAILED = "Validation failed in TransactStatements[{}]: {}"
MIXED = (
    "ExecuteTransaction API does not support both read and write operations in the same request."
)
ACTIONS = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}


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
            raise msg.refused(MIXED)
        prepared.append(one)
    if reads:
        return _read(ctx, body, prepared)
    return _write(ctx, body, entries, prepared)


def _read(ctx: Context, body: Body, prepared: list[Prepared]) -> Body:
    plans: list[ReadPlan] = []
    for index, one in enumerate(prepared):
        select = one.statement
        assert isinstance(select, ast.Select)
        plans.append(_in_statement(index, partial(_plan_get, ctx, select, one)))
    gets = [_get(plan.requests[0]) for plan in plans]
    reply = transact.read_items(ctx, gets, body.get("ReturnConsumedCapacity"))
    responses = []
    for plan, response in zip(plans, reply["Responses"], strict=True):
        if "Item" in response and plan.projection is not None:
            response = {"Item": unnest(response["Item"], plan.projection)}
        responses.append(response)
    result: Body = {"Responses": responses}
    copy(reply, result, "ConsumedCapacity")
    return result


def _plan_get(ctx: Context, select: ast.Select, prepared: Prepared) -> ReadPlan:
    if select.source.index is not None:
        raise msg.refused(INDEX_READ)
    keys = target(ctx, select.source).keys
    return plan_key_read(select, prepared.params, keys, READ_KEY)


def _get(request: Request) -> transact.Get:
    compiled = expr.compile_trees(request.expressions)
    return transact.Get(request.body["TableName"], request.body["Key"], compiled)


def _write(ctx: Context, body: Body, entries: list[Body], prepared: list[Prepared]) -> Body:
    planned: list[tuple[str, Request]] = []
    for index, one in enumerate(prepared):
        try:
            planned.append(_in_statement(index, partial(_plan_action, ctx, one)))
        except errors.DynamoError as exc:
            raise _refusal(exc, index, len(entries)) from None
    actions: list[transact.Action] = []
    for (kind, request), entry in zip(planned, entries, strict=True):
        members = dict(request.body)
        copy(entry, members, "ReturnValuesOnConditionCheckFailure")
        compiled = expr.compile_trees(request.expressions)
        actions.append(transact.action(kind, members, compiled))
    inserts = {index for index, (kind, _) in enumerate(planned) if kind == "Put"}
    try:
        reply = transact.write_actions(ctx, actions, body)
    except errors.DynamoError as exc:
        raise _duplicates_named(exc, inserts) from None
    result: Body = {}
    copy(reply, result, "ConsumedCapacity")
    return result


def _plan_action(ctx: Context, prepared: Prepared) -> tuple[str, Request]:
    """The kind of transaction action a statement is, and its request."""
    statement = prepared.statement
    if isinstance(statement, ast.Exists):
        if statement.select.source.index is not None:
            raise msg.refused(INDEX_WRITE)
        keys = target(ctx, statement.select.source).keys
        return "ConditionCheck", plan_exists(statement, prepared.params, keys)
    assert not isinstance(statement, ast.Select)
    if not isinstance(statement, ast.Insert) and statement.returning is not None:
        raise msg.refused(RETURNING)
    plan = plan_write(statement, prepared.params, target(ctx, statement.source).keys)
    return ACTIONS[plan.operation], plan.request


def _in_statement(index: int, step: Callable[[], Any]) -> Any:
    """Run a step for statement `index`; a ValidationException names the statement."""
    try:
        return step()
    except errors.DynamoError as exc:
        if exc.type_name != "ValidationException" or exc.message is None:
            raise
        if exc.message.startswith("Validation failed in TransactStatements["):
            raise
        raise errors.validation(FAILED.format(index, exc.message)) from None


def _refusal(exc: errors.DynamoError, index: int, count: int) -> errors.DynamoError:
    """DynamoDB cancels (rather than refuses) a transaction whose statement misses its key or
    names a key the item lacks or mistypes."""
    message = exc.message or ""
    detail = message.removeprefix(FAILED.format(index, ""))
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
