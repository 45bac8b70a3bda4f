"""A table's Monitoring tab in Chromium: after puts, gets, queries (on the table and on a
global index) and a few failed conditions, its charts draw what CloudWatch's GetMetricData
returns — capacity with the provisioned line, latency per operation, errors, returned items,
the index's capacity — and say in words where there is nothing (no throttling; a table nobody
used yet). Workers flush their metrics every 0.2 s here, so figures show within a second."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import opendynamo.server.console
from tests.browser.conftest import Console, screenshot
from tests.conftest import Server
from tests.wire.helpers import eventually, unique_name

FAST = {"OPENDYNAMO_METRICS_FLUSH_INTERVAL": "0.2", "OPENDYNAMO_METRICS_GAUGE_INTERVAL": "0.5"}
PAGES = Path(opendynamo.server.console.__file__).parent / "static" / "js" / "pages"
DRAWN = ("capacity-read", "capacity-write", "latency-average", "latency-p99", "errors")
DRAWN += ("returned-items", "index-byg")


@pytest.fixture(scope="module")
def metered_console(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Console]:
    """An `--auth off` console whose workers flush their metrics five times a second."""
    server = Server(tmp_path_factory.mktemp("console-metrics"), workers=2, env=FAST).start()
    try:
        yield Console(server, browser)
    finally:
        server.stop()


def _make_table(ddb: Any, provisioned: bool) -> str:
    name = unique_name("mon")
    index: dict[str, Any] = {
        "IndexName": "byg",
        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    billing: dict[str, Any] = {"BillingMode": "PAY_PER_REQUEST"}
    if provisioned:
        units = {"ReadCapacityUnits": 50, "WriteCapacityUnits": 50}
        billing = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": units}
        index["ProvisionedThroughput"] = units
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[index],
        **billing,
    )
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    return name


def _drive(ddb: Any, name: str) -> None:
    for i in range(12):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "g": {"S": "all"}})
        ddb.get_item(TableName=name, Key={"pk": {"S": f"k{i}"}})
    values = {":k": {"S": "k1"}}
    ddb.query(TableName=name, KeyConditionExpression="pk = :k", ExpressionAttributeValues=values)
    values = {":g": {"S": "all"}}
    ddb.query(
        TableName=name,
        IndexName="byg",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues=values,
    )
    for _ in range(3):
        with pytest.raises(ClientError):
            ddb.put_item(
                TableName=name,
                Item={"pk": {"S": "k1"}},
                ConditionExpression="attribute_not_exists(pk)",
            )


def _recorded(console: Console, name: str) -> set[str]:
    metrics = console.client("cloudwatch").list_metrics(
        Namespace="AWS/DynamoDB", Dimensions=[{"Name": "TableName", "Value": name}]
    )["Metrics"]
    return {m["MetricName"] for m in metrics}


def _latency_operations(console: Console, name: str) -> set[str]:
    metrics = console.client("cloudwatch").list_metrics(
        Namespace="AWS/DynamoDB",
        MetricName="SuccessfulRequestLatency",
        Dimensions=[{"Name": "TableName", "Value": name}],
    )["Metrics"]
    return {d["Value"] for m in metrics for d in m["Dimensions"] if d["Name"] == "Operation"}


def _open_monitoring(console: Console, name: str, viewport: tuple[int, int] = (1280, 800)) -> Any:
    """The table's Monitoring tab. pages/table.js (another page) hosts it; where that page is
    not there yet, the module is mounted into the console's main area as the tab mounts it."""
    if (PAGES / "table.js").exists():
        return console.page(f"#/tables/{name}/monitoring", viewport)
    page = console.page("#/tables", viewport)
    page.get_by_role("heading", name="Tables").wait_for()
    page.evaluate(
        """async (name) => {
            const { renderMonitoring } = await import("/console/static/js/pages/monitoring.js");
            const host = document.createElement("div");
            document.getElementById("main").replaceChildren(host);
            await renderMonitoring(host, name);
        }""",
        name,
    )
    return page


def _chart(page: Any, key: str) -> Any:
    return page.locator(f'section.chart[data-chart="{key}"]')


def _series(page: Any, key: str) -> dict[str, list[float | None]]:
    return dict(
        page.evaluate(
            """(key) => {
                const chart = document.querySelector(`section.chart[data-chart="${key}"]`);
                return Object.fromEntries(chart.chartData.series.map((s) => [s.label, s.values]));
            }""",
            key,
        )
    )


def test_charts_draw_the_tables_metrics(metered_console: Console) -> None:
    ddb = metered_console.client()
    name = _make_table(ddb, provisioned=True)
    _drive(ddb, name)
    wanted = {"SuccessfulRequestLatency", "ConditionalCheckFailedRequests", "ReturnedItemCount"}
    wanted |= {"ProvisionedReadCapacityUnits", "ConsumedWriteCapacityUnits"}
    eventually(lambda: wanted <= _recorded(metered_console, name), timeout=15)
    page = _open_monitoring(metered_console, name)
    for key in DRAWN:
        chart = _chart(page, key)
        chart.locator("canvas").wait_for()
        assert int(chart.get_attribute("data-points") or 0) > 0, key
    latency = _series(page, "latency-average")
    assert {"GetItem", "PutItem", "Query"} <= set(latency)
    assert all(any(v is not None for v in latency[op]) for op in ("GetItem", "PutItem", "Query"))
    legend = _chart(page, "latency-p99").locator(".u-legend").inner_text()
    assert "GetItem" in legend and "PutItem" in legend and "Query" in legend
    label = _chart(page, "latency-average").get_by_role("img").get_attribute("aria-label")
    assert label and "GetItem peaked at" in label and " ms at " in label
    errors = _series(page, "errors")
    assert sum(v or 0 for v in errors["ConditionalCheckFailedRequests"]) == 3
    assert "UserErrors (whole account)" in errors
    capacity = _series(page, "capacity-read")
    assert 50 in capacity["Provisioned"] and any(capacity["Consumed"])
    assert any(_series(page, "index-byg")["Consumed write"])
    throttles = _chart(page, "throttles")
    assert throttles.get_by_text("No throttled requests in this time range.").is_visible()
    assert throttles.locator("canvas").count() == 0
    assert page.locator('[data-counter="ItemCount"]').inner_text() == "12"
    # A new operation shows after a refresh (the page refreshes itself every minute).
    metered_console.client().scan(TableName=name)
    eventually(lambda: "Scan" in _latency_operations(metered_console, name), timeout=15)
    page.get_by_role("button", name="Refresh").click()
    eventually(lambda: "Scan" in _series(page, "latency-average"))
    assert "Scan" in _series(page, "returned-items")
    # The figures as a table, for whoever cannot see the chart.
    _chart(page, "errors").get_by_text("Data table").click()
    cells = _chart(page, "errors").get_by_role("table", name="Errors").inner_text()
    assert "ConditionalCheckFailedRequests (count)" in cells and "3" in cells
    screenshot(page, "monitoring")
    # A longer range asks for five-minute periods: the same requests, fewer points.
    page.get_by_label("Time range").select_option("Last day")
    eventually(lambda: len(_series(page, "errors")["ConditionalCheckFailedRequests"]) == 288)
    assert sum(v or 0 for v in _series(page, "errors")["ConditionalCheckFailedRequests"]) == 3
    # On a phone-sized screen the charts follow the width, one to a row.
    page.set_viewport_size({"width": 400, "height": 800})
    canvas = _chart(page, "latency-average").locator("canvas")
    eventually(lambda: canvas.bounding_box()["width"] <= 380)
    screenshot(page, "monitoring-narrow")
    assert page.errors == []


def test_a_table_without_traffic_says_so(metered_console: Console) -> None:
    name = _make_table(metered_console.client(), provisioned=False)
    page = _open_monitoring(metered_console, name, viewport=(400, 800))
    page.get_by_text("No metrics for this table yet.").wait_for()
    assert page.locator("section.chart canvas").count() == 0
    assert page.locator('[data-counter="ItemCount"]').inner_text() == "0"
    screenshot(page, "monitoring-empty-narrow")
    assert page.errors == []
