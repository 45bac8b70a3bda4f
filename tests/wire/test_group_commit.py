"""Group commit through the wire: requests that arrive together (pipelined on one connection,
so the server parses them in one turn of its event loop) share one SQLite transaction, each
in its own savepoint, and their replies are written only after it commits.

- Conditional puts of one new key, pipelined: exactly one succeeds, the rest answer
  ConditionalCheckFailedException (savepoints isolate them; each sees the one before).
- A request that fails in the middle of a group changes nothing and does not undo its
  neighbours.
- Replies of a group arrive in order, and every acknowledged write is there afterwards, also
  after the server is killed (SIGKILL) right after the replies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Server
from tests.wire.test_http import Wire, request


def put(table: str, key: str, condition: bool = False, **extra: Any) -> bytes:
    payload: dict[str, Any] = {"TableName": table, "Item": {"pk": {"S": key}, **extra}}
    if condition:
        payload["ConditionExpression"] = "attribute_not_exists(pk)"
    return request("PutItem", payload)


def test_conditional_puts_in_one_group(server: Server, ddb: Any, table: str) -> None:
    with Wire(server.port) as wire:
        wire.send(b"".join(put(table, "once", True, n={"N": str(i)}) for i in range(10)))
        answers = [wire.read() for _ in range(10)]
    assert [a.status for a in answers] == [200] + [400] * 9
    assert all("ConditionalCheckFailed" in a.json()["__type"] for a in answers[1:])
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "once"}})["Item"]
    assert item["n"] == {"N": "0"}


def test_a_failure_in_the_middle_undoes_nothing_else(server: Server, ddb: Any, table: str) -> None:
    bad = request(
        "UpdateItem",
        {
            "TableName": table,
            "Key": {"pk": {"S": "b"}},
            "UpdateExpression": "SET n = n + :one",  # n does not exist: ValidationException
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        },
    )
    with Wire(server.port) as wire:
        wire.send(put(table, "a") + bad + put(table, "c"))
        statuses = [wire.read().status for _ in range(3)]
    assert statuses == [200, 400, 200]
    found = {
        key: "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": key}})
        for key in ("a", "b", "c")
    }
    assert found == {"a": True, "b": False, "c": True}


def test_acknowledged_group_writes_survive_sigkill(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", workers=1).start()
    try:
        client = srv.client()
        client.create_table(
            TableName="group",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with Wire(srv.port) as wire:
            wire.send(b"".join(put("group", f"k{i}") for i in range(50)))
            assert [wire.read().status for _ in range(50)] == [200] * 50
        srv.kill()
        srv = Server(tmp_path / "data", workers=1).start()
        count = srv.client().scan(TableName="group", Select="COUNT")["Count"]
        assert count == 50
    finally:
        srv.stop()
