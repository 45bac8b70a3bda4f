"""An LRU of parsed (raw, statically checked) expression trees, keyed by (kind, text).

Applications send the same few expressions over and over, so parsing happens once per distinct
text; a cached tree is immutable and shared between requests and threads. Placeholder resolution
is cheap and done per request (`resolve.py`). An expression that fails to parse or check raises
and is not cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from opendynamo.expr import check, parser
from opendynamo.expr.ast import Condition, ProjectionExpression, UpdateExpression

CACHE_SIZE = 4096

CONDITION = "condition"
UPDATE = "update"
PROJECTION = "projection"

_Tree = Condition | UpdateExpression | ProjectionExpression


@lru_cache(maxsize=CACHE_SIZE)
def parsed(kind: str, text: str) -> _Tree:
    """The raw tree for an expression of `kind` (condition, update or projection)."""
    if kind == CONDITION:
        condition = parser.parse_condition(text)
        check.check_condition(condition)
        return condition
    if kind == UPDATE:
        update = parser.parse_update(text)
        check.check_update(update)
        return update
    if kind == PROJECTION:
        projection = parser.parse_projection(text)
        check.check_projection(projection)
        return projection
    raise ValueError(f"unknown expression kind: {kind}")


def condition(text: str) -> Condition:
    """The cached raw tree of a condition, filter or key condition expression."""
    return cast(Condition, parsed(CONDITION, text))


def update(text: str) -> UpdateExpression:
    """The cached raw tree of an update expression."""
    return cast(UpdateExpression, parsed(UPDATE, text))


def projection(text: str) -> ProjectionExpression:
    """The cached raw tree of a projection expression."""
    return cast(ProjectionExpression, parsed(PROJECTION, text))


def clear() -> None:
    """Empty the cache (tests)."""
    parsed.cache_clear()
