"""The trees a benchmark compares in one run: this checkout and a baseline commit, checked out
into a temporary git worktree, and `opendynamo` commands run from either (their own code on
`PYTHONPATH`, this virtualenv's packages). Also how every benchmark starts a server (in a
process session of its own, waiting until it answers HTTP) and stops it."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def trees(baseline: str) -> Iterator[dict[str, Path]]:
    """{name: tree}: the baseline's (when given) first, then this tree's."""
    if not baseline:
        yield {"this tree": ROOT}
        return
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        base = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), baseline],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        try:
            yield {baseline: base, "this tree": ROOT}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT)


def command(tree: Path, *args: str, cores: str | None = None) -> list[str]:
    """`opendynamo ARGS` as run from `tree` (pinned to `cores`, a taskset list, when given)."""
    pinned = ["taskset", "-c", cores] if cores else []
    return [*pinned, sys.executable, "-m", "opendynamo", *args]


def environment(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def start(
    command: list[str],
    port: int,
    log: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    name: str = "the server",
    timeout: float = 60.0,
) -> subprocess.Popen[bytes]:
    """Run `command` from `cwd` in a process session of its own, its output in `log`, and wait
    until it answers HTTP on `port`. RuntimeError (naming the server `name`) if it exits
    first, with its log, or does not answer within `timeout` seconds (its session stopped)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text(errors='replace')}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()  # any answer: peers reject a bare GET
            connection.close()
            return process
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{name} did not start within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """End the session `process` leads, if it still runs: SIGTERM, then SIGKILL after `grace`
    seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Served:
    """An `opendynamo serve` started from a tree, in a process session of its own."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.process)


def serve(tree: Path, port: int, args: list[str], log: Path, cores: str | None = None) -> Served:
    """Start `opendynamo serve --port PORT ARGS` from `tree` and wait until it answers."""
    argv = command(tree, "serve", "--port", str(port), *args, cores=cores)
    return Served(start(argv, port, log, cwd=tree, env=environment(tree)), port, log)
