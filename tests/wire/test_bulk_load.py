"""`opendynamo load`: items in DynamoDB JSON (one per line, ImportTable's format) put straight
into the store of a running server, with their index entries and counters, validated as
PutItem validates them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Backend, Server
from tests.wire.helpers import create_table


@pytest.fixture(scope="module")
def loaded_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Any:
    server = Server(tmp_path_factory.mktemp("load"), workers=2, extra_args=backend()).start()
    yield server
    server.stop()


BY_TEAM = ("ByTeam", "team")  # the tables' GSI: hashed on team (S), ALL projected


def load(server: Server, table: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    assert server.data_dir is not None
    return subprocess.run(
        [sys.executable, "-m", "opendynamo", "load", "--data-dir", str(server.data_dir),
         *server.extra_args, "--table", table, "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


def test_items_land_with_their_index_entries_and_counts(loaded_server: Server) -> None:
    table = create_table(loaded_server.client(), gsi=BY_TEAM)
    lines = [
        json.dumps({"Item": {"pk": {"S": f"u{i}"}, "team": {"S": f"t{i % 3}"}, "n": {"N": str(i)}}})
        for i in range(300)
    ]
    lines.append(json.dumps({"pk": {"S": "bare"}, "team": {"S": "t0"}}))  # a bare item too
    done = load(loaded_server, table, lines)
    assert done.returncode == 0, done.stderr
    assert "loaded 301 items" in done.stderr
    ddb = loaded_server.client()
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "u42"}})["Item"]["n"] == {"N": "42"}
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 301
    by_team = ddb.query(
        TableName=table,
        IndexName="ByTeam",
        KeyConditionExpression="team = :t",
        ExpressionAttributeValues={":t": {"S": "t0"}},
        Select="COUNT",
    )
    assert by_team["Count"] == 101
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 301


def test_a_bad_line_is_named_and_later_lines_are_not_loaded(loaded_server: Server) -> None:
    table = create_table(loaded_server.client(), gsi=BY_TEAM)
    lines = [
        json.dumps({"Item": {"pk": {"S": "ok"}}}),
        json.dumps({"Item": {"pk": {"N": "1"}}}),
        json.dumps({"Item": {"pk": {"S": "after"}}}),
    ]
    done = load(loaded_server, table, lines)
    assert done.returncode == 1
    assert (
        "line 2: One or more parameter values were invalid: Type mismatch for key pk" in done.stderr
    )
    ddb = loaded_server.client()
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "after"}})


def test_unknown_table_and_malformed_json(loaded_server: Server, tmp_path: Path) -> None:
    done = load(loaded_server, "missing-table", [json.dumps({"Item": {"pk": {"S": "a"}}})])
    assert done.returncode == 1 and "table missing-table not found" in done.stderr
    table = create_table(loaded_server.client(), gsi=BY_TEAM)
    done = load(loaded_server, table, ["{not json"])
    assert done.returncode == 1 and "line 1: not a JSON object" in done.stderr


def test_a_loaded_item_replaces_the_one_at_its_key(loaded_server: Server) -> None:
    """Keys already held (before the load, or earlier in it) are replaced, as PutItem does:
    one item per key in the counts, its old index entry gone."""
    table = create_table(loaded_server.client(), gsi=BY_TEAM)
    ddb = loaded_server.client()
    ddb.put_item(TableName=table, Item={"pk": {"S": "held"}, "team": {"S": "old"}})
    lines = [
        json.dumps({"Item": {"pk": {"S": "held"}, "team": {"S": "new"}}}),
        json.dumps({"Item": {"pk": {"S": "twice"}, "team": {"S": "new"}, "v": {"N": "1"}}}),
        json.dumps({"Item": {"pk": {"S": "twice"}, "team": {"S": "new"}, "v": {"N": "2"}}}),
    ]
    done = load(loaded_server, table, lines)
    assert done.returncode == 0, done.stderr
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "twice"}})["Item"]["v"] == {"N": "2"}

    def team_count(team: str) -> int:
        return int(ddb.query(
            TableName=table, IndexName="ByTeam", KeyConditionExpression="team = :t",
            ExpressionAttributeValues={":t": {"S": team}}, Select="COUNT",
        )["Count"])  # fmt: skip

    assert (team_count("old"), team_count("new")) == (0, 2)
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["ItemCount"] == 2
    expected_size = (
        sum(
            len(name) + len(value)
            for item in ({"pk": "held", "team": "new"}, {"pk": "twice", "team": "new", "v": ""})
            for name, value in item.items()
        )
        + 2
    )  # the Number 2 takes two bytes
    assert described["TableSizeBytes"] == expected_size
    assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == 2
