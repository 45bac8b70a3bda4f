"""How a Query's key conditions and a Query's or Scan's ExclusiveStartKey become a key range
of what it reads (`engine/sources.Source`: the table or one of its indexes), with DynamoDB's
checks and messages."""

from __future__ import annotations

from dataclasses import dataclass

from opendynamo import errors, expr
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.keyrange import KeyRange, SortCondition
from opendynamo.engine.keys import NO_MATCH, key_from_param
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


def plan_query(source: Source, conditions: dict[str, expr.KeyCondition]) -> QueryPlan:
    """Check the key conditions against the source's key schema in DynamoDB's order: every
    partition-key attribute held equal; sort-key attributes conditioned left to right, all but
    the last with equality."""
    meta = source.meta
    hash_keys, range_keys = source.hash_keys, source.range_keys
    if not range_keys and len(conditions) > len(hash_keys):
        raise errors.validation(NOT_SUPPORTED)
    for name in hash_keys:
        condition = conditions.get(name)
        if condition is None:
            raise errors.validation(f"Query condition missed key schema element: {name}")
        _check_indexable(condition)
        _check_types(meta, condition)
        if condition.operator != "EQ":
            raise errors.validation(NOT_SUPPORTED)
    used = [name for name in range_keys if name in conditions]
    expected = list(range_keys[: len(used)])
    if used != expected or len(conditions) != len(hash_keys) + len(used):
        missing = next(
            (n for n in range_keys if n not in conditions),
            range_keys[0] if range_keys else hash_keys[0],
        )
        raise errors.validation(f"Query condition missed key schema element: {missing}")
    for name in used:
        _check_indexable(conditions[name])
        _check_types(meta, conditions[name])
    for name in used[:-1]:
        if conditions[name].operator != "EQ":
            raise errors.validation(NOT_SUPPORTED)
    hash_values = [conditions[name].values[0].value for name in hash_keys]
    if not used:
        return QueryPlan(hash_values, [], None, None)
    equal = [conditions[name].values[0].value for name in used[:-1]]
    last = conditions[used[-1]]
    sort = SortCondition(last.operator, tuple(v.value for v in last.values))
    return QueryPlan(hash_values, equal, sort, used[-1])


def _check_indexable(condition: expr.KeyCondition) -> None:
    if condition.operator not in INDEXABLE:
        raise errors.validation(NOT_INDEXABLE)


def _check_types(meta: TableMeta, condition: expr.KeyCondition) -> None:
    expected = meta.attribute_type(condition.name)
    if any(expected not in literal.value for literal in condition.values):
        raise errors.invalid_parameters("Condition parameter type does not match schema type")


# --- ExclusiveStartKey ------------------------------------------------------------------


def start_position(source: Source, start: Item, *, query: bool) -> bytes:
    """The stored key an ExclusiveStartKey stands for, after DynamoDB's shape checks (Query
    words a start key of the wrong shape more tersely than Scan)."""
    names = source.start_key_names
    if len(start) != len(names) or any(name not in start for name in names):
        raise errors.validation(
            "The provided starting key is invalid"
            if query
            else f"The provided starting key is invalid: {NO_MATCH}"
        )
    for name in names:
        if source.meta.attribute_type(name) not in start[name]:
            raise errors.validation(
                NO_MATCH if query else f"The provided starting key is invalid: {NO_MATCH}"
            )
    table_key = {name: start[name] for name in source.meta.key_names}
    try:
        key_from_param(source.meta, table_key)
    except errors.DynamoError as exc:
        raise errors.validation(f"The provided starting key is invalid: {exc.message}") from None
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
    if not satisfies(start[plan.sort_key], plan.sort):
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
