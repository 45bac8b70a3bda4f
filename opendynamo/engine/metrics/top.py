"""The busiest tables and operations of the last minutes, as `opendynamo top` shows them: the
AWS/DynamoDB metrics the workers flushed into the store (engine/metrics/series), added up per
table and per operation over a window.

The store keeps one-minute periods, so a window reaches back to the start of the minute that
holds `now - window`: a 60-second window covers 60 to 120 seconds, and the rates divide by
what it covers. Figures lag by the workers' flush interval (`tuning.metrics_flush_interval`).

Some metrics are per operation (SuccessfulRequestLatency, ThrottledRequests, SystemErrors),
some per table only (ConsumedRead/WriteCapacityUnits, ConditionalCheckFailedRequests), and
UserErrors per account and region: a table's row carries the per-table figures and the sum of
its operations', an operation's row the per-operation ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opendynamo.engine.metrics import series as stored
from opendynamo.engine.metrics.aggregate import Aggregate
from opendynamo.engine.metrics.dynamodb import NAMESPACE
from opendynamo.engine.metrics.recorder import SEEN_REFRESH
from opendynamo.engine.metrics.series import Series
from opendynamo.storage.base import ReadTxn

LATENCY = "SuccessfulRequestLatency"
READ_UNITS = "ConsumedReadCapacityUnits"
WRITE_UNITS = "ConsumedWriteCapacityUnits"
THROTTLED = "ThrottledRequests"
SYSTEM_ERRORS = "SystemErrors"
CONDITION_FAILED = "ConditionalCheckFailedRequests"
USER_ERRORS = "UserErrors"
READ = frozenset((LATENCY, READ_UNITS, WRITE_UNITS, THROTTLED, SYSTEM_ERRORS, CONDITION_FAILED))


@dataclass(frozen=True, slots=True)
class Row:
    """One table (`operation` None) or one operation on it, over the frame's window."""

    account: str
    region: str
    table: str
    operation: str | None
    requests: int  # successful requests: SuccessfulRequestLatency's SampleCount
    requests_per_second: float
    p50_ms: float | None  # None: no successful request
    p99_ms: float | None
    throttled: int  # ThrottledRequests
    system_errors: int  # SystemErrors
    # Per table only (None on an operation's row): its own and its global indexes' units.
    read_units_per_second: float | None = None
    write_units_per_second: float | None = None
    conditional_check_failed: int | None = None  # ConditionalCheckFailedRequests


@dataclass(frozen=True, slots=True)
class UserErrors:
    account: str
    region: str
    count: int


@dataclass(frozen=True, slots=True)
class Frame:
    """What `top` shows at `now`: the window [since, now), each table's row followed by its
    operations', busiest table first and busiest operation first within it."""

    now: float
    since: float
    rows: tuple[Row, ...]
    user_errors: tuple[UserErrors, ...]

    @property
    def seconds(self) -> float:
        return self.now - self.since

    def tables(self) -> list[Row]:
        return [row for row in self.rows if row.operation is None]


@dataclass(slots=True)
class _Tally:
    """The figures of one table or operation as the series are read."""

    latency: Aggregate = field(default_factory=Aggregate)
    read_units: float = 0.0
    write_units: float = 0.0
    throttled: float = 0.0
    system_errors: float = 0.0
    conditional_check_failed: float = 0.0


Place = tuple[str, str, str]  # account, region, table


def read_frame(
    txn: ReadTxn,
    now: float,
    window: float = 60.0,
    account: str | None = None,
    region: str | None = None,
) -> Frame:
    """The frame at `now` of the last `window` seconds, of one account or region when given
    (else of all)."""
    since = int(now - window) // 60 * 60
    tables: dict[Place, _Tally] = {}
    operations: dict[Place, dict[str, _Tally]] = {}
    user_errors = []
    for owner, where in sorted(stored.accounts(txn)):
        if account not in (None, owner) or region not in (None, where):
            continue
        user_count = 0.0
        for one in _active(txn, owner, where, since):
            total = _total(txn, one, since, now)
            if total is None:
                continue
            if one.key.name == USER_ERRORS:
                user_count += total.sum
                continue
            dims = dict(one.key.dimensions)
            place = (owner, where, dims.get("TableName", ""))
            table = tables.setdefault(place, _Tally())
            name = dims.get("Operation")
            operation = None
            if name is not None:
                operation = operations.setdefault(place, {}).setdefault(name, _Tally())
            _count(one.key.name, total, table, operation)
        if user_count:
            user_errors.append(UserErrors(owner, where, round(user_count)))
    seconds = max(1.0, now - since)
    rows: list[Row] = []
    for place, table in sorted(tables.items(), key=lambda entry: _busiest(*entry)):
        rows.append(_row(place, None, table, seconds))
        ops = sorted(operations.get(place, {}).items(), key=lambda entry: _busiest(*entry))
        rows += [_row(place, name, tally, seconds) for name, tally in ops]
    return Frame(now, float(since), tuple(rows), tuple(user_errors))


def _active(txn: ReadTxn, account: str, region: str, since: float) -> list[Series]:
    """The series top reads that may have data since `since`: a series' catalog row notes
    its latest minute only every SEEN_REFRESH seconds (engine/metrics/recorder)."""
    oldest = since - SEEN_REFRESH - 60
    return [
        one
        for one in stored.every_series(txn, account, region, NAMESPACE)
        if one.key.name in READ or one.key.name == USER_ERRORS
        if one.last >= oldest
    ]


def _total(txn: ReadTxn, one: Series, since: float, now: float) -> Aggregate | None:
    # The minute that holds `now` is read whole: a worker's clock may run a little ahead.
    found = stored.periods(txn, one.key, since, now + 60)
    if not found:
        return None
    total = Aggregate()
    for _, aggregate in found:
        total.merge(aggregate)
    return total


def _count(name: str, total: Aggregate, table: _Tally, operation: _Tally | None) -> None:
    """Add one series' total to its table's tally and, when it is per operation, to the
    operation's."""
    if name == READ_UNITS:
        table.read_units += total.sum
    elif name == WRITE_UNITS:
        table.write_units += total.sum
    elif name == CONDITION_FAILED:
        table.conditional_check_failed += total.sum
    for tally in (table, operation):
        if tally is None:
            continue
        if name == LATENCY:
            tally.latency.merge(total)
        elif name == THROTTLED:
            tally.throttled += total.sum
        elif name == SYSTEM_ERRORS:
            tally.system_errors += total.sum


def _busiest(name: object, tally: _Tally) -> tuple[float, float, str]:
    """Most requests first, then most throttled and failed, then by name."""
    failed = tally.throttled + tally.system_errors + tally.conditional_check_failed
    return (-tally.latency.count, -failed, str(name))


def _row(place: Place, operation: str | None, tally: _Tally, seconds: float) -> Row:
    account, region, table = place
    latency = tally.latency
    whole = operation is None
    return Row(
        account=account,
        region=region,
        table=table,
        operation=operation,
        requests=round(latency.count),
        requests_per_second=latency.count / seconds,
        p50_ms=latency.statistic("p50"),
        p99_ms=latency.statistic("p99"),
        throttled=round(tally.throttled),
        system_errors=round(tally.system_errors),
        read_units_per_second=tally.read_units / seconds if whole else None,
        write_units_per_second=tally.write_units / seconds if whole else None,
        conditional_check_failed=round(tally.conditional_check_failed) if whole else None,
    )
