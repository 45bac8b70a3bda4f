"""DynamoDB's own metrics (namespace AWS/DynamoDB) as a request produces them: names, units and
dimensions as CloudWatch publishes them (DynamoDB Developer Guide, "DynamoDB Metrics and
dimensions").

The server notes each answered DynamoDB or Streams request (`Requests`) with what the
operation noted on the way (`Usage`: capacity consumed per table and index, items returned);
the worker's housekeeper thread turns them into samples before each flush. The gauges
are engine/metrics/gauges'.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.engine.metrics.series import SeriesKey

NAMESPACE = "AWS/DynamoDB"

# The operations DynamoDB publishes per-operation metrics for (dimension Operation).
DATA_OPERATIONS = frozenset(
    (
        "PutItem",
        "DeleteItem",
        "UpdateItem",
        "GetItem",
        "BatchGetItem",
        "Scan",
        "Query",
        "BatchWriteItem",
        "TransactWriteItems",
        "TransactGetItems",
        "ExecuteTransaction",
        "BatchExecuteStatement",
        "ExecuteStatement",
        "GetRecords",
    )
)
WRITES = frozenset(("PutItem", "DeleteItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"))
RETURNS_ITEMS = frozenset(("Query", "Scan", "ExecuteStatement"))
# Errors that are not UserErrors: throttling and conditional-check failures have metrics of
# their own.
THROTTLED = frozenset(("ProvisionedThroughputExceededException", "ThrottlingException"))
NOT_USER_ERRORS = THROTTLED | {"ConditionalCheckFailedException"}


class Usage(list[tuple[str, str | None, bool, float]]):
    """What one request consumed, noted by the operation as it runs: capacity units per
    (table, index or None, read or write), and how many items or records it returned. (A
    list made on every request: a list subclass without an `__init__` costs next to
    nothing; the two rarer notes are instance attributes set only when noted.)"""

    returned: int | None = None
    stream: tuple[str, str, int] | None = None  # GetRecords: table, stream label, reply bytes

    def consumed(self, table: str, index: str | None, write: bool, units: float) -> None:
        if units:
            self.append((table, index, write, units))


# A request's group: account, region, operation, its table (or tables), error type, minute
# (epoch minutes); and where its capacity went when not to its own table: account, region,
# table, index, write, minute.
Slot = tuple[str, str, str, str | tuple[str, ...], str | None, int]
Spent = tuple[str, str, str, str | None, bool, int]
# Groups this many seconds past their minute are dropped once empty: no request adds to them.
STALE = 180


class Requests:
    """The answered requests of a worker, gathered per (account, region, operation, tables,
    outcome, minute) until the housekeeper thread's flush turns them into samples.

    No lock and nothing kept per request beyond numbers: `note` appends the latency, and the
    units the request consumed on its own table, to its group's lists (`setdefault` and
    `append`, each atomic under the interpreter lock); `drain` takes what each list holds
    and deletes just that prefix (`del values[:n]`, atomic too), so whatever a request
    thread appends meanwhile stays for the next drain. (Keeping an object per request until
    the flush made every garbage collection walk them: that cost more than the metrics.)"""

    def __init__(self) -> None:
        # slot -> (latencies, read units, write units) of the table the request named
        self.groups: dict[Slot, tuple[list[float], list[float], list[float]]] = {}
        self.returned: dict[Slot, list[float]] = {}
        self.units: dict[Spent, list[float]] = {}  # units spent elsewhere (indexes, batches)
        # The group the last request went to, with what it was for (see `note`).
        self._last: tuple[Any, ...] = (None,) * 7
        self.rare: deque[
            tuple[str, str, str, int, tuple[str, str, int] | None, float, tuple[str, ...]]
        ] = deque()

    def note(
        self,
        account: str,
        region: str,
        operation: str,
        tables: str | tuple[str, ...],
        error: str | None,
        latency_ms: float,
        usage: Usage,
        moment: float,
        conflicts: tuple[str, ...] = (),
    ) -> None:
        """One answered request: the table it named (or its tables: `tables_named`), its
        error type (None: success), latency, what it consumed, and the tables a cancelled
        transaction names as conflicting."""
        minute = int(moment // 60)
        # Requests come in runs on one table and operation: the last one's group is checked
        # first (cheaper than making and hashing the group's key).
        last = self._last
        if (
            last[0] == tables
            and last[1] == operation
            and last[2] == minute
            and last[3] == error
            and last[4] == account
            and last[5] == region
        ):
            group = last[6]
        else:
            slot = (account, region, operation, tables, error, minute)
            group = self.groups.get(slot)
            if group is None:
                group = self.groups.setdefault(slot, ([], [], []))
            self._last = (tables, operation, minute, error, account, region, group)
        group[0].append(latency_ms)
        for table, index, write, used in usage:
            if index is None and table == tables:
                group[2 if write else 1].append(used)
            else:
                spent = (account, region, table, index, write, minute)
                self.units.setdefault(spent, []).append(used)
        returned = usage.returned
        if returned is not None:
            slot = (account, region, operation, tables, error, minute)
            self.returned.setdefault(slot, []).append(float(returned))
        if usage.stream is not None or conflicts:
            count = float(returned or 0)
            self.rare.append((account, region, operation, minute, usage.stream, count, conflicts))

    def drain(self, recorder: Recorder, now: float | None = None) -> None:
        """Turn what was noted into samples of `recorder`."""
        stale = ((time.time() if now is None else now) - STALE) // 60
        returned = {slot: _taken(values) for slot, values in _groups(self.returned, stale)}
        for (account, region, table, index, write, minute), values in _groups(self.units, stale):
            _record_units(recorder, account, region, table, index, write, _taken(values), minute)
        for slot, group in list(self.groups.items()):  # list(): a copy made in one step
            latencies, reads, writes = group
            if not latencies and not reads and not writes:
                if slot[-1] < stale:
                    self.groups.pop(slot, None)
                continue
            account, region, operation, tables, error, minute = slot
            named = (tables,) if isinstance(tables, str) else tables
            for values, write in ((reads, False), (writes, True)):
                if values:
                    units = _taken(values)
                    _record_units(recorder, account, region, named[0], None, write, units, minute)
            counts = returned.get(slot, [])
            taken = _taken(latencies)
            _record_group(
                recorder, account, region, operation, named, error, taken, counts, minute * 60
            )
        rare = self.rare
        for _ in range(len(rare)):
            account, region, operation, minute, stream, count, conflicts = rare.popleft()
            moment = minute * 60
            if stream is not None:
                _record_stream(recorder, account, region, operation, stream, count, moment)
            for table in conflicts:
                conflict = series_key(account, region, "TransactionConflict", ("TableName", table))
                recorder.add(conflict, 1.0, "Count", moment)


def _record_units(
    recorder: Recorder,
    account: str,
    region: str,
    table: str,
    index: str | None,
    write: bool,
    values: list[float],
    minute: int,
) -> None:
    name = "ConsumedWriteCapacityUnits" if write else "ConsumedReadCapacityUnits"
    if index is None:
        key = series_key(account, region, name, ("TableName", table))
    else:
        dims = (("GlobalSecondaryIndexName", index), ("TableName", table))
        key = series_key(account, region, name, *dims)
    recorder.extend(key, values, "Count", minute * 60)


def _groups(groups: dict[Any, list[float]], stale: float) -> list[tuple[Any, list[float]]]:
    """The groups that hold values; a stale empty one is dropped (nothing adds to it now)."""
    found = []
    for slot, values in list(groups.items()):  # list(): a copy made in one step
        if values:
            found.append((slot, values))
        elif slot[-1] < stale:
            groups.pop(slot, None)
    return found


def _taken(values: list[float]) -> list[float]:
    """What `values` holds now, removed from it; what other threads append meanwhile stays."""
    count = len(values)
    taken = values[:count]
    del values[:count]
    return taken


# Series keys are made once per (account, region, metric, table, operation...) and then
# looked up: a request's recording is then a dictionary lookup and an append per sample.
_KEYS: dict[tuple[str, ...], SeriesKey] = {}
_MOST_KEYS = 100_000  # a bound on the cache (table names come from clients)


def series_key(account: str, region: str, name: str, *dims: tuple[str, str]) -> SeriesKey:
    """The AWS/DynamoDB series `name` with `dims` (given in name order)."""
    cache_key = (account, region, name, *(value for _, value in dims), *(d for d, _ in dims))
    key = _KEYS.get(cache_key)
    if key is None:
        if len(_KEYS) >= _MOST_KEYS:
            _KEYS.clear()
        key = _KEYS[cache_key] = SeriesKey(account, region, NAMESPACE, name, dims)
    return key


def _record_group(
    recorder: Recorder,
    account: str,
    region: str,
    operation: str,
    tables: tuple[str, ...],
    error: str | None,
    latencies: list[float],
    returned: list[float],
    minute: int,
) -> None:
    """The samples of the requests of one minute that share operation, tables and outcome."""
    if error is not None and error not in NOT_USER_ERRORS and _user_error(error):
        key = series_key(account, region, "UserErrors")
        recorder.extend(key, [1.0] * len(latencies), "Count", minute)
    if operation not in DATA_OPERATIONS:
        return
    for table in tables:
        op = (("Operation", operation), ("TableName", table))
        if error is None:
            latency = series_key(account, region, "SuccessfulRequestLatency", *op)
            recorder.extend(latency, latencies, "Milliseconds", minute)
            if returned and operation in RETURNS_ITEMS:
                key = series_key(account, region, "ReturnedItemCount", *op)
                recorder.extend(key, returned, "Count", minute)
            continue
        for _ in latencies:
            _record_failure(recorder.add, account, region, operation, table, error, minute)


def _record_stream(
    recorder: Recorder,
    account: str,
    region: str,
    operation: str,
    stream: tuple[str, str, int],
    count: float,
    minute: int,
) -> None:
    table, label, size = stream
    dims = (("Operation", operation), ("StreamLabel", label), ("TableName", table))
    recorder.add(series_key(account, region, "ReturnedBytes", *dims), float(size), "Bytes", minute)
    recorder.add(series_key(account, region, "ReturnedRecordsCount", *dims), count, "Count", minute)


def _record_failure(
    add: Callable[[SeriesKey, float, str, float], None],
    account: str,
    region: str,
    operation: str,
    table: str,
    error: str,
    moment: float,
) -> None:
    on_table = ("TableName", table)
    if error in THROTTLED:
        op = (("Operation", operation), on_table)
        add(series_key(account, region, "ThrottledRequests", *op), 1.0, "Count", moment)
        kind = "Write" if operation in WRITES else "Read"
        add(series_key(account, region, f"{kind}ThrottleEvents", on_table), 1.0, "Count", moment)
        cause = f"{kind}ProvisionedThroughputThrottleEvents"
        add(series_key(account, region, cause, on_table), 1.0, "Count", moment)
    elif error == "ConditionalCheckFailedException":
        key = series_key(account, region, "ConditionalCheckFailedRequests", on_table)
        add(key, 1.0, "Count", moment)
    elif error in ("InternalServerError", "ServiceUnavailable"):
        op = (("Operation", operation), on_table)
        add(series_key(account, region, "SystemErrors", *op), 1.0, "Count", moment)
    elif error == "TransactionConflictException":
        add(series_key(account, region, "TransactionConflict", on_table), 1.0, "Count", moment)


def _user_error(error: str) -> bool:
    return error not in ("InternalServerError", "ServiceUnavailable")


def tables_of(operation: str, body: Any) -> list[str]:
    """The tables a request names (its TableName, or the tables of its batch or transaction)."""
    if not isinstance(body, dict):
        return []
    name = body.get("TableName")
    if isinstance(name, str):
        return [table_name(name)]
    requests = body.get("RequestItems")
    if isinstance(requests, dict):
        return [table_name(str(table)) for table in requests]
    actions = body.get("TransactItems")
    if isinstance(actions, list):
        found: dict[str, None] = {}
        for action in actions:
            if isinstance(action, dict):
                for member in action.values():
                    if isinstance(member, dict) and isinstance(member.get("TableName"), str):
                        found[table_name(member["TableName"])] = None
        return list(found)
    return []


def tables_named(operation: str, table: str | None, body: Any, usage: Usage) -> tuple[str, ...]:
    """The tables a request named: its TableName (or ARN's), its batch's or transaction's
    tables, or (a PartiQL statement) those it consumed capacity on."""
    if table is not None and ":" not in table:
        return (table,)
    tables = tuple(tables_of(operation, body))
    if not tables and usage:
        tables = tuple(dict.fromkeys(used[0] for used in usage))
    return tables


def conflicting_tables(cancelled: dict[str, Any], body: Any) -> tuple[str, ...]:
    """The tables of a cancelled transaction's actions that conflicted with another one."""
    reasons = cancelled.get("CancellationReasons") or []
    actions = body.get("TransactItems") if isinstance(body, dict) else None
    tables = []
    for reason, action in zip(reasons, actions or [], strict=False):
        if reason.get("Code") == "TransactionConflict" and isinstance(action, dict):
            for member in action.values():
                if isinstance(member, dict) and isinstance(member.get("TableName"), str):
                    tables.append(table_name(member["TableName"]))
    return tuple(tables)


def table_name(given: str) -> str:
    """The name of a table a request named by name or by ARN (`arn:...:table/<name>`)."""
    if given.startswith("arn:"):
        _, _, rest = given.partition(":table/")
        return rest.split("/", 1)[0] or given
    return given
