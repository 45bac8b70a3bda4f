"""What each DynamoDB and DynamoDB Streams operation asks for, declared: `SPECS` (actions,
resource types and condition keys, as the Service Authorization Reference lists them and the
README's table shows them), the operations a table's resource policy can open to another
account (`CROSS_ACCOUNT`), and the sets and maps by which `resolve` and the resolvers tell
operations apart.
"""

from __future__ import annotations

from opendynamo.authz.access import Spec
from opendynamo.engine.arns import Kind

_ITEM = ("dynamodb:LeadingKeys", "dynamodb:Attributes", "dynamodb:ReturnConsumedCapacity")
_WRITE = (*_ITEM, "dynamodb:ReturnValues")
_READ = (*_ITEM, "dynamodb:Select")
_ENCLOSED = ("dynamodb:EnclosingOperation",)
_TAGGED = ("aws:ResourceTag/${TagKey}",)
_REQUEST_TAGS = ("aws:RequestTag/${TagKey}", "aws:TagKeys")
_PARTIQL = (*_WRITE, "dynamodb:Select", "dynamodb:FullTableScan")
_PARTIQL_ACTIONS = ("dynamodb:PartiQL{Select,Insert,Update,Delete}",)
_TABLE_OR_INDEX = ("table", "index")
# A legacy global table (`arn:aws:dynamodb::<account>:global-table/<name>`) and its member
# tables in each region the request names or the global table has.
_GLOBAL_TABLE_AND_TABLES = ("global-table", "table")
# What a restore also asks for on the table it makes and fills (the developer guide's "read
# and write permissions on the target table").
RESTORED_TABLE_ACTIONS = tuple(
    f"dynamodb:{action}"
    for action in ("PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan",
                   "BatchWriteItem")
)  # fmt: skip

# What adding a replica asks for on the new replica's table in its region, and removing one
# (the developer guide's "Using IAM with global tables", version 2019.11.21); a replica is
# never another account's.
REPLICA_CREATE_ACTIONS = tuple(
    f"dynamodb:{action}"
    for action in ("CreateTable", "CreateTableReplica", "Scan", "Query", "UpdateItem",
                   "PutItem", "GetItem", "DeleteItem", "BatchWriteItem")
)  # fmt: skip
REPLICA_DELETE_ACTIONS = ("dynamodb:DeleteTable", "dynamodb:DeleteTableReplica")

SPECS: dict[str, Spec] = {
    "CreateTable": Spec(("dynamodb:CreateTable",), ("table",), _REQUEST_TAGS),
    "DescribeTable": Spec(("dynamodb:DescribeTable",), ("table",), _TAGGED),
    "ListTables": Spec(("dynamodb:ListTables",), ("*",)),
    "UpdateTable": Spec(
        ("dynamodb:UpdateTable", *REPLICA_CREATE_ACTIONS, *REPLICA_DELETE_ACTIONS),
        ("table",),
        _TAGGED,
    ),
    "DeleteTable": Spec(("dynamodb:DeleteTable",), ("table",), _TAGGED),
    "DescribeLimits": Spec(("dynamodb:DescribeLimits",), ("*",)),
    "DescribeEndpoints": Spec(("dynamodb:DescribeEndpoints",), ("*",)),
    "TagResource": Spec(("dynamodb:TagResource",), ("table",), (*_TAGGED, *_REQUEST_TAGS)),
    "UntagResource": Spec(("dynamodb:UntagResource",), ("table",), (*_TAGGED, "aws:TagKeys")),
    "ListTagsOfResource": Spec(("dynamodb:ListTagsOfResource",), ("table",), _TAGGED),
    "GetItem": Spec(("dynamodb:GetItem",), ("table",), (*_READ, *_TAGGED)),
    "PutItem": Spec(("dynamodb:PutItem",), ("table",), (*_WRITE, *_TAGGED)),
    "UpdateItem": Spec(("dynamodb:UpdateItem",), ("table",), (*_WRITE, *_TAGGED)),
    "DeleteItem": Spec(("dynamodb:DeleteItem",), ("table",), (*_WRITE, *_TAGGED)),
    "Query": Spec(("dynamodb:Query",), _TABLE_OR_INDEX, (*_READ, *_TAGGED)),
    "Scan": Spec(
        ("dynamodb:Scan",),
        _TABLE_OR_INDEX,
        ("dynamodb:Attributes", "dynamodb:Select", "dynamodb:ReturnConsumedCapacity", *_TAGGED),
    ),  # fmt: skip
    "BatchGetItem": Spec(("dynamodb:BatchGetItem",), ("table",), (*_READ, *_TAGGED)),
    "BatchWriteItem": Spec(("dynamodb:BatchWriteItem",), ("table",), (*_ITEM, *_TAGGED)),
    "TransactWriteItems": Spec(
        ("dynamodb:{PutItem,UpdateItem,DeleteItem,ConditionCheckItem}",),
        ("table",),
        (*_WRITE, *_ENCLOSED, *_TAGGED),
    ),
    "TransactGetItems": Spec(("dynamodb:GetItem",), ("table",), (*_READ, *_ENCLOSED, *_TAGGED)),
    "ExecuteStatement": Spec(_PARTIQL_ACTIONS, _TABLE_OR_INDEX, (*_PARTIQL, *_TAGGED)),
    "BatchExecuteStatement": Spec(_PARTIQL_ACTIONS, _TABLE_OR_INDEX, (*_PARTIQL, *_TAGGED)),
    "ExecuteTransaction": Spec(
        _PARTIQL_ACTIONS, _TABLE_OR_INDEX, (*_PARTIQL, *_ENCLOSED, *_TAGGED)
    ),
    "CreateBackup": Spec(("dynamodb:CreateBackup",), ("table",), _TAGGED),
    "DescribeBackup": Spec(("dynamodb:DescribeBackup",), ("backup",)),
    "ListBackups": Spec(("dynamodb:ListBackups",), ("*",)),
    "DeleteBackup": Spec(("dynamodb:DeleteBackup",), ("backup",)),
    "RestoreTableFromBackup": Spec(
        ("dynamodb:RestoreTableFromBackup", *RESTORED_TABLE_ACTIONS), ("backup", "table"), _TAGGED
    ),
    "UpdateContinuousBackups": Spec(("dynamodb:UpdateContinuousBackups",), ("table",), _TAGGED),
    "DescribeContinuousBackups": Spec(("dynamodb:DescribeContinuousBackups",), ("table",), _TAGGED),
    "RestoreTableToPointInTime": Spec(
        ("dynamodb:RestoreTableToPointInTime", *RESTORED_TABLE_ACTIONS), ("table",), _TAGGED
    ),
    "ExportTableToPointInTime": Spec(
        ("dynamodb:ExportTableToPointInTime", "s3:PutObject"), ("table", "object"), _TAGGED
    ),
    "DescribeExport": Spec(("dynamodb:DescribeExport",), ("export",)),
    "ListExports": Spec(("dynamodb:ListExports",), ("*",)),
    "ImportTable": Spec(
        ("dynamodb:ImportTable", "s3:GetObject", "s3:ListBucket"),
        ("table", "object", "bucket"),
        (*_REQUEST_TAGS, "s3:prefix"),
    ),
    "DescribeImport": Spec(("dynamodb:DescribeImport",), ("import",)),
    "ListImports": Spec(("dynamodb:ListImports",), ("*",)),
    "UpdateTimeToLive": Spec(("dynamodb:UpdateTimeToLive",), ("table",), _TAGGED),
    "DescribeTimeToLive": Spec(("dynamodb:DescribeTimeToLive",), ("table",), _TAGGED),
    "UpdateContributorInsights": Spec(
        ("dynamodb:UpdateContributorInsights",), _TABLE_OR_INDEX, _TAGGED
    ),
    "DescribeContributorInsights": Spec(
        ("dynamodb:DescribeContributorInsights",), _TABLE_OR_INDEX, _TAGGED
    ),
    "ListContributorInsights": Spec(("dynamodb:ListContributorInsights",), ("*",)),
    "PutResourcePolicy": Spec(("dynamodb:PutResourcePolicy",), ("table",), _TAGGED),
    "GetResourcePolicy": Spec(("dynamodb:GetResourcePolicy",), ("table",), _TAGGED),
    "DeleteResourcePolicy": Spec(("dynamodb:DeleteResourcePolicy",), ("table",), _TAGGED),
    "CreateGlobalTable": Spec(("dynamodb:CreateGlobalTable",), _GLOBAL_TABLE_AND_TABLES),
    "UpdateGlobalTable": Spec(("dynamodb:UpdateGlobalTable",), _GLOBAL_TABLE_AND_TABLES),
    "DescribeGlobalTable": Spec(("dynamodb:DescribeGlobalTable",), ("global-table",)),
    "ListGlobalTables": Spec(("dynamodb:ListGlobalTables",), ("*",)),
    "DescribeGlobalTableSettings": Spec(
        ("dynamodb:DescribeGlobalTableSettings",), ("global-table",)
    ),
    "UpdateGlobalTableSettings": Spec(
        ("dynamodb:UpdateGlobalTableSettings",), _GLOBAL_TABLE_AND_TABLES
    ),
    "ListStreams": Spec(("dynamodb:ListStreams",), ("*",)),
    "DescribeStream": Spec(("dynamodb:DescribeStream",), ("stream",)),
    "GetShardIterator": Spec(("dynamodb:GetShardIterator",), ("stream",)),
    "GetRecords": Spec(("dynamodb:GetRecords",), ("stream",)),
}

TABLE_ACTIONS = frozenset(
    {
        "CreateTable",
        "DescribeTable",
        "UpdateTable",
        "DeleteTable",
        "DescribeTimeToLive",
        "UpdateTimeToLive",
        "DescribeContinuousBackups",
        "UpdateContinuousBackups",
        "CreateBackup",
    }
)
# Operations a table's resource policy can open to another account (DynamoDB's developer
# guide, "resource-based policy support": cross-account access). For every other one, a
# table of another account stays out of reach whatever its policy says.
CROSS_ACCOUNT = frozenset(
    {
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
        "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "DescribeTable",
        "UpdateTable", "DeleteTable", "ListTagsOfResource", "TagResource", "UntagResource",
        "DescribeStream", "GetRecords", "GetShardIterator",
    }
)  # fmt: skip
ARN_ACTIONS = frozenset(
    {
        "TagResource",
        "UntagResource",
        "ListTagsOfResource",
        "PutResourcePolicy",
        "GetResourcePolicy",
        "DeleteResourcePolicy",
    }
)
OWNED_ACTIONS: dict[str, tuple[str, Kind]] = {
    "DescribeBackup": ("BackupArn", "backup"),
    "DeleteBackup": ("BackupArn", "backup"),
    "DescribeExport": ("ExportArn", "export"),
    "DescribeImport": ("ImportArn", "import"),
    "DescribeStream": ("StreamArn", "stream"),
    "GetShardIterator": ("StreamArn", "stream"),
}
# Global tables, version 2017.11.29 (legacy).
GLOBAL_TABLE_ACTIONS = frozenset(
    {
        "CreateGlobalTable",
        "UpdateGlobalTable",
        "DescribeGlobalTable",
        "DescribeGlobalTableSettings",
        "UpdateGlobalTableSettings",
    }
)
# Operations on a table or, with IndexName, on one of its indexes (the index's ARN).
INDEX_ACTIONS = frozenset({"UpdateContributorInsights", "DescribeContributorInsights"})
ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
