"""Single-item operations: GetItem, PutItem, UpdateItem, DeleteItem.

Each handler validates the whole request first (values, expressions), then runs one storage
transaction in which the table is looked up, the key checked against its schema, and the write
applied as a pure function of the old item (`engine.items.write`). PartiQL's statements run
through the same handlers, handing over their expressions already compiled (`compiled`) in
place of the request's expression parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from opendynamo import errors, expr
from opendynamo.api.request import insights, throughput
from opendynamo.api.request.context import Context
from opendynamo.api.request.expressions import compile_request
from opendynamo.engine import capacity, catalog, items
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.indexes import IndexKeyError
from opendynamo.engine.items import WriteOutcome
from opendynamo.engine.keys import key_from_item, key_from_param
from opendynamo.expr import legacy
from opendynamo.model.values import Body, Item, normalize_item
from opendynamo.storage.base import WriteTxn


def get_item(ctx: Context, body: Body, compiled: expr.Compiled | None = None) -> Body | bytes:
    key = normalize_item(body["Key"])
    noted = compiled is None  # PartiQL's statements count for no Contributor Insights
    if compiled is None:
        compiled = compile_request(body, "GetItem")
    consistent = bool(body.get("ConsistentRead"))
    with ctx.store.read() as txn:
        meta = catalog.get_table(txn, ctx.table(body["TableName"]))
        encoded = key_from_param(meta, key)
        throughput.admit(ctx, txn, meta, throughput.READ, key if noted else None)
        raw = items.get_raw(txn, meta, encoded)
    size = 0 if raw is None else items.stored_size(raw)
    units = capacity.read_units(size, consistent)
    throughput.charge_read(ctx, meta, units)
    usage = ctx.usage
    if usage is not None:  # (the hot path: appended as `Usage.consumed` would)
        usage.append((meta.name, None, False, units))
    if meta.tracks_keys and noted:
        insights.read(ctx, meta, key, units)
    used = capacity.consumed(meta.name, units, body.get("ReturnConsumedCapacity"))
    if raw is not None and compiled.projection is None:
        # The stored JSON is the wire form: answer with it as it is.
        tail = b"}" if used is None else b',"ConsumedCapacity":' + orjson.dumps(used) + b"}"
        return b'{"Item":' + items.item_json(raw) + tail
    result: Body = {}
    if raw is not None:
        assert compiled.projection is not None
        result["Item"] = expr.project(items.decode_item(raw), compiled.projection)
    if used is not None:
        result["ConsumedCapacity"] = used
    return result


def put_item(ctx: Context, body: Body, compiled: expr.Compiled | None = None) -> Body:
    item = normalize_item(body["Item"])
    _check_return_values(body, ("NONE", "ALL_OLD"))
    write = ItemWrite(
        table_name=body["TableName"],
        locate=lambda meta: key_from_item(meta, item),
        compiled=compile_request(body, "PutItem") if compiled is None else compiled,
        produce=lambda old: item,
        on_failure=body.get("ReturnValuesOnConditionCheckFailure"),
        key=item if compiled is None else None,
    )
    return _reply(ctx, body, write, ())


def update_item(ctx: Context, body: Body, compiled: expr.Compiled | None = None) -> Body:
    key = normalize_item(body["Key"])
    noted = key if compiled is None else None
    if compiled is None:
        compiled = compile_request(body, "UpdateItem")
    update = compiled.update
    attribute_updates = "AttributeUpdates" in compiled.legacy

    def produce(old: Item | None) -> Item | None:
        if update is not None and attribute_updates:
            return legacy.apply_attribute_updates(update, old, key)
        return expr.updated_item(update, old, key)

    write = ItemWrite(
        table_name=body["TableName"],
        locate=lambda meta: key_from_param(meta, key),
        compiled=compiled,
        produce=produce,
        on_failure=body.get("ReturnValuesOnConditionCheckFailure"),
        size_error="Item size to update has exceeded the maximum allowed size",
        key=noted,
    )
    return _reply(ctx, body, write, expr.update_paths(update) if update is not None else ())


def delete_item(ctx: Context, body: Body, compiled: expr.Compiled | None = None) -> Body:
    key = normalize_item(body["Key"])
    _check_return_values(body, ("NONE", "ALL_OLD"))
    write = ItemWrite(
        table_name=body["TableName"],
        locate=lambda meta: key_from_param(meta, key),
        compiled=compile_request(body, "DeleteItem") if compiled is None else compiled,
        produce=lambda old: None,
        on_failure=body.get("ReturnValuesOnConditionCheckFailure"),
        key=key if compiled is None else None,
    )
    return _reply(ctx, body, write, ())


@dataclass(frozen=True, slots=True)
class ItemWrite:
    """One validated item write, ready to run inside a storage transaction: where the item is
    (`locate` checks the key against the table's schema), the condition to hold on the old item,
    and the pure function from the old item to the new one (None deletes). `key`, the item's
    key (or a put's item), is given by the requests Contributor Insights counts (not
    PartiQL's)."""

    table_name: str
    locate: Callable[[TableMeta], bytes]
    compiled: expr.Compiled
    produce: Callable[[Item | None], Item | None]
    on_failure: str | None = None
    size_error: str = "Item size has exceeded the maximum allowed size"
    key: Item | None = None


def run_write(ctx: Context, txn: WriteTxn, write: ItemWrite) -> tuple[TableMeta, WriteOutcome]:
    """Look the table up, check the key, and apply the write inside `txn`."""
    meta = catalog.get_table(txn, ctx.table(write.table_name))
    encoded = write.locate(meta)
    update = write.compiled.update
    if update is not None:
        check_key_untouched(meta, update)
        check_index_keys_updated(meta, update)
    throughput.admit(ctx, txn, meta, throughput.WRITE, write.key)

    def mutation(old: Item | None) -> Item | None:
        _check_condition(write.compiled, old, write.on_failure)
        return write.produce(old)

    try:
        outcome = items.write(txn, meta, encoded, mutation, size_error=write.size_error)
    except IndexKeyError as exc:
        raise _worded_for_update(exc) if update is not None else exc from None
    throughput.charge(ctx, txn, meta, throughput.WRITE, write_units(outcome))
    return meta, outcome


def write_units(outcome: WriteOutcome) -> float:
    """Write units of one item write: 1 KB units of the larger of the two images."""
    return capacity.write_units(max(outcome.old_size, outcome.new_size))


def _reply(ctx: Context, body: Body, write: ItemWrite, paths: Any) -> Body:
    with ctx.store.write() as txn:
        meta, outcome = run_write(ctx, txn, write)
    result = _attributes(body.get("ReturnValues"), outcome.old, outcome.new, paths)
    if ctx.usage is not None:
        note_write(ctx, meta, outcome)
    if meta.tracks_keys and write.key is not None:
        insights.written(ctx, meta, write.key, outcome, write_units(outcome))
    used = write_capacity(meta, outcome, body.get("ReturnConsumedCapacity"))
    if used is not None:
        result["ConsumedCapacity"] = used
    metrics = collection_metrics(meta, outcome, body.get("ReturnItemCollectionMetrics"))
    if metrics is not None:
        result["ItemCollectionMetrics"] = metrics
    return result


def write_capacity(meta: TableMeta, outcome: WriteOutcome, mode: str | None) -> Body | None:
    """ConsumedCapacity of one item write, its index writes included."""
    if mode is None or mode == "NONE":
        return None  # (most requests: nothing to count out per index)
    local_names = {index.name for index in meta.local_indexes}
    global_units, local_units = capacity.split_index_units(outcome.index_units, local_names)
    return capacity.consumed(
        meta.name,
        write_units(outcome),
        mode,
        global_units=global_units,
        local_units=local_units,
    )


def note_write(ctx: Context, meta: TableMeta, outcome: WriteOutcome) -> None:
    """Note one item write's units, its index writes' included, for the request's metrics."""
    if not outcome.index_units:
        assert ctx.usage is not None
        ctx.usage.consumed(meta.name, None, True, write_units(outcome))
        return
    index_used = {meta.name: outcome.index_units}
    throughput.note(ctx, {meta.name: write_units(outcome)}, True, index_used, {meta.name: meta})


def collection_metrics(meta: TableMeta, outcome: WriteOutcome, mode: str | None) -> Body | None:
    """ItemCollectionMetrics for ReturnItemCollectionMetrics SIZE: only tables with local
    secondary indexes have item collections."""
    if mode != "SIZE" or outcome.collection_size is None:
        return None
    image = outcome.new if outcome.new is not None else outcome.old
    if image is None:
        return None
    gigabytes = outcome.collection_size / 1024**3
    low = int(gigabytes)
    return {
        "ItemCollectionKey": {meta.hash_key: image[meta.hash_key]},
        "SizeEstimateRangeGB": [float(low), float(low + 1)],
    }


# --- shared steps -----------------------------------------------------------------------


def _check_return_values(body: Body, allowed: tuple[str, ...]) -> None:
    value = body.get("ReturnValues")
    if value is not None and value not in allowed:
        raise errors.validation("ReturnValues can only be ALL_OLD or NONE")


def _check_condition(compiled: expr.Compiled, old: Item | None, on_failure: str | None) -> None:
    if compiled.condition is not None and not expr.evaluate(compiled.condition, old):
        item = old if on_failure == "ALL_OLD" else None
        raise errors.conditional_check_failed(item)


def check_key_untouched(meta: TableMeta, update: Any) -> None:
    for name in expr.top_level_names(update):
        if name in meta.key_names:
            raise errors.invalid_parameters(
                f"Cannot update attribute {name}. This attribute is part of the key"
            )


def check_index_keys_updated(meta: TableMeta, update: Any) -> None:
    """Static checks of an update against index keys: no path inside an index key attribute,
    and a value set or added to one must have the key's type."""
    index_keys = {
        name: index for index in meta.indexes if index.maintained for name in index.key_names
    }
    for action in update.actions:
        path = action.path.elements
        index = index_keys.get(str(path[0]))
        if index is None:
            continue
        if len(path) > 1:
            raise errors.validation(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' "
                f"are not allowed: IndexKey: {path[0]}"
            )
        value = getattr(action, "value", None)
        if isinstance(value, expr.ast.Literal) and not isinstance(action, expr.ast.DeleteAction):
            expected = meta.attribute_type(str(path[0]))
            if expected not in value.value:
                actual = next(iter(value.value))
                raise errors.invalid_parameters(
                    f"Type mismatch for Index Key {path[0]} Expected: {expected} "
                    f"Actual: {actual} IndexName: {index.name}"
                )


def _worded_for_update(exc: IndexKeyError) -> errors.DynamoError:
    """An index key made invalid by evaluating an update is reported as DynamoDB reports it."""
    if exc.problem == "type":
        return errors.validation(
            "The update expression attempted to update the secondary index key to unsupported type"
        )
    if exc.problem == "size":
        return errors.validation(
            "The update expression attempted to update the secondary index key beyond allowed "
            "size limits"
        )
    return exc


def _attributes(mode: str | None, old: Item | None, new: Item | None, paths: Any) -> Body:
    """The `Attributes` member for ReturnValues `mode`; absent when there is nothing to return."""
    if mode is None or mode == "NONE":
        return {}
    if mode == "ALL_OLD":
        chosen = old
    elif mode == "ALL_NEW":
        chosen = new
    elif mode == "UPDATED_OLD":
        chosen = expr.project(old, paths) if old is not None else None
    else:
        chosen = expr.project(new, paths) if new is not None else None
    return {"Attributes": chosen} if chosen else {}
