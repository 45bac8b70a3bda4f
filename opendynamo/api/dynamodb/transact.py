"""TransactWriteItems and TransactGetItems: all-or-nothing writes and snapshot reads of up to
100 items over several tables.

A write transaction is one storage transaction: every action's condition is checked against
the items as they were, and only when all hold are the writes applied — serializable against
every single-item write, which takes the same store lock. A failed condition cancels the whole
transaction with TransactionCanceledException and one CancellationReason per action. A
ClientRequestToken makes a retry within 10 minutes return the first result without applying
anything again.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import orjson

from opendynamo import errors, expr
from opendynamo.api.dynamodb.batch import consumed_per_table as _consumed
from opendynamo.api.dynamodb.items import (
    check_index_keys_updated,
    check_key_untouched,
    collection_metrics,
)
from opendynamo.api.request import insights, throughput
from opendynamo.api.request.common import refuse_legacy
from opendynamo.api.request.context import Context
from opendynamo.engine import capacity, catalog, indexes, items, replication, stats, tokens
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.keys import key_from_item, key_from_param
from opendynamo.model.sizes import item_size
from opendynamo.model.values import Body, Item, normalize_item
from opendynamo.storage.base import ReadTxn, WriteTxn

ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")
# The operation each action's expressions are checked as.
_OPERATIONS = {
    "ConditionCheck": "ConditionCheck",
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "Update": "UpdateItem",
}
MAX_REQUEST_BYTES = 4 * 1024 * 1024
AGGREGATE_TOO_LARGE = "The aggregate size of the items in the transaction cannot exceed 4 MB"
ONE_ITEM = "Transaction request cannot include multiple operations on one item"
_NONE: Body = {"Code": "None"}
_THROTTLED: Body = {
    "Code": "ProvisionedThroughputExceeded",
    "Message": "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API.",
}


@dataclass(frozen=True, slots=True)
class Action:
    """One validated action of a TransactWriteItems."""

    kind: str
    table: str
    key: Item  # the key, or the whole item for Put
    item: Item | None  # Put's item
    compiled: expr.Compiled
    on_failure: str | None


@dataclass(slots=True)
class Planned:
    action: Action
    meta: TableMeta
    encoded: bytes
    old: Item | None
    new: Item | None
    reason: Body


def transact_write_items(ctx: Context, body: Body) -> Body:
    actions = [_validate(entry) for entry in body["TransactItems"]]
    return write_actions(ctx, actions, body, counted=True)


def write_actions(
    ctx: Context, actions: list[Action], body: Body, *, counted: bool = False
) -> Body:
    """Run validated actions as one transaction. `body`, the request they came from, gives
    ClientRequestToken, ReturnConsumedCapacity and ReturnItemCollectionMetrics; a retry with
    the token must repeat it exactly. `counted`: the writes count for Contributor Insights
    (PartiQL's do not)."""
    token = body.get("ClientRequestToken")
    fingerprint = _fingerprint(body)
    mode = body.get("ReturnConsumedCapacity")
    written: list[tuple[Planned, items.WriteOutcome, float]] = []
    with ctx.store.write() as txn:
        if token is not None:
            replay = _replay(ctx, txn, token, fingerprint)
            if replay is not None:
                return _replayed(ctx, txn, actions, replay, mode)
        planned = _plan(ctx, txn, actions)
        if any(p.reason["Code"] != "None" for p in planned):
            raise cancelled([p.reason for p in planned])
        _check_aggregate(sum(item_size(p.new) for p in planned if p.new is not None))
        metrics_mode = body.get("ReturnItemCollectionMetrics")
        result = _apply(ctx, txn, planned, mode, metrics_mode, written if counted else None)
        if token is not None:
            remembered = {"hash": fingerprint, "result": result}
            tokens.remember(
                txn, ctx.account, ctx.region, "transaction", token, remembered, time.time()
            )
    for plan, outcome, units in written:
        insights.written(ctx, plan.meta, plan.action.key, outcome, units)
    return result


def transact_get_items(ctx: Context, body: Body) -> Body:
    gets = [_validate_get(entry) for entry in body["TransactItems"]]
    return read_items(ctx, gets, body.get("ReturnConsumedCapacity"), counted=True)


@dataclass(frozen=True, slots=True)
class Get:
    """One validated read of a TransactGetItems."""

    table: str
    key: Item
    compiled: expr.Compiled


def read_items(ctx: Context, gets: list[Get], mode: str | None, *, counted: bool = False) -> Body:
    """Read every item of `gets` in one snapshot; `mode` is ReturnConsumedCapacity. Each item
    costs 2 read units per 4 KB, charged to its table once the snapshot is read; a table
    without read capacity left cancels the transaction. `counted`: the reads count for
    Contributor Insights (PartiQL's do not)."""
    responses: list[Body] = []
    read: list[tuple[TableMeta, Item, float]] = []
    used: dict[str, float] = {}
    metas: dict[str, TableMeta] = {}
    located: list[tuple[Get, TableMeta, bytes]] = []
    seen: set[tuple[str, bytes]] = set()
    total_bytes = 0
    with ctx.store.read() as txn:  # one snapshot: every item as of the same moment
        for get in gets:
            meta = _not_strong(catalog.get_table(txn, ctx.table(get.table)))
            encoded = key_from_param(meta, get.key)
            if (get.table, encoded) in seen:
                raise errors.validation(ONE_ITEM)
            seen.add((get.table, encoded))
            located.append((get, meta, encoded))
            metas[get.table] = meta
        _admit(ctx, txn, [meta for _, meta, _ in located], throughput.READ)
        for get, meta, encoded in located:
            raw = items.get_raw(txn, meta, encoded)
            size = 0 if raw is None else items.stored_size(raw)
            units = 2 * capacity.read_units(size, True)
            used[get.table] = used.get(get.table, 0.0) + units
            if meta.tracks_keys and counted:
                read.append((meta, get.key, units))
            if raw is None:
                responses.append({})
                continue
            total_bytes += size
            _check_aggregate(total_bytes)
            item = items.decode_item(raw)
            if get.compiled.projection is not None:
                item = expr.project(item, get.compiled.projection)
            responses.append({"Item": item})
    for table, units in used.items():
        throughput.charge_read(ctx, metas[table], units)
    for meta, key, units in read:
        insights.read(ctx, meta, key, units)
    result: Body = {"Responses": responses}
    throughput.note(ctx, used, False)
    consumed = _consumed(used, mode)
    if consumed is not None:
        result["ConsumedCapacity"] = consumed
    return result


def _admit(ctx: Context, txn: ReadTxn, metas: list[TableMeta], kind: bytes) -> None:
    """Cancel the transaction when the table of any action has no `kind` capacity left: that
    action's reason is ProvisionedThroughputExceeded, the others' None."""
    tables = {m.name: m for m in metas}.values()  # each table's bucket read once
    empty = {m.name for m in tables if not throughput.has_capacity(ctx, txn, m, kind)}
    if empty:
        raise cancelled([dict(_THROTTLED if m.name in empty else _NONE) for m in metas])


# --- validation -------------------------------------------------------------------------


def _validate_get(entry: Body) -> Get:
    get = entry.get("Get")
    if get is None:
        raise errors.validation(
            "The action or operation requested is invalid. Verify that the action is typed "
            "correctly."
        )
    refuse_legacy(get, ("AttributesToGet",))
    compiled = expr.compile_expressions(
        projection=get.get("ProjectionExpression"),
        names=get.get("ExpressionAttributeNames"),
        values=None,
        operation="GetItem",
    )
    return Get(get["TableName"], normalize_item(get["Key"]), compiled)


def _validate(entry: Body) -> Action:
    present = [kind for kind in ACTIONS if entry.get(kind) is not None]
    if len(present) > 1:
        raise errors.validation(
            "TransactItems can only contain one of Check, Put, Update or Delete"
        )
    if not present:
        raise errors.validation(
            "The action or operation requested is invalid. Verify that the action is typed "
            "correctly."
        )
    kind = present[0]
    request = entry[kind]
    refuse_legacy(request, ("Expected", "ConditionalOperator", "AttributeUpdates"))
    return action(kind, request)


def action(kind: str, request: Body, compiled: expr.Compiled | None = None) -> Action:
    """One action of `kind` (ConditionCheck, Put, Delete or Update), validated; `compiled`
    stands for the request's expression parameters when PartiQL compiled them already."""
    if kind == "Put":
        item = normalize_item(request["Item"])
        key, put = item, item
    else:
        key, put = normalize_item(request["Key"]), None
    if compiled is None:
        compiled = expr.compile_expressions(
            condition=request.get("ConditionExpression"),
            update=request.get("UpdateExpression") if kind == "Update" else None,
            names=request.get("ExpressionAttributeNames"),
            values=request.get("ExpressionAttributeValues"),
            operation=_OPERATIONS[kind],
        )
    if kind == "ConditionCheck" and compiled.condition is None:
        raise errors.validation(
            "The ConditionExpression parameter is required but was not present in the request"
        )
    return Action(
        kind,
        request["TableName"],
        key,
        put,
        compiled,
        request.get("ReturnValuesOnConditionCheckFailure"),
    )


# --- execution --------------------------------------------------------------------------


def _plan(ctx: Context, txn: WriteTxn, actions: list[Action]) -> list[Planned]:
    """Look up every table and key, then judge every action against the items as they are;
    nothing is written yet."""
    located: list[tuple[Action, TableMeta, bytes]] = []
    seen: set[tuple[str, bytes]] = set()
    for index, action in enumerate(actions):
        meta = _not_strong(catalog.get_table(txn, ctx.table(action.table)))
        try:
            encoded = _locate(meta, action)
        except errors.DynamoError as exc:
            if exc.type_name != "ValidationException":
                raise
            # The first action found invalid against its table cancels the transaction.
            reasons = [dict(_NONE) for _ in actions]
            reasons[index] = {"Code": "ValidationError", "Message": exc.message}
            raise cancelled(reasons) from None
        if (action.table, encoded) in seen:
            raise errors.validation(ONE_ITEM)
        seen.add((action.table, encoded))
        update = action.compiled.update
        if update is not None:
            check_key_untouched(meta, update)
            check_index_keys_updated(meta, update)
        located.append((action, meta, encoded))
    _admit(ctx, txn, [meta for _, meta, _ in located], throughput.WRITE)
    # Claim every item first, in one global order, so that transactions over the same items
    # take turns instead of deadlocking (a store with one writer at a time ignores this).
    items.lock(txn, [(meta, encoded) for _, meta, encoded in located])
    return [_judge(txn, action, meta, encoded) for action, meta, encoded in located]


def _not_strong(meta: TableMeta) -> TableMeta:
    """A transaction cannot use a replica of a global table with strong consistency (the
    developer guide: such operations "will return an error")."""
    if replication.strong(meta):
        raise errors.validation(
            "Transactions are not supported for global tables with MultiRegionConsistency set "
            f"to STRONG: {meta.name}"
        )
    return meta


def _locate(meta: TableMeta, action: Action) -> bytes:
    """The action's key in the table's encoding; a Put's item within the item size limit."""
    if action.kind != "Put":
        return key_from_param(meta, action.key)
    encoded = key_from_item(meta, action.key)
    assert action.item is not None
    if item_size(action.item) > items.MAX_ITEM_BYTES:
        raise errors.validation("Item size has exceeded the maximum allowed size")
    return encoded


def _judge(txn: WriteTxn, action: Action, meta: TableMeta, encoded: bytes) -> Planned:
    old = items.get(txn, meta, encoded)
    condition = action.compiled.condition
    if condition is not None and not expr.evaluate(condition, old):
        reason: Body = {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
        }
        if action.on_failure == "ALL_OLD" and old is not None:
            reason["Item"] = old
        return Planned(action, meta, encoded, old, old, reason)
    try:
        new = _produce(action, old)
        if new is not None:
            if item_size(new) > items.MAX_ITEM_BYTES:
                size_error = "Item size to update has exceeded the maximum allowed size"
                raise errors.validation(size_error)
            indexes.check_item(meta, new)
    except errors.DynamoError as exc:
        return Planned(
            action, meta, encoded, old, None, {"Code": "ValidationError", "Message": exc.message}
        )
    return Planned(action, meta, encoded, old, new, {"Code": "None"})


def _produce(action: Action, old: Item | None) -> Item | None:
    if action.kind == "Put":
        return action.item
    if action.kind == "Delete":
        return None
    if action.kind == "ConditionCheck":
        return old
    return expr.updated_item(action.compiled.update, old, action.key)


def _apply(
    ctx: Context,
    txn: WriteTxn,
    planned: list[Planned],
    mode: str | None,
    metrics_mode: str | None,
    written: list[tuple[Planned, items.WriteOutcome, float]] | None = None,
) -> Body:
    """Write the planned actions; each write of a table Contributor Insights counts is added
    to `written` when given."""
    used: dict[str, float] = {}
    collections: dict[str, list[Body]] = {}
    tally = stats.Tally()  # counters: each written once, after every item
    for plan in planned:
        meta = plan.meta
        if plan.action.kind == "ConditionCheck":
            size = item_size(plan.old) if plan.old is not None else 0
            used[meta.name] = used.get(meta.name, 0.0) + 2 * capacity.write_units(size)
            continue
        new = plan.new
        outcome = items.write(txn, meta, plan.encoded, lambda old, new=new: new, tally=tally)  # type: ignore[misc]
        units = 2 * capacity.write_units(max(outcome.old_size, outcome.new_size))
        throughput.charge(ctx, txn, meta, throughput.WRITE, units)
        used[meta.name] = used.get(meta.name, 0.0) + units
        if written is not None and meta.tracks_keys:
            written.append((plan, outcome, units))
        metrics = collection_metrics(meta, outcome, metrics_mode)
        if metrics is not None:
            collections.setdefault(meta.name, []).append(metrics)
    tally.apply(txn)
    result: Body = {}
    throughput.note(ctx, used, True)
    consumed = _consumed(used, mode)
    if consumed is not None:
        result["ConsumedCapacity"] = consumed
    if metrics_mode == "SIZE" and collections:
        result["ItemCollectionMetrics"] = collections
    return result


def _check_aggregate(size: float) -> None:
    """The items of one transaction may total at most 4 MB. DynamoDB's wording of this error
    is not recorded; this is the API reference's sentence for the limit."""
    if size > MAX_REQUEST_BYTES:
        raise errors.validation(AGGREGATE_TOO_LARGE)


def cancelled(reasons: list[Body]) -> errors.DynamoError:
    """TransactionCanceledException with one reason per action, in request order."""
    return errors.transaction_canceled(reasons)


# --- idempotency ------------------------------------------------------------------------


def _fingerprint(body: Body) -> str:
    """A digest of everything in the request but its token."""
    rest = {k: v for k, v in body.items() if k != "ClientRequestToken"}
    return hashlib.sha256(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _replay(ctx: Context, txn: WriteTxn, token: str, fingerprint: str) -> Body | None:
    """The first result of a request with this token, if it completed in the last 10 minutes;
    IdempotentParameterMismatchException when the token came with another request."""
    stored = tokens.recall(txn, ctx.account, ctx.region, "transaction", token, time.time())
    if stored is None:
        return None
    if stored["hash"] != fingerprint:
        raise errors.idempotent_parameter_mismatch()
    result: Body = stored["result"]
    return result


def _replayed(
    ctx: Context, txn: WriteTxn, actions: list[Action], first: Body, mode: str | None
) -> Body:
    """A repeated request answers as the first did, but reports the read units spent reading
    its items (the ClientRequestToken API reference)."""
    result = {k: v for k, v in first.items() if k != "ConsumedCapacity"}
    used: dict[str, float] = {}
    for action in actions:
        meta = catalog.get_table(txn, ctx.table(action.table))
        locate = key_from_item if action.kind == "Put" else key_from_param
        raw = items.get_raw(txn, meta, locate(meta, action.key))
        size = 0 if raw is None else items.stored_size(raw)
        used[meta.name] = used.get(meta.name, 0.0) + capacity.read_units(size, True)
    throughput.note(ctx, used, False)
    consumed = _consumed(used, mode)
    if consumed is not None:
        result["ConsumedCapacity"] = consumed
    return result
