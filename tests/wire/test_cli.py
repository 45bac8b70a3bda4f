"""The AWS CLI against opendynamo, and the `opendynamo serve` command's own failures.

Behaviour pinned here:
- `aws dynamodb create-table / put-item / get-item / describe-table / list-tables /
  delete-table --endpoint-url <server>` work unchanged, with JSON output shaped as DynamoDB's
  (the CLI is botocore underneath, so it checks x-amz-crc32 and parses the same error bodies).
- An AWS CLI error (here ResourceNotFoundException) exits non-zero with DynamoDB's message.
- `opendynamo serve` exits non-zero with a clear message, instead of serving, when its port is
  taken or its --data-dir cannot be used.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CREDENTIALS, REGION, Server, free_port, unique_name

AWS = Path(sys.executable).with_name("aws")


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the AWS CLI isolated from any user configuration."""
    home = tmp_path_factory.mktemp("aws-home")
    config = home / "config"
    credentials = home / "credentials"
    config.write_text("")
    credentials.write_text("")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in ("HTTP_PROXY", "HTTPS_PROXY")
    }
    env.update(
        HOME=str(home),
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_DEFAULT_OUTPUT="json",
        AWS_PAGER="",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def aws(server: Server, env: dict[str, str], *args: str, check: bool = True) -> Any:
    """Run `aws dynamodb <args>` against the server; the parsed JSON output (None if empty),
    or the CompletedProcess when check is False."""
    command = [str(AWS), "dynamodb", *args]
    command += [
        "--endpoint-url",
        server.endpoint,
        "--region",
        REGION,
        "--output",
        "json",
    ]
    result = subprocess.run(
        command, env=env, check=False, capture_output=True, text=True, timeout=60
    )
    if not check:
        return result
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")
def test_cli_table_and_item_round_trip(server: Server, aws_env: dict[str, str]) -> None:
    name = unique_name("cli")
    created = aws(
        server,
        aws_env,
        "create-table",
        "--table-name",
        name,
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )
    assert created["TableDescription"]["TableName"] == name
    assert created["TableDescription"]["TableStatus"] in ("CREATING", "ACTIVE")

    aws(server, aws_env, "wait", "table-exists", "--table-name", name)

    item = {"pk": {"S": "k1"}, "n": {"N": "1.50"}, "tags": {"SS": ["a", "b"]}}
    assert (
        aws(
            server,
            aws_env,
            "put-item",
            "--table-name",
            name,
            "--item",
            json.dumps(item),
        )
        is None
    )

    got = aws(
        server,
        aws_env,
        "get-item",
        "--table-name",
        name,
        "--key",
        json.dumps({"pk": {"S": "k1"}}),
    )
    assert got["Item"]["pk"] == {"S": "k1"}
    assert got["Item"]["n"] == {"N": "1.5"}
    assert sorted(got["Item"]["tags"]["SS"]) == ["a", "b"]

    described = aws(server, aws_env, "describe-table", "--table-name", name)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["TableArn"] == f"arn:aws:dynamodb:{REGION}:000000000000:table/{name}"
    assert described["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert described["ItemCount"] == 1

    listed = aws(server, aws_env, "list-tables")
    assert name in listed["TableNames"]

    deleted = aws(server, aws_env, "delete-table", "--table-name", name)
    assert deleted["TableDescription"]["TableStatus"] == "DELETING"
    aws(server, aws_env, "wait", "table-not-exists", "--table-name", name)

    result = aws(server, aws_env, "describe-table", "--table-name", name, check=False)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert f"Requested resource not found: Table: {name} not found" in result.stderr


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")
def test_cli_list_tables_paginates(server: Server, aws_env: dict[str, str]) -> None:
    """The CLI follows LastEvaluatedTableName itself (page size 1 forces it to)."""
    names = [unique_name("clp") for _ in range(3)]
    for name in names:
        aws(
            server,
            aws_env,
            "create-table",
            "--table-name",
            name,
            "--attribute-definitions",
            "AttributeName=pk,AttributeType=S",
            "--key-schema",
            "AttributeName=pk,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        )
    try:
        listed = aws(server, aws_env, "list-tables", "--page-size", "1")["TableNames"]
        assert set(names) <= set(listed)
        assert listed == sorted(listed)
    finally:
        for name in names:
            aws(server, aws_env, "delete-table", "--table-name", name)


# --------------------------------------------------------------------------- opendynamo serve


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "opendynamo",
        "serve",
        "--log-level",
        "warning",
        *args,
    ]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)


def test_serve_refuses_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve("--port", str(port), "--in-memory")
    assert result.returncode != 0
    assert str(port) in result.stderr
    assert "in use" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_serve_refuses_an_unusable_data_dir(tmp_path: Path) -> None:
    regular_file = tmp_path / "a-file"
    regular_file.write_text("not a directory")
    data_dir = regular_file / "data"
    result = serve("--port", str(free_port()), "--data-dir", str(data_dir))
    assert result.returncode != 0
    assert str(data_dir) in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    regular_file = tmp_path / "a-file"
    regular_file.write_text("not a directory")
    result = serve("--port", str(free_port()), "--data-dir", str(regular_file))
    assert result.returncode != 0
    assert str(regular_file) in result.stderr
    assert "Traceback" not in result.stderr


def _opendynamo(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "opendynamo", *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)


def test_a_key_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    """An encryption key file should be for its owner alone: the commands say so when it
    is not, and work all the same."""
    key = tmp_path / "store.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    args = ("create-account", "--data-dir", str(tmp_path / "data"))
    shared = _opendynamo(*args, "--encryption-key-file", str(key))
    assert shared.returncode == 0, shared.stderr
    assert f"{key} can be read by other users" in shared.stderr
    key.chmod(0o600)
    private = _opendynamo(*args, "--encryption-key-file", str(key))
    assert private.returncode == 0, private.stderr
    assert "can be read by other users" not in private.stderr


def test_the_root_secret_comes_from_a_file(tmp_path: Path) -> None:
    """--root-secret-access-key-file keeps the secret out of `ps`; it excludes the secret
    given on the command line, and an empty file is refused."""
    secret = tmp_path / "root.secret"
    secret.write_text("")
    result = serve("--port", str(free_port()), "--in-memory", "--auth", "sigv4",
                   "--root-access-key-id", "AKIAFILEROOT00000001",
                   "--root-secret-access-key-file", str(secret))  # fmt: skip
    assert result.returncode != 0 and "is empty" in result.stderr
    secret.write_text("s3cret\n")
    both = serve("--port", str(free_port()), "--in-memory",
                 "--root-access-key-id", "AKIAFILEROOT00000001",
                 "--root-secret-access-key-file", str(secret),
                 "--root-secret-access-key", "other")  # fmt: skip
    assert both.returncode != 0 and "not both" in both.stderr
