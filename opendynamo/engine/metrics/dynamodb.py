"""DynamoDB's own metrics (namespace AWS/DynamoDB) as a request produces them: names, units and
dimensions as CloudWatch publishes them (DynamoDB Developer Guide, "DynamoDB Metrics and
dimensions").

The server calls `record_request` once per DynamoDB or Streams request, after it is answered,
with what the operation noted on the way (`Usage`: capacity consumed per table and index, items
returned); the housekeeper records the gauges (`record_gauges`) once a minute.
"""

from __future__ import annotations

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


class Usage:
    """What one request consumed, noted by the operation as it runs: capacity units per
    (table, index or None, read or write), and how many items or records it returned."""

    __slots__ = ("units", "returned", "stream")

    def __init__(self) -> None:
        self.units: list[tuple[str, str | None, bool, float]] = []
        self.returned: int | None = None
        self.stream: tuple[str, str, int] | None = None  # GetRecords: table, label, bytes

    def consumed(self, table: str, index: str | None, write: bool, units: float) -> None:
        if units:
            self.units.append((table, index, write, units))


def record_request(
    recorder: Recorder,
    account: str,
    region: str,
    operation: str,
    tables: list[str],
    error: str | None,
    latency_ms: float,
    usage: Usage | None,
    moment: float,
    failed_tables: list[str] | None = None,
) -> None:
    """The metrics of one answered request. `tables` are the tables it named; `error` the
    error type it was answered with (None: success); `failed_tables` the tables whose items
    a cancelled transaction names as conflicting."""
    add = recorder.add

    def series(name: str, *dims: tuple[str, str]) -> SeriesKey:
        return SeriesKey(account, region, NAMESPACE, name, tuple(sorted(dims)))

    if usage is not None:
        for table, index, write, units in usage.units:
            name = "ConsumedWriteCapacityUnits" if write else "ConsumedReadCapacityUnits"
            dims: tuple[tuple[str, str], ...] = (("TableName", table),)
            if index is not None:
                dims = (("GlobalSecondaryIndexName", index), ("TableName", table))
            add(SeriesKey(account, region, NAMESPACE, name, dims), units, "Count", moment)
    if operation not in DATA_OPERATIONS:
        if error is not None and error not in NOT_USER_ERRORS and _user_error(error):
            add(series("UserErrors"), 1.0, "Count", moment)
        return
    if usage is not None and usage.stream is not None:
        table, label, size = usage.stream
        dims = (("Operation", operation), ("StreamLabel", label), ("TableName", table))
        add(series("ReturnedBytes", *dims), float(size), "Bytes", moment)
        add(series("ReturnedRecordsCount", *dims), float(usage.returned or 0), "Count", moment)
        tables = [table]
    for table in tables:
        op = (("Operation", operation), ("TableName", table))
        if error is None:
            add(series("SuccessfulRequestLatency", *op), latency_ms, "Milliseconds", moment)
            if operation in RETURNS_ITEMS and usage is not None and usage.returned is not None:
                add(series("ReturnedItemCount", *op), float(usage.returned), "Count", moment)
            continue
        if error in THROTTLED:
            add(series("ThrottledRequests", *op), 1.0, "Count", moment)
            kind = "Write" if operation in WRITES else "Read"
            on_table = ("TableName", table)
            add(series(f"{kind}ThrottleEvents", on_table), 1.0, "Count", moment)
            cause = f"{kind}ProvisionedThroughputThrottleEvents"
            add(series(cause, on_table), 1.0, "Count", moment)
        elif error == "ConditionalCheckFailedException":
            add(
                series("ConditionalCheckFailedRequests", ("TableName", table)), 1.0, "Count", moment
            )
        elif error in ("InternalServerError", "ServiceUnavailable"):
            add(series("SystemErrors", *op), 1.0, "Count", moment)
        elif error == "TransactionConflictException":
            add(series("TransactionConflict", ("TableName", table)), 1.0, "Count", moment)
    if error is not None and error not in NOT_USER_ERRORS and _user_error(error):
        add(series("UserErrors"), 1.0, "Count", moment)
    for table in failed_tables or ():
        add(series("TransactionConflict", ("TableName", table)), 1.0, "Count", moment)


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


def table_name(given: str) -> str:
    """The name of a table a request named by name or by ARN (`arn:...:table/<name>`)."""
    if given.startswith("arn:"):
        _, _, rest = given.partition(":table/")
        return rest.split("/", 1)[0] or given
    return given
