"""opendynamo.authz.policy.language and .conditions: IAM's policy grammar, its
MalformedPolicyDocument messages, and how statements match requests (IAM User Guide, "IAM
JSON policy element reference")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from opendynamo.authz.policy.conditions import Context, condition_holds
from opendynamo.authz.policy.language import (
    KNOWN_OPERATORS,
    Kind,
    PolicyError,
    Principal,
    Request,
    action_matches,
    matches,
    parse_policy,
    resource_matches,
)

ACCOUNT = "111122223333"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Books"
ALICE = Principal(f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT)
SESSION = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/s1", ACCOUNT)
STRANGER = Principal("arn:aws:iam::444455556666:user/bob", "444455556666")


def statement(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE, **fields}


def document(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body["Version"] = version
    return body


def allowed(
    policy_document: dict[str, Any],
    action: str = "dynamodb:GetItem",
    resource: str = TABLE,
    context: Context | None = None,
    principal: Principal | None = None,
    kind: Kind = "identity",
) -> bool:
    policy = parse_policy(policy_document, kind=kind)
    allow, deny = matches(policy, Request(action, resource, context or {}), principal)
    return allow and not deny


# ---------------------------------------------------------------- grammar


def refusal(body: Any, kind: Kind = "identity") -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, kind=kind)
    return raised.value.message


SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("This is not a json document", SYNTAX),
        ("[]", SYNTAX),
        ('{"Version": "2012-10-17", "Statement": {"Effect": "Allow"}} trailing', SYNTAX),
        ({"Version": "2012-10-17"}, SYNTAX),
        ({"Version": "2012-10-17", "Statement": []}, SYNTAX),
        ({"Version": "2012-10-17", "Statement": ["afd"]}, SYNTAX),
        ({**document(statement()), "Extra": "value"}, SYNTAX),
        (document(statement(Extra="value")), SYNTAX),
        (document(statement(), version="2013-10-17"), SYNTAX),
        ({**document(statement()), "Id": ["x"]}, SYNTAX),
        (document(statement(Effect="invalid")), SYNTAX),
        (document({"Action": "s3:ListBucket", "Resource": "*"}), SYNTAX),
        (document(statement(NotAction="s3:ListBucket")), SYNTAX),
        (document(statement(NotResource="*")), SYNTAX),
        (document(statement(Resource={"a": "b"})), SYNTAX),
        (document(statement(Action=[[]])), SYNTAX),
        (document(statement(Sid={})), SYNTAX),
        (document(statement(Condition=[])), SYNTAX),
        (document(statement(Condition={"a": "b"})), SYNTAX),
        (document(statement(Condition={"StringEquals": {"a": {}}})), SYNTAX),
        (document(statement(Condition={"StringEqualz": {"a": "1"}})), SYNTAX),
        (document(statement(Condition={"NullIfExists": {"a": "true"}})), SYNTAX),
        (document(statement(Condition={"ForAnyValue::StringEquals": {"a": "1"}})), SYNTAX),
        (document(statement(Effect="allow")), LEGACY),
        (document(statement(Condition={"DateGreaterThan": {"aws:CurrentTime": "soon"}})), LEGACY),
        (
            document(statement(Condition={"DateLessThan": {"aws:CurrentTime": "2016-13-01"}})),
            LEGACY,
        ),
        (document(statement(Resource="arn:aws:s3::example_bucket")), LEGACY),
        (
            document(statement(Sid="a"), statement(Sid="a")),
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            document(statement(Sid="has space")),
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
        (document({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions."),
        (document(statement(Action=[])), "Policy statement must contain actions."),
        (
            document({"Effect": "Allow", "Action": "s3:ListBucket"}),
            "Policy statement must contain resources.",
        ),
        (document(statement(Resource=[])), "Policy statement must contain resources."),
        (
            document(statement(Action="GetItem")),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            document(statement(Action="s3:List:Bucket")),
            "Actions/Condition can contain only one colon.",
        ),
        (document(statement(Action="a a:ListBucket")), "Vendor a a is not valid"),
        (
            document(statement(Resource="invalid resource")),
            'Resource invalid resource must be in ARN format or "*".',
        ),
        (
            document(statement(Resource="a:b:c:d:e:f:g:h")),
            'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".',
        ),
        (
            document(statement(Resource="arn:aws")),
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ),
        (
            document(statement(Resource="arn:aws:iam:us-east-1::user/x")),
            "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information.",
        ),
        (
            document(statement(Principal={"AWS": ACCOUNT})),
            "Policy document should not specify a principal.",
        ),
    ],
)
def test_identity_policy_refusals(body: Any, message: str) -> None:
    assert refusal(body) == message


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (document(statement()), "resource", "Missing required field Principal"),
        (document(statement()), "trust", "Missing required field Principal"),
        (document(statement(Principal={"AWS": ACCOUNT})), "trust", "Has prohibited field Resource"),
        (
            document(statement(Principal={"AWS": "alice"})),
            "resource",
            'Invalid principal in policy: "AWS":"alice"',
        ),
        (
            document(statement(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/*"})),
            "resource",
            f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCOUNT}:user/*"',
        ),
        (
            document(statement(Principal={"AWS": []})),
            "resource",
            "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
            "The passed in policy has a statement with no principals!",
        ),
        (document(statement(Principal="someone")), "resource", SYNTAX),
        (document(statement(Principal={"Robot": "x"})), "resource", SYNTAX),
        (document(statement(Principal="*", NotPrincipal="*")), "resource", SYNTAX),
    ],
)
def test_resource_and_trust_policy_refusals(body: Any, kind: Kind, message: str) -> None:
    assert refusal(body, kind) == message


def test_checks_run_in_iams_order() -> None:
    # Grammar before the legacy parser, which comes before the missing-action check.
    assert refusal(document({"Effect": "Deny", "Action": 5})) == SYNTAX
    assert refusal(document({"Effect": "deny"})) == LEGACY
    assert refusal(document({"Effect": "Deny"}, statement(Resource="x"))) == (
        "Policy statement must contain actions."
    )


def test_accepted_documents() -> None:
    legacy = parse_policy(document(statement(), version=None), kind="identity")
    assert legacy.version == "2008-10-17"
    dated = parse_policy(document(statement(), version="2008-10-17"), kind="identity")
    assert dated.version == "2008-10-17"
    parsed = parse_policy(
        {"Version": "2012-10-17", "Id": "x", "Statement": statement(Sid="One", Condition={})},
        kind="identity",
    )
    assert (parsed.version, parsed.id, parsed.statements[0].sid) == ("2012-10-17", "x", "One")
    # IAM ignores an unknown operator whose block is empty, and takes numbers and booleans.
    parse_policy(document(statement(Condition={"Whatever": {}})), kind="identity")
    parse_policy(
        document(statement(Condition={"NumericLessThan": {"k": 10}, "Bool": {"b": True}})),
        kind="identity",
    )
    parse_policy(
        document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "x.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            version="2008-10-17",
        ),
        kind="trust",
    )


def test_known_operators() -> None:
    assert len(KNOWN_OPERATORS) == 27
    assert {"StringEquals", "ArnNotLike", "Null", "NotIpAddress"} <= set(KNOWN_OPERATORS)


# ---------------------------------------------------------------- actions and resources


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("dynamodb:GetItem", "dynamodb:GetItem", True),
        ("dynamodb:getitem", "DynamoDB:GetItem", True),
        ("dynamodb:*", "dynamodb:Query", True),
        ("*", "iam:CreateUser", True),
        ("dynamodb:Batch*", "dynamodb:BatchGetItem", True),
        ("dynamodb:Batch*", "dynamodb:GetItem", False),
        ("dynamodb:Get*", "dynamodb:GetItem", True),
        ("dynamodb:Get*", "dynamodb:Get", True),
        ("dynamodb:?etItem", "dynamodb:GetItem", True),
        ("dynamodb:?etItem", "dynamodb:etItem", False),
        ("dynamodb:GetItem", "dynamodb:GetItems", False),
        ("dynamodb:[GP]utItem", "dynamodb:PutItem", False),  # no character classes in IAM
        ("dynamodb:[GP]utItem", "dynamodb:[GP]utItem", True),
        ("iam:*", "dynamodb:GetItem", False),
    ],
)
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("*", TABLE, True),
        (TABLE, TABLE, True),
        (TABLE, TABLE.lower(), False),  # resources are case-sensitive
        (TABLE, f"{TABLE}/index/ByAuthor", False),
        (TABLE, f"{TABLE}/stream/2015-05-11T21:21:33.291", False),
        (f"{TABLE}*", f"{TABLE}/index/ByAuthor", True),
        (f"{TABLE}/index/*", f"{TABLE}/index/ByAuthor", True),
        (f"{TABLE}/index/*", TABLE, False),
        ("arn:aws:dynamodb:*:*:table/Books", TABLE, True),
        ("arn:aws:dynamodb:*:*:table/*", TABLE, True),
        ("arn:aws:dynamodb:*", TABLE, True),  # a trailing * runs past the colons
        ("arn:aws:dynamodb:us-*-1:*:table/Books", TABLE, True),
        ("arn:aws:dynamodb:us*1:*:table/Books", TABLE, True),
        ("arn:aws:dynamodb:u*:table/Books", TABLE, True),  # last in its component
        ("arn:aws:dynamodb:u*t-1:table/Books", TABLE, False),  # mid-component: stops at ':'
        ("arn:aws:dynamodb:us-east-?:*:table/Books", TABLE, True),
        ("arn:aws:dynamodb:us-east-?:*:table/Book", TABLE, False),
        ("arn:aws:dynamodb:us-east-1:*:table/[B]ooks", TABLE, False),
    ],
)
def test_resource_matching(pattern: str, resource: str, expected: bool) -> None:
    assert resource_matches(pattern, resource) is expected


def test_statement_lists_and_effects() -> None:
    policy = parse_policy(
        document(
            statement(
                Action=["dynamodb:Query", "dynamodb:Get*"],
                Resource=[f"{TABLE}*", "arn:aws:s3:::other"],
            ),
            statement(Effect="Deny", Action="dynamodb:Query", Resource=f"{TABLE}/index/Secret"),
        ),
        kind="identity",
    )
    query_index = Request("dynamodb:Query", f"{TABLE}/index/Open", {})
    query_secret = Request("dynamodb:Query", f"{TABLE}/index/Secret", {})
    assert matches(policy, query_index) == (True, False)
    assert matches(policy, query_secret) == (True, True)
    assert matches(policy, Request("dynamodb:PutItem", TABLE, {})) == (False, False)


def test_not_action_and_not_resource() -> None:
    everything_but_delete = document(
        {"Effect": "Allow", "NotAction": "dynamodb:Delete*", "Resource": "*"}
    )
    assert allowed(everything_but_delete, "dynamodb:PutItem")
    assert allowed(everything_but_delete, "iam:CreateUser")
    assert not allowed(everything_but_delete, "dynamodb:DeleteItem")

    deny_other_tables = document(
        statement(Action="dynamodb:*", Resource="*"),
        {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": [f"{TABLE}*"]},
    )
    assert allowed(deny_other_tables, "dynamodb:Query", f"{TABLE}/index/I")
    assert not allowed(deny_other_tables, "dynamodb:Query", TABLE.replace("Books", "Users"))


# ---------------------------------------------------------------- condition operators

NOW = "2024-06-01T12:00:00Z"
NOW_EPOCH = 1717243200


@pytest.mark.parametrize(
    ("operator", "values", "request_value", "expected"),
    [
        ("StringEquals", ["a", "b"], "b", True),
        ("StringEquals", ["a"], "A", False),
        ("StringNotEquals", ["a", "b"], "b", False),
        ("StringNotEquals", ["a", "b"], "c", True),
        ("StringEqualsIgnoreCase", ["ABC"], "abc", True),
        ("StringNotEqualsIgnoreCase", ["ABC"], "abc", False),
        ("StringLike", ["home/*/docs"], "home/alice/docs", True),
        ("StringLike", ["ab?"], "abc", True),
        ("StringLike", ["ab?"], "ab", False),
        ("StringLike", ["AB*"], "abc", False),
        ("StringNotLike", ["tmp*"], "tmp1", False),
        ("StringNotLike", ["tmp*"], "data", True),
        ("NumericEquals", ["10"], "10.0", True),
        ("NumericEquals", [10], "10", True),
        ("NumericNotEquals", ["10"], "11", True),
        ("NumericLessThan", ["10"], "9", True),
        ("NumericLessThan", ["10"], "10", False),
        ("NumericLessThanEquals", ["10"], "10", True),
        ("NumericGreaterThan", ["10"], "10.5", True),
        ("NumericGreaterThanEquals", ["10"], "9", False),
        ("NumericEquals", ["10"], "ten", False),
        ("DateEquals", [NOW], str(NOW_EPOCH), True),
        ("DateEquals", [str(NOW_EPOCH)], NOW, True),
        ("DateEquals", ["2024-06-01T14:00:00+02:00"], NOW, True),
        ("DateNotEquals", ["2024-06-01"], NOW, True),
        ("DateLessThan", ["2024-06-02"], NOW, True),
        ("DateLessThan", ["2024-06-01"], NOW, False),
        ("DateLessThanEquals", ["2024-06-01T12:00:00.000Z"], NOW, True),
        ("DateGreaterThan", ["2024-06-01"], NOW, True),
        ("DateGreaterThan", [str(NOW_EPOCH + 1)], NOW, False),
        ("DateGreaterThanEquals", [str(NOW_EPOCH)], NOW, True),
        ("Bool", ["true"], "true", True),
        ("Bool", [True], "true", True),
        ("Bool", ["false"], "true", False),
        ("BinaryEquals", ["QmluYXJ5VmFsdWU="], "QmluYXJ5VmFsdWU=", True),
        ("BinaryEquals", ["QmluYXJ5VmFsdWU="], "T3RoZXI=", False),
        ("IpAddress", ["203.0.113.0/24"], "203.0.113.7", True),
        ("IpAddress", ["203.0.113.0/24"], "203.0.114.7", False),
        ("IpAddress", ["203.0.113.7"], "203.0.113.7", True),  # a bare address is a /32
        ("IpAddress", ["203.0.113.7"], "203.0.113.8", False),
        ("IpAddress", ["2001:db8::/32"], "2001:db8:1::5", True),
        ("IpAddress", ["2001:db8::/32"], "203.0.113.7", False),
        ("NotIpAddress", ["203.0.113.0/24", "2001:db8::/32"], "198.51.100.1", True),
        ("NotIpAddress", ["203.0.113.0/24", "2001:db8::/32"], "2001:db8::1", False),
        ("ArnEquals", [f"arn:aws:iam::{ACCOUNT}:role/R"], f"arn:aws:iam::{ACCOUNT}:role/R", True),
        ("ArnLike", ["arn:aws:iam::*:role/*"], f"arn:aws:iam::{ACCOUNT}:role/a/b", True),
        ("ArnLike", ["arn:aws:*:role/R"], f"arn:aws:iam::{ACCOUNT}:role/R", False),
        ("ArnLike", ["arn:aws:dynamodb:*:*:table/*"], TABLE, True),
        ("ArnNotLike", ["arn:aws:dynamodb:*:*:table/*"], TABLE, False),
        ("ArnNotEquals", ["arn:aws:dynamodb:*:*:table/Other"], TABLE, True),
    ],
)
def test_operator_families(
    operator: str, values: list[Any], request_value: str, expected: bool
) -> None:
    assert condition_holds(operator, "k", values, {"k": request_value}) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringNotEquals", True),
        ("StringLike", False),
        ("StringNotLike", True),
        ("NumericLessThan", False),
        ("NumericNotEquals", True),
        ("DateNotEquals", True),
        ("NotIpAddress", True),
        ("ArnNotLike", True),
        ("Bool", False),
        ("StringEqualsIfExists", True),
        ("NumericLessThanIfExists", True),
        ("StringNotEqualsIfExists", True),
        ("ForAllValues:StringEquals", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringNotEquals", False),
        ("ForAnyValue:StringEqualsIfExists", True),
    ],
)
def test_absent_key(operator: str, expected: bool) -> None:
    assert condition_holds(operator, "k", ["1"], {"other": "1"}) is expected
    assert condition_holds(operator, "k", ["1"], {"k": None}) is expected


def test_key_names_are_case_insensitive_values_are_not() -> None:
    context = {"aws:PrincipalTag/Team": "Blue"}
    assert condition_holds("StringEquals", "aws:principaltag/team", ["Blue"], context)
    assert not condition_holds("StringEquals", "aws:principaltag/team", ["blue"], context)


def test_if_exists_compares_when_present() -> None:
    assert condition_holds("StringEqualsIfExists", "k", ["a"], {"k": "a"})
    assert not condition_holds("StringEqualsIfExists", "k", ["a"], {"k": "b"})


@pytest.mark.parametrize(
    ("operator", "values", "request_values", "expected"),
    [
        ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
        ("ForAllValues:StringEquals", ["a", "b"], ["a"], True),
        ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
        ("ForAllValues:StringEquals", ["a"], [], True),  # an empty set passes ForAllValues
        ("ForAllValues:StringEquals", ["a"], "a", True),  # a single value is a set of one
        ("ForAllValues:StringLike", ["user-*"], ["user-1", "user-2"], True),
        ("ForAllValues:StringNotEquals", ["secret"], ["a", "b"], True),
        ("ForAllValues:StringNotEquals", ["secret"], ["a", "secret"], False),
        ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
        ("ForAnyValue:StringEquals", ["a", "b"], ["c", "d"], False),
        ("ForAnyValue:StringEquals", ["a"], [], False),
        ("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
        ("ForAnyValue:StringNotEquals", ["a"], ["a"], False),
        # A single-valued operator never matches a multivalued key, even with one value.
        ("StringEquals", ["a"], ["a"], False),
        ("StringNotEquals", ["a"], ["b"], False),
        ("StringEqualsIfExists", ["a"], ["a"], False),
    ],
)
def test_set_qualifiers(
    operator: str, values: list[str], request_values: list[str] | str, expected: bool
) -> None:
    assert condition_holds(operator, "k", values, {"k": request_values}) is expected


@pytest.mark.parametrize(
    ("value", "context", "expected"),
    [
        ("true", {}, True),
        ("true", {"k": None}, True),
        ("true", {"k": []}, True),
        ("true", {"k": "x"}, False),
        ("false", {"k": "x"}, True),
        ("false", {"k": ["x"]}, True),
        ("false", {}, False),
        (True, {}, True),
    ],
)
def test_null(value: str | bool, context: Context, expected: bool) -> None:
    assert condition_holds("Null", "k", [value], context) is expected


def test_non_string_context_values() -> None:
    assert condition_holds("Bool", "aws:SecureTransport", ["true"], {"aws:SecureTransport": True})
    assert condition_holds("Bool", "aws:SecureTransport", ["false"], {"aws:SecureTransport": False})
    assert condition_holds("NumericGreaterThan", "aws:EpochTime", ["1"], {"aws:EpochTime": 5})
    assert condition_holds(
        "DateGreaterThan", "aws:EpochTime", ["2020-01-01"], {"aws:EpochTime": NOW_EPOCH}
    )


def test_unknown_operator_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        condition_holds("StringEqualz", "k", ["a"], {"k": "a"})


def test_conditions_and_together_and_values_or_together() -> None:
    body = document(
        statement(
            Condition={
                "StringEquals": {
                    "dynamodb:Select": ["SPECIFIC_ATTRIBUTES", "COUNT"],
                    "dynamodb:ReturnValues": "NONE",
                },
                "Bool": {"aws:SecureTransport": "true"},
            }
        )
    )
    good: dict[str, str | bool] = {
        "dynamodb:Select": "COUNT",
        "dynamodb:ReturnValues": "NONE",
        "aws:SecureTransport": True,
    }
    assert allowed(body, context=good)
    assert not allowed(body, context={**good, "dynamodb:ReturnValues": "ALL_OLD"})
    assert not allowed(body, context={**good, "aws:SecureTransport": False})


# ---------------------------------------------------------------- policy variables


def test_variables_in_resources() -> None:
    body = document(statement(Resource="arn:aws:dynamodb:*:*:table/${aws:username}-*"))
    assert allowed(
        body, resource=TABLE.replace("Books", "alice-notes"), context={"aws:username": "alice"}
    )
    assert not allowed(
        body, resource=TABLE.replace("Books", "bob-notes"), context={"aws:username": "alice"}
    )
    # A variable whose key the request lacks makes that entry match nothing.
    assert not allowed(body, resource=TABLE.replace("Books", "alice-notes"))


def test_variable_values_match_literally() -> None:
    body = document(statement(Resource="arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}"))
    assert allowed(
        body, resource=TABLE.replace("Books", "a*"), context={"aws:PrincipalTag/team": "a*"}
    )
    assert not allowed(
        body, resource=TABLE.replace("Books", "abc"), context={"aws:PrincipalTag/team": "a*"}
    )
    assert allowed(
        body, resource=TABLE.replace("Books", "blue"), context={"aws:principaltag/TEAM": "blue"}
    )


@pytest.mark.parametrize(
    ("pattern", "table", "expected"),
    [
        ("star${*}", "star*", True),
        ("star${*}", "starlight", False),
        ("what${?}", "what?", True),
        ("what${?}", "whatx", False),
        ("cost${$}", "cost$", True),
        ("${aws:username, 'nobody'}", "nobody", True),
        ("${aws:username,'nobody'}-x", "nobody-x", True),
    ],
)
def test_escapes_and_defaults(pattern: str, table: str, expected: bool) -> None:
    body = document(statement(Resource=f"arn:aws:dynamodb:*:*:table/{pattern}"))
    assert allowed(body, resource=TABLE.replace("Books", table)) is expected


def test_default_gives_way_to_a_present_value() -> None:
    body = document(statement(Resource="arn:aws:dynamodb:*:*:table/${aws:username, 'nobody'}"))
    context = {"aws:username": "alice"}
    assert allowed(body, resource=TABLE.replace("Books", "alice"), context=context)
    assert not allowed(body, resource=TABLE.replace("Books", "nobody"), context=context)


def test_version_2008_does_not_substitute() -> None:
    resource = "arn:aws:dynamodb:*:*:table/${aws:username}"
    literal = TABLE.replace("Books", "${aws:username}")
    context = {"aws:username": "alice"}
    old = document(statement(Resource=resource), version="2008-10-17")
    assert allowed(old, resource=literal, context=context)
    assert not allowed(old, resource=TABLE.replace("Books", "alice"), context=context)
    unversioned = document(statement(Resource=resource), version=None)
    assert not allowed(unversioned, resource=TABLE.replace("Books", "alice"), context=context)
    assert allowed(
        document(statement(Resource=resource)),
        resource=TABLE.replace("Books", "alice"),
        context=context,
    )


def test_variables_in_condition_values() -> None:
    body = document(
        statement(
            Condition={
                "StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"},
                "StringLike": {"dynamodb:Attributes": "${aws:username}${*}"},
            }
        )
    )
    context: Context = {
        "aws:PrincipalTag/team": "blue",
        "aws:ResourceTag/team": "blue",
        "dynamodb:Attributes": "alice*",
    }
    assert allowed(body, context={**context, "aws:username": "alice"})
    assert not allowed(
        body, context={**context, "aws:username": "alice", "dynamodb:Attributes": "alice-x"}
    )
    assert not allowed(
        body, context={**context, "aws:username": "alice", "aws:ResourceTag/team": "red"}
    )
    assert not allowed(body, context=context)  # aws:username absent: the value matches nothing


def test_negated_condition_with_an_absent_variable() -> None:
    deny_others = document(
        statement(),
        statement(Effect="Deny", Condition={"StringNotEquals": {"aws:username": "${aws:x}"}}),
    )
    assert not allowed(deny_others, context={"aws:username": "alice"})


# ---------------------------------------------------------------- principals


def resource_policy(
    principal: Any, effect: str = "Allow", element: str = "Principal"
) -> dict[str, Any]:
    return document(
        {"Effect": effect, element: principal, "Action": "dynamodb:*", "Resource": TABLE}
    )


@pytest.mark.parametrize(
    ("principal", "who", "expected"),
    [
        ("*", ALICE, True),
        ("*", None, True),
        ({"AWS": "*"}, STRANGER, True),
        ({"AWS": ACCOUNT}, ALICE, True),
        ({"AWS": ACCOUNT}, SESSION, True),
        ({"AWS": ACCOUNT}, STRANGER, False),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ALICE, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, STRANGER, False),
        ({"AWS": [STRANGER.arn, ALICE.arn]}, ALICE, True),
        ({"AWS": ALICE.arn}, Principal(ALICE.arn.replace("alice", "carol"), ACCOUNT), False),
        ({"AWS": ALICE.arn}, None, False),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/Reader"}, SESSION, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/team/Reader"}, SESSION, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/Writer"}, SESSION, False),
        ({"AWS": SESSION.arn}, SESSION, True),
        ({"Service": "dynamodb.amazonaws.com"}, ALICE, False),
        ({"Federated": "cognito-identity.amazonaws.com"}, ALICE, False),
    ],
)
def test_principal_forms(principal: Any, who: Principal | None, expected: bool) -> None:
    assert allowed(resource_policy(principal), principal=who, kind="resource") is expected


def test_not_principal() -> None:
    body = document(
        {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:*", "Resource": TABLE},
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": ALICE.arn},
            "Action": "dynamodb:*",
            "Resource": TABLE,
        },
    )
    assert allowed(body, principal=ALICE, kind="resource")
    assert not allowed(body, principal=STRANGER, kind="resource")


def test_account_principal_needs_the_account_not_just_the_name() -> None:
    # How AssumeRole asks whether a trust policy names the caller itself.
    trust = parse_policy(
        document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}),
        kind="trust",
    )
    request = Request("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/R", {})
    assert matches(trust, request, ALICE) == (True, False)
    assert matches(trust, request, Principal(ALICE.arn, "")) == (False, False)


# ---------------------------------------------------------------- developer-guide examples

GAME_SCORES = f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/GameScores"


def test_only_my_items() -> None:
    body = document(
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ],
            "Resource": [GAME_SCORES],
            "Condition": {
                "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${www.amazon.com:user_id}"]}
            },
        }
    )
    me: dict[str, Any] = {"www.amazon.com:user_id": "amzn1.account.A"}
    assert allowed(
        body, "dynamodb:GetItem", GAME_SCORES, {**me, "dynamodb:LeadingKeys": ["amzn1.account.A"]}
    )
    assert allowed(
        body,
        "dynamodb:BatchWriteItem",
        GAME_SCORES,
        {**me, "dynamodb:LeadingKeys": ["amzn1.account.A", "amzn1.account.A"]},
    )
    assert not allowed(
        body,
        "dynamodb:BatchGetItem",
        GAME_SCORES,
        {**me, "dynamodb:LeadingKeys": ["amzn1.account.A", "amzn1.account.B"]},
    )
    assert not allowed(body, "dynamodb:Scan", GAME_SCORES, me)
    # Without the caller's web identity, only a request touching no keys would pass.
    assert not allowed(
        body, "dynamodb:GetItem", GAME_SCORES, {"dynamodb:LeadingKeys": ["amzn1.account.A"]}
    )


def test_only_some_attributes() -> None:
    body = document(
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:Scan",
                "dynamodb:UpdateItem",
            ],
            "Resource": [GAME_SCORES, f"{GAME_SCORES}/index/TopScoreDateTimeIndex"],
            "Condition": {
                "ForAllValues:StringEquals": {
                    "dynamodb:Attributes": ["UserId", "GameTitle", "TopScore", "TopScoreDateTime"]
                },
                "StringEqualsIfExists": {
                    "dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                    "dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"],
                },
            },
        }
    )
    projection = {
        "dynamodb:Attributes": ["UserId", "TopScore"],
        "dynamodb:Select": "SPECIFIC_ATTRIBUTES",
    }
    assert allowed(body, "dynamodb:Query", GAME_SCORES, projection)
    assert allowed(body, "dynamodb:Query", f"{GAME_SCORES}/index/TopScoreDateTimeIndex", projection)
    assert not allowed(body, "dynamodb:Query", f"{GAME_SCORES}/index/Other", projection)
    assert not allowed(
        body,
        "dynamodb:Query",
        GAME_SCORES,
        {**projection, "dynamodb:Attributes": ["UserId", "Wins"]},
    )
    assert not allowed(
        body, "dynamodb:Query", GAME_SCORES, {**projection, "dynamodb:Select": "ALL_ATTRIBUTES"}
    )
    update = {
        "dynamodb:Attributes": ["UserId", "GameTitle", "TopScore"],
        "dynamodb:ReturnValues": "UPDATED_NEW",
    }
    assert allowed(body, "dynamodb:UpdateItem", GAME_SCORES, update)
    assert not allowed(
        body, "dynamodb:UpdateItem", GAME_SCORES, {**update, "dynamodb:ReturnValues": "ALL_OLD"}
    )


def test_block_transactions() -> None:
    body = document(
        statement(Action="dynamodb:*"),
        statement(
            Effect="Deny",
            Action="dynamodb:*",
            Condition={
                "ForAnyValue:StringEquals": {
                    "dynamodb:EnclosingOperation": ["TransactWriteItems", "TransactGetItems"]
                }
            },
        ),
    )
    assert allowed(body, "dynamodb:PutItem")
    assert not allowed(
        body, "dynamodb:PutItem", context={"dynamodb:EnclosingOperation": "TransactWriteItems"}
    )
