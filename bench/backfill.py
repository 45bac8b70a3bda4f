"""Does background work stall requests? GetItem latency while a GSI is backfilled over
100,000 items, against the same server with nothing in the background, and against a
baseline commit measured in the same run.

For each tree (this one, and `--baseline` checked out into a temporary git worktree): a
one-worker server on SQLite (`--auth off`), 100,000 items loaded with `opendynamo load`, then
GetItem requests from two client threads on keep-alive connections (a separate process) for
`--seconds` with no background work, and again from the moment an UpdateTable adds a GSI until
the index is ACTIVE. The table gives p50 and p99 (ms) of each phase and the p99 ratio
backfill/idle; the issue's bar is 2x.

Run: python bench/backfill.py [--baseline REV] [--items 100000] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import Server  # noqa: E402
from tests.wire.http import unverified_auth  # noqa: E402

TABLE = "backfill"


def call(connection: object, operation: str, payload: dict[str, object]) -> bytes:
    import http.client

    assert isinstance(connection, http.client.HTTPConnection)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        **unverified_auth(),
    }
    connection.request("POST", "/", body=json.dumps(payload).encode(), headers=headers)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    return body


def latencies(port: int, items: int, until: threading.Event, threads: int = 2) -> list[float]:
    """GetItem latencies (ms) from `threads` keep-alive connections until `until` is set."""
    import http.client

    found: list[float] = []

    def client(seed: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = seed
        while not until.is_set():
            n = (n * 7919 + 1) % items
            started = time.perf_counter()
            call(connection, "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": f"k{n}"}}})
            found.append((time.perf_counter() - started) * 1000)
        connection.close()

    workers = [threading.Thread(target=client, args=(seed,)) for seed in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(tree: Path, items: int, seconds: float, scratch: Path) -> dict[str, float]:
    env = {
        "PYTHONPATH": str(tree),
        **{k: v for k, v in os.environ.items() if k.startswith("OPENDYNAMO_")},
    }
    data = scratch / f"data-{os.urandom(4).hex()}"
    server = Server(data, workers=1, env=env).start()
    try:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        call(connection, "CreateTable", {
            "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        })  # fmt: skip
        lines = "".join(
            json.dumps({"Item": {"pk": {"S": f"k{n}"}, "g": {"S": f"g{n % 100}"},
                                  "v": {"S": "x" * 100}}}) + "\n"
            for n in range(items)
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "opendynamo", "load", "--data-dir", str(data),
             "--table", TABLE, "-"],
            input=lines.encode(), check=True, capture_output=True, env={**os.environ, **env},
        )  # fmt: skip
        stop = threading.Event()
        timer = threading.Timer(seconds, stop.set)
        timer.start()
        idle = latencies(server.port, items, stop)
        call(connection, "UpdateTable", {
            "TableName": TABLE,
            "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {
                "IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}}],
        })  # fmt: skip
        started = time.perf_counter()
        done = threading.Event()

        def watch() -> None:
            watcher = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            while True:
                table = json.loads(call(watcher, "DescribeTable", {"TableName": TABLE}))
                if table["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE":
                    done.set()
                    return
                time.sleep(0.05)

        threading.Thread(target=watch).start()
        busy = latencies(server.port, items, done)
        backfill_seconds = time.perf_counter() - started
        return {
            "idle_p50": percentile(idle, 0.5),
            "idle_p99": percentile(idle, 0.99),
            "backfill_p50": percentile(busy, 0.5),
            "backfill_p99": percentile(busy, 0.99),
            "backfill_seconds": backfill_seconds,
            "requests_during_backfill": float(len(busy)),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="HEAD~1")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), options.baseline],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            trees = {"baseline": baseline, "this": ROOT}
            results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
            for round_number in range(options.rounds):
                for name, tree in trees.items():
                    results[name].append(
                        measure(tree, options.items, options.seconds, Path(scratch))
                    )
                print(f"round {round_number + 1} of {options.rounds} done", file=sys.stderr)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                check=True, capture_output=True,
            )  # fmt: skip
    print("| tree | idle p50 | idle p99 | backfill p50 | backfill p99 | p99 ratio | backfill s |")
    print("|---|---|---|---|---|---|---|")
    for name in trees:
        rows = results[name]
        med = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        ratio = statistics.median(row["backfill_p99"] / row["idle_p99"] for row in rows)
        label = f"{name} ({options.baseline})" if name == "baseline" else name
        print(
            f"| {label} | {med['idle_p50']:.2f} | {med['idle_p99']:.2f} | "
            f"{med['backfill_p50']:.2f} | {med['backfill_p99']:.2f} | {ratio:.2f}x | "
            f"{med['backfill_seconds']:.1f} |"
        )


if __name__ == "__main__":
    main()
