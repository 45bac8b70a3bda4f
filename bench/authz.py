"""What deciding every request in `opendynamo/authz` costs: the request path in process,
against a baseline commit measured in the same run.

For each tree (this one, and the baseline checked out into a temporary git worktree) a child
process builds the server's application on an in-memory store and times `App.respond` for a
GetItem of an existing item, a PutItem of a new one, and their PartiQL twins (ExecuteStatement
of a SELECT by key, and of an UPDATE of one item), under `--auth off` and under `--auth iam`
(root's signed requests, signed once ahead of the loop). Rounds of the two
trees alternate, so a noisy machine disturbs both alike; the table gives the median of the
rounds in microseconds per request and the ratio to the baseline.

Times on a shared machine drift by tens of percent between runs, so `--instructions` counts
instead (valgrind's callgrind, which is deterministic for the same inputs): the instructions
of N and 5N requests, whose difference over 4N is what one request costs, start-up excluded.

Run: python bench/authz.py [--baseline REV] [--rounds 7] [--requests 20000] [--instructions]
                           [--operations GetItem,PutItem,PartiQLSelect,PartiQLUpdate]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT_KEY, ROOT_SECRET = "AKIABENCHAUTHZ000001", "bench-authz-root-secret"
MODES = ("off", "iam")
OPERATIONS = ("GetItem", "PutItem", "PartiQLSelect", "PartiQLUpdate")

CHILD = r"""
import json, sys, time
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from opendynamo.config import Settings
from opendynamo.server.app import App
from opendynamo.server.http import Incoming

mode, operation, count, key, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
more = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}  # further Settings (bench/metrics)
settings = Settings(in_memory=True, auth=mode, root_access_key_id=key, root_secret_access_key=secret, **more)
app = App(settings)
app.startup()

def incoming(target, payload):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + target}
    request = AWSRequest("POST", "http://127.0.0.1:8000/", data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "dynamodb", "us-east-1").add_auth(request)
    pairs = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    pairs.append((b"host", b"127.0.0.1:8000"))
    return Incoming("POST", b"/", pairs, body, False, "http", "127.0.0.1")

def call(target, payload):
    reply = app.respond(incoming(target, payload))
    assert reply.status == 200, reply.body

call("CreateTable", {"TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
     "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
     "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
call("PutItem", {"TableName": "bench", "Item": {"pk": {"S": "k"}, "v": {"S": "x" * 200}}})
if operation == "GetItem":
    requests = [incoming("GetItem", {"TableName": "bench", "Key": {"pk": {"S": "k"}}})] * count
elif operation == "PartiQLSelect":
    statement = {"Statement": "SELECT * FROM bench WHERE pk = 'k'"}
    requests = [incoming("ExecuteStatement", statement)] * count
elif operation == "PartiQLUpdate":
    statement = {"Statement": "UPDATE bench SET v = ? WHERE pk = 'k'",
                 "Parameters": [{"S": "y" * 200}]}
    requests = [incoming("ExecuteStatement", statement)] * count
else:
    requests = [incoming("PutItem", {"TableName": "bench", "Item": {"pk": {"S": f"n{i}"}, "v": {"S": "x" * 200}}})
                for i in range(count)]
for request in requests[:200]:
    app.respond(request)
started = time.perf_counter()
for request in requests:
    app.respond(request)
getattr(app, "flush_metrics", lambda: None)()  # the samples' share of the housekeeper's work
print((time.perf_counter() - started) / count * 1e6)
"""


def run(
    tree: Path, mode: str, operation: str, count: int, *wrapper: str, settings: str = "{}"
) -> str:
    """The child's output; `settings` (JSON) sets further server settings."""
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-c", CHILD, mode, operation, str(count), ROOT_KEY, ROOT_SECRET]
    command.append(settings)
    done = subprocess.run(
        [*wrapper, *command], capture_output=True, text=True, env=env, check=True, cwd=tree
    )
    return done.stdout + done.stderr


def microseconds(tree: Path, mode: str, operation: str, count: int, settings: str = "{}") -> float:
    return float(run(tree, mode, operation, count, settings=settings).split("\n")[0].strip())


def instructions(tree: Path, mode: str, operation: str, count: int, settings: str = "{}") -> float:
    """Instructions one request costs: callgrind's count of 5N requests less that of N."""
    totals = []
    for n in (count, 5 * count):
        output = run(tree, mode, operation, n, "valgrind", "--tool=callgrind",
                     "--callgrind-out-file=/dev/null", settings=settings)  # fmt: skip
        found = re.search(r"Collected : (\d+)", output)
        assert found is not None, output
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) / (4 * count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="HEAD~1", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions (valgrind), not time"
    )
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    options = parser.parse_args()
    operations = options.operations.split(",")
    if options.instructions:
        options.rounds, options.requests = 1, min(options.requests, 250)
    measure = instructions if options.instructions else microseconds
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "worktree",
                "add",
                "--detach",
                str(baseline),
                options.baseline,
            ],
            check=True,
            capture_output=True,
        )
        try:
            trees = {"baseline": baseline, "this": REPO}
            for tree in trees.values():  # compiles each tree's bytecode before any measure
                run(tree, "off", "GetItem", 10)
            times: dict[tuple[str, str, str], list[float]] = {}
            for round_number in range(options.rounds):
                for mode in MODES:
                    for operation in operations:
                        for name, tree in trees.items():
                            cell = (name, mode, operation)
                            times.setdefault(cell, []).append(
                                measure(tree, mode, operation, options.requests)
                            )
                print(f"round {round_number + 1} of {options.rounds} done", file=sys.stderr)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)],
                check=True,
                capture_output=True,
            )
    unit = "instructions" if options.instructions else "µs"
    print(f"| request | --auth | baseline ({options.baseline}) {unit} | this {unit} | ratio |")
    print("|---|---|---|---|---|")
    for mode in MODES:
        for operation in operations:
            before = statistics.median(times[("baseline", mode, operation)])
            after = statistics.median(times[("this", mode, operation)])
            shown = "{:,.0f}" if options.instructions else "{:.1f}"
            cells = (shown.format(before), shown.format(after), f"{after / before:.2f}")
            print(f"| {operation} | {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
