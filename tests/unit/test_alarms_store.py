"""engine/alarms, with the clock injected: alarms per (account, region), every alarm of every
namespace for the evaluator, a transition and its StateUpdate item, the Action items of
actions that cannot be delivered, and 30 days of history (an alarm's name, whatever it holds,
never mixes its entries with another's)."""

from __future__ import annotations

import json
from typing import Any

from opendynamo.engine import alarms
from opendynamo.storage.base import Store
from opendynamo.storage.sqlite import open_store

NOW = 1_790_000_000.0
DAY = 86400.0


def _alarm(
    name: str, account: str = "111111111111", region: str = "us-east-1", **more: Any
) -> alarms.Alarm:
    return {
        "AlarmName": name,
        "AlarmArn": alarms.alarm_arn(account, region, name),
        "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-1:111111111111:page"],
        "OKActions": [],
        "InsufficientDataActions": [],
        "StateValue": "INSUFFICIENT_DATA",
        "StateReason": alarms.INITIAL_REASON,
        **more,
    }


def _store(*stored: alarms.Alarm) -> Store:
    store = open_store(None)
    with store.write() as txn:
        for alarm in stored:
            alarms.put(txn, alarm)
    return store


def _history(
    store: Store, name: str | None, now: float = NOW
) -> list[tuple[int, int, dict[str, Any]]]:
    with store.read() as txn:
        return list(alarms.history(txn, "111111111111", "us-east-1", name, now))


def test_alarms_belong_to_their_namespace() -> None:
    store = _store(
        _alarm("b"),
        _alarm("a"),
        _alarm("a", region="eu-west-1"),
        _alarm("a", account="222222222222"),
    )
    with store.read() as txn:
        names = [a["AlarmName"] for a in alarms.alarms(txn, "111111111111", "us-east-1")]
        after = [a["AlarmName"] for a in alarms.alarms(txn, "111111111111", "us-east-1", "a")]
        every = sorted(
            (account, region, a["AlarmName"]) for account, region, a in alarms.every_alarm(txn)
        )
        assert alarms.get(txn, "111111111111", "eu-west-1", "b") is None
    assert names == ["a", "b"] and after == ["b"]
    assert every == [
        ("111111111111", "eu-west-1", "a"),
        ("111111111111", "us-east-1", "a"),
        ("111111111111", "us-east-1", "b"),
        ("222222222222", "us-east-1", "a"),
    ]


def test_names_with_colons_and_nul() -> None:
    odd = "a:b\x00c"
    store = _store(_alarm(odd), _alarm("a:b"))
    assert alarms.namespace_of(_alarm(odd)) == ("111111111111", "us-east-1", odd)
    with store.write() as txn:
        for name in (odd, "a:b"):
            alarm = alarms.get(txn, "111111111111", "us-east-1", name)
            assert alarm is not None
            alarms.transition(txn, alarm, "OK", "fine", None, NOW)
    assert len(_history(store, "a:b")) == 1 and len(_history(store, odd)) == 1
    assert len(_history(store, None)) == 2


def test_the_alarm_an_arn_names() -> None:
    """Only an alarm ARN of the namespace asked about names an alarm (the tagging operations
    take ARNs); the name may hold colons."""
    account, region = "111111111111", "us-east-1"
    assert alarms.name_in_arn(alarms.alarm_arn(account, region, "a:b"), account, region) == "a:b"
    for arn in (
        alarms.alarm_arn(account, "eu-west-1", "a"),
        alarms.alarm_arn("222222222222", region, "a"),
        alarms.alarm_arn(account, region, ""),
        f"arn:aws:cloudwatch::{account}:dashboard/a",
        "a",
    ):
        assert alarms.name_in_arn(arn, account, region) is None


def test_a_transition_writes_the_state_and_its_history() -> None:
    store = _store(_alarm("a"))
    with store.write() as txn:
        alarm = alarms.get(txn, "111111111111", "us-east-1", "a")
        assert alarm is not None
        moved = alarms.transition(
            txn, alarm, "ALARM", "Threshold Crossed", '{"version":"1.0"}', NOW
        )
        assert moved is not None and alarms.record_actions(txn, moved, NOW) == 1
        assert alarms.transition(txn, moved, "ALARM", "again", None, NOW + 1) is None
    with store.read() as txn:
        stored = alarms.get(txn, "111111111111", "us-east-1", "a")
    assert stored is not None
    assert (stored["StateValue"], stored["StateReasonData"]) == ("ALARM", '{"version":"1.0"}')
    assert stored["StateUpdatedTimestamp"] == stored["StateTransitionedTimestamp"] == NOW
    (stamp, first, update), (_, second, action) = _history(store, "a")
    assert stamp == NOW * 1_000_000 and (first, second) == (0, 1)
    assert update["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert json.loads(update["HistoryData"])["newState"]["stateReasonData"] == {"version": "1.0"}
    assert action["HistoryItemType"] == "Action"
    assert json.loads(action["HistoryData"])["actionState"] == "Failed"


def test_no_actions_while_disabled() -> None:
    store = _store()
    with store.write() as txn:
        assert (
            alarms.record_actions(txn, _alarm("a", ActionsEnabled=False, StateValue="ALARM"), NOW)
            == 0
        )
        assert alarms.record_actions(txn, _alarm("a", StateValue="OK"), NOW) == 0


def test_history_keeps_thirty_days() -> None:
    store = _store(_alarm("a"), _alarm("b"))
    with store.write() as txn:
        alarm = _alarm("a")
        for day in range(40):
            alarms.add_history(txn, _alarm("b"), "StateUpdate", "b", {}, NOW + day * DAY)
        alarms.add_history(txn, alarm, "StateUpdate", "old", {}, NOW)
    later = NOW + 39 * DAY
    assert len(_history(store, "b", later)) == 31  # the older ones went as new ones came
    assert len(_history(store, "a", later)) == 0  # too old to read, still stored
    with store.write() as txn:
        assert alarms.trim_history(txn, later) == 1
        assert alarms.trim_history(txn, later) == 0
    assert len(_history(store, None, later)) == 31


def test_configuration_history_in_cloudwatchs_words() -> None:
    store = _store()
    created = _alarm("a", Threshold=1.0, AlarmConfigurationUpdatedTimestamp=NOW)
    updated = {**created, "Threshold": 2.0, "AlarmConfigurationUpdatedTimestamp": NOW + 60}
    with store.write() as txn:
        alarms.record_configuration(txn, created, None, NOW)
        alarms.record_configuration(txn, updated, created, NOW + 60)
        alarms.record_deletion(txn, updated, NOW + 120)
    (_, _, create), (_, _, update), (_, _, delete) = _history(store, "a", NOW + 120)
    assert create["HistorySummary"] == 'Alarm "a" created'
    data = json.loads(create["HistoryData"])
    assert data["createdAlarm"]["okActions"] == [] and data["createdAlarm"]["threshold"] == 1.0
    changed = json.loads(update["HistoryData"])["originalUpdatedFields"]
    assert changed == {
        "threshold": 1.0,
        "alarmConfigurationUpdatedTimestamp": alarms.history_time(NOW),
    }
    assert alarms.history_time(NOW + 0.5) == "2026-09-21T14:13:20.500+0000"
    assert json.loads(delete["HistoryData"])["type"] == "Delete"
