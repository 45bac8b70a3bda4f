"""Fine-grained access control with `--auth iam`, over the wire, as DynamoDB behaves.

The developer guide's game example ("specifying-conditions"): table GameScores (UserId,
GameTitle) with a GSI on GameTitle/TopScore; alice and bob may use the item, batch, transaction
and PartiQL actions on the table only on items whose partition key is their user name
(dynamodb:LeadingKeys), naming only UserId, GameTitle, TopScore and Wins (dynamodb:Attributes),
with specific attributes only (dynamodb:Select) and without full item images (ReturnValues).

Pinned behaviour (IAM User Guide, policy evaluation; developer guide "specifying-conditions", "ql-iam",
"transaction-apis-iam", resource-based policies; API reference of PutResourcePolicy):
- A refusal is AccessDeniedException "User: <arn> is not authorized to perform: <action> on
  resource: <arn> <reason>", decided before anything runs: a refused write, batch or
  transaction changes nothing. A read without projection is Select ALL_ATTRIBUTES (refused);
  any attribute outside the allow-list (projection, item, update, condition, filter) or
  ReturnValues ALL_OLD/ALL_NEW is refused.
- Query/Scan with IndexName are authorised on the index ARN, LeadingKeys being the index's
  partition key. Transactions are authorised per element as PutItem/UpdateItem/DeleteItem/
  ConditionCheckItem/GetItem with dynamodb:EnclosingOperation; PartiQL as PartiQL<Kind>.
- Explicit Deny wins (identity- or resource-based). A resource policy alone grants a
  same-account user; another account (table named by ARN) needs it.
- aws:SourceIp and aws:PrincipalTag/<key> conditions apply; tags also as policy variables.
- Resource policies: RevisionId; PolicyNotFoundException for a missing policy or a wrong
  ExpectedRevisionId; NO_POLICY attaches only when none exists; the same document again keeps
  its RevisionId (PutResourcePolicy is idempotent).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Backend, Server, backend_of, error_of

ROOT_KEY = "AKIAFGACROOT00000000"
ROOT_SECRET = "fine-grained-root-secret"
ACCOUNT = "000000000000"
TABLE = "GameScores"
INDEX = "ByTitle"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TABLE}"
INDEX_ARN = f"{TABLE_ARN}/index/{INDEX}"
ATTRIBUTES = ["UserId", "GameTitle", "TopScore", "Wins"]
GAME_ACTIONS = [
    f"dynamodb:{action}"
    for action in "GetItem BatchGetItem Query PutItem UpdateItem DeleteItem BatchWriteItem "
    "ConditionCheckItem PartiQLSelect PartiQLInsert PartiQLUpdate PartiQLDelete".split()
]
PROJECTION = "UserId, GameTitle, TopScore"
METEOR = "Meteor Blasters"

Item = dict[str, Any]


def key(user: str, title: str) -> Item:
    return {"UserId": {"S": user}, "GameTitle": {"S": title}}


def game_statement(resources: list[str] | None = None) -> dict[str, Any]:
    """The developer guide's combined example, keyed on the IAM user name."""
    return {
        "Sid": "OwnItemsSomeAttributes",
        "Effect": "Allow",
        "Action": GAME_ACTIONS,
        "Resource": resources or [TABLE_ARN],
        "Condition": {
            "ForAllValues:StringEquals": {
                "dynamodb:LeadingKeys": ["${aws:username}"],
                "dynamodb:Attributes": ATTRIBUTES,
            },
            "StringEqualsIfExists": {
                "dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                "dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"],
            },
        },
    }


def allow(action: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": TABLE_ARN}
    if condition:
        statement["Condition"] = condition
    return statement


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def rp_statement(effect: str, principal: str, actions: list[str], *resources: str) -> Item:
    """A resource-policy statement for `principal` (an IAM ARN)."""
    return {
        "Effect": effect,
        "Principal": {"AWS": principal},
        "Action": [f"dynamodb:{action}" for action in actions],
        "Resource": list(resources or [TABLE_ARN]),
    }


def denied(action: str, call: Callable[..., Any], *, on: str = TABLE_ARN, **params: Any) -> str:
    """`call(**params)` fails with AccessDeniedException for `action` on `on`; its message."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    code, message = error_of(excinfo)
    assert code == "AccessDeniedException", message
    assert f" is not authorized to perform: dynamodb:{action} on resource: {on} " in message
    return message


@dataclass
class Env:
    server: Server
    data_dir: Path
    root: Any
    iam: Any
    users: dict[str, Any] = field(default_factory=dict)

    def user(self, name: str, *statements: Item, tags: dict[str, str] | None = None) -> Any:
        """Create IAM user `name` with an inline policy of `statements`; its DynamoDB client."""
        extra = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
        self.iam.create_user(UserName=name, **extra)
        access = self.iam.create_access_key(UserName=name)["AccessKey"]
        if statements:
            self.set_policy(name, *statements)
        client = self.server.client(
            aws_access_key_id=access["AccessKeyId"],
            aws_secret_access_key=access["SecretAccessKey"],
        )
        self.users[name] = client
        return client

    def set_policy(self, name: str, *statements: Item) -> None:
        policy = document(*statements)
        self.iam.put_user_policy(UserName=name, PolicyName="fgac", PolicyDocument=policy)

    def item(self, user: str, title: str) -> Item:
        """The stored item ({} when there is none), read by root."""
        reply = self.root.get_item(TableName=TABLE, Key=key(user, title), ConsistentRead=True)
        return dict(reply.get("Item", {}))

    def put(self, user: str, title: str, score: int = 100, **extra: str) -> None:
        item = {**key(user, title), "TopScore": {"N": str(score)}, "Wins": {"N": "1"}}
        item |= {name: {"S": value} for name, value in extra.items()}
        self.root.put_item(TableName=TABLE, Item=item)

    def resource_policy(self, *statements: Item) -> str:
        reply = self.root.put_resource_policy(ResourceArn=TABLE_ARN, Policy=document(*statements))
        return str(reply["RevisionId"])

    def drop_resource_policy(self) -> None:
        try:
            self.root.delete_resource_policy(ResourceArn=TABLE_ARN)
        except self.root.exceptions.PolicyNotFoundException:
            pass


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Env]:
    data_dir = tmp_path_factory.mktemp("fgac")
    keys = ("--root-access-key-id", ROOT_KEY, "--root-secret-access-key", ROOT_SECRET)
    server = Server(data_dir, workers=2, extra_args=("--auth", "iam", *keys, *backend())).start()
    try:
        creds = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}
        root = server.client(**creds)

        def schema(hash_key: str, range_key: str) -> list[Item]:
            return [{"AttributeName": hash_key, "KeyType": "HASH"},
                    {"AttributeName": range_key, "KeyType": "RANGE"}]  # fmt: skip

        types = {"UserId": "S", "GameTitle": "S", "TopScore": "N"}
        root.create_table(
            TableName=TABLE,
            KeySchema=schema("UserId", "GameTitle"),
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": t} for n, t in types.items()
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": INDEX,
                    "KeySchema": schema("GameTitle", "TopScore"),
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],  # fmt: skip
            BillingMode="PAY_PER_REQUEST",
        )
        env = Env(server, data_dir, root, server.client("iam", **creds))
        for name in ("alice", "bob"):
            env.user(name, game_statement())
            env.put(name, METEOR, 1000, Secret=f"{name}'s secret")
        yield env
    finally:
        server.stop()


@pytest.fixture
def alice(env: Env) -> Any:
    return env.users["alice"]


# --- single items ---------------------------------------------------------------------------


def test_get_item(alice: Any) -> None:
    own, bobs = key("alice", METEOR), key("bob", METEOR)
    reply = alice.get_item(TableName=TABLE, Key=own, ProjectionExpression=PROJECTION)
    assert reply["Item"] == {**own, "TopScore": {"N": "1000"}}
    names = {"#w": "Wins"}
    reply = alice.get_item(
        TableName=TABLE, Key=own, ProjectionExpression="#w", ExpressionAttributeNames=names
    )
    assert reply["Item"] == {"Wins": {"N": "1"}}
    get = alice.get_item
    message = denied("GetItem", get, TableName=TABLE, Key=bobs, ProjectionExpression=PROJECTION)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: dynamodb:GetItem "
        f"on resource: {TABLE_ARN} because no identity-based policy allows the dynamodb:GetItem "
        "action"
    )
    denied("GetItem", get, TableName=TABLE, Key=own)  # implicitly Select ALL_ATTRIBUTES
    denied("GetItem", get, TableName=TABLE, Key=own, ProjectionExpression="UserId, Secret")
    denied("GetItem", get, TableName=TABLE, Key=own, AttributesToGet=["Secret"])


def test_put_item(env: Env, alice: Any) -> None:
    item = {**key("alice", "Put Game"), "TopScore": {"N": "7"}, "Wins": {"N": "2"}}
    alice.put_item(TableName=TABLE, Item=item)
    assert env.item("alice", "Put Game") == item
    secret = {**key("alice", "Put Secret"), "Secret": {"S": "x"}}
    denied("PutItem", alice.put_item, TableName=TABLE, Item=secret)
    assert env.item("alice", "Put Secret") == {}
    bobs = {**key("bob", "Put Game"), "TopScore": {"N": "7"}}
    denied("PutItem", alice.put_item, TableName=TABLE, Item=bobs)
    assert env.item("bob", "Put Game") == {}
    changed = {**item, "TopScore": {"N": "8"}}
    denied("PutItem", alice.put_item, TableName=TABLE, Item=changed, ReturnValues="ALL_OLD")
    assert env.item("alice", "Put Game") == item
    alice.put_item(TableName=TABLE, Item=changed, ReturnValues="NONE")
    assert env.item("alice", "Put Game") == changed


def test_update_item(env: Env, alice: Any) -> None:
    env.put("alice", "Update Game", 10, Secret="s")
    own, score = key("alice", "Update Game"), "SET TopScore = :s"
    reply = alice.update_item(
        TableName=TABLE, Key=own, UpdateExpression=score,
        ExpressionAttributeValues={":s": {"N": "11"}}, ReturnValues="UPDATED_NEW",
    )  # fmt: skip
    assert reply["Attributes"] == {"TopScore": {"N": "11"}}
    before = env.item("alice", "Update Game")
    assert before["TopScore"] == {"N": "11"}
    for extra in (
        {"UpdateExpression": score, "ReturnValues": "ALL_NEW"},
        {"UpdateExpression": score, "ReturnValues": "ALL_OLD"},
        {"UpdateExpression": "SET Secret = :s"},
        {"UpdateExpression": "REMOVE Secret SET TopScore = :s"},
        {"UpdateExpression": score, "ConditionExpression": "attribute_exists(Secret)"},
        {"UpdateExpression": score, "ConditionExpression": "#n <> :s",
         "ExpressionAttributeNames": {"#n": "Secret"}},
    ):  # fmt: skip
        values = {":s": {"N": "99"}}
        denied(
            "UpdateItem", alice.update_item, TableName=TABLE, Key=own,
            ExpressionAttributeValues=values, **extra,
        )  # fmt: skip
        assert env.item("alice", "Update Game") == before, extra
    denied(
        "UpdateItem", alice.update_item, TableName=TABLE, Key=key("bob", METEOR),
        UpdateExpression=score, ExpressionAttributeValues={":s": {"N": "1"}},
    )  # fmt: skip
    assert env.item("bob", METEOR)["TopScore"] == {"N": "1000"}


def test_delete_item(env: Env, alice: Any) -> None:
    env.put("alice", "Delete Game")
    env.put("bob", "Delete Game")
    alice.delete_item(TableName=TABLE, Key=key("alice", "Delete Game"))
    assert env.item("alice", "Delete Game") == {}
    denied("DeleteItem", alice.delete_item, TableName=TABLE, Key=key("bob", "Delete Game"))
    assert env.item("bob", "Delete Game") != {}
    env.put("alice", "Delete Game")
    own = key("alice", "Delete Game")
    denied("DeleteItem", alice.delete_item, TableName=TABLE, Key=own, ReturnValues="ALL_OLD")
    assert env.item("alice", "Delete Game") != {}


# --- Query and Scan -------------------------------------------------------------------------


def test_query(alice: Any) -> None:
    def params(user: str, **extra: Any) -> Item:
        values = {":u": {"S": user}}
        condition = "UserId = :u"
        return {"TableName": TABLE, "KeyConditionExpression": condition,
                "ExpressionAttributeValues": values, **extra}  # fmt: skip

    reply = alice.query(**params("alice", ProjectionExpression="GameTitle, TopScore"))
    assert {"GameTitle": {"S": METEOR}, "TopScore": {"N": "1000"}} in reply["Items"]
    assert all(set(item) <= {"GameTitle", "TopScore"} for item in reply["Items"])
    specific = params("alice", Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="UserId")
    assert alice.query(**specific)["Count"] >= 1
    denied("Query", alice.query, **params("bob", ProjectionExpression="TopScore"))
    denied("Query", alice.query, **params("alice"))  # no projection: Select ALL_ATTRIBUTES
    denied("Query", alice.query, **params("alice", Select="ALL_ATTRIBUTES"))
    denied("Query", alice.query, **params("alice", Select="COUNT"))
    denied("Query", alice.query, **params("alice", ProjectionExpression="Secret"))
    hidden = params(
        "alice", ProjectionExpression="UserId", FilterExpression="attribute_exists(Secret)"
    )
    denied("Query", alice.query, **hidden)


def test_query_index_needs_the_index_arn(env: Env) -> None:
    # LeadingKeys of an index query is the index's partition key (GameTitle): this user is
    # named after a game, so the developer guide's policy admits that game's page of the index.
    player = env.user("Asteroids", game_statement())
    env.put("carol", "Asteroids", 50)
    params: Item = {"TableName": TABLE, "IndexName": INDEX, "ProjectionExpression": PROJECTION,
                    "KeyConditionExpression": "GameTitle = :g",
                    "ExpressionAttributeValues": {":g": {"S": "Asteroids"}}}  # fmt: skip
    message = denied("Query", player.query, on=INDEX_ARN, **params)
    assert message.endswith("because no identity-based policy allows the dynamodb:Query action")
    env.set_policy("Asteroids", game_statement([TABLE_ARN, f"{TABLE_ARN}/index/*"]))
    carols = {**key("carol", "Asteroids"), "TopScore": {"N": "50"}}
    assert player.query(**params)["Items"] == [carols]
    other = {**params, "ExpressionAttributeValues": {":g": {"S": METEOR}}}
    denied("Query", player.query, on=INDEX_ARN, **other)
    denied("Query", player.query, on=INDEX_ARN, **{**params, "ProjectionExpression": "Secret"})


def test_scan_is_not_granted(alice: Any) -> None:
    denied("Scan", alice.scan, TableName=TABLE, ProjectionExpression="UserId")
    denied("Scan", alice.scan, TableName=TABLE)
    denied("Scan", alice.scan, on=INDEX_ARN, TableName=TABLE, IndexName=INDEX)


# --- batches --------------------------------------------------------------------------------


def test_batch_get_item(env: Env, alice: Any) -> None:
    env.put("alice", "Batch A")
    keys = [key("alice", METEOR), key("alice", "Batch A")]
    own = {"Keys": keys, "ProjectionExpression": PROJECTION}
    reply = alice.batch_get_item(RequestItems={TABLE: own})
    titles = sorted(item["GameTitle"]["S"] for item in reply["Responses"][TABLE])
    assert titles == ["Batch A", METEOR]
    for request in (
        {**own, "Keys": [*keys, key("bob", METEOR)]},
        {"Keys": keys},
        {**own, "ProjectionExpression": "UserId, Secret"},
    ):
        denied("BatchGetItem", alice.batch_get_item, RequestItems={TABLE: request})


def test_batch_write_item(env: Env, alice: Any) -> None:
    def put(user: str, title: str, **extra: Item) -> Item:
        return {"PutRequest": {"Item": {**key(user, title), "TopScore": {"N": "3"}, **extra}}}

    env.put("alice", "BW Delete")
    delete = {"DeleteRequest": {"Key": key("alice", "BW Delete")}}
    alice.batch_write_item(RequestItems={TABLE: [put("alice", "BW 1"), delete]})
    assert env.item("alice", "BW 1") != {} and env.item("alice", "BW Delete") == {}
    bobs = {"DeleteRequest": {"Key": key("bob", METEOR)}}
    for writes in (
        [put("alice", "BW 2"), put("bob", "BW 2")],
        [put("alice", "BW 2"), bobs],
        [put("alice", "BW 2", Secret={"S": "x"})],
    ):
        denied("BatchWriteItem", alice.batch_write_item, RequestItems={TABLE: writes})
        assert env.item("alice", "BW 2") == {} and env.item("bob", "BW 2") == {}
        assert env.item("bob", METEOR) != {}


# --- transactions ---------------------------------------------------------------------------


def test_transact_write_items(env: Env, alice: Any) -> None:
    env.put("alice", "TW Update", 1)

    def update(score: str) -> Item:
        return {"Update": {"TableName": TABLE, "Key": key("alice", "TW Update"),
                           "UpdateExpression": "SET TopScore = :s",
                           "ExpressionAttributeValues": {":s": {"N": score}}}}  # fmt: skip

    def check(user: str, condition: str = "attribute_exists(UserId)") -> Item:
        return {"ConditionCheck": {"TableName": TABLE, "Key": key(user, METEOR),
                                   "ConditionExpression": condition}}  # fmt: skip

    put = {"Put": {"TableName": TABLE, "Item": {**key("alice", "TW Put"), "Wins": {"N": "4"}}}}
    alice.transact_write_items(TransactItems=[put, update("2"), check("alice")])
    assert env.item("alice", "TW Put") == {**key("alice", "TW Put"), "Wins": {"N": "4"}}
    assert env.item("alice", "TW Update")["TopScore"] == {"N": "2"}
    for action, bad in (
        ("PutItem", {"Put": {"TableName": TABLE, "Item": key("bob", "TW Put")}}),
        ("DeleteItem", {"Delete": {"TableName": TABLE, "Key": key("bob", METEOR)}}),
        ("ConditionCheckItem", check("bob")),
        ("ConditionCheckItem", check("alice", "attribute_exists(Secret)")),
    ):
        mine = {"Put": {"TableName": TABLE, "Item": key("alice", "TW Denied")}}
        items = [mine, update("9"), bad]
        denied(action, alice.transact_write_items, TransactItems=items)
        assert env.item("alice", "TW Denied") == {}
        assert env.item("alice", "TW Update")["TopScore"] == {"N": "2"}
    assert env.item("bob", "TW Put") == {} and env.item("bob", METEOR) != {}


def test_transact_get_items(alice: Any) -> None:
    def get(user: str, **extra: Any) -> Item:
        return {"Get": {"TableName": TABLE, "Key": key(user, METEOR), **extra}}

    reply = alice.transact_get_items(TransactItems=[get("alice", ProjectionExpression="TopScore")])
    assert reply["Responses"] == [{"Item": {"TopScore": {"N": "1000"}}}]
    bobs = [get("alice", ProjectionExpression="TopScore"), get("bob", ProjectionExpression="Wins")]
    denied("GetItem", alice.transact_get_items, TransactItems=bobs)
    denied("GetItem", alice.transact_get_items, TransactItems=[get("alice")])


# --- PartiQL --------------------------------------------------------------------------------


def test_execute_statement(env: Env, alice: Any) -> None:
    run = alice.execute_statement
    reply = run(Statement=f"SELECT UserId, TopScore FROM {TABLE} WHERE UserId='alice'")
    assert {"UserId": {"S": "alice"}, "TopScore": {"N": "1000"}} in reply["Items"]
    for select in ("UserId, TopScore", "*", "Secret"):
        user = "bob" if select == "UserId, TopScore" else "alice"
        statement = f"SELECT {select} FROM {TABLE} WHERE UserId='{user}'"
        denied("PartiQLSelect", run, Statement=statement)
    insert = f"INSERT INTO {TABLE} VALUE {{'UserId': ?, 'GameTitle': ?, 'TopScore': 5}}"
    run(Statement=insert, Parameters=[{"S": "alice"}, {"S": "PQ"}])
    assert env.item("alice", "PQ") == {**key("alice", "PQ"), "TopScore": {"N": "5"}}
    denied("PartiQLInsert", run, Statement=insert, Parameters=[{"S": "bob"}, {"S": "PQ"}])
    assert env.item("bob", "PQ") == {}
    secret = f"INSERT INTO {TABLE} VALUE {{'UserId': 'alice', 'GameTitle': 'PQ2', 'Secret': 'x'}}"
    denied("PartiQLInsert", run, Statement=secret)
    assert env.item("alice", "PQ2") == {}
    where = "WHERE UserId = '{}' AND GameTitle = 'PQ'"
    run(Statement=f"UPDATE {TABLE} SET TopScore = 6 " + where.format("alice"))
    assert env.item("alice", "PQ")["TopScore"] == {"N": "6"}
    env.put("bob", "PQ", 1)
    update = f"UPDATE {TABLE} SET TopScore = 6 " + where.format("bob")
    denied("PartiQLUpdate", run, Statement=update)
    update = f"UPDATE {TABLE} SET Secret = 'x' " + where.format("alice")
    denied("PartiQLUpdate", run, Statement=update)
    assert env.item("bob", "PQ")["TopScore"] == {"N": "1"}
    assert "Secret" not in env.item("alice", "PQ")
    denied("PartiQLDelete", run, Statement=f"DELETE FROM {TABLE} " + where.format("bob"))
    assert env.item("bob", "PQ") != {}
    run(Statement=f"DELETE FROM {TABLE} " + where.format("alice"))
    assert env.item("alice", "PQ") == {}


def test_partiql_full_table_scan_deny(env: Env) -> None:
    # Developer guide ql-iam: "Allow select statements and deny full table scan statements".
    no_scan = {"Effect": "Deny", "Action": "dynamodb:PartiQLSelect", "Resource": TABLE_ARN,
               "Condition": {"Bool": {"dynamodb:FullTableScan": ["true"]}}}  # fmt: skip
    gina = env.user("gina", game_statement(), no_scan)
    env.put("gina", "Scan Game", 3)
    reply = gina.execute_statement(Statement=f"SELECT TopScore FROM {TABLE} WHERE UserId = 'gina'")
    assert reply["Items"] == [{"TopScore": {"N": "3"}}]
    for where in ("", " WHERE TopScore > 1"):
        statement = f"SELECT UserId FROM {TABLE}{where}"
        message = denied("PartiQLSelect", gina.execute_statement, Statement=statement)
        assert message.endswith("with an explicit deny in an identity-based policy")


def test_batch_execute_statement(env: Env, alice: Any) -> None:
    insert = f"INSERT INTO {TABLE} VALUE {{'UserId': ?, 'GameTitle': ?, 'TopScore': 1}}"

    def stmt(user: str, title: str) -> Item:
        return {"Statement": insert, "Parameters": [{"S": user}, {"S": title}]}

    reply = alice.batch_execute_statement(
        Statements=[stmt("alice", "BES 1"), stmt("alice", "BES 2")]
    )
    assert all("Error" not in response for response in reply["Responses"])
    assert env.item("alice", "BES 1") != {} and env.item("alice", "BES 2") != {}
    # AWS documents AccessDenied both as an exception and as a per-statement error code
    # (BatchStatementError); either way bob's statement writes nothing.
    try:
        reply = alice.batch_execute_statement(Statements=[stmt("bob", "BES 3")])
    except ClientError as exc:
        code, message = exc.response["Error"]["Code"], exc.response["Error"]["Message"]
        assert code == "AccessDeniedException" and "perform: dynamodb:PartiQLInsert on" in message
    else:
        assert reply["Responses"][0]["Error"]["Code"] == "AccessDenied"
    assert env.item("bob", "BES 3") == {}


def test_execute_transaction(env: Env, alice: Any) -> None:
    insert = f"INSERT INTO {TABLE} VALUE {{'UserId': ?, 'GameTitle': 'ET', 'Wins': 1}}"
    where = f"WHERE UserId = '{{}}' AND GameTitle = '{METEOR}'"
    alice.execute_transaction(
        TransactStatements=[{"Statement": insert, "Parameters": [{"S": "alice"}]}]
    )
    assert env.item("alice", "ET") == {**key("alice", "ET"), "Wins": {"N": "1"}}
    statements = [
        {"Statement": f"UPDATE {TABLE} SET Wins = 2 " + where.format("alice")},
        {"Statement": insert, "Parameters": [{"S": "bob"}]},
    ]
    denied("PartiQLInsert", alice.execute_transaction, TransactStatements=statements)
    assert env.item("bob", "ET") == {} and env.item("alice", METEOR)["Wins"] == {"N": "1"}
    select = f"SELECT TopScore FROM {TABLE} " + where
    reply = alice.execute_transaction(TransactStatements=[{"Statement": select.format("alice")}])
    assert reply["Responses"] == [{"Item": {"TopScore": {"N": "1000"}}}]
    bobs = [{"Statement": select.format("bob")}]
    denied("PartiQLSelect", alice.execute_transaction, TransactStatements=bobs)


# --- evaluation logic -----------------------------------------------------------------------


def test_explicit_deny_wins(env: Env) -> None:
    no_delete = {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}
    carol = env.user("carol", game_statement(), no_delete)
    env.put("carol", "Deny Game")
    carol.put_item(TableName=TABLE, Item={**key("carol", "Other"), "Wins": {"N": "1"}})
    own = key("carol", "Deny Game")
    message = denied("DeleteItem", carol.delete_item, TableName=TABLE, Key=own)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/carol is not authorized to perform: "
        f"dynamodb:DeleteItem on resource: {TABLE_ARN} with an explicit deny in an "
        "identity-based policy"
    )
    items = [{"Delete": {"TableName": TABLE, "Key": own}}]
    denied("DeleteItem", carol.transact_write_items, TransactItems=items)
    assert env.item("carol", "Deny Game") != {}


def test_enclosing_operation(env: Env) -> None:
    only_tx = {"ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}}
    writer = env.user("txwriter", allow("dynamodb:PutItem", **only_tx))
    item = {**key("txwriter", "Tx"), "Wins": {"N": "1"}}
    writer.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item}}])
    assert env.item("txwriter", "Tx") == item
    message = denied("PutItem", writer.put_item, TableName=TABLE, Item=key("txwriter", "Plain"))
    assert message.endswith("because no identity-based policy allows the dynamodb:PutItem action")
    assert env.item("txwriter", "Plain") == {}
    # ... and the opposite: no transactions at all.
    enclosing = ["TransactWriteItems", "TransactGetItems"]
    no_tx = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*", "Condition": {
        "ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": enclosing}}}  # fmt: skip
    plain = env.user("plainwriter", allow("dynamodb:PutItem"), allow("dynamodb:GetItem"), no_tx)
    plain.put_item(TableName=TABLE, Item=key("plainwriter", "Plain"))
    puts = [{"Put": {"TableName": TABLE, "Item": key("plainwriter", "Tx")}}]
    message = denied("PutItem", plain.transact_write_items, TransactItems=puts)
    assert message.endswith("with an explicit deny in an identity-based policy")
    gets = [{"Get": {"TableName": TABLE, "Key": key("plainwriter", "Plain")}}]
    denied("GetItem", plain.transact_get_items, TransactItems=gets)
    assert env.item("plainwriter", "Tx") == {}


def test_source_ip(env: Env) -> None:
    own = key("alice", METEOR)
    local = env.user("local", allow("dynamodb:GetItem", IpAddress={"aws:SourceIp": "127.0.0.0/8"}))
    assert local.get_item(TableName=TABLE, Key=own)["Item"]
    outside = {"aws:SourceIp": "127.0.0.0/8"}
    remote = env.user("remote", allow("dynamodb:GetItem", NotIpAddress=outside))
    denied("GetItem", remote.get_item, TableName=TABLE, Key=own)
    networks = {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.1/32"]}
    elsewhere = env.user("elsewhere", allow("dynamodb:GetItem", IpAddress=networks))
    denied("GetItem", elsewhere.get_item, TableName=TABLE, Key=own)


def test_principal_tag(env: Env) -> None:
    team = allow("dynamodb:GetItem", StringEquals={"aws:PrincipalTag/team": "red"})
    red = env.user("redplayer", team, tags={"team": "red"})
    blue = env.user("blueplayer", team, tags={"team": "blue"})
    untagged = env.user("untagged", team)
    bobs = key("bob", METEOR)
    assert red.get_item(TableName=TABLE, Key=bobs)["Item"]["UserId"] == {"S": "bob"}
    denied("GetItem", blue.get_item, TableName=TABLE, Key=bobs)
    denied("GetItem", untagged.get_item, TableName=TABLE, Key=bobs)
    # A tag as a policy variable: only items of the caller's team.
    leading = {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/team}"]}
    env.set_policy(
        "blueplayer", allow("dynamodb:GetItem", **{"ForAllValues:StringEquals": leading})
    )
    env.put("blue", "Team Game")
    assert blue.get_item(TableName=TABLE, Key=key("blue", "Team Game"))["Item"]
    denied("GetItem", blue.get_item, TableName=TABLE, Key=bobs)
    env.iam.tag_user(UserName="blueplayer", Tags=[{"Key": "team", "Value": "bob"}])
    assert blue.get_item(TableName=TABLE, Key=bobs)["Item"]


# --- resource-based policies ----------------------------------------------------------------

NOBODY = f"arn:aws:iam::{ACCOUNT}:user/nobody"


def test_resource_policy_api(env: Env) -> None:
    root = env.root
    missing = root.exceptions.PolicyNotFoundException
    with pytest.raises(missing):
        root.get_resource_policy(ResourceArn=TABLE_ARN)
    with pytest.raises(missing):
        root.delete_resource_policy(ResourceArn=TABLE_ARN)
    statement = rp_statement("Allow", NOBODY, ["GetItem"])
    try:
        revision = env.resource_policy(statement)
        reply = root.get_resource_policy(ResourceArn=TABLE_ARN)
        assert revision and reply["RevisionId"] == revision
        assert json.loads(reply["Policy"])["Statement"] == [statement]
        other = document(rp_statement("Allow", NOBODY, ["Query"]))
        with pytest.raises(missing):
            root.put_resource_policy(ResourceArn=TABLE_ARN, Policy=other, ExpectedRevisionId="12")
        second = root.put_resource_policy(
            ResourceArn=TABLE_ARN, Policy=other, ExpectedRevisionId=revision
        )["RevisionId"]
        assert second != revision
        assert root.get_resource_policy(ResourceArn=TABLE_ARN)["RevisionId"] == second
        with pytest.raises(missing):
            root.delete_resource_policy(ResourceArn=TABLE_ARN, ExpectedRevisionId=revision)
        root.delete_resource_policy(ResourceArn=TABLE_ARN, ExpectedRevisionId=second)
        with pytest.raises(missing):
            root.get_resource_policy(ResourceArn=TABLE_ARN)
    finally:
        env.drop_resource_policy()


def test_resource_policy_no_policy_revision(env: Env) -> None:
    # API reference, PutResourcePolicy: "To conditionally attach a policy when no policy exists
    # for the resource, specify NO_POLICY for the revision ID."
    policy = document(rp_statement("Allow", NOBODY, ["GetItem"]))
    put = env.root.put_resource_policy
    try:
        put(ResourceArn=TABLE_ARN, Policy=policy, ExpectedRevisionId="NO_POLICY")
        with pytest.raises(env.root.exceptions.PolicyNotFoundException):
            put(ResourceArn=TABLE_ARN, Policy=policy, ExpectedRevisionId="NO_POLICY")
    finally:
        env.drop_resource_policy()


def test_resource_policy_put_is_idempotent(env: Env) -> None:
    # API reference: "PutResourcePolicy is an idempotent operation; running it multiple times on
    # the same resource using the same policy document will return the same revision ID."
    statement = rp_statement("Allow", NOBODY, ["GetItem"])
    try:
        assert env.resource_policy(statement) == env.resource_policy(statement)
    finally:
        env.drop_resource_policy()


def test_resource_policy_grants_same_account_user(env: Env) -> None:
    dave = env.user("dave")  # no identity-based policy at all
    own = key("alice", METEOR)
    message = denied("GetItem", dave.get_item, TableName=TABLE, Key=own)
    assert message.endswith("because no identity-based policy allows the dynamodb:GetItem action")
    dave_arn = f"arn:aws:iam::{ACCOUNT}:user/dave"
    try:
        env.resource_policy(
            rp_statement("Allow", dave_arn, ["GetItem", "Query"], TABLE_ARN, INDEX_ARN)
        )
        assert dave.get_item(TableName=TABLE, Key=own)["Item"]["TopScore"] == {"N": "1000"}
        reply = dave.query(
            TableName=TABLE, IndexName=INDEX, KeyConditionExpression="GameTitle = :g",
            ExpressionAttributeValues={":g": {"S": METEOR}},
        )  # fmt: skip
        assert reply["Count"] >= 2
        denied("PutItem", dave.put_item, TableName=TABLE, Item=key("dave", "x"))
        denied("GetItem", env.users["bob"].get_item, TableName=TABLE, Key=own)  # not named
    finally:
        env.drop_resource_policy()
    denied("GetItem", dave.get_item, TableName=TABLE, Key=own)


def test_resource_policy_deny_overrides_identity_allow(env: Env) -> None:
    frank = env.user("frank", allow("dynamodb:GetItem"), allow("dynamodb:PutItem"))
    own = key("alice", METEOR)
    assert frank.get_item(TableName=TABLE, Key=own)["Item"]
    try:
        frank_arn = f"arn:aws:iam::{ACCOUNT}:user/frank"
        env.resource_policy(rp_statement("Deny", frank_arn, ["GetItem", "PutItem"]))
        message = denied("GetItem", frank.get_item, TableName=TABLE, Key=own)
        assert message == (
            f"User: {frank_arn} is not authorized to perform: dynamodb:GetItem on resource: "
            f"{TABLE_ARN} with an explicit deny in a resource-based policy"
        )
        denied("PutItem", frank.put_item, TableName=TABLE, Item=key("frank", "x"))
        assert env.item("frank", "x") == {}
    finally:
        env.drop_resource_policy()
    assert frank.get_item(TableName=TABLE, Key=own)["Item"]


def test_cross_account_needs_resource_policy(env: Env) -> None:
    command = [sys.executable, "-m", "opendynamo", "create-account", "--data-dir", str(env.data_dir)]  # fmt: skip
    url = backend_of(env.server)
    command += ["--backend", url] if url else []
    account = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    other = env.server.client(
        aws_access_key_id=account["AccessKeyId"], aws_secret_access_key=account["SecretAccessKey"]
    )
    other_root = f"arn:aws:iam::{account['AccountId']}:root"
    own = key("alice", METEOR)
    message = denied("GetItem", other.get_item, TableName=TABLE_ARN, Key=own)
    assert message == (
        f"User: {other_root} is not authorized to perform: dynamodb:GetItem on resource: "
        f"{TABLE_ARN} because no resource-based policy allows the dynamodb:GetItem action"
    )
    with pytest.raises(other.exceptions.ResourceNotFoundException):  # by name: its own account
        other.get_item(TableName=TABLE, Key=own)
    try:
        env.resource_policy(rp_statement("Allow", other_root, ["GetItem"]))
        assert other.get_item(TableName=TABLE_ARN, Key=own)["Item"]["TopScore"] == {"N": "1000"}
        denied("PutItem", other.put_item, TableName=TABLE_ARN, Item=key("intruder", "x"))
        assert env.item("intruder", "x") == {}
    finally:
        env.drop_resource_policy()
    denied("GetItem", other.get_item, TableName=TABLE_ARN, Key=own)
