"""PutMetricAlarm's rules between members, checked once the request fits its shape
(`shapes.read_input`) and before anything is read or written, and the alarm a valid request
describes.

Messages, and where they were found (AWS's own words where a public record has them):
- "MetricName must not be null", "Period must not be null", "Statistic should not be set if
  list of Metrics is set.", "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
  "Exactly one element of the metrics list should return data." (ValidationError): errors
  from AWS quoted in terraform-provider-aws, cfn-lint and aws-cdk issues. "Namespace must not
  be null" and "<Member> should not be set if list of Metrics is set." for the other members
  follow the same wording.
- "Period must be 10, 30 or a multiple of 60" (ValidationError), "The value X is not supported
  for TreatMissingData parameter. Supported values are [breaching, notBreaching, ignore,
  missing]." (ValidationError), "Option X is not supported. Supported options for parameter
  EvaluateLowSampleCountPercentile are evaluate and ignore." (ValidationError), "The value X
  for parameter ExtendedStatistic is not supported." (InvalidParameterValue): LocalStack's
  PutMetricAlarm, whose tests are recorded against AWS, and moto's.
- The rest are opendynamo's wording, in CloudWatch's manner: a MetricDataQuery with neither
  or both of MetricStat and Expression, a repeated or malformed query Id, Statistic with
  ExtendedStatistic or neither, and what is not served (anomaly detection bands:
  ThresholdMetricId and the three band operators; Metrics Insights and PromQL criteria).
"""

from __future__ import annotations

import re
from typing import Any

from opendynamo import errors
from opendynamo.engine import alarms

Params = dict[str, Any]

TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
LOW_SAMPLE_COUNT = ("evaluate", "ignore")
BAND_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
# The members of a one-metric alarm, which an alarm on `Metrics` may not set.
SINGLE_METRIC = (
    "MetricName",
    "Namespace",
    "Dimensions",
    "Period",
    "Unit",
    "Statistic",
    "ExtendedStatistic",
)
_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)")
_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_QUERY_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
_UNSERVED = ("EvaluationWindow", "WarmUpConfiguration", "EvaluationCriteria", "EvaluationInterval")


def check(params: Params) -> None:
    """PutMetricAlarm's rules between members; CloudWatch's error for the first broken."""
    for member in _UNSERVED:
        if params.get(member) is not None:
            raise errors.cloudwatch_validation(f"{member} is not supported by opendynamo")
    if (
        params.get("ThresholdMetricId") is not None
        or params["ComparisonOperator"] in BAND_OPERATORS
    ):
        raise errors.cloudwatch_validation(
            "Alarms on anomaly detection bands (ThresholdMetricId and the "
            f"{', '.join(BAND_OPERATORS)} operators) are not supported by opendynamo"
        )
    if params.get("Metrics"):
        _check_metrics(params)
    else:
        _check_single_metric(params)
    if params.get("Threshold") is None:
        raise errors.cloudwatch_validation("Threshold must not be null")
    treat = params.get("TreatMissingData")
    if treat is not None and treat not in TREAT_MISSING_DATA:
        raise errors.cloudwatch_validation(
            f"The value {treat} is not supported for TreatMissingData parameter. "
            f"Supported values are [{', '.join(TREAT_MISSING_DATA)}]."
        )
    datapoints = params.get("DatapointsToAlarm")
    if datapoints is not None and datapoints > params["EvaluationPeriods"]:
        raise errors.cloudwatch_validation(
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods"
        )


def _check_single_metric(params: Params) -> None:
    for member in ("MetricName", "Namespace", "Period"):
        if params.get(member) is None:
            raise errors.cloudwatch_validation(f"{member} must not be null")
    _check_period(params["Period"])
    statistic, extended = params.get("Statistic"), params.get("ExtendedStatistic")
    if statistic is not None and extended is not None:
        raise errors.invalid_parameter_combination(
            "The parameters Statistic and ExtendedStatistic are mutually exclusive and you "
            "have specified both."
        )
    if statistic is None and extended is None:
        raise errors.invalid_parameter_combination(
            "Must specify either Statistic or ExtendedStatistic"
        )
    if extended is not None and not _PERCENTILE.fullmatch(extended):
        raise errors.invalid_parameter_value(
            f"The value {extended} for parameter ExtendedStatistic is not supported."
        )
    low = params.get("EvaluateLowSampleCountPercentile")
    if low is not None and low not in LOW_SAMPLE_COUNT:
        raise errors.cloudwatch_validation(
            f"Option {low} is not supported. Supported options for parameter "
            "EvaluateLowSampleCountPercentile are evaluate and ignore."
        )


def _check_period(period: int, where: str = "") -> None:
    if period not in (10, 30) and period % 60:
        raise errors.cloudwatch_validation(f"{where}Period must be 10, 30 or a multiple of 60")


def _check_metrics(params: Params) -> None:
    for member in SINGLE_METRIC:
        if params.get(member) not in (None, []):
            raise errors.cloudwatch_validation(
                f"{member} should not be set if list of Metrics is set."
            )
    queries: list[Params] = params["Metrics"]
    seen: set[str] = set()
    for index, query in enumerate(queries, 1):
        _check_query(query, index, seen)
    if sum(1 for query in queries if query.get("ReturnData", True)) != 1:
        raise errors.cloudwatch_validation(
            "Exactly one element of the metrics list should return data."
        )


def _check_query(query: Params, index: int, seen: set[str]) -> None:
    where = f"Metrics.member.{index}"
    query_id = query["Id"]
    if not _QUERY_ID.fullmatch(query_id):
        raise errors.invalid_parameter_value(
            f"The value {query_id} for parameter {where}.Id is invalid. It must start with a "
            "lowercase letter and hold only letters, digits and underscores."
        )
    if query_id in seen:
        raise errors.invalid_parameter_value(
            f"The value {query_id} for parameter {where}.Id is used by another query."
        )
    seen.add(query_id)
    stat, expression = query.get("MetricStat"), query.get("Expression")
    if stat is None and expression is None:
        raise errors.cloudwatch_validation(f"The parameter {where}.MetricStat is required.\n")
    if stat is not None and expression is not None:
        raise errors.invalid_parameter_combination(
            f"The parameters {where}.MetricStat and {where}.Expression are mutually exclusive "
            "and you have specified both."
        )
    if stat is not None:
        _check_period(stat["Period"], f"{where}.MetricStat.")
        if stat["Stat"] not in _STATISTICS and not _PERCENTILE.fullmatch(stat["Stat"]):
            raise errors.invalid_parameter_value(
                f"The value {stat['Stat']} for parameter {where}.MetricStat.Stat is not supported."
            )


# --- the alarm a request describes ------------------------------------------------------------

_CONFIGURATION = (
    "AlarmDescription",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
)


def alarm(
    params: Params, account: str, region: str, previous: alarms.Alarm | None, now: float
) -> alarms.Alarm:
    """The alarm PutMetricAlarm stores. An update overwrites the whole configuration and
    keeps the state and the tags (CloudWatch ignores Tags when it updates an alarm); a new
    alarm starts INSUFFICIENT_DATA, "Unchecked: Initial alarm creation"."""
    moment = round(now, 3)
    name = params["AlarmName"]
    stored: alarms.Alarm = {
        "AlarmName": name,
        "AlarmArn": alarms.alarm_arn(account, region, name),
        "AlarmConfigurationUpdatedTimestamp": moment,
        "ActionsEnabled": params.get("ActionsEnabled", True),
        "OKActions": params.get("OKActions") or [],
        "AlarmActions": params.get("AlarmActions") or [],
        "InsufficientDataActions": params.get("InsufficientDataActions") or [],
    }
    stored.update(
        (member, params[member]) for member in _CONFIGURATION if params.get(member) is not None
    )
    if not params.get("Metrics"):
        stored["Dimensions"] = params.get("Dimensions") or []
    if previous is None:
        stored.update(
            StateValue="INSUFFICIENT_DATA",
            StateReason=alarms.INITIAL_REASON,
            StateUpdatedTimestamp=moment,
            StateTransitionedTimestamp=moment,
            Tags=params.get("Tags") or [],
        )
    else:
        kept = ("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp")
        stored.update((member, previous[member]) for member in kept if member in previous)
        stored["StateTransitionedTimestamp"] = previous.get("StateTransitionedTimestamp", moment)
        stored["Tags"] = previous.get("Tags") or []
    return stored
