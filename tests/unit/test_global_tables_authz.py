"""What the legacy global tables operations ask permission for (authz/dynamodb/resources):
the global table's ARN (no region) and each member table they add, remove or change, as
DynamoDB's developer guide has it ("Using IAM with global tables", 2017.11.29)."""

from __future__ import annotations

import dataclasses

from opendynamo.api.dynamodb import global_tables, tables
from opendynamo.api.request.context import Context
from opendynamo.authz.dynamodb import accesses
from opendynamo.storage.sqlite import open_store

ACCOUNT = "000000000000"
NAME = "Orders"
GLOBAL = f"arn:aws:dynamodb::{ACCOUNT}:global-table/{NAME}"


def table_arn(region: str) -> str:
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{NAME}"


def world() -> Context:
    ctx = Context(open_store(None), ACCOUNT, "us-east-1", "t", "x")
    for region in ("us-east-1", "eu-west-1", "ap-south-1"):
        tables.create_table(dataclasses.replace(ctx, region=region), {
            "TableName": NAME,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        })  # fmt: skip
    group = [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]
    global_tables.create_global_table(ctx, {"GlobalTableName": NAME, "ReplicationGroup": group})
    return ctx


def asked(
    ctx: Context, operation: str, body: dict[str, object], full: bool
) -> list[tuple[str, str]]:
    return [(a.action, a.resource) for a in accesses(ctx, operation, body, full=full)]


def test_create_asks_on_the_global_table_and_each_named_table() -> None:
    ctx = world()
    body = {"GlobalTableName": NAME, "ReplicationGroup": [{"RegionName": "ap-south-1"}]}
    action = "dynamodb:CreateGlobalTable"
    for full in (True, False):
        assert asked(ctx, "CreateGlobalTable", body, full) == [
            (action, GLOBAL),
            (action, table_arn("ap-south-1")),
        ]


def test_update_asks_on_every_member_when_the_decision_reads_the_store() -> None:
    ctx = world()
    body = {"GlobalTableName": NAME, "ReplicaUpdates": [{"Create": {"RegionName": "ap-south-1"}}]}
    action = "dynamodb:UpdateGlobalTable"
    assert asked(ctx, "UpdateGlobalTable", body, True) == [
        (action, GLOBAL),
        *((action, table_arn(r)) for r in ("ap-south-1", "us-east-1", "eu-west-1")),
    ]
    # Without reading the store: what the operation is granted, the tables the request names.
    assert asked(ctx, "UpdateGlobalTable", body, False) == [
        (action, GLOBAL),
        (action, table_arn("ap-south-1")),
    ]


def test_describe_and_list_ask_on_the_global_table_or_everything() -> None:
    ctx = world()
    body = {"GlobalTableName": NAME}
    assert asked(ctx, "DescribeGlobalTable", body, True) == [
        ("dynamodb:DescribeGlobalTable", GLOBAL)
    ]
    assert asked(ctx, "ListGlobalTables", {}, True) == [("dynamodb:ListGlobalTables", "*")]
