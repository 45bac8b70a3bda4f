"""One timed wrk run, and how far to trust it.

The server runs on core 0 and wrk on core 1, so on a quiet machine the busy time of all
cores over a run is the server's CPU time plus wrk's. Whatever is left ("foreign" CPU, in
cores) was somebody else: another process, or the hypervisor (steal time). A run with more
than `FOREIGN_LIMIT` of it is flagged as disturbed, and so is a set of rounds whose ops/s
spread more than `SPREAD_LIMIT` around their median. A run where wrk itself used nearly all
of its core is flagged as client-bound: its numbers are the client's limit, not the server's.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).with_name("replay.lua")
FOREIGN_LIMIT = 0.15  # cores of CPU time nobody we started explains
SPREAD_LIMIT = 0.15  # largest distance of a round's ops/s from the median, as a fraction
CLIENT_BOUND = 0.9  # wrk's share of its core above which the client limits the run
SERVER_CORE, CLIENT_CORE = "0", "1"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_busy_ticks() -> int:
    """Busy clock ticks of all cores since boot: user, nice, system and steal. Interrupt time
    is left out: the kernel's loopback networking for our own requests lands there."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (int(v) for v in fields[:8])
    return user + nice + system + steal


def children_cpu() -> float:
    """CPU seconds of our reaped child processes (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class Run:
    """What one wrk run measured, its checks and its CPU accounting."""

    ops: float  # correct answers (status 200, checks passed) per second
    answers: float  # answers of any kind per second
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    issued: int
    listed: int
    non200: int
    check_failures: int
    matched: tuple[int, ...]
    socket_errors: int
    sample: str
    wall_s: float
    server_cores: float
    client_cores: float
    foreign_cores: float

    @property
    def errors(self) -> int:
        return self.non200 + self.check_failures + self.socket_errors

    @property
    def disturbed(self) -> bool:
        return self.foreign_cores > FOREIGN_LIMIT

    @property
    def client_bound(self) -> bool:
        return self.client_cores > CLIENT_BOUND


def wrk_command(
    url: str, requests_file: Path, connections: int, seconds: float, patterns: Sequence[str],
    cores: str = CLIENT_CORE,
) -> list[str]:  # fmt: skip
    return [
        "taskset", "-c", cores,
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
        "--timeout", "5s", "-s", str(LUA), url, "--", str(requests_file), "1", *patterns,
    ]  # fmt: skip


def parse(stdout: str) -> dict[str, Any]:
    """The JSON line replay.lua's done() printed (wrk's own report comes before it)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    raise RuntimeError(f"wrk printed no result:\n{stdout}")


def settle(server_cpu: Callable[[], float], timeout: float = 10.0) -> None:
    """Wait until the server is idle. wrk stops with up to one request per connection still
    in flight (a slow peer takes a second over one), and a server may have work of its own
    left (a checkpoint): a run must not start by paying for the previous one."""
    deadline = time.monotonic() + timeout
    last = server_cpu()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = server_cpu()
        if now - last < 0.03:  # under 15% of a core
            return
        last = now


def run_wrk(
    url: str,
    requests_file: Path,
    connections: int,
    seconds: float,
    patterns: Sequence[str],
    server_cpu: Callable[[], float],
    cores: str = CLIENT_CORE,
) -> Run:
    """One wrk run on the client core, with the machine's CPU time accounted around it."""
    command = wrk_command(url, requests_file, connections, seconds, patterns, cores)
    settle(server_cpu)
    ticks, server, client = cpu_busy_ticks(), server_cpu(), children_cpu()
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    wall = time.monotonic() - start
    busy = (cpu_busy_ticks() - ticks) / TICK
    server, client = server_cpu() - server, children_cpu() - client
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    out = parse(done.stdout)
    seconds_run = out["duration_us"] / 1e6
    latency, errors = out["latency_us"], out["socket_errors"]
    return Run(
        ops=(out["requests"] - out["non200"] - out["check_failures"]) / seconds_run,
        answers=out["requests"] / seconds_run,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        requests=out["requests"],
        issued=out["issued"],
        listed=out["listed"],
        non200=out["non200"],
        check_failures=out["check_failures"],
        matched=tuple(out["matched"]),
        socket_errors=sum(errors.values()),
        sample=out["sample"],
        wall_s=wall,
        server_cores=server / wall,
        client_cores=client / wall,
        foreign_cores=max(0.0, busy - server - client) / wall,
    )


@dataclass(frozen=True, slots=True)
class Cell:
    """The rounds of one target × scenario × connection count, and their medians."""

    rounds: tuple[Run, ...]
    warmup: Run
    verified: str = ""  # what the check of the writes found, "" when there was none
    write_error: bool = False
    notes: tuple[str, ...] = field(default=())

    def median(self, name: str) -> float:
        return float(statistics.median(float(getattr(r, name)) for r in self.rounds))

    @property
    def spread(self) -> float:
        middle = self.median("ops")
        return max(abs(r.ops - middle) for r in self.rounds) / middle if middle else 0.0

    @property
    def warnings(self) -> list[str]:
        """Why the cell's numbers may not mean what they say, in words."""
        found = list(self.notes)
        disturbed = [r for r in self.rounds if r.disturbed]
        if disturbed:
            worst = max(r.foreign_cores for r in disturbed)
            found.append(
                f"disturbed: {len(disturbed)} of {len(self.rounds)} rounds saw up to "
                f"{worst:.2f} cores of other load"
            )
        if self.spread > SPREAD_LIMIT:
            found.append(f"disturbed: rounds spread {self.spread:.0%} around the median")
        if any(r.client_bound for r in self.rounds):
            found.append("client-bound: wrk used its whole core")
        errors = sum(r.errors for r in self.rounds)
        if errors:
            sample = " ".join(self.first_sample().split())[:160]
            found.append(f"{errors} failed answers, e.g. {sample!r}")
        if self.write_error:
            found.append(f"writes check failed: {self.verified}")
        return found

    @property
    def disturbed(self) -> bool:
        return any(w.startswith("disturbed") for w in self.warnings)

    @property
    def failed(self) -> bool:
        return self.write_error or any(r.errors for r in self.rounds)

    @property
    def answered(self) -> bool:
        """Whether any round got a correct answer at all (else: unsupported or broken)."""
        return any(r.ops > 0 for r in self.rounds)

    def first_sample(self) -> str:
        return next((r.sample for r in self.rounds if r.sample), "")

    def summary(self) -> dict[str, Any]:
        """The cell as JSON: medians, warnings and every round."""
        return {
            "ops": self.median("ops"),
            "p50_ms": self.median("p50_ms"),
            "p90_ms": self.median("p90_ms"),
            "p99_ms": self.median("p99_ms"),
            "spread": self.spread,
            "disturbed": self.disturbed,
            "failed": self.failed,
            "verified": self.verified,
            "warnings": self.warnings,
            "rounds": [asdict(r) for r in self.rounds],
            "warmup": asdict(self.warmup),
        }


def write_bounds(
    runs: Sequence[Run], per_answer: int, write_check: int | None, wraps: bool
) -> tuple[int, int]:
    """How much a table's measure (item count or sum of counters) must have grown after
    `runs`: at least the writes answered as done, at most the writes sent. When requests
    write new keys (`wraps`), a list replayed more than once rewrites keys it already wrote:
    such a run only bounds the growth from above, by its length."""
    low = high = 0
    for run in runs:
        ok = run.matched[write_check] if write_check is not None else run.requests - run.non200
        sent = run.issued
        if wraps and run.issued > run.listed:
            ok, sent = 0, run.listed  # rewrites: how many keys are new is unknown
        low += ok * per_answer
        high += sent * per_answer
    return low, high
