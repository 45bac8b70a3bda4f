"""The control plane, through the wire: CreateTable, DescribeTable, ListTables, UpdateTable,
DeleteTable, DescribeLimits, DescribeEndpoints and the tag operations.

DynamoDB behaviour pinned here (messages from dynalite's test suite, recorded against live
DynamoDB, and from AWS's API reference):
- CreateTable answers the TableDescription with TableStatus CREATING; DescribeTable then shows
  ACTIVE, `TableArn` `arn:aws:dynamodb:<region>:<account>:table/<name>`, a UUID `TableId`,
  `ProvisionedThroughput` with `NumberOfDecreasesToday` (0/0 for PAY_PER_REQUEST, which also
  carries a `BillingModeSummary`), and the stored stream, SSE, table class, deletion protection.
- Request validation runs before any lookup: table names of 3-255 characters matching
  `[a-zA-Z0-9_.-]+`; KeySchema/AttributeDefinitions shape rules in DynamoDB's order; billing mode
  and throughput combinations; constraint failures reported as "N validation error(s) detected".
- CreateTable on an existing name is ResourceInUseException; DescribeTable/DeleteTable of a
  missing table is ResourceNotFoundException "Requested resource not found: Table: <name> not
  found"; DeleteTable answers DELETING and refuses a deletion-protected table.
- ListTables lists names in order, `Limit` 1-100, `ExclusiveStartTableName` exclusive,
  `LastEvaluatedTableName` when more names follow.
- UpdateTable needs at least one change; an unchanged throughput is an error.
- Tags are per table ARN; bad ARNs are ValidationException, missing tables
  ResourceNotFoundException.
- Regions are separate namespaces.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import REGION, Server, error_of, unique_name
from tests.wire.http import signed_call

ACCOUNT = "000000000000"
VALIDATION = "ValidationException"
NAME_LENGTH = "TableName must be at least 3 characters long and at most 255 characters long"
NAME_PATTERN = (
    "1 validation error detected: Value '{}' at 'tableName' failed to satisfy constraint: "
    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
)
PPR_WITH_THROUGHPUT = (
    "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
    "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
)
PROVISIONED_WITHOUT_THROUGHPUT = (
    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must "
    "both be specified when BillingMode is PROVISIONED"
)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STREAM_LABEL_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}")
ONE_ONE = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
WAIT = {"Delay": 1, "MaxAttempts": 5}


# --------------------------------------------------------------------------- helpers


def arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"


def hash_table(name: str, **extra: Any) -> dict[str, Any]:
    """CreateTable parameters for a table with a string hash key `a`."""
    params: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        "ProvisionedThroughput": dict(ONE_ONE),
    }
    params.update(extra)
    return params


def raw_call(
    server: Server, operation: str, body: dict[str, Any], region: str = REGION
) -> tuple[int, dict[str, Any]]:
    """A SigV4-signed request that bypasses botocore's client-side parameter validation, for
    inputs boto3 refuses to send (missing required members, values below a model minimum)."""
    reply = signed_call(server, operation, body, region=region)
    return reply.status, reply.json()


def raw_error(server: Server, operation: str, body: dict[str, Any]) -> tuple[str, str]:
    """(short type, message) of a raw call that must fail with HTTP 400."""
    status, reply = raw_call(server, operation, body)
    assert status == 400, reply
    return reply["__type"].rsplit("#", 1)[1], reply.get("message", reply.get("Message", ""))


def failures(message: str) -> set[str]:
    """The individual constraint failures of an aggregated ValidationException message
    (DynamoDB's order among them is not specified, so they are compared as a set)."""
    match = re.fullmatch(r"(\d+) validation errors? detected: (.*)", message, re.DOTALL)
    assert match, message
    parts = match.group(2).split("; ")
    assert int(match.group(1)) == len(parts), message
    return set(parts)


def null_at(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def create_error(ddb: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.create_table(**params)
    return error_of(excinfo)


@pytest.fixture
def created(ddb: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    """create(**params): CreateTable through boto3, the table deleted after the test (with
    deletion protection lifted first); returns the CreateTable response."""
    names: list[tuple[Any, str]] = []

    def create(client: Any = None, **params: Any) -> dict[str, Any]:
        client = client or ddb
        reply = client.create_table(**params)
        names.append((client, params["TableName"]))
        return reply  # type: ignore[no-any-return]

    yield create
    for client, name in names:
        try:
            client.update_table(TableName=name, DeletionProtectionEnabled=False)
        except client.exceptions.ClientError:
            pass
        try:
            client.delete_table(TableName=name)
        except client.exceptions.ClientError:
            pass


def fresh_region() -> str:
    """A region nobody else uses, so ListTables sees only this test's tables."""
    return f"test-{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------- CreateTable


def test_create_hash_only_table_answers_creating_description(ddb: Any, created: Any) -> None:
    name = unique_name()
    before = time.time()
    desc = created(**hash_table(name))["TableDescription"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] == "CREATING"
    assert desc["KeySchema"] == [{"AttributeName": "a", "KeyType": "HASH"}]
    assert desc["AttributeDefinitions"] == [{"AttributeName": "a", "AttributeType": "S"}]
    assert desc["ProvisionedThroughput"] == {**ONE_ONE, "NumberOfDecreasesToday": 0}
    assert desc["ItemCount"] == 0
    assert desc["TableSizeBytes"] == 0
    assert desc["TableArn"] == arn(name)
    assert UUID_RE.fullmatch(desc["TableId"])
    assert before - 5 <= desc["CreationDateTime"].timestamp() <= time.time() + 5


def test_create_hash_and_range_table(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(table["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
    ]


def test_create_number_and_binary_keys_store_and_read_items(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "n", "AttributeType": "N"},
            {"AttributeName": "b", "AttributeType": "B"},
        ],
        KeySchema=[
            {"AttributeName": "n", "KeyType": "HASH"},
            {"AttributeName": "b", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    types = {
        d["AttributeName"]: d["AttributeType"]
        for d in ddb.describe_table(TableName=name)["Table"]["AttributeDefinitions"]
    }
    assert types == {"n": "N", "b": "B"}
    key = {"n": {"N": "42"}, "b": {"B": b"\x00\xff"}}
    ddb.put_item(TableName=name, Item={**key, "v": {"S": "x"}})
    assert ddb.get_item(TableName=name, Key=key)["Item"]["v"] == {"S": "x"}


def test_create_pay_per_request_describes_zero_throughput_and_billing_summary(
    ddb: Any, created: Any
) -> None:
    name = unique_name()
    before = time.time()
    created(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
        "NumberOfDecreasesToday": 0,
    }
    summary = table["BillingModeSummary"]
    assert summary["BillingMode"] == "PAY_PER_REQUEST"
    stamp = summary["LastUpdateToPayPerRequestDateTime"].timestamp()
    assert before - 5 <= stamp <= time.time() + 5


def test_create_provisioned_keeps_throughput(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(
        **hash_table(
            name,
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
        )
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 7,
        "WriteCapacityUnits": 3,
        "NumberOfDecreasesToday": 0,
    }
    assert table.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == (
        "PROVISIONED"
    )


def test_create_with_tags_lists_them(ddb: Any, created: Any) -> None:
    name = unique_name()
    tags = [{"Key": "team", "Value": "db"}, {"Key": "env", "Value": "test"}]
    created(**hash_table(name, Tags=tags))
    listed = ddb.list_tags_of_resource(ResourceArn=arn(name))["Tags"]
    assert sorted(listed, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])


def test_create_with_deletion_protection_is_described(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name, DeletionProtectionEnabled=True))
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True


def test_deletion_protection_defaults_to_false(ddb: Any, table: str) -> None:
    assert ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is False


def test_create_with_table_class_is_described(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name, TableClass="STANDARD_INFREQUENT_ACCESS"))
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"


def test_create_with_sse_is_described(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name, SSESpecification={"Enabled": True, "SSEType": "KMS"}))
    sse = ddb.describe_table(TableName=name)["Table"]["SSEDescription"]
    assert sse["Status"] == "ENABLED"
    assert sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyArn"].startswith(f"arn:aws:kms:{REGION}:")


def test_create_with_stream_is_described(ddb: Any, created: Any) -> None:
    name = unique_name()
    spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    created(**hash_table(name, StreamSpecification=spec))
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == spec
    label = table["LatestStreamLabel"]
    assert STREAM_LABEL_RE.fullmatch(label), label
    assert table["LatestStreamArn"] == f"{arn(name)}/stream/{label}"


def test_create_without_stream_has_no_stream_members(ddb: Any, table: str) -> None:
    described = ddb.describe_table(TableName=table)["Table"]
    assert "LatestStreamArn" not in described
    assert "LatestStreamLabel" not in described


def test_create_255_character_name(ddb: Any, created: Any) -> None:
    name = unique_name().ljust(255, "x")
    created(**hash_table(name))
    assert ddb.describe_table(TableName=name)["Table"]["TableName"] == name


def test_create_existing_table_is_resource_in_use(ddb: Any, table: str) -> None:
    code, message = create_error(ddb, **hash_table(table))
    assert (code, message) == (
        "ResourceInUseException",
        f"Table already exists: {table}",
    )


# --------------------------------------------------------------------------- CreateTable validation


@pytest.mark.parametrize("name", ["ab", "a" * 256])
def test_create_name_length(ddb: Any, name: str) -> None:
    assert create_error(ddb, **hash_table(name)) == (VALIDATION, NAME_LENGTH)


def test_create_name_pattern(ddb: Any) -> None:
    assert create_error(ddb, **hash_table("abc;")) == (
        VALIDATION,
        NAME_PATTERN.format("abc;"),
    )


def test_create_without_table_name(server: Server) -> None:
    body = hash_table("x")
    del body["TableName"]
    assert raw_error(server, "CreateTable", body) == (
        VALIDATION,
        "The parameter 'TableName' is required but was not present in the request",
    )


def test_create_empty_table_name(server: Server) -> None:
    assert raw_error(server, "CreateTable", hash_table("")) == (VALIDATION, NAME_LENGTH)


def test_create_without_key_schema(ddb: Any) -> None:
    params = hash_table(unique_name())
    del params["KeySchema"]
    code, message = create_error(ddb, **params)
    assert code == VALIDATION
    assert failures(message) == {null_at("keySchema")}


def test_create_without_attribute_definitions(ddb: Any) -> None:
    params = hash_table(unique_name())
    del params["AttributeDefinitions"]
    code, message = create_error(ddb, **params)
    assert code == VALIDATION
    assert failures(message) == {null_at("attributeDefinitions")}


def test_create_without_key_schema_and_attribute_definitions(ddb: Any) -> None:
    code, message = create_error(ddb, TableName=unique_name(), ProvisionedThroughput=dict(ONE_ONE))
    assert code == VALIDATION
    assert failures(message) == {null_at("attributeDefinitions"), null_at("keySchema")}


def test_create_empty_key_schema(server: Server) -> None:
    code, message = raw_error(server, "CreateTable", hash_table(unique_name(), KeySchema=[]))
    assert code == VALIDATION
    assert failures(message) == {
        (
            "Value '[]' at 'keySchema' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    }


def test_create_bad_key_type(ddb: Any) -> None:
    params = hash_table(unique_name(), KeySchema=[{"AttributeName": "a", "KeyType": "Woop"}])
    code, message = create_error(ddb, **params)
    assert code == VALIDATION
    assert failures(message) == {
        (
            "Value 'Woop' at 'keySchema.1.member.keyType' failed to satisfy constraint: "
            "Member must satisfy enum value set: [HASH, RANGE]"
        )
    }


@pytest.mark.parametrize("attribute_type", ["SS", "a"])
def test_create_bad_attribute_type(ddb: Any, attribute_type: str) -> None:
    params = hash_table(
        unique_name(),
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": attribute_type}],
    )
    code, message = create_error(ddb, **params)
    assert code == VALIDATION
    assert failures(message) == {
        (
            f"Value '{attribute_type}' at 'attributeDefinitions.1.member.attributeType' failed to "
            "satisfy constraint: Member must satisfy enum value set: [B, N, S]"
        )
    }


def test_create_attribute_definition_members_null(server: Server) -> None:
    params = hash_table(unique_name(), AttributeDefinitions=[{}])
    code, message = raw_error(server, "CreateTable", params)
    assert code == VALIDATION
    assert failures(message) == {
        null_at("attributeDefinitions.1.member.attributeName"),
        null_at("attributeDefinitions.1.member.attributeType"),
    }


def _defs(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def _keys(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"AttributeName": n, "KeyType": t} for n, t in pairs]


KEY_SCHEMA_CASES = [
    pytest.param(
        _defs("b"),
        _keys(("a", "HASH")),
        "One or more parameter values were invalid: Some index key attributes are not defined "
        "in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]",
        id="hash-key-undefined",
    ),
    pytest.param(
        _defs("b"),
        _keys(("a", "HASH"), ("b", "RANGE")),
        "Invalid KeySchema: Some index key attribute have no definition",
        id="hash-key-undefined-with-range",
    ),
    pytest.param(
        _defs("a"),
        _keys(("a", "HASH"), ("a", "HASH")),
        "Invalid KeySchema: Some index key attribute have no definition",
        id="same-name-twice-one-definition",
    ),
    pytest.param(
        _defs("a", "b"),
        _keys(("a", "HASH"), ("a", "HASH")),
        "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        id="same-name-twice",
    ),
    pytest.param(
        _defs("a", "b"),
        _keys(("a", "HASH"), ("b", "HASH")),
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        id="second-not-range",
    ),
    pytest.param(
        _defs("a", "b"),
        _keys(("a", "RANGE"), ("b", "HASH")),
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        id="first-not-hash",
    ),
    pytest.param(
        _defs("a", "b"),
        _keys(("a", "RANGE"), ("b", "RANGE")),
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        id="both-range",
    ),
    pytest.param(
        _defs("a", "c", "b"),
        _keys(("a", "HASH"), ("b", "RANGE")),
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions",
        id="unused-definition-with-range",
    ),
    pytest.param(
        _defs("a", "b"),
        _keys(("a", "HASH")),
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions",
        id="unused-definition",
    ),
]


@pytest.mark.parametrize(("definitions", "schema", "message"), KEY_SCHEMA_CASES)
def test_create_key_schema_errors(
    ddb: Any, definitions: list[Any], schema: list[Any], message: str
) -> None:
    params = hash_table(unique_name(), AttributeDefinitions=definitions, KeySchema=schema)
    assert create_error(ddb, **params) == (VALIDATION, message)


def test_create_without_billing_mode_or_throughput(ddb: Any) -> None:
    params = hash_table(unique_name())
    del params["ProvisionedThroughput"]
    assert create_error(ddb, **params) == (VALIDATION, PROVISIONED_WITHOUT_THROUGHPUT)


def test_create_provisioned_without_throughput(ddb: Any) -> None:
    params = hash_table(unique_name(), BillingMode="PROVISIONED")
    del params["ProvisionedThroughput"]
    assert create_error(ddb, **params) == (VALIDATION, PROVISIONED_WITHOUT_THROUGHPUT)


def test_create_pay_per_request_with_throughput(ddb: Any) -> None:
    params = hash_table(unique_name(), BillingMode="PAY_PER_REQUEST")
    assert create_error(ddb, **params) == (VALIDATION, PPR_WITH_THROUGHPUT)


def test_create_bad_billing_mode(ddb: Any) -> None:
    code, message = create_error(ddb, **hash_table(unique_name(), BillingMode="A"))
    assert code == VALIDATION
    assert failures(message) == {
        (
            "Value 'A' at 'billingMode' failed to satisfy constraint: "
            "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
        )
    }


def test_create_throughput_below_one(server: Server) -> None:
    params = hash_table(
        unique_name(),
        ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": -1},
    )
    code, message = raw_error(server, "CreateTable", params)
    assert code == VALIDATION
    assert failures(message) == {
        (
            "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        ),
        (
            "Value '-1' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        ),
    }


def test_create_empty_throughput(server: Server) -> None:
    params = hash_table(unique_name(), ProvisionedThroughput={})
    code, message = raw_error(server, "CreateTable", params)
    assert code == VALIDATION
    assert failures(message) == {
        null_at("provisionedThroughput.readCapacityUnits"),
        null_at("provisionedThroughput.writeCapacityUnits"),
    }


@pytest.mark.parametrize(
    ("read", "write", "message"),
    [
        (
            1_000_000_000_001,
            1_000_000_000_001,
            "Given value 1000000000001 for ReadCapacityUnits is out of bounds",
        ),
        (
            1_000_000_000_000,
            1_000_000_000_001,
            "Given value 1000000000001 for WriteCapacityUnits is out of bounds",
        ),
    ],
)
def test_create_throughput_out_of_bounds(ddb: Any, read: int, write: int, message: str) -> None:
    params = hash_table(
        unique_name(),
        ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write},
    )
    assert create_error(ddb, **params) == (VALIDATION, message)


def test_validation_precedes_existence(ddb: Any, table: str) -> None:
    """Shape errors win over "already exists": validation runs before any lookup."""
    params = hash_table(table, BillingMode="PAY_PER_REQUEST")
    assert create_error(ddb, **params) == (VALIDATION, PPR_WITH_THROUGHPUT)


# --------------------------------------------------------------------------- DescribeTable


def test_describe_complete_description(ddb: Any, created: Any) -> None:
    name = unique_name()
    before = time.time()
    created(
        **hash_table(
            name,
            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 4},
        )
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableName"] == name
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    assert UUID_RE.fullmatch(table["TableId"])
    created_at = table["CreationDateTime"]
    assert created_at.tzinfo is not None
    assert before - 5 <= created_at.timestamp() <= time.time() + 5
    assert table["KeySchema"] == [{"AttributeName": "a", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "a", "AttributeType": "S"}]
    assert table["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 2,
        "WriteCapacityUnits": 4,
        "NumberOfDecreasesToday": 0,
    }
    assert table["ItemCount"] == 0
    assert table["TableSizeBytes"] == 0


def test_describe_is_stable(ddb: Any, table: str) -> None:
    first = ddb.describe_table(TableName=table)["Table"]
    second = ddb.describe_table(TableName=table)["Table"]
    assert first["TableId"] == second["TableId"]
    assert first["CreationDateTime"] == second["CreationDateTime"]


def test_table_id_is_new_for_a_recreated_name(ddb: Any, created: Any) -> None:
    name = unique_name()
    first = created(**hash_table(name))["TableDescription"]["TableId"]
    ddb.delete_table(TableName=name)
    second = created(**hash_table(name))["TableDescription"]["TableId"]
    assert first != second


def test_describe_counts_items_and_bytes(ddb: Any, table: str) -> None:
    for key in ("k1", "k2", "k3"):
        # size: "pk" (2) + "k1" (2) + "v" (1) + "hello" (5) = 10 bytes
        ddb.put_item(TableName=table, Item={"pk": {"S": key}, "v": {"S": "hello"}})
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["ItemCount"] == 3
    assert described["TableSizeBytes"] == 30
    ddb.delete_item(TableName=table, Key={"pk": {"S": "k1"}})
    described = ddb.describe_table(TableName=table)["Table"]
    assert (described["ItemCount"], described["TableSizeBytes"]) == (2, 20)


def test_describe_missing_table(ddb: Any) -> None:
    name = unique_name()
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as excinfo:
        ddb.describe_table(TableName=name)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )


@pytest.mark.parametrize("name", ["ab", "a" * 256])
def test_describe_name_length(ddb: Any, name: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.describe_table(TableName=name)
    assert error_of(excinfo) == (VALIDATION, NAME_LENGTH)


def test_describe_name_pattern(ddb: Any) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.describe_table(TableName="abc;")
    assert error_of(excinfo) == (VALIDATION, NAME_PATTERN.format("abc;"))


def test_describe_without_table_name(server: Server) -> None:
    assert raw_error(server, "DescribeTable", {}) == (
        VALIDATION,
        "The parameter 'TableName' is required but was not present in the request",
    )


# --------------------------------------------------------------------------- ListTables


@pytest.fixture
def region_tables(server: Server) -> Iterator[tuple[Any, list[str]]]:
    """A client on a region of its own holding five tables; (client, sorted names)."""
    client = server.client(region=fresh_region())
    names = sorted(f"lt-{i}-{uuid.uuid4().hex[:6]}" for i in range(5))
    for name in reversed(names):  # created out of order on purpose
        client.create_table(**hash_table(name))
    yield client, names
    for name in names:
        try:
            client.delete_table(TableName=name)
        except client.exceptions.ClientError:
            pass


def test_list_tables_sorted(region_tables: tuple[Any, list[str]]) -> None:
    client, names = region_tables
    reply = client.list_tables()
    assert reply["TableNames"] == names
    assert "LastEvaluatedTableName" not in reply


def test_list_tables_sorts_by_code_point(server: Server) -> None:
    client = server.client(region=fresh_region())
    names = ["B-table", "a-table", "_table", "A.table", "0table"]
    for name in names:
        client.create_table(**hash_table(name))
    try:
        assert client.list_tables()["TableNames"] == sorted(names)
    finally:
        for name in names:
            client.delete_table(TableName=name)


def test_list_tables_limit(region_tables: tuple[Any, list[str]]) -> None:
    client, names = region_tables
    reply = client.list_tables(Limit=2)
    assert reply["TableNames"] == names[:2]
    assert reply["LastEvaluatedTableName"] == names[1]


def test_list_tables_exclusive_start(region_tables: tuple[Any, list[str]]) -> None:
    client, names = region_tables
    reply = client.list_tables(ExclusiveStartTableName=names[1])
    assert reply["TableNames"] == names[2:]
    assert "LastEvaluatedTableName" not in reply
    reply = client.list_tables(ExclusiveStartTableName=names[1], Limit=2)
    assert reply["TableNames"] == names[2:4]
    assert reply["LastEvaluatedTableName"] == names[3]


def test_list_tables_exclusive_start_need_not_exist(
    region_tables: tuple[Any, list[str]],
) -> None:
    client, names = region_tables
    before_first = "lt-"  # sorts before every name of the fixture
    reply = client.list_tables(ExclusiveStartTableName=before_first, Limit=1)
    assert reply["TableNames"] == names[:1]
    assert reply["LastEvaluatedTableName"] == names[0]


def test_list_tables_large_limit_has_no_last_evaluated(
    region_tables: tuple[Any, list[str]],
) -> None:
    client, names = region_tables
    reply = client.list_tables(Limit=100)
    assert reply["TableNames"] == names
    assert "LastEvaluatedTableName" not in reply


def test_list_tables_paginator(region_tables: tuple[Any, list[str]]) -> None:
    client, names = region_tables
    pages = list(client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}))
    assert [page["TableNames"] for page in pages][:3] == [
        names[0:2],
        names[2:4],
        names[4:5],
    ]
    assert [n for page in pages for n in page["TableNames"]] == names


def test_list_tables_empty_region(server: Server) -> None:
    assert server.client(region=fresh_region()).list_tables()["TableNames"] == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"Limit": 0},
            {
                (
                    "Value '0' at 'limit' failed to satisfy constraint: "
                    "Member must have value greater than or equal to 1"
                )
            },
        ),
        (
            {"Limit": 101},
            {
                (
                    "Value '101' at 'limit' failed to satisfy constraint: "
                    "Member must have value less than or equal to 100"
                )
            },
        ),
        (
            {"ExclusiveStartTableName": "a;", "Limit": 500},
            {
                (
                    "Value '500' at 'limit' failed to satisfy constraint: "
                    "Member must have value less than or equal to 100"
                ),
                (
                    "Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: "
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
                ),
                (
                    "Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: "
                    "Member must have length greater than or equal to 3"
                ),
            },
        ),
    ],
)
def test_list_tables_validation(server: Server, body: dict[str, Any], expected: set[str]) -> None:
    code, message = raw_error(server, "ListTables", body)
    assert code == VALIDATION
    assert failures(message) == expected


# --------------------------------------------------------------------------- DeleteTable


def test_delete_answers_deleting_then_table_is_gone(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    desc = ddb.delete_table(TableName=name)["TableDescription"]
    assert desc["TableStatus"] == "DELETING"
    assert desc["TableName"] == name
    assert desc["TableArn"] == arn(name)
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=name)
    assert name not in ddb.list_tables(ExclusiveStartTableName=name[:-1], Limit=100)["TableNames"]


def test_delete_missing_table(ddb: Any) -> None:
    name = unique_name()
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as excinfo:
        ddb.delete_table(TableName=name)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )


def test_delete_removes_items(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    ddb.put_item(TableName=name, Item={"a": {"S": "x"}})
    ddb.delete_table(TableName=name)
    created(**hash_table(name))
    assert "Item" not in ddb.get_item(TableName=name, Key={"a": {"S": "x"}})
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 0


def test_delete_protected_table_is_refused(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name, DeletionProtectionEnabled=True))
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.delete_table(TableName=name)
    assert error_of(excinfo) == (
        VALIDATION,
        (
            "Resource cannot be deleted as it is currently protected against deletion. "
            "Disable deletion protection first."
        ),
    )
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"


@pytest.mark.parametrize("name", ["ab", "a" * 256])
def test_delete_name_length(ddb: Any, name: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.delete_table(TableName=name)
    assert error_of(excinfo) == (VALIDATION, NAME_LENGTH)


# --------------------------------------------------------------------------- UpdateTable


def test_update_pay_per_request_to_provisioned(ddb: Any, make_table: Callable[..., str]) -> None:
    name = make_table()
    reply = ddb.update_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
    )
    assert reply["TableDescription"]["TableStatus"] == "UPDATING"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    throughput = table["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 6)


def test_update_provisioned_to_pay_per_request(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    before = time.time()
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    table = ddb.describe_table(TableName=name)["Table"]
    summary = table["BillingModeSummary"]
    assert summary["BillingMode"] == "PAY_PER_REQUEST"
    assert summary["LastUpdateToPayPerRequestDateTime"].timestamp() >= before - 5
    throughput = table["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (0, 0)


def test_update_throughput_increase_and_decrease(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    before = time.time()
    ddb.update_table(
        TableName=name,
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
    )
    throughput = ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (3, 4)
    assert throughput["LastIncreaseDateTime"].timestamp() >= before - 5
    assert throughput["NumberOfDecreasesToday"] == 0

    ddb.update_table(TableName=name, ProvisionedThroughput=dict(ONE_ONE))
    throughput = ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (1, 1)
    assert throughput["LastDecreaseDateTime"].timestamp() >= before - 5
    assert throughput["NumberOfDecreasesToday"] == 1


def test_update_unchanged_throughput(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(
        **hash_table(
            name,
            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
        )
    )
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.update_table(
            TableName=name,
            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
        )
    assert error_of(excinfo) == (
        VALIDATION,
        (
            "The provisioned throughput for the table will not change. The requested value equals "
            "the current value. Current ReadCapacityUnits provisioned for the table: 2. Requested "
            "ReadCapacityUnits: 2. Current WriteCapacityUnits provisioned for the table: 3. "
            "Requested WriteCapacityUnits: 3. Refer to the Amazon DynamoDB Developer Guide for "
            "current limits and how to request higher limits."
        ),
    )


def test_update_throughput_on_pay_per_request_table(ddb: Any, table: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.update_table(TableName=table, ProvisionedThroughput=dict(ONE_ONE))
    assert error_of(excinfo) == (VALIDATION, PPR_WITH_THROUGHPUT)


def test_update_to_provisioned_without_throughput(ddb: Any, table: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.update_table(TableName=table, BillingMode="PROVISIONED")
    assert error_of(excinfo) == (
        VALIDATION,
        (
            "One or more parameter values were invalid: ProvisionedThroughput must be specified "
            "when BillingMode is PROVISIONED"
        ),
    )


def test_update_deletion_protection(ddb: Any, table: str) -> None:
    ddb.update_table(TableName=table, DeletionProtectionEnabled=True)
    assert ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is True
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.delete_table(TableName=table)
    assert error_of(excinfo)[0] == VALIDATION
    ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
    assert ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is False


def test_update_table_class(ddb: Any, table: str) -> None:
    ddb.update_table(TableName=table, TableClass="STANDARD_INFREQUENT_ACCESS")
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    ddb.update_table(TableName=table, TableClass="STANDARD")
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["TableClassSummary"]["TableClass"] == "STANDARD"


def test_update_needs_a_change(ddb: Any, table: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.update_table(TableName=table)
    code, message = error_of(excinfo)
    assert code == VALIDATION
    # AWS has lengthened this list over the years; both recorded wordings are accepted.
    assert message in (
        (
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
            "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"
        ),
        (
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
            "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, "
            "MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, "
            "DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required"
        ),
    )


def test_update_missing_table(ddb: Any) -> None:
    name = unique_name()
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as excinfo:
        ddb.update_table(TableName=name, DeletionProtectionEnabled=True)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_update_throughput_out_of_bounds(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.update_table(
            TableName=name,
            ProvisionedThroughput={
                "ReadCapacityUnits": 1_000_000_000_001,
                "WriteCapacityUnits": 1_000_000_000_001,
            },
        )
    assert error_of(excinfo) == (
        VALIDATION,
        "Given value 1000000000001 for ReadCapacityUnits is out of bounds",
    )


def test_update_empty_throughput(server: Server) -> None:
    code, message = raw_error(
        server, "UpdateTable", {"TableName": unique_name(), "ProvisionedThroughput": {}}
    )
    assert code == VALIDATION
    assert failures(message) == {
        null_at("provisionedThroughput.readCapacityUnits"),
        null_at("provisionedThroughput.writeCapacityUnits"),
    }


def test_update_name_pattern(ddb: Any) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.update_table(TableName="abc;", DeletionProtectionEnabled=True)
    assert error_of(excinfo) == (VALIDATION, NAME_PATTERN.format("abc;"))


# --------------------------------------------------------------------------- limits, endpoints


def test_describe_limits(ddb: Any) -> None:
    reply = ddb.describe_limits()
    assert reply["AccountMaxReadCapacityUnits"] == 80000
    assert reply["AccountMaxWriteCapacityUnits"] == 80000
    assert reply["TableMaxReadCapacityUnits"] == 40000
    assert reply["TableMaxWriteCapacityUnits"] == 40000


def test_describe_endpoints(server: Server, ddb: Any) -> None:
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints == [{"Address": f"127.0.0.1:{server.port}", "CachePeriodInMinutes": 1440}]


# --------------------------------------------------------------------------- tags


def _sorted_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(tags, key=lambda t: t["Key"])


def test_tags_of_untagged_table(ddb: Any, table: str) -> None:
    reply = ddb.list_tags_of_resource(ResourceArn=arn(table))
    assert reply["Tags"] == []
    assert "NextToken" not in reply


def test_tag_list_untag(ddb: Any, table: str) -> None:
    resource = arn(table)
    ddb.tag_resource(
        ResourceArn=resource,
        Tags=[{"Key": "t1", "Value": "v1"}, {"Key": "t2", "Value": "v2"}],
    )
    assert _sorted_tags(ddb.list_tags_of_resource(ResourceArn=resource)["Tags"]) == [
        {"Key": "t1", "Value": "v1"},
        {"Key": "t2", "Value": "v2"},
    ]
    ddb.tag_resource(ResourceArn=resource, Tags=[{"Key": "t1", "Value": "new"}])
    assert _sorted_tags(ddb.list_tags_of_resource(ResourceArn=resource)["Tags"]) == [
        {"Key": "t1", "Value": "new"},
        {"Key": "t2", "Value": "v2"},
    ]
    ddb.untag_resource(ResourceArn=resource, TagKeys=["t1", "absent"])
    assert ddb.list_tags_of_resource(ResourceArn=resource)["Tags"] == [{"Key": "t2", "Value": "v2"}]
    ddb.untag_resource(ResourceArn=resource, TagKeys=["t2"])
    assert ddb.list_tags_of_resource(ResourceArn=resource)["Tags"] == []


def test_tags_paginator(ddb: Any, table: str) -> None:
    tags = [{"Key": f"k{i:02}", "Value": str(i)} for i in range(12)]
    ddb.tag_resource(ResourceArn=arn(table), Tags=tags)
    pages = ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn(table))
    assert _sorted_tags([t for page in pages for t in page["Tags"]]) == tags


def test_tags_go_with_the_table(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name, Tags=[{"Key": "a", "Value": "b"}]))
    ddb.delete_table(TableName=name)
    created(**hash_table(name))
    assert ddb.list_tags_of_resource(ResourceArn=arn(name))["Tags"] == []


SHORT_NAME_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/ab"
BAD_ARNS = [
    # What does not start with "arn:" is refused as AWS's ARN parser refuses it (a live
    # catalogue of DynamoDB's messages; dynalite recorded an older "Invalid TableArn" wording).
    (
        "a:b:c:d:e:f/g",
        "One or more parameter values were invalid: ARNs must start with 'arn:': a:b:c:d:e:f/g",
    ),
    (SHORT_NAME_ARN, f"Invalid TableArn: Invalid ResourceArn provided as input {SHORT_NAME_ARN}"),
]


@pytest.mark.parametrize(("resource", "message"), BAD_ARNS)
def test_tag_resource_bad_arn(ddb: Any, resource: str, message: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.tag_resource(ResourceArn=resource, Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(excinfo) == (VALIDATION, message)


@pytest.mark.parametrize(("resource", "message"), BAD_ARNS)
def test_untag_resource_bad_arn(ddb: Any, resource: str, message: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.untag_resource(ResourceArn=resource, TagKeys=["a"])
    assert error_of(excinfo) == (VALIDATION, message)


@pytest.mark.parametrize(("resource", "message"), BAD_ARNS)
def test_list_tags_bad_arn(ddb: Any, resource: str, message: str) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.list_tags_of_resource(ResourceArn=resource)
    assert error_of(excinfo) == (VALIDATION, message)


def test_tag_resource_missing_table(ddb: Any) -> None:
    resource = arn(unique_name())
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as excinfo:
        ddb.tag_resource(ResourceArn=resource, Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Requested resource not found: ResourceArn: {resource} not found",
    )


def test_list_tags_missing_table(ddb: Any) -> None:
    resource = arn(unique_name())
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as excinfo:
        ddb.list_tags_of_resource(ResourceArn=resource)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Requested resource not found: ResourceArn: {resource} not found",
    )


def test_untag_resource_missing_table(ddb: Any) -> None:
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as excinfo:
        ddb.untag_resource(ResourceArn=arn(unique_name()), TagKeys=["a"])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "Requested resource not found",
    )


def test_tag_resource_without_tags(ddb: Any) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.tag_resource(ResourceArn=arn(unique_name()), Tags=[])
    assert error_of(excinfo) == (
        VALIDATION,
        "Atleast one Tag needs to be provided as Input.",
    )


def test_untag_resource_without_keys(ddb: Any) -> None:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.untag_resource(ResourceArn=arn(unique_name()), TagKeys=[])
    assert error_of(excinfo) == (
        VALIDATION,
        "Atleast one Tag Key needs to be provided as Input.",
    )


def test_tag_resource_null_tags(server: Server) -> None:
    code, message = raw_error(server, "TagResource", {"ResourceArn": "a:b:c:d:e:f/g"})
    assert code == VALIDATION
    assert failures(message) == {null_at("tags")}


def test_tags_without_resource_arn(server: Server) -> None:
    assert raw_error(server, "ListTagsOfResource", {}) == (
        VALIDATION,
        "Invalid TableArn",
    )


def test_table_of_another_region_is_not_found_by_arn(server: Server, ddb: Any, table: str) -> None:
    other = server.client(region="eu-west-1")
    with pytest.raises(other.exceptions.ClientError) as excinfo:
        other.list_tags_of_resource(ResourceArn=arn(table, region="eu-west-1"))
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


# --------------------------------------------------------------------------- regions


def test_regions_are_separate_namespaces(server: Server, ddb: Any, table: str) -> None:
    europe = server.client(region="eu-west-1")
    with pytest.raises(europe.exceptions.ResourceNotFoundException):
        europe.describe_table(TableName=table)
    assert table not in europe.list_tables(ExclusiveStartTableName=table[:-1])["TableNames"]


def test_same_name_in_two_regions(server: Server, ddb: Any, created: Any) -> None:
    europe = server.client(region="eu-west-1")
    name = unique_name()
    created(client=europe, **hash_table(name))
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=name)
    created(
        **hash_table(
            name,
            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
        )
    )
    european = europe.describe_table(TableName=name)["Table"]
    american = ddb.describe_table(TableName=name)["Table"]
    assert european["TableArn"] == arn(name, region="eu-west-1")
    assert american["TableArn"] == arn(name)
    assert european["TableId"] != american["TableId"]
    assert european["ProvisionedThroughput"]["ReadCapacityUnits"] == 1
    europe.put_item(TableName=name, Item={"a": {"S": "eu"}})
    assert "Item" not in ddb.get_item(TableName=name, Key={"a": {"S": "eu"}})


# --------------------------------------------------------------------------- waiters


def test_table_exists_waiter(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"


def test_table_not_exists_waiter(ddb: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    ddb.delete_table(TableName=name)
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)


def test_table_not_exists_waiter_for_never_created_table(ddb: Any) -> None:
    ddb.get_waiter("table_not_exists").wait(TableName=unique_name(), WaiterConfig=WAIT)


def test_resource_waiter(ddb_resource: Any, created: Any) -> None:
    name = unique_name()
    created(**hash_table(name))
    resource_table = ddb_resource.Table(name)
    resource_table.wait_until_exists(WaiterConfig=WAIT)
    assert resource_table.table_status == "ACTIVE"
    assert resource_table.key_schema == [{"AttributeName": "a", "KeyType": "HASH"}]
