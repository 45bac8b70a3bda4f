"""CloudWatch, served beside DynamoDB in the three protocols of botocore's `cloudwatch`
model (`server/cloudwatch`): its operation table by operation name.

A handler takes the request's parameters as `shapes.read_input` made them (Python values by
the operation's input shape) and answers the members of its output shape, or None when the
operation has no output. An operation of the model that is not in the table answers
InvalidAction. The README's list of served CloudWatch operations is checked against this
table by a test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opendynamo.api.cloudwatch import alarms, history, insights, metrics, tags
from opendynamo.api.request.context import Context

Operation = Callable[[Context, dict[str, Any]], dict[str, Any] | None]

OPERATIONS: dict[str, Operation] = {
    "PutMetricAlarm": alarms.put_metric_alarm,
    "DescribeAlarms": alarms.describe_alarms,
    "DescribeAlarmsForMetric": alarms.describe_alarms_for_metric,
    "DeleteAlarms": alarms.delete_alarms,
    "SetAlarmState": alarms.set_alarm_state,
    "EnableAlarmActions": alarms.enable_alarm_actions,
    "DisableAlarmActions": alarms.disable_alarm_actions,
    "DescribeAlarmHistory": history.describe_alarm_history,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
    "PutMetricData": metrics.put_metric_data,
    "GetMetricData": metrics.get_metric_data,
    "GetMetricStatistics": metrics.get_metric_statistics,
    "ListMetrics": metrics.list_metrics,
    "DescribeInsightRules": insights.describe_insight_rules,
    "GetInsightRuleReport": insights.get_insight_rule_report,
}
