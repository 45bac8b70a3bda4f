"""What a CloudWatch request asks permission for, as AWS's Service Authorization Reference
("Actions, resources, and condition keys for Amazon CloudWatch") declares it.

Every operation asks for `cloudwatch:<Operation>`. The alarm operations act on alarms,
`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`, one access per alarm named; an alarm's
tags are its `aws:ResourceTag/…` keys. DescribeAlarms, and DescribeAlarmHistory without an
AlarmName, act on every alarm: AWS refuses them "on resource:
arn:aws:cloudwatch:<region>:<account>:alarm:*" (its denial, quoted in public bug reports), so
that is the resource asked for. The metric operations and DescribeAlarmsForMetric have no
resource type ("*"). PutMetricAlarm's condition keys are the tags it sets and
`cloudwatch:AlarmActions` (every action it names); it also asks for `cloudwatch:TagResource`
when it sets tags, as the CloudWatch user guide requires ("Alarms and tagging").
PutMetricData's condition key is `cloudwatch:namespace`.
"""

from __future__ import annotations

from typing import Any

from opendynamo.authz.access import Access, Spec, tag_keys
from opendynamo.engine import alarms
from opendynamo.storage.base import ReadTxn

_TAGS = ("aws:RequestTag/${TagKey}", "aws:TagKeys")
_RESOURCE_TAGS = ("aws:ResourceTag/${TagKey}",)
ALL_ALARMS = "alarm:*"

SPECS: dict[str, Spec] = {
    "PutMetricAlarm": Spec(
        ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
        ("alarm",),
        (*_TAGS, "cloudwatch:AlarmActions", *_RESOURCE_TAGS),
    ),
    "DescribeAlarms": Spec(("cloudwatch:DescribeAlarms",), (ALL_ALARMS,)),
    "DescribeAlarmsForMetric": Spec(("cloudwatch:DescribeAlarmsForMetric",), ("*",)),
    "DescribeAlarmHistory": Spec(
        ("cloudwatch:DescribeAlarmHistory",), ("alarm", ALL_ALARMS), _RESOURCE_TAGS
    ),
    "DeleteAlarms": Spec(("cloudwatch:DeleteAlarms",), ("alarm",), _RESOURCE_TAGS),
    "SetAlarmState": Spec(("cloudwatch:SetAlarmState",), ("alarm",), _RESOURCE_TAGS),
    "EnableAlarmActions": Spec(("cloudwatch:EnableAlarmActions",), ("alarm",), _RESOURCE_TAGS),
    "DisableAlarmActions": Spec(("cloudwatch:DisableAlarmActions",), ("alarm",), _RESOURCE_TAGS),
    "PutMetricData": Spec(("cloudwatch:PutMetricData",), ("*",), ("cloudwatch:namespace",)),
    "GetMetricData": Spec(("cloudwatch:GetMetricData",), ("*",)),
    "GetMetricStatistics": Spec(("cloudwatch:GetMetricStatistics",), ("*",)),
    "ListMetrics": Spec(("cloudwatch:ListMetrics",), ("*",)),
}


def accesses(
    txn: ReadTxn | None, account: str, region: str, operation: str, params: dict[str, Any]
) -> list[Access]:
    """The permissions `operation` needs. With `txn`, named alarms that exist carry their
    tags (aws:ResourceTag/…); without one (nothing is decided by policy) they do not."""
    action = f"cloudwatch:{operation}"
    names = _alarm_names(operation, params)
    if names is None:
        every = ALL_ALARMS in SPECS[operation].resources
        resource = alarms.alarm_arn(account, region, "*") if every else "*"
        return [Access(action, resource, None, _context(operation, params))]
    needed = []
    for name in names:
        context = {**_context(operation, params), **_resource_tags(txn, account, region, name)}
        needed.append(Access(action, alarms.alarm_arn(account, region, name), None, context))
    if operation == "PutMetricAlarm" and params.get("Tags"):
        arn = alarms.alarm_arn(account, region, params["AlarmName"])
        needed.append(Access("cloudwatch:TagResource", arn, None, _request_tags(params)))
    return needed


def _alarm_names(operation: str, params: dict[str, Any]) -> list[str] | None:
    """The alarms an operation names (None: it names none)."""
    if operation in ("DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"):
        return list(dict.fromkeys(params.get("AlarmNames") or ()))
    if operation in ("PutMetricAlarm", "SetAlarmState") or (
        operation == "DescribeAlarmHistory" and params.get("AlarmName") is not None
    ):
        return [str(params["AlarmName"])]
    return None


def _context(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    if operation == "PutMetricData":
        return {"cloudwatch:namespace": params.get("Namespace")}
    if operation != "PutMetricAlarm":
        return {}
    actions = [
        str(arn) for member in alarms.ACTIONS_BY_STATE.values() for arn in params.get(member) or ()
    ]
    context = _request_tags(params)
    if actions:  # absent, not empty, for an alarm without actions (a Null condition's case)
        context["cloudwatch:AlarmActions"] = actions
    return context


def _request_tags(params: dict[str, Any]) -> dict[str, Any]:
    given = {str(tag["Key"]): str(tag["Value"]) for tag in params.get("Tags") or ()}
    if not given:
        return {}
    return {**tag_keys("aws:RequestTag", given), "aws:TagKeys": sorted(given)}


def _resource_tags(txn: ReadTxn | None, account: str, region: str, name: str) -> dict[str, str]:
    if txn is None:
        return {}
    alarm = alarms.get(txn, account, region, name)
    if alarm is None:
        return {}
    return tag_keys("aws:ResourceTag", {tag["Key"]: tag["Value"] for tag in alarm.get("Tags", ())})
