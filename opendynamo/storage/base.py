"""The storage contract: an ordered, transactional key-value store of bytes.

Every backend (`sqlite`, `postgres`) implements these few calls; everything above
`storage/` — items, index entries, the catalog, counters — is expressed with them. Keys compare
as unsigned bytes; the key layout lives in `model/layout.py`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol


class Conflict(Exception):
    """The transaction was rolled back because it collided with another one (a deadlock, or a
    serialization failure); nothing of it was stored, and running it again may succeed."""


class LockTimeout(Exception):
    """A key the transaction needed stayed locked by another transaction for longer than the
    store waits (PostgreSQL's statement timeout); the transaction was rolled back."""


COUNTS = struct.Struct(">qq")  # a counter's value (`WriteTxn.add_many`)


def counts_added(raw: bytes | None, first: int, second: int) -> bytes:
    """A counter's value (None: absent) with (first, second) added."""
    old_first, old_second = (0, 0) if raw is None else COUNTS.unpack(raw)
    return COUNTS.pack(old_first + first, old_second + second)


class ReadTxn(Protocol):
    """A consistent view of the store for the duration of one transaction."""

    def get(self, key: bytes) -> bytes | None:
        """The value stored under `key`, or None."""
        ...

    def range(
        self,
        start: bytes,
        end: bytes | None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        """Pairs with start <= key < end (end None: to the end of the store), in key order or
        reverse key order, at most `limit` of them. Reads lazily: stopping early costs nothing
        more than what was read."""
        ...

    def guard(self, key: bytes) -> bytes | None:
        """As `get`, for a row the transaction reads to rely on, not to change (a table's
        catalog row, read by every write to the table): in a write transaction, a writer of
        the row waits until this transaction ends, but other transactions guarding it do
        not wait for each other."""
        ...


class WriteTxn(ReadTxn, Protocol):
    """A read view that can also change the store; its changes commit together or not at all."""

    # How many rows each table counter is spread over (engine/stats): 1 where writers take
    # turns (SQLite), more where they run side by side and would queue on one row.
    counter_buckets: int

    def put(self, key: bytes, value: bytes) -> None: ...

    def insert(self, key: bytes, value: bytes) -> bool:
        """Store `value` under `key` unless the key is taken; whether it was stored."""
        ...

    def delete(self, key: bytes) -> None: ...

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        """`get` of each key, in order, in one call where the store can (one round trip)."""
        ...

    def put_many(self, pairs: list[tuple[bytes, bytes]]) -> None:
        """`put` of each (key, value) pair, in order, in one call where the store can."""
        ...

    def insert_many(self, pairs: list[tuple[bytes, bytes]]) -> list[bool]:
        """`insert` of each (key, value) pair, in order, in one call where the store can:
        whether each was stored (a key given twice is taken by its first)."""
        ...

    def delete_range(self, start: bytes, end: bytes) -> int:
        """Remove every key with start <= key < end; return how many were removed."""
        ...

    def add_many(self, changes: list[tuple[bytes, int, int]]) -> None:
        """Add to counters: each key holds two signed 64-bit big-endian numbers (`COUNTS`;
        an absent key holds 0 and 0), and (key, first, second) adds to them, in sorted key
        order. A store whose writers take turns may keep the additions until the
        transaction commits or reads or changes the key (a group of writes then writes each
        counter once); every read in the transaction sees them either way."""
        ...

    def append(self, entries: list[tuple[bytes, bytes, bytes]]) -> int:
        """Log entries: store each (prefix, suffix, value) under prefix + stamp + suffix, where
        the stamp, shared by all of them, is the store's clock now (8 bytes, big-endian
        microseconds since the epoch); return the stamp. Called once the transaction holds
        every lock it takes on the keys the entries are about, so that of two transactions
        that wrote the same key, the later one's entries sort after the earlier one's. The
        caller makes each prefix + suffix unique within the call."""
        ...

    def lock(self, keys: list[bytes]) -> None:
        """Claim these keys for the transaction now, in an order every transaction shares, as
        a multi-item write does before it reads its items: where writers of different keys
        run at once and each locks what it touches, two such writes over the same items then
        take turns instead of deadlocking. Where writers take turns anyway, nothing to do."""
        ...

    def try_lock(self, keys: list[bytes]) -> bool:
        """Claim these keys now if no other transaction holds any of them; False (some may
        then be claimed until the transaction ends) when one does. Where writers take turns,
        always True."""
        ...


class Store(Protocol):
    """A handle on one database, used by one process (open one per worker)."""

    # Whether transactions may run on several threads at once (each on a connection of its
    # own). A store whose calls wait on a network is; server/http then runs requests off the
    # event loop. Otherwise every call is made on the event loop's thread.
    concurrent: bool
    # Items a bulk load writes per transaction: as many as keep its commit cheap, and (on
    # PostgreSQL, which locks every key a transaction writes) its locks few.
    bulk_batch: int

    def read(self) -> AbstractContextManager[ReadTxn]:
        """A read transaction: a snapshot consistent across all its reads."""
        ...

    def write(self) -> AbstractContextManager[WriteTxn]:
        """A write transaction, serialised against every other writer; commits on normal exit,
        rolls back when the block raises."""
        ...

    def read_one(self, key: bytes) -> bytes | None:
        """The value under `key`, read on its own: as `get` in a `read()` of its own, cheaper
        where a transaction costs round trips."""
        ...

    def begin_group(self) -> None:
        """Group commit: from here on, writes join one transaction (each a savepoint)."""
        ...

    @property
    def group_open(self) -> bool:
        """Whether writes made since `begin_group` wait for `end_group` to be durable."""
        ...

    def end_group(self) -> None:
        """Commit the group's writes together; raise (all rolled back) when that fails."""
        ...

    def now(self) -> float:
        """The store's clock, in epoch seconds: for a store that several machines share, the
        database server's, so that a lease's expiry means the same to all of them."""
        ...

    def close(self) -> None: ...


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with `prefix` (None if there is none)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
