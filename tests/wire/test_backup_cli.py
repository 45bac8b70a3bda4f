"""`opendynamo backup` and `opendynamo restore`: the same backups and restores as the API,
run by a command on the store (the server may be running; here it is, and sees the results).

- `backup --table T [--name N]` prints the BackupDetails of an AVAILABLE backup, which the
  server then describes and lists like one made by CreateBackup.
- `restore --backup-arn A --target-table N` and `restore --source-table T [--time ISO]
  --target-table N` print the TableDescription of an ACTIVE table holding the items as at the
  backup or the instant.
- DynamoDB's errors (a missing table, an unknown backup) and bad arguments end the command
  with status 1 and the error's type and message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Backend, Server, create_hash_table

ENV = {"OPENDYNAMO_PITR_LAG": "0"}


@pytest.fixture(scope="module")
def cli_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("cli"), env=ENV, extra_args=backend()).start()
    yield server
    server.stop()


def command(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    assert server.data_dir is not None
    return subprocess.run(
        [sys.executable, "-m", "opendynamo", *args, "--data-dir", str(server.data_dir),
         *server.extra_args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **ENV},
    )  # fmt: skip


def put(client: Any, table: str, key: str, value: str) -> None:
    client.put_item(TableName=table, Item={"pk": {"S": key}, "v": {"S": value}})


def items_of(client: Any, table: str) -> dict[str, str]:
    return {i["pk"]["S"]: i["v"]["S"] for i in client.scan(TableName=table)["Items"]}


def test_backup_then_restore_by_command(cli_server: Server) -> None:
    client = cli_server.client()
    table = create_hash_table(client)
    for key in ("a", "b", "c"):
        put(client, table, key, "before")
    done = command(cli_server, "backup", "--table", table, "--name", "nightly")
    assert done.returncode == 0, done.stderr
    details = json.loads(done.stdout)
    assert details["BackupStatus"] == "AVAILABLE"
    assert details["BackupName"] == "nightly"
    assert details["BackupArn"].startswith(
        f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}/"
    )
    listed = client.list_backups(TableName=table)["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [details["BackupArn"]]

    put(client, table, "a", "after")
    client.delete_item(TableName=table, Key={"pk": {"S": "b"}})
    target = f"{table}-restored"
    done = command(
        cli_server, "restore", "--backup-arn", details["BackupArn"], "--target-table", target
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["TableStatus"] == "ACTIVE"
    assert items_of(client, target) == {"a": "before", "b": "before", "c": "before"}
    assert client.describe_table(TableName=target)["Table"]["ItemCount"] == 3


def test_point_in_time_restore_by_command(cli_server: Server) -> None:
    client = cli_server.client()
    table = create_hash_table(client)
    put(client, table, "a", "one")
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    time.sleep(0.05)
    put(client, table, "b", "two")
    time.sleep(0.05)
    instant = datetime.now(UTC)
    time.sleep(0.05)
    put(client, table, "a", "three")
    # No sleep for the instant to be a second old: the command waits for that itself.

    done = command(
        cli_server, "restore", "--source-table", table, "--time", instant.isoformat(),
        "--target-table", f"{table}-then",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert items_of(client, f"{table}-then") == {"a": "one", "b": "two"}
    done = command(cli_server, "restore", "--source-table", table, "--target-table", f"{table}-now")
    assert done.returncode == 0, done.stderr
    assert items_of(client, f"{table}-now") == {"a": "three", "b": "two"}


def test_command_errors(cli_server: Server) -> None:
    done = command(cli_server, "backup", "--table", "no-such-table")
    assert done.returncode == 1
    assert "TableNotFoundException: Table not found: no-such-table" in done.stderr
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/x/backup/01795551037283-2fa153d4"
    done = command(cli_server, "restore", "--backup-arn", arn, "--target-table", "whatever")
    assert done.returncode == 1
    assert f"BackupNotFoundException: Backup not found: {arn}" in done.stderr
    done = command(cli_server, "restore", "--target-table", "whatever")
    assert done.returncode == 2
    assert "exactly one of --backup-arn and --source-table" in done.stderr
    done = command(cli_server, "backup", "--table", "abc", "--name", "no!")
    assert done.returncode == 1
    assert "ValidationException" in done.stderr and "backupName" in done.stderr
