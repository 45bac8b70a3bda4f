"""CloudWatch's metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric,
DeleteAlarms, SetAlarmState, EnableAlarmActions and DisableAlarmActions (DescribeAlarmHistory
is `history`). Alarms live per (account, region) in the store (`engine/alarms`); the
evaluator that moves them between states by their metric's data runs in the housekeeper.

As CloudWatch: an alarm starts INSUFFICIENT_DATA ("Unchecked: Initial alarm creation");
PutMetricAlarm of an existing alarm overwrites its configuration and keeps its state and tags;
DeleteAlarms, EnableAlarmActions and DisableAlarmActions pass over names that are no alarm;
SetAlarmState of an unknown alarm answers ResourceNotFound (404), and a state the alarm is in
changes nothing; a change of state fires the new state's actions, which opendynamo records in
the history as actions that failed (there is nothing to deliver them to).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.api.cloudwatch import alarm_rules, tags, tokens
from opendynamo.api.request.context import Context
from opendynamo.engine import alarms

Params = dict[str, Any]
Result = dict[str, Any] | None

DEFAULT_RECORDS = 50  # DescribeAlarms' MaxRecords when none is given
_TIMESTAMPS = (
    "AlarmConfigurationUpdatedTimestamp",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
)


def put_metric_alarm(ctx: Context, params: Params) -> Result:
    alarm_rules.check(params)
    if params.get("Tags"):  # a key given twice keeps its last value, as TagResource's
        params = {**params, "Tags": tags.tag_list(tags.check_tags(params["Tags"]))}
    now = ctx.store.now()
    with ctx.store.write() as txn:
        previous = alarms.get(txn, ctx.account, ctx.region, params["AlarmName"])
        stored = alarm_rules.alarm(params, ctx.account, ctx.region, previous, now)
        alarms.put(txn, stored)
        alarms.record_configuration(txn, stored, previous, now)
    return None


def describe_alarms(ctx: Context, params: Params) -> Result:
    """Metric alarms by name, name prefix, state and action prefix (every filter given
    applies), in name order, MaxRecords (1-100, default 50) at a time. Composite alarms are
    not served: CompositeAlarms is always empty."""
    limit = params.get("MaxRecords") or DEFAULT_RECORDS
    after = tokens.position(ctx, "DescribeAlarms", params.get("NextToken"))
    types = params.get("AlarmTypes")
    wanted = types is None or "MetricAlarm" in types
    if params.get("ChildrenOfAlarmName") or params.get("ParentsOfAlarmName"):
        wanted = False  # only composite alarms have children or parents
    found: list[alarms.Alarm] = []
    more = False
    if wanted:
        with ctx.store.read() as txn:
            for alarm in _candidates(txn, ctx, params, after):
                if len(found) == limit:
                    more = True
                    break
                found.append(alarm)
    result: Params = {"CompositeAlarms": [], "MetricAlarms": [described(a) for a in found]}
    if more:
        result["NextToken"] = tokens.make(ctx, "DescribeAlarms", found[-1]["AlarmName"])
    return result


def _candidates(
    txn: Any, ctx: Context, params: Params, after: str | None
) -> Iterator[alarms.Alarm]:
    names = params.get("AlarmNames")
    if names:
        chosen = (alarms.get(txn, ctx.account, ctx.region, name) for name in sorted(set(names)))
        source: Iterator[alarms.Alarm] = (
            alarm
            for alarm in chosen
            if alarm is not None and (after is None or alarm["AlarmName"].encode() > after.encode())
        )
    else:
        source = alarms.alarms(txn, ctx.account, ctx.region, after)
    return (alarm for alarm in source if _matches(alarm, params))


def _matches(alarm: alarms.Alarm, params: Params) -> bool:
    prefix = params.get("AlarmNamePrefix")
    if prefix is not None and not alarm["AlarmName"].startswith(prefix):
        return False
    state = params.get("StateValue")
    if state is not None and alarm["StateValue"] != state:
        return False
    action = params.get("ActionPrefix")
    if action is not None:
        members = alarms.ACTIONS_BY_STATE.values()
        return any(arn.startswith(action) for member in members for arn in alarm.get(member, ()))
    return True


def describe_alarms_for_metric(ctx: Context, params: Params) -> Result:
    """The metric alarms on one metric: its namespace and name, and where given its
    statistic, extended statistic, dimensions (as a set), period and unit."""
    dimensions = params.get("Dimensions")
    wanted = {
        member: params[member]
        for member in ("Statistic", "ExtendedStatistic", "Period", "Unit")
        if params.get(member) is not None
    }
    found = []
    with ctx.store.read() as txn:
        for alarm in alarms.alarms(txn, ctx.account, ctx.region):
            if alarm.get("Namespace") != params["Namespace"]:
                continue
            if alarm.get("MetricName") != params["MetricName"]:
                continue
            if any(alarm.get(member) != value for member, value in wanted.items()):
                continue
            if dimensions is not None and _dimensions(alarm.get("Dimensions")) != _dimensions(
                dimensions
            ):
                continue
            found.append(described(alarm))
    return {"MetricAlarms": found}


def _dimensions(given: list[dict[str, str]] | None) -> frozenset[tuple[str, str]]:
    return frozenset((d["Name"], d["Value"]) for d in given or ())


def delete_alarms(ctx: Context, params: Params) -> Result:
    now = ctx.store.now()
    with ctx.store.write() as txn:
        for name in dict.fromkeys(params["AlarmNames"]):
            alarm = alarms.get(txn, ctx.account, ctx.region, name)
            if alarm is not None:
                alarms.delete(txn, ctx.account, ctx.region, name)
                alarms.record_deletion(txn, alarm, now)
    return None


def set_alarm_state(ctx: Context, params: Params) -> Result:
    """Set an alarm's state by hand (until its next evaluation); StateReasonData must be a
    JSON object's text (InvalidFormat otherwise)."""
    reason_data = params.get("StateReasonData")
    if reason_data is not None:
        _check_reason_data(reason_data)
    now = ctx.store.now()
    with ctx.store.write() as txn:
        alarm = alarms.get(txn, ctx.account, ctx.region, params["AlarmName"])
        if alarm is None:
            raise errors.alarm_not_found()
        changed = alarms.transition(
            txn, alarm, params["StateValue"], params["StateReason"], reason_data, now
        )
        if changed is not None:
            alarms.record_actions(txn, changed, now)
    return None


def _check_reason_data(text: str) -> None:
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise errors.invalid_format("StateReasonData must be a JSON object")


def enable_alarm_actions(ctx: Context, params: Params) -> Result:
    return _actions_enabled(ctx, params["AlarmNames"], True)


def disable_alarm_actions(ctx: Context, params: Params) -> Result:
    return _actions_enabled(ctx, params["AlarmNames"], False)


def _actions_enabled(ctx: Context, names: list[str], enabled: bool) -> Result:
    with ctx.store.write() as txn:
        for name in dict.fromkeys(names):
            alarm = alarms.get(txn, ctx.account, ctx.region, name)
            if alarm is not None and alarm.get("ActionsEnabled", True) != enabled:
                alarms.put(txn, {**alarm, "ActionsEnabled": enabled})
    return None


def described(alarm: alarms.Alarm) -> Params:
    """A stored alarm as DescribeAlarms answers it: timestamps as datetimes, no tags."""
    out = {member: value for member, value in alarm.items() if member != "Tags"}
    for member in _TIMESTAMPS:
        if isinstance(out.get(member), int | float):
            out[member] = datetime.fromtimestamp(out[member], UTC)
    return out
