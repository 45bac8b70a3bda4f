"""Where a running server spends its core: py-spy samples opendynamo while wrk replays one
scenario's signed requests, as bench/run.py does (same targets, data and requests).

    pip install py-spy
    python bench/profile.py --scenarios get,put --seconds 10
    python bench/profile.py --scenarios get --serve-args "--metrics off"

For each scenario it prints the functions with the most samples of their own ("self") and
those most often on the stack ("total"), both as shares of all samples of the server, and
keeps py-spy's collapsed stacks (`--output`/<scenario>.txt, flamegraph.pl's input).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # as in bench/run.py: bench/requests.py must not hide `requests`

import argparse  # noqa: E402
import collections  # noqa: E402
import dataclasses  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from bench import measure, targets  # noqa: E402
from bench import requests as reqs  # noqa: E402


def summary(collapsed: Path, top: int) -> str:
    """The `top` functions by own samples and by samples on the stack, as shares."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [frame.split(" (")[0] + " " + _where(frame) for frame in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    lines = [f"{samples:,} samples"]
    for title, counter in (("self", own), ("total", total)):
        lines.append(f"-- {title}")
        for frame, count in counter.most_common(top):
            lines.append(f"{100 * count / max(samples, 1):6.1f}%  {frame}")
    return "\n".join(lines)


def _where(frame: str) -> str:
    """`file:line` of a py-spy frame `name (path/file.py:line)`, the path cut to the package."""
    inside = frame.partition(" (")[2].rstrip(")")
    path, _, _ = inside.rpartition(":")
    for marker in ("opendynamo/", "site-packages/", "lib/python"):
        if marker in path:
            return "(" + marker + path.split(marker, 1)[1] + ")"
    return "(" + path + ")"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="get,put", help="as bench/run.py's")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    parser.add_argument(
        "--perf", action="store_true", help="Linux perf instead: shares by library and symbol"
    )
    parser.add_argument("--serve-args", default="", help="more `opendynamo serve` options")
    parser.add_argument("--output", type=Path, default=Path(tempfile.gettempdir()) / "profile")
    options = parser.parse_args(argv)
    options.output.mkdir(parents=True, exist_ok=True)
    base = targets.targets(3.0)["opendynamo"]
    more = shlex.split(options.serve_args)
    target = dataclasses.replace(
        base, command=lambda port, work: [*base.command(port, work), *more]
    )
    running = targets.start(target)
    try:
        data = targets.preload(running)
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
            for name in options.scenarios.split(","):
                scenario = reqs.SCENARIOS[name]
                count = 200_000 if scenario.fresh_keys else 20_000
                built = reqs.build(
                    name, running.endpoint, data, count, seed=1, namespace=f"profile-{name}",
                    when=datetime.now(UTC),
                )  # fmt: skip
                path = Path(folder) / f"{name}.txt"
                path.write_text("\n".join(reqs.to_line(r) for r in built) + "\n")
                collapsed = options.output / f"{name}.txt"
                if options.perf:
                    command = ["perf", "record", "-F", str(options.rate), "-g", "-o",
                               str(collapsed.with_suffix(".perf")), "-p",
                               str(running.process.pid), "--", "sleep", str(options.seconds)]  # fmt: skip
                else:
                    command = ["py-spy", "record", "--pid", str(running.process.pid), "--subprocesses",
                     "--rate", str(options.rate), "--format", "raw", "--nonblocking",
                     "--output", str(collapsed), "--duration", str(int(options.seconds)),
                     *(["--gil"] if options.gil else [])]  # fmt: skip
                spy = subprocess.Popen(
                    command,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                run = measure.run_wrk(
                    running.url, path, options.connections, options.seconds,
                    scenario.checks, running.cpu_seconds,
                )  # fmt: skip
                spy.wait(timeout=60)
                print(f"== {scenario.title}, c={options.connections}: {run.ops:,.0f} ops/s "
                      f"(under py-spy), {run.non200} not 200, p99 {run.p99_ms:.2f} ms")  # fmt: skip
                if options.perf:
                    report = subprocess.run(
                        ["perf", "report", "-i", str(collapsed.with_suffix(".perf")), "--stdio",
                         "--no-children", "--sort", "dso,sym", "-g", "none", "--percent-limit",
                         "0.5"], capture_output=True, text=True,
                    )  # fmt: skip
                    print(report.stdout, flush=True)
                else:
                    print(summary(collapsed, options.top), flush=True)
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
