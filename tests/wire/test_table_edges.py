"""The edges of the control plane, through the wire: what DeleteTable answers, the requests
UpdateTable refuses, duplicate definitions, and the rules for tags and for the ARNs the tag
operations take.

DynamoDB behaviour pinned here, with its records:
- DeleteTable's TableDescription is short: TableName, TableStatus DELETING, TableId, TableArn,
  ProvisionedThroughput, BillingModeSummary (when DescribeTable has one), ItemCount and
  TableSizeBytes; no CreationDateTime, KeySchema, AttributeDefinitions or index lists (botocore's
  and the AWS CLI's DeleteTable examples; dynalite issue #60's capture of AWS; ScyllaDB's
  test_table.py test_delete_table_description*, which run against AWS).
- UpdateTable needs something to change; an empty GlobalSecondaryIndexUpdates counts as nothing
  on its own, and is refused ("List of GlobalSecondaryIndexUpdates is empty") beside a change,
  which is then not applied. Each GlobalSecondaryIndexUpdate holds exactly one of Create, Update
  and Delete (dynalite's updateTable validation; ScyllaDB's test_gsi_updatetable.py; a catalogue
  of live UpdateTable messages).
- A new GSI may not give one of its key attributes a type other than the one the table already
  knows ("Attributes cannot be redefined ...", ScyllaDB test_gsi_key_type_conflict_on_update);
  a conflicting definition of an attribute the new index does not use is ignored and the stored
  type kept (paritysuite/dynamodb-conformance issue #78, characterised against AWS).
- CreateTable refuses an AttributeName defined twice ("Attribute Name is duplicated: <name>")
  before counting definitions, and a projection naming a NonKeyAttribute twice ("Duplicate
  element in NonKeyAttributes: <name>").
- Tags: keys of 1-128 and values of 0-256 characters made of Unicode letters, digits and
  separators and `_ . : / = + - @`; keys starting `aws:` (any case) reserved; no key twice in
  one request; at most 50 tags on a table. All of it a ValidationException with DynamoDB's
  wording, at CreateTable, TagResource and UntagResource alike, and all or nothing (ScyllaDB's
  test_tag.py; the catalogue of live tag messages).
- ResourceArn: not starting `arn:` is "ARNs must start with 'arn:': <arn>"; an ARN of another
  service or of a backup is "Provided Arn is not a DynamoDB resource arn"; an index ARN "only
  table or stream is accepted"; another region's ARN "Invalid TableArn: Invalid ResourceArn
  provided as input"; a missing table "Requested resource not found: ResourceArn: <arn> not
  found".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REGION, Server, error_of, unique_name
from tests.wire.helpers import describe_table, table_params, wait_active
from tests.wire.http import signed_call

ACCOUNT = "000000000000"
VALIDATION = "ValidationException"
INVALID = "One or more parameter values were invalid: "
NOTHING_TO_CHANGE = (
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
    "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, "
    "ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, "
    "OnDemandThroughput, WarmThroughput or TableClass is required"
)
TOO_MANY_TAGS = "Number of Tags exceed the current limit for the provided ResourceArn"
DELETE_MEMBERS = {
    "TableName",
    "TableStatus",
    "TableId",
    "TableArn",
    "ProvisionedThroughput",
    "BillingModeSummary",
    "ItemCount",
    "TableSizeBytes",
}
MakeTable = Callable[..., str]


def arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"


def defs(**types: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def hash_key(name: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": "HASH"}]


def gsi(name: str, key: str, **projection: Any) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": hash_key(key),
        "Projection": projection or {"ProjectionType": "ALL"},
    }


def raw(server: Server, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A signed request botocore's client-side validation does not touch."""
    reply = signed_call(server, operation, body)
    return reply.status, reply.json()


def raw_error(server: Server, operation: str, body: dict[str, Any]) -> tuple[str, str]:
    status, reply = raw(server, operation, body)
    assert status == 400, reply
    return reply["__type"].rsplit("#", 1)[1], reply.get("message", "")


def refused(ddb: Any, call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        call()
    return error_of(excinfo)


def assert_absent(ddb: Any, name: str) -> None:
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=name)


def listed_tags(ddb: Any, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn(name))["Tags"]}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


# --------------------------------------------------------------------------- DeleteTable


def test_delete_answers_the_short_description(ddb: Any, make_table: MakeTable) -> None:
    name = make_table()
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "v": {"S": "x" * 10}})
    described = describe_table(ddb, name)
    reply = ddb.delete_table(TableName=name)["TableDescription"]
    assert set(reply) == DELETE_MEMBERS
    assert reply == {
        **{member: described[member] for member in DELETE_MEMBERS},
        "TableStatus": "DELETING",
    }
    assert reply["ItemCount"] == 3
    assert reply["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert_absent(ddb, name)


def test_delete_leaves_out_keys_and_indexes(ddb: Any, make_table: MakeTable) -> None:
    name = make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=defs(pk="S", sk="S", x="S"),
        GlobalSecondaryIndexes=[gsi("by_x", "x")],
        LocalSecondaryIndexes=[
            {
                "IndexName": "local",
                "KeySchema": [*hash_key("pk"), {"AttributeName": "x", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    described = describe_table(ddb, name)
    assert {"GlobalSecondaryIndexes", "LocalSecondaryIndexes", "KeySchema"} <= set(described)
    reply = ddb.delete_table(TableName=name)["TableDescription"]
    assert set(reply) == DELETE_MEMBERS
    assert reply["TableId"] == described["TableId"]


def test_delete_of_a_provisioned_table(ddb: Any, make_table: MakeTable) -> None:
    throughput = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
    name = make_table(billing=None, ProvisionedThroughput=throughput)
    described = describe_table(ddb, name)
    reply = ddb.delete_table(TableName=name)["TableDescription"]
    # No BillingModeSummary when DescribeTable has none (BillingMode was never given).
    assert "BillingModeSummary" not in described
    assert set(reply) == DELETE_MEMBERS - {"BillingModeSummary"}
    assert reply["ProvisionedThroughput"] == {**throughput, "NumberOfDecreasesToday": 0}
    assert reply["TableStatus"] == "DELETING"


# --------------------------------------------------------------------------- UpdateTable


def test_update_with_nothing_to_change(ddb: Any, table: str) -> None:
    assert refused(ddb, lambda: ddb.update_table(TableName=table)) == (
        VALIDATION,
        NOTHING_TO_CHANGE,
    )


@pytest.mark.parametrize("extra", [{}, {"AttributeDefinitions": defs(pk="S")}])
def test_empty_index_updates_are_nothing_to_change(
    ddb: Any, table: str, extra: dict[str, Any]
) -> None:
    call = lambda: ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[], **extra)  # noqa: E731
    assert refused(ddb, call) == (VALIDATION, NOTHING_TO_CHANGE)


def test_empty_index_updates_beside_a_change_are_refused(ddb: Any, table: str) -> None:
    call = lambda: ddb.update_table(  # noqa: E731
        TableName=table, GlobalSecondaryIndexUpdates=[], DeletionProtectionEnabled=True
    )
    assert refused(ddb, call) == (
        VALIDATION,
        INVALID + "List of GlobalSecondaryIndexUpdates is empty",
    )
    assert describe_table(ddb, table)["DeletionProtectionEnabled"] is False


NO_ACTION = (
    INVALID + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
    "GlobalSecondaryIndexUpdate.Delete must not be null"
)


def test_index_update_without_an_action(ddb: Any, table: str) -> None:
    call = lambda: ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{}])  # noqa: E731
    assert refused(ddb, call) == (VALIDATION, NO_ACTION)


def test_index_update_with_an_unknown_action(server: Server, ddb: Any, table: str) -> None:
    # An action DynamoDB does not know is no action at all.
    body = {
        "TableName": table,
        "AttributeDefinitions": defs(x="S"),
        "GlobalSecondaryIndexUpdates": [{"Dog": gsi("by_x", "x")}],
    }
    assert raw_error(server, "UpdateTable", body) == (VALIDATION, NO_ACTION)
    assert "GlobalSecondaryIndexes" not in describe_table(ddb, table)


def test_index_update_with_two_actions(ddb: Any, table: str) -> None:
    call = lambda: ddb.update_table(  # noqa: E731
        TableName=table,
        AttributeDefinitions=defs(x="S"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_x", "x"), "Delete": {"IndexName": "xyz"}}],
    )
    assert refused(ddb, call) == (
        VALIDATION,
        INVALID + "Only one global secondary index action is allowed per "
        "GlobalSecondaryIndexUpdate object",
    )
    assert "GlobalSecondaryIndexes" not in describe_table(ddb, table)


def test_new_index_cannot_redefine_an_index_key(ddb: Any, make_table: MakeTable) -> None:
    name = make_table(
        AttributeDefinitions=defs(pk="S", xyz="S"), GlobalSecondaryIndexes=[gsi("index1", "xyz")]
    )
    call = lambda: ddb.update_table(  # noqa: E731
        TableName=name,
        AttributeDefinitions=defs(xyz="N"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("index2", "xyz")}],
    )
    assert refused(ddb, call) == (
        VALIDATION,
        INVALID + "Attributes cannot be redefined. Please check that your attribute has the "
        "same type as previously defined. Existing schema: Schema:[SchemaElement: "
        "key{xyz:S:HASH}] New schema: Schema:[SchemaElement: key{xyz:N:HASH}]",
    )
    described = describe_table(ddb, name)
    assert [g["IndexName"] for g in described["GlobalSecondaryIndexes"]] == ["index1"]
    assert {"AttributeName": "xyz", "AttributeType": "S"} in described["AttributeDefinitions"]


def test_new_index_cannot_redefine_a_table_key(ddb: Any, table: str) -> None:
    call = lambda: ddb.update_table(  # noqa: E731
        TableName=table,
        AttributeDefinitions=defs(pk="N"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_pk", "pk")}],
    )
    code, message = refused(ddb, call)
    assert code == VALIDATION
    assert message.startswith(INVALID + "Attributes cannot be redefined.")
    assert "GlobalSecondaryIndexes" not in describe_table(ddb, table)


def test_conflicting_definition_of_an_unused_attribute_is_ignored(ddb: Any, table: str) -> None:
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=defs(pk="N", b="S"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_b", "b")}],
    )
    described = wait_active(ddb, table)
    assert sorted(described["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == defs(
        b="S", pk="S"
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "still a string"}})


def test_create_refuses_an_attribute_defined_twice(ddb: Any) -> None:
    name = unique_name()
    params = table_params(name, ("xyz", "S"), AttributeDefinitions=defs(xyz="S") + defs(xyz="N"))
    assert refused(ddb, lambda: ddb.create_table(**params)) == (
        VALIDATION,
        "Attribute Name is duplicated: xyz",
    )
    assert_absent(ddb, name)


def test_create_refuses_two_types_for_one_index_key(ddb: Any) -> None:
    name = unique_name()
    params = table_params(
        name,
        AttributeDefinitions=defs(pk="S", xyz="S") + defs(xyz="N"),
        GlobalSecondaryIndexes=[gsi("index1", "xyz"), gsi("index2", "xyz")],
    )
    assert refused(ddb, lambda: ddb.create_table(**params)) == (
        VALIDATION,
        "Attribute Name is duplicated: xyz",
    )
    assert_absent(ddb, name)


def include(*names: str) -> dict[str, Any]:
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(names)}


DUPLICATE_NON_KEY = INVALID + "Duplicate element in NonKeyAttributes: b"


def test_create_refuses_a_non_key_attribute_twice(ddb: Any) -> None:
    name = unique_name()
    params = table_params(
        name,
        AttributeDefinitions=defs(pk="S", x="S"),
        GlobalSecondaryIndexes=[gsi("by_x", "x", **include("a", "b", "b"))],
    )
    assert refused(ddb, lambda: ddb.create_table(**params)) == (VALIDATION, DUPLICATE_NON_KEY)
    assert_absent(ddb, name)


def test_create_refuses_a_local_non_key_attribute_twice(ddb: Any) -> None:
    name = unique_name()
    params = table_params(
        name,
        range_key=("sk", "S"),
        AttributeDefinitions=defs(pk="S", sk="S", x="S"),
        LocalSecondaryIndexes=[
            {
                "IndexName": "local",
                "KeySchema": [*hash_key("pk"), {"AttributeName": "x", "KeyType": "RANGE"}],
                "Projection": include("b", "b"),
            }
        ],
    )
    assert refused(ddb, lambda: ddb.create_table(**params)) == (VALIDATION, DUPLICATE_NON_KEY)
    assert_absent(ddb, name)


def test_new_index_refuses_a_non_key_attribute_twice(ddb: Any, table: str) -> None:
    call = lambda: ddb.update_table(  # noqa: E731
        TableName=table,
        AttributeDefinitions=defs(x="S"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_x", "x", **include("b", "a", "b"))}],
    )
    assert refused(ddb, call) == (VALIDATION, DUPLICATE_NON_KEY)
    assert "GlobalSecondaryIndexes" not in describe_table(ddb, table)


# --------------------------------------------------------------------------- tags


ALLOWED = {
    "k" * 128: "v" * 256,
    "Env": "",
    "env": "lower case is another key",
    "sp ace": "a b+c-d=e.f_g:h/i@j",
    "ключ": "значение",
    "café 表": "nbsp\u00a0and ideographic\u3000space",
    "myaws:foo": "not reserved",
    "0123": "٣",
}


def test_allowed_tags_at_create_and_tag_resource(ddb: Any, make_table: MakeTable) -> None:
    name = make_table(Tags=tag_list(ALLOWED))
    assert listed_tags(ddb, name) == ALLOWED
    other = make_table(Tags=[])
    ddb.tag_resource(ResourceArn=arn(other), Tags=tag_list(ALLOWED))
    assert listed_tags(ddb, other) == ALLOWED


KEY_129 = "k" * 129
VALUE_257 = "v" * 257
BAD_TAGS = [
    ({"aws:foo": "x"}, "Tag Key cannot be prefixed with aws:, Key: aws:foo"),
    ({"AWS:Foo": "x"}, "Tag Key cannot be prefixed with aws:, Key: AWS:Foo"),
    ({KEY_129: "x"}, f"The Tag Key provided is invalid, Key: {KEY_129}"),
    ({"k": VALUE_257}, f"The Tag Value provided is invalid, Value: {VALUE_257}"),
    ({"bad#char": "x"}, "The Tag Key provided is invalid, Key: bad#char"),
    ({"k": "bad#char"}, "The Tag Value provided is invalid, Value: bad#char"),
    ({"k": "100%"}, "The Tag Value provided is invalid, Value: 100%"),
    ({"key🔑": "x"}, "The Tag Key provided is invalid, Key: key🔑"),
    ({"tab\tkey": "x"}, "The Tag Key provided is invalid, Key: tab\tkey"),
]


@pytest.mark.parametrize(("tags", "message"), BAD_TAGS)
def test_create_refuses_bad_tags(ddb: Any, tags: dict[str, str], message: str) -> None:
    name = unique_name()
    params = table_params(name, Tags=[{"Key": "good", "Value": "tag"}, *tag_list(tags)])
    assert refused(ddb, lambda: ddb.create_table(**params)) == (VALIDATION, message)
    assert_absent(ddb, name)


@pytest.mark.parametrize(("tags", "message"), BAD_TAGS)
def test_tag_resource_refuses_bad_tags(
    ddb: Any, table: str, tags: dict[str, str], message: str
) -> None:
    ddb.tag_resource(ResourceArn=arn(table), Tags=[{"Key": "before", "Value": "1"}])
    given = [{"Key": "good", "Value": "tag"}, *tag_list(tags)]
    call = lambda: ddb.tag_resource(ResourceArn=arn(table), Tags=given)  # noqa: E731
    assert refused(ddb, call) == (VALIDATION, message)
    assert listed_tags(ddb, table) == {"before": "1"}  # all or nothing


def test_tags_are_counted_per_table(ddb: Any, make_table: MakeTable) -> None:
    fifty = {f"k{i}": str(i) for i in range(50)}
    name = make_table(Tags=tag_list(fifty))
    assert listed_tags(ddb, name) == fifty
    ddb.tag_resource(ResourceArn=arn(name), Tags=[{"Key": "k0", "Value": "again"}])
    call = lambda: ddb.tag_resource(ResourceArn=arn(name), Tags=[{"Key": "k50", "Value": "x"}])  # noqa: E731
    assert refused(ddb, call) == (VALIDATION, TOO_MANY_TAGS)
    assert listed_tags(ddb, name) == {**fifty, "k0": "again"}


def test_tag_resource_merges_before_counting(ddb: Any, table: str) -> None:
    resource = arn(table)
    ddb.tag_resource(ResourceArn=resource, Tags=tag_list({str(i): str(i) for i in range(30)}))
    ddb.tag_resource(ResourceArn=resource, Tags=tag_list({str(i): str(i) for i in range(20, 40)}))
    assert len(listed_tags(ddb, table)) == 40
    more = tag_list({str(i): str(i) for i in range(40, 60)})
    call = lambda: ddb.tag_resource(ResourceArn=resource, Tags=more)  # noqa: E731
    assert refused(ddb, call) == (VALIDATION, TOO_MANY_TAGS)
    assert len(listed_tags(ddb, table)) == 40


def test_create_refuses_fifty_one_tags(ddb: Any) -> None:
    name = unique_name()
    params = table_params(name, Tags=tag_list({f"k{i}": "v" for i in range(51)}))
    assert refused(ddb, lambda: ddb.create_table(**params)) == (VALIDATION, TOO_MANY_TAGS)
    assert_absent(ddb, name)


def test_duplicate_tag_keys(ddb: Any, table: str) -> None:
    given = [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]
    message = "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup"
    call = lambda: ddb.tag_resource(ResourceArn=arn(table), Tags=given)  # noqa: E731
    assert refused(ddb, call) == (VALIDATION, message)
    assert listed_tags(ddb, table) == {}
    name = unique_name()
    params = table_params(name, Tags=given)
    assert refused(ddb, lambda: ddb.create_table(**params)) == (VALIDATION, message)
    assert_absent(ddb, name)


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ({"Value": "v"}, "The Tag Key provided is invalid, Key: null"),
        ({}, "The Tag Key provided is invalid, Key: null"),
        ({"Key": "k"}, "The Tag Value provided is invalid, Value: null"),
        ({"Key": "", "Value": "v"}, "The Tag Key provided is invalid, Key: "),
    ],
)
def test_tag_members_missing(
    server: Server, ddb: Any, table: str, tag: dict[str, str], message: str
) -> None:
    body = {"ResourceArn": arn(table), "Tags": [tag]}
    assert raw_error(server, "TagResource", body) == (VALIDATION, message)
    name = unique_name()
    assert raw_error(server, "CreateTable", {**table_params(name), "Tags": [tag]}) == (
        VALIDATION,
        message,
    )
    assert listed_tags(ddb, table) == {}
    assert_absent(ddb, name)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (["aws:foo"], "Tag Key cannot be prefixed with aws:, Key: aws:foo"),
        ([KEY_129], f"The Tag Key provided is invalid, Key: {KEY_129}"),
        ([""], "The Tag Key provided is invalid, Key: "),
        ([f"k{i}" for i in range(51)], TOO_MANY_TAGS),
    ],
)
def test_untag_resource_refuses(
    server: Server, ddb: Any, table: str, keys: list[str], message: str
) -> None:
    ddb.tag_resource(ResourceArn=arn(table), Tags=[{"Key": "k1", "Value": "v"}])
    body = {"ResourceArn": arn(table), "TagKeys": ["k1", *keys]}
    assert raw_error(server, "UntagResource", body) == (VALIDATION, message)
    assert listed_tags(ddb, table) == {"k1": "v"}


# --------------------------------------------------------------------------- ResourceArn


def arn_refusals(server: Server, resource: str) -> list[tuple[str, str]]:
    """(code, message) of TagResource, UntagResource and ListTagsOfResource on `resource`."""
    return [
        raw_error(
            server, "TagResource", {"ResourceArn": resource, "Tags": [{"Key": "a", "Value": "b"}]}
        ),
        raw_error(server, "UntagResource", {"ResourceArn": resource, "TagKeys": ["a"]}),
        raw_error(server, "ListTagsOfResource", {"ResourceArn": resource}),
    ]


@pytest.mark.parametrize(
    ("resource", "detail"),
    [
        ("not-an-arn", "ARNs must start with 'arn:': not-an-arn"),
        ("a:b:c:d:e:f/g", "ARNs must start with 'arn:': a:b:c:d:e:f/g"),
        ("arn:sth", "Second colon partition not found: arn:sth"),
        ("arn:aws:dynamodb", "Third colon vendor not found: arn:aws:dynamodb"),
        (
            f"arn:aws:dynamodb:{REGION}",
            f"Fourth colon (region/namespace delimiter) not found: arn:aws:dynamodb:{REGION}",
        ),
        (
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}",
            "Fifth colon (namespace/relative-id delimiter) not found: "
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}",
        ),
        (
            "arn:aws:s3:::some-bucket",
            "Provided Arn is not a DynamoDB resource arn: arn:aws:s3:::some-bucket",
        ),
        (
            arn("tbl") + "/backup/01700000000000-abcdef01",
            "Provided Arn is not a DynamoDB resource arn: "
            + arn("tbl")
            + "/backup/01700000000000-abcdef01",
        ),
        (
            arn("tbl") + "/index/by_x",
            "Invalid resource arn provided, only table or stream is accepted. Provided resource "
            "arn: " + arn("tbl") + "/index/by_x",
        ),
    ],
)
def test_malformed_resource_arn(server: Server, resource: str, detail: str) -> None:
    assert arn_refusals(server, resource) == [(VALIDATION, INVALID + detail)] * 3


def test_bare_table_name_is_no_arn(server: Server, table: str) -> None:
    assert (
        arn_refusals(server, table)
        == [(VALIDATION, INVALID + f"ARNs must start with 'arn:': {table}")] * 3
    )


def test_arn_of_another_region(server: Server, ddb: Any, table: str) -> None:
    resource = arn(table, region="eu-west-1")
    assert (
        arn_refusals(server, resource)
        == [(VALIDATION, f"Invalid TableArn: Invalid ResourceArn provided as input {resource}")] * 3
    )


def test_missing_table_by_arn(ddb: Any) -> None:
    resource = arn(unique_name())
    for call in (
        lambda: ddb.tag_resource(ResourceArn=resource, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: ddb.list_tags_of_resource(ResourceArn=resource),
    ):
        assert refused(ddb, call) == (
            "ResourceNotFoundException",
            f"Requested resource not found: ResourceArn: {resource} not found",
        )
