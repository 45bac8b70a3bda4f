"""engine/metrics/top on a real SQLite store: what `Requests` noted and a flush recorded, added up per
table and per operation over a window of whole minutes, busiest first; per-table figures on
the table's row; UserErrors per account and region; filters by account and region."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opendynamo.engine.metrics.dynamodb import Requests, Usage
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.engine.metrics.top import Frame, read_frame
from opendynamo.storage.sqlite import SqliteStore, open_store

ACCOUNT = "000000000000"
OTHER = "111111111111"
REGION = "us-east-1"
T0 = 1_800_000_000  # a minute boundary


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    handle = open_store(None)
    yield handle
    handle.close()


def request(
    recorder: Recorder,
    operation: str,
    table: str,
    moment: float,
    latency: float = 2.0,
    error: str | None = None,
    units: tuple[str | None, bool, float] | None = None,
    account: str = ACCOUNT,
) -> None:
    usage = Usage()
    if units is not None:
        index, write, count = units
        usage.consumed(table, index, write, count)
    requests = Requests()
    requests.note(account, REGION, operation, table, error, latency, usage, moment)
    requests.drain(recorder)


def frame_at(store: SqliteStore, now: float, **filters: str) -> Frame:
    with store.read() as txn:
        return read_frame(txn, now, 60.0, **filters)


def test_tables_and_operations_busiest_first(store: SqliteStore) -> None:
    recorder = Recorder()
    for i in range(30):
        request(recorder, "GetItem", "orders", T0 + 10 + i, latency=float(i + 1))
    for _ in range(10):
        request(recorder, "PutItem", "orders", T0 + 20, units=(None, True, 1.0))
    request(recorder, "Query", "orders", T0 + 30, units=("byUser", False, 3.0))
    request(recorder, "PutItem", "orders", T0 + 40, error="ConditionalCheckFailedException")
    for _ in range(5):
        request(recorder, "Scan", "users", T0 + 50)
    request(recorder, "Scan", "users", T0 + 50, error="ProvisionedThroughputExceededException")
    request(recorder, "Scan", "users", T0 + 50, error="ValidationException")
    request(recorder, "Scan", "users", T0 + 50, error="InternalServerError")
    recorder.flush(store, T0 + 59)

    frame = frame_at(store, T0 + 60)
    assert (frame.since, frame.seconds) == (T0, 60.0)
    names = [(row.table, row.operation, row.requests) for row in frame.rows]
    assert names == [
        ("orders", None, 41),
        ("orders", "GetItem", 30),
        ("orders", "PutItem", 10),
        ("orders", "Query", 1),
        ("users", None, 5),
        ("users", "Scan", 5),
    ]
    orders, get = frame.rows[0], frame.rows[1]
    assert orders.requests_per_second == pytest.approx(41 / 60)
    assert orders.write_units_per_second == pytest.approx(10 / 60)
    assert orders.read_units_per_second == pytest.approx(3 / 60)  # its index's reads count
    assert orders.conditional_check_failed == 1
    assert get.p50_ms == pytest.approx(15.0, rel=0.02)
    assert get.p99_ms == pytest.approx(30.0, rel=0.02)
    assert get.read_units_per_second is None and get.conditional_check_failed is None
    users, scan = frame.rows[4], frame.rows[5]
    assert (users.throttled, users.system_errors) == (1, 1)
    assert (scan.throttled, scan.system_errors) == (1, 1)
    assert [(e.account, e.region, e.count) for e in frame.user_errors] == [(ACCOUNT, REGION, 1)]


def test_the_window_reaches_back_to_whole_minutes(store: SqliteStore) -> None:
    recorder = Recorder()
    request(recorder, "GetItem", "t", T0 - 70)  # two minutes back: outside
    request(recorder, "GetItem", "t", T0 - 50)  # the minute before: inside
    request(recorder, "GetItem", "t", T0 + 5)
    recorder.flush(store, T0 + 10)
    frame = frame_at(store, T0 + 30)
    assert frame.since == T0 - 60 and frame.seconds == 90.0
    assert [row.requests for row in frame.rows] == [2, 2]
    assert frame.rows[0].requests_per_second == pytest.approx(2 / 90)
    assert frame_at(store, T0 + 200).rows == ()


def test_filters_by_account_and_region(store: SqliteStore) -> None:
    recorder = Recorder()
    request(recorder, "GetItem", "mine", T0 + 1)
    request(recorder, "GetItem", "theirs", T0 + 1, account=OTHER)
    request(recorder, "GetItem", "theirs", T0 + 2, account=OTHER)
    recorder.flush(store, T0 + 5)
    everything = frame_at(store, T0 + 10)
    assert [(row.account, row.table) for row in everything.tables()] == [
        (OTHER, "theirs"),
        (ACCOUNT, "mine"),
    ]
    assert [row.table for row in frame_at(store, T0 + 10, account=ACCOUNT).rows] == ["mine"] * 2
    assert frame_at(store, T0 + 10, region="eu-west-1").rows == ()
