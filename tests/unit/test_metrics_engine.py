"""engine/metrics on a real SQLite store: what workers record adds up across writers,
periods and resolutions; percentiles stay within the sketch's accuracy; rollup keeps the
totals while coarsening; metric math evaluates as CloudWatch's does."""

from __future__ import annotations

import math
import random

import pytest

from opendynamo.engine.metrics import math as metric_math
from opendynamo.engine.metrics import series as stored
from opendynamo.engine.metrics.aggregate import Aggregate
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.engine.metrics.series import SeriesKey
from opendynamo.storage.sqlite import open_store

KEY = SeriesKey("000000000000", "us-east-1", "App", "Latency", (("Host", "a"),))
T0 = 1_800_000_000  # a minute boundary


@pytest.fixture
def store():  # type: ignore[no-untyped-def]
    handle = open_store(None)
    yield handle
    handle.close()


def test_two_writers_add_up_per_minute(store) -> None:  # type: ignore[no-untyped-def]
    first, second = Recorder(), Recorder()
    for value in (1.0, 2.0, 3.0):
        first.add(KEY, value, "Milliseconds", T0 + 5)
    second.add(KEY, 10.0, "Milliseconds", T0 + 30)
    second.add(KEY, 7.0, "Milliseconds", T0 + 65)
    first.flush(store, T0 + 70)
    second.flush(store, T0 + 70)
    first.add(KEY, 4.0, "Milliseconds", T0 + 50)  # a later flush adds to the same minute
    first.flush(store, T0 + 80)
    with store.read() as txn:
        rows = stored.periods(txn, KEY, T0, T0 + 120)
        found = stored.read_series(txn, KEY)
        totals = stored.totals(txn, KEY)
    assert [moment for moment, _ in rows] == [T0, T0 + 60]
    minute = rows[0][1]
    assert (minute.sum, minute.count, minute.low, minute.high) == (20.0, 5.0, 1.0, 10.0)
    assert rows[1][1].sum == 7.0
    assert found is not None and found.unit == "Milliseconds"
    assert (totals.sum, totals.count) == (27.0, 6.0)


def test_percentiles_within_one_percent() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(1.0, 1.2) for _ in range(20_000)]
    aggregate = Aggregate()
    for value in values:
        aggregate.add(value)
    ordered = sorted(values)
    for pct in (50, 90, 99, 99.9):
        exact = ordered[math.ceil(pct / 100 * len(ordered)) - 1]
        got = aggregate.statistic(f"p{pct}")
        assert got is not None
        assert abs(got - exact) / exact < 0.02, (pct, got, exact)
    assert aggregate.statistic("p100") == max(values)
    assert aggregate.statistic("Minimum") == min(values)


def test_negative_and_zero_values_order() -> None:
    aggregate = Aggregate()
    for value in (-5.0, -1.0, 0.0, 0.0, 3.0):
        aggregate.add(value)
    assert aggregate.statistic("p10") == -5.0
    assert aggregate.statistic("p50") == 0.0
    assert aggregate.statistic("Average") == pytest.approx(-0.6)


def test_rollup_coarsens_aged_minutes_and_keeps_sums(store) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    for minute in range(10):
        recorder.add(KEY, float(minute), "Count", T0 + minute * 60)
    recorder.flush(store, T0 + 600)
    later = T0 + 16 * 86400
    assert stored.rollup(store, later) == 10
    with store.read() as txn:
        rows = stored.periods(txn, KEY, T0 - 3600, T0 + 3600)
    assert [moment for moment, _ in rows] == [T0 - T0 % 300, T0 - T0 % 300 + 300]
    assert sum(aggregate.sum for _, aggregate in rows) == sum(range(10))
    assert stored.rollup(store, T0 + 500 * 86400) == 3  # two five-minute rows, then the hour
    with store.read() as txn:
        assert stored.periods(txn, KEY, T0 - 3600, T0 + 3600) == []


def test_list_series_by_namespace(store) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    other = SeriesKey(KEY.account, KEY.region, "Other", "Errors", ())
    recorder.add(KEY, 1.0, "Count", T0)
    recorder.add(other, 1.0, "Count", T0)
    recorder.flush(store, T0)
    with store.read() as txn:
        names = [s.key.name for s in stored.every_series(txn, KEY.account, KEY.region)]
        app = [s.key for s in stored.every_series(txn, KEY.account, KEY.region, "App")]
        assert stored.accounts(txn) == {(KEY.account, KEY.region)}
    assert names == ["Latency", "Errors"]
    assert app == [KEY]


def test_metric_math() -> None:
    inputs = metric_math.Inputs(
        {"m1": {0: 1.0, 60: 2.0}, "m2": {0: 10.0, 60: 20.0, 120: 5.0}, "e0": {0: 3.0}},
        {"m1": 60, "m2": 60, "e0": 60},
        frozenset(("m1", "m2")),
    )
    assert metric_math.evaluate("m1 + m2", inputs) == {0: 11.0, 60: 22.0}
    assert metric_math.evaluate("m2 / m1 * 2", inputs) == {0: 20.0, 60: 20.0}
    assert metric_math.evaluate("-m1 + 1", inputs) == {0: 0.0, 60: -1.0}
    assert metric_math.evaluate("SUM(METRICS('m'))", inputs) == {0: 11.0, 60: 22.0, 120: 5.0}
    assert metric_math.evaluate("SUM(m2)", inputs) == 35.0
    assert metric_math.evaluate("MAX(METRICS())", inputs) == {0: 10.0, 60: 20.0, 120: 5.0}
    assert metric_math.evaluate("SUM(METRICS('e'))", inputs) == {}  # expressions not included
    assert metric_math.evaluate("m1 / PERIOD(m1)", inputs) == {0: 1 / 60, 60: 2 / 60}
    for bad in ("m1 +", "m3", "SUM(m1", "m1 $ m2", "METRICS(m1)"):
        with pytest.raises(metric_math.MathError):
            metric_math.evaluate(bad, inputs)


def test_idle_writers_totals_fold_into_one_row(store) -> None:  # type: ignore[no-untyped-def]
    first, second = Recorder(), Recorder()
    first.add(KEY, 1.0, "Count", T0)
    second.add(KEY, 2.0, "Count", T0)
    first.flush(store, T0)
    second.flush(store, T0)
    assert stored.retire_totals(store, T0 + 60) == 0  # not idle yet
    assert stored.retire_totals(store, T0 + 7200) == 2
    first.add(KEY, 4.0, "Count", T0 + 7200)  # a writer still alive starts a row afresh
    first.flush(store, T0 + 7200)
    with store.read() as txn:
        totals = stored.totals(txn, KEY)
        rows = list(txn.range(b"\x15", b"\x16"))
    assert (totals.sum, totals.count) == (7.0, 3.0)
    assert len(rows) == 2  # the retired writers' row and the live one's


def test_alarm_evaluation_across_a_minute_boundary(store) -> None:  # type: ignore[no-untyped-def]
    """The period under way counts once it has data; until then the last whole one does, so
    throttles at the end of a minute are not hidden by the next minute's start."""
    from opendynamo.engine.alarm_evaluation import evaluate

    recorder = Recorder()
    recorder.add(KEY, 3.0, "Count", T0 + 50)
    recorder.flush(store, T0 + 50)
    alarm = {
        "AlarmName": "a",
        "Namespace": KEY.namespace,
        "MetricName": KEY.name,
        "Dimensions": [{"Name": "Host", "Value": "a"}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "StateValue": "OK",
    }
    with store.read() as txn:
        states = [
            evaluate(txn, KEY.account, KEY.region, alarm, now)
            for now in (T0 + 55, T0 + 65, T0 + 125)
        ]
    assert [verdict.state for verdict in states if verdict is not None] == ["ALARM", "ALARM", "OK"]
