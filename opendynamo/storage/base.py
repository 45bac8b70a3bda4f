"""The storage contract: an ordered, transactional key-value store of bytes.

Every backend (SQLite now, PostgreSQL later) implements these few calls; everything above
`storage/` — items, index entries, the catalog, counters — is expressed with them. Keys compare
as unsigned bytes; the key layout lives in `model/layout.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol


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


class WriteTxn(ReadTxn, Protocol):
    """A read view that can also change the store; its changes commit together or not at all."""

    def put(self, key: bytes, value: bytes) -> None: ...

    def insert(self, key: bytes, value: bytes) -> bool:
        """Store `value` under `key` unless the key is taken; whether it was stored."""
        ...

    def delete(self, key: bytes) -> None: ...

    def delete_range(self, start: bytes, end: bytes) -> int:
        """Remove every key with start <= key < end; return how many were removed."""
        ...


class Store(Protocol):
    """A handle on one database, used by one process (open one per worker)."""

    def read(self) -> AbstractContextManager[ReadTxn]:
        """A read transaction: a snapshot consistent across all its reads."""
        ...

    def write(self) -> AbstractContextManager[WriteTxn]:
        """A write transaction, serialised against every other writer; commits on normal exit,
        rolls back when the block raises."""
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

    def close(self) -> None: ...


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with `prefix` (None if there is none)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
