"""The Time to Live sweep and its expiry index (engine/ttl, engine/expiry), on a store in
memory: a sweep reads the index only once it is built, reads the items a build has not reached
yet, drops an entry its item no longer has, reads the whole table after a build that failed,
and builds the index of a table whose TTL an earlier version enabled; disabling TTL drops the
index."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import orjson
import pytest

from opendynamo.api.dynamodb import tables, ttl
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog, expiry, items, jobs, tuning
from opendynamo.engine import ttl as sweeper
from opendynamo.engine.bulk import load
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import keycodec, layout
from opendynamo.storage.base import Store, prefix_end
from opendynamo.storage.sqlite import SqliteStore

ACCOUNT, REGION, TABLE = "000000000000", "us-east-1", "expiring"
NOW = time.time()


@pytest.fixture
def store() -> Iterator[Store]:
    """A table of 30 items, every third one expired, its TTL just enabled (the index not
    built yet)."""
    store = SqliteStore(None)
    ctx = Context(store, ACCOUNT, REGION, request_id="test", endpoint="")
    keys = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    tables.create_table(ctx, {"TableName": TABLE, **keys})
    rows = [orjson.dumps({"pk": {"S": f"k{i}"}, "exp": {"N": str(expires(i))}}) for i in range(30)]
    load(store, ACCOUNT, REGION, TABLE, rows)
    spec = {"Enabled": True, "AttributeName": "exp"}
    ttl.update_time_to_live(ctx, {"TableName": TABLE, "TimeToLiveSpecification": spec})
    yield store
    store.close()


def expires(i: int) -> int:
    return int(NOW) - 60 if i % 3 == 0 else int(NOW) + 3600


def table(store: Store) -> TableMeta:
    with store.read() as txn:
        meta = catalog.find_table(txn, ACCOUNT, REGION, TABLE)
    assert meta is not None
    return meta


def entries(store: Store) -> list[str]:
    """The pk of each entry of the table's expiry index, in key order."""
    prefix = layout.expiry_prefix(table(store).uid_bytes)
    with store.read() as txn:
        found = [key for key, _ in txn.range(prefix, prefix_end(prefix))]
    return [keycodec.decode_key(expiry.item_key(prefix, key))[0]["S"] for key in found]


def left(store: Store) -> set[str]:
    prefix = layout.items_prefix(table(store).uid_bytes)
    with store.read() as txn:
        found = [key for key, _ in txn.range(prefix, prefix_end(prefix))]
    return {keycodec.decode_key(key[len(prefix) :])[0]["S"] for key in found}


def remove_entry(store: Store, pk: str, moment: int) -> None:
    meta = table(store)
    key = keycodec.encode_key({"S": pk}, None)
    with store.write() as txn:
        txn.delete(expiry.entry_key(meta, key, expiry.moment_bytes({"N": str(moment)}) or b""))


def test_before_the_build_the_sweep_reads_the_items(store: Store) -> None:
    assert expiry.state(table(store)) == {"state": "BUILDING", "cursor": None}
    assert entries(store) == []
    assert sweeper.sweep(store, store.now()) == 10
    assert left(store) == {f"k{i}" for i in range(30) if i % 3}


def test_once_built_the_sweep_reads_the_index_only(store: Store) -> None:
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    assert expiry.state(table(store)) == {"state": "ACTIVE"}
    assert len(entries(store)) == 30
    remove_entry(store, "k0", expires(0))  # an expired item the index no longer names
    assert sweeper.sweep(store, store.now()) == 9
    assert left(store) == {"k0"} | {f"k{i}" for i in range(30) if i % 3}
    assert len(entries(store)) == 20


def test_a_build_half_done_is_read_with_the_items_after_it(store: Store) -> None:
    meta = table(store)
    with store.write() as txn:
        assert expiry.step(txn, meta, 12)  # the first 12 items, in key order
    cursor = expiry.state(table(store))
    assert cursor is not None and cursor["state"] == "BUILDING" and cursor["cursor"]
    assert len(entries(store)) == 12
    assert sweeper.sweep(store, store.now()) == 10
    assert left(store) == {f"k{i}" for i in range(30) if i % 3}


def test_an_entry_its_item_no_longer_has_goes(store: Store) -> None:
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    meta = table(store)
    key = keycodec.encode_key({"S": "k1"}, None)  # expires in an hour
    stale = expiry.entry_key(meta, key, expiry.moment_bytes({"N": str(int(NOW) - 5)}) or b"")
    with store.write() as txn:
        txn.put(stale, b"")
    assert sweeper.sweep(store, store.now()) == 10
    assert "k1" in left(store)
    with store.read() as txn:
        assert txn.get(stale) is None
        assert items.get(txn, meta, key) is not None


def test_a_failed_build_leaves_the_sweep_reading_the_table(store: Store) -> None:
    job = layout.job_key(ACCOUNT, REGION, TABLE)
    for _ in range(jobs.FAIL_AFTER):
        jobs._failed(store, job, RuntimeError("disk on fire"))
    assert expiry.state(table(store)) == {"state": "FAILED", "reason": "RuntimeError: disk on fire"}
    assert store.read_one(job) is None
    assert sweeper.sweep(store, store.now()) == 10
    assert left(store) == {f"k{i}" for i in range(30) if i % 3}


def test_a_table_enabled_before_the_index_gets_one(store: Store) -> None:
    meta = table(store)
    assert meta.ttl is not None
    legacy = {key: value for key, value in meta.ttl.items() if key != "index"}
    with store.write() as txn:
        catalog.put_table(txn, catalog.replace(meta, ttl=legacy))
        txn.delete(layout.job_key(ACCOUNT, REGION, TABLE))
    assert sweeper.sweep(store, store.now()) == 10  # the whole table, and the build started
    assert expiry.state(table(store)) == {"state": "BUILDING", "cursor": None}
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    assert expiry.state(table(store)) == {"state": "ACTIVE"}
    assert len(entries(store)) == 20


def test_disabling_drops_the_index_and_enabling_again_starts_afresh(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tuning, "current", replace(tuning.current, ttl_change_interval=0.0))
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    assert len(entries(store)) == 30
    ctx = Context(store, ACCOUNT, REGION, request_id="test", endpoint="")
    for enabled, attribute in ((False, "exp"), (True, "other")):
        spec = {"Enabled": enabled, "AttributeName": attribute}
        ttl.update_time_to_live(ctx, {"TableName": TABLE, "TimeToLiveSpecification": spec})
    # Enabled again before the drop's job ran: the entries of "exp" went at once.
    assert expiry.state(table(store)) == {"state": "BUILDING", "cursor": None}
    assert entries(store) == []
    meta, item = table(store), {"pk": {"S": "x"}, "other": {"N": "5"}}
    with store.write() as txn:
        items.write(txn, meta, keycodec.encode_key({"S": "x"}, None), items.replacing(item))
    assert entries(store) == ["x"]
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    assert expiry.state(table(store)) == {"state": "ACTIVE"}
    assert entries(store) == ["x"]
    spec = {"Enabled": False, "AttributeName": "other"}
    ttl.update_time_to_live(ctx, {"TableName": TABLE, "TimeToLiveSpecification": spec})
    assert expiry.state(table(store)) == {"state": "DELETING"}
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    assert expiry.state(table(store)) is None
    assert entries(store) == []


def test_a_new_replica_indexes_the_items_it_is_filled_with(store: Store) -> None:
    jobs.finish_table(store, ACCOUNT, REGION, TABLE)
    ctx = Context(store, ACCOUNT, REGION, request_id="test", endpoint="")
    update = {"ReplicaUpdates": [{"Create": {"RegionName": "us-west-2"}}]}
    tables.update_table(ctx, {"TableName": TABLE, **update})
    jobs.finish_table(store, ACCOUNT, "us-west-2", TABLE)
    with store.read() as txn:
        replica = catalog.find_table(txn, ACCOUNT, "us-west-2", TABLE)
    assert replica is not None and replica.status == "ACTIVE"
    assert expiry.state(replica) == {"state": "ACTIVE"}
    prefix = layout.expiry_prefix(replica.uid_bytes)
    with store.read() as txn:
        assert len(list(txn.range(prefix, prefix_end(prefix)))) == 30
    assert sweeper.sweep(store, store.now()) == 20  # 10 in each region
