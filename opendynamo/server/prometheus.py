"""`GET /metrics`: the server's figures in Prometheus' text format (OpenMetrics' when the
scraper's Accept asks for it), rendered by prometheus-client from collectors of our own.

DynamoDB's CloudWatch metrics, the tables' provisioned capacity, background jobs and the
housekeeper lease come from the store (engine/metrics/scrape: one read transaction), so a
scrape of any worker, or of any server of a fleet, reports the whole server. Process figures
(memory, CPU, open connections, event-loop lag) are the answering worker's, labelled with
its pid. PutMetricData's custom namespaces are not exported: they are the CloudWatch API's.

Every exported name is declared once (`EXPORTED`); the README's table is generated from it.
"""

from __future__ import annotations

import asyncio
import bisect
import ipaddress
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from opendynamo import generated
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.exports import Export
from opendynamo.engine.imports import Import
from opendynamo.engine.metrics import gauges, scrape, sketch
from opendynamo.engine.metrics.aggregate import Aggregate
from opendynamo.engine.metrics.series import SeriesKey
from opendynamo.server.http import Reply
from opendynamo.storage.base import Store

if TYPE_CHECKING:  # prometheus-client is imported at the first scrape: a server never scraped
    # (a test suite's) starts without it
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )

# Who may read /metrics: anyone who reaches the port, clients on the server's own machine, or
# nobody (`--prometheus`; by default public with --auth off, loopback otherwise).
ACCESS = ("public", "loopback", "off")
LAG_INTERVAL = 0.5  # seconds between the event loop's lag measurements
# Latency buckets, in seconds: from a tenth of a millisecond (an embedded read) to ten seconds.
LATENCY_BUCKETS = (
    *(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
    *(0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
NAMESPACE_LABELS = ("account", "region")
# CloudWatch's dimensions as labels.
DIMENSION = {"table": "TableName", "operation": "Operation", "index": "GlobalSecondaryIndexName"}
DIMENSION["stream"] = "StreamLabel"


@dataclass(frozen=True, slots=True)
class Exported:
    """One exported metric: its name (a counter's without `_total`), type, labels (after
    account and region for the store's), and the AWS/DynamoDB metric it mirrors, if any."""

    name: str
    kind: str  # counter, gauge or histogram
    labels: tuple[str, ...]
    documentation: str
    cloudwatch: str = ""  # its CloudWatch twin, "" when it has none
    samples: bool = False  # a counter of the twin's samples (SampleCount), not of their Sum

    @property
    def label_names(self) -> list[str]:
        return [*NAMESPACE_LABELS, *self.labels] if self.cloudwatch else list(self.labels)

    def counter(self) -> CounterMetricFamily:
        from prometheus_client.metrics_core import CounterMetricFamily

        return CounterMetricFamily(self.name, self.documentation, labels=self.label_names)

    def gauge(self) -> GaugeMetricFamily:
        from prometheus_client.metrics_core import GaugeMetricFamily

        return GaugeMetricFamily(self.name, self.documentation, labels=self.label_names)

    def histogram(self) -> HistogramMetricFamily:
        from prometheus_client.metrics_core import HistogramMetricFamily

        return HistogramMetricFamily(self.name, self.documentation, labels=self.label_names)


def _counter(name: str, twin: str, labels: tuple[str, ...], doc: str) -> Exported:
    return Exported(f"opendynamo_{name}", "counter", labels, doc, twin)


TABLE, OPERATION, INDEX = ("table",), ("table", "operation"), ("table", "index")
COUNTERS = (
    Exported(
        "opendynamo_requests",
        "counter",
        OPERATION,
        "Requests answered successfully",
        "SuccessfulRequestLatency",
        samples=True,
    ),
    _counter("consumed_read_capacity_units", "ConsumedReadCapacityUnits", INDEX, "Read units"),
    _counter("consumed_write_capacity_units", "ConsumedWriteCapacityUnits", INDEX, "Write units"),
    _counter("throttled_requests", "ThrottledRequests", OPERATION, "Requests throttled"),
    _counter("read_throttle_events", "ReadThrottleEvents", TABLE, "Reads throttled"),
    _counter("write_throttle_events", "WriteThrottleEvents", TABLE, "Writes throttled"),
    _counter("user_errors", "UserErrors", (), "Requests answered a client error (HTTP 400)"),
    _counter("system_errors", "SystemErrors", OPERATION, "Requests answered a server error"),
    _counter(
        "conditional_check_failed_requests",
        "ConditionalCheckFailedRequests",
        TABLE,
        "Writes whose condition failed",
    ),
    _counter("transaction_conflicts", "TransactionConflict", TABLE, "Conflicting transactions"),
    _counter("returned_items", "ReturnedItemCount", OPERATION, "Items returned by reads"),
    _counter("ttl_deleted_items", "TimeToLiveDeletedItemCount", TABLE, "Items TTL deleted"),
    _counter(
        "stream_returned_records",
        "ReturnedRecordsCount",
        ("table", "stream"),
        "Stream records GetRecords returned",
    ),
    _counter(
        "stream_returned_bytes", "ReturnedBytes", ("table", "stream"), "Bytes GetRecords returned"
    ),
)
LATENCY = Exported(
    "opendynamo_request_latency_seconds",
    "histogram",
    OPERATION,
    "Latency of successful requests",
    "SuccessfulRequestLatency",
)
TABLES = Exported("opendynamo_tables", "gauge", (), "Tables", "TableCount")
PROVISIONED_READ = Exported(
    "opendynamo_provisioned_read_capacity_units",
    "gauge",
    INDEX,
    "Provisioned read capacity",
    "ProvisionedReadCapacityUnits",
)
PROVISIONED_WRITE = Exported(
    "opendynamo_provisioned_write_capacity_units",
    "gauge",
    INDEX,
    "Provisioned write capacity",
    "ProvisionedWriteCapacityUnits",
)
BACKFILL = Exported(
    "opendynamo_index_backfill_progress_ratio",
    "gauge",
    INDEX,
    "How far a new index's backfill has come (0 to 1)",
    "OnlineIndexPercentageProgress",
)
_JOB = ("account", "region")
EXPORTS = Exported("opendynamo_exports", "gauge", (*_JOB, "status"), "Exports by status")
EXPORT_ITEMS = Exported(
    "opendynamo_export_items",
    "gauge",
    (*_JOB, "table", "export"),
    "Items written so far by exports in progress",
)
IMPORTS = Exported("opendynamo_imports", "gauge", (*_JOB, "status"), "Imports by status")
IMPORT_ITEMS = Exported(
    "opendynamo_import_processed_items",
    "gauge",
    (*_JOB, "table", "import"),
    "Items read so far by imports in progress",
)
IMPORT_PROGRESS = Exported(
    "opendynamo_import_progress_ratio",
    "gauge",
    (*_JOB, "table", "import"),
    "Share of its source objects an import in progress has read (0 to 1)",
)
LEASE = Exported(
    "opendynamo_housekeeper_lease_holder",
    "gauge",
    ("owner", "pid"),
    "The process that holds the housekeeper lease (1; 0 once it has expired)",
)
CONNECTIONS = Exported(
    "opendynamo_open_connections", "gauge", ("pid",), "Open client connections of this worker"
)
LAG = Exported(
    "opendynamo_event_loop_lag_seconds",
    "gauge",
    ("pid",),
    "How late this worker's event loop last ran a timer",
)
EXPORTED = (
    *(*COUNTERS, LATENCY, TABLES, PROVISIONED_READ, PROVISIONED_WRITE, BACKFILL),
    *(EXPORTS, EXPORT_ITEMS, IMPORTS, IMPORT_ITEMS, IMPORT_PROGRESS, LEASE, CONNECTIONS, LAG),
)
READ = frozenset(exported.cloudwatch for exported in (*COUNTERS, LATENCY))
STATUSES = ("IN_PROGRESS", "COMPLETED", "FAILED")


class Exporter:
    """A worker's /metrics: who may read it, and the registry it renders. The worker sets
    `connections` (how many are open) and runs `watch_loop` on its event loop."""

    def __init__(self, store: Callable[[], Store], access: str) -> None:
        self.access = access
        self.connections: Callable[[], int] | None = None
        self.lag = 0.0
        self._store = store
        self._registry: CollectorRegistry | None = None

    @property
    def registry(self) -> CollectorRegistry:
        """The collectors, made at the first scrape."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry, ProcessCollector

            registry = CollectorRegistry()
            ProcessCollector(registry=registry)
            registry.register(_StoreCollector(self._store))
            registry.register(_WorkerCollector(self))
            self._registry = registry
        return self._registry

    def answer(self, client: str | None, accept: str, request_id: str) -> Reply:
        if self.access == "off":
            return Reply(404, b"text/plain", b"Not Found", request_id)
        if self.access == "loopback" and not _loopback(client):
            return Reply(403, b"text/plain", FORBIDDEN, request_id)
        from prometheus_client.exposition import choose_encoder

        encode, content_type = choose_encoder(accept)
        return Reply(200, content_type.encode(), encode(self.registry), request_id)

    async def watch_loop(self, interval: float = LAG_INTERVAL) -> None:
        """Until cancelled: how much later than asked a timer fires (a request or anything
        else holding the loop delays it)."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(interval)
            self.lag = max(0.0, loop.time() - started - interval)


FORBIDDEN = b"/metrics answers clients on this machine only (serve --prometheus public: anyone)\n"


def _loopback(client: str | None) -> bool:
    if client is None:  # a Unix socket (under another ASGI server)
        return True
    try:
        return ipaddress.ip_address(client).is_loopback
    except ValueError:
        return False


class _StoreCollector:
    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        found = scrape.read(self._store(), READ)
        yield from _counters(found.totals)
        yield _latency(found.totals)
        yield from _tables(found.tables)
        yield from _jobs(found)
        lease = LEASE.gauge()
        if found.lease is not None:
            owner, expiry = found.lease
            pid = str(int.from_bytes(owner[:4], "big"))
            lease.add_metric([owner.hex(), pid], 1.0 if expiry > found.now else 0.0)
        yield lease


class _WorkerCollector:
    def __init__(self, exporter: Exporter) -> None:
        self._exporter = exporter

    def collect(self) -> Iterator[Metric]:
        pid = [str(os.getpid())]
        if self._exporter.connections is not None:
            connections = CONNECTIONS.gauge()
            connections.add_metric(pid, float(self._exporter.connections()))
            yield connections
        lag = LAG.gauge()
        lag.add_metric(pid, self._exporter.lag)
        yield lag


def _labels(key: SeriesKey, exported: Exported) -> list[str]:
    dimensions = dict(key.dimensions)
    named = [dimensions.get(DIMENSION[label], "") for label in exported.labels]
    return [key.account, key.region, *named]


def _counters(totals: list[tuple[SeriesKey, Aggregate]]) -> Iterator[Metric]:
    families = {exported.cloudwatch: (exported, exported.counter()) for exported in COUNTERS}
    for key, aggregate in totals:
        entry = families.get(key.name)
        if entry is not None:
            exported, family = entry
            value = aggregate.count if exported.samples else aggregate.sum
            family.add_metric(_labels(key, exported), value)
    for _, family in families.values():
        yield family


def _latency(totals: list[tuple[SeriesKey, Aggregate]]) -> Metric:
    """SuccessfulRequestLatency's sketch as a histogram: each bin's samples counted in the
    first bucket whose bound is at least the bin's value (within 1% of the samples' own)."""
    family = LATENCY.histogram()
    bounds = [repr(bound) for bound in LATENCY_BUCKETS] + ["+Inf"]
    for key, aggregate in totals:
        if key.name != LATENCY.cloudwatch:
            continue
        counts = [0] * len(bounds)
        for bin_key, count in aggregate.bins.items():
            value = min(max(sketch.value_of(bin_key), aggregate.low), aggregate.high)
            counts[bisect.bisect_left(LATENCY_BUCKETS, value / 1000)] += count
        buckets = list(zip(bounds, itertools.accumulate(counts), strict=True))
        family.add_metric(_labels(key, LATENCY), buckets, aggregate.sum / 1000)
    return family


def _tables(tables: list[TableMeta]) -> Iterator[Metric]:
    """The catalog as it is now: tables per namespace, provisioned capacity, backfills."""
    count = TABLES.gauge()
    reads, writes, backfill = (
        PROVISIONED_READ.gauge(),
        PROVISIONED_WRITE.gauge(),
        BACKFILL.gauge(),
    )
    per_namespace = Counter((meta.account, meta.region) for meta in tables)
    for (account, region), number in sorted(per_namespace.items()):
        count.add_metric([account, region], float(number))
    for meta in tables:
        where = [meta.account, meta.region, meta.name]
        provisioned = meta.billing_mode == "PROVISIONED"
        if provisioned:
            reads.add_metric([*where, ""], float(meta.read_capacity))
            writes.add_metric([*where, ""], float(meta.write_capacity))
        for index in meta.global_indexes:
            if provisioned:
                reads.add_metric([*where, index.name], float(index.read_capacity))
                writes.add_metric([*where, index.name], float(index.write_capacity))
            if index.backfilling:
                progress = gauges.backfill_progress(index.backfill_cursor) / 100
                backfill.add_metric([*where, index.name], progress)
    yield from (count, reads, writes, backfill)


def _jobs(found: scrape.Scrape) -> Iterator[Metric]:
    """Exports and imports: how many in each status per namespace, and the progress of each
    one under way."""
    exports, export_items = EXPORTS.gauge(), EXPORT_ITEMS.gauge()
    for (account, region), status, number in _by_status(found.exports):
        exports.add_metric([account, region, status], float(number))
    for export in found.exports:
        if export.status == "IN_PROGRESS":
            where = [export.account, export.region, export.table_name, export.id]
            export_items.add_metric(where, float(export.item_count))
    imports, import_items, progress = (
        IMPORTS.gauge(),
        IMPORT_ITEMS.gauge(),
        IMPORT_PROGRESS.gauge(),
    )
    for (account, region), status, number in _by_status(found.imports):
        imports.add_metric([account, region, status], float(number))
    for job in found.imports:
        if job.status == "IN_PROGRESS":
            where = [job.account, job.region, job.table_name, job.id]
            import_items.add_metric(where, float(job.processed))
            share = job.next / len(job.objects) if job.objects else 0.0
            progress.add_metric(where, share)
    yield from (exports, export_items, imports, import_items, progress)


def _by_status(
    jobs: list[Export] | list[Import],
) -> Iterator[tuple[tuple[str, str], str, int]]:
    """(namespace, status, how many), every status of each namespace that has jobs."""
    counted = Counter(((job.account, job.region), job.status) for job in jobs)
    for namespace in sorted({namespace for namespace, _ in counted}):
        for status in STATUSES:
            yield namespace, status, counted[(namespace, status)]


# --- the README's table ------------------------------------------------------------------

START, END = "<!-- prometheus:start -->", "<!-- prometheus:end -->"


def markdown() -> str:
    lines = [
        "| Prometheus | type | labels | CloudWatch twin (`AWS/DynamoDB`) |",
        "|---|---|---|---|",
    ]
    for exported in EXPORTED:
        name = exported.name + ("_total" if exported.kind == "counter" else "")
        label_text = ", ".join(f"`{label}`" for label in exported.label_names) or "—"
        lines.append(f"| `{name}` | {exported.kind} | {label_text} | {_twin(exported)} |")
    return "\n".join(lines) + "\n"


def _twin(exported: Exported) -> str:
    """The CloudWatch metric, the statistic that equals the Prometheus figure, dimensions."""
    if not exported.cloudwatch:
        return "—"
    statistic = {"counter": "Sum", "gauge": "latest value"}.get(exported.kind, "")
    if exported.samples:
        statistic = "SampleCount"
    elif exported is LATENCY:
        statistic = "in seconds: `_count` its SampleCount, `_sum` its Sum, buckets its pNN"
    elif exported is BACKFILL:
        statistic += " ÷ 100"
    dimensions = ", ".join(DIMENSION[label] for label in exported.labels)
    return f"`{exported.cloudwatch}` {statistic}" + (f"; {dimensions}" if dimensions else "")


def section(readme: str) -> str:
    """The generated part of the README as it stands."""
    return generated.section(readme, START, END)


def rewrite(path: Path) -> None:
    generated.rewrite(path, START, END, markdown)


if __name__ == "__main__":
    import sys

    rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
