"""Properties of the authorizer (`opendynamo/authz`), in process, against the real resolvers and
IAM's evaluation logic, over a store built with the real operations:

- An IAM action acts on, and is decided on, the one entity its declared member names
  (`authz.iam.IAM_SPECS`), or the caller for ChangePassword: extra or conflicting naming
  members (UserName, GroupName, RoleName, PolicyArn, PolicyName, Path) change neither the
  entity, nor the access, nor the decision.
- A DynamoDB request's accesses come only from the members its operation reads: members it does
  not read, even ones naming another table, stream, backup or account, change no action,
  resource, target or condition key.
- An explicit Deny on a table and its sub-resources refuses every route to its data: by name or
  by ARN (spelled in any partition, which this one-partition server reads as its own), through
  an index, a batch, a transaction, PartiQL, its stream, its backup, its tags or resource
  policy, an export or a point-in-time restore; the same request on another table is allowed.
- Another account reaches a table only through the table's resource policy, and only with an
  operation such a policy can open to it (GetItem, yes; PartiQL, no): never through the table's
  backups or streams, whatever the table's policy says.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendynamo import errors
from opendynamo.api.dynamodb import backups, items, resource_policies, tables
from opendynamo.api.iam import IAM_OPERATIONS
from opendynamo.api.request.context import Context
from opendynamo.authz import iam
from opendynamo.authz.access import Access
from opendynamo.authz.authorize import dynamodb_request
from opendynamo.authz.decide import refused
from opendynamo.authz.dynamodb import accesses
from opendynamo.authz.policy.evaluate import EXPLICIT_IDENTITY_DENY
from opendynamo.authz.policy.identity import Identity, root_arn
from opendynamo.authz.policy.language import Request, parse_policy
from opendynamo.engine.secrets import Sealer
from opendynamo.server.auth import request_context
from opendynamo.storage.sqlite import open_store

Body = dict[str, Any]
Refusal = tuple[Request, str] | None

ACCOUNT = "000000000000"
OTHER = "111122223333"
REGION = "us-east-1"
GLOBAL_CONTEXT = request_context("http", "127.0.0.1", REGION)
TABLES = ("Payroll", "Public", "Ledger")  # Ledger: the bystander in batches and transactions

EXAMPLES = settings(max_examples=60, deadline=None)
PER_ROUTE = settings(max_examples=8, deadline=None)
FEW = settings(max_examples=4, deadline=None)


def root(account: str) -> Identity:
    return Identity(account, root_arn(account), account, "root", f"AKIA{account}")


def user(name: str, *statements: Body) -> Identity:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return Identity(
        ACCOUNT,
        f"arn:aws:iam::{ACCOUNT}:user/{name}",
        f"AIDA{name.upper()}",
        "user",
        f"AKIA{name.upper()}",
        name=name,
        policies=(parse_policy(document, kind="identity"),),
    )


def new_context(identity: Identity) -> Context:
    store = open_store(None)
    sealer = Sealer(bytes(32))
    return Context(store, ACCOUNT, REGION, "t", "x", identity=identity, sealer=sealer)


def table_arn(table: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:dynamodb:{REGION}:{account}:table/{table}"


def document(*statements: Body) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- the DynamoDB world: three tables alike, each with an index, a stream and a backup ----------


@dataclass(frozen=True, slots=True)
class World:
    ctx: Context  # the root of ACCOUNT, granted everything
    streams: dict[str, str]  # table name -> its LatestStreamArn
    backups: dict[str, str]  # table name -> the ARN of a backup of it


def _table_request(table: str) -> Body:
    return {
        "TableName": table,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "dept")
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "ByDept",
                "KeySchema": [{"AttributeName": "dept", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    }


def build_world() -> World:
    ctx = new_context(root(ACCOUNT))
    streams, made = {}, {}
    for table in TABLES:
        tables.create_table(ctx, _table_request(table))
        item = {"pk": {"S": "a"}, "sk": {"S": "1"}, "dept": {"S": "x"}}
        items.put_item(ctx, {"TableName": table, "Item": item})
        backup = backups.create_backup(ctx, {"TableName": table, "BackupName": f"{table}-b"})
        made[table] = backup["BackupDetails"]["BackupArn"]
        streams[table] = tables.describe_table(ctx, {"TableName": table})["Table"][
            "LatestStreamArn"
        ]
    return World(ctx, streams, made)


@cache
def world() -> World:
    """The shared world; no test gives its tables a resource policy."""
    return build_world()


@cache
def policy_world() -> World:
    """A world of its own for the tests that put a resource policy on Payroll."""
    return build_world()


# --- routes to a table's data, as requests ------------------------------------------------------


SPELLINGS = ("name", "ARN", "ARN in partition aws-cn")


def respelled(arn: str, spelling: str) -> str:
    """An ARN as the request spells it: in another partition than `aws`, which the server
    (one partition only) reads as the same resource."""
    if spelling != "ARN in partition aws-cn":
        return arn
    return arn.replace("arn:aws:", "arn:aws-cn:", 1)


@dataclass(frozen=True, slots=True)
class Target:
    """The table a route reaches, how the request spells it (`SPELLINGS`), and a key value."""

    table: str
    spelling: str
    key: str

    @property
    def arn(self) -> str:
        return respelled(table_arn(self.table), self.spelling)

    @property
    def ref(self) -> str:
        return self.table if self.spelling == "name" else self.arn

    def owned(self, arn: str) -> str:
        return respelled(arn, self.spelling)

    @property
    def item_key(self) -> Body:
        return {"pk": {"S": self.key}, "sk": {"S": "1"}}

    @property
    def params(self) -> list[Body]:
        return [{"S": self.key}, {"S": "1"}]


Route = Callable[[World, Target], tuple[str, Body]]
ROUTES: dict[str, Route] = {}


def route(name: str) -> Callable[[Route], Route]:
    def register(build: Route) -> Route:
        ROUTES[name] = build
        return build

    return register


def statement(text: str, params: list[Body] | None = None) -> Body:
    return {"Statement": text} if params is None else {"Statement": text, "Parameters": params}


BYSTANDER_KEY = {"pk": {"S": "a"}, "sk": {"S": "1"}}
BYSTANDER_READ = statement(
    'SELECT * FROM "Ledger" WHERE pk = ? AND sk = ?', [{"S": "a"}, {"S": "1"}]
)
BYSTANDER_WRITE = statement(
    'UPDATE "Ledger" SET n = 1 WHERE pk = ? AND sk = ?', [{"S": "a"}, {"S": "1"}]
)


@route("GetItem")
def _get_item(w: World, t: Target) -> tuple[str, Body]:
    return "GetItem", {"TableName": t.ref, "Key": t.item_key}


@route("GetItem projected")
def _get_item_projected(w: World, t: Target) -> tuple[str, Body]:
    projection = {"ProjectionExpression": "#d", "ExpressionAttributeNames": {"#d": "dept"}}
    return "GetItem", {"TableName": t.ref, "Key": t.item_key, **projection}


@route("PutItem")
def _put_item(w: World, t: Target) -> tuple[str, Body]:
    return "PutItem", {"TableName": t.ref, "Item": {**t.item_key, "dept": {"S": "y"}}}


@route("UpdateItem returning old values")
def _update_item(w: World, t: Target) -> tuple[str, Body]:
    update = {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}
    body = {"TableName": t.ref, "Key": t.item_key, "ReturnValues": "ALL_OLD", **update}
    return "UpdateItem", body


@route("DeleteItem returning old values")
def _delete_item(w: World, t: Target) -> tuple[str, Body]:
    condition = {"ConditionExpression": "attribute_exists(pk)", "ReturnValues": "ALL_OLD"}
    return "DeleteItem", {"TableName": t.ref, "Key": t.item_key, **condition}


@route("Query")
def _query(w: World, t: Target) -> tuple[str, Body]:
    values = {":k": {"S": t.key}}
    body = {"TableName": t.ref, "KeyConditionExpression": "pk = :k"}
    return "Query", {**body, "ExpressionAttributeValues": values}


@route("Query on the index")
def _query_index(w: World, t: Target) -> tuple[str, Body]:
    values = {":d": {"S": t.key}}
    body = {"TableName": t.ref, "IndexName": "ByDept", "KeyConditionExpression": "dept = :d"}
    return "Query", {**body, "ExpressionAttributeValues": values}


@route("Scan")
def _scan(w: World, t: Target) -> tuple[str, Body]:
    return "Scan", {"TableName": t.ref}


@route("Scan of the index")
def _scan_index(w: World, t: Target) -> tuple[str, Body]:
    return "Scan", {"TableName": t.ref, "IndexName": "ByDept"}


@route("BatchGetItem")
def _batch_get(w: World, t: Target) -> tuple[str, Body]:
    wanted = {"Ledger": {"Keys": [BYSTANDER_KEY]}, t.ref: {"Keys": [t.item_key]}}
    return "BatchGetItem", {"RequestItems": wanted}


@route("BatchWriteItem")
def _batch_write(w: World, t: Target) -> tuple[str, Body]:
    writes = {
        "Ledger": [{"PutRequest": {"Item": BYSTANDER_KEY}}],
        t.ref: [{"DeleteRequest": {"Key": t.item_key}}],
    }
    return "BatchWriteItem", {"RequestItems": writes}


@route("TransactGetItems")
def _transact_get(w: World, t: Target) -> tuple[str, Body]:
    mine = {"TableName": t.ref, "Key": t.item_key}
    gets = [{"Get": {"TableName": "Ledger", "Key": BYSTANDER_KEY}}, {"Get": mine}]
    return "TransactGetItems", {"TransactItems": gets}


@route("TransactWriteItems with a ConditionCheck")
def _transact_write(w: World, t: Target) -> tuple[str, Body]:
    check = {"TableName": t.ref, "Key": t.item_key, "ConditionExpression": "dept = :d"}
    check["ExpressionAttributeValues"] = {":d": {"S": "x"}}
    put = {"TableName": "Ledger", "Item": BYSTANDER_KEY}
    return "TransactWriteItems", {"TransactItems": [{"Put": put}, {"ConditionCheck": check}]}


@route("PartiQL SELECT")
def _select(w: World, t: Target) -> tuple[str, Body]:
    return "ExecuteStatement", statement(f'SELECT * FROM "{t.ref}"')


@route("PartiQL SELECT on the index")
def _select_index(w: World, t: Target) -> tuple[str, Body]:
    return "ExecuteStatement", statement(f'SELECT * FROM "{t.ref}"."ByDept"')


@route("PartiQL SELECT with IN")
def _select_in(w: World, t: Target) -> tuple[str, Body]:
    text = f'SELECT * FROM "{t.ref}" WHERE pk IN [?, ?]'
    return "ExecuteStatement", statement(text, [{"S": t.key}, {"S": "a"}])


@route("PartiQL SELECT with BETWEEN")
def _select_between(w: World, t: Target) -> tuple[str, Body]:
    text = f'SELECT pk, dept FROM "{t.ref}" WHERE pk = ? AND sk BETWEEN ? AND ?'
    return "ExecuteStatement", statement(text, [{"S": t.key}, {"S": "0"}, {"S": "9"}])


@route("PartiQL UPDATE")
def _partiql_update(w: World, t: Target) -> tuple[str, Body]:
    text = f'UPDATE "{t.ref}" SET n = 1 WHERE pk = ? AND sk = ? RETURNING ALL OLD *'
    return "ExecuteStatement", statement(text, t.params)


@route("PartiQL DELETE")
def _partiql_delete(w: World, t: Target) -> tuple[str, Body]:
    return "ExecuteStatement", statement(f'DELETE FROM "{t.ref}" WHERE pk = ? AND sk = ?', t.params)


@route("BatchExecuteStatement")
def _batch_statements(w: World, t: Target) -> tuple[str, Body]:
    mine = statement(f'SELECT * FROM "{t.ref}" WHERE pk = ? AND sk = ?', t.params)
    return "BatchExecuteStatement", {"Statements": [BYSTANDER_READ, mine]}


@route("ExecuteTransaction with EXISTS")
def _exists(w: World, t: Target) -> tuple[str, Body]:
    text = f'EXISTS(SELECT * FROM "{t.ref}" WHERE pk = ? AND sk = ? AND dept = ?)'
    check = statement(text, [*t.params, {"S": "x"}])
    return "ExecuteTransaction", {"TransactStatements": [BYSTANDER_WRITE, check]}


@route("DescribeTable")
def _describe_table(w: World, t: Target) -> tuple[str, Body]:
    return "DescribeTable", {"TableName": t.ref}


@route("UpdateTimeToLive")
def _update_ttl(w: World, t: Target) -> tuple[str, Body]:
    ttl = {"Enabled": True, "AttributeName": "expires"}
    return "UpdateTimeToLive", {"TableName": t.ref, "TimeToLiveSpecification": ttl}


@route("CreateBackup")
def _create_backup(w: World, t: Target) -> tuple[str, Body]:
    return "CreateBackup", {"TableName": t.ref, "BackupName": "more"}


@route("TagResource")
def _tag_resource(w: World, t: Target) -> tuple[str, Body]:
    return "TagResource", {"ResourceArn": t.arn, "Tags": [{"Key": "k", "Value": t.key}]}


@route("PutResourcePolicy")
def _put_resource_policy(w: World, t: Target) -> tuple[str, Body]:
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": OTHER},
        "Action": "dynamodb:*",
        "Resource": "*",
    }
    return "PutResourcePolicy", {"ResourceArn": t.arn, "Policy": document(allow)}


@route("DescribeStream")
def _describe_stream(w: World, t: Target) -> tuple[str, Body]:
    return "DescribeStream", {"StreamArn": t.owned(w.streams[t.table])}


@route("GetShardIterator")
def _shard_iterator(w: World, t: Target) -> tuple[str, Body]:
    body = {
        "StreamArn": t.owned(w.streams[t.table]),
        "ShardId": "shardId-00000000000000000000-00000001",
    }
    return "GetShardIterator", {**body, "ShardIteratorType": "TRIM_HORIZON"}


@route("DescribeBackup")
def _describe_backup(w: World, t: Target) -> tuple[str, Body]:
    return "DescribeBackup", {"BackupArn": t.owned(w.backups[t.table])}


@route("DeleteBackup")
def _delete_backup(w: World, t: Target) -> tuple[str, Body]:
    return "DeleteBackup", {"BackupArn": t.owned(w.backups[t.table])}


@route("RestoreTableFromBackup")
def _restore_backup(w: World, t: Target) -> tuple[str, Body]:
    body = {"BackupArn": t.owned(w.backups[t.table]), "TargetTableName": "Copy"}
    return "RestoreTableFromBackup", body


@route("ExportTableToPointInTime")
def _export(w: World, t: Target) -> tuple[str, Body]:
    return "ExportTableToPointInTime", {"TableArn": t.arn, "S3Bucket": "exports"}


@route("RestoreTableToPointInTime")
def _restore_pitr(w: World, t: Target) -> tuple[str, Body]:
    source = {"SourceTableName" if t.spelling == "name" else "SourceTableArn": t.ref}
    body = {**source, "TargetTableName": "Copy", "UseLatestRestorableTime": True}
    return "RestoreTableToPointInTime", body


PARTIQL_ROUTES = [name for name in ROUTES if name.startswith("PartiQL")] + [
    "BatchExecuteStatement",
    "ExecuteTransaction with EXISTS",
]
BACKUP_AND_STREAM_ROUTES = [
    "DescribeStream",
    "GetShardIterator",
    "DescribeBackup",
    "DeleteBackup",
    "RestoreTableFromBackup",
]


# --- deciding ------------------------------------------------------------------------------------


def refusal(mode: str, ctx: Context, operation: str, body: Body) -> Refusal:
    assert ctx.identity is not None
    return refused(mode, ctx.identity, accesses(ctx, operation, body), GLOBAL_CONTEXT)


def refused_by_server(mode: str, ctx: Context, operation: str, body: Body) -> bool:
    """Whether the server's entry point (which resolves without condition keys under sigv4,
    then again with them when the request crosses accounts) refuses the request."""
    try:
        dynamodb_request(mode, ctx, operation, body, GLOBAL_CONTEXT, lambda needed: None)
    except errors.DynamoError as exc:
        assert exc.type_name == "AccessDeniedException", exc
        return True
    return False


def verdicts(ctx: Context, operation: str, body: Body) -> dict[str, bool]:
    """mode -> refused, as `refused` decides it and as the server's entry point does."""
    found = {}
    for mode in ("iam", "sigv4"):
        direct = refusal(mode, ctx, operation, body) is not None
        assert refused_by_server(mode, ctx, operation, body) == direct, (mode, operation)
        found[mode] = direct
    return found


# --- 1. IAM: one entity per action, whatever else the request names ------------------------------

ALICE_ONLY = {
    "Effect": "Allow",
    "Action": "iam:*",
    "Resource": f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
}
ALICE = user("alice", ALICE_ONLY)
P1 = f"arn:aws:iam::{ACCOUNT}:policy/p1"
EXISTING = {"user": "alice", "group": "devs", "role": "r1", "policy": P1}
CREATED = {"user": "carol", "group": "ops", "role": "r2", "policy": "p2"}
NAMING = ("UserName", "GroupName", "RoleName", "PolicyArn", "PolicyName", "Path")
# Naming members an action reads beside the one naming its entity (the operation uses them).
ALSO_READS: dict[str, Body] = {
    "AddUserToGroup": {"UserName": "bob"},
    "RemoveUserFromGroup": {"UserName": "alice"},
    **{
        f"{verb}{kind}Policy": {"PolicyName": "inline"}
        for verb in ("Put", "Get", "Delete")
        for kind in ("User", "Group", "Role")
    },
    **{
        f"{verb}{kind}Policy": {"PolicyArn": P1}
        for verb in ("Attach", "Detach")
        for kind in ("User", "Group", "Role")
    },
}


def iam_call(ctx: Context, action: str, params: Body) -> None:
    """Run an IAM operation as the server does: on the entity `authz.iam` resolved."""
    assert ctx.identity is not None
    with ctx.store.read() as txn:
        entity = iam.resolve(txn, ctx.identity, action, params)
    IAM_OPERATIONS[action](dataclasses.replace(ctx, target=entity), params)


@cache
def iam_context() -> Context:
    """Users alice and bob, group devs, role r1 and customer managed policy p1."""
    ctx = new_context(root(ACCOUNT))
    anything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    trust = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}
    for name in ("alice", "bob"):
        iam_call(ctx, "CreateUser", {"UserName": name})
    iam_call(ctx, "CreateGroup", {"GroupName": "devs"})
    iam_call(ctx, "CreateRole", {"RoleName": "r1", "AssumeRolePolicyDocument": document(trust)})
    iam_call(ctx, "CreatePolicy", {"PolicyName": "p1", "PolicyDocument": document(anything)})
    return dataclasses.replace(ctx, identity=ALICE)


def iam_cases() -> Iterator[tuple[str, Body]]:
    """A valid request for every action that names an entity (users alice and bob both)."""
    for action, spec in IAM_SPECS_NAMING.items():
        if spec.member is None:
            yield action, {}  # always the calling user (ChangePassword)
            continue
        if spec.creates:
            yield action, {spec.member: CREATED[spec.kind], "Path": "/"}
            continue
        names = ("alice", "bob") if spec.kind == "user" else (EXISTING[spec.kind],)
        for name in names:
            yield action, {spec.member: name, **ALSO_READS.get(action, {})}
        if spec.caller:
            yield action, {}  # the calling user


IAM_SPECS_NAMING = {a: s for a, s in iam.IAM_SPECS.items() if s.member is not None or s.caller}
IAM_CASES = list(iam_cases())

IAM_NAMES = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,20}", fullmatch=True) | st.sampled_from(
    ["alice", "ALICE", "bob", "devs", "r1", "p1", "carol", ACCOUNT]
)
IAM_VALUES = (
    IAM_NAMES
    | st.builds(
        "arn:aws:iam::{}:{}/{}".format,
        st.sampled_from([ACCOUNT, OTHER]),
        st.sampled_from(["user", "group", "role", "policy"]),
        IAM_NAMES,
    )
    | st.sampled_from(["/", "/admin/", "/a/b/"])
)


def iam_outcome(action: str, params: Body) -> tuple[Any, ...]:
    """The entity (kind, name, ARN), its accesses and the decision, or the error refusing the
    request before any of them."""
    ctx = iam_context()
    try:
        with ctx.store.read() as txn:
            entity = iam.resolve(txn, ALICE, action, params)
        needed = iam.accesses(ALICE, action, params, entity)
    except (errors.DynamoError, errors.ServiceError) as exc:
        return ("error", str(exc))
    assert entity is not None
    decision = refused("iam", ALICE, needed, GLOBAL_CONTEXT)
    shown = [(a.action, a.resource, a.context) for a in needed]
    return (entity.kind, entity.name, entity.arn), shown, decision


def test_every_iam_action_naming_an_entity_has_a_case() -> None:
    assert {action for action, _ in IAM_CASES} == set(IAM_SPECS_NAMING)


def test_the_iam_policy_allows_alice_alone() -> None:
    """The decision the property compares can go either way."""
    assert iam_outcome("GetUser", {"UserName": "alice"})[2] is None
    assert iam_outcome("GetUser", {})[2] is None
    assert iam_outcome("GetUser", {"UserName": "bob"})[2] is not None
    assert iam_outcome("GetGroup", {"GroupName": "devs"})[2] is not None


@EXAMPLES
@given(
    case=st.sampled_from(IAM_CASES),
    extras=st.dictionaries(st.sampled_from(NAMING), IAM_VALUES, min_size=1),
)
def test_extra_naming_members_change_no_iam_entity_nor_decision(
    case: tuple[str, Body], extras: Body
) -> None:
    action, params = case
    used = {*params, IAM_SPECS_NAMING[action].member}  # its member, even when absent (the caller)
    stray = {member: value for member, value in extras.items() if member not in used}
    assert iam_outcome(action, {**params, **stray}) == iam_outcome(action, params)


# --- 2. DynamoDB: accesses come from the members an operation reads ------------------------------

# The members of `STRAY` each operation's resolver reads (`authz/dynamodb/resolve.py`, `_accesses`).
READS: dict[str, frozenset[str]] = {
    **dict.fromkeys(["GetItem", "UpdateItem", "DeleteItem"], frozenset({"TableName", "Key"})),
    "PutItem": frozenset({"TableName", "Item"}),
    **dict.fromkeys(["Query", "Scan"], frozenset({"TableName", "IndexName"})),
    **dict.fromkeys(["BatchGetItem", "BatchWriteItem"], frozenset({"RequestItems"})),
    **dict.fromkeys(["TransactGetItems", "TransactWriteItems"], frozenset({"TransactItems"})),
    "ExecuteStatement": frozenset({"Statement", "Parameters"}),
    "BatchExecuteStatement": frozenset({"Statements"}),
    "ExecuteTransaction": frozenset({"TransactStatements"}),
    **dict.fromkeys(
        ["DescribeTable", "UpdateTimeToLive", "CreateBackup"], frozenset({"TableName"})
    ),
    "TagResource": frozenset({"ResourceArn", "Tags"}),
    "PutResourcePolicy": frozenset({"ResourceArn", "Policy"}),
    **dict.fromkeys(["DescribeStream", "GetShardIterator"], frozenset({"StreamArn"})),
    **dict.fromkeys(["DescribeBackup", "DeleteBackup"], frozenset({"BackupArn"})),
    "RestoreTableFromBackup": frozenset({"BackupArn", "TargetTableName"}),
    "ExportTableToPointInTime": frozenset({"TableArn", "S3Bucket", "S3Prefix"}),
    "RestoreTableToPointInTime": frozenset(
        {"SourceTableArn", "SourceTableName", "TargetTableName"}
    ),
}
STRAY = (
    *("TableName", "TableArn", "ResourceArn", "StreamArn", "BackupArn", "ExportArn", "ImportArn"),
    *("TargetTableName", "SourceTableArn", "SourceTableName", "IndexName", "GlobalTableName"),
    *("S3Bucket", "Key", "Item", "RequestItems", "TransactItems", "Parameters"),
    *("Statement", "Statements", "TransactStatements"),
)

ELSEWHERE = st.sampled_from(
    [
        "Public",
        table_arn("Public"),
        table_arn("Public") + "/index/ByDept",
        table_arn("Public") + "/stream/2024-01-01T00:00:00.000",
        table_arn("Public") + "/backup/01700000000000-abcdef01",
        table_arn("Payroll", OTHER),
        table_arn("Payroll", OTHER) + "/stream/2024-01-01T00:00:00.000",
        table_arn("Payroll", OTHER) + "/backup/01700000000000-abcdef01",
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/Payroll",
        'SELECT * FROM "Public"',
    ]
)
STRAY_VALUES = (
    ELSEWHERE
    | st.builds(lambda name: {"TableName": name, "Key": BYSTANDER_KEY}, ELSEWHERE)
    | st.builds(lambda name: {name: {"Keys": [BYSTANDER_KEY]}}, ELSEWHERE)
    | st.builds(lambda name: [{"Get": {"TableName": name, "Key": BYSTANDER_KEY}}], ELSEWHERE)
    | st.builds(lambda name: [{"S": name}], ELSEWHERE)
)
# Unknown members: DynamoDB's are all capitalised, so a lower-case one is no member at all.
UNKNOWN = st.from_regex(r"[a-z][A-Za-z0-9]{0,12}", fullmatch=True)
KEYS = st.text(alphabet="abcxyz019", min_size=1, max_size=6)


def shown(needed: list[Access]) -> list[tuple[Any, ...]]:
    return [
        (a.action, a.resource, a.target, a.context, a.resource_policy, a.cross_account)
        for a in needed
    ]


@PER_ROUTE
@pytest.mark.parametrize("name", sorted(ROUTES))
@given(
    spelling=st.sampled_from(SPELLINGS),
    key=KEYS,
    extras=st.dictionaries(st.sampled_from(STRAY) | UNKNOWN, STRAY_VALUES, min_size=1),
)
def test_members_an_operation_does_not_read_change_no_access(
    name: str, spelling: str, key: str, extras: Body
) -> None:
    w = world()
    operation, body = ROUTES[name](w, Target("Payroll", spelling, key))
    stray = {m: v for m, v in extras.items() if m not in body and m not in READS[operation]}
    for full in (True, False):
        plain = accesses(w.ctx, operation, body, full=full)
        assert shown(accesses(w.ctx, operation, {**body, **stray}, full=full)) == shown(plain)


# --- 3. An explicit Deny on a table refuses every route to its data ------------------------------

EVE = user(
    "eve",
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {
        "Effect": "Deny",
        "Action": "dynamodb:*",
        "Resource": ["arn:aws:dynamodb:*:*:table/Payroll", "arn:aws:dynamodb:*:*:table/Payroll/*"],
    },
)


# Every spelling of the table (an ARN of another partition included: it was decided as
# written, while the operation acted on the table it names; the property tests found it).
DENY_CASES = [(name, spelling) for name in sorted(ROUTES) for spelling in SPELLINGS]


@FEW
@pytest.mark.parametrize(("name", "spelling"), DENY_CASES)
@given(key=KEYS)
def test_a_deny_on_a_table_refuses_every_route_to_its_data(
    name: str, spelling: str, key: str
) -> None:
    w = world()
    ctx = dataclasses.replace(w.ctx, identity=EVE)
    found = refusal("iam", ctx, *ROUTES[name](w, Target("Payroll", spelling, key)))
    assert found is not None
    assert found[1] == EXPLICIT_IDENTITY_DENY
    assert refusal("iam", ctx, *ROUTES[name](w, Target("Public", spelling, key))) is None


# --- 4. Another account needs the table's resource policy, for what it can open ------------------


def stranger(w: World) -> Context:
    """The root of another account, calling in its own namespace."""
    return dataclasses.replace(w.ctx, account=OTHER, identity=root(OTHER))


ARN_SPELLINGS = st.sampled_from(SPELLINGS[1:])


@PER_ROUTE
@pytest.mark.parametrize("name", sorted(ROUTES))
@given(spelling=ARN_SPELLINGS, key=KEYS)
def test_another_account_never_reaches_a_table_without_its_policy(
    name: str, spelling: str, key: str
) -> None:
    w = world()
    operation, body = ROUTES[name](w, Target("Payroll", spelling, key))
    assert verdicts(stranger(w), operation, body) == {"iam": True, "sigv4": True}


# Actions a policy on Payroll may allow beside GetItem: none opens PartiQL, backups or streams.
OPENED = ["dynamodb:*", "dynamodb:PartiQL*", "dynamodb:Describe*", "dynamodb:GetShardIterator"]
OPENING = st.lists(st.sampled_from([*OPENED, "dynamodb:RestoreTableFromBackup"]), unique=True)
PRINCIPALS = st.sampled_from([OTHER, root_arn(OTHER), "*"])


def open_payroll(w: World, actions: list[str], principal: str, sub_resources: bool) -> None:
    """Put on Payroll a resource policy allowing `principal` GetItem and `actions`."""
    resources = [table_arn("Payroll")] + ([table_arn("Payroll") + "/*"] if sub_resources else [])
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": principal} if principal != "*" else "*",
        "Action": ["dynamodb:GetItem", *actions],
        "Resource": resources,
    }
    body = {"ResourceArn": table_arn("Payroll"), "Policy": document(allow)}
    resource_policies.put_resource_policy(w.ctx, body)


@EXAMPLES
@given(
    actions=OPENING,
    principal=PRINCIPALS,
    sub_resources=st.booleans(),
    name=st.sampled_from(["GetItem", "GetItem projected"]),
    spelling=ARN_SPELLINGS,
    key=KEYS,
)
def test_a_resource_policy_opens_get_item_to_another_account(
    actions: list[str], principal: str, sub_resources: bool, name: str, spelling: str, key: str
) -> None:
    w = policy_world()
    open_payroll(w, actions, principal, sub_resources)
    operation, body = ROUTES[name](w, Target("Payroll", spelling, key))
    assert verdicts(stranger(w), operation, body) == {"iam": False, "sigv4": False}


@PER_ROUTE
@pytest.mark.parametrize("name", PARTIQL_ROUTES + BACKUP_AND_STREAM_ROUTES)
@given(
    actions=OPENING,
    principal=PRINCIPALS,
    sub_resources=st.booleans(),
    spelling=ARN_SPELLINGS,
    key=KEYS,
)
def test_a_resource_policy_never_opens_partiql_backups_or_streams(
    name: str, actions: list[str], principal: str, sub_resources: bool, spelling: str, key: str
) -> None:
    w = policy_world()
    open_payroll(w, actions, principal, sub_resources)
    operation, body = ROUTES[name](w, Target("Payroll", spelling, key))
    assert verdicts(stranger(w), operation, body) == {"iam": True, "sigv4": True}
