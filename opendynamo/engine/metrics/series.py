"""Metric series and their stored datapoints: the rows `Recorder.flush` writes and the
CloudWatch API reads.

A series is (account, region, namespace, metric name, dimensions). Its catalog row
(METRIC_SERIES) sorts by namespace and name, for ListMetrics; its datapoints (METRIC_DATA)
are keyed by a hash of the series, then resolution and period start, then the writer (one
per worker process): each writer owns its rows and rewrites them alone, so workers and
fleet servers never contend, and a reader adds up the writers of a period.

Resolutions follow CloudWatch's retention: one-minute periods for 15 days, five-minute ones
for 63 days, one-hour ones for 455 days (`tuning.metric_retention_days` changes the first);
`rollup` coarsens what has aged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import orjson

from opendynamo.engine.metrics.aggregate import Aggregate, gather
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

Dimensions = tuple[tuple[str, str], ...]  # sorted by name


class SeriesKey(NamedTuple):
    """(A named tuple: the request path makes and hashes these, so they must be cheap.)"""

    account: str
    region: str
    namespace: str
    name: str
    dimensions: Dimensions

    @property
    def id(self) -> bytes:
        return series_id(self)

    @property
    def catalog_key(self) -> bytes:
        dims = orjson.dumps(self.dimensions)
        return layout.metric_series_key(self.account, self.region, self.namespace, self.name, dims)


def series_id(key: SeriesKey) -> bytes:
    identity = orjson.dumps([key.account, key.region, key.namespace, key.name, key.dimensions])
    return hashlib.blake2b(identity, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Series:
    """A series as its catalog row tells it: its key, unit, and when it last had data."""

    key: SeriesKey
    unit: str
    last: float


# The writer that retired writers' totals are folded into, and after how long idle.
RETIRED = bytes(16)
RETIRE_AFTER = 3600.0
# (resolution code, period seconds)
RESOLUTIONS = ((0, 60), (1, 300), (2, 3600))
KEEP_DAYS = (15, 63, 455)


def write_series(txn: WriteTxn, series: Series) -> None:
    value = {"unit": series.unit, "last": series.last}
    txn.put(series.key.catalog_key, orjson.dumps(value))


def every_series(
    txn: ReadTxn, account: str, region: str, namespace: str | None = None
) -> Iterator[Series]:
    """The series of (account, region), in namespace then name order; of one namespace when
    given."""
    prefix = layout.metric_namespace_prefix(account, region)
    if namespace is not None:
        prefix += namespace.encode() + b"\x00"
    at = len(layout.metric_namespace_prefix(account, region))
    for key, raw in txn.range(prefix, prefix_end(prefix)):
        namespace_bytes, name_bytes, dims = key[at:].split(b"\x00", 2)
        value = orjson.loads(raw)
        dimensions = tuple((str(k), str(v)) for k, v in orjson.loads(dims))
        series_key = SeriesKey(
            account, region, namespace_bytes.decode(), name_bytes.decode(), dimensions
        )
        yield Series(series_key, value["unit"], value["last"])


def accounts(txn: ReadTxn) -> set[tuple[str, str]]:
    """Every (account, region) that has metric series."""
    seen: set[tuple[str, str]] = set()
    start: bytes | None = layout.METRIC_SERIES
    while start is not None:
        row = next(iter(txn.range(start, prefix_end(layout.METRIC_SERIES), limit=1)), None)
        if row is None:
            break
        account, region, _ = row[0][1:].split(b"\x00", 2)
        seen.add((account.decode(), region.decode()))
        start = prefix_end(layout.METRIC_SERIES + account + b"\x00" + region + b"\x00")
    return seen


def read_series(txn: ReadTxn, key: SeriesKey) -> Series | None:
    raw = txn.get(key.catalog_key)
    if raw is None:
        return None
    value = orjson.loads(raw)
    return Series(key, value["unit"], value["last"])


def periods(txn: ReadTxn, key: SeriesKey, start: float, end: float) -> list[tuple[int, Aggregate]]:
    """(period start, aggregate) of every stored period of the series that starts in
    [start, end), every resolution and writer added up, in time order."""
    sid = key.id
    found: dict[int, Aggregate] = {}
    first = max(0, int(start))
    for code, period in RESOLUTIONS:
        prefix = layout.metric_data_prefix(sid, code)
        low = prefix + (first - first % period).to_bytes(8, "big")
        high = prefix + max(0, int(-(-end // 1))).to_bytes(8, "big")
        for row_key, raw in txn.range(low, high):
            moment = layout.metric_data_start(row_key)
            if not start <= moment < end and not (moment < start < moment + period):
                continue
            gather(found, moment, Aggregate.decode(orjson.loads(raw)))
    return sorted(found.items())


def write_period(
    txn: WriteTxn, sid: bytes, code: int, start: int, writer: bytes, aggregate: Aggregate
) -> None:
    """Add `aggregate` to the writer's row of one period (the writer's rows are its own:
    nothing else writes them, so reading and writing back loses nothing)."""
    key = layout.metric_data_key(sid, code, start, writer)
    txn.put(key, orjson.dumps(_with_stored(txn, key, aggregate).encode()))


def add_totals(txn: WriteTxn, sid: bytes, writer: bytes, aggregate: Aggregate, now: float) -> None:
    """Add to the writer's running totals of the series (stored with when they last grew)."""
    key = layout.metric_totals_key(sid, writer)
    # (A write transaction's read locks the row: see `retire_totals`.)
    txn.put(key, orjson.dumps([*_with_stored(txn, key, aggregate).encode(), now]))


def _with_stored(txn: WriteTxn, key: bytes, aggregate: Aggregate) -> Aggregate:
    """`aggregate` added to what the row `key` holds, if anything."""
    raw = txn.get(key)
    if raw is None:
        return aggregate
    stored = Aggregate.decode(orjson.loads(raw))
    stored.merge(aggregate)
    return stored


def retire_totals(store: Store, now: float, idle: float = RETIRE_AFTER) -> int:
    """Fold the running totals of writers idle for `idle` seconds (processes that stopped,
    mostly: each start is a new writer) into one row per series, so that the rows a series
    has stay few however often servers restart. A writer still alive that grows its totals
    later starts a row afresh: its row's read locks it, so nothing is counted twice. How
    many rows were folded."""
    with store.read() as txn:
        idle_rows = [
            key
            for key, raw in txn.range(layout.METRIC_TOTALS, prefix_end(layout.METRIC_TOTALS))
            if key[-16:] != RETIRED and _updated(raw) < now - idle
        ]
    by_series: dict[bytes, list[bytes]] = {}
    for key in idle_rows:
        by_series.setdefault(key[1:17], []).append(key)
    folded = 0
    for sid, keys in by_series.items():
        with store.write() as txn:
            total = Aggregate()
            for key in keys:
                raw = txn.get(key)
                if raw is not None and _updated(raw) < now - idle:
                    total.merge(Aggregate.decode(orjson.loads(raw)))
                    txn.delete(key)
                    folded += 1
            if total.count:
                add_totals(txn, sid, RETIRED, total, now)
    return folded


def _updated(raw: bytes) -> float:
    data = orjson.loads(raw)
    return float(data[5]) if len(data) > 5 else 0.0


def totals(txn: ReadTxn, key: SeriesKey) -> Aggregate:
    """Everything ever recorded for the series (by every writer): for /metrics' counters."""
    prefix = layout.METRIC_TOTALS + key.id
    out = Aggregate()
    for _, raw in txn.range(prefix, prefix_end(prefix)):
        out.merge(Aggregate.decode(orjson.loads(raw)))
    return out


def rollup(store: Store, now: float, keep_days: tuple[int, ...] = KEEP_DAYS) -> int:
    """Coarsen aged datapoints: one-minute periods older than the first retention into
    five-minute ones, those older than the second into hours; drop hours older than the
    third. Each series in a transaction of its own. How many rows were rewritten or dropped."""
    changed = 0
    with store.read() as txn:
        ids = sorted({series.key.id for ns in accounts(txn) for series in every_series(txn, *ns)})
    for sid in ids:
        with store.write() as txn:
            changed += _rollup_series(txn, sid, now, keep_days)
    return changed


def _rollup_series(txn: WriteTxn, sid: bytes, now: float, keep_days: tuple[int, ...]) -> int:
    changed = 0
    for (code, _), (_, coarser), days in zip(
        RESOLUTIONS, (*RESOLUTIONS[1:], (None, 0)), keep_days, strict=True
    ):
        cutoff = int(now - days * 86400)
        prefix = layout.metric_data_prefix(sid, code)
        aged = list(txn.range(prefix, prefix + max(0, cutoff).to_bytes(8, "big")))
        if not aged:
            continue
        moved: dict[int, Aggregate] = {}  # coarser periods hold every writer's sum in one row
        for row_key, raw in aged:
            start = layout.metric_data_start(row_key)
            if coarser:
                gather(moved, start - start % coarser, Aggregate.decode(orjson.loads(raw)))
            txn.delete(row_key)
            changed += 1
        for start, aggregate in moved.items():
            write_period(txn, sid, code + 1, start, RETIRED, aggregate)
    return changed
