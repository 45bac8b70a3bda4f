"""What every resolver shares: the store as they read it (`Reader`, each table and bucket
read once, in one read transaction) and a table's name or ARN resolved to its ref.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from opendynamo.api.request.context import Context
from opendynamo.engine import arns, buckets, catalog
from opendynamo.engine.arns import TableRef
from opendynamo.engine.buckets import BucketRef
from opendynamo.engine.catalog import TableMeta
from opendynamo.storage.base import ReadTxn


class Reader:
    """The store as the resolver reads it: tables and buckets each read once, in one read
    transaction opened on first use (most requests that need no decision open none)."""

    __slots__ = ("ctx", "full", "_opened", "_txn", "_tables")

    def __init__(self, ctx: Context | None, full: bool) -> None:
        self.ctx = ctx
        self.full = full
        self._opened: AbstractContextManager[ReadTxn] | None = None
        self._txn: ReadTxn | None = None
        self._tables: dict[TableRef, TableMeta | None] = {}

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._opened is not None:
            self._opened.__exit__(*exc)

    @property
    def txn(self) -> ReadTxn:
        if self._txn is None:
            assert self.ctx is not None, "a reader made to read"
            self._opened = self.ctx.store.read()
            self._txn = self._opened.__enter__()
        return self._txn

    def table(self, ref: TableRef) -> TableMeta | None:
        if ref not in self._tables:
            self._tables[ref] = catalog.find(self.txn, ref)
        return self._tables[ref]

    def bucket(self, name: str) -> BucketRef:
        return buckets.bucket(self.txn, name)


def ref(ctx: Context, name: str) -> TableRef:
    return arns.table_ref(ctx.account, ctx.region, name)
