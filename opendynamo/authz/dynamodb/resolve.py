"""The entry point: `accesses`, every permission a request needs, each operation handed to
its resolver (`items`, `partiql`, `resources`) and each access to a table or an index given
what its table says (resource policy and tags); and which of them may cross accounts.
"""

from __future__ import annotations

from collections.abc import Iterator

from opendynamo.api.request.context import Context
from opendynamo.api.streams import operations as streams
from opendynamo.authz.access import Access, tag_keys
from opendynamo.authz.dynamodb import items, resources
from opendynamo.authz.dynamodb.reader import Reader
from opendynamo.authz.dynamodb.specs import (
    ARN_ACTIONS,
    CROSS_ACCOUNT,
    GLOBAL_TABLE_ACTIONS,
    INDEX_ACTIONS,
    ITEM_OPERATIONS,
    OWNED_ACTIONS,
    TABLE_ACTIONS,
)
from opendynamo.engine.arns import TableRef
from opendynamo.engine.buckets import BucketRef
from opendynamo.model.values import Body


def accesses(ctx: Context, operation: str, body: Body, *, full: bool = True) -> list[Access]:
    """Every permission `operation` with `body` needs, in the order AWS would check them.
    With `full`, each carries its condition keys and its target's resource policy (tables
    read in one transaction); without, only the actions, resources and targets (no reading
    of the store but for buckets' owners), which is what the operation will be granted."""
    crosses = operation in CROSS_ACCOUNT
    reader = Reader(ctx, full) if full or operation in _READ_BUCKETS else _TARGETS_ONLY
    with reader:
        needed = list(_accesses(ctx, reader, operation, body))
        if full:
            needed = [_with_table_facts(reader, access) for access in needed]
    if not crosses:  # a bucket's policy still speaks for its bucket
        needed = [
            a if isinstance(a.target, BucketRef) else a._replace(cross_account=False)
            for a in needed
        ]
    return needed


# Without `full`, only exports and imports read the store (their bucket's owner); every other
# request shares one reader that never reads.
_READ_BUCKETS = frozenset({"ExportTableToPointInTime", "ImportTable"})
_TARGETS_ONLY = Reader(None, False)


def _with_table_facts(reader: Reader, access: Access) -> Access:
    """The access with what its table says: the table's resource policy (which covers its
    indexes) and its tags (aws:ResourceTag/…), for accesses to a table or an index."""
    if not isinstance(access.target, TableRef):
        return access
    meta = reader.table(access.target)
    if meta is None:
        return access
    context = {**tag_keys("aws:ResourceTag", meta.tags), **access.context}
    return access._replace(context=context, resource_policy=meta.resource_policy)


def _accesses(ctx: Context, reader: Reader, operation: str, body: Body) -> Iterator[Access]:
    if operation in ITEM_OPERATIONS:
        yield items.item(ctx, reader, operation, body)
    elif operation in ("Query", "Scan"):
        yield items.read(ctx, reader, operation, body)
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        yield from items.batch(ctx, reader, operation, body)
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        yield from items.transact(ctx, reader, operation, body["TransactItems"])
    elif operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        # PartiQL's parser and planner are imported by the first statement (a server's start
        # and a test suite without PartiQL never pay for them); so in api/dynamodb.
        from opendynamo.authz.dynamodb import partiql

        yield from partiql.statements(ctx, reader, operation, body)
    elif operation in ARN_ACTIONS:
        yield resources.tagged_resource(ctx, reader, operation, body)
    elif operation in OWNED_ACTIONS:
        member, kind = OWNED_ACTIONS[operation]
        yield resources.owned(operation, str(body.get(member, "")), kind)
    elif operation == "GetRecords":
        yield resources.owned(
            operation, streams.open_iterator(ctx, body["ShardIterator"]).arn, "stream"
        )
    elif operation == "ExportTableToPointInTime":
        yield from resources.export(ctx, reader, body)
    elif operation == "ImportTable":
        yield from resources.import_(ctx, reader, body)
    elif operation in ("RestoreTableFromBackup", "RestoreTableToPointInTime"):
        yield from resources.restore(ctx, operation, body)
    elif operation in ("UpdateTable", "UpdateTimeToLive"):
        yield from resources.replicas(ctx, reader, operation, body)
    elif operation in TABLE_ACTIONS:
        yield resources.table(ctx, reader, operation, body)
    elif operation in GLOBAL_TABLE_ACTIONS:
        yield from resources.global_table(ctx, reader, operation, body)
    elif operation in INDEX_ACTIONS:
        yield resources.table_or_index(ctx, operation, body)
    elif operation == "ListContributorInsights":
        yield resources.listing(ctx, operation, body)
    else:
        yield Access(f"dynamodb:{operation}", "*")
