"""Terraform's AWS provider (hashicorp/aws 5.x) managing IAM on a `--auth iam` server.

The provider's `iam`, `sts` and `dynamodb` endpoints all point at the server, without
`skip_credentials_validation` / `skip_requesting_account_id`: root's keys are checked with
sts:GetCallerIdentity, which also gives `data.aws_caller_identity` its account. One configuration
(users with tags, an access key, an inline LeadingKeys=`${aws:username}` policy, groups with both
membership resources, a role with a trust and an inline policy, a managed policy attached to a
user) is applied, checked with boto3 using the key Terraform made, planned again (exit 0: every
read round-trips what was written), updated and destroyed.

An `aws_dynamodb_table` is part of the configuration, so it is applied, planned again (exit 0)
and destroyed too: its reads send DescribeTimeToLive and DescribeContinuousBackups, both served.
(It had a configuration and a test of its own; sharing the IAM one saves an init, an apply, a
plan and a destroy: some 40 s, nearly all of it the provider loading its schema.)

Skipped without the terraform binary and the provider in a filesystem mirror
(OPENDYNAMO_TF_MIRROR, default /opt/tf-plugins).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.postgres import Postgres
from tests.wire.terraform import Terraform, skip_without_terraform

ROOT_KEY = "AKIAROOTTERRAFORM001"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYTERRAFORM1"
ROOT = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}
TABLE = "tf-users"
MADE_TABLE = "tf-made-table"  # TABLE_RESOURCE's
SERVICES = ("iam", "sts", "dynamodb")

IAM = """
variable "actions" { type = list(string) }
variable "managed_actions" { type = list(string) }
variable "tags" { type = map(string) }
variable "with_role" { type = bool }
data "aws_caller_identity" "me" {}
locals {
  table = "arn:aws:dynamodb:us-east-1:${data.aws_caller_identity.me.account_id}:table/tf-users"
  own   = { "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["$${aws:username}"] } }
}
resource "aws_iam_user" "alice" {
  name = "tf-alice"
  tags = var.tags
}
resource "aws_iam_user" "bob" { name = "tf-bob" }
resource "aws_iam_access_key" "alice" { user = aws_iam_user.alice.name }
resource "aws_iam_user_policy" "own" {
  name   = "own-partition"
  user   = aws_iam_user.alice.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = var.actions, Resource = local.table, Condition = local.own }] })
}
resource "aws_iam_group" "readers" { name = "tf-readers" }
resource "aws_iam_group" "writers" { name = "tf-writers" }
resource "aws_iam_group_membership" "readers" {
  name  = "tf-readers-members"
  group = aws_iam_group.readers.name
  users = [aws_iam_user.alice.name]
}
resource "aws_iam_user_group_membership" "bob" {
  user   = aws_iam_user.bob.name
  groups = [aws_iam_group.writers.name]
}
resource "aws_iam_policy" "describe" {
  name   = "tf-describe"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = var.managed_actions, Resource = local.table }] })
}
resource "aws_iam_user_policy_attachment" "describe" {
  user       = aws_iam_user.alice.name
  policy_arn = aws_iam_policy.describe.arn
}
resource "aws_iam_role" "reader" {
  count              = var.with_role ? 1 : 0
  name               = "tf-reader"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
    Principal = { AWS = aws_iam_user.alice.arn }, Action = "sts:AssumeRole" }] })
}
resource "aws_iam_role_policy" "reader" {
  count  = var.with_role ? 1 : 0
  name   = "read"
  role   = aws_iam_role.reader[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "dynamodb:GetItem", Resource = local.table }] })
}
output "key_id" { value = aws_iam_access_key.alice.id }
output "secret" {
  value     = aws_iam_access_key.alice.secret
  sensitive = true
}
output "role_arn" { value = var.with_role ? aws_iam_role.reader[0].arn : "" }
"""

TABLE_RESOURCE = """
resource "aws_dynamodb_table" "t" {
  name         = "tf-made-table"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "UserId"
  attribute {
    name = "UserId"
    type = "S"
  }
}
"""


class IamTerraform(Terraform):
    def alice(self, service: str = "dynamodb") -> Any:
        """A client with the access key Terraform made for tf-alice."""
        out = self.outputs()
        creds = {"aws_access_key_id": out["key_id"], "aws_secret_access_key": out["secret"]}
        return self.client(service, **creds)


@pytest.fixture(scope="module")
def tf_server(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres) -> Iterator[Server]:
    """On PostgreSQL only: Terraform tests what the provider sends and reads back, which is the
    same code on either store (every other wire test runs on both), and its runs are the
    suite's slowest (a minute and a half each)."""
    skip_without_terraform()
    args = ["--auth", "iam", "--root-access-key-id", ROOT_KEY]
    args += ["--root-secret-access-key", ROOT_SECRET, "--backend", postgres.database()]
    srv = Server(tmp_path_factory.mktemp("tf-data"), workers=2, extra_args=tuple(args)).start()
    try:
        srv.client("dynamodb", **ROOT).create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "UserId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "UserId", "AttributeType": "S"}],
        )  # fmt: skip
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def tf(tf_server: Server, tmp_path_factory: pytest.TempPathFactory) -> IamTerraform:
    base = tmp_path_factory.mktemp("tf-iam")
    tf = IamTerraform.init(base, IAM + TABLE_RESOURCE, tf_server, SERVICES, **ROOT)
    tf.variables |= {
        "actions": ["dynamodb:PutItem", "dynamodb:GetItem"],
        "managed_actions": ["dynamodb:DescribeTable"],
        "tags": {"team": "data", "tmp": "x"},
        "with_role": True,
    }
    return tf


def key(user: str) -> dict[str, Any]:
    return {"UserId": {"S": user}}


def code_of(call: Any, **params: Any) -> str:
    """The error code `call(**params)` fails with."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return str(excinfo.value.response["Error"]["Code"])


def _apply_creates_the_iam_resources(tf: IamTerraform) -> None:
    tf.run("apply", "-auto-approve")
    iam = tf.client("iam")
    user = iam.get_user(UserName="tf-alice")["User"]
    assert {t["Key"]: t["Value"] for t in user.get("Tags", [])} == {"team": "data", "tmp": "x"}
    keys = iam.list_access_keys(UserName="tf-alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [tf.outputs()["key_id"]]
    doc = iam.get_user_policy(UserName="tf-alice", PolicyName="own-partition")["PolicyDocument"]
    condition = doc["Statement"][0]["Condition"]["ForAllValues:StringEquals"]
    assert condition == {"dynamodb:LeadingKeys": ["${aws:username}"]}
    for user_name, group in (("tf-alice", "tf-readers"), ("tf-bob", "tf-writers")):
        groups = iam.list_groups_for_user(UserName=user_name)["Groups"]
        assert [g["GroupName"] for g in groups] == [group]
    attached = iam.list_attached_user_policies(UserName="tf-alice")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["tf-describe"]
    assert iam.list_role_policies(RoleName="tf-reader")["PolicyNames"] == ["read"]
    made = tf.client("dynamodb").describe_table(TableName=MADE_TABLE)["Table"]
    assert (made["TableStatus"], made["KeySchema"]) == (
        "ACTIVE",
        [{"AttributeName": "UserId", "KeyType": "HASH"}],
    )


def _new_user_writes_only_its_own_partition(tf: IamTerraform) -> None:
    ddb = tf.alice()
    ddb.put_item(TableName=TABLE, Item=key("tf-alice"))
    assert ddb.get_item(TableName=TABLE, Key=key("tf-alice"))["Item"] == key("tf-alice")
    assert code_of(ddb.put_item, TableName=TABLE, Item=key("tf-bob")) == "AccessDeniedException"
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE"  # managed


def _role_trusting_the_user_can_be_assumed(tf: IamTerraform) -> None:
    role = tf.outputs()["role_arn"]
    creds = tf.alice("sts").assume_role(RoleArn=role, RoleSessionName="tf")["Credentials"]
    ddb = tf.client(
        "dynamodb",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert ddb.get_item(TableName=TABLE, Key=key("tf-alice"))["Item"] == key("tf-alice")
    assert code_of(ddb.put_item, TableName=TABLE, Item=key("tf-alice")) == "AccessDeniedException"


def _updates(tf: IamTerraform) -> None:
    """One apply of three independent changes (each apply costs some 15 s of the provider
    loading its schema, whatever it changes): the inline policy and the tags, the managed
    policy (a new default version), and the role's removal."""
    tf.variables["actions"] = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"]
    tf.variables["tags"] = {"team": "ml"}  # TagUser + UntagUser
    tf.variables["managed_actions"] = ["dynamodb:DescribeTable", "dynamodb:Query"]
    tf.variables["with_role"] = False
    tf.run("apply", "-auto-approve")
    iam = tf.client("iam")
    tags = iam.get_user(UserName="tf-alice")["User"]["Tags"]
    assert tags == [{"Key": "team", "Value": "ml"}]
    ddb = tf.alice()
    ddb.delete_item(TableName=TABLE, Key=key("tf-alice"))
    assert code_of(ddb.delete_item, TableName=TABLE, Key=key("tf-bob")) == "AccessDeniedException"
    (attached,) = iam.list_attached_user_policies(UserName="tf-alice")["AttachedPolicies"]
    policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
    assert policy["DefaultVersionId"] == "v2"
    assert code_of(iam.get_role, RoleName="tf-reader") == "NoSuchEntity"


def _destroy_removes_everything(tf: IamTerraform) -> None:
    iam = tf.client("iam")
    tf.destroy()
    assert tf.run("state", "list").stdout == ""
    for user_name in ("tf-alice", "tf-bob"):
        assert code_of(iam.get_user, UserName=user_name) == "NoSuchEntity"
    for group in ("tf-readers", "tf-writers"):
        assert code_of(iam.get_group, GroupName=group) == "NoSuchEntity"
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_roles()["Roles"] == []
    ddb = tf.client("dynamodb")
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableName"] == TABLE
    assert code_of(ddb.describe_table, TableName=MADE_TABLE) == "ResourceNotFoundException"


def test_iam_configuration_lifecycle(tf: IamTerraform) -> None:
    """The steps of one configuration's life, in order (a test each would let xdist run them
    on different workers, each with a configuration of its own that was never applied)."""
    _apply_creates_the_iam_resources(tf)
    _new_user_writes_only_its_own_partition(tf)
    _role_trusting_the_user_can_be_assumed(tf)
    tf.plan_shows_no_drift()
    _updates(tf)
    _destroy_removes_everything(tf)
