"""What the change log costs a write: PutItem in process, on a table without and with
point-in-time recovery (every write then also appends its change, images before and after).

Rounds alternate between the two tables (the machines are noisy); the medians of the rounds
and their ratio are printed. SQLite in a temporary directory by default; `--backend URL` for a
PostgreSQL database (emptied first: use a scratch one).

Run: python -m bench.changelog [--rounds 5] [--writes 2000] [--backend postgresql://...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

from opendynamo.api.dynamodb import backups, items, tables
from opendynamo.api.request.context import Context
from opendynamo.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--backend", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=data_dir, backend=args.backend)
        if args.backend:
            import psycopg

            with psycopg.connect(args.backend) as conn:
                conn.execute("DROP SCHEMA IF EXISTS opendynamo CASCADE")
        store = settings.open_store()
        ctx = Context(store, "000000000000", "us-east-1", request_id="bench", endpoint="")
        for name in ("plain", "logged"):
            tables.create_table(
                ctx,
                {
                    "TableName": name,
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            )
        backups.update_continuous_backups(
            ctx,
            {
                "TableName": "logged",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
        )
        results: dict[str, list[float]] = {"plain": [], "logged": []}
        for round_ in range(args.rounds):
            for name in ("plain", "logged"):
                results[name].append(_round(ctx, name, round_, args.writes))
        store.close()
    plain, logged = (statistics.median(results[n]) for n in ("plain", "logged"))
    where = "PostgreSQL" if args.backend else "SQLite"
    print(f"PutItem in process, {where}, medians of {args.rounds} rounds of {args.writes}:")
    print(f"  without the change log: {plain:7.1f} us")
    print(f"  with PITR (change log): {logged:7.1f} us  ({logged / plain:.2f}x)")


def _round(ctx: Context, table: str, round_: int, writes: int) -> float:
    body: dict[str, Any] = {"TableName": table}
    started = time.perf_counter()
    for number in range(writes):
        body["Item"] = {
            "pk": {"S": f"user#{number % 500}"},
            "round": {"N": str(round_)},
            "payload": {"S": "x" * 200},
        }
        items.put_item(ctx, body)
    return (time.perf_counter() - started) / writes * 1e6


if __name__ == "__main__":
    main()
