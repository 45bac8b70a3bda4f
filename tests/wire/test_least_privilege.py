"""Least privilege that holds: every decision is made on the resource the request acts on, as
an attacker would probe it, under `--auth iam` and `--auth sigv4`, on SQLite and PostgreSQL.

Pinned (AWS's IAM user guide "policy evaluation logic" and "cross-account policy evaluation",
the Service Authorization Reference for DynamoDB, IAM and STS, DynamoDB's developer guide on
resource-based policies, exports, imports and streams, and IAM's API reference):
- A Deny on a table (`table/Payroll` and `table/Payroll/*`) refuses every route to its data:
  by name, by ARN, through an index, PartiQL, a batch or a transaction, its stream, its
  backups and its exports. A backup, export or stream is found by its whole ARN: naming
  Payroll's backup under another table's name finds nothing.
- Another account reaches nothing of the table without a resource policy, under `iam` and
  under `sigv4`, whatever the request's spelling (an ARN with an escaped colon, a gzip body).
  Streams, backups, exports and PartiQL never cross accounts.
- An IAM action acts on the one entity its declared parameter names, and is authorized on it:
  a stray `PolicyArn` or `GroupName` changes nothing. A role session is no IAM user: the
  access-key actions without `UserName` answer ValidationError "Must specify userName when
  calling with non-User credentials" and touch no root key.
- AssumeRole needs the caller's identity policies unless the trust policy names the caller
  itself (and always across accounts); an explicit deny, or a condition on the request's
  global keys (`aws:SourceIp`), refuses it.
- `iam:PolicyARN` is in the request of Attach/Detach*Policy, so a Deny on it holds.
- A resource policy naming the account delegates to the account's identity policies; one
  naming the user grants alone.
- GetSessionToken's credentials belong to the user's unique id: a new user of the same name
  does not inherit them.
- PartiQL: dynamodb:LeadingKeys covers every partition a statement reaches (IN, OR,
  BETWEEN), and RETURNING sets dynamodb:ReturnValues; ExecuteTransaction with EXISTS is
  authorized, not a 500.
- Buckets belong to an account: another account can neither import this account's export
  nor write into its bucket without a bucket policy; S3BucketOwner must name the owner.
- An export reads the table its TableArn names (its region), the one that was authorized.
- The store's files and exported objects are readable by their owner alone; the audit log
  names the IAM entity of an IAM action.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import (
    REGION,
    Backend,
    Server,
    backend_of,
    creds_of,
    error_of,
    unique_name,
    wait_export,
)
from tests.wire.helpers import create_table, eventually
from tests.wire.http import Reply, signed_call, signed_query

ACCOUNT = "000000000000"
ROOT_KEY = "AKIALEASTPRIVILEGE01"
ROOT_SECRET = "least-privilege-root-secret"
ROOT = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}
PAYROLL = "Payroll"
PUBLIC = "Public"
INDEX = "ByDept"
ENV = {
    "OPENDYNAMO_PITR_LAG": "1",
    "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.05",
    "OPENDYNAMO_MIN_SESSION_SECONDS": "1",
}
NON_USER = "Must specify userName when calling with non-User credentials"
Creds = dict[str, str]


def arn(table: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: str | list[str], resource: str | list[str] = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def cli(server: Server, data_dir: Path, *args: str, stdin: str | None = None) -> str:
    command = [sys.executable, "-m", "opendynamo", *args, "--data-dir", str(data_dir)]
    url = backend_of(server)
    command += ["--backend", url] if url else []
    done = subprocess.run(command, capture_output=True, text=True, check=True, input=stdin)
    return done.stdout


@dataclass
class World:
    """The module's server (one per mode and backend), its two accounts and their data."""

    mode: str
    server: Server
    data_dir: Path
    other: Creds
    other_account: str
    stream_arn: str
    backup_arn: str
    export_arn: str

    def client(self, creds: Creds, service: str = "dynamodb", region: str = REGION) -> Any:
        return self.server.client(service, region=region, **creds)

    @property
    def root(self) -> Any:
        return self.client(ROOT)

    @property
    def iam(self) -> Any:
        return self.client(ROOT, "iam")

    def user(self, *statements: dict[str, Any], name: str | None = None) -> tuple[str, Creds]:
        """A new IAM user of the default account with an inline policy of `statements`."""
        name = name or unique_name("u")
        self.iam.create_user(UserName=name)
        if statements:
            self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
        return name, creds_of(self.iam.create_access_key(UserName=name)["AccessKey"])

    def iterator(self) -> str:
        """A shard iterator of Payroll's stream, made by root."""
        streams = self.client(ROOT, "dynamodbstreams")
        shard = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return str(
            streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard["Shards"][0]["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
        )


def _create_world_table(client: Any, name: str) -> None:
    """One of the world's tables: hash key pk (S), GSI INDEX on dept (S), a NEW_AND_OLD_IMAGES
    stream, point-in-time recovery, and the items alice and bob."""
    create_table(
        client,
        name=name,
        gsi=(INDEX, "dept"),
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    for who in ("alice", "bob"):
        item = {"pk": {"S": who}, "dept": {"S": "eng"}, "salary": {"N": "100"}}
        client.put_item(TableName=name, Item=item)


@pytest.fixture(scope="module", params=("iam", "sigv4"))
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, backend: Backend
) -> Iterator[World]:
    mode = request.param
    data_dir = tmp_path_factory.mktemp(f"lp-{mode}")
    secret_file = data_dir / "root.secret"
    secret_file.write_text(ROOT_SECRET + "\n")
    secret_file.chmod(0o600)
    args = ("--auth", mode, "--root-access-key-id", ROOT_KEY)
    args += ("--root-secret-access-key-file", str(secret_file))
    args += ("--audit-log", str(data_dir / "audit.jsonl"), *backend())
    server = Server(data_dir, workers=2, extra_args=args, env=ENV).start()
    try:
        other = json.loads(cli(server, data_dir, "create-account"))
        other_creds = {
            "aws_access_key_id": other["AccessKeyId"],
            "aws_secret_access_key": other["SecretAccessKey"],
        }
        cli(server, data_dir, "create-bucket", "a-bucket")
        cli(server, data_dir, "create-bucket", "--account-id", other["AccountId"], "b-bucket")
        shared = doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{other['AccountId']}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::shared", "arn:aws:s3:::shared/*"],
            }
        )
        cli(server, data_dir, "create-bucket", "--policy-file", "-", "shared", stdin=shared)
        root = server.client(**ROOT)
        for table in (PAYROLL, PUBLIC):
            _create_world_table(root, table)
        stream_arn = root.describe_table(TableName=PAYROLL)["Table"]["LatestStreamArn"]
        backup = root.create_backup(TableName=PAYROLL, BackupName="payroll")["BackupDetails"]
        describe = root.describe_backup
        eventually(lambda: describe(BackupArn=backup["BackupArn"])["BackupDescription"]
                   ["BackupDetails"]["BackupStatus"] == "AVAILABLE", 30,
                   message="the backup did not become AVAILABLE")  # fmt: skip
        export = root.export_table_to_point_in_time(
            TableArn=arn(PAYROLL), S3Bucket="a-bucket", S3Prefix="payroll"
        )["ExportDescription"]
        wait_export(root, export["ExportArn"])
        yield World(
            mode,
            server,
            data_dir,
            other_creds,
            other["AccountId"],
            stream_arn,
            backup["BackupArn"],
            export["ExportArn"],
        )
    finally:
        server.stop()


def refused(call: Callable[..., Any], code: str = "AccessDeniedException", **params: Any) -> str:
    """`call(**params)` fails with `code`; its message."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    found, message = error_of(excinfo)
    assert found == code, message
    return message


def iam_only(world: World) -> None:
    if world.mode != "iam":
        pytest.skip("identity policies decide only under --auth iam")


# --- a deny on a table covers every route to its data ---------------------------------------


def test_deny_on_a_table_covers_every_route(world: World) -> None:
    iam_only(world)
    _, creds = world.user(
        allow(["dynamodb:*", "s3:*"]),
        deny("dynamodb:*", [arn(PAYROLL), arn(PAYROLL) + "/*"]),
    )
    ddb, streams = world.client(creds), world.client(creds, "dynamodbstreams")
    key = {"pk": {"S": "alice"}}
    payroll_arn = arn(PAYROLL)
    routes: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (ddb.get_item, {"TableName": PAYROLL, "Key": key}),
        (ddb.get_item, {"TableName": payroll_arn, "Key": key}),
        (ddb.scan, {"TableName": PAYROLL}),
        (ddb.query, {"TableName": PAYROLL, "IndexName": INDEX,
                     "KeyConditionExpression": "dept = :d",
                     "ExpressionAttributeValues": {":d": {"S": "eng"}}}),
        (ddb.batch_get_item, {"RequestItems": {payroll_arn: {"Keys": [key]}}}),
        (ddb.transact_get_items, {"TransactItems": [{"Get": {"TableName": PAYROLL, "Key": key}}]}),
        (ddb.execute_statement, {"Statement": f'SELECT * FROM "{PAYROLL}"'}),
        (ddb.execute_statement, {"Statement": f'SELECT * FROM "{PAYROLL}"."{INDEX}"'}),
        (streams.describe_stream, {"StreamArn": world.stream_arn}),
        (streams.get_records, {"ShardIterator": world.iterator()}),
        (ddb.describe_backup, {"BackupArn": world.backup_arn}),
        (ddb.restore_table_from_backup,
         {"TargetTableName": unique_name("r"), "BackupArn": world.backup_arn}),
        (ddb.export_table_to_point_in_time, {"TableArn": payroll_arn, "S3Bucket": "a-bucket"}),
        (ddb.describe_export, {"ExportArn": world.export_arn}),
        (ddb.restore_table_to_point_in_time,
         {"SourceTableName": PAYROLL, "TargetTableName": unique_name("r"),
          "UseLatestRestorableTime": True}),
    ]  # fmt: skip
    for call, params in routes:
        refused(call, **params)
    # The backup's ARN rewritten under a table the user may use names no backup.
    rewritten = world.backup_arn.replace(f"table/{PAYROLL}/", f"table/{PUBLIC}/")
    refused(ddb.describe_backup, "BackupNotFoundException", BackupArn=rewritten)
    target = unique_name("r")
    refused(
        ddb.restore_table_from_backup,
        "BackupNotFoundException",
        TargetTableName=target,
        BackupArn=rewritten,
    )
    assert target not in world.root.list_tables()["TableNames"]
    # The same routes reach Public.
    assert ddb.get_item(TableName=PUBLIC, Key=key)["Item"]["salary"] == {"N": "100"}


# --- another account ------------------------------------------------------------------------


def test_another_account_reaches_nothing_without_a_resource_policy(world: World) -> None:
    ddb = world.client(world.other)
    streams = world.client(world.other, "dynamodbstreams")
    key = {"pk": {"S": "alice"}}
    payroll_arn = arn(PAYROLL)
    routes: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (ddb.get_item, {"TableName": payroll_arn, "Key": key}),
        (ddb.query, {"TableName": payroll_arn, "IndexName": INDEX,
                     "KeyConditionExpression": "dept = :d",
                     "ExpressionAttributeValues": {":d": {"S": "eng"}}}),
        (ddb.execute_statement, {"Statement": f'SELECT * FROM "{payroll_arn}"'}),
        (streams.describe_stream, {"StreamArn": world.stream_arn}),
        (streams.get_shard_iterator, {"StreamArn": world.stream_arn, "ShardId": "shardId-00000000000000000000-00000000",
                                      "ShardIteratorType": "TRIM_HORIZON"}),
        (streams.get_records, {"ShardIterator": world.iterator()}),
        (ddb.describe_backup, {"BackupArn": world.backup_arn}),
        (ddb.delete_backup, {"BackupArn": world.backup_arn}),
        (ddb.restore_table_from_backup,
         {"TargetTableName": unique_name("r"), "BackupArn": world.backup_arn}),
        (ddb.describe_export, {"ExportArn": world.export_arn}),
        (ddb.export_table_to_point_in_time, {"TableArn": payroll_arn, "S3Bucket": "b-bucket"}),
    ]  # fmt: skip
    for call, params in routes:
        refused(call, **params)
    status = world.root.describe_backup(BackupArn=world.backup_arn)["BackupDescription"]
    assert status["BackupDetails"]["BackupStatus"] == "AVAILABLE"  # not deleted


def test_a_spelling_of_the_arn_does_not_cross_accounts(world: World) -> None:
    """The cross-account decision is made on the decoded request: an ARN whose colons are
    JSON escapes, or a gzip-compressed body, is the same ARN."""
    escaped = arn(PAYROLL).replace(":", "\\u003a")
    body = ('{"TableName": "' + escaped + '", "Key": {"pk": {"S": "alice"}}}').encode()
    reply = signed_call(world.server, "GetItem", body, credentials=world.other)
    assert _dynamodb_error(reply) == "AccessDeniedException"
    plain = json.dumps({"TableName": arn(PAYROLL), "Key": {"pk": {"S": "alice"}}}).encode()
    reply = signed_call(
        world.server,
        "GetItem",
        gzip.compress(plain),
        extra_headers={"Content-Encoding": "gzip"},
        credentials=world.other,
    )
    assert _dynamodb_error(reply) == "AccessDeniedException"
    item = {"TableName": escaped, "Item": {"pk": {"S": "intruder"}}}
    body = json.dumps(item).replace("\\\\u003a", "\\u003a").encode()
    reply = signed_call(world.server, "PutItem", body, credentials=world.other)
    assert _dynamodb_error(reply) == "AccessDeniedException"
    assert "Item" not in world.root.get_item(TableName=PAYROLL, Key={"pk": {"S": "intruder"}})


def _dynamodb_error(reply: Reply) -> str:
    assert reply.status == 400, reply.body
    return str(reply.json()["__type"]).rsplit("#", 1)[-1]


def test_buckets_belong_to_their_account(world: World) -> None:
    """This account's export cannot be imported by another account, nor can another account
    write into this account's bucket; S3BucketOwner must name the bucket's owner; a bucket
    policy opens a bucket to another account."""
    ddb = world.client(world.other)
    export = world.root.describe_export(ExportArn=world.export_arn)["ExportDescription"]
    source = {"S3Bucket": "a-bucket", "S3KeyPrefix": export["ExportManifest"].rsplit("/", 1)[0]}
    table = {
        "TableName": unique_name("stolen"),
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    importing = {"InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"}
    for owner in ({}, {"S3BucketOwner": ACCOUNT}):
        refused(
            ddb.import_table,
            S3BucketSource={**source, **owner},
            TableCreationParameters=table,
            **importing,
        )
    assert table["TableName"] not in ddb.list_tables()["TableNames"]
    world.root.put_item(TableName=PUBLIC, Item={"pk": {"S": "x"}})
    refused(  # the root of this account, writing to the other account's bucket
        world.root.export_table_to_point_in_time, TableArn=arn(PUBLIC), S3Bucket="b-bucket"
    )
    refused(  # ... even naming the owner: the bucket's policy does not allow it
        world.root.export_table_to_point_in_time,
        TableArn=arn(PUBLIC),
        S3Bucket="b-bucket",
        S3BucketOwner=world.other_account,
    )
    refused(  # the other account's own bucket, named with the wrong owner
        world.root.export_table_to_point_in_time,
        TableArn=arn(PUBLIC),
        S3Bucket="a-bucket",
        S3BucketOwner=world.other_account,
    )
    # The bucket policy of "shared" lets the other account read it, naming its owner.
    started = ddb.import_table(
        S3BucketSource={"S3Bucket": "shared", "S3BucketOwner": ACCOUNT},
        TableCreationParameters={**table, "TableName": unique_name("allowed")},
        **importing,
    )["ImportTableDescription"]
    assert started["ImportStatus"] in ("IN_PROGRESS", "COMPLETED")
    refused(
        ddb.import_table,
        S3BucketSource={"S3Bucket": "shared"},  # S3BucketOwner defaults to the caller's own
        TableCreationParameters={**table, "TableName": unique_name("default")},
        **importing,
    )


# --- IAM and STS ------------------------------------------------------------------------------


def _query_error(reply: Reply) -> tuple[str, str]:
    text = reply.body.decode()
    code = re.search(r"<Code>(.*?)</Code>", text)
    message = re.search(r"<Message>(.*?)</Message>", text, re.S)
    assert code is not None, text
    return code.group(1), message.group(1) if message else ""


def test_iam_actions_act_on_the_resource_authorized(world: World) -> None:
    iam_only(world)
    self_service = allow(
        ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:PutUserPolicy"],
        f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
    )
    alice, creds = world.user(self_service)
    admin, _ = world.user(name=unique_name("admin"))
    before = world.iam.list_access_keys(UserName=admin)["AccessKeyMetadata"]
    stray = f"arn:aws:iam::{ACCOUNT}:user/{alice}"
    reply = signed_query(
        world.server,
        "iam",
        {"Action": "CreateAccessKey", "UserName": admin, "PolicyArn": stray},
        creds,
    )
    assert reply.status == 403 and _query_error(reply)[0] == "AccessDenied", reply.body
    assert world.iam.list_access_keys(UserName=admin)["AccessKeyMetadata"] == before
    # Allowed only on a group: naming a group beside the user does not put a user policy.
    group = unique_name("devs")
    world.iam.create_group(GroupName=group)
    on_group = allow("iam:PutUserPolicy", f"arn:aws:iam::{ACCOUNT}:group/{group}")
    _, devops = world.user(on_group, allow("iam:PutGroupPolicy", "*"))
    kate, _ = world.user()
    reply = signed_query(
        world.server,
        "iam",
        {
            "Action": "PutUserPolicy",
            "UserName": kate,
            "GroupName": group,
            "PolicyName": "everything",
            "PolicyDocument": doc(allow("*")),
        },
        devops,
    )
    assert reply.status == 403 and _query_error(reply)[0] == "AccessDenied", reply.body
    assert world.iam.list_user_policies(UserName=kate)["PolicyNames"] == []
    # The user's own key, by its own policy, works.
    key = world.client(creds, "iam").create_access_key()["AccessKey"]
    assert key["UserName"] == alice


def test_a_role_session_has_no_access_keys_of_its_own(world: World) -> None:
    """With no UserName, the access-key actions act on the calling user; a role session is
    none, and gets no key of the account's root."""
    role = unique_name("r")
    trust = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }
    world.iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(trust))
    world.iam.put_role_policy(
        RoleName=role,
        PolicyName="p",
        PolicyDocument=doc(allow(["iam:*Key*"]), deny("dynamodb:*")),
    )
    _, user = world.user(allow("sts:AssumeRole"))
    session = world.client(user, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="ss"
    )
    iam = world.client(creds_of(session["Credentials"]), "iam")
    for call in (iam.create_access_key, iam.list_access_keys):
        assert refused(call, "ValidationError") == NON_USER
    root_keys = world.iam.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in root_keys] == [ROOT_KEY]


def test_assume_role_weighs_the_callers_policies(world: World) -> None:
    iam_only(world)

    def role_trusting(principal: str) -> str:
        name = unique_name("r")
        trust = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        world.iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(trust))
        world.iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(allow("*")))
        return f"arn:aws:iam::{ACCOUNT}:role/{name}"

    # A user under an explicit deny of everything, whom the trust policy names.
    denied_name, denied_user = world.user(deny("*"))
    role = role_trusting(f"arn:aws:iam::{ACCOUNT}:user/{denied_name}")
    sts = world.client(denied_user, "sts")
    refused(sts.assume_role, "AccessDenied", RoleArn=role, RoleSessionName="ss")
    # Named by the trust policy and without any policy of its own: AWS's rule allows it.
    plain_name, plain = world.user()
    role = role_trusting(f"arn:aws:iam::{ACCOUNT}:user/{plain_name}")
    assert world.client(plain, "sts").assume_role(RoleArn=role, RoleSessionName="ss")
    # Trusted through its account only: its identity policy must allow; a condition on
    # aws:SourceIp (the request's, 127.0.0.1) applies.
    role = role_trusting(f"arn:aws:iam::{ACCOUNT}:root")
    guarded = {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    _, fenced = world.user(allow("sts:AssumeRole"), deny("sts:AssumeRole", Condition=guarded))
    refused(world.client(fenced, "sts").assume_role, "AccessDenied", RoleArn=role,
            RoleSessionName="ss")  # fmt: skip
    refused(world.client(plain, "sts").assume_role, "AccessDenied", RoleArn=role,
            RoleSessionName="ss")  # fmt: skip


def test_another_accounts_user_needs_its_own_policy_to_assume_a_role(world: World) -> None:
    """Across accounts both sides must allow: the trust policy naming the user is not
    enough without the user's own Allow."""
    iam_only(world)
    other_iam = world.client(world.other, "iam")
    name = unique_name("x")
    other_iam.create_user(UserName=name)
    user = creds_of(other_iam.create_access_key(UserName=name)["AccessKey"])
    role = unique_name("r")
    trusted = f"arn:aws:iam::{world.other_account}:user/{name}"
    trust = {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}
    world.iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(trust))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    sts = world.client(user, "sts")
    refused(sts.assume_role, "AccessDenied", RoleArn=role_arn, RoleSessionName="ss")
    other_iam.put_user_policy(
        UserName=name, PolicyName="p", PolicyDocument=doc(allow("sts:AssumeRole", role_arn))
    )
    deadline = time.monotonic() + 5
    while True:  # each worker sees the new policy at its next request
        try:
            assert sts.assume_role(RoleArn=role_arn, RoleSessionName="ss")["Credentials"]
            break
        except ClientError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_a_deny_on_the_policy_arn_holds(world: World) -> None:
    iam_only(world)
    administrator = "arn:aws:iam::aws:policy/AdministratorAccess"
    read_only = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
    condition = {"ArnEquals": {"iam:PolicyARN": administrator}}
    name, creds = world.user(allow("iam:*"), deny("iam:AttachUserPolicy", Condition=condition))
    iam = world.client(creds, "iam")
    refused(iam.attach_user_policy, "AccessDenied", UserName=name, PolicyArn=administrator)
    iam.attach_user_policy(UserName=name, PolicyArn=read_only)
    attached = world.iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [read_only]


def test_a_resource_policy_naming_the_account_delegates(world: World) -> None:
    iam_only(world)
    table = unique_name("rp")
    world.root.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name, creds = world.user()
    ddb = world.client(creds)

    def resource_policy(principal: str) -> None:
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "dynamodb:GetItem",
            "Resource": arn(table),
        }
        world.root.put_resource_policy(ResourceArn=arn(table), Policy=doc(statement))

    resource_policy(ACCOUNT)
    refused(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}})
    resource_policy(f"arn:aws:iam::{ACCOUNT}:root")
    refused(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}})
    resource_policy(f"arn:aws:iam::{ACCOUNT}:user/{name}")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_session_credentials_follow_the_user_not_its_name(world: World) -> None:
    name, creds = world.user(allow("dynamodb:ListTables"))
    session = creds_of(world.client(creds, "sts").get_session_token()["Credentials"])
    assert world.client(session).list_tables()["TableNames"]
    key = creds["aws_access_key_id"]
    world.iam.delete_access_key(UserName=name, AccessKeyId=key)
    world.iam.delete_user_policy(UserName=name, PolicyName="p")
    world.iam.delete_user(UserName=name)
    world.user(allow("*"), name=name)  # a new user of the same name
    refused(world.client(session).list_tables, "UnrecognizedClientException")


def test_partiql_leading_keys_cover_every_partition_reached(world: World) -> None:
    iam_only(world)
    own = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["alice"]},
           "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE"]}}  # fmt: skip
    actions = ["dynamodb:PartiQLSelect", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]
    _, creds = world.user(allow(actions, arn(PUBLIC), Condition=own))
    ddb = world.client(creds)
    table = f'"{PUBLIC}"'
    for where in (
        "pk IN ['alice', 'bob']",
        "pk = 'alice' OR pk = 'bob'",
        "pk BETWEEN 'a' AND 'z'",
        "salary > 0",
    ):
        refused(ddb.execute_statement, Statement=f"SELECT * FROM {table} WHERE {where}")
    for where in ("pk = 'alice'", "pk IN ['alice']", "pk = 'alice' OR pk = 'alice'"):
        items = ddb.execute_statement(Statement=f"SELECT * FROM {table} WHERE {where}")["Items"]
        assert [item["pk"] for item in items] == [{"S": "alice"}]
    update = f"UPDATE {table} SET salary = 1 WHERE pk = 'alice'"
    refused(ddb.execute_statement, Statement=update + " RETURNING ALL OLD *")
    ddb.execute_statement(Statement=update)
    exists = f"EXISTS(SELECT * FROM {table} WHERE pk = 'alice' AND salary = 1)"
    written = [{"Statement": f"UPDATE {table} SET salary = 2 WHERE pk = 'alice'"},
               {"Statement": exists.replace("'alice'", "'bob'")}]  # fmt: skip
    refused(ddb.execute_transaction, TransactStatements=written)  # bob's partition
    ddb.execute_transaction(TransactStatements=written[:1])
    item = world.root.get_item(TableName=PUBLIC, Key={"pk": {"S": "alice"}})["Item"]
    assert item["salary"] == {"N": "2"}
    world.root.put_item(
        TableName=PUBLIC, Item={"pk": {"S": "alice"}, "dept": {"S": "eng"}, "salary": {"N": "100"}}
    )


def test_an_export_reads_the_table_its_arn_names(world: World) -> None:
    """The table of TableArn, in the ARN's region, is the one authorized and exported."""
    iam_only(world)
    twin = unique_name("twin")
    here, there = world.root, world.client(ROOT, region="eu-west-1")
    for client, value in ((here, "secret"), (there, "public")):
        _create_simple(client, twin)
        client.put_item(TableName=twin, Item={"pk": {"S": "k"}, "v": {"S": value}})
    public = arn(twin, region="eu-west-1")
    _, creds = world.user(allow("dynamodb:ExportTableToPointInTime", public), allow("s3:PutObject"))
    ddb = world.client(creds)  # signs for us-east-1
    refused(ddb.export_table_to_point_in_time, TableArn=arn(twin), S3Bucket="a-bucket")
    export = ddb.export_table_to_point_in_time(TableArn=public, S3Bucket="a-bucket",
                                               S3Prefix=twin)["ExportDescription"]  # fmt: skip
    assert export["TableArn"] == public
    done = wait_export(there, export["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    exported = b"".join(
        gzip.decompress(path.read_bytes())
        for path in (world.data_dir / "exports" / "a-bucket" / twin).rglob("*.json.gz")
    )
    assert b"public" in exported and b"secret" not in exported


def _create_simple(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


# --- files and the audit trail ----------------------------------------------------------------


def test_files_are_readable_by_their_owner_alone(world: World) -> None:
    if backend_of(world.server) is not None:
        pytest.skip("the store is PostgreSQL's")
    stored = [world.data_dir / f"opendynamo.db{suffix}" for suffix in ("", "-wal", "-shm")]
    exported = list((world.data_dir / "exports" / "a-bucket").rglob("*"))
    assert any(path.is_file() for path in exported)
    for path in [*stored, *exported]:
        if path.exists():
            mode = stat.S_IMODE(os.stat(path).st_mode)
            assert mode & 0o077 == 0, f"{path} is {mode:o}"


def test_the_audit_log_names_the_iam_entity(world: World) -> None:
    name, creds = world.user()
    target = unique_name("t")
    try:  # refused under iam (the user has no policy), allowed under sigv4
        world.client(creds, "iam").create_user(UserName=target)
    except ClientError:
        assert world.mode == "iam"
    world.iam.get_user(UserName=name)
    log = world.data_dir / "audit.jsonl"
    events = [json.loads(line) for line in log.read_text().splitlines()]
    users = {e["eventName"]: e for e in events if e["eventName"] in ("CreateUser", "GetUser")}
    denied = [e for e in events if e["eventName"] == "CreateUser" and e["errorCode"]]
    if world.mode == "iam":
        assert denied[-1]["resources"] == [{"ARN": f"arn:aws:iam::{ACCOUNT}:user/{target}"}]
    assert users["GetUser"]["resources"] == [{"ARN": f"arn:aws:iam::{ACCOUNT}:user/{name}"}]


# --- global tables: a replica is asked for in its own region ---------------------------------


def test_a_replica_is_authorized_in_its_own_region(world: World) -> None:
    """Adding a replica asks for dynamodb:CreateTable, CreateTableReplica and the data-plane
    writes on the replica's table in its region, and removing one DeleteTable and
    DeleteTableReplica there; UpdateTable on the table alone adds nothing."""
    iam_only(world)
    name = create_table(world.root, "gt", billing="PAY_PER_REQUEST")
    here = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*"
    _, local = world.user(allow("dynamodb:*", here))
    create = [{"Create": {"RegionName": "eu-west-1"}}]
    ddb = world.client(local)
    message = refused(ddb.update_table, TableName=name, ReplicaUpdates=create)
    assert f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/{name}" in message
    assert "dynamodb:CreateTable" in message
    assert "Replicas" not in world.root.describe_table(TableName=name)["Table"]
    _, no_delete = world.user(allow("dynamodb:*"), deny("dynamodb:DeleteTableReplica"))
    both = world.client(no_delete)
    both.update_table(TableName=name, ReplicaUpdates=create)
    replica = world.client(ROOT, region="eu-west-1")
    eventually(lambda: replica.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE",
               10, message="the replica did not become ACTIVE")  # fmt: skip
    delete = [{"Delete": {"RegionName": "eu-west-1"}}]
    assert "dynamodb:DeleteTableReplica" in refused(
        both.update_table, TableName=name, ReplicaUpdates=delete
    )
    world.root.update_table(TableName=name, ReplicaUpdates=delete)
    world.root.delete_table(TableName=name)
