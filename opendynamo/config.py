"""Server settings, passed from the command line to every worker process through the
environment (uvicorn starts workers by importing `opendynamo.server.asgi:app`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from opendynamo.storage.base import Store

ENV_PREFIX = "OPENDYNAMO_"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = "./data"
    in_memory: bool = False
    enforce_capacity: bool = False

    def to_env(self) -> dict[str, str]:
        return {
            ENV_PREFIX + "HOST": self.host,
            ENV_PREFIX + "PORT": str(self.port),
            ENV_PREFIX + "DATA_DIR": self.data_dir,
            ENV_PREFIX + "IN_MEMORY": "1" if self.in_memory else "",
            ENV_PREFIX + "ENFORCE_CAPACITY": "1" if self.enforce_capacity else "",
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
        )

    def open_store(self) -> Store:
        from opendynamo.storage.sqlite import open_store

        return open_store(None if self.in_memory else self.data_dir)
