"""The catalog: table metadata rows, read through a per-process cache.

A table's row lives at `layout.catalog_key(account, region, name)`. Each worker process keeps
the parsed rows it has seen, keyed by the raw bytes: every request still reads the row inside its
own transaction (so changes made by other processes are seen at once), but parses it only when
it changed.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn, prefix_end


@dataclass(frozen=True, slots=True)
class TableMeta:
    """Everything DynamoDB describes about a table, plus our storage identity (`uid`)."""

    name: str
    uid: str  # 32 hex digits; a new one for every incarnation of a table name
    account: str
    region: str
    created: float  # epoch seconds
    status: str
    hash_key: str
    hash_type: str
    range_key: str | None
    range_type: str | None
    attribute_definitions: list[dict[str, str]]
    billing_mode: str = "PROVISIONED"
    read_capacity: int = 0
    write_capacity: int = 0
    last_increase: float | None = None
    last_decrease: float | None = None
    decreases_today: int = 0
    last_pay_per_request: float | None = None
    billing_mode_given: bool = False
    table_class: str = "STANDARD"
    table_class_given: bool = False
    deletion_protection: bool = False
    sse: dict[str, Any] | None = None
    stream: dict[str, Any] | None = None
    on_demand: dict[str, Any] | None = None
    warm_throughput: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uid_bytes(self) -> bytes:
        return bytes.fromhex(self.uid)

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    def encode(self) -> bytes:
        return orjson.dumps(self)


def new_uid() -> str:
    return uuid.uuid4().hex


_cache: dict[bytes, tuple[bytes, TableMeta]] = {}


def _decode(key: bytes, raw: bytes) -> TableMeta:
    cached = _cache.get(key)
    if cached is not None and cached[0] == raw:
        return cached[1]
    meta = TableMeta(**orjson.loads(raw))
    _cache[key] = (raw, meta)
    return meta


def find_table(txn: ReadTxn, account: str, region: str, name: str) -> TableMeta | None:
    """The table's metadata, or None when no such table exists in the namespace."""
    key = layout.catalog_key(account, region, name)
    raw = txn.get(key)
    return None if raw is None else _decode(key, raw)


def get_table(txn: ReadTxn, account: str, region: str, name: str) -> TableMeta:
    """The table for a data-plane request: ResourceNotFoundException when missing."""
    meta = find_table(txn, account, region, name)
    if meta is None:
        raise errors.resource_not_found()
    return meta


def describe_target(txn: ReadTxn, account: str, region: str, name: str) -> TableMeta:
    """The table for a control-plane request, whose not-found message names the table."""
    meta = find_table(txn, account, region, name)
    if meta is None:
        raise errors.table_not_found(name)
    return meta


def put_table(txn: WriteTxn, meta: TableMeta) -> None:
    txn.put(layout.catalog_key(meta.account, meta.region, meta.name), meta.encode())


def remove_table(txn: WriteTxn, meta: TableMeta) -> None:
    """Delete the table's row, its items and its counters."""
    txn.delete(layout.catalog_key(meta.account, meta.region, meta.name))
    prefix = layout.items_prefix(meta.uid_bytes)
    end = prefix_end(prefix)
    assert end is not None
    txn.delete_range(prefix, end)
    txn.delete(layout.stats_key(meta.uid_bytes))


def list_table_names(
    txn: ReadTxn, account: str, region: str, after: str | None, limit: int
) -> list[str]:
    """Up to `limit` table names of the namespace in name order, after `after` when given."""
    prefix = layout.namespace_prefix(account, region)
    start = prefix if after is None else prefix + after.encode() + b"\x00"
    end = prefix[:-1] + b"\x01"
    return [key[len(prefix) :].decode() for key, _ in txn.range(start, end, limit=limit)]


def replace(meta: TableMeta, **changes: Any) -> TableMeta:
    return dataclasses.replace(meta, **changes)
