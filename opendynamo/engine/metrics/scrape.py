"""What `/metrics` shows of the store, read in one read transaction: the running totals of
DynamoDB's metric series (every writer's added up: each worker process and fleet server keeps
its own, so whichever of them is scraped reports the whole server), and the state the gauges
describe as it is now: tables and their indexes from the catalog, export and import jobs, and
the housekeeper lease.

The read is bounded by what the server holds, not by its traffic: a range per (account,
region) over the series catalog, one small range per exported series (its writers' totals),
the catalog, at most JOB_ROWS export and import rows each, and one row for the lease.
PutMetricData's custom namespaces are never read.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from opendynamo.engine import catalog, exports, imports, jobs
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.exports import Export
from opendynamo.engine.imports import Import
from opendynamo.engine.metrics import series
from opendynamo.engine.metrics.aggregate import Aggregate
from opendynamo.engine.metrics.dynamodb import NAMESPACE
from opendynamo.engine.metrics.series import SeriesKey
from opendynamo.model import layout
from opendynamo.storage.base import Store, prefix_end

JOB_ROWS = 10_000  # export rows, and import rows, a scrape reads at most


@dataclass(frozen=True, slots=True)
class Scrape:
    totals: list[tuple[SeriesKey, Aggregate]]  # DynamoDB's series of the names asked for
    tables: list[TableMeta]
    exports: list[Export]
    imports: list[Import]
    lease: tuple[bytes, float] | None  # the housekeeper lease: holder, expiry (store clock)
    now: float  # the store's clock


def read(store: Store, names: Collection[str]) -> Scrape:
    """The totals of DynamoDB's series called `names`, in every account and region, and the
    state of tables, jobs and the lease, as one consistent view."""
    with store.read() as txn:
        keys = [
            found.key
            for account, region in sorted(series.accounts(txn))
            for found in series.every_series(txn, account, region, NAMESPACE)
            if found.key.name in names
        ]
        totals = [(key, series.totals(txn, key)) for key in keys]
        rows = txn.range(layout.CATALOG, prefix_end(layout.CATALOG))
        tables = [catalog.decode(key, raw) for key, raw in rows]
        lease = jobs.lease_holder(txn)
        found_exports = exports.every_export(txn, JOB_ROWS)
        found_imports = imports.every_import(txn, JOB_ROWS)
    now = store.now() if lease is not None else 0.0  # the lease's expiry is in its clock
    return Scrape(totals, tables, found_exports, found_imports, lease, now)
