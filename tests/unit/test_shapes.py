"""Unit tests for `opendynamo.api.request.shapes`: DynamoDB's SerializationException and aggregated
ValidationException messages, word for word.

Expected texts come from dynalite's tests (architect/dynalite `test/*.js`, recorded against live
DynamoDB) unless a comment says otherwise.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
import timeit
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendynamo import errors
from opendynamo.api.request import shapes
from opendynamo.api.request.shapes import messages, validate_input
from opendynamo.api.request.shapes.constraints import PYTHON_PATTERNS
from opendynamo.api.request.shapes.model import SHAPES
from opendynamo.api.request.shapes.validate import interpret
from tests.fuzz.test_wire_fuzz import REPLACEMENTS, _paths, _replaced, attribute_values, value_of

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


# ---------------------------------------------------------------------------- the generated pass

HOT = (
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactWriteItems", "TransactGetItems", "ExecuteStatement",
)  # fmt: skip
# Beside the wire fuzzer's replacements: values the interpreted checks coerce, base64 that needs
# a closer look, values at the limits, and nulls where DynamoDB refuses or ignores them.
EDGES = st.sampled_from(
    (
        "true", "FALSE", "tru", 1.5, -0.5, 2**31, "AAA=", "AA==", "A===", "AB=C", "abc",
        "a" * 256, "ab", "\u00e9" * 200, "\U0001f600" * 128, {"S": "x"}, [{"S": "x"}], [None],
        {"k": None}, "arn:aws:dynamodb:us-east-1:000000000000:table/abc", {"B": "AB=="},
        {"B": "AAB="}, {"BS": ["AAA=", "AB=="]}, {"NULL": "true"}, {"BOOL": "False"},
    )
)  # fmt: skip
REPLACEMENT = st.one_of(REPLACEMENTS, EDGES)
ATTRIBUTE_VALUES = attribute_values()
# A scalar member's values of another JSON type, the ones the interpreted checks coerce, and
# base64 that needs their closer look (good and bad).
TYPE_EDGES: dict[str, tuple[Any, ...]] = {
    "string": (1, True, None, ["a"], {}),
    "integer": (1.5, -0.5, "1", True, {}),
    "long": (2.5, "1", False, []),
    "double": ("1.5", True, 7, 1e300, None),
    "timestamp": ("1.5", 1.5e9, []),
    "boolean": ("true", "FALSE", "yes", 1, [], None),
    "blob": ("AB==", "AAB=", "AA==", "AAA=", "A===", "AAAA", "AB=C", "A", 5, {}),
}


def _checks(rule: dict[str, Any] | None, extra: Any) -> dict[str, Any]:
    return dict((check, arg) for check, arg in [*(rule or {}).get("checks", []), *extra])


@functools.cache
def _edges(kind: str, checks_text: str) -> list[Any]:
    """A scalar member's values at and just beyond its limits (lengths as Java counts them,
    with characters outside the BMP too: two units each), and of other types."""
    checks = json.loads(checks_text)
    found: list[Any] = list(TYPE_EDGES.get(kind, ()))
    if "enum" in checks:
        found += ["nope", checks["enum"][0].lower()]
    if "pattern" in checks:
        found += ["a b", "abc#"]
    for bound, step in (("min", -1), ("max", 1)):
        if bound in checks:
            found += [checks[bound], checks[bound] + step]
    for bound in ("minLen", "maxLen"):
        size = checks.get(bound)
        if kind == "string" and size is not None:
            found += ["a" * max(size - 1, 0), "a" * size, "a" * (size + 1)]
            found += ["\U0001f600" * (size // 2), "\U0001f600" * (size // 2 + 1)]
    return found


def _slots(value: Any, name: str, rule: Any, extra: Any = (), path: tuple[Any, ...] = ()) -> Any:
    """(path, edges) of each scalar of a request, found along its shape and rule tree."""
    shape, rule = SHAPES[name], rule or {}
    if shape["type"] == "structure" and isinstance(value, dict):
        rules = dict(rule.get("members", []))
        for member, ref in shape["members"]:
            if value.get(member) is not None:
                yield from _slots(value[member], ref, rules.get(member), (), (*path, member))
    elif shape["type"] == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            inner = (rule.get("member"), rule.get("elements", []), (*path, index))
            yield from _slots(item, shape["member"], *inner)
    elif shape["type"] == "map" and isinstance(value, dict):
        for key, item in value.items():
            inner = (rule.get("member"), rule.get("values", []), (*path, key))
            yield from _slots(item, shape["value"], *inner)
    elif shape["type"] not in ("structure", "list", "map"):
        yield path, _edges(shape["type"], json.dumps(_checks(rule, extra), sort_keys=True))


@functools.cache
def _matching(regex: str) -> st.SearchStrategy[str]:
    if "\\U" in regex:  # hypothesis takes seconds to make a strategy of so many characters
        pattern = re.compile(regex)  # (and would make one of `filter(pattern.fullmatch)`)
        return st.text().filter(lambda text: pattern.fullmatch(text) is not None)
    return st.from_regex(regex, fullmatch=True)


def _sized(checks: dict[str, Any], low: int, high: int) -> tuple[int, int]:
    """Sizes that satisfy a value's length checks (kept small)."""
    low = max(low, checks.get("minLen", low))
    high = min(high, checks.get("maxLen", high))
    return low, max(low, min(high, low + 2))


def _valid(name: str, rule: dict[str, Any] | None = None, extra: Any = ()) -> Any:
    """Values of a shape that satisfy its rule tree's checks (and the bracket checks `extra`
    of the list or map holding them): what the generated pass must vouch for."""
    shape, rule, checks = SHAPES[name], rule or {}, _checks(rule, extra)
    kind = shape["type"]
    if name == "AttributeValue":
        return ATTRIBUTE_VALUES
    if kind == "structure":
        rules = dict(rule.get("members", []))
        members = {m: _valid(ref, rules.get(m)) for m, ref in shape["members"]}
        required = {
            m for m, r in rules.items()
            if ["notNull", True] in r.get("checks", []) or "required" in r.get("pre", [])
        }  # fmt: skip
        return st.fixed_dictionaries(
            {m: v for m, v in members.items() if m in required},
            optional={m: v for m, v in members.items() if m not in required},
        )
    if kind == "list":
        element = _valid(shape["member"], rule.get("member"), rule.get("elements", []))
        low, high = _sized(checks, 0, 3)
        return st.lists(element, min_size=low, max_size=high)
    if kind == "map":
        keys = _valid("String", None, rule.get("keys", []))
        value = _valid(shape["value"], rule.get("member"), rule.get("values", []))
        low, high = _sized(checks, 0, 2)
        return st.dictionaries(keys, value, min_size=low, max_size=high)
    if kind == "string":
        if "enum" in checks:
            return st.sampled_from(checks["enum"])
        low, high = _sized(checks, 0, 12)
        if "pattern" in checks:
            found = _matching(PYTHON_PATTERNS.get(checks["pattern"], checks["pattern"]))
            return found.filter(lambda text: low <= messages.java_length(text) <= max(high, 255))
        return st.text(min_size=low, max_size=high)
    if kind in ("integer", "long"):
        low = checks.get("min", -5)
        return st.integers(low, checks.get("max", max(low, 0) + 200))
    if kind in ("double", "timestamp"):
        return st.floats(checks.get("min", -1e6), checks.get("max", 2e9), allow_nan=False)
    return value_of(name, "", False)  # booleans and blobs


@functools.cache
def _requests(operation: str) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """Valid requests (made from the rule tree), and requests as the wire fuzzer makes them."""
    spec = shapes.DOC["operations"][operation]
    return _valid(spec["input"], spec["rules"]), value_of(spec["input"], "", False)


@st.composite
def _bodies(draw: st.DrawFn, operation: str) -> list[Any]:
    """A request (valid three times in four), and variants of it: six with one scalar at or
    beyond its limits or of another type (so the one check it breaks must be seen), three with
    one to three members replaced as the wire fuzzer does. (Hypothesis takes longer to make a
    request than both checks take on ten.)"""
    valid, fuzzed = _requests(operation)
    body = draw(fuzzed if draw(st.integers(0, 3)) == 0 else valid)
    spec = shapes.DOC["operations"][operation]
    slots = list(_slots(body, spec["input"], spec["rules"]))
    variants = [body]
    for _ in range(6 if slots else 0):
        path, edges = slots[draw(st.integers(0, len(slots) - 1))]
        variants.append(_replaced(body, path, edges[draw(st.integers(0, len(edges) - 1))]))
    for _ in range(3):
        changed = body
        for _ in range(draw(st.integers(1, 3))):
            paths = list(_paths(changed))
            path = paths[draw(st.integers(0, len(paths) - 1))]
            changed = _replaced(changed, path, draw(REPLACEMENT))
        variants.append(changed)
    return variants


def _outcome(check: Any, *args: Any) -> tuple[str, str | None] | None:
    try:
        check(*args)
    except errors.DynamoError as error:
        return error.type_name, error.message
    return None


def _compare(operation: str, bodies: list[Any], nulls: bool) -> None:
    """validate_input (the generated pass, then the interpreted checks when it does not vouch
    for the body) against the interpreted checks alone: the same error, word for word, or none,
    and the same coercions made in place."""
    op = shapes.compiled(operation)
    assert op is not None
    for body in bodies:
        text = json.dumps(body)
        may_hold_null = nulls or "null" in text  # as the server decides
        reference, tried = json.loads(text), json.loads(text)
        expected = _outcome(interpret, op, reference, may_hold_null)
        assert _outcome(validate_input, operation, tried, may_hold_null) == expected
        assert tried == reference, text


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


@_settings(200)
@given(data=st.data(), operation=st.sampled_from(HOT), nulls=st.booleans())
def test_generated_pass_answers_as_the_interpreted_checks(
    data: st.DataObject, operation: str, nulls: bool
) -> None:
    _compare(operation, data.draw(_bodies(operation)), nulls)


@_settings(60)
@given(data=st.data(), operation=st.sampled_from(HOT))
def test_generated_pass_vouches_for_valid_requests(data: st.DataObject, operation: str) -> None:
    """Not only does the pass refuse what is invalid: it vouches for what is valid."""
    body = data.draw(_requests(operation)[0])
    op = shapes.compiled(operation)
    assert op is not None
    interpret(op, json.loads(json.dumps(body)), False)
    assert op.certainly_valid(body)


@_settings(80)
@given(data=st.data(), operation=st.sampled_from(sorted(shapes.KNOWN_OPERATIONS - set(HOT))))
def test_generated_pass_of_every_other_operation(data: st.DataObject, operation: str) -> None:
    _compare(operation, data.draw(_bodies(operation)), data.draw(st.booleans()))


def test_generated_pass_vouches_for_the_benchmarks_requests() -> None:
    bench = pytest.importorskip("bench.requests")
    data = bench.Dataset(items=10, partitions=2)
    for scenario in bench.MAKERS:
        for operation, body in bench.bodies(scenario, data, 3, 1, "t"):
            op = shapes.compiled(operation)
            assert op is not None and op.certainly_valid(body), (scenario, body)


def test_nesting_beyond_the_interpreters_stack() -> None:
    value: Any = {"S": "deep"}
    for _ in range(sys.getrecursionlimit()):
        value = {"L": [value]}
    assert validation("PutItem", {"TableName": "abc", "Item": {"a": value}}) == (
        "Nesting Levels have exceeded supported limits: "
        "Attributes in the item have nested levels beyond supported limit"
    )
