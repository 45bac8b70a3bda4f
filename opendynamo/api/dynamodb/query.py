"""Query and Scan: one page of a partition or of the whole table, with DynamoDB's key-condition
rules, filters, projections, Select, Limit, paging keys and capacity.

The engine plans the key range (engine/keyrange) and reads the page (engine/reads), cut at Limit
or 1 MB; this module validates the request, applies filter and projection to the page, and shapes
the reply. `engine/sources` says what is read (the table or one of its indexes), `ranges`
which part of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from opendynamo import errors, expr
from opendynamo.api.dynamodb import ranges
from opendynamo.api.request import insights, throughput
from opendynamo.api.request.common import INVALID_START, segments, start_key
from opendynamo.api.request.context import Context
from opendynamo.api.request.expressions import compile_request
from opendynamo.engine import capacity, catalog, indexes, items, reads
from opendynamo.engine.keyrange import KeyRange
from opendynamo.engine.keys import key_from_param
from opendynamo.engine.sources import Source
from opendynamo.model.values import AttributeValue, Body, Item
from opendynamo.storage.base import ReadTxn


def query(ctx: Context, body: Body, compiled: expr.Compiled | None = None) -> Body | bytes:
    noted = compiled is None  # PartiQL's statements count for no Contributor Insights
    if compiled is None:
        compiled = compile_request(body, "Query")
    start = start_key(body)
    select = _select(body, "Query", compiled)
    conditions = {c.name: c for c in _key_conditions(compiled)}
    forward = body.get("ScanIndexForward", True) is not False
    with ctx.store.read() as txn:
        source = _source(ctx, txn, body)
        if compiled.key_conditions is not None:
            ranges.check_key_conditions_count(source, len(conditions))
        if start is not None:
            ranges.check_start_size(source, start, query=True)
        plan = ranges.plan_query(source, conditions, start)
        key_range = plan.key_range(source)
        if start is not None:
            position = ranges.start_position(source, start)
            ranges.check_query_start(source, start, plan)
            key_range = key_range.after(position) if forward else key_range.before(position)
        _check_filter(source, compiled)
        select = _effective_select(source, select)
        _check_index_projection(source, select, compiled)
        partition = plan.hash_values if noted else None
        read = _read(
            ctx,
            txn,
            source,
            body,
            compiled,
            select,
            key_range,
            reverse=not forward,
            partition=partition,
        )
    return _reply(ctx, source, body, compiled, read, select, partition)


def scan(ctx: Context, body: Body, compiled: expr.Compiled | None = None) -> Body | bytes:
    if compiled is None:
        compiled = compile_request(body, "Scan")
    start = start_key(body)
    segment, total = segments(body)
    select = _select(body, "Scan", compiled)
    with ctx.store.read() as txn:
        source = _source(ctx, txn, body)
        if start is not None:
            ranges.check_scan_start(source, start)
        select = _effective_select(source, select)
        _check_index_projection(source, select, compiled)
        key_range = source.segment(segment, total)
        if start is not None:
            position = ranges.start_position(source, start)
            if total > 1 and not key_range.contains(position):
                raise errors.validation(
                    f"{INVALID_START}: Invalid ExclusiveStartKey. Please use "
                    f"ExclusiveStartKey with correct Segment. TotalSegments: {total} "
                    f"Segment: {segment}"
                )
            key_range = key_range.after(position)
        bounds = source.partition_bounds(key_range)
        read = _read(
            ctx, txn, source, body, compiled, select, key_range, reverse=False, bounds=bounds
        )
    return _reply(ctx, source, body, compiled, read, select)


@dataclass(frozen=True, slots=True)
class Read:
    """A page as read: the stored rows of the source, and for an LSI read that needs
    attributes the index does not hold, the table items they stand for."""

    page: reads.Page
    fetched: list[Item] | None
    fetched_bytes: int


def _read(
    ctx: Context,
    txn: ReadTxn,
    source: Source,
    body: Body,
    compiled: expr.Compiled,
    select: str,
    key_range: KeyRange,
    *,
    reverse: bool,
    bounds: tuple[bytes, ...] = (),
    partition: list[AttributeValue] | None = None,
) -> Read:
    """The page of `key_range` (`bounds`: of the partitions a Scan's range crosses; a
    Query's `partition` counts for Contributor Insights if it is throttled)."""
    throughput.admit(ctx, txn, source.meta, throughput.READ, partition, source.index)
    page = reads.read_page(
        txn,
        key_range,
        reverse=reverse,
        limit=body.get("Limit"),
        range_key=source.meta.range_key,
        partition_bounds=bounds,
    )
    if not _needs_table(source, compiled, select):
        return Read(page, None, 0)
    fetched: list[Item] = []
    fetched_bytes = 0
    meta = source.meta
    for row in page.rows:
        entry = items.decode_item(row)
        key = key_from_param(meta, {name: entry[name] for name in meta.key_names})
        raw = items.get_raw(txn, meta, key)
        if raw is not None:
            fetched.append(items.decode_item(raw))
            fetched_bytes += items.stored_size(raw)
        else:  # the item left between the index read and this one: keep the entry
            fetched.append(entry)
    return Read(page, fetched, fetched_bytes)


def _needs_table(source: Source, compiled: expr.Compiled, select: str) -> bool:
    """An LSI read fetches from the table the attributes it does not project (a GSI refuses
    them instead: see _check_index_projection)."""
    index = source.index
    if index is None or index.is_global or index.projection_type == "ALL":
        return False
    if select == "ALL_ATTRIBUTES":
        return True
    names: set[str] = set()
    if compiled.projection is not None:
        names |= expr.top_level_names(compiled.projection)
    if compiled.filter is not None:
        names |= expr.top_level_names(expr.condition_paths(compiled.filter))
    return any(not indexes.projects(source.meta, index, name) for name in names)


# --- validation -------------------------------------------------------------------------


def _key_conditions(compiled: expr.Compiled) -> tuple[expr.KeyCondition, ...]:
    """The per-attribute key conditions, from KeyConditions or the KeyConditionExpression."""
    if compiled.key_conditions is not None:
        return compiled.key_conditions
    assert compiled.key_condition is not None
    return expr.split_key_condition(compiled.key_condition)


def _select(body: Body, operation: str, compiled: expr.Compiled) -> str:
    """The effective Select, after DynamoDB's checks of Select against the projection."""
    select = body.get("Select")
    legacy = "AttributesToGet" in compiled.legacy
    parameter = "AttributesToGet" if legacy else "ProjectionExpression"
    projection = compiled.projection
    problem = None
    if select == "SPECIFIC_ATTRIBUTES" and projection is None:
        problem = (
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
            "SPECIFIC_ATTRIBUTES"
        )
    elif projection is not None and select in (
        "ALL_ATTRIBUTES",
        "ALL_PROJECTED_ATTRIBUTES",
        "COUNT",
    ):
        target = "only the Count" if select == "COUNT" else select
        problem = f"Cannot specify the {parameter} when choosing to get {target}"
    elif select == "ALL_PROJECTED_ATTRIBUTES" and body.get("IndexName") is None:
        problem = "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    if problem is not None:
        # DynamoDB words these as constraint failures for Query and bare for Scan.
        raise errors.validation(
            f"1 validation error detected: {problem}" if operation == "Query" else problem
        )
    if select is not None:
        return str(select)
    return "SPECIFIC_ATTRIBUTES" if projection is not None else ""


def _effective_select(source: Source, select: str) -> str:
    """Select as given, or its default: all attributes of a table, the projection of an index."""
    if select:
        return select
    return "ALL_ATTRIBUTES" if source.index is None else "ALL_PROJECTED_ATTRIBUTES"


def _source(ctx: Context, txn: ReadTxn, body: Body) -> Source:
    """The table, or the index IndexName names, with DynamoDB's checks of reading it."""
    meta = catalog.get_table(txn, ctx.table(body["TableName"]))
    name = body.get("IndexName")
    if name is None:
        return Source(meta, None)
    index = meta.index(name)
    if index is None or not index.maintained:
        raise errors.validation(f"The table does not have the specified index: {name}")
    if index.is_global and body.get("ConsistentRead"):
        raise errors.validation("Consistent reads are not supported on global secondary indexes")
    if not index.readable:
        raise errors.validation(f"Cannot read from backfilling global secondary index: {name}")
    return Source(meta, index)


def _check_index_projection(source: Source, select: str, compiled: expr.Compiled) -> None:
    """A GSI holds only its projection: asking for more is an error (an LSI fetches it)."""
    index = source.index
    if index is None or not index.is_global or index.projection_type == "ALL":
        return
    if select == "ALL_ATTRIBUTES":
        raise errors.invalid_parameters(
            f"Select type ALL_ATTRIBUTES is not supported for global secondary index "
            f"{index.name} because its projection type is not ALL"
        )
    if compiled.projection is None:
        return
    missing = sorted(
        name
        for name in expr.top_level_names(compiled.projection)
        if not indexes.projects(source.meta, index, name)
    )
    if missing:
        raise errors.invalid_parameters(
            f"Global secondary index {index.name} does not project [{', '.join(missing)}]"
        )


def _check_filter(source: Source, compiled: expr.Compiled) -> None:
    """A Query filter may not name an attribute of the key it queries."""
    if compiled.filter is None:
        return
    names = expr.top_level_names(expr.condition_paths(compiled.filter))
    label = "QueryFilter" if "QueryFilter" in compiled.legacy else "Filter Expression"
    for key in source.key_names:
        if key in names:
            raise errors.validation(
                f"{label} can only contain non-primary key attributes: Primary key attribute: {key}"
            )


# --- the reply -------------------------------------------------------------------------


def _reply(
    ctx: Context,
    source: Source,
    body: Body,
    compiled: expr.Compiled,
    read: Read,
    select: str,
    partition: list[AttributeValue] | None = None,
) -> Body | bytes:
    meta, page = source.meta, read.page
    consistent = bool(body.get("ConsistentRead"))
    index_units = capacity.partition_read_units(page.partition_bytes, consistent)
    table_units = 0.0
    if read.fetched is not None:
        table_units = capacity.read_units(read.fetched_bytes, consistent)
    throughput.charge_read(ctx, meta, index_units + table_units)
    result: Body = {}
    raw_items: list[bytes] | None = None
    if compiled.filter is None and compiled.projection is None and read.fetched is None:
        # Nothing to change in the items: answer with their stored JSON as it is.
        result["Count"] = len(page.rows)
        if select != "COUNT":
            raw_items = items.items_json(page.rows)
    else:
        rows = (
            read.fetched if read.fetched is not None else [items.decode_item(r) for r in page.rows]
        )
        matched = _matching(source, rows, compiled, select)
        result["Count"] = len(matched)
        if select != "COUNT":
            result["Items"] = matched
    result["ScannedCount"] = len(page.rows)
    if page.more and page.rows:
        last = items.decode_item(page.rows[-1])
        result["LastEvaluatedKey"] = {name: last[name] for name in source.start_key_names}
    if ctx.usage is not None:
        _note(ctx, source, index_units, table_units, result["Count"])
    if meta.tracks_keys and partition is not None:
        on_index = source.index is not None and source.index.is_global
        units = index_units if on_index else index_units + table_units
        insights.queried(ctx, meta, source.index, partition, units)
    used = _consumed(source, body, index_units, table_units)
    if used is not None:
        result["ConsumedCapacity"] = used
    if raw_items is None:
        return result
    return b'{"Items":[' + b",".join(raw_items) + b"]," + orjson.dumps(result)[1:]


def _note(ctx: Context, source: Source, read_units: float, fetch_units: float, count: int) -> None:
    """Note the page's units and items for the request's metrics: a global index's reads are
    its own, a local index's count as its table's."""
    usage = ctx.usage
    assert usage is not None
    usage.returned = (usage.returned or 0) + count
    index = source.index
    name = source.meta.name
    if index is None:
        usage.consumed(name, None, False, read_units)
    elif index.is_global:
        usage.consumed(name, index.name, False, read_units)
        usage.consumed(name, None, False, fetch_units)
    else:
        usage.consumed(name, None, False, read_units + fetch_units)


def _consumed(source: Source, body: Body, read_units: float, fetch_units: float) -> Body | None:
    mode = body.get("ReturnConsumedCapacity")
    index = source.index
    if index is None:
        return capacity.consumed(source.meta.name, read_units, mode)
    units = {index.name: read_units}
    return capacity.consumed(
        source.meta.name,
        fetch_units,
        mode,
        global_units=units if index.is_global else None,
        local_units=None if index.is_global else units,
    )


def _matching(source: Source, rows: list[Item], compiled: expr.Compiled, select: str) -> list[Item]:
    out: list[Item] = []
    index = source.index
    for item in rows:
        if compiled.filter is not None and not expr.evaluate(compiled.filter, item):
            continue
        if compiled.projection is not None:
            item = expr.project(item, compiled.projection)
        elif select == "ALL_PROJECTED_ATTRIBUTES" and index is not None:
            item = indexes.projected(source.meta, index, item)
        out.append(item)
    return out
