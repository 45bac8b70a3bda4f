"""What deciding every request in `opendynamo/authz` costs: the request path in process,
against a baseline commit measured in the same run.

For each tree (this one, and the baseline checked out into a temporary git worktree) a child
process builds the server's application on an in-memory store and times `App.respond` for a
GetItem of an existing item and a PutItem of a new one, under `--auth off` and under
`--auth iam` (root's signed requests, signed once ahead of the loop). Rounds of the two
trees alternate, so a noisy machine disturbs both alike; the table gives the median of the
rounds in microseconds per request and the ratio to the baseline.

Run: python bench/authz.py [--baseline REV] [--rounds 7] [--requests 20000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT_KEY, ROOT_SECRET = "AKIABENCHAUTHZ000001", "bench-authz-root-secret"
MODES = ("off", "iam")
OPERATIONS = ("GetItem", "PutItem")

CHILD = r"""
import json, sys, time
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from opendynamo.config import Settings
from opendynamo.server.app import App
from opendynamo.server.http import Incoming

mode, operation, count, key, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
settings = Settings(in_memory=True, auth=mode, root_access_key_id=key, root_secret_access_key=secret)
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
else:
    requests = [incoming("PutItem", {"TableName": "bench", "Item": {"pk": {"S": f"n{i}"}, "v": {"S": "x" * 200}}})
                for i in range(count)]
for request in requests[:200]:
    app.respond(request)
started = time.perf_counter()
for request in requests:
    app.respond(request)
print((time.perf_counter() - started) / count * 1e6)
"""


def run(tree: Path, mode: str, operation: str, count: int) -> float:
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, operation, str(count), ROOT_KEY, ROOT_SECRET],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=tree,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="HEAD~1", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20000)
    options = parser.parse_args()
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
            times: dict[tuple[str, str, str], list[float]] = {}
            for round_number in range(options.rounds):
                for mode in MODES:
                    for operation in OPERATIONS:
                        for name, tree in trees.items():
                            cell = (name, mode, operation)
                            times.setdefault(cell, []).append(
                                run(tree, mode, operation, options.requests)
                            )
                print(f"round {round_number + 1} of {options.rounds} done", file=sys.stderr)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)],
                check=True,
                capture_output=True,
            )
    print(f"| request | --auth | baseline ({options.baseline}) µs | this µs | ratio |")
    print("|---|---|---|---|---|")
    for mode in MODES:
        for operation in OPERATIONS:
            before = statistics.median(times[("baseline", mode, operation)])
            after = statistics.median(times[("this", mode, operation)])
            print(f"| {operation} | {mode} | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
