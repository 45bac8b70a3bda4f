"""ImportTable, DescribeImport and ListImports: the requests and their answers. The import's
record and the work of reading the source into the table are the engine's
(`engine/imports`), done by the housekeeper.

An import creates its table at once (CREATING: data requests do not see it yet); it becomes
ACTIVE when the import ends, or is removed when the source bucket does not exist.
"""

from __future__ import annotations

import time

from opendynamo import errors
from opendynamo.api.dynamodb import tables
from opendynamo.api.request import paging
from opendynamo.api.request.context import Context
from opendynamo.engine import backups, catalog, imports, tokens
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.imports import LOG_GROUP, Import
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

DEFAULT_PAGE = 10


def import_table(ctx: Context, body: Body) -> Body:
    params = body["TableCreationParameters"]
    if body.get("InputFormatOptions") and body["InputFormat"] != "CSV":
        raise errors.validation(
            "Invalid Request: Unsupported InputFormatOptions for the given input format: "
            f"{body['InputFormat']}."
        )
    now = ctx.store.now()
    # The table as CreateTable would make it, CREATING until it is filled.
    meta = catalog.replace(tables.build_table(ctx, params), status="CREATING")
    with ctx.store.write() as txn:
        token = body.get("ClientToken")
        if token is not None:
            earlier = _by_token(txn, token, meta)
            if earlier is not None:
                return {"ImportTableDescription": describe(earlier)}
        tables.check_name_free(txn, meta)
        source = dict(body["S3BucketSource"])
        source.setdefault("S3BucketOwner", ctx.owner)
        ctx.bucket(txn, source["S3Bucket"], source["S3BucketOwner"])
        catalog.put_table(txn, meta)
        request = {name: value for name, value in body.items() if value is not None}
        request.setdefault("InputCompressionType", "NONE")
        request["S3BucketSource"] = source
        job = Import(
            id=backups.new_id(now),
            account=meta.account,
            region=meta.region,
            table_name=meta.name,
            table_uid=meta.uid,
            request=request,
            started=now,
        )
        imports.start(txn, job)
        if token is not None:
            tokens.remember(txn, meta.account, meta.region, "import", token, job.id, time.time())
    return {"ImportTableDescription": describe(job)}


def _by_token(txn: ReadTxn, token: str, meta: TableMeta) -> Import | None:
    """An earlier import of the same ClientToken: DynamoDB answers it again, whatever else
    changed, unless the table name did (ImportConflictException)."""
    import_id = tokens.recall(txn, meta.account, meta.region, "import", token, time.time())
    if import_id is None:
        return None
    earlier = imports.find(txn, meta.account, meta.region, str(import_id))
    if earlier is None:
        return None
    table = meta.name
    if earlier.table_name != table:
        raise errors.import_conflict()
    if earlier.status != "IN_PROGRESS":
        existing = catalog.find_table(txn, meta.account, meta.region, table)
        if existing is not None:
            raise errors.resource_in_use(f"Table already exists: {table}")
    return earlier


def describe_import(ctx: Context, body: Body) -> Body:
    arn = body["ImportArn"]
    ref = ctx.owned(arn, "import")
    if ref is None:
        raise errors.validation("Invalid Import ARN")
    with ctx.store.read() as txn:
        job = imports.find(txn, ref.account, ref.region, ref.id)
    if job is None or job.arn != ref.arn:
        raise errors.import_not_found(arn)
    return {"ImportTableDescription": describe(job)}


def list_imports(ctx: Context, body: Body) -> Body:
    limit = body.get("PageSize", DEFAULT_PAGE)
    table_arn = body.get("TableArn")
    with ctx.store.read() as txn:
        found = imports.imports_in(txn, ctx.account, ctx.region)
    if table_arn is not None:
        found = [job for job in found if job.table_arn == table_arn]
    found.sort(key=lambda job: (job.started, job.id), reverse=True)  # newest first
    token = body.get("NextToken")
    if token is not None:
        position = [job.id for job in found]
        after = paging.position(ctx, "ListImports", token)
        if after not in position:
            raise errors.validation(f"Invalid Request: Provided nextToken is invalid: {token}")
        found = found[position.index(after) + 1 :]
    page = found[:limit]
    out: Body = {"ImportSummaryList": [_summary(job) for job in page]}
    if len(found) > limit:
        out["NextToken"] = paging.make(ctx, "ListImports", page[-1].id)
    return out


def _summary(job: Import) -> Body:
    out = {
        "ImportArn": job.arn,
        "ImportStatus": job.status,
        "TableArn": job.table_arn,
        "S3BucketSource": job.request["S3BucketSource"],
        "CloudWatchLogGroupArn": _log_group(job),
        "InputFormat": job.request["InputFormat"],
        "StartTime": job.started,
        "EndTime": job.ended,
    }
    return {name: value for name, value in out.items() if value is not None}


def _log_group(job: Import) -> str:
    return f"arn:aws:logs:{job.region}:{job.account}:log-group:{LOG_GROUP}:*"


def describe(job: Import) -> Body:
    """DynamoDB's ImportTableDescription."""
    request = job.request
    out: Body = {
        "ImportArn": job.arn,
        "ImportStatus": job.status,
        "TableArn": job.table_arn,
        "TableId": catalog.table_id(job.table_uid),
        "ClientToken": request.get("ClientToken"),
        "S3BucketSource": request["S3BucketSource"],
        "ErrorCount": job.errors if job.status != "IN_PROGRESS" else 0,
        "CloudWatchLogGroupArn": _log_group(job),
        "InputFormat": request["InputFormat"],
        "InputFormatOptions": request.get("InputFormatOptions"),
        "InputCompressionType": request["InputCompressionType"],
        "TableCreationParameters": request["TableCreationParameters"],
        "StartTime": job.started,
        # Counted as it goes, shown at the end (as DynamoDB does).
        "ProcessedItemCount": job.processed if job.status != "IN_PROGRESS" else 0,
        "ImportedItemCount": job.imported if job.status != "IN_PROGRESS" else 0,
    }
    if job.status != "IN_PROGRESS":
        out.update(EndTime=job.ended, ProcessedSizeBytes=job.size)
    if job.failure is not None:
        out.update(FailureCode=job.failure[0], FailureMessage=job.failure[1])
    return {name: value for name, value in out.items() if value is not None}
