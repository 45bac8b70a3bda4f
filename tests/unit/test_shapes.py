"""Unit tests for `opendynamo.api.request.shapes`: DynamoDB's SerializationException and aggregated
ValidationException messages, word for word.

Expected texts come from dynalite's tests (architect/dynalite `test/*.js`, recorded against live
DynamoDB) unless a comment says otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import timeit
from pathlib import Path
from typing import Any

import pytest

from opendynamo import errors
from opendynamo.api.request import shapes
from opendynamo.api.request.shapes import validate_input

ROOT = Path(__file__).resolve().parents[2]
CAST = shapes.CAST_MESSAGE
PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"


def serialization(operation: str, body: Any) -> str:
    """The Message of the SerializationException `body` must raise."""
    with pytest.raises(errors.DynamoError) as caught:
        validate_input(operation, body)
    error = caught.value
    assert error.type_name == "SerializationException"
    assert error.namespace == errors.CORAL_SERVICE
    assert error.message_field == "Message"
    assert error.message is not None
    return error.message


def validation(operation: str, body: Any) -> str:
    """The message of the ValidationException `body` must raise."""
    with pytest.raises(errors.DynamoError) as caught:
        validate_input(operation, body)
    error = caught.value
    assert error.type_name == "ValidationException"
    assert error.namespace == errors.CORAL_VALIDATE
    assert error.message is not None
    return error.message


def failures(operation: str, body: Any) -> list[str]:
    """The individual failures of an aggregated ValidationException, checking its count."""
    message = validation(operation, body)
    head, _, rest = message.partition(" detected: ")
    parts = rest.split("; ")
    plural = "" if len(parts) == 1 else "s"
    assert head == f"{len(parts)} validation error{plural}"
    return parts


def fail(path: str, value: str | None, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def not_null(path: str) -> str:
    return fail(path, None, "Member must not be null")


# ---------------------------------------------------------------------------- serialization


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "TRUE_VALUE cannot be converted to String"),
        (False, "FALSE_VALUE cannot be converted to String"),
        (23, "NUMBER_VALUE cannot be converted to String"),
        (2147483648, "NUMBER_VALUE cannot be converted to String"),
        (34.56, "DECIMAL_VALUE cannot be converted to String"),
        ([], "Unrecognized collection type class java.lang.String"),
        ({}, "Start of structure or map found where not expected"),
    ],
)
def test_string_member_names_the_json_token(value: Any, message: str) -> None:
    assert serialization("GetItem", {"TableName": value}) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("23", "Unexpected token received from parser"),
        (23, "NUMBER_VALUE cannot be converted to Boolean"),
        (34.56, "DECIMAL_VALUE cannot be converted to Boolean"),
        ([], "Unrecognized collection type class java.lang.Boolean"),
        ({}, "Start of structure or map found where not expected"),
    ],
)
def test_boolean_member(value: Any, message: str) -> None:
    assert serialization("GetItem", {"ConsistentRead": value}) == message


def test_boolean_words_are_read_as_booleans() -> None:
    body: dict[str, Any] = {"TableName": "abc", "Key": {}, "ConsistentRead": "FALSE"}
    validate_input("GetItem", body)
    assert body["ConsistentRead"] is False


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("23", "STRING_VALUE cannot be converted to Integer"),
        (True, "TRUE_VALUE cannot be converted to Integer"),
        (False, "FALSE_VALUE cannot be converted to Integer"),
        ([], "Unrecognized collection type class java.lang.Integer"),
        ({}, "Start of structure or map found where not expected"),
    ],
)
def test_integer_member(value: Any, message: str) -> None:
    assert serialization("ListTables", {"Limit": value}) == message


def test_long_member_inside_a_structure() -> None:
    body = {"TableName": "abc", "ProvisionedThroughput": {"ReadCapacityUnits": "5"}}
    assert serialization("CreateTable", body) == "STRING_VALUE cannot be converted to Long"
    body = {"TableName": "abc", "ProvisionedThroughput": {"WriteCapacityUnits": []}}
    assert serialization("CreateTable", body) == "Unrecognized collection type class java.lang.Long"


def test_fractional_integer_is_truncated() -> None:
    body: dict[str, Any] = {"Limit": 5.9}
    validate_input("ListTables", body)
    assert body["Limit"] == 5 and isinstance(body["Limit"], int)


def test_double_and_timestamp_members() -> None:
    # Not in dynalite; the wording follows the same Jackson token pattern (floci's test notes).
    body = {
        "TableName": "abc",
        "ProvisionedWriteCapacityAutoScalingUpdate": {
            "ScalingPolicyUpdate": {
                "TargetTrackingScalingPolicyConfiguration": {"TargetValue": "5"}
            }
        },
    }
    message = serialization("UpdateTableReplicaAutoScaling", body)
    assert message == "STRING_VALUE cannot be converted to Double"
    assert serialization("ListBackups", {"TimeRangeLowerBound": "2020-01-01"}) == (
        "STRING_VALUE cannot be converted to Date"
    )
    validate_input("ListBackups", {"TimeRangeLowerBound": 1577836800.5})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "only base-64-encoded strings are convertible to bytes"),
        (23, "only base-64-encoded strings are convertible to bytes"),
        (34.56, "only base-64-encoded strings are convertible to bytes"),
        ([], "Unrecognized collection type class java.nio.ByteBuffer"),
        ({}, "Start of structure or map found where not expected"),
        ("23456", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
        ("=+/=", "Invalid last non-pad Base64 character dectected"),
        ("+/+=", "Invalid last non-pad Base64 character dectected"),
    ],
)
def test_blob_member(value: Any, message: str) -> None:
    assert serialization("GetItem", {"TableName": "abc", "Key": {"a": {"B": value}}}) == message


def test_blob_set_elements_are_checked_too() -> None:
    body = {"TableName": "abc", "Item": {"a": {"BS": ["Yg==", "abcde"]}}}
    message = serialization("PutItem", body)
    assert message == "Base64 encoded length is expected a multiple of 4 bytes but found: 5"


def test_blob_with_a_character_outside_base64() -> None:
    # Wording unverified (dynalite's older tests quote it inside a longer message).
    body = {"TableName": "abc", "Key": {"a": {"B": "ab!d"}}}
    assert serialization("GetItem", body) == "Invalid Base64 character: '!'"


def test_valid_blobs_pass() -> None:
    for blob in ("", "Yg==", "YWI=", "YWJj", "+/+/"):
        validate_input("GetItem", {"TableName": "abc", "Key": {"a": {"B": blob}}})


def test_list_member() -> None:
    assert serialization("GetItem", {"AttributesToGet": "a"}) == "Unexpected field type"
    assert serialization("GetItem", {"AttributesToGet": 5}) == "Unexpected field type"
    assert serialization("GetItem", {"AttributesToGet": {}}) == (
        "Start of structure or map found where not expected"
    )


def test_map_member() -> None:
    assert serialization("GetItem", {"Key": "a"}) == "Unexpected field type"
    assert serialization("GetItem", {"Key": []}) == (
        "Unrecognized collection type java.util.Map<java.lang.String, "
        "com.amazonaws.dynamodb.v20120810.AttributeValue>"
    )
    assert serialization("GetItem", {"ExpressionAttributeNames": []}) == (
        "Unrecognized collection type java.util.Map<java.lang.String, java.lang.String>"
    )
    assert serialization("BatchWriteItem", {"RequestItems": []}) == (
        "Unrecognized collection type java.util.Map<java.lang.String, "
        "java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>>"
    )


def test_structure_member_and_structure_element() -> None:
    assert serialization("CreateTable", {"ProvisionedThroughput": "a"}) == "Unexpected field type"
    assert serialization("CreateTable", {"ProvisionedThroughput": []}) == (
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.ProvisionedThroughput"
    )
    assert serialization("CreateTable", {"KeySchema": ["a"]}) == "Unexpected value type in payload"
    assert serialization("CreateTable", {"KeySchema": [[]]}) == (
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.KeySchemaElement"
    )


def test_containers_inside_containers_give_the_cast_message() -> None:
    assert serialization("BatchWriteItem", {"RequestItems": {"abc": 5}}) == CAST
    assert serialization("BatchGetItem", {"RequestItems": {"abc": {"Keys": ["a"]}}}) == CAST


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        (5, "Unexpected value type in payload"),
        ([], "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"),
        ({"S": 5}, "NUMBER_VALUE cannot be converted to String"),
        ({"N": 5}, "NUMBER_VALUE cannot be converted to String"),
        ({"BOOL": "x"}, "Unexpected token received from parser"),
        ({"SS": "a"}, "Unexpected field type"),
        ({"SS": [1]}, "NUMBER_VALUE cannot be converted to String"),
        ({"L": [5]}, "Unexpected value type in payload"),
        ({"L": [{"BS": [True]}]}, "only base-64-encoded strings are convertible to bytes"),
        (
            {"M": []},
            "Unrecognized collection type java.util.Map<java.lang.String, "
            "com.amazonaws.dynamodb.v20120810.AttributeValue>",
        ),
        ({"M": {"a": "x"}}, "Unexpected value type in payload"),
        (
            {"M": {"a": {"L": [{"M": {"b": {"S": {}}}}]}}},
            "Start of structure or map found where not expected",
        ),
    ],
)
def test_attribute_values_are_checked_recursively(attribute: Any, message: str) -> None:
    assert serialization("PutItem", {"TableName": "abc", "Item": {"a": attribute}}) == message


def test_unknown_members_and_nulls_are_ignored() -> None:
    body = {
        "TableName": "abc",
        "Key": {"a": {"S": "x", "whatever": 5}},
        "Unknown": [1],
        "IndexName": None,
        "ConsistentRead": None,
        "AttributesToGet": None,
    }
    validate_input("GetItem", body)
    validate_input("ListTables", {"ExclusiveStartTableName": None, "Limit": None, "hi": "yo"})


def test_first_wrong_member_in_body_order_wins() -> None:
    first = {"TableName": "abc", "Limit": "5", "IndexName": 5}
    assert serialization("Scan", first) == "STRING_VALUE cannot be converted to Integer"
    second = {"TableName": "abc", "IndexName": 5, "Limit": "5"}
    assert serialization("Scan", second) == "NUMBER_VALUE cannot be converted to String"


def test_types_are_checked_before_constraints() -> None:
    assert serialization("GetItem", {"TableName": "a;", "Limit": 1, "ConsistentRead": 1}) == (
        "NUMBER_VALUE cannot be converted to Boolean"
    )


def test_body_that_is_not_an_object() -> None:
    # Unverified against DynamoDB (dynalite treats such bodies as {}).
    assert serialization("ListTables", []) == "Start of list found where not expected"
    assert serialization("ListTables", 5) == "Unexpected value type in payload"


def test_unknown_operation() -> None:
    with pytest.raises(errors.DynamoError) as caught:
        validate_input("ListTable", {})
    assert caught.value.type_name == "UnknownOperationException"


# ---------------------------------------------------------------------------- constraints


def test_get_item_empty_body() -> None:
    assert failures("GetItem", {}) == [not_null("tableName"), not_null("key")]


def test_get_item_empty_table_name() -> None:
    assert validation("GetItem", {"TableName": ""}) == (
        "3 validation errors detected: "
        "Value '' at 'tableName' failed to satisfy constraint: " + PATTERN + "; "
        "Value '' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3; "
        "Value null at 'key' failed to satisfy constraint: Member must not be null"
    )


def test_get_item_long_table_name() -> None:
    name = "a" * 256
    assert failures("GetItem", {"TableName": name}) == [
        fail("tableName", name, "Member must have length less than or equal to 255"),
        not_null("key"),
    ]


def test_get_item_errors_in_dynamodb_order() -> None:
    body = {"TableName": "abc;", "ReturnConsumedCapacity": "hi", "AttributesToGet": []}
    assert failures("GetItem", body) == [
        fail(
            "returnConsumedCapacity",
            "hi",
            "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        ),
        fail("attributesToGet", "[]", "Member must have length greater than or equal to 1"),
        fail("tableName", "abc;", PATTERN),
        not_null("key"),
    ]


def test_single_failure_wording() -> None:
    assert validation("GetItem", {"TableName": "abc"}) == (
        "1 validation error detected: "
        "Value null at 'key' failed to satisfy constraint: Member must not be null"
    )


def test_put_item_enums() -> None:
    body = {
        "TableName": "abc",
        "Item": {},
        "ReturnValues": "hi",
        "ConditionalOperator": "AN",
        "ReturnValuesOnConditionCheckFailure": "x",
    }
    assert failures("PutItem", body) == [
        fail("conditionalOperator", "AN", "Member must satisfy enum value set: [OR, AND]"),
        fail(
            "returnValues",
            "hi",
            "Member must satisfy enum value set: "
            "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        ),
        fail(
            "returnValuesOnConditionCheckFailure",
            "x",
            "Member must satisfy enum value set: [ALL_OLD, NONE]",
        ),
    ]


def test_put_item_expected_map_paths() -> None:
    body = {"TableName": "abc", "Item": {}, "Expected": {"a": {"ComparisonOperator": "XX"}}}
    assert failures("PutItem", body) == [
        fail(
            "expected.a.member.comparisonOperator",
            "XX",
            "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, "
            "NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
        ),
    ]


def test_update_item_errors_in_dynamodb_order() -> None:
    body = {
        "TableName": "abc;",
        "ReturnConsumedCapacity": "hi",
        "ReturnItemCollectionMetrics": "hi",
        "ReturnValues": "hi",
    }
    assert failures("UpdateItem", body) == [
        fail(
            "returnConsumedCapacity",
            "hi",
            "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        ),
        fail("tableName", "abc;", PATTERN),
        fail(
            "returnItemCollectionMetrics", "hi", "Member must satisfy enum value set: [SIZE, NONE]"
        ),
        fail(
            "returnValues",
            "hi",
            "Member must satisfy enum value set: "
            "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        ),
        not_null("key"),
    ]


def test_update_item_leaves_attribute_update_contents_to_the_handler() -> None:
    # {"x": ...} without Action is answered by UpdateItem's own checks (dynalite test).
    validate_input("UpdateItem", {"TableName": "abc", "Key": {}, "AttributeUpdates": {"a": {}}})


def test_delete_item() -> None:
    assert failures("DeleteItem", {"TableName": "ab", "ReturnValues": "ALL"}) == [
        fail("tableName", "ab", "Member must have length greater than or equal to 3"),
        fail(
            "returnValues",
            "ALL",
            "Member must satisfy enum value set: "
            "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        ),
        not_null("key"),
    ]


def test_list_tables_errors_in_order() -> None:
    body = {"ExclusiveStartTableName": "a;", "Limit": 500}
    assert validation("ListTables", body) == (
        "3 validation errors detected: "
        "Value '500' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 100; "
        "Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: " + PATTERN + "; "
        "Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3"
    )
    assert failures("ListTables", {"Limit": 0}) == [
        fail("limit", "0", "Member must have value greater than or equal to 1")
    ]


@pytest.mark.parametrize(
    "operation",
    [
        "CreateTable",
        "DeleteTable",
        "DescribeTable",
        "UpdateTable",
        "DescribeTimeToLive",
        "UpdateTimeToLive",
    ],
)
def test_control_plane_table_name_checks_come_alone(operation: str) -> None:
    assert validation(operation, {}) == (
        "The parameter 'TableName' is required but was not present in the request"
    )
    for name in ("", "a;", "a" * 256):
        assert validation(operation, {"TableName": name}) == (
            "TableName must be at least 3 characters long and at most 255 characters long"
        )


def test_describe_table_pattern() -> None:
    assert validation("DescribeTable", {"TableName": "abc;"}) == (
        "1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy "
        "constraint: " + PATTERN
    )


def test_create_table_null_members() -> None:
    assert failures("CreateTable", {"TableName": "abc;"}) == [
        not_null("attributeDefinitions"),
        fail("tableName", "abc;", PATTERN),
        not_null("keySchema"),
    ]


def test_create_table_throughput_write_before_read() -> None:
    body = {"TableName": "abc", "AttributeDefinitions": [], "ProvisionedThroughput": {}}
    assert failures("CreateTable", body) == [
        not_null("provisionedThroughput.writeCapacityUnits"),
        not_null("provisionedThroughput.readCapacityUnits"),
        not_null("keySchema"),
    ]
    body = {
        "TableName": "abc",
        "AttributeDefinitions": [],
        "KeySchema": [],
        "ProvisionedThroughput": {"ReadCapacityUnits": -1, "WriteCapacityUnits": -1},
    }
    assert failures("CreateTable", body) == [
        fail(
            "provisionedThroughput.writeCapacityUnits",
            "-1",
            "Member must have value greater than or equal to 1",
        ),
        fail(
            "provisionedThroughput.readCapacityUnits",
            "-1",
            "Member must have value greater than or equal to 1",
        ),
        fail("keySchema", "[]", "Member must have length greater than or equal to 1"),
    ]


def test_create_table_key_schema_elements() -> None:
    body = {
        "TableName": "abc",
        "AttributeDefinitions": [],
        "KeySchema": [
            {"KeyType": "HASH"},
            {"AttributeName": "a"},
            {"KeyType": "Woop", "AttributeName": "a"},
        ],
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    }
    assert failures("CreateTable", body) == [
        # The list rendering follows moto's record of DynamoDB's message.
        fail(
            "keySchema",
            "[KeySchemaElement(attributeName=null, keyType=HASH), "
            "KeySchemaElement(attributeName=a, keyType=null), "
            "KeySchemaElement(attributeName=a, keyType=Woop)]",
            "Member must have length less than or equal to 2",
        ),
        not_null("keySchema.1.member.attributeName"),
        not_null("keySchema.2.member.keyType"),
        fail(
            "keySchema.3.member.keyType",
            "Woop",
            "Member must satisfy enum value set: [HASH, RANGE]",
        ),
    ]


def test_create_table_attribute_definitions() -> None:
    body = {
        "TableName": "abc",
        "KeySchema": [{"KeyType": "HASH", "AttributeName": "a"}],
        "AttributeDefinitions": [{}, {"AttributeName": "b", "AttributeType": "SS"}],
    }
    assert failures("CreateTable", body) == [
        not_null("attributeDefinitions.1.member.attributeName"),
        not_null("attributeDefinitions.1.member.attributeType"),
        fail(
            "attributeDefinitions.2.member.attributeType",
            "SS",
            "Member must satisfy enum value set: [B, N, S]",
        ),
    ]


def test_create_table_index_members() -> None:
    index = {
        "IndexName": "ab",
        "KeySchema": [{"AttributeName": "a" * 256, "KeyType": "HASH"}],
        "Projection": {"NonKeyAttributes": [""], "ProjectionType": "SOME"},
    }
    body = {
        "TableName": "abc",
        "AttributeDefinitions": [],
        "KeySchema": [],
        "GlobalSecondaryIndexes": [index],
    }
    path = "globalSecondaryIndexes.1.member"
    assert failures("CreateTable", body) == [
        fail("keySchema", "[]", "Member must have length greater than or equal to 1"),
        fail(f"{path}.indexName", "ab", "Member must have length greater than or equal to 3"),
        fail(
            f"{path}.keySchema.1.member.attributeName",
            "a" * 256,
            "Member must have length less than or equal to 255",
        ),
        fail(
            f"{path}.projection.nonKeyAttributes",
            "[]",
            "Member must satisfy constraint: [Member must have length less than or equal to 255, "
            "Member must have length greater than or equal to 1]",
        ),
        fail(
            f"{path}.projection.projectionType",
            "SOME",
            "Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]",
        ),
    ]


def test_create_table_gsi_key_schema_has_no_maximum() -> None:
    # GSIs take multi-attribute keys; tables and LSIs keep the maximum of 2.
    keys = [{"AttributeName": n, "KeyType": "HASH"} for n in "abc"]
    index = {"IndexName": "idx", "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}}
    body = {
        "TableName": "abc",
        "AttributeDefinitions": [],
        "GlobalSecondaryIndexes": [index],
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
    }
    validate_input("CreateTable", body)


def test_at_most_ten_failures_are_listed() -> None:
    keys: list[dict[str, str]] = [{} for _ in range(8)]
    body = {"TableName": "abc;", "AttributeDefinitions": [], "KeySchema": keys}
    parts = failures("CreateTable", body)  # 18 failures, the first 10 reported
    assert len(parts) == 10
    assert parts[0] == fail("tableName", "abc;", PATTERN)
    assert parts[1].endswith(
        "at 'keySchema' failed to satisfy constraint: "
        "Member must have length less than or equal to 2"
    )
    assert parts[2] == not_null("keySchema.1.member.attributeName")
    assert parts[-1] == not_null("keySchema.4.member.keyType")


def test_update_table_index_updates() -> None:
    body = {
        "TableName": "abc",
        "BillingMode": "FREE",
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "ab"}}, {"Delete": {}}],
    }
    assert failures("UpdateTable", body) == [
        fail(
            "billingMode",
            "FREE",
            "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
        ),
        not_null("globalSecondaryIndexUpdates.1.member.create.projection"),
        fail(
            "globalSecondaryIndexUpdates.1.member.create.indexName",
            "ab",
            "Member must have length greater than or equal to 3",
        ),
        not_null("globalSecondaryIndexUpdates.1.member.create.keySchema"),
        not_null("globalSecondaryIndexUpdates.2.member.delete.indexName"),
    ]


def test_update_table_create_index_without_throughput_is_valid() -> None:
    create = {
        "IndexName": "idx",
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    validate_input(
        "UpdateTable", {"TableName": "abc", "GlobalSecondaryIndexUpdates": [{"Create": create}]}
    )


def test_update_time_to_live() -> None:
    body: dict[str, Any] = {"TableName": "abc", "TimeToLiveSpecification": {}}
    assert failures("UpdateTimeToLive", body) == [
        not_null("timeToLiveSpecification.attributeName"),
        not_null("timeToLiveSpecification.enabled"),
    ]
    # An empty name is the operation's own "must be non empty" message, not a constraint.
    validate_input(
        "UpdateTimeToLive",
        {"TableName": "abc", "TimeToLiveSpecification": {"AttributeName": "", "Enabled": True}},
    )


def test_tag_resource_leaves_arn_and_tags_to_the_operation() -> None:
    validate_input("TagResource", {})
    validate_input("UntagResource", {"ResourceArn": ""})
    validate_input("ListTagsOfResource", {})


def test_tag_members_are_left_to_the_tag_rules() -> None:
    # DynamoDB answers a bad tag with its tag rules' own messages ("The Tag Key provided is
    # invalid, Key: null"), never with a constraint failure (api/dynamodb/tags).
    tags = [{"Key": "", "Value": "v"}, {"Key": "k" * 129}, {"Value": "v" * 257}, {}]
    validate_input("TagResource", {"ResourceArn": "arn", "Tags": tags})
    validate_input("UntagResource", {"ResourceArn": "arn", "TagKeys": ["", "k" * 129]})
    table = {
        "TableName": "abc",
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
    }
    validate_input("CreateTable", {**table, "Tags": tags})


def test_query_map_entries_are_reported_last_first() -> None:
    body = {
        "TableName": "abc",
        "Limit": -1,
        "KeyConditions": {"a": {}, "b": {"ComparisonOperator": ""}},
    }
    assert failures("Query", body) == [
        fail("limit", "-1", "Member must have value greater than or equal to 1"),
        fail(
            "keyConditions.b.member.comparisonOperator",
            "",
            "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, "
            "NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
        ),
        not_null("keyConditions.a.member.comparisonOperator"),
    ]


def test_scan_segments() -> None:
    body = {"TableName": "abc", "Segment": -1, "TotalSegments": 1000001, "Select": "hi"}
    assert failures("Scan", body) == [
        fail("segment", "-1", "Member must have value greater than or equal to 0"),
        fail(
            "select",
            "hi",
            "Member must satisfy enum value set: "
            "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
        ),
        fail("totalSegments", "1000001", "Member must have value less than or equal to 1000000"),
    ]


def test_batch_write_item_paths_and_map_constraints() -> None:
    body = {
        "RequestItems": {"aa;": [{"PutRequest": {}, "DeleteRequest": {}}]},
        "ReturnConsumedCapacity": "hi",
        "ReturnItemCollectionMetrics": "hi",
    }
    rendered = (
        "{aa;=[WriteRequest(putRequest=PutRequest(item=null), "
        "deleteRequest=DeleteRequest(key=null))]}"
    )
    assert failures("BatchWriteItem", body) == [
        fail(
            "returnConsumedCapacity",
            "hi",
            "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        ),
        fail(
            "returnItemCollectionMetrics", "hi", "Member must satisfy enum value set: [SIZE, NONE]"
        ),
        fail(
            "requestItems",
            rendered,
            "Map keys must satisfy constraint: "
            "[Member must have length less than or equal to 255, "
            "Member must have length greater than or equal to 3, " + PATTERN + "]",
        ),
        not_null("requestItems.aa;.member.1.member.deleteRequest.key"),
        not_null("requestItems.aa;.member.1.member.putRequest.item"),
    ]


def test_batch_write_item_map_values() -> None:
    assert failures("BatchWriteItem", {"RequestItems": {}}) == [
        fail("requestItems", "{}", "Member must have length greater than or equal to 1")
    ]
    assert failures("BatchWriteItem", {"RequestItems": {"a": []}}) == [
        fail(
            "requestItems",
            "{a=[]}",
            "Map keys must satisfy constraint: "
            "[Member must have length less than or equal to 255, "
            "Member must have length greater than or equal to 3, " + PATTERN + "]",
        ),
        fail(
            "requestItems",
            "{a=[]}",
            "Map value must satisfy constraint: "
            "[Member must have length less than or equal to 25, "
            "Member must have length greater than or equal to 1]",
        ),
    ]


def test_batch_get_item() -> None:
    body = {"RequestItems": {"abc": {"Keys": []}, "abd": {}}, "ReturnConsumedCapacity": "hi"}
    assert failures("BatchGetItem", body) == [
        fail(
            "returnConsumedCapacity",
            "hi",
            "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        ),
        not_null("requestItems.abd.member.keys"),
        fail(
            "requestItems.abc.member.keys",
            "[]",
            "Member must have length greater than or equal to 1",
        ),
    ]


def test_long_attribute_names_break_the_map_key_limit() -> None:
    name = "a" * 65536
    [message] = failures("PutItem", {"TableName": "abc", "Item": {name: {"S": "x"}}})
    assert message.startswith("Value '{" + name + "=AttributeValue(")
    assert message.endswith(
        "' at 'item' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must have length less than or equal to 65535]"
    )


def test_transact_write_items_limit() -> None:
    put = {"Put": {"TableName": "abc", "Item": {}}}
    validate_input("TransactWriteItems", {"TransactItems": [put] * 100})
    [message] = failures("TransactWriteItems", {"TransactItems": []})
    assert message == fail(
        "transactItems", "[]", "Member must have length greater than or equal to 1"
    )


def test_streams_operations_are_known() -> None:
    assert {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"} <= (
        shapes.KNOWN_OPERATIONS
    )
    assert failures("GetShardIterator", {"ShardIteratorType": "NOW"}) == [
        not_null("streamArn"),
        not_null("shardId"),
        fail(
            "shardIteratorType",
            "NOW",
            "Member must satisfy enum value set: "
            "[TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP]",
        ),
    ]


def test_message_helpers() -> None:
    one = shapes.constraint_message("tags", None, "Member must not be null")
    assert shapes.aggregate_message([one]) == (
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
        "Member must not be null"
    )
    assert shapes.render(1.5e10, "DoubleObject") == "1.5E10"
    assert shapes.render(50.0, "DoubleObject") == "50.0"


# ---------------------------------------------------------------------------- data and speed


def test_shapes_json_is_generated_from_the_installed_botocore() -> None:
    pytest.importorskip("botocore")
    spec = importlib.util.spec_from_file_location("gen_shapes", ROOT / "tools" / "gen_shapes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads((ROOT / "opendynamo" / "api" / "request" / "shapes.json").read_text())
    assert committed == module.build(), "run: python tools/gen_shapes.py"


def test_every_operation_compiles() -> None:
    """Each operation's checks are compiled at its first request: all of them compile."""
    assert all(shapes.compiled(name) is not None for name in shapes.KNOWN_OPERATIONS)
    assert shapes.compiled("NoSuchOperation") is None


def test_every_model_operation_is_covered() -> None:
    botocore = pytest.importorskip("botocore.loaders")
    loader = botocore.Loader()
    names = set(loader.load_service_model("dynamodb", "service-2")["operations"])
    names |= set(loader.load_service_model("dynamodbstreams", "service-2")["operations"])
    assert names == shapes.KNOWN_OPERATIONS


def test_get_item_validates_quickly() -> None:
    body = {
        "TableName": "my_table",
        "Key": {"pk": {"S": "abc"}, "sk": {"N": "12"}},
        "ConsistentRead": True,
        "ReturnConsumedCapacity": "TOTAL",
        "ProjectionExpression": "#a, b",
        "ExpressionAttributeNames": {"#a": "a"},
    }
    runs = 2000
    seconds = min(timeit.repeat(lambda: validate_input("GetItem", body), number=runs, repeat=3))
    # ~11 µs on a laptop; the bound is loose so slow CI machines do not flake.
    assert seconds / runs < 100e-6
