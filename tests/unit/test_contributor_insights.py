"""Contributor Insights without a server: the bounded top-keys sketch (engine/metrics/
contributors), the setting's transitions (engine/insights), and the requests of a table with
insights on counted into a worker's Recorder, flushed into a store and reported by
CloudWatch's handlers (api/cloudwatch/insights), called in process."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from opendynamo import errors
from opendynamo.api.cloudwatch import insights as cloudwatch
from opendynamo.api.dynamodb import insights as operations
from opendynamo.api.dynamodb import items, tables
from opendynamo.api.request.context import Context
from opendynamo.engine import insights
from opendynamo.engine.metrics import contributors
from opendynamo.engine.metrics.contributors import TopKeys
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.engine.secrets import Sealer
from opendynamo.storage.base import Store
from opendynamo.storage.sqlite import open_store

T0 = 1_800_000_000  # a minute boundary


# --- the sketch ---------------------------------------------------------------------------


def test_a_hostile_key_stream_keeps_memory_bounded_and_the_heavy_keys() -> None:
    rng = random.Random(3)
    top = TopKeys()
    exact: dict[str, float] = {}
    for step in range(20_000):
        key = "hot" if step % 4 == 0 else f"k{rng.randrange(1_000_000)}"
        top.add((key,), 1.0, 100)
        exact[key] = exact.get(key, 0.0) + 1
    assert len(top.values) <= 200  # trimmed in batches, to the capacity, from twice it
    assert top.events == 20_000 and top.total == 20_000.0
    heaviest = max(top.values, key=top.values.__getitem__)
    assert heaviest == ("hot",)
    # Space-saving overcounts by at most the key's noted error, never undercounts.
    assert exact["hot"] <= top.values[("hot",)] <= exact["hot"] + top.errors.get(("hot",), 0.0)
    for keys, value in top.values.items():
        assert exact[keys[0]] <= value <= exact[keys[0]] + top.errors.get(keys, 0.0)
    top.trim(100)
    assert len(top.values) == 100 and ("hot",) in top.values


def test_counts_are_exact_until_the_sketch_is_full() -> None:
    top = TopKeys()
    for key, value in (("a", 3.0), ("b", 1.0), ("a", 1.0), ("c", 0.5)):
        top.add((key,), value, 100)
    assert top.values == {("a",): 4.0, ("b",): 1.0, ("c",): 0.5}
    assert (top.events, top.total, top.low, top.high, top.unique) == (4, 5.5, 0.5, 3.0, 3)
    again = TopKeys.decode(top.encode())
    assert again.values == top.values and again.encode() == top.encode()


def test_merging_adds_and_trimming_keeps_the_heaviest() -> None:
    first, second = TopKeys(), TopKeys()
    first.add(("a",), 5.0, 10)
    first.add(("b",), 1.0, 10)
    second.add(("b",), 2.0, 10)
    second.add(("c",), 4.0, 10)
    first.merge(second)
    assert first.values == {("a",): 5.0, ("b",): 3.0, ("c",): 4.0}
    first.trim(2)
    assert first.values == {("a",): 5.0, ("c",): 4.0}
    assert first.total == 12.0 and first.events == 4


def test_report_groups_minutes_into_periods_and_ranks() -> None:
    minute_one, minute_two = TopKeys(), TopKeys()
    minute_one.add(("a",), 10.0, 10)
    minute_one.add(("b",), 1.0, 10)
    minute_two.add(("b",), 6.0, 10)
    minute_two.add(("b",), 6.0, 10)
    rows = [(T0, minute_one), (T0 + 60, minute_two)]
    by_sum = contributors.report(rows, T0, 60, 10, by_maximum=False)
    assert [(c.keys, c.total) for c in by_sum.contributors] == [(("b",), 13.0), (("a",), 10.0)]
    assert by_sum.contributors[0].points == ((T0, 1.0), (T0 + 60, 12.0))
    assert (by_sum.aggregate, by_sum.unique) == (23.0, 2)
    assert [p.max_contributor for p in by_sum.periods] == [10.0, 12.0]
    by_max = contributors.report(rows, T0, 60, 1, by_maximum=True)
    assert [c.keys for c in by_max.contributors] == [("b",)]
    whole = contributors.report(rows, T0, 300, 10, by_maximum=False)
    assert len(whole.periods) == 1 and whole.periods[0].counts.events == 4


# --- the setting ----------------------------------------------------------------------------


def test_the_setting_moves_as_dynamodb_answers() -> None:
    setting, shown = insights.updated(None, False, None, 10.0)
    assert (setting, shown) == (None, "DISABLED")
    setting, shown = insights.updated(None, True, None, 10.0)
    assert setting is not None and shown == "ENABLING"
    assert (setting["mode"], setting["rules"]) == (insights.ACCESSED_AND_THROTTLED, 10_000)
    same, shown = insights.updated(setting, True, insights.ACCESSED_AND_THROTTLED, 11.0)
    assert same is setting and shown == "ENABLED"
    narrowed, shown = insights.updated(setting, True, insights.THROTTLED_ONLY, 12.0)
    assert narrowed is not None and shown == "ENABLING"
    assert (narrowed["mode"], narrowed["rules"]) == (insights.THROTTLED_ONLY, 10_000)
    off, shown = insights.updated(narrowed, False, insights.ACCESSED_AND_THROTTLED, 13.0)
    assert off is not None and shown == "DISABLING"
    assert (off["status"], off["mode"]) == ("DISABLED", insights.THROTTLED_ONLY)
    assert insights.status(off, 13.0) == "DISABLED"


# --- in process, up to CloudWatch's report --------------------------------------------------


@pytest.fixture
def ctx() -> Iterator[Context]:
    store: Store = open_store(None)
    yield Context(
        store,
        "000000000000",
        "us-east-1",
        "req",
        "here",
        sealer=Sealer(bytes(32)),
        recorder=Recorder(),
    )
    store.close()


def _table(ctx: Context, name: str) -> None:
    tables.create_table(
        ctx,
        {
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )


def test_a_table_without_insights_notes_nothing(ctx: Context) -> None:
    _table(ctx, "Quiet")
    items.put_item(ctx, {"TableName": "Quiet", "Item": {"pk": {"S": "a"}}})
    items.get_item(ctx, {"TableName": "Quiet", "Key": {"pk": {"S": "a"}}})
    assert ctx.recorder is not None and not ctx.recorder.contributors.pending
    assert cloudwatch.describe_insight_rules(ctx, {}) == {"InsightRules": []}


def test_cloudwatch_reports_what_the_requests_counted(ctx: Context) -> None:
    _table(ctx, "Music")
    operations.update_contributor_insights(
        ctx, {"TableName": "Music", "ContributorInsightsAction": "ENABLE"}
    )
    for key, times in (("hot", 5), ("cold", 2)):
        for _ in range(times):
            items.get_item(
                ctx, {"TableName": "Music", "Key": {"pk": {"S": key}}, "ConsistentRead": True}
            )
    assert ctx.recorder is not None
    ctx.recorder.flush(ctx.store)
    rules = cloudwatch.describe_insight_rules(ctx, {})["InsightRules"]
    names = [rule["Name"] for rule in rules]
    assert [name.split("-")[1] for name in names] == ["PKC", "PKT"]
    assert rules[0]["Schema"] == "ServiceLogRule/1" and rules[0]["ManagedRule"] is True
    now = datetime.now(UTC)
    params = {
        "RuleName": names[0],
        "StartTime": now - timedelta(minutes=5),
        "EndTime": now + timedelta(minutes=1),
        "Period": 3600,  # one period, whatever minute boundary the reads crossed
        "Metrics": ["UniqueContributors", "MaxContributorValue", "SampleCount", "Sum"],
    }
    report = cloudwatch.get_insight_rule_report(ctx, params)
    assert report["KeyLabels"] == ["pk"]
    assert (report["AggregateValue"], report["ApproximateUniqueCount"]) == (7.0, 2)
    assert [(c["Keys"], c["ApproximateAggregateValue"]) for c in report["Contributors"]] == [
        (["hot"], 5.0),
        (["cold"], 2.0),
    ]  # a strongly consistent read, even of a missing item, costs a unit
    [point] = report["MetricDatapoints"]
    assert (point["UniqueContributors"], point["SampleCount"], point["Sum"]) == (2.0, 7.0, 7.0)
    page = cloudwatch.describe_insight_rules(ctx, {"MaxResults": 1})
    assert [r["Name"] for r in page["InsightRules"]] == names[:1]
    rest = cloudwatch.describe_insight_rules(ctx, {"NextToken": page["NextToken"]})
    assert [r["Name"] for r in rest["InsightRules"]] == names[1:]


def test_report_requests_are_checked(ctx: Context) -> None:
    now = datetime.now(UTC)
    window = {"StartTime": now - timedelta(minutes=5), "EndTime": now, "Period": 60}
    with pytest.raises(errors.ServiceError) as missing:
        cloudwatch.get_insight_rule_report(ctx, window)
    assert (missing.value.code, missing.value.message) == (
        "MissingParameter",
        "The parameter RuleName is required.",
    )
    for extra, code in (
        ({"MaxContributorCount": 26}, "InvalidParameterValue"),
        ({"OrderBy": "Average"}, "InvalidParameterValue"),
        ({"Metrics": ["Median"]}, "InvalidParameterValue"),
        ({}, "ResourceNotFoundException"),
    ):
        with pytest.raises(errors.ServiceError) as refused:
            cloudwatch.get_insight_rule_report(ctx, {"RuleName": "nope", **window, **extra})
        assert refused.value.code == code
