"""How a Query's key conditions and a Query's or Scan's ExclusiveStartKey become a key range
of what it reads (`engine/sources.Source`: the table or one of its indexes), with DynamoDB's
checks and messages.

DynamoDB checks an ExclusiveStartKey against the table in this order (dynalite's query and
scan actions and their tests recorded against DynamoDB):
1. it names as many attributes as the paging key has (`check_start_size`);
2. each key attribute of what is read, partition key first: present, of the key's type, of a
   key's size (`check_start_attribute`; a Scan checks these for an index only). A Query
   checks its key conditions on each attribute right after the start key's value of it;
3. (Scan: Select ALL_ATTRIBUTES on a GSI that does not project everything;)
4. the table's key in it (`start_position`), worded "The provided starting key is invalid: …";
5. for a Query, that it lies inside the range the key conditions select
   (`check_query_start`); for a parallel Scan, inside the segment.
"""

from __future__ import annotations

from dataclasses import dataclass

from opendynamo import errors, expr
from opendynamo.api.request.common import INVALID_START
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.keyrange import KeyRange, SortCondition
from opendynamo.engine.keys import NO_MATCH, check_key_value, key_from_param
from opendynamo.engine.sources import Source, query_range
from opendynamo.model import values
from opendynamo.model.values import AttributeValue, Item

NOT_SUPPORTED = "Query key condition not supported"
NOT_INDEXABLE = "Attempted conditional constraint is not an indexable operation"
# The operators that select a key range; the legacy KeyConditions also accept NE, IN, NULL,
# NOT_NULL, CONTAINS and NOT_CONTAINS, refused once the key schema is known.
INDEXABLE = frozenset({"EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"})


@dataclass(frozen=True, slots=True)
class QueryPlan:
    hash_values: list[AttributeValue]
    equal_sort_values: list[AttributeValue]  # leading sort-key attributes held equal
    sort: SortCondition | None  # condition on the next sort-key attribute
    sort_key: str | None  # the attribute `sort` applies to

    def key_range(self, source: Source) -> KeyRange:
        return query_range(source, self.hash_values, self.equal_sort_values, self.sort)


def plan_query(
    source: Source, conditions: dict[str, expr.KeyCondition], start: Item | None = None
) -> QueryPlan:
    """Check the key conditions against the source's key schema in DynamoDB's order: every
    partition-key attribute held equal; sort-key attributes conditioned left to right, all but
    the last with equality. The ExclusiveStartKey `start` has each key attribute checked
    just before the conditions on it."""
    meta = source.meta
    hash_keys, range_keys = source.hash_keys, source.range_keys
    for name in hash_keys:
        if start is not None:
            check_start_attribute(source, start, name, partition=True)
        if name == hash_keys[0] and not range_keys and len(conditions) > len(hash_keys):
            raise errors.validation(NOT_SUPPORTED)
        condition = conditions.get(name)
        if condition is None:
            raise errors.validation(f"Query condition missed key schema element: {name}")
        _check_indexable(condition)
        _check_types(meta, condition)
        if condition.operator != "EQ":
            raise errors.validation(NOT_SUPPORTED)
    if start is not None:
        for name in range_keys:
            check_start_attribute(source, start, name, partition=False)
    used = [name for name in range_keys if name in conditions]
    if len(conditions) != len(hash_keys) + len(used):
        missing = next(
            (n for n in range_keys if n not in conditions),
            range_keys[0] if range_keys else hash_keys[0],
        )
        raise errors.validation(f"Query condition missed key schema element: {missing}")
    for name in used:
        _check_indexable(conditions[name])
        _check_types(meta, conditions[name])
    _check_sort_prefix(range_keys, conditions)
    hash_values = [conditions[name].values[0].value for name in hash_keys]
    if not used:
        return QueryPlan(hash_values, [], None, None)
    equal = [conditions[name].values[0].value for name in used[:-1]]
    last = conditions[used[-1]]
    sort = SortCondition(last.operator, tuple(v.value for v in last.values))
    return QueryPlan(hash_values, equal, sort, used[-1])


def check_key_conditions_count(source: Source, count: int) -> None:
    """The legacy KeyConditions name at most 2 attributes, or for a GSI with multi-attribute
    keys at most its key attributes."""
    if count > max(2, len(source.key_names)):
        raise errors.validation(expr.KEY_CONDITIONS_COUNT)


def _check_sort_prefix(
    range_keys: tuple[str, ...], conditions: dict[str, expr.KeyCondition]
) -> None:
    """A multi-attribute sort key is conditioned left to right: every sort-key attribute before
    one that is conditioned must be held equal, so a gap and a range condition before the last
    one named are both refused, naming the first such earlier attribute and the later one
    (live captures: paritysuite/dynamodb-conformance, multiAttributeGsiKey.test.ts)."""
    for position, later in enumerate(range_keys):
        if later not in conditions:
            continue
        for earlier in range_keys[:position]:
            condition = conditions.get(earlier)
            if condition is None or condition.operator != "EQ":
                raise errors.validation(
                    f"RANGE key attributes {earlier} must have equality conditions specified in "
                    f"the query because a condition is present on key attribute {later}"
                )


def _check_indexable(condition: expr.KeyCondition) -> None:
    if condition.operator not in INDEXABLE:
        raise errors.validation(NOT_INDEXABLE)


def _check_types(meta: TableMeta, condition: expr.KeyCondition) -> None:
    expected = meta.attribute_type(condition.name)
    if any(expected not in literal.value for literal in condition.values):
        raise errors.invalid_parameters("Condition parameter type does not match schema type")


# --- ExclusiveStartKey ------------------------------------------------------------------


def check_start_size(source: Source, start: Item, *, query: bool) -> None:
    """A start key names as many attributes as the paging key has (Scan of a table words a
    miscount as a key that does not match the schema)."""
    if len(start) != len(source.start_key_names):
        if query or source.index is not None:
            raise errors.validation(INVALID_START)
        raise errors.validation(f"{INVALID_START}: {NO_MATCH}")


def check_start_attribute(source: Source, start: Item, name: str, *, partition: bool) -> None:
    """One key attribute of what is read, in the start key: missing is an invalid start key,
    a value of another type one that does not match the schema, as for a key parameter."""
    value = start.get(name)
    if value is None:
        raise errors.validation(INVALID_START)
    if source.meta.attribute_type(name) not in value:
        raise errors.validation(NO_MATCH)
    check_key_value(name, value, partition=partition)


def check_scan_start(source: Source, start: Item) -> None:
    """A Scan's start key, before its table key: an index's key attributes."""
    check_start_size(source, start, query=False)
    if source.index is not None:
        for name in source.key_names:
            check_start_attribute(source, start, name, partition=name in source.hash_keys)


def start_position(source: Source, start: Item) -> bytes:
    """The stored key a start key stands for, once its table key fits the table: a start key
    whose table key does not is "The provided starting key is invalid: …"."""
    table_key = {name: start[name] for name in source.meta.key_names if name in start}
    try:
        key_from_param(source.meta, table_key)
    except errors.DynamoError as exc:
        raise errors.validation(f"{INVALID_START}: {exc.message}") from None
    return source.position(start)


def check_query_start(source: Source, start: Item, plan: QueryPlan) -> None:
    """A Query may only restart inside the partition and sort range it reads."""
    same_partition = all(
        values.equal(start[name], value)
        for name, value in zip(source.hash_keys, plan.hash_values, strict=True)
    )
    if plan.sort is None or plan.sort_key is None:
        if not same_partition:
            raise errors.validation(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
        return
    held = zip(source.range_keys, plan.equal_sort_values, strict=False)
    if not all(values.equal(start[name], value) for name, value in held) or not satisfies(
        start[plan.sort_key], plan.sort
    ):
        # a multi-attribute sort key: the attributes held equal are part of the predicate
        raise errors.validation("The provided starting key does not match the range key predicate")
    if not same_partition:
        raise errors.validation("The query can return at most one row and cannot be restarted")


def satisfies(value: AttributeValue, sort: SortCondition) -> bool:
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
    if "S" in value:
        return str(value["S"]).startswith(sort.values[0]["S"])
    prefix = values.decode_binary(sort.values[0]["B"])
    return values.decode_binary(value["B"]).startswith(prefix)
