"""Query and Scan: one page of a partition or of the whole table, with DynamoDB's key-condition
rules, filters, projections, Select, Limit, paging keys and capacity.

The engine plans the key range (engine/keyrange) and reads the page (engine/reads), cut at Limit
or 1 MB; this module validates the request, applies filter and projection to the page, and shapes
the reply. Secondary indexes do not exist yet, so every IndexName names a missing index.
"""

from __future__ import annotations

from typing import Any

import orjson

from opendynamo import errors, expr
from opendynamo.api import throughput
from opendynamo.api.common import expression_values, refuse_legacy
from opendynamo.api.context import Context
from opendynamo.api.keys import NO_MATCH, key_from_param, key_of
from opendynamo.engine import capacity, catalog, items, reads
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.keyrange import SortCondition, query_range, scan_range
from opendynamo.model import values
from opendynamo.model.values import AttributeValue, Item, normalize_item
from opendynamo.storage.base import ReadTxn

Body = dict[str, Any]
QUERY_LEGACY = ("KeyConditions", "QueryFilter", "AttributesToGet", "ConditionalOperator")
SCAN_LEGACY = ("ScanFilter", "AttributesToGet", "ConditionalOperator")
BAD_START_KEY = (
    "The provided starting key is invalid: The provided key element does not match the schema"
)


def query(ctx: Context, body: Body) -> Body | bytes:
    refuse_legacy(body, QUERY_LEGACY)
    select = _select(body, "Query")
    if body.get("KeyConditionExpression") is None:
        raise errors.validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
            "the request."
        )
    compiled = expr.compile_expressions(
        key_condition=body["KeyConditionExpression"],
        filter=body.get("FilterExpression"),
        projection=body.get("ProjectionExpression"),
        names=body.get("ExpressionAttributeNames"),
        values=expression_values(body),
        operation="Query",
    )
    assert compiled.key_condition is not None
    conditions = {c.name: c for c in expr.split_key_condition(compiled.key_condition)}
    start = _start_key(body)
    forward = body.get("ScanIndexForward", True) is not False
    with ctx.store.read() as txn:
        meta = _table(ctx, txn, body)
        partition, sort = _plan(meta, conditions)
        key_range = query_range(meta.uid_bytes, partition, sort)
        if start is not None:
            _check_query_start_shape(meta, start)
            position = _stored(meta, _start_position(meta, start))
            _check_query_start(meta, start, partition, sort)
            key_range = key_range.after(position) if forward else key_range.before(position)
        _check_filter(meta, compiled.filter)
        throughput.admit(ctx, txn, meta, throughput.READ)
        page = reads.read_page(txn, key_range, reverse=not forward, limit=body.get("Limit"))
    return _reply(ctx, meta, body, compiled, page, select)


def scan(ctx: Context, body: Body) -> Body | bytes:
    refuse_legacy(body, SCAN_LEGACY)
    select = _select(body, "Scan")
    segment, total = _segments(body)
    compiled = expr.compile_expressions(
        filter=body.get("FilterExpression"),
        projection=body.get("ProjectionExpression"),
        names=body.get("ExpressionAttributeNames"),
        values=expression_values(body),
        operation="Scan",
    )
    start = _start_key(body)
    with ctx.store.read() as txn:
        meta = _table(ctx, txn, body)
        key_range = scan_range(meta.uid_bytes, segment, total)
        if start is not None:
            position = _stored(meta, _start_position(meta, start))
            if total > 1 and not key_range.contains(position):
                raise errors.validation(
                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                    f"ExclusiveStartKey with correct Segment. TotalSegments: {total} "
                    f"Segment: {segment}"
                )
            key_range = key_range.after(position)
        throughput.admit(ctx, txn, meta, throughput.READ)
        page = reads.read_page(txn, key_range, reverse=False, limit=body.get("Limit"))
    return _reply(ctx, meta, body, compiled, page, select)


# --- validation -------------------------------------------------------------------------


def _select(body: Body, operation: str) -> str:
    """The effective Select, after DynamoDB's checks of Select against the projection."""
    select = body.get("Select")
    projection = body.get("ProjectionExpression")
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
        problem = f"Cannot specify the ProjectionExpression when choosing to get {target}"
    elif select == "ALL_PROJECTED_ATTRIBUTES" and body.get("IndexName") is None:
        problem = "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    if problem is not None:
        # DynamoDB words these as constraint failures for Query and bare for Scan.
        raise errors.validation(
            f"1 validation error detected: {problem}" if operation == "Query" else problem
        )
    if select is not None:
        return str(select)
    return "SPECIFIC_ATTRIBUTES" if projection is not None else "ALL_ATTRIBUTES"


def _segments(body: Body) -> tuple[int, int]:
    segment, total = body.get("Segment"), body.get("TotalSegments")
    if segment is not None and total is None:
        raise errors.validation(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if total is not None and segment is None:
        raise errors.validation(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    if segment is None or total is None:
        return 0, 1
    if segment >= total:
        raise errors.validation(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
            f"Segment: {segment} is not less than TotalSegments: {total}"
        )
    return int(segment), int(total)


def _start_key(body: Body) -> Item | None:
    start = body.get("ExclusiveStartKey")
    if start is None:
        return None
    try:
        return normalize_item(start)
    except errors.DynamoError as exc:
        raise errors.validation(f"The provided starting key is invalid: {exc.message}") from None


def _table(ctx: Context, txn: ReadTxn, body: Body) -> TableMeta:
    meta = catalog.get_table(txn, ctx.account, ctx.region, body["TableName"])
    index = body.get("IndexName")
    if index is not None:
        raise errors.validation(f"The table does not have the specified index: {index}")
    return meta


def _plan(
    meta: TableMeta, conditions: dict[str, expr.KeyCondition]
) -> tuple[AttributeValue, SortCondition | None]:
    """The partition value and sort-key condition, checked against the key schema in
    DynamoDB's order."""
    schema = [(meta.hash_key, meta.hash_type, True)]
    if meta.range_key is not None and meta.range_type is not None:
        schema.append((meta.range_key, meta.range_type, False))
    for name, type_, is_hash in schema:
        if is_hash and len(schema) == 1 and len(conditions) > 1:
            raise errors.validation("Query key condition not supported")
        condition = conditions.get(name)
        if condition is None:
            if is_hash or len(conditions) > 1:
                raise errors.validation(f"Query condition missed key schema element: {name}")
            continue
        if any(type_ not in literal.value for literal in condition.values):
            raise errors.invalid_parameters("Condition parameter type does not match schema type")
        if is_hash and condition.operator != "EQ":
            raise errors.validation("Query key condition not supported")
    partition = conditions[meta.hash_key].values[0].value
    sort_condition = conditions.get(meta.range_key) if meta.range_key else None
    if sort_condition is None:
        return partition, None
    sort = SortCondition(sort_condition.operator, tuple(v.value for v in sort_condition.values))
    return partition, sort


def _start_position(meta: TableMeta, start: Item) -> bytes:
    """The encoded key of an ExclusiveStartKey, which must be exactly the table's key."""
    try:
        return key_from_param(meta, start)
    except errors.DynamoError as exc:
        raise errors.validation(f"The provided starting key is invalid: {exc.message}") from None


def _check_query_start_shape(meta: TableMeta, start: Item) -> None:
    """Query words a start key of the wrong shape differently from Scan (dynalite, from
    DynamoDB): missing or extra attributes are just "invalid", a mistyped one does not match."""
    if len(start) != len(meta.key_names) or any(name not in start for name in meta.key_names):
        raise errors.validation("The provided starting key is invalid")
    types = [meta.hash_type] if meta.range_type is None else [meta.hash_type, meta.range_type]
    for name, type_ in zip(meta.key_names, types, strict=True):
        if type_ not in start[name]:
            raise errors.validation(NO_MATCH)


def _stored(meta: TableMeta, encoded: bytes) -> bytes:
    return items.storage_key(meta, encoded)


def _check_query_start(
    meta: TableMeta, start: Item, partition: AttributeValue, sort: SortCondition | None
) -> None:
    same_partition = values.equal(start[meta.hash_key], partition)
    if sort is None or meta.range_key is None:
        if not same_partition:
            raise errors.validation(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
        return
    if not _satisfies(start[meta.range_key], sort):
        raise errors.validation("The provided starting key does not match the range key predicate")
    if not same_partition:
        raise errors.validation("The query can return at most one row and cannot be restarted")


def _satisfies(value: AttributeValue, sort: SortCondition) -> bool:
    first = values.compare_scalars(value, sort.values[0])
    if first is None:
        return False
    match sort.operator:
        case "EQ":
            return first == 0
        case "LT":
            return first < 0
        case "LE":
            return first <= 0
        case "GT":
            return first > 0
        case "GE":
            return first >= 0
        case "BETWEEN":
            last = values.compare_scalars(value, sort.values[1])
            return first >= 0 and last is not None and last <= 0
    return _begins_with(value, sort.values[0])


def _begins_with(value: AttributeValue, prefix: AttributeValue) -> bool:
    if "S" in value:
        return str(value["S"]).startswith(prefix["S"])
    return values.decode_binary(value["B"]).startswith(values.decode_binary(prefix["B"]))


def _check_filter(meta: TableMeta, condition: Any) -> None:
    """A Query filter may not name a key attribute."""
    if condition is None:
        return
    names = expr.top_level_names(expr.condition_paths(condition))
    for key in meta.key_names:
        if key in names:
            raise errors.validation(
                "Filter Expression can only contain non-primary key attributes: "
                f"Primary key attribute: {key}"
            )


# --- the reply --------------------------------------------------------------------------


def _reply(
    ctx: Context,
    meta: TableMeta,
    body: Body,
    compiled: expr.Compiled,
    page: reads.Page,
    select: str,
) -> Body | bytes:
    consistent = bool(body.get("ConsistentRead"))
    units = capacity.read_units(page.read_bytes, consistent)
    throughput.charge_read(ctx, meta, units)
    result: Body = {}
    raw_items: list[bytes] | None = None
    if compiled.filter is None and compiled.projection is None:
        # Nothing to change in the items: answer with their stored JSON as it is.
        result["Count"] = len(page.rows)
        if select != "COUNT":
            raw_items = [items.item_json(row) for row in page.rows]
    else:
        matched = _matching(page.rows, compiled)
        result["Count"] = len(matched)
        if select != "COUNT":
            result["Items"] = matched
    result["ScannedCount"] = len(page.rows)
    if page.more and page.rows:
        result["LastEvaluatedKey"] = key_of(meta, items.decode_item(page.rows[-1]))
    used = capacity.consumed(meta.name, units, body.get("ReturnConsumedCapacity"))
    if used is not None:
        result["ConsumedCapacity"] = used
    if raw_items is None:
        return result
    return b'{"Items":[' + b",".join(raw_items) + b"]," + orjson.dumps(result)[1:]


def _matching(rows: list[bytes], compiled: expr.Compiled) -> list[Item]:
    out: list[Item] = []
    for row in rows:
        item = items.decode_item(row)
        if compiled.filter is not None and not expr.evaluate(compiled.filter, item):
            continue
        out.append(item if compiled.projection is None else expr.project(item, compiled.projection))
    return out
