"""The shared backend: PostgreSQL through psycopg 3, for a fleet of stateless API servers.

All data lives in one table, `opendynamo.kv (k bytea PRIMARY KEY, d integer, v bytea)`, in key
order. `d` is the row's distribution key, computed from its key by the function the store is
given (`model/layout.distribution`: the partition-key hash the key carries), so that under Citus every row of one DynamoDB partition lives on one shard; every
statement about one key, and every range read within one partition, names it.

Transactions:
- `read()` is REPEATABLE READ, READ ONLY: one snapshot for all its reads.
- `write()` is READ COMMITTED, and locks every key before it touches it (a transaction-scoped
  advisory lock on a 64-bit hash of the key; the lock, then the read, so the read sees the
  latest committed value). Writers of one key therefore run one after the other, as SQLite's
  single writer runs them all, while writers of different keys run at once. Range reads inside
  a write transaction take no locks: their callers hold the lock of the row that guards the
  range (a table's catalog row, which every write to the table reads first).
- Two writers that lock keys in opposite orders deadlock; PostgreSQL aborts one of them, which
  surfaces as `Conflict` (as does a serialization failure, should the server's default isolation
  be stricter), and the request runs again (server/app).

The schema is created and migrated on open (`migrate`), under an advisory lock, so servers that
start together apply each migration once. Every worker process has a pool of connections, one
per request thread (server/http runs requests off the event loop for this store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg_pool import ConnectionPool

from opendynamo.storage.base import Conflict, ReadTxn, WriteTxn

Distribution = Callable[[bytes], int]
RangeDistribution = Callable[[bytes, bytes | None], int | None]

SCHEMA = "opendynamo"
DEFAULT_POOL_SIZE = 8
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
MIGRATION_LOCK = 0x6F70656E64796E  # "opendyn": serialises schema changes of starting servers
FIRST_CHUNK = 64  # rows fetched by a range read's first statement; later ones fetch more
MAX_CHUNK = 4096

# Versioned migrations: never edit one that has shipped; add the next.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        f"""
        CREATE TABLE {SCHEMA}.kv (
            k bytea PRIMARY KEY,
            d integer NOT NULL,
            v bytea NOT NULL
        );
        CREATE FUNCTION {SCHEMA}.locked_get(lock bigint, dist integer, key bytea)
        RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock);
            -- a statement of its own, so it reads what was committed before the lock was ours
            RETURN (SELECT v FROM {SCHEMA}.kv WHERE d = dist AND k = key);
        END $$;
        CREATE FUNCTION {SCHEMA}.guarded_get(lock bigint, dist integer, key bytea)
        RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared(lock);
            RETURN (SELECT v FROM {SCHEMA}.kv WHERE d = dist AND k = key);
        END $$;
        """,
    ),
)
LATEST = MIGRATIONS[-1][0]


class SchemaTooNew(RuntimeError):
    pass


def migrate(conninfo: str) -> int:
    """Bring the schema up to date; the version it is at. Safe when several servers start at
    once: the first takes the lock and migrates, the others wait and find nothing to do."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {SCHEMA}.migrations "
                "(version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())"
            )
            row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.migrations")
            current = int(row.fetchone()[0])  # type: ignore[index]
            if current > LATEST:
                raise SchemaTooNew(
                    f"the database's opendynamo schema is at version {current}, newer than "
                    f"this server knows ({LATEST}); upgrade opendynamo"
                )
            for version, sql in MIGRATIONS:
                if version > current:
                    conn.execute(sql.encode())
                    conn.execute(
                        f"INSERT INTO {SCHEMA}.migrations (version) VALUES (%s)", (version,)
                    )
                    current = version
    return current


def _lock_id(key: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)


class PostgresTxn:
    """Reads (and, in a write transaction, locked reads and writes) on one connection."""

    __slots__ = ("_cur", "_store", "_writing", "_locked", "_shared", "_put_sql", "_insert_sql")
    counter_buckets = 256  # as many as distribution keys: a partition's bucket is beside it

    def __init__(self, cur: psycopg.Cursor[Any], store: PostgresStore, writing: bool) -> None:
        self._cur = cur
        self._store = store
        conflict_target = store.conflict_target
        self._writing = writing
        self._locked: set[int] = set()  # advisory locks held, exclusive
        self._shared: set[int] = set()  # ... and shared (`guard`)
        self._put_sql = (
            f"INSERT INTO {SCHEMA}.kv (d, k, v) VALUES (%s, %s, %s) "
            f"ON CONFLICT {conflict_target} DO UPDATE SET v = EXCLUDED.v"
        )
        self._insert_sql = (
            f"INSERT INTO {SCHEMA}.kv (d, k, v) VALUES (%s, %s, %s) "
            f"ON CONFLICT {conflict_target} DO NOTHING"
        )

    def lock(self, keys: list[bytes]) -> None:
        wanted = sorted({_lock_id(key) for key in keys} - self._locked)
        if wanted:
            # Ordered in a subquery, so the locks are taken in that order.
            self._cur.execute(
                "SELECT count(pg_advisory_xact_lock(id)) FROM "
                "(SELECT id FROM unnest(%s::bigint[]) AS id ORDER BY id) AS ordered",
                (wanted,),
            )
            self._locked.update(wanted)

    def _lock(self, key: bytes) -> None:
        lock = _lock_id(key)
        if lock not in self._locked:
            self._cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            self._locked.add(lock)

    def get(self, key: bytes) -> bytes | None:
        cur = self._cur
        if self._writing:
            lock = _lock_id(key)
            if lock not in self._locked:
                cur.execute(
                    f"SELECT {SCHEMA}.locked_get(%s, %s, %s)",
                    (lock, self._store.distribution(key), key),
                )
                self._locked.add(lock)
                row = cur.fetchone()
                return None if row is None or row[0] is None else bytes(row[0])
        return self._select(key)

    def _select(self, key: bytes) -> bytes | None:
        cur = self._cur
        cur.execute(
            f"SELECT v FROM {SCHEMA}.kv WHERE d = %s AND k = %s",
            (self._store.distribution(key), key),
        )
        row = cur.fetchone()
        return None if row is None else bytes(row[0])

    def guard(self, key: bytes) -> bytes | None:
        if self._writing:
            lock = _lock_id(key)
            if lock not in self._locked and lock not in self._shared:
                self._cur.execute(
                    f"SELECT {SCHEMA}.guarded_get(%s, %s, %s)",
                    (lock, self._store.distribution(key), key),
                )
                self._shared.add(lock)
                row = self._cur.fetchone()
                return None if row is None or row[0] is None else bytes(row[0])
        return self._select(key)

    def range(
        self,
        start: bytes,
        end: bytes | None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        """Reads in chunks (64 rows, then up to 4,096), each from where the last stopped, so a
        caller that stops early has fetched little more than it used."""
        dist = self._store.range_distribution(start, end)
        order = "DESC" if reverse else "ASC"
        low, high = start, end
        left = limit
        chunk = FIRST_CHUNK
        while left is None or left > 0:
            size = chunk if left is None else min(chunk, left)
            where = "k >= %s" if high is None else "k >= %s AND k < %s"
            args: list[object] = [low] if high is None else [low, high]
            if dist is not None:
                where += " AND d = %s"
                args.append(dist)
            args.append(size)
            self._cur.execute(
                f"SELECT k, v FROM {SCHEMA}.kv WHERE {where} ORDER BY k {order} LIMIT %s", args
            )
            rows = self._cur.fetchall()
            for key, value in rows:
                yield bytes(key), bytes(value)
            if len(rows) < size:
                return
            if left is not None:
                left -= len(rows)
            last = bytes(rows[-1][0])
            if reverse:
                high = last
            else:
                low = last + b"\x00"  # the smallest key after `last`
            chunk = min(chunk * 4, MAX_CHUNK)

    def put(self, key: bytes, value: bytes) -> None:
        self._lock(key)
        self._cur.execute(self._put_sql, (self._store.distribution(key), key, value))

    def insert(self, key: bytes, value: bytes) -> bool:
        self._lock(key)
        self._cur.execute(self._insert_sql, (self._store.distribution(key), key, value))
        return self._cur.rowcount == 1

    def delete(self, key: bytes) -> None:
        self._lock(key)
        self._cur.execute(
            f"DELETE FROM {SCHEMA}.kv WHERE d = %s AND k = %s", (self._store.distribution(key), key)
        )

    def delete_range(self, start: bytes, end: bytes) -> int:
        dist = self._store.range_distribution(start, end)
        if dist is None:
            self._cur.execute(f"DELETE FROM {SCHEMA}.kv WHERE k >= %s AND k < %s", (start, end))
        else:
            self._cur.execute(
                f"DELETE FROM {SCHEMA}.kv WHERE k >= %s AND k < %s AND d = %s", (start, end, dist)
            )
        return self._cur.rowcount


_CONFLICTS = (pgerrors.SerializationFailure, pgerrors.DeadlockDetected)


class PostgresStore:
    """The PostgreSQL store of one worker process: a pool of `pool_size` connections, each
    transaction on one of them. Safe to use from several threads at once (`concurrent`)."""

    concurrent = True
    bulk_batch = 500  # each key written holds a lock-table slot until the commit

    def __init__(
        self,
        conninfo: str,
        distribution: Distribution,
        range_distribution: RangeDistribution,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    ) -> None:
        self.conninfo = conninfo
        self.distribution = distribution
        self.range_distribution = range_distribution
        migrate(conninfo)
        self.conflict_target = _conflict_target(conninfo)
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={
                "autocommit": True,
                "prepare_threshold": 0,
                "options": f"-c statement_timeout={statement_timeout_ms}",
                "application_name": "opendynamo",
            },
            name="opendynamo",
            open=True,
        )

    @contextmanager
    def read(self) -> Iterator[ReadTxn]:
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", False) as txn:
            yield txn

    @contextmanager
    def write(self) -> Iterator[WriteTxn]:
        with self._transaction("BEGIN ISOLATION LEVEL READ COMMITTED", True) as txn:
            yield txn

    @contextmanager
    def _transaction(self, begin: str, writing: bool) -> Iterator[PostgresTxn]:
        with self._pool.connection() as conn:
            with conn.cursor() as cur:
                try:
                    cur.execute(begin)
                    yield PostgresTxn(cur, self, writing)
                except BaseException as exc:
                    if not conn.closed and not conn.broken:
                        conn.execute("ROLLBACK")
                    if isinstance(exc, _CONFLICTS):
                        raise Conflict(str(exc).strip()) from exc
                    raise
                try:
                    cur.execute("COMMIT")
                except _CONFLICTS as exc:
                    raise Conflict(str(exc).strip()) from exc

    # Group commit is SQLite's: here every request's transaction commits on its own.
    def begin_group(self) -> None:
        pass

    @property
    def group_open(self) -> bool:
        return False

    def end_group(self) -> None:
        pass

    def close(self) -> None:
        self._pool.close()


def _conflict_target(conninfo: str) -> str:
    """The ON CONFLICT target matching kv's primary key: (k) as created, or (d, k) once the
    table is distributed with Citus (which needs the distribution column in every unique
    constraint; docs/scale-out.md)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            """
            SELECT array_agg(a.attname::text ORDER BY a.attnum)
            FROM pg_index i JOIN pg_attribute a
              ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = %s::regclass AND i.indisprimary
            """,
            (f"{SCHEMA}.kv",),
        ).fetchone()
    columns = sorted(row[0]) if row and row[0] else ["k"]
    return "(" + ", ".join(columns) + ")"


def open_store(
    conninfo: str,
    distribution: Distribution,
    range_distribution: RangeDistribution,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> PostgresStore:
    """The store in the database at `conninfo` (a postgresql:// URL), its schema migrated.
    `distribution` gives a stored key's distribution key, `range_distribution` the one every
    key of a range shares (None when the range may span several)."""
    return PostgresStore(
        conninfo,
        distribution,
        range_distribution,
        pool_size=pool_size,
        statement_timeout_ms=statement_timeout_ms,
    )
