"""The scale run: does opendynamo keep GetItem and Query throughput and latency on a large
table as on a small one, how fast does it bulk-load, and how much memory does it use?

For each size in `--sizes`: a fresh data dir; opendynamo started as bench/run.py starts it
(pinned to core 0, `--auth sigv4`, 1 worker) only to create the GetItem and Query tables,
then stopped; the items streamed through a pipe into `opendynamo load` (pinned to core 0;
this process generates the lines), once for `size` items keyed `key(i)` and once for `size`
items in `size / 10` Query partitions, timed around the subprocess; the data dir read once
into the OS page cache, as a server that has been answering for a while has it (the share
cached after the load and after the reads is reported); the server started again on the
loaded data dir, then GetItem of random existing keys and Query of random existing
partitions, both drawn from the whole key range, measured with wrk as run.py measures them
(warm-up, `--rounds` runs, medians, answers checked); then the server's RSS and the data
dir's size on disk. Prints a markdown table with the large/small ratios and writes
bench/results/scale.json.

    python bench/scale.py                                    # 10k and 10M items
    python bench/scale.py --sizes 10000,1000000 --duration 5 --rounds 3
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # see run.py: bench/requests.py must not hide `requests`

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402

from bench import measure, run, targets  # noqa: E402
from bench import requests as reqs  # noqa: E402

RESULTS = ROOT / "bench" / "results"
READ_RATE = 15_000  # requests per second a read list is sized for, so it is hardly replayed
READ_LIST_MAX = 300_000
CHUNK = 2_000  # lines written to the loader's pipe at once
TABLES = (reqs.ITEMS_TABLE, reqs.QUERY_TABLE)  # GetItem reads the first, Query the second


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    assert __doc__
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--sizes", default="10000,10000000", help="items per table, e.g. 10000")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of one timed run")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per cell (median)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per cell")
    parser.add_argument("--connections", default="1,16", help="keep-alive connections, e.g. 1,16")
    parser.add_argument("--seed", type=int, default=1, help="seed of the items and keys read")
    parser.add_argument("--output", type=Path, default=RESULTS / "scale.json")
    options = parser.parse_args(argv)
    options.sizes = [int(s.replace("_", "")) for s in run._csv(options.sizes)]
    options.connections = [int(c) for c in run._csv(options.connections)]
    if any(s < reqs.QUERY_PAGE or s % reqs.QUERY_PAGE for s in options.sizes):
        parser.error(f"sizes must be multiples of {reqs.QUERY_PAGE}")
    return options


def _lines(table: str, size: int, seed: int) -> Iterator[reqs.Item]:
    """The items of one table, as targets.preload's items have them, generated lazily."""
    rng = random.Random(f"{seed}:{table}")
    if table == reqs.ITEMS_TABLE:
        for i in range(size):
            yield reqs.item(reqs.key(i), rng)
    else:
        for p in range(size // reqs.QUERY_PAGE):
            for s in range(reqs.QUERY_PAGE):
                yield reqs.item(reqs.partition(p), rng, {"sk": {"S": f"s{s:02d}"}})


def bulk_load(data_dir: Path, table: str, size: int, seed: int) -> dict[str, Any]:
    """Stream `size` items into `opendynamo load` (pinned to the server core); the rate is
    timed here, from starting the loader to its exit."""
    command = [
        "taskset", "-c", targets.SERVER_CORE, sys.executable, "-m", "opendynamo", "load",
        "--data-dir", str(data_dir), "--table", table, "-",
    ]  # fmt: skip
    started = time.monotonic()
    loader = subprocess.Popen(
        command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, bufsize=1 << 20
    )
    assert loader.stdin is not None
    chunk: list[bytes] = []
    try:
        for item in _lines(table, size, seed):
            chunk.append(orjson.dumps({"Item": item}))
            if len(chunk) == CHUNK:
                loader.stdin.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            loader.stdin.write(b"\n".join(chunk) + b"\n")
        loader.stdin.close()
    except BrokenPipeError:
        pass  # the loader failed: its status and stderr say why
    stderr = loader.stderr.read().decode(errors="replace") if loader.stderr else ""
    status = loader.wait()
    seconds = time.monotonic() - started
    if status != 0:
        raise RuntimeError(f"opendynamo load {table} failed ({status}): {stderr.strip()}")
    rate = size / seconds
    print(f"   loaded {size:,} items into {table} in {seconds:.1f} s ({rate:,.0f} items/s)",
          file=sys.stderr, flush=True)  # fmt: skip
    return {"items": size, "seconds": seconds, "items_per_s": rate, "loader": stderr.strip()}


def rss_bytes(session: int) -> tuple[int, int]:
    """VmRSS summed over the processes of the server's session, and their count."""
    total = count = 0
    for pid in targets._pids():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[3]) != session:
                    continue
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        count += 1
        except OSError:
            continue  # exited meanwhile
    return total, count


def cached_fraction(folder: Path) -> float | None:
    """The share of the data dir's bytes held in the OS page cache (util-linux `fincore`),
    or None when it cannot be told."""
    files = [str(p) for p in folder.rglob("*") if p.is_file()]
    try:
        out = subprocess.run(
            ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE", *files],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    pairs = [tuple(int(n) for n in line.split()) for line in out.splitlines() if line.strip()]
    total = sum(size for _, size in pairs)
    return sum(res for res, _ in pairs) / total if total else None


def warm_page_cache(folder: Path) -> None:
    """Read every file of the data dir once, so the OS page cache holds it as it would on a
    server that has been answering for a while. (On a VM whose balloon driver hands free
    memory back to the host, the cache of the freshly loaded file is gone within minutes.)"""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb", buffering=0) as stream:
                while stream.read(1 << 22):
                    pass


def disk_bytes(folder: Path) -> int:
    """Bytes the data dir takes on disk (allocated blocks)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def measure_reads(
    running: targets.Running,
    data: reqs.Dataset,
    scenario: reqs.Scenario,
    connections: int,
    options: argparse.Namespace,
    folder: Path,
) -> measure.Cell:
    """Warm-up and rounds of a read scenario, keys drawn from the whole dataset. Each run
    gets a list of its own, long enough not to repeat: replay.lua starts every run at the
    top of its list, so with run.py's one list of 20,000 the warm-up would read exactly the
    rows the rounds read (all of them cached), whatever the size of the table."""
    name = f"{scenario.name}-c{connections}"

    def replay(tag: str, run_seconds: float) -> measure.Run:
        count = min(READ_LIST_MAX, max(run.READ_LIST, int(READ_RATE * run_seconds)))
        path = run._write_list(
            folder / f"{name}.txt", running, data, scenario.name, count, options.seed,
            f"{name}-{tag}",
        )  # fmt: skip
        return measure.run_wrk(
            running.url, path, connections, run_seconds, scenario.checks, running.cpu_seconds
        )

    warmup = replay("w", options.warmup)
    rounds = tuple(replay(f"r{n}", options.duration) for n in range(options.rounds))
    return measure.Cell(rounds, warmup)


@dataclass
class SizeResult:
    size: int
    loads: dict[str, dict[str, Any]]
    cells: dict[str, dict[str, Any]]  # "get-c16" -> Cell.summary()
    rss_bytes: int
    server_processes: int
    db_bytes: int
    failures: list[str]
    cached: dict[str, float | None]  # share of the data dir in the page cache, by moment


def _server(data_root: Path, size: int) -> targets.Target:
    """opendynamo as run.py starts it, on a data dir that outlives the server."""
    return targets.Target(
        "opendynamo",
        lambda port, _workdir: targets._opendynamo(port, data_root),
        reqs.Dataset(size, size // reqs.QUERY_PAGE),
        about="--auth sigv4, 1 worker, SQLite on disk, bulk-loaded",
    )


def measure_size(size: int, options: argparse.Namespace) -> SizeResult:
    print(f"== {size:,} items", file=sys.stderr, flush=True)
    root = Path(tempfile.mkdtemp(prefix=f"bench-scale-{size}-"))  # on disk, not tmpfs
    data_dir = root / "data"
    target = _server(root, size)
    failures: list[str] = []
    try:
        running = targets.start(target)
        try:
            ddb = running.client()
            targets._create(ddb, reqs.ITEMS_TABLE)
            targets._create(ddb, reqs.QUERY_TABLE, sort_key=True)
            targets._wait_active(ddb, [reqs.ITEMS_TABLE, reqs.QUERY_TABLE])
        finally:
            running.stop()
        loads = {t: bulk_load(data_dir, t, size, options.seed) for t in TABLES}
        cached = {"after load": cached_fraction(data_dir)}
        warm_page_cache(data_dir)
        cached["after warming"] = cached_fraction(data_dir)
        running = targets.start(target, timeout=300)
        cells: dict[str, dict[str, Any]] = {}
        try:
            with tempfile.TemporaryDirectory(prefix="bench-lists-") as folder:
                for name in ("get", "query"):
                    scenario = reqs.SCENARIOS[name]
                    for connections in options.connections:
                        label = f"{size:,} items, {scenario.title}, c={connections}"
                        try:
                            cell = measure_reads(
                                running, target.dataset, scenario, connections, options,
                                Path(folder),
                            )  # fmt: skip
                        except Exception as exc:
                            failures.append(f"{label}: {exc} (server log: {running.log})")
                            print(f"   {label}: FAILED {exc}", file=sys.stderr, flush=True)
                            if running.process.poll() is not None:
                                raise
                            continue
                        run._progress(label, cell)
                        if cell.failed:
                            failures.append(f"{label}: {'; '.join(cell.warnings)}")
                        cells[f"{name}-c{connections}"] = cell.summary()
            rss, processes = rss_bytes(running.process.pid)
            cached["after reads"] = cached_fraction(data_dir)
        finally:
            running.stop()
        db = disk_bytes(data_dir)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"   RSS {rss / 2**20:,.0f} MB ({processes} processes), data dir {db / 2**20:,.0f} MB",
          file=sys.stderr, flush=True)  # fmt: skip
    shares = ", ".join(f"{k} {_share(v)}" for k, v in cached.items())
    print(f"   data dir in the page cache: {shares}", file=sys.stderr, flush=True)
    return SizeResult(size, loads, cells, rss, processes, db, failures, cached)


def _share(fraction: float | None) -> str:
    return "?" if fraction is None else f"{fraction:.0%}"


def _cell(result: SizeResult, key: str) -> str:
    cell = result.cells.get(key)
    if cell is None:
        return "–"
    mark = " ✗" if cell["failed"] else (" ⚠" if cell["disturbed"] else "")
    return f"{cell['ops']:,.0f} · {cell['p50_ms']:.2f}/{cell['p99_ms']:.2f}{mark}"


def table(results: list[SizeResult], connections: list[int]) -> str:
    """The markdown table, one row per size and connection count, and the ratios."""
    lines = [
        "| size | c | bulk load items/s (items · query) | GetItem ops/s · p50/p99 ms "
        "| Query ops/s · p50/p99 ms | RSS MB | DB size MB | cached after load / reads |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        load = " · ".join(f"{r.loads[t]['items_per_s']:,.0f}" for t in TABLES)
        for c in connections:
            lines.append(
                f"| {r.size:,} | {c} | {load} | {_cell(r, f'get-c{c}')} | "
                f"{_cell(r, f'query-c{c}')} | {r.rss_bytes / 2**20:,.0f} | "
                f"{r.db_bytes / 2**20:,.0f} | "
                f"{_share(r.cached.get('after load'))} / {_share(r.cached.get('after reads'))} |"
            )
    lines.append("")
    small, large = results[0], results[-1]
    for name, title in (("get", "GetItem"), ("query", "Query")):
        for c in connections:
            key = f"{name}-c{c}"
            a, b = small.cells.get(key), large.cells.get(key)
            ratio = f"{b['ops'] / a['ops']:.2f}" if a and b and a["ops"] else "–"
            p99 = f"{b['p99_ms'] / a['p99_ms']:.2f}" if a and b and a["p99_ms"] else "–"
            lines.append(
                f"- {title}({large.size:,}) / {title}({small.size:,}), c={c}: "
                f"ops/s {ratio}, p99 {p99}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    meta = run.metadata(argparse.Namespace(**{**vars(options), "moto_duration": 0}))
    for key in ("targets",):
        meta.pop(key, None)
    meta["versions"] = {"wrk": meta["versions"]["wrk"]}
    results: list[SizeResult] = []
    failures: list[str] = []
    for size in options.sizes:
        try:
            results.append(measure_size(size, options))
        except Exception as exc:
            failures.append(f"{size:,} items: {exc}")
            print(f"== {size:,} items: FAILED {exc}", file=sys.stderr, flush=True)
    failures += [f for r in results for f in r.failures]
    title = (
        f"opendynamo scale run, {meta['date'][:16].replace('T', ' ')} UTC, commit {meta['commit']}"
    )
    if meta["opendynamo_changed_since_commit"]:
        title += " + uncommitted changes"
    print(f"\n{title}\n")
    if results:
        print(table(results, options.connections))
        print(
            "\ncells: correct answers/s · latency p50/p99 in ms (medians of the rounds); "
            "⚠ disturbed or client-bound, ✗ failed checks"
        )
    for r in results:
        for key, cell in r.cells.items():
            for warning in cell["warnings"]:
                print(f"- {r.size:,} items, {key}: {warning}")
    for failure in failures:
        print(f"- FAILED {failure}")
    meta["failures"] = failures
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(
        json.dumps({**meta, "sizes": [asdict(r) for r in results]}, indent=1) + "\n"
    )
    print(f"\nwrote {options.output}", file=sys.stderr)
    return 1 if failures or not results else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
