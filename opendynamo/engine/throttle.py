"""Provisioned throughput, enforced with token buckets when the server runs with
`--enforce-capacity`.

Each provisioned table has a read and a write bucket refilled continuously at its provisioned
rate and holding at most 300 seconds of unused capacity (DynamoDB's burst allowance). A new
bucket starts with one second's worth. A request is admitted while its bucket holds anything
and is charged afterwards with what it actually consumed, so a large request can drive the
bucket below zero and the next ones wait, as DynamoDB does. Buckets live in the store, so every
worker process (and every server of a fleet) draws from the same ones.

A bucket is a row (tokens at a time) and, where writers run side by side (PostgreSQL), the
units drawn since through each of `SHARES` share rows: a write charges its thread's share, so
writers of one table do not queue on one row, and the tokens are the row's, refilled to now,
less what the shares drew since (`Bucket.drawn`). About once a second a writer folds what
the shares drew into the row (`FOLD_SECONDS`), if no other is doing so. Refilling the row's
tokens without the charges made since is capped too early only when the bucket is nearly full:
it then holds at most one second's worth less than a bucket charged row by row would; never
more. Where writers take turns (SQLite), every charge folds at once: the bucket is exact.
"""

from __future__ import annotations

import itertools
import random
import struct
import threading
import time
from dataclasses import dataclass

from opendynamo import errors
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn, prefix_end

BURST_SECONDS = 300.0
READ = b"R"
WRITE = b"W"
SHARES = 16  # share rows of a bucket where writers run side by side
FOLD_SECONDS = 1.0  # how often the shares' draws are folded into the bucket's row
_BUCKET = struct.Struct(">ddd")  # tokens, at (epoch seconds), shares' draws folded in
_BUCKET_V1 = struct.Struct(">dd")  # tokens, at: before shares
_DRAWN = struct.Struct(">d")


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    at: float  # epoch seconds of `tokens`
    folded: float = 0.0  # what the shares had drawn when `tokens` was set
    drawn: float = 0.0  # what the shares have drawn in all

    def now(self, rate: float, now: float) -> float:
        """Tokens at `now`: refilled since `at`, capped at the burst allowance, less what the
        shares drew since."""
        full = min(rate * BURST_SECONDS, self.tokens + rate * max(0.0, now - self.at))
        return full - (self.drawn - self.folded)


def _rate(meta: TableMeta, kind: bytes) -> float:
    return float(meta.read_capacity if kind == READ else meta.write_capacity)


def _enforced(meta: TableMeta) -> bool:
    return meta.billing_mode == "PROVISIONED"


# When this process last saw each bucket's row set ((table uid, kind) -> its `at`), so that a
# writer folds only when that is over FOLD_SECONDS ago.
_seen: dict[tuple[bytes, bytes], float] = {}


def _load(txn: ReadTxn, meta: TableMeta, kind: bytes, now: float) -> Bucket:
    """The bucket's row and its shares' draws, in one range read that takes no lock."""
    key = layout.bucket_key(meta.uid_bytes, kind)
    end = prefix_end(key)
    assert end is not None
    row: Bucket | None = None
    drawn = 0.0
    for found, raw in txn.range(key, end):
        if found == key:
            if len(raw) == _BUCKET_V1.size:
                row = Bucket(*_BUCKET_V1.unpack(raw))
            else:
                row = Bucket(*_BUCKET.unpack(raw))
        else:
            drawn += _DRAWN.unpack(raw)[0]
    if row is None:
        return Bucket(_rate(meta, kind), now, 0.0, drawn)
    if len(_seen) > 100_000:
        _seen.clear()
    _seen[(meta.uid_bytes, kind)] = row.at
    return Bucket(row.tokens, row.at, row.folded, drawn)


def admit(txn: ReadTxn, meta: TableMeta, kind: bytes) -> None:
    """Refuse the request with ProvisionedThroughputExceededException when the bucket is empty."""
    if available(txn, meta, kind) <= 0:
        raise exceeded(meta, kind)


def available(txn: ReadTxn, meta: TableMeta, kind: bytes) -> float:
    """The tokens in the bucket now (infinite for an on-demand table)."""
    if not _enforced(meta):
        return float("inf")
    now = time.time()
    return _load(txn, meta, kind, now).now(_rate(meta, kind), now)


def charge(txn: WriteTxn, meta: TableMeta, kind: bytes, units: float) -> None:
    """Take `units` from the bucket (it may go below zero)."""
    if not _enforced(meta) or units <= 0:
        return
    now = time.time()
    if txn.counter_buckets == 1:  # writers take turns: charge the row itself
        _fold(txn, meta, kind, now, units)
        return
    share = layout.bucket_share_key(meta.uid_bytes, kind, _share())
    raw = txn.get(share)
    drawn = 0.0 if raw is None else _DRAWN.unpack(raw)[0]
    txn.put(share, _DRAWN.pack(drawn + units))
    if now - _seen.get((meta.uid_bytes, kind), float("-inf")) >= FOLD_SECONDS:
        if txn.try_lock([layout.bucket_key(meta.uid_bytes, kind)]):  # else another is folding
            _fold(txn, meta, kind, now, 0.0)


def _fold(txn: WriteTxn, meta: TableMeta, kind: bytes, now: float, units: float) -> None:
    """Set the row to the tokens now, less `units`, with every share's draw folded in."""
    bucket = _load(txn, meta, kind, now)
    tokens = bucket.now(_rate(meta, kind), now) - units
    txn.put(layout.bucket_key(meta.uid_bytes, kind), _BUCKET.pack(tokens, now, bucket.drawn))
    _seen[(meta.uid_bytes, kind)] = now


_next_share = itertools.count(random.randrange(SHARES))
_thread = threading.local()


def _share() -> int:
    """The share this thread charges: threads take the shares in turn, from a random one for
    each process, so that the request threads of a fleet spread over them."""
    share: int | None = getattr(_thread, "share", None)
    if share is None:
        share = _thread.share = next(_next_share) % SHARES
    return share


def exceeded(meta: TableMeta, kind: bytes) -> errors.DynamoError:
    reason = "TableReadProvisionedThroughputExceeded"
    if kind == WRITE:
        reason = "TableWriteProvisionedThroughputExceeded"
    return errors.provisioned_throughput_exceeded(reason, meta.arn)
