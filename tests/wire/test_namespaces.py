"""`serve --namespace`: which tables a request sees, by its access key and region.

Behaviour pinned here:
- `region` (the default, as AWS regions): every access key of the account sees the same
  tables; each region has its own. ARNs show the region asked for and the account.
- `key-region` (DynamoDB Local without -sharedDb): each access key and region has its own
  tables, and so its own streams and PartiQL view; ARNs show the region asked for and an
  account of the key's own (twelve digits, the same on every request), by which the table can
  be named too.
- `shared` (DynamoDB Local's -sharedDb): one set of tables for every key and region; ARNs show
  us-east-1.
- With `--log-level debug` each request's line names the namespace it landed in.
- `key-region` with `--auth sigv4` (or iam) is refused at start, with the reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server
from tests.wire.helpers import create_table, eventually, refused

KEY_A = {"aws_access_key_id": "AKIDALPHA", "aws_secret_access_key": "a"}
KEY_B = {"aws_access_key_id": "AKIDBRAVO", "aws_secret_access_key": "b"}


def serving(*args: str) -> Iterator[Server]:
    server = Server(None, extra_args=args).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def by_region() -> Iterator[Server]:
    yield from serving()


@pytest.fixture(scope="module")
def by_key() -> Iterator[Server]:
    yield from serving("--namespace", "key-region", "--log-level", "debug")


@pytest.fixture(scope="module")
def shared() -> Iterator[Server]:
    yield from serving("--namespace", "shared")


def client(server: Server, key: dict[str, str], region: str = "us-east-1") -> Any:
    return server.client(region=region, **key)


def names(server: Server, key: dict[str, str], region: str = "us-east-1") -> list[str]:
    return list(client(server, key, region).list_tables()["TableNames"])


def test_region_keys_share_regions_apart(by_region: Server) -> None:
    name = create_table(client(by_region, KEY_A))
    assert name in names(by_region, KEY_B)
    assert name not in names(by_region, KEY_A, "eu-west-1")
    arn = client(by_region, KEY_B).describe_table(TableName=name)["Table"]["TableArn"]
    assert arn == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"


def test_key_region_each_key_and_region_its_own(by_key: Server) -> None:
    a, b = client(by_key, KEY_A), client(by_key, KEY_B)
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    name = create_table(a, StreamSpecification=stream)
    assert name in names(by_key, KEY_A)
    assert name not in names(by_key, KEY_B)
    assert name not in names(by_key, KEY_A, "eu-west-1")
    code, _ = refused(lambda: b.put_item(TableName=name, Item={"pk": {"S": "x"}}))
    assert code == "ResourceNotFoundException"
    code, _ = refused(lambda: b.execute_statement(Statement=f'SELECT * FROM "{name}"'))
    assert code == "ResourceNotFoundException"
    streams = by_key.client("dynamodbstreams", **KEY_B).list_streams()["Streams"]
    assert name not in [stream["TableName"] for stream in streams]
    streams = by_key.client("dynamodbstreams", **KEY_A).list_streams()["Streams"]
    assert name in [stream["TableName"] for stream in streams]
    # The name is free for another key: a different table.
    create_table(b, name=name)
    a.put_item(TableName=name, Item={"pk": {"S": "a's"}})
    assert b.scan(TableName=name)["Count"] == 0


def test_key_region_arns_name_the_keys_own_account(by_key: Server) -> None:
    a = client(by_key, KEY_A, "eu-west-1")
    name = create_table(a)
    arn = a.describe_table(TableName=name)["Table"]["TableArn"]
    match = re.fullmatch(rf"arn:aws:dynamodb:eu-west-1:(\d{{12}}):table/{name}", arn)
    assert match is not None and match.group(1) != "000000000000"
    assert a.describe_table(TableName=arn)["Table"]["TableName"] == name
    again = client(by_key, KEY_A, "us-east-1")
    other = create_table(again)
    assert again.describe_table(TableName=other)["Table"]["TableArn"].split(":")[4] == (
        match.group(1)
    )


def test_key_region_debug_line_names_the_namespace(by_key: Server) -> None:
    client(by_key, KEY_B, "ap-south-1").list_tables()
    eventually(
        lambda: re.search(
            r"ListTables - OK 200 .* namespace key AKIDBRAVO in ap-south-1 "
            r"\(account \d{12} in ARNs\)",
            by_key.output(),
        ),
        message=by_key.output,
    )


def test_shared_one_namespace_for_all(shared: Server) -> None:
    name = create_table(client(shared, KEY_A, "eu-west-1"))
    assert name in names(shared, KEY_B)
    assert name in names(shared, KEY_B, "ap-south-1")
    arn = client(shared, KEY_B).describe_table(TableName=name)["Table"]["TableArn"]
    assert arn == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"


def test_key_region_needs_auth_off() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "opendynamo", "serve", "--in-memory", "--port", "0"]
        + ["--namespace", "key-region", "--auth", "sigv4"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert (
        "--namespace key-region gives every access key tables of its own, which needs "
        "--auth off; with --auth sigv4 tables belong to accounts: use --namespace region or "
        "shared"
    ) in " ".join(done.stderr.split())
