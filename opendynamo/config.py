"""Server settings, passed from the command line to every worker process through the
environment (each worker process of `server/worker` reads them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opendynamo.engine.secrets import Sealer, key_from_text, load_key
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
        )

    def open_store(self, *, serving: bool = False, bulk: bool = False) -> Store:
        """The store; a serving worker's checkpoints its WAL on a thread of its own, a bulk
        loader's is tuned for many writes."""
        from opendynamo.storage.sqlite import open_store

        data_dir = None if self.in_memory else self.data_dir
        return open_store(data_dir, checkpoint_thread=serving, bulk=bulk)

    def sealer(self) -> Sealer:
        """The key that seals secret access keys: given, kept beside the data, or (in memory)
        made up for this process."""
        if self.secrets_key:
            return Sealer(key_from_text(self.secrets_key))
        if self.in_memory:
            return Sealer(os.urandom(32))
        return Sealer(load_key(Path(self.data_dir) / "secrets.key"))
