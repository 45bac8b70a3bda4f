"""A fleet: three `opendynamo serve` processes on one PostgreSQL database behave as one
DynamoDB endpoint. Writes acknowledged by one are read at once on the others, table changes
reach every server, concurrent conditional writers spread over the three lose no update, a
server killed mid-load loses no acknowledged write and leaves no half transaction, and the
housekeeper lease moves to a live server when its holder dies."""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from tests.conftest import Server
from tests.postgres import Postgres
from tests.wire.helpers import create_table, eventually

LEASE_KEY = b"\x07housekeeper"  # model/layout.LEASE + engine/jobs' lease name
LEASE = struct.Struct(">16sd")


class Fleet:
    def __init__(self, url: str, servers: list[Server]) -> None:
        self.url = url
        self.servers = servers

    def lease_holder(self) -> int | None:
        """The process id of the housekeeper lease's holder, if its lease has not expired."""
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT v FROM opendynamo.kv WHERE k = %s", (LEASE_KEY,)).fetchone()
        if row is None:
            return None
        owner, expiry = LEASE.unpack(bytes(row[0]))
        return int.from_bytes(owner[:4], "big") if expiry > time.time() else None


def start_fleet(postgres: Postgres, tmp_path: Path, count: int = 3) -> Fleet:
    url = postgres.database()
    servers = []
    for number in range(count):
        data = tmp_path / f"server-{number}"
        servers.append(Server(data, workers=1, extra_args=("--backend", url)).start())
    return Fleet(url, servers)


@pytest.fixture
def fleet(postgres: Postgres, tmp_path: Path) -> Iterator[Fleet]:
    fleet = start_fleet(postgres, tmp_path)
    try:
        yield fleet
    finally:
        for server in fleet.servers:
            server.stop()


def seconds_until(check: Callable[[], object], timeout: float, interval: float = 0.02) -> float:
    """Seconds until `check()` was true, polled every `interval` seconds (AssertionError after
    `timeout` seconds: see `eventually`)."""
    started = time.monotonic()
    eventually(check, timeout, interval)
    return time.monotonic() - started


def test_a_write_acknowledged_by_one_server_is_read_at_once_on_the_others(fleet: Fleet) -> None:
    clients = [server.client() for server in fleet.servers]
    table = create_table(clients[0], "fleet")
    for number in range(60):
        writer = clients[number % 3]
        key = {"pk": {"S": f"k{number}"}}
        writer.put_item(TableName=table, Item={**key, "n": {"N": str(number)}})
        for reader in clients:
            got = reader.get_item(TableName=table, Key=key, ConsistentRead=True)
            assert got["Item"]["n"] == {"N": str(number)}
        writer.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        other = clients[(number + 1) % 3]
        got = other.get_item(TableName=table, Key=key, ConsistentRead=True)
        assert got["Item"]["n"] == {"N": str(number + 1)}


def test_table_changes_reach_every_server_within_a_second(fleet: Fleet) -> None:
    a, b, c = (server.client() for server in fleet.servers)
    table = create_table(a, "fleet")
    assert seconds_until(lambda: _exists(b, table) and _exists(c, table), 1.0) < 1.0
    b.put_item(TableName=table, Item={"pk": {"S": "x"}, "team": {"S": "red"}})
    add_team_index(b, table)
    assert seconds_until(lambda: _index_names(c, table) == ["by-team"], 1.0) < 1.0
    eventually(lambda: _index_status(a, table) == "ACTIVE", 20.0, 0.1)
    assert red_team(c, table) == ["x"]
    c.delete_table(TableName=table)
    assert seconds_until(lambda: not _exists(a, table) and not _exists(b, table), 1.0) < 1.0


def add_team_index(client: Any, table: str) -> None:
    client.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "team", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-team",
                    "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )


def red_team(client: Any, table: str) -> list[str]:
    """The keys the index by-team holds for team red."""
    reply = client.query(
        TableName=table,
        IndexName="by-team",
        KeyConditionExpression="team = :t",
        ExpressionAttributeValues={":t": {"S": "red"}},
    )
    return [item["pk"]["S"] for item in reply["Items"]]


def _exists(client: Any, table: str) -> bool:
    try:
        client.describe_table(TableName=table)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def _index_names(client: Any, table: str) -> list[str]:
    indexes = client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    return [index["IndexName"] for index in indexes]


def _index_status(client: Any, table: str) -> str:
    return str(
        client.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"]
    )


def test_conditional_writers_spread_over_the_servers_lose_no_update(fleet: Fleet) -> None:
    """Six writers, two per server, each adding 1 to a shared counter 25 times by
    read-then-conditional-put (optimistic locking, as DynamoDB applications do it), and 25
    times by an UpdateItem ADD: both totals come out exact."""
    table = create_table(fleet.servers[0].client(), "fleet")
    key = {"pk": {"S": "counter"}}
    added_key = {"pk": {"S": "added"}}  # apart: a whole-item put must not undo an ADD
    fleet.servers[0].client().put_item(TableName=table, Item={**key, "version": {"N": "0"}})
    rounds, writers = 25, 6
    failures: list[BaseException] = []
    conflicts = [0]

    def work(server: Server) -> None:
        client = server.client()
        try:
            for _ in range(rounds):
                while True:
                    item = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
                    version = int(item["version"]["N"])
                    try:
                        client.put_item(
                            TableName=table,
                            Item={**item, "version": {"N": str(version + 1)}},
                            ConditionExpression="version = :v",
                            ExpressionAttributeValues={":v": {"N": str(version)}},
                        )
                        break
                    except client.exceptions.ConditionalCheckFailedException:
                        conflicts[0] += 1
                client.update_item(
                    TableName=table,
                    Key=added_key,
                    UpdateExpression="ADD added :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(fleet.servers[n % 3],)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    item = fleet.servers[2].client().get_item(TableName=table, Key=key, ConsistentRead=True)
    assert item["Item"]["version"] == {"N": str(rounds * writers)}
    added = fleet.servers[1].client().get_item(TableName=table, Key=added_key, ConsistentRead=True)
    assert added["Item"]["added"] == {"N": str(rounds * writers)}
    assert conflicts[0] > 0  # the writers did collide, and the condition caught it


def test_a_killed_server_loses_no_acknowledged_write_and_no_transaction_is_half_done(
    fleet: Fleet,
) -> None:
    table = create_table(fleet.servers[0].client(), "fleet")
    acked: list[list[str]] = [[] for _ in range(6)]  # keys each writer saw acknowledged
    after_kill = [0] * 6  # writes acknowledged after the kill, per writer
    killing, killed = threading.Event(), threading.Event()
    stop = threading.Event()
    victim = fleet.servers[1]
    failures: list[BaseException] = []

    def work(index: int, server: Server) -> None:
        client = server.client()
        number = 0
        while not stop.is_set():
            name = f"w{index}-{number}"
            number += 1
            try:
                if number % 2:
                    client.put_item(TableName=table, Item={"pk": {"S": name}})
                    done = [name]
                else:  # a pair written together, or not at all
                    pair = [name + "-a", name + "-b"]
                    client.transact_write_items(
                        TransactItems=[
                            {"Put": {"TableName": table, "Item": {"pk": {"S": k}}}} for k in pair
                        ]
                    )
                    done = pair
            except (BotoConnectionError, HTTPClientError, ClientError) as exc:
                if server is victim and killing.is_set():
                    return  # our server is gone: this writer stops, the others carry on
                failures.append(exc)
                return
            except BaseException as exc:
                failures.append(exc)
                return
            acked[index].extend(done)
            if killed.is_set():
                after_kill[index] += 1

    survivors = [n for n in range(6) if fleet.servers[n % 3] is not victim]
    threads = [threading.Thread(target=work, args=(n, fleet.servers[n % 3])) for n in range(6)]
    for thread in threads:
        thread.start()
    try:
        # Kill mid-load: after 1.5 s of it, and once every writer has had writes acknowledged,
        # over 50 in all (on a slow machine that takes longer).
        started = time.monotonic()
        eventually(
            lambda: (
                failures
                or (
                    time.monotonic() - started >= 1.5
                    and all(acked)
                    and sum(len(keys) for keys in acked) > 50
                )
            ),
            timeout=30,
            message=lambda: f"writes acknowledged per writer: {[len(keys) for keys in acked]}",
        )
        killing.set()
        victim.kill()
        killed.set()
        time.sleep(1.5)  # the load goes on for as long after the kill (checked below)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures, failures[:3]
    assert all(after_kill[n] > 0 for n in survivors), after_kill  # they carried on

    reader = fleet.servers[0].client()
    stored = set()
    for page in reader.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        stored.update(item["pk"]["S"] for item in page["Items"])
    lost = [key for keys in acked for key in keys if key not in stored]
    assert not lost, lost[:10]
    halves = {key[:-2] for key in stored if key.endswith(("-a", "-b"))}
    half_done = [p for p in halves if (p + "-a" in stored) != (p + "-b" in stored)]
    assert not half_done
    assert sum(len(keys) for keys in acked) > 50  # the load was real


def test_the_housekeeper_lease_has_one_holder_and_moves_when_it_dies(fleet: Fleet) -> None:
    pids = {server.process.pid: server for server in fleet.servers if server.process}
    eventually(lambda: fleet.lease_holder() in pids, 10.0, 0.1)
    holder = fleet.lease_holder()
    for _ in range(10):  # one holder, renewing its lease, while it lives
        assert fleet.lease_holder() == holder
        time.sleep(0.1)
    client = next(s for pid, s in pids.items() if pid != holder).client()
    table = create_table(client, "fleet")
    client.put_item(TableName=table, Item={"pk": {"S": "x"}, "team": {"S": "red"}})

    assert holder is not None
    pids[holder].kill()
    seconds = seconds_until(lambda: fleet.lease_holder() not in (None, holder), 15.0, 0.1)
    assert fleet.lease_holder() in pids and fleet.lease_holder() != holder
    assert seconds < 10.0  # the lease runs 5 s; a survivor takes it at its next look
    # ...and runs the background work: a new index is backfilled.
    add_team_index(client, table)
    eventually(lambda: _index_status(client, table) == "ACTIVE", 20.0, 0.1)
    assert red_team(client, table) == ["x"]


def test_transactions_over_the_same_items_in_opposite_orders_all_commit(fleet: Fleet) -> None:
    """Six writers over three servers, each adding 1 to the same two counters in one
    TransactWriteItems, half of them naming the counters in the other order, and BatchWriteItems
    over the same keys, also in both orders: no request fails (they take turns, none
    deadlocks for good), and the counters come out exact."""
    table = create_table(fleet.servers[0].client(), "fleet")
    rounds, writers = 20, 6
    failures: list[BaseException] = []

    def work(index: int, server: Server) -> None:
        client = server.client()
        names = ["a", "b"] if index % 2 else ["b", "a"]
        try:
            for _ in range(rounds):
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": table,
                                "Key": {"pk": {"S": name}},
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}},
                            }
                        }
                        for name in names
                    ]
                )
                keys = [f"batch-{k}" for k in range(10)]
                client.batch_write_item(
                    RequestItems={
                        table: [
                            {"PutRequest": {"Item": {"pk": {"S": k}, "by": {"N": str(index)}}}}
                            for k in (keys if index % 2 else reversed(keys))
                        ]
                    }
                )
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [
        threading.Thread(target=work, args=(n, fleet.servers[n % 3])) for n in range(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    client = fleet.servers[0].client()
    for name in ("a", "b"):
        item = client.get_item(TableName=table, Key={"pk": {"S": name}}, ConsistentRead=True)
        assert item["Item"]["n"] == {"N": str(rounds * writers)}
    described = client.describe_table(TableName=table)["Table"]
    assert described["ItemCount"] == 12  # a, b and ten batch keys, each counted once
