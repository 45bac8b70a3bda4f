"""`opendynamo serve`: the server's options become `Settings`, checked before anything starts."""

from __future__ import annotations

import dataclasses
import errno
import ipaddress
import os
import socket

import click

from opendynamo.cli.common import (
    check_backend,
    check_data_dir,
    check_encryption,
    encryption_key_option,
    key_file,
    read_secret,
    warn_if_shared,
)
from opendynamo.config import AUTH_MODES, Settings
from opendynamo.server.namespaces import MODES as NAMESPACES

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port, printed at start).",
)
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option("--in-memory", is_flag=True, help="Keep data in memory only (one worker).")
@encryption_key_option
@click.option(
    "--backend",
    envvar="OPENDYNAMO_BACKEND",
    default="",
    help="A postgresql:// URL: keep the data in PostgreSQL, shared by every server given the "
    "same URL (instead of SQLite in --data-dir).",
)
@click.option(
    "--pg-pool-size",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="PostgreSQL connections per worker (requests served at once by each).",
)
@click.option(
    "--pg-statement-timeout",
    type=click.IntRange(min=0),
    default=30_000,
    show_default=True,
    help="PostgreSQL statement_timeout of those connections, in milliseconds (0: none).",
)
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
@click.option(
    "--auth",
    type=click.Choice(AUTH_MODES),
    default=None,
    help="off: any well-formed signature; sigv4: verify signatures; iam: verify and apply "
    "IAM policies. [default: off on a loopback address, required otherwise]",
)
@click.option(
    "--root-access-key-id",
    envvar="OPENDYNAMO_ROOT_ACCESS_KEY_ID",
    default="",
    help="The account's root access key id (generated on first start when not given).",
)
@click.option(
    "--root-secret-access-key",
    envvar="OPENDYNAMO_ROOT_SECRET_ACCESS_KEY",
    default="",
    help="The root access key's secret (visible to other users in `ps`: prefer the file or "
    "the environment variable).",
)
@click.option(
    "--root-secret-access-key-file",
    envvar="OPENDYNAMO_ROOT_SECRET_ACCESS_KEY_FILE",
    default="",
    type=click.Path(dir_okay=False),
    help="A file holding the root access key's secret.",
)
@click.option(
    "--audit-log",
    default=None,
    help="Write the audit trail (JSON lines) to this file, '-' for standard output or 'off'. "
    "[default: standard output with --auth iam, else off]",
)
@click.option(
    "--ttl-interval",
    envvar="OPENDYNAMO_TTL_INTERVAL",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Seconds between sweeps that delete items whose Time to Live has passed.",
)
@click.option(
    "--metrics",
    envvar="OPENDYNAMO_METRICS",
    type=click.Choice(["on", "off"]),
    default="on",
    show_default=True,
    help="Record DynamoDB's CloudWatch metrics (served by the CloudWatch API and /metrics).",
)
@click.option(
    "--prometheus",
    envvar="OPENDYNAMO_PROMETHEUS",
    type=click.Choice(["public", "loopback", "off"]),
    default=None,
    help="Who may read /metrics (Prometheus' format, unauthenticated): anyone, clients on "
    "this machine, or nobody. [default: public with --auth off, else loopback]",
)
@click.option(
    "--optimize-db-before-startup",
    is_flag=True,
    help="Compact the SQLite store (VACUUM, PRAGMA optimize) before serving: DynamoDB "
    "Local's -optimizeDbBeforeStartup.",
)
@click.option(
    "--console",
    envvar="OPENDYNAMO_CONSOLE",
    type=click.Choice(["on", "off"]),
    default="on",
    show_default=True,
    help="Serve the web console under /console.",
)
@click.option(
    "--console-session-hours",
    envvar="OPENDYNAMO_CONSOLE_SESSION_HOURS",
    type=click.FloatRange(min=1 / 3600, max=24 * 30),
    default=12.0,
    show_default=True,
    help="How long a console sign-in lasts before the browser must sign in again.",
)
@click.option(
    "--export-dir",
    envvar="OPENDYNAMO_EXPORT_DIR",
    default="",
    help="The 'S3 buckets' of exports and imports: a directory per bucket under this one "
    "[default: exports/ in the data directory].",
)
@click.option(
    "--s3-endpoint",
    envvar="OPENDYNAMO_S3_ENDPOINT",
    default="",
    help="Export to and import from the buckets of this S3-compatible service instead "
    "(credentials as the AWS SDKs find them; needs the `aws` extra).",
)
@click.option(
    "--export-encryption-key-file",
    envvar="OPENDYNAMO_EXPORT_ENCRYPTION_KEY_FILE",
    default="",
    type=click.Path(dir_okay=False),
    help="Encrypt every object exports write to the export directory with the key in this "
    "file (at least 16 bytes); imports read them with it.",
)
@click.option(
    "--namespace",
    envvar="OPENDYNAMO_NAMESPACE",
    type=click.Choice(NAMESPACES),
    default="region",
    show_default=True,
    help="Where tables live: one set per region (as AWS), one for every key and region "
    "(shared: DynamoDB Local's -sharedDb), or one per access key and region (key-region: "
    "DynamoDB Local's default; needs --auth off).",
)
@click.option(
    "--delay-transient-statuses",
    envvar="OPENDYNAMO_DELAY_TRANSIENT_STATUSES",
    type=click.FloatRange(min=0, max=3600),
    default=0.0,
    show_default=True,
    help="Seconds a created, updated or deleted table or index stays CREATING, UPDATING or "
    "DELETING, as on AWS (0: ACTIVE at once).",
)
@click.option(
    "--cors",
    envvar="OPENDYNAMO_CORS",
    default="*",
    show_default=True,
    help="Comma-separated origins whose browser requests get CORS headers ('*': every one).",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    help="Serve HTTPS: certificate (PEM).",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False),
    help="The certificate's private key (PEM).",
)
def serve(
    host: str,
    port: int,
    data_dir: str,
    in_memory: bool,
    encryption_key_file: str,
    backend: str,
    pg_pool_size: int,
    pg_statement_timeout: int,
    workers: int | None,
    log_level: str,
    enforce_capacity: bool,
    auth: str | None,
    root_access_key_id: str,
    root_secret_access_key: str,
    root_secret_access_key_file: str,
    audit_log: str | None,
    ttl_interval: float,
    metrics: str,
    prometheus: str | None,
    optimize_db_before_startup: bool,
    console: str,
    console_session_hours: float,
    export_dir: str,
    s3_endpoint: str,
    export_encryption_key_file: str,
    namespace: str,
    delay_transient_statuses: float,
    cors: str,
    tls_cert: str | None,
    tls_key: str | None,
) -> None:
    """Serve the DynamoDB API on HOST:PORT."""
    from opendynamo.server import worker

    auth = _auth_mode(host, auth)
    _check_namespace(namespace, auth)
    if root_secret_access_key_file:
        if root_secret_access_key:
            raise click.UsageError(
                "give --root-secret-access-key or --root-secret-access-key-file, not both"
            )
        root_secret_access_key = read_secret(root_secret_access_key_file)
    if bool(root_access_key_id) != bool(root_secret_access_key):
        raise click.UsageError("give both --root-access-key-id and --root-secret-access-key")
    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("give both --tls-cert and --tls-key")
    if audit_log is None:
        audit_log = "-" if auth == "iam" else ""
    check_backend(backend, in_memory)
    check_encryption(encryption_key_file, backend, in_memory)
    if export_encryption_key_file:
        warn_if_shared(export_encryption_key_file)
        from opendynamo.config import read_key_file

        try:
            read_key_file(export_encryption_key_file)
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"--export-encryption-key-file: {exc}") from None
    settings = Settings(
        host=host,
        port=port,
        data_dir=os.path.abspath(data_dir),
        in_memory=in_memory,
        enforce_capacity=enforce_capacity,
        auth=auth,
        audit_log="" if audit_log == "off" else audit_log,
        root_access_key_id=root_access_key_id,
        root_secret_access_key=root_secret_access_key,
        secrets_key=os.environ.get("OPENDYNAMO_SECRETS_KEY", ""),
        backend=backend,
        pg_pool_size=pg_pool_size,
        pg_statement_timeout=pg_statement_timeout,
        encryption_key_file=os.path.abspath(encryption_key_file) if encryption_key_file else "",
        export_dir=os.path.abspath(export_dir) if export_dir else "",
        s3_endpoint=s3_endpoint,
        export_encryption_key_file=key_file(export_encryption_key_file),
        ttl_interval=ttl_interval,
        metrics=metrics == "on",
        prometheus=prometheus or "",
        console=console == "on",
        console_session_hours=console_session_hours,
        namespace=namespace,
        delay_transient_statuses=delay_transient_statuses,
        cors="" if cors.strip() == "*" else cors,
    )
    if in_memory:
        workers = 1  # an in-memory store lives in one process
    workers = workers or os.cpu_count() or 1
    check_data_dir(settings)
    if optimize_db_before_startup:
        _optimize(settings)
    if s3_endpoint:
        _check_installed("boto3", "--s3-endpoint")
    sock = _bind(host, port)
    port = sock.getsockname()[1]  # the one bound, also when 0 asked for any
    settings = dataclasses.replace(settings, port=port)
    os.environ.update(settings.to_env())
    scheme = "https" if tls_cert else "http"
    click.echo(
        f"opendynamo serving on {scheme}://{host}:{port} "
        f"({settings.describe_store()}, {workers} worker(s), auth {auth})",
        err=True,
    )
    worker.serve(sock, workers, worker.Options(log_level, tls_cert, tls_key))


def _optimize(settings: Settings) -> None:
    """Compact the SQLite store about to be served; there is nothing to compact in memory or
    on PostgreSQL (said, not refused, as DynamoDB Local says nothing either)."""
    from opendynamo.storage import sqlite

    if settings.in_memory or settings.backend:
        click.echo("--optimize-db-before-startup: nothing to do for this store", err=True)
        return
    try:
        sizes = sqlite.optimize(settings.data_dir, settings.encryption_key())
    except Exception as exc:  # a store in use, a wrong key: the start stops, with the reason
        raise click.ClickException(
            f"could not optimize the store in {settings.data_dir}: {exc}"
        ) from None
    if sizes is not None:
        click.echo(f"optimized {settings.data_dir}: {sizes[0]} bytes, now {sizes[1]}", err=True)


def _auth_mode(host: str, auth: str | None) -> str:
    """`off` by default only where nobody else can connect: a non-loopback address needs an
    explicit choice, so an open server is never an accident."""
    if auth is not None:
        return auth
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise click.UsageError(
            f"listening on {host} (not a loopback address) needs --auth sigv4 or --auth iam "
            "(or --auth off, to serve without authentication on purpose)"
        )
    return "off"


def _check_namespace(namespace: str, auth: str) -> None:
    """`key-region` keys tables by access key, as DynamoDB Local does with any credentials;
    with verified keys tables belong to accounts (IAM policies name them by account, and a
    role's session keys change every hour), so the two do not go together."""
    if namespace == "key-region" and auth != "off":
        raise click.UsageError(
            f"--namespace key-region gives every access key tables of its own, which needs "
            f"--auth off; with --auth {auth} tables belong to accounts: use --namespace region "
            "or shared"
        )


def _check_installed(module: str, option: str) -> None:
    """Stop the start when `option` needs a package that is not installed (its work would
    otherwise fail later, in the background)."""
    try:
        __import__(module)
    except ImportError:
        raise click.UsageError(
            f"{option} needs the {module} package: pip install {module}"
        ) from None


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
