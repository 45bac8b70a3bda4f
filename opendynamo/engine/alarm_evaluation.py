"""The alarm evaluator: the housekeeper that holds the lease runs it every
`tuning.alarm_interval` seconds (a minute by default), as CloudWatch evaluates its alarms.

For each metric alarm it reads the statistic (or percentile) of its metric, or the series of
its metric-math query with ReturnData, over the alarm's evaluation range: the
`EvaluationPeriods` most recent periods of `Period` seconds, the newest being the period under
way once it has data (before that, the last whole period, so that a minute's end does not
hide what happened in it). A datapoint breaches when it compares with `Threshold` as
`ComparisonOperator` says; the alarm is ALARM when at least `DatapointsToAlarm` (default:
all) of them breach, OK otherwise.
Periods without data count as `TreatMissingData` says (CloudWatch's "Configuring how
CloudWatch alarms treat missing data"):

- `missing` (the default): left out; with no datapoint at all, INSUFFICIENT_DATA;
- `notBreaching` / `breaching`: as good / as breaching datapoints;
- `ignore`: left out; with no datapoint at all, the state stays as it is.

A percentile alarm with `EvaluateLowSampleCountPercentile: ignore` leaves out the periods
with too few samples for the percentile to mean anything (fewer than 10 / (1 - p)).

A change of state is stored with its StateUpdate history item and the reason as CloudWatch
words it ("Threshold Crossed: 1 datapoint [5.0 (06/12/26 14:32:00)] was greater than the
threshold (0.0)."), with StateReasonData's JSON; then the Action items of the actions the
new state would fire, recorded as not delivered (engine/alarms.record_actions).
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from opendynamo.engine import alarms
from opendynamo.engine.alarms import Alarm
from opendynamo.engine.metrics import math as metric_math
from opendynamo.engine.metrics import query
from opendynamo.engine.metrics.aggregate import PERCENTILE
from opendynamo.engine.metrics.series import SeriesKey
from opendynamo.storage.base import ReadTxn, Store

log = logging.getLogger("opendynamo.housekeeper")

COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanThreshold": ("greater than", operator.gt),
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", operator.ge),
    "LessThanThreshold": ("less than", operator.lt),
    "LessThanOrEqualToThreshold": ("less than or equal to", operator.le),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str
    reason: str
    reason_data: str


def evaluate_all(store: Store, now: float) -> int:
    """Evaluate every alarm of every account and region; how many changed state."""
    with store.read() as txn:
        every = list(alarms.every_alarm(txn))
    changed = 0
    for account, region, alarm in every:
        try:
            with store.read() as txn:
                verdict = evaluate(txn, account, region, alarm, now)
            if verdict is not None and verdict.state != alarm["StateValue"]:
                changed += _apply(store, account, region, alarm, verdict, now)
        except Exception:  # one alarm's failure must not stop the others' evaluation
            log.exception("evaluating alarm %s failed", alarm.get("AlarmName"))
    return changed


def _apply(
    store: Store, account: str, region: str, alarm: Alarm, verdict: Verdict, now: float
) -> int:
    """Store the new state, unless the alarm changed meanwhile (it is evaluated again next)."""
    with store.write() as txn:
        current = alarms.get(txn, account, region, str(alarm["AlarmName"]))
        if current is None or current != alarm:
            return 0
        updated = alarms.transition(
            txn, current, verdict.state, verdict.reason, verdict.reason_data, now
        )
        if updated is None:
            return 0
        alarms.record_actions(txn, updated, now)
        return 1


def evaluate(txn: ReadTxn, account: str, region: str, alarm: Alarm, now: float) -> Verdict | None:
    """The state the alarm's data puts it in now; None to leave it as it is."""
    period, values, statistic = _datapoints(txn, account, region, alarm, now)
    periods = int(alarm["EvaluationPeriods"])
    needed = int(alarm.get("DatapointsToAlarm") or periods)
    newest = int(now) - int(now) % period
    if newest not in values:  # nothing yet in the period under way: end at the last whole one
        newest -= period
    starts = [newest - period * back for back in range(periods - 1, -1, -1)]
    present = [(start, values[start]) for start in starts if start in values]
    missing = periods - len(present)
    treat = str(alarm.get("TreatMissingData") or "missing")
    label, breaches = COMPARISONS[str(alarm["ComparisonOperator"])]
    threshold = float(alarm["Threshold"])
    data = _reason_data(alarm, statistic, period, starts[0], present, now)
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return None
        unknown = "1 datapoint was" if missing == 1 else f"{missing} datapoints were"
        return Verdict("INSUFFICIENT_DATA", f"Insufficient Data: {unknown} unknown.", data)
    breaching = [(start, value) for start, value in present if breaches(value, threshold)]
    count = len(breaching) + (missing if treat == "breaching" else 0)
    if not present:  # breaching or notBreaching: the missing datapoints decide
        state = "ALARM" if count >= needed else "OK"
        return Verdict(state, _all_missing_reason(periods, treat), data)
    if count >= needed:
        return Verdict("ALARM", _reason(alarm, present, periods, count, label, True), data)
    return Verdict("OK", _reason(alarm, present, periods, count, label, False), data)


def _datapoints(
    txn: ReadTxn, account: str, region: str, alarm: Alarm, now: float
) -> tuple[int, dict[int, float], str | None]:
    """(period, period start -> value, the statistic) over the alarm's evaluation range."""
    queries = alarm.get("Metrics")
    span = int(alarm["EvaluationPeriods"])
    if queries:
        chosen = next(q for q in queries if q.get("ReturnData", True))
        period = int(chosen.get("Period") or chosen.get("MetricStat", {}).get("Period") or 60)
        start = int(now) - int(now) % period - period * span
        series, _ = query.evaluate_queries(
            txn, account, region, queries, start, now + 1, _math_failure
        )
        return period, series.get(chosen["Id"], {}), None
    period = int(alarm["Period"])
    statistic = str(alarm.get("Statistic") or alarm.get("ExtendedStatistic"))
    key = SeriesKey(
        account,
        region,
        str(alarm["Namespace"]),
        str(alarm["MetricName"]),
        query.dimensions_of(alarm.get("Dimensions") or []),
    )
    start = int(now) - int(now) % period - period * span
    found = query.values(txn, key, statistic, start, now + 1, period, alarm.get("Unit"))
    least = _least_samples(alarm, statistic)
    return period, {m: value for m, (value, count) in found.items() if count >= least}, statistic


def _least_samples(alarm: Alarm, statistic: str) -> float:
    """How many samples a period needs to count: for a percentile alarm that ignores low
    sample counts, 10 / (1 - p); otherwise one."""
    if alarm.get("EvaluateLowSampleCountPercentile") != "ignore" or not PERCENTILE.match(statistic):
        return 0.0
    fraction = float(statistic[1:]) / 100
    return 10 / (1 - fraction) if fraction < 1 else float("inf")


def _math_failure(query_id: str, error: metric_math.MathError) -> Exception:
    return ValueError(f"the alarm's expression {query_id} does not evaluate: {error}")


def _reason(
    alarm: Alarm,
    present: list[tuple[int, float]],
    periods: int,
    count: int,
    label: str,
    crossed: bool,
) -> str:
    threshold = float(alarm["Threshold"])
    shown = ", ".join(f"{value!r} ({_shown_time(start)})" for start, value in reversed(present))
    relation = label if crossed else f"not {label}"
    if periods == 1 and len(present) == 1:
        return f"Threshold Crossed: 1 datapoint [{shown}] was {relation} the threshold ({threshold!r})."
    needed = int(alarm.get("DatapointsToAlarm") or periods)
    plural = "datapoint" if needed == 1 else "datapoints"
    if crossed:
        return (
            f"Threshold Crossed: {count} out of the last {periods} datapoints [{shown}] were "
            f"{label} the threshold ({threshold!r}) (minimum {needed} {plural} for OK -> ALARM "
            "transition)."
        )
    return (
        f"Threshold Crossed: {periods - count} out of the last {periods} datapoints [{shown}] "
        f"were {relation} the threshold ({threshold!r}) (minimum {needed} {plural} for ALARM "
        "-> OK transition)."
    )


def _all_missing_reason(periods: int, treat: str) -> str:
    as_what = "Breaching" if treat == "breaching" else "NonBreaching"
    if periods == 1:
        received = "1 period and 1 missing datapoint was"
    else:
        received = f"{periods} periods and {periods} missing datapoints were"
    return f"Threshold Crossed: no datapoints were received for {received} treated as [{as_what}]."


def _reason_data(
    alarm: Alarm,
    statistic: str | None,
    period: int,
    start: int,
    present: list[tuple[int, float]],
    now: float,
) -> str:
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": alarms.history_time(now),
        "startDate": alarms.history_time(start),
    }
    if statistic is not None:
        if PERCENTILE.match(statistic):
            data["extendedStatistic"] = statistic
        else:
            data["statistic"] = statistic
    if alarm.get("Unit"):
        data["unit"] = alarm["Unit"]
    data["period"] = period
    data["recentDatapoints"] = [value for _, value in present]
    data["threshold"] = float(alarm["Threshold"])
    data["evaluatedDatapoints"] = [
        {"timestamp": alarms.history_time(moment), "value": value}
        for moment, value in reversed(present)
    ]
    return orjson.dumps(data).decode()


def _shown_time(seconds: int) -> str:
    """A datapoint's time as StateReason shows it: 06/12/26 14:32:00 (dd/MM/yy, UTC)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%d/%m/%y %H:%M:%S")
