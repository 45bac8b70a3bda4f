"""One connection of the PostgreSQL store (`Session`), with every statement a transaction
runs (`statements`) prepared on it: statements go through libpq directly, a transaction's BEGIN
travels with its first statement in one round trip, results are awaited without holding the
GIL, and a connection the database closed between transactions is opened again.
"""

from __future__ import annotations

import contextlib
import select
import struct
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg import pq

from opendynamo.storage.base import LockTimeout
from opendynamo.storage.postgres.schema import SCHEMA

_BYTEA, _INT4_OID, _INT8_OID, _INT8_ARRAY_OID = 17, 23, 20, 1016
_BYTEA_ARRAY_OID, _INT4_ARRAY_OID = 1001, 1007
Call = tuple[bytes, list[bytes], list[int]]  # a prepared statement's name, parameters, formats


def statements(conflict_target: str) -> dict[bytes, tuple[str, list[int]]]:
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
        # Every lock it can take, in order; whether it took them all.
        b"try_lock_many": (
            "SELECT bool_and(pg_try_advisory_xact_lock(id)) FROM "
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
        # Many keys in one statement (bulk loads, a transaction's counters): arrays of the
        # rows' distribution keys, keys and values, in binary (`array`).
        b"get_many": (f"SELECT k, v FROM {kv} WHERE k = ANY($1)", [_BYTEA_ARRAY_OID]),
        b"put_many": (
            f"INSERT INTO {kv} (d, k, v) SELECT * FROM unnest($1::int4[], $2::bytea[], $3::bytea[]) "
            f"ON CONFLICT {conflict_target} DO UPDATE SET v = EXCLUDED.v",
            [_INT4_ARRAY_OID, _BYTEA_ARRAY_OID, _BYTEA_ARRAY_OID],
        ),
        b"insert_many": (
            f"INSERT INTO {kv} (d, k, v) SELECT * FROM unnest($1::int4[], $2::bytea[], $3::bytea[]) "
            f"ON CONFLICT {conflict_target} DO NOTHING RETURNING k",
            [_INT4_ARRAY_OID, _BYTEA_ARRAY_OID, _BYTEA_ARRAY_OID],
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


_ARRAY_HEADER = struct.Struct(">iiIii")  # dimensions, has nulls, element type, length, lower bound
_LENGTH = struct.Struct(">i")


def array(element_type: int, elements: list[bytes]) -> bytes:
    """A one-dimensional array without nulls in PostgreSQL's binary format, of elements
    already in binary (`_BYTEA_ARRAY_OID`'s elements are bytes as they are; int4's, 4 bytes)."""
    parts = [_ARRAY_HEADER.pack(1, 0, element_type, len(elements), 1)]
    for element in elements:
        parts.append(_LENGTH.pack(len(element)))
        parts.append(element)
    return b"".join(parts)


def bytea_array(elements: list[bytes]) -> bytes:
    return array(_BYTEA, elements)


def int4_array(elements: list[bytes]) -> bytes:
    return array(_INT4_OID, elements)


class Session:
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
        return self.pipeline([(name, params, formats)])[-1]

    def pipeline(self, calls: list[Call]) -> list[pq.abc.PGresult]:
        """Run prepared statements in order, all sent before the first answer is awaited (one
        round trip; libpq's pipeline mode), and return their results. The first that failed
        raises, and the statements after it did not run."""
        begin, self.pending = self.pending, None
        if begin is not None:
            calls = [(begin, [], []), *calls]
        # Nothing of a transaction is lost with the connection while none is open yet (its
        # BEGIN still pending, or a statement outside any transaction).
        fresh = begin is not None or self.pgconn.transaction_status == pq.TransactionStatus.IDLE
        try:
            results = self._send(calls)
        except psycopg.Error:
            if self.usable or not fresh:
                raise  # a real error, or a transaction cut short: the caller's to handle
            # Closed by the database (a restart, a failover, an idle cut): on a new
            # connection the statement (and its transaction) begins again.
            self.conn.close()
            self._connect()
            results = self._send(calls)
        return results[1:] if begin is not None else results

    def _send(self, calls: list[Call]) -> list[pq.abc.PGresult]:
        if len(calls) == 1:
            name, params, formats = calls[0]
            return [self._check(self.pgconn.exec_prepared(name, params, formats, 1))]
        pgconn = self.pgconn
        pgconn.enter_pipeline_mode()
        try:
            for name, params, formats in calls:
                pgconn.send_query_prepared(name, params, formats, 1)
            pgconn.pipeline_sync()
            results = [self._next() for _ in calls]
            sync = self._result()
            if sync is None or sync.status != pq.ExecStatus.PIPELINE_SYNC:
                raise psycopg.OperationalError("the connection was lost")
        finally:
            if self.usable and pgconn.pipeline_status != pq.PipelineStatus.OFF:
                with contextlib.suppress(psycopg.Error):
                    pgconn.exit_pipeline_mode()
        for result in results:
            self._check(result)  # the first failure raises; those after it were aborted
        return results

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
        return self.lock_pipeline([(name, params, formats)])[-1]

    def lock_pipeline(self, calls: list[Call]) -> list[pq.abc.PGresult]:
        """`pipeline` for statements of which one waits for keys' locks."""
        try:
            return self.pipeline(calls)
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
