"""Exports to and imports from a real S3 API: `serve --s3-endpoint URL` writes and reads the
buckets of an S3-compatible service through boto3's S3 client. Here the service is moto's S3
server, started for the module on 127.0.0.1.

- An export lands in the bucket with DynamoDB's layout, readable through the S3 API, and its
  objects ask for the encryption the export asked for (S3SseAlgorithm).
- ImportTable from that bucket brings the table back item for item.
- A bucket the service does not have fails the export with S3NoSuchBucket.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import (
    CREDENTIALS,
    REGION,
    Server,
    create_hash_table,
    free_port,
    wait_export,
    wait_import,
)

pytest.importorskip("moto.server", reason="moto's S3 server is not installed")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "moto's server did not start"
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS)


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Server]:
    env = {
        "OPENDYNAMO_PITR_LAG": "1",
        "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.05",
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }
    data = tmp_path_factory.mktemp("s3data")
    server = Server(data, env=env, extra_args=("--s3-endpoint", s3_endpoint)).start()
    yield server
    server.stop()


def exported(client: Any, table: str, bucket: str, **extra: Any) -> dict[str, Any]:
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    started = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, **extra)
    export_arn = started["ExportDescription"]["ExportArn"]
    return wait_export(client, export_arn)


def test_export_to_s3_and_import_back(s3_server: Server, s3: Any) -> None:
    s3.create_bucket(Bucket="warehouse")
    client = s3_server.client()
    table = create_hash_table(client)
    items = [
        {"pk": {"S": f"k{i}"}, "n": {"N": str(i)}, "m": {"M": {"x": {"BOOL": True}}}}
        for i in range(30)
    ]
    for item in items:
        client.put_item(TableName=table, Item=item)
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    done = exported(client, table, "warehouse", S3Prefix="daily/orders", S3SseAlgorithm="AES256")
    assert done["ExportStatus"] == "COMPLETED", done
    export_id = done["ExportArn"].rsplit("/", 1)[1]
    root = f"daily/orders/AWSDynamoDB/{export_id}/"
    keys = {entry["Key"] for entry in s3.list_objects_v2(Bucket="warehouse")["Contents"]}
    assert {root + name for name in ("_started", "manifest-summary.json", "manifest-files.json",
                                     "manifest-summary.md5", "manifest-files.md5")} <= keys  # fmt: skip
    summary_object = s3.get_object(Bucket="warehouse", Key=done["ExportManifest"])
    assert summary_object["ServerSideEncryption"] == "AES256"
    summary = json.loads(summary_object["Body"].read())
    assert summary["itemCount"] == 30 and summary["exportArn"] == done["ExportArn"]
    manifest = s3.get_object(Bucket="warehouse", Key=summary["manifestFilesS3Key"])["Body"].read()
    lines = []
    for entry in manifest.decode().splitlines():
        data = s3.get_object(Bucket="warehouse", Key=json.loads(entry)["dataFileS3Key"])
        lines += gzip.decompress(data["Body"].read()).decode().splitlines()
    assert sorted(json.loads(line)["Item"]["pk"]["S"] for line in lines) == sorted(
        item["pk"]["S"] for item in items
    )

    started = client.import_table(
        S3BucketSource={"S3Bucket": "warehouse", "S3KeyPrefix": root + "data/"},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": f"{table}-copy",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    arn = started["ImportTableDescription"]["ImportArn"]
    imported = wait_import(client, arn)
    assert imported["ImportStatus"] == "COMPLETED" and imported["ImportedItemCount"] == 30
    copy = client.scan(TableName=f"{table}-copy")["Items"]
    assert sorted(copy, key=lambda i: i["pk"]["S"]) == sorted(items, key=lambda i: i["pk"]["S"])


def test_a_missing_bucket_fails_the_export(s3_server: Server) -> None:
    client = s3_server.client()
    table = create_hash_table(client)
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    failed = exported(client, table, "no-such-bucket-here")
    assert failed["ExportStatus"] == "FAILED"
    assert failed["FailureCode"] == "S3NoSuchBucket"
    assert "The specified bucket does not exist" in failed["FailureMessage"]
