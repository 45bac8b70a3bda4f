"""Exports to S3 (ExportTableToPointInTime), in DynamoDB's layout, made by the housekeeper.

An export's row lives at `EXPORT + account + region + id`; JOBS + that key while it runs.

- A *full* export makes the table as it was at its ExportTime (an INSTANT snapshot: engine/
  backups), then writes its items out.
- An *incremental* export gathers, from the change log, each item's images before its first
  and after its last change in [ExportFromTime, ExportToTime) (into a snapshot area of its
  own), then writes one line per item.

Output, under `<S3Prefix>/AWSDynamoDB/<id>/`: `_started`, then gzipped data files of JSON (or
Ion) lines under `data/` (an incremental export's go to the shared `AWSDynamoDB/data/`),
`manifest-files.json` (a line per data file), `manifest-summary.json`, and for each manifest an
`.md5` file holding base64 of its MD5. A data file is written whole per step, under a name
derived from where the step starts, so a step run again after a crash rewrites the same file.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from opendynamo.engine import backups, catalog, changes, records, tuning
from opendynamo.engine.buckets import Buckets, NoSuchBucket, ObjectLocked
from opendynamo.engine.catalog import TableMeta
from opendynamo.model import ion, layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

MANIFEST_VERSION = "2020-06-30"


@dataclass(frozen=True, slots=True)
class Export:
    """An export as stored: its request, its state and, once written, its data files."""

    id: str  # 14-digit epoch milliseconds of its start, "-", 8 hex digits
    account: str
    region: str
    table_name: str
    table_uid: str
    key_names: list[str]  # the table's key attributes (an incremental line's Keys)
    request: dict[str, Any]  # the request's members, as given (ClientToken included)
    started: float
    export_time: float | None  # a full export's instant
    status: str = "IN_PROGRESS"  # IN_PROGRESS, COMPLETED, FAILED
    phase: str = "snapshot"  # snapshot (full) or collect (incremental), write, finish
    area: str | None = None  # the snapshot id (full) or area uid (incremental) it reads
    cursor: str | None = None  # hex of the last key written (or gathered)
    files: list[dict[str, Any]] = field(default_factory=list)  # manifest-files.json lines
    item_count: int = 0
    billed: int = 0
    ended: float | None = None
    failure: tuple[str, str] | None = None  # (FailureCode, FailureMessage)

    @property
    def key(self) -> bytes:
        return layout.export_key(self.account, self.region, self.id)

    @property
    def table_arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.table_name}"

    @property
    def arn(self) -> str:
        return f"{self.table_arn}/export/{self.id}"

    @property
    def incremental(self) -> bool:
        return self.request.get("ExportType") == "INCREMENTAL_EXPORT"

    @property
    def root(self) -> str:
        """The key prefix of its directory: `<S3Prefix>/AWSDynamoDB/<id>/`."""
        return f"{object_prefix(self.request)}{self.id}/"

    @property
    def data_root(self) -> str:
        shared = f"{object_prefix(self.request)}data/"
        return shared if self.incremental else self.root + "data/"

    def encode(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def decode(cls, raw: bytes) -> Export:
        data = orjson.loads(raw)
        if data["failure"] is not None:
            data["failure"] = tuple(data["failure"])
        return cls(**data)


def object_prefix(request: dict[str, Any]) -> str:
    """Where in its bucket an export request writes: `<S3Prefix>/AWSDynamoDB/`."""
    prefix = (request.get("S3Prefix") or "").strip("/")
    return (prefix + "/" if prefix else "") + "AWSDynamoDB/"


def begin(
    txn: WriteTxn, meta: TableMeta, request: dict[str, Any], now: float, at: int | None
) -> Export:
    """Start an export of the table: of its state at `at` (clock, us: a full export, from
    the table's recovery snapshots and log), or of its changes in the request's window."""
    export = Export(
        id=backups.new_id(now),
        account=meta.account,
        region=meta.region,
        table_name=meta.name,
        table_uid=meta.uid,
        key_names=list(meta.key_names),
        request=request,
        started=now,
        export_time=None if at is None else at / 1e6,
    )
    if at is not None:
        snapshot = backups.instant(txn, meta, at, now)
        export = replace(export, area=snapshot.id)
    else:
        export = replace(export, phase="collect", area=catalog.new_uid())
    txn.put(export.key, export.encode())
    txn.put(layout.JOBS + export.key, b"")
    return export


def get(store_txn: Any, account: str, region: str, export_id: str) -> Export | None:
    raw = store_txn.get(layout.export_key(account, region, export_id))
    return None if raw is None else Export.decode(raw)


def listed(txn: Any, account: str, region: str) -> list[Export]:
    prefix = layout.export_prefix(account, region)
    return [Export.decode(raw) for _, raw in txn.range(prefix, prefix_end(prefix))]


def every_export(txn: ReadTxn, limit: int) -> list[Export]:
    """The exports of every namespace, at most `limit` of them (for /metrics' counts)."""
    rows = txn.range(layout.EXPORT, prefix_end(layout.EXPORT), limit=limit)
    return [Export.decode(raw) for _, raw in rows]


def step(store: Store, job: bytes, buckets: Buckets | None, batch: int) -> bool:
    """One step of an export; False when it waits (for its snapshot)."""
    key = job[len(layout.JOBS) :]
    raw = store.read_one(key)
    export = None if raw is None else Export.decode(raw)
    if export is None:
        with store.write() as txn:
            txn.delete(job)
        return True
    if buckets is None:
        return False  # this process cannot reach the buckets
    try:
        if export.phase == "snapshot":
            return _await_snapshot(store, export)
        if export.phase == "collect":
            _collect(store, export, batch)
        elif export.phase == "write":
            _write(store, export, buckets)
        else:
            _finish(store, export, buckets)
    except NoSuchBucket as exc:
        _fail(store, export, "S3NoSuchBucket", exc.message)
    except (PermissionError, ObjectLocked) as exc:
        _fail(store, export, "S3AccessDenied", f"Access Denied ({exc})")
    return True


def _save(store: Store, before: Export, after: Export, txn: WriteTxn | None = None) -> None:
    """Store the export's progress, unless another process made progress meanwhile."""
    if txn is not None:
        txn.put(after.key, after.encode())
        return
    with store.write() as writing:
        raw = writing.get(before.key)
        if raw is None or Export.decode(raw) != before:
            return
        writing.put(after.key, after.encode())
        if after.status != "IN_PROGRESS":
            writing.delete(layout.JOBS + after.key)


def fail_job(store: Store, job: bytes, reason: str) -> None:
    """End an export whose steps keep failing: FAILED, with the reason."""
    raw = store.read_one(job[len(layout.JOBS) :])
    if raw is None:
        with store.write() as txn:
            txn.delete(job)
        return
    _fail(store, Export.decode(raw), "UNKNOWN", reason)


def _fail(store: Store, export: Export, code: str, message: str) -> None:
    failed = replace(export, status="FAILED", failure=(code, message), ended=store.now())
    _drop_area(store, export)
    _save(store, export, failed)


def _drop_area(store: Store, export: Export) -> None:
    with store.write() as txn:
        if export.incremental and export.area is not None:
            prefix = layout.snapshot_prefix(bytes.fromhex(export.area))
            end = prefix_end(prefix)
            assert end is not None
            txn.delete_range(prefix, end)
        elif export.area is not None:
            snapshot = backups.get(txn, export.account, export.region, export.area)
            if snapshot is not None:
                backups.remove(txn, snapshot)


def _await_snapshot(store: Store, export: Export) -> bool:
    with store.read() as txn:
        assert export.area is not None
        snapshot = backups.get(txn, export.account, export.region, export.area)
    if snapshot is not None and snapshot.status == "CREATING":
        return False
    if snapshot is None or snapshot.status != "AVAILABLE":
        _fail(store, export, "UNKNOWN", "The table's recovery snapshots were removed")
        return True
    _save(store, export, replace(export, phase="write"))
    return True


def _collect(store: Store, export: Export, batch: int) -> None:
    """Gather the next batch of log entries of the window: per item, its image before its
    first change and after its last one, and the stamp of the last."""
    spec = export.request["IncrementalExportSpecification"]
    window_from = round(spec["ExportFromTime"] * 1e6)
    window_to = round(spec["ExportToTime"] * 1e6)
    uid = bytes.fromhex(export.table_uid)
    assert export.area is not None
    area = layout.snapshot_prefix(bytes.fromhex(export.area))
    with store.write() as txn:
        start, end = changes.bounds(uid, window_from - 1, window_to - 1)
        if export.cursor is not None:
            start = bytes.fromhex(export.cursor) + b"\x00"
        rows = list(txn.range(start, end, limit=batch))
        for key, value in rows:
            change = changes.decode(key, value)
            held = txn.get(area + change.encoded_key)
            old = change.old if held is None else changes.decode_images(held[8:])[0]
            stamp = layout.stamp_bytes(change.stamp)
            txn.put(area + change.encoded_key, stamp + changes.encode_images(old, change.new))
        if len(rows) == batch:
            after = replace(export, cursor=rows[-1][0].hex())
        else:
            after = replace(export, phase="write", cursor=None)
        _save(store, export, after, txn)


def _write(store: Store, export: Export, buckets: Buckets) -> None:
    """Write the next data file (and, before the first, `_started`)."""
    assert export.area is not None
    if export.cursor is None and not export.files:
        buckets.put(export.request["S3Bucket"], export.root + "_started", b"", _sse(export))
    with store.read() as txn:
        prefix = _area_prefix(txn, export)
        start = prefix if export.cursor is None else bytes.fromhex(export.cursor) + b"\x00"
        file_items = tuning.current.export_file_items
        rows = list(txn.range(start, prefix_end(prefix), limit=file_items))
    lines, billed = _lines(export, rows)
    if rows or not export.files:  # an empty table still has a data file, empty
        name = _file_name(export, export.cursor)
        extension = ".ion.gz" if export.request.get("ExportFormat") == "ION" else ".json.gz"
        key = export.data_root + name + extension
        data = gzip.compress(b"".join(lines), mtime=0)
        etag = buckets.put(export.request["S3Bucket"], key, data, _sse(export))
        entry = {
            "itemCount": len(lines),
            "md5Checksum": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "etag": etag,
            "dataFileS3Key": key,
        }
        files = [*export.files, entry]
    else:
        files = export.files
    after = replace(
        export,
        files=files,
        item_count=export.item_count + len(lines),
        billed=export.billed + billed,
        cursor=rows[-1][0].hex() if rows else export.cursor,
        phase="write" if len(rows) == file_items else "finish",
    )
    _save(store, export, after)


def _area_prefix(txn: Any, export: Export) -> bytes:
    assert export.area is not None
    if export.incremental:
        return layout.snapshot_prefix(bytes.fromhex(export.area))
    snapshot = backups.get(txn, export.account, export.region, export.area)
    assert snapshot is not None
    return layout.snapshot_prefix(snapshot.uid_bytes)


def _file_name(export: Export, cursor: str | None) -> str:
    digest = hashlib.blake2b(f"{export.id}/{cursor}".encode(), digest_size=17).digest()
    return base64.b32encode(digest).decode().lower()[:26]


def _lines(export: Export, rows: list[tuple[bytes, bytes]]) -> tuple[list[bytes], int]:
    """The data lines of `rows` and their billed size."""
    as_ion = export.request.get("ExportFormat") == "ION"
    lines: list[bytes] = []
    billed = 0
    if not export.incremental:
        for _, stored in rows:
            billed += records.size_of(stored)
            if as_ion:
                record = {"Item": records.decode(stored)}
                lines.append(ion.dumps_record(record).encode() + b"\n")
            else:
                lines.append(b'{"Item":' + records.json_of(stored) + b"}\n")
        return lines, billed
    view = export.request["IncrementalExportSpecification"].get(
        "ExportViewType", "NEW_AND_OLD_IMAGES"
    )
    names = export.key_names
    for _, value in rows:
        stamp = int.from_bytes(value[:8], "big")
        old, new = changes.decode_images(value[8:])
        if old is None and new is None:
            continue  # made and removed within the window: nothing to say
        line: dict[str, Any] = {"Metadata": {"WriteTimestampMicros": {"N": str(stamp)}}}
        some = records.decode(new if new is not None else old)  # type: ignore[arg-type]
        line["Keys"] = {name: some[name] for name in names if name in some}
        if new is not None:
            line["NewImage"] = records.decode(new)
            billed += records.size_of(new)
        if old is not None and view == "NEW_AND_OLD_IMAGES":
            line["OldImage"] = records.decode(old)
        if as_ion:
            lines.append(ion.dumps_record(line).encode() + b"\n")
        else:
            lines.append(orjson.dumps(line) + b"\n")
    return lines, billed


def _finish(store: Store, export: Export, buckets: Buckets) -> None:
    bucket, sse = export.request["S3Bucket"], _sse(export)
    files = b"".join(orjson.dumps(entry) + b"\n" for entry in export.files)
    buckets.put(bucket, export.root + "manifest-files.json", files, sse)
    buckets.put(bucket, export.root + "manifest-files.md5", _md5(files), sse)
    ended = store.now()
    summary = orjson.dumps(_summary(export, ended))
    buckets.put(bucket, export.root + "manifest-summary.json", summary, sse)
    buckets.put(bucket, export.root + "manifest-summary.md5", _md5(summary), sse)
    _drop_area(store, export)
    _save(store, export, replace(export, status="COMPLETED", phase="done", ended=ended))


def _sse(export: Export) -> tuple[str, str | None]:
    return export.request.get("S3SseAlgorithm", "AES256"), export.request.get("S3SseKmsKeyId")


def _md5(data: bytes) -> bytes:
    return base64.b64encode(hashlib.md5(data).digest())


def iso(epoch: float) -> str:
    """An instant as manifests write it: ISO 8601, UTC, milliseconds."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _summary(export: Export, ended: float) -> dict[str, Any]:
    request = export.request
    summary: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "exportArn": export.arn,
        "startTime": iso(export.started),
        "endTime": iso(ended),
        "tableArn": export.table_arn,
        "tableId": catalog.table_id(export.table_uid),
        "exportTime": None if export.export_time is None else iso(export.export_time),
        "s3Bucket": request["S3Bucket"],
        "s3Prefix": request.get("S3Prefix"),
        "s3SseAlgorithm": request.get("S3SseAlgorithm", "AES256"),
        "s3SseKmsKeyId": request.get("S3SseKmsKeyId"),
        "manifestFilesS3Key": export.root + "manifest-files.json",
        "billedSizeBytes": export.billed,
        "itemCount": export.item_count,
        "outputFormat": request.get("ExportFormat", "DYNAMODB_JSON"),
    }
    if export.incremental:
        spec = request["IncrementalExportSpecification"]
        summary.update(
            exportType="INCREMENTAL_EXPORT",
            outputView=spec.get("ExportViewType", "NEW_AND_OLD_IMAGES"),
            exportFromTime=iso(spec["ExportFromTime"]),
            exportToTime=iso(spec["ExportToTime"]),
        )
    return summary
