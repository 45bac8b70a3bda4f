"""Tags of tables: TagResource, UntagResource, ListTagsOfResource."""

from __future__ import annotations

import re

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog
from opendynamo.engine.catalog import TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

MAX_TAGS = 50
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")


def tag_resource(ctx: Context, body: Body) -> Body:
    tags = body.get("Tags")
    if tags is None:
        raise errors.validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
            "Member must not be null"
        )
    if not tags:
        raise errors.validation("Atleast one Tag needs to be provided as Input.")
    with ctx.store.write() as txn:
        meta = _resource(ctx, txn, body.get("ResourceArn"))
        merged = dict(meta.tags)
        merged.update({tag["Key"]: tag["Value"] for tag in tags})
        if len(merged) > MAX_TAGS:
            raise errors.limit_exceeded(
                f"The number of tags for the resource exceeds the limit of {MAX_TAGS}"
            )
        catalog.put_table(txn, catalog.replace(meta, tags=merged))
    return {}


def untag_resource(ctx: Context, body: Body) -> Body:
    keys = body.get("TagKeys") or []
    if not keys:
        raise errors.validation("Atleast one Tag Key needs to be provided as Input.")
    with ctx.store.write() as txn:
        # UntagResource's not-found message is the plain data-plane one.
        meta = _resource(ctx, txn, body.get("ResourceArn"), errors.resource_not_found())
        remaining = {k: v for k, v in meta.tags.items() if k not in set(keys)}
        catalog.put_table(txn, catalog.replace(meta, tags=remaining))
    return {}


def list_tags_of_resource(ctx: Context, body: Body) -> Body:
    with ctx.store.read() as txn:
        meta = _resource(ctx, txn, body.get("ResourceArn"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in meta.tags.items()]}


def _resource(
    ctx: Context, txn: ReadTxn, arn: str | None, not_found: errors.DynamoError | None = None
) -> TableMeta:
    """The table an ARN names: ValidationException when it is no DynamoDB table ARN,
    ResourceNotFoundException (worded as DynamoDB words it) when the table does not exist."""
    if arn is None:
        raise errors.validation("Invalid TableArn")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb":
        raise errors.validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    resource = parts[5].split("/")
    if len(resource) != 2 or resource[0] != "table" or not _TABLE_NAME.fullmatch(resource[1]):
        raise errors.validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    ref = ctx.table(arn)
    meta = None
    if ref.region == ctx.region and ref.account == ctx.account:
        meta = catalog.find(txn, ref)
    if meta is not None and meta.status == "CREATING":  # a restore is still filling it
        raise errors.table_not_found(ref.name)
    if meta is None:
        raise not_found or errors.resource_not_found(
            f"Requested resource not found: ResourcArn: {arn} not found"
        )
    return meta
