"""What Contributor Insights costs a request: GetItem and PutItem through the request path in
process (`App.respond`, in-memory store, `--auth off`) on one table, with its insights off and
on (ACCESSED_AND_THROTTLED_KEYS).

GetItem reads one of 1,000 existing keys at random and PutItem writes a new key every time:
more distinct keys a minute than a worker keeps per rule (100), so with insights on the
sketch keeps trimming, the most it costs.

By default the insights are switched between rounds in one process, in the order off, on,
on, off, ... (so a table that grows, or a machine that drifts, weighs on both alike), the
counts flushed to the store between rounds (untimed, as the housekeeper does); the table
gives the median of the rounds in microseconds of the thread's CPU time per request, and
the ratio on / off. A shared machine still moves these by tens of percent from run to run,
so `--instructions` counts instead (valgrind's callgrind, deterministic for the same inputs:
the instructions of N and 5N requests, whose difference over 4N is one request's, start-up
excluded), for this tree with insights off and on, and for a baseline commit (default
3cc3b3b, before Contributor Insights) which has none: off against the baseline is what a
table without insights pays.

Run: python bench/insights.py [--rounds 9] [--requests 20000]
     python bench/insights.py --instructions [--baseline 3cc3b3b] [--requests 250]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OPERATIONS = ("GetItem", "PutItem")

# The measured process, run with either tree on its path: `setup`, then `timed` or `count`.
CHILD = r"""
import json, random, sys, time
from datetime import UTC, datetime
from opendynamo.config import Settings
from opendynamo.server.app import App
from opendynamo.server.http import Incoming

KEYS, TABLE = 1000, "bench"


def incoming(target, payload):
    # As --auth off takes a request: well formed, dated now, its signature unchecked.
    now = datetime.now(UTC)
    scope = f"AKIDBENCH/{now:%Y%m%d}/us-east-1/dynamodb/aws4_request"
    headers = [
        (b"content-type", b"application/x-amz-json-1.0"),
        (b"host", b"127.0.0.1:8000"),
        (b"x-amz-target", f"DynamoDB_20120810.{target}".encode()),
        (b"x-amz-date", now.strftime("%Y%m%dT%H%M%SZ").encode()),
        (b"authorization", f"AWS4-HMAC-SHA256 Credential={scope}, "
                           "SignedHeaders=host;x-amz-date, Signature=abc".encode()),
    ]
    return Incoming("POST", b"/", headers, json.dumps(payload).encode(), False, "http", "127.0.0.1")


def call(app, target, payload):
    reply = app.respond(incoming(target, payload))
    assert reply.status == 200, reply.body


def setup():
    app = App(Settings(in_memory=True, auth="off"))
    app.startup()
    call(app, "CreateTable", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    for key in range(KEYS):
        call(app, "PutItem", {"TableName": TABLE, "Item": {"pk": {"S": f"k{key}"}, "v": {"S": "x" * 200}}})
    return app


def switch(app, on):
    action = "ENABLE" if on else "DISABLE"
    call(app, "UpdateContributorInsights", {"TableName": TABLE, "ContributorInsightsAction": action})


def requests(operation, count, seed):
    rng = random.Random(seed)
    if operation == "GetItem":
        return [incoming("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": f"k{rng.randrange(KEYS)}"}}})
                for _ in range(count)]
    return [incoming("PutItem", {"TableName": TABLE,
                                 "Item": {"pk": {"S": f"n{seed}-{i}"}, "v": {"S": "x" * 200}}})
            for i in range(count)]


def run(app, batch):
    # Microseconds of this thread's CPU time per request.
    respond = app.respond
    started = time.thread_time()
    for request in batch:
        respond(request)
    return (time.thread_time() - started) / len(batch) * 1e6


def timed(rounds, count):
    app = setup()
    for operation in ("GetItem", "PutItem"):
        found = {False: [], True: []}
        for number in range(2 * rounds):
            on = number % 4 in (1, 2)  # off, on, on, off, ...
            switch(app, on)
            batch = requests(operation, count, number)
            run(app, batch[:500])  # warm
            found[on].append(run(app, batch))
            app.recorder.flush(app.store)
        print(json.dumps([operation, found[False], found[True]]))


def counted(operation, state, count):
    app = setup()
    if state == "on":
        switch(app, True)
    batch = requests(operation, count, 1)
    run(app, requests(operation, 200, 0))  # warm
    run(app, batch)


if sys.argv[1] == "time":
    timed(int(sys.argv[2]), int(sys.argv[3]))
else:
    counted(sys.argv[2], sys.argv[3], int(sys.argv[4]))
"""


def child(tree: Path, *args: str, wrapper: tuple[str, ...] = ()) -> str:
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    command = [*wrapper, sys.executable, "-c", CHILD, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True, cwd=tree)
    return done.stdout + done.stderr


def instructions(tree: Path, operation: str, state: str, count: int) -> float:
    """Instructions one request costs: callgrind's count of 5N requests less that of N."""
    totals = []
    for n in (count, 5 * count):
        callgrind = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
        output = child(tree, "count", operation, state, str(n), wrapper=callgrind)
        found = re.search(r"Collected : (\d+)", output)
        assert found is not None, output
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) / (4 * count)


def by_instructions(baseline_rev: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        git = ["git", "-C", str(REPO), "worktree"]
        subprocess.run([*git, "add", "--detach", str(baseline), baseline_rev], check=True,
                       capture_output=True)  # fmt: skip
        try:
            for tree in (baseline, REPO):  # compiles each tree's bytecode before any count
                child(tree, "count", "GetItem", "off", "10")
            print(f"| request | baseline ({baseline_rev}) | off | on | off / baseline | on / off |")
            print("|---|---|---|---|---|---|")
            for operation in OPERATIONS:
                before = instructions(baseline, operation, "off", count)
                off = instructions(REPO, operation, "off", count)
                on = instructions(REPO, operation, "on", count)
                print(
                    f"| {operation} | {before:,.0f} | {off:,.0f} | {on:,.0f} | "
                    f"{off / before:.3f} | {on / off:.3f} |"
                )
        finally:
            subprocess.run([*git, "remove", "--force", str(baseline)], check=True,
                           capture_output=True)  # fmt: skip


def by_time(rounds: int, count: int) -> None:
    print("| request | insights off (µs) | insights on (µs) | on / off |")
    print("|---|---|---|---|")
    for line in child(REPO, "time", str(rounds), str(count)).splitlines():
        operation, off, on = json.loads(line)
        low, high = statistics.median(off), statistics.median(on)
        print(f"| {operation} | {low:.1f} | {high:.1f} | {high / low:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--instructions", action="store_true", help="count instructions")
    parser.add_argument("--baseline", default="3cc3b3b")
    options = parser.parse_args()
    if options.instructions:
        by_instructions(options.baseline, options.requests or 250)
    else:
        by_time(options.rounds, options.requests or 20_000)


if __name__ == "__main__":
    main()
