"""Global tables under faults: replication loses no acknowledged write when the server dies
(SIGKILL) while it is behind, and every replica converges once it serves again.

A table in us-east-1 gets replicas in eu-west-1 and ap-southeast-2; writers in all three
regions put, update and delete items of a small key space (shared keys that every writer
writes, so writes collide across regions, and keys of each writer's own) as fast as they can,
so replication (which sends a change once it is `stream_settle`, 0.5 s, old) is always behind
them. The server is killed mid-load; on SQLite it restarts on the same data directory, on
PostgreSQL the fleet's other server, which takes over the housekeeper lease, carries on.
Then:
- the three replicas converge to the same items;
- every key holds a value one of its writes wrote (or none, after a delete), and never one
  that a later write must have beaten: last writer wins by the store's clock, so a write
  sent after another was acknowledged has the later stamp and wins. For a key of one writer
  this is its last acknowledged write (or the write the kill interrupted, if that was
  committed): no acknowledged write is lost;
- a last write to every key, each in one of the regions, reaches every replica: replication
  resumed for all of them.
And, found by the above, a replicated delete that finds no item still keeps its version, so
that an older write arriving after it does not bring the item back in that replica alone.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from tests.conftest import Server
from tests.postgres import Postgres
from tests.wire.helpers import (
    consistent_scan_by_pk,
    create_table,
    eventually,
    wait_table_active,
)
from tests.wire.test_fleet import Fleet, start_fleet

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
SHARED_KEYS = [f"shared-{n}" for n in range(6)]  # every writer writes them
OWN_KEYS = 3  # keys only writer n writes: own-n-0 ...
CONVERGE_SECONDS = 20.0
ENV = {"OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.05"}  # a new replica is filled promptly


@dataclass(frozen=True, slots=True)
class Write:
    key: str
    value: str | None  # the item's `w` after it; None for a delete
    sent: float  # time.monotonic() before the request
    acked: float | None  # after its answer; None: the server died under it (it may be stored)
    # Whether it changed its region's item: a delete that found none there changed nothing,
    # has no version, and so beats no other write (replication may bring one in after it).
    changed: bool = True


@dataclass
class Load:
    """Writers, one per (region, server list): each writes through its first server and,
    should that one be killed, through the next."""

    table: str
    seed: int
    writes: list[Write] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    victim: Server | None = None  # set just before it is killed
    killed_at: float = 0.0  # time.monotonic() once it is dead
    after_kill: dict[str, int] = field(default_factory=dict)  # acknowledged writes, per region

    def acknowledged(self) -> int:
        return sum(1 for write in self.writes if write.acked is not None)

    def run(self, number: int, region: str, servers: list[Server]) -> None:
        rng = random.Random(self.seed * 100 + number)
        servers = list(servers)
        client = servers[0].client(region=region)
        count = 0
        while not self.stop.is_set():
            count += 1
            if rng.random() < 0.6:
                key = rng.choice(SHARED_KEYS)
            else:
                key = f"own-{number}-{rng.randrange(OWN_KEYS)}"
            value = f"{region}/{number}/{count}"
            roll = rng.random()
            sent = time.monotonic()
            changed = True
            try:
                if roll < 0.5:
                    client.put_item(
                        TableName=self.table,
                        Item={"pk": {"S": key}, "w": {"S": value}, "put": {"S": region}},
                    )
                elif roll < 0.8:
                    client.update_item(
                        TableName=self.table,
                        Key={"pk": {"S": key}},
                        UpdateExpression="SET w = :w, updated = :r",
                        ExpressionAttributeValues={":w": {"S": value}, ":r": {"S": region}},
                    )
                else:
                    value = None
                    reply = client.delete_item(
                        TableName=self.table, Key={"pk": {"S": key}}, ReturnValues="ALL_OLD"
                    )
                    changed = "Attributes" in reply
            except (BotoConnectionError, HTTPClientError, ClientError) as exc:
                if servers[0] is not self.victim:
                    self.failures.append(exc)
                    return
                self.writes.append(Write(key, value, sent, None))  # it may have been stored
                servers.pop(0)
                if not servers:
                    return
                client = servers[0].client(region=region)
                continue
            except BaseException as exc:  # reported by the main thread
                self.failures.append(exc)
                return
            self.writes.append(Write(key, value, sent, time.monotonic(), changed))
            if self.killed_at:
                self.after_kill[region] = self.after_kill.get(region, 0) + 1

    def start(self, writers: list[tuple[str, list[Server]]]) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.run, args=(number, region, servers), daemon=True)
            for number, (region, servers) in enumerate(writers)
        ]
        for thread in threads:
            thread.start()
        return threads

    def wait_under_way(self, seconds: float) -> None:
        """Until the writers have been at it for `seconds` and had over 100 writes answered."""
        started = time.monotonic()
        eventually(
            lambda: (
                self.failures
                or (time.monotonic() - started >= seconds and self.acknowledged() > 100)
            ),
            timeout=30,
            message=lambda: f"{self.acknowledged()} writes acknowledged",
        )
        assert not self.failures, self.failures[:3]

    def kill(self, victim: Server) -> None:
        """Kill `victim` while writes come: the last ones acknowledged before are younger than
        `stream_settle`, so replication has not sent them yet."""
        self.victim = victim
        before = time.monotonic()
        victim.kill()
        self.killed_at = time.monotonic()
        last = max(write.acked or 0.0 for write in self.writes)
        assert before - last < 0.5, f"no write in the last {before - last:.2f} s before the kill"

    def possible(self) -> dict[str, set[str | None]]:
        """What each written key may hold: the value (None: no item) of every write that no
        acknowledged write changing an item was sent after (that one has a later stamp, and
        wins). A write the kill interrupted was stored before the kill, or never."""
        by_key: dict[str, list[Write]] = {}
        for write in self.writes:
            by_key.setdefault(write.key, []).append(write)
        possible: dict[str, set[str | None]] = {}
        for key, writes in by_key.items():
            acked = [w for w in writes if w.acked is not None]
            last_sent = max((w.sent for w in acked if w.changed), default=float("-inf"))
            possible[key] = {
                w.value
                for w in writes
                if (w.acked if w.acked is not None else self.killed_at) >= last_sent
            }
            if not acked:
                possible[key].add(None)  # the interrupted writes may all be lost
        return possible


def writers_collided(load: Load) -> bool:
    """Whether some shared key was written (and acknowledged) in more than one region."""
    regions: dict[str, set[str]] = {}
    for write in load.writes:
        if write.acked is not None and write.value is not None:
            regions.setdefault(write.key, set()).add(write.value.split("/")[0])
    return any(len(regions.get(key, ())) > 1 for key in SHARED_KEYS)


# --------------------------------------------------------------------------- the table


def make_global_table(server: Server) -> str:
    """A PAY_PER_REQUEST table in us-east-1 with replicas in the other two regions, added
    one UpdateTable at a time, each waited for until ACTIVE in its region."""
    client = server.client(region=REGIONS[0])
    table = create_table(client, "gt", wait=True)
    for region in REGIONS[1:]:
        client.update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": region}}])
        wait_table_active(server.client(region=region), table)
        wait_table_active(client, table)
    return table


def contents(servers: list[Server], table: str) -> list[dict[str, Any]]:
    """Each region's items by key, read through the first server that answers."""
    found = []
    for region in REGIONS:
        for server in servers:
            if server.process is not None and server.process.poll() is None:
                found.append(consistent_scan_by_pk(server.client(region=region), table))
                break
    return found


def converged(servers: list[Server], table: str) -> dict[str, Any]:
    """The items every region holds alike, once they do (AssertionError after
    CONVERGE_SECONDS, naming what differs)."""
    seen: list[list[dict[str, Any]]] = []

    def same() -> bool:
        seen[:] = [contents(servers, table)]
        first, *others = seen[0]
        return all(other == first for other in others)

    eventually(same, CONVERGE_SECONDS, 0.1, lambda: differences(seen[0]))
    return seen[0][0]


def differences(regions: list[dict[str, Any]]) -> str:
    keys = sorted(set().union(*regions))
    differ = {
        key: [region.get(key, {}).get("w", {}).get("S") for region in regions]
        for key in keys
        if any(region.get(key) != regions[0].get(key) for region in regions)
    }
    return f"the replicas differ ({REGIONS}): {differ}"


def check_after_the_kill(load: Load, servers: list[Server], table: str) -> None:
    """The replicas converge, to values the writes allow; then a last write to every key, in
    the regions by turns, reaches every replica."""
    assert not load.failures, load.failures[:3]
    assert writers_collided(load), "no shared key was written in two regions"
    items = converged(servers, table)
    possible = load.possible()
    for key in sorted(set(possible) | set(items)):
        held = items[key]["w"]["S"] if key in items else None
        assert key in possible and held in possible[key], (key, held, possible.get(key))

    live = [s for s in servers if s.process is not None and s.process.poll() is None]
    final = {}
    keys = SHARED_KEYS + [f"own-{n}-{k}" for n in range(len(REGIONS)) for k in range(OWN_KEYS)]
    for number, key in enumerate(keys):
        region = REGIONS[number % len(REGIONS)]
        final[key] = {"pk": {"S": key}, "w": {"S": f"final/{region}"}}
        live[number % len(live)].client(region=region).put_item(TableName=table, Item=final[key])
    assert converged(servers, table) == final


# --------------------------------------------------------------------------- SQLite


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def test_sqlite_restart_after_a_kill_mid_replication(tmp_path: Path, servers: list[Server]) -> None:
    data = tmp_path / "data"
    first = Server(data, workers=1, env=ENV).start()
    servers.append(first)
    table = make_global_table(first)

    load = Load(table, seed=25)
    threads = load.start([(region, [first]) for region in REGIONS])
    try:
        load.wait_under_way(1.5)
        load.kill(first)  # replication is behind: the last 0.5 s of writes are not sent yet
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)

    second = Server(data, workers=1, env=ENV).start()
    servers.append(second)
    check_after_the_kill(load, [second], table)


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def fleet(postgres: Postgres, tmp_path: Path) -> Iterator[Fleet]:
    fleet = start_fleet(postgres, tmp_path, count=2)
    try:
        yield fleet
    finally:
        for server in fleet.servers:
            server.stop()


def test_postgres_fleet_loses_the_lease_holder_mid_replication(fleet: Fleet) -> None:
    one, two = fleet.servers
    pids = {server.process.pid: server for server in fleet.servers if server.process}
    table = make_global_table(one)
    holder = eventually(lambda: pids.get(fleet.lease_holder() or 0), 10.0, 0.1)
    survivor = two if holder is one else one

    load = Load(table, seed=52)
    # Through both servers into the three regions; a writer whose server dies goes on
    # through the other.
    threads = load.start([
        (REGIONS[0], [one, two]),
        (REGIONS[1], [two, one]),
        (REGIONS[2], [holder, survivor]),
    ])  # fmt: skip
    try:
        load.wait_under_way(1.5)
        load.kill(holder)
        # Writes go on through the survivor, which takes over the lease once it expires.
        eventually(lambda: load.failures or len(load.after_kill) == len(REGIONS), 10.0)
        time.sleep(1.0)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(load.after_kill) == sorted(REGIONS), (load.after_kill, load.failures[:3])
    check_after_the_kill(load, [survivor], table)
    assert fleet.lease_holder() == survivor.process.pid  # type: ignore[union-attr]


# --------------------------------------------------------------------------- deletes


def test_a_replicated_delete_that_finds_no_item_still_beats_older_writes(
    tmp_path: Path, servers: list[Server]
) -> None:
    """Last writer wins needs the version of a delete kept even where the replicated delete
    finds no item. Within one replication window: ap-southeast-2 deletes the item, us-east-1
    puts it, eu-west-1 deletes it, in that order. eu-west-1's delete reaches ap-southeast-2,
    where the item is already gone, before us-east-1's older put does (replicas send in
    the order of their regions' names): that put must lose there too."""
    server = Server(tmp_path / "data", workers=1, env=ENV).start()
    servers.append(server)
    table = make_global_table(server)
    us, eu, ap = (server.client(region=region) for region in REGIONS)
    key = {"pk": {"S": "k"}}
    eu.put_item(TableName=table, Item={**key, "w": {"S": "first"}})
    eventually(lambda: "Item" in ap.get_item(TableName=table, Key=key, ConsistentRead=True))
    eventually(lambda: "Item" in us.get_item(TableName=table, Key=key, ConsistentRead=True))
    ap.delete_item(TableName=table, Key=key)
    us.put_item(TableName=table, Item={**key, "w": {"S": "us"}})
    eu.delete_item(TableName=table, Key=key)
    assert converged([server], table) == {}
