"""Start-up time: how long from start until the first request is answered, for the two ways a
test suite gets a server.

- `opendynamo.embedded()` in a fresh Python process: from calling it until a ListTables is
  answered over HTTP, and the same counted from before `import opendynamo`, each also as the
  CPU time the process spent (the server's thread included: on a quiet machine the two are
  equal, on a busy one the CPU time is the steadier figure); and how long leaving the `with`
  block takes (the server stopped, its thread joined).
- `opendynamo serve --in-memory`: from starting the process until a ListTables is answered
  (the client retries every 2 ms while the port refuses connections).
- A bare `python -c pass`, from start to exit, as the floor of any new process.

Each is run `--runs` times in new processes, the three in turn, and the table shows medians. The request is a
SigV4-signed ListTables (`bench/requests.py`'s signer), made before the clock starts and sent
on a raw socket, so no client library is timed. The processes get a bytecode cache of their
own (PYTHONPYCACHEPREFIX in a temporary directory, written by a first run that is not
counted), as an installed package has its bytecode compiled at install. The load average is
printed with the table: on a busy machine every figure grows.

With `--baseline COMMIT`, that commit's files are measured in the same run, its runs taking
turns with this tree's: on a machine whose speed changes from minute to minute (a shared
VM's), the comparison is fair where two separate runs are not.

Run: python bench/startup.py [--runs 11] [--baseline COMMIT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # run as a script: import `bench` as a package

from bench.requests import Endpoint, Signer  # noqa: E402

EMBEDDED_TARGET_MS = 300
SERVE_TARGET_MS = 1000
RETRY_SECONDS = 0.002
EMBEDDED_MODULE = "opendynamo/server/embedded.py"  # a baseline without it times serve alone

# The child that times embedded(): only what it needs to send the request is imported before
# the clock starts; json after it stops.
EMBEDDED_CHILD = """
import socket, sys, time
port, request = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
def exchange():
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer
started, started_cpu = time.perf_counter(), time.process_time()
import opendynamo
imported, imported_cpu = time.perf_counter(), time.process_time()
with opendynamo.embedded(port=port):
    answer = exchange()
    answered, answered_cpu = time.perf_counter(), time.process_time()
stopped = time.perf_counter()
import json
print(json.dumps({
    "ok": answer.startswith(b"HTTP/1.1 200") and b"TableNames" in answer,
    "import": imported - started, "import_cpu": imported_cpu - started_cpu,
    "embedded": answered - imported, "embedded_cpu": answered_cpu - imported_cpu,
    "total": answered - started, "total_cpu": answered_cpu - started_cpu,
    "stop": stopped - answered,
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def list_tables(port: int) -> bytes:
    """A signed ListTables for 127.0.0.1:`port`, on a connection the server then closes."""
    endpoint = Endpoint(f"127.0.0.1:{port}", "bench", "bench")
    request = Signer(endpoint, datetime.now(UTC)).sign_all([("ListTables", b"{}")])[0]
    head = [f"{request.method} {request.path} HTTP/1.1"]
    head += [f"{name}: {value}" for name, value in request.headers]
    head += [f"Content-Length: {len(request.body)}", "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + request.body


def child_env(cache: str, root: Path = ROOT) -> dict[str, str]:
    """The environment of a timed process: bytecode cached in `cache` (also its working
    directory), opendynamo importable from `root`, none of opendynamo's settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
        and not name.startswith("OPENDYNAMO_")
    }
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PYTHONPATH"] = str(root)
    env["PWD"] = cache
    return env


def time_embedded(env: dict[str, str]) -> dict[str, float]:
    port = free_port()
    done = subprocess.run(
        [sys.executable, "-c", EMBEDDED_CHILD, str(port), list_tables(port).hex()],
        env=env,
        cwd=env["PWD"],  # `-c` puts the directory first on the path: one with nothing in it
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise SystemExit(f"the embedded run failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout)
    if not figures.pop("ok"):
        raise SystemExit("the embedded server did not answer ListTables with 200")
    return figures


def time_serve(env: dict[str, str]) -> dict[str, float]:
    port = free_port()
    request = list_tables(port)
    command = [sys.executable, "-m", "opendynamo", "serve", "--in-memory"]
    command += ["--port", str(port), "--log-level", "warning"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=env["PWD"], stderr=subprocess.DEVNULL)
    try:
        answer = _first_answer(port, request, process, started + 30)
        answered = time.perf_counter()
    finally:
        process.terminate()
        process.wait(timeout=30)
    if not (answer.startswith(b"HTTP/1.1 200") and b"TableNames" in answer):
        raise SystemExit(f"serve answered {answer[:200]!r}")
    return {"total": answered - started}


def _first_answer(
    port: int, request: bytes, process: subprocess.Popen[bytes], deadline: float
) -> bytes:
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(request)
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                return answer
        except ConnectionRefusedError:
            if process.poll() is not None:
                raise SystemExit("serve exited before answering") from None
            time.sleep(RETRY_SECONDS)
    raise SystemExit("serve did not answer within 30 s")


def time_bare(env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, cwd=env["PWD"], check=True)
    return {"total": time.perf_counter() - started}


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(run[name] for run in runs) * 1000 for name in runs[0]}


Runs = list[dict[str, float]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs of each (medians)")
    parser.add_argument(
        "--baseline", help="a commit to measure in the same run, its runs between these"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        temporary = stack.enter_context(tempfile.TemporaryDirectory(prefix="opendynamo-start-"))
        trees = {"this tree": ROOT}
        if args.baseline:
            trees[args.baseline] = _checkout(args.baseline, Path(temporary) / "baseline")
        load = os.getloadavg()
        found = _measure(trees, args.runs, temporary)
    print(f"{args.runs} runs of each; load average at the start {load[0]:.2f} {load[1]:.2f}")
    for name, (embedded, serve, bare) in found.items():
        print(f"\n{name}:\n")
        _table(embedded, serve, bare)


def _checkout(commit: str, where: Path) -> Path:
    """The files of `commit`, in `where`."""
    where.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where


def _measure(trees: dict[str, Path], runs: int, temporary: str) -> dict[str, tuple[Runs, ...]]:
    """Each tree's runs, interleaved, so that a change in the machine's load weighs on each
    alike; embedded() only where the tree has it."""
    envs = {}
    for index, (name, root) in enumerate(trees.items()):
        cache = Path(temporary) / f"cache{index}"
        cache.mkdir()
        envs[name] = (child_env(str(cache), root), (root / EMBEDDED_MODULE).exists())
    for env, has_embedded in envs.values():  # compiles and caches the bytecode; not counted
        if has_embedded:
            time_embedded(env)
        time_serve(env)
    found: dict[str, tuple[Runs, Runs, Runs]] = {name: ([], [], []) for name in trees}
    for _ in range(runs):
        for name, (env, has_embedded) in envs.items():
            embedded, serve, bare = found[name]
            if has_embedded:
                embedded.append(time_embedded(env))
            serve.append(time_serve(env))
            bare.append(time_bare(env))
    return found


def _table(embedded: Runs, serve: Runs, bare: Runs) -> None:
    print("| from | until | median ms | CPU ms | target |")
    print("|---|---|--:|--:|---|")
    rows = [
        ("calling `embedded()`", "ListTables answered", "embedded", EMBEDDED_TARGET_MS),
        ("before `import opendynamo`", "ListTables answered", "total", None),
        ("before `import opendynamo`", "imported", "import", None),
        ("leaving the `with` block", "the server stopped", "stop", None),
    ]
    if embedded:
        figures = medians(embedded)
        for start, end, name, target in rows:
            cpu = figures.get(f"{name}_cpu")
            print(_row(start, end, figures[name], cpu, target))
    serving = "`opendynamo serve --in-memory` started"
    print(_row(serving, "ListTables answered", medians(serve)["total"], None, SERVE_TARGET_MS))
    print(_row("`python -c pass` started", "exited", medians(bare)["total"], None, None))


def _row(start: str, end: str, wall: float, cpu: float | None, target: int | None) -> str:
    verdict = "" if target is None else f"< {target} ms: {'met' if wall < target else 'NOT met'}"
    cpu_text = "" if cpu is None else f"{cpu:.0f}"
    return f"| {start} | {end} | {wall:.0f} | {cpu_text} | {verdict} |"


if __name__ == "__main__":
    main()
