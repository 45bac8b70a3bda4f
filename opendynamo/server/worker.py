"""Running the server: one worker process per core on a shared listening socket.

Each worker runs its own event loop (uvloop where there is one), its own `App` and store
connection, and `server/http` for the connections the kernel hands it. With more than one
worker, the first process only supervises: it starts the workers, starts a worker again when
one dies, and passes SIGINT/SIGTERM on for a clean stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import socket
import sys
import time
from dataclasses import dataclass

from opendynamo.config import Settings
from opendynamo.server import http

BACKLOG = 2048
RESTART_PAUSE = 1.0  # seconds between restarts of a worker that keeps dying
log = logging.getLogger("opendynamo.server")


@dataclass(frozen=True, slots=True)
class Options:
    log_level: str = "info"
    tls_cert: str | None = None
    tls_key: str | None = None


def serve(sock: socket.socket, workers: int, options: Options) -> None:
    """Serve on `sock` until SIGINT or SIGTERM. Settings come from the environment."""
    sock.listen(BACKLOG)
    if workers == 1:
        run_worker(sock, options)
    else:
        _supervise(sock, workers, options)


def run_worker(sock: socket.socket, options: Options) -> None:
    """One worker: serve `sock` on an event loop until told to stop."""
    logging.basicConfig(
        level=options.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    try:
        import uvloop
    except ImportError:  # Windows: the standard loop
        asyncio.run(_serve(sock, options))
    else:
        uvloop.run(_serve(sock, options))


async def _serve(sock: socket.socket, options: Options) -> None:
    from opendynamo.server.app import App

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    app = App(Settings.from_env())
    app.startup()
    server = http.Server(app.respond, group=app.store, failed=app.commit_failed)
    tls = None
    if options.tls_cert and options.tls_key:
        tls = http.tls_context(options.tls_cert, options.tls_key)
    listener = await loop.create_server(server.connection, sock=sock, ssl=tls, backlog=BACKLOG)
    background = [
        asyncio.create_task(server.sweep()),
        asyncio.create_task(app.housekeeping()),
    ]
    try:
        await stop.wait()
    finally:
        listener.close()
        server.close_all()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        app.shutdown()


def _supervise(sock: socket.socket, count: int, options: Options) -> None:
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=run_worker, args=(sock, options), daemon=False)
        process.start()
        return process

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes = [start() for _ in range(count)]
    try:
        while not stopping:
            time.sleep(0.2)
            for index, process in enumerate(processes):
                if process.exitcode is not None and not stopping:
                    print(
                        f"opendynamo: worker {process.pid} exited ({process.exitcode}); "
                        "starting another",
                        file=sys.stderr,
                        flush=True,
                    )
                    time.sleep(RESTART_PAUSE)
                    processes[index] = start()
    finally:
        for process in processes:
            if process.exitcode is None:
                process.terminate()  # SIGTERM: the worker closes its store and exits
        deadline = time.monotonic() + 10
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join()
