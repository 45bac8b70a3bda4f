"""A server of its own on a data directory, for `opendynamo design ... --data-dir DIR`:
`opendynamo serve` as a child process on a free loopback port (one worker, no
authentication), stopped when the command ends. A server already running on the same data
directory keeps running: SQLite lets both use the store."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from opendynamo.design.live import DesignError

STARTED = re.compile(r"serving on (https?://\S+)")
START_TIMEOUT = 30.0


@contextmanager
def local_server(data_dir: str) -> Iterator[str]:
    """The endpoint of a server on `data_dir`, for the duration of the block."""
    args = [sys.executable, "-m", "opendynamo", "serve", "--host", "127.0.0.1", "--port", "0",
            "--data-dir", data_dir, "--workers", "1", "--auth", "off", "--log-level", "warning",
            "--console", "off"]  # fmt: skip
    env = dict(os.environ)
    env.pop("OPENDYNAMO_BACKEND", None)  # the data directory, not a database named elsewhere
    process = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its workers in a group of their own, stopped together
    )
    try:
        yield _started(process)
    finally:
        _stop(process)


def _started(process: subprocess.Popen[str]) -> str:
    """The endpoint the server prints once it listens; then its answer to a health check.
    What it prints is read by a thread of its own, so a server that says nothing cannot
    block the command, and a full pipe cannot block the server."""
    lines: queue.Queue[str | None] = queue.Queue()
    said: list[str] = []
    threading.Thread(target=_read, args=(process, lines), daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            raise DesignError("the server did not start: " + " ".join(said).strip())
        said.append(line.strip())
        found = STARTED.search(line)
        if found:
            endpoint = found.group(1)
            _wait_healthy(endpoint, deadline)
            return endpoint
    raise DesignError(f"the server did not start within {START_TIMEOUT:g} seconds")


def _read(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.put(line)
    lines.put(None)


def _wait_healthy(endpoint: str, deadline: float) -> None:
    """The port is bound before the workers serve: wait for GET / to answer."""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(endpoint + "/", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise DesignError(f"the server at {endpoint} did not answer")


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM: the server stops its workers and closes the store. One that does not stop
    in time is killed with its workers, by its own process group (not yet reaped, so the
    group is still ours)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
