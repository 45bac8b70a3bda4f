"""Reading model files (opendynamo/design: workbench, cloudformation, reading): the shapes
of NoSQL Workbench models 1.0, 2.0 and 3.0 and of a CloudFormation template become one
description of tables, and every problem of a file is reported at its JSON path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from opendynamo.design.model import (
    Attribute,
    Index,
    Model,
    ModelError,
    Problem,
    Projection,
    Throughput,
    child,
    is_value,
)
from opendynamo.design.reading import parse_model, read_model

DATA = Path(__file__).resolve().parents[1] / "data" / "design"


def document(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())  # type: ignore[no-any-return]


def read(name: str) -> tuple[Model, list[Problem]]:
    return parse_model((DATA / name).read_text())


def problems_of(name: str, change: Callable[[dict[str, Any]], object]) -> list[str]:
    """The problems (as printed) of a model file after `change` edits it."""
    edited = copy.deepcopy(document(name))
    change(edited)
    return [str(problem) for problem in read_model(edited)[1]]


def test_a_single_table_design_of_workbench_3() -> None:
    model, warnings = read("shop.json")
    assert warnings == []
    assert model.name == "Shop"
    assert model.source == "NoSQL Workbench model 3.0"
    shop, audit = model.tables
    assert (shop.name, shop.partition_key, shop.sort_key) == (
        "shop",
        Attribute("PK", "S"),
        Attribute("SK", "S"),
    )
    assert shop.billing_mode == "PAY_PER_REQUEST" and shop.throughput is None
    gsi1, gsi2 = shop.global_indexes
    assert gsi1 == Index(
        "gsi1", (Attribute("GSI1PK", "S"),), (Attribute("GSI1SK", "S"),), Projection("ALL")
    )
    # gsi2's partition key has no type beside it: NonKeyAttributes gives it
    assert gsi2.partition_key == (Attribute("GSI2PK", "S"),)
    assert gsi2.sort_key == (Attribute("price", "N"),)
    assert gsi2.projection == Projection("INCLUDE", ("name", "tags"))
    assert shop.local_indexes is None  # a Workbench model cannot say
    assert [f.name for f in shop.facets] == ["User", "Order", "Product"]
    assert (shop.facets[1].partition_key_alias, shop.facets[1].sort_key_alias) == (
        "USER#<userId>",
        "ORDER#<orderId>",
    )
    assert len(shop.sample_items()) == 6
    assert shop.attribute_definitions() == [
        {"AttributeName": "PK", "AttributeType": "S"},
        {"AttributeName": "SK", "AttributeType": "S"},
        {"AttributeName": "GSI1PK", "AttributeType": "S"},
        {"AttributeName": "GSI1SK", "AttributeType": "S"},
        {"AttributeName": "GSI2PK", "AttributeType": "S"},
        {"AttributeName": "price", "AttributeType": "N"},
    ]


def test_provisioned_indexes_get_the_tables_throughput() -> None:
    """A Workbench model has no capacity of its own for an index: it gets the table's."""
    audit = read("shop.json")[0].tables[1]
    assert audit.billing_mode == "PROVISIONED"
    assert audit.throughput == Throughput(5, 3)
    (by_day,) = audit.global_indexes
    assert by_day.throughput == Throughput(5, 3)
    assert by_day.sort_key == () and by_day.projection == Projection("KEYS_ONLY")


def test_a_workbench_2_model_keeps_its_items_on_the_facets() -> None:
    model, warnings = read("library_v2.json")
    assert warnings == []
    assert model.source == "NoSQL Workbench model 2.0"
    (library,) = model.tables
    assert library.billing_mode is None  # 2.0 had no billing: the model does not say
    assert library.items == ()
    assert [len(f.items) for f in library.facets] == [2, 1]
    assert [item["sk"]["S"] for item in library.sample_items()] == [
        "METADATA",
        "METADATA",
        "LOAN#2021-04-01",
    ]


def test_a_workbench_1_model_without_indexes_or_facets() -> None:
    model, warnings = read("devices_v1.json")
    assert warnings == []
    assert model.source == "NoSQL Workbench model 1.0"
    (log,) = model.tables
    assert log.global_indexes == () and log.facets == ()
    assert len(log.items) == 2


def test_a_cloudformation_template_with_a_local_index() -> None:
    model, warnings = read("orders_cfn.json")
    assert [str(w) for w in warnings] == [
        "warning: $.Resources.OrdersTable.Properties: not applied by opendynamo design: "
        "StreamSpecification, Tags"
    ]
    assert model.source == "CloudFormation template"
    (orders,) = model.tables  # the SNS topic is not a table
    assert orders.billing_mode == "PROVISIONED"
    assert orders.throughput == Throughput(4, 2)  # capacities written as strings
    (by_status,) = orders.global_indexes
    assert by_status.throughput == Throughput(2, 1)
    assert orders.local_indexes == (
        Index(
            "by-placed",
            (Attribute("customer", "S"),),
            (Attribute("placed", "N"),),
            Projection("INCLUDE", ("total",)),
        ),
    )


def _gsi(model: dict[str, Any], position: int = 1) -> dict[str, Any]:
    return model["DataModel"][0]["GlobalSecondaryIndexes"][position]  # type: ignore[no-any-return]


def _item(model: dict[str, Any], position: int) -> dict[str, Any]:
    return model["DataModel"][0]["TableData"][position]  # type: ignore[no-any-return]


def _drop_gsi2pk(model: dict[str, Any]) -> None:
    table = model["DataModel"][0]
    table["NonKeyAttributes"] = [
        a for a in table["NonKeyAttributes"] if a["AttributeName"] != "GSI2PK"
    ]
    for facet in table["TableFacets"]:
        facet["NonKeyAttributes"] = [n for n in facet["NonKeyAttributes"] if n != "GSI2PK"]
    for item in table["TableData"]:
        item.pop("GSI2PK", None)


WORKBENCH_ERRORS = [
    (
        _drop_gsi2pk,
        '$.DataModel[0].GlobalSecondaryIndexes[1].KeyAttributes.PartitionKey: attribute "GSI2PK" '
        "has no type in KeyAttributes or NonKeyAttributes",
    ),
    (
        lambda m: _gsi(m)["KeyAttributes"]["SortKey"].update(AttributeType="S"),
        '$.DataModel[0].GlobalSecondaryIndexes[1].KeyAttributes.SortKey: attribute "price" is '
        "S here but N in NonKeyAttributes",
    ),
    (
        lambda m: _gsi(m, 0)["KeyAttributes"]["PartitionKey"].update(AttributeType="BOOL"),
        "$.DataModel[0].GlobalSecondaryIndexes[0].KeyAttributes.PartitionKey: attribute "
        '"GSI1PK" is BOOL here but S in NonKeyAttributes',
    ),
    (
        lambda m: (
            m["DataModel"][0]["NonKeyAttributes"].append(
                {"AttributeName": "flag", "AttributeType": "BOOL"}
            )
            or _gsi(m)["KeyAttributes"].update(PartitionKey={"AttributeName": "flag"})
        ),
        "$.DataModel[0].GlobalSecondaryIndexes[1].KeyAttributes.PartitionKey: attribute "
        '"flag" is BOOL; a key attribute must be S, N or B',
    ),
    (
        lambda m: m["DataModel"][0]["TableFacets"][1]["NonKeyAttributes"].append("totl"),
        '$.DataModel[0].TableFacets[1].NonKeyAttributes[5]: "totl" is not one of the '
        "table's NonKeyAttributes",
    ),
    (
        lambda m: m["DataModel"][1]["TableFacets"].append(
            {"FacetName": "User", "KeyAttributeAlias": {"PartitionKeyAlias": "ENTITY"}}
        ),
        "$.DataModel[1].TableFacets[0].FacetName: facet name 'User' is used twice (first at "
        "$.DataModel[0].TableFacets[0].FacetName)",
    ),
    (
        lambda m: m["DataModel"][0]["TableFacets"][0].pop("KeyAttributeAlias"),
        '$.DataModel[0].TableFacets[0]: "KeyAttributeAlias" is missing',
    ),
    (
        lambda m: _item(m, 2).pop("SK"),
        '$.DataModel[0].TableData[2]: the sort key "SK" is missing',
    ),
    (
        lambda m: _item(m, 0).update(PK={"N": "1"}),
        '$.DataModel[0].TableData[0].PK: the partition key "PK" is N here but S in KeyAttributes',
    ),
    (
        lambda m: _item(m, 4).update(price={"S": "cheap"}),
        '$.DataModel[0].TableData[4].price: "price" is S here but index "gsi2" keys it as N',
    ),
    (
        lambda m: _item(m, 1).update(name="Bob"),
        "$.DataModel[0].TableData[1].name: not a DynamoDB JSON value (one type and its value, "
        'like {"S": "text"})',
    ),
    (
        lambda m: m["ModelMetadata"].update(Version="4.0"),
        '$.ModelMetadata.Version: version "4.0" is not one opendynamo reads (1.0, 2.0, 3.0)',
    ),
    (
        lambda m: m["DataModel"][1].pop("ProvisionedCapacitySettings"),
        '$.DataModel[1]: "ProvisionedCapacitySettings" is missing',
    ),
    (
        lambda m: m["DataModel"][1]["ProvisionedCapacitySettings"]["ProvisionedThroughput"].update(
            ReadCapacityUnits=0
        ),
        "$.DataModel[1].ProvisionedCapacitySettings.ProvisionedThroughput.ReadCapacityUnits: "
        "expected a whole number of units (at least 1), not 0",
    ),
    (
        lambda m: m["DataModel"][0].update(BillingMode="ON_DEMAND"),
        "$.DataModel[0].BillingMode: 'ON_DEMAND' is not one of PROVISIONED, PAY_PER_REQUEST",
    ),
    (
        lambda m: _gsi(m)["Projection"].pop("NonKeyAttributes"),
        "$.DataModel[0].GlobalSecondaryIndexes[1].Projection: an INCLUDE projection lists the "
        'attributes it includes in "NonKeyAttributes"',
    ),
    (
        lambda m: _gsi(m).update(IndexName="gsi1"),
        "$.DataModel[0].GlobalSecondaryIndexes[1].IndexName: index name 'gsi1' is used twice "
        "(first at $.DataModel[0].GlobalSecondaryIndexes[0].IndexName)",
    ),
    (
        lambda m: m["DataModel"][1].update(TableName="shop"),
        "$.DataModel[1].TableName: table name 'shop' is used twice (first at "
        "$.DataModel[0].TableName)",
    ),
    (
        lambda m: m["DataModel"][0].update(TableName="s"),
        "$.DataModel[0].TableName: table name 's' must be 3 to 255 characters of a-z, A-Z, "
        "0-9, '_', '-' and '.'",
    ),
    (
        lambda m: m["DataModel"][0]["KeyAttributes"]["PartitionKey"].pop("AttributeType"),
        '$.DataModel[0].KeyAttributes.PartitionKey: "AttributeType" is missing',
    ),
]


@pytest.mark.parametrize("change, message", WORKBENCH_ERRORS)
def test_workbench_errors_name_their_json_path(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    assert message in problems_of("shop.json", change)


def test_a_sort_key_alias_on_a_table_without_a_sort_key() -> None:
    def alias(model: dict[str, Any]) -> None:
        table = model["DataModel"][0]
        table["KeyAttributes"].pop("SortKey")
        for item in table["TableData"]:
            item.pop("at")
        table["TableFacets"] = [
            {
                "FacetName": "Reading",
                "KeyAttributeAlias": {"PartitionKeyAlias": "DEVICE#<id>", "SortKeyAlias": "AT"},
                "NonKeyAttributes": ["state"],
            }
        ]

    assert problems_of("devices_v1.json", alias) == [
        '$.DataModel[0].TableFacets[0].KeyAttributeAlias.SortKeyAlias: alias "AT" names the '
        'sort key, but table "device-log" has no sort key',
        # without its sort key the two readings share a key
        "warning: $.DataModel[0].TableData[1]: same key as $.DataModel[0].TableData[0]; "
        "loading keeps the later item",
    ]


def test_sample_data_warnings_do_not_stop_a_model() -> None:
    """Workbench wants every attribute declared with one type: the items that disagree are
    reported, and still loaded (the server is the judge of an item)."""
    edited = document("library_v2.json")
    facet = edited["DataModel"][0]["TableFacets"][0]
    facet["TableData"][0]["copies"] = {"S": "three"}
    facet["TableData"][1]["isbn13"] = {"S": "9780140449136"}
    model, problems = read_model(edited)
    assert model is not None
    assert [str(p) for p in problems] == [
        'warning: $.DataModel[0].TableFacets[0].TableData[0].copies: "copies" is S here but N '
        "in NonKeyAttributes",
        'warning: $.DataModel[0].TableFacets[0].TableData[1].isbn13: attribute "isbn13" is '
        "not in the table's NonKeyAttributes",
    ]


def _properties(model: dict[str, Any]) -> dict[str, Any]:
    return model["Resources"]["OrdersTable"]["Properties"]  # type: ignore[no-any-return]


CLOUDFORMATION_ERRORS = [
    (
        lambda m: _properties(m)["GlobalSecondaryIndexes"][0]["KeySchema"][0].update(
            AttributeName="state"
        ),
        "$.Resources.OrdersTable.Properties.GlobalSecondaryIndexes[0].KeySchema[0]: attribute "
        '"state" is not in AttributeDefinitions',
    ),
    (
        lambda m: _properties(m).update(TableName={"Fn::Sub": "${AWS::StackName}-orders"}),
        "$.Resources.OrdersTable.Properties.TableName: an intrinsic function is not "
        "evaluated: write the table's name as a string",
    ),
    (
        lambda m: _properties(m)["AttributeDefinitions"].append(
            {"AttributeName": "total", "AttributeType": "N"}
        ),
        '$.Resources.OrdersTable.Properties.AttributeDefinitions: attribute "total" is defined '
        "but no key uses it (CreateTable refuses that)",
    ),
    (
        lambda m: _properties(m)["GlobalSecondaryIndexes"][0].pop("ProvisionedThroughput"),
        '$.Resources.OrdersTable.Properties.GlobalSecondaryIndexes[0]: "ProvisionedThroughput" '
        "is missing",
    ),
    (
        lambda m: _properties(m).update(BillingMode="PAY_PER_REQUEST"),
        "$.Resources.OrdersTable.Properties.ProvisionedThroughput: not allowed with "
        "BillingMode PAY_PER_REQUEST",
    ),
    (
        lambda m: _properties(m)["LocalSecondaryIndexes"][0]["KeySchema"][0].update(
            AttributeName="status"
        ),
        "$.Resources.OrdersTable.Properties.LocalSecondaryIndexes[0].KeySchema: a local index "
        'is keyed by the table\'s partition key "customer" (HASH) and one sort key (RANGE)',
    ),
    (
        lambda m: m["Resources"].pop("OrdersTable"),
        "$.Resources: no AWS::DynamoDB::Table resource",
    ),
]


@pytest.mark.parametrize("change, message", CLOUDFORMATION_ERRORS)
def test_cloudformation_errors_name_their_json_path(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    assert message in problems_of("orders_cfn.json", change)


def test_a_table_without_a_name_is_called_by_its_logical_id() -> None:
    edited = document("orders_cfn.json")
    _properties(edited).pop("TableName")
    model, problems = read_model(edited)
    assert model is not None and model.tables[0].name == "OrdersTable"
    assert str(problems[0]) == (
        'warning: $.Resources.OrdersTable.Properties: no "TableName": the table is called '
        '"OrdersTable" (its logical id)'
    )


def test_files_that_are_not_models() -> None:
    with pytest.raises(ModelError) as caught:
        parse_model('{"DataModel": [}')
    assert str(caught.value) == "$: not valid JSON: Expecting value at line 1, column 16"
    with pytest.raises(ModelError) as caught:
        parse_model('{"tables": []}')
    assert str(caught.value) == (
        '$: neither a NoSQL Workbench model (it has "DataModel") nor a CloudFormation '
        'template (it has "Resources")'
    )
    with pytest.raises(ModelError) as caught:
        parse_model('{"DataModel": []}')
    assert str(caught.value) == "$.DataModel: a model needs at least one table"


def test_json_paths_quote_names_a_dotted_path_would_garble() -> None:
    assert child("$.Items[0]", "plain_name") == "$.Items[0].plain_name"
    assert child("$.Items[0]", "GSI1-PK") == '$.Items[0]["GSI1-PK"]'
    assert child("$", 'say "hi"') == '$["say \\"hi\\""]'
    assert child("$.DataModel", 2) == "$.DataModel[2]"


@pytest.mark.parametrize(
    "value, valid",
    [
        ({"S": "a"}, True),
        ({"N": "1.5"}, True),
        ({"N": 1.5}, False),
        ({"NULL": True}, True),
        ({"NULL": False}, False),
        ({"SS": ["a", "b"]}, True),
        ({"M": {"a": {"L": [{"BOOL": True}, {"B": "AAE="}]}}}, True),
        ({"M": {"a": "plain"}}, False),
        ({"S": "a", "N": "1"}, False),
        ({"X": "a"}, False),
    ],
)
def test_dynamodb_json_values(value: Any, valid: bool) -> None:
    assert is_value(value) is valid


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 5) | st.sampled_from(["", "S", "N", "x", "PK"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["S", "N", "a"]), inner, max_size=2),
    max_leaves=6,
)  # fmt: skip


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    members = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in members:
        found += _paths(value, (*path, key))
    return found


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["shop.json", "library_v2.json", "devices_v1.json", "orders_cfn.json"]),
    st.lists(st.tuples(st.integers(min_value=1), JSON, st.booleans()), min_size=1, max_size=3),
)
@example("orders_cfn.json", [(2, None, False)])  # "Resources": null (found in CI)
def test_whatever_a_file_holds_the_readers_report_and_never_raise(
    name: str, edits: list[tuple[int, Any, bool]]
) -> None:
    """Any member of a model replaced by any JSON value, or removed: problems, no exception."""
    edited = document(name)
    for position, value, remove in edits:
        paths = _paths(edited)[1:]
        *parents, key = paths[position % len(paths)]
        node = edited
        for step in parents:
            node = node[step]
        if remove and isinstance(node, dict):
            del node[key]
        else:
            node[key] = value
    model, problems = read_model(json.loads(json.dumps(edited)))
    assert model is not None or any(not problem.warning for problem in problems)
