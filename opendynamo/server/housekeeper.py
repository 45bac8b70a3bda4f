"""The housekeeper loop each worker process runs: take or renew the store's lease, and while
holding it run background jobs (engine/jobs) one short step at a time, between requests."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import Executor

from opendynamo.engine import backups, directory, jobs, streams, ttl
from opendynamo.engine.buckets import Buckets
from opendynamo.storage.base import Store

# Seconds between looks for work; when set in the environment, also the pause between steps
# of work (a test hook that slows a backfill down enough to watch or interrupt it).
_SETTING = os.environ.get("OPENDYNAMO_HOUSEKEEPER_INTERVAL")
INTERVAL = float(_SETTING) if _SETTING else 0.2
STEP_PAUSE = float(_SETTING) if _SETTING else 0.0
# Expired session credentials are answered ExpiredTokenException for a day, then forgotten.
SESSION_GRACE = 86400.0
PURGE_EVERY = 60.0
# How often the change log's holds are looked after: point-in-time recovery's snapshots
# (engine/backups) and the streams' 24 hours (engine/streams).
RECOVERY_EVERY = float(os.environ.get("OPENDYNAMO_PITR_MAINTAIN_EVERY", 60))
log = logging.getLogger("opendynamo.housekeeper")


async def run(
    store: Store,
    interval: float = INTERVAL,
    executor: Executor | None = None,
    buckets: Buckets | None = None,
    ttl_interval: float = 60.0,
) -> None:
    """Until cancelled: every `interval`, if this process holds the lease, work through
    pending jobs (yielding to requests between steps), and every `ttl_interval` delete the
    items whose Time to Live has passed. With an `executor` (a store that waits
    on the network), each step runs on one of its threads instead of the event loop."""
    # The lease names its holder: process id, then random bytes (a pid alone may repeat
    # across the machines of a fleet).
    owner = os.getpid().to_bytes(4, "big") + os.urandom(12)
    purged = maintained = swept = 0.0
    loop = asyncio.get_running_loop()

    def tick() -> float:
        nonlocal purged, maintained, swept
        # Renewing the lease before every step keeps it while a long job runs.
        if jobs.acquire_lease(store, owner):
            if jobs.step(store, buckets=buckets):
                return STEP_PAUSE
            if time.time() - swept >= ttl_interval:
                swept = time.time()
                ttl.sweep(store, store.now())
            if time.time() - maintained > RECOVERY_EVERY:
                maintained = time.time()
                backups.maintain(store, store.now())
                streams.maintain(store, backups.clock_us(store))
            if time.time() - purged > PURGE_EVERY:
                purged = time.time()
                with store.write() as txn:
                    directory.purge_expired_sessions(txn, purged - SESSION_GRACE)
        return interval

    while True:
        pause = interval
        try:
            pause = tick() if executor is None else await loop.run_in_executor(executor, tick)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed step is retried on the next tick; never kill the loop
            log.exception("housekeeping step failed")
        await asyncio.sleep(pause)
