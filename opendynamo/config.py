"""Server settings, passed from the command line to every worker process through the
environment (each worker process of `server/worker` reads them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from opendynamo.engine import buckets
from opendynamo.engine.buckets import Buckets
from opendynamo.engine.secrets import Sealer, key_from_text, load_key, stored_key
from opendynamo.engine.tuning import Tuning
from opendynamo.storage.base import Store

ENV_PREFIX = "OPENDYNAMO_"
# off: any well-formed signature; sigv4: signatures verified; iam: verified, and IAM decides.
AUTH_MODES = ("off", "sigv4", "iam")


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = "./data"
    in_memory: bool = False
    enforce_capacity: bool = False
    auth: str = "off"  # off, sigv4 or iam
    audit_log: str = ""  # a file, "-" for standard output, "" for none
    root_access_key_id: str = ""
    root_secret_access_key: str = ""
    secrets_key: str = ""  # base64 of 32 bytes; else `secrets.key` in the data directory
    backend: str = ""  # a postgresql:// URL; "" for SQLite in `data_dir`
    pg_pool_size: int = 8  # PostgreSQL connections (and request threads) per worker
    pg_statement_timeout: int = 30_000  # PostgreSQL statement_timeout of those connections, ms
    encryption_key_file: str = ""  # the SQLite store's encryption key; "" for none
    export_dir: str = ""  # the directory of export/import buckets; "" for data_dir/exports
    s3_endpoint: str = ""  # an S3-compatible service for exports and imports instead
    export_encryption_key_file: str = ""  # encrypts what exports write to the export directory
    ttl_interval: float = 60.0  # seconds between Time to Live sweeps
    metrics: bool = True  # record DynamoDB's CloudWatch metrics (--metrics off: not)
    prometheus: str = ""  # who may read /metrics: public, loopback, off; "" for by --auth
    console: bool = True  # the web console under /console (--console off: not served)
    console_session_hours: float = 12.0  # a console session's lifetime
    namespace: str = "region"  # shared, region or key-region: server/namespaces
    delay_transient_statuses: float = 0.0  # seconds tables and indexes stay CREATING etc.
    cors: str = ""  # comma-separated origins that get CORS headers; "" for every origin

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables (`OPENDYNAMO_` + the field's name in capitals),
        which is how `serve` hands them to its worker processes."""
        return {_env_name(f.name): _env_text(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_env(cls) -> Settings:
        """The settings `to_env` wrote, each field read as its default's type; a field the
        environment does not set keeps its default."""
        return cls(**_given_in_env(cls()))

    def encryption_key(self) -> bytes | None:
        return read_key_file(self.encryption_key_file) if self.encryption_key_file else None

    @property
    def prometheus_access(self) -> str:
        """Who may read /metrics: as asked, else anyone when authentication is off (the
        server is open anyway) and clients on this machine only when it is on (the figures
        name tables)."""
        return self.prometheus or ("public" if self.auth == "off" else "loopback")

    @property
    def postgres(self) -> bool:
        return is_postgres_url(self.backend)

    def describe_store(self) -> str:
        """Where the data lives, for the start-up line (a URL without its password)."""
        if self.postgres:
            return "PostgreSQL " + redact(self.backend)
        return "in memory" if self.in_memory else self.data_dir

    def open_store(self, *, serving: bool = False, bulk: bool = False) -> Store:
        """The store; a serving worker's checkpoints its WAL on a thread of its own, a bulk
        loader's is tuned for many writes."""
        if self.postgres:
            from opendynamo.model import layout
            from opendynamo.storage import postgres

            return postgres.open_store(
                self.backend,
                layout.distribution,
                layout.range_distribution,
                pool_size=self.pg_pool_size,
                statement_timeout_ms=self.pg_statement_timeout,
                key=self.encryption_key(),
            )
        from opendynamo.storage.sqlite import open_store

        data_dir = None if self.in_memory else self.data_dir
        return open_store(data_dir, checkpoint_thread=serving, bulk=bulk, key=self.encryption_key())

    def buckets(self) -> Buckets:
        """Where exports go and imports come from."""
        if self.s3_endpoint:
            return buckets.S3(self.s3_endpoint)
        key = (
            read_key_file(self.export_encryption_key_file)
            if self.export_encryption_key_file
            else None
        )
        return buckets.Directory(self.export_dir or os.path.join(self.data_dir, "exports"), key)

    def sealer(self, store: Store) -> Sealer:
        """The key that seals secret access keys: given, kept beside the data (in the shared
        database, for PostgreSQL, so that every server of a fleet has it), or (in memory)
        made up for this process."""
        if self.secrets_key:
            return Sealer(key_from_text(self.secrets_key))
        if self.postgres:
            return Sealer(stored_key(store))
        if self.in_memory:
            return Sealer(os.urandom(32))
        return Sealer(load_key(Path(self.data_dir) / "secrets.key"))


def tuning_from_env() -> Tuning:
    """The engine's tuning (`engine/tuning`): each field from `OPENDYNAMO_` + its name in
    capitals where the environment sets it, DynamoDB's value otherwise."""
    return Tuning(**_given_in_env(Tuning()))


def _given_in_env(default: Settings | Tuning) -> dict[str, Any]:
    """The fields of `default`'s dataclass the environment sets, each as its default's type."""
    given: dict[str, Any] = {}
    for f in fields(default):
        text = os.environ.get(_env_name(f.name))
        if text is not None:
            given[f.name] = _env_value(text, getattr(default, f.name))
    return given


def _env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def _env_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def _env_value(text: str, default: object) -> object:
    if isinstance(default, bool):
        return bool(text)
    if isinstance(default, int | float):
        return type(default)(text) if text else default
    return text


MIN_KEY_BYTES = 16


def read_key_file(path: str) -> bytes:
    """An encryption key: the file's bytes, without trailing whitespace (a passphrase, or
    random bytes: `head -c 32 /dev/urandom > key`); at least 16 of them."""
    with open(path, "rb") as file:
        key = file.read().rstrip()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the encryption key in {path} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """`url` without the password of its user part."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"
