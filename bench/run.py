"""Throughput and latency of opendynamo next to its peers and its HTTP stack's ceiling.

For each target (opendynamo, a no-op app on the same HTTP stack, dynalite, moto): start it
pinned to core 0, preload it through its endpoint, then for each scenario and connection
count run wrk pinned to core 1, replaying requests signed beforehand (bench/requests.py,
bench/replay.lua): a warm-up, then `--rounds` timed runs whose medians are reported. Answers
are checked as they come (status, items found, counts) and writes are counted afterwards.
Prints a markdown table and writes bench/results/latest.json and latest.png.
See bench/README.md for the method.

Run `bench/setup.sh` once, then: python bench/run.py [--duration 10] [--rounds 3]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    # `python bench/run.py` puts bench/ first on the path, where our requests.py would hide
    # the `requests` package from anything importing it; import bench as a package instead.
    sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from bench import measure, report, targets  # noqa: E402
from bench import requests as reqs  # noqa: E402

READ_LIST = 20_000  # requests in a replayed list that may repeat (reads; the ceiling)
WRITE_LIST_MAX = 600_000
RESULTS = ROOT / "bench" / "results"


def _shown(path: Path) -> str:
    """A path as the results show it: relative to the repository when inside it, so that no
    machine's directories end up in committed results."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    assert __doc__
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of one timed run")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per cell (median)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per cell")
    parser.add_argument("--connections", default="1,16", help="keep-alive connections, e.g. 1,16")
    parser.add_argument(
        "--scenarios", default=",".join(reqs.SCENARIOS), help="of: " + ",".join(reqs.SCENARIOS)
    )
    parser.add_argument(
        "--targets",
        default="opendynamo,ceiling,uvicorn,dynalite,moto",
        help="of: opendynamo,opendynamo-pg,ceiling,uvicorn,dynalite,moto",
    )
    parser.add_argument(
        "--moto-duration", type=float, default=3.0, help="cap on moto's run length (it is slow)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the keys read")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG")
    options = parser.parse_args(argv)
    options.connections = [int(c) for c in _csv(options.connections)]
    options.scenarios = _csv(options.scenarios)
    options.targets = _csv(options.targets)
    unknown = [s for s in options.scenarios if s not in reqs.SCENARIOS]
    unknown += [t for t in options.targets if t not in targets.targets(0)]
    if unknown:
        parser.error(f"unknown scenario or target: {', '.join(unknown)}")
    return options


def _write_list(
    path: Path, running: targets.Running, data: reqs.Dataset, scenario: str, count: int,
    seed: int, namespace: str,
) -> Path:  # fmt: skip
    """Sign `count` requests now and write them where replay.lua reads them."""
    built = reqs.build(
        scenario, running.endpoint, data, count, seed=seed, namespace=namespace,
        when=datetime.now(UTC),
    )  # fmt: skip
    path.write_text("\n".join(reqs.to_line(r) for r in built) + "\n")
    return path


def measure_cell(
    running: targets.Running,
    data: reqs.Dataset,
    scenario: reqs.Scenario,
    connections: int,
    options: argparse.Namespace,
    folder: Path,
) -> measure.Cell:
    """Warm-up and rounds of one scenario at one connection count, then the writes check.

    A write scenario gets a new list of new keys each round, sized from the warm-up's rate
    so that it is not replayed twice; a read list (and the ceiling's) repeats."""
    target = running.target
    seconds = min(options.duration, target.max_seconds or options.duration)
    fresh = scenario.fresh_keys and target.checks
    verify = target.checks and scenario.writes_to is not None
    patterns = scenario.checks if target.checks else ()
    before = targets.measure_writes(running, scenario) if verify else 0
    name = f"{scenario.name}-c{connections}"

    def replay(path: Path, run_seconds: float) -> measure.Run:
        return measure.run_wrk(
            running.url, path, connections, run_seconds, patterns, running.cpu_seconds,
            target.client_cores,
        )  # fmt: skip

    count = int(15_000 * options.warmup) if fresh else READ_LIST
    path = _write_list(
        folder / f"{name}.txt", running, data, scenario.name, count, options.seed, f"{name}-w"
    )
    warmup = replay(path, options.warmup)
    runs: list[measure.Run] = []
    for number in range(options.rounds):
        if fresh:
            rate = max([warmup.answers, *(r.answers for r in runs)])
            count = min(WRITE_LIST_MAX, int(rate * seconds * 1.5) + 1_000)
            path = _write_list(
                path, running, data, scenario.name, count, options.seed, f"{name}-r{number}"
            )
        runs.append(replay(path, seconds))
    if not verify:
        return measure.Cell(tuple(runs), warmup)
    grown = targets.measure_writes(running, scenario) - before
    return _checked(scenario, grown, warmup, runs, fresh)


def _checked(
    scenario: reqs.Scenario, grown: int, warmup: measure.Run, runs: list[measure.Run], fresh: bool
) -> measure.Cell:
    """The cell, with what counting the writes found: growth outside the bounds the answers
    allow means writes were lost (or invented)."""
    write_check = scenario.write_check if scenario.checks else None
    low, high = measure.write_bounds([warmup, *runs], scenario.per_answer, write_check, fresh)
    what = "sum of n" if scenario.counter else f"items of {scenario.writes_to}"
    verdict = f"{what} grew by {grown:,} (expected {low:,}..{high:,})"
    wrapped = [
        f"a write list was replayed {r.issued / r.listed:.1f} times (rewrites add no items)"
        for r in runs
        if fresh and r.issued > r.listed
    ]
    return measure.Cell(tuple(runs), warmup, verdict, not low <= grown <= high, tuple(wrapped))


def measure_target(
    target: targets.Target, options: argparse.Namespace, failures: list[str]
) -> list[report.Result]:
    """All cells of one target, started fresh and stopped afterwards."""
    results = []
    print(f"== {target.name}: starting and loading", file=sys.stderr, flush=True)
    running = targets.start(target)
    try:
        data = targets.preload(running) if target.checks else target.dataset
        with tempfile.TemporaryDirectory(prefix="bench-lists-") as folder:
            for scenario_name in options.scenarios:
                scenario = reqs.SCENARIOS[scenario_name]
                for connections in options.connections:
                    label = f"{target.name}, {scenario.title}, c={connections}"
                    try:
                        cell = measure_cell(
                            running, data, scenario, connections, options, Path(folder)
                        )
                    except Exception as exc:  # one broken cell must not lose the others
                        failures.append(f"{label}: {exc} (server log: {running.log})")
                        print(f"   {label}: FAILED {exc}", file=sys.stderr, flush=True)
                        if running.process.poll() is not None:
                            raise RuntimeError(
                                f"{target.name} died: {running.log.read_text()[-2000:]}"
                            ) from exc
                        continue
                    results.append(report.Result(target.name, scenario.title, connections, cell))
                    _progress(label, cell)
    finally:
        running.stop()
    return results


def _progress(label: str, cell: measure.Cell) -> None:
    line = (
        f"   {label}: {cell.median('ops'):,.0f} ops/s, p50 {cell.median('p50_ms'):.2f} ms, "
        f"p99 {cell.median('p99_ms'):.2f} ms, server {cell.median('server_cores'):.2f} / "
        f"client {cell.median('client_cores'):.2f} / other {cell.median('foreign_cores'):.2f} cores"
    )
    print(line + "".join(f"\n     ⚠ {w}" for w in cell.warnings), file=sys.stderr, flush=True)


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=10)
    except OSError:
        return "?"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else "?"
    )


def metadata(options: argparse.Namespace) -> dict[str, Any]:
    """When, on what and with which settings the numbers were taken."""
    dynalite = targets.PEERS / "node_modules" / "dynalite" / "package.json"
    status = _version(["git", "status", "--porcelain", "--untracked-files=no", "opendynamo"])
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _version(["git", "rev-parse", "--short", "HEAD"]),
        "opendynamo_changed_since_commit": status not in ("?", ""),
        "machine": {
            "cores": len(__import__("os").sched_getaffinity(0)),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
        },  # fmt: skip
        "versions": {
            "wrk": _version(["wrk", "-v"]),
            "node": _version(["node", "--version"]),
            "dynalite": json.loads(dynalite.read_text())["version"] if dynalite.exists() else None,
            "moto": _version([sys.executable, "-c", "import moto; print(moto.__version__)"]),
        },
        "options": {k: (_shown(v) if isinstance(v, Path) else v) for k, v in vars(options).items()},
        "limits": {
            "foreign_cores": measure.FOREIGN_LIMIT,
            "spread": measure.SPREAD_LIMIT,
            "client_cores": measure.CLIENT_BOUND,
        },  # fmt: skip
        "targets": {t.name: t.about for t in targets.targets(options.moto_duration).values()},
    }


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    available = targets.targets(options.moto_duration)
    meta = metadata(options)
    results: list[report.Result] = []
    failures: list[str] = []
    for name in options.targets:
        try:
            results += measure_target(available[name], options, failures)
        except Exception as exc:  # a peer that cannot run leaves the others' numbers
            failures.append(f"{name}: {exc}")
            print(f"== {name}: FAILED {exc}", file=sys.stderr, flush=True)
    meta["failures"] = failures
    title = f"opendynamo bench, {meta['date'][:16].replace('T', ' ')} UTC, commit {meta['commit']}"
    if meta["opendynamo_changed_since_commit"]:
        title += " + uncommitted changes"
    print(f"\n{title}\n")
    print(report.table(results, options.targets))
    for failure in failures:
        print(f"- FAILED {failure}")
    report.write_json(options.output, meta, results, options.targets)
    if not options.no_chart and results:
        report.write_chart(options.output.with_suffix(".png"), title, results, options.targets)
    print(
        f"\nwrote {options.output}" + ("" if options.no_chart else " and its .png"), file=sys.stderr
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
