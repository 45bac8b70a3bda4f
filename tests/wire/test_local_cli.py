"""`opendynamo local`: DynamoDB Local's command line, run as its users type it.

Behaviour pinned here (DynamoDB Local's `CommandLineInput`, from its 2.x jar):
- Its refusals, word for word, in its order of checks: a port that is not a number, or not
  above 1 and at most 65535, "Invalid Port. Port number must lie between 1 and 65535.";
  `-optimizeDbBeforeStartup` without `-dbPath`; `-dbPath` with `-inMemory`; a `-dbPath` that is
  not a directory. An unknown option is "Error while parsing options. Unrecognized option:
  -x" followed by the usage. Refusals exit 1 and start nothing.
- `-help` prints the usage and `-version` the version, and start nothing (exit 0).
- The start-up summary (its 2.x lines: Port, InMemory, Version, DbPath, SharedDb,
  shouldDelayTransientStatuses, CorsParams, tab-separated), then a server that answers.
- Without `-sharedDb` one namespace per access key and region; with it one for all.
- `-dbPath` puts the store file in that directory, and defaults to the current one.
- `-optimizeDbBeforeStartup` compacts an existing store (smaller: a deleted table's pages are
  gone) and keeps its data.
- The Java launcher's `-jar FILE` is ignored, so a compose file's `command:` works as
  written; serve's long options (here `--log-level`) pass through.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CREDENTIALS, Server, free_port
from tests.wire.helpers import create_table

COMMAND = [sys.executable, "-m", "opendynamo", "local"]
USAGE_START = "usage: opendynamo local [-port <port-no.>] [-inMemory]"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-port", "eighty"], "Invalid Port. Port number must lie between 1 and 65535."),
        (["-port", "0"], "Invalid Port. Port number must lie between 1 and 65535."),
        (["-port", "1"], "Invalid Port. Port number must lie between 1 and 65535."),
        (["-port", "65536"], "Invalid Port. Port number must lie between 1 and 65535."),
        (
            ["-optimizeDbBeforeStartup", "-inMemory"],
            "optimizeDbBeforeStartup option must be used with dbPath to determine the "
            "location of database files to optimize.",
        ),
        (["-inMemory", "-dbPath", "."], "dbPath and inMemory cannot be set at the same time."),
        (["-dbPath", "/nonexistent/dir"], "Invalid directory for database creation."),
        # The port is checked first, as DynamoDB Local checks it.
        (
            ["-inMemory", "-dbPath", ".", "-port", "0"],
            "Invalid Port. Port number must lie between 1 and 65535.",
        ),
    ],
)
def test_refusals_are_dynamodb_locals(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 1
    assert done.stderr.strip() == message
    assert "Initializing" not in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-bogus"], "Error while parsing options. Unrecognized option: -bogus"),
        (["-port"], "Error while parsing options. Missing argument for option: port"),
    ],
)
def test_parse_errors_print_the_usage(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 1
    assert done.stderr.strip() == message
    assert done.stdout.startswith(USAGE_START)


def test_help_and_version() -> None:
    helped = run("-help")
    assert helped.returncode == 0
    assert helped.stdout.startswith(USAGE_START)
    for option in ("-cors", "-dbPath", "-delayTransientStatuses", "-disableTelemetry", "-help"):
        assert f"\n {option} " in helped.stdout
    assert "opendynamo sends no telemetry" in helped.stdout
    versioned = run("-version")
    assert versioned.returncode == 0
    assert versioned.stdout.strip() == _version()


def start_local(*args: str, cwd: Path) -> Server:
    """`opendynamo local -port <a free port> ARGS` run in `cwd`, once it answers."""
    server = Server(None, port=free_port())
    command = [*COMMAND, "-port", str(server.port), *args, "--log-level", "warning"]
    return server.start_command(command, cwd=cwd)


def _version() -> str:
    from importlib.metadata import version

    return version("opendynamo")


def test_summary_then_serving_one_namespace_per_key(tmp_path: Path) -> None:
    """No -sharedDb: DynamoDB Local's default, a database per access key and region; the
    store file goes to the current directory (its -dbPath default)."""
    server = start_local("-disableTelemetry", cwd=tmp_path)
    try:
        lines = server.output().splitlines()
        start = lines.index("Initializing DynamoDB Local with the following configuration:")
        assert lines[start + 1 : start + 9] == [
            f"Port:\t{server.port}",
            "InMemory:\tfalse",
            f"Version:\t{_version()}",
            "DbPath:\tnull",
            "SharedDb:\tfalse",
            "shouldDelayTransientStatuses:\tfalse",
            "CorsParams:\tnull",
            "",
        ]
        name = create_table(server.client())
        assert _tables(server, "AKIDOTHER") == []
        assert _tables(server, CREDENTIALS["aws_access_key_id"]) == [name]
        assert (tmp_path / "opendynamo.db").exists()
    finally:
        server.stop()


def test_shared_db_in_memory_java_launcher_ignored(tmp_path: Path) -> None:
    """A compose file's `command: -jar DynamoDBLocal.jar -sharedDb -inMemory` as written."""
    server = start_local(
        "-jar", "DynamoDBLocal.jar", "-sharedDb", "-inMemory", "-cors", "*", cwd=tmp_path
    )
    try:
        output = server.output()
        assert "ignored -jar DynamoDBLocal.jar (an option of the Java launcher)" in output
        assert "SharedDb:\ttrue" in output
        assert "InMemory:\ttrue" in output
        assert "CorsParams:\t*" in output
        name = create_table(server.client())
        assert _tables(server, "AKIDOTHER", "eu-west-1") == [name]
        assert not list(tmp_path.iterdir())  # in memory: no file written
    finally:
        server.stop()


def test_db_path_and_optimize_keep_the_data(tmp_path: Path) -> None:
    store = tmp_path / "db"
    store.mkdir()
    server = start_local("-sharedDb", "-dbPath", str(store), cwd=tmp_path)
    try:
        assert f"DbPath:\t{store}" in server.output()
        client = server.client()
        name = create_table(client)
        for number in range(200):
            client.put_item(TableName=name, Item={"pk": {"S": f"{number:0200d}"}})
        client.delete_table(TableName=name)
        kept = create_table(client)
        client.put_item(TableName=kept, Item={"pk": {"S": "kept"}})
    finally:
        server.stop()
    server = start_local(
        "-sharedDb", "-dbPath", str(store), "-optimizeDbBeforeStartup", cwd=tmp_path
    )
    try:
        sizes = re.search(rf"optimized {store}: (\d+) bytes, now (\d+)", server.output())
        assert sizes is not None and int(sizes[2]) < int(sizes[1])  # the free pages went
        item = server.client().get_item(TableName=kept, Key={"pk": {"S": "kept"}})
        assert item["Item"] == {"pk": {"S": "kept"}}
    finally:
        server.stop()


def _tables(server: Server, access_key: str, region: str = "us-east-1") -> Any:
    client = server.client(region=region, aws_access_key_id=access_key, aws_secret_access_key="any")
    return client.list_tables()["TableNames"]


def test_serve_compacts_the_store_before_serving_when_asked(tmp_path: Path) -> None:
    """serve's long spelling of -optimizeDbBeforeStartup."""
    server = Server(tmp_path).start()
    try:
        client = server.client()
        name = create_table(client)
        for number in range(200):
            client.put_item(TableName=name, Item={"pk": {"S": f"{number:0200d}"}})
        client.delete_table(TableName=name)
    finally:
        server.stop()
    server = Server(tmp_path, extra_args=("--optimize-db-before-startup",)).start()
    try:
        sizes = re.search(rf"optimized {tmp_path}: (\d+) bytes, now (\d+)", server.output())
        assert sizes is not None and int(sizes[2]) < int(sizes[1])
        assert server.client().list_tables()["TableNames"] == []
    finally:
        server.stop()
