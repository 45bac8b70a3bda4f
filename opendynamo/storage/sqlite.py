"""The embedded backend: one SQLite file (WAL) of ordered key-value pairs, via apsw.

Several worker processes open the same file; SQLite serialises writers (`BEGIN IMMEDIATE`, with a
busy timeout) and gives every reader a consistent snapshot. `synchronous=NORMAL` in WAL mode
keeps every acknowledged write across a crash of the process (kill -9); only a power loss can
take back the last commits, as documented in the README.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager

import apsw

from opendynamo.storage.base import ReadTxn, WriteTxn, counts_added

_SCHEMA = "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
BUSY_TIMEOUT_MS = 30_000
_MANY = 100  # keys per statement of get_many (SQLite allows 32,766 parameters)
CHECKPOINT_PAGES = 1000  # SQLite's own wal_autocheckpoint default
# A bulk loader's connection: a page cache that holds the upper levels of a large table's
# B-tree, and a WAL copied back in 64 MB strides rather than 4 MB ones (measured: 300k items
# into an empty table, 20k -> 26k items/s).
BULK_CACHE_KIB = 256 * 1024
BULK_CHECKPOINT_PAGES = 16_000
log = logging.getLogger("opendynamo.storage")


class SqliteTxn:
    """Reads and writes on the connection while a transaction is open on it.

    What `guard` reads (the rows every request reads to rely on: a table's catalog row, the
    directory's generation) is kept until the transaction ends, rolls back to a savepoint, or
    changes the row: one writer at a time, so nothing else can. Counter additions
    (`add_many`) are kept until the transaction commits, or reads or changes one of those
    counters. A group's requests then read those rows once, and write each counter once,
    not once each."""

    __slots__ = ("_conn", "_clock", "_guarded", "_adds", "_kept")
    counter_buckets = 1

    def __init__(self, conn: apsw.Connection) -> None:
        self._conn = conn
        self._clock = 0  # the last stamp `append` gave: stamps never go back within a process
        self._guarded: dict[bytes, bytes | None] = {}
        self._adds: dict[bytes, tuple[int, int]] = {}  # counter additions not written yet
        self._kept: list[dict[bytes, tuple[int, int]]] = []  # `_adds` as each savepoint began

    # --- the store tells where its transactions begin and end ---------------------------

    def reset(self) -> None:
        """A transaction began, or rolled back: nothing kept is of it."""
        self._guarded.clear()
        self._adds = {}
        self._kept.clear()

    def savepoint(self) -> None:
        self._kept.append(dict(self._adds))

    def rolled_back_to_savepoint(self) -> None:  # (then released, as SQLite's ROLLBACK TO)
        self._guarded.clear()
        self._adds = self._kept[-1]

    def released(self) -> None:
        self._kept.pop()

    def write_adds(self) -> None:
        """Write the counter additions kept (before a commit, or a read of a counter). Within
        a savepoint, a rollback to it takes these writes back and restores `_adds` as it
        began (`rolled_back_to_savepoint`)."""
        adds, self._adds = self._adds, {}
        for key in sorted(adds):
            first, second = adds[key]
            if first or second:
                self.put(key, counts_added(self.get(key), first, second))

    # --- ReadTxn and WriteTxn ------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        if self._adds and key in self._adds:
            self.write_adds()
        for (value,) in self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)):
            return bytes(value)
        return None

    def guard(self, key: bytes) -> bytes | None:
        guarded = self._guarded
        if key in guarded:
            return guarded[key]
        value = guarded[key] = self.get(key)
        return value

    def add_many(self, changes: list[tuple[bytes, int, int]]) -> None:
        adds = self._adds
        for key, first, second in changes:
            held = adds.get(key)
            adds[key] = (first, second) if held is None else (held[0] + first, held[1] + second)

    def range(
        self,
        start: bytes,
        end: bytes | None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        if self._adds and self._adds_within(start, end):
            self.write_adds()
        return self._rows(start, end, reverse, limit)

    def _adds_within(self, start: bytes, end: bytes | None) -> bool:
        return any(start <= key and (end is None or key < end) for key in self._adds)

    def _rows(
        self, start: bytes, end: bytes | None, reverse: bool, limit: int | None
    ) -> Iterator[tuple[bytes, bytes]]:
        order = "DESC" if reverse else "ASC"
        bound = "" if end is None else " AND k < ?"
        args: tuple[object, ...] = (start,) if end is None else (start, end)
        sql = f"SELECT k, v FROM kv WHERE k >= ?{bound} ORDER BY k {order} LIMIT ?"
        cursor = self._conn.execute(sql, (*args, -1 if limit is None else limit))
        try:
            for key, value in cursor:
                yield bytes(key), bytes(value)
        finally:
            cursor.close()

    def _changing(self, key: bytes) -> None:
        """Before a change of `key`: the additions kept for it are written first (the change
        then applies after them), and what `guard` kept of it is dropped."""
        if self._adds and key in self._adds:
            self.write_adds()
        self._guarded.pop(key, None)

    def put(self, key: bytes, value: bytes) -> None:
        self._changing(key)
        self._conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

    def insert(self, key: bytes, value: bytes) -> bool:
        self._changing(key)
        self._conn.execute(
            "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, value)
        )
        return self._conn.changes() == 1

    def delete(self, key: bytes) -> None:
        self._changing(key)
        self._conn.execute("DELETE FROM kv WHERE k = ?", (key,))

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        if self._adds and not self._adds.keys().isdisjoint(keys):
            self.write_adds()
        found: dict[bytes, bytes] = {}
        for at in range(0, len(keys), _MANY):  # one statement per _MANY keys
            chunk = keys[at : at + _MANY]
            marks = ",".join("?" * len(chunk))
            for key, value in self._conn.execute(
                f"SELECT k, v FROM kv WHERE k IN ({marks})", chunk
            ):
                found[bytes(key)] = bytes(value)
        return [found.get(key) for key in keys]

    def put_many(self, pairs: list[tuple[bytes, bytes]]) -> None:
        adds, guarded = self._adds, self._guarded
        if adds and any(key in adds for key, _ in pairs):
            self.write_adds()
        for at in range(0, len(pairs), _MANY):  # one statement per _MANY rows, in order
            chunk = pairs[at : at + _MANY]
            flat: list[bytes] = []
            for key, value in chunk:
                guarded.pop(key, None)
                flat += (key, value)
            marks = ",".join(("(?,?)",) * len(chunk))
            self._conn.execute(f"INSERT OR REPLACE INTO kv (k, v) VALUES {marks}", flat)

    def insert_many(self, pairs: list[tuple[bytes, bytes]]) -> list[bool]:
        return [self.insert(key, value) for key, value in pairs]

    def append(self, entries: list[tuple[bytes, bytes, bytes]]) -> int:
        # Writers take turns on one machine, so its clock orders them (held monotonic here).
        self._clock = max(time.time_ns() // 1000, self._clock + 1)
        stamp = self._clock.to_bytes(8, "big")
        for prefix, suffix, value in entries:
            self.put(prefix + stamp + suffix, value)
        return self._clock

    def lock(self, keys: list[bytes]) -> None:
        pass  # one writer at a time

    def try_lock(self, keys: list[bytes]) -> bool:
        return True  # one writer at a time

    def delete_range(self, start: bytes, end: bytes) -> int:
        if self._adds and self._adds_within(start, end):
            self.write_adds()
        self._guarded.clear()
        self._conn.execute("DELETE FROM kv WHERE k >= ? AND k < ?", (start, end))
        return int(self._conn.changes())


class SqliteStore:
    """The SQLite store of one process. `path` None means a private in-memory database.

    Group commit: between `begin_group()` and `end_group()`, the first `write()` opens one
    transaction that every later `write()` joins as a savepoint (rolled back alone when its
    block raises) and every `read()` shares; `end_group()` commits them all at once. The caller
    must not report any of them done before `end_group()` returns (server/http holds the
    replies). Reads of a group before its first write share one read transaction (a snapshot,
    ended by that write or by `end_group()`): the requests of one turn arrived together, and
    a BEGIN and a COMMIT per read cost a GetItem a tenth of its time. Outside a group each
    `read()` and `write()` is its own transaction.
    """

    concurrent = False
    bulk_batch = 20_000  # pages dirtied by one transaction are written once, at its commit

    def __init__(
        self,
        path: str | None,
        *,
        checkpoint_thread: bool = False,
        bulk: bool = False,
        key: bytes | None = None,
    ) -> None:
        self.path = path
        self._conn = apsw.Connection(":memory:" if path is None else path)
        self._conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        self._checkpointer: _Checkpointer | None = None
        if path is not None:
            unlock(self._conn, path, key)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            if bulk:
                self._conn.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
                self._conn.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
            if checkpoint_thread:
                self._checkpointer = _Checkpointer(path, key)
                self._checkpointer.start()
                self._conn.set_wal_hook(self._checkpointer.on_commit)
        # Writers of every process serialise on this file's lock before BEGIN IMMEDIATE: the
        # kernel hands it to the next waiter the moment it is released, where SQLite's busy
        # handler polls with sleeps of up to 100 ms (measured, 2 workers, UpdateItem c=16:
        # p99 1.2 s without it).
        self._lock_fd = (
            -1 if path is None else os.open(path + "-writer", os.O_RDWR | os.O_CREAT, 0o600)
        )
        self._txn = SqliteTxn(self._conn)
        self._grouping = False
        self._group_open = False
        self._snapshot = False  # the group's shared read transaction is open (no write yet)
        with self.write():
            self._conn.execute(_SCHEMA)

    def read(self) -> AbstractContextManager[ReadTxn]:
        return _Reading(self)

    def write(self) -> AbstractContextManager[WriteTxn]:
        return _Writing(self)

    def _begin_immediate(self) -> None:
        if self._lock_fd >= 0:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._txn.reset()
        except BaseException:
            self._unlock()
            raise

    def _commit(self) -> None:
        """COMMIT (rolled back and raised when it fails), then let the next writer in."""
        try:
            self._txn.write_adds()
            self._conn.execute("COMMIT")
        except BaseException:
            self._txn.reset()
            if not self._conn.get_autocommit():
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def read_one(self, key: bytes) -> bytes | None:
        if self._shared():
            return self._txn.guard(key)
        return self._txn.get(key)  # a statement outside a transaction is one of its own

    def _shared(self) -> bool:
        """Whether a read now goes to the group's transaction: its write transaction, or the
        snapshot its reads share until then (opened by its first read)."""
        if self._group_open or self._snapshot:
            return True
        if self._grouping:
            self._open_snapshot()
            return True
        return False

    def _open_snapshot(self) -> None:
        self._conn.execute("BEGIN")
        self._txn.reset()
        self._snapshot = True

    def _close_snapshot(self) -> None:
        self._snapshot = False
        self._conn.execute("COMMIT")  # it wrote nothing: only its read mark goes

    def begin_group(self) -> None:
        self._grouping = True

    @property
    def group_open(self) -> bool:
        """Whether writes of the current group wait for `end_group()` to be durable."""
        return self._group_open

    def end_group(self) -> None:
        """Commit the group's writes; on failure roll all of them back and raise."""
        self._grouping = False
        if self._snapshot:
            self._close_snapshot()
        if not self._group_open:
            return
        self._group_open = False
        self._commit()

    def now(self) -> float:
        return time.time()  # one machine: its clock

    def close(self) -> None:
        if self._checkpointer is not None:
            self._conn.set_wal_hook(None)
            self._checkpointer.stop()
        self._conn.close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)


class _Reading:
    """`SqliteStore.read()`: a transaction of its own, or the group's (its write transaction,
    or the read transaction its reads share until its first write). (A class: a
    generator's context manager costs every request a microsecond more.)"""

    __slots__ = ("_store", "_own")

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._own = False

    def __enter__(self) -> SqliteTxn:
        store = self._store
        if not store._shared():
            store._conn.execute("BEGIN")
            store._txn.reset()
            self._own = True
        return store._txn

    def __exit__(self, *exc: object) -> None:
        if self._own:
            self._store._conn.execute("COMMIT")


class _Writing:
    """`SqliteStore.write()`: in a group, a savepoint of the group's transaction (rolled back
    alone when its block raises); otherwise a transaction of its own."""

    __slots__ = ("_store", "_grouped")

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._grouped = False

    def __enter__(self) -> SqliteTxn:
        store = self._store
        if store._grouping:
            self._grouped = True
            if not store._group_open:
                if store._snapshot:  # the group's reads so far end here; the rest share this
                    store._close_snapshot()
                store._begin_immediate()
                store._group_open = True
            store._conn.execute("SAVEPOINT w")
            store._txn.savepoint()
        else:
            store._begin_immediate()
        return store._txn

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        store = self._store
        conn = store._conn
        if self._grouped:
            if kind is not None:
                conn.execute("ROLLBACK TO w")
                store._txn.rolled_back_to_savepoint()
            conn.execute("RELEASE w")
            store._txn.released()
        elif kind is None:
            store._commit()
        else:
            store._txn.reset()
            try:
                conn.execute("ROLLBACK")
            finally:
                store._unlock()


class _Checkpointer(threading.Thread):
    """Copies the WAL back into the database file on its own connection and thread, once it
    holds CHECKPOINT_PAGES pages: SQLite would otherwise do it (with an fsync) inside the
    commit that crossed the mark, stalling every request of the worker behind it. apsw
    releases the GIL while SQLite works, so the event loop goes on meanwhile."""

    def __init__(self, path: str, key: bytes | None) -> None:
        super().__init__(name="opendynamo-checkpoint", daemon=True)
        self._path = path
        self._key = key
        self._wake = threading.Event()
        self._stopping = False

    def on_commit(self, conn: apsw.Connection, name: str, pages: int) -> int:
        if pages >= CHECKPOINT_PAGES:
            self._wake.set()
        return apsw.SQLITE_OK

    def run(self) -> None:
        conn = self._connect()
        if conn is None:
            return
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except apsw.Error:  # busy or locked: the next commit wakes it again
                    pass
        finally:
            conn.close()

    def _connect(self) -> apsw.Connection | None:
        """The thread's own connection; None once stopping. Its busy timeout comes first: the
        first statement may meet a writer starting up (seen as "database is locked" at a
        server's start), and without this thread nothing copies the WAL back."""
        while not self._stopping:
            conn = apsw.Connection(self._path)
            conn.set_busy_timeout(BUSY_TIMEOUT_MS)
            try:
                unlock(conn, self._path, self._key)
                return conn
            except apsw.Error:
                conn.close()
                log.exception("the checkpoint thread could not open %s; trying again", self._path)
                self._wake.wait(1.0)
        return None

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self.join(timeout=10)


class StoreLocked(Exception):
    """The database file is encrypted and no key or the wrong key was given (or it is not a
    database at all)."""


def unlock(conn: apsw.Connection, path: str, key: bytes | None) -> None:
    """Give the connection the file's encryption key (SQLite3 Multiple Ciphers encrypts every
    page of the file and of its WAL, ChaCha20-Poly1305 by default), and prove it opens the
    file: a wrong or missing key is a clear error here, not a corrupt-looking one later."""
    if key is not None:
        conn.execute(f"PRAGMA hexkey='{key.hex()}'")
    try:
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    except apsw.NotADBError:
        if key is None:
            raise StoreLocked(
                f"{path} is encrypted (or not a database): give its key with "
                "--encryption-key-file or OPENDYNAMO_ENCRYPTION_KEY_FILE"
            ) from None
        raise StoreLocked(
            f"the encryption key does not open {path} (a wrong key, or a store that is not "
            "encrypted: `opendynamo rekey` encrypts one)"
        ) from None


def rekey(data_dir: str, key: bytes | None, new_key: bytes) -> None:
    """Encrypt the store in `data_dir` under `new_key` (decrypting it from `key` first, when it
    has one). The server must be stopped. SQLite3 Multiple Ciphers rekeys outside WAL mode, so
    the WAL is folded into the file first and WAL mode restored after."""
    path = os.path.join(data_dir, "opendynamo.db")
    if not os.path.exists(path):
        raise StoreLocked(f"no store at {path}")
    conn = apsw.Connection(path)
    try:
        unlock(conn, path, key)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute(f"PRAGMA hexrekey='{new_key.hex()}'")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def optimize(data_dir: str, key: bytes | None) -> tuple[int, int] | None:
    """Compact the store in `data_dir` before a server opens it (DynamoDB Local's
    `-optimizeDbBeforeStartup`): the WAL folded into the file, the file rewritten without its
    free pages (VACUUM) and the query planner's statistics refreshed (PRAGMA optimize). Its
    size in bytes before and after; None when there is no store yet. Needs the store to
    itself: a running server's lock makes it fail with apsw.BusyError."""
    path = os.path.join(data_dir, "opendynamo.db")
    if not os.path.exists(path):
        return None
    before = sum(_size(path + suffix) for suffix in ("", "-wal"))
    conn = apsw.Connection(path)
    try:
        conn.set_busy_timeout(1000)
        unlock(conn, path, key)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()
    return before, sum(_size(path + suffix) for suffix in ("", "-wal"))


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def open_store(
    data_dir: str | None,
    *,
    checkpoint_thread: bool = False,
    bulk: bool = False,
    key: bytes | None = None,
) -> SqliteStore:
    """Open (creating if needed) the store in `data_dir`, or an in-memory one for None.
    A serving worker checkpoints the WAL on a thread of its own (`checkpoint_thread`); a bulk
    loader gets a larger cache and fewer checkpoints (`bulk`). With a `key`, every page on
    disk is encrypted."""
    if data_dir is None:
        return SqliteStore(None)
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    path = os.path.join(data_dir, "opendynamo.db")
    owner_only(path)
    return SqliteStore(path, checkpoint_thread=checkpoint_thread, bulk=bulk, key=key)


STORE_FILES = ("", "-wal", "-shm", "-writer")


def owner_only(path: str) -> None:
    """Make the store's files readable by their owner alone: create the database file 0600
    (SQLite gives its WAL and shared-memory files the database file's permissions), and take
    group and other permissions away from files an older version created. A stricter umask
    still applies."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in STORE_FILES:
        try:
            mode = os.stat(path + suffix).st_mode
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(path + suffix, mode & 0o700)
