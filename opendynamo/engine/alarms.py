"""CloudWatch alarms and their history, kept in the store per (account, region).

An alarm is `ALARM + account + 0 + region + 0 + name` holding its JSON: the members of
CloudWatch's MetricAlarm as DescribeAlarms returns them, timestamps as epoch seconds (to the
millisecond), and its Tags. Its history is `ALARM_HISTORY + account + 0 + region + 0 +
length-prefixed name + stamp + sequence` holding one AlarmHistoryItem each, so one alarm's
entries sort by time; CloudWatch keeps 30 days of them (`RETENTION`), and so does this: an
alarm's old entries go when it gains a new one, and `trim_history` (for the housekeeper)
drops the old entries of every alarm, deleted alarms' included.

The history is written as CloudWatch writes it: HistorySummary "Alarm updated from OK to
ALARM", HistoryData the compact JSON `{"version":"1.0","oldState":{…},"newState":{…}}` of a
StateUpdate (AWS's own, in the AWS SDK for Java's issue #1723 and LocalStack's recordings), and
`{"version":"1.0","type":"Create","createdAlarm":{…}}` (or Update with `updatedAlarm` and
`originalUpdatedFields`, or Delete with `deletedAlarm`) of a ConfigurationUpdate, the alarm's
members in lowerCamel with timestamps as "2018-08-15T21:20:02.369+0000".

Alarm actions cannot be delivered here (there is no SNS, EC2, Auto Scaling or Lambda to reach):
`record_actions` writes, for each action a state change would fire, the Action item CloudWatch
writes when an action fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn, prefix_end

Alarm = dict[str, Any]
HistoryItem = dict[str, Any]

RETENTION = 30 * 86400.0  # seconds of history CloudWatch keeps
INITIAL_REASON = "Unchecked: Initial alarm creation"
HISTORY_VERSION = "1.0"
ACTIONS_BY_STATE = {
    "OK": "OKActions",
    "ALARM": "AlarmActions",
    "INSUFFICIENT_DATA": "InsufficientDataActions",
}
NOT_DELIVERED = "opendynamo does not deliver alarm actions"
_MICRO = 1_000_000
_SUMMARY_MAX = 255  # AlarmHistoryItem.HistorySummary's longest
# Members of an alarm that are its state, not its configuration (a ConfigurationUpdate
# names only what the request changed).
_STATE_MEMBERS = frozenset(
    {
        "StateValue",
        "StateReason",
        "StateReasonData",
        "StateUpdatedTimestamp",
        "StateTransitionedTimestamp",
        "AlarmConfigurationUpdatedTimestamp",
        "Tags",
    }
)


# --- alarms ----------------------------------------------------------------------------------


def namespace_of(alarm: Alarm) -> tuple[str, str, str]:
    """(account, region, name) of an alarm, from its ARN
    (arn:aws:cloudwatch:<region>:<account>:alarm:<name>; the name may hold colons)."""
    _, _, _, region, account, _, name = str(alarm["AlarmArn"]).split(":", 6)
    return account, region, name


def alarm_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def name_in_arn(arn: str, account: str, region: str) -> str | None:
    """The name of the alarm `arn` names in this account and region; None for any other ARN
    (another account's or region's alarm, a dashboard, a made-up string)."""
    prefix = alarm_arn(account, region, "")
    return arn[len(prefix) :] if arn.startswith(prefix) and len(arn) > len(prefix) else None


def get(txn: ReadTxn, account: str, region: str, name: str) -> Alarm | None:
    raw = txn.get(layout.alarm_key(account, region, name))
    return None if raw is None else _decoded(raw)


def put(txn: WriteTxn, alarm: Alarm) -> None:
    account, region, name = namespace_of(alarm)
    txn.put(layout.alarm_key(account, region, name), orjson.dumps(alarm))


def delete(txn: WriteTxn, account: str, region: str, name: str) -> None:
    txn.delete(layout.alarm_key(account, region, name))


def alarms(txn: ReadTxn, account: str, region: str, after: str | None = None) -> Iterator[Alarm]:
    """The alarms of one namespace in name order (byte order of the UTF-8 names), from the
    one after `after` on."""
    prefix = layout.alarm_prefix(account, region)
    start = prefix if after is None else layout.alarm_key(account, region, after) + b"\x00"
    for _, raw in txn.range(start, prefix_end(prefix)):
        yield _decoded(raw)


def every_alarm(txn: ReadTxn) -> Iterator[tuple[str, str, Alarm]]:
    """(account, region, alarm) of every alarm of every namespace: what the evaluator walks."""
    for key, raw in txn.range(layout.ALARM, prefix_end(layout.ALARM)):
        account, region = layout.alarm_namespace(key)
        yield account, region, _decoded(raw)


def _decoded(raw: bytes) -> Alarm:
    alarm: Alarm = orjson.loads(raw)
    return alarm


# --- state --------------------------------------------------------------------------------


def transition(
    txn: WriteTxn,
    alarm: Alarm,
    new_state: str,
    reason: str,
    reason_data: str | None,
    now: float,
) -> Alarm | None:
    """Move the alarm to `new_state` (OK, ALARM, INSUFFICIENT_DATA) for `reason` (and
    `reason_data`, a JSON object's text), store it and write its StateUpdate history item;
    the alarm as stored. None, and nothing written, when it is in that state already (as
    CloudWatch, which records no transition to the state an alarm is in)."""
    old_state = str(alarm["StateValue"])
    if old_state == new_state:
        return None
    moment = _moment(now)
    updated = {
        **alarm,
        "StateValue": new_state,
        "StateReason": reason,
        "StateUpdatedTimestamp": moment,
        "StateTransitionedTimestamp": moment,
    }
    updated.pop("StateReasonData", None)
    if reason_data is not None:
        updated["StateReasonData"] = reason_data
    put(txn, updated)
    data = {
        "version": HISTORY_VERSION,
        "oldState": _state(alarm),
        "newState": _state(updated),
    }
    add_history(
        txn, updated, "StateUpdate", f"Alarm updated from {old_state} to {new_state}", data, now
    )
    return updated


def _state(alarm: Alarm) -> dict[str, Any]:
    state: dict[str, Any] = {"stateValue": alarm["StateValue"], "stateReason": alarm["StateReason"]}
    text = alarm.get("StateReasonData")
    if text is not None:
        try:
            state["stateReasonData"] = orjson.loads(text)
        except orjson.JSONDecodeError:
            state["stateReasonData"] = text
    return state


def record_actions(txn: WriteTxn, alarm: Alarm, now: float) -> int:
    """Write, for each action the alarm's current state fires (none while its actions are
    disabled), the Action history item CloudWatch writes for an action that failed: nothing
    here can deliver one. How many were written."""
    if not alarm.get("ActionsEnabled", True):
        return 0
    actions = [str(arn) for arn in alarm.get(ACTIONS_BY_STATE[str(alarm["StateValue"])]) or ()]
    stamp = round(now * 1000)
    for arn in actions:
        summary = f'Failed to execute action {arn}. Received error: "{NOT_DELIVERED}"'
        data = {
            "actionState": "Failed",
            "stateUpdateTimestamp": stamp,
            "notificationResource": arn,
            "error": NOT_DELIVERED,
        }
        add_history(txn, alarm, "Action", summary, data, now)
    return len(actions)


# --- configuration --------------------------------------------------------------------------


def record_configuration(txn: WriteTxn, alarm: Alarm, previous: Alarm | None, now: float) -> None:
    """The ConfigurationUpdate item of PutMetricAlarm: the alarm created, or updated from
    `previous` (with the old values of what changed)."""
    name = alarm["AlarmName"]
    if previous is None:
        data = {"version": HISTORY_VERSION, "type": "Create", "createdAlarm": _described(alarm)}
        add_history(txn, alarm, "ConfigurationUpdate", f'Alarm "{name}" created', data, now)
        return
    changed = {
        member: previous.get(member)
        for member in sorted(set(alarm) | set(previous))
        if member not in _STATE_MEMBERS and alarm.get(member) != previous.get(member)
    }
    changed["AlarmConfigurationUpdatedTimestamp"] = previous.get(
        "AlarmConfigurationUpdatedTimestamp"
    )
    data = {
        "version": HISTORY_VERSION,
        "type": "Update",
        "updatedAlarm": _described(alarm),
        "originalUpdatedFields": _described(changed),
    }
    add_history(txn, alarm, "ConfigurationUpdate", f'Alarm "{name}" updated', data, now)


def record_deletion(txn: WriteTxn, alarm: Alarm, now: float) -> None:
    """The ConfigurationUpdate item of DeleteAlarms (the history outlives the alarm)."""
    data = {"version": HISTORY_VERSION, "type": "Delete", "deletedAlarm": _described(alarm)}
    add_history(
        txn, alarm, "ConfigurationUpdate", f'Alarm "{alarm["AlarmName"]}" deleted', data, now
    )


def _described(members: dict[str, Any]) -> dict[str, Any]:
    """Members as HistoryData shows them: names in lowerCamel, timestamps as text."""
    out: dict[str, Any] = {}
    for member, value in members.items():
        if member == "Tags" or value is None:
            continue
        out[_camel(member)] = _history_value(member, value)
    return out


def _history_value(member: str, value: Any) -> Any:
    if member.endswith("Timestamp") and isinstance(value, int | float):
        return history_time(value)
    if isinstance(value, dict):
        return {_camel(key): _history_value(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_history_value(member, item) for item in value]
    return value


def _camel(name: str) -> str:
    """lowerCamel as CloudWatch writes members in HistoryData: OKActions -> okActions."""
    upper = len(name) - len(name.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if upper <= 1 or upper == len(name):
        return name[:upper].lower() + name[upper:]
    return name[: upper - 1].lower() + name[upper - 1 :]


def history_time(seconds: float) -> str:
    """A time as HistoryData writes it: 2018-08-15T21:20:02.369+0000."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


# --- history --------------------------------------------------------------------------------


def add_history(
    txn: WriteTxn,
    alarm: Alarm,
    item_type: str,
    summary: str,
    data: dict[str, Any],
    now: float,
) -> None:
    """Append one history item to the alarm's history (and drop its items past
    `RETENTION`)."""
    account, region, name = namespace_of(alarm)
    stamp = round(now * _MICRO)
    prefix = layout.history_prefix(account, region, name)
    cutoff = round((now - RETENTION) * _MICRO)
    txn.delete_range(prefix, prefix + max(cutoff, 0).to_bytes(8, "big"))
    item = {
        "AlarmName": name,
        "AlarmType": "MetricAlarm",
        "Timestamp": round(now, 3),
        "HistoryItemType": item_type,
        "HistorySummary": summary[:_SUMMARY_MAX],
        "HistoryData": orjson.dumps(data).decode(),
    }
    sequence = 0  # several items in one microsecond (a creation and its first state) keep order
    while txn.get(layout.history_key(account, region, name, stamp, sequence)) is not None:
        sequence += 1
    txn.put(layout.history_key(account, region, name, stamp, sequence), orjson.dumps(item))


def history(
    txn: ReadTxn, account: str, region: str, name: str | None, now: float
) -> Iterator[tuple[int, int, HistoryItem]]:
    """(stamp, sequence, item) of the history of one alarm (oldest first), or of every alarm
    of the namespace (alarm by alarm), within `RETENTION` of `now`. An item is unique by its
    alarm's name, stamp (microseconds) and sequence number."""
    prefix = layout.history_prefix(account, region, name)
    oldest = round((now - RETENTION) * _MICRO)
    for key, raw in txn.range(prefix, prefix_end(prefix)):
        stamp = layout.history_stamp(key)
        if stamp >= oldest:
            yield stamp, layout.history_sequence(key), orjson.loads(raw)


def trim_history(txn: WriteTxn, now: float, limit: int = 1000) -> int:
    """Delete up to `limit` history items older than `RETENTION`, of every alarm (a deleted
    alarm's too); how many. For the housekeeper, which calls it until it returns 0."""
    oldest = round((now - RETENTION) * _MICRO)
    old: list[bytes] = []
    for key, _ in txn.range(layout.ALARM_HISTORY, prefix_end(layout.ALARM_HISTORY)):
        if layout.history_stamp(key) < oldest:
            old.append(key)
            if len(old) == limit:
                break
    for key in old:
        txn.delete(key)
    return len(old)


def _moment(now: float) -> float:
    return round(now, 3)
