"""Time to Live sweeps on a large table: one sweep of a table of N items (10,000,000 by
default) of which 1,000 have expired, through the expiry index (engine/expiry) against the full
scan every sweep made before it (`engine/ttl.scan_table`, kept for tables without a usable
index), alternated in the same run; and what keeping the index costs a write.

In process, SQLite on disk:
1. N items are bulk-loaded (engine/bulk, as `opendynamo load`) into a table with TTL off, each
   `{"pk": S, "expires": N, "data": S}` with a moment spread over the next year;
2. TTL is enabled and the index built (the background job run here, `jobs.finish_table`): timed;
3. each round overwrites 1,000 random items with a moment a minute back (one transaction),
   then times one sweep, by the index and by the full scan in turn (each must delete 1,000),
   and puts the deleted items back;
4. the cost of a write: `--writes` PutItem-like writes (`engine/items.write`, one transaction
   each, every one changing the moment) into a small table with TTL on and one with it off,
   alternated, in microseconds of CPU per write.

`--data-dir DIR` keeps the store: a second run with the same DIR and `--items` skips the load
and the build (the 10M-item load takes minutes).

Run: python bench/ttl.py [--items 10000000] [--expired 1000] [--rounds 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opendynamo.api.dynamodb import tables, ttl  # noqa: E402
from opendynamo.api.request.context import Context  # noqa: E402
from opendynamo.config import Settings  # noqa: E402
from opendynamo.engine import catalog, expiry, items, jobs, stats  # noqa: E402
from opendynamo.engine import ttl as sweeper  # noqa: E402
from opendynamo.engine.bulk import load  # noqa: E402
from opendynamo.engine.catalog import TableMeta  # noqa: E402
from opendynamo.model import keycodec  # noqa: E402
from opendynamo.storage.base import Store  # noqa: E402

ACCOUNT, REGION, TABLE = "000000000000", "us-east-1", "expiring"
YEAR = 365 * 86400
KEYS = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}
SPEC = {"Enabled": True, "AttributeName": "expires"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--expired", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writes", type=int, default=20_000, help="per table, over the rounds")
    parser.add_argument("--data-dir", help="keep the store here (reused when it holds --items)")
    return parser.parse_args(argv)


def item(number: int, moment: float) -> dict[str, object]:
    return {"pk": {"S": f"k{number:09d}"}, "expires": {"N": str(moment)}, "data": {"S": "x" * 40}}


def lines(count: int, now: int) -> Iterator[bytes]:
    for number in range(count):
        yield orjson.dumps({"Item": item(number, now + 3600 + number * 7919 % YEAR)})


def table(store: Store, name: str = TABLE) -> TableMeta:
    with store.read() as txn:
        meta = catalog.find_table(txn, ACCOUNT, REGION, name)
    assert meta is not None
    return meta


def prepare(store: Store, ctx: Context, count: int) -> None:
    """The table of `count` items with TTL on and its index built, unless the store has it."""
    with store.read() as txn:
        meta = catalog.find_table(txn, ACCOUNT, REGION, TABLE)
        held = 0 if meta is None else stats.read(txn, meta)[0]
    # A run stopped between a sweep and putting its items back leaves a few missing.
    if meta is not None and expiry.state(meta) == {"state": "ACTIVE"} and held > count * 0.99:
        print(f"reusing the table of {held:,} items and its index", flush=True)
        return
    if meta is not None:
        tables.delete_table(ctx, {"TableName": TABLE})
    tables.create_table(ctx, {"TableName": TABLE, **KEYS})
    started = time.perf_counter()
    load(store, ACCOUNT, REGION, TABLE, lines(count, int(time.time())))
    seconds = time.perf_counter() - started
    print(f"loaded {count:,} items in {seconds:.0f} s ({count / seconds:,.0f}/s)", flush=True)
    ttl.update_time_to_live(ctx, {"TableName": TABLE, "TimeToLiveSpecification": SPEC})
    started = time.perf_counter()
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    seconds = time.perf_counter() - started
    print(f"built the index of {count:,} items in {seconds:.0f} s "
          f"({count / seconds:,.0f} items/s)", flush=True)  # fmt: skip


def expire(store: Store, count: int, expired: int, rng: random.Random) -> list[int]:
    """Give `expired` random items a moment a minute back, in one transaction; their numbers."""
    chosen = rng.sample(range(count), expired)
    put(store, chosen, time.time() - 60)
    return chosen


def put(store: Store, numbers: list[int], moment: float) -> None:
    """Write the items of these numbers with this moment, in one transaction."""
    meta = table(store)
    with store.write() as txn:
        tally = stats.Tally()
        for number in numbers:
            key = keycodec.encode_key({"S": f"k{number:09d}"}, None)
            items.write(txn, meta, key, items.replacing(item(number, moment)), tally=tally)
        tally.apply(txn)


def timed_sweep(store: Store, how: str, expired: int) -> float:
    started = time.perf_counter()
    if how == "index":
        deleted = sweeper.sweep(store, store.now())
    else:
        deleted = sweeper.scan_table(store, table(store), store.now())
    seconds = time.perf_counter() - started
    assert deleted == expired, f"the {how} sweep deleted {deleted}, not {expired}"
    return seconds


def write_costs(store: Store, ctx: Context, writes: int, rounds: int) -> dict[str, float]:
    """Microseconds of CPU per write into a table with TTL on and one with it off (medians of
    alternated rounds); every write gives the item a new moment."""
    for name in ("plain", "ttl"):
        tables.create_table(ctx, {"TableName": name, **KEYS})
    ttl.update_time_to_live(ctx, {"TableName": "ttl", "TimeToLiveSpecification": SPEC})
    jobs.finish_table(store, ACCOUNT, REGION, "ttl")
    per_round = max(1, writes // rounds)
    found: dict[str, list[float]] = {"plain": [], "ttl": []}
    base = time.time() + 3600
    for turn in range(rounds * 2 + 2):  # a round of each to warm up, then alternated
        name = ("plain", "ttl")[turn % 2]
        meta = table(store, name)
        started = time.process_time()  # CPU time: others' load on a shared machine adds none
        for number in range(per_round):
            new = item(number, base + turn * per_round + number)
            key = keycodec.encode_key({"S": f"k{number:09d}"}, None)
            with store.write() as txn:
                items.write(txn, meta, key, items.replacing(new))
        if turn >= 2:
            found[name].append((time.process_time() - started) / per_round * 1e6)
    return {name: statistics.median(values) for name, values in found.items()}


def run(options: argparse.Namespace, data_dir: str) -> None:
    store = Settings(data_dir=data_dir).open_store(bulk=True)
    ctx = Context(store, ACCOUNT, REGION, request_id="bench", endpoint="")
    prepare(store, ctx, options.items)
    rng = random.Random(1)
    found: dict[str, list[float]] = {"index": [], "scan": []}
    for number in range(options.rounds):
        for how in ("index", "scan") if number % 2 == 0 else ("scan", "index"):
            chosen = expire(store, options.items, options.expired, rng)
            seconds = timed_sweep(store, how, options.expired)
            found[how].append(seconds)
            put(store, chosen, time.time() + YEAR)  # back as they were: the table keeps N items
            print(f"round {number + 1}: {how} sweep {seconds:.3f} s", flush=True)
    costs = write_costs(store, ctx, options.writes, options.rounds)
    for name in ("plain", "ttl"):
        tables.delete_table(ctx, {"TableName": name})
    store.close()
    index, scan = statistics.median(found["index"]), statistics.median(found["scan"])
    print("\n| items | expired | sweep by the index | full scan (before) | ratio |")
    print("|--:|--:|--:|--:|--:|")
    print(f"| {options.items:,} | {options.expired:,} | {index * 1000:,.1f} ms "
          f"| {scan:,.2f} s | {scan / index:,.0f}x |")  # fmt: skip
    print(f"\nwrite (µs of CPU, median of {options.rounds}): TTL off {costs['plain']:.1f}, "
          f"TTL on {costs['ttl']:.1f} (+{costs['ttl'] - costs['plain']:.1f})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if options.data_dir:
        os.makedirs(options.data_dir, exist_ok=True)
        run(options, options.data_dir)
        return 0
    with tempfile.TemporaryDirectory(prefix="opendynamo-ttl-") as data_dir:
        run(options, data_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
