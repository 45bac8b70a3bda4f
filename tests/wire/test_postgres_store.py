"""The PostgreSQL backend's own duties: schema migrations (once, also when servers start
together), a clear stop on a database it cannot use, the distribution key of every row, and
the primary key shape Citus needs. (Everything DynamoDB-visible runs on this backend through
the `backend` parameter of the rest of the wire suite.)"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import Server, create_hash_table, free_port, unique_name
from tests.postgres import Postgres

ITEMS, INDEX, STATS = 0x02, 0x05, 0x03


def opendynamo(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opendynamo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def versions(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM opendynamo.migrations ORDER BY version")
        return [row[0] for row in rows]


def test_servers_starting_together_apply_each_migration_once(postgres: Postgres) -> None:
    url = postgres.database()
    command = [sys.executable, "-m", "opendynamo", "migrate", "--backend", url]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=60)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    applied = versions(url)
    assert applied == list(range(1, len(applied) + 1)) and applied
    assert all(f"schema at version {applied[-1]}" in output for output in outputs)
    again = opendynamo("migrate", "--backend", url)  # nothing left to do
    assert again.returncode == 0 and versions(url) == applied


def test_a_schema_newer_than_the_server_stops_its_start(postgres: Postgres, tmp_path: Path) -> None:
    url = postgres.database()
    assert opendynamo("migrate", "--backend", url).returncode == 0
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO opendynamo.migrations (version) VALUES (999)")
    done = opendynamo("serve", "--port", str(free_port()), "--backend", url)
    assert done.returncode != 0
    assert "schema is at version 999, newer than this server knows" in done.stderr


def test_an_unreachable_database_stops_the_start_without_showing_its_password() -> None:
    url = f"postgresql://someone:hunter2@127.0.0.1:{free_port()}/nothing?connect_timeout=3"
    done = opendynamo("serve", "--port", str(free_port()), "--backend", url)
    assert done.returncode != 0
    assert "cannot use PostgreSQL postgresql://someone:***@127.0.0.1:" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_a_backend_that_is_not_a_postgresql_url_is_refused() -> None:
    done = opendynamo("serve", "--port", str(free_port()), "--backend", "mysql://db/x")
    assert done.returncode == 2
    assert "--backend must be a postgresql:// URL" in done.stderr
    both = opendynamo("serve", "--in-memory", "--backend", "postgresql://db/x")
    assert both.returncode == 2 and "exclude each other" in both.stderr


def exercise(client: Any) -> str:
    """Create a table with a GSI and use every kind of write and read on it."""
    table = unique_name()
    client.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "team", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-team",
                "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(30):
        client.put_item(
            TableName=table,
            Item={"pk": {"S": f"p{n % 5}"}, "sk": {"N": str(n)}, "team": {"S": f"t{n % 3}"}},
        )
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "p0"}, "sk": {"N": "0"}},
        UpdateExpression="SET team = :t",
        ExpressionAttributeValues={":t": {"S": "t9"}},
    )
    client.delete_item(TableName=table, Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "q"}, "sk": {"N": "1"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "p2"}, "sk": {"N": "2"}}}},
        ]
    )
    reply = client.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND sk > :s",
        ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"N": "4"}},
        ConsistentRead=True,
    )
    assert [item["sk"]["N"] for item in reply["Items"]] == ["5", "10", "15", "20", "25"]
    team = client.query(
        TableName=table,
        IndexName="by-team",
        KeyConditionExpression="team = :t",
        ExpressionAttributeValues={":t": {"S": "t9"}},
    )
    assert team["Items"] == [{"pk": {"S": "p0"}, "sk": {"N": "0"}, "team": {"S": "t9"}}]
    assert client.scan(TableName=table, ConsistentRead=True)["Count"] == 29
    described = client.describe_table(TableName=table)["Table"]
    assert described["ItemCount"] == 29
    assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == 28  # q has no team
    return table


def test_every_row_carries_its_partitions_distribution_key(
    postgres: Postgres, tmp_path: Path
) -> None:
    url = postgres.database()
    server = Server(tmp_path / "data", workers=1, extra_args=("--backend", url)).start()
    try:
        exercise(server.client())
    finally:
        server.stop()
    with psycopg.connect(url) as conn:
        rows = [(bytes(k), d) for k, d in conn.execute("SELECT k, d FROM opendynamo.kv")]
    seen = {ITEMS: 0, INDEX: 0, STATS: 0}
    for key, d in rows:
        kind = key[0]
        if kind == ITEMS:
            assert d == key[17]  # the first byte of the partition-key hash
        elif kind == INDEX:
            assert d == key[19]  # ... of the index partition key's hash
        elif kind == STATS:
            assert d == key[-1]  # a counter bucket lives beside the partitions it counts
        else:
            continue
        seen[kind] += 1
    assert seen[ITEMS] == 29 and seen[INDEX] == 28 and seen[STATS] > 2
    assert len({d for k, d in rows if k[0] == ITEMS}) > 1


def test_the_primary_key_citus_needs_works_as_well(postgres: Postgres, tmp_path: Path) -> None:
    """docs/scale-out.md's DDL, but create_distributed_table: kv keyed by (d, k)."""
    url = postgres.database()
    assert opendynamo("migrate", "--backend", url).returncode == 0
    with psycopg.connect(url) as conn:
        conn.execute("ALTER TABLE opendynamo.kv DROP CONSTRAINT kv_pkey")
        conn.execute("ALTER TABLE opendynamo.kv ADD PRIMARY KEY (d, k)")
        conn.execute("CREATE INDEX kv_k ON opendynamo.kv (k)")
    server = Server(tmp_path / "data", workers=1, extra_args=("--backend", url)).start()
    try:
        client = server.client()
        table = exercise(client)
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(
                TableName=table,
                Item={"pk": {"S": "q"}, "sk": {"N": "1"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
    finally:
        server.stop()


def test_a_write_to_an_item_locked_past_the_statement_timeout_is_a_transaction_conflict(
    postgres: Postgres, tmp_path: Path
) -> None:
    """As DynamoDB answers a write to an item a transaction holds: TransactionConflictException
    (a TransactWriteItems: cancelled, reason TransactionConflict), and nothing changes."""
    import hashlib
    import json

    from opendynamo.model import keycodec, layout

    url = postgres.database()
    args = ("--backend", url, "--pg-statement-timeout", "300")
    server = Server(tmp_path / "data", workers=1, extra_args=args).start()
    try:
        client = server.client()
        table = create_hash_table(client)
        item = {"pk": {"S": "held"}, "v": {"N": "1"}}
        client.put_item(TableName=table, Item=item)
        with psycopg.connect(url) as conn:
            (raw,) = conn.execute(
                "SELECT v FROM opendynamo.kv WHERE k = %s",
                (layout.catalog_key("000000000000", "us-east-1", table),),
            ).fetchone()
            uid = bytes.fromhex(json.loads(bytes(raw))["uid"])
            key = layout.items_prefix(uid) + keycodec.encode_key({"S": "held"}, None)
            lock = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))  # held until rollback
            started = time.monotonic()
            with pytest.raises(client.exceptions.TransactionConflictException) as caught:
                client.put_item(TableName=table, Item={**item, "v": {"N": "2"}})
            assert (
                caught.value.response["Error"]["Message"] == "Transaction is ongoing for the item"
            )
            assert time.monotonic() - started < 5
            with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
                client.transact_write_items(
                    TransactItems=[{"Put": {"TableName": table, "Item": {**item, "v": {"N": "3"}}}}]
                )
            reasons = cancelled.value.response["CancellationReasons"]
            assert [reason["Code"] for reason in reasons] == ["TransactionConflict"]
            conn.rollback()
        got = client.get_item(TableName=table, Key={"pk": {"S": "held"}}, ConsistentRead=True)
        assert got["Item"]["v"] == {"N": "1"}  # nothing changed
        client.put_item(TableName=table, Item={**item, "v": {"N": "4"}})  # free again
        got = client.get_item(TableName=table, Key={"pk": {"S": "held"}}, ConsistentRead=True)
        assert got["Item"]["v"] == {"N": "4"}
    finally:
        server.stop()


def test_requests_carry_on_after_the_database_cut_every_connection(
    postgres: Postgres, tmp_path: Path
) -> None:
    """A PostgreSQL restart or failover closes the servers' connections; the next request on
    each one reconnects instead of failing (nothing had been sent on it)."""
    url = postgres.database()
    args = ("--backend", url, "--pg-pool-size", "3")
    server = Server(tmp_path / "data", workers=1, extra_args=args).start()
    try:
        client = server.client()
        table = create_hash_table(client)
        for number in range(20):
            client.put_item(TableName=table, Item={"pk": {"S": f"k{number}"}})
        with psycopg.connect(url, autocommit=True) as conn:
            cut = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'opendynamo'"
            ).fetchone()
        assert cut is not None and cut[0] >= 2
        for number in range(20):
            key = {"pk": {"S": f"k{number}"}}
            assert client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"] == key
            client.put_item(TableName=table, Item={**key, "again": {"BOOL": True}})
        assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 20
    finally:
        server.stop()


def test_values_are_encrypted_with_a_key_and_the_key_is_needed(
    postgres: Postgres, tmp_path: Path
) -> None:
    """With --encryption-key-file, no value in the database shows what was written (keys stay
    readable: PostgreSQL orders rows by them); without the key, or with another, the server
    does not start; a key is refused for a database that holds unencrypted values."""
    import os

    marker = "secret-attribute-value-5e1d"
    key = tmp_path / "key"
    key.write_bytes(os.urandom(32))
    url = postgres.database()
    args = ("--backend", url, "--encryption-key-file", str(key))
    server = Server(tmp_path / "data", workers=2, extra_args=args).start()
    try:
        client = server.client()
        table = exercise(client)
        for number in range(20):
            item = {"pk": {"S": f"e{number}"}, "sk": {"N": "1"}, "note": {"S": marker}}
            client.put_item(TableName=table, Item={**item, "team": {"S": marker}})
    finally:
        server.stop()
    with psycopg.connect(url) as conn:
        values = [bytes(v) for (v,) in conn.execute("SELECT v FROM opendynamo.kv")]
    assert len(values) > 100
    assert not any(marker.encode() in value for value in values)
    assert not any(b'"S"' in value for value in values)  # no item's JSON shows through

    missing = opendynamo("serve", "--port", str(free_port()), "--backend", url)
    assert missing.returncode == 1
    assert "the database's values are encrypted: give their key" in missing.stderr
    other = tmp_path / "other"
    other.write_bytes(os.urandom(32))
    wrong = opendynamo(
        "serve", "--port", str(free_port()), "--backend", url, "--encryption-key-file", str(other)
    )
    assert wrong.returncode == 1
    assert "the encryption key does not open the database's values" in wrong.stderr

    again = Server(tmp_path / "again", workers=1, extra_args=args).start()
    try:
        client = again.client()
        got = client.get_item(TableName=table, Key={"pk": {"S": "e3"}, "sk": {"N": "1"}})
        assert got["Item"]["note"] == {"S": marker}
        reply = client.query(
            TableName=table,
            IndexName="by-team",
            KeyConditionExpression="team = :t",
            ExpressionAttributeValues={":t": {"S": marker}},
        )
        assert reply["Count"] == 20
    finally:
        again.stop()

    plain = postgres.database()
    server = Server(tmp_path / "plain", workers=1, extra_args=("--backend", plain)).start()
    try:
        exercise(server.client())
    finally:
        server.stop()
    late = opendynamo(
        "serve", "--port", str(free_port()), "--backend", plain, "--encryption-key-file", str(key)
    )
    assert late.returncode == 1
    assert "holds values stored without encryption" in late.stderr


def test_many_keys_in_one_statement_as_one_key_at_a_time(postgres: Postgres) -> None:
    """get_many, put_many and insert_many (a bulk load's items and index entries, a batch's
    counters) answer as `get`, `put` and `insert` of each key in turn would, also with the
    values encrypted: a key given twice to insert_many is taken by its first, to put_many
    ends with its last value. add_many adds to counters, one or many at a time."""
    from opendynamo.model import layout
    from opendynamo.storage.base import COUNTS
    from opendynamo.storage.postgres import open_store

    for secret in (None, b"k" * 32):
        store = open_store(
            postgres.database(), layout.distribution, layout.range_distribution, key=secret
        )
        try:
            with store.write() as txn:
                txn.put(b"\x02a", b"old")
                pairs = [(b"\x02a", b"1"), (b"\x02b", b"2"), (b"\x02b", b"3"), (b"\x02c", b"4")]
                assert txn.insert_many(pairs) == [False, True, False, True]
                txn.put_many([(b"\x02d", b"5"), (b"\x02c", b"6"), (b"\x02d", b"7")])
                wanted = [b"\x02d", b"\x02a", b"\x02z", b"\x02b"]
                assert txn.get_many(wanted) == [b"7", b"old", None, b"2"]
                assert txn.insert_many([]) == [] and txn.get_many([]) == []
                txn.add_many([(b"\x02k", 2, 20)])  # counters: absent ones start at 0 and 0
                txn.add_many([(b"\x02k", -1, -5), (b"\x02l", 7, 70)])
            with store.read() as txn:
                found = list(txn.range(b"\x02", b"\x03"))
            assert found == [
                (b"\x02a", b"old"),
                (b"\x02b", b"2"),
                (b"\x02c", b"6"),
                (b"\x02d", b"7"),
                (b"\x02k", COUNTS.pack(1, 15)),
                (b"\x02l", COUNTS.pack(7, 70)),
            ]
        finally:
            store.close()


def test_a_token_bucket_charged_through_shares_holds_every_charge(postgres: Postgres) -> None:
    """On PostgreSQL each request thread charges a share row of the bucket (so a fleet's
    writers of one table do not queue on one row); the bucket still holds what one row charged
    in turn would, before and after the shares are folded into its row."""
    import struct
    import threading

    from opendynamo.engine import throttle
    from opendynamo.engine.catalog import TableMeta
    from opendynamo.model import layout
    from opendynamo.storage.postgres import open_store

    store = open_store(postgres.database(), layout.distribution, layout.range_distribution)
    meta = TableMeta(
        name="shared",
        uid="00" * 16,
        account="000000000000",
        region="us-east-1",
        created=0.0,
        status="ACTIVE",
        hash_key="pk",
        hash_type="S",
        range_key=None,
        range_type=None,
        attribute_definitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        read_capacity=5,
        write_capacity=1000,
    )
    row = layout.bucket_key(meta.uid_bytes, throttle.WRITE)
    try:

        def charge(units: float) -> None:
            with store.write() as txn:
                throttle.charge(txn, meta, throttle.WRITE, units)

        started = time.time()
        charge(40.0)  # folds: the row is new
        threads = [threading.Thread(target=charge, args=(100.0,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with store.read() as txn:
            shares = [key for key, _ in txn.range(row, row + b"\xff") if key != row]
            left = throttle.available(txn, meta, throttle.WRITE)
        refilled = 1000 * (time.time() - started)
        assert len(shares) >= 2  # the threads charged shares of their own
        assert 1000 - 440 <= left <= 1000 - 440 + refilled
        throttle._seen.clear()  # as if the row were last folded long ago
        charge(60.0)
        with store.read() as txn:
            left = throttle.available(txn, meta, throttle.WRITE)
            folded = txn.get(row)
        assert folded is not None and struct.unpack(">ddd", folded)[2] == 500  # all folded
        refilled = 1000 * (time.time() - started)
        assert 1000 - 500 <= left <= 1000 - 500 + refilled
    finally:
        store.close()
