"""Global tables, version 2017.11.29 (legacy): CreateGlobalTable joins existing, empty tables
of one name in several regions into a replication group, which UpdateGlobalTable grows and
shrinks.

The group is the one engine/replication runs for version 2019.11.21 (each member's row holds
it alike, each member's change log is held once per other region), marked with the version
"2017.11.29" and the moment it was made. What differs is how members come and go, as the
legacy API has it:
- A member is a table the caller made, in its region, before it joined: it must be empty,
  with the same key schema and global secondary indexes as the others and a stream of new
  and old images. Nothing is copied into it.
- Removing a member keeps its table and its data: the table leaves the group, and is a table
  like any other again. A group of one member is still a global table; once its last member
  has left, the global table no longer exists.

A global table has no row of its own: it is found by its members' rows (the catalog of the
account, in every region).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opendynamo import errors
from opendynamo.engine import catalog, changes, replication, stats
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn, prefix_end

VERSION = "2017.11.29"
NEEDED_VIEW = "NEW_AND_OLD_IMAGES"


def arn(account: str, name: str) -> str:
    """A global table's ARN: it names no region."""
    return f"arn:aws:dynamodb::{account}:global-table/{name}"


def is_legacy(meta: TableMeta) -> bool:
    found = replication.group(meta)
    return found is not None and found.get("version") == VERSION


# --- finding global tables ---------------------------------------------------------------------


def _account_rows(txn: ReadTxn, account: str) -> Iterator[tuple[bytes, bytes]]:
    prefix = layout.CATALOG + account.encode() + b"\x00"
    return txn.range(prefix, prefix_end(prefix))


def find(txn: ReadTxn, account: str, name: str) -> dict[str, TableMeta] | None:
    """The members of the legacy global table `name`, by region (None: there is none)."""
    suffix = b"\x00" + name.encode()
    for key, raw in _account_rows(txn, account):
        if not key.endswith(suffix):
            continue
        meta = catalog.decode(key, raw)
        if meta.name == name and not meta.tombstone and is_legacy(meta):
            return replication.members(txn, meta)
    return None


def listed(txn: ReadTxn, account: str) -> dict[str, dict[str, Any]]:
    """Every legacy global table of the account: name -> its group, in name order."""
    found: dict[str, dict[str, Any]] = {}
    for key, raw in _account_rows(txn, account):
        meta = catalog.decode(key, raw)
        if meta.tombstone or meta.name in found or not is_legacy(meta):
            continue
        shared = replication.group(meta)
        assert shared is not None
        found[meta.name] = shared
    return dict(sorted(found.items()))


def group_of(rows: dict[str, TableMeta]) -> dict[str, Any]:
    """The group the members `rows` hold."""
    shared = replication.group(next(iter(rows.values())))
    assert shared is not None
    return shared


# --- making and changing one ------------------------------------------------------------------


def create(
    txn: WriteTxn, account: str, name: str, regions: list[str], now_us: int
) -> dict[str, TableMeta]:
    """Join the tables `name` of `regions` into the global table `name`; its members as
    stored. GlobalTableAlreadyExistsException when the name is one already,
    TableNotFoundException for a region without the table, ValidationException for a table
    that may not join."""
    if find(txn, account, name) is not None:
        raise errors.global_table_already_exists(name)
    rows = {region: _joining(txn, account, name, region) for region in dict.fromkeys(regions)}
    first = next(iter(rows.values()))
    for row in rows.values():
        _check_alike(first, row)
    shared = {
        "version": VERSION,
        "replicas": dict.fromkeys(rows, "ACTIVE"),
        "consistency": "EVENTUAL",
        "witnesses": {},
        "created": now_us / 1e6,
    }
    return _save(txn, rows, shared, now_us)


def add(
    txn: WriteTxn, rows: dict[str, TableMeta], region: str, now_us: int
) -> dict[str, TableMeta]:
    """Join the table of `region` to the global table whose members are `rows`."""
    first = next(iter(rows.values()))
    if region in rows:
        raise errors.replica_already_exists(first.name, region)
    joining = _joining(txn, first.account, first.name, region)
    _check_alike(first, joining)
    shared = group_of(rows)
    shared = {**shared, "replicas": {**shared["replicas"], region: "ACTIVE"}}
    return _save(txn, {**rows, region: joining}, shared, now_us)


def remove(txn: WriteTxn, rows: dict[str, TableMeta], region: str) -> dict[str, TableMeta]:
    """The table of `region` leaves the global table whose members are `rows`, with its data;
    the members left, as stored (none: the global table is gone)."""
    first = next(iter(rows.values()))
    if region not in rows:
        raise errors.replica_not_found(first.name, region)
    shared = group_of(rows)
    left = {name: row for name, row in rows.items() if name != region}
    for name, row in left.items():
        if replication.holder(region) in row.change_log:
            left[name] = changes.release(txn, row, replication.holder(region))
    replication.detach(txn, rows[region])
    if left:
        remaining = {r: status for r, status in shared["replicas"].items() if r != region}
        replication.save_group(txn, left, {**shared, "replicas": remaining})
    return left


def _save(
    txn: WriteTxn, rows: dict[str, TableMeta], shared: dict[str, Any], now_us: int
) -> dict[str, TableMeta]:
    """Every member sends its changes to every other one from `now_us` on (those it already
    sends to keep their place)."""
    for region, row in rows.items():
        held = {
            replication.holder(other): row.change_log.get(replication.holder(other), now_us)
            for other in rows
            if other != region
        }
        rows[region] = catalog.replace(row, change_log={**row.change_log, **held})
    replication.save_group(txn, rows, shared)
    return rows


# --- what a member must be --------------------------------------------------------------------


def _joining(txn: ReadTxn, account: str, name: str, region: str) -> TableMeta:
    """The table of `region` that is to join a global table, checked on its own."""
    meta = catalog.find_table(txn, account, region, name)
    if meta is None or meta.tombstone or meta.restore is not None:
        raise errors.global_table_member_not_found(name, region)
    where = f"table: {name} in region: {region}"
    if meta.replication is not None:
        raise errors.invalid_parameters(f"The {where} is already a replica of a global table")
    spec = (meta.stream or {}).get("spec") or {}
    if not spec.get("StreamEnabled") or spec.get("StreamViewType") != NEEDED_VIEW:
        raise errors.invalid_parameters(
            f"The {where} must have DynamoDB Streams enabled with StreamViewType "
            f"{NEEDED_VIEW} to be part of a global table"
        )
    if stats.read(txn, meta)[0] != 0:
        raise errors.invalid_parameters(f"The {where} must be empty to be part of a global table")
    return meta


def _check_alike(first: TableMeta, other: TableMeta) -> None:
    """Every member has the same key schema and global secondary indexes (names and keys)."""
    where = f"table: {other.name} in region: {other.region}"
    if _keys(first) != _keys(other):
        raise errors.invalid_parameters(
            f"The {where} has a key schema different from the other replicas' of the global table"
        )
    if _global_indexes(first) != _global_indexes(other):
        raise errors.invalid_parameters(
            f"The {where} has global secondary indexes different from the other replicas' of "
            "the global table"
        )


def _keys(meta: TableMeta) -> tuple[Any, ...]:
    return meta.hash_key, meta.hash_type, meta.range_key, meta.range_type


def _global_indexes(meta: TableMeta) -> set[tuple[Any, ...]]:
    return {
        (index.name, index.hash_keys, index.range_keys, _types(meta, index.hash_keys),
         _types(meta, index.range_keys))
        for index in meta.global_indexes
    }  # fmt: skip


def _types(meta: TableMeta, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(meta.attribute_type(name) for name in names)
