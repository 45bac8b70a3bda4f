"""`opendynamo.embedded()`: a server inside the test process, on a free port of 127.0.0.1,
driven over HTTP with boto3 as `serve` is. It answers from the moment the `with` block
starts, and when the block ends nothing of it is left: no thread, no listening socket, no
open file."""

from __future__ import annotations

import errno
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

import opendynamo
from tests.wire.helpers import create_table, refused

CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def client(endpoint: str, region: str = "us-east-1", **credentials: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"total_max_attempts": 1}),
        **(credentials or CREDENTIALS),
    )


def health(endpoint: str) -> str:
    with urllib.request.urlopen(endpoint + "/", timeout=5) as reply:
        return str(reply.read().decode())


def refuses_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED


def open_files() -> set[str]:
    """What this process's file descriptors point at (sockets, files)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the listing's own descriptor, closed meanwhile
            pass
    return found


def server_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("opendynamo")]


@pytest.fixture
def nothing_left() -> Iterator[None]:
    """The test leaves no opendynamo thread and no open descriptor behind."""
    before = open_files()
    assert server_threads() == []
    yield
    assert server_threads() == []
    assert open_files() - before == set()


def test_serves_from_the_start_of_the_block_and_stops_at_its_end(nothing_left: None) -> None:
    with opendynamo.embedded() as endpoint:
        port = int(endpoint.rsplit(":", 1)[1])
        assert endpoint == f"http://127.0.0.1:{port}"
        assert health(endpoint) == f"healthy: 127.0.0.1:{port} "
        assert server_threads() == [f"opendynamo-embedded-{port}"]
        ddb = client(endpoint)
        name = create_table(ddb)
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}
        ddb.close()
    assert refuses_connections(port)


def test_two_servers_at_once_each_with_its_own_tables(nothing_left: None) -> None:
    with opendynamo.embedded() as first, opendynamo.embedded() as second:
        assert first != second
        one, two = client(first), client(second)
        name = create_table(one)
        assert one.list_tables()["TableNames"] == [name]
        assert two.list_tables()["TableNames"] == []
        one.close()
        two.close()


def test_a_region_is_a_namespace_of_tables(nothing_left: None) -> None:
    """As on `serve`: any region a client names, each with tables of its own."""
    with opendynamo.embedded() as endpoint:
        here, there = client(endpoint, "test-1"), client(endpoint, "test-2")
        name = create_table(here)
        assert here.describe_table(TableName=name)["Table"]["TableArn"] == (
            f"arn:aws:dynamodb:test-1:000000000000:table/{name}"
        )
        assert there.list_tables()["TableNames"] == []
        here.close()
        there.close()


def test_a_data_dir_keeps_the_tables(tmp_path: Path, nothing_left: None) -> None:
    """On SQLite in a directory, the housekeeper and the checkpointer run on threads of
    their own; they end with the block too, and the next server finds the data."""
    with opendynamo.embedded(data_dir=tmp_path) as endpoint:
        ddb = client(endpoint)
        name = create_table(ddb)
        ddb.put_item(TableName=name, Item={"pk": {"S": "kept"}})
        ddb.close()
    assert (tmp_path / "opendynamo.db").exists()
    with opendynamo.embedded(data_dir=str(tmp_path)) as endpoint:
        ddb = client(endpoint)
        assert ddb.get_item(TableName=name, Key={"pk": {"S": "kept"}})["Item"] == {
            "pk": {"S": "kept"}
        }
        ddb.close()


def test_a_given_port(nothing_left: None) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with opendynamo.embedded(port=port) as endpoint:
        assert endpoint == f"http://127.0.0.1:{port}"
        assert health(endpoint).startswith("healthy")


def test_a_taken_port_fails_at_once(nothing_left: None) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError) as raised, opendynamo.embedded(port=taken.getsockname()[1]):
            pass
        assert raised.value.errno == errno.EADDRINUSE


def test_other_settings_by_their_names(nothing_left: None) -> None:
    """`serve`'s settings pass through: here verified signatures with given root keys."""
    keys = {"aws_access_key_id": "AKIDEMBEDDED", "aws_secret_access_key": "right-secret"}
    with opendynamo.embedded(
        auth="sigv4",
        root_access_key_id=keys["aws_access_key_id"],
        root_secret_access_key=keys["aws_secret_access_key"],
    ) as endpoint:
        good = client(endpoint, **keys)
        assert good.list_tables()["TableNames"] == []
        bad = client(endpoint, aws_access_key_id="AKIDEMBEDDED", aws_secret_access_key="wrong")
        assert refused(bad.list_tables) == ("InvalidSignatureException", MISMATCH)
        good.close()
        bad.close()


def test_unknown_auth_mode_and_setting_are_refused(nothing_left: None) -> None:
    with pytest.raises(ValueError) as raised, opendynamo.embedded(auth="none"):
        pass
    assert str(raised.value) == "auth must be one of off, sigv4, iam, not 'none'"
    with pytest.raises(TypeError), opendynamo.embedded(colour="blue"):
        pass
