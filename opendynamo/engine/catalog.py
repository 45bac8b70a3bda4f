"""The catalog: table metadata rows, read through a per-process cache.

A table's row lives at `layout.catalog_key(account, region, name)`. Each worker process keeps
the parsed rows it has seen, keyed by the raw bytes: every request still reads the row inside its
own transaction (so changes made by other processes are seen at once), but parses it only when
it changed.

Transient statuses (`--delay-transient-statuses`): a table or index that a request created,
updated or deleted may be held in the status DynamoDB shows meanwhile (`transition`: CREATING,
UPDATING or DELETING) until `ready_at`. Nothing wakes up when that time comes: the status is
evaluated whenever the table is described or used (`status_at`), against the server's clock
(`time.time()`: on one machine the store's clock; across a fleet the hold ends a clock skew
early or late, which a development aid can afford, and a store clock read per request cannot
be). A deleted table's row stays as a tombstone, status DELETING and without data, until its
`ready_at`; then it is gone to every reader, and the housekeeper removes the row.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.engine.arns import TableRef
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end


class Transitional:
    """A table's or an index's status as shown: a transition held until `ready_at`
    (`--delay-transient-statuses`), else the stored status."""

    __slots__ = ()
    status: str
    transition: str | None
    ready_at: float | None

    def status_at(self, now: float) -> str:
        """The status DynamoDB shows at `now`: a held transition, else the stored status."""
        if self.ready_at is not None and now < self.ready_at and self.transition:
            return self.transition
        return self.status

    @property
    def shown_status(self) -> str:
        return self.status if self.ready_at is None else self.status_at(time.time())


@dataclass(frozen=True, slots=True)
class IndexMeta(Transitional):
    """A secondary index of a table. `number` names its entries in the store (never reused
    within one incarnation of a table); key attribute types come from the table's
    AttributeDefinitions."""

    name: str
    number: int
    is_global: bool
    hash_keys: tuple[str, ...]  # a GSI may have up to four; an LSI has the table's hash key
    range_keys: tuple[str, ...]  # up to four for a GSI, exactly one for an LSI
    projection_type: str  # ALL, KEYS_ONLY or INCLUDE
    non_key_attributes: tuple[str, ...] = ()
    status: str = "ACTIVE"  # CREATING, UPDATING, DELETING, ACTIVE
    backfilling: bool = False
    backfill_cursor: str | None = None  # hex of the last table key indexed by the backfill
    read_capacity: int = 0
    write_capacity: int = 0
    last_increase: float | None = None
    last_decrease: float | None = None
    decreases_today: int = 0
    on_demand: dict[str, Any] | None = None
    warm_throughput: dict[str, Any] | None = None
    insights: dict[str, Any] | None = None  # a GSI's Contributor Insights: engine/insights
    transition: str | None = None  # the status shown until ready_at (module docstring)
    ready_at: float | None = None

    @property
    def held(self) -> bool:
        """Whether a transition still holds it (`--delay-transient-statuses`)."""
        return self.ready_at is not None and time.time() < self.ready_at

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexMeta:
        for name in ("hash_keys", "range_keys", "non_key_attributes"):
            data[name] = tuple(data[name])
        return cls(**data)

    @property
    def key_names(self) -> tuple[str, ...]:
        return self.hash_keys + self.range_keys

    @property
    def readable(self) -> bool:
        return self.shown_status in ("ACTIVE", "UPDATING")

    @property
    def maintained(self) -> bool:
        """Writes keep its entries (a deleted index is being emptied instead)."""
        return self.status != "DELETING"


@dataclass(frozen=True, slots=True)
class TableMeta(Transitional):
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
    resource_policy: str | None = None  # PutResourcePolicy's document, as given
    policy_revision: str | None = None
    indexes: tuple[IndexMeta, ...] = ()
    next_index_number: int = 1
    # Why every write appends to the change log (engine/changes), and the clock each needs
    # entries after: "pitr", and the id of each backup being taken. Empty: no log.
    change_log: dict[str, int] = field(default_factory=dict)  # holder -> from (clock, us)
    pitr: dict[str, Any] | None = None  # point-in-time recovery: engine/backups.Recovery
    restore: dict[str, Any] | None = None  # a restore filling the table: engine/backups
    ttl: dict[str, Any] | None = None  # Time to Live: engine/ttl
    insights: dict[str, Any] | None = None  # Contributor Insights of the table: engine/insights
    # Whether the table or one of its GSIs has Contributor Insights on: the one test every
    # read and write makes before noting the keys it touched (engine/insights keeps it true).
    tracks_keys: bool = False
    # A replica of a global table: the group every replica's row holds alike
    # (engine/replication.Group), and this replica's own state in it.
    replication: dict[str, Any] | None = None
    transition: str | None = None  # the status shown until ready_at (module docstring)
    ready_at: float | None = None

    @property
    def tombstone(self) -> bool:
        """A deleted table shown DELETING for a while: it has no data left."""
        return self.status == "DELETING"

    @property
    def uid_bytes(self) -> bytes:
        return bytes.fromhex(self.uid)

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    @property
    def key_schema(self) -> list[dict[str, str]]:
        """The table's KeySchema, as DescribeTable and DescribeStream show it."""
        schema = [{"AttributeName": self.hash_key, "KeyType": "HASH"}]
        if self.range_key is not None:
            schema.append({"AttributeName": self.range_key, "KeyType": "RANGE"})
        return schema

    def encode(self) -> bytes:
        return orjson.dumps(self)

    def attribute_type(self, name: str) -> str:
        for definition in self.attribute_definitions:
            if definition["AttributeName"] == name:
                return definition["AttributeType"]
        raise KeyError(name)

    def index(self, name: str) -> IndexMeta | None:
        for index in self.indexes:
            if index.name == name:
                return index
        return None

    @property
    def global_indexes(self) -> tuple[IndexMeta, ...]:
        return tuple(index for index in self.indexes if index.is_global)

    @property
    def local_indexes(self) -> tuple[IndexMeta, ...]:
        return tuple(index for index in self.indexes if not index.is_global)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableMeta:
        data["indexes"] = tuple(IndexMeta.from_dict(d) for d in data.get("indexes", ()))
        return cls(**data)


def new_uid() -> str:
    import uuid  # here: its import costs a server's start more than it costs CreateTable

    return uuid.uuid4().hex


_cache: dict[bytes, tuple[bytes, TableMeta]] = {}


def decode(key: bytes, raw: bytes) -> TableMeta:
    """The table metadata stored as `raw` under catalog `key` (parsed once per change)."""
    cached = _cache.get(key)
    if cached is not None and cached[0] == raw:
        return cached[1]
    meta = TableMeta.from_dict(orjson.loads(raw))
    _cache[key] = (raw, meta)
    return meta


def gone(meta: TableMeta, now: float) -> bool:
    """Whether `meta` is a tombstone whose DELETING has ended: no table, to every reader."""
    return meta.status == "DELETING" and (meta.ready_at is None or now >= meta.ready_at)


def find_table(txn: ReadTxn, account: str, region: str, name: str) -> TableMeta | None:
    """The table's metadata, or None when no such table exists in the namespace."""
    key = layout.catalog_key(account, region, name)
    raw = txn.guard(key)
    if raw is None:
        return None
    meta = decode(key, raw)
    return None if meta.status == "DELETING" and gone(meta, time.time()) else meta


def find(txn: ReadTxn, ref: TableRef) -> TableMeta | None:
    """The table a request names (`api/request/context.Context.table` resolved and granted it)."""
    return find_table(txn, ref.account, ref.region, ref.name)


def get_table(txn: ReadTxn, ref: TableRef) -> TableMeta:
    """The table for a data-plane request: ResourceNotFoundException when missing, and, as
    DynamoDB answers, while it is not ACTIVE (a restore still filling it, or a table held
    CREATING or DELETING); a table being UPDATING serves data."""
    meta = find(txn, ref)
    if meta is None or meta.status != "ACTIVE":
        raise errors.resource_not_found()
    if meta.ready_at is not None and meta.shown_status in ("CREATING", "DELETING"):
        raise errors.resource_not_found()
    return meta


def describe_target(txn: ReadTxn, ref: TableRef) -> TableMeta:
    """The table for a control-plane request, whose not-found message names the table as the
    request named it."""
    meta = find(txn, ref)
    if meta is None:
        raise errors.table_not_found(ref.given or ref.name)
    return meta


def put_table(txn: WriteTxn, meta: TableMeta) -> None:
    txn.put(layout.catalog_key(meta.account, meta.region, meta.name), meta.encode())


def remove_table(txn: WriteTxn, meta: TableMeta) -> None:
    """Delete the table's row and everything stored under its uid: items, index entries,
    counters, item collection sizes, throughput buckets, Contributor Insights' keys, expiry
    entries and change log (its point-in-time snapshots go with it: engine/backups)."""
    txn.delete(layout.catalog_key(meta.account, meta.region, meta.name))
    uid = meta.uid_bytes
    kinds = (
        layout.ITEMS,
        layout.INDEX,
        layout.STATS,
        layout.COLLECTION,
        layout.THROTTLE,
        layout.INSIGHTS,
    )
    for kind in (*kinds, layout.CHANGES, layout.VERSIONS, layout.EXPIRY):
        prefix = kind + uid
        end = prefix_end(prefix)
        assert end is not None
        txn.delete_range(prefix, end)


def tables_in(txn: ReadTxn, account: str, region: str) -> Iterator[TableMeta]:
    """Every table of one (account, region), in name order (a deleted one shown DELETING is
    no longer one)."""
    prefix = layout.namespace_prefix(account, region)
    for key, raw in txn.range(prefix, prefix_end(prefix)):
        meta = decode(key, raw)
        if not meta.tombstone:
            yield meta


def every_table(store: Store) -> list[TableMeta]:
    """Every table of the store, in every namespace (for the housekeeper's passes; deleted
    tables shown DELETING have nothing to work on)."""
    with store.read() as txn:
        rows = txn.range(layout.CATALOG, prefix_end(layout.CATALOG))
        return [meta for meta in (decode(key, raw) for key, raw in rows) if not meta.tombstone]


def table_id(uid: str) -> str:
    """DynamoDB's TableId of a table uid: the uid as a UUID."""
    import uuid

    return str(uuid.UUID(uid))


def list_table_names(
    txn: ReadTxn, account: str, region: str, after: str | None, limit: int
) -> list[str]:
    """Up to `limit` table names of the namespace in name order, after `after` when given;
    a deleted table is listed while it shows DELETING, as DynamoDB lists it."""
    prefix = layout.namespace_prefix(account, region)
    start = prefix if after is None else prefix + after.encode() + b"\x00"
    end = prefix[:-1] + b"\x01"
    names: list[str] = []
    now = time.time()
    while len(names) < limit:
        wanted = limit - len(names)
        rows = list(txn.range(start, end, limit=wanted))
        names += [key[len(prefix) :].decode() for key, raw in rows if not _gone(key, raw, now)]
        if len(rows) < wanted:
            break
        start = rows[-1][0] + b"\x00"
    return names


def _gone(key: bytes, raw: bytes, now: float) -> bool:
    return b'"status":"DELETING"' in raw and gone(decode(key, raw), now)


def replace(meta: TableMeta, **changes: Any) -> TableMeta:
    return dataclasses.replace(meta, **changes)
