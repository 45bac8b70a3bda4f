"""Alarms evaluated by the housekeeper with CloudWatch's semantics, through the wire: a
threshold crossed moves the alarm to ALARM with CloudWatch's reason and reason data, a
StateUpdate history item and an Action item for each action (not delivered); M out of N
datapoints; each TreatMissingData; a percentile alarm on DynamoDB's own latency; a
metric-math alarm; and the README's worked example: an alarm on a table's ThrottledRequests
that fires under --enforce-capacity.

The housekeeper evaluates every 0.3 s here (OPENDYNAMO_ALARM_INTERVAL) and workers flush every
0.2 s, so a test polls DescribeAlarms until the state it expects, within seconds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Backend, Server, unique_name
from tests.wire.helpers import create_table, eventually

FAST = {
    "OPENDYNAMO_METRICS_FLUSH_INTERVAL": "0.2",
    "OPENDYNAMO_ALARM_INTERVAL": "0.3",
}
TOPIC = "arn:aws:sns:us-east-1:000000000000:pager"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("alarms")
    args = (*backend(), "--enforce-capacity")
    server = Server(data, workers=2, extra_args=args, env=FAST).start()
    yield server
    server.stop()


@pytest.fixture
def cw(evaluated: Server) -> Any:
    return evaluated.client("cloudwatch")


def alarm(cw: Any, name: str) -> dict[str, Any]:
    found: dict[str, Any] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    return found


def state_becomes(cw: Any, name: str, state: str, timeout: float = 15.0) -> dict[str, Any]:
    return eventually(
        lambda: (found := alarm(cw, name))["StateValue"] == state and found,
        timeout=timeout,
        message=lambda: f"{name} is {alarm(cw, name)['StateValue']}, not {state}",
    )


def put_alarm(cw: Any, name: str, namespace: str, **more: Any) -> None:
    params = {
        "AlarmName": name,
        "Namespace": namespace,
        "MetricName": "Errors",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": [TOPIC],
        **more,
    }
    cw.put_metric_alarm(**params)


def test_threshold_crossed_then_back(cw: Any) -> None:
    namespace, name = unique_name("App/"), unique_name("errors")
    put_alarm(cw, name, namespace, OKActions=[TOPIC])
    cw.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Errors", "Value": 9.0}])
    found = state_becomes(cw, name, "ALARM")
    assert found["StateReason"].startswith("Threshold Crossed: 1 datapoint [9.0 (")
    assert found["StateReason"].endswith(")] was greater than the threshold (5.0).")
    data = json.loads(found["StateReasonData"])
    assert data["statistic"] == "Sum" and data["period"] == 60
    assert data["recentDatapoints"] == [9.0] and data["threshold"] == 5.0
    items = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    kinds = [item["HistoryItemType"] for item in items]
    assert "StateUpdate" in kinds and "Action" in kinds
    update = next(item for item in items if item["HistoryItemType"] == "StateUpdate")
    assert update["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    action = next(item for item in items if item["HistoryItemType"] == "Action")
    assert TOPIC in action["HistorySummary"] and "not deliver" in action["HistorySummary"]
    # The datapoint is the minute's Sum: a negative value brings it under the threshold.
    cw.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Errors", "Value": -8.0}])
    found = state_becomes(cw, name, "OK")
    assert "was not greater than the threshold (5.0)" in found["StateReason"]


def test_m_out_of_n(cw: Any) -> None:
    namespace, name = unique_name("App/"), unique_name("m-of-n")
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    older = [minute - timedelta(minutes=2), minute - timedelta(minutes=1)]
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Errors", "Timestamp": moment + timedelta(seconds=5), "Value": 7.0}
            for moment in older
        ],
    )
    put_alarm(cw, name, namespace, EvaluationPeriods=3, DatapointsToAlarm=2)
    found = state_becomes(cw, name, "ALARM")
    assert found["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints")
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in found["StateReason"]
    other = unique_name("m-of-n")
    put_alarm(cw, other, namespace, EvaluationPeriods=3, DatapointsToAlarm=3)
    state_becomes(cw, other, "OK")


@pytest.mark.parametrize(
    ("treat", "state"),
    [("missing", "INSUFFICIENT_DATA"), ("notBreaching", "OK"), ("breaching", "ALARM")],
)
def test_missing_data(cw: Any, treat: str, state: str) -> None:
    namespace, name = unique_name("Quiet/"), unique_name(f"quiet-{treat}")
    put_alarm(cw, name, namespace, TreatMissingData=treat)
    found = state_becomes(cw, name, state)
    if state == "INSUFFICIENT_DATA":  # no transition: the initial reason stays
        assert found["StateReason"] == "Unchecked: Initial alarm creation"
    else:
        as_what = "Breaching" if treat == "breaching" else "NonBreaching"
        assert found["StateReason"] == (
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing "
            f"datapoint was treated as [{as_what}]."
        )


def test_ignore_keeps_the_state(cw: Any) -> None:
    namespace, name = unique_name("Quiet/"), unique_name("ignore")
    put_alarm(cw, name, namespace, TreatMissingData="ignore")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="by hand")
    witness = unique_name("witness")  # an alarm evaluated in the same rounds
    put_alarm(cw, witness, namespace, TreatMissingData="notBreaching")
    state_becomes(cw, witness, "OK")
    state_becomes(cw, witness, "OK")
    found = alarm(cw, name)
    assert (found["StateValue"], found["StateReason"]) == ("ALARM", "by hand")


def test_percentile_alarm_on_dynamodb_latency(evaluated: Server, cw: Any) -> None:
    ddb = evaluated.client()
    table = create_table(ddb, "p99", BillingMode="PAY_PER_REQUEST")
    name = unique_name("p99")
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/DynamoDB",
        MetricName="SuccessfulRequestLatency",
        Dimensions=[
            {"Name": "TableName", "Value": table},
            {"Name": "Operation", "Value": "GetItem"},
        ],
        ExtendedStatistic="p99",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    for _ in range(3):
        ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    found = state_becomes(cw, name, "ALARM")
    assert json.loads(found["StateReasonData"])["extendedStatistic"] == "p99"


def test_metric_math_alarm(cw: Any) -> None:
    namespace, name = unique_name("App/"), unique_name("math")
    cw.put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=1,
        Threshold=50.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Metrics=[
            {
                "Id": "errors",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Errors"},
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {
                "Id": "calls",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Calls"},
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {"Id": "rate", "Expression": "100 * errors / calls", "ReturnData": True},
        ],
    )
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Errors", "Value": 3.0},
            {"MetricName": "Calls", "Value": 4.0},
        ],
    )
    found = state_becomes(cw, name, "ALARM")
    assert "[75.0 (" in found["StateReason"]


def test_throttling_alarm_fires_under_enforced_capacity(evaluated: Server, cw: Any) -> None:
    """The README's worked example."""
    ddb = evaluated.client()
    table = create_table(
        ddb,
        "throttled",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    name = f"{table}-throttled-puts"
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/DynamoDB",
        MetricName="ThrottledRequests",
        Dimensions=[
            {"Name": "TableName", "Value": table},
            {"Name": "Operation", "Value": "PutItem"},
        ],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[TOPIC],
    )
    state_becomes(cw, name, "OK")
    throttled = 0
    for number in range(400):
        try:
            ddb.put_item(TableName=table, Item={"pk": {"S": str(number)}, "v": {"S": "x" * 900}})
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            throttled += 1
            if throttled >= 3:
                break
    assert throttled >= 3
    found = state_becomes(cw, name, "ALARM")
    assert "was greater than the threshold (0.0)" in found["StateReason"]
    by_metric = cw.describe_alarms_for_metric(
        Namespace="AWS/DynamoDB",
        MetricName="ThrottledRequests",
        Dimensions=[
            {"Name": "TableName", "Value": table},
            {"Name": "Operation", "Value": "PutItem"},
        ],
    )["MetricAlarms"]
    assert [a["AlarmName"] for a in by_metric] == [name]
    events = cw.get_metric_statistics(
        Namespace="AWS/DynamoDB",
        MetricName="WriteThrottleEvents",
        Dimensions=[{"Name": "TableName", "Value": table}],
        StartTime=datetime.now(UTC) - timedelta(minutes=5),
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    assert sum(point["Sum"] for point in events) >= 3
