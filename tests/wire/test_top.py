"""`opendynamo top`: the busiest tables and operations of the store a server writes, from the
AWS/DynamoDB metrics its workers flush (here every 0.2 s).

- `--once --json` prints one frame: a row per table (busiest first) followed by a row per
  operation on it (busiest first), with the successful requests counted exactly across the
  workers; a conditional check failure counts on its table, a user error on its account.
- `--once` prints the same frame as text: a header line with the totals, then the table and
  its operations by name.
- Without `--once`, when standard output is not a terminal, it prints a frame per
  `--interval` until Ctrl-C (SIGINT), which ends it with status 0.
- A data directory without a store is an error (status 1).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Backend, Server
from tests.wire.helpers import create_table, eventually

ENV = {"OPENDYNAMO_METRICS_FLUSH_INTERVAL": "0.2"}


@pytest.fixture(scope="module")
def top_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("top"), workers=2, env=ENV, extra_args=backend())
    server.start()
    yield server
    server.stop()


def top_args(server: Server, *args: str) -> list[str]:
    assert server.data_dir is not None
    return [sys.executable, "-m", "opendynamo", "top", *args,
            "--data-dir", str(server.data_dir), *server.extra_args]  # fmt: skip


def top(server: Server, *args: str) -> str:
    done = subprocess.run(
        top_args(server, *args), capture_output=True, text=True, timeout=60, env=os.environ | ENV
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def frame(server: Server) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(top(server, "--once", "--json"))
    return found


@pytest.fixture(scope="module")
def traffic(top_server: Server) -> tuple[str, str]:
    """A busy table and a quieter one, with the requests `top` should count."""
    client = top_server.client()
    busy = create_table(client, "busy", range_key=("sk", "S"), wait=True)
    quiet = create_table(client, "quiet", wait=True)
    for i in range(5):
        item = {"pk": {"S": "a"}, "sk": {"S": str(i)}}
        client.put_item(TableName=busy, Item=item)
    for i in range(3):
        client.get_item(TableName=busy, Key={"pk": {"S": "a"}, "sk": {"S": str(i)}})
    for _ in range(2):
        client.query(
            TableName=busy,
            KeyConditionExpression="pk = :a",
            ExpressionAttributeValues={":a": {"S": "a"}},
        )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName=busy,
            Item={"pk": {"S": "a"}, "sk": {"S": "0"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}})
    client.get_item(TableName=quiet, Key={"pk": {"S": "a"}})

    def flushed() -> bool:
        rows = frame(top_server)["rows"]
        return sum(row["requests"] for row in rows if row["operation"] is None) == 11

    eventually(flushed, timeout=20, interval=0.2)
    return busy, quiet


def test_json_frame_counts_requests_per_table_and_operation(
    top_server: Server, traffic: tuple[str, str]
) -> None:
    busy, quiet = traffic
    found = frame(top_server)
    rows = [(row["table"], row["operation"], row["requests"]) for row in found["rows"]]
    assert rows == [
        (busy, None, 10),
        (busy, "PutItem", 5),
        (busy, "GetItem", 3),
        (busy, "Query", 2),
        (quiet, None, 1),
        (quiet, "GetItem", 1),
    ]
    table, put = found["rows"][0], found["rows"][1]
    assert table["requests_per_second"] == pytest.approx(10 / found["seconds"])
    assert table["conditional_check_failed"] == 1
    assert table["write_units_per_second"] > 0 and table["read_units_per_second"] > 0
    assert (table["throttled"], table["system_errors"]) == (0, 0)
    assert put["p50_ms"] is not None and put["p99_ms"] >= put["p50_ms"] > 0
    assert put["conditional_check_failed"] is None and put["write_units_per_second"] is None
    assert [errors["count"] for errors in found["user_errors"]] == [1]
    assert 60 <= found["seconds"] <= 120
    assert found["lag_seconds"] == 0.2


def test_text_frame_names_tables_and_operations(
    top_server: Server, traffic: tuple[str, str]
) -> None:
    busy, quiet = traffic
    text = top(top_server, "--once")
    header, _, headings, *lines = text.strip().splitlines()
    assert header.startswith("opendynamo top ")
    assert "req/s" in header and "1 user" in header and "1 condition" in header
    assert "lags up to 0.2s" in header
    assert headings.startswith("TABLE / OPERATION") and "P99 MS" in headings
    names = [line.split()[0] for line in lines]
    assert names == [busy, "PutItem", "GetItem", "Query", quiet, "GetItem"]
    assert "\x1b[" not in text  # no styling when standard output is not a terminal


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_runs_frame_after_frame_until_interrupted(
    top_server: Server, traffic: tuple[str, str]
) -> None:
    process = subprocess.Popen(
        top_args(top_server, "--json", "--interval", "0.2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ | ENV,
        # xdist's workers ignore SIGINT, and a child inherits that: Ctrl-C as in a terminal.
        preexec_fn=_interruptible,
    )
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        assert json.loads(second)["time"] > json.loads(first)["time"]
        time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert b"Traceback" not in stderr


def test_a_directory_without_a_store_is_an_error(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "opendynamo", "top", "--once", "--data-dir", str(tmp_path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"no opendynamo store in {tmp_path}" in done.stderr
    assert not (tmp_path / "opendynamo.db").exists()
