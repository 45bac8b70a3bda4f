"""The `opendynamo` command."""

from __future__ import annotations

import dataclasses
import errno
import ipaddress
import json
import os
import re
import socket
from typing import Any

import click

from opendynamo.config import Settings, is_postgres_url, redact
from opendynamo.storage.base import Store

AUTH_MODES = ("off", "sigv4", "iam")

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

encryption_key_option = click.option(
    "--encryption-key-file",
    envvar="OPENDYNAMO_ENCRYPTION_KEY_FILE",
    default="",
    type=click.Path(dir_okay=False),
    help="Encrypt the data with the key in this file (at least 16 bytes, e.g. from `head -c 32 "
    "/dev/urandom`): every page of the SQLite store and its WAL, or on PostgreSQL every value.",
)


@click.group()
@click.version_option(package_name="opendynamo")
def main() -> None:
    """opendynamo: a DynamoDB-compatible database."""
    # Every file opendynamo creates (store, WAL, exports, keys, logs) is for its own user
    # alone; a stricter umask stays as it is.
    os.umask(os.umask(0o077) | 0o077)


@main.command()
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
    export_dir: str,
    s3_endpoint: str,
    export_encryption_key_file: str,
    tls_cert: str | None,
    tls_key: str | None,
) -> None:
    """Serve the DynamoDB API on HOST:PORT."""
    from opendynamo.server import worker

    auth = _auth_mode(host, auth)
    if root_secret_access_key_file:
        if root_secret_access_key:
            raise click.UsageError(
                "give --root-secret-access-key or --root-secret-access-key-file, not both"
            )
        root_secret_access_key = _read_secret(root_secret_access_key_file)
    if bool(root_access_key_id) != bool(root_secret_access_key):
        raise click.UsageError("give both --root-access-key-id and --root-secret-access-key")
    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("give both --tls-cert and --tls-key")
    if audit_log is None:
        audit_log = "-" if auth == "iam" else ""
    _check_backend(backend, in_memory)
    _check_encryption(encryption_key_file, backend, in_memory)
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
        pool_size=pg_pool_size,
        statement_timeout_ms=pg_statement_timeout,
        encryption_key_file=os.path.abspath(encryption_key_file) if encryption_key_file else "",
        export_dir=os.path.abspath(export_dir) if export_dir else "",
        s3_endpoint=s3_endpoint,
        export_key_file=_key_file(export_encryption_key_file),
        ttl_interval=ttl_interval,
    )
    if in_memory:
        workers = 1  # an in-memory store lives in one process
    workers = workers or os.cpu_count() or 1
    _check_data_dir(settings)
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


@main.command()
@click.option(
    "--backend",
    envvar="OPENDYNAMO_BACKEND",
    required=True,
    help="The postgresql:// URL of the database to create or upgrade the schema in.",
)
def migrate(backend: str) -> None:
    """Create or upgrade opendynamo's schema in a PostgreSQL database, without serving (servers
    also do it on start)."""
    from opendynamo.storage.postgres import migrate as apply

    _check_backend(backend, False)
    try:
        version = apply(backend)
    except Exception as exc:
        message = f"cannot migrate {redact(backend)}: {str(exc).strip()}"
        raise click.ClickException(message) from None
    click.echo(f"opendynamo schema at version {version} in {redact(backend)}", err=True)


@main.command("create-account")
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option("--backend", envvar="OPENDYNAMO_BACKEND", default="", help="A postgresql:// URL.")
@encryption_key_option
@click.option("--account-id", default=None, help="Twelve digits [default: random].")
def create_account(
    data_dir: str, backend: str, encryption_key_file: str, account_id: str | None
) -> None:
    """Add an account to the store and print its root credentials (JSON), once.

    Tables are per account; a resource policy lets one account reach another's table."""
    from opendynamo.server.auth import create_account as create

    settings, store = _offline_store(data_dir, backend, encryption_key_file)
    try:
        account, key, secret = create(store, settings.sealer(store), account_id)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(json.dumps({"AccountId": account, "AccessKeyId": key, "SecretAccessKey": secret}))


@main.command("create-bucket")
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option("--backend", envvar="OPENDYNAMO_BACKEND", default="", help="A postgresql:// URL.")
@encryption_key_option
@click.option(
    "--export-dir",
    envvar="OPENDYNAMO_EXPORT_DIR",
    default="",
    help="The directory of buckets [default: exports/ in the data directory].",
)
@click.option(
    "--no-directory",
    is_flag=True,
    help="Only record the owner (the bucket lives in the --s3-endpoint service).",
)
@click.option("--account-id", default="000000000000", show_default=True, help="Its owner.")
@click.option(
    "--policy-file",
    type=click.File("r"),
    default=None,
    help="A bucket policy (JSON) letting other accounts read or write it.",
)
@click.argument("bucket")
def create_bucket(
    data_dir: str,
    backend: str,
    encryption_key_file: str,
    export_dir: str,
    no_directory: bool,
    account_id: str,
    policy_file: Any,
    bucket: str,
) -> None:
    """Create BUCKET for exports and imports, owned by an account.

    Exports may write, and imports read, only the buckets of the caller's account, unless the
    bucket policy allows another account (as S3's do). A bucket directory made by hand
    belongs to the default account."""
    from opendynamo.engine import buckets
    from opendynamo.iam.policy import PolicyError, parse_policy

    if not BUCKET_NAME.fullmatch(bucket) or len(bucket) > 255:
        raise click.BadParameter(f"not a bucket name: {bucket}", param_hint="BUCKET")
    if len(account_id) != 12 or not account_id.isdigit():
        raise click.BadParameter("an account id is twelve digits", param_hint="--account-id")
    policy = None if policy_file is None else policy_file.read()
    if policy is not None:
        try:
            parse_policy(policy, kind="resource")
        except PolicyError as exc:
            raise click.ClickException(f"the bucket policy is not valid: {exc.message}") from None
    settings, store = _offline_store(data_dir, backend, encryption_key_file)
    try:
        if not no_directory:
            root = export_dir or os.path.join(settings.data_dir, "exports")
            os.makedirs(os.path.join(root, bucket), mode=0o700, exist_ok=True)
        with store.write() as txn:
            buckets.register(txn, bucket, account_id, policy)
    finally:
        store.close()
    click.echo(f"bucket {bucket} owned by account {account_id}", err=True)


BUCKET_NAME = re.compile(r"[a-z0-9A-Z]+[.\-\w]*[a-z0-9A-Z]+")


@main.command()
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option("--backend", envvar="OPENDYNAMO_BACKEND", default="", help="A postgresql:// URL.")
@encryption_key_option
@click.option("--table", required=True, help="An existing table to load into.")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--account-id", default="000000000000", show_default=True)
@click.argument("source", type=click.File("rb"), default="-")
def load(
    data_dir: str,
    backend: str,
    encryption_key_file: str,
    table: str,
    region: str,
    account_id: str,
    source: Any,
) -> None:
    """Load items (DynamoDB JSON, one per line, as ImportTable reads them) from SOURCE (a file
    or - for standard input) straight into the store. The server may be running."""
    import time

    from opendynamo.api.bulk import LoadError
    from opendynamo.api.bulk import load as bulk_load

    _, store = _offline_store(data_dir, backend, encryption_key_file, bulk=True)
    started = time.perf_counter()
    try:
        loaded = bulk_load(store, account_id, region, table, source)
    except LoadError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    elapsed = time.perf_counter() - started
    click.echo(
        f"loaded {loaded.items} items ({loaded.bytes} bytes) in {elapsed:.1f} s "
        f"({loaded.items / max(elapsed, 1e-9):,.0f} items/s)",
        err=True,
    )


store_options = [
    click.option(
        "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
    ),
    click.option("--backend", envvar="OPENDYNAMO_BACKEND", default="", help="A postgresql:// URL."),
    encryption_key_option,
    click.option("--region", default="us-east-1", show_default=True),
    click.option("--account-id", default="000000000000", show_default=True),
]


def _with_store_options(command: Any) -> Any:
    for option in reversed(store_options):
        command = option(command)
    return command


@main.command()
@_with_store_options
@click.option("--table", required=True, help="The table to back up.")
@click.option("--name", default=None, help="The backup's name [default: the table's].")
def backup(
    data_dir: str,
    backend: str,
    encryption_key_file: str,
    region: str,
    account_id: str,
    table: str,
    name: str | None,
) -> None:
    """Take an on-demand backup of a table, as CreateBackup does, and wait until it is
    AVAILABLE; print its BackupDetails (JSON). The server may be running."""
    from opendynamo.api import backups as api
    from opendynamo.api.shapes import validate_input

    def run(ctx: Any) -> dict[str, Any]:
        body = {"TableName": table, "BackupName": name or table}
        validate_input("CreateBackup", body)
        details = api.create_backup(ctx, body)
        arn = details["BackupDetails"]["BackupArn"]
        _finish_job(ctx.store, "backup", arn)
        described = api.describe_backup(ctx, {"BackupArn": arn})["BackupDescription"]
        return dict(described["BackupDetails"])

    _offline_call(data_dir, backend, encryption_key_file, region, account_id, run)


@main.command()
@_with_store_options
@click.option("--target-table", required=True, help="The new table to restore into.")
@click.option("--backup-arn", default=None, help="Restore this on-demand backup.")
@click.option("--source-table", default=None, help="Restore this table (point-in-time recovery).")
@click.option(
    "--time",
    "at",
    default=None,
    help="With --source-table: the instant to restore (ISO 8601, or epoch seconds) "
    "[default: the latest restorable].",
)
def restore(
    data_dir: str,
    backend: str,
    encryption_key_file: str,
    region: str,
    account_id: str,
    target_table: str,
    backup_arn: str | None,
    source_table: str | None,
    at: str | None,
) -> None:
    """Restore a backup (--backup-arn) or a table as it was at an instant (--source-table,
    --time) into a new table, as RestoreTableFromBackup and RestoreTableToPointInTime do, and
    wait until it is ACTIVE; print its TableDescription (JSON). The server may be running."""
    from opendynamo.api import backups as api
    from opendynamo.api.shapes import validate_input

    if (backup_arn is None) == (source_table is None):
        raise click.UsageError("give exactly one of --backup-arn and --source-table")
    if at is not None and source_table is None:
        raise click.UsageError("--time goes with --source-table")

    def run(ctx: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"TargetTableName": target_table}
        if backup_arn is not None:
            body["BackupArn"] = backup_arn
            validate_input("RestoreTableFromBackup", body)
            api.restore_table_from_backup(ctx, body)
        else:
            body["SourceTableName"] = source_table
            if at is None:
                body["UseLatestRestorableTime"] = True
            else:
                body["RestoreDateTime"] = _epoch(at)
            validate_input("RestoreTableToPointInTime", body)
            api.restore_table_to_point_in_time(ctx, body)
        _finish_job(ctx.store, "table", target_table, ctx.account, ctx.region)
        from opendynamo.api import tables

        return dict(tables.describe_table(ctx, {"TableName": target_table})["Table"])

    _offline_call(data_dir, backend, encryption_key_file, region, account_id, run)


@main.group()
def streams() -> None:
    """Read DynamoDB Streams."""


@streams.command("tail")
@click.argument("table")
@click.option("--endpoint-url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--region", default="us-east-1", show_default=True)
@click.option(
    "--from-start", is_flag=True, help="Begin with the oldest record kept (else: new ones)."
)
@click.option("--poll", default=0.5, show_default=True, help="Seconds between reads when idle.")
def streams_tail(table: str, endpoint_url: str, region: str, from_start: bool, poll: float) -> None:
    """Print the records of TABLE's latest stream as JSON lines, as they come, following its
    shards from parent to child. Credentials as the AWS SDKs find them (AWS_ACCESS_KEY_ID...);
    with `serve --auth off` any will do. Ctrl-C stops it."""
    import time

    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]
    except ImportError:
        raise click.ClickException("this command needs boto3: pip install boto3") from None

    options = {"endpoint_url": endpoint_url, "region_name": region}
    if "AWS_ACCESS_KEY_ID" not in os.environ:
        options |= {"aws_access_key_id": "opendynamo", "aws_secret_access_key": "opendynamo"}
    ddb = boto3.client("dynamodb", **options)
    reader = boto3.client("dynamodbstreams", **options)
    try:
        arn = ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None
    if arn is None:
        raise click.ClickException(f"table {table} has no stream")
    done: set[str] = set()
    iterators: dict[str, str] = {}
    kind = "TRIM_HORIZON" if from_start else "LATEST"
    try:
        while True:
            shards = reader.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            for shard in shards:
                shard_id = shard["ShardId"]
                parent = shard.get("ParentShardId")
                if shard_id in done or shard_id in iterators:
                    continue
                if (
                    parent is not None
                    and parent not in done
                    and any(s["ShardId"] == parent for s in shards)
                ):
                    continue  # its parent first
                start = "TRIM_HORIZON" if parent in done else kind
                iterators[shard_id] = reader.get_shard_iterator(
                    StreamArn=arn, ShardId=shard_id, ShardIteratorType=start
                )["ShardIterator"]
            quiet = True
            for shard_id, iterator in list(iterators.items()):
                page = reader.get_records(ShardIterator=iterator)
                for record in page["Records"]:
                    click.echo(json.dumps(record, default=str))
                    quiet = False
                if "NextShardIterator" in page:
                    iterators[shard_id] = page["NextShardIterator"]
                else:
                    del iterators[shard_id]
                    done.add(shard_id)
            if quiet:
                time.sleep(poll)
    except KeyboardInterrupt:
        pass


@main.command("decrypt-export")
@click.option("--export-dir", required=True, help="The export directory (buckets beneath).")
@click.option(
    "--export-encryption-key-file",
    envvar="OPENDYNAMO_EXPORT_ENCRYPTION_KEY_FILE",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
)
@click.option("--bucket", required=True)
@click.option("--prefix", default="", help="Only the objects whose key starts with this.")
@click.argument("out", type=click.Path(file_okay=False))
def decrypt_export(
    export_dir: str, export_encryption_key_file: str, bucket: str, prefix: str, out: str
) -> None:
    """Write plain copies of a bucket's encrypted export objects under OUT (same keys), for
    tools that read DynamoDB exports."""
    from opendynamo.config import read_key_file
    from opendynamo.engine import buckets

    source = buckets.Directory(export_dir, read_key_file(export_encryption_key_file))
    try:
        keys = source.keys(bucket, prefix)
        for key in keys:
            target = os.path.join(out, *key.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as file:
                file.write(source.get(bucket, key))
    except (buckets.NoSuchBucket, buckets.ObjectLocked) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(keys)} objects written under {out}", err=True)


def _key_file(path: str) -> str:
    return os.path.abspath(path) if path else ""


def _epoch(text: str) -> float:
    from datetime import UTC, datetime

    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not a time: {text}", param_hint="--time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _finish_job(store: Any, kind: str, name: str, account: str = "", region: str = "") -> None:
    from opendynamo.engine import arns, jobs
    from opendynamo.model import layout

    if kind == "backup":
        ref = arns.owned_ref(name, "backup")
        assert ref is not None
        jobs.finish(store, layout.JOBS + layout.backup_key(ref.account, ref.region, ref.id))
    else:
        jobs.finish(store, layout.job_key(account, region, name))


def _offline_call(
    data_dir: str,
    backend: str,
    encryption_key_file: str,
    region: str,
    account_id: str,
    run: Any,
) -> None:
    """Run `run(ctx)` on the store as a request of the account would, and print its answer
    as JSON; DynamoDB's errors become the command's."""
    from opendynamo import errors
    from opendynamo.api.context import Context

    _, store = _offline_store(data_dir, backend, encryption_key_file)
    ctx = Context(store, account_id, region, request_id="cli", endpoint="")
    try:
        answer = run(ctx)
    except errors.DynamoError as exc:
        raise click.ClickException(f"{exc.type_name}: {exc.message}") from None
    finally:
        store.close()
    click.echo(json.dumps(answer, default=str))


def _offline_store(
    data_dir: str, backend: str, encryption_key_file: str, bulk: bool = False
) -> tuple[Settings, Store]:
    """The settings and the open store of a command that works on the store itself (the
    server may be running), after the checks `serve` makes."""
    _check_backend(backend, False)
    _check_encryption(encryption_key_file, backend, False)
    settings = _offline_settings(data_dir, backend, encryption_key_file)
    _check_data_dir(settings)
    return settings, settings.open_store(bulk=bulk)


def _offline_settings(data_dir: str, backend: str, encryption_key_file: str = "") -> Settings:
    return Settings(
        data_dir=os.path.abspath(data_dir),
        backend=backend,
        secrets_key=os.environ.get("OPENDYNAMO_SECRETS_KEY", ""),
        encryption_key_file=os.path.abspath(encryption_key_file) if encryption_key_file else "",
    )


def _check_encryption(key_file: str, backend: str, in_memory: bool) -> None:
    if not key_file:
        return
    if in_memory:
        raise click.UsageError("--encryption-key-file and --in-memory exclude each other")
    warn_if_shared(key_file)


def _read_secret(path: str) -> str:
    warn_if_shared(path)
    try:
        with open(path, encoding="utf-8") as file:
            secret = file.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"--root-secret-access-key-file: {exc}") from None
    if not secret:
        raise click.UsageError(f"--root-secret-access-key-file: {path} is empty")
    return secret


def warn_if_shared(key_file: str) -> None:
    """Warn when other users may read a key file (it should be chmod 600)."""
    try:
        mode = os.stat(key_file).st_mode
    except OSError:
        return  # reading it fails with its own message
    if mode & 0o077:
        click.echo(
            f"warning: {key_file} can be read by other users (mode {mode & 0o777:o}); "
            f"chmod 600 {key_file}",
            err=True,
        )


@main.command()
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option(
    "--encryption-key-file",
    envvar="OPENDYNAMO_ENCRYPTION_KEY_FILE",
    default="",
    type=click.Path(dir_okay=False),
    help="The store's current key [default: the store is not encrypted yet].",
)
@click.option(
    "--new-key-file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The key to encrypt the store with from now on.",
)
def rekey(data_dir: str, encryption_key_file: str, new_key_file: str) -> None:
    """Encrypt the SQLite store under a new key (or encrypt a store that is not encrypted).
    Stop the server first; start it again with the new key."""
    from opendynamo.config import read_key_file
    from opendynamo.storage.sqlite import rekey as change_key

    try:
        key = read_key_file(encryption_key_file) if encryption_key_file else None
        change_key(os.path.abspath(data_dir), key, read_key_file(new_key_file))
    except Exception as exc:  # a missing file, a wrong key, a busy store: all said the same way
        raise click.ClickException(f"cannot rekey {data_dir}: {str(exc).strip()}") from None
    click.echo(f"the store in {data_dir} is encrypted with the key in {new_key_file}", err=True)


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


def _check_backend(backend: str, in_memory: bool) -> None:
    if not backend:
        return
    if not is_postgres_url(backend):
        raise click.UsageError(
            f"--backend must be a postgresql:// URL (not {redact(backend)!r}); "
            "without it the data lives in SQLite under --data-dir"
        )
    if in_memory:
        raise click.UsageError("--in-memory and --backend exclude each other")


def _check_data_dir(settings: Settings) -> None:
    """Open the store once before serving (creating or migrating its schema), so an unusable
    data dir or an unreachable database stops the start."""
    if settings.in_memory:
        return
    try:
        settings.open_store().close()
    except Exception as exc:  # any failure to create or open the store is reported the same way
        where = settings.describe_store()
        if not settings.postgres:
            where = f"data directory {where}"
        raise click.ClickException(f"cannot use {where}: {str(exc).strip()}") from None


if __name__ == "__main__":
    main()
