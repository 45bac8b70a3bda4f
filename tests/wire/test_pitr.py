"""Backups and point-in-time restores are exact while writes go on: each restored table holds
exactly the items the table held at the instant asked for.

A writer thread runs puts, updates, deletes and two-item transactions against a table, one at a
time, and records when each request was sent and answered. The model of the table at an
instant T applies every write answered before T and none sent after T; the one write in flight
at T may be in or out (a transaction all or nothing). Restores to several instants, spread over
point-in-time snapshots the server takes while the writer runs, and an on-demand backup taken
mid-run, are each compared with that model item for item, and also through a GSI.

The server is dedicated and tuned so this happens within seconds: a recovery snapshot every 1.5 s
(OPENDYNAMO_PITR_SNAPSHOT_INTERVAL), copied 5 items per housekeeper step (one step every 0.03 s: a copy takes about half the interval, so that restore instants fall inside copies)
(OPENDYNAMO_SNAPSHOT_BATCH) so that writes land between the steps of every copy; the latest
restorable time 1 s behind now (OPENDYNAMO_PITR_LAG; DynamoDB: about 5 minutes).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Backend, Server, unique_name
from tests.wire.helpers import eventually, scan_by_pk, wait_table_active

ENV = {
    "OPENDYNAMO_PITR_SNAPSHOT_INTERVAL": "1.5",
    "OPENDYNAMO_PITR_MAINTAIN_EVERY": "0.3",
    "OPENDYNAMO_PITR_LAG": "1",
    "OPENDYNAMO_SNAPSHOT_BATCH": "5",
    "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.03",
}
KEYS = [f"k{i:03}" for i in range(120)]
Item = dict[str, Any]


@pytest.fixture(scope="module")
def pitr_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("pitr"), env=ENV, extra_args=backend()).start()
    yield server
    server.stop()


@dataclass
class Write:
    sent: float
    answered: float
    changes: dict[str, Item | None]  # key -> the item after the write (None: deleted)


@dataclass
class Writer:
    """Sequential writes of random kinds; `log` holds each with its timing."""

    client: Any
    table: str
    log: list[Write] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    state: dict[str, Item] = field(default_factory=dict)
    counter: int = 0

    def run(self) -> None:
        rng = random.Random(7)
        while not self.stop.is_set():
            self.counter += 1
            kind = rng.random()
            sent = time.time()
            if kind < 0.15:
                changes = self._transact(rng.sample(KEYS, 2))
            else:
                changes = self._single(rng.choice(KEYS), kind)
            answered = time.time()
            self.log.append(Write(sent, answered, changes))
            for key, item in changes.items():
                if item is None:
                    self.state.pop(key, None)
                else:
                    self.state[key] = item

    def _item(self, key: str) -> Item:
        return {
            "pk": {"S": key},
            "n": {"N": str(self.counter)},
            "g": {"S": f"g{self.counter % 3}"},
        }

    def _single(self, key: str, kind: float) -> dict[str, Item | None]:
        if kind < 0.3 and key in self.state:
            self.client.delete_item(TableName=self.table, Key={"pk": {"S": key}})
            return {key: None}
        if kind < 0.55 and key in self.state:
            reply = self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET n = :n, u = :u",
                ExpressionAttributeValues={":n": {"N": str(self.counter)}, ":u": {"BOOL": True}},
                ReturnValues="ALL_NEW",
            )
            return {key: reply["Attributes"]}
        item = self._item(key)
        self.client.put_item(TableName=self.table, Item=item)
        return {key: item}

    def _transact(self, keys: list[str]) -> dict[str, Item | None]:
        items = {key: self._item(key) for key in keys}
        self.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table, "Item": item}} for item in items.values()
            ]
        )
        return dict(items)


def model_candidates(
    initial: dict[str, Item], log: list[Write], start: float, end: float
) -> list[dict[str, Item]]:
    """The states the table may have had at an instant known to lie within [start, end]:
    every write answered before `start` applied, none sent after `end`, and of the writes in
    between (in flight), any prefix."""
    state = dict(initial)
    settled = [w for w in log if w.answered < start]
    pending = [w for w in log if w.answered >= start and w.sent <= end]
    for write in settled:
        _apply(state, write)
    candidates = [dict(state)]
    for write in pending:
        _apply(state, write)
        candidates.append(dict(state))
    return candidates


def _apply(state: dict[str, Item], write: Write) -> None:
    for key, item in write.changes.items():
        if item is None:
            state.pop(key, None)
        else:
            state[key] = item


def _differences(expected: dict[str, Item], got: dict[str, Item]) -> dict[str, Any]:
    keys = sorted(set(expected) | set(got))
    return {k: (expected.get(k), got.get(k)) for k in keys if expected.get(k) != got.get(k)}


def check_restored(client: Any, table: str, candidates: list[dict[str, Item]]) -> dict[str, Item]:
    described = wait_table_active(client, table, timeout=60, interval=0.1)
    assert "RestoreSummary" not in described
    restored = scan_by_pk(client, table)
    if restored not in candidates:
        closest = min(candidates, key=lambda c: len(_differences(c, restored)))
        raise AssertionError(
            f"{table}: restored {len(restored)} items match none of {len(candidates)} "
            f"candidate states; closest differs in {_differences(closest, restored)}"
        )
    assert described["ItemCount"] == len(restored)
    by_index = scan_by_pk(client, table, IndexName="by_g")
    assert by_index == {key: item for key, item in restored.items() if "g" in item}
    return restored


def test_restores_to_instants_and_a_backup_taken_under_writes_are_exact(
    pitr_server: Server,
) -> None:
    client = pitr_server.client()
    table = unique_name("pitr")
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    writer = Writer(pitr_server.client(), table)
    for key in KEYS:  # a full table before recovery is on
        writer._single(key, 0.9)
        writer.state[key] = writer._item(key)
        writer.counter += 1
    initial = scan_by_pk(client, table)
    assert len(initial) == len(KEYS)
    enabled = client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert enabled["PointInTimeRecoveryStatus"] == "ENABLED"

    thread = threading.Thread(target=writer.run)
    thread.start()
    instants: list[float] = []
    backup: tuple[str, float, float] | None = None
    try:
        for round_ in range(8):  # about 6 s of writes: three or four recovery snapshots
            time.sleep(0.7)
            instants.append(time.time())
            if round_ == 4:
                sent = time.time()
                arn = client.create_backup(TableName=table, BackupName="midway")["BackupDetails"][
                    "BackupArn"
                ]
                backup = (arn, sent, time.time())
    finally:
        writer.stop.set()
        thread.join()
    assert len(writer.log) > 200, "the writer should have kept the table busy"

    def recovery_window() -> dict[str, Any]:
        return dict(
            client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
                "PointInTimeRecoveryDescription"
            ]
        )

    # The last instant becomes restorable (1 s behind now) within the 1.5 s this always took.
    eventually(
        lambda: recovery_window()["LatestRestorableDateTime"].timestamp() >= instants[-1], 1.5
    )
    window = recovery_window()
    assert window["EarliestRestorableDateTime"].timestamp() <= instants[0]
    assert window["LatestRestorableDateTime"].timestamp() >= instants[-1]

    restored = []
    for number, instant in enumerate(instants):
        target = f"{table}-at{number}"
        client.restore_table_to_point_in_time(
            SourceTableName=table,
            TargetTableName=target,
            RestoreDateTime=datetime.fromtimestamp(instant, UTC),
        )
        restored.append((target, instant))
    assert backup is not None
    arn, sent, answered = backup
    from_backup = f"{table}-backup"
    eventually(
        lambda: (
            client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
                "BackupStatus"
            ]
            == "AVAILABLE"
        ),
        30,
        0.1,
        "the backup did not become AVAILABLE",
    )
    client.restore_table_from_backup(TargetTableName=from_backup, BackupArn=arn)

    states = []
    for target, instant in restored:
        # RestoreDateTime travels in milliseconds.
        candidates = model_candidates(initial, writer.log, instant - 0.002, instant + 0.002)
        states.append(check_restored(client, target, candidates))
    check_restored(client, from_backup, model_candidates(initial, writer.log, sent, answered))
    assert len({repr(sorted(state.items())) for state in states}) == len(states)
