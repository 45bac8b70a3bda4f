"""server/prometheus on a real SQLite store: what two writers flushed adds up in one scrape; the
latency sketch becomes cumulative Prometheus buckets; backfills, exports, imports and the
lease show as gauges; who may read; the README's table is the declarations'."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from opendynamo.engine import catalog, jobs
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.engine.exports import Export
from opendynamo.engine.imports import Import
from opendynamo.engine.metrics import dynamodb as metered
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.server import prometheus
from opendynamo.server.prometheus import Exporter
from opendynamo.storage.base import Store
from opendynamo.storage.sqlite import open_store

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "000000000000", "us-east-1"
T0 = 1_800_000_000.0


@pytest.fixture
def store() -> Iterator[Store]:
    handle = open_store(None)
    yield handle
    handle.close()


def samples_of(store: Store, client: str = "127.0.0.1") -> list[Sample]:
    reply = Exporter(lambda: store, "public").answer(client, "", "id")
    assert reply.status == 200
    families = text_string_to_metric_families(reply.body.decode())
    return [sample for family in families for sample in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float | None:
    found = [
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def request(
    recorder: Recorder, operation: str, latency_ms: float, error: str | None = None
) -> None:
    usage = metered.Usage()
    usage.consumed("books", None, operation == "PutItem", 1.0)
    requests = metered.Requests()  # as the server notes a request, and its flush drains it
    requests.note(ACCOUNT, REGION, operation, "books", error, latency_ms, usage, T0)
    requests.drain(recorder)


def test_the_writers_add_up_and_latency_becomes_cumulative_buckets(store: Store) -> None:
    first, second = Recorder(), Recorder()
    for latency in (0.05, 0.3, 0.3):
        request(first, "GetItem", latency)
    request(second, "GetItem", 2.0)
    request(second, "GetItem", 20_000.0)  # beyond the last bucket: only in +Inf
    request(second, "PutItem", 1.0, "ConditionalCheckFailedException")
    first.flush(store, T0)
    second.flush(store, T0)
    samples = samples_of(store)
    get = {"table": "books", "operation": "GetItem", "account": ACCOUNT, "region": REGION}
    assert value(samples, "opendynamo_requests_total", **get) == 5
    assert value(samples, "opendynamo_consumed_read_capacity_units_total", table="books") == 5
    assert value(samples, "opendynamo_consumed_write_capacity_units_total", table="books") == 1
    assert value(samples, "opendynamo_conditional_check_failed_requests_total") == 1
    buckets = {
        s.labels["le"]: s.value
        for s in samples
        if s.name == "opendynamo_request_latency_seconds_bucket" and s.labels["table"] == "books"
    }
    assert buckets["0.0001"] == 1 and buckets["0.00025"] == 1
    assert buckets["0.0005"] == 3 and buckets["0.001"] == 3
    assert buckets["0.0025"] == 4 and buckets["10.0"] == 4 and buckets["+Inf"] == 5
    assert value(samples, "opendynamo_request_latency_seconds_count", **get) == 5
    total = value(samples, "opendynamo_request_latency_seconds_sum", **get)
    assert total == pytest.approx((0.05 + 0.3 + 0.3 + 2.0 + 20_000.0) / 1000)


def test_custom_namespaces_are_not_exported(store: Store) -> None:
    recorder = Recorder()
    key = metered.SeriesKey(ACCOUNT, REGION, "App", "SuccessfulRequestLatency", ())
    recorder.add(key, 5.0, "Milliseconds", T0)
    recorder.flush(store, T0)
    assert value(samples_of(store), "opendynamo_requests_total") is None


def test_backfills_exports_imports_and_the_lease_are_gauges(store: Store) -> None:
    index = IndexMeta("byAuthor", 1, True, ("author",), (), "ALL", backfilling=True,
                      backfill_cursor="c000ab")  # fmt: skip
    table = TableMeta("books", "0" * 32, ACCOUNT, REGION, T0, "ACTIVE", "pk", "S", None, None,
                      [], billing_mode="PAY_PER_REQUEST", indexes=(index,))  # fmt: skip
    running = Export("1-a", ACCOUNT, REGION, "books", "0" * 32, ["pk"], {}, T0, T0, item_count=12)
    done = replace(running, id="2-b", status="COMPLETED")
    reading = Import("3-c", ACCOUNT, REGION, "books", "0" * 32, {}, T0, objects=["a", "b"])
    reading = replace(reading, next=1, processed=40)
    failed = replace(reading, id="4-d", status="FAILED")
    with store.write() as txn:
        catalog.put_table(txn, table)
        for job in (running, done, reading, failed):
            txn.put(job.key, job.encode())
    jobs.acquire_lease(store, (4321).to_bytes(4, "big") + bytes(12))
    samples = samples_of(store)
    assert value(samples, "opendynamo_index_backfill_progress_ratio", index="byAuthor") == 0.75
    assert value(samples, "opendynamo_exports", status="IN_PROGRESS") == 1
    assert value(samples, "opendynamo_exports", status="COMPLETED") == 1
    assert value(samples, "opendynamo_exports", status="FAILED") == 0
    assert value(samples, "opendynamo_export_items", export="1-a", table="books") == 12
    assert value(samples, "opendynamo_export_items", export="2-b") is None  # not under way
    assert value(samples, "opendynamo_imports", status="IN_PROGRESS") == 1
    assert value(samples, "opendynamo_imports", status="FAILED") == 1
    assert value(samples, "opendynamo_import_processed_items", **{"import": "3-c"}) == 40
    assert value(samples, "opendynamo_import_progress_ratio", **{"import": "3-c"}) == 0.5
    assert value(samples, "opendynamo_housekeeper_lease_holder", pid="4321") == 1
    with store.write() as txn:  # a holder that stopped renewing it an hour ago
        txn.delete(jobs.LEASE_KEY)
    jobs.acquire_lease(store, (99).to_bytes(4, "big") + bytes(12), now=time.time() - 3600)
    assert value(samples_of(store), "opendynamo_housekeeper_lease_holder", pid="99") == 0


@pytest.mark.parametrize(
    ("access", "client", "status"),
    [
        ("public", "192.0.2.7", 200),
        ("loopback", "127.0.0.1", 200),
        ("loopback", "::1", 200),
        ("loopback", "192.0.2.7", 403),
        ("off", "127.0.0.1", 404),
    ],
)
def test_who_may_read(store: Store, access: str, client: str, status: int) -> None:
    assert Exporter(lambda: store, access).answer(client, "", "id").status == status


def test_the_readme_table_is_the_declarations() -> None:
    """`python -m opendynamo.server.prometheus README.md` refreshes it."""
    readme = (ROOT / "README.md").read_text()
    assert prometheus.section(readme) == prometheus.markdown()
