"""ImportTable, DescribeImport and ListImports, and the housekeeper's import work.

An import creates its table at once (CREATING: data requests do not see it yet) and records
itself at `IMPORT + account + region + id`, with JOBS + that key while it runs. Each step
reads one object of the source (every object whose key starts with S3KeyPrefix, in key order,
decompressed as the request says), writes its items as PutItem would (index entries and
counters included, a store batch per transaction) and counts them. As in DynamoDB:

- A line that is not an item (bad JSON or Ion, no `Item`) ends the reading of its object; an
  item the table refuses (a missing or mistyped key, a bad value) is counted and skipped.
- Every item written counts, also when a later one of the same key replaces it.
- Each error goes to the log (logger `opendynamo.imports`) as the JSON event DynamoDB writes
  to CloudWatch (log group /aws-dynamodb/imports, stream <import id>/error).
- With any error the import ends FAILED (ItemValidationError) and the table keeps the items
  that went in; a missing bucket fails it (S3NoSuchBucket) and removes the table.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.api import paging, tables
from opendynamo.api.context import Context
from opendynamo.api.keys import key_from_item
from opendynamo.engine import backups, catalog, items, jobs, stats, tokens
from opendynamo.engine.buckets import Buckets, NoSuchBucket, ObjectLocked
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import ion, layout
from opendynamo.model.values import Item, normalize_item
from opendynamo.storage.base import ReadTxn, Store, prefix_end

Body = dict[str, Any]
DEFAULT_PAGE = 10
# The most one source object may decompress to: its items are read in memory.
MAX_OBJECT_BYTES = int(os.environ.get("OPENDYNAMO_IMPORT_MAX_OBJECT_BYTES", 256 * 1024 * 1024))
LOG_GROUP = "/aws-dynamodb/imports"
FAILED_ITEMS = (
    "Some of the items failed validation checks and were not imported. Please check "
    "CloudWatch error logs for more details."
)
log = logging.getLogger("opendynamo.imports")


@dataclass(frozen=True, slots=True)
class Import:
    id: str
    account: str
    region: str
    table_name: str
    table_uid: str
    request: dict[str, Any]
    started: float
    status: str = "IN_PROGRESS"  # IN_PROGRESS, COMPLETED, FAILED
    objects: list[str] | None = None  # the source's keys, once listed
    next: int = 0  # the next object to read
    processed: int = 0
    imported: int = 0
    errors: int = 0
    size: int = 0  # bytes read, uncompressed
    ended: float | None = None
    failure: list[str] | None = None  # [FailureCode, FailureMessage]

    @property
    def key(self) -> bytes:
        return layout.import_key(self.account, self.region, self.id)

    @property
    def table_arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.table_name}"

    @property
    def arn(self) -> str:
        return f"{self.table_arn}/import/{self.id}"

    def encode(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def decode(cls, raw: bytes) -> Import:
        return cls(**orjson.loads(raw))


# --- the API ----------------------------------------------------------------------------


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
        source.setdefault("S3BucketOwner", ctx.account)
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
        txn.put(job.key, job.encode())
        txn.put(layout.JOBS + job.key, b"")
        if token is not None:
            tokens.remember(txn, meta.account, meta.region, "import", token, job.id, time.time())
    return {"ImportTableDescription": describe(job)}


def _by_token(txn: ReadTxn, token: str, meta: TableMeta) -> Import | None:
    """An earlier import of the same ClientToken: DynamoDB answers it again, whatever else
    changed, unless the table name did (ImportConflictException)."""
    import_id = tokens.recall(txn, meta.account, meta.region, "import", token, time.time())
    if import_id is None:
        return None
    raw = txn.get(layout.import_key(meta.account, meta.region, str(import_id)))
    if raw is None:
        return None
    earlier = Import.decode(raw)
    table = meta.name
    if earlier.table_name != table:
        raise errors.DynamoError(
            "ImportConflictException",
            "Import conflict: Duplicate request detected with conflicting parameters",
        )
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
    raw = ctx.store.read_one(layout.import_key(ref.account, ref.region, ref.id))
    job = None if raw is None else Import.decode(raw)
    if job is None or job.arn != ref.arn:
        raise errors.DynamoError("ImportNotFoundException", f"Import not found: {arn}")
    return {"ImportTableDescription": describe(job)}


def list_imports(ctx: Context, body: Body) -> Body:
    limit = body.get("PageSize", DEFAULT_PAGE)
    table_arn = body.get("TableArn")
    prefix = layout.import_prefix(ctx.account, ctx.region)
    with ctx.store.read() as txn:
        found = [Import.decode(raw) for _, raw in txn.range(prefix, prefix_end(prefix))]
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


# --- the work ---------------------------------------------------------------------------


def step(store: Store, job_key: bytes, buckets: Buckets | None, batch: int) -> bool:
    """Read the next object of an import into its table; False when this process cannot
    reach the buckets."""
    raw = store.read_one(job_key[len(layout.JOBS) :])
    if raw is None:
        with store.write() as txn:
            txn.delete(job_key)
        return True
    if buckets is None:
        return False
    job = Import.decode(raw)
    source = job.request["S3BucketSource"]
    try:
        if job.objects is None:
            keys = buckets.keys(source["S3Bucket"], source.get("S3KeyPrefix", ""))
            _save(store, job, replace(job, objects=keys))
            return True
        meta = _table(store, job)
        if meta is None or job.next >= len(job.objects):
            _end(store, job, meta)
            return True
        counts = _read_object(store, job, meta, buckets, job.objects[job.next], batch)
    except NoSuchBucket as exc:
        _end(store, job, None, ["S3NoSuchBucket", exc.message], drop_table=True)
        return True
    except ObjectTooLarge as exc:  # the import ends: its items could not all be read
        _end(store, job, _table(store, job), ["ObjectTooLarge", str(exc)])
        return True
    processed, imported, failed, size = counts
    _save(
        store,
        job,
        replace(
            job,
            next=job.next + 1,
            processed=job.processed + processed,
            imported=job.imported + imported,
            errors=job.errors + failed,
            size=job.size + size,
        ),
    )
    return True


def _table(store: Store, job: Import) -> TableMeta | None:
    with store.read() as txn:
        meta = catalog.find_table(txn, job.account, job.region, job.table_name)
    return meta if meta is not None and meta.uid == job.table_uid else None


def _save(store: Store, before: Import, after: Import) -> None:
    with store.write() as txn:
        raw = txn.get(before.key)
        if raw is not None and Import.decode(raw) == before:
            txn.put(after.key, after.encode())


def _end(
    store: Store,
    job: Import,
    meta: TableMeta | None,
    failure: list[str] | None = None,
    drop_table: bool = False,
) -> None:
    if failure is None and job.errors:
        failure = ["ItemValidationError", FAILED_ITEMS]
    status = "FAILED" if failure is not None else "COMPLETED"
    ended = replace(job, status=status, failure=failure, ended=store.now())
    with store.write() as txn:
        current = catalog.find_table(txn, job.account, job.region, job.table_name)
        if current is not None and current.uid == job.table_uid:
            if drop_table:
                catalog.remove_table(txn, current)
            else:
                catalog.put_table(txn, catalog.replace(current, status="ACTIVE"))
        txn.put(job.key, ended.encode())
        txn.delete(layout.JOBS + job.key)


def _read_object(
    store: Store, job: Import, meta: TableMeta, buckets: Buckets, key: str, batch: int
) -> tuple[int, int, int, int]:
    """(processed, imported, errors, bytes) of one source object, its items written."""
    request = job.request
    bucket = request["S3BucketSource"]["S3Bucket"]
    processed = imported = failed = 0
    try:
        stored = buckets.get(bucket, key)
    except ObjectLocked as exc:
        _log_error(job, bucket, key, 0, f"Access Denied: {exc}")
        return 1, 0, 1, 0
    try:
        data = _decompress(stored, request["InputCompressionType"])
    except ObjectTooLarge as exc:
        _log_error(job, bucket, key, 0, f"The object {exc}")
        raise ObjectTooLarge(f"The object s3://{bucket}/{key} {exc}") from None
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        _log_error(job, bucket, key, 0, f"Unable to decompress the object: {exc}")
        return 1, 0, 1, 0
    pending: list[tuple[bytes, Item]] = []
    for index, parsed in enumerate(_records(request, meta, data)):
        processed += 1
        if isinstance(parsed, _Unreadable):
            failed += 1
            _log_error(job, bucket, key, index, parsed.message)
            break
        try:
            item = normalize_item(parsed)
            pending.append((key_from_item(meta, item), item))
        except errors.DynamoError as exc:
            failed += 1
            _log_error(job, bucket, key, index, exc.message or exc.type_name)
            continue
        if len(pending) >= batch:
            done, refused = _write(store, job, meta, pending, bucket, key, index)
            imported, failed, pending = imported + done, failed + refused, []
    if pending:
        done, refused = _write(store, job, meta, pending, bucket, key, processed)
        imported, failed = imported + done, failed + refused
    return processed, imported, failed, len(data)


@dataclass(frozen=True, slots=True)
class _Unreadable:
    message: str


def _records(request: Body, meta: TableMeta, data: bytes) -> Iterator[Any]:
    """The items of an object, as parsed; an `_Unreadable` where reading has to stop."""
    kind = request["InputFormat"]
    if kind == "DYNAMODB_JSON":
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield _Unreadable(f"Unexpected token in JSON: {exc}")
                return
            if not isinstance(record, dict) or not isinstance(record.get("Item"), dict):
                yield _Unreadable("The item is missing the top level Item field")
                return
            yield record["Item"]
    elif kind == "ION":
        try:
            yield from ion.load_items(data.decode())
        except (ion.IonError, UnicodeDecodeError) as exc:
            yield _Unreadable(f"Unable to parse the Ion record: {exc}")
    else:
        yield from _csv_items(request, meta, data)


def _csv_items(request: Body, meta: TableMeta, data: bytes) -> Iterator[Any]:
    """CSV rows as items: key attributes (of the table and its global indexes) typed by
    AttributeDefinitions, every other column a string; an empty cell is no attribute."""
    options = (request.get("InputFormatOptions") or {}).get("Csv") or {}
    rows = csv.reader(io.StringIO(data.decode()), delimiter=options.get("Delimiter", ","))
    header = options.get("HeaderList")
    if header is None:
        header = next(rows, None)
        if header is None:
            return
    types = {d["AttributeName"]: d["AttributeType"] for d in meta.attribute_definitions}
    for row in rows:
        if not row:
            continue
        if len(row) != len(header):
            yield _Unreadable(
                f"The number of columns ({len(row)}) does not match the header ({len(header)})"
            )
            return
        yield {
            name: {types.get(name, "S"): cell}
            for name, cell in zip(header, row, strict=True)
            if cell
        }


class ObjectTooLarge(Exception):
    """A source object that decompresses to more than MAX_OBJECT_BYTES."""


def _decompress(data: bytes, kind: str) -> bytes:
    """The object decompressed as the request says, never more than MAX_OBJECT_BYTES (a
    small object may expand a thousandfold): ObjectTooLarge past that."""
    if not data or kind not in ("GZIP", "ZSTD"):
        return data
    if kind == "GZIP":
        out = _gunzip(data)
    else:
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
        out = reader.read(MAX_OBJECT_BYTES + 1)
    if len(out) > MAX_OBJECT_BYTES:
        raise ObjectTooLarge(f"decompresses to more than {MAX_OBJECT_BYTES} bytes")
    return out


def _gunzip(data: bytes) -> bytes:
    """Every gzip member of `data`, up to one byte past the limit."""
    out = bytearray()
    while data and len(out) <= MAX_OBJECT_BYTES:
        decompressor = zlib.decompressobj(wbits=31)
        out += decompressor.decompress(data, MAX_OBJECT_BYTES + 1 - len(out))
        if decompressor.unconsumed_tail:
            break  # past the limit
        if not decompressor.eof:
            raise EOFError("Compressed file ended before the end-of-stream marker was reached")
        data = decompressor.unused_data
    return bytes(out)


def _write(
    store: Store,
    job: Import,
    meta: TableMeta,
    pending: list[tuple[bytes, Item]],
    bucket: str,
    key: str,
    index: int,
) -> tuple[int, int]:
    """Write the items; (written, refused): an item the table refuses (too large, an index
    key of the wrong type) is an error of the import, not of the batch."""
    written = refused = 0
    with store.write() as txn:
        tally = stats.Tally()
        for encoded, item in pending:
            try:
                items.write(txn, meta, encoded, items.replacing(item), tally=tally)
                written += 1
            except errors.DynamoError as exc:
                refused += 1
                _log_error(job, bucket, key, index, exc.message or exc.type_name)
        tally.apply(txn)
    return written, refused


def _log_error(job: Import, bucket: str, key: str, index: int, message: str) -> None:
    event = {
        "itemS3Pointer": {"bucket": bucket, "key": key, "itemIndex": index},
        "importArn": job.arn,
        "errorMessages": [message],
    }
    log.warning("%s %s/error %s", LOG_GROUP, job.id, orjson.dumps(event).decode())


def fail(store: Store, job_key: bytes, reason: str) -> None:
    """End an import whose steps keep failing: FAILED with the reason; the table keeps the
    items that went in."""
    raw = store.read_one(job_key[len(layout.JOBS) :])
    if raw is None:
        with store.write() as txn:
            txn.delete(job_key)
        return
    job = Import.decode(raw)
    _end(store, job, _table(store, job), ["UNKNOWN", reason])


jobs.register(layout.IMPORT, step, fail)
