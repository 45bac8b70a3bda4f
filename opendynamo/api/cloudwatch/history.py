"""DescribeAlarmHistory: the history CloudWatch keeps of its alarms for 30 days
(`engine/alarms`), of one alarm or of all of them, newest first unless ScanBy asks for the
oldest, filtered by item type and a time range (both ends included), MaxRecords (1-100,
default 100) at a time.

Only metric alarms exist here: AlarmTypes without MetricAlarm, and the alarm contributor
item types, find nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opendynamo.api.cloudwatch import tokens
from opendynamo.api.request.context import Context
from opendynamo.engine import alarms

Params = dict[str, Any]
DEFAULT_RECORDS = 100
LISTING = "DescribeAlarmHistory"
Order = tuple[int, str, int]  # (stamp, alarm name, sequence): one item's place in time


def describe_alarm_history(ctx: Context, params: Params) -> Params:
    ascending = params.get("ScanBy") == "TimestampAscending"
    after = _order(tokens.position(ctx, LISTING, params.get("NextToken")))
    limit = params.get("MaxRecords") or DEFAULT_RECORDS
    types = params.get("AlarmTypes")
    found: list[tuple[Order, alarms.HistoryItem]] = []
    if types is None or "MetricAlarm" in types:
        with ctx.store.read() as txn:
            entries = alarms.history(
                txn, ctx.account, ctx.region, params.get("AlarmName"), ctx.store.now()
            )
            found = [
                ((stamp, item["AlarmName"], sequence), item)
                for stamp, sequence, item in entries
                if _wanted(item, params)
            ]
    found.sort(key=lambda entry: entry[0], reverse=not ascending)
    if after is not None:
        found = [e for e in found if (e[0] > after if ascending else e[0] < after)]
    page = found[:limit]
    result: Params = {"AlarmHistoryItems": [_described(item) for _, item in page]}
    if len(found) > limit:
        stamp, name, sequence = page[-1][0]
        result["NextToken"] = tokens.make(ctx, LISTING, f"{stamp}:{sequence}:{name}")
    return result


def _order(position: str | None) -> Order | None:
    if position is None:
        return None
    stamp, sequence, name = position.split(":", 2)
    return int(stamp), name, int(sequence)


def _wanted(item: alarms.HistoryItem, params: Params) -> bool:
    kind = params.get("HistoryItemType")
    if kind is not None and item["HistoryItemType"] != kind:
        return False
    moment = datetime.fromtimestamp(item["Timestamp"], UTC)
    start, end = params.get("StartDate"), params.get("EndDate")
    return (start is None or moment >= start) and (end is None or moment <= end)


def _described(item: alarms.HistoryItem) -> Params:
    return {**item, "Timestamp": datetime.fromtimestamp(item["Timestamp"], UTC)}
