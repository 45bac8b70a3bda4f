"""Exports encrypted at rest: `serve --export-encryption-key-file K` encrypts every object an
export writes to the export directory, as S3 encrypts what it stores.

- A known string written through the API appears in no file of the export directory, nor do
  the manifests' field names.
- ImportTable of those objects by the same server reads them (the table comes back item for
  item).
- `opendynamo decrypt-export` writes plain copies that read as DynamoDB's export files.
- A server without the key cannot read them: its import counts each object as an error.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, create_hash_table, wait_export, wait_import

MARKER = "plaintext-marker-8a1f0c"
ENV = {"OPENDYNAMO_PITR_LAG": "1", "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.05"}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    root = tmp_path_factory.mktemp("sealed")
    buckets, key = root / "buckets", root / "export.key"
    (buckets / "vault").mkdir(parents=True)
    key.write_bytes(b"k" * 32)
    args = ("--export-dir", str(buckets), "--export-encryption-key-file", str(key))
    server = Server(root / "data", env=ENV, extra_args=args).start()
    yield server, buckets, key
    server.stop()


def export(client: Any, table: str) -> dict[str, Any]:
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    started = client.export_table_to_point_in_time(TableArn=arn, S3Bucket="vault")
    export_arn = started["ExportDescription"]["ExportArn"]
    return wait_export(client, export_arn)


def import_into(client: Any, source_prefix: str, name: str) -> dict[str, Any]:
    started = client.import_table(
        S3BucketSource={"S3Bucket": "vault", "S3KeyPrefix": source_prefix},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    arn = started["ImportTableDescription"]["ImportArn"]
    return wait_import(client, arn)


def test_exports_are_encrypted_and_read_back(setup: tuple[Server, Path, Path]) -> None:
    server, buckets, key = setup
    client = server.client()
    table = create_hash_table(client)
    items = [{"pk": {"S": f"k{i}"}, "secret": {"S": f"{MARKER}-{i}"}} for i in range(20)]
    for item in items:
        client.put_item(TableName=table, Item=item)
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    done = export(client, table)
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 20

    files = [path for path in buckets.rglob("*") if path.is_file()]
    assert len(files) >= 6  # _started, data, two manifests, two checksums
    for path in files:
        stored = path.read_bytes()
        assert MARKER.encode() not in stored
        assert b"exportArn" not in stored and b"dataFileS3Key" not in stored
        assert stored.startswith(b"ODX1")  # even the empty _started is sealed

    export_id = done["ExportArn"].rsplit("/", 1)[1]
    imported = import_into(client, f"AWSDynamoDB/{export_id}/data/", f"{table}-back")
    assert imported["ImportStatus"] == "COMPLETED", imported
    back = client.scan(TableName=f"{table}-back")["Items"]
    assert sorted(back, key=lambda i: i["pk"]["S"]) == sorted(items, key=lambda i: i["pk"]["S"])

    out = Path(str(buckets) + "-plain")
    decrypted = subprocess.run(
        [sys.executable, "-m", "opendynamo", "decrypt-export", "--export-dir", str(buckets),
         "--export-encryption-key-file", str(key), "--bucket", "vault", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert decrypted.returncode == 0, decrypted.stderr
    root = out / "AWSDynamoDB" / export_id
    summary = json.loads((root / "manifest-summary.json").read_text())
    assert summary["exportArn"] == done["ExportArn"] and summary["itemCount"] == 20
    lines = []
    for entry in (root / "manifest-files.json").read_text().splitlines():
        data_file = out / json.loads(entry)["dataFileS3Key"]
        lines += gzip.decompress(data_file.read_bytes()).decode().splitlines()
    assert sorted(json.loads(line)["Item"]["secret"]["S"] for line in lines) == sorted(
        item["secret"]["S"] for item in items
    )


def test_a_server_without_the_key_cannot_read_them(
    setup: tuple[Server, Path, Path], tmp_path: Path
) -> None:
    server, buckets, _ = setup
    client = server.client()
    table = create_hash_table(client)
    client.put_item(TableName=table, Item={"pk": {"S": "a"}})
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    export_id = export(client, table)["ExportArn"].rsplit("/", 1)[1]
    keyless = Server(tmp_path / "data", env=ENV, extra_args=("--export-dir", str(buckets))).start()
    try:
        refused = import_into(keyless.client(), f"AWSDynamoDB/{export_id}/data/", "from-keyless")
    finally:
        keyless.stop()
    assert refused["ImportStatus"] == "FAILED"
    assert refused["FailureCode"] == "ItemValidationError"
    assert refused["ErrorCount"] >= 1 and refused["ImportedItemCount"] == 0
