"""DynamoDB's operations (target prefix DynamoDB_20120810), one module per family, and the
operation table that routes a target to its handler. PartiQL's operations are imported at
their first call (`_partiql`): the PartiQL parser and planner are a tenth of a server's
import, which a server's start, and every test suite that makes one, need not pay.

The README's list of supported operations is checked against this table by a test.
"""

from __future__ import annotations

from opendynamo.api.dynamodb import (
    backups,
    batch,
    exports,
    global_tables,
    imports,
    insights,
    items,
    query,
    resource_policies,
    tables,
    tags,
    transact,
    ttl,
)
from opendynamo.api.request.context import Context, Handler
from opendynamo.api.request.shapes import KNOWN_OPERATIONS
from opendynamo.api.streams import OPERATIONS as STREAMS_OPERATIONS
from opendynamo.model.values import Body


def _partiql(name: str) -> Handler:
    """The handler `name` of `api.dynamodb.partiql`, imported when it is first called."""

    def handler(ctx: Context, data: Body) -> Body | bytes:
        from opendynamo.api.dynamodb import partiql

        operation: Handler = getattr(partiql, name)
        return operation(ctx, data)

    handler.__name__ = handler.__qualname__ = name
    return handler


OPERATIONS: dict[str, Handler] = {
    "CreateTable": tables.create_table,
    "DescribeTable": tables.describe_table,
    "ListTables": tables.list_tables,
    "UpdateTable": tables.update_table,
    "DeleteTable": tables.delete_table,
    "DescribeLimits": tables.describe_limits,
    "DescribeEndpoints": tables.describe_endpoints,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsOfResource": tags.list_tags_of_resource,
    "GetItem": items.get_item,
    "PutItem": items.put_item,
    "UpdateItem": items.update_item,
    "DeleteItem": items.delete_item,
    "Query": query.query,
    "Scan": query.scan,
    "BatchGetItem": batch.batch_get_item,
    "BatchWriteItem": batch.batch_write_item,
    "TransactWriteItems": transact.transact_write_items,
    "TransactGetItems": transact.transact_get_items,
    "ExecuteStatement": _partiql("execute_statement"),
    "BatchExecuteStatement": _partiql("batch_execute_statement"),
    "ExecuteTransaction": _partiql("execute_transaction"),
    "CreateBackup": backups.create_backup,
    "DescribeBackup": backups.describe_backup,
    "ListBackups": backups.list_backups,
    "DeleteBackup": backups.delete_backup,
    "RestoreTableFromBackup": backups.restore_table_from_backup,
    "UpdateContinuousBackups": backups.update_continuous_backups,
    "DescribeContinuousBackups": backups.describe_continuous_backups,
    "RestoreTableToPointInTime": backups.restore_table_to_point_in_time,
    "ExportTableToPointInTime": exports.export_table_to_point_in_time,
    "DescribeExport": exports.describe_export,
    "ListExports": exports.list_exports,
    "ImportTable": imports.import_table,
    "DescribeImport": imports.describe_import,
    "ListImports": imports.list_imports,
    "UpdateTimeToLive": ttl.update_time_to_live,
    "DescribeTimeToLive": ttl.describe_time_to_live,
    "UpdateContributorInsights": insights.update_contributor_insights,
    "DescribeContributorInsights": insights.describe_contributor_insights,
    "ListContributorInsights": insights.list_contributor_insights,
    "PutResourcePolicy": resource_policies.put_resource_policy,
    "GetResourcePolicy": resource_policies.get_resource_policy,
    "DeleteResourcePolicy": resource_policies.delete_resource_policy,
    "CreateGlobalTable": global_tables.create_global_table,
    "UpdateGlobalTable": global_tables.update_global_table,
    "DescribeGlobalTable": global_tables.describe_global_table,
    "ListGlobalTables": global_tables.list_global_tables,
    "DescribeGlobalTableSettings": global_tables.describe_global_table_settings,
    "UpdateGlobalTableSettings": global_tables.update_global_table_settings,
}

# DynamoDB operations that exist but are not served yet: answered with a clear
# UnknownOperationException rather than as an unknown target.
UNSUPPORTED: frozenset[str] = (
    KNOWN_OPERATIONS - frozenset(STREAMS_OPERATIONS) - frozenset(OPERATIONS)
)
