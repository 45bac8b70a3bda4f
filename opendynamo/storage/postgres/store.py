"""The PostgreSQL store and its transactions: `PostgresTxn` reads, locks and writes on one
thread's session (an advisory lock per key, range reads in growing chunks, values sealed when
the store has a key), and `PostgresStore`, which `open_store` returns, keeps a session per
request thread and turns a collision with another transaction into `Conflict`.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import psycopg
from cryptography.exceptions import InvalidTag
from psycopg import errors as pgerrors
from psycopg import pq

from opendynamo.storage.base import Conflict, ReadTxn, WriteTxn, counts_added
from opendynamo.storage.postgres.schema import conflict_target, migrate
from opendynamo.storage.postgres.sealing import KEY_CHECK, KEY_CHECK_TEXT, Sealer, StoreLocked
from opendynamo.storage.postgres.session import Call, Session, bytea_array, int4_array, statements

Distribution = Callable[[bytes], int]
RangeDistribution = Callable[[bytes, bytes | None], int | None]

DEFAULT_POOL_SIZE = 8
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
FIRST_CHUNK = 64  # rows fetched by a range read's first statement; later ones fetch more
MAX_CHUNK = 4096


def _lock_id(key: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)


_INT4 = struct.Struct(">i")
_INT8 = struct.Struct(">q")
_FLOAT8 = struct.Struct(">d")
_BINARY2 = [1, 1]
_BINARY3 = [1, 1, 1]
_BINARY4 = [1, 1, 1, 1]


class PostgresTxn:
    """Reads (and, in a write transaction, locked reads and writes) on one session."""

    __slots__ = ("_session", "_store", "_writing", "_locked", "_shared")
    counter_buckets = 256  # as many as distribution keys: a partition's bucket is beside it

    def __init__(self, session: Session, store: PostgresStore, writing: bool) -> None:
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

    def try_lock(self, keys: list[bytes]) -> bool:
        wanted = sorted({_lock_id(key) for key in keys} - self._locked)
        if not wanted:
            return True
        array = "{" + ",".join(map(str, wanted)) + "}"
        taken = self._session.run(b"try_lock_many", [array.encode()], [0]).get_value(0, 0)
        if taken not in (b"t", b"\x01"):
            return False
        self._locked.update(wanted)
        return True

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

    def _claim(self, keys: list[bytes]) -> list[Call]:
        """The statement that claims the keys this transaction does not hold yet (none when it
        holds them all), to go out ahead of the statement that reads or writes them."""
        wanted = sorted({_lock_id(key) for key in keys} - self._locked)
        if not wanted:
            return []
        self._locked.update(wanted)
        return [(b"lock_many", [("{" + ",".join(map(str, wanted)) + "}").encode()], [0])]

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        if not keys:
            return []
        calls = self._claim(keys) if self._writing else []
        calls.append((b"get_many", [bytea_array(keys)], [1]))
        result = self._session.lock_pipeline(calls)[-1]
        sealer = self._store.sealer
        found: dict[bytes, bytes] = {}
        for row in range(result.ntuples):
            key = bytes(result.get_value(row, 0) or b"")
            value = bytes(result.get_value(row, 1) or b"")
            found[key] = value if sealer is None else sealer.open(key, value)
        return [found.get(key) for key in keys]

    def put_many(self, pairs: list[tuple[bytes, bytes]]) -> None:
        last = dict(pairs)  # a key given twice ends with its last value, as two puts leave it
        if last:
            self._write_many(b"put_many", list(last.items()))

    def insert_many(self, pairs: list[tuple[bytes, bytes]]) -> list[bool]:
        first: dict[bytes, bytes] = {}
        for key, value in pairs:
            first.setdefault(key, value)  # a key given again finds it taken by its first
        if not first:
            return []
        result = self._write_many(b"insert_many", list(first.items()))
        stored = {bytes(result.get_value(row, 0) or b"") for row in range(result.ntuples)}
        taken = set()
        done = []
        for key, _ in pairs:
            done.append(key in stored and key not in taken)
            taken.add(key)
        return done

    def add_many(self, changes: list[tuple[bytes, int, int]]) -> None:
        # Writers run side by side here: each counter is read (locked) and written now.
        if len(changes) == 1:
            (key, first, second), *_ = changes
            self.put(key, counts_added(self.get(key), first, second))
            return
        olds = self.get_many([key for key, _, _ in changes])
        zipped = zip(changes, olds, strict=True)
        self.put_many([(key, counts_added(raw, a, b)) for (key, a, b), raw in zipped])

    def _write_many(self, name: bytes, pairs: list[tuple[bytes, bytes]]) -> pq.abc.PGresult:
        keys = [key for key, _ in pairs]
        sealer = self._store.sealer
        values = [v if sealer is None else sealer.seal(k, v) for k, v in pairs]
        dists = [self._dist(key) for key in keys]
        params = [int4_array(dists), bytea_array(keys), bytea_array(values)]
        calls = [*self._claim(keys), (name, params, _BINARY3)]
        return self._session.lock_pipeline(calls)[-1]

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
        self._statements = statements(conflict_target(conninfo))
        self._options = f"-c statement_timeout={statement_timeout_ms}"
        self._local = threading.local()
        self._sessions: list[Session] = []
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

    def _session(self) -> Session:
        """This thread's session, opened on first use and again after its connection broke."""
        session: Session | None = getattr(self._local, "session", None)
        if session is not None and session.usable:
            return session
        fresh = Session(self.conninfo, self._options, self._statements)
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
    def _commit(session: Session) -> None:
        if session.pending is not None:  # no statement ran: nothing was begun
            session.pending = None
        else:
            session.run(b"commit", [], [])

    def _roll_back(self, session: Session, exc: BaseException) -> bool:
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
