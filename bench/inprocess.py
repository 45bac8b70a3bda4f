"""The request path in process: microseconds per request of bench/run.py's scenarios, by
`App.respond` without HTTP, against a baseline commit measured in the same run.

Each child process builds the server's application as `opendynamo serve` does (SQLite on disk
in a temporary data dir, `--auth sigv4` with a root key, CloudWatch metrics on), preloads the
scenario's table, signs the scenario's requests (bench/requests.py, the very bodies wrk
replays) and times `App.respond` over them in CPU time (the process's, so that time the
machine gives to other processes does not count) in ten blocks, the fastest of which counts, `--group` requests to a group commit (as the
server answers as many as arrived in one turn of its event loop: about c of them). Rounds of this tree and the baseline's alternate, so a noisy machine disturbs
both alike; the table gives medians. `--profile` instead prints cProfile's top functions of
one round of this tree.

Run: python bench/inprocess.py [--baseline REV] [--scenarios get,put,update,query,batch]
                               [--rounds 5] [--requests 5000] [--group 16] [--profile]
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

SCENARIOS = ("get", "put", "update", "query", "batch")

CHILD = r"""
import cProfile, pstats, sys, tempfile, time
from datetime import UTC, datetime
from bench import requests as reqs
from opendynamo.config import Settings
from opendynamo.server.app import App
from opendynamo.server.http import Incoming

scenario, count, profile, group = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
key, secret = "AKIABENCHINPROCESS01", "bench-in-process-secret"
folder = tempfile.mkdtemp(prefix="bench-inprocess-")
settings = Settings(data_dir=folder, auth="sigv4", root_access_key_id=key, root_secret_access_key=secret)
app = App(settings)
app.startup()
store = app.store
endpoint = reqs.Endpoint("127.0.0.1:8000", key, secret)
data = reqs.Dataset(items=2_000, partitions=200)

def incoming(request):
    headers = [(name.lower().encode(), value.encode()) for name, value in request.headers]
    return Incoming(request.method, request.path.encode(), headers, request.body, False, "http", "127.0.0.1")

def respond(request, last=True):
    if not store._grouping:
        store.begin_group()
    reply = app.respond(request)
    if last:
        store.end_group()
    assert reply.status == 200, reply.body
    return reply

def call(operation, body):
    built = reqs.Signer(endpoint, datetime.now(UTC)).sign_all([(operation, __import__("orjson").dumps(body))])
    respond(incoming(built[0]))

for table, sort in ((reqs.ITEMS_TABLE, False), (reqs.QUERY_TABLE, True), *((t, False) for t in reqs.WRITE_TABLES)):
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "S"})
    call("CreateTable", {"TableName": table, "BillingMode": "PAY_PER_REQUEST", "KeySchema": keys, "AttributeDefinitions": attributes})
items, rows = reqs.preload_items(data)
for table, loaded in ((reqs.ITEMS_TABLE, items), (reqs.QUERY_TABLE, rows)):
    for start in range(0, len(loaded), 25):
        puts = [{"PutRequest": {"Item": item}} for item in loaded[start:start + 25]]
        call("BatchWriteItem", {"RequestItems": {table: puts}})
built = reqs.build(scenario, endpoint, data, count + 200, seed=1, namespace="inprocess", when=datetime.now(UTC))
requests = [incoming(request) for request in built]
for request in requests[:200]:
    respond(request)
requests = requests[200:]
if profile:
    profiler = cProfile.Profile()
    profiler.enable()
block = max(group, count // 10 // group * group)  # ten blocks: the fastest one counts
best = float("inf")
for start in range(0, count - block + 1, block):
    started = time.process_time()
    for number, request in enumerate(requests[start:start + block], 1):
        respond(request, number % group == 0)
    store.end_group()
    app.flush_metrics()  # the samples' share of the housekeeper's work
    best = min(best, (time.process_time() - started) / block)
if profile:
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(45)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumtime").print_stats(60)
print(best * 1e6)
app.shutdown()
__import__("shutil").rmtree(folder, ignore_errors=True)  # its data dir, a few MB a round
"""


def run(tree: Path, scenario: str, count: int, group: int, profile: bool = False) -> str:
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    command = [
        sys.executable,
        "-c",
        CHILD,
        scenario,
        str(count),
        "1" if profile else "0",
        str(group),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tree)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    if profile:
        print(done.stderr)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="", help="a commit to compare with")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--group", type=int, default=16, help="requests per group commit")
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    scenarios = options.scenarios.split(",")
    if options.profile:
        for scenario in scenarios:
            print(
                f"== {scenario}: {float(run(REPO, scenario, options.requests, options.group, True)):.1f} µs"
            )
        return
    with trees.trees(options.baseline) as compared:
        print(
            "| scenario | " + " | ".join(compared) + (" | ratio |" if len(compared) > 1 else " |")
        )
        print("|---|" + "--:|" * (len(compared) + (len(compared) > 1)))
        for scenario in scenarios:
            times: dict[str, list[float]] = {name: [] for name in compared}
            for _ in range(options.rounds):
                for name, tree in compared.items():
                    times[name].append(float(run(tree, scenario, options.requests, options.group)))
            medians = [statistics.median(values) for values in times.values()]
            cells = " | ".join(f"{value:.1f} µs" for value in medians)
            ratio = f" | {medians[1] / medians[0]:.2f}" if len(medians) > 1 else ""
            print(f"| {scenario} | {cells}{ratio} |", flush=True)


if __name__ == "__main__":
    main()
