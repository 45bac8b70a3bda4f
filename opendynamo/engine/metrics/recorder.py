"""The metrics a worker process records as it serves, aggregated in memory per series and
minute, and flushed into the store by the process's housekeeper thread (every
`tuning.metrics_flush_interval` seconds, and at shutdown).

Recording is on every request's path, so it is a dictionary lookup and a few additions under
a lock (requests of a PostgreSQL-backed worker run on several threads). The flush swaps the
pending aggregates out under the lock and writes them outside it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from opendynamo.engine.metrics import contributors
from opendynamo.engine.metrics import series as stored
from opendynamo.engine.metrics.aggregate import Aggregate
from opendynamo.engine.metrics.contributors import Contributors
from opendynamo.engine.metrics.series import Series, SeriesKey
from opendynamo.storage.base import Store

# A series' catalog row is rewritten when its last-seen time is older than this (ListMetrics'
# RecentlyActive looks three hours back, so minutes do not matter).
SEEN_REFRESH = 300.0


class Recorder:
    """One process's pending metric samples. `writer` names the process in stored rows.

    A sample is only appended to its series' list for the minute; the flush summarises the
    lists (sum, count, extremes, sketch) on the housekeeper thread, off the request path."""

    def __init__(self, writer: bytes | None = None) -> None:
        self.writer = writer or os.urandom(16)
        self._lock = threading.Lock()
        self._samples: dict[tuple[SeriesKey, int], list[float]] = {}
        self._summaries: dict[tuple[SeriesKey, int], Aggregate] = {}
        self._units: dict[SeriesKey, str] = {}
        self._seen: dict[SeriesKey, float] = {}  # when each series' catalog row was written
        # Called first by each flush: sources of samples queued elsewhere (answered requests).
        self.drains: list[Callable[[], object]] = []
        # Contributor Insights' keys, flushed with the metrics (engine/metrics/contributors).
        self.contributors = Contributors()

    def add(self, key: SeriesKey, value: float, unit: str, moment: float) -> None:
        """One sample of `key`, at `moment` (epoch seconds)."""
        slot = (key, int(moment) // 60 * 60)
        with self._lock:
            samples = self._samples.get(slot)
            if samples is None:
                self._samples[slot] = [value]
                if key not in self._units:
                    self._units[key] = unit
            else:
                samples.append(value)

    def extend(self, key: SeriesKey, values: list[float], unit: str, moment: float) -> None:
        """Samples of `key` at `moment`."""
        slot = (key, int(moment) // 60 * 60)
        with self._lock:
            samples = self._samples.get(slot)
            if samples is None:
                self._samples[slot] = list(values)
                if key not in self._units:
                    self._units[key] = unit
            else:
                samples.extend(values)

    def add_aggregate(self, key: SeriesKey, aggregate: Aggregate, unit: str, moment: float) -> None:
        """Samples already summarised (PutMetricData's StatisticValues, Values and Counts)."""
        slot = (key, int(moment) // 60 * 60)
        with self._lock:
            have = self._summaries.get(slot)
            if have is None:
                self._summaries[slot] = aggregate
            else:
                have.merge(aggregate)
            self._units[key] = unit

    @property
    def pending(self) -> bool:
        return bool(self._samples or self._summaries or self.drains) or self.contributors.pending

    def flush(self, store: Store, now: float | None = None) -> int:
        """Write what was recorded since the last flush; how many periods (of a series or of
        a Contributor Insights rule) were written."""
        for drain in self.drains:
            drain()
        with self._lock:
            samples, self._samples = self._samples, {}
            pending, self._summaries = self._summaries, {}
            units = dict(self._units)
        keys = self.contributors.take()
        if not samples and not pending and not keys:
            return 0
        for slot, values in samples.items():
            aggregate = pending.get(slot)
            if aggregate is None:
                aggregate = pending[slot] = Aggregate()
            aggregate.add_many(values)
        now = time.time() if now is None else now
        touched: dict[SeriesKey, Aggregate] = {}
        latest: dict[SeriesKey, float] = {}
        for (key, minute), aggregate in pending.items():
            total = touched.get(key)
            if total is None:
                total = touched[key] = Aggregate()
            total.merge(aggregate)
            latest[key] = max(latest.get(key, 0.0), float(minute))
        with store.write() as txn:
            for (key, minute), aggregate in sorted(pending.items(), key=_order):
                stored.write_period(txn, key.id, 0, minute, self.writer, aggregate)
            for key, total in touched.items():
                stored.add_totals(txn, key.id, self.writer, total, now)
                if latest[key] - self._seen.get(key, float("-inf")) < SEEN_REFRESH:
                    continue
                have = stored.read_series(txn, key)
                last = max(min(latest[key], now), have.last if have is not None else 0.0)
                stored.write_series(txn, Series(key, units.get(key, "None"), last))
                self._seen[key] = last
            contributors.write(txn, keys, self.writer)
        return len(pending) + len(keys)


def _order(entry: tuple[tuple[SeriesKey, int], Aggregate]) -> tuple[bytes, int]:
    """Rows are written in key order (PostgreSQL locks them in that order)."""
    (key, minute), _ = entry
    return key.id, minute
