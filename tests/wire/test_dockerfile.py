"""The container recipe (`Dockerfile` at the root), tested without Docker, which these machines
do not have: what it copies exists, the port it exposes and the volume it declares are the
ones its command serves on and keeps its data in, and that command, run here with only the
port and the data directory replaced, starts a server that answers and writes its store into
the data directory.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from tests.conftest import Server, free_port
from tests.wire.helpers import create_table

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def one(name: str) -> str:
    (value,) = [rest for word, rest in instructions() if word == name]
    return value


def command() -> list[str]:
    """What the container runs: ENTRYPOINT then CMD, both in exec (JSON) form."""
    entrypoint, cmd = json.loads(one("ENTRYPOINT")), json.loads(one("CMD"))
    assert isinstance(entrypoint, list) and isinstance(cmd, list)
    return [*entrypoint, *cmd]


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_what_it_copies_exists_and_the_image_is_python_311() -> None:
    assert one("FROM") == "python:3.11-slim"
    for word, rest in instructions():
        if word == "COPY":
            *sources, _ = shlex.split(rest)
            for source in sources:
                assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text()
    for kept in ("!pyproject.toml", "!README.md", "!opendynamo/"):
        assert kept in ignored.splitlines()


def test_command_serves_the_exposed_port_and_keeps_data_on_the_volume() -> None:
    args = command()
    assert args[:2] == ["opendynamo", "serve"]
    assert option(args, "--host") == "0.0.0.0"
    assert option(args, "--port") == one("EXPOSE")
    data_dir = option(args, "--data-dir")
    assert data_dir == one("VOLUME")
    run = " ".join(rest for word, rest in instructions() if word == "RUN")
    assert f"mkdir -p {data_dir}" in run  # the volume's directory exists, owned by its user
    assert f"chown {one('USER')} {data_dir}" in run
    # Not loopback: serve refuses to start without an explicit --auth, so the image chooses.
    assert option(args, "--auth") == "off"


def test_the_command_starts_a_server(tmp_path: Path) -> None:
    """The container's command, here: its port and data directory replaced, nothing else."""
    args = command()
    port = free_port()
    args[args.index("--port") + 1] = str(port)
    args[args.index("--data-dir") + 1] = str(tmp_path)
    assert args[0] == "opendynamo"
    server = Server(None, port=port)
    server.start_command([sys.executable, "-m", "opendynamo", *args[1:]])
    try:
        name = create_table(server.client())
        assert name in server.client().list_tables()["TableNames"]
        assert (tmp_path / "opendynamo.db").exists()
    finally:
        server.stop()
