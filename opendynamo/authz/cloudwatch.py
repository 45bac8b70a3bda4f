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
PutMetricData's condition key is `cloudwatch:namespace`. TagResource, UntagResource and
ListTagsForResource act on the resource their ResourceARN names, as given (an ARN that names
no alarm here is asked for too, and then answered ResourceNotFoundException); TagResource's
condition keys are the tags it sets, UntagResource's `aws:TagKeys` the keys it removes.
"""

from __future__ import annotations

from typing import Any

from opendynamo.authz.access import Access, Spec, tag_keys
from opendynamo.engine import alarms
from opendynamo.storage.base import ReadTxn

_TAGS = ("aws:RequestTag/${TagKey}", "aws:TagKeys")
_RESOURCE_TAGS = ("aws:ResourceTag/${TagKey}",)
ALL_ALARMS = "alarm:*"
BY_ARN = "ResourceARN"  # the resource a tagging operation names by its ARN
TAGGING = ("TagResource", "UntagResource", "ListTagsForResource")
INSIGHT_RULE = "insight-rule"  # arn:aws:cloudwatch:<region>:<account>:insight-rule/<name>

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
    "TagResource": Spec(("cloudwatch:TagResource",), (BY_ARN,), (*_TAGS, *_RESOURCE_TAGS)),
    "UntagResource": Spec(
        ("cloudwatch:UntagResource",), (BY_ARN,), ("aws:TagKeys", *_RESOURCE_TAGS)
    ),
    "ListTagsForResource": Spec(("cloudwatch:ListTagsForResource",), (BY_ARN,), _RESOURCE_TAGS),
    "PutMetricData": Spec(("cloudwatch:PutMetricData",), ("*",), ("cloudwatch:namespace",)),
    "GetMetricData": Spec(("cloudwatch:GetMetricData",), ("*",)),
    "GetMetricStatistics": Spec(("cloudwatch:GetMetricStatistics",), ("*",)),
    "ListMetrics": Spec(("cloudwatch:ListMetrics",), ("*",)),
    "DescribeInsightRules": Spec(("cloudwatch:DescribeInsightRules",), ("*",)),
    "GetInsightRuleReport": Spec(("cloudwatch:GetInsightRuleReport",), (INSIGHT_RULE,)),
}


def accesses(
    txn: ReadTxn | None, account: str, region: str, operation: str, params: dict[str, Any]
) -> list[Access]:
    """The permissions `operation` needs. With `txn`, named alarms that exist carry their
    tags (aws:ResourceTag/…); without one (nothing is decided by policy) they do not."""
    action = f"cloudwatch:{operation}"
    if operation in TAGGING:
        return [_tagging(txn, account, region, operation, params)]
    if operation == "GetInsightRuleReport":
        rule = f"arn:aws:cloudwatch:{region}:{account}:insight-rule/{params['RuleName']}"
        return [Access(action, rule)]
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


def _tagging(
    txn: ReadTxn | None, account: str, region: str, operation: str, params: dict[str, Any]
) -> Access:
    """The one access of a tagging operation: on its ResourceARN, with the alarm's tags when
    it names one of this account and region."""
    arn = str(params["ResourceARN"])
    context: dict[str, Any] = {}
    if operation == "TagResource":
        context = _request_tags(params)
    elif operation == "UntagResource":
        context = {"aws:TagKeys": sorted(set(map(str, params["TagKeys"])))}
    name = alarms.name_in_arn(arn, account, region)
    if name is not None:
        context |= _resource_tags(txn, account, region, name)
    return Access(f"cloudwatch:{operation}", arn, None, context)


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
