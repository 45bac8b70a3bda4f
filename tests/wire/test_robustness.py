"""Robustness: bad input gets DynamoDB's error and never a 500 (but where DynamoDB answers one),
background work finishes or fails with a reason, workers go when their supervisor goes.

Pinned:
- A non-UTF-8 X-Amz-Target is an UnknownOperationException; a non-UTF-8 X-Amz-Date under
  `--auth sigv4` is answered as JSON with a request id (error rendering is total); neither
  leaves a traceback in the log.
- A null where a list element or map value belongs is a ValidationException: "Value null at
  'transactItems.1.member' failed to satisfy constraint: Member must not be null"; a table of
  BatchWriteItem without writes: "The batch write request list for a table cannot be null or
  empty: <table>" (as DynamoDB words it).
- Headers over 16 KB are refused with 400, a request line over 16 KB with 414.
- Bodies in gzip (one member or several) and deflate (zlib's format) are read; one that
  decodes past 16 MB is 413 and writes nothing.
- A request with a DynamoDB target is DynamoDB's whatever its Content-Type (curl -d sends a
  form's): DynamoDB's 404, never IAM's XML.
- `--log-level debug` logs a line per request: operation, table, outcome, status, ms, request
  id.
- `serve --port 99999` exits 2 with a clear message; `--port 0` prints the port it bound;
  `--s3-endpoint` without boto3 stops the start naming the package.
- `kill -9` of the supervisor: its workers are gone within a second or two, and the port free.
- An export with an S3Prefix of `..` or empty segments is a ValidationException; an export
  whose steps keep failing (its path blocked by a file) ends FAILED with the reason; an import
  whose object decompresses past the limit ends FAILED (ObjectTooLarge).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    Backend,
    Server,
    error_of,
    free_port,
    unique_name,
    wait_export,
    wait_import,
)
from tests.wire.http import AMZ_JSON, Reply, send, signed_call, unverified_auth

ROOT_KEY, ROOT_SECRET = "AKIAROBUSTNESS000001", "robustness-root-secret"
ROOT = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}


def headers(target: bytes | str = "DynamoDB_20120810.ListTables") -> dict[str, Any]:
    return {
        "Content-Type": AMZ_JSON,
        "X-Amz-Target": target,
        **unverified_auth(),
    }


def error_type(reply: Reply) -> str:
    return str(reply.json()["__type"]).rsplit("#", 1)[-1]


def raw_request(port: int, data: bytes) -> bytes:
    """Send raw bytes on a fresh connection; what comes back until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


# --- inputs ----------------------------------------------------------------------------------


def test_non_utf8_target_is_an_unknown_operation(server: Server) -> None:
    reply = send(server, body=b"{}", headers=headers(b"DynamoDB_20120810.List\xff\xfeTables"))
    assert reply.status == 400
    assert error_type(reply) == "UnknownOperationException"
    assert "Traceback" not in server.output()


@pytest.fixture(scope="module")
def sigv4(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    args = ("--auth", "sigv4", "--root-access-key-id", ROOT_KEY)
    args += ("--root-secret-access-key", ROOT_SECRET)
    server = Server(tmp_path_factory.mktemp("robust-sigv4"), extra_args=args).start()
    yield server
    server.stop()


def test_non_utf8_date_under_sigv4_is_a_json_error(sigv4: Server) -> None:
    sent = headers()
    sent["X-Amz-Date"] = b"2025\xff0101T000000Z"
    sent["Authorization"] = unverified_auth(ROOT_KEY)["Authorization"].encode()
    reply = send(sigv4, body=b"{}", headers=sent)
    assert reply.status == 400, reply.body
    assert reply.headers["content-type"] == AMZ_JSON
    assert reply.headers["x-amzn-requestid"]
    assert error_type(reply)
    assert "Traceback" not in sigv4.output()


def test_null_where_a_list_or_map_belongs(server: Server, table: str) -> None:
    reply = signed_call(server, "BatchWriteItem", {"RequestItems": {table: None}})
    assert reply.status == 400
    assert reply.json()["message"] == (
        f"The batch write request list for a table cannot be null or empty: {table}"
    )
    reply = signed_call(server, "TransactWriteItems", {"TransactItems": [None]})
    assert (error_type(reply), reply.json()["message"]) == (
        "ValidationException",
        "1 validation error detected: Value null at 'transactItems.1.member' failed to "
        "satisfy constraint: Member must not be null",
    )
    reply = signed_call(server, "BatchGetItem", {"RequestItems": {table: None}})
    assert error_type(reply) == "ValidationException"
    assert "Value null at 'requestItems." in reply.json()["message"]
    assert "Traceback" not in server.output()


def test_oversized_headers_and_request_line_are_refused(server: Server) -> None:
    big = "".join(f"X-Filler-{n}: {'a' * 1000}\r\n" for n in range(17))
    answer = raw_request(server.port, f"GET / HTTP/1.1\r\nHost: x\r\n{big}\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    answer = raw_request(server.port, f"GET /{'a' * 17000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 414 "), answer[:80]
    small = "".join(f"X-Filler-{n}: {'a' * 1000}\r\n" for n in range(8))
    answer = raw_request(
        server.port, f"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{small}\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_compressed_bodies(server: Server, ddb: Any, table: str) -> None:
    put = {"TableName": table, "Item": {"pk": {"S": "zipped"}}}
    body = json.dumps(put).encode()
    members = gzip.compress(body[:10]) + gzip.compress(body[10:])  # two gzip members
    reply = signed_call(server, "PutItem", members, extra_headers={"Content-Encoding": "gzip"})
    assert reply.status == 200, reply.body
    get = json.dumps({"TableName": table, "Key": {"pk": {"S": "zipped"}}}).encode()
    reply = signed_call(
        server, "GetItem", zlib.compress(get), extra_headers={"Content-Encoding": "deflate"}
    )
    assert reply.json()["Item"] == {"pk": {"S": "zipped"}}
    bomb = {"TableName": table, "Item": {"pk": {"S": "bomb"}, "v": {"S": "a" * (17 << 20)}}}
    reply = signed_call(
        server,
        "PutItem",
        gzip.compress(json.dumps(bomb).encode()),
        extra_headers={"Content-Encoding": "gzip"},
    )
    assert reply.status == 413
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "bomb"}})


def test_a_dynamodb_target_is_dynamodb_whatever_the_content_type(server: Server) -> None:
    sent = headers()
    sent["Content-Type"] = "application/x-www-form-urlencoded"  # what curl -d sends
    reply = send(server, body=b"{}", headers=sent)
    assert reply.status == 404
    assert reply.body == b"<UnknownOperationException/>\n"


# --- the command line and the processes ---------------------------------------------------------


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "opendynamo", "serve", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=30, env={**os.environ, **(env or {})}
    )


def test_port_out_of_range_is_a_usage_error() -> None:
    result = _serve("--port", "99999", "--in-memory")
    assert result.returncode == 2
    assert "99999" in result.stderr and "Traceback" not in result.stderr


def test_port_zero_prints_the_port_bound(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "opendynamo", "serve", "--port", "0", "--in-memory"],
            stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        found = None
        while found is None and time.monotonic() < deadline:
            found = re.search(r"serving on http://127\.0\.0\.1:(\d+) ", log.read_text())
            time.sleep(0.05)
        assert found is not None, log.read_text()
        port = int(found.group(1))
        assert port != 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_s3_endpoint_without_boto3_stops_the_start(tmp_path: Path) -> None:
    fake = tmp_path / "site" / "boto3"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('boto3 is not installed here')\n")
    path = os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")])
    result = _serve(
        "--port", str(free_port()), "--in-memory", "--s3-endpoint", "http://127.0.0.1:9",
        env={"PYTHONPATH": path},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "--s3-endpoint needs the boto3 package" in result.stderr


def test_workers_go_with_their_supervisor(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", workers=2).start()
    assert srv.process is not None
    try:
        os.kill(srv.process.pid, signal.SIGKILL)
        srv.process.wait()
        deadline = time.monotonic() + 3
        alive = True
        while alive and time.monotonic() < deadline:
            try:
                os.killpg(srv.process.pid, 0)
            except ProcessLookupError:
                alive = False
            time.sleep(0.05)
        assert not alive, "a worker outlived its supervisor"
        again = Server(tmp_path / "data", workers=2, port=srv.port).start()  # the port is free
        again.stop()
    finally:
        srv.stop()


def test_debug_logs_a_line_per_request(tmp_path: Path) -> None:
    srv = Server(None, extra_args=("--log-level", "debug")).start()
    try:
        ddb = srv.client()
        with pytest.raises(ddb.exceptions.ResourceNotFoundException) as excinfo:
            ddb.get_item(TableName="missing-table", Key={"pk": {"S": "x"}})
        request_id = excinfo.value.response["ResponseMetadata"]["RequestId"]
        deadline = time.monotonic() + 5
        while request_id not in srv.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        line = next(ln for ln in srv.output().splitlines() if request_id in ln)
        assert re.search(
            r"GetItem missing-table ResourceNotFoundException 400 [\d.]+ ms " + request_id, line
        ), line
    finally:
        srv.stop()


# --- background work ---------------------------------------------------------------------------

JOB_ENV = {
    "OPENDYNAMO_HOUSEKEEPER_INTERVAL": "0.05",
    "OPENDYNAMO_PITR_LAG": "1",
    "OPENDYNAMO_IMPORT_MAX_OBJECT_BYTES": str(1 << 20),
}


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("robust-jobs"), env=JOB_ENV, extra_args=backend()
    ).start()
    yield server
    server.stop()


def _table_with_recovery(ddb: Any) -> str:
    name = unique_name("jobs")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    return name


@pytest.mark.parametrize("prefix", ["a/../b", "a//b", "./a", "a/.."])
def test_export_prefix_with_odd_segments_is_refused(jobs_server: Server, prefix: str) -> None:
    ddb = jobs_server.client()
    table = _table_with_recovery(ddb)
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    with pytest.raises(ddb.exceptions.ClientError) as excinfo:
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="any", S3Prefix=prefix)
    code, message = error_of(excinfo)
    assert code == "ValidationException" and prefix in message
    assert ddb.list_exports(TableArn=arn)["ExportSummaries"] == []


def test_an_export_whose_steps_keep_failing_ends_failed(jobs_server: Server) -> None:
    assert jobs_server.data_dir is not None
    ddb = jobs_server.client()
    table = _table_with_recovery(ddb)
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    bucket = jobs_server.data_dir / "exports" / unique_name("blocked")
    bucket.mkdir(parents=True)
    (bucket / "blocked").write_text("a file where the export's directory must go")
    export = ddb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket.name, S3Prefix="blocked"
    )["ExportDescription"]
    done = wait_export(ddb, export["ExportArn"])
    assert done["ExportStatus"] == "FAILED"
    assert done["FailureCode"] == "UNKNOWN"
    assert "Error" in done["FailureMessage"] or "error" in done["FailureMessage"].lower()


def test_an_import_of_a_decompression_bomb_ends_failed(jobs_server: Server) -> None:
    assert jobs_server.data_dir is not None
    ddb = jobs_server.client()
    bucket = jobs_server.data_dir / "exports" / unique_name("bombs")
    bucket.mkdir(parents=True)
    line = json.dumps({"Item": {"pk": {"S": "x" * 1000}}}).encode() + b"\n"
    (bucket / "bomb.json.gz").write_bytes(gzip.compress(line * 4000))  # 4 MB, from ~20 KB
    started = ddb.import_table(
        S3BucketSource={"S3Bucket": bucket.name},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": unique_name("bomb"),
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )["ImportTableDescription"]
    done = wait_import(ddb, started["ImportArn"])
    assert done["ImportStatus"] == "FAILED"
    assert done["FailureCode"] == "ObjectTooLarge"
    assert "bomb.json.gz" in done["FailureMessage"]
