"""The shared backend: PostgreSQL through psycopg 3, for a fleet of stateless API servers.

All data lives in one table, `opendynamo.kv (k bytea PRIMARY KEY, d integer, v bytea)`, in key
order. `d` is the row's distribution key, computed from its key by the function the store is
given (`model/layout.distribution`: the partition-key hash the key carries), so that under
Citus every row of one DynamoDB partition lives on one shard; every statement about one key,
and every range read within one partition, names it. With a key, every value is encrypted
(AES-256-GCM, bound to its row key) before it leaves the server.

Transactions:
- `read()` is REPEATABLE READ, READ ONLY: one snapshot for all its reads.
- `write()` is READ COMMITTED, and locks every key before it touches it (a transaction-scoped
  advisory lock on a 64-bit hash of the key; the lock, then the read, so the read sees the
  latest committed value). Writers of one key therefore run one after the other, as SQLite's
  single writer runs them all, while writers of different keys run at once. A row read only
  to rely on (`guard`: a table's catalog row) is locked shared; a multi-item write claims its
  items first, in one global order (`lock`). Range reads inside a write transaction take no
  locks: their callers hold the lock of the row that guards the range (the catalog row).
- Two writers that still lock keys in opposite orders deadlock; PostgreSQL aborts one of
  them, which surfaces as `Conflict` (as does a serialization failure, should the server's
  default isolation be stricter), and the request runs again (server/app). A lock waited for
  past the statement timeout surfaces as `LockTimeout`.

The schema is created and migrated on open (`migrate`), under an advisory lock, so servers that
start together apply each migration once. Every worker process answers requests on a pool of
threads (server/http runs them off the event loop for this store), each with a connection of
its own, kept open, its statements prepared and run through libpq directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from psycopg import errors as pgerrors
from psycopg import pq

from opendynamo.storage.base import Conflict, LockTimeout, ReadTxn, WriteTxn

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


class StoreLocked(RuntimeError):
    """The values are encrypted and no key, or the wrong key, was given."""


# The row that proves a key opens the database's values (the store's own, under META).
KEY_CHECK = b"\x00storage_values_key_check"
KEY_CHECK_TEXT = b"opendynamo values"
_SEALED = b"\x01"  # the format byte of an encrypted value


class Sealer:
    """Values encrypted with AES-256-GCM, each bound to its row key (a value cannot be moved
    to another row). Row keys stay readable: PostgreSQL orders and finds rows by them."""

    def __init__(self, key: bytes) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"opendynamo postgres values"
        ).derive(key)
        self._aead = AESGCM(derived)

    def seal(self, row: bytes, value: bytes) -> bytes:
        nonce = os.urandom(12)
        return _SEALED + nonce + self._aead.encrypt(nonce, value, row)

    def open(self, row: bytes, stored: bytes) -> bytes:
        if stored[:1] != _SEALED:
            raise InvalidTag()
        return self._aead.decrypt(stored[1:13], stored[13:], row)


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


_INT4 = struct.Struct(">i")
_INT8 = struct.Struct(">q")
_FLOAT8 = struct.Struct(">d")
_BYTEA, _INT4_OID, _INT8_OID, _INT8_ARRAY_OID = 17, 23, 20, 1016


def _statements(conflict_target: str) -> dict[bytes, tuple[str, list[int]]]:
    """Every statement a transaction runs, prepared once per connection: name -> (SQL,
    parameter types). Parameters and results travel in binary."""
    kv = f"{SCHEMA}.kv"
    found: dict[bytes, tuple[str, list[int]]] = {
        b"begin_read": ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", []),
        b"begin_write": ("BEGIN ISOLATION LEVEL READ COMMITTED", []),
        b"commit": ("COMMIT", []),
        b"rollback": ("ROLLBACK", []),
        b"now": ("SELECT extract(epoch FROM clock_timestamp())::float8", []),
        b"clock_us": ("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8", []),
        b"any_row": (f"SELECT 1 FROM {kv} WHERE k <> $1 LIMIT 1", [_BYTEA]),
        b"get": (f"SELECT v FROM {kv} WHERE d = $1 AND k = $2", [_INT4_OID, _BYTEA]),
        b"locked_get": (
            f"SELECT {SCHEMA}.locked_get($1, $2, $3)",
            [_INT8_OID, _INT4_OID, _BYTEA],
        ),
        b"guarded_get": (
            f"SELECT {SCHEMA}.guarded_get($1, $2, $3)",
            [_INT8_OID, _INT4_OID, _BYTEA],
        ),
        b"lock": ("SELECT pg_advisory_xact_lock($1)", [_INT8_OID]),
        # Ordered in a subquery, so that the locks are taken in that order.
        b"lock_many": (
            "SELECT count(pg_advisory_xact_lock(id)) FROM "
            "(SELECT id FROM unnest($1::bigint[]) AS id ORDER BY id) AS ordered",
            [_INT8_ARRAY_OID],
        ),
        b"put": (
            f"INSERT INTO {kv} (d, k, v) VALUES ($1, $2, $3) "
            f"ON CONFLICT {conflict_target} DO UPDATE SET v = EXCLUDED.v",
            [_INT4_OID, _BYTEA, _BYTEA],
        ),
        b"insert": (
            f"INSERT INTO {kv} (d, k, v) VALUES ($1, $2, $3) "
            f"ON CONFLICT {conflict_target} DO NOTHING",
            [_INT4_OID, _BYTEA, _BYTEA],
        ),
        b"delete": (f"DELETE FROM {kv} WHERE d = $1 AND k = $2", [_INT4_OID, _BYTEA]),
        b"delete_range": (f"DELETE FROM {kv} WHERE k >= $1 AND k < $2", [_BYTEA, _BYTEA]),
        b"delete_range_d": (
            f"DELETE FROM {kv} WHERE k >= $1 AND k < $2 AND d = $3",
            [_BYTEA, _BYTEA, _INT4_OID],
        ),
    }
    # Range reads: bounded or not above, within one distribution key or not, either order.
    for bounded in (False, True):
        for one_d in (False, True):
            for order in ("ASC", "DESC"):
                where, types = "k >= $1", [_BYTEA]
                if bounded:
                    where, types = where + " AND k < $2", types + [_BYTEA]
                if one_d:
                    where += f" AND d = ${len(types) + 1}"
                    types = types + [_INT4_OID]
                limit = f"${len(types) + 1}"
                name = f"range_{int(bounded)}{int(one_d)}{order}".encode()
                sql = f"SELECT k, v FROM {kv} WHERE {where} ORDER BY k {order} LIMIT {limit}"
                found[name] = (sql, types + [_INT8_OID])
    return found


class _Session:
    """One connection, its statements prepared; statements run through libpq directly (this
    is every request's path: psycopg's cursors cost about twice as much per statement).

    A transaction's BEGIN waits in `pending` and goes out with its first statement, in one
    round trip (libpq's pipeline mode; measured in process: a read transaction of one key,
    70 -> 49 us); a transaction that ran no statement needs neither BEGIN nor COMMIT."""

    __slots__ = ("conn", "pgconn", "pending", "_conninfo", "_options", "_statements", "_poll")

    def __init__(self, conninfo: str, options: str, statements: dict[bytes, Any]) -> None:
        self._conninfo = conninfo
        self._options = options
        self._statements = statements
        self.pending: bytes | None = None
        self._connect()

    def _connect(self) -> None:
        self.conn = psycopg.connect(
            self._conninfo, autocommit=True, options=self._options, application_name="opendynamo"
        )
        self.pgconn = self.conn.pgconn
        self._poll = select.poll()
        self._poll.register(self.pgconn.socket, select.POLLIN)
        for name, (sql, types) in self._statements.items():
            self._check(self.pgconn.prepare(name, sql.encode(), types))

    def run(self, name: bytes, params: list[bytes], formats: list[int]) -> pq.abc.PGresult:
        begin, self.pending = self.pending, None
        # Nothing of a transaction is lost with the connection while none is open yet (its
        # BEGIN still pending, or a statement outside any transaction).
        fresh = begin is not None or self.pgconn.transaction_status == pq.TransactionStatus.IDLE
        try:
            return self._send(begin, name, params, formats)
        except psycopg.Error:
            if self.usable or not fresh:
                raise  # a real error, or a transaction cut short: the caller's to handle
            # Closed by the database (a restart, a failover, an idle cut): on a new
            # connection the statement (and its transaction) begins again.
            self.conn.close()
            self._connect()
            return self._send(begin, name, params, formats)

    def _send(
        self, begin: bytes | None, name: bytes, params: list[bytes], formats: list[int]
    ) -> pq.abc.PGresult:
        if begin is None:
            return self._check(self.pgconn.exec_prepared(name, params, formats, 1))
        return self._begun(begin, name, params, formats)

    def _begun(
        self, begin: bytes, name: bytes, params: list[bytes], formats: list[int]
    ) -> pq.abc.PGresult:
        pgconn = self.pgconn
        pgconn.enter_pipeline_mode()
        try:
            pgconn.send_query_prepared(begin, [], [], 1)
            pgconn.send_query_prepared(name, params, formats, 1)
            pgconn.pipeline_sync()
            begun = self._next()
            result = self._next()
            sync = self._result()
            if sync is None or sync.status != pq.ExecStatus.PIPELINE_SYNC:
                raise psycopg.OperationalError("the connection was lost")
        finally:
            if self.usable and pgconn.pipeline_status != pq.PipelineStatus.OFF:
                with contextlib.suppress(psycopg.Error):
                    pgconn.exit_pipeline_mode()
        self._check(begun)
        return self._check(result)

    def _next(self) -> pq.abc.PGresult:
        """The next statement's result in a pipeline (libpq ends each with a None)."""
        result = self._result()
        if result is None or self._result() is not None:
            raise psycopg.OperationalError("the connection was lost")
        return result

    def _result(self) -> pq.abc.PGresult | None:
        """libpq's next result, waited for without holding the GIL: psycopg's get_result
        blocks holding it, which would stop every other request thread of the process
        (among them, the one holding the lock this statement waits for)."""
        pgconn = self.pgconn
        pgconn.consume_input()
        while pgconn.is_busy():
            self._poll.poll()
            pgconn.consume_input()
        return pgconn.get_result()

    def lock(self, name: bytes, params: list[bytes], formats: list[int]) -> pq.abc.PGresult:
        """`run` for a statement that waits for a key's lock: cancelled by the statement
        timeout, it raises LockTimeout."""
        try:
            return self.run(name, params, formats)
        except pgerrors.QueryCanceled as exc:
            raise LockTimeout(str(exc).strip()) from exc

    def _check(self, result: pq.abc.PGresult) -> pq.abc.PGresult:
        if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
            return result
        raise pgerrors.error_from_result(result)

    @property
    def usable(self) -> bool:
        return not self.conn.closed and self.pgconn.status == pq.ConnStatus.OK

    def close(self) -> None:
        self.conn.close()


_BINARY2 = [1, 1]
_BINARY3 = [1, 1, 1]
_BINARY4 = [1, 1, 1, 1]


class PostgresTxn:
    """Reads (and, in a write transaction, locked reads and writes) on one session."""

    __slots__ = ("_session", "_store", "_writing", "_locked", "_shared")
    counter_buckets = 256  # as many as distribution keys: a partition's bucket is beside it

    def __init__(self, session: _Session, store: PostgresStore, writing: bool) -> None:
        self._session = session
        self._store = store
        self._writing = writing
        self._locked: set[int] = set()  # advisory locks held, exclusive
        self._shared: set[int] = set()  # ... and shared (`guard`)

    def _dist(self, key: bytes) -> bytes:
        return _INT4.pack(self._store.distribution(key))

    def lock(self, keys: list[bytes]) -> None:
        wanted = sorted({_lock_id(key) for key in keys} - self._locked)
        if wanted:
            array = "{" + ",".join(map(str, wanted)) + "}"
            self._session.lock(b"lock_many", [array.encode()], [0])
            self._locked.update(wanted)

    def _lock(self, key: bytes) -> None:
        lock = _lock_id(key)
        if lock not in self._locked:
            self._session.lock(b"lock", [_INT8.pack(lock)], [1])
            self._locked.add(lock)

    def get(self, key: bytes) -> bytes | None:
        if self._writing:
            lock = _lock_id(key)
            if lock not in self._locked:
                self._locked.add(lock)
                return self._value(b"locked_get", [_INT8.pack(lock), self._dist(key), key], True)
        return self._value(b"get", [self._dist(key), key])

    def guard(self, key: bytes) -> bytes | None:
        if self._writing:
            lock = _lock_id(key)
            if lock not in self._locked and lock not in self._shared:
                self._shared.add(lock)
                return self._value(b"guarded_get", [_INT8.pack(lock), self._dist(key), key], True)
        return self._value(b"get", [self._dist(key), key])

    def _value(self, name: bytes, params: list[bytes], locking: bool = False) -> bytes | None:
        run = self._session.lock if locking else self._session.run
        result = run(name, params, _BINARY3 if len(params) == 3 else _BINARY2)
        return self._store.value_of(result, params[-1])

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
        run = self._session.run
        while left is None or left > 0:
            size = chunk if left is None else min(chunk, left)
            params = [low] if high is None else [low, high]
            if dist is not None:
                params.append(_INT4.pack(dist))
            params.append(_INT8.pack(size))
            name = f"range_{int(high is not None)}{int(dist is not None)}{order}".encode()
            result = run(name, params, [1] * len(params))
            rows = result.ntuples
            sealer = self._store.sealer
            for row in range(rows):
                key = bytes(result.get_value(row, 0) or b"")
                value = bytes(result.get_value(row, 1) or b"")
                yield key, value if sealer is None else sealer.open(key, value)
            if rows < size:
                return
            if left is not None:
                left -= rows
            last = bytes(result.get_value(rows - 1, 0) or b"")
            if reverse:
                high = last
            else:
                low = last + b"\x00"  # the smallest key after `last`
            chunk = min(chunk * 4, MAX_CHUNK)

    def put(self, key: bytes, value: bytes) -> None:
        self._lock(key)
        sealer = self._store.sealer
        if sealer is not None:
            value = sealer.seal(key, value)
        self._session.run(b"put", [self._dist(key), key, value], _BINARY3)

    def insert(self, key: bytes, value: bytes) -> bool:
        self._lock(key)
        sealer = self._store.sealer
        if sealer is not None:
            value = sealer.seal(key, value)
        result = self._session.run(b"insert", [self._dist(key), key, value], _BINARY3)
        return result.command_tuples == 1

    def append(self, entries: list[tuple[bytes, bytes, bytes]]) -> int:
        # The database's clock, read now that this transaction's locks are granted: a writer
        # of the same key that committed before holds an earlier stamp. The keys are new, so
        # they need no locks of their own.
        stamp = bytes(self._session.run(b"clock_us", [], []).get_value(0, 0) or b"")
        sealer = self._store.sealer
        for prefix, suffix, value in entries:
            key = prefix + stamp + suffix
            if sealer is not None:
                value = sealer.seal(key, value)
            self._session.run(b"put", [self._dist(key), key, value], _BINARY3)
        return int.from_bytes(stamp, "big", signed=True)

    def delete(self, key: bytes) -> None:
        self._lock(key)
        self._session.run(b"delete", [self._dist(key), key], _BINARY2)

    def delete_range(self, start: bytes, end: bytes) -> int:
        dist = self._store.range_distribution(start, end)
        if dist is None:
            result = self._session.run(b"delete_range", [start, end], _BINARY2)
        else:
            params = [start, end, _INT4.pack(dist)]
            result = self._session.run(b"delete_range_d", params, _BINARY3)
        return int(result.command_tuples or 0)


_CONFLICTS = (pgerrors.SerializationFailure, pgerrors.DeadlockDetected)


class PostgresStore:
    """The PostgreSQL store of one worker process: a connection per thread that uses it (the
    server's request threads: `pool_size` of them), kept open, each with its statements
    prepared. Safe to use from several threads at once (`concurrent`)."""

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
        key: bytes | None = None,
    ) -> None:
        self.conninfo = conninfo
        self.distribution = distribution
        self.range_distribution = range_distribution
        self.pool_size = pool_size
        self.sealer = None if key is None else Sealer(key)
        migrate(conninfo)
        self._statements = _statements(_conflict_target(conninfo))
        self._options = f"-c statement_timeout={statement_timeout_ms}"
        self._local = threading.local()
        self._sessions: list[_Session] = []
        self._sessions_lock = threading.Lock()
        self._check_key()

    def _check_key(self) -> None:
        """Refuse a key that does not open the database's values, a database whose values
        are encrypted when no key is given, and a key for a database that already holds
        values stored without one (the first server given a key marks the database)."""
        session = self._session()
        params = [_INT4.pack(0), KEY_CHECK]
        marked = session.run(b"get", params, _BINARY2)
        stored = bytes(marked.get_value(0, 0) or b"") if marked.ntuples else None
        if self.sealer is None:
            if stored is not None:
                raise StoreLocked(
                    "the database's values are encrypted: give their key with "
                    "--encryption-key-file or OPENDYNAMO_ENCRYPTION_KEY_FILE"
                )
            return
        if stored is None:
            if session.run(b"any_row", [KEY_CHECK], [1]).ntuples:
                raise StoreLocked(
                    "the database holds values stored without encryption; opendynamo does "
                    "not encrypt them afterwards: start from an empty database"
                )
            check = self.sealer.seal(KEY_CHECK, KEY_CHECK_TEXT)
            session.run(b"insert", [_INT4.pack(0), KEY_CHECK, check], _BINARY3)
            stored = bytes(session.run(b"get", params, _BINARY2).get_value(0, 0) or b"")
        try:
            self.sealer.open(KEY_CHECK, stored)
        except InvalidTag:
            raise StoreLocked("the encryption key does not open the database's values") from None

    def _session(self) -> _Session:
        """This thread's session, opened on first use and again after its connection broke."""
        session: _Session | None = getattr(self._local, "session", None)
        if session is not None and session.usable:
            return session
        fresh = _Session(self.conninfo, self._options, self._statements)
        with self._sessions_lock:
            if session is not None:
                self._sessions.remove(session)
                session.close()
            self._sessions.append(fresh)
        self._local.session = fresh
        return fresh

    def read(self) -> AbstractContextManager[ReadTxn]:
        return self._transaction(b"begin_read", False)

    def write(self) -> AbstractContextManager[WriteTxn]:
        return self._transaction(b"begin_write", True)

    @contextmanager
    def _transaction(self, begin: bytes, writing: bool) -> Iterator[PostgresTxn]:
        session = self._session()
        session.pending = begin
        try:
            yield PostgresTxn(session, self, writing)
        except BaseException as exc:
            if self._roll_back(session, exc):
                raise Conflict(str(exc).strip()) from exc
            raise
        try:
            self._commit(session)
        except _CONFLICTS as exc:
            raise Conflict(str(exc).strip()) from exc

    @staticmethod
    def _commit(session: _Session) -> None:
        if session.pending is not None:  # no statement ran: nothing was begun
            session.pending = None
        else:
            session.run(b"commit", [], [])

    def _roll_back(self, session: _Session, exc: BaseException) -> bool:
        """Roll the session's transaction back after `exc`; whether `exc` was a collision
        with another transaction (a deadlock or serialization failure)."""
        if session.pending is not None:
            session.pending = None
        elif session.usable:
            try:
                session.run(b"rollback", [], [])
            except psycopg.Error:
                session.close()  # reopened by the thread's next transaction
        return isinstance(exc, _CONFLICTS)

    def read_one(self, key: bytes) -> bytes | None:
        # Outside a transaction, one statement is one: no BEGIN and COMMIT round trips.
        result = self._session().run(b"get", [_INT4.pack(self.distribution(key)), key], _BINARY2)
        return self.value_of(result, key)

    def value_of(self, result: pq.abc.PGresult, key: bytes) -> bytes | None:
        """The value a one-value read of `key` returned (opened, when values are sealed)."""
        value = result.get_value(0, 0) if result.ntuples else None
        if value is None:
            return None
        return bytes(value) if self.sealer is None else self.sealer.open(key, bytes(value))

    def now(self) -> float:
        result = self._session().run(b"now", [], [])
        return float(_FLOAT8.unpack(result.get_value(0, 0) or b"")[0])

    # Group commit is SQLite's: here every request's transaction commits on its own.
    def begin_group(self) -> None:
        pass

    @property
    def group_open(self) -> bool:
        return False

    def end_group(self) -> None:
        pass

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


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
    key: bytes | None = None,
) -> PostgresStore:
    """The store in the database at `conninfo` (a postgresql:// URL), its schema migrated.
    `distribution` gives a stored key's distribution key, `range_distribution` the one every
    key of a range shares (None when the range may span several). With a `key`, values are
    encrypted (AES-256-GCM) before they leave the server."""
    return PostgresStore(
        conninfo,
        distribution,
        range_distribution,
        pool_size=pool_size,
        statement_timeout_ms=statement_timeout_ms,
        key=key,
    )
