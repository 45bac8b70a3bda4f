"""GET /metrics: the server's figures in Prometheus' text format (README "Prometheus").

Pinned behaviour (opendynamo's own; each figure's CloudWatch twin is in the README's table):
- Counters are the running totals of DynamoDB's CloudWatch metrics, every worker's added up:
  a scrape of either worker of a two-worker server reports every request, whichever worker
  served it. `opendynamo_requests_total` counts the successful requests per table and
  operation (SuccessfulRequestLatency's SampleCount); consumed capacity is what the replies'
  ConsumedCapacity said; a failed condition counts once in
  `opendynamo_conditional_check_failed_requests_total`; `opendynamo_returned_items_total`
  counts what a Query returned.
- `opendynamo_request_latency_seconds` is a histogram whose buckets are cumulative and whose
  `+Inf` bucket and `_count` equal the requests counted.
- Gauges show the catalog as it is: the tables of a namespace, provisioned capacity of a
  table and of its global secondary index; exactly one process holds the housekeeper lease,
  and it is one of the server's workers.
- An `Accept` asking for OpenMetrics is answered in OpenMetrics.
- Who may read: anyone with `--auth off`; with authentication on, clients on the server's
  machine only unless `--prometheus public`; nobody with `--prometheus off` (404).

The servers flush their metrics every 0.2 s (OPENDYNAMO_METRICS_FLUSH_INTERVAL), and each
assertion on a count waits for the flush.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.conftest import Backend, Server
from tests.wire.helpers import create_table, eventually, wait_active
from tests.wire.http import send, signed_call

ENV = {"OPENDYNAMO_METRICS_FLUSH_INTERVAL": "0.2"}
OPENMETRICS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)  # what Prometheus 2.x and 3.x send


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    """Two workers, each scraped and each serving requests (every request on a connection
    of its own, so the kernel deals them out to both)."""
    data = tmp_path_factory.mktemp("prometheus")
    server = Server(data, workers=2, env=ENV, extra_args=backend()).start()
    yield server
    server.stop()


def scrape(server: Server) -> list[Sample]:
    """Every sample of one scrape, on a connection of its own."""
    reply = send(server, "GET", "/metrics")
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = reply.body.decode()
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float | None:
    """The value of the one sample called `name` whose labels include `labels`."""
    found = [
        sample.value
        for sample in samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def of_table(
    samples: list[Sample], table: str
) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    return {
        (sample.name, tuple(sorted(sample.labels.items())), sample.value)
        for sample in samples
        if sample.labels.get("table") == table
    }


def call(server: Server, operation: str, **payload: Any) -> dict[str, Any]:
    reply = signed_call(server, operation, {**payload, "ReturnConsumedCapacity": "TOTAL"})
    assert reply.status == 200, reply.body
    result: dict[str, Any] = reply.json()
    return result


def test_a_scrape_of_either_worker_counts_every_request(prom: Server) -> None:
    table = create_table(prom.client(), "prom", range_key=("sk", "S"))
    guarded = create_table(prom.client(), "guarded")  # where a condition fails
    written = read = 0.0
    for number in range(5):
        item = {"pk": {"S": "a"}, "sk": {"S": str(number)}}
        written += call(prom, "PutItem", TableName=table, Item=item)["ConsumedCapacity"][
            "CapacityUnits"
        ]
    for number in range(3):
        key = {"pk": {"S": "a"}, "sk": {"S": str(number)}}
        read += call(prom, "GetItem", TableName=table, Key=key)["ConsumedCapacity"]["CapacityUnits"]
    query = call(
        prom,
        "Query",
        TableName=table,
        KeyConditionExpression="pk = :a",
        ExpressionAttributeValues={":a": {"S": "a"}},
    )
    read += query["ConsumedCapacity"]["CapacityUnits"]
    call(prom, "PutItem", TableName=guarded, Item={"pk": {"S": "a"}})
    failed = signed_call(
        prom,
        "PutItem",
        {
            "TableName": guarded,
            "Item": {"pk": {"S": "a"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        },
    )
    assert failed.json()["__type"].endswith("ConditionalCheckFailedException")

    def settled() -> list[Sample] | None:
        samples = scrape(prom)
        figures = (
            value(samples, "opendynamo_requests_total", table=table, operation="PutItem"),
            value(samples, "opendynamo_requests_total", table=table, operation="GetItem"),
            value(samples, "opendynamo_requests_total", table=table, operation="Query"),
            value(samples, "opendynamo_conditional_check_failed_requests_total", table=guarded),
        )
        return samples if figures == (5, 3, 1, 1) else None

    samples = eventually(settled, 10, 0.1, "the scrape never counted every request")
    assert value(samples, "opendynamo_returned_items_total", table=table, operation="Query") == 5
    reads = value(samples, "opendynamo_consumed_read_capacity_units_total", table=table, index="")
    writes = value(samples, "opendynamo_consumed_write_capacity_units_total", table=table, index="")
    assert reads == read
    assert writes == written
    assert value(samples, "opendynamo_conditional_check_failed_requests_total", table=table) is None
    assert value(samples, "opendynamo_requests_total", table=table, operation="PutItem") == 5
    # Every scrape, whichever worker answers it, tells the same.
    expected = of_table(samples, table)
    pids = set()
    for _ in range(20):
        again = scrape(prom)
        assert of_table(again, table) == expected
        pids |= {s.labels["pid"] for s in again if s.name == "opendynamo_event_loop_lag_seconds"}
    assert len(pids) == 2


def test_the_latency_histogram_is_cumulative_and_counts_the_requests(prom: Server) -> None:
    table = create_table(prom.client(), "latency")
    for number in range(7):
        call(prom, "GetItem", TableName=table, Key={"pk": {"S": str(number)}})

    def settled() -> list[Sample] | None:
        samples = scrape(prom)
        count = value(samples, "opendynamo_requests_total", table=table, operation="GetItem")
        return samples if count == 7 else None

    samples = eventually(settled, 10, 0.1)
    labels = {"table": table, "operation": "GetItem"}
    buckets = sorted(
        (float(s.labels["le"]), s.value)
        for s in samples
        if s.name == "opendynamo_request_latency_seconds_bucket"
        and all(s.labels.get(k) == v for k, v in labels.items())
    )
    counts = [count for _, count in buckets]
    assert counts == sorted(counts) and buckets[-1] == (float("inf"), 7)
    assert value(samples, "opendynamo_request_latency_seconds_count", **labels) == 7
    total = value(samples, "opendynamo_request_latency_seconds_sum", **labels)
    assert total is not None and 0 < total < 7 * 10


def test_gauges_show_the_catalog_and_the_lease(prom: Server) -> None:
    client = prom.client()
    index = {
        "IndexName": "byColour",
        "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 2},
    }
    table = create_table(
        client,
        "provisioned",
        billing=None,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "colour", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[index],
        ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
    )
    wait_active(client, table)
    samples = scrape(prom)
    tables = len(client.list_tables()["TableNames"])
    assert value(samples, "opendynamo_tables", account="000000000000", region="us-east-1") == tables
    read, write = (
        "opendynamo_provisioned_read_capacity_units",
        "opendynamo_provisioned_write_capacity_units",
    )
    assert value(samples, read, table=table, index="") == 7
    assert value(samples, write, table=table, index="") == 3
    assert value(samples, read, table=table, index="byColour") == 4
    assert value(samples, write, table=table, index="byColour") == 2
    holders = [s for s in samples if s.name == "opendynamo_housekeeper_lease_holder"]
    assert [s.value for s in holders] == [1]
    pids = set()
    for _ in range(20):
        pids |= {
            s.labels["pid"] for s in scrape(prom) if s.name == "opendynamo_event_loop_lag_seconds"
        }
    assert holders[0].labels["pid"] in pids


def test_openmetrics_is_answered_when_asked_for(prom: Server) -> None:
    reply = send(prom, "GET", "/metrics", headers={"Accept": OPENMETRICS_ACCEPT})
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    text = reply.body.decode()
    assert text.endswith("# EOF\n")
    names = {family.name for family in openmetrics_families(text)}
    assert {"opendynamo_requests", "opendynamo_request_latency_seconds"} <= names


# --- who may read ---------------------------------------------------------------------


def non_loopback_address() -> str | None:
    """An address of this machine other than loopback (the one its default route uses)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def status_from(address: str, port: int) -> int:
    connection = http.client.HTTPConnection(address, port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("args", "loopback", "other"),
    [
        ((), 200, 403),
        (("--prometheus", "public"), 200, 200),
        (("--prometheus", "off"), 404, 404),
    ],
)
def test_with_authentication_on_metrics_stay_on_the_machine_unless_made_public(
    tmp_path: Path, args: tuple[str, ...], loopback: int, other: int
) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    extra = ("--host", "0.0.0.0", "--auth", "sigv4", *args)
    server = Server(tmp_path, workers=1, env=ENV, extra_args=extra).start()
    try:
        assert status_from("127.0.0.1", server.port) == loopback
        assert status_from(address, server.port) == other
    finally:
        server.stop()


def test_with_authentication_off_metrics_are_served_unless_turned_off(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1, extra_args=("--prometheus", "off")).start()
    try:
        assert send(server, "GET", "/metrics").status == 404
    finally:
        server.stop()
