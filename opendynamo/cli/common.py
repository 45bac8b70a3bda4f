"""What the commands share: the options naming a store, opening it as `serve` would, running
an operation on it offline, and the checks of keys and URLs."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from opendynamo.config import Settings, is_postgres_url, redact
from opendynamo.engine.directory import DEFAULT_ACCOUNT
from opendynamo.storage.base import Store

encryption_key_option = click.option(
    "--encryption-key-file",
    envvar="OPENDYNAMO_ENCRYPTION_KEY_FILE",
    default="",
    type=click.Path(dir_okay=False),
    help="Encrypt the data with the key in this file (at least 16 bytes, e.g. from `head -c 32 "
    "/dev/urandom`): every page of the SQLite store and its WAL, or on PostgreSQL every value.",
)


store_options = [
    click.option(
        "--data-dir", default="./data", show_default=True, help="Directory of the SQLite store."
    ),
    click.option("--backend", envvar="OPENDYNAMO_BACKEND", default="", help="A postgresql:// URL."),
    encryption_key_option,
    click.option("--region", default="us-east-1", show_default=True),
    click.option("--account-id", default=DEFAULT_ACCOUNT, show_default=True),
]


def with_store_options(command: Any) -> Any:
    for option in reversed(store_options):
        command = option(command)
    return command


def offline_call(
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
    from opendynamo.api.request.context import Context

    _, store = offline_store(data_dir, backend, encryption_key_file)
    ctx = Context(store, account_id, region, request_id="cli", endpoint="")
    try:
        answer = run(ctx)
    except errors.DynamoError as exc:
        raise click.ClickException(f"{exc.type_name}: {exc.message}") from None
    finally:
        store.close()
    click.echo(json.dumps(answer, default=str))


def offline_store(
    data_dir: str, backend: str, encryption_key_file: str, bulk: bool = False
) -> tuple[Settings, Store]:
    """The settings and the open store of a command that works on the store itself (the
    server may be running), after the checks `serve` makes."""
    check_backend(backend, False)
    check_encryption(encryption_key_file, backend, False)
    settings = offline_settings(data_dir, backend, encryption_key_file)
    check_data_dir(settings)
    return settings, settings.open_store(bulk=bulk)


def offline_settings(data_dir: str, backend: str, encryption_key_file: str = "") -> Settings:
    return Settings(
        data_dir=os.path.abspath(data_dir),
        backend=backend,
        secrets_key=os.environ.get("OPENDYNAMO_SECRETS_KEY", ""),
        encryption_key_file=os.path.abspath(encryption_key_file) if encryption_key_file else "",
    )


def check_backend(backend: str, in_memory: bool) -> None:
    if not backend:
        return
    if not is_postgres_url(backend):
        raise click.UsageError(
            f"--backend must be a postgresql:// URL (not {redact(backend)!r}); "
            "without it the data lives in SQLite under --data-dir"
        )
    if in_memory:
        raise click.UsageError("--in-memory and --backend exclude each other")


def check_encryption(key_file: str, backend: str, in_memory: bool) -> None:
    if not key_file:
        return
    if in_memory:
        raise click.UsageError("--encryption-key-file and --in-memory exclude each other")
    warn_if_shared(key_file)


def check_data_dir(settings: Settings) -> None:
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


def read_secret(path: str) -> str:
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


def key_file(path: str) -> str:
    return os.path.abspath(path) if path else ""
