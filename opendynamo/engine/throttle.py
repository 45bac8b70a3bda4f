"""Provisioned throughput, enforced with token buckets when the server runs with
`--enforce-capacity`.

Each provisioned table has a read and a write bucket refilled continuously at its provisioned
rate and holding at most 300 seconds of unused capacity (DynamoDB's burst allowance). A new
bucket starts with one second's worth. A request is admitted while its bucket holds anything
and is charged afterwards with what it actually consumed, so a large request can drive the
bucket below zero and the next ones wait, as DynamoDB does. Buckets live in the store, so every
worker process (and every server of a fleet) draws from the same ones.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

from opendynamo import errors
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn

BURST_SECONDS = 300.0
READ = b"R"
WRITE = b"W"
_BUCKET = struct.Struct(">dd")


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    at: float  # epoch seconds of `tokens`

    def now(self, rate: float, now: float) -> float:
        """Tokens at `now`: refilled since `at`, capped at the burst allowance."""
        return min(rate * BURST_SECONDS, self.tokens + rate * max(0.0, now - self.at))


def _rate(meta: TableMeta, kind: bytes) -> float:
    return float(meta.read_capacity if kind == READ else meta.write_capacity)


def _enforced(meta: TableMeta) -> bool:
    return meta.billing_mode == "PROVISIONED"


def _load(txn: ReadTxn, meta: TableMeta, kind: bytes, now: float) -> Bucket:
    raw = txn.get(layout.bucket_key(meta.uid_bytes, kind))
    if raw is None:
        return Bucket(_rate(meta, kind), now)
    tokens, at = _BUCKET.unpack(raw)
    return Bucket(tokens, at)


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
    tokens = _load(txn, meta, kind, now).now(_rate(meta, kind), now) - units
    txn.put(layout.bucket_key(meta.uid_bytes, kind), _BUCKET.pack(tokens, now))


def exceeded(meta: TableMeta, kind: bytes) -> errors.DynamoError:
    reason = "TableReadProvisionedThroughputExceeded"
    if kind == WRITE:
        reason = "TableWriteProvisionedThroughputExceeded"
    return errors.provisioned_throughput_exceeded(reason, meta.arn)
