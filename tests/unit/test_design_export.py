"""Exporting (opendynamo/design/export): live tables and sample items written as a NoSQL
Workbench 3.0 model that the reader takes back unchanged; what a Workbench model cannot hold
is left out with a warning. And the conversion of binary values between files and boto3."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from opendynamo.design.export import workbench_model, workbench_table
from opendynamo.design.live import from_wire, to_wire
from opendynamo.design.model import Attribute, Index, Projection, Table, Throughput
from opendynamo.design.plan import Plan, table_plan
from opendynamo.design.reading import parse_model, read_model

DATA = Path(__file__).resolve().parents[1] / "data" / "design"
WHEN = datetime(2026, 1, 5, 22, 30)


def served(name: str) -> list[Table]:
    """The tables of a model file as a server describes them (no facets, no sample items,
    no declared attributes, an empty tuple of local indexes)."""
    model = parse_model((DATA / name).read_text())[0]
    return [
        dataclasses.replace(
            t, attributes=(), facets=(), items=(), local_indexes=t.local_indexes or ()
        )
        for t in model.tables
    ]


def test_exported_tables_read_back_as_the_same_tables() -> None:
    model = parse_model((DATA / "shop.json").read_text())[0]
    tables = served("shop.json")
    document, warnings = workbench_model(
        [(t, list(m.sample_items())) for t, m in zip(tables, model.tables, strict=True)],
        "Shop",
        WHEN,
    )
    assert warnings == []
    assert document["ModelMetadata"] == {
        "Author": "",
        "DateCreated": "Jan 05, 2026, 10:30 PM",
        "DateLastModified": "Jan 05, 2026, 10:30 PM",
        "Description": "Exported by opendynamo design export",
        "AWSService": "Amazon DynamoDB",
        "Version": "3.0",
    }
    again, problems = read_model(json.loads(json.dumps(document)))
    assert again is not None and problems == []
    for exported, table in zip(again.tables, tables, strict=True):
        assert table_plan(exported, table) == Plan()
    shop = document["DataModel"][0]
    assert [a["AttributeName"] for a in shop["NonKeyAttributes"]] == [
        "GSI1PK", "GSI1SK", "GSI2PK", "address", "email", "lines", "name", "price", "status",
        "tags", "thumbnail", "total",
    ]  # fmt: skip
    assert list(shop["TableData"][0]) == [
        "PK",
        "SK",
        "GSI1PK",
        "GSI1SK",
        "address",
        "email",
        "name",
    ]
    audit = document["DataModel"][1]
    assert audit["BillingMode"] == "PROVISIONED"
    assert audit["ProvisionedCapacitySettings"] == {
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}
    }
    assert shop["TableFacets"] == [] and shop["DataAccess"] == {"MySql": {}}


def test_an_attribute_seen_with_two_types_gets_the_first() -> None:
    (table,) = served("devices_v1.json")
    items: list[dict[str, Any]] = [
        {"device": {"S": "d#1"}, "at": {"S": "1"}, "level": {"N": "3"}},
        {"device": {"S": "d#1"}, "at": {"S": "2"}, "level": {"S": "high"}},
        {"device": {"S": "d#1"}, "at": {"S": "3"}, "level": {"SS": ["a"]}},
    ]
    document, warnings = workbench_table(table, items)
    assert document["NonKeyAttributes"] == [{"AttributeName": "level", "AttributeType": "N"}]
    assert warnings == [
        "table device-log: attribute level is N in one sample item and S in another; the "
        "model says N"
    ]


def test_what_a_workbench_model_cannot_hold_is_left_out_with_a_warning() -> None:
    (orders,) = served("orders_cfn.json")
    multi = Index(
        "by-region-city",
        (Attribute("region", "S"), Attribute("city", "S")),
        (),
        Projection("ALL"),
        Throughput(4, 2),
    )
    table = dataclasses.replace(orders, global_indexes=(*orders.global_indexes, multi))
    document, warnings = workbench_table(table, [])
    assert [i["IndexName"] for i in document["GlobalSecondaryIndexes"]] == ["by-status"]
    assert warnings == [
        "table orders: local secondary indexes (by-placed) are left out (a Workbench model "
        "cannot hold them)",
        "table orders: index by-status has throughput 2 read, 1 write, the table 4 read, 2 "
        "write; a Workbench model gives its indexes the table's",
        "table orders: index by-region-city is left out (a Workbench model cannot hold a "
        "multi-attribute key)",
    ]
    # the index keys are declared, typed by their definitions
    assert document["NonKeyAttributes"] == [
        {"AttributeName": "placed", "AttributeType": "N"},
        {"AttributeName": "status", "AttributeType": "S"},
    ]


def test_binary_values_are_bytes_for_boto3_and_base64_in_files() -> None:
    item = {
        "pk": {"B": "AAEC"},
        "set": {"BS": ["AQ==", "Ag=="]},
        "nested": {"M": {"b": {"B": "/w=="}, "list": {"L": [{"B": "AA=="}, {"S": "B"}]}}},
        "B": {"S": "an attribute named B"},
    }
    wire = to_wire(item)
    assert wire == {
        "pk": {"B": b"\x00\x01\x02"},
        "set": {"BS": [b"\x01", b"\x02"]},
        "nested": {"M": {"b": {"B": b"\xff"}, "list": {"L": [{"B": b"\x00"}, {"S": "B"}]}}},
        "B": {"S": "an attribute named B"},
    }
    assert from_wire(wire) == item
