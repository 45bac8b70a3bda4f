"""IAM and STS over the wire: boto3's own `iam` and `sts` clients (and the AWS CLI) against a
server started with `--auth iam`, so every request is signed and authorized by IAM's logic.

Pinned, as AWS documents it: users, groups, roles and managed policies with IAM's error codes,
statuses and messages (EntityAlreadyExists 409, NoSuchEntity 404, DeleteConflict 409,
LimitExceeded 409, ValidationError 400, MalformedPolicyDocument 400, AccessDenied 403); names
unique regardless of case; Marker/MaxItems paging; policy documents decoded to dicts by boto3;
access keys (AKIA, 40-character secret, two per user, Inactive ones refused); policies taking
effect at once (inline, managed, through groups, on roles, on IAM itself); STS GetCallerIdentity,
GetSessionToken, AssumeRole with trust, session policies, MaxSessionDuration, expiry, and the end
of a role's sessions with the role.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Backend, Server, creds_of, unique_name
from tests.wire.helpers import error_code, eventually

ACCOUNT = "000000000000"
ROOT_KEY = "AKIAROOTWIRETEST0001"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWIRETEST01"
ROOT_CREDS = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}
IAM_ARN = f"arn:aws:iam::{ACCOUNT}"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"
AWS = Path(sys.executable).with_name("aws")
Creds = dict[str, str]
AUTH_ARGS: tuple[str, ...] = ("--auth", "iam", "--root-access-key-id", ROOT_KEY)
AUTH_ARGS += ("--root-secret-access-key", ROOT_SECRET)


@dataclass
class Env:
    """The module's server, root's clients and a table root made."""

    server: Server
    iam: Any
    sts: Any
    ddb: Any
    table: str

    def client(self, service: str, creds: Creds) -> Any:
        return self.server.client(service, **creds)

    def table_arn(self) -> str:
        return f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{self.table}"

    def new_user(self, *attached: str, inline: str | None = None) -> tuple[str, Creds]:
        """A user with one access key, the managed policies `attached` and one inline policy."""
        name = unique_name("u")
        self.iam.create_user(UserName=name)
        for arn in attached:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        if inline is not None:
            self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=inline)
        return name, creds_of(self.iam.create_access_key(UserName=name)["AccessKey"])

    def new_role(self, trusted: str, *, inline: str | None = None) -> tuple[str, str]:
        """(name, ARN) of a role trusting the principal `trusted`, with one inline policy."""
        name = unique_name("r")
        role = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(trusted))
        if inline is not None:
            self.iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=inline)
        return name, str(role["Role"]["Arn"])


def doc(action: str | list[str], resource: str = "*", effect: str = "Allow") -> str:
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def trust(principal: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def expect(
    call: Callable[..., Any],
    code: str,
    status: int | None = None,
    message: str | None = None,
    **params: Any,
) -> str:
    """Assert that `call(**params)` fails with `code` (and `status`, `message` when given);
    returns the error's message."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    response = excinfo.value.response
    got = response["Error"].get("Message", "")
    assert response["Error"]["Code"] == code, got
    assert status is None or response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert message is None or got == message
    return str(got)


def denied(who: str, action: str, resource: str, why: str = "identity-based") -> str:
    return (
        f"User: {who} is not authorized to perform: {action} on resource: {resource} "
        f"because no {why} policy allows the {action} action"
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Env]:
    server = Server(
        tmp_path_factory.mktemp("iam"),
        workers=2,
        extra_args=AUTH_ARGS + backend(),
        env={"OPENDYNAMO_MIN_SESSION_SECONDS": "1"},
    ).start()
    try:
        ddb = server.client("dynamodb", **ROOT_CREDS)
        table = unique_name("tbl")
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName=table, Item={"pk": {"S": "seed"}})
        iam, sts = server.client("iam", **ROOT_CREDS), server.client("sts", **ROOT_CREDS)
        yield Env(server, iam, sts, ddb, table)
    finally:
        server.stop()


# --- users -----------------------------------------------------------------------------------


def test_create_get_and_tag_a_user(env: Env) -> None:
    name = unique_name("u")
    tags = [{"Key": "team", "Value": "db"}, {"Key": "env", "Value": "test"}]
    user = env.iam.create_user(UserName=name, Path="/eng/", Tags=tags)["User"]
    assert (user["UserName"], user["Path"], user["Tags"]) == (name, "/eng/", tags)
    assert user["Arn"] == f"{IAM_ARN}:user/eng/{name}" and user["UserId"].startswith("AIDA")
    got = env.iam.get_user(UserName=name)["User"]
    assert {**got, "CreateDate": None} == {**user, "CreateDate": None}
    more = [{"Key": "env", "Value": "prod"}, {"Key": "b", "Value": ""}]
    env.iam.tag_user(UserName=name, Tags=more)
    listed = env.iam.list_user_tags(UserName=name)["Tags"]
    assert {t["Key"]: t["Value"] for t in listed} == {"team": "db", "env": "prod", "b": ""}
    env.iam.untag_user(UserName=name, TagKeys=["team", "b"])
    assert env.iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_get_user_without_name_is_the_caller(env: Env) -> None:
    root = env.iam.get_user()["User"]
    assert root["Arn"] == f"{IAM_ARN}:root" and root["UserId"] == ACCOUNT
    name, creds = env.new_user(inline=doc("iam:GetUser", "arn:aws:iam::*:user/${aws:username}"))
    me = env.client("iam", creds).get_user()["User"]
    assert me["UserName"] == name and me["Arn"] == f"{IAM_ARN}:user/{name}"
    other = env.iam.create_user(UserName=unique_name("u"))["User"]
    why = denied(f"{IAM_ARN}:user/{name}", "iam:GetUser", other["Arn"])
    get = env.client("iam", creds).get_user
    expect(get, "AccessDenied", 403, why, UserName=other["UserName"])


def test_list_users_path_prefix_and_paging(env: Env) -> None:
    prefix = f"/{unique_name('pg')}/"
    names = sorted(unique_name("u") for _ in range(3))
    for name in names:
        env.iam.create_user(UserName=name, Path=prefix)
    env.iam.create_user(UserName=unique_name("u"))  # outside the prefix
    listed = env.iam.list_users(PathPrefix=prefix)
    assert sorted(u["UserName"] for u in listed["Users"]) == names
    assert listed["IsTruncated"] is False and "Marker" not in listed
    first = env.iam.list_users(PathPrefix=prefix, MaxItems=2)
    assert len(first["Users"]) == 2 and first["IsTruncated"] is True
    rest = env.iam.list_users(PathPrefix=prefix, MaxItems=2, Marker=first["Marker"])
    assert len(rest["Users"]) == 1 and rest["IsTruncated"] is False
    assert sorted(u["UserName"] for u in first["Users"] + rest["Users"]) == names
    paginator = env.iam.get_paginator("list_users")
    pages = list(paginator.paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 1}))
    assert len(pages) == 3
    assert sorted(u["UserName"] for page in pages for u in page["Users"]) == names


def test_duplicate_and_missing_users(env: Env) -> None:
    name = unique_name("Dup")
    env.iam.create_user(UserName=name)
    exists = f"User with name {name} already exists."
    expect(env.iam.create_user, "EntityAlreadyExists", 409, exists, UserName=name)
    expect(env.iam.create_user, "EntityAlreadyExists", 409, UserName=name.upper())  # any case
    missing = unique_name("nobody")
    for call in (env.iam.get_user, env.iam.delete_user, env.iam.list_user_tags):
        gone = f"The user with name {missing} cannot be found."
        expect(call, "NoSuchEntity", 404, gone, UserName=missing)


BAD_NAMES = [("has space", "/"), ("a/b", "/"), ("x" * 65, "/"), ("ok", "no-slashes")]


@pytest.mark.parametrize("name, path", BAD_NAMES)
def test_invalid_user_names_and_paths(env: Env, name: str, path: str) -> None:
    expect(env.iam.create_user, "ValidationError", 400, UserName=name, Path=path)


@pytest.mark.parametrize("dependency", ["access key", "inline policy", "attached policy", "group"])
def test_delete_user_conflicts(env: Env, dependency: str) -> None:
    iam, name, group = env.iam, unique_name("u"), unique_name("g")
    iam.create_user(UserName=name)
    if dependency == "access key":
        key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    elif dependency == "inline policy":
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc("s3:*"))
    elif dependency == "attached policy":
        iam.attach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    else:
        iam.create_group(GroupName=group)
        iam.add_user_to_group(GroupName=group, UserName=name)
    message = expect(iam.delete_user, "DeleteConflict", 409, UserName=name)
    assert message.startswith("Cannot delete entity, must ")
    if dependency == "access key":
        iam.delete_access_key(UserName=name, AccessKeyId=key)
    elif dependency == "inline policy":
        iam.delete_user_policy(UserName=name, PolicyName="p")
    elif dependency == "attached policy":
        iam.detach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    else:
        iam.remove_user_from_group(GroupName=group, UserName=name)
    iam.delete_user(UserName=name)
    expect(iam.get_user, "NoSuchEntity", UserName=name)


# --- access keys -----------------------------------------------------------------------------


def test_access_key_lifecycle(env: Env) -> None:
    name, creds = env.new_user(READ_ONLY)
    key_id = creds["aws_access_key_id"]
    assert key_id.startswith("AKIA") and len(key_id) == 20
    assert len(creds["aws_secret_access_key"]) == 40
    listed = env.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [
        (key_id, "Active", name)
    ]
    assert "SecretAccessKey" not in listed[0]
    ddb = env.client("dynamodb", creds)
    assert env.table in ddb.list_tables()["TableNames"]
    env.iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    assert env.iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    expect(ddb.list_tables, "UnrecognizedClientException")
    env.iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Active")
    assert env.table in ddb.list_tables()["TableNames"]
    env.iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    assert env.iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    expect(ddb.list_tables, "UnrecognizedClientException")
    expect(env.iam.delete_access_key, "NoSuchEntity", 404, UserName=name, AccessKeyId=key_id)


def test_user_creates_its_own_access_keys_up_to_the_quota(env: Env) -> None:
    own = doc(["iam:CreateAccessKey", "iam:ListAccessKeys"], "arn:aws:iam::*:user/${aws:username}")
    name, creds = env.new_user(inline=own)
    iam = env.client("iam", creds)
    key = iam.create_access_key()["AccessKey"]
    assert key["UserName"] == name and len(key["SecretAccessKey"]) == 40
    assert len(iam.list_access_keys()["AccessKeyMetadata"]) == 2
    quota = "Cannot exceed quota for AccessKeysPerUser: 2"  # two keys per user at most
    expect(iam.create_access_key, "LimitExceeded", 409, quota)
    assert env.client("sts", creds_of(key)).get_caller_identity()["Arn"] == f"{IAM_ARN}:user/{name}"
    other, _ = env.new_user()
    why = denied(f"{IAM_ARN}:user/{name}", "iam:CreateAccessKey", f"{IAM_ARN}:user/{other}")
    expect(iam.create_access_key, "AccessDenied", 403, why, UserName=other)


# --- inline policies -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_inline_policy_put_get_list_delete(env: Env, kind: str) -> None:
    owner = {f"{kind.title()}Name": unique_name(kind)}
    if kind == "role":
        env.iam.create_role(**owner, AssumeRolePolicyDocument=trust(f"{IAM_ARN}:root"))
    else:
        getattr(env.iam, f"create_{kind}")(**owner)
    verbs = "put_{}_policy get_{}_policy list_{}_policies delete_{}_policy".split()
    put, get, listing, delete = (getattr(env.iam, verb.format(kind)) for verb in verbs)
    document = doc(["dynamodb:GetItem", "dynamodb:Query"], "arn:aws:dynamodb:*:*:table/a b")
    for policy in ("p2", "p1"):
        put(**owner, PolicyName=policy, PolicyDocument=document)
    got = get(**owner, PolicyName="p1")
    assert got.items() >= {**owner, "PolicyName": "p1"}.items()
    assert got["PolicyDocument"] == json.loads(document)  # a dict, decoded by boto3
    assert listing(**owner)["PolicyNames"] == ["p1", "p2"]
    delete(**owner, PolicyName="p1")
    assert listing(**owner)["PolicyNames"] == ["p2"]
    expect(get, "NoSuchEntity", 404, **owner, PolicyName="p1")
    expect(delete, "NoSuchEntity", 404, **owner, PolicyName="p1")


MISSING_EFFECT = {"Version": "2012-10-17", "Statement": [{"Action": "s3:*", "Resource": "*"}]}
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."


MALFORMED = [("{not json", "Syntax errors in policy."), (json.dumps(MISSING_EFFECT), None)]
MALFORMED += [(doc("GetItem"), NO_VENDOR)]


@pytest.mark.parametrize("document, message", MALFORMED, ids=["json", "effect", "vendor"])
def test_malformed_policy_documents(env: Env, document: str, message: str | None) -> None:
    name, _ = env.new_user()
    params = {"UserName": name, "PolicyName": "bad", "PolicyDocument": document}
    expect(env.iam.put_user_policy, "MalformedPolicyDocument", 400, message, **params)
    assert env.iam.list_user_policies(UserName=name)["PolicyNames"] == []
    create = env.iam.create_policy
    expect(create, "MalformedPolicyDocument", 400, PolicyName="bad", PolicyDocument=document)


def test_inline_policy_size_quota(env: Env) -> None:
    name, _ = env.new_user()
    big = doc([f"dynamodb:Action{i:04d}" for i in range(120)])  # over 2048 characters
    quota = f"Maximum policy size of 2048 bytes exceeded for user {name}"
    params = {"UserName": name, "PolicyName": "big", "PolicyDocument": big}
    expect(env.iam.put_user_policy, "LimitExceeded", 409, quota, **params)
    assert env.iam.list_user_policies(UserName=name)["PolicyNames"] == []


# --- managed policies ------------------------------------------------------------------------


def test_managed_policy_lifecycle(env: Env) -> None:
    iam, name, document = env.iam, unique_name("mp"), doc("dynamodb:DescribeTable")
    policy = iam.create_policy(PolicyName=name, Path="/team/", PolicyDocument=document)["Policy"]
    arn = policy["Arn"]
    assert arn == f"{IAM_ARN}:policy/team/{name}" and policy["PolicyId"].startswith("ANPA")
    assert (policy["DefaultVersionId"], policy["AttachmentCount"]) == ("v1", 0)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == name
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(document) and version["IsDefaultVersion"] is True
    expect(iam.create_policy, "EntityAlreadyExists", 409, PolicyName=name, PolicyDocument=document)

    def arns(scope: str) -> set[str]:
        pages = iam.get_paginator("list_policies").paginate(Scope=scope)
        return {p["Arn"] for page in pages for p in page["Policies"]}

    assert arn in arns("Local") and READ_ONLY not in arns("Local")
    assert READ_ONLY in arns("AWS") and arn not in arns("AWS")
    user, _ = env.new_user(arn, READ_ONLY)
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    both = {(name, arn), ("AmazonDynamoDBReadOnlyAccess", READ_ONLY)}
    assert {(p["PolicyName"], p["PolicyArn"]) for p in attached} == both
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    expect(iam.delete_policy, "DeleteConflict", 409, PolicyArn=arn)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    expect(iam.detach_user_policy, "NoSuchEntity", 404, UserName=user, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    expect(iam.get_policy, "NoSuchEntity", 404, PolicyArn=arn)
    expect(iam.attach_user_policy, "NoSuchEntity", 404, UserName=user, PolicyArn=arn)


def test_policy_versions(env: Env) -> None:
    """Up to five versions; the default one is what applies; the default cannot be deleted,
    and a policy with other versions cannot be deleted until they are."""
    iam = env.iam
    arn = iam.create_policy(PolicyName=unique_name("pv"), PolicyDocument=doc("dynamodb:Scan"))[
        "Policy"
    ]["Arn"]
    user, creds = env.new_user(arn)
    ddb = env.client("dynamodb", creds)
    assert ddb.scan(TableName=env.table)["Count"] >= 0
    v2 = iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=doc("dynamodb:DescribeTable"), SetAsDefault=True
    )["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    expect(ddb.scan, "AccessDeniedException", TableName=env.table)  # v2 applies now
    assert ddb.describe_table(TableName=env.table)["Table"]["TableName"] == env.table
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [
        ("v2", True),
        ("v1", False),
    ]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert ddb.scan(TableName=env.table)["Count"] >= 0  # back to v1
    expect(iam.delete_policy_version, "DeleteConflict", 409, PolicyArn=arn, VersionId="v1")
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc("dynamodb:Query"))
    expect(
        iam.create_policy_version,
        "LimitExceeded",
        409,
        PolicyArn=arn,
        PolicyDocument=doc("dynamodb:Query"),
    )
    expect(iam.get_policy_version, "NoSuchEntity", 404, PolicyArn=arn, VersionId="v9")
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    expect(iam.delete_policy, "DeleteConflict", 409, PolicyArn=arn)
    for version in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.delete_policy(PolicyArn=arn)


def test_aws_managed_read_only_policy_is_effective(env: Env) -> None:
    name, creds = env.new_user(READ_ONLY)
    ddb = env.client("dynamodb", creds)
    assert ddb.scan(TableName=env.table)["Count"] >= 1
    why = denied(f"{IAM_ARN}:user/{name}", "dynamodb:PutItem", env.table_arn())
    item = {"TableName": env.table, "Item": {"pk": {"S": "x"}}}
    expect(ddb.put_item, "AccessDeniedException", 400, why, **item)
    env.iam.detach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    expect(ddb.scan, "AccessDeniedException", TableName=env.table)


def test_only_attached_lists_attached_aws_managed_policies(env: Env) -> None:
    """ListPolicies OnlyAttached=true "contains only the policies that are attached to an IAM
    user, group, or role" -- AWS managed ones included."""
    env.new_user(READ_ONLY)
    listed = env.iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    counts = {p["Arn"]: p["AttachmentCount"] for p in listed}
    assert counts.get(READ_ONLY, 0) >= 1 and all(counts.values())


def test_aws_managed_policies_cannot_be_deleted(env: Env) -> None:
    message = expect(env.iam.delete_policy, "AccessDenied", 403, PolicyArn=READ_ONLY)
    assert "iam:DeletePolicy" in message
    assert env.iam.get_policy(PolicyArn=READ_ONLY)["Policy"]["Arn"] == READ_ONLY


# --- groups ----------------------------------------------------------------------------------


def test_group_policies_grant_their_members(env: Env) -> None:
    iam, group = env.iam, unique_name("g")
    created = iam.create_group(GroupName=group)["Group"]
    assert created["Arn"] == f"{IAM_ARN}:group/{group}" and created["GroupId"].startswith("AGPA")
    expect(iam.create_group, "EntityAlreadyExists", 409, GroupName=group.upper())
    name, creds = env.new_user()
    ddb = env.client("dynamodb", creds)
    expect(ddb.describe_table, "AccessDeniedException", TableName=env.table)
    describe = doc("dynamodb:DescribeTable")
    iam.put_group_policy(GroupName=group, PolicyName="describe", PolicyDocument=describe)
    iam.add_user_to_group(GroupName=group, UserName=name)
    got = iam.get_group(GroupName=group)
    assert got["Group"]["GroupName"] == group and [u["UserName"] for u in got["Users"]] == [name]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]] == [group]
    assert ddb.describe_table(TableName=env.table)["Table"]["TableName"] == env.table
    expect(ddb.list_tables, "AccessDeniedException")
    iam.attach_group_policy(GroupName=group, PolicyArn=READ_ONLY)
    assert env.table in ddb.list_tables()["TableNames"]
    expect(iam.delete_group, "DeleteConflict", 409, GroupName=group)
    iam.remove_user_from_group(GroupName=group, UserName=name)
    assert iam.list_groups_for_user(UserName=name)["Groups"] == []
    assert iam.get_group(GroupName=group)["Users"] == []
    expect(ddb.describe_table, "AccessDeniedException", TableName=env.table)
    expect(ddb.list_tables, "AccessDeniedException")
    iam.delete_group_policy(GroupName=group, PolicyName="describe")
    iam.detach_group_policy(GroupName=group, PolicyArn=READ_ONLY)
    iam.delete_group(GroupName=group)
    expect(iam.get_group, "NoSuchEntity", 404, GroupName=group)


# --- roles -----------------------------------------------------------------------------------


def test_role_lifecycle(env: Env) -> None:
    iam, name, path = env.iam, unique_name("r"), f"/{unique_name('rp')}/"
    trust_doc = trust(f"{IAM_ARN}:root")
    role = iam.create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=trust_doc, Description="a role"
    )["Role"]
    assert role["Arn"] == f"{IAM_ARN}:role{path}{name}" and role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName=name)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(trust_doc)  # a dict, decoded by boto3
    assert got["MaxSessionDuration"] == 3600 and got["Description"] == "a role"
    exists = f"Role with name {name.upper()} already exists."
    params = {"RoleName": name.upper(), "AssumeRolePolicyDocument": trust_doc}
    expect(iam.create_role, "EntityAlreadyExists", 409, exists, **params)
    roles = iam.list_roles(PathPrefix=path)["Roles"]
    assert [r["RoleName"] for r in roles] == [name]
    assert roles[0]["AssumeRolePolicyDocument"] == json.loads(trust_doc)
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc("dynamodb:*"))
    iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [READ_ONLY]
    expect(iam.delete_role, "DeleteConflict", 409, RoleName=name)
    iam.delete_role_policy(RoleName=name, PolicyName="p")
    expect(iam.delete_role, "DeleteConflict", 409, RoleName=name)
    iam.detach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    iam.delete_role(RoleName=name)
    gone = f"The role with name {name} cannot be found."
    expect(iam.get_role, "NoSuchEntity", 404, gone, RoleName=name)
    # A trust policy must name a Principal.
    params = {"RoleName": unique_name("r"), "AssumeRolePolicyDocument": doc("sts:AssumeRole")}
    expect(iam.create_role, "MalformedPolicyDocument", 400, **params)


# --- STS -------------------------------------------------------------------------------------


def test_get_caller_identity(env: Env) -> None:
    root = env.sts.get_caller_identity()
    assert (root["UserId"], root["Account"], root["Arn"]) == (ACCOUNT, ACCOUNT, f"{IAM_ARN}:root")
    name, creds = env.new_user()
    me = env.client("sts", creds).get_caller_identity()
    user_id = env.iam.get_user(UserName=name)["User"]["UserId"]
    assert (me["UserId"], me["Account"], me["Arn"]) == (user_id, ACCOUNT, f"{IAM_ARN}:user/{name}")


def test_get_session_token_inherits_the_users_permissions(env: Env) -> None:
    name, creds = env.new_user(READ_ONLY)
    issued = env.client("sts", creds).get_session_token()["Credentials"]
    assert issued["AccessKeyId"].startswith("ASIA") and issued["SessionToken"]
    session = creds_of(issued)
    sts, ddb = env.client("sts", session), env.client("dynamodb", session)
    assert sts.get_caller_identity()["Arn"] == f"{IAM_ARN}:user/{name}"
    assert ddb.scan(TableName=env.table)["Count"] >= 1
    why = denied(f"{IAM_ARN}:user/{name}", "dynamodb:PutItem", env.table_arn())
    item = {"TableName": env.table, "Item": {"pk": {"S": "s"}}}
    expect(ddb.put_item, "AccessDeniedException", 400, why, **item)
    again = "Cannot call GetSessionToken with session credentials"
    expect(sts.get_session_token, "AccessDenied", 403, again)


def test_session_token_credentials_cannot_call_iam(env: Env) -> None:
    """GetSessionToken's credentials "cannot call any IAM API operations unless MFA
    authentication information is included"; IAM answers InvalidClientTokenId."""
    _, creds = env.new_user(IAM_FULL)
    session = creds_of(env.client("sts", creds).get_session_token()["Credentials"])
    expect(env.client("iam", session).list_users, "InvalidClientTokenId", 403)


def test_assume_role_trusting_the_user(env: Env) -> None:
    name, creds = env.new_user()  # no identity policy: the trust policy names the user
    role, role_arn = env.new_role(f"{IAM_ARN}:user/{name}", inline=doc("dynamodb:*"))
    role_id = env.iam.get_role(RoleName=role)["Role"]["RoleId"]
    reply = env.client("sts", creds).assume_role(RoleArn=role_arn, RoleSessionName="sess")
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/sess"
    assert reply["AssumedRoleUser"] == {"AssumedRoleId": f"{role_id}:sess", "Arn": arn}
    assert reply["Credentials"]["AccessKeyId"].startswith("ASIA")
    session = creds_of(reply["Credentials"])
    me = env.client("sts", session).get_caller_identity()
    assert (me["Arn"], me["UserId"], me["Account"]) == (arn, f"{role_id}:sess", ACCOUNT)
    env.client("dynamodb", session).put_item(TableName=env.table, Item={"pk": {"S": "role"}})
    expect(env.client("dynamodb", creds).list_tables, "AccessDeniedException")  # not the user
    why = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    params = {"RoleArn": role_arn, "RoleSessionName": "s1", "DurationSeconds": 3601}
    expect(env.client("sts", creds).assume_role, "ValidationError", 400, why, **params)


def test_assume_role_refused_when_trust_names_someone_else(env: Env) -> None:
    trusted, _ = env.new_user()
    name, creds = env.new_user()
    _, role_arn = env.new_role(f"{IAM_ARN}:user/{trusted}")
    why = (
        f"User: {IAM_ARN}:user/{name} is not authorized to perform: sts:AssumeRole "
        f"on resource: {role_arn}"
    )
    assume = env.client("sts", creds).assume_role
    expect(assume, "AccessDenied", 403, why, RoleArn=role_arn, RoleSessionName="s1")


def test_assume_role_trusting_the_account_needs_an_identity_policy_and_a_user(env: Env) -> None:
    _, role_arn = env.new_role(f"{IAM_ARN}:root")
    _, creds = env.new_user()
    assume = env.client("sts", creds).assume_role
    expect(assume, "AccessDenied", 403, RoleArn=role_arn, RoleSessionName="s1")
    _, allowed = env.new_user(inline=doc("sts:AssumeRole", role_arn))
    reply = env.client("sts", allowed).assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert reply["Credentials"]["AccessKeyId"].startswith("ASIA")
    why = "Roles may not be assumed by root accounts."
    expect(env.sts.assume_role, "AccessDenied", 403, why, RoleArn=role_arn, RoleSessionName="s1")


def test_session_policy_narrows_the_roles_permissions(env: Env) -> None:
    name, creds = env.new_user()
    role, role_arn = env.new_role(f"{IAM_ARN}:user/{name}", inline=doc("dynamodb:*"))
    reply = env.client("sts", creds).assume_role(
        RoleArn=role_arn, RoleSessionName="narrow", Policy=doc("dynamodb:GetItem")
    )
    ddb = env.client("dynamodb", creds_of(reply["Credentials"]))
    assert ddb.get_item(TableName=env.table, Key={"pk": {"S": "seed"}})["Item"]
    who = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/narrow"
    why = denied(who, "dynamodb:PutItem", env.table_arn(), "session")
    item = {"TableName": env.table, "Item": {"pk": {"S": "n"}}}
    expect(ddb.put_item, "AccessDeniedException", 400, why, **item)


def test_session_credentials_expire(env: Env) -> None:
    name, creds = env.new_user(READ_ONLY)
    _, role_arn = env.new_role(f"{IAM_ARN}:user/{name}", inline=doc("dynamodb:*"))
    unchecked = Config(parameter_validation=False, retries={"total_max_attempts": 1})
    sts = boto3.client(  # botocore itself would refuse a DurationSeconds below 900
        "sts", endpoint_url=env.server.endpoint, region_name="us-east-1", config=unchecked, **creds
    )
    role_session = sts.assume_role(RoleArn=role_arn, RoleSessionName="brief", DurationSeconds=1)
    user_session = sts.get_session_token(DurationSeconds=1)
    issued = time.monotonic()
    # No clock to move: the second has to pass. Both are refused within the 2.5 s this test
    # always allowed them, and it goes on as soon as they are.
    sessions = [creds_of(reply["Credentials"]) for reply in (role_session, user_session)]
    clients = [env.client("dynamodb", session) for session in sessions]
    eventually(
        lambda: all(error_code(c.list_tables) == "ExpiredTokenException" for c in clients),
        issued + 2.5 - time.monotonic(),
        0.1,
        lambda: f"the credentials did not expire: {[error_code(c.list_tables) for c in clients]}",
    )
    expired = "The security token included in the request is expired"
    for reply in (role_session, user_session):
        session = creds_of(reply["Credentials"])
        expect(env.client("dynamodb", session).list_tables, "ExpiredTokenException", 400, expired)
        expect(env.client("sts", session).get_caller_identity, "ExpiredToken", 403)


def test_deleting_the_role_ends_its_sessions(env: Env) -> None:
    name, creds = env.new_user()
    role, role_arn = env.new_role(f"{IAM_ARN}:user/{name}", inline=doc("dynamodb:*"))
    reply = env.client("sts", creds).assume_role(RoleArn=role_arn, RoleSessionName="gone")
    ddb = env.client("dynamodb", creds_of(reply["Credentials"]))
    assert env.table in ddb.list_tables()["TableNames"]
    env.iam.delete_role_policy(RoleName=role, PolicyName="p")
    env.iam.delete_role(RoleName=role)
    expect(ddb.list_tables, "UnrecognizedClientException")
    # A new role of the same name does not revive the old role's sessions.
    env.iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(f"{IAM_ARN}:user/{name}"))
    env.iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc("dynamodb:*"))
    expect(ddb.list_tables, "UnrecognizedClientException")


# --- authorization of IAM itself -------------------------------------------------------------


def test_iam_actions_need_iam_permissions(env: Env) -> None:
    name, creds = env.new_user()
    iam, target = env.client("iam", creds), unique_name("u")
    why = denied(f"{IAM_ARN}:user/{name}", "iam:CreateUser", f"{IAM_ARN}:user/{target}")
    expect(iam.create_user, "AccessDenied", 403, why, UserName=target)
    expect(iam.list_users, "AccessDenied", 403)
    expect(env.iam.get_user, "NoSuchEntity", UserName=target)  # nothing was made
    env.iam.attach_user_policy(UserName=name, PolicyArn=IAM_FULL)
    assert iam.create_user(UserName=target)["User"]["UserName"] == target
    pages = iam.get_paginator("list_users").paginate()
    assert target in {u["UserName"] for page in pages for u in page["Users"]}


def test_iam_authorizes_on_the_path_qualified_user_arn(env: Env) -> None:
    """IAM's resource ARN for a user includes its path (arn:...:user/division/bob), so a policy
    on `user/division/*` lets its holder call iam:GetUser on the users under that path."""
    _, creds = env.new_user(inline=doc("iam:GetUser", f"{IAM_ARN}:user/division/*"))
    target = unique_name("u")
    env.iam.create_user(UserName=target, Path="/division/")
    assert env.client("iam", creds).get_user(UserName=target)["User"]["UserName"] == target


# --- the AWS CLI -----------------------------------------------------------------------------


def test_aws_cli_lists_users(env: Env) -> None:
    name = unique_name("cli")
    env.iam.create_user(UserName=name, Path="/cli/")
    command = [str(AWS), "iam", "list-users", "--endpoint-url", env.server.endpoint]
    command += ["--region", "us-east-1", "--output", "json"]
    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    cli_env.update(AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET, AWS_PAGER="")
    cli_env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    result = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    users = {u["UserName"]: u for u in json.loads(result.stdout)["Users"]}
    assert users[name]["Arn"] == f"{IAM_ARN}:user/cli/{name}"
    assert users[name]["UserId"] == env.iam.get_user(UserName=name)["User"]["UserId"]
