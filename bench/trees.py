"""The trees a benchmark compares in one run: this checkout and a baseline commit, checked out
into a temporary git worktree, and `opendynamo` commands run from either (their own code on
`PYTHONPATH`, this virtualenv's packages)."""

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
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def serve(tree: Path, port: int, args: list[str], log: Path, cores: str | None = None) -> Served:
    """Start `opendynamo serve --port PORT ARGS` from `tree` and wait until it answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command(tree, "serve", "--port", str(port), *args, cores=cores),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tree,
            env=environment(tree),
            start_new_session=True,
        )
    served = Served(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text(errors='replace')}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return served
        except OSError:
            time.sleep(0.1)
    served.stop()
    raise RuntimeError("the server did not start within 60 s")
