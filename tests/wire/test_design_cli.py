"""`opendynamo design`: model files applied to a running server through its API, compared
with it and exported from it, by the real command in a subprocess (no AWS credentials in its
environment: it signs with dummy ones, region us-east-1).

- apply creates the model's tables with their keys, indexes, billing and capacity; applied
  again it changes nothing; an index added to the model is created and backfilled; capacity
  and billing changes are made; a key-schema or local-index change is refused with the
  table and attribute named, and nothing is changed; --dry-run changes nothing; --with-data
  loads the table's and the facets' sample items; --prune-indexes deletes indexes the model
  lacks (they are kept otherwise).
- diff exits 0 when the server matches the model, 2 when it does not, 1 on errors.
- export writes a Workbench 3.0 model; exported, applied to an empty server (started by
  the command on a data directory) and exported again, it is the same model, dates aside.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Backend, Server, unique_name

DATA = Path(__file__).resolve().parents[1] / "data" / "design"
NO_CREDENTIALS = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


@pytest.fixture(scope="module")
def design_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("design")).start()
    yield server
    server.stop()


def design(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | NO_CREDENTIALS
    return subprocess.run(
        [sys.executable, "-m", "opendynamo", "design", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def model_file(
    tmp_path: Path,
    source: str,
    names: dict[str, str],
    change: Callable[[dict[str, Any]], object] | None = None,
) -> Path:
    """A copy of a model of tests/data/design with its tables renamed (so tests sharing a
    server do not meet), edited by `change`."""
    document = json.loads((DATA / source).read_text())
    for table in document.get("DataModel", []):
        table["TableName"] = names[table["TableName"]]
    for resource in document.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table":
            properties["TableName"] = names[properties["TableName"]]
    if change is not None:
        change(document)
    path = tmp_path / f"{unique_name('model')}.json"
    path.write_text(json.dumps(document))
    return path


def shop_names() -> dict[str, str]:
    return {"shop": unique_name("shop"), "shop-audit": unique_name("audit")}


def ok(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_apply_creates_the_tables_and_again_changes_nothing(
    tmp_path: Path, backend: Backend
) -> None:
    server = Server(tmp_path / "data", extra_args=backend()).start()
    try:
        names = shop_names()
        model = model_file(tmp_path, "shop.json", names)
        shop, audit = names["shop"], names["shop-audit"]
        assert ok(design("apply", model, "--endpoint", server.endpoint)) == [
            f"+ create table {shop}: PK (S), SK (S); PAY_PER_REQUEST; 2 global indexes (gsi1, gsi2)",
            f"+ create table {audit}: entity (S), at (N); PROVISIONED (5 read, 3 write); "
            "1 global index (by-day)",
            "applied 2 change(s)",
        ]
        client = server.client()
        table = client.describe_table(TableName=shop)["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        gsi2 = next(i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "gsi2")
        assert gsi2["KeySchema"] == [
            {"AttributeName": "GSI2PK", "KeyType": "HASH"},
            {"AttributeName": "price", "KeyType": "RANGE"},
        ]
        assert gsi2["Projection"] == {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": ["name", "tags"],
        }
        (by_day,) = client.describe_table(TableName=audit)["Table"]["GlobalSecondaryIndexes"]
        assert by_day["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
        assert ok(design("apply", model, "--endpoint", server.endpoint)) == ["no changes"]
        assert ok(design("diff", model, "--endpoint", server.endpoint)) == ["no differences"]
    finally:
        server.stop()


def test_dry_run_prints_the_plan_and_changes_nothing(tmp_path: Path, design_server: Server) -> None:
    names = {"library": unique_name("library")}
    model = model_file(tmp_path, "library_v2.json", names)
    done = design("apply", model, "--endpoint", design_server.endpoint, "--dry-run", "--with-data")
    assert ok(done) == [
        f"+ create table {names['library']}: pk (S), sk (S); PAY_PER_REQUEST; 1 global index "
        "(loans-by-borrower)",
        f"+ load 3 sample items into {names['library']}",
        "dry run: nothing changed",
    ]
    assert names["library"] not in design_server.client().list_tables()["TableNames"]


def test_with_data_loads_the_table_and_facet_items(tmp_path: Path, design_server: Server) -> None:
    client = design_server.client()
    library = {"library": unique_name("library")}
    ok(design("apply", model_file(tmp_path, "library_v2.json", library), "--with-data",
              "--endpoint", design_server.endpoint))  # fmt: skip
    assert client.scan(TableName=library["library"], Select="COUNT")["Count"] == 3  # facets' items
    names = shop_names()
    lines = ok(design("apply", model_file(tmp_path, "shop.json", names), "--with-data",
                      "--endpoint", design_server.endpoint))  # fmt: skip
    assert f"+ load 6 sample items into {names['shop']}" in lines
    teapot = client.get_item(
        TableName=names["shop"], Key={"PK": {"S": "PRODUCT#sku-1"}, "SK": {"S": "PRODUCT"}}
    )["Item"]
    assert teapot["thumbnail"] == {"B": base64.b64decode("iVBORw0KGgo=")}
    kitchen = client.query(
        TableName=names["shop"],
        IndexName="gsi2",
        KeyConditionExpression="GSI2PK = :c",
        ExpressionAttributeValues={":c": {"S": "CATEGORY#kitchen"}},
    )["Items"]
    assert [item["name"]["S"] for item in kitchen] == ["Mug", "Teapot"]  # by price


def _add_status_index(document: dict[str, Any]) -> None:
    document["DataModel"][0]["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "by-status",
            "KeyAttributes": {"PartitionKey": {"AttributeName": "status"}},
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    )


def test_an_index_added_to_the_model_is_created_and_backfilled(
    tmp_path: Path, design_server: Server
) -> None:
    names = shop_names()
    endpoint = design_server.endpoint
    ok(
        design(
            "apply", model_file(tmp_path, "shop.json", names), "--with-data", "--endpoint", endpoint
        )
    )
    grown = model_file(tmp_path, "shop.json", names, _add_status_index)
    added = f"+ add index by-status to {names['shop']}: status (S); projection KEYS_ONLY"
    drift = design("diff", grown, "--endpoint", endpoint)
    assert (drift.returncode, drift.stdout.splitlines()) == (2, [added])
    assert ok(design("apply", grown, "--endpoint", endpoint)) == [added, "applied 1 change(s)"]
    shipped = design_server.client().query(
        TableName=names["shop"],
        IndexName="by-status",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "SHIPPED"}},
    )["Items"]
    assert shipped == [
        {
            "status": {"S": "SHIPPED"},
            "PK": {"S": "USER#alice"},
            "SK": {"S": "ORDER#2026-03-01#0001"},
        }
    ]
    assert ok(design("diff", grown, "--endpoint", endpoint)) == ["no differences"]


def _throughput(read: int, write: int) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        settings = document["DataModel"][1]["ProvisionedCapacitySettings"]
        settings["ProvisionedThroughput"] = {"ReadCapacityUnits": read, "WriteCapacityUnits": write}

    return change


def test_capacity_and_billing_changes(tmp_path: Path, design_server: Server) -> None:
    names = shop_names()
    audit = names["shop-audit"]
    endpoint = design_server.endpoint
    ok(design("apply", model_file(tmp_path, "shop.json", names), "--endpoint", endpoint))
    assert ok(
        design(
            "apply",
            model_file(tmp_path, "shop.json", names, _throughput(8, 6)),
            "--endpoint",
            endpoint,
        )
    ) == [  # fmt: skip
        f"~ change the throughput of {audit} to 8 read, 6 write (from 5 read, 3 write)",
        f"~ change the throughput of index by-day of {audit} to 8 read, 6 write (from 5 read, "
        "3 write)",
        "applied 2 change(s)",
    ]
    table = design_server.client().describe_table(TableName=audit)["Table"]
    for described in (table, table["GlobalSecondaryIndexes"][0]):
        throughput = described["ProvisionedThroughput"]
        assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (8, 6)

    def on_demand(document: dict[str, Any]) -> None:
        document["DataModel"][1]["BillingMode"] = "PAY_PER_REQUEST"

    assert ok(
        design("apply", model_file(tmp_path, "shop.json", names, on_demand), "--endpoint", endpoint)
    ) == [  # fmt: skip
        f"~ switch {audit} to PAY_PER_REQUEST (from PROVISIONED: 8 read, 6 write)",
        "applied 1 change(s)",
    ]
    table = design_server.client().describe_table(TableName=audit)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_a_key_schema_change_is_refused_and_nothing_changes(
    tmp_path: Path, design_server: Server
) -> None:
    names = shop_names()
    endpoint = design_server.endpoint
    ok(design("apply", model_file(tmp_path, "shop.json", names), "--endpoint", endpoint))

    def retyped(document: dict[str, Any]) -> None:
        table = document["DataModel"][0]
        table["KeyAttributes"]["SortKey"]["AttributeType"] = "N"
        table["TableData"] = []
        _add_status_index(document)

    model = model_file(tmp_path, "shop.json", names, retyped)
    done = design("apply", model, "--endpoint", endpoint)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"+ add index by-status to {names['shop']}: status (S); projection KEYS_ONLY",
        f"! table {names['shop']}: its sort key is SK (N) in the model but SK (S) on the "
        "server; a table's key schema cannot change in place",
    ]
    assert done.stderr == "Error: nothing changed: 1 change(s) cannot be made in place\n"
    table = design_server.client().describe_table(TableName=names["shop"])["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]
    assert design("diff", model, "--endpoint", endpoint).returncode == 2


def test_local_indexes_of_a_cloudformation_template(tmp_path: Path, design_server: Server) -> None:
    names = {"orders": unique_name("orders")}
    endpoint = design_server.endpoint
    template = model_file(tmp_path, "orders_cfn.json", names)
    done = design("apply", template, "--endpoint", endpoint)
    assert done.stderr == (
        "warning: $.Resources.OrdersTable.Properties: not applied by opendynamo design: "
        "StreamSpecification, Tags\n"
    )
    (lsi,) = design_server.client().describe_table(TableName=names["orders"])["Table"][
        "LocalSecondaryIndexes"
    ]
    assert lsi["IndexName"] == "by-placed"
    assert ok(design("apply", template, "--endpoint", endpoint)) == ["no changes"]

    def without_local_index(document: dict[str, Any]) -> None:
        document["Resources"]["OrdersTable"]["Properties"].pop("LocalSecondaryIndexes")

    done = design("apply", model_file(tmp_path, "orders_cfn.json", names, without_local_index),
                  "--endpoint", endpoint)  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"! table {names['orders']}: local index by-placed is on the server but not in the "
        "model; local secondary indexes are made with their table and cannot be added or removed"
    ]


def test_indexes_the_model_lacks_are_kept_unless_pruned(
    tmp_path: Path, design_server: Server
) -> None:
    names = shop_names()
    endpoint = design_server.endpoint
    ok(design("apply", model_file(tmp_path, "shop.json", names), "--endpoint", endpoint))

    def without_gsi1(document: dict[str, Any]) -> None:
        document["DataModel"][0]["GlobalSecondaryIndexes"].pop(0)

    model = model_file(tmp_path, "shop.json", names, without_gsi1)
    kept = f"= index gsi1 of {names['shop']} is on the server but not in the model (kept; --prune-indexes deletes it)"
    assert ok(design("apply", model, "--endpoint", endpoint)) == [kept, "no changes"]
    assert design("diff", model, "--endpoint", endpoint).stdout.splitlines() == [kept]
    assert ok(design("apply", model, "--prune-indexes", "--endpoint", endpoint)) == [
        f"- delete index gsi1 of {names['shop']}",
        "applied 1 change(s)",
    ]
    table = design_server.client().describe_table(TableName=names["shop"])["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi2"]


def test_diff_exit_statuses(tmp_path: Path, design_server: Server) -> None:
    names = {"device-log": unique_name("devices")}
    model = model_file(tmp_path, "devices_v1.json", names)
    endpoint = design_server.endpoint
    drift = design("diff", model, "--endpoint", endpoint)
    assert drift.returncode == 2
    assert (
        drift.stdout
        == f"+ create table {names['device-log']}: device (S), at (S); PAY_PER_REQUEST\n"
    )
    ok(design("apply", model, "--endpoint", endpoint))
    assert ok(design("diff", model, "--endpoint", endpoint)) == ["no differences"]

    def broken(document: dict[str, Any]) -> None:
        document["DataModel"][0]["TableData"][0].pop("at")

    invalid = design(
        "diff", model_file(tmp_path, "devices_v1.json", names, broken), "--endpoint", endpoint
    )
    assert invalid.returncode == 1
    assert (
        invalid.stderr.splitlines()[0]
        == '$.DataModel[0].TableData[0]: the sort key "at" is missing'
    )
    unreachable = design("diff", model, "--endpoint", "http://127.0.0.1:9")
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith(
        "Error: DescribeTable: Could not connect to the endpoint URL"
    )
    neither = design("diff", model)
    assert neither.returncode == 2  # click's usage error
    assert "give --endpoint URL or --data-dir DIR (one of them)" in neither.stderr


def test_validate_prints_every_problem(tmp_path: Path) -> None:
    names = shop_names()

    def broken(document: dict[str, Any]) -> None:
        table = document["DataModel"][0]
        table["GlobalSecondaryIndexes"][1]["KeyAttributes"]["PartitionKey"]["AttributeName"] = (
            "gsi1pk"
        )
        table["TableFacets"][0]["NonKeyAttributes"].append("nickname")

    done = design("validate", model_file(tmp_path, "shop.json", names, broken))
    assert done.returncode == 1
    assert done.stderr.splitlines()[:2] == [
        '$.DataModel[0].GlobalSecondaryIndexes[1].KeyAttributes.PartitionKey: attribute "gsi1pk" '
        "has no type in KeyAttributes or NonKeyAttributes",
        '$.DataModel[0].TableFacets[0].NonKeyAttributes[5]: "nickname" is not one of the '
        "table's NonKeyAttributes",
    ]
    assert ok(design("validate", DATA / "shop.json")) == [
        "NoSQL Workbench model 3.0: 2 table(s): shop, shop-audit"
    ]


def _make_tables(client: Any) -> list[str]:
    """Two tables made through the API (not by a model): an on-demand single-table design
    with two indexes and items of every type, and a provisioned table keyed by a number."""
    first, second = unique_name("app"), unique_name("ledger")
    client.create_table(
        TableName=first,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("pk", "S"), ("sk", "S"), ("g", "S"), ("rank", "N"))],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                {"AttributeName": "rank", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "by-rank", "KeySchema": [{"AttributeName": "rank", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title", "flags"]}},
        ],
    )  # fmt: skip
    client.create_table(
        TableName=second,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"},
                              {"AttributeName": "kind", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 2},
        GlobalSecondaryIndexes=[{"IndexName": "by-kind", "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 2}}],
    )  # fmt: skip
    for n in range(4):
        client.put_item(TableName=first, Item={
            "pk": {"S": f"USER#{n}"}, "sk": {"S": "PROFILE"}, "g": {"S": "all"}, "rank": {"N": str(n)},
            "title": {"S": f"user {n}"}, "avatar": {"B": bytes([n, 255])}, "flags": {"SS": ["a", "b"]},
            "scores": {"NS": ["1", "2.5"]}, "blobs": {"BS": [b"\x00", b"\x01"]}, "ok": {"BOOL": True},
            "gone": {"NULL": True}, "profile": {"M": {"city": {"S": "Lyon"}, "tags": {"L": [{"N": "1"}]}}},
        })  # fmt: skip
        client.put_item(TableName=second, Item={"id": {"N": str(n)}, "kind": {"S": "entry"}})
    return [first, second]


def _without_dates(document: dict[str, Any]) -> dict[str, Any]:
    for key in ("DateCreated", "DateLastModified"):
        document["ModelMetadata"].pop(key)
    return document


def test_export_apply_export_gives_the_same_model(tmp_path: Path, design_server: Server) -> None:
    tables = _make_tables(design_server.client())
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    chosen = ",".join(tables)
    ok(design("export", "--endpoint", design_server.endpoint, "--tables", chosen, "-o", first))
    exported = json.loads(first.read_text())
    app, ledger = exported["DataModel"]
    assert len(app["TableData"]) == 4 and ledger["BillingMode"] == "PROVISIONED"
    assert {a["AttributeName"]: a["AttributeType"] for a in app["NonKeyAttributes"]} == {
        "avatar": "B", "blobs": "BS", "flags": "SS", "g": "S", "gone": "NULL", "ok": "BOOL",
        "profile": "M", "rank": "N", "scores": "NS", "title": "S",
    }  # fmt: skip
    data_dir = tmp_path / "empty"
    ok(design("apply", first, "--with-data", "--data-dir", data_dir))
    ok(
        design(
            "export",
            "--data-dir",
            data_dir,
            "--tables",
            tables[0],
            "--tables",
            tables[1],
            "-o",
            second,
        )
    )
    assert _without_dates(json.loads(second.read_text())) == _without_dates(exported)


def test_export_samples_and_warns_of_mixed_types(design_server: Server) -> None:
    client = design_server.client()
    name = unique_name("mixed")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for key, value in (("a", {"S": "x"}), ("b", {"N": "1"}), ("c", {"BOOL": True})):
        client.put_item(TableName=name, Item={"pk": {"S": key}, "v": value})
    done = design("export", "--endpoint", design_server.endpoint, "--tables", name, "--sample", "2")
    assert done.returncode == 0, done.stderr
    (table,) = json.loads(done.stdout)["DataModel"]
    firsts = client.scan(TableName=name, Limit=2)["Items"]
    assert table["TableData"] == firsts
    kinds = [next(iter(item["v"])) for item in firsts]  # two types, whichever items come
    assert table["NonKeyAttributes"] == [{"AttributeName": "v", "AttributeType": kinds[0]}]
    assert done.stderr == (
        f"warning: table {name}: attribute v is {kinds[0]} in one sample item and "
        f"{kinds[1]} in another; the model says {kinds[0]}\n"
    )
    missing = design(
        "export", "--endpoint", design_server.endpoint, "--tables", unique_name("none")
    )
    assert missing.returncode == 1 and missing.stderr.endswith("not found\n")


def test_a_data_dir_keeps_what_apply_made(tmp_path: Path) -> None:
    names = {"device-log": unique_name("devices")}
    data_dir = tmp_path / "store"
    model = model_file(tmp_path, "devices_v1.json", names)
    ok(design("apply", model, "--with-data", "--data-dir", data_dir))
    assert ok(design("diff", model, "--data-dir", data_dir)) == ["no differences"]
    server = Server(data_dir).start()
    try:
        items = server.client().scan(TableName=names["device-log"])["Items"]
        assert sorted(item["at"]["S"] for item in items) == [
            "2020-04-24T14:40:00",
            "2020-04-24T14:45:00",
        ]
    finally:
        server.stop()
