"""The housekeeper loop each worker process runs: take or renew the store's lease, and while
holding it run background jobs (engine/jobs) one short step at a time, between requests."""

from __future__ import annotations

import asyncio
import logging
import os
import time

from opendynamo.engine import directory, jobs
from opendynamo.storage.base import Store

# Seconds between looks for work; when set in the environment, also the pause between steps
# of work (a test hook that slows a backfill down enough to watch or interrupt it).
_SETTING = os.environ.get("OPENDYNAMO_HOUSEKEEPER_INTERVAL")
INTERVAL = float(_SETTING) if _SETTING else 0.2
STEP_PAUSE = float(_SETTING) if _SETTING else 0.0
# Expired session credentials are answered ExpiredTokenException for a day, then forgotten.
SESSION_GRACE = 86400.0
PURGE_EVERY = 60.0
log = logging.getLogger("opendynamo.housekeeper")


async def run(store: Store, interval: float = INTERVAL) -> None:
    """Until cancelled: every `interval`, if this process holds the lease, work through
    pending jobs (yielding to requests between steps)."""
    owner = os.urandom(16)
    purged = 0.0
    while True:
        pause = interval
        try:
            # Renewing the lease before every step keeps it while a long job runs.
            if jobs.acquire_lease(store, owner):
                if jobs.step(store):
                    pause = STEP_PAUSE
                elif time.time() - purged > PURGE_EVERY:
                    purged = time.time()
                    with store.write() as txn:
                        directory.purge_expired_sessions(txn, purged - SESSION_GRACE)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed step is retried on the next tick; never kill the loop
            log.exception("housekeeping step failed")
        await asyncio.sleep(pause)
