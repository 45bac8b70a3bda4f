"""Server settings, passed from the command line to every worker process through the
environment (each worker process of `server/worker` reads them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opendynamo.engine import buckets
from opendynamo.engine.buckets import Buckets
from opendynamo.engine.secrets import Sealer, key_from_text, load_key, stored_key
from opendynamo.storage.base import Store

ENV_PREFIX = "OPENDYNAMO_"


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
    pool_size: int = 8  # PostgreSQL connections (and request threads) per worker
    statement_timeout_ms: int = 30_000  # PostgreSQL statement_timeout of those connections
    encryption_key_file: str = ""  # the SQLite store's encryption key; "" for none
    export_dir: str = ""  # the directory of export/import buckets; "" for data_dir/exports
    s3_endpoint: str = ""  # an S3-compatible service for exports and imports instead
    export_key_file: str = ""  # encrypts what exports write to the export directory
    ttl_interval: float = 60.0  # seconds between Time to Live sweeps

    def to_env(self) -> dict[str, str]:
        return {
            ENV_PREFIX + "HOST": self.host,
            ENV_PREFIX + "PORT": str(self.port),
            ENV_PREFIX + "DATA_DIR": self.data_dir,
            ENV_PREFIX + "IN_MEMORY": "1" if self.in_memory else "",
            ENV_PREFIX + "ENFORCE_CAPACITY": "1" if self.enforce_capacity else "",
            ENV_PREFIX + "AUTH": self.auth,
            ENV_PREFIX + "AUDIT_LOG": self.audit_log,
            ENV_PREFIX + "ROOT_ACCESS_KEY_ID": self.root_access_key_id,
            ENV_PREFIX + "ROOT_SECRET_ACCESS_KEY": self.root_secret_access_key,
            ENV_PREFIX + "SECRETS_KEY": self.secrets_key,
            ENV_PREFIX + "BACKEND": self.backend,
            ENV_PREFIX + "PG_POOL_SIZE": str(self.pool_size),
            ENV_PREFIX + "PG_STATEMENT_TIMEOUT": str(self.statement_timeout_ms),
            ENV_PREFIX + "ENCRYPTION_KEY_FILE": self.encryption_key_file,
            ENV_PREFIX + "EXPORT_DIR": self.export_dir,
            ENV_PREFIX + "S3_ENDPOINT": self.s3_endpoint,
            ENV_PREFIX + "EXPORT_ENCRYPTION_KEY_FILE": self.export_key_file,
            ENV_PREFIX + "TTL_INTERVAL": str(self.ttl_interval),
        }

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        default = cls()
        return cls(
            host=env.get(ENV_PREFIX + "HOST", default.host),
            port=int(env.get(ENV_PREFIX + "PORT", default.port)),
            data_dir=env.get(ENV_PREFIX + "DATA_DIR", default.data_dir),
            in_memory=bool(env.get(ENV_PREFIX + "IN_MEMORY")),
            enforce_capacity=bool(env.get(ENV_PREFIX + "ENFORCE_CAPACITY")),
            auth=env.get(ENV_PREFIX + "AUTH") or default.auth,
            audit_log=env.get(ENV_PREFIX + "AUDIT_LOG", ""),
            root_access_key_id=env.get(ENV_PREFIX + "ROOT_ACCESS_KEY_ID", ""),
            root_secret_access_key=env.get(ENV_PREFIX + "ROOT_SECRET_ACCESS_KEY", ""),
            secrets_key=env.get(ENV_PREFIX + "SECRETS_KEY", ""),
            backend=env.get(ENV_PREFIX + "BACKEND", ""),
            pool_size=int(env.get(ENV_PREFIX + "PG_POOL_SIZE") or default.pool_size),
            statement_timeout_ms=int(
                env.get(ENV_PREFIX + "PG_STATEMENT_TIMEOUT") or default.statement_timeout_ms
            ),
            encryption_key_file=env.get(ENV_PREFIX + "ENCRYPTION_KEY_FILE", ""),
            export_dir=env.get(ENV_PREFIX + "EXPORT_DIR", ""),
            s3_endpoint=env.get(ENV_PREFIX + "S3_ENDPOINT", ""),
            export_key_file=env.get(ENV_PREFIX + "EXPORT_ENCRYPTION_KEY_FILE", ""),
            ttl_interval=float(env.get(ENV_PREFIX + "TTL_INTERVAL") or default.ttl_interval),
        )

    def encryption_key(self) -> bytes | None:
        return read_key_file(self.encryption_key_file) if self.encryption_key_file else None

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
                pool_size=self.pool_size,
                statement_timeout_ms=self.statement_timeout_ms,
                key=self.encryption_key(),
            )
        from opendynamo.storage.sqlite import open_store

        data_dir = None if self.in_memory else self.data_dir
        return open_store(data_dir, checkpoint_thread=serving, bulk=bulk, key=self.encryption_key())

    def buckets(self) -> Buckets:
        """Where exports go and imports come from."""
        if self.s3_endpoint:
            return buckets.S3(self.s3_endpoint)
        key = read_key_file(self.export_key_file) if self.export_key_file else None
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
