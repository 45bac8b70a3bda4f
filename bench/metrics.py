"""What recording DynamoDB's CloudWatch metrics costs on the request path: `App.respond` in
process (bench/authz.py's child), with `--metrics off` against `--metrics on`, in the same
tree and the same run, rounds alternating.

For GetItem of an existing item and PutItem of a new one, under `--auth off` (the cheapest
request path, where a fixed cost weighs most); the table gives the median of the rounds in
microseconds per request, or with `--instructions` valgrind's deterministic instruction
count per request, and the ratio on/off. The issue's bound: at most 3% more.

Run: python bench/metrics.py [--rounds 7] [--requests 20000] [--instructions]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.authz import REPO, instructions, microseconds  # noqa: E402

OPERATIONS = ("GetItem", "PutItem")
SETTINGS = {"off": '{"metrics": false}', "on": '{"metrics": true}'}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--instructions", action="store_true", help="count instructions")
    parser.add_argument("--auth", default="off", choices=("off", "iam"))
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    options = parser.parse_args()
    if options.instructions:
        options.rounds, options.requests = 1, min(options.requests, 250)
    measure = instructions if options.instructions else microseconds
    measure(REPO, options.auth, "GetItem", 10)  # compiles the bytecode first
    found: dict[tuple[str, str], list[float]] = {}
    operations = options.operations.split(",")
    for round_number in range(options.rounds):
        for operation in operations:
            for metrics, settings in SETTINGS.items():
                value = measure(REPO, options.auth, operation, options.requests, settings)
                found.setdefault((operation, metrics), []).append(value)
        print(f"round {round_number + 1} of {options.rounds} done", file=sys.stderr)
    unit = "instructions" if options.instructions else "µs"
    print(f"| request (--auth {options.auth}) | --metrics off {unit} | on {unit} | ratio |")
    print("|---|---|---|---|")
    shown = "{:,.0f}" if options.instructions else "{:.1f}"
    for operation in operations:
        off = statistics.median(found[(operation, "off")])
        on = statistics.median(found[(operation, "on")])
        print(f"| {operation} | {shown.format(off)} | {shown.format(on)} | {on / off:.3f} |")


if __name__ == "__main__":
    main()
