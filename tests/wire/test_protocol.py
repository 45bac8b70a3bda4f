"""DynamoDB's HTTP protocol (AWS JSON 1.0), driven with raw HTTP requests.

DynamoDB behaviour pinned here (API Reference, "Common Errors"; dynalite's `test/connection.js`, recorded
against live DynamoDB):
- `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON body; the response's
  Content-Type echoes the request's JSON type (`application/x-amz-json-1.0` or
  `application/json`), and carries `x-amzn-RequestId` (52 upper-case characters) and
  `x-amz-crc32`, the CRC32 of the exact body bytes (botocore checks it on every response).
- Errors are `{"__type": "<namespace>#<Name>", "message": ...}`: `com.amazon.coral.service#` for
  SerializationException (no message for unparseable JSON; capital `Message` for wrong JSON
  types), UnknownOperationException (no message) and the authentication errors;
  `com.amazon.coral.validate#ValidationException`; `com.amazonaws.dynamodb.v20120810#` for
  service errors such as ResourceNotFoundException.
- Check order: content type, JSON, target, authentication, JSON types, constraints, operation.
- `GET /` is a health check answering 200 `healthy: ...`; other methods, other paths and non-JSON
  content types are 404; a body over 16 MB is refused with HTTP 413.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from typing import Any

import pytest

from tests.conftest import Server, unique_name
from tests.wire.http import AMZ_JSON, Reply, send, signed_call, unverified_auth

CORAL = "com.amazon.coral.service#"
DYNAMODB = "com.amazonaws.dynamodb.v20120810#"
REQUEST_ID = re.compile(r"[0-9A-Z]{52}")
MAX_BODY = 16 * 1024 * 1024


def unsigned_headers(operation: str | None, content_type: str = AMZ_JSON) -> dict[str, str]:
    """Headers of a request with a well-formed but unverified Authorization header."""
    headers = {"Content-Type": content_type, **unverified_auth()}
    if operation is not None:
        headers["X-Amz-Target"] = f"DynamoDB_20120810.{operation}"
    return headers


def call(
    server: Server,
    operation: str,
    payload: dict[str, Any] | bytes,
    content_type: str = AMZ_JSON,
    extra_headers: dict[str, str] | None = None,
) -> Reply:
    return signed_call(
        server, operation, payload, content_type=content_type, extra_headers=extra_headers
    )


def assert_error(reply: Reply, type_: str, message: str | None = None) -> None:
    assert reply.status == 400, reply.body
    body = reply.json()
    assert body["__type"] == type_
    if message is None:
        assert set(body) == {"__type"}, body
    else:
        assert body.get("message", body.get("Message")) == message, body


# --------------------------------------------------------------------------- success path


def test_success_headers(server: Server) -> None:
    reply = call(server, "ListTables", {})
    assert reply.status == 200
    assert isinstance(reply.json()["TableNames"], list)
    assert reply.headers["content-type"] == AMZ_JSON
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"])
    assert reply.headers["x-amz-crc32"] == str(zlib.crc32(reply.body))
    assert reply.headers["content-length"] == str(len(reply.body))


def test_application_json_is_echoed(server: Server) -> None:
    reply = call(server, "ListTables", {}, content_type="application/json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["x-amz-crc32"] == str(zlib.crc32(reply.body))


def test_content_type_parameters_are_ignored(server: Server) -> None:
    reply = call(
        server,
        "ListTables",
        {},
        content_type="application/x-amz-json-1.0; charset=utf-8",
    )
    assert reply.status == 200
    assert reply.headers["content-type"] == AMZ_JSON


def test_request_ids_differ(server: Server) -> None:
    first = call(server, "ListTables", {}).headers["x-amzn-requestid"]
    second = call(server, "ListTables", {}).headers["x-amzn-requestid"]
    assert first != second


def test_error_has_crc32_and_request_id(server: Server) -> None:
    reply = call(server, "DescribeTable", {"TableName": unique_name()})
    assert reply.status == 400
    assert reply.headers["x-amz-crc32"] == str(zlib.crc32(reply.body))
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"])
    assert reply.headers["content-type"] == AMZ_JSON


def test_unknown_members_and_nulls_are_ignored(server: Server) -> None:
    reply = call(
        server,
        "ListTables",
        {"hi": "yo", "ExclusiveStartTableName": None, "Limit": None},
    )
    assert reply.status == 200
    assert isinstance(reply.json()["TableNames"], list)


def test_gzip_request_body(server: Server) -> None:
    name = unique_name()
    create = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    reply = call(
        server,
        "CreateTable",
        gzip.compress(json.dumps(create).encode()),
        extra_headers={"Content-Encoding": "gzip"},
    )
    assert reply.status == 200, reply.body
    assert reply.json()["TableDescription"]["TableName"] == name
    reply = call(
        server,
        "DescribeTable",
        gzip.compress(json.dumps({"TableName": name}).encode()),
        extra_headers={"Content-Encoding": "gzip"},
    )
    assert reply.status == 200
    assert reply.json()["Table"]["TableName"] == name
    assert reply.headers["x-amz-crc32"] == str(zlib.crc32(reply.body))
    call(server, "DeleteTable", {"TableName": name})


def test_timestamps_are_epoch_seconds(server: Server) -> None:
    name = unique_name()
    create = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    assert call(server, "CreateTable", create).status == 200
    table = call(server, "DescribeTable", {"TableName": name}).json()["Table"]
    assert isinstance(table["CreationDateTime"], (int, float))
    assert table["CreationDateTime"] > 1.7e9
    assert isinstance(
        table["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"], (int, float)
    )
    call(server, "DeleteTable", {"TableName": name})


# --------------------------------------------------------------------------- serialization


@pytest.mark.parametrize("body", [b"hi", b"{", b"[1,", b""])
def test_malformed_json(server: Server, body: bytes) -> None:
    reply = send(server, body=body, headers=unsigned_headers("ListTables"))
    assert_error(reply, CORAL + "SerializationException")
    assert reply.headers["content-type"] == AMZ_JSON


def test_malformed_json_echoes_application_json(server: Server) -> None:
    reply = send(server, body=b"hi", headers=unsigned_headers("ListTables", "application/json"))
    assert_error(reply, CORAL + "SerializationException")
    assert reply.headers["content-type"] == "application/json"
    # The exact bytes DynamoDB sends: its CRC is recorded in dynalite's tests.
    assert reply.headers["x-amz-crc32"] == "3948637019"


@pytest.mark.parametrize(
    ("encoding", "body"),
    [  # ids made of the bytes: fixed ones (mtime=0), so every xdist worker collects the same
        ("gzip", b"not gzip"),
        ("gzip", gzip.compress(b'{"Limit": 1}', mtime=0)[:-6]),  # truncated
        ("gzip", b""),
        ("deflate", b"not deflate"),
        ("deflate", zlib.compress(b"{}", wbits=-15)),  # raw deflate, not zlib's format
        ("br", b"{}"),
        ("compress", b"{}"),
    ],
)
def test_body_that_cannot_be_decoded_is_500(server: Server, encoding: str, body: bytes) -> None:
    """DynamoDB answers a body its Content-Encoding does not decode, or an encoding it does not
    know, with InternalServerError (HTTP 500), as JSON with a request id."""
    headers = unsigned_headers("ListTables")
    headers["Content-Encoding"] = encoding
    reply = send(server, body=body, headers=headers)
    assert reply.status == 500, reply.body
    assert reply.json()["__type"] == DYNAMODB + "InternalServerError"
    assert reply.headers["x-amzn-requestid"]


def test_wrong_json_type(server: Server) -> None:
    reply = call(server, "DescribeTable", {"TableName": 1})
    assert_error(
        reply,
        CORAL + "SerializationException",
        "NUMBER_VALUE cannot be converted to String",
    )
    assert "Message" in reply.json()  # capital M, as DynamoDB sends for this error


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"TableName": True}, "TRUE_VALUE cannot be converted to String"),
        ({"TableName": {}}, "Start of structure or map found where not expected"),
        ({"TableName": []}, "Unrecognized collection type class java.lang.String"),
    ],
)
def test_wrong_json_types(server: Server, payload: dict[str, Any], message: str) -> None:
    assert_error(
        call(server, "DescribeTable", payload),
        CORAL + "SerializationException",
        message,
    )


def test_wrong_json_type_for_integer(server: Server) -> None:
    assert_error(
        call(server, "ListTables", {"Limit": "1"}),
        CORAL + "SerializationException",
        "STRING_VALUE cannot be converted to Integer",
    )


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize(
    "target",
    [
        None,
        "whatever",
        "DynamoDB_20120810.ListTable",
        "DynamoDB_20120810",
        "Foo_1.ListTables",
    ],
)
def test_unknown_target(server: Server, target: str | None) -> None:
    headers = unsigned_headers(None)
    if target is not None:
        headers["X-Amz-Target"] = target
    reply = send(server, body=b"{}", headers=headers)
    assert_error(reply, CORAL + "UnknownOperationException")
    assert reply.headers["x-amz-crc32"] == "1368724161"  # dynalite's recorded CRC of this body


def test_unknown_target_precedes_authentication(server: Server) -> None:
    reply = send(
        server,
        body=b"{}",
        headers={"Content-Type": AMZ_JSON, "X-Amz-Target": "DynamoDB_20120810.Nope"},
    )
    assert_error(reply, CORAL + "UnknownOperationException")


def _unsupported_operation() -> str:
    from opendynamo.api.dynamodb import OPERATIONS, UNSUPPORTED

    remaining = sorted(set(UNSUPPORTED) - set(OPERATIONS))
    if not remaining:
        pytest.skip("every DynamoDB operation is served")
    return remaining[0]


def test_real_but_unsupported_operation(server: Server) -> None:
    operation = _unsupported_operation()
    reply = call(server, operation, {})
    assert reply.status == 400
    body = reply.json()
    assert body["__type"] == CORAL + "UnknownOperationException"
    message = body.get("message", body.get("Message"))
    assert message and operation in message


# --------------------------------------------------------------------------- authentication


def test_missing_authorization(server: Server) -> None:
    headers = unsigned_headers("ListTables")
    del headers["Authorization"]
    reply = send(server, body=b"{}", headers=headers)
    assert_error(
        reply,
        CORAL + "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    )


def test_authorization_not_aws4(server: Server) -> None:
    headers = unsigned_headers("ListTables")
    headers["Authorization"] = "AWS4"
    assert_error(
        send(server, body=b"{}", headers=headers),
        CORAL + "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    )


def test_authorization_without_signature(server: Server) -> None:
    headers = unsigned_headers("ListTables")
    authorization = (
        "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date"
    )
    headers["Authorization"] = authorization
    assert_error(
        send(server, body=b"{}", headers=headers),
        CORAL + "IncompleteSignatureException",
        f"Authorization header requires 'Signature' parameter. Authorization={authorization}",
    )


def test_authorization_with_nothing(server: Server) -> None:
    headers = {
        "Content-Type": AMZ_JSON,
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Authorization": "AWS4-",
    }
    assert_error(
        send(server, body=b"{}", headers=headers),
        CORAL + "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-",
    )


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4- Signature=b Credential=a",
        "AWS4- Signature=b,Credential=a",
        "AWS4- Signature=b, Credential=a",
    ],
)
def test_authorization_without_signed_headers(server: Server, authorization: str) -> None:
    headers = {
        "Content-Type": AMZ_JSON,
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Authorization": authorization,
        "Date": "a",
    }
    assert_error(
        send(server, body=b"{}", headers=headers),
        CORAL + "IncompleteSignatureException",
        f"Authorization header requires 'SignedHeaders' parameter. Authorization={authorization}",
    )


def test_serialization_precedes_authentication(server: Server) -> None:
    reply = send(
        server,
        body=b"hi",
        headers={
            "Content-Type": AMZ_JSON,
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
        },
    )
    assert_error(reply, CORAL + "SerializationException")


# --------------------------------------------------------------------------- namespaces


def test_validation_namespace(server: Server) -> None:
    assert_error(
        call(server, "DescribeTable", {"TableName": "ab"}),
        "com.amazon.coral.validate#ValidationException",
        "TableName must be at least 3 characters long and at most 255 characters long",
    )


def test_resource_not_found_namespace(server: Server) -> None:
    name = unique_name()
    assert_error(
        call(server, "DescribeTable", {"TableName": name}),
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )


def test_validation_error_uses_lower_case_message(server: Server) -> None:
    body = call(server, "DescribeTable", {"TableName": "ab"}).json()
    assert "message" in body and "Message" not in body


# --------------------------------------------------------------------------- other HTTP


def test_health_check(server: Server) -> None:
    reply = send(server, method="GET")
    assert reply.status == 200
    text = reply.body.decode()
    assert text.startswith("healthy:")
    assert str(server.port) in text
    assert reply.headers["x-amz-crc32"] == str(zlib.crc32(reply.body))
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"])


@pytest.mark.parametrize("path", ["/nope", "/favicon.ico", "/shell/"])
def test_other_get_paths_are_404(server: Server, path: str) -> None:
    assert send(server, method="GET", path=path).status == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
def test_other_methods_are_404(server: Server, method: str) -> None:
    reply = send(server, method=method)
    assert reply.status == 404
    assert reply.body == b"<UnknownOperationException/>\n"
    assert reply.headers["x-amz-crc32"] == "3552371480"


@pytest.mark.parametrize(
    "content_type",
    [None, "whatever", "application/x-amz-json-1.1", "application/jsonasdf"],
)
def test_body_with_other_content_type_is_404(server: Server, content_type: str | None) -> None:
    headers = unsigned_headers("ListTables")
    if content_type is None:
        del headers["Content-Type"]
    else:
        headers["Content-Type"] = content_type
    reply = send(server, body=b"hi", headers=headers)
    assert reply.status == 404
    assert reply.body == b"<UnknownOperationException/>\n"


def test_body_over_16_mb_is_413(server: Server) -> None:
    reply = send(server, body=b"a" * (MAX_BODY + 1), headers=unsigned_headers("ListTables"))
    assert reply.status == 413


def test_body_of_16_mb_is_read(server: Server) -> None:
    reply = send(server, body=b"a" * MAX_BODY, headers=unsigned_headers("ListTables"))
    assert_error(reply, CORAL + "SerializationException")


def test_server_survives_bad_requests(server: Server) -> None:
    send(server, body=b"\xff\xfe", headers=unsigned_headers("ListTables"))
    send(server, body=b"{}", headers=unsigned_headers("CreateTable"))
    assert call(server, "ListTables", {}).status == 200
