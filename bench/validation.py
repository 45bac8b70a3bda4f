"""Input validation alone: microseconds per `validate_input` call of each hot operation, on
the bodies bench/run.py's scenarios send (bench/requests.py) and a few more of the same kind,
against a baseline commit measured in the same run.

Each child process imports the tree's `validate_input`, validates each body once (the
operation's checks are compiled at its first request) and then times `--calls` calls per
body, taking the best of 5 repeats. Rounds of this tree and the baseline's alternate, so a
noisy machine disturbs both alike; the table gives medians.

Run: python bench/validation.py [--baseline REV] [--rounds 5] [--calls 20000]
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)  # run as a script: import `bench` as a package

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402

from bench import trees  # noqa: E402

CHILD = r"""
import random, sys, timeit
from bench import requests as reqs
from opendynamo.api.request.shapes import validate_input

calls = int(sys.argv[1])
data = reqs.Dataset(items=2_000, partitions=200)
rng = random.Random(1)
item = reqs.item("k00000001", rng)
key = {"pk": {"S": "k00000001"}}
cases = [("GetItem", reqs.bodies("get", data, 1, 1, "v")[0][1])]
for scenario in ("put", "update", "query", "scan", "batch", "transact"):
    cases.append(reqs.bodies(scenario, data, 1, 1, "v")[0])
cases[4] = ("Scan", {**cases[4][1], "ExclusiveStartKey": key})
cases += [
    ("DeleteItem", {"TableName": reqs.ITEMS_TABLE, "Key": key, "ReturnValues": "ALL_OLD"}),
    ("BatchGetItem", {"RequestItems": {reqs.ITEMS_TABLE: {"Keys": [
        {"pk": {"S": reqs.key(i)}} for i in range(25)]}}}),
    ("TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": reqs.ITEMS_TABLE, "Key": {"pk": {"S": reqs.key(i)}}}}
        for i in range(4)]}),
    ("ExecuteStatement", {"Statement": 'SELECT * FROM "bench-items" WHERE pk = ?',
                          "Parameters": [{"S": "k00000001"}]}),
]
for operation, body in cases:
    validate_input(operation, body, may_hold_null=False)
    best = min(timeit.repeat(
        lambda: validate_input(operation, body, may_hold_null=False), number=calls, repeat=5))
    print(operation, best / calls * 1e6)
"""


def run(tree: Path, calls: int) -> dict[str, float]:
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(calls)], capture_output=True, text=True, env=env, cwd=tree
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    lines = (line.rsplit(" ", 1) for line in done.stdout.splitlines())
    return {operation: float(micros) for operation, micros in lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="", help="a commit to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20000)
    options = parser.parse_args()
    with trees.trees(options.baseline) as compared:
        names = list(compared)
        times: dict[str, dict[str, list[float]]] = {name: {} for name in names}
        for _ in range(options.rounds):
            for name, tree in compared.items():
                for operation, micros in run(tree, options.calls).items():
                    times[name].setdefault(operation, []).append(micros)
    print("| operation | " + " | ".join(names) + (" | ratio |" if len(names) > 1 else " |"))
    print("|---|" + "--:|" * (len(names) + (len(names) > 1)))
    for operation in times[names[0]]:
        medians = [statistics.median(times[name][operation]) for name in names]
        cells = " | ".join(f"{value:.2f} µs" for value in medians)
        ratio = f" | {medians[1] / medians[0]:.2f}" if len(medians) > 1 else ""
        print(f"| {operation} | {cells}{ratio} |", flush=True)


if __name__ == "__main__":
    main()
