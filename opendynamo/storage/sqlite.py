"""The embedded backend: one SQLite file (WAL) of ordered key-value pairs, via apsw.

Several worker processes open the same file; SQLite serialises writers (`BEGIN IMMEDIATE`, with a
busy timeout) and gives every reader a consistent snapshot. `synchronous=NORMAL` in WAL mode
keeps every acknowledged write across a crash of the process (kill -9); only a power loss can
take back the last commits, as documented in the README.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import apsw

from opendynamo.storage.base import ReadTxn, WriteTxn

_SCHEMA = "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
BUSY_TIMEOUT_MS = 30_000


class SqliteTxn:
    """Reads and writes on the connection while a transaction is open on it."""

    __slots__ = ("_conn",)

    def __init__(self, conn: apsw.Connection) -> None:
        self._conn = conn

    def get(self, key: bytes) -> bytes | None:
        for (value,) in self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)):
            return bytes(value)
        return None

    def range(
        self,
        start: bytes,
        end: bytes | None,
        *,
        reverse: bool = False,
        limit: int | None = None,
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

    def put(self, key: bytes, value: bytes) -> None:
        self._conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

    def delete(self, key: bytes) -> None:
        self._conn.execute("DELETE FROM kv WHERE k = ?", (key,))

    def delete_range(self, start: bytes, end: bytes) -> int:
        self._conn.execute("DELETE FROM kv WHERE k >= ? AND k < ?", (start, end))
        return int(self._conn.changes())


class SqliteStore:
    """The SQLite store of one process. `path` None means a private in-memory database."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._conn = apsw.Connection(":memory:" if path is None else path)
        self._conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        if path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        with self.write():
            self._conn.execute(_SCHEMA)

    @contextmanager
    def read(self) -> Iterator[ReadTxn]:
        self._conn.execute("BEGIN")
        try:
            yield SqliteTxn(self._conn)
        finally:
            self._conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[WriteTxn]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield SqliteTxn(self._conn)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


def open_store(data_dir: str | None) -> SqliteStore:
    """Open (creating if needed) the store in `data_dir`, or an in-memory one for None."""
    if data_dir is None:
        return SqliteStore(None)
    os.makedirs(data_dir, exist_ok=True)
    return SqliteStore(os.path.join(data_dir, "opendynamo.db"))
