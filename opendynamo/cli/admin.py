"""Offline administration of a store, with or without a server running on it: accounts,
buckets, bulk loads, backups and restores, the schema, the encryption key."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import click

from opendynamo.cli.common import (
    check_backend,
    encryption_key_option,
    offline_call,
    offline_store,
    with_store_options,
)
from opendynamo.config import redact
from opendynamo.engine.directory import DEFAULT_ACCOUNT


@click.command()
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

    check_backend(backend, False)
    try:
        version = apply(backend)
    except Exception as exc:
        message = f"cannot migrate {redact(backend)}: {str(exc).strip()}"
        raise click.ClickException(message) from None
    click.echo(f"opendynamo schema at version {version} in {redact(backend)}", err=True)


@click.command("create-account")
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

    settings, store = offline_store(data_dir, backend, encryption_key_file)
    try:
        account, key, secret = create(store, settings.sealer(store), account_id)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(json.dumps({"AccountId": account, "AccessKeyId": key, "SecretAccessKey": secret}))


@click.command("create-bucket")
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
@click.option("--account-id", default=DEFAULT_ACCOUNT, show_default=True, help="Its owner.")
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
    from opendynamo.authz.policy.language import PolicyError, parse_policy
    from opendynamo.engine import buckets

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
    settings, store = offline_store(data_dir, backend, encryption_key_file)
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


@click.command()
@click.option(
    "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
)
@click.option("--backend", envvar="OPENDYNAMO_BACKEND", default="", help="A postgresql:// URL.")
@encryption_key_option
@click.option("--table", required=True, help="An existing table to load into.")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--account-id", default=DEFAULT_ACCOUNT, show_default=True)
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

    from opendynamo.engine.bulk import LoadError
    from opendynamo.engine.bulk import load as bulk_load

    _, store = offline_store(data_dir, backend, encryption_key_file, bulk=True)
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


@click.command()
@with_store_options
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
    from opendynamo.api.dynamodb import backups as api
    from opendynamo.api.request.shapes import validate_input

    def run(ctx: Any) -> dict[str, Any]:
        body = {"TableName": table, "BackupName": name or table}
        validate_input("CreateBackup", body)
        details = api.create_backup(ctx, body)
        arn = details["BackupDetails"]["BackupArn"]
        _finish_job(ctx.store, "backup", arn)
        described = api.describe_backup(ctx, {"BackupArn": arn})["BackupDescription"]
        return dict(described["BackupDetails"])

    offline_call(data_dir, backend, encryption_key_file, region, account_id, run)


@click.command()
@with_store_options
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
    from opendynamo.api.dynamodb import backups as api
    from opendynamo.api.request.shapes import validate_input

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
        from opendynamo.api.dynamodb import tables

        return dict(tables.describe_table(ctx, {"TableName": target_table})["Table"])

    offline_call(data_dir, backend, encryption_key_file, region, account_id, run)


@click.command()
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
    from opendynamo.engine import jobs

    if kind == "backup":
        jobs.finish_backup(store, name)
    else:
        jobs.finish_table(store, account, region, name)
