"""Exports to S3 and imports from it through the wire: ExportTableToPointInTime, DescribeExport,
ListExports, ImportTable, DescribeImport and ListImports, with the "buckets" as directories
under `serve --export-dir` (checked on disk).

DynamoDB behaviour pinned here (sources below):
- A full export writes exactly `<S3Prefix>/AWSDynamoDB/<ExportId>/` holding an empty `_started`,
  `manifest-summary.json`, `manifest-summary.md5`, `manifest-files.json`, `manifest-files.md5`
  and `data/<26 lowercase base32 chars>.json.gz` (`.ion.gz` for ION), nothing else; the ExportId
  is StartTime in epoch milliseconds (14 digits) "-" 8 hex [REAL-LS] [REAL-MAN] [SCY-EXP]
  [LAB-EXP DDB-EXPORT-017]. An `.md5` file is base64 of the MD5 of its `.json`, 24 characters
  without a newline [REAL-LS] [SCY-EXP].
- manifest-summary.json is one compact JSON object, keys in the order version, exportArn,
  startTime, endTime, tableArn, tableId, exportTime, s3Bucket, s3Prefix, s3SseAlgorithm,
  s3SseKmsKeyId (null), manifestFilesS3Key (with the prefix), billedSizeBytes, itemCount,
  outputFormat; times ISO 8601 UTC with milliseconds and `Z` [REAL-MAN] [DOC-OUT] [SCY-EXP];
  s3Prefix null when the export has none (inferred: a consumer types it `string | null`).
  An incremental export adds exportType INCREMENTAL_EXPORT, outputView, exportFromTime and
  exportToTime [NOTE3P] [DOC-OUT].
- manifest-files.json holds a line per data file: itemCount, md5Checksum (base64 MD5 of the
  gzip bytes), etag, dataFileS3Key (with the prefix); the counts add up to itemCount
  [REAL-MAN] [CARICA] [SCY-EXP].
- DYNAMODB_JSON data lines are `{"Item":{...}}` of every attribute type, B base64 [DOC-OUT]
  [MOTO] [SCY-EXP]; ION lines are `$ion_1_0 {Item:{...}}` with N as decimals (`103.`, `6d2`)
  and sets annotated `$dynamodb_SS::` [DOC-OUT].
- ExportDescription: IN_PROGRESS in the response with ExportArn, ExportStatus, ExportTime
  (= StartTime when not given), StartTime, TableArn, TableId, ClientToken, S3Bucket, S3Prefix,
  ExportFormat DYNAMODB_JSON and S3SseAlgorithm AES256 by default, and no ExportType unless
  given; COMPLETED adds EndTime, ExportManifest (the summary's key, prefix included), ItemCount
  and BilledSizeBytes [LAB-EXP DDB-EXPORT-016/-017/-018] [SCY-EXP] [DP].
- An export at a past ExportTime holds the table as it was then [API ExportTableToPointInTime].
- Errors: PointInTimeRecoveryUnavailableException "Point in time recovery is not enabled for
  table '<name>'"; TableNotFoundException "Table not found: <TableArn>"; InvalidExportTime-
  Exception "Export Time is invalid" (future, or before PITR); the ValidationExceptions that tie
  ExportType to IncrementalExportSpecification and "Invalid Request: KMS Key Id is not supported
  for this encryption type" (and "ExportFromTime must be provided ..."); "Point in Time
  Recovery is not available for specified export time" for an instant later than the latest
  restorable time (DynamoDB: ~5 minutes behind now; here OPENDYNAMO_PITR_LAG = 1 s); the
  incremental window errors (InvalidExportTimeException "Incremental export period from time
  cannot be less than the table creation time : ...", also when PITR is off; "... to time
  cannot be greater than the current time : ..."; "Difference between export period from time
  and export period to time is less than 15 minutes", the minimum being 1 s here by
  OPENDYNAMO_EXPORT_MIN_WINDOW); a missing bucket answers IN_PROGRESS, then FAILED S3NoSuchBucket
  "The specified bucket does not exist ..."; DescribeExport of an unknown ARN is
  ExportNotFoundException, of a table ARN ValidationException "Invalid Export ARN"; a ClientToken
  replay returns the same export (also once COMPLETED), with a changed S3Prefix
  ExportConflictException "Export conflict: Duplicate request detected with conflicting
  parameters" [LAB-EXP DDB-EXPORT-003/-006/-009/-010] [MOTO].
- ListExports: TableArn filter, reverse ExportArn order, MaxResults with NextToken, summaries
  of ExportArn, ExportStatus and ExportType (FULL_EXPORT also when not asked for); a deleted
  table's exports are no longer listed by its ARN but still described [API-LE] [MOTO]
  [SCY-EXP] [LAB-EXP DDB-EXPORT-016/-020].
- Incremental exports: data in the shared `<prefix>/AWSDynamoDB/data/`, manifests in
  `<prefix>/AWSDynamoDB/<ExportId>/`; one line per item changed in [ExportFromTime,
  ExportToTime) with Metadata.WriteTimestampMicros.N, Keys and, per view type, NewImage /
  OldImage (NEW_AND_OLD_IMAGES: insert Keys+NewImage, update Keys+OldImage+NewImage, delete
  Keys+OldImage; NEW_IMAGE: Keys+NewImage, Keys+NewImage, Keys only); an item made and removed
  within the window has no line; the view type defaults to NEW_AND_OLD_IMAGES; the
  description has no ExportTime [NOTE3P] [BLOG] [API-IES] [GLUE] [PAGOPA] [LAB-EXP
  DDB-EXPORT-019].
- ImportTable of an export's `data/` (GZIP) gives back the same items and GSI; of the whole
  export directory, FAILED with each of the four manifest/.md5 objects one processed item and
  one error, the empty `_started` nothing [LAB-IMP DDB-IMPORT-020] [SCY-IMP]. ION input reads
  lines with or without the `$ion_1_0` marker, decimals as N [SCY-IMP] [DOC-IMPFMT]. The response: ImportArn `<TableArn>/import/<14 digits>-<8 hex>`, IN_PROGRESS,
  TableArn, TableId, ClientToken, S3BucketSource with S3BucketOwner the caller's account,
  InputFormat, InputCompressionType NONE by default, TableCreationParameters echoed, StartTime,
  CloudWatchLogGroupArn, counters 0 (no EndTime or ProcessedSizeBytes until the end; the
  counters stay 0 while IN_PROGRESS) [SCY-IMP] [LAB-IMP DDB-IMPORT-003] [DOC-IMPVAL]. The table
  is CREATING while the import runs (data requests: ResourceNotFoundException), ACTIVE after.
- Counting [SCY-IMP] [LAB-IMP DDB-IMPORT-013] [DOC-IMPVAL]: a line that is not JSON ends the
  reading of its object (processed up to and including it); an item without its key is one
  error and the rest go on; any error makes the import FAILED ItemValidationError "Some of the
  items failed validation checks and were not imported. Please check CloudWatch error logs for
  more details." with the table ACTIVE and holding the good items; duplicate keys count as
  processed and imported; blank lines are skipped; ProcessedSizeBytes counts the uncompressed
  bytes, newlines included. A prefix matching nothing is COMPLETED with an empty table; a
  missing bucket is FAILED S3NoSuchBucket and leaves no table [LAB-IMP DDB-IMPORT-012].
- ImportTable errors: ResourceInUseException "Table already exists: <name>" [DOC-IMPVAL] [LAB-IMP
  DDB-IMPORT-019]; ValidationException "Invalid Request: Unsupported InputFormatOptions for the
  given input format: DYNAMODB_JSON." [LAB-IMP DDB-IMPORT-009]; a ClientToken replay while
  IN_PROGRESS returns the same import (other members changed or not), with another TableName
  ImportConflictException, once the table exists ResourceInUseException, once it is deleted
  the old import again and no table [LAB-IMP DDB-IMPORT-017]. DescribeImport: unknown ARN
  ImportNotFoundException, table ARN ValidationException "Invalid Import ARN" [LAB-IMP
  DDB-IMPORT-010] [SCY-IMP].
- CSV: a header line unless HeaderList is given (then every line is data), the Delimiter
  option, key columns (table and GSI) typed per AttributeDefinitions, the others S; NONE, GZIP
  and ZSTD input; InputFormatOptions echoed only when sent [DOC-IMPFMT] [API-CSV] [SCY-IMP]
  [LAB-IMP DDB-IMPORT-015].
- ListImports: TableArn filter (an import stays listed after its table is deleted), newest
  first, PageSize with a NextToken matching ([0-9a-f]{16})+ that can be passed back, summary members exactly ImportArn, ImportStatus, TableArn,
  S3BucketSource, CloudWatchLogGroupArn, InputFormat, StartTime, EndTime [API-LI] [SCY-IMP]
  [LAB-IMP DDB-IMPORT-008/-016].
- Each rejected item is one CloudWatch event (log group /aws-dynamodb/imports, stream
  `<ImportId>/error`) `{"itemS3Pointer":{"bucket","key","itemIndex"},"importArn",
  "errorMessages":["One or more parameter values were invalid: Missing the key pk in the
  item"]}` [DOC-IMPVAL]; opendynamo writes it to its log (logger opendynamo.imports).

Sources:
- [DOC-OUT] https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html
- [DOC-IMPFMT] https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Format.html
- [DOC-IMPVAL] https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Validation.html
- [API-LE] https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListExports.html
- [API-LI] https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListImports.html
- [API-IES] https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_IncrementalExportSpecification.html
- [API-CSV] https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CsvOptions.html
- [API ExportTableToPointInTime] https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html
- [BLOG] https://aws.amazon.com/blogs/database/introducing-incremental-export-from-amazon-dynamodb-to-amazon-s3/
- [LAB-EXP], [LAB-IMP]: ack-api-quirks lab notes export.md / import.md (live AWS captures,
  us-west-2), findings DDB-EXPORT-nnn / DDB-IMPORT-nnn.
- [SCY-EXP], [SCY-IMP]: ScyllaDB test/alternator/test_export.py and test_import.py (written to
  pass against AWS). [MOTO]: moto's `@aws_verified` export tests.
- [REAL-MAN]: a real 2023 manifest-summary.json / manifest-files.json; [REAL-LS]: `aws s3 ls` of
  a real export (Google Cloud "DynamoDB to Spanner" guide); [CARICA]: carica_dynamodb_tools.
- [NOTE3P], [GLUE], [PAGOPA], [DP]: third-party notes and readers of real (incremental) exports.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zstandard

from opendynamo.model import ion
from tests.conftest import Backend, Server, error_of, unique_name, wait_export, wait_import
from tests.wire.helpers import eventually, scan_items, table_params

ENV = {
    "OPENDYNAMO_PITR_LAG": "1",
    "OPENDYNAMO_EXPORT_MIN_WINDOW": "1",
    "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.05",
}
ACCOUNT = "000000000000"
REGION = "us-east-1"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-dynamodb/imports:*"
EXPORT_ID = re.compile(r"^\d{14}-[0-9a-f]{8}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DATA_FILE = re.compile(r"^[a-z2-7]{26}\.(json|ion)\.gz$")
FAILED_ITEMS = (
    "Some of the items failed validation checks and were not imported. Please check "
    "CloudWatch error logs for more details."
)
Item = dict[str, Any]


@dataclass
class Site:
    """The module's server, a client of it, and its export root (a directory per bucket)."""

    server: Server
    client: Any
    root: Path

    def bucket(self) -> str:
        """A new, empty bucket."""
        name = unique_name("bucket")
        (self.root / name).mkdir()
        return name

    def put_object(self, bucket: str, key: str, data: bytes) -> None:
        path = self.root / bucket / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object of the bucket, by key."""
        base = self.root / bucket
        return {
            path.relative_to(base).as_posix(): path.read_bytes()
            for path in sorted(base.rglob("*"))
            if path.is_file()
        }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("buckets")
    server = Server(
        tmp_path_factory.mktemp("exports"),
        env=ENV,
        extra_args=(*backend(), "--export-dir", str(root)),
    ).start()
    yield Site(server, server.client(), root)
    server.stop()


# --- helpers --------------------------------------------------------------------------------


BY_G = ("by-g", "g")  # the GSI of a table made with gsi=True: hashed on g (S), ALL projected


def create_source_table(
    client: Any,
    *,
    sort: tuple[str, str] | None = None,
    gsi: bool = False,
    pitr: bool = True,
) -> tuple[str, str]:
    """A new on-demand table with hash key `pk` (S) (and a sort key, and a GSI `by-g` on `g`
    (S)), point-in-time recovery on unless told; (name, ARN)."""
    name = unique_name()
    params = table_params(name, range_key=sort, gsi=BY_G if gsi else None)
    arn = client.create_table(**params)["TableDescription"]["TableArn"]
    if pitr:
        client.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    return name, arn


def all_types(key: str) -> Item:
    """An item (boto3 client form) with every attribute type."""
    return {
        "pk": {"S": key},
        "s": {"S": "text é"},
        "empty": {"S": ""},
        "n": {"N": "103"},
        "f": {"N": "-1.25"},
        "big": {"N": "600"},
        "b": {"B": b"\x00\x01bin"},
        "t": {"BOOL": True},
        "no": {"BOOL": False},
        "z": {"NULL": True},
        "m": {"M": {"a": {"S": "x"}, "inner": {"L": [{"N": "1"}, {"S": "y"}]}}},
        "l": {"L": [{"S": "a"}, {"N": "2"}, {"BOOL": False}, {"NULL": True}, {"B": b"q"}]},
        "ss": {"SS": ["b", "a"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"x", b"y"]},
        "g": {"S": "g1"},
    }


def assorted_items(count: int = 12) -> list[Item]:
    items = [all_types(f"all{i}") for i in range(2)]
    for i in range(count):
        item: Item = {"pk": {"S": f"k{i:03}"}, "n": {"N": str(i)}}
        if i % 3:
            item["g"] = {"S": f"g{i % 3}"}
        if i % 4 == 0:
            item["l"] = {"L": [{"N": str(i)}, {"M": {"x": {"S": "y"}}}]}
        items.append(item)
    return items


def wire(value: Any) -> Any:
    """A boto3 client value (bytes for binaries) in DynamoDB JSON (base64), sets sorted."""
    if isinstance(value, dict):
        out = {}
        for name, member in value.items():
            if name == "B":
                out[name] = base64.b64encode(member).decode()
            elif name == "BS":
                out[name] = sorted(base64.b64encode(b).decode() for b in member)
            elif name in ("SS", "NS"):
                out[name] = sorted(member)
            else:
                out[name] = wire(member)
        return out
    if isinstance(value, list):
        return [wire(member) for member in value]
    return value


def canon(value: Any) -> Any:
    """DynamoDB JSON with set members sorted (their order is not defined)."""
    if isinstance(value, dict):
        return {
            name: sorted(member) if name in ("SS", "NS", "BS") else canon(member)
            for name, member in value.items()
        }
    if isinstance(value, list):
        return [canon(member) for member in value]
    return value


def key_of(item: Item) -> tuple[str, ...]:
    return tuple(json.dumps(item[name], sort_keys=True) for name in ("pk", "sk") if name in item)


def by_key(items: list[Item]) -> dict[tuple[str, ...], Item]:
    return {key_of(item): canon(item) for item in items}


def scan_as_wire(client: Any, table: str, **params: Any) -> list[Item]:
    """Every item a Scan returns, in the form export files hold them (`wire`: B as base64)."""
    return [wire(item) for item in scan_items(client, table, **params)]


def latest_restorable(client: Any, table: str) -> datetime:
    """The table's LatestRestorableDateTime (DescribeContinuousBackups)."""
    reply = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    moment: datetime = reply["PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]
    return moment


def put_all(client: Any, table: str, items: list[Item]) -> None:
    for item in items:
        client.put_item(TableName=table, Item=item)


def export_id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def epoch_ms(moment: datetime) -> float:
    return moment.timestamp() * 1000


def iso_time(text: str) -> datetime:
    assert ISO_MS.match(text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def b64_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def full_export(site: Site, table_arn: str, bucket: str, **extra: Any) -> dict[str, Any]:
    """Export the table and wait for it to complete."""
    arn = site.client.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket, **extra)[
        "ExportDescription"
    ]["ExportArn"]
    done = wait_export(site.client, arn)
    assert done["ExportStatus"] == "COMPLETED", done
    return done


def manifest_lines(site: Site, bucket: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    raw = (site.root / bucket / summary["manifestFilesS3Key"]).read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.decode().splitlines()]


def read_summary(site: Site, bucket: str, description: dict[str, Any]) -> dict[str, Any]:
    return json.loads((site.root / bucket / description["ExportManifest"]).read_bytes())  # type: ignore[no-any-return]


def data_lines(site: Site, bucket: str, summary: dict[str, Any]) -> list[bytes]:
    """The lines of the export's data files (as listed by its manifest), decompressed."""
    lines: list[bytes] = []
    for entry in manifest_lines(site, bucket, summary):
        raw = gzip.decompress((site.root / bucket / entry["dataFileS3Key"]).read_bytes())
        lines += raw.splitlines()
    return lines


def exported_items(site: Site, bucket: str, summary: dict[str, Any]) -> list[Item]:
    lines = data_lines(site, bucket, summary)
    if summary["outputFormat"] == "ION":
        return [item for line in lines for item in ion.load_items(line.decode())]
    records = [json.loads(line) for line in lines]
    assert all(list(record) == ["Item"] for record in records)
    return [record["Item"] for record in records]


def start_import(site: Site, bucket: str, prefix: str, name: str, **extra: Any) -> dict[str, Any]:
    params = extra.pop("params", None) or table_params(name)
    return site.client.import_table(  # type: ignore[no-any-return]
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": prefix},
        InputFormat=extra.pop("InputFormat", "DYNAMODB_JSON"),
        TableCreationParameters=params,
        **extra,
    )["ImportTableDescription"]


def json_lines(items: list[Item]) -> bytes:
    return b"".join(json.dumps({"Item": item}).encode() + b"\n" for item in items)


def simple(key: str, value: str = "v") -> Item:
    return {"pk": {"S": key}, "v": {"S": value}}


# --- 1-3: full exports ------------------------------------------------------------------------


def test_full_export_layout_manifests_and_data(site: Site) -> None:
    client = site.client
    name, table_arn = create_source_table(client)
    items = assorted_items()
    put_all(client, name, items)
    table_id = client.describe_table(TableName=name)["Table"]["TableId"]
    bucket = site.bucket()
    prefix = "dira/dirb/dirc"

    started = client.export_table_to_point_in_time(
        TableArn=table_arn, S3Bucket=bucket, S3Prefix=prefix, ClientToken="full-export-1"
    )["ExportDescription"]
    assert set(started) == {
        "ExportArn", "ExportStatus", "StartTime", "ExportTime", "TableArn", "TableId",
        "ClientToken", "S3Bucket", "S3Prefix", "S3SseAlgorithm", "ExportFormat",
    }  # fmt: skip
    assert started["ExportStatus"] == "IN_PROGRESS"
    arn = started["ExportArn"]
    ident = export_id(arn)
    assert arn == f"{table_arn}/export/{ident}"
    assert EXPORT_ID.match(ident)
    assert abs(int(ident[:14]) - epoch_ms(started["StartTime"])) <= 1
    assert abs((started["ExportTime"] - started["StartTime"]).total_seconds()) < 0.002
    assert started["TableArn"] == table_arn
    assert started["TableId"] == table_id
    assert started["ClientToken"] == "full-export-1"
    assert started["S3Bucket"] == bucket
    assert started["S3Prefix"] == prefix
    assert started["S3SseAlgorithm"] == "AES256"
    assert started["ExportFormat"] == "DYNAMODB_JSON"

    done = wait_export(client, arn)
    assert done["ExportStatus"] == "COMPLETED"
    assert set(done) == set(started) | {"EndTime", "ExportManifest", "ItemCount", "BilledSizeBytes"}
    assert {k: done[k] for k in started if k != "ExportStatus"} == {
        k: v for k, v in started.items() if k != "ExportStatus"
    }
    root = f"{prefix}/AWSDynamoDB/{ident}/"
    assert done["ExportManifest"] == root + "manifest-summary.json"
    assert done["ItemCount"] == len(items)
    assert done["EndTime"] >= done["StartTime"]
    assert isinstance(done["BilledSizeBytes"], int) and done["BilledSizeBytes"] >= 0

    # The layout, exactly.
    objects = site.objects(bucket)
    fixed = ["_started", "manifest-summary.json", "manifest-summary.md5"]
    fixed += ["manifest-files.json", "manifest-files.md5"]
    data_keys = sorted(key for key in objects if key.startswith(root + "data/"))
    assert sorted(objects) == sorted([root + name for name in fixed] + data_keys)
    assert data_keys
    assert all(DATA_FILE.match(key[len(root + "data/") :]) for key in data_keys)
    assert all(key.endswith(".json.gz") for key in data_keys)
    assert objects[root + "_started"] == b""
    for manifest in ("manifest-summary", "manifest-files"):
        checksum = objects[root + manifest + ".md5"]
        assert len(checksum) == 24
        assert checksum.decode() == b64_md5(objects[root + manifest + ".json"])

    # manifest-summary.json: its keys in order, its values.
    raw_summary = objects[root + "manifest-summary.json"]
    assert b"\n" not in raw_summary.rstrip(b"\n")  # one compact line
    summary = json.loads(raw_summary)
    assert list(summary) == [
        "version", "exportArn", "startTime", "endTime", "tableArn", "tableId", "exportTime",
        "s3Bucket", "s3Prefix", "s3SseAlgorithm", "s3SseKmsKeyId", "manifestFilesS3Key",
        "billedSizeBytes", "itemCount", "outputFormat",
    ]  # fmt: skip
    assert summary["version"] == "2020-06-30"
    assert summary["exportArn"] == arn
    for field, member in (
        ("startTime", "StartTime"),
        ("endTime", "EndTime"),
        ("exportTime", "ExportTime"),
    ):
        assert abs((iso_time(summary[field]) - done[member]).total_seconds()) < 0.002, field
    assert summary["startTime"][:-1] == summary["exportTime"][:-1]
    assert summary["tableArn"] == table_arn
    assert summary["tableId"] == table_id
    assert summary["s3Bucket"] == bucket
    assert summary["s3Prefix"] == prefix
    assert summary["s3SseAlgorithm"] == "AES256"
    assert summary["s3SseKmsKeyId"] is None
    assert summary["manifestFilesS3Key"] == root + "manifest-files.json"
    assert summary["billedSizeBytes"] == done["BilledSizeBytes"]
    assert summary["itemCount"] == len(items)
    assert summary["outputFormat"] == "DYNAMODB_JSON"

    # manifest-files.json: a line per data file.
    entries = manifest_lines(site, bucket, summary)
    assert sorted(entry["dataFileS3Key"] for entry in entries) == data_keys
    for entry in entries:
        assert list(entry) == ["itemCount", "md5Checksum", "etag", "dataFileS3Key"]
        data = objects[entry["dataFileS3Key"]]
        assert entry["md5Checksum"] == b64_md5(data)
        assert isinstance(entry["etag"], str) and entry["etag"]
        assert entry["itemCount"] == len(gzip.decompress(data).splitlines())
    assert sum(entry["itemCount"] for entry in entries) == len(items)

    # The data: `{"Item":{...}}` lines, the table's items.
    lines = data_lines(site, bucket, summary)
    assert all(line.startswith(b'{"Item":{') and line.endswith(b"}}") for line in lines)
    assert by_key(exported_items(site, bucket, summary)) == by_key(scan_as_wire(client, name))
    assert by_key(exported_items(site, bucket, summary)) == by_key([wire(i) for i in items])


def test_ion_export(site: Site) -> None:
    client = site.client
    name, table_arn = create_source_table(client)
    book: Item = {
        "pk": {"S": "333-3333333333"},
        "Id": {"N": "103"},
        "PageCount": {"N": "600"},
        "Price": {"N": "2000"},
        "Authors": {"SS": ["Author1", "Author2"]},
        "InPublication": {"BOOL": False},
    }
    items = [book, *assorted_items(4)]
    put_all(client, name, items)
    bucket = site.bucket()
    done = full_export(site, table_arn, bucket, ExportFormat="ION")
    assert done["ExportFormat"] == "ION"
    ident = export_id(done["ExportArn"])
    root = f"AWSDynamoDB/{ident}/"  # no prefix
    assert done["ExportManifest"] == root + "manifest-summary.json"
    summary = read_summary(site, bucket, done)
    assert summary["outputFormat"] == "ION"
    assert summary["s3Prefix"] is None
    assert summary["manifestFilesS3Key"] == root + "manifest-files.json"
    data_keys = [key for key in site.objects(bucket) if key.startswith(root + "data/")]
    assert data_keys and all(key.endswith(".ion.gz") for key in data_keys)
    assert all(DATA_FILE.match(key[len(root + "data/") :]) for key in data_keys)
    lines = [line.decode() for line in data_lines(site, bucket, summary)]
    assert len(lines) == len(items)
    assert all(line.startswith("$ion_1_0 {Item:{") for line in lines)
    (book_line,) = [line for line in lines if '"333-3333333333"' in line]
    for piece in ("Id:103.", "PageCount:6d2", "Price:2d3", "InPublication:false"):
        assert piece in book_line
    assert 'Authors:$dynamodb_SS::["Author1","Author2"]' in book_line
    assert by_key(exported_items(site, bucket, summary)) == by_key([wire(i) for i in items])


def test_export_at_a_past_time_holds_the_items_then(site: Site) -> None:
    client = site.client
    name, table_arn = create_source_table(client)
    put_all(client, name, [simple("a", "one"), simple("b", "one"), simple("c", "one")])
    time.sleep(0.1)
    then = datetime.now(UTC)
    time.sleep(0.1)
    client.put_item(TableName=name, Item=simple("a", "two"))
    client.delete_item(TableName=name, Key={"pk": {"S": "b"}})
    client.put_item(TableName=name, Item=simple("d", "new"))
    # The latest restorable time is a second behind now (OPENDYNAMO_PITR_LAG): `then` is
    # restorable within the 1.2 s this always took.
    eventually(lambda: latest_restorable(client, name) >= then, 1.2)
    bucket = site.bucket()
    done = full_export(site, table_arn, bucket, ExportTime=then)
    assert abs((done["ExportTime"] - then).total_seconds()) < 0.002
    summary = read_summary(site, bucket, done)
    assert summary["itemCount"] == done["ItemCount"] == 3
    assert by_key(exported_items(site, bucket, summary)) == by_key(
        [simple("a", "one"), simple("b", "one"), simple("c", "one")]
    )
    assert abs((iso_time(summary["exportTime"]) - then).total_seconds()) < 0.002
    assert summary["exportTime"] != summary["startTime"]
    # The table itself moved on.
    assert by_key(scan_as_wire(client, name)) == by_key(
        [simple("a", "two"), simple("c", "one"), simple("d", "new")]
    )


# --- 4: errors ----------------------------------------------------------------------------------


def test_export_request_errors(site: Site) -> None:
    client = site.client
    bucket = site.bucket()
    name, arn = create_source_table(client, pitr=False)
    with pytest.raises(client.exceptions.PointInTimeRecoveryUnavailableException) as exc:
        client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket)
    assert error_of(exc) == (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{name}'",
    )

    missing = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{unique_name('missing')}"
    with pytest.raises(client.exceptions.TableNotFoundException) as exc:
        client.export_table_to_point_in_time(TableArn=missing, S3Bucket=bucket)
    assert error_of(exc) == ("TableNotFoundException", f"Table not found: {missing}")

    before = datetime.now(UTC) - timedelta(milliseconds=50)
    # An incremental export of a table without PITR: its window starts too early.
    with pytest.raises(client.exceptions.InvalidExportTimeException) as exc:
        client.export_table_to_point_in_time(
            TableArn=arn,
            S3Bucket=bucket,
            ExportType="INCREMENTAL_EXPORT",
            IncrementalExportSpecification={"ExportFromTime": before},
        )
    assert error_of(exc)[1].startswith(
        "Incremental export period from time cannot be less than the table creation time : "
    )
    time.sleep(0.1)
    client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    enabled = datetime.now(UTC)
    time.sleep(0.6)
    for instant in (datetime.now(UTC) + timedelta(minutes=5), before):
        with pytest.raises(client.exceptions.InvalidExportTimeException) as exc:
            client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportTime=instant)
        assert error_of(exc) == ("InvalidExportTimeException", "Export Time is invalid")
    # Within the PITR window but later than the latest restorable time (here now - 1 s).
    with pytest.raises(client.exceptions.InvalidExportTimeException) as exc:
        client.export_table_to_point_in_time(
            TableArn=arn, S3Bucket=bucket, ExportTime=datetime.now(UTC) - timedelta(seconds=0.2)
        )
    assert error_of(exc) == (
        "InvalidExportTimeException",
        "Point in Time Recovery is not available for specified export time",
    )
    windows: list[tuple[dict[str, Any], str]] = [
        (
            {"ExportFromTime": before, "ExportToTime": enabled + timedelta(seconds=0.3)},
            "Incremental export period from time cannot be less than the table creation time : ",
        ),
        (
            {"ExportFromTime": enabled, "ExportToTime": enabled + timedelta(hours=1)},
            "Incremental export period to time cannot be greater than the current time : ",
        ),
        (  # shorter than the minimum window (DynamoDB: 15 minutes; here 1 s)
            {"ExportFromTime": enabled, "ExportToTime": enabled + timedelta(seconds=0.3)},
            "Difference between export period from time and export period to time is less "
            "than 15 minutes",
        ),
    ]
    for window, message in windows:
        with pytest.raises(client.exceptions.InvalidExportTimeException) as exc:
            client.export_table_to_point_in_time(
                TableArn=arn,
                S3Bucket=bucket,
                ExportType="INCREMENTAL_EXPORT",
                IncrementalExportSpecification=window,
            )
        assert error_of(exc)[1].startswith(message), window

    spec = {
        "ExportFromTime": datetime.now(UTC) - timedelta(minutes=1),
        "ExportToTime": datetime.now(UTC),
    }
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"IncrementalExportSpecification": spec},
            "Invalid Request: Export Type expected to be Incremental Export when incremental "
            "export specification is provided",
        ),
        (
            {"ExportType": "FULL_EXPORT", "IncrementalExportSpecification": spec},
            "Invalid Request: When Export Type is Full Export , Incremental Export "
            "Specification should not be provided",
        ),
        (
            {"ExportType": "INCREMENTAL_EXPORT"},
            "Invalid Request: Incremental Export Specification expected when export type is "
            "set as Incremental Export",
        ),
        (
            {
                "ExportType": "INCREMENTAL_EXPORT",
                "IncrementalExportSpecification": {"ExportToTime": datetime.now(UTC)},
            },
            "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification",
        ),
        (
            {"S3SseAlgorithm": "AES256", "S3SseKmsKeyId": "alias/aws/s3"},
            "Invalid Request: KMS Key Id is not supported for this encryption type",
        ),
    ]
    for extra, message in cases:
        with pytest.raises(client.exceptions.ClientError) as exc:
            client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, **extra)
        assert error_of(exc) == ("ValidationException", message), extra
    # None of these started an export.
    assert client.list_exports(TableArn=arn)["ExportSummaries"] == []
    assert site.objects(bucket) == {}


def test_export_to_a_missing_bucket_fails(site: Site) -> None:
    client = site.client
    _, arn = create_source_table(client)
    started = client.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket-here")
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert started["ExportDescription"]["ExportStatus"] == "IN_PROGRESS"
    done = wait_export(client, started["ExportDescription"]["ExportArn"])
    assert done["ExportStatus"] == "FAILED"
    assert done["FailureCode"] == "S3NoSuchBucket"
    assert "The specified bucket does not exist" in done["FailureMessage"]
    assert "ItemCount" not in done and "ExportManifest" not in done
    assert not (site.root / "no-such-bucket-here").exists()


def test_describe_export_errors(site: Site) -> None:
    client = site.client
    _, table_arn = create_source_table(client)
    unknown = f"{table_arn}/export/01795551037283-2fa153d4"
    with pytest.raises(client.exceptions.ExportNotFoundException) as exc:
        client.describe_export(ExportArn=unknown)
    # The live capture (DDB-EXPORT-006) shows DynamoDB's words twice.
    assert error_of(exc) == (
        "ExportNotFoundException",
        f"Export not found: Export not found: {unknown}",
    )
    with pytest.raises(client.exceptions.ClientError) as exc:
        client.describe_export(ExportArn=table_arn)
    assert error_of(exc) == ("ValidationException", "Invalid Export ARN")


def test_export_client_token(site: Site) -> None:
    client = site.client
    _, arn = create_source_table(client)
    bucket = site.bucket()
    token = unique_name("token")
    first = client.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3Prefix="one", ClientToken=token
    )["ExportDescription"]
    again = client.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3Prefix="one", ClientToken=token
    )["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"]
    assert again["StartTime"] == first["StartTime"]
    with pytest.raises(client.exceptions.ExportConflictException) as exc:
        client.export_table_to_point_in_time(
            TableArn=arn, S3Bucket=bucket, S3Prefix="two", ClientToken=token
        )
    assert error_of(exc) == (
        "ExportConflictException",
        "Export conflict: Duplicate request detected with conflicting parameters",
    )
    done = wait_export(client, first["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED"
    replay = client.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3Prefix="one", ClientToken=token
    )["ExportDescription"]
    assert replay["ExportArn"] == first["ExportArn"]
    assert replay["ExportStatus"] == "COMPLETED"
    listed = client.list_exports(TableArn=arn)["ExportSummaries"]
    assert [summary["ExportArn"] for summary in listed] == [first["ExportArn"]]
    assert not (site.root / bucket / "two").exists()


# --- 5: ListExports -----------------------------------------------------------------------------


def test_list_exports(site: Site) -> None:
    client = site.client
    _, arn = create_source_table(client)
    _, other_arn = create_source_table(client)
    bucket = site.bucket()
    made = []
    for _ in range(3):
        made.append(
            client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket)[
                "ExportDescription"
            ]["ExportArn"]
        )
        time.sleep(0.01)  # distinct StartTime milliseconds
    other = client.export_table_to_point_in_time(TableArn=other_arn, S3Bucket=bucket)
    for export in [*made, other["ExportDescription"]["ExportArn"]]:
        assert wait_export(client, export)["ExportStatus"] == "COMPLETED"

    listed = client.list_exports(TableArn=arn)
    assert "NextToken" not in listed
    summaries = listed["ExportSummaries"]
    assert [s["ExportArn"] for s in summaries] == sorted(made, reverse=True) == made[::-1]
    assert summaries == [
        {"ExportArn": export, "ExportStatus": "COMPLETED", "ExportType": "FULL_EXPORT"}
        for export in made[::-1]
    ]

    page = client.list_exports(TableArn=arn, MaxResults=2)
    assert [s["ExportArn"] for s in page["ExportSummaries"]] == made[:0:-1]
    assert page["NextToken"]
    rest = client.list_exports(TableArn=arn, MaxResults=2, NextToken=page["NextToken"])
    assert [s["ExportArn"] for s in rest["ExportSummaries"]] == made[:1]
    assert "NextToken" not in rest

    everything = []
    kwargs: dict[str, Any] = {"MaxResults": 25}
    while True:
        page = client.list_exports(**kwargs)
        everything += [s["ExportArn"] for s in page["ExportSummaries"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert everything == sorted(everything, reverse=True)
    assert set(made) | {other["ExportDescription"]["ExportArn"]} <= set(everything)

    # Once the table is deleted its exports are no longer listed by its ARN, yet described.
    client.delete_table(TableName=arn.rsplit("/", 1)[1])
    assert client.list_exports(TableArn=arn)["ExportSummaries"] == []
    assert client.describe_export(ExportArn=made[0])["ExportDescription"]["ExportArn"] == made[0]


# --- 6: incremental exports -----------------------------------------------------------------


def row(pk: str, sk: int, value: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "v": {"S": value}}


def test_incremental_export(site: Site) -> None:
    client = site.client
    name, arn = create_source_table(client, sort=("sk", "N"))
    time.sleep(0.05)
    put_all(client, name, [row("upd", 1, "old"), row("del", 2, "old"), row("keep", 3, "old")])
    time.sleep(0.1)
    window_from = datetime.now(UTC)
    time.sleep(0.1)
    client.put_item(TableName=name, Item=row("new", 4, "fresh"))  # an insert
    client.put_item(TableName=name, Item=row("upd", 1, "mid"))  # updates, compacted to one
    client.update_item(
        TableName=name,
        Key={"pk": {"S": "upd"}, "sk": {"N": "1"}},
        UpdateExpression="SET v = :v, extra = :e",
        ExpressionAttributeValues={":v": {"S": "newest"}, ":e": {"N": "7"}},
    )
    client.delete_item(TableName=name, Key={"pk": {"S": "del"}, "sk": {"N": "2"}})
    client.put_item(TableName=name, Item=row("tmp", 5, "brief"))  # made and removed
    client.delete_item(TableName=name, Key={"pk": {"S": "tmp"}, "sk": {"N": "5"}})
    time.sleep(0.1)
    # At least the minimum window (1 s here), and past the writes however long they took.
    window_to = max(
        window_from + timedelta(seconds=1.2), datetime.now(UTC) + timedelta(seconds=0.1)
    )
    time.sleep(max(0.0, (window_to - datetime.now(UTC)).total_seconds()) + 0.1)
    client.put_item(TableName=name, Item=row("keep", 3, "after"))  # outside the window
    client.put_item(TableName=name, Item=row("new", 4, "after"))

    bucket = site.bucket()
    prefix = "incr"
    spec = {"ExportFromTime": window_from, "ExportToTime": window_to}
    started = client.export_table_to_point_in_time(
        TableArn=arn,
        S3Bucket=bucket,
        S3Prefix=prefix,
        ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification=spec,
    )["ExportDescription"]
    assert started["ExportType"] == "INCREMENTAL_EXPORT"
    assert "ExportTime" not in started
    echoed = started["IncrementalExportSpecification"]
    assert echoed["ExportViewType"] == "NEW_AND_OLD_IMAGES"
    assert abs((echoed["ExportFromTime"] - window_from).total_seconds()) < 0.002
    assert abs((echoed["ExportToTime"] - window_to).total_seconds()) < 0.002
    new_image = client.export_table_to_point_in_time(
        TableArn=arn,
        S3Bucket=bucket,
        S3Prefix=prefix,
        ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={**spec, "ExportViewType": "NEW_IMAGE"},
    )["ExportDescription"]

    keys = {
        name: {"pk": {"S": name}, "sk": {"N": str(sk)}}
        for name, sk in (("new", 4), ("upd", 1), ("del", 2))
    }
    upd_new = {**row("upd", 1, "newest"), "extra": {"N": "7"}}
    expected = {
        "NEW_AND_OLD_IMAGES": {
            "new": {"Keys": keys["new"], "NewImage": row("new", 4, "fresh")},
            "upd": {"Keys": keys["upd"], "NewImage": upd_new, "OldImage": row("upd", 1, "old")},
            "del": {"Keys": keys["del"], "OldImage": row("del", 2, "old")},
        },
        "NEW_IMAGE": {
            "new": {"Keys": keys["new"], "NewImage": row("new", 4, "fresh")},
            "upd": {"Keys": keys["upd"], "NewImage": upd_new},
            "del": {"Keys": keys["del"]},
        },
    }
    data_root = f"{prefix}/AWSDynamoDB/data/"
    low = window_from.timestamp() * 1e6 - 1000
    high = window_to.timestamp() * 1e6 + 1000
    for view, description in (("NEW_AND_OLD_IMAGES", started), ("NEW_IMAGE", new_image)):
        done = wait_export(client, description["ExportArn"])
        assert done["ExportStatus"] == "COMPLETED", done
        ident = export_id(done["ExportArn"])
        assert done["ExportManifest"] == f"{prefix}/AWSDynamoDB/{ident}/manifest-summary.json"
        summary = read_summary(site, bucket, done)
        assert summary["exportType"] == "INCREMENTAL_EXPORT"
        assert summary["outputView"] == view
        assert abs((iso_time(summary["exportFromTime"]) - window_from).total_seconds()) < 0.002
        assert abs((iso_time(summary["exportToTime"]) - window_to).total_seconds()) < 0.002
        assert summary["manifestFilesS3Key"] == f"{prefix}/AWSDynamoDB/{ident}/manifest-files.json"
        assert summary["itemCount"] == done["ItemCount"] == 3
        entries = manifest_lines(site, bucket, summary)
        assert entries
        for entry in entries:
            key = entry["dataFileS3Key"]
            assert key.startswith(data_root)
            assert DATA_FILE.match(key[len(data_root) :])
        lines = [json.loads(line) for line in data_lines(site, bucket, summary)]
        found = {}
        for line in lines:
            stamp = line.pop("Metadata")["WriteTimestampMicros"]
            assert list(stamp) == ["N"] and isinstance(stamp["N"], str)
            assert low <= int(stamp["N"]) < high
            found[line["Keys"]["pk"]["S"]] = line
        assert len(found) == len(lines) == 3
        assert found == expected[view]
    listed = client.list_exports(TableArn=arn)["ExportSummaries"]
    assert sorted(listed, key=lambda s: s["ExportArn"]) == sorted(
        (
            {
                "ExportArn": d["ExportArn"],
                "ExportStatus": "COMPLETED",
                "ExportType": "INCREMENTAL_EXPORT",
            }
            for d in (started, new_image)
        ),
        key=lambda s: s["ExportArn"],
    )
    # Both exports' data files sit in the one shared directory.
    shared = [key for key in site.objects(bucket) if key.startswith(data_root)]
    assert len(shared) >= 2


# --- 7: round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["DYNAMODB_JSON", "ION"])
def test_export_then_import_round_trip(site: Site, fmt: str) -> None:
    client = site.client
    name, arn = create_source_table(client, gsi=True)
    items = assorted_items(15)
    put_all(client, name, items)
    bucket = site.bucket()
    done = full_export(site, arn, bucket, ExportFormat=fmt, S3Prefix="snap")
    ident = export_id(done["ExportArn"])

    target = unique_name("imported")
    started = start_import(
        site,
        bucket,
        f"snap/AWSDynamoDB/{ident}/data/",
        target,
        InputFormat=fmt,
        InputCompressionType="GZIP",
        params=table_params(target, gsi=BY_G),
    )
    finished = wait_import(client, started["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ImportedItemCount"] == finished["ProcessedItemCount"] == len(items)
    assert finished["ErrorCount"] == 0
    assert "FailureCode" not in finished
    assert client.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE"
    assert by_key(scan_as_wire(client, target)) == by_key(scan_as_wire(client, name))
    assert len(scan_as_wire(client, target)) == len(items)
    for value in ("g1", "g2"):
        query = {
            "IndexName": "by-g",
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": value}},
        }
        source = client.query(TableName=name, **query)["Items"]
        copied = client.query(TableName=target, **query)["Items"]
        assert source
        assert by_key([wire(i) for i in copied]) == by_key([wire(i) for i in source])


def test_import_of_a_whole_export_counts_its_manifests(site: Site) -> None:
    """The export's root read as GZIP: `_started` is empty (nothing to count); each of the four
    manifest and .md5 objects is not gzip, one processed item and one error each."""
    client = site.client
    name, arn = create_source_table(client)
    put_all(client, name, [simple("a"), simple("b"), simple("c")])
    bucket = site.bucket()
    done = full_export(site, arn, bucket)
    target = unique_name("imported")
    started = start_import(
        site, bucket, f"AWSDynamoDB/{export_id(done['ExportArn'])}/", target,
        InputCompressionType="GZIP",
    )  # fmt: skip
    finished = wait_import(client, started["ImportArn"])
    assert finished["ImportStatus"] == "FAILED"
    assert finished["FailureCode"] == "ItemValidationError"
    assert (
        finished["ProcessedItemCount"],
        finished["ImportedItemCount"],
        finished["ErrorCount"],
    ) == (7, 3, 4)
    assert by_key(scan_as_wire(client, target)) == by_key([simple("a"), simple("b"), simple("c")])


def test_ion_import_with_and_without_the_version_marker(site: Site) -> None:
    client = site.client
    bucket = site.bucket()
    text = (
        '{"Item": {"pk": "ion1", "c": 1.0, "text": "hello"}}\n'
        '$ion_1_0 {Item:{pk:"ion2",n:6d2,s:$dynamodb_SS::["a","b"],b:{{aGk=}},z:null}}\n'
    )
    site.put_object(bucket, "ion/data.ion", text.encode())
    name = unique_name("ion")
    done = wait_import(
        client, start_import(site, bucket, "ion/", name, InputFormat="ION")["ImportArn"]
    )
    assert done["ImportStatus"] == "COMPLETED", done
    assert done["ProcessedItemCount"] == done["ImportedItemCount"] == 2
    assert by_key(scan_as_wire(client, name)) == by_key(
        [
            {"pk": {"S": "ion1"}, "c": {"N": "1"}, "text": {"S": "hello"}},
            {
                "pk": {"S": "ion2"},
                "n": {"N": "600"},
                "s": {"SS": ["a", "b"]},
                "b": {"B": "aGk="},
                "z": {"NULL": True},
            },
        ]
    )


# --- 8: ImportTable -----------------------------------------------------------------------------


def test_import_response_and_lifecycle(site: Site) -> None:
    """Thirty objects of one item: at least thirty housekeeper steps (0.05 s apart), long enough
    to see the import running."""
    client = site.client
    bucket = site.bucket()
    body = b""
    for i in range(30):
        line = json_lines([simple(f"k{i:02}", "x" * i)])
        site.put_object(bucket, f"src/part-{i:02}.json", line)
        body += line
    name = unique_name("imp")
    params = table_params(name)
    token = unique_name("token")
    started = start_import(site, bucket, "src/", name, params=params, ClientToken=token)
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    assert set(started) == {
        "ImportArn", "ImportStatus", "TableArn", "TableId", "ClientToken", "S3BucketSource",
        "ErrorCount", "CloudWatchLogGroupArn", "InputFormat", "InputCompressionType",
        "TableCreationParameters", "StartTime", "ProcessedItemCount", "ImportedItemCount",
    }  # fmt: skip
    assert re.match(
        rf"^{re.escape(table_arn)}/import/\d{{14}}-[0-9a-f]{{8}}$", started["ImportArn"]
    )
    ident = export_id(started["ImportArn"])
    assert abs(int(ident[:14]) - epoch_ms(started["StartTime"])) <= 1
    assert started["ImportStatus"] == "IN_PROGRESS"
    assert started["TableArn"] == table_arn
    assert started["ClientToken"] == token
    assert started["S3BucketSource"] == {
        "S3Bucket": bucket,
        "S3BucketOwner": ACCOUNT,
        "S3KeyPrefix": "src/",
    }
    assert started["InputFormat"] == "DYNAMODB_JSON"
    assert started["InputCompressionType"] == "NONE"
    assert started["TableCreationParameters"] == params
    assert started["CloudWatchLogGroupArn"] == LOG_GROUP_ARN
    assert (started["ProcessedItemCount"], started["ImportedItemCount"]) == (0, 0)
    assert started["ErrorCount"] == 0

    # While it runs: the table is CREATING (no data requests), the counters 0, and a replay
    # of the request answers the same import.
    table = client.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "CREATING"
    assert table["TableArn"] == table_arn
    assert table["TableId"] == started["TableId"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_item(TableName=name, Item=simple("early"))
    running = client.describe_import(ImportArn=started["ImportArn"])["ImportTableDescription"]
    assert running["ImportStatus"] == "IN_PROGRESS"
    assert (running["ProcessedItemCount"], running["ImportedItemCount"]) == (0, 0)
    assert "EndTime" not in running and "ProcessedSizeBytes" not in running
    again = start_import(site, bucket, "src/", name, params=params, ClientToken=token)
    assert again["ImportArn"] == started["ImportArn"]
    # Other members changed with the same token and name: still the same import.
    again = start_import(site, bucket, "elsewhere/", name, ClientToken=token)
    assert again["ImportArn"] == started["ImportArn"]
    assert again["S3BucketSource"]["S3KeyPrefix"] == "src/"
    with pytest.raises(client.exceptions.ImportConflictException) as exc:
        start_import(site, bucket, "src/", name + "-x", ClientToken=token)
    assert error_of(exc) == (
        "ImportConflictException",
        "Import conflict: Duplicate request detected with conflicting parameters",
    )

    done = wait_import(client, started["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED"
    assert done["ProcessedItemCount"] == done["ImportedItemCount"] == 30
    assert done["ErrorCount"] == 0
    assert done["ProcessedSizeBytes"] == len(body)
    assert done["EndTime"] >= done["StartTime"]
    assert "FailureCode" not in done and "FailureMessage" not in done
    changing = {"ImportStatus", "ProcessedItemCount", "ImportedItemCount", "ErrorCount"}
    assert {k: done[k] for k in started if k not in changing} == {
        k: v for k, v in started.items() if k not in changing
    }
    table = client.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableId"] == started["TableId"]
    assert by_key(scan_as_wire(client, name)) == by_key(
        [simple(f"k{i:02}", "x" * i) for i in range(30)]
    )
    # Once the table exists, the name is taken; a replay too meets the existing table.
    for extra in ({}, {"ClientToken": token}):
        with pytest.raises(client.exceptions.ResourceInUseException) as exc:
            start_import(site, bucket, "src/", name, **extra)
        assert error_of(exc) == ("ResourceInUseException", f"Table already exists: {name}")
    # Once the table is gone, a replay answers the old import and creates nothing.
    client.delete_table(TableName=name)
    replay = start_import(site, bucket, "src/", name, ClientToken=token)
    assert replay["ImportArn"] == started["ImportArn"]
    assert replay["ImportStatus"] == "COMPLETED"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName=name)


def test_import_counts_errors_and_fails(site: Site) -> None:
    client = site.client
    bucket = site.bucket()
    good = [json.dumps({"Item": simple(f"a{i}")}) for i in range(10)]
    garbled = good[:5] + ['{"Item": {"pk": {"S": "broken"'] + good[6:]
    site.put_object(bucket, "in/1-garbled.json", ("\n".join(garbled) + "\n").encode())
    keyless = [json.dumps({"Item": simple(f"b{i}")}) for i in range(10)]
    keyless[2] = json.dumps({"Item": {"other": {"S": "no key"}}})
    site.put_object(bucket, "in/2-keyless.json", ("\n".join(keyless) + "\n").encode())
    name = unique_name("imp")
    started = start_import(site, bucket, "in/", name)
    done = wait_import(client, started["ImportArn"])
    assert done["ImportStatus"] == "FAILED"
    assert done["FailureCode"] == "ItemValidationError"
    assert done["FailureMessage"] == FAILED_ITEMS
    # The garbled file: lines 1-6 processed (5 imported, 1 error), lines 7-10 never read; the
    # keyless file: 10 processed, 9 imported, 1 error.
    assert done["ProcessedItemCount"] == 6 + 10
    assert done["ImportedItemCount"] == 5 + 9
    assert done["ErrorCount"] == 1 + 1
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    expected = [simple(f"a{i}") for i in range(5)]
    expected += [simple(f"b{i}") for i in range(10) if i != 2]
    assert by_key(scan_as_wire(client, name)) == by_key(expected)

    # The error log: one event per rejected item (the CloudWatch stream <ImportId>/error).
    marker = f"/aws-dynamodb/imports {export_id(started['ImportArn'])}/error "
    events = [
        json.loads(line.split(marker, 1)[1])
        for line in site.server.output().splitlines()
        if marker in line
    ]
    assert len(events) == 2
    assert all(event["importArn"] == started["ImportArn"] for event in events)
    (missing,) = [e for e in events if e["itemS3Pointer"]["key"] == "in/2-keyless.json"]
    assert missing == {
        "itemS3Pointer": {"bucket": bucket, "key": "in/2-keyless.json", "itemIndex": 2},
        "importArn": started["ImportArn"],
        "errorMessages": [
            "One or more parameter values were invalid: Missing the key pk in the item"
        ],
    }
    (garbled_event,) = [e for e in events if e["itemS3Pointer"]["key"] == "in/1-garbled.json"]
    assert garbled_event["itemS3Pointer"]["bucket"] == bucket
    assert len(garbled_event["errorMessages"]) == 1


def test_import_duplicates_and_blank_lines(site: Site) -> None:
    client = site.client
    bucket = site.bucket()
    text = (
        json.dumps({"Item": simple("a", "first")}) + "\n\n   \n"
        + json.dumps({"Item": simple("b")}) + "\n"
        + json.dumps({"Item": simple("a", "second")}) + "\n\n"
    )  # fmt: skip
    site.put_object(bucket, "dup/data.json", text.encode())
    name = unique_name("imp")
    done = wait_import(client, start_import(site, bucket, "dup/", name)["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert done["ProcessedItemCount"] == done["ImportedItemCount"] == 3
    assert done["ErrorCount"] == 0
    items = scan_as_wire(client, name)
    assert len(items) == 2
    assert {item["pk"]["S"] for item in items} == {"a", "b"}


def test_import_of_nothing_and_of_a_missing_bucket(site: Site) -> None:
    client = site.client
    bucket = site.bucket()
    site.put_object(bucket, "elsewhere/x.json", json_lines([simple("x")]))
    name = unique_name("imp")
    done = wait_import(client, start_import(site, bucket, "nothing-here/", name)["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED"
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (0, 0, 0)
    assert "FailureCode" not in done
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    assert scan_as_wire(client, name) == []

    name = unique_name("imp")
    started = start_import(site, "no-such-bucket-here", "", name)
    assert started["ImportStatus"] == "IN_PROGRESS"
    done = wait_import(client, started["ImportArn"])
    assert done["ImportStatus"] == "FAILED"
    assert done["FailureCode"] == "S3NoSuchBucket"
    assert "The specified bucket does not exist" in done["FailureMessage"]
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (0, 0, 0)
    assert done["TableArn"] == started["TableArn"] and done["TableId"] == started["TableId"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName=name)


def test_import_request_errors(site: Site) -> None:
    client = site.client
    bucket = site.bucket()
    existing, table_arn = create_source_table(client, pitr=False)
    with pytest.raises(client.exceptions.ResourceInUseException) as exc:
        start_import(site, bucket, "", existing)
    assert error_of(exc) == ("ResourceInUseException", f"Table already exists: {existing}")

    name = unique_name("imp")
    with pytest.raises(client.exceptions.ClientError) as exc:
        start_import(site, bucket, "", name, InputFormatOptions={"Csv": {"Delimiter": ";"}})
    assert error_of(exc) == (
        "ValidationException",
        "Invalid Request: Unsupported InputFormatOptions for the given input format: "
        "DYNAMODB_JSON.",
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName=name)

    unknown = f"{table_arn}/import/01795551037283-2fa153d4"
    with pytest.raises(client.exceptions.ImportNotFoundException) as exc:
        client.describe_import(ImportArn=unknown)
    assert error_of(exc)[0] == "ImportNotFoundException"
    with pytest.raises(client.exceptions.ClientError) as exc:
        client.describe_import(ImportArn=table_arn)
    assert error_of(exc) == ("ValidationException", "Invalid Import ARN")


# --- 9: CSV -----------------------------------------------------------------------------------


CSV_PARAMS = {
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "year", "AttributeType": "N"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-year",
            "KeySchema": [{"AttributeName": "year", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


def csv_item(pk: str, sk: int, name: str, year: int, note: str) -> Item:
    return {
        "pk": {"S": pk},
        "sk": {"N": str(sk)},
        "name": {"S": name},
        "year": {"N": str(year)},
        "note": {"S": note},
    }


@pytest.mark.parametrize("compression", ["NONE", "GZIP", "ZSTD"])
def test_csv_import(site: Site, compression: str) -> None:
    client = site.client
    bucket = site.bucket()
    pack = {
        "NONE": lambda data: data,
        "GZIP": gzip.compress,
        "ZSTD": lambda data: zstandard.ZstdCompressor().compress(data),
    }[compression]
    with_header = b"pk,sk,name,year,note\na,1,alice,1999,first\nb,2,bob,2001,42\n"
    site.put_object(bucket, "plain/rows.csv", pack(with_header))
    name = unique_name("csv")
    started = start_import(
        site,
        bucket,
        "plain/",
        name,
        InputFormat="CSV",
        InputCompressionType=compression,
        params={"TableName": name, **CSV_PARAMS},
    )
    assert "InputFormatOptions" not in started
    done = wait_import(client, started["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert done["InputCompressionType"] == compression
    assert done["ProcessedItemCount"] == done["ImportedItemCount"] == 2
    assert done["ProcessedSizeBytes"] == len(with_header)
    assert "InputFormatOptions" not in done
    assert by_key(scan_as_wire(client, name)) == by_key(
        [csv_item("a", 1, "alice", 1999, "first"), csv_item("b", 2, "bob", 2001, "42")]
    )
    found = client.query(
        TableName=name,
        IndexName="by-year",
        KeyConditionExpression="#y = :y",
        ExpressionAttributeNames={"#y": "year"},
        ExpressionAttributeValues={":y": {"N": "2001"}},
    )["Items"]
    assert [item["pk"]["S"] for item in found] == ["b"]

    # A HeaderList and a delimiter: the first line of every object is data.
    rows = b"c;3;carol;1975;x\nd;4;dave;1980;y z\n"
    site.put_object(bucket, "listed/1.csv", pack(rows))
    site.put_object(bucket, "listed/2.csv", pack(b"e;5;eve;1990;w\n"))
    options = {"Csv": {"Delimiter": ";", "HeaderList": ["pk", "sk", "name", "year", "note"]}}
    name = unique_name("csv")
    started = start_import(
        site,
        bucket,
        "listed/",
        name,
        InputFormat="CSV",
        InputCompressionType=compression,
        InputFormatOptions=options,
        params={"TableName": name, **CSV_PARAMS},
    )
    assert started["InputFormatOptions"] == options
    done = wait_import(client, started["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert done["ProcessedItemCount"] == done["ImportedItemCount"] == 3
    assert done["InputFormatOptions"] == options
    assert by_key(scan_as_wire(client, name)) == by_key(
        [
            csv_item("c", 3, "carol", 1975, "x"),
            csv_item("d", 4, "dave", 1980, "y z"),
            csv_item("e", 5, "eve", 1990, "w"),
        ]
    )


# --- 10: ListImports ----------------------------------------------------------------------------


def test_list_imports(site: Site) -> None:
    client = site.client
    bucket = site.bucket()
    site.put_object(bucket, "one/x.json", json_lines([simple("x")]))
    name = unique_name("listed")
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    first = start_import(site, bucket, "one/", name)["ImportArn"]
    assert wait_import(client, first)["ImportStatus"] == "COMPLETED"
    client.delete_table(TableName=name)
    time.sleep(0.01)
    second = start_import(site, bucket, "one/", name)["ImportArn"]
    assert wait_import(client, second)["ImportStatus"] == "COMPLETED"
    others = []
    for _ in range(2):
        time.sleep(0.01)
        others.append(start_import(site, bucket, "one/", unique_name("listed"))["ImportArn"])
    for arn in others:
        wait_import(client, arn)

    listed = client.list_imports(TableArn=table_arn)
    assert "NextToken" not in listed
    summaries = listed["ImportSummaryList"]
    assert [s["ImportArn"] for s in summaries] == [second, first]  # newest first
    for summary, arn in zip(summaries, (second, first), strict=True):
        described = client.describe_import(ImportArn=arn)["ImportTableDescription"]
        assert summary == {
            "ImportArn": arn,
            "ImportStatus": "COMPLETED",
            "TableArn": table_arn,
            "S3BucketSource": {"S3Bucket": bucket, "S3BucketOwner": ACCOUNT, "S3KeyPrefix": "one/"},
            "CloudWatchLogGroupArn": LOG_GROUP_ARN,
            "InputFormat": "DYNAMODB_JSON",
            "StartTime": described["StartTime"],
            "EndTime": described["EndTime"],
        }

    # Everything, newest first (one page: PageSize 25 holds this module's imports).
    page = client.list_imports(PageSize=25)
    everything = page["ImportSummaryList"]
    starts = [s["StartTime"] for s in everything]
    assert starts == sorted(starts, reverse=True)
    arns = [s["ImportArn"] for s in everything]
    if "NextToken" not in page:
        assert [arn for arn in arns if arn in {first, second, *others}] == [
            *others[::-1],
            second,
            first,
        ]
    else:
        assert arns[: len(others)] == others[::-1]


def two_imports_of_one_table(site: Site) -> tuple[str, str, str]:
    """(table ARN, first ImportArn, second ImportArn): the table imported, deleted, imported."""
    client = site.client
    bucket = site.bucket()
    site.put_object(bucket, "one/x.json", json_lines([simple("x")]))
    name = unique_name("paged")
    arns = []
    for _ in range(2):
        arns.append(start_import(site, bucket, "one/", name)["ImportArn"])
        assert wait_import(client, arns[-1])["ImportStatus"] == "COMPLETED"
        client.delete_table(TableName=name)
        time.sleep(0.01)
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}", arns[0], arns[1]


def test_list_imports_paging(site: Site) -> None:
    client = site.client
    table_arn, first, second = two_imports_of_one_table(site)
    page = client.list_imports(TableArn=table_arn, PageSize=1)
    assert [s["ImportArn"] for s in page["ImportSummaryList"]] == [second]
    assert re.fullmatch(r"([0-9a-f]{16})+", page["NextToken"])
    rest = client.list_imports(TableArn=table_arn, PageSize=1, NextToken=page["NextToken"])
    assert [s["ImportArn"] for s in rest["ImportSummaryList"]] == [first]
    assert "NextToken" not in rest

    everything: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"PageSize": 2}
    while True:
        page = client.list_imports(**kwargs)
        assert len(page["ImportSummaryList"]) <= 2
        everything += page["ImportSummaryList"]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    arns = [s["ImportArn"] for s in everything]
    assert len(arns) == len(set(arns))
    starts = [s["StartTime"] for s in everything]
    assert starts == sorted(starts, reverse=True)
    assert [arn for arn in arns if arn in (first, second)] == [second, first]
