"""The server's side: its tables read through the DynamoDB API (boto3) into the same
description a model file gives, and a plan's steps run against it, each waited for until the
table and its indexes are ACTIVE again. Credentials and region come as the AWS CLI finds them
(a profile, the environment); without any credentials, dummy ones are used, which a server
run with `--auth off` accepts."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from typing import Any

from opendynamo.design.model import (
    PAY_PER_REQUEST,
    PROVISIONED,
    Attribute,
    Index,
    Item,
    Projection,
    Table,
    Throughput,
)
from opendynamo.design.plan import LOAD_ITEMS, Step

DEFAULT_REGION = "us-east-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "opendynamo", "aws_secret_access_key": "opendynamo"}
BATCH = 25  # BatchWriteItem's limit


class DesignError(Exception):
    """A failure talking to the server, worded for the command's user."""


def connect(endpoint: str | None, profile: str | None, region: str | None) -> Any:
    """A DynamoDB client as the AWS CLI would make it: `region` or the profile's or the
    environment's region (us-east-1 when none is set)."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]
    from botocore.exceptions import ProfileNotFound  # type: ignore[import-untyped]

    try:
        session = boto3.Session(profile_name=profile)
    except ProfileNotFound as exc:
        raise DesignError(str(exc)) from None
    options: dict[str, Any] = {
        "region_name": region or session.region_name or DEFAULT_REGION,
        "endpoint_url": endpoint,
        "config": Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5),
    }
    if session.get_credentials() is None:
        options |= DUMMY_CREDENTIALS
    return session.client("dynamodb", **options)


def call(client: Any, operation: str, **request: Any) -> Any:
    """One DynamoDB call; its error (or an unreachable endpoint) becomes a DesignError
    naming the operation."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, _snake(operation))(**request)
    except (ClientError, BotoCoreError) as exc:
        raise failure(operation, exc) from None


def failure(operation: str, exc: Exception) -> DesignError:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return DesignError(f"{operation}: {error.get('Code', 'error')}: {error.get('Message', '')}")
    return DesignError(f"{operation}: {exc}")


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def list_tables(client: Any) -> list[str]:
    names: list[str] = []
    request: dict[str, Any] = {}
    while True:
        page = call(client, "ListTables", **request)
        names += page.get("TableNames", [])
        if "LastEvaluatedTableName" not in page:
            return names
        request["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]


def describe(client: Any, name: str) -> Mapping[str, Any] | None:
    """DescribeTable's Table, or None when there is no such table."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return client.describe_table(TableName=name)["Table"]  # type: ignore[no-any-return]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise failure("DescribeTable", exc) from None
    except BotoCoreError as exc:
        raise failure("DescribeTable", exc) from None


def live_tables(client: Any, names: list[str]) -> dict[str, Table | None]:
    found: dict[str, Table | None] = {}
    for name in names:
        description = describe(client, name)
        found[name] = None if description is None else table_of(description)
    return found


def table_of(description: Mapping[str, Any]) -> Table:
    """DescribeTable's answer as a `Table`. An index being deleted is already gone."""
    types = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
    partition, sort = _keys(description["KeySchema"], types)
    summary = description.get("BillingModeSummary") or {}
    mode = summary.get("BillingMode", PROVISIONED)
    indexes = [
        _index(index, types, mode)
        for index in description.get("GlobalSecondaryIndexes", [])
        if index.get("IndexStatus") != "DELETING"
    ]
    local = [_index(index, types, None) for index in description.get("LocalSecondaryIndexes", [])]
    return Table(
        description["TableName"],
        partition[0],
        sort[0] if sort else None,
        global_indexes=tuple(indexes),
        local_indexes=tuple(local),
        billing_mode=mode,
        throughput=_throughput(description, mode),
    )


def _keys(
    schema: list[Mapping[str, str]], types: Mapping[str, str]
) -> tuple[tuple[Attribute, ...], tuple[Attribute, ...]]:
    def of(kind: str) -> tuple[Attribute, ...]:
        names = [e["AttributeName"] for e in schema if e["KeyType"] == kind]
        return tuple(Attribute(name, types[name]) for name in names)

    return of("HASH"), of("RANGE")


def _index(index: Mapping[str, Any], types: Mapping[str, str], mode: str | None) -> Index:
    partition, sort = _keys(index["KeySchema"], types)
    given = index.get("Projection") or {}
    projection = Projection.of(
        given.get("ProjectionType", "ALL"), given.get("NonKeyAttributes", [])
    )
    throughput = None if mode is None else _throughput(index, mode)
    return Index(index["IndexName"], partition, sort, projection, throughput)


def _throughput(description: Mapping[str, Any], mode: str) -> Throughput | None:
    given = description.get("ProvisionedThroughput")
    if mode == PAY_PER_REQUEST or not given:
        return None
    return Throughput(int(given["ReadCapacityUnits"]), int(given["WriteCapacityUnits"]))


def execute(
    client: Any, steps: tuple[Step, ...], timeout: float, say: Callable[[str], None]
) -> None:
    """Run each step in order, waiting after each until its table and indexes are ACTIVE
    (a server allows one index creation or deletion at a time per table)."""
    for step in steps:
        say(step.summary)
        if step.action == LOAD_ITEMS:
            write_items(client, step.table, step.request["Items"])
            continue
        if step.operation != "CreateTable":
            wait_active(client, step.table, timeout)
        call(client, step.operation, **step.request)
        wait_active(client, step.table, timeout)


def wait_active(client: Any, table: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        description = describe(client, table)
        if description is not None and _settled(description):
            return
        if time.monotonic() > deadline:
            raise DesignError(f"table {table} is not ACTIVE after {timeout:g} seconds")
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _settled(description: Mapping[str, Any]) -> bool:
    indexes = description.get("GlobalSecondaryIndexes", [])
    return description.get("TableStatus") == "ACTIVE" and all(
        index.get("IndexStatus") == "ACTIVE" and not index.get("Backfilling") for index in indexes
    )


def write_items(client: Any, table: str, items: list[Item], attempts: int = 8) -> None:
    """Put the items with BatchWriteItem, 25 at a time, sending again what the server left
    unprocessed (with a growing pause) until it is all written."""
    for start in range(0, len(items), BATCH):
        pending = {
            table: [
                {"PutRequest": {"Item": to_wire(item)}} for item in items[start : start + BATCH]
            ]
        }
        for attempt in range(attempts):
            pending = (
                call(client, "BatchWriteItem", RequestItems=pending).get("UnprocessedItems") or {}
            )
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 2.0))
        else:
            raise DesignError(
                f"BatchWriteItem: items of {table} still unprocessed after {attempts} attempts"
            )


def sample_items(client: Any, table: str, limit: int) -> list[Item]:
    """Up to `limit` items of the table (one Scan page), as DynamoDB JSON."""
    if limit <= 0:
        return []
    items = call(client, "Scan", TableName=table, Limit=limit).get("Items", [])
    return [from_wire(item) for item in items]


def to_wire(item: Item) -> dict[str, Any]:
    """An item as boto3 takes it: binary values as bytes (in a file they are base64 text,
    which boto3 would encode a second time)."""
    return _item(item, base64.b64decode)


def from_wire(item: Item) -> dict[str, Any]:
    """An item boto3 returned, as DynamoDB JSON: binary values as base64 text."""
    return _item(item, lambda raw: base64.b64encode(raw).decode("ascii"))


def _item(item: Item, binary: Callable[[Any], Any]) -> dict[str, Any]:
    return {name: _value(value, binary) for name, value in item.items()}


def _value(value: Mapping[str, Any], binary: Callable[[Any], Any]) -> Mapping[str, Any]:
    ((tag, inner),) = value.items()
    if tag == "B":
        return {"B": binary(inner)}
    if tag == "BS":
        return {"BS": [binary(member) for member in inner]}
    if tag == "M":
        return {"M": _item(inner, binary)}
    if tag == "L":
        return {"L": [_value(member, binary) for member in inner]}
    return value
