"""CloudWatch's side of Contributor Insights for DynamoDB: DescribeInsightRules lists the rules
the account's tables and GSIs have while their insights are enabled (engine/insights), and
GetInsightRuleReport reports a rule's top contributors from the keys the workers counted
(engine/metrics/contributors).

DynamoDB's rules are built-in rules (CloudWatch's model: their Schema is
`{"Name": "ServiceLogRule", "Version": 1}`, shown as `ServiceLogRule/1`); the Definition is
this server's rendering of what each rule counts, in the rule syntax's terms, since AWS's
text for them is not recorded. Their reports sum ConsumedThroughputUnits (most accessed
keys) or ThrottleCount (most throttled keys) per contributor, and list at most 25
contributors (DynamoDB Developer Guide, "How it works").

Parameters arrive decoded by the CloudWatch edge: timestamps as aware datetimes, numbers as
int or float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.api.cloudwatch.metrics import missing, window
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog, insights
from opendynamo.engine.insights import Rule
from opendynamo.engine.metrics import contributors
from opendynamo.engine.metrics.contributors import Period

Params = dict[str, Any]

SCHEMA = "ServiceLogRule/1"
RULES_PAGE = 500  # DescribeInsightRules' default and largest MaxResults
DEFAULT_CONTRIBUTORS = 10
MAX_CONTRIBUTORS = 25  # DynamoDB's rules (CloudWatch allows 100 for others)
METRICS = (
    "UniqueContributors",
    "MaxContributorValue",
    "SampleCount",
    "Sum",
    "Minimum",
    "Maximum",
    "Average",
)
ORDER_BY = ("Sum", "Maximum")

invalid = errors.invalid_parameter_value


def describe_insight_rules(ctx: Context, params: Params) -> Params:
    limit = params.get("MaxResults")
    if limit is None:
        limit = RULES_PAGE
    if not 1 <= int(limit) <= RULES_PAGE:
        raise invalid(f"The parameter MaxResults must be between 1 and {RULES_PAGE}.")
    after = params.get("NextToken")
    found = [rule for rule in _rules(ctx) if after is None or rule.name > after]
    page = found[: int(limit)]
    out: Params = {"InsightRules": [_described(rule) for rule in page]}
    if len(found) > len(page):
        out["NextToken"] = page[-1].name
    return out


def get_insight_rule_report(ctx: Context, params: Params) -> Params:
    name = params.get("RuleName")
    if not name:
        raise missing("RuleName")
    start, end = window(params)
    period = params.get("Period")
    if period is None:
        raise missing("Period")
    if int(period) < 1:
        raise invalid("The parameter Period must be greater than 0.")
    limit = params.get("MaxContributorCount")
    limit = DEFAULT_CONTRIBUTORS if limit is None else int(limit)
    if not 1 <= limit <= MAX_CONTRIBUTORS:
        raise invalid(
            f"The value {limit} for parameter MaxContributorCount is invalid: DynamoDB's "
            f"Contributor Insights rules report from 1 to {MAX_CONTRIBUTORS} contributors."
        )
    metrics = list(params.get("Metrics") or [])
    for metric in metrics:
        if metric not in METRICS:
            raise invalid(f"The value {metric} for parameter Metrics is invalid.")
    order_by = params.get("OrderBy") or "Sum"
    if order_by not in ORDER_BY:
        raise invalid(f"The value {order_by} for parameter OrderBy is invalid.")
    rule = next((rule for rule in _rules(ctx) if rule.name == name), None)
    if rule is None:
        raise errors.insight_rule_not_found(str(name))
    with ctx.store.read() as txn:
        rows = contributors.minutes(
            txn, rule.meta.uid_bytes, rule.number, rule.code, max(start, rule.since), end
        )
    report = contributors.report(rows, start, int(period), limit, order_by == "Maximum")
    return {
        "KeyLabels": list(rule.key_labels),
        "AggregationStatistic": "Sum",
        "AggregateValue": report.aggregate,
        "ApproximateUniqueCount": report.unique,
        "Contributors": [
            {
                "Keys": list(contributor.keys),
                "ApproximateAggregateValue": contributor.total,
                "Datapoints": [
                    {"Timestamp": _time(moment), "ApproximateValue": value}
                    for moment, value in contributor.points
                ],
            }
            for contributor in report.contributors
        ],
        "MetricDatapoints": [_datapoint(p, metrics) for p in report.periods],
    }


def _rules(ctx: Context) -> list[Rule]:
    """Every rule of the caller's (account, region), in name order."""
    with ctx.store.read() as txn:
        tables = list(catalog.tables_in(txn, ctx.account, ctx.region))
    found = [rule for meta in tables for rule in insights.every_rule(meta)]
    return sorted(found, key=lambda rule: rule.name)


def _described(rule: Rule) -> Params:
    definition = {
        "Schema": {"Name": "ServiceLogRule", "Version": 1},
        "AggregateOn": "Sum",
        "Contribution": {
            "Keys": list(rule.key_labels),
            "ValueOf": "ConsumedThroughputUnits" if rule.accessed else "ThrottleCount",
            "Filters": [],
        },
        "LogFormat": "JSON",
    }
    return {
        "Name": rule.name,
        "State": "ENABLED",
        "Schema": SCHEMA,
        "Definition": orjson.dumps(definition).decode(),
        "ManagedRule": True,
    }


def _datapoint(period: Period, metrics: list[str]) -> Params:
    counts = period.counts
    values = {
        "UniqueContributors": float(counts.unique),
        "MaxContributorValue": period.max_contributor,
        "SampleCount": float(counts.events),
        "Sum": counts.total,
        "Minimum": counts.low,
        "Maximum": counts.high,
        "Average": counts.total / counts.events if counts.events else 0.0,
    }
    point: Params = {"Timestamp": _time(period.start)}
    for metric in metrics:
        point[metric] = values[metric]
    return point


def _time(moment: int) -> datetime:
    return datetime.fromtimestamp(moment, UTC)
