"""CloudWatch's metric operations: PutMetricData, GetMetricStatistics, GetMetricData (with
metric math) and ListMetrics, over the series engine/metrics keeps per (account, region).

Parameters arrive decoded by `server/cloudwatch` from whichever of CloudWatch's protocols the
client speaks: timestamps as aware datetimes, numbers as int or float. Messages are
CloudWatch's, as its Query-compatible error codes carry them.
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.engine.metrics import math as metric_math
from opendynamo.engine.metrics import query
from opendynamo.engine.metrics import series as stored
from opendynamo.engine.metrics.aggregate import PERCENTILE, Aggregate
from opendynamo.engine.metrics.series import SeriesKey

Params = dict[str, Any]

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)  # fmt: skip
MAX_DATAPOINTS = 1440  # GetMetricStatistics
MAX_POINTS_PER_CALL = 100_800  # GetMetricData
LIST_PAGE = 500
RECENT = 3 * 3600.0  # ListMetrics' RecentlyActive PT3H
MAX_AGE = 14 * 86400.0  # PutMetricData keeps datapoints up to two weeks old
MAX_AHEAD = 2 * 3600.0  # and up to two hours ahead


invalid = errors.invalid_parameter_value
combination = errors.invalid_parameter_combination


def missing(name: str) -> errors.ServiceError:
    return errors.missing_parameter([name])


# --- PutMetricData ------------------------------------------------------------------------


def put_metric_data(ctx: Context, params: Params) -> None:
    namespace = _namespace(params.get("Namespace"))
    data = params.get("MetricData") or []
    if not data:
        raise missing("MetricData")
    if len(data) > 1000:
        raise invalid("The collection MetricData must not have a size greater than 1000.")
    now = datetime.now(UTC).timestamp()
    samples: list[tuple[SeriesKey, Aggregate, str, float]] = []
    for number, datum in enumerate(data, 1):
        where = f"MetricData.member.{number}"
        name = _name(datum.get("MetricName"), f"{where}.MetricName")
        dims = _dimensions(datum.get("Dimensions") or [], f"{where}.Dimensions", 30)
        unit = _unit(datum.get("Unit"), f"{where}.Unit")
        moment = datum.get("Timestamp")
        at = now if moment is None else moment.timestamp()
        if not now - MAX_AGE <= at <= now + MAX_AHEAD:
            raise invalid(
                f"The parameter {where}.Timestamp must specify a time no more than two weeks "
                "in the past and no more than two hours in the future."
            )
        key = SeriesKey(ctx.account, ctx.region, namespace, name, dims)
        samples.append((key, _datum_aggregate(datum, where), unit, at))
    recorder = ctx.recorder
    assert recorder is not None, "the server hands every request its worker's recorder"
    for key, aggregate, unit, at in samples:
        recorder.add_aggregate(key, aggregate, unit, at)
    return None


def _datum_aggregate(datum: Params, where: str) -> Aggregate:
    value, values, counts = datum.get("Value"), datum.get("Values"), datum.get("Counts")
    statistic = datum.get("StatisticValues")
    given = [
        name
        for name, v in (("Value", value), ("Values", values), ("StatisticValues", statistic))
        if v is not None
    ]
    if len(given) > 1:
        raise combination(
            f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually exclusive "
            "and you have specified both."
        )
    aggregate = Aggregate()
    if value is not None:
        aggregate.add(_finite(value, f"{where}.Value"))
    elif values is not None:
        if len(values) > 150:
            raise invalid(f"The collection {where}.Values must not have a size greater than 150.")
        if counts is not None and len(counts) != len(values):
            raise combination(
                f"The parameters {where}.Values and {where}.Counts must be of the same size."
            )
        for index, item in enumerate(values):
            count = 1.0 if counts is None else float(counts[index])
            if count > 0:
                aggregate.add(_finite(item, f"{where}.Values"), count)
    elif statistic is not None:
        fields = ("SampleCount", "Sum", "Minimum", "Maximum")
        for name in fields:
            if statistic.get(name) is None:
                raise missing(f"{where}.StatisticValues.{name}")
        count, total, low, high = (_finite(statistic[name], name) for name in fields)
        if count <= 0:
            raise invalid(
                f"The parameter {where}.StatisticValues.SampleCount must be greater than 0."
            )
        if low > high:
            raise invalid(
                f"The parameter {where}.StatisticValues.Minimum must not be greater than "
                f"{where}.StatisticValues.Maximum."
            )
        aggregate.add_summary(total, count, low, high)
    else:
        raise combination(
            f"At least one of the parameters {where}.Value, {where}.Values or "
            f"{where}.StatisticValues must be specified."
        )
    return aggregate


def _finite(value: Any, where: str) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > 2**360 or (0 < abs(number) < 2**-260):
        raise invalid(f"The value {value} for parameter {where} is invalid.")
    return number


# --- GetMetricStatistics --------------------------------------------------------------------


def get_metric_statistics(ctx: Context, params: Params) -> Params:
    namespace = _required(params, "Namespace")
    name = _required(params, "MetricName")
    dims = _dimensions(params.get("Dimensions") or [], "Dimensions", 30)
    start, end = window(params)
    period = _period(params.get("Period"), "Period")
    statistics = list(params.get("Statistics") or [])
    extended = list(params.get("ExtendedStatistics") or [])
    if not statistics and not extended:
        raise combination("Must specify either Statistics or ExtendedStatistics")
    for statistic in statistics:
        if statistic not in STATISTICS:
            raise invalid(f"The value {statistic} for parameter Statistics is invalid.")
    for statistic in extended:
        if not PERCENTILE.match(statistic):
            raise invalid(f"The value {statistic} for parameter ExtendedStatistics is invalid.")
    _check_points(start, end, period)
    unit = params.get("Unit")
    if unit is not None:
        _unit(unit, "Unit")
    key = SeriesKey(ctx.account, ctx.region, namespace, name, dims)
    with ctx.store.read() as txn:
        stored_unit, periods = query.grouped(txn, key, start, end, period, unit)
    points = []
    for moment, aggregate in periods:
        point: Params = {"Timestamp": datetime.fromtimestamp(moment, UTC), "Unit": stored_unit}
        for statistic in statistics:
            point[statistic] = aggregate.statistic(statistic)
        if extended:
            point["ExtendedStatistics"] = {s: aggregate.statistic(s) for s in extended}
        points.append(point)
    return {"Label": name, "Datapoints": points}


# --- GetMetricData --------------------------------------------------------------------------


def get_metric_data(ctx: Context, params: Params) -> Params:
    queries = params.get("MetricDataQueries")
    if not queries:
        raise missing("MetricDataQueries")
    if len(queries) > 500:
        raise invalid("The collection MetricDataQueries must not have a size greater than 500.")
    start, end = window(params)
    descending = params.get("ScanBy", "TimestampDescending") != "TimestampAscending"
    ids: set[str] = set()
    labels: dict[str, str] = {}
    for number, item in enumerate(queries, 1):
        labels[_query_id(item, number, ids)] = _checked_query(item, number)
    if not any(item.get("ReturnData", True) for item in queries):
        raise invalid(
            "The parameter MetricDataQueries must contain at least one query with ReturnData "
            "set to true."
        )
    with ctx.store.read() as txn:
        series, _ = query.evaluate_queries(
            txn, ctx.account, ctx.region, queries, start, end, _math_error
        )
    results = []
    messages: list[Params] = []
    for item in queries:
        query_id = item["Id"]
        if not item.get("ReturnData", True):
            continue
        points = sorted(((m, v) for m, v in series[query_id].items() if v == v), reverse=descending)
        results.append(
            {
                "Id": query_id,
                "Label": labels[query_id],
                "Timestamps": [datetime.fromtimestamp(m, UTC) for m, _ in points],
                "Values": [v for _, v in points],
                "StatusCode": "Complete",
                "Messages": [],
            }
        )
    return {"MetricDataResults": results, "Messages": messages}


def _query_id(item: Params, number: int, ids: set[str]) -> str:
    """The query's Id, once checked: present, well formed, unique (added to `ids`)."""
    where = f"MetricDataQueries.member.{number}"
    query_id = item.get("Id")
    if not query_id:
        raise missing(f"{where}.Id")
    if not (query_id[0].islower() and query_id.replace("_", "a").isalnum()):
        raise invalid(
            f"The value {query_id} for parameter {where}.Id is invalid: it must start with "
            "a lowercase letter and contain only letters, numbers and underscores."
        )
    if query_id in ids:
        raise invalid(
            f"The value {query_id} for parameter MetricDataQueries is invalid: Ids must be unique."
        )
    ids.add(query_id)
    return str(query_id)


def _checked_query(item: Params, number: int) -> str:
    """Check one MetricDataQuery: exactly one of MetricStat and Expression, and a metric
    named in full with a period and a statistic; its label."""
    where = f"MetricDataQueries.member.{number}"
    stat = item.get("MetricStat")
    if (stat is None) == (item.get("Expression") is None):
        raise combination(
            f"Exactly one element of the parameters {where}.MetricStat and "
            f"{where}.Expression must be specified."
        )
    if stat is None:
        return str(item.get("Label") or item["Id"])
    where += ".MetricStat"
    metric = stat.get("Metric") or {}
    _required(metric, "Namespace", f"{where}.Metric.Namespace")
    name = _required(metric, "MetricName", f"{where}.Metric.MetricName")
    _dimensions(metric.get("Dimensions") or [], f"{where}.Metric.Dimensions", 30)
    _period(stat.get("Period"), f"{where}.Period")
    statistic = stat.get("Stat")
    if not statistic:
        raise missing(f"{where}.Stat")
    if statistic not in STATISTICS and not PERCENTILE.match(statistic):
        raise invalid(f"The value {statistic} for parameter {where}.Stat is invalid.")
    return str(item.get("Label") or name)


def _math_error(query_id: str, error: metric_math.MathError) -> errors.ServiceError:
    return errors.cloudwatch_validation(f"Error in expression {query_id}: {error}")


# --- ListMetrics ----------------------------------------------------------------------------


def list_metrics(ctx: Context, params: Params) -> Params:
    namespace = params.get("Namespace")
    name = params.get("MetricName")
    filters = params.get("Dimensions") or []
    if len(filters) > 10:
        raise invalid("The collection Dimensions must not have a size greater than 10.")
    wanted: list[tuple[str, str | None]] = []
    for number, item in enumerate(filters, 1):
        if not item.get("Name"):
            raise missing(f"Dimensions.member.{number}.Name")
        wanted.append((item["Name"], item.get("Value")))
    recent = params.get("RecentlyActive")
    if recent is not None and recent != "PT3H":
        raise invalid(f"The value {recent} for parameter RecentlyActive is invalid.")
    after = _token(params.get("NextToken"))
    since = datetime.now(UTC).timestamp() - RECENT if recent else None
    metrics: list[Params] = []
    more = None
    with ctx.store.read() as txn:
        for found in stored.every_series(txn, ctx.account, ctx.region, namespace):
            key = found.key
            if name is not None and key.name != name:
                continue
            if since is not None and found.last < since:
                continue
            present = dict(key.dimensions)
            if any(
                dim not in present or (value is not None and present[dim] != value)
                for dim, value in wanted
            ):
                continue
            position = [key.namespace, key.name, key.dimensions]
            if after is not None and orjson.dumps(position) <= after:
                continue
            if len(metrics) == LIST_PAGE:
                more = _next_token(metrics[-1])
                break
            metrics.append(
                {
                    "Namespace": key.namespace,
                    "MetricName": key.name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in key.dimensions],
                }
            )
    result: Params = {"Metrics": metrics}
    if more is not None:
        result["NextToken"] = more
    return result


def _next_token(metric: Params) -> str:
    dims = [[d["Name"], d["Value"]] for d in metric["Dimensions"]]
    position = orjson.dumps([metric["Namespace"], metric["MetricName"], dims])
    return base64.urlsafe_b64encode(position).decode()


def _token(token: str | None) -> bytes | None:
    if token is None:
        return None
    try:
        position = base64.urlsafe_b64decode(token.encode())
        orjson.loads(position)
    except (ValueError, orjson.JSONDecodeError):
        raise invalid("The service cannot process the NextToken given.") from None
    return position


# --- shared checks --------------------------------------------------------------------------


def _required(params: Params, name: str, where: str | None = None) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise missing(where or name)
    return str(value)


def _namespace(value: Any) -> str:
    if not value:
        raise missing("Namespace")
    namespace = str(value)
    if namespace.startswith("AWS/"):
        raise invalid("The value AWS/ for parameter Namespace is invalid.")
    if namespace.startswith(":") or len(namespace) > 255 or not _printable(namespace):
        raise invalid(f"The value {namespace} for parameter Namespace is invalid.")
    return namespace


def _name(value: Any, where: str) -> str:
    if not value:
        raise missing(where)
    name = str(value)
    if len(name) > 255 or not _printable(name):
        raise invalid(f"The value {name} for parameter {where} is invalid.")
    return name


def _printable(text: str) -> bool:
    return "\x00" not in text and text.isprintable()


def _dimensions(items: list[Params], where: str, limit: int) -> stored.Dimensions:
    if len(items) > limit:
        raise invalid(f"The collection {where} must not have a size greater than {limit}.")
    found: dict[str, str] = {}
    for number, item in enumerate(items, 1):
        name, value = item.get("Name"), item.get("Value")
        if not name:
            raise missing(f"{where}.member.{number}.Name")
        if value is None or value == "":
            raise missing(f"{where}.member.{number}.Value")
        if len(name) > 255 or len(value) > 1024 or not _printable(name + value):
            raise invalid(
                f"The value {value} for parameter {where}.member.{number}.Value is invalid."
            )
        if name in found:
            raise invalid(
                f"No metric may have duplicate dimension names: {name} appears twice in {where}."
            )
        found[name] = value
    return tuple(sorted(found.items()))


def _unit(value: Any, where: str) -> str:
    if value is None:
        return "None"
    if value not in UNITS:
        raise invalid(f"The value {value} for parameter {where} is invalid.")
    return str(value)


def _period(value: Any, where: str) -> int:
    if value is None:
        raise missing(where)
    period = int(value)
    if period < 1:
        raise invalid(f"The parameter {where} must be greater than 0.")
    if period not in (1, 5, 10, 20, 30) and period % 60:
        raise invalid(f"The parameter {where} must be a multiple of 60.")
    return period


def window(params: Params) -> tuple[float, float]:
    """(StartTime, EndTime) in epoch seconds, both given and in order."""
    if params.get("StartTime") is None:
        raise missing("StartTime")
    if params.get("EndTime") is None:
        raise missing("EndTime")
    start, end = params["StartTime"].timestamp(), params["EndTime"].timestamp()
    if start >= end:
        raise invalid("The parameter StartTime must be less than the parameter EndTime.")
    return start, end


def _check_points(start: float, end: float, period: int) -> None:
    points = math.ceil((end - start) / period)
    if points > MAX_DATAPOINTS:
        raise combination(
            f"You have requested up to {points:,} datapoints, which exceeds the limit of 1,440. "
            "You may reduce the datapoints requested by increasing Period, or decreasing the "
            "time range."
        )
