"""The versions global tables keep for last writer wins (`engine/replication`): a deleted
item's version is kept while an older change could still arrive, then forgotten, so a table
that deletes much does not grow a row per item it ever held."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.wire.helpers import create_table, eventually

VERSIONS = b"\x17"


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on SQLite whose housekeeper looks after the change log every 0.2 s."""
    data = tmp_path_factory.mktemp("versions")
    server = Server(data, env={"OPENDYNAMO_PITR_MAINTAIN_EVERY": "0.2"}).start()
    yield server
    server.stop()


def versions(data_dir: Path) -> int:
    """How many item versions the store holds (read beside the running server)."""
    (path,) = [p for p in data_dir.rglob("*.db")]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT count(*) FROM kv WHERE k >= ? AND k < ?", (VERSIONS, b"\x18"))
        return int(rows.fetchone()[0])


def test_versions_of_deleted_items_are_forgotten(quick: Server) -> None:
    home, away = quick.client(region="us-east-1"), quick.client(region="eu-west-1")
    name = create_table(home, "ver")
    home.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])

    def active() -> bool:
        try:
            return away.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
        except Exception:
            return False

    eventually(active, 10)
    keys: list[dict[str, Any]] = [{"pk": {"S": f"k{i}"}} for i in range(20)]
    for key in keys:
        home.put_item(TableName=name, Item=key)
    eventually(lambda: away.scan(TableName=name)["Count"] == 20, 5)
    assert versions(quick.data_dir) == 40  # each item's, in each replica
    for key in keys[:15]:
        away.delete_item(TableName=name, Key=key)
    eventually(lambda: home.scan(TableName=name)["Count"] == 5, 5)
    # The deletes' versions go once both replicas have sent each other past them.
    eventually(lambda: versions(quick.data_dir) == 10, 10,
               message=lambda: f"{versions(quick.data_dir)} versions left")  # fmt: skip
    home.put_item(TableName=name, Item=keys[0])
    eventually(lambda: "Item" in away.get_item(TableName=name, Key=keys[0]), 5)
