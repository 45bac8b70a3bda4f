"""ExportTableToPointInTime, DescribeExport and ListExports (the work: engine/exports)."""

from __future__ import annotations

import time
from typing import Any

from opendynamo import errors
from opendynamo.api.dynamodb.backups import iso_seconds
from opendynamo.api.request import paging
from opendynamo.api.request.context import Context
from opendynamo.engine import arns, backups, catalog, exports, tokens, tuning
from opendynamo.engine.arns import TableRef
from opendynamo.engine.exports import Export
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

DEFAULT_PAGE = 10
# The longest window of an incremental export (DynamoDB: 24 hours; the shortest is
# `tuning.export_min_window`, 15 minutes).
MAX_WINDOW = 24 * 3600.0
# Members that make two requests with one ClientToken the same request.
_SAME_REQUEST = (
    "TableArn",
    "ExportTime",
    "S3Bucket",
    "S3BucketOwner",
    "S3Prefix",
    "S3SseAlgorithm",
    "S3SseKmsKeyId",
    "ExportFormat",
    "ExportType",
    "IncrementalExportSpecification",
)


def export_table_to_point_in_time(ctx: Context, body: Body) -> Body:
    _check_request(body)
    arn = body["TableArn"]
    if not arns.split_table_arn(arn)[2]:
        raise errors.invalid_parameters("tableArn is not a valid ARN")
    table = ctx.table(arn)  # its account and region: the ones authorized
    now = ctx.store.now()
    token = body.get("ClientToken")
    with ctx.store.write() as txn:
        if token is not None:
            earlier = _by_token(txn, table, token, body)
            if earlier is not None:
                return {"ExportDescription": describe(earlier)}
        meta = catalog.find(txn, table)
        if meta is None or meta.status != "ACTIVE":  # being restored, or deleted
            raise errors.table_not_found_exception(arn)
        ctx.bucket(txn, body["S3Bucket"], body.get("S3BucketOwner"))
        at = _instant(meta, body, now)
        request = {k: v for k, v in body.items() if v is not None}
        request.setdefault("ExportFormat", "DYNAMODB_JSON")
        request.setdefault("S3SseAlgorithm", "AES256")
        export = exports.begin(txn, meta, request, now, at)
        if token is not None:
            tokens.remember(
                txn, table.account, table.region, "export", token, export.id, time.time()
            )
    return {"ExportDescription": describe(export)}


def _check_request(body: Body) -> None:
    _check_prefix(body.get("S3Prefix"))
    kind = body.get("ExportType")
    spec = body.get("IncrementalExportSpecification")
    if spec is not None and kind is None:
        raise errors.validation(
            "Invalid Request: Export Type expected to be Incremental Export when incremental "
            "export specification is provided"
        )
    if spec is not None and kind == "FULL_EXPORT":
        raise errors.validation(
            "Invalid Request: When Export Type is Full Export , Incremental Export "
            "Specification should not be provided"
        )
    if kind == "INCREMENTAL_EXPORT" and spec is None:
        raise errors.validation(
            "Invalid Request: Incremental Export Specification expected when export type is "
            "set as Incremental Export"
        )
    if spec is not None and spec.get("ExportFromTime") is None:
        raise errors.validation(
            "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification"
        )
    if body.get("S3SseKmsKeyId") is not None and body.get("S3SseAlgorithm") != "KMS":
        raise errors.validation(
            "Invalid Request: KMS Key Id is not supported for this encryption type"
        )


def _check_prefix(prefix: str | None) -> None:
    """An S3Prefix that names a place: no empty, `.` or `..` segment between its slashes
    (such keys are refused by the directory store, and path tools mistake them on S3), and
    at most 1,024 bytes, S3's limit for a key."""
    if prefix is None:
        return
    segments = prefix.strip("/").split("/")
    if len(prefix.encode()) > 1024 or (prefix.strip("/") and any(
        segment in ("", ".", "..") for segment in segments
    )):  # fmt: skip
        raise errors.validation(
            f"Invalid Request: S3Prefix '{prefix}' is not a valid prefix: its path segments "
            "may not be empty, '.' or '..', and it may not be longer than 1024 bytes"
        )


def _instant(meta: Any, body: Body, now: float) -> int | None:
    """The instant (clock, us) a full export shows; None for an incremental one, whose
    window is checked (and its end filled in) here."""
    if meta.pitr is None:
        if body.get("ExportType") == "INCREMENTAL_EXPORT":
            raise errors.invalid_export_time(
                "Incremental export period from time cannot be less than the table creation "
                f"time : {iso_seconds(body['IncrementalExportSpecification']['ExportFromTime'])}"
            )
        raise errors.point_in_time_recovery_unavailable(meta.name)
    earliest, latest = backups.recovery_window(meta, now)
    if body.get("ExportType") != "INCREMENTAL_EXPORT":
        if "ExportTime" not in body:
            return round(now * 1e6)  # the table as it is (ExportTime: the start)
        at = float(body["ExportTime"])
        if at > now or at < earliest:
            raise errors.invalid_export_time("Export Time is invalid")
        if at > latest:
            raise errors.invalid_export_time(
                "Point in Time Recovery is not available for specified export time"
            )
        return round(at * 1e6)
    spec = body["IncrementalExportSpecification"]
    start = float(spec["ExportFromTime"])
    end = float(spec.get("ExportToTime") or now)
    spec["ExportToTime"] = end
    spec.setdefault("ExportViewType", "NEW_AND_OLD_IMAGES")
    if start < earliest or start > end:
        raise errors.invalid_export_time(
            "Incremental export period from time cannot be less than the table creation "
            f"time : {iso_seconds(start)}"
        )
    if end > now:
        raise errors.invalid_export_time(
            "Incremental export period to time cannot be greater than the current time : "
            f"{iso_seconds(end)}"
        )
    if end - start < tuning.current.export_min_window:
        raise errors.invalid_export_time(
            "Difference between export period from time and export period to time is less "
            "than 15 minutes"
        )
    if end - start > MAX_WINDOW:
        raise errors.invalid_export_time(
            "Difference between export period from time and export period to time is greater "
            "than 24 hours"
        )
    return None


def _by_token(txn: ReadTxn, table: TableRef, token: str, body: Body) -> Export | None:
    """The export an earlier request with the same ClientToken made; ExportConflictException
    when that request asked for something else."""
    export_id = tokens.recall(txn, table.account, table.region, "export", token, time.time())
    if export_id is None:
        return None
    export = exports.get(txn, table.account, table.region, str(export_id))
    if export is None:
        return None
    given = {name: body.get(name) for name in _SAME_REQUEST}
    before = {name: export.request.get(name) for name in _SAME_REQUEST}
    defaults = {"ExportFormat": "DYNAMODB_JSON", "S3SseAlgorithm": "AES256"}
    for name, value in defaults.items():
        given[name] = given[name] or value
    spec = before.get("IncrementalExportSpecification")
    asked = given.get("IncrementalExportSpecification")
    if spec is not None and asked is not None:
        given_spec = dict(asked)
        given_spec.setdefault("ExportToTime", spec.get("ExportToTime"))
        given_spec.setdefault("ExportViewType", spec.get("ExportViewType"))
        given["IncrementalExportSpecification"] = given_spec
    if given != before:
        raise errors.export_conflict()
    return export


def describe_export(ctx: Context, body: Body) -> Body:
    with ctx.store.read() as txn:
        export = _find(txn, ctx, body["ExportArn"])
    return {"ExportDescription": describe(export)}


def _find(txn: ReadTxn, ctx: Context, arn: str) -> Export:
    ref = ctx.owned(arn, "export")
    if ref is None:
        raise errors.validation("Invalid Export ARN")
    export = exports.get(txn, ref.account, ref.region, ref.id)
    if export is None or export.arn != ref.arn:
        raise errors.export_not_found(arn)
    return export


def list_exports(ctx: Context, body: Body) -> Body:
    limit = body.get("MaxResults", DEFAULT_PAGE)
    table_arn = body.get("TableArn")
    after = _token(ctx, body.get("NextToken"))
    with ctx.store.read() as txn:
        found = exports.listed(txn, ctx.account, ctx.region)
        if table_arn is not None:
            # A filter within the caller's own namespace (ListExports has no resource).
            table = arns.table_ref(ctx.account, ctx.region, table_arn)
            own = (table.account, table.region) == (ctx.account, ctx.region)
            meta = catalog.find(txn, table) if own and table.name else None
            uid = None if meta is None else meta.uid
            found = [e for e in found if e.table_arn == table_arn and e.table_uid == uid]
    found.sort(key=lambda export: export.arn, reverse=True)  # as DynamoDB documents
    if after is not None:
        found = [export for export in found if export.arn < after]
    page = found[:limit]
    out: Body = {
        "ExportSummaries": [
            {
                "ExportArn": export.arn,
                "ExportStatus": export.status,
                "ExportType": export.request.get("ExportType", "FULL_EXPORT"),
            }
            for export in page
        ]
    }
    if len(found) > limit:
        out["NextToken"] = paging.make(ctx, "ListExports", page[-1].arn)
    return out


def _token(ctx: Context, token: str | None) -> str | None:
    if token is None:
        return None
    after = paging.position(ctx, "ListExports", token)
    if after is None:
        raise errors.validation(f"Invalid Request: Provided nextToken is invalid: {token}")
    return after


def describe(export: Export) -> Body:
    """DynamoDB's ExportDescription."""
    request = export.request
    out: Body = {
        "ExportArn": export.arn,
        "ExportStatus": export.status,
        "StartTime": export.started,
        "TableArn": export.table_arn,
        "TableId": catalog.table_id(export.table_uid),
        "ExportTime": export.export_time,
        "ClientToken": request.get("ClientToken"),
        "S3Bucket": request["S3Bucket"],
        "S3BucketOwner": request.get("S3BucketOwner"),
        "S3Prefix": request.get("S3Prefix"),
        "S3SseAlgorithm": request.get("S3SseAlgorithm"),
        "S3SseKmsKeyId": request.get("S3SseKmsKeyId"),
        "ExportFormat": request.get("ExportFormat"),
        "ExportType": request.get("ExportType"),  # echoed only when it was given
        "IncrementalExportSpecification": request.get("IncrementalExportSpecification"),
    }
    if export.status == "COMPLETED":
        out.update(
            EndTime=export.ended,
            ExportManifest=export.root + "manifest-summary.json",
            ItemCount=export.item_count,
            BilledSizeBytes=export.billed,
        )
    elif export.status == "FAILED" and export.failure is not None:
        out.update(EndTime=export.ended, FailureCode=export.failure[0])
        out["FailureMessage"] = export.failure[1]
    return {name: value for name, value in out.items() if value is not None}
