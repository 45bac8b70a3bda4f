"""`opendynamo.embedded()`: a server inside the caller's process, for test suites of any
framework. It serves one worker's `App` (`server/worker.serve_app`, as a worker process
does) on a thread of its own with an event loop of its own, on a free port of 127.0.0.1, in
memory unless given a data directory, and stops it all (connections, housekeeper, store,
thread, socket) when the `with` block ends.

Only the standard library is imported here, and the server's modules when a server starts:
`import opendynamo` stays cheap for the commands and the pytest plugin (`opendynamo.testing`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from opendynamo.config import Settings

HOST = "127.0.0.1"


@contextlib.contextmanager
def embedded(
    *,
    port: int = 0,
    data_dir: str | Path | None = None,
    auth: str = "off",
    **settings: Any,
) -> Iterator[str]:
    """Serve DynamoDB's API on 127.0.0.1 for the length of the `with` block, which gets the
    endpoint URL (`http://127.0.0.1:PORT`). `port` 0 takes any free port; `data_dir` keeps the
    data in a SQLite store there instead of in memory; `auth` is `serve --auth`'s (off: any
    well-formed signature, any region). Other keyword arguments are `serve`'s other settings
    by their names in `opendynamo.config.Settings` (`ttl_interval=1`,
    `root_access_key_id=...`). The tables of a region are separate from another region's,
    as on `serve`."""
    from opendynamo.config import AUTH_MODES

    if auth not in AUTH_MODES:
        raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
    sock = _listen(port)
    try:
        server = _Thread(sock, _settings(sock, data_dir, auth, settings))
    except BaseException:
        sock.close()
        raise
    server.start()
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.stop()


def _listen(port: int) -> socket.socket:
    """The listening socket, bound here so that a taken port fails the caller at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen()
    except BaseException:
        sock.close()
        raise
    return sock


def _settings(
    sock: socket.socket, data_dir: str | Path | None, auth: str, more: dict[str, Any]
) -> Settings:
    from opendynamo.config import Settings

    # In memory, exports and the secrets key fall back to ./data as on `serve --in-memory`.
    where = os.path.abspath(data_dir if data_dir is not None else "./data")
    return Settings(
        host=HOST,
        port=sock.getsockname()[1],
        data_dir=where,
        in_memory=data_dir is None,
        auth=auth,
        **more,
    )


class _Thread:
    """The server's thread: it runs an event loop until `stop`, then closes everything."""

    def __init__(self, sock: socket.socket, settings: Settings) -> None:
        self._sock = sock
        self._settings = settings
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        name = f"opendynamo-embedded-{settings.port}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start serving; return once the socket is served, or raise why it could not be."""
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            self._thread.join()
            raise self._failure

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own meanwhile
                loop.call_soon_threadsafe(stopping.set)
        self._thread.join()
        if self._failure is not None:  # the server failed while serving, or while stopping
            raise self._failure

    def _run(self) -> None:
        import asyncio

        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to the caller's thread by `start`
            self._failure = exc
        finally:
            self._sock.close()
            self._ready.set()

    async def _serve(self) -> None:
        import asyncio

        from opendynamo.config import tuning_from_env
        from opendynamo.engine import tuning
        from opendynamo.server.app import App
        from opendynamo.server.worker import serve_app

        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        # The engine's figures are the process's, read from the environment as a worker reads
        # them (OPENDYNAMO_PITR_LAG and the like).
        tuning.configure(tuning_from_env())
        await serve_app(App(self._settings), self._sock, self._stopping, ready=self._ready.set)
