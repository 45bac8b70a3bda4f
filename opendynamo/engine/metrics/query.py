"""Reading a series as CloudWatch's queries do: its stored periods grouped into the asked
period, a statistic of each, and MetricDataQuery lists (metrics and math) evaluated together.
The CloudWatch API (GetMetricStatistics, GetMetricData) and the alarm evaluator share these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opendynamo.engine.metrics import math as metric_math
from opendynamo.engine.metrics import series as stored
from opendynamo.engine.metrics.aggregate import Aggregate, merged
from opendynamo.engine.metrics.series import SeriesKey
from opendynamo.storage.base import ReadTxn


def grouped(
    txn: ReadTxn, key: SeriesKey, start: float, end: float, period: int, unit: str | None = None
) -> tuple[str, list[tuple[int, Aggregate]]]:
    """(the series' unit, its aggregates per `period` in [start, end)): periods start at
    `start` rounded down to a multiple of the period. A `unit` other than the series' finds
    nothing, as on CloudWatch."""
    found = stored.read_series(txn, key)
    if found is None or (unit is not None and unit != found.unit):
        return (found.unit if found is not None else "None"), []
    rows = stored.periods(txn, key, start, end)
    origin = int(start) - int(start) % period if period >= 60 else int(start)
    groups: dict[int, list[Aggregate]] = {}
    for moment, aggregate in rows:
        slot = origin + (moment - origin) // period * period
        groups.setdefault(max(slot, origin), []).append(aggregate)
    return found.unit, [(moment, merged(group)) for moment, group in sorted(groups.items())]


def values(
    txn: ReadTxn,
    key: SeriesKey,
    statistic: str,
    start: float,
    end: float,
    period: int,
    unit: str | None = None,
) -> dict[int, tuple[float, float]]:
    """period start -> (the statistic, the period's sample count), for periods with data."""
    _, periods = grouped(txn, key, start, end, period, unit)
    out: dict[int, tuple[float, float]] = {}
    for moment, aggregate in periods:
        value = aggregate.statistic(statistic)
        if value is not None:
            out[moment] = (value, aggregate.count)
    return out


def dimensions_of(items: list[dict[str, Any]]) -> stored.Dimensions:
    """A request's [{Name, Value}] as a series' sorted dimensions."""
    return tuple(sorted((str(item["Name"]), str(item["Value"])) for item in items))


def evaluate_queries(
    txn: ReadTxn,
    account: str,
    region: str,
    queries: list[dict[str, Any]],
    start: float,
    end: float,
    on_error: Callable[[str, metric_math.MathError], Exception],
) -> tuple[dict[str, dict[int, float]], dict[str, int]]:
    """The series of every MetricDataQuery (metrics first, then expressions in order, each
    able to name the ones before it) and each one's period. `on_error(query_id, error)` is
    raised for an expression that does not evaluate."""
    series: dict[str, dict[int, float]] = {}
    periods: dict[str, int] = {}
    for query in queries:
        stat = query.get("MetricStat")
        if stat is None:
            continue
        metric = stat["Metric"]
        key = SeriesKey(
            account,
            region,
            metric["Namespace"],
            metric["MetricName"],
            dimensions_of(metric.get("Dimensions") or []),
        )
        period = int(stat["Period"])
        found = values(txn, key, stat["Stat"], start, end, period, stat.get("Unit"))
        series[query["Id"]] = {moment: value for moment, (value, _) in found.items()}
        periods[query["Id"]] = period
    inputs = metric_math.Inputs(series, periods, frozenset(series))
    for query in queries:
        expression = query.get("Expression")
        if expression is None:
            continue
        try:
            series[query["Id"]] = as_series(metric_math.evaluate(expression, inputs), series)
        except metric_math.MathError as exc:
            raise on_error(query["Id"], exc) from None
        periods[query["Id"]] = int(query.get("Period") or min(periods.values(), default=60))
    return series, periods


def as_series(value: metric_math.Value, series: dict[str, dict[int, float]]) -> dict[int, float]:
    """An expression's value as one time series: a number stands on every period the metrics
    have; a list must hold exactly one series."""
    if isinstance(value, list):
        if len(value) != 1:
            raise metric_math.MathError(
                f"the expression gives {len(value)} time series where one was expected."
            )
        return value[0]
    if isinstance(value, float):
        moments = sorted({moment for values in series.values() for moment in values})
        return dict.fromkeys(moments, value)
    return value
