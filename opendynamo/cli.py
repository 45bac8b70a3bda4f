"""The `opendynamo` command."""

from __future__ import annotations

import errno
import os
import socket
import sys

import click

from opendynamo.config import Settings

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@click.group()
@click.version_option(package_name="opendynamo")
def main() -> None:
    """opendynamo: a DynamoDB-compatible database."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option("--in-memory", is_flag=True, help="Keep data in memory only (one worker).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes sharing the store [default: number of cores].",
)
@click.option("--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@click.option(
    "--enforce-capacity",
    is_flag=True,
    help="Throttle provisioned tables to their throughput (otherwise it is only reported).",
)
def serve(
    host: str,
    port: int,
    data_dir: str,
    in_memory: bool,
    workers: int | None,
    log_level: str,
    enforce_capacity: bool,
) -> None:
    """Serve the DynamoDB API on HOST:PORT."""
    import uvicorn

    settings = Settings(
        host=host,
        port=port,
        data_dir=os.path.abspath(data_dir),
        in_memory=in_memory,
        enforce_capacity=enforce_capacity,
    )
    if in_memory:
        workers = 1  # an in-memory store lives in one process
    workers = workers or os.cpu_count() or 1
    _check_data_dir(settings)
    sock = _bind(host, port)
    os.environ.update(settings.to_env())
    config = uvicorn.Config(
        "opendynamo.server.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        http="httptools",
        server_header=False,
        date_header=False,
    )
    click.echo(
        f"opendynamo serving on http://{host}:{port} "
        f"({'in memory' if in_memory else settings.data_dir}, {workers} worker(s))",
        err=True,
    )
    server = uvicorn.Server(config)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket up front, so a taken port is reported clearly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(f"port {port} on {host} is already in use") from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _check_data_dir(settings: Settings) -> None:
    """Open the store once before serving, so an unusable data dir stops the start."""
    if settings.in_memory:
        return
    try:
        settings.open_store().close()
    except Exception as exc:  # any failure to create or open the file is reported the same way
        raise click.ClickException(
            f"cannot use data directory {settings.data_dir}: {exc}"
        ) from None


if __name__ == "__main__":
    main()
