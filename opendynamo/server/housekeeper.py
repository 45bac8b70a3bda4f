"""The housekeeper each worker process runs: take or renew the store's lease, and while
holding it run background jobs (engine/jobs) one short step at a time, sweep expired items
(TTL), session credentials and idempotency tokens, and look after the change log's holds.

It runs on a thread of its own with a store connection of its own (`Thread`), never on the
worker's event loop: a long backfill or import neither stalls requests nor waits for the
loop. Only an in-memory store, which has one connection, keeps it on the loop (`run`). A step
that fails is logged and retried; a job whose steps keep failing ends FAILED (engine/jobs).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor

from opendynamo.engine import (
    alarm_evaluation,
    alarms,
    backups,
    catalog,
    console_sessions,
    directory,
    jobs,
    replication,
    streams,
    tokens,
    ttl,
    tuning,
)
from opendynamo.engine.buckets import Buckets
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.metrics import contributors, gauges, series
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.engine.tuning import Tuning
from opendynamo.storage.base import Store

# Seconds between looks for work, unless the tuning's `housekeeper_interval` says otherwise
# (then it is also the pause between steps of work: a test hook that slows a backfill down
# enough to watch or interrupt it).
INTERVAL = 0.2
# Expired session credentials are answered ExpiredTokenException for a day, then forgotten.
SESSION_GRACE = 86400.0
PURGE_EVERY = 60.0
ROLLUP_EVERY = 3600.0  # seconds between passes that coarsen aged metric datapoints
log = logging.getLogger("opendynamo.housekeeper")


class Duties:
    """What the housekeeper does on each tick, and when it last did each periodic duty."""

    def __init__(
        self,
        store: Store,
        buckets: Buckets | None,
        ttl_interval: float,
        tuned: Tuning,
        batch: int | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.tuned = tuned
        self.buckets = buckets
        self.ttl_interval = ttl_interval
        self.interval = tuned.housekeeper_interval or INTERVAL
        self.step_pause = tuned.housekeeper_interval
        # How often the change log's holds are looked after: point-in-time recovery's
        # snapshots (engine/backups) and the streams' 24 hours (engine/streams).
        self.maintain_every = tuned.pitr_maintain_every
        self.batch = batch or tuned.backfill_batch
        # The lease names its holder: process id, then random bytes (a pid alone may repeat
        # across the machines of a fleet).
        self.owner = os.getpid().to_bytes(4, "big") + os.urandom(12)
        self.purged = self.maintained = self.swept = 0.0
        # Seconds the last tick spent sending global tables' changes: work that writes make,
        # as requests are, so it earns no rest (else replication falls behind for as long as
        # writes keep coming).
        self.replicating = 0.0
        self.flushed = self.sampled = self.rolled = self.evaluated = 0.0

    def tick(self) -> float:
        """One step of work when this process holds the lease; the pause before the next."""
        store = self.store
        recorder = self.recorder
        now = time.time()
        # Every worker writes its own metrics; the lease holder also records the gauges.
        if recorder is not None and now - self.flushed >= self.tuned.metrics_flush_interval:
            self.flushed = now
            recorder.flush(store, now)
        # Renewing the lease before every step keeps it while a long job runs.
        if not jobs.acquire_lease(store, self.owner):
            return self.interval
        # Global tables' changes go first, every tick: a long job does not hold them up.
        started = time.perf_counter()
        sending = replication.replicate(
            store, backups.clock_us(store), streams.settle_us(), observe=self._replicated
        )
        self.replicating = time.perf_counter() - started
        if jobs.step(store, self.batch, buckets=self.buckets, backfilled=self._backfilled):
            return self.step_pause
        if sending:
            return 0.0
        if now - self.swept >= self.ttl_interval:
            self.swept = now
            counted = None
            if recorder is not None:

                def counted(meta: TableMeta, count: int) -> None:
                    gauges.ttl_deleted(recorder, meta, count, now)

            ttl.sweep(store, store.now(), deleted_from=counted)
        if recorder is not None:
            self._metrics(store, recorder, now)
        if now - self.maintained > self.maintain_every:
            self.maintained = now
            backups.maintain(store, store.now())
            streams.maintain(store, backups.clock_us(store))
            replication.forget(store)
        if now - self.purged > PURGE_EVERY:
            self.purged = now
            with store.write() as txn:
                directory.purge_expired_sessions(txn, now - SESSION_GRACE)
                console_sessions.purge_expired(txn, now)
            tokens.sweep(store, now)
        return self.interval

    def _backfilled(self, meta: TableMeta, index: str, units: float) -> None:
        if self.recorder is not None:
            gauges.backfilled(self.recorder, meta, index, units, time.time())

    def _replicated(
        self, meta: TableMeta, receiving: str, latencies: list[float], pending: int
    ) -> None:
        if self.recorder is not None:
            gauges.replicated(self.recorder, meta, receiving, latencies, pending, time.time())

    def _metrics(self, store: Store, recorder: Recorder, now: float) -> None:
        """The lease holder's share of the metrics: the gauges, and coarsening aged data."""
        if now - self.sampled >= self.tuned.metrics_gauge_interval:
            self.sampled = now
            gauges.record(recorder, catalog.every_table(store), now)
        if now - self.rolled >= ROLLUP_EVERY:
            self.rolled = now
            days = self.tuned.metric_retention_days
            series.rollup(store, now, (days, *series.KEEP_DAYS[1:]))
            series.retire_totals(store, now)
            contributors.expire(store, now - days * 86400)
            with store.write() as txn:
                alarms.trim_history(txn, now)
        if now - self.evaluated >= self.tuned.alarm_interval:
            self.evaluated = now
            if recorder.pending:  # this process's own figures first, so the alarms see them
                recorder.flush(store, now)
            alarm_evaluation.evaluate_all(store, now)

    def safe_tick(self) -> float:
        """`tick`, with a failure logged (it is tried again after the pause)."""
        try:
            return self.tick()
        except Exception:  # a failed step is retried on the next tick; never end the loop
            log.exception("housekeeping step failed")
            return self.interval


class Thread(threading.Thread):
    """The housekeeper on a thread of its own. `open_store` gives it its own connection (a
    SQLite file's), closed when it stops; or None to share a thread-safe store.

    Requests share the process's one interpreter lock (and, on a small machine, the cores)
    with this thread, so while the server is `busy` answering requests it works in short
    steps (the tuning's `housekeeper_batch` items) and rests `housekeeper_rest` times as long
    as each step took; when requests are quiet it works without rest. Measured by
    bench/backfill.py."""

    def __init__(
        self,
        store: Store,
        buckets: Buckets | None,
        ttl_interval: float,
        open_store: Callable[[], Store] | None = None,
        busy: Callable[[], bool] = lambda: False,
        tuned: Tuning | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        super().__init__(name="opendynamo-housekeeper", daemon=True)
        self._recorder = recorder
        self._shared = store
        self._open_store = open_store
        self._buckets = buckets
        self._ttl_interval = ttl_interval
        self._tuned = tuned or tuning.current
        self._busy = busy
        self._stopping = threading.Event()

    def run(self) -> None:
        tuned = self._tuned
        _lower_priority(tuned.housekeeper_nice)
        store = self._shared if self._open_store is None else self._open_store()
        batch = min(tuned.backfill_batch, tuned.housekeeper_batch)
        duties = Duties(store, self._buckets, self._ttl_interval, tuned, batch, self._recorder)
        try:
            while not self._stopping.is_set():
                started = time.perf_counter()
                duties.replicating = 0.0
                pause = duties.safe_tick()
                if self._busy():
                    worked = time.perf_counter() - started - duties.replicating
                    pause = max(pause, worked * tuned.housekeeper_rest)
                self._stopping.wait(pause)
        finally:
            if self._open_store is not None:
                store.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the step under way (each is one short transaction)."""
        self._stopping.set()
        self.join(timeout)


def _lower_priority(nice: int) -> None:
    """Let requests go first: on Linux a thread has a niceness of its own (it is a task of
    its own), and the lowest (19) makes the scheduler run the event loop whenever it is
    ready."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError:
            log.debug("could not lower the housekeeper's priority")


async def run(
    store: Store,
    executor: Executor | None = None,
    buckets: Buckets | None = None,
    ttl_interval: float = 60.0,
    tuned: Tuning | None = None,
    recorder: Recorder | None = None,
) -> None:
    """The housekeeper on the event loop, for a store with one connection (in memory): until
    cancelled, a tick every interval (on an `executor` thread when one is given)."""
    duties = Duties(store, buckets, ttl_interval, tuned or tuning.current, recorder=recorder)
    loop = asyncio.get_running_loop()
    while True:
        if executor is None:
            pause = duties.safe_tick()
        else:
            pause = await loop.run_in_executor(executor, duties.safe_tick)
        await asyncio.sleep(pause)
