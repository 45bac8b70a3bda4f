"""opendynamo.server.awsquery: the AWS Query protocol of IAM and STS.

The sources of truth are botocore's own: its `query` serializer and request preparation build
the request bodies `parse_form` reads, its `query` parser reads the XML `render_result` and
`render_error` write (against the iam and sts service models' output shapes), and its error
factory and IAM after-call handler show what a real client makes of them. Status codes are
checked against the `error` traits of the same models.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.client import BaseClient
from botocore.handlers import json_decode_policies
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from opendynamo.server import awsquery
from opendynamo.server.awsquery import IAM_NAMESPACE, STS_NAMESPACE, EntryMap, QueryError

ACCOUNT = "123456789012"
WHEN = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a+b&c=d/*", "Sid": "Zürich ✓ 100%"}]}'
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/deployer"
NAMESPACES = {"iam": IAM_NAMESPACE, "sts": STS_NAMESPACE}


@cache
def _model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def _operation(service: str, name: str) -> OperationModel:
    return _model(service).operation_model(name)


def _form(service: str, operation: str, params: dict[str, Any]) -> bytes:
    """The body botocore's client sends: its serializer, then its own form encoding."""
    request = create_serializer("query").serialize_to_request(
        params, _operation(service, operation)
    )
    body = request["body"]
    prepared = AWSRequest(method="POST", url="https://iam.amazonaws.com/", data=body).prepare()
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"
    text = prepared.body
    return text.encode() if isinstance(text, str) else bytes(text)


def _as_text(value: Any) -> Any:
    """What every scalar looks like after the form: text, booleans as true/false."""
    if isinstance(value, dict):
        return {key: _as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse(service: str, operation: str, body: bytes, status: int = 200) -> dict[str, Any]:
    """botocore's reading of a reply, as its client does before any handler runs."""
    response = {"body": body, "headers": {}, "status_code": status}
    shape = _operation(service, operation).output_shape
    parsed: dict[str, Any] = create_parser("query").parse(response, shape)
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
    del parsed["ResponseMetadata"]
    return parsed


def _reply(service: str, operation: str, result: dict[str, Any] | None) -> dict[str, Any]:
    xml = awsquery.render_result(operation, NAMESPACES[service], result, "req-1")
    return _parse(service, operation, xml)


# --- parse_form reads what botocore sends -------------------------------------------------

REQUESTS = [
    (
        "iam",
        "CreateUser",
        {
            "UserName": "bob",
            "Path": "/eng/",
            "Tags": [{"Key": "team", "Value": "data base"}, {"Key": "cost", "Value": "a+b&c"}],
        },
    ),
    ("iam", "AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY}),
    ("iam", "PutUserPolicy", {"UserName": "bob", "PolicyName": "s3", "PolicyDocument": POLICY}),
    (
        "sts",
        "AssumeRole",
        {
            "RoleArn": ROLE,
            "RoleSessionName": "ci-run",
            "DurationSeconds": 900,
            "PolicyArns": [{"arn": READ_ONLY}, {"arn": READ_ONLY + "Two"}],
            "Tags": [{"Key": "project", "Value": "x"}, {"Key": "stage", "Value": "é"}],
            "TransitiveTagKeys": ["project", "stage"],
        },
    ),
    ("iam", "TagUser", {"UserName": "bob", "Tags": [{"Key": "k", "Value": ""}]}),
    ("iam", "ListUsers", {"MaxItems": 10, "Marker": "AAAA/b+c=="}),
    ("sts", "GetCallerIdentity", {}),
]


@pytest.mark.parametrize(("service", "operation", "params"), REQUESTS)
def test_parse_form_reads_botocore_requests(service: str, operation: str, params: Any) -> None:
    version = _model(service).api_version
    action, got_version, got = awsquery.parse_form(_form(service, operation, params))
    assert (action, got_version) == (operation, version)
    assert got == _as_text(params)


def test_policy_document_survives_the_form() -> None:
    """'+', '&', '=', '%' and non-ASCII text come back byte for byte."""
    _, _, params = awsquery.parse_form(
        _form(
            "iam", "PutUserPolicy", {"UserName": "u", "PolicyName": "p", "PolicyDocument": POLICY}
        )
    )
    assert params["PolicyDocument"] == POLICY


def test_empty_list_arrives_as_empty_text() -> None:
    """botocore sends `PolicyArns=` for []; the operation's shape must read "" as []."""
    body = _form("sts", "AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "PolicyArns": []})
    assert awsquery.parse_form(body)[2]["PolicyArns"] == ""


def test_map_entries_from_botocore() -> None:
    model = _model("iam")
    if "PutAccountProperties" not in model.operation_names:
        pytest.skip("this botocore has no IAM operation with a map input")
    body = _form("iam", "PutAccountProperties", {"Properties": {"a": "1", "b": "two words"}})
    assert awsquery.parse_form(body)[2] == {"Properties": {"a": "1", "b": "two words"}}


# --- parse_form edge cases -----------------------------------------------------------------


def test_member_indexes_sort_numerically_and_gaps_close() -> None:
    body = b"Action=X&L.member.10.arn=d&L.member.3.arn=c&L.member.1.arn=a"
    assert awsquery.parse_form(body)[2] == {"L": [{"arn": "a"}, {"arn": "c"}, {"arn": "d"}]}


def test_scalar_members_and_structures() -> None:
    body = b"Action=X&Keys.member.2=b&Keys.member.1=a&A.B=c&A.D.E=f"
    assert awsquery.parse_form(body)[2] == {"Keys": ["a", "b"], "A": {"B": "c", "D": {"E": "f"}}}


def test_map_entries_by_index() -> None:
    body = b"Action=X&M.entry.2.key=b&M.entry.2.value=2&M.entry.1.key=a&M.entry.1.value="
    assert awsquery.parse_form(body)[2] == {"M": {"a": "", "b": "2"}}


def test_plus_is_space_and_percent_2b_is_plus() -> None:
    body = b"Action=X&A=a+b&B=a%2Bb&C=a%20b&D=%E2%9C%93&E=%26%3D"
    assert awsquery.parse_form(body)[2] == {"A": "a b", "B": "a+b", "C": "a b", "D": "✓", "E": "&="}


def test_empty_values_and_last_repeat_wins() -> None:
    body = b"Action=X&Marker=&Bare&Name=first&Name=last"
    assert awsquery.parse_form(body)[2] == {"Marker": "", "Bare": "", "Name": "last"}


def test_missing_action_and_version_are_empty() -> None:
    assert awsquery.parse_form(b"UserName=bob") == ("", "", {"UserName": "bob"})
    assert awsquery.parse_form(b"") == ("", "", {})


def test_non_index_member_stays_a_structure() -> None:
    """Not the protocol's list form, so the operation's shape check rejects it."""
    assert awsquery.parse_form(b"L.member.x=1")[2] == {"L": {"member": {"x": "1"}}}


def test_only_ascii_digits_index_a_list() -> None:
    """ "²" is a digit to `str.isdigit` but no number to `int`: the name stays a structure."""
    assert awsquery.parse_form("L.member.²=1".encode())[2] == {"L": {"member": {"²": "1"}}}


def test_names_nested_too_deep_are_left_out() -> None:
    deep = ".".join(["A"] * (awsquery.MAX_NAME_PARTS + 1))
    assert awsquery.parse_form(f"Action=X&{deep}=1&B=2".encode()) == ("X", "", {"B": "2"})
    fits = ".".join(["A"] * awsquery.MAX_NAME_PARTS)
    assert awsquery.parse_form(f"{fits}=1".encode())[2] != {}


def test_an_error_without_a_message_has_no_message_element() -> None:
    error = awsquery.query_error("ResourceNotFound", "")
    assert b"<Message>" not in awsquery.render_error(error, IAM_NAMESPACE, "RID")


@pytest.mark.parametrize("body", [b"Action=X&A=\xff", b"Action=X&A=%FF", b"A=%C3%28"])
def test_undecodable_bytes_are_malformed(body: bytes) -> None:
    with pytest.raises(QueryError) as caught:
        awsquery.parse_form(body)
    assert (caught.value.code, caught.value.status) == ("MalformedQueryString", 404)


# --- render_result reads back through botocore's parser ------------------------------------


def _user(name: str, **extra: Any) -> dict[str, Any]:
    user = {
        "Path": "/",
        "UserName": name,
        "UserId": "AIDAEXAMPLE" + name.upper(),
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "CreateDate": WHEN,
    }
    return user | extra


def test_create_user() -> None:
    tags = [{"Key": "team", "Value": "data"}, {"Key": "empty", "Value": ""}]
    got = _reply("iam", "CreateUser", {"User": _user("bob", Tags=tags)})
    assert got == {"User": _user("bob", Tags=tags)}


def test_list_users() -> None:
    result = {"Users": [_user("a"), _user("b")], "IsTruncated": True, "Marker": "next/page"}
    assert _reply("iam", "ListUsers", result) == result
    empty = {"Users": [], "IsTruncated": False}
    assert _reply("iam", "ListUsers", empty | {"Marker": None}) == empty


def test_create_access_key() -> None:
    key = {
        "UserName": "bob",
        "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "Status": "Active",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        "CreateDate": WHEN,
    }
    assert _reply("iam", "CreateAccessKey", {"AccessKey": key}) == {"AccessKey": key}


def test_get_caller_identity() -> None:
    result = {
        "UserId": "AIDAEXAMPLE",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
    }
    assert _reply("sts", "GetCallerIdentity", result) == result


def test_assume_role() -> None:
    result = {
        "Credentials": {
            "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "SecretAccessKey": "secret",
            "SessionToken": "token+/=",
            "Expiration": WHEN,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROA3XFRBF535PLBIFPI4:ci-run",
            "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-run",
        },
        "PackedPolicySize": 6,
        "SourceIdentity": None,
    }
    expected = {key: value for key, value in result.items() if value is not None}
    assert _reply("sts", "AssumeRole", result) == expected


def test_no_result_has_only_metadata() -> None:
    xml = awsquery.render_result("DeleteUser", IAM_NAMESPACE, None, "req-1")
    assert b"DeleteUserResult" not in xml
    assert _parse("iam", "DeleteUser", xml) == {}


def test_entry_map() -> None:
    got = _reply("iam", "GetAccountSummary", {"SummaryMap": EntryMap(Users=3, Groups=0)})
    assert got == {"SummaryMap": {"Users": 3, "Groups": 0}}


def test_xml_special_characters_are_escaped() -> None:
    value = 'a<b>&"c"\r\nd'
    xml = awsquery.render_result("GetCallerIdentity", STS_NAMESPACE, {"Arn": value}, "req-1")
    assert b"a&lt;b&gt;&amp;&quot;c&quot;&#13;\nd" in xml
    assert _parse("sts", "GetCallerIdentity", xml) == {"Arn": value}


def test_envelope_matches_the_services_layout() -> None:
    """STS's documented GetCallerIdentity reply: no declaration, two-space indent, newline."""
    xml = awsquery.render_result("GetCallerIdentity", STS_NAMESPACE, {"Account": ACCOUNT}, "r-1")
    assert xml.decode() == (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
        "  <GetCallerIdentityResult>\n"
        f"    <Account>{ACCOUNT}</Account>\n"
        "  </GetCallerIdentityResult>\n"
        "  <ResponseMetadata>\n"
        "    <RequestId>r-1</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</GetCallerIdentityResponse>\n"
    )


def test_naive_datetime_is_utc_and_fractions_are_dropped() -> None:
    naive = datetime(2026, 11, 24, 10, 0, 0, 999_999)
    xml = awsquery.render_result("GetUser", IAM_NAMESPACE, {"User": {"CreateDate": naive}}, "r")
    assert b"<CreateDate>2026-11-24T10:00:00Z</CreateDate>" in xml


def test_unrenderable_values_are_refused() -> None:
    with pytest.raises(TypeError):
        awsquery.render_result("GetUser", IAM_NAMESPACE, {"User": {"X": object()}}, "r")
    with pytest.raises(ValueError):
        awsquery.render_result("Get><User", IAM_NAMESPACE, None, "r")


# --- policy documents are percent-encoded in replies ---------------------------------------


def test_policy_document_is_percent_encoded_and_boto3_decodes_it() -> None:
    """IAM sends policyDocumentType values RFC 3986-encoded. botocore's parser leaves them so;
    the IAM client's after-call handler (json_decode_policies) unquotes and json-loads them."""
    encoded = awsquery.encode_policy_document(POLICY)
    assert encoded.startswith("%7B%22Version%22%3A%20%222012-10-17%22")
    assert "+" not in encoded and " " not in encoded
    result = {"UserName": "bob", "PolicyName": "s3", "PolicyDocument": encoded}
    parsed = _reply("iam", "GetUserPolicy", result)
    assert parsed["PolicyDocument"] == encoded
    json_decode_policies(parsed, _operation("iam", "GetUserPolicy"))
    assert parsed["PolicyDocument"]["Statement"][0]["Resource"] == "arn:aws:s3:::a+b&c=d/*"
    assert parsed["PolicyDocument"]["Statement"][0]["Sid"] == "Zürich ✓ 100%"


def test_role_trust_policy_is_decoded_inside_lists() -> None:
    trust = '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}]}'
    role = {
        "Path": "/",
        "RoleName": "r",
        "RoleId": "AROAEXAMPLE",
        "Arn": ROLE,
        "CreateDate": WHEN,
        "AssumeRolePolicyDocument": awsquery.encode_policy_document(trust),
    }
    parsed = _reply("iam", "ListRoles", {"Roles": [role], "IsTruncated": False})
    json_decode_policies(parsed, _operation("iam", "ListRoles"))
    assert parsed["Roles"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Effect"] == "Allow"


# --- errors -------------------------------------------------------------------------------

ERRORS = [
    ("iam", "GetUser", "NoSuchEntity", 404),
    ("iam", "CreateUser", "EntityAlreadyExists", 409),
    ("iam", "DeleteUser", "DeleteConflict", 409),
    ("iam", "CreateAccessKey", "LimitExceeded", 409),
    ("iam", "PutUserPolicy", "MalformedPolicyDocument", 400),
    ("iam", "CreateUser", "ValidationError", 400),
    ("iam", "ListUsers", "AccessDenied", 403),
    ("sts", "GetCallerIdentity", "InvalidClientTokenId", 403),
    ("sts", "GetCallerIdentity", "SignatureDoesNotMatch", 403),
    ("sts", "GetCallerIdentity", "ExpiredToken", 403),
    ("sts", "AssumeRole", "MalformedPolicyDocument", 400),
]


@pytest.mark.parametrize(("service", "operation", "code", "status"), ERRORS)
def test_error_reads_back(service: str, operation: str, code: str, status: int) -> None:
    error = awsquery.query_error(code, 'The user with name <"bob"> cannot be found.')
    assert error.status == status
    xml = awsquery.render_error(error, NAMESPACES[service], "req-1")
    parsed = _parse(service, operation, xml, status)
    assert parsed == {
        "Error": {"Type": "Sender", "Code": code, "Message": error.message},
    }


def test_receiver_fault() -> None:
    error = awsquery.query_error("ServiceFailure", "boom")
    assert (error.status, error.sender_fault) == (500, False)
    xml = awsquery.render_error(error, IAM_NAMESPACE, "req-1")
    assert _parse("iam", "GetUser", xml, 500)["Error"]["Type"] == "Receiver"


def test_error_envelope_layout() -> None:
    xml = awsquery.render_error(QueryError("InvalidAction", "no"), STS_NAMESPACE, "r-1")
    assert xml.decode() == (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>InvalidAction</Code>\n"
        "    <Message>no</Message>\n"
        "  </Error>\n"
        "  <RequestId>r-1</RequestId>\n"
        "</ErrorResponse>\n"
    )


def _modeled_statuses() -> dict[str, int]:
    statuses: dict[str, int] = {}
    for service in NAMESPACES:
        model = _model(service)
        for name in model.shape_names:
            trait = model.shape_for(name).metadata.get("error")
            if trait and "httpStatusCode" in trait:
                statuses[trait["code"]] = trait["httpStatusCode"]
    return statuses


def test_statuses_agree_with_the_service_models() -> None:
    modeled = _modeled_statuses()
    for code in ("NoSuchEntity", "EntityAlreadyExists", "DeleteConflict", "LimitExceeded"):
        assert code in modeled
    mismatched = {
        code: (status, modeled[code])
        for code, status in awsquery.ERROR_STATUS.items()
        if code in modeled and modeled[code] != status
    }
    assert mismatched == {}


# --- through a real botocore client --------------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _client(service: str, answer: Any) -> BaseClient:
    """A client whose HTTP send is replaced by parse_form -> answer -> render."""
    client = botocore.session.get_session().create_client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )

    def send(request: Any, **_: Any) -> AWSResponse:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        action, _version, params = awsquery.parse_form(body)
        namespace = NAMESPACES[service]
        try:
            result = answer(action, params)
        except QueryError as error:
            xml = awsquery.render_error(error, namespace, "req-1")
            return AWSResponse(request.url, error.status, {}, _Raw(xml))
        xml = awsquery.render_result(action, namespace, result, "req-1")
        return AWSResponse(request.url, 200, {}, _Raw(xml))

    client.meta.events.register(f"before-send.{service}", send)
    return client


def test_client_raises_the_modeled_exception() -> None:
    def answer(action: str, params: dict[str, Any]) -> None:
        raise awsquery.query_error(
            "NoSuchEntity", f"The user with name {params['UserName']} cannot be found."
        )

    client = _client("iam", answer)
    assert client.exceptions.from_code("NoSuchEntity") is client.exceptions.NoSuchEntityException
    with pytest.raises(client.exceptions.NoSuchEntityException) as caught:
        client.get_user(UserName="nobody")
    response = caught.value.response
    assert response["Error"]["Code"] == "NoSuchEntity"
    assert response["Error"]["Message"] == "The user with name nobody cannot be found."
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_client_gets_policy_as_a_dict() -> None:
    def answer(action: str, params: dict[str, Any]) -> dict[str, Any]:
        document = awsquery.encode_policy_document(POLICY)
        return {
            "UserName": params["UserName"],
            "PolicyName": params["PolicyName"],
            "PolicyDocument": document,
        }

    got = _client("iam", answer).get_user_policy(UserName="bob", PolicyName="s 3")
    assert (got["UserName"], got["PolicyName"]) == ("bob", "s 3")
    assert got["PolicyDocument"]["Statement"][0]["Sid"] == "Zürich ✓ 100%"


def test_client_assume_role() -> None:
    seen: dict[str, Any] = {}

    def answer(action: str, params: dict[str, Any]) -> dict[str, Any]:
        seen.update(params)
        credentials = {
            "AccessKeyId": "ASIA",
            "SecretAccessKey": "s",
            "SessionToken": "t",
            "Expiration": WHEN,
        }
        return {
            "Credentials": credentials,
            "AssumedRoleUser": {"AssumedRoleId": "AROA:x", "Arn": ROLE},
        }

    got = _client("sts", answer).assume_role(
        RoleArn=ROLE, RoleSessionName="ci", PolicyArns=[{"arn": READ_ONLY}], TransitiveTagKeys=["k"]
    )
    assert seen["PolicyArns"] == [{"arn": READ_ONLY}] and seen["TransitiveTagKeys"] == ["k"]
    assert got["Credentials"]["Expiration"] == WHEN
