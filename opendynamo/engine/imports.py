"""ImportTable's record and the housekeeper's import work.

An import records itself at `IMPORT + account + region + id`, with JOBS + that key while it
runs (`start`). Each step reads one object of the source (every object whose key starts with
S3KeyPrefix, in key order, decompressed as the request says), writes its items as PutItem
would (index entries and counters included, a store batch per transaction) and counts them.
As in DynamoDB:

- A line that is not an item (bad JSON or Ion, no `Item`) ends the reading of its object; an
  item the table refuses (a missing or mistyped key, a bad value) is counted and skipped.
- Every item written counts, also when a later one of the same key replaces it.
- Each error goes to the log (logger `opendynamo.imports`) as the JSON event DynamoDB writes
  to CloudWatch (log group /aws-dynamodb/imports, stream <import id>/error).
- With any error the import ends FAILED (ItemValidationError) and the table keeps the items
  that went in; a missing bucket fails it (S3NoSuchBucket) and removes the table.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.engine import catalog, items, stats, tuning
from opendynamo.engine.buckets import Buckets, NoSuchBucket, ObjectLocked
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.keys import key_from_item
from opendynamo.model import ion, layout
from opendynamo.model.compression import GZIP, inflate
from opendynamo.model.values import Body, Item, normalize_item
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

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


# --- the record -------------------------------------------------------------------------


def start(txn: WriteTxn, job: Import) -> None:
    """Record a new import and queue its work for the housekeeper."""
    txn.put(job.key, job.encode())
    txn.put(layout.JOBS + job.key, b"")


def find(txn: ReadTxn, account: str, region: str, import_id: str) -> Import | None:
    raw = txn.get(layout.import_key(account, region, import_id))
    return None if raw is None else Import.decode(raw)


def imports_in(txn: ReadTxn, account: str, region: str) -> list[Import]:
    """Every import of the namespace, in id order."""
    prefix = layout.import_prefix(account, region)
    return [Import.decode(raw) for _, raw in txn.range(prefix, prefix_end(prefix))]


def every_import(txn: ReadTxn, limit: int) -> list[Import]:
    """The imports of every namespace, at most `limit` of them (for /metrics' counts)."""
    rows = txn.range(layout.IMPORT, prefix_end(layout.IMPORT), limit=limit)
    return [Import.decode(raw) for _, raw in rows]


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
    import csv  # CSV imports alone need it

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
    """A source object that decompresses to more than `tuning.import_max_object_bytes`: its
    items are read in memory."""


def _decompress(data: bytes, kind: str) -> bytes:
    """The object decompressed as the request says, never more than the tuning's
    `import_max_object_bytes` (a small object may expand a thousandfold): ObjectTooLarge past
    that."""
    limit = tuning.current.import_max_object_bytes
    if not data or kind not in ("GZIP", "ZSTD"):
        return data
    if kind == "GZIP":
        out = inflate(data, GZIP, limit)
    else:
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
        out = reader.read(limit + 1)
    if len(out) > limit:
        raise ObjectTooLarge(f"decompresses to more than {limit} bytes")
    return out


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
