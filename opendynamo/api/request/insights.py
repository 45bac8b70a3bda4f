"""What a request notes for Contributor Insights (engine/insights), into its worker's counts.

Handlers call these only for a table whose `tracks_keys` is set (the table or one of its
GSIs has insights enabled), and only once the request's transaction is over, so a retried
transaction counts once. PartiQL requests note nothing, as DynamoDB's insights ignore them.
"""

from __future__ import annotations

import time

from opendynamo.api.request.context import Context
from opendynamo.engine import insights
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.engine.items import WriteOutcome
from opendynamo.model.values import AttributeValue, Item


def read(ctx: Context, meta: TableMeta, key: Item, units: float) -> None:
    """The item at `key` was read, for `units` read units."""
    if ctx.recorder is not None:
        insights.read(ctx.recorder.contributors, meta, key, units, time.time())


def written(ctx: Context, meta: TableMeta, key: Item, outcome: WriteOutcome, units: float) -> None:
    """The item at `key` was written (`outcome`), for `units` write units on the table."""
    if ctx.recorder is None:
        return
    image = outcome.new if outcome.new is not None else outcome.old
    counts = ctx.recorder.contributors
    insights.written(counts, meta, image or key, units, outcome.index_units, time.time())


def queried(
    ctx: Context,
    meta: TableMeta,
    index: IndexMeta | None,
    partition: list[AttributeValue],
    units: float,
) -> None:
    """A Query read the partition `partition` of the table or of `index`, for `units`."""
    if ctx.recorder is not None:
        insights.queried(ctx.recorder.contributors, meta, index, partition, units, time.time())


def throttled(
    ctx: Context, meta: TableMeta, index: IndexMeta | None, key: Item | list[AttributeValue]
) -> None:
    """A request for the item at `key` (or, a list, a Query of that partition) was refused
    for want of capacity."""
    if ctx.recorder is not None:
        insights.throttled(ctx.recorder.contributors, meta, index, key, time.time())
