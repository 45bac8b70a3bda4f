"""The housekeeper loop each worker process runs: take or renew the store's lease, and while
holding it run background jobs (engine/jobs) one short step at a time, between requests."""

from __future__ import annotations

import asyncio
import logging
import os

from opendynamo.engine import jobs
from opendynamo.storage.base import Store

INTERVAL = float(os.environ.get("OPENDYNAMO_HOUSEKEEPER_INTERVAL", "0.2"))
log = logging.getLogger("opendynamo.housekeeper")


async def run(store: Store, interval: float = INTERVAL) -> None:
    """Until cancelled: every `interval`, if this process holds the lease, work through
    pending jobs (yielding to requests between steps)."""
    owner = os.urandom(16)
    while True:
        try:
            if jobs.acquire_lease(store, owner):
                while jobs.step(store):
                    await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed step is retried on the next tick; never kill the loop
            log.exception("housekeeping step failed")
        await asyncio.sleep(interval)
