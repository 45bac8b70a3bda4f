"""`--delay-transient-statuses`: what CreateTable, UpdateTable and DeleteTable hold, and the
control-plane refusals DynamoDB answers while a table is in transition.

On AWS a new table stays CREATING for a while, an updated one UPDATING, a deleted one
DELETING before it disappears, and a GSI CREATING or DELETING; code that does not wait for
ACTIVE fails there. Held here for the seconds the server was given (`Context.
transient_seconds`; 0, the default, holds nothing: every table is ACTIVE at once). The hold is
stored with the table (`engine/catalog`: `transition`, `ready_at`) and evaluated when the table
is described or used, never by a timer.
"""

from __future__ import annotations

import dataclasses
import time

from opendynamo import errors
from opendynamo.engine import catalog
from opendynamo.engine.catalog import IndexMeta, TableMeta

BEING = {"CREATING": "created", "UPDATING": "updated", "DELETING": "deleted"}


def created(meta: TableMeta, seconds: float) -> TableMeta:
    """A new table (and each of its indexes) held CREATING for `seconds`."""
    if seconds <= 0:
        return meta
    ready_at = time.time() + seconds
    indexes = tuple(_hold(index, "CREATING", ready_at) for index in meta.indexes)
    return catalog.replace(meta, transition="CREATING", ready_at=ready_at, indexes=indexes)


def updated(before: TableMeta, after: TableMeta, seconds: float, table: bool) -> TableMeta:
    """An updated table held UPDATING (when `table`: the request changed more than its
    indexes), and each index the request created, updated or deleted held CREATING, UPDATING
    or DELETING."""
    if seconds <= 0:
        return after
    ready_at = time.time() + seconds
    old = {index.name: index for index in before.indexes}
    indexes = tuple(_held_index(old.get(index.name), index, ready_at) for index in after.indexes)
    if table:
        after = catalog.replace(after, transition="UPDATING", ready_at=ready_at)
    return catalog.replace(after, indexes=indexes)


def deleted(meta: TableMeta, seconds: float) -> TableMeta | None:
    """The tombstone a deleted table leaves, shown DELETING for `seconds` (None: it is gone at
    once). It keeps what DescribeTable shows and nothing that the housekeeper works on."""
    if seconds <= 0:
        return None
    return catalog.replace(
        meta,
        status="DELETING",
        transition="DELETING",
        ready_at=time.time() + seconds,
        change_log={},
        pitr=None,
        restore=None,
        ttl=None,
        insights=None,
        tracks_keys=False,
    )


def check_changeable(meta: TableMeta) -> None:
    """ResourceInUseException, as DynamoDB's, for a table that is being created, updated or
    deleted."""
    status = meta.shown_status
    if status in BEING:
        raise errors.resource_in_use(
            "Attempt to change a resource which is still in use: "
            f"Table is being {BEING[status]}: {meta.name}"
        )


def _held_index(old: IndexMeta | None, new: IndexMeta, ready_at: float) -> IndexMeta:
    if old is None:
        return _hold(new, "CREATING", ready_at)
    if new.status == "DELETING" and old.status != "DELETING":
        return _hold(new, "DELETING", ready_at)
    if new != old and new.status == old.status:
        return _hold(new, "UPDATING", ready_at)
    return new


def _hold(index: IndexMeta, status: str, ready_at: float) -> IndexMeta:
    return dataclasses.replace(index, transition=status, ready_at=ready_at)
