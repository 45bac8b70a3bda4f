"""CloudWatch's metric operations over the wire, and DynamoDB's own metrics as a dashboard
reads them (and a fleet of two servers over PostgreSQL shows the same totals on both):
PutMetricData then GetMetricStatistics / GetMetricData (metric math) / ListMetrics
in each of CloudWatch's three protocols; AWS/DynamoDB's SuccessfulRequestLatency,
ConsumedRead/WriteCapacityUnits, ConditionalCheckFailedRequests, UserErrors and
ReturnedItemCount recorded by a two-worker server (whichever worker answers, the figures
cover both), on SQLite and PostgreSQL; and the figures surviving a restart.

Workers flush every 0.2 s here (OPENDYNAMO_METRICS_FLUSH_INTERVAL), so a test polls until
what it did shows, and then asserts exact figures."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Backend, Server, unique_name
from tests.postgres import Postgres
from tests.wire.helpers import create_table, eventually, eventually_passes
from tests.wire.test_cloudwatch_alarms import PROTOCOLS, cloudwatch_client

FAST = {"OPENDYNAMO_METRICS_FLUSH_INTERVAL": "0.2", "OPENDYNAMO_METRICS_GAUGE_INTERVAL": "0.5"}


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("metered")
    server = Server(data, workers=2, extra_args=backend(), env=FAST).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module", params=sorted(PROTOCOLS))
def cw(request: pytest.FixtureRequest, metered: Server, models: Path) -> Any:
    if request.param == "json":
        return metered.client("cloudwatch")
    return cloudwatch_client(metered, request.param, models)


def window(minutes: int = 10) -> dict[str, datetime]:
    now = datetime.now(UTC)
    return {"StartTime": now - timedelta(minutes=minutes), "EndTime": now + timedelta(minutes=1)}


def statistics(cw: Any, namespace: str, name: str, dims: dict[str, str], **more: Any) -> Any:
    params = {
        "Namespace": namespace,
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        "Period": 3600,
        "Statistics": ["Sum", "SampleCount", "Average", "Minimum", "Maximum"],
        **window(),
        **more,
    }
    points = cw.get_metric_statistics(**params)["Datapoints"]
    return points


def summed(cw: Any, namespace: str, name: str, dims: dict[str, str], statistic: str) -> float:
    """The statistic over the last ten minutes (one hour-long period), 0 without data."""
    points = statistics(cw, namespace, name, dims)
    return sum(point[statistic] for point in points) if points else 0.0


def refused(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message", "")


# --- PutMetricData and reading it back ----------------------------------------------------


def test_put_then_statistics_and_percentiles(cw: Any) -> None:
    namespace = unique_name("App/")
    dims = [{"Name": "Host", "Value": "a"}]
    now = datetime.now(UTC).replace(second=30, microsecond=0) - timedelta(minutes=2)
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now, "Value": 10.0,
             "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now,
             "Values": [1.0, 2.0, 30.0], "Counts": [10, 5, 1], "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now,
             "StatisticValues": {"SampleCount": 4, "Sum": 20.0, "Minimum": 4.0, "Maximum": 6.0},
             "Unit": "Milliseconds"},
        ],
    )  # fmt: skip
    minute = now.replace(second=0)

    def one_point() -> Any:
        points = cw.get_metric_statistics(
            Namespace=namespace,
            MetricName="Latency",
            Dimensions=dims,
            StartTime=minute,
            EndTime=minute + timedelta(minutes=1),
            Period=60,
            Statistics=["Sum", "SampleCount", "Average", "Minimum", "Maximum"],
            ExtendedStatistics=["p50", "p99"],
        )["Datapoints"]
        return points[0] if points else None

    point = eventually(one_point)
    assert point["Timestamp"] == minute
    assert point["SampleCount"] == 21.0  # 1 + 16 + 4
    assert point["Sum"] == 10.0 + 10 * 1.0 + 5 * 2.0 + 30.0 + 20.0
    assert (point["Minimum"], point["Maximum"]) == (1.0, 30.0)
    assert point["Average"] == pytest.approx(80.0 / 21)
    assert point["Unit"] == "Milliseconds"
    # Sorted: ten 1s, five 2s, four 5s (the statistic set, by its mean), 10, 30.
    assert point["ExtendedStatistics"]["p50"] == pytest.approx(2.0, rel=0.02)
    assert point["ExtendedStatistics"]["p99"] == pytest.approx(30.0, rel=0.02)
    # Another unit than the data's finds nothing, as on CloudWatch.
    none = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", Dimensions=dims, StartTime=minute,
        EndTime=minute + timedelta(minutes=1), Period=60, Statistics=["Sum"], Unit="Seconds",
    )["Datapoints"]  # fmt: skip
    assert none == []


def test_get_metric_data_with_math(cw: Any) -> None:
    namespace = unique_name("App/")
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    data = []
    for minute in range(3):
        moment = start + timedelta(minutes=minute, seconds=10)
        data.append({"MetricName": "Hits", "Timestamp": moment, "Value": float(minute + 1)})
        data.append({"MetricName": "Misses", "Timestamp": moment, "Value": 10.0})
    cw.put_metric_data(Namespace=namespace, MetricData=data)

    def stat(query_id: str, name: str) -> dict[str, Any]:
        metric = {"Namespace": namespace, "MetricName": name}
        return {"Id": query_id, "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"}}

    queries = [
        stat("hits", "Hits"),
        {**stat("misses", "Misses"), "ReturnData": False},
        {"Id": "ratio", "Expression": "hits / (hits + misses) * 100", "Label": "Hit ratio"},
        {"Id": "total", "Expression": "SUM(METRICS())"},
    ]

    def results() -> dict[str, Any] | None:
        found = cw.get_metric_data(
            MetricDataQueries=queries,
            StartTime=start,
            EndTime=start + timedelta(minutes=3),
            ScanBy="TimestampAscending",
        )["MetricDataResults"]
        by_id = {result["Id"]: result for result in found}
        return by_id if len(by_id["hits"]["Values"]) == 3 else None

    by_id = eventually(results)
    assert set(by_id) == {"hits", "ratio", "total"}  # ReturnData false: not returned
    assert by_id["hits"]["Values"] == [1.0, 2.0, 3.0]
    assert by_id["hits"]["Timestamps"] == [start + timedelta(minutes=m) for m in range(3)]
    assert by_id["hits"]["Label"] == "Hits"
    assert by_id["ratio"]["Label"] == "Hit ratio"
    assert by_id["ratio"]["Values"] == pytest.approx([100 / 11, 200 / 12, 300 / 13])
    assert by_id["total"]["Values"] == [11.0, 12.0, 13.0]
    assert {r["StatusCode"] for r in by_id.values()} == {"Complete"}
    descending = cw.get_metric_data(
        MetricDataQueries=queries[:1], StartTime=start, EndTime=start + timedelta(minutes=3)
    )["MetricDataResults"][0]
    assert descending["Values"] == [3.0, 2.0, 1.0]  # TimestampDescending by default
    code, message = refused(
        cw.get_metric_data,
        MetricDataQueries=[stat("hits", "Hits"), {"Id": "bad", "Expression": "hits +"}],
        StartTime=start,
        EndTime=start + timedelta(minutes=3),
    )
    assert code == "ValidationError" and "bad" in message


def test_list_metrics_filters(cw: Any) -> None:
    namespace = unique_name("App/")
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Errors", "Dimensions": [{"Name": "Host", "Value": "a"}], "Value": 1.0},
            {"MetricName": "Errors", "Dimensions": [{"Name": "Host", "Value": "b"}], "Value": 1.0},
            {"MetricName": "Calls", "Dimensions": [{"Name": "Route", "Value": "/"}], "Value": 1.0},
        ],
    )

    def listed(**filters: Any) -> list[tuple[str, list[tuple[str, str]]]]:
        metrics = cw.list_metrics(Namespace=namespace, **filters)["Metrics"]
        return sorted(
            (m["MetricName"], [(d["Name"], d["Value"]) for d in m["Dimensions"]]) for m in metrics
        )

    eventually(lambda: len(listed()) == 3)
    assert listed(MetricName="Errors") == [("Errors", [("Host", "a")]), ("Errors", [("Host", "b")])]
    assert listed(Dimensions=[{"Name": "Host", "Value": "b"}]) == [("Errors", [("Host", "b")])]
    assert listed(Dimensions=[{"Name": "Route"}]) == [("Calls", [("Route", "/")])]
    assert len(listed(RecentlyActive="PT3H")) == 3
    assert all(m["Namespace"] == namespace for m in cw.list_metrics(Namespace=namespace)["Metrics"])


def test_refusals(cw: Any) -> None:
    assert refused(
        cw.put_metric_data, Namespace="AWS/DynamoDB", MetricData=[{"MetricName": "x", "Value": 1.0}]
    ) == ("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.")
    now = datetime.now(UTC)
    code, message = refused(
        cw.get_metric_statistics,
        Namespace="App",
        MetricName="x",
        StartTime=now - timedelta(days=2),
        EndTime=now,
        Period=60,
        Statistics=["Sum"],
    )
    assert code == "InvalidParameterCombination"
    assert message.startswith("You have requested up to 2,880 datapoints, which exceeds the limit")
    assert refused(
        cw.get_metric_statistics,
        Namespace="App",
        MetricName="x",
        StartTime=now,
        EndTime=now - timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    ) == (
        "InvalidParameterValue",
        "The parameter StartTime must be less than the parameter EndTime.",
    )
    code, _ = refused(
        cw.put_metric_data,
        Namespace="App",
        MetricData=[{"MetricName": "x", "Value": 1.0, "StatisticValues": {
            "SampleCount": 1, "Sum": 1.0, "Minimum": 1.0, "Maximum": 1.0}}],
    )  # fmt: skip
    assert code == "InvalidParameterCombination"


# --- DynamoDB's own metrics -----------------------------------------------------------------


def test_dynamodb_metrics_cover_both_workers(metered: Server) -> None:
    namespace = "AWS/DynamoDB"
    cw = metered.client("cloudwatch")
    table = create_table(metered.client(), "metered", range_key=("sk", "N"))
    for number in range(12):  # new clients: new connections, spread over both workers
        metered.client().put_item(
            TableName=table, Item={"pk": {"S": "p"}, "sk": {"N": str(number)}, "v": {"S": "x"}}
        )
    for _ in range(5):
        metered.client().get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "1"}})
    found = metered.client().query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )
    assert found["Count"] == 12
    with pytest.raises(ClientError):
        metered.client().put_item(
            TableName=table,
            Item={"pk": {"S": "p"}, "sk": {"N": "1"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    with pytest.raises(ClientError):
        metered.client().get_item(TableName=table, Key={"nope": {"S": "p"}})

    def latency(operation: str) -> float:
        dims = {"TableName": table, "Operation": operation}
        return summed(cw, namespace, "SuccessfulRequestLatency", dims, "SampleCount")

    def figures() -> None:
        assert (latency("PutItem"), latency("GetItem"), latency("Query")) == (12, 5, 1)
        on_table = {"TableName": table}
        assert summed(cw, namespace, "ConsumedWriteCapacityUnits", on_table, "Sum") == 12.0
        # Five eventually consistent reads of a small item, and a Query reading 12 small
        # items (under 4 KB: one unit, halved).
        assert summed(cw, namespace, "ConsumedReadCapacityUnits", on_table, "Sum") == 3.0
        assert summed(cw, namespace, "ConditionalCheckFailedRequests", on_table, "Sum") == 1.0
        returned = {"TableName": table, "Operation": "Query"}
        assert summed(cw, namespace, "ReturnedItemCount", returned, "Sum") == 12.0
        assert summed(cw, namespace, "UserErrors", {}, "Sum") >= 1.0

    eventually_passes(figures, timeout=15)
    point = statistics(
        cw, namespace, "SuccessfulRequestLatency", {"TableName": table, "Operation": "PutItem"}
    )[0]
    assert point["Unit"] == "Milliseconds" and 0 < point["Minimum"] <= point["Maximum"] < 5000
    names = {
        m["MetricName"]
        for m in cw.list_metrics(
            Namespace=namespace, Dimensions=[{"Name": "TableName", "Value": table}]
        )["Metrics"]
    }
    assert {
        "SuccessfulRequestLatency",
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
        "ConditionalCheckFailedRequests",
        "ReturnedItemCount",
    } <= names
    # Every worker answers with the same figures (each reads the store, not its memory).
    assert {latency("PutItem") for _ in range(6)} == {12.0}
    # The gauges: a table count and the provisioned capacity of a provisioned table.
    eventually(lambda: summed(cw, namespace, "TableCount", {}, "Maximum") >= 1, timeout=15)


def test_gsi_reads_and_writes_have_their_own_figures(metered: Server) -> None:
    cw = metered.client("cloudwatch")
    ddb = metered.client()
    name = unique_name("gsi")
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byg",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    for number in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{number}"}, "g": {"S": "G"}})
    ddb.query(
        TableName=name,
        IndexName="byg",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "G"}},
    )
    index = {"TableName": name, "GlobalSecondaryIndexName": "byg"}

    def index_writes() -> float:
        return summed(cw, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", index, "Sum")

    eventually(lambda: index_writes() == 3.0, timeout=15)
    eventually(lambda: summed(cw, "AWS/DynamoDB", "ConsumedReadCapacityUnits", index, "Sum") == 0.5)
    assert (
        summed(cw, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", {"TableName": name}, "Sum") == 3.0
    )
    assert (
        summed(cw, "AWS/DynamoDB", "ConsumedReadCapacityUnits", {"TableName": name}, "Sum") == 0.0
    )


def test_metrics_survive_a_restart(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", workers=1, env=FAST).start()
    try:
        table = create_table(server.client(), "restart")
        for number in range(4):
            server.client().put_item(TableName=table, Item={"pk": {"S": str(number)}})
        cw = server.client("cloudwatch")
        dims = {"TableName": table, "Operation": "PutItem"}
        eventually(
            lambda: summed(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", dims, "SampleCount") == 4
        )
    finally:
        server.stop()
    again = Server(tmp_path / "data", workers=1, env=FAST).start()
    try:
        cw = again.client("cloudwatch")
        assert summed(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", dims, "SampleCount") == 4
    finally:
        again.stop()


def test_metrics_off_records_none_of_dynamodbs(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", workers=1, env=FAST, extra_args=("--metrics", "off"))
    server.start()
    try:
        table = create_table(server.client(), "off")
        server.client().put_item(TableName=table, Item={"pk": {"S": "a"}})
        cw = server.client("cloudwatch")
        cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "x", "Value": 1.0}])
        eventually(lambda: cw.list_metrics(Namespace="App")["Metrics"])
        dims = [{"Name": "TableName", "Value": table}]
        assert cw.list_metrics(Namespace="AWS/DynamoDB", Dimensions=dims)["Metrics"] == []
    finally:
        server.stop()


def test_a_fleet_shows_the_same_totals(postgres: Postgres, tmp_path: Path) -> None:
    """Two servers over one PostgreSQL database: requests spread over both are counted once
    each, and either server's CloudWatch API and /metrics answer the whole fleet's totals."""
    url = postgres.database()
    servers = [
        Server(tmp_path / f"server-{n}", workers=1, extra_args=("--backend", url), env=FAST).start()
        for n in range(2)
    ]
    try:
        table = create_table(servers[0].client(), "fleet")
        for number in range(10):
            servers[number % 2].client().put_item(TableName=table, Item={"pk": {"S": str(number)}})
        dims = {"TableName": table, "Operation": "PutItem"}

        def counted(server: Server) -> float:
            cw = server.client("cloudwatch")
            return summed(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", dims, "SampleCount")

        eventually(lambda: counted(servers[0]) == 10, timeout=15)
        assert counted(servers[1]) == 10

        def scraped(server: Server) -> float:
            with urllib.request.urlopen(server.endpoint + "/metrics", timeout=5) as reply:
                text = reply.read().decode()
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if (
                        sample.name == "opendynamo_requests_total"
                        and sample.labels.get("table") == table
                        and sample.labels.get("operation") == "PutItem"
                    ):
                        return float(sample.value)
            return 0.0

        assert scraped(servers[0]) == scraped(servers[1]) == 10
    finally:
        for server in servers:
            server.stop()


def test_online_index_consumed_write_capacity(metered: Server) -> None:
    ddb, cw = metered.client(), metered.client("cloudwatch")
    table = create_table(ddb, "backfill")
    for number in range(25):
        ddb.put_item(TableName=table, Item={"pk": {"S": str(number)}, "g": {"S": "x"}})
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "byg",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
    index = {"TableName": table, "GlobalSecondaryIndexName": "byg"}
    eventually(
        lambda: (
            summed(cw, "AWS/DynamoDB", "OnlineIndexConsumedWriteCapacity", index, "Sum") == 25.0
        ),
        timeout=20,
    )
