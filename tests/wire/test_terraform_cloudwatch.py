"""Terraform's AWS provider (hashicorp/aws 5.x, from the filesystem mirror) managing CloudWatch
alarms on a DynamoDB table, on a `--auth iam` server reached with root's keys: the provider's
`cloudwatch`, `dynamodb` and `sts` endpoints point at the server.

The configuration is what teams write for DynamoDB: a PROVISIONED table, an alarm on its
throttled PutItem requests (Sum over a minute above 0, missing data not breaching, an SNS
topic to page, tags), one on its GetItem latency (p99 above 100 ms in 2 of 3 minutes) and a
metric-math alarm on consumed reads per second (ConsumedReadCapacityUnits' Sum / PERIOD)
against 80% of the provisioned read capacity. It is applied and checked with boto3, planned
again (`-detailed-exitcode` exits 0: every attribute the provider reads back is what it
wrote), updated (a threshold, and tags: UntagResource then TagResource) and planned again,
then destroyed.

What the provider sends: on create PutMetricAlarm with the Tags, then its read —
DescribeAlarms by name (AlarmTypes MetricAlarm) and ListTagsForResource on the alarm's ARN
(the provider's tagging interceptor, on every refresh); an update of anything but tags is one
PutMetricAlarm, of tags UntagResource and TagResource; destroy is DeleteAlarms. The provider
mirrored here (5.100.0, aws-sdk-go-v2 service/cloudwatch 1.45.1) speaks CloudWatch's Query
protocol: form-encoded POSTs to `/`, XML answers (its TF_LOG=debug lines show
`content-type=application/x-www-form-urlencoded`; the server's `--log-level debug` lines, which
the test reads, name each operation). Later SDK releases speak JSON 1.0 or CBOR, which the
server answers too.

Skipped without the terraform binary and the provider in a filesystem mirror
(OPENDYNAMO_TF_MIRROR, default /opt/tf-plugins). About two minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.wire.terraform import Terraform, skip_without_terraform

ROOT_KEY = "AKIAROOTTFCLOUDWATCH"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYTFCLOUDWATC"
ROOT = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}
SERVICES = ("cloudwatch", "dynamodb", "sts")
TABLE = "tf-orders"
PAGER = "arn:aws:sns:us-east-1:123456789012:dynamodb-pager"
THROTTLED, LATENCY, READS = (
    "tf-orders-throttled-puts",
    "tf-orders-get-latency-p99",
    "tf-orders-read-capacity-used",
)

ALARMS = """
variable "threshold" { type = number }
variable "tags" { type = map(string) }
locals {
  pager = "arn:aws:sns:us-east-1:123456789012:dynamodb-pager"
}
resource "aws_dynamodb_table" "orders" {
  name           = "tf-orders"
  billing_mode   = "PROVISIONED"
  read_capacity  = 5
  write_capacity = 5
  hash_key       = "OrderId"
  attribute {
    name = "OrderId"
    type = "S"
  }
}
resource "aws_cloudwatch_metric_alarm" "throttled_puts" {
  alarm_name          = "tf-orders-throttled-puts"
  alarm_description   = "PutItem on tf-orders is being throttled"
  namespace           = "AWS/DynamoDB"
  metric_name         = "ThrottledRequests"
  dimensions = {
    TableName = aws_dynamodb_table.orders.name
    Operation = "PutItem"
  }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.pager]
  tags                = var.tags
}
resource "aws_cloudwatch_metric_alarm" "get_latency" {
  alarm_name          = "tf-orders-get-latency-p99"
  namespace           = "AWS/DynamoDB"
  metric_name         = "SuccessfulRequestLatency"
  dimensions = {
    TableName = aws_dynamodb_table.orders.name
    Operation = "GetItem"
  }
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 100
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [local.pager]
  ok_actions          = [local.pager]
}
resource "aws_cloudwatch_metric_alarm" "read_usage" {
  alarm_name          = "tf-orders-read-capacity-used"
  alarm_description   = "Consumed reads per second above 80% of the provisioned capacity"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  threshold           = aws_dynamodb_table.orders.read_capacity * 0.8
  metric_query {
    id = "consumed"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ConsumedReadCapacityUnits"
      dimensions  = { TableName = aws_dynamodb_table.orders.name }
      stat        = "Sum"
      period      = 60
    }
  }
  metric_query {
    id          = "rate"
    expression  = "consumed / PERIOD(consumed)"
    label       = "Consumed reads per second"
    return_data = true
  }
  tags = { team = "orders" }
}
"""


@pytest.fixture(scope="module")
def tf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """On SQLite only: alarms are rows like any other, and test_cloudwatch_alarms runs every
    alarm operation on both backends; this test is about what the provider calls."""
    skip_without_terraform()
    args = ["--auth", "iam", "--root-access-key-id", ROOT_KEY]
    args += ["--root-secret-access-key", ROOT_SECRET, "--log-level", "debug"]
    srv = Server(tmp_path_factory.mktemp("tf-cw-data"), workers=2, extra_args=tuple(args)).start()
    try:
        yield srv
    finally:
        srv.stop()


def alarms_by_name(tf: Terraform) -> dict[str, dict[str, Any]]:
    found = tf.client("cloudwatch").describe_alarms(AlarmNamePrefix="tf-orders-")
    assert found["CompositeAlarms"] == []
    return {alarm["AlarmName"]: alarm for alarm in found["MetricAlarms"]}


def tags_of(tf: Terraform, alarm: dict[str, Any]) -> dict[str, str]:
    listed = tf.client("cloudwatch").list_tags_for_resource(ResourceARN=alarm["AlarmArn"])
    return {tag["Key"]: tag["Value"] for tag in listed["Tags"]}


THROTTLED_MEMBERS: dict[str, Any] = {
    "Namespace": "AWS/DynamoDB",
    "MetricName": "ThrottledRequests",
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 0.0,
    "ComparisonOperator": "GreaterThanThreshold",
    "TreatMissingData": "notBreaching",
    "AlarmActions": [PAGER],
    "ActionsEnabled": True,
    "StateValue": "INSUFFICIENT_DATA",
}


def members(alarm: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    return {member: alarm.get(member) for member in wanted}


def dimensions(alarm: dict[str, Any]) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def _apply_creates_the_alarms(tf: Terraform) -> None:
    tf.run("apply", "-auto-approve")
    account = tf.client("sts").get_caller_identity()["Account"]
    table = tf.client("dynamodb").describe_table(TableName=TABLE)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    found = alarms_by_name(tf)
    assert sorted(found) == sorted([THROTTLED, LATENCY, READS])
    throttled = found[THROTTLED]
    assert throttled["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{account}:alarm:{THROTTLED}"
    assert members(throttled, THROTTLED_MEMBERS) == THROTTLED_MEMBERS
    assert dimensions(throttled) == {"TableName": TABLE, "Operation": "PutItem"}
    assert tags_of(tf, throttled) == {"team": "orders", "service": "checkout"}
    latency = found[LATENCY]
    assert latency["ExtendedStatistic"] == "p99" and "Statistic" not in latency
    assert dimensions(latency) == {"TableName": TABLE, "Operation": "GetItem"}
    assert (latency["EvaluationPeriods"], latency["DatapointsToAlarm"]) == (3, 2)
    assert latency["Threshold"] == 100.0 and latency["OKActions"] == [PAGER]
    assert tags_of(tf, latency) == {}
    reads = found[READS]
    assert "MetricName" not in reads and reads["Threshold"] == 4.0
    queries = {query["Id"]: query for query in reads["Metrics"]}
    assert queries["rate"] == {
        "Id": "rate",
        "Expression": "consumed / PERIOD(consumed)",
        "Label": "Consumed reads per second",
        "ReturnData": True,
    }
    consumed = queries["consumed"]
    assert consumed["ReturnData"] is False
    assert consumed["MetricStat"]["Metric"] == {
        "Namespace": "AWS/DynamoDB",
        "MetricName": "ConsumedReadCapacityUnits",
        "Dimensions": [{"Name": "TableName", "Value": TABLE}],
    }
    assert (consumed["MetricStat"]["Stat"], consumed["MetricStat"]["Period"]) == ("Sum", 60)
    assert tags_of(tf, reads) == {"team": "orders"}


def _threshold_and_tags_update(tf: Terraform) -> None:
    before = alarms_by_name(tf)[THROTTLED]
    tf.variables |= {"threshold": 5, "tags": {"team": "orders", "tier": "gold"}}
    tf.run("apply", "-auto-approve")
    after = alarms_by_name(tf)[THROTTLED]
    assert after["Threshold"] == 5.0
    assert (
        after["AlarmConfigurationUpdatedTimestamp"] > before["AlarmConfigurationUpdatedTimestamp"]
    )
    # The update keeps the alarm's state; the evaluator may have judged the new alarm
    # meanwhile (missing data is notBreaching: OK), and only that may have changed it.
    if after["StateValue"] != before["StateValue"]:
        assert (before["StateValue"], after["StateValue"]) == ("INSUFFICIENT_DATA", "OK")
        assert after["StateUpdatedTimestamp"] > before["StateUpdatedTimestamp"]
    assert tags_of(tf, after) == {"team": "orders", "tier": "gold"}
    items = tf.client("cloudwatch").describe_alarm_history(
        AlarmName=THROTTLED, HistoryItemType="ConfigurationUpdate"
    )["AlarmHistoryItems"]
    assert [item["HistorySummary"] for item in items] == [
        f'Alarm "{THROTTLED}" updated',
        f'Alarm "{THROTTLED}" created',
    ]


def _destroy_removes_the_alarms(tf: Terraform) -> None:
    tf.destroy()
    assert tf.run("state", "list").stdout == ""
    assert alarms_by_name(tf) == {}
    with pytest.raises(ClientError) as excinfo:
        tf.client("dynamodb").describe_table(TableName=TABLE)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _the_provider_called(tf: Terraform) -> set[str]:
    """The CloudWatch operations the server's debug log shows (one line per request)."""
    log = tf.server.output()
    return set(re.findall(r"opendynamo\.server (\w+) - OK 200", log))


def test_dynamodb_alarms_lifecycle(
    tf_server: Server, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The steps of one configuration's life, in order."""
    base = tmp_path_factory.mktemp("tf-cloudwatch")
    tf = Terraform.init(base, ALARMS, tf_server, SERVICES, **ROOT)
    tf.variables |= {"threshold": 0, "tags": {"team": "orders", "service": "checkout"}}
    _apply_creates_the_alarms(tf)
    tf.plan_shows_no_drift()
    _threshold_and_tags_update(tf)
    tf.plan_shows_no_drift()
    _destroy_removes_the_alarms(tf)
    called = _the_provider_called(tf)
    expected = {"PutMetricAlarm", "DescribeAlarms", "ListTagsForResource", "TagResource"}
    assert expected | {"UntagResource", "DeleteAlarms"} <= called
    assert "Traceback" not in tf_server.output()
