"""Running the server: one worker process per core, each with a listening socket of its own
on the same port (SO_REUSEPORT).

Each worker runs its own event loop (uvloop where there is one), its own `App` and store
connection, and `server/http` for the connections the kernel hands it. With more than one
worker, the first process only supervises: it starts the workers, starts a worker again when
one dies, and passes SIGINT/SIGTERM on for a clean stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opendynamo.config import Settings, tuning_from_env
from opendynamo.engine import tuning
from opendynamo.server import http

if TYPE_CHECKING:
    import ssl

    from opendynamo.server.app import App

BACKLOG = 2048
RESTART_PAUSE = 1.0  # seconds between restarts of a worker that keeps dying
log = logging.getLogger("opendynamo.server")


@dataclass(frozen=True, slots=True)
class Options:
    log_level: str = "info"
    tls_cert: str | None = None
    tls_key: str | None = None


def serve(sock: socket.socket, workers: int, options: Options) -> None:
    """Serve on `sock` (bound, not listening) until SIGINT or SIGTERM. Settings come from the
    environment."""
    if workers == 1:
        sock.listen(BACKLOG)
        run_worker(sock, options)
    else:
        _supervise(_spread(sock, workers), options)


def _spread(sock: socket.socket, count: int) -> list[socket.socket]:
    """A listening socket per worker on `sock`'s address, so that the kernel deals connections
    out evenly among the workers. On one shared socket, whichever worker wakes first accepts
    every connection waiting (a client's 16 at once), and the other worker idles (measured:
    GetItem with 2 workers at c=16 ran anywhere from 1.0x to 1.6x of one worker). Where
    there is no SO_REUSEPORT, the workers share `sock`."""
    reuse_port = getattr(socket, "SO_REUSEPORT", None)
    if reuse_port is None:
        sock.listen(BACKLOG)
        return [sock] * count
    address = sock.getsockname()  # the actual port, also when 0 was asked for
    sock.close()  # `sock` proved the port free; its sockets now take it over together
    sockets = []
    for _ in range(count):
        each = socket.socket(sock.family, socket.SOCK_STREAM)
        each.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        each.setsockopt(socket.SOL_SOCKET, reuse_port, 1)
        each.bind(address)
        each.listen(BACKLOG)
        sockets.append(each)
    return sockets


def run_worker(sock: socket.socket, options: Options, parent: int | None = None) -> None:
    """One worker: serve `sock` on an event loop until told to stop, or until its `parent`
    (the supervisor, when there is one) is gone."""
    logging.basicConfig(
        level=options.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    if parent is not None:
        _end_with_parent(parent)
    try:
        import uvloop
    except ImportError:  # Windows: the standard loop
        asyncio.run(_serve(sock, options, parent))
    else:
        uvloop.run(_serve(sock, options, parent))


PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """Have the kernel send SIGTERM when the supervisor dies, however it dies (kill -9
    included), so no worker goes on serving the port alone (Linux; elsewhere the worker
    watches its parent, `_watch_parent`)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was asked for
        os.kill(os.getpid(), signal.SIGTERM)


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    while os.getppid() == parent:
        await asyncio.sleep(0.25)
    log.warning("the supervisor (pid %d) is gone: stopping", parent)
    stop.set()


async def _serve(sock: socket.socket, options: Options, parent: int | None = None) -> None:
    from opendynamo.server.app import App

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    settings = Settings.from_env()
    tuning.configure(tuning_from_env())
    tls = None
    if options.tls_cert and options.tls_key:
        tls = http.tls_context(options.tls_cert, options.tls_key)
    watch = None if parent is None else asyncio.create_task(_watch_parent(parent, stop))
    try:
        await serve_app(App(settings), sock, stop, tls)
    finally:
        if watch is not None:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)


async def serve_app(
    app: App,
    sock: socket.socket,
    stop: asyncio.Event,
    tls: ssl.SSLContext | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """Serve `app` on `sock` (listening) until `stop` is set, with its housekeeper and the
    connections' sweep beside it; then close the connections, the background work and the
    store. `ready` is called once the socket is served. A worker process runs this, and so
    does `opendynamo.embedded()` on a thread of the caller's process."""
    loop = asyncio.get_running_loop()
    executor = None
    try:
        app.startup()  # inside: a start that fails half-way still closes what it opened
        if app.store.concurrent:  # requests wait on the database: answer them on threads
            executor = ThreadPoolExecutor(
                app.settings.pg_pool_size, thread_name_prefix="opendynamo"
            )
            server = http.Server(app.respond, executor=executor)
        else:
            server = http.Server(app.respond, group=app.store, failed=app.commit_failed)
        listener = await loop.create_server(server.connection, sock=sock, ssl=tls, backlog=BACKLOG)
        await _serve_until(app, listener, server, executor, stop, ready)
    finally:
        if executor is not None:
            executor.shutdown(wait=True)  # the requests under way finish before the store closes
        app.shutdown()


async def _serve_until(
    app: App,
    listener: asyncio.Server,
    server: http.Server,
    executor: ThreadPoolExecutor | None,
    stop: asyncio.Event,
    ready: Callable[[], None] | None,
) -> None:
    """The background work beside the connections, until `stop`; then no new connection,
    the open ones closed, and the background work ended."""
    app.exporter.connections = lambda: len(server.connections)
    background = [
        asyncio.create_task(server.sweep()),
        asyncio.create_task(app.housekeeping(executor)),
        asyncio.create_task(app.exporter.watch_loop()),
    ]
    try:
        if ready is not None:
            ready()
        await stop.wait()
    finally:
        listener.close()
        server.close_all()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


def _supervise(sockets: list[socket.socket], options: Options) -> None:
    import multiprocessing  # only a supervisor needs it (not a worker, nor embedded())

    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    def start(index: int) -> multiprocessing.process.BaseProcess:
        args = (sockets[index], options, os.getpid())
        process = context.Process(target=run_worker, args=args, daemon=False)
        process.start()
        return process

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes = [start(index) for index in range(len(sockets))]
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
                    processes[index] = start(index)
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
