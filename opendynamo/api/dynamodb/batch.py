"""BatchGetItem and BatchWriteItem: many keys over several tables in one request.

The whole request is validated before anything is read or written (every table exists, every key
matches its schema, no key appears twice). A batch write then runs in one storage transaction, so
each element is atomic on its own (DynamoDB promises no more). With `--enforce-capacity`,
elements whose table has no capacity left come back unprocessed; when nothing at all could be
served the call fails with ProvisionedThroughputExceededException, as DynamoDB's does.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from opendynamo import errors, expr
from opendynamo.api.dynamodb.items import collection_metrics
from opendynamo.api.request import insights, throughput
from opendynamo.api.request.context import Context
from opendynamo.api.request.expressions import compile_request
from opendynamo.engine import bulk, capacity, catalog, items, stats
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.keys import NO_MATCH, key_from_item, key_from_param
from opendynamo.model.sizes import item_size
from opendynamo.model.values import Body, Item, normalize_item
from opendynamo.storage.base import ReadTxn

MAX_GET_KEYS = 100
MAX_WRITE_REQUESTS = 25
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
DUPLICATES = "Provided list of item keys contains duplicates"


@dataclass(frozen=True, slots=True)
class TableGets:
    """One table's part of a BatchGetItem, validated."""

    name: str
    request: Body  # as sent: echoed back in UnprocessedKeys
    keys: list[Item]
    compiled: expr.Compiled
    consistent: bool


def batch_get_item(ctx: Context, body: Body) -> Body:
    gets = _validate_gets(body["RequestItems"])
    mode = body.get("ReturnConsumedCapacity")
    responses: dict[str, list[Item]] = {}
    unprocessed: Body = {}
    used: dict[str, float] = {}
    budget = MAX_RESPONSE_BYTES
    # Contributor Insights' reads (units None: throttled), noted once the reading is over.
    noted: list[tuple[TableMeta, Item, float | None]] = []
    with ctx.store.read() as txn:
        metas = {get.name: catalog.get_table(txn, ctx.table(get.name)) for get in gets}
        encoded = {
            get.name: [key_from_param(metas[get.name], key) for key in get.keys] for get in gets
        }
        for get in gets:
            meta = metas[get.name]
            found = responses.setdefault(get.name, [])
            allowance = throughput.available(ctx, txn, meta, throughput.READ)
            for index, key in enumerate(encoded[get.name]):
                raw = None if allowance <= 0 else items.get_raw(txn, meta, key)
                size = 0 if raw is None else items.stored_size(raw)
                if allowance <= 0 or size > budget:
                    _leave_unprocessed(unprocessed, get, get.keys[index:])
                    if meta.tracks_keys and allowance <= 0:
                        noted.extend((meta, left, None) for left in get.keys[index:])
                    break
                budget -= size
                units = capacity.read_units(size, get.consistent)
                allowance -= units
                used[get.name] = used.get(get.name, 0.0) + units
                if meta.tracks_keys:
                    noted.append((meta, get.keys[index], units))
                if raw is not None:
                    item = items.decode_item(raw)
                    projection = get.compiled.projection
                    found.append(item if projection is None else expr.project(item, projection))
    for table, item_key, spent in noted:
        if spent is None:
            insights.throttled(ctx, table, None, item_key)
        else:
            insights.read(ctx, table, item_key, spent)
    if not used and unprocessed:
        raise throughput.exceeded(metas[next(iter(unprocessed))], throughput.READ)
    for name, units in used.items():
        throughput.charge_read(ctx, metas[name], units)
    result: Body = {"Responses": responses, "UnprocessedKeys": unprocessed}
    throughput.note(ctx, used, False)
    consumed = consumed_per_table(used, mode)
    if consumed is not None:
        result["ConsumedCapacity"] = consumed
    return result


def _validate_gets(request_items: dict[str, Body]) -> list[TableGets]:
    gets: list[TableGets] = []
    total = 0
    for name, request in request_items.items():
        keys: list[Item] = []
        seen: set[bytes] = set()
        for key in request["Keys"]:
            normalized = normalize_item(key)
            identity = _key_identity(normalized)
            if identity in seen:
                raise errors.validation(DUPLICATES)
            seen.add(identity)
            keys.append(normalized)
            total += 1
            if total > MAX_GET_KEYS:
                raise errors.validation("Too many items requested for the BatchGetItem call")
        compiled = compile_request(request, "BatchGetItem")
        gets.append(TableGets(name, request, keys, compiled, bool(request.get("ConsistentRead"))))
    return gets


def _leave_unprocessed(unprocessed: Body, get: TableGets, keys: list[Item]) -> None:
    entry = unprocessed.setdefault(get.name, {k: v for k, v in get.request.items() if k != "Keys"})
    entry.setdefault("Keys", []).extend(keys)


# --- BatchWriteItem ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteRequest:
    table: str
    request: Body  # as sent: echoed back in UnprocessedItems
    encoded_key: bytes
    item: Item | None  # None: delete
    key: Item  # the key, or the item to put


def batch_write_item(ctx: Context, body: Body) -> Body:
    mode = body.get("ReturnConsumedCapacity")
    requests = _normalize_writes(body["RequestItems"])
    used: dict[str, float] = {}
    unprocessed: dict[str, list[Body]] = {}
    collections: dict[str, list[Body]] = {}
    index_used: dict[str, dict[str, float]] = {}
    # Contributor Insights' (an outcome None: throttled), noted once the transaction is over.
    noted: list[tuple[TableMeta, WriteRequest, items.WriteOutcome | None, float]] = []
    with ctx.store.write() as txn:
        metas, planned = _plan_writes(ctx, txn, requests)
        # Claim every item first, in one global order (see transact), and write counters last.
        located = [(metas[w.table], w.encoded_key) for w in planned]
        items.lock(txn, located)
        stored = txn.get_many([items.storage_key(meta, key) for meta, key in located])
        tally = stats.Tally()  # counters: each written once per call
        deferred = bulk.Deferred(txn)  # the items and their index entries: put together
        for write, record in zip(planned, stored, strict=True):
            meta = metas[write.table]
            if not throughput.has_capacity(ctx, deferred, meta, throughput.WRITE):
                unprocessed.setdefault(write.table, []).append(write.request)
                if meta.tracks_keys:
                    noted.append((meta, write, None, 0.0))
                continue
            outcome = items.write(
                deferred,
                meta,
                write.encoded_key,
                items.replacing(write.item),
                tally=tally,
                stored=record,
            )
            units = capacity.write_units(max(outcome.old_size, outcome.new_size))
            throughput.charge(ctx, deferred, meta, throughput.WRITE, units)
            used[write.table] = used.get(write.table, 0.0) + units
            if meta.tracks_keys:
                noted.append((meta, write, outcome, units))
            per_index = index_used.setdefault(write.table, {})
            for name, index_units in outcome.index_units.items():
                per_index[name] = per_index.get(name, 0.0) + index_units
            metrics = collection_metrics(meta, outcome, body.get("ReturnItemCollectionMetrics"))
            if metrics is not None:
                collections.setdefault(write.table, []).append(metrics)
        deferred.flush()
        tally.apply(txn)
    for table, element, done, spent in noted:
        if done is None:
            insights.throttled(ctx, table, None, element.key)
        else:
            insights.written(ctx, table, element.key, done, spent)
    if planned and not used:
        raise throughput.exceeded(metas[planned[0].table], throughput.WRITE)
    result: Body = {"UnprocessedItems": unprocessed}
    throughput.note(ctx, used, True, index_used, metas)
    consumed = consumed_per_table(used, mode, index_used, metas)
    if consumed is not None:
        result["ConsumedCapacity"] = consumed
    if body.get("ReturnItemCollectionMetrics") == "SIZE":
        result["ItemCollectionMetrics"] = collections  # only tables with LSIs have any
    return result


def _normalize_writes(
    request_items: dict[str, list[Body]],
) -> list[tuple[str, Body, Item | None, Item]]:
    """(table, request, item to put or None, key or item) for every element, values checked."""
    if sum(len(requests) for requests in request_items.values()) > MAX_WRITE_REQUESTS:
        raise errors.validation("Too many items requested for the BatchWriteItem call")
    out: list[tuple[str, Body, Item | None, Item]] = []
    for name, requests in request_items.items():
        for request in requests:
            put, delete = request.get("PutRequest"), request.get("DeleteRequest")
            if (put is None) == (delete is None):
                raise errors.validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain "
                    "exactly one of the supported datatypes"
                )
            if put is not None:
                item = normalize_item(put["Item"])
                if _too_large(item):
                    raise errors.validation("Item size has exceeded the maximum allowed size")
                out.append((name, request, item, item))
            else:
                assert delete is not None
                out.append((name, request, None, normalize_item(delete["Key"])))
    return out


def _too_large(item: Item) -> bool:
    return item_size(item) > items.MAX_ITEM_BYTES


def _plan_writes(
    ctx: Context, txn: ReadTxn, requests: list[tuple[str, Body, Item | None, Item]]
) -> tuple[dict[str, TableMeta], list[WriteRequest]]:
    metas: dict[str, TableMeta] = {}
    seen: set[tuple[str, bytes]] = set()
    planned: list[WriteRequest] = []
    for name, request, item, key in requests:
        meta = metas.get(name) or catalog.get_table(txn, ctx.table(name))
        metas[name] = meta
        try:
            encoded = key_from_item(meta, key) if item is not None else key_from_param(meta, key)
        except errors.DynamoError as exc:
            # DynamoDB reports a put's missing or mistyped key the way it reports a bad Key.
            if exc.message and ("Missing the key" in exc.message or "Type mismatch" in exc.message):
                raise errors.validation(NO_MATCH) from None
            raise
        if (name, encoded) in seen:
            raise errors.validation(DUPLICATES)
        seen.add((name, encoded))
        planned.append(WriteRequest(name, request, encoded, item, key))
    return metas, planned


# --- shared -----------------------------------------------------------------------------


def _key_identity(key: Item) -> bytes:
    """Equal for keys DynamoDB considers the same (numbers are canonical text already)."""
    return orjson.dumps(key, option=orjson.OPT_SORT_KEYS)


def consumed_per_table(
    used: dict[str, float],
    mode: str | None,
    index_used: dict[str, dict[str, float]] | None = None,
    metas: dict[str, TableMeta] | None = None,
) -> list[Body] | None:
    """One ConsumedCapacity per table, its index writes included."""
    if mode is None or mode == "NONE":
        return None
    out = []
    for name, units in used.items():
        per_index = (index_used or {}).get(name, {})
        local = {i.name for i in metas[name].local_indexes} if metas else set()
        global_units, local_units = capacity.split_index_units(per_index, local)
        entry = capacity.consumed(
            name, units, mode, global_units=global_units, local_units=local_units
        )
        assert entry is not None
        out.append(entry)
    return out
