"""Planning (opendynamo/design/plan): a model compared with what a server has becomes the
DynamoDB requests that make them equal, or refusals naming the table and attribute of what
cannot change in place; computed without a server."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from opendynamo.design.live import table_of
from opendynamo.design.model import (
    Attribute,
    Index,
    Model,
    Projection,
    Table,
    Throughput,
)
from opendynamo.design.plan import (
    CREATE_INDEX,
    DELETE_INDEX,
    UPDATE_INDEX,
    UPDATE_TABLE,
    Plan,
    load_items,
    plan,
    table_plan,
)
from opendynamo.design.reading import parse_model

DATA = Path(__file__).resolve().parents[1] / "data" / "design"


def model(name: str) -> Model:
    return parse_model((DATA / name).read_text())[0]


def shop() -> Table:
    return model("shop.json").tables[0]


def audit() -> Table:
    return model("shop.json").tables[1]


def on_server(table: Table, **changes: Any) -> Table:
    """The table as a server would describe it after the model was applied (every table has
    its local indexes, none for a Workbench model), changed as given."""
    served: dict[str, Any] = {"local_indexes": table.local_indexes or (), "facets": ()}
    return dataclasses.replace(table, **(served | {"attributes": ()} | changes))


def test_missing_tables_are_created_with_their_indexes() -> None:
    found = plan(model("shop.json"), {"shop": None, "shop-audit": None})
    assert found.lines() == [
        "+ create table shop: PK (S), SK (S); PAY_PER_REQUEST; 2 global indexes (gsi1, gsi2)",
        "+ create table shop-audit: entity (S), at (N); PROVISIONED (5 read, 3 write); "
        "1 global index (by-day)",
    ]
    assert found.steps[1].operation == "CreateTable"
    assert found.steps[1].request == {
        "TableName": "shop-audit",
        "KeySchema": [
            {"AttributeName": "entity", "KeyType": "HASH"},
            {"AttributeName": "at", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "entity", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
            {"AttributeName": "day", "AttributeType": "N"},
        ],
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-day",
                "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
            }
        ],
    }
    assert "ProvisionedThroughput" not in found.steps[0].request
    assert found.steps[0].request["GlobalSecondaryIndexes"][1]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["name", "tags"],
    }


def test_a_model_without_billing_creates_on_demand_tables() -> None:
    (step,) = plan(model("library_v2.json"), {}).steps
    assert step.request["BillingMode"] == "PAY_PER_REQUEST"


def test_a_cloudformation_table_is_created_with_its_local_index() -> None:
    (step,) = plan(model("orders_cfn.json"), {}).steps
    assert step.request["LocalSecondaryIndexes"] == [
        {
            "IndexName": "by-placed",
            "KeySchema": [
                {"AttributeName": "customer", "KeyType": "HASH"},
                {"AttributeName": "placed", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]},
        }
    ]
    gsi = step.request["GlobalSecondaryIndexes"][0]
    assert gsi["ProvisionedThroughput"] == {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1}


def test_tables_as_the_model_describes_them_need_nothing() -> None:
    found = plan(model("shop.json"), {"shop": on_server(shop()), "shop-audit": on_server(audit())})
    assert found == Plan() and not found.drift


def test_a_missing_global_index_is_added() -> None:
    wanted = shop()
    current = on_server(wanted, global_indexes=wanted.global_indexes[:1])
    found = table_plan(wanted, current)
    assert found.lines() == [
        "+ add index gsi2 to shop: GSI2PK (S), price (N); projection INCLUDE (name, tags)"
    ]
    (step,) = found.steps
    assert (step.action, step.operation) == (CREATE_INDEX, "UpdateTable")
    assert step.request == {
        "TableName": "shop",
        "AttributeDefinitions": [
            {"AttributeName": "GSI2PK", "AttributeType": "S"},
            {"AttributeName": "price", "AttributeType": "N"},
        ],
        "GlobalSecondaryIndexUpdates": [
            {
                "Create": {
                    "IndexName": "gsi2",
                    "KeySchema": [
                        {"AttributeName": "GSI2PK", "KeyType": "HASH"},
                        {"AttributeName": "price", "KeyType": "RANGE"},
                    ],
                    "Projection": {
                        "ProjectionType": "INCLUDE",
                        "NonKeyAttributes": ["name", "tags"],
                    },
                }
            }
        ],
    }


def test_an_index_added_to_a_provisioned_table_gets_throughput() -> None:
    wanted = audit()
    (step,) = table_plan(wanted, on_server(wanted, global_indexes=())).steps
    create = step.request["GlobalSecondaryIndexUpdates"][0]["Create"]
    assert create["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}


def test_capacity_changes_of_the_table_and_of_its_indexes() -> None:
    wanted = audit()
    index = dataclasses.replace(wanted.global_indexes[0], throughput=Throughput(1, 1))
    current = on_server(wanted, throughput=Throughput(1, 1), global_indexes=(index,))
    found = table_plan(wanted, current)
    assert found.lines() == [
        "~ change the throughput of shop-audit to 5 read, 3 write (from 1 read, 1 write)",
        "~ change the throughput of index by-day of shop-audit to 5 read, 3 write (from 1 read, "
        "1 write)",
    ]
    assert [step.action for step in found.steps] == [UPDATE_TABLE, UPDATE_INDEX]
    assert found.steps[0].request == {
        "TableName": "shop-audit",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
    }
    assert found.steps[1].request == {
        "TableName": "shop-audit",
        "GlobalSecondaryIndexUpdates": [
            {
                "Update": {
                    "IndexName": "by-day",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
                }
            }
        ],
    }


def test_billing_mode_switches_both_ways() -> None:
    wanted = audit()
    on_demand_index = dataclasses.replace(wanted.global_indexes[0], throughput=None)
    current = on_server(
        wanted, billing_mode="PAY_PER_REQUEST", throughput=None, global_indexes=(on_demand_index,)
    )
    (step,) = table_plan(wanted, current).steps
    assert step.summary == "switch shop-audit to PROVISIONED (5 read, 3 write) from PAY_PER_REQUEST"
    # DynamoDB wants every index's throughput in the same request
    assert step.request == {
        "TableName": "shop-audit",
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
        "GlobalSecondaryIndexUpdates": [
            {
                "Update": {
                    "IndexName": "by-day",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
                }
            }
        ],
    }
    back = table_plan(current, on_server(wanted))
    assert back.lines() == [
        "~ switch shop-audit to PAY_PER_REQUEST (from PROVISIONED: 5 read, 3 write)"
    ]
    assert back.steps[0].request == {"TableName": "shop-audit", "BillingMode": "PAY_PER_REQUEST"}


def test_a_model_that_says_nothing_of_billing_leaves_it_alone() -> None:
    (wanted,) = model("library_v2.json").tables
    current = on_server(
        wanted,
        billing_mode="PROVISIONED",
        throughput=Throughput(7, 7),
        global_indexes=tuple(
            dataclasses.replace(i, throughput=Throughput(7, 7)) for i in wanted.global_indexes
        ),
    )
    assert table_plan(wanted, current) == Plan()


def test_a_key_schema_change_is_refused_naming_the_table_and_attribute() -> None:
    wanted = shop()
    current = on_server(wanted, partition_key=Attribute("pk", "S"), sort_key=None)
    found = table_plan(wanted, current)
    assert found.refused == (
        "table shop: its partition key is PK (S) in the model but pk (S) on the server; a "
        "table's key schema cannot change in place",
        "table shop: its sort key is SK (S) in the model but none on the server; a table's key "
        "schema cannot change in place",
    )
    assert found.drift
    assert found.lines()[0].startswith("! table shop: its partition key is PK (S)")


def test_an_index_whose_keys_or_projection_differ_is_refused() -> None:
    wanted = shop()
    gsi1, gsi2 = wanted.global_indexes
    changed = (
        dataclasses.replace(gsi1, sort_key=(Attribute("GSI1SK", "N"),)),
        dataclasses.replace(gsi2, projection=Projection("ALL")),
    )
    found = table_plan(wanted, on_server(wanted, global_indexes=changed))
    assert found.refused == (
        "table shop, index gsi1: its sort key is GSI1SK (S) in the model but GSI1SK (N) on the "
        "server; an index's keys cannot change in place (remove it from the model and apply "
        "with --prune-indexes, then add it back)",
        "table shop, index gsi2: its projection is INCLUDE (name, tags) in the model but ALL on "
        "the server; an index's projection cannot change in place (remove it from the model "
        "and apply with --prune-indexes, then add it back)",
    )


def test_a_new_index_may_not_retype_an_attribute_another_key_uses() -> None:
    wanted = shop()
    other = Index("by-price", (Attribute("price", "S"),), (), Projection("ALL"))
    current = on_server(wanted, global_indexes=(other, *wanted.global_indexes[:1]))
    found = table_plan(wanted, current)
    assert (
        "table shop, index gsi2: attribute price is N in the model but S on the server, where "
        "another key uses it; a key attribute has one type in a table"
    ) in found.refused


def test_local_index_differences_are_refused() -> None:
    (wanted,) = model("orders_cfn.json").tables
    found = table_plan(wanted, on_server(wanted, local_indexes=()))
    assert found.refused == (
        "table orders: local index by-placed is in the model but not on the server; local "
        "secondary indexes are made with their table and cannot be added or removed",
    )
    assert wanted.local_indexes is not None
    other = dataclasses.replace(wanted.local_indexes[0], projection=Projection("KEYS_ONLY"))
    found = table_plan(wanted, on_server(wanted, local_indexes=(other,)))
    assert found.refused == (
        "table orders, local index by-placed: its projection is INCLUDE (total) in the model "
        "but KEYS_ONLY on the server; an index's projection cannot change",
    )


def test_a_workbench_model_says_nothing_of_local_indexes() -> None:
    wanted = shop()
    lsi = Index("by-email", (wanted.partition_key,), (Attribute("email", "S"),), Projection())
    assert table_plan(wanted, on_server(wanted, local_indexes=(lsi,))) == Plan()


def test_an_index_only_on_the_server_is_kept_unless_pruning() -> None:
    wanted = shop()
    extra = Index("legacy", (Attribute("old", "S"),), (), Projection("KEYS_ONLY"))
    current = on_server(wanted, global_indexes=(*wanted.global_indexes, extra))
    kept = table_plan(wanted, current)
    assert kept.steps == () and kept.drift
    assert kept.lines() == [
        "= index legacy of shop is on the server but not in the model (kept; --prune-indexes "
        "deletes it)"
    ]
    pruned = table_plan(wanted, current, prune_indexes=True)
    (step,) = pruned.steps
    assert (step.action, step.summary) == (DELETE_INDEX, "delete index legacy of shop")
    assert step.request == {
        "TableName": "shop",
        "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "legacy"}}],
    }


def test_sample_items_come_from_the_table_and_its_facets_each_key_once() -> None:
    library = model("library_v2.json")
    (step,) = load_items(library)
    assert step.summary == "load 3 sample items into library"
    assert len(step.request["Items"]) == 3
    (table,) = library.tables
    first = dict(table.facets[0].items[0])
    again = first | {"copies": {"N": "9"}}
    facet = dataclasses.replace(table.facets[0], items=(*table.facets[0].items, again))
    twice = dataclasses.replace(table, facets=(facet, *table.facets[1:]))
    (step,) = load_items(Model("", "", (twice,)))
    items = step.request["Items"]
    assert len(items) == 3 and again in items and first not in items
    assert not Plan(load_items(library)).drift  # loading items is no difference


DESCRIPTION = {
    "TableName": "orders",
    "AttributeDefinitions": [
        {"AttributeName": "customer", "AttributeType": "S"},
        {"AttributeName": "order", "AttributeType": "S"},
        {"AttributeName": "placed", "AttributeType": "N"},
        {"AttributeName": "status", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "customer", "KeyType": "HASH"},
        {"AttributeName": "order", "KeyType": "RANGE"},
    ],
    "TableStatus": "ACTIVE",
    "ProvisionedThroughput": {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 4,
        "WriteCapacityUnits": 2,
    },
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-status",
            "KeySchema": [
                {"AttributeName": "status", "KeyType": "HASH"},
                {"AttributeName": "placed", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            "IndexStatus": "ACTIVE",
            "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1},
        },
        {
            "IndexName": "going",
            "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "IndexStatus": "DELETING",
        },
    ],
    "LocalSecondaryIndexes": [
        {
            "IndexName": "by-placed",
            "KeySchema": [
                {"AttributeName": "customer", "KeyType": "HASH"},
                {"AttributeName": "placed", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]},
        }
    ],
}


def test_describe_table_becomes_the_same_description_as_the_model() -> None:
    """A table DescribeTable describes (no BillingModeSummary: PROVISIONED, as DynamoDB
    means it) compares equal to the template that made it; an index being deleted is gone."""
    (wanted,) = model("orders_cfn.json").tables
    current = table_of(DESCRIPTION)
    assert current == dataclasses.replace(wanted, attributes=())
    assert table_plan(wanted, current) == Plan()
    on_demand = DESCRIPTION | {"BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}
    described = table_of(on_demand)
    assert described.billing_mode == "PAY_PER_REQUEST" and described.throughput is None
    assert described.global_indexes[0].throughput is None
